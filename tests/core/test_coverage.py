"""core.coverage: measures planned against delivered, training, employment and school aid."""

from datetime import date

import pytest

from fupin_cli.core.coverage import PLANNABLE, Member, Record, coverage, school_year

ON = date(2016, 9, 30)
AGES = (16, 60)


def member(
    pid, name="某", birth=date(1970, 1, 1), skill="普通劳动力", school="非在校生", work=None
):
    return Member(pid, name, birth, skill, school, work)


def cover(members=(), plan=(), records=(), on=ON):
    return coverage(members, plan, records, on, AGES)


def test_plannable_is_the_categories_then_the_measures():
    assert PLANNABLE == (
        "产业帮扶",
        "易地搬迁",
        "政策兜底",
        "大病救助",
        "教育资助",
        "技能培训",
        "危房改造",
        "小额信贷",
        "转移就业",
    )


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2016, 9, 30), (date(2016, 9, 1), date(2017, 8, 31))),
        (date(2016, 9, 1), (date(2016, 9, 1), date(2017, 8, 31))),
        (date(2016, 8, 31), (date(2015, 9, 1), date(2016, 8, 31))),
        (date(2017, 1, 15), (date(2016, 9, 1), date(2017, 8, 31))),
    ],
)
def test_school_year_runs_from_september_to_august(day, year):
    assert school_year(day) == year


def test_planned_measures_are_delivered_by_any_record_up_to_the_day():
    c = cover(
        members=[member("A")],
        plan=["小额信贷", "产业帮扶", "技能培训"],
        records=[
            Record(date(2016, 7, 1), "产业帮扶"),  # household-level
            Record(date(2016, 8, 1), "技能培训", "A"),  # a member's counts for the household
            Record(date(2016, 10, 1), "小额信贷"),  # after the day: not yet
            Record(date(2016, 6, 1), "危房改造"),  # delivered though not planned
        ],
    )
    assert c.planned == ("产业帮扶", "技能培训", "小额信贷")  # PLANNABLE order
    assert c.delivered == ("产业帮扶", "技能培训", "危房改造")
    assert c.missing == ("小额信贷",)


def test_a_record_on_the_day_counts():
    c = cover(plan=["政策兜底"], records=[Record(ON, "政策兜底")])
    assert c.missing == ()


def test_no_plan_means_nothing_missing():
    assert cover(members=[member("A")]).missing == ()


@pytest.mark.parametrize(
    ("birth", "labourer"),
    [
        (date(1956, 9, 30), True),  # 60 on the day: still of working age
        (date(1955, 10, 1), True),  # 60 (61 tomorrow)
        (date(1955, 9, 30), False),  # 61 on the day
        (date(2000, 9, 30), True),  # 16 on the day
        (date(2000, 10, 1), False),  # 15
    ],
)
def test_working_age_is_inclusive_at_the_day(birth, labourer):
    c = cover(members=[member("A", birth=birth)])
    assert (c.labourers != ()) is labourer


@pytest.mark.parametrize(
    ("skill", "school", "labourer"),
    [
        ("普通劳动力", "非在校生", True),
        ("技能劳动力", None, True),
        ("丧失劳动力", "非在校生", False),
        ("无劳动力", "非在校生", False),
        ("普通劳动力", "高中二年级", False),  # a student is aided, not trained
        ("普通劳动力", "学前教育", True),  # (odd, but not a student)
    ],
)
def test_labourers_are_able_members_not_in_school(skill, school, labourer):
    c = cover(members=[member("A", birth=date(1998, 1, 1), skill=skill, school=school)])
    assert (c.labourers != ()) is labourer


def test_training_must_name_the_person():
    a, b, old = member("A", "甲"), member("B", "乙"), member("C", birth=date(1940, 1, 1))
    c = cover(
        members=[a, b, old],
        records=[
            Record(date(2015, 3, 1), "技能培训", "A"),  # once, long ago, is enough
            Record(date(2016, 9, 1), "技能培训"),  # a household-level training trains nobody
            Record(date(2016, 10, 1), "技能培训", "B"),  # after the day
            Record(date(2016, 9, 1), "转移就业", "B"),  # another measure
        ],
    )
    assert c.labourers == (a, b)
    assert c.untrained == (b,)


def test_employment_by_work_status_of_any_member_or_a_job_transfer_record():
    idle = member("A", work="其他")
    assert cover(members=[idle]).needs_employment
    assert cover(members=[member("A", work=None)]).needs_employment
    # an elder in work counts for the household
    elder = member("B", birth=date(1950, 1, 1), skill="无劳动力", work="省外务工")
    assert not cover(members=[idle, elder]).needs_employment
    assert cover(members=[idle, elder]).in_work
    for status in ("乡内务工", "乡外县内务工", "县外省内务工", "省外务工"):
        assert not cover(members=[member("A", work=status)]).needs_employment
    # 转移就业, for the household or a member, up to the day
    assert not cover(members=[idle], records=[Record(ON, "转移就业")]).needs_employment
    assert not cover(members=[idle], records=[Record(ON, "转移就业", "A")]).needs_employment
    assert cover(members=[idle], records=[Record(date(2016, 10, 1), "转移就业")]).needs_employment


def test_blank_work_status_unknown_by_policy_raises_no_employment_gap():
    blank, other = member("A", work=None), member("B", work="其他")
    unknown = coverage([blank], (), (), ON, AGES, blank_work_unknown=True)
    assert unknown.labourers == (blank,) and unknown.idle == () and not unknown.needs_employment
    both = coverage([blank, other], (), (), ON, AGES, blank_work_unknown=True)
    assert both.idle == (other,) and both.needs_employment
    assert cover(members=[blank, other]).idle == (blank, other)


def test_a_household_without_labour_needs_no_employment():
    c = cover(members=[member("A", birth=date(1940, 1, 1), skill="无劳动力")])
    assert c.labourers == () and not c.in_work and not c.needs_employment


def test_students_need_aid_naming_them_in_the_school_year():
    small = member("S1", skill="无劳动力", birth=date(2012, 1, 1), school="学前教育")
    pupil = member("S2", skill="无劳动力", birth=date(2008, 1, 1), school="小学")
    senior = member("S3", skill="无劳动力", birth=date(2000, 1, 1), school="高中一年级")
    college = member("S4", skill="无劳动力", birth=date(1997, 1, 1), school="大专及以上")
    c = cover(
        members=[small, pupil, senior, college],
        records=[
            Record(date(2016, 9, 1), "教育资助", "S2"),  # first day of the school year
            Record(date(2016, 8, 31), "教育资助", "S3"),  # the last school year
            Record(date(2016, 9, 10), "教育资助"),  # the household's, no student named
            Record(date(2016, 10, 1), "教育资助", "S4"),  # after the day
        ],
    )
    assert c.students == (pupil, senior, college)  # 学前教育 is not a student
    assert c.unaided == (senior, college)
    later = cover(
        members=[senior, college],
        records=[Record(date(2016, 10, 1), "教育资助", "S4")],
        on=date(2017, 8, 31),
    )
    assert later.unaided == (senior,)
    next_year = cover(
        members=[college],
        records=[Record(date(2016, 10, 1), "教育资助", "S4")],
        on=date(2017, 9, 1),
    )
    assert next_year.unaided == (college,)


def test_everything_delivered():
    head = member("A", "户主", work="其他")
    pupil = member("S", "学生", skill="无劳动力", birth=date(2008, 1, 1), school="七年级")
    c = cover(
        members=[head, pupil],
        plan=["产业帮扶", "教育资助", "技能培训", "转移就业"],
        records=[
            Record(date(2016, 5, 1), "产业帮扶"),
            Record(date(2016, 9, 2), "教育资助", "S"),
            Record(date(2016, 6, 1), "技能培训", "A"),
            Record(date(2016, 7, 1), "转移就业", "A"),
        ],
    )
    assert (c.missing, c.untrained, c.unaided, c.needs_employment) == ((), (), (), False)

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin_cli.core.codes import (
    Category,
    CodeError,
    Education,
    Health,
    Housing,
    LabourSkill,
    Relation,
    SchoolStatus,
    WorkStatus,
    parse_yes_no,
)


@pytest.mark.parametrize("raw", ["03", 3, 3.0, "3", "患有大病", " 患有 大病 ", "０３", "serious"])
def test_health_accepts_label_code_and_key(raw):
    assert Health.parse(raw) is Health.SERIOUS


def test_bad_code_lists_every_valid_value():
    with pytest.raises(CodeError) as exc:
        LabourSkill.parse("良好")
    assert str(exc.value) == (
        "'良好' is not a valid 劳动技能; use one of: 01 普通劳动力, 02 技能劳动力, 03 丧失劳动力, 04 无劳动力"
    )


@pytest.mark.parametrize(
    ("codes", "raw", "member"),
    [
        (Housing, "C级危房", Housing.UNSAFE_C),
        (Housing, "安全住房", Housing.SAFE),
        (WorkStatus, "乡(镇)内务工", WorkStatus.IN_TOWNSHIP),
        (WorkStatus, "4", WorkStatus.OUT_OF_PROVINCE),
        (Relation, "99", Relation.OTHER),
        (Relation, "1", Relation.HEAD),
        (Relation, "20", Relation.MATERNAL_GRANDMOTHER),
        (Education, "06", Education.PRESCHOOL),
        (SchoolStatus, "16", SchoolStatus.COLLEGE),
        (Category, "relocation", Category.RELOCATION),
        (Category, "异地搬迁", Category.RELOCATION),
    ],
)
def test_variants(codes, raw, member):
    assert codes.parse(raw) is member


def test_students_and_able_workers():
    assert not SchoolStatus.PRESCHOOL.is_student and not SchoolStatus.NOT_IN_SCHOOL.is_student
    assert SchoolStatus.PRIMARY.is_student and SchoolStatus.COLLEGE.is_student
    assert LabourSkill.ORDINARY.able and LabourSkill.SKILLED.able and not LabourSkill.LOST.able


def test_bool_is_not_a_code():
    with pytest.raises(CodeError):
        Health.parse(True)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("是", True),
        ("Y", True),
        (1, True),
        ("否", False),
        ("n", False),
        (0, False),
        ("", None),
        (None, None),
        ("  ", None),
    ],
)
def test_yes_no(raw, value):
    assert parse_yes_no(raw) is value


def test_yes_no_rejects_other_text():
    with pytest.raises(CodeError, match="use 是 or 否"):
        parse_yes_no("也许")


@given(
    st.sampled_from([Health, LabourSkill, Education, SchoolStatus, Relation, WorkStatus, Housing])
)
def test_every_member_round_trips_by_label_and_code(codes):
    for member in codes:
        assert codes.parse(member.value) is member
        assert codes.parse(member.code) is member
        assert codes.parse(int(member.code)) is member

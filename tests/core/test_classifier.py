"""The pure classifier with plain values: every rule, every measure, order, policies, properties."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin_cli.core.classifier import (
    CONDITIONS,
    MEASURE_RULES,
    HouseholdFacts,
    Member,
    classify,
    decide,
    describe,
    explain,
)
from fupin_cli.core.codes import (
    Category,
    Cause,
    Health,
    Housing,
    LabourSkill,
    Measure,
    Relation,
    SchoolStatus,
    WorkStatus,
)
from fupin_cli.core.policy import ClassifyPolicy, ClassifyRule, PolicyError, parse_policy
from fupin_cli.policyfile import default_text, load_policy

POLICY = load_policy().classify
DEFAULT_ORDER = [r.category for r in POLICY.rules]
ILLNESS_RULE = DEFAULT_ORDER.index(Category.ILLNESS_AID) + 1


def worker(name="张三", age=40, **kw) -> Member:
    """An able, healthy, working-age head working outside the county: triggers nothing."""
    values = {
        "labour_skill": LabourSkill.SKILLED,
        "health": Health.HEALTHY,
        "relation": Relation.HEAD,
        "school_status": SchoolStatus.NOT_IN_SCHOOL,
        "work_status": WorkStatus.OUT_OF_PROVINCE,
        **kw,
    }
    return Member(name, age, **values)


def elder(name="李奶奶", age=75, **kw) -> Member:
    values = {"labour_skill": LabourSkill.NONE, "relation": Relation.MOTHER, **kw}
    return worker(name, age, **values)


def child(name="小明", age=10, school=SchoolStatus.PRIMARY, **kw) -> Member:
    values = {
        "labour_skill": LabourSkill.NONE,
        "relation": Relation.SON,
        "school_status": school,
        "work_status": None,
        **kw,
    }
    return worker(name, age, **values)


def hh(*members: Member, **kw) -> HouseholdFacts:
    values = {"housing": Housing.SAFE, "dibao": False, "wubao": False, **kw}
    return HouseholdFacts("430725101201001", tuple(members or (worker(),)), **values)


def category(facts: HouseholdFacts, policy: ClassifyPolicy = POLICY) -> Category:
    return classify(facts, policy).category


def measures(facts: HouseholdFacts, policy: ClassifyPolicy = POLICY) -> tuple[Measure, ...]:
    return classify(facts, policy).measures


def custom_policy(rules_toml: str, extra: str = "") -> ClassifyPolicy:
    text = f'[policy]\nversion = "t"\n[classify]\n{extra}rules = [\n{rules_toml}\n]\n'
    return parse_policy(text, defaults=default_text(), source="county.toml").classify


# --- the default rules, one by one ------------------------------------------------------------


def test_plain_household_is_industry():
    c = classify(hh(), POLICY)
    assert c.category is Category.INDUSTRY and c.measures == (Measure.MICRO_CREDIT,)
    assert c.rule_number == 4
    assert c.reasons[0].rule == "rule 4: otherwise"
    assert "no earlier rule applies" in describe(c.reasons[0])


def test_no_able_worker_is_safety_net():
    c = classify(hh(elder(relation=Relation.HEAD), elder("李爷爷", 80)), POLICY)
    assert c.category is Category.SAFETY_NET and c.rule_number == 1
    facts = c.reasons[0].facts
    assert set(facts) == {"no_able_worker"}
    assert facts["no_able_worker"]["members"] == ("李奶奶(75岁,无劳动力)", "李爷爷(80岁,无劳动力)")


@pytest.mark.parametrize(
    ("age", "able"), [(15, False), (16, True), (60, True), (61, False)], ids=str
)
def test_working_age_is_inclusive(age, able):
    assert category(hh(worker(age=age))) is (Category.INDUSTRY if able else Category.SAFETY_NET)


@pytest.mark.parametrize("skill", [LabourSkill.LOST, LabourSkill.NONE])
def test_unable_member_of_working_age_is_not_labour(skill):
    assert category(hh(worker(labour_skill=skill))) is Category.SAFETY_NET


def test_empty_household_is_safety_net():
    assert category(HouseholdFacts("X", ())) is Category.SAFETY_NET


def test_wubao_is_safety_net_even_with_a_worker():
    c = classify(hh(worker(), wubao=True), POLICY)
    assert c.category is Category.SAFETY_NET
    assert c.reasons[0].facts == {"wubao": {"wubao": True}}


def test_unknown_wubao_is_not_wubao():
    assert category(hh(worker(), wubao=None)) is Category.INDUSTRY


def test_serious_illness_member_is_illness_aid():
    c = classify(hh(worker(), elder(health=Health.SERIOUS)), POLICY)
    assert c.category is Category.ILLNESS_AID
    assert c.reasons[0].facts == {"serious_illness": {"members": ("李奶奶(75岁)",)}}


def test_main_cause_illness_is_illness_aid():
    assert category(hh(worker(), main_cause=Cause.ILLNESS)) is Category.ILLNESS_AID
    assert category(hh(worker(), main_cause=Cause.LAND)) is Category.INDUSTRY


@pytest.mark.parametrize("housing", [Housing.UNSAFE_D, Housing.NONE])
@pytest.mark.parametrize("zone", ["relocation_zone", "village_relocation_zone"])
def test_relocation_zone_and_bad_house_is_relocation(housing, zone):
    facts = hh(worker(), housing=housing, **{zone: True})
    assert category(facts) is Category.RELOCATION


@pytest.mark.parametrize("housing", [Housing.SAFE, Housing.UNSAFE_C, None])
def test_relocation_zone_with_a_usable_house_stays_industry(housing):
    assert category(hh(worker(), housing=housing, relocation_zone=True)) is Category.INDUSTRY


def test_bad_house_outside_the_zone_is_not_relocation():
    facts = hh(worker(), housing=Housing.NONE, relocation_zone=False, village_relocation_zone=None)
    assert category(facts) is Category.INDUSTRY


def test_rule_order_first_match_wins():
    # wubao, serious illness and a relocation house all at once: rule 1 comes first
    sick_wubao = hh(
        worker(health=Health.SERIOUS), wubao=True, housing=Housing.NONE, relocation_zone=True
    )
    assert category(sick_wubao) is Category.SAFETY_NET
    # illness before relocation
    sick_in_zone = hh(worker(health=Health.SERIOUS), housing=Housing.NONE, relocation_zone=True)
    assert category(sick_in_zone) is Category.ILLNESS_AID


def test_a_policy_that_reorders_rules():
    reordered = custom_policy(
        '{category = "relocation", all = ["relocation_zone", "house_d_or_none"]},\n'
        '{category = "illness_aid", any = ["serious_illness"]},\n'
        '{category = "safety_net", any = ["no_able_worker", "wubao"]},\n'
        '{category = "industry"}'
    )
    facts = hh(elder(health=Health.SERIOUS), wubao=True, housing=Housing.NONE, relocation_zone=True)
    assert category(facts) is Category.SAFETY_NET
    c = classify(facts, reordered)
    assert c.category is Category.RELOCATION and c.rule_number == 1
    assert category(hh(elder(health=Health.SERIOUS)), reordered) is Category.ILLNESS_AID


def test_a_policy_with_new_conditions_and_all_plus_any():
    policy = custom_policy(
        '{category = "safety_net", all = ["dibao"], any = ["disabled_member", "chronic_illness"]},\n'
        '{category = "illness_aid", any = ["main_cause_disability"]},\n'
        '{category = "relocation", all = ["relocation_zone", "house_unsafe"]},\n'
        '{category = "industry", any = ["has_student"]},\n'
        '{category = "industry"}'
    )
    disabled = worker(health=Health.DISABLED)
    assert category(hh(disabled, dibao=True), policy) is Category.SAFETY_NET
    assert category(hh(disabled, dibao=False), policy) is Category.INDUSTRY  # all_of fails
    assert category(hh(worker(), dibao=True), policy) is Category.INDUSTRY  # no any_of holds
    chronic = hh(worker(health=Health.CHRONIC), dibao=True)
    assert classify(chronic, policy).reasons[0].facts == {
        "dibao": {"dibao": True},
        "chronic_illness": {"members": ("张三(40岁)",)},
    }
    assert category(hh(worker(), main_cause=Cause.DISABILITY), policy) is Category.ILLNESS_AID
    c_house = hh(worker(), housing=Housing.UNSAFE_C, village_relocation_zone=True)
    assert category(c_house, policy) is Category.RELOCATION
    assert classify(hh(worker(), child()), policy).rule_number == 4
    assert classify(hh(worker()), policy).rule_number == 5


def test_unknown_condition_is_refused_when_the_policy_loads():
    with pytest.raises(PolicyError, match="does not know the condition 'rich'") as exc:
        custom_policy('{category = "safety_net", any = ["rich"]},\n{category = "industry"}')
    assert "known: " in str(exc.value) and "no_able_worker" in str(exc.value)


def test_policy_without_a_catch_all_is_refused():
    with pytest.raises(PolicyError, match="last rule must have no conditions"):
        custom_policy('{category = "safety_net", any = ["wubao"]}')


def test_hand_built_policy_without_catch_all_is_still_total():
    policy = ClassifyPolicy(
        (16, 60), (18, 65), (ClassifyRule(Category.SAFETY_NET, ("wubao",), ()),)
    )
    c = classify(hh(), policy)
    assert c.category is Category.INDUSTRY and c.rule_number == 2


def test_working_age_comes_from_the_policy():
    young_old = hh(worker(age=62))
    assert category(young_old) is Category.SAFETY_NET
    wider = dataclasses.replace(POLICY, working_age=(16, 65))
    assert category(young_old, wider) is Category.INDUSTRY


def test_condition_vocabulary_shape():
    assert {
        "no_able_worker",
        "wubao",
        "dibao",
        "serious_illness",
        "main_cause_illness",
        "relocation_zone",
        "house_d_or_none",
        "house_unsafe",
        "disabled_member",
        "chronic_illness",
        "has_student",
    } <= set(CONDITIONS)
    assert all(isinstance(v, str) and v for v in CONDITIONS.values())
    used = {c for r in POLICY.rules for c in (*r.any_of, *r.all_of)}
    assert used <= set(CONDITIONS)
    assert list(MEASURE_RULES) == list(Measure)


# --- measures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("school", "given"),
    [
        (SchoolStatus.PRIMARY, True),
        (SchoolStatus.GRADE8, True),
        (SchoolStatus.VOCATIONAL2, True),
        (SchoolStatus.COLLEGE, True),
        (SchoolStatus.PRESCHOOL, False),
        (SchoolStatus.NOT_IN_SCHOOL, False),
        (None, False),
    ],
)
def test_education_aid_for_students(school, given):
    assert (Measure.EDUCATION_AID in measures(hh(worker(), child(school=school)))) is given


def test_education_aid_reason_names_the_students():
    c = classify(hh(worker(), child(), child("小红", 16, SchoolStatus.SENIOR1)), POLICY)
    reason = c.reasons[1]
    assert reason.subject is Measure.EDUCATION_AID and reason.rule == "has_student"
    assert reason.facts == {"students": ("小明(10岁,小学)", "小红(16岁,高中一年级)")}


@pytest.mark.parametrize(
    ("member", "given"),
    [
        (worker(labour_skill=LabourSkill.ORDINARY), True),
        (worker(labour_skill=LabourSkill.SKILLED), False),
        (worker(labour_skill=LabourSkill.ORDINARY, age=61), False),
        (worker(labour_skill=LabourSkill.ORDINARY, age=15), False),
        (
            worker(labour_skill=LabourSkill.ORDINARY, age=17, school_status=SchoolStatus.SENIOR2),
            False,
        ),
    ],
    ids=["ordinary", "skilled", "too-old", "too-young", "in-school"],
)
def test_skills_training_for_working_age_ordinary_workers(member, given):
    facts = hh(worker("户主"), member)
    assert (Measure.SKILLS_TRAINING in measures(facts)) is given


@pytest.mark.parametrize(
    ("housing", "zone", "given"),
    [
        (Housing.UNSAFE_C, False, True),
        (Housing.UNSAFE_D, False, True),
        (Housing.UNSAFE_C, True, True),  # in the zone, but a C house is repaired, not left
        (Housing.UNSAFE_D, True, False),  # relocated: a new house instead
        (Housing.NONE, False, False),
        (Housing.SAFE, False, False),
        (None, False, False),
    ],
)
def test_housing_repair_for_an_unsafe_house_not_relocated(housing, zone, given):
    facts = hh(worker(), housing=housing, relocation_zone=zone)
    assert (Measure.HOUSING_REPAIR in measures(facts)) is given


def test_housing_repair_with_an_unsafe_house_under_another_primary():
    facts = hh(worker(health=Health.SERIOUS), housing=Housing.UNSAFE_D, relocation_zone=True)
    c = classify(facts, POLICY)
    assert c.category is Category.ILLNESS_AID and Measure.HOUSING_REPAIR in c.measures


@pytest.mark.parametrize(
    ("head_age", "given"), [(17, False), (18, True), (65, True), (66, False)], ids=str
)
def test_micro_credit_head_age(head_age, given):
    facts = hh(
        elder("户主", head_age, relation=Relation.HEAD), worker("儿子", 30, relation=Relation.SON)
    )
    assert (Measure.MICRO_CREDIT in measures(facts)) is given


def test_micro_credit_needs_labour_and_a_head():
    assert Measure.MICRO_CREDIT not in measures(hh(elder("户主", 50, relation=Relation.HEAD)))
    no_head = hh(worker(relation=Relation.SON))
    assert Measure.MICRO_CREDIT not in measures(no_head)
    c = classify(hh(worker()), POLICY)
    assert c.measures == (Measure.MICRO_CREDIT,)
    assert c.reasons[1].facts == {
        "able_workers": ("张三(40岁)",),
        "head": "张三(40岁)",
        "loan_head_age": (18, 65),
    }


def test_loan_head_age_comes_from_the_policy():
    facts = hh(elder("户主", 68, relation=Relation.HEAD), worker("儿子", 30, relation=Relation.SON))
    assert Measure.MICRO_CREDIT not in measures(facts)
    older = dataclasses.replace(POLICY, loan_head_age=(18, 70))
    assert Measure.MICRO_CREDIT in measures(facts, older)


@pytest.mark.parametrize(
    ("work", "given"),
    [
        (None, True),  # the roster form leaves 务工状况 blank for a labourer without work
        ("", True),
        (WorkStatus.OTHER, True),
        (WorkStatus.IN_TOWNSHIP, False),
        (WorkStatus.OUT_OF_PROVINCE, False),
    ],
)
def test_job_transfer_for_able_members_not_in_work(work, given):
    assert (Measure.JOB_TRANSFER in measures(hh(worker(work_status=work)))) is given


def test_blank_work_status_unknown_by_policy_gives_no_job_transfer():
    unknown = dataclasses.replace(POLICY, blank_work_status="unknown")
    assert unknown.blank_work_unknown and not POLICY.blank_work_unknown
    assert Measure.JOB_TRANSFER not in measures(hh(worker(work_status=None)), unknown)
    assert Measure.JOB_TRANSFER in measures(hh(worker(work_status=WorkStatus.OTHER)), unknown)


def test_blank_work_status_must_be_a_known_meaning():
    text = default_text().replace(
        'blank_work_status = "not_in_work"', 'blank_work_status = "maybe"'
    )
    with pytest.raises(PolicyError, match="blank_work_status.*not_in_work, unknown"):
        parse_policy(text)


def test_job_transfer_not_for_unable_or_old_or_students():
    assert Measure.JOB_TRANSFER not in measures(hh(worker(), elder(work_status=None)))
    assert Measure.JOB_TRANSFER not in measures(hh(worker(), worker("老人", 62, work_status=None)))
    student = worker("学生", 18, school_status=SchoolStatus.SENIOR3, work_status=None)
    assert Measure.JOB_TRANSFER not in measures(hh(worker(), student))


def test_all_measures_come_in_a_stable_order():
    facts = hh(
        worker(labour_skill=LabourSkill.ORDINARY, work_status=WorkStatus.OTHER),
        child(),
        housing=Housing.UNSAFE_C,
    )
    c = classify(facts, POLICY)
    assert c.measures == (
        Measure.EDUCATION_AID,
        Measure.SKILLS_TRAINING,
        Measure.HOUSING_REPAIR,
        Measure.MICRO_CREDIT,
        Measure.JOB_TRANSFER,
    )
    assert [r.subject for r in c.reasons] == [Category.INDUSTRY, *c.measures]
    assert [r.rule for r in c.reasons[1:]] == [
        "has_student",
        "ordinary_worker",
        "house_unsafe_not_relocated",
        "labour_and_head_age",
        "idle_worker",
    ]
    # reversing the members changes no decision
    reversed_facts = facts._replace(members=facts.members[::-1])
    assert classify(reversed_facts, POLICY)[1:3] == c[1:3]


def test_plain_labels_work_like_the_code_members():
    facts = HouseholdFacts(
        "X",
        (
            Member("张三", 40, "普通劳动力", "患有大病", "户主", "非在校生", "其他"),
            Member("张小", 9, "无劳动力", "健康", "之子", "小学", None),
        ),
        "危房C级",
        False,
        False,
        False,
        False,
        "因病",
    )
    c = classify(facts, POLICY)
    assert c.category is Category.ILLNESS_AID
    assert c.measures == tuple(Measure)


def test_reasons_json_and_descriptions():
    c = classify(hh(elder(relation=Relation.HEAD), wubao=True, housing=Housing.UNSAFE_C), POLICY)
    data = c.reasons_json()
    assert (
        data[0]["subject"] == "政策兜底"
        and data[0]["rule"] == "rule 1: any of no_able_worker, wubao"
    )
    assert set(data[0]["facts"]) == {"no_able_worker", "wubao"}
    text = describe(c.reasons[0])
    assert text.startswith("rule 1: any of no_able_worker, wubao — ")
    assert "无有劳动能力成员" in text and "五保 wubao: 是 yes" in text
    assert describe(c.reasons[1]) == "住房状况 housing: 危房C级"


# --- explain ----------------------------------------------------------------------------------


def test_explain_checks_every_rule_and_measure():
    facts = hh(worker(), child(health=Health.SERIOUS), housing=Housing.NONE, relocation_zone=True)
    e = explain(facts, POLICY)
    assert e.result == classify(facts, POLICY)
    assert [(r.number, r.held, r.fired) for r in e.rules] == [
        (1, False, False),
        (2, True, True),
        (3, True, False),
        (4, True, False),
    ]
    assert [c.name for c in e.rules[0].conditions] == ["no_able_worker", "wubao"]
    assert [m.measure for m in e.measures if m.given] == list(e.result.measures)
    text = "\n".join(e.lines())
    assert (
        "rule 2: any of serious_illness, main_cause_illness → 大病救助 illness_aid: 是 yes  ← 采用 applied"
        in text
    )
    assert "[否] no_able_worker: 有16–60岁劳动力" in text
    assert "[是] serious_illness: 有成员患有大病 serious illness: 小明(10岁)" in text
    assert "[否] 危房改造 housing_repair" in text
    assert "主要类别 primary category: 大病救助 illness_aid" in text


# --- properties -------------------------------------------------------------------------------

members_st = st.builds(
    Member,
    name=st.sampled_from(["甲", "乙", "丙", "丁"]),
    age=st.integers(0, 100),
    labour_skill=st.sampled_from(list(LabourSkill)),
    health=st.sampled_from(list(Health)),
    relation=st.sampled_from([Relation.HEAD, Relation.SPOUSE, Relation.SON, Relation.MOTHER]),
    school_status=st.none() | st.sampled_from(list(SchoolStatus)),
    work_status=st.none() | st.sampled_from(list(WorkStatus)),
)
flags = st.none() | st.booleans()
facts_st = st.builds(
    HouseholdFacts,
    household_no=st.just("H"),
    members=st.lists(members_st, max_size=6).map(tuple),
    housing=st.none() | st.sampled_from(list(Housing)),
    relocation_zone=flags,
    village_relocation_zone=flags,
    dibao=flags,
    wubao=flags,
    main_cause=st.none() | st.sampled_from(list(Cause)),
)
reordered_st = st.permutations(POLICY.rules[:-1]).map(
    lambda rules: dataclasses.replace(POLICY, rules=(*rules, POLICY.rules[-1]))
)


@given(facts_st, reordered_st)
@settings(max_examples=300)
def test_total_and_deterministic(facts, policy):
    first = classify(facts, policy)
    assert isinstance(first.category, Category)
    assert first.category is policy.rules[first.rule_number - 1].category
    assert len(first.reasons) == 1 + len(first.measures)
    assert list(first.measures) == sorted(first.measures, key=list(Measure).index)
    assert len(set(first.measures)) == len(first.measures)
    assert classify(facts, policy) == first
    e = explain(facts, policy)
    assert e.result == first
    assert [r.number for r in e.rules if r.fired] == [first.rule_number]
    assert not any(r.held for r in e.rules[: first.rule_number - 1])


@given(facts_st, reordered_st)
def test_decide_is_classify_without_the_reasons(facts, policy):
    d = decide(facts, policy)
    c = classify(facts, policy)
    assert (d.household_no, d.category, d.measures, d.rule_number) == (
        c.household_no,
        c.category,
        c.measures,
        c.rule_number,
    )
    assert d.classification() == c


@given(facts_st, st.data())
def test_serious_illness_never_removes_illness_aid(facts, data):
    """Giving a member 患有大病 gives 大病救助, unless a rule before it fires."""
    assume_members = facts.members or (data.draw(members_st),)
    i = data.draw(st.integers(0, len(assume_members) - 1))
    sick = list(assume_members)
    sick[i] = sick[i]._replace(health=Health.SERIOUS)
    after = classify(facts._replace(members=tuple(sick)), POLICY)
    assert after.category is Category.ILLNESS_AID or after.rule_number < ILLNESS_RULE
    before = classify(facts._replace(members=assume_members), POLICY)
    if before.category is Category.ILLNESS_AID:
        assert after.category is Category.ILLNESS_AID


@given(facts_st, st.sampled_from([LabourSkill.LOST, LabourSkill.NONE]), st.booleans())
def test_without_able_workers_always_safety_net(facts, skill, drop):
    lo, hi = POLICY.working_age

    def able(m: Member) -> bool:
        return lo <= m.age <= hi and m.labour_skill.able

    if drop:
        members = tuple(m for m in facts.members if not able(m))
    else:
        members = tuple(m._replace(labour_skill=skill) if able(m) else m for m in facts.members)
    c = classify(facts._replace(members=members), POLICY)
    assert c.category is Category.SAFETY_NET
    assert "no_able_worker" in c.reasons[0].facts

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin_cli.core.codes import (
    Cause,
    Decision,
    Education,
    Health,
    Housing,
    LabourSkill,
    SchoolStatus,
    Status,
)
from fupin_cli.core.identification import (
    HouseholdFacts,
    Member,
    apply_quota,
    assess,
    deprivations,
    transition,
)
from fupin_cli.policyfile import load_policy

P = load_policy().identify
LINE = 295200


def worker(age=40, **kw):
    return Member(
        age=age,
        labour=kw.pop("labour", LabourSkill.ORDINARY),
        health=kw.pop("health", Health.HEALTHY),
        education=kw.pop("education", Education.JUNIOR),
        **kw,
    )


def facts(*members, **kw):
    return HouseholdFacts(members=members or (worker(),), **kw)


def test_housing_dimension():
    assert deprivations(facts(housing=Housing.SAFE), P)["housing"] == 0
    assert deprivations(facts(housing=Housing.UNSAFE_C), P)["housing"] == 0.5
    assert deprivations(facts(housing=Housing.UNSAFE_D), P)["housing"] == 1
    assert deprivations(facts(housing=Housing.NONE), P)["housing"] == 1
    assert (
        deprivations(facts(housing=Housing.SAFE, housing_area=10), P)["housing"] == 0.5
    )  # crowded
    assert deprivations(facts(housing=None), P)["housing"] == 0  # unknown is not deprived


def test_production_dimension():
    assert deprivations(facts(farmland_mu=0.2), P)["production"] == 1
    assert deprivations(facts(farmland_mu=2), P)["production"] == 0
    assert deprivations(facts(farmland_mu=None), P)["production"] == 0


def test_labour_dimension():
    assert deprivations(facts(worker(labour=LabourSkill.NONE)), P)["labour"] == 1
    assert deprivations(facts(worker(age=70)), P)["labour"] == 1  # able but past working age
    kids = [worker(age=5, labour=LabourSkill.NONE) for _ in range(3)]
    assert deprivations(facts(worker(), *kids), P)["labour"] == 0.5  # 3 of 4 dependent > 0.6
    assert deprivations(facts(worker(), worker()), P)["labour"] == 0


def test_education_dimension():
    truant = worker(age=12, labour=LabourSkill.NONE, school=SchoolStatus.NOT_IN_SCHOOL)
    assert deprivations(facts(worker(), truant), P)["education"] == 1
    assert deprivations(facts(worker(education=Education.PRIMARY)), P)["education"] == 0.5
    assert deprivations(facts(worker(education=None)), P)["education"] == 0
    assert deprivations(facts(worker()), P)["education"] == 0


def test_health_dimension_takes_the_worst_member():
    assert deprivations(facts(worker(), worker(health=Health.CHRONIC)), P)["health"] == 0.5
    assert deprivations(facts(worker(health=Health.SERIOUS)), P)["health"] == 1
    assert deprivations(facts(worker(health=Health.DISABLED)), P)["health"] == 1


POOR = dict(housing=Housing.UNSAFE_D, farmland_mu=0.1)  # two full deprivations: score 0.4 = k


def test_income_test_and_decision():
    assert assess(facts(income_fen=200000, **POOR), P, LINE).decision is Decision.IDENTIFIED
    a = assess(facts(income_fen=200000), P, LINE)
    assert a.decision is Decision.REVIEW and a.income_below  # poor by income only
    assert assess(facts(income_fen=LINE, **POOR), P, LINE).decision is Decision.NOT_IDENTIFIED
    assert assess(facts(income_fen=None, **POOR), P, LINE).decision is Decision.REVIEW
    very = facts(
        worker(health=Health.SERIOUS, labour=LabourSkill.LOST), income_fen=LINE * 2, **POOR
    )
    assert assess(very, P, LINE).decision is Decision.REVIEW  # deprived though above the line


@pytest.mark.parametrize("flag", ["has_public_servant", "has_vehicle", "has_town_property"])
def test_each_veto(flag):
    a = assess(facts(income_fen=100000, flags={flag: True}, **POOR), P, LINE)
    assert a.decision is Decision.NOT_IDENTIFIED and len(a.vetoes) == 1


def test_review_exclusion():
    a = assess(facts(income_fen=100000, flags={"has_business": True}, **POOR), P, LINE)
    assert a.decision is Decision.REVIEW and a.reviews == ("有注册企业",)


def test_unknown_flag_is_not_a_veto():
    assert (
        assess(facts(income_fen=100000, flags={"has_vehicle": None}, **POOR), P, LINE).decision
        is Decision.IDENTIFIED
    )


def test_causes_follow_policy_order():
    a = assess(
        facts(
            worker(health=Health.SERIOUS), worker(health=Health.DISABLED), income_fen=100000, **POOR
        ),
        P,
        LINE,
    )
    assert a.main_cause is Cause.ILLNESS and a.other_causes == (Cause.DISABILITY, Cause.LAND)


def test_exit_test():
    assert assess(facts(income_fen=int(LINE * 1.1)), P, LINE).exit_ok
    assert not assess(facts(income_fen=int(LINE * 1.05)), P, LINE).exit_ok
    assert not assess(facts(income_fen=LINE * 2, **POOR), P, LINE).exit_ok


def test_quota_keeps_the_most_deprived():
    a = assess(facts(income_fen=100000, **POOR), P, LINE)
    b = assess(facts(worker(health=Health.SERIOUS), income_fen=100000, **POOR), P, LINE)
    out = apply_quota([("A", a), ("B", b)], 1)
    assert out["B"].decision is Decision.IDENTIFIED and out["A"].decision is Decision.REVIEW
    assert "quota" in out["A"].reasons[-1]
    assert apply_quota([("A", a), ("B", b)], 0)["A"].decision is Decision.IDENTIFIED


def test_determinism():
    f = facts(worker(health=Health.CHRONIC), income_fen=250000, **POOR)
    assert assess(f, P, LINE) == assess(f, P, LINE)


def test_lifecycle():
    poor = assess(facts(income_fen=100000, **POOR), P, LINE)
    well = assess(facts(income_fen=LINE * 2), P, LINE)
    vetoed = assess(facts(income_fen=100000, flags={"has_vehicle": True}, **POOR), P, LINE)
    assert (
        transition(Status.UNIDENTIFIED, poor, proposed_year=None, year=2016).to_status
        is Status.IDENTIFIED
    )
    assert transition(Status.IDENTIFIED, poor, proposed_year=None, year=2016) is None
    assert (
        transition(Status.IDENTIFIED, well, proposed_year=None, year=2016).to_status
        is Status.PROPOSED_EXIT
    )
    assert transition(Status.PROPOSED_EXIT, well, proposed_year=2016, year=2016) is None
    assert (
        transition(Status.PROPOSED_EXIT, well, proposed_year=2016, year=2017).to_status
        is Status.EXITED
    )
    assert (
        transition(Status.PROPOSED_EXIT, poor, proposed_year=2016, year=2017).event
        == "exit_withdrawn"
    )
    assert (
        transition(Status.EXITED, poor, proposed_year=2016, year=2018).to_status is Status.RETURNED
    )
    assert (
        transition(Status.IDENTIFIED, vetoed, proposed_year=None, year=2016).to_status
        is Status.REMOVED
    )
    assert transition(Status.UNIDENTIFIED, vetoed, proposed_year=None, year=2016) is None


members = st.builds(
    Member,
    age=st.integers(0, 95),
    labour=st.sampled_from(list(LabourSkill)),
    health=st.sampled_from(list(Health)),
    education=st.none() | st.sampled_from(list(Education)),
    school=st.none() | st.sampled_from(list(SchoolStatus)),
)
households = st.builds(
    HouseholdFacts,
    members=st.lists(members, min_size=1, max_size=7).map(tuple),
    income_fen=st.none() | st.integers(0, 2_000_000),
    housing=st.none() | st.sampled_from(list(Housing)),
    housing_area=st.none() | st.floats(0, 500),
    farmland_mu=st.none() | st.floats(0, 50),
    flags=st.fixed_dictionaries(
        {
            f: st.none() | st.booleans()
            for f in ("has_public_servant", "has_vehicle", "has_town_property", "has_business")
        }
    ),
)
RANK = {Decision.IDENTIFIED: 2, Decision.REVIEW: 1, Decision.NOT_IDENTIFIED: 0}


@given(households, st.integers(1, 1_000_000))
def test_raising_income_never_makes_a_household_more_identified(f, raise_by):
    if f.income_fen is None:
        return
    before = assess(f, P, LINE).decision
    after = assess(replace(f, income_fen=f.income_fen + raise_by), P, LINE).decision
    assert RANK[after] <= RANK[before]


@given(households, st.sampled_from(["housing", "health", "labour"]))
def test_adding_a_deprivation_never_lowers_the_score(f, kind):
    before = assess(f, P, LINE).score
    if kind == "housing":
        g = replace(f, housing=Housing.NONE)
    elif kind == "health":
        g = replace(f, members=(*f.members[:-1], replace(f.members[-1], health=Health.SERIOUS)))
    else:
        g = replace(f, members=tuple(replace(m, labour=LabourSkill.NONE) for m in f.members))
    assert assess(g, P, LINE).score >= before


@given(households)
def test_total_and_in_range(f):
    a = assess(f, P, LINE)
    assert a.decision in Decision and 0 <= a.score <= 1
    assert all(0 <= v <= 1 for v in a.scores.values())

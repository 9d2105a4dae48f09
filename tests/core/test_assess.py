import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin_cli.core.assess import (
    EXITED,
    NEVER,
    QUESTIONS,
    REGISTERED,
    CountyFacts,
    Rate,
    Survey,
    allocate,
    draw_sample,
    exit_faults,
    exit_test,
    missed_faults,
    rate,
    rates,
    split_villages,
    wilson,
)
from fupin_cli.policyfile import load_policy

LINE = 300000  # 3000 yuan
YES = dict.fromkeys(QUESTIONS, True)
POLICY = load_policy().assess


def survey(hid, stratum, persons, income, approve=True, **no):
    answers = {**YES, **{q: False for q in no}}
    return Survey(hid, stratum, persons, income, answers, approve)


def test_wilson_by_hand():
    # p = 0.1, n = 10, z = 1.96: centre (0.1 + 0.19208) / 1.38416 = 0.21102,
    # half 1.96 * sqrt(0.009 + 0.0096040) / 1.38416 = 0.19313
    low, high = wilson(1, 10)
    assert low == pytest.approx(0.017876, abs=1e-6) and high == pytest.approx(0.404156, abs=1e-6)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0
    assert wilson(0, 0) is None
    assert rate(0, 0) == Rate(None, None, None, 0, 0)


@given(st.integers(0, 500), st.integers(1, 500), st.floats(0.5, 3.5))
def test_wilson_contains_the_estimate_and_lies_in_0_1(k, n, z):
    k = min(k, n)
    low, high = wilson(k, n, z)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_each_rate_by_hand():
    surveys = [
        survey("e1", EXITED, 4, 400000),  # meets the exit standard
        survey("e2", EXITED, 3, 300000),  # income not above the line: 错退
        survey("e3", EXITED, 3, 500000, water=True),  # 饮水 否: 错退
        survey("n1", NEVER, 5, 250000, approve=False),  # income below the line: 漏评
        survey("n2", NEVER, 5, 900000, water=True),  # 饮水 否 alone is no identification fault
        survey("r1", REGISTERED, 2, 300000),  # at the line, all 是: 错评
        survey("r2", REGISTERED, 2, 200000, approve=None),
    ]
    facts = CountyFacts(
        registered_persons=100,
        exited_persons=1000,
        never_agricultural=8000,
        agricultural_population=10000,
    )
    r = rates(surveys, LINE, facts)
    assert (r["wrong_exit"].numerator, r["wrong_exit"].denominator) == (6, 10)
    assert (r["missed"].numerator, r["missed"].denominator) == (5, 10)
    assert (r["wrong_registration"].numerator, r["wrong_registration"].denominator) == (2, 4)
    assert (r["approval"].numerator, r["approval"].denominator) == (5, 7)
    # (100 + 0.6 * 1000 + 0.5 * 8000) / 10000
    assert r["incidence"].value == pytest.approx(0.47)
    inc = r["incidence"]
    assert inc.low == pytest.approx(
        (100 + r["wrong_exit"].low * 1000 + r["missed"].low * 8000) / 10000
    )
    assert inc.low <= inc.value <= inc.high
    assert exit_faults(surveys[2], LINE) == ["饮水安全有保障:否"]
    assert missed_faults(surveys[4], LINE) == []
    assert missed_faults(surveys[3], LINE) == ["核实人均纯收入低于标准线"]


def test_blank_answers_are_no_evidence_and_blank_approval_is_not_approval():
    s = Survey("e", EXITED, 2, None, dict.fromkeys(QUESTIONS), None)
    assert exit_faults(s, LINE) == []
    facts = CountyFacts(0, 2, 0, 10)
    r = rates([s], LINE, facts)
    assert r["wrong_exit"].value == 0 and r["approval"].value == 0
    assert r["missed"].value is None and r["incidence"].value is None


def facts_rates(we, mi, ap, inc):
    def mk(v):
        lo, hi = v
        return Rate((lo + hi) / 2, lo, hi, 0, 1)

    return {"wrong_exit": mk(we), "missed": mk(mi), "approval": mk(ap), "incidence": mk(inc)}


def test_exit_test_point_and_confidence():
    v = exit_test(facts_rates((0.0, 0.01), (0.0, 0.03), (0.92, 0.98), (0.005, 0.015)), POLICY)
    assert v.passed
    by = {c.name: c for c in v.conditions}
    assert [c.name for c in v.conditions] == ["incidence", "wrong_exit", "missed", "approval"]
    assert by["missed"].met and not by["missed"].met_with_confidence
    assert by["wrong_exit"].met_with_confidence and by["approval"].met_with_confidence
    assert by["approval"].threshold == 0.9
    v = exit_test(facts_rates((0.02, 0.04), (0.0, 0.01), (0.80, 0.92), (0.0, 0.01)), POLICY)
    assert not v.passed and [c.name for c in v.unmet] == ["wrong_exit", "approval"]


def test_exit_test_unknown_is_unmet():
    r = facts_rates((0, 0), (0, 0), (1, 1), (0, 0))
    r["missed"] = Rate(None, None, None, 0, 0)
    v = exit_test(r, POLICY)
    assert not v.passed and [c.name for c in v.unmet] == ["missed"]


def test_split_villages():
    assert split_villages(3, 7, 10) == (3, 7)
    assert split_villages(30, 70, 10) == (3, 7)
    assert split_villages(1, 99, 10) == (1, 9)
    assert split_villages(0, 5, 10) == (0, 5)
    assert split_villages(2, 2, 3) in ((2, 1), (1, 2))


def test_allocate_by_hand():
    # 2 from each, then 14 by size 30:5:100 -> 3.11, 0.52, 10.37 -> 3 + 0 + 10 and the spare one to
    # the largest remainder (在册)
    assert allocate({EXITED: 30, REGISTERED: 5, NEVER: 100}, 20, 2) == {
        EXITED: 5,
        REGISTERED: 3,
        NEVER: 12,
    }
    assert allocate({EXITED: 1, REGISTERED: 0, NEVER: 3}, 20, 2) == {
        EXITED: 1,
        REGISTERED: 0,
        NEVER: 3,
    }


@given(st.lists(st.integers(0, 60), min_size=3, max_size=3), st.integers(0, 40), st.integers(0, 3))
def test_allocate_properties(sizes, n, least):
    sizes = dict(zip((EXITED, REGISTERED, NEVER), sizes, strict=True))
    take = allocate(sizes, n, least)
    assert all(0 <= take[s] <= sizes[s] for s in sizes)
    assert sum(take.values()) == max(
        min(n, sum(sizes.values())), sum(min(least, x) for x in sizes.values())
    )
    assert all(take[s] >= min(least, sizes[s]) for s in sizes)


def test_draw_sample_is_reproducible_and_stratified():
    villages = {f"v{i}": i < 3 for i in range(10)}
    households = {
        v: {EXITED: [f"{v}e{j}" for j in range(8)], NEVER: [f"{v}n{j}" for j in range(30)]}
        for v in villages
    }
    a = draw_sample(villages, households, 4, 10, 2, seed=7)
    assert a == draw_sample(villages, households, 4, 10, 2, seed=7)
    assert a != draw_sample(villages, households, 4, 10, 2, seed=8)
    chosen = sorted({d.village_id for d in a})
    assert len(chosen) == 4 and sum(villages[v] for v in chosen) == 1
    for v in chosen:
        mine = [d for d in a if d.village_id == v]
        # 2 from each, the other 6 by size 8:30 -> 1.26 + 4.74 -> 1 + 5 (the larger remainder)
        assert sum(d.stratum == EXITED for d in mine) == 3
        assert sum(d.stratum == NEVER for d in mine) == 7
        assert all(d.household_id.startswith(v) for d in mine)
    assert len({d.household_id for d in a}) == len(a)
    assert math.isclose(len(a), 40)

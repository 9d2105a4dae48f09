import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin_cli.core.mpi import Unit, by_group, measure

LOOKS = ("housing", "production", "labour", "education", "health")
W = dict.fromkeys(LOOKS, 0.2)


def unit(persons, group="", **deps):
    return Unit(persons, {d: deps.get(d, 0.0) for d in LOOKS}, group)


def test_hand_computed_example():
    units = [
        unit(
            4, "a", housing=1.0, health=0.5, labour=0.4
        ),  # c = 0.4 (labour under the cutoff): poor
        unit(2, "a", housing=1.0),  # c = 0.2 < k: not poor, deprivation censored
        unit(3, "b", housing=0.5, education=1.0, health=1.0),  # c = 0.6: poor
        unit(1, "b"),
    ]
    m = measure(units, W, 0.5, 0.4)
    assert m.persons == 10
    assert m.H == pytest.approx(0.7)  # 7 of 10 persons
    assert m.A == pytest.approx((4 * 0.4 + 3 * 0.6) / 7)
    assert m.M0 == pytest.approx(0.34) and m.M0 == pytest.approx(m.H * m.A)
    assert m.censored_headcount["housing"] == pytest.approx(0.7)
    assert m.censored_headcount["health"] == pytest.approx(0.7)
    assert m.censored_headcount["education"] == pytest.approx(0.3)
    assert m.censored_headcount["labour"] == 0
    assert m.contribution["housing"] == pytest.approx(0.2 * 0.7 / 0.34)
    assert sum(m.contribution.values()) == pytest.approx(1)
    groups = by_group(units, W, 0.5, 0.4)
    assert groups["a"][0].M0 == pytest.approx(1.6 / 6)
    assert groups["b"][0].M0 == pytest.approx(1.8 / 4)
    assert groups["a"][1] == pytest.approx(0.6 * (1.6 / 6) / 0.34)
    assert sum(share for _, share in groups.values()) == pytest.approx(1)


def test_no_one_poor_and_no_one_at_all():
    m = measure([unit(3, housing=1.0)], W, 0.5, 0.4)
    assert (m.H, m.A, m.M0) == (0.0, 0.0, 0.0) and set(m.contribution.values()) == {0.0}
    assert measure([], W, 0.5, 0.4).persons == 0


units_st = st.lists(
    st.builds(
        unit,
        st.integers(1, 9),
        st.sampled_from("xyz"),
        housing=st.sampled_from([0.0, 0.5, 1.0]),
        production=st.sampled_from([0.0, 0.5, 1.0]),
        labour=st.sampled_from([0.0, 0.5, 1.0]),
        education=st.sampled_from([0.0, 0.5, 1.0]),
        health=st.sampled_from([0.0, 0.5, 1.0]),
    ),
    min_size=1,
    max_size=12,
)


@given(units_st, st.sampled_from([0.2, 0.4, 0.6, 1.0]), st.data())
def test_dimensional_monotonicity(units, k, data):
    before = measure(units, W, 0.5, k)
    i = data.draw(st.integers(0, len(units) - 1))
    look = data.draw(st.sampled_from(LOOKS))
    u = units[i]
    poor = sum(0.2 for d in LOOKS if u.deprivations[d] >= 0.5) >= k - 1e-9
    if not poor or u.deprivations[look] >= 0.5:
        return
    worse = [*units[:i], unit(u.persons, u.group, **{**u.deprivations, look: 1.0}), *units[i + 1 :]]
    assert measure(worse, W, 0.5, k).M0 > before.M0 - 1e-12


@given(units_st, st.sampled_from([0.2, 0.4, 0.6]))
def test_decompositions_sum_to_the_whole(units, k):
    whole = measure(units, W, 0.5, k)
    groups = by_group(units, W, 0.5, k)
    weighted = sum(m.persons * m.M0 for m, _ in groups.values()) / whole.persons
    assert weighted == pytest.approx(whole.M0)
    if whole.M0 > 0:
        assert sum(s for _, s in groups.values()) == pytest.approx(1)
        assert sum(whole.contribution.values()) == pytest.approx(1)
    assert whole.M0 == pytest.approx(whole.H * whole.A)

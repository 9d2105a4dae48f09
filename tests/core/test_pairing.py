"""core.pairing: the pure pairing decision, with plain values and property tests."""

import random
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from fupin_cli.core.codes import CadreRank
from fupin_cli.core.pairing import (
    Cadre,
    EndReason,
    Household,
    Pair,
    Student,
    plan_pairs,
)

CAP = {
    CadreRank.MUNICIPAL: 5,
    CadreRank.COUNTY: 5,
    CadreRank.SECTION: 4,
    CadreRank.GENERAL: 3,
    CadreRank.TEACHER: 3,
}
GENERAL, TEACHER, SECTION = CadreRank.GENERAL, CadreRank.TEACHER, CadreRank.SECTION


def hh(i, village=1, township=1):
    return Household(i, village, township)


def as_existing(plan, start=1):
    """The plan's pairs as they are stored after the run (with ids)."""
    pairs = plan.keep + plan.add
    return [
        p if p.id is not None else Pair(p.cadre_id, p.household_id, p.person_id, start + i)
        for i, p in enumerate(pairs)
    ]


def by_household(plan):
    return {p.household_id: p.cadre_id for p in plan.keep + plan.add if p.person_id is None}


def by_student(plan):
    return {p.person_id: p.cadre_id for p in plan.keep + plan.add if p.person_id is not None}


def test_everyone_paired_when_capacity_allows_and_load_balanced():
    cadres = [Cadre(1, GENERAL, township_id=1), Cadre(2, GENERAL, township_id=1)]
    plan = plan_pairs(cadres, [hh(i) for i in range(1, 5)], [], [], CAP)
    assert by_household(plan) == {1: 1, 2: 2, 3: 1, 4: 2}  # least loaded, then lowest id
    assert plan.unpaired_households == [] and plan.shortfall == {}
    assert plan.load == {1: 2, 2: 2}
    assert all(p.kind == "household" for p in plan.add)


def test_students_get_a_teacher_first_even_from_another_township():
    cadres = [
        Cadre(1, SECTION, township_id=1),
        Cadre(2, TEACHER, is_teacher=True, township_id=2),
    ]
    students = [Student("S1", 1), Student("S2", 1)]
    plan = plan_pairs(cadres, [hh(1, township=1)], students, [], CAP)
    assert by_student(plan) == {"S1": 2, "S2": 2}
    assert by_household(plan) == {1: 1}  # the household keeps its local cadre
    assert {p.kind for p in plan.add} == {"household", "student"}


def test_teacher_of_the_same_township_before_a_teacher_elsewhere():
    cadres = [
        Cadre(1, TEACHER, is_teacher=True, township_id=2),
        Cadre(2, TEACHER, is_teacher=True, township_id=1),
    ]
    plan = plan_pairs(cadres, [hh(1, township=1)], [Student("S1", 1)], [], CAP)
    assert by_student(plan) == {"S1": 2}


def test_students_fall_back_to_other_cadres_when_teachers_are_full():
    cadres = [Cadre(1, TEACHER, is_teacher=True, township_id=1), Cadre(2, GENERAL, township_id=1)]
    students = [Student(f"S{i}", 1) for i in range(4)]
    plan = plan_pairs(cadres, [hh(1)], students, [], CAP)
    assert sorted(by_student(plan).values()) == [1, 1, 1, 2]
    assert by_household(plan) == {1: 2}


def test_backing_unit_before_township_before_county():
    cadres = [
        Cadre(1, GENERAL, township_id=1),  # same township
        Cadre(2, GENERAL, township_id=None, unit_id=77),  # county unit backing village 10
        Cadre(3, GENERAL, township_id=2),  # another township
    ]
    households = [hh(1, village=10, township=1), hh(2, village=11, township=1)]
    plan = plan_pairs(cadres, households, [], [], CAP, backing={10: {77}})
    assert by_household(plan) == {1: 2, 2: 1}
    # the same township is preferred over the least-loaded cadre elsewhere
    more = [hh(i, village=11, township=1) for i in range(3, 6)]
    plan = plan_pairs(cadres, households + more, [], [], CAP, backing={10: {77}})
    assert [by_household(plan)[i] for i in (2, 3, 4)] == [1, 1, 1]
    assert by_household(plan)[5] == 3  # township 1 is full: county-wide, least loaded


def test_local_households_are_served_before_remote_ones_take_the_capacity():
    # township 2's household comes first by id, but township 1's cadre stays for township 1
    cap = {**CAP, GENERAL: 1}
    plan = plan_pairs(
        [Cadre(1, GENERAL, township_id=1)],
        [hh(1, 1, township=2), hh(2, 2, township=1)],
        [],
        [],
        cap,
    )
    assert by_household(plan) == {2: 1}
    assert plan.unpaired_households == [1] and plan.shortfall == {2: (1, 0)}


def test_capacity_shortfall_reported_by_township():
    cadres = [Cadre(1, GENERAL, township_id=1)]
    households = [hh(i, township=1 + (i > 3)) for i in range(1, 7)]
    plan = plan_pairs(cadres, households, [Student("S", 6)], [], CAP)
    assert len(plan.add) == 3
    assert plan.unpaired_households == [4, 5, 6] and plan.unpaired_students == ["S"]
    assert plan.shortfall == {2: (3, 1)}
    assert plan.load == {1: 3}


def test_valid_pairs_are_kept_and_nothing_else_happens():
    cadres = [Cadre(1, GENERAL, township_id=1), Cadre(2, GENERAL, township_id=1)]
    existing = [Pair(2, 1, None, 10), Pair(2, 1, "S1", 11)]
    plan = plan_pairs(cadres, [hh(1)], [Student("S1", 1)], existing, CAP)
    assert plan.keep == existing and plan.add == [] and plan.end == []


def test_pairs_end_with_their_reason_and_gaps_are_refilled():
    cadres = [
        Cadre(1, GENERAL, township_id=1),
        Cadre(2, GENERAL, in_post=False, township_id=1),
        Cadre(3, GENERAL, township_id=1),
    ]
    existing = [
        Pair(1, 9, None, 1),  # household 9 exited
        Pair(2, 1, None, 2),  # cadre 2 left their post
        Pair(1, 2, "S-old", 3),  # no longer a student
        Pair(1, 2, None, 4),
        Pair(3, 2, None, 5),  # a second household pair
        Pair(1, 2, "S2", 6),
        Pair(3, 2, "S2", 7),  # a second pair for the same student
        Pair(1, 3, "S3", 8),
        Pair(1, 2, "S4", 9),  # S4 now lives in household 3
    ]
    students = [Student("S2", 2), Student("S3", 3), Student("S4", 3)]
    plan = plan_pairs(cadres, [hh(1), hh(2), hh(3)], students, existing, CAP)
    reasons = {e.pair.id: e.reason for e in plan.end}
    assert reasons == {
        1: EndReason.HOUSEHOLD_LEFT,
        2: EndReason.CADRE_LEFT,
        3: EndReason.NOT_STUDENT,
        5: EndReason.DUPLICATE,
        7: EndReason.DUPLICATE,
        9: EndReason.NOT_STUDENT,
    }
    assert [p.id for p in plan.keep] == [4, 6, 8]
    assert by_household(plan) == {1: 3, 2: 1, 3: 3}
    assert by_student(plan) == {"S2": 1, "S3": 1, "S4": 3}
    assert all(plan.load[c] <= CAP[GENERAL] for c in plan.load)


def test_a_shrunk_capacity_ends_the_newest_pairs_first():
    cadres = [Cadre(1, SECTION, township_id=1), Cadre(2, GENERAL, township_id=1)]
    existing = [Pair(1, i, None, 100 - i) for i in range(1, 5)]  # ids 99, 98, 97, 96
    cap = {**CAP, SECTION: 2}
    plan = plan_pairs(cadres, [hh(i) for i in range(1, 5)], [], existing, cap)
    assert sorted(p.id for p in plan.keep) == [96, 97]
    assert {e.pair.id: e.reason for e in plan.end} == {
        98: EndReason.OVER_CAPACITY,
        99: EndReason.OVER_CAPACITY,
    }
    assert by_household(plan) == {1: 2, 2: 2, 3: 1, 4: 1}


def test_deterministic_whatever_the_input_order():
    rng = random.Random(7)
    cadres = [
        Cadre(i, rng.choice(list(CadreRank)), True, rng.random() < 0.3, rng.randrange(3))
        for i in range(20)
    ]
    households = [hh(i, village=i % 5, township=(i % 5) % 3) for i in range(60)]
    students = [Student(f"S{i}", rng.randrange(60)) for i in range(15)]
    first = plan_pairs(cadres, households, students, [], CAP, {1: {3}})
    for _ in range(3):
        rng.shuffle(cadres), rng.shuffle(households), rng.shuffle(students)
        again = plan_pairs(cadres, households, students, [], CAP, {1: {3}})
        assert again.add == first.add and again.unpaired_students == first.unpaired_students


# -- properties on random inputs --------------------------------------------------------------


@st.composite
def worlds(draw):
    n_towns = draw(st.integers(1, 4))
    cadres = [
        Cadre(
            i,
            draw(st.sampled_from(list(CadreRank))),
            draw(st.booleans()) or draw(st.booleans()),  # mostly in post
            draw(st.booleans()),
            draw(st.one_of(st.none(), st.integers(0, n_towns - 1))),
            draw(st.one_of(st.none(), st.integers(0, 3))),
        )
        for i in range(draw(st.integers(0, 12)))
    ]
    n_villages = draw(st.integers(1, 6))
    households = [
        hh(i, village=(v := draw(st.integers(0, n_villages - 1))), township=v % n_towns)
        for i in range(draw(st.integers(0, 30)))
    ]
    students = [
        Student(f"S{i}", draw(st.integers(0, 35)))  # some in households no longer registered
        for i in range(draw(st.integers(0, 12)))
    ]
    existing = [
        Pair(
            draw(st.integers(0, 14)),
            draw(st.integers(0, 35)),
            draw(st.one_of(st.none(), st.sampled_from([s.id for s in students] or ["X"]))),
            pid,
        )
        for pid in range(draw(st.integers(0, 15)))
    ]
    backing = {v: set(draw(st.lists(st.integers(0, 3), max_size=2))) for v in range(n_villages)}
    cap = {r: draw(st.integers(0, 4)) for r in CadreRank}
    return cadres, households, students, existing, cap, backing


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_properties(world):
    cadres, households, students, existing, cap, backing = world
    plan = plan_pairs(cadres, households, students, existing, cap, backing)
    cadre = {c.id: c for c in cadres}

    # the shell passes the driver's plain rows: the same decision, named tuples out
    rows = [[tuple(x) for x in xs] for xs in (households, students, existing)]
    cadre_rows = [(c.id, c.rank.value, int(c.in_post), int(c.is_teacher), *c[4:]) for c in cadres]
    plain = plan_pairs(cadre_rows, *rows, cap, backing)
    assert (plain.keep, plain.add, plain.end, plain.load, plain.shortfall) == (
        plan.keep,
        plan.add,
        plan.end,
        plan.load,
        plan.shortfall,
    )
    assert (plain.unpaired_households, plain.unpaired_students) == (
        plan.unpaired_households,
        plan.unpaired_students,
    )
    assert all(type(p) is Pair for p in plain.add + [e.pair for e in plain.end])

    # pairs read without their ids, oldest first: the same decision
    bare = plan_pairs(
        cadres,
        households,
        students,
        [p[:3] for p in sorted(existing, key=lambda p: p.id)],
        cap,
        backing,
    )
    assert bare.add == plan.add and bare.load == plan.load
    assert [(e.pair[:3], e.reason) for e in bare.end] == [(e.pair[:3], e.reason) for e in plan.end]
    registered = {h.id for h in households}
    student_home = {s.id: s.household_id for s in students if s.household_id in registered}
    pairs = plan.keep + plan.add

    # every existing pair is either kept or ended, once
    assert sorted([p.id for p in plan.keep] + [e.pair.id for e in plan.end]) == sorted(
        p.id for p in existing
    )

    # constraints: in-post cadres only, never above capacity, registered households only
    load: dict[int, int] = {}
    for p in pairs:
        assert p.cadre_id in cadre and cadre[p.cadre_id].in_post
        assert p.household_id in registered
        if p.person_id is not None:
            assert student_home[p.person_id] == p.household_id
        load[p.cadre_id] = load.get(p.cadre_id, 0) + 1
    for cid, n in load.items():
        assert n <= cap[cadre[cid].rank]
    assert plan.load == load

    # one cadre per household and per student; all covered unless capacity is exhausted
    household_pairs = [p.household_id for p in pairs if p.person_id is None]
    student_pairs = [p.person_id for p in pairs if p.person_id is not None]
    assert len(household_pairs) == len(set(household_pairs))
    assert len(student_pairs) == len(set(student_pairs))
    assert set(household_pairs) | set(plan.unpaired_households) == registered
    assert set(student_pairs) | set(plan.unpaired_students) == set(student_home)
    full = all(load.get(c.id, 0) >= cap[c.rank] for c in cadres if c.in_post)
    if plan.unpaired_households or plan.unpaired_students:
        assert full
        assert sum(h + s for h, s in plan.shortfall.values()) == len(
            plan.unpaired_households
        ) + len(plan.unpaired_students)

    # a new student pair with a non-teacher means every teacher was full
    if any(p.person_id and not cadre[p.cadre_id].is_teacher for p in plan.add):
        assert all(load.get(c.id, 0) >= cap[c.rank] for c in cadres if c.in_post and c.is_teacher)

    # a new household pair outside the backing units and the township means both were full
    home = {h.id: h for h in households}
    for p in plan.add:
        if p.person_id is not None:
            continue
        h, c = home[p.household_id], cadre[p.cadre_id]
        if c.unit_id in backing.get(h.village_id, ()) or c.township_id == h.township_id:
            continue
        for other in cadres:
            near = other.unit_id in backing.get(h.village_id, ()) or (
                other.township_id == h.township_id
            )
            if near and other.in_post:
                assert load.get(other.id, 0) >= cap[other.rank]

    # stable: the same world with the result stored changes nothing
    again = plan_pairs(cadres, households, students, as_existing(plan, 1000), cap, backing)
    assert again.add == [] and again.end == []
    assert again.unpaired_households == plan.unpaired_households


def test_county_scale_is_fast():
    rng = random.Random(1)
    ranks = list(CadreRank)
    cap = {r: c + 3 for r, c in CAP.items()}
    households = [hh(i, village=i % 451, township=(i % 451) % 40) for i in range(25_000)]
    students = [Student(f"S{i}", rng.randrange(25_000)) for i in range(8_000)]
    cadres = [
        Cadre(i, rng.choice(ranks), True, rng.random() < 0.3, rng.randrange(40), rng.randrange(151))
        for i in range(6_500)
    ]
    backing = {v: {rng.randrange(151)} for v in range(66)}
    started = time.perf_counter()
    plan = plan_pairs(cadres, households, students, [], cap, backing)
    first = time.perf_counter() - started
    assert len(plan.add) == 33_000 and not plan.unpaired_households
    started = time.perf_counter()
    again = plan_pairs(cadres, households, students, as_existing(plan), cap, backing)
    rerun = time.perf_counter() - started
    assert len(again.keep) == 33_000 and not again.add
    assert first < 2.0 and rerun < 1.0, (first, rerun)

"""结对帮联: which cadre is responsible for which household and which student — a pure function.

``plan_pairs`` takes plain values (cadres, registered households, students, the pairs in force,
the villages' backing units, the policy) and returns the pairs to keep, to add and to end.

Rules (DESIGN.md §7, issue 5):

* Goal: every registered household has one responsible cadre (kind ``household``); every student
  (小学 and above) in a registered household has one cadre (kind ``student``), a teacher first.
* Constraints: only cadres in post; a cadre never holds more pairs than their rank's capacity
  (households and students count alike).
* A pair in force is kept while it is valid: its household is registered, its student is still a
  student of that household, its cadre is in post, it is not a second pair for the same household
  or student, and its cadre is within capacity (when the capacity shrank, the oldest pairs stay).
  So a re-run with nothing changed keeps everything and adds nothing.
* New pairs prefer, in order: a cadre of a unit backing the household's village (后盾单位), a
  cadre of the same township, then any cadre; within a tier the least-loaded cadre (fewest pairs,
  then lowest id). Students try teachers through the same tiers before anyone else.
* Local before remote for everyone, so a township's cadres serve their own township first:
  students → teachers (local, then county-wide); households → local; students → local;
  households → county-wide; students → county-wide.

Cost: O((H + S + P) log C) with one lazy heap per (tier, unit/township) bucket.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import compress, repeat
from operator import gt, is_, itemgetter, mul, not_
from typing import NamedTuple

from fupin_cli.core.codes import CadreRank


class EndReason(StrEnum):
    """Why a pair in force ends (pairing.end_reason)."""

    HOUSEHOLD_LEFT = "户已不在册 household no longer registered"
    NOT_STUDENT = "不再是在校生 no longer a student of this household"
    CADRE_LEFT = "干部不在岗 cadre no longer in post"
    OVER_CAPACITY = "超出帮扶能力 over the cadre's capacity"
    DUPLICATE = "重复结对 a second pair for the same household or student"


# The inputs are named tuples: county-sized lists of them cost little to build.


class Cadre(NamedTuple):
    id: int
    rank: CadreRank
    in_post: bool = True
    is_teacher: bool = False
    township_id: int | None = None
    unit_id: int | None = None


class Household(NamedTuple):
    """A registered household (已识别/预脱贫/返贫) and where it lives."""

    id: int
    village_id: int
    township_id: int


class Student(NamedTuple):
    """A student (小学 and above) of a registered household, by 身份证号."""

    id: str
    household_id: int


class Pair(NamedTuple):
    """A pairing: ``person_id`` None for the household pair, the student's ID for a student pair.
    ``id`` is the stored pairing's id (None for a new pair)."""

    cadre_id: int
    household_id: int
    person_id: str | None = None
    id: int | None = None

    @property
    def kind(self) -> str:
        return "household" if self.person_id is None else "student"


@dataclass(frozen=True, slots=True)
class Ended:
    pair: Pair
    reason: EndReason


@dataclass
class PairingPlan:
    """What to do: pairs in force to keep and to end (with the reason), new pairs to add, and
    who is left without a cadre when capacity runs short."""

    keep: list[Pair] = field(default_factory=list)  # as given when all hold (rows stay rows)
    add: list[Pair] = field(default_factory=list)
    end: list[Ended] = field(default_factory=list)
    unpaired_households: list[int] = field(default_factory=list)
    unpaired_students: list[str] = field(default_factory=list)
    load: dict[int, int] = field(default_factory=dict)  # cadre id -> pairs in force afterwards
    # township id -> (households, students) left without a cadre: the capacity shortfall
    shortfall: dict[int, tuple[int, int]] = field(default_factory=dict)


def plan_pairs(
    cadres: Iterable[Cadre],
    households: Iterable[Household],
    students: Iterable[Student],
    existing: Iterable[Pair],
    capacity: Mapping[CadreRank, int],
    backing: Mapping[int, Collection[int]] | None = None,
) -> PairingPlan:
    """Decide the pairs. ``capacity`` is ``policy.assign.capacity``; ``backing`` maps a village
    id to the unit ids backing its current work team. Deterministic for the same input.

    Cadres, households, students and pairs may come as plain tuples in their named tuple's field
    order, a cadre's rank as its label (CadreRank is a StrEnum: both are the same key of
    ``capacity``) — the shell passes the driver's rows as they are; only the ones that need a
    decision are made named tuples here. Pairs without their stored id count as given in age
    order, oldest first (the shell reads them ordered by id)."""
    backing = backing or {}
    # County-sized lists: the passes over them below are C-level map/zip/compress wherever the
    # logic allows, and sorting waits until someone needs a cadre (a re-run with nothing changed
    # is little more than these passes).
    cadre_list = sorted(cadres, key=_ID)
    households = list(households)
    home = dict(zip(map(_ID, households), households, strict=True))  # one entry per id
    students = list(students)
    student_list = list(compress(students, map(home.__contains__, map(_HOME, students))))
    student_home = dict(zip(map(_ID, student_list), map(_HOME, student_list), strict=True))
    if len(student_home) != len(student_list):  # one entry per student: the first by home, id
        seen: set[str] = set()
        student_list.sort(key=_HOME_ID)
        student_list = [s for s in student_list if not (s[0] in seen or seen.add(s[0]))]
        student_home = dict(zip(map(_ID, student_list), map(_HOME, student_list), strict=True))
    pairs = list(existing)
    # capacity by cadre: the rank's, or 0 for a cadre not in post
    cap = dict(
        zip(
            map(_ID, cadre_list),
            map(
                mul, map(capacity.get, map(_RANK, cadre_list), repeat(0)), map(_IN_POST, cadre_list)
            ),
            strict=True,
        )
    )

    # 1. The pairs in force: keep the valid ones, end the rest (the oldest pair wins).
    plan = PairingPlan()
    load = dict.fromkeys(cap, 0)
    valid = _all_valid(pairs, home, student_home, cap)
    if valid is not None:  # the usual re-run: every pair still holds, checked in bulk
        kept_load, paired_households, paired_students = valid
        plan.keep = pairs
        load.update(kept_load)
    else:
        pairs = [Pair(*p) for p in pairs]  # a stored pair may come without its id
        pairs.sort(key=_age)  # stable: pairs without an id keep the order given
        in_post = set(compress(map(_ID, cadre_list), map(_IN_POST, cadre_list)))
        paired_households, paired_students = _keep_or_end(
            pairs, plan, home, student_home, in_post, cap, load
        )

    # 2. Fill the gaps, phase by phase: (who, which cadres, how far). The paired sets hold only
    # registered households and current students, so equal sizes mean nobody is waiting.
    waiting_students: list[Student] = (
        []
        if len(paired_students) == len(student_list)
        else _named(
            Student,
            sorted((s for s in student_list if s[0] not in paired_students), key=_HOME_ID),
        )
    )
    waiting_households: list[Household] = (
        []
        if len(paired_households) == len(home)
        else _named(
            Household,
            sorted((h for h in home.values() if h[0] not in paired_households), key=_ID),
        )
    )
    open_cadres: list[Cadre] = (
        _named(Cadre, [c for c in cadre_list if load[c[0]] < cap[c[0]]])
        if waiting_students or waiting_households
        else []
    )
    for students_turn, teachers_only, near in _PHASES:
        waiting = waiting_students if students_turn else waiting_households
        if not waiting:
            continue
        pool = _Pool(open_cadres, load, cap, teachers_only=teachers_only, near=near)
        if not pool.room:
            continue
        homes = (
            _named(Household, [home[s.household_id] for s in waiting]) if students_turn else waiting
        )
        left = []
        add = plan.add
        for item, h, cid in zip(waiting, homes, pool.serve(homes, backing), strict=True):
            if cid is None:
                left.append(item)
            elif students_turn:
                add.append(Pair(cid, h.id, item.id))
            else:
                add.append(Pair(cid, h.id))
        if students_turn:
            waiting_students = left
        else:
            waiting_households = left

    plan.unpaired_households = [h.id for h in waiting_households]
    plan.unpaired_students = [s.id for s in waiting_students]
    short: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for h in waiting_households:
        short[h.township_id][0] += 1
    for s in waiting_students:
        short[Household._make(home[s.household_id]).township_id][1] += 1
    plan.shortfall = {t: (n[0], n[1]) for t, n in sorted(short.items())}
    plan.load = {cid: n for cid, n in load.items() if n}
    return plan


# Fields by position, so that plain rows serve as well as named tuples.
_ID = itemgetter(0)  # Cadre.id, Household.id, Student.id
_HOME = itemgetter(1)  # Student.household_id
_HOME_ID = itemgetter(1, 0)  # Student: (household_id, id)
_RANK = itemgetter(1)  # Cadre.rank
_IN_POST = itemgetter(2)  # Cadre.in_post


def _all_valid(
    pairs: list[Pair],
    home: Mapping[int, Household],
    student_home: Mapping[str, int],
    cap: Mapping[int, int],
) -> tuple[Counter[int], set[int], set[str]] | None:
    """(load per cadre, paired households, paired students) when every pair in force is still
    valid, else None: the answer of ``_keep_or_end`` keeping them all, in C-level passes."""
    if not pairs:
        return Counter(), set(), set()
    cadre_ids, household_ids, person_ids = list(zip(*pairs, strict=True))[:3]  # columns, in C
    load = Counter(cadre_ids)
    if any(map(gt, load.values(), map(cap.get, load, repeat(0)))):
        return None  # also catches cadres unknown or not in post (capacity 0)
    of_household = list(map(is_, person_ids, repeat(None)))
    households = list(compress(household_ids, of_household))
    paired_households = set(households)
    if len(paired_households) != len(households) or not home.keys() >= paired_households:
        return None
    students = list(filter(None, person_ids))
    paired_students = set(students)
    if len(paired_students) != len(students):
        return None
    homes = list(compress(household_ids, map(not_, of_household)))
    if list(map(student_home.get, students)) != homes:
        return None
    return load, paired_households, paired_students


def _keep_or_end(
    pairs: list[Pair],
    plan: PairingPlan,
    home: Mapping[int, Household],
    student_home: Mapping[str, int],
    in_post: set[int],
    cap: Mapping[int, int],
    load: dict[int, int],
) -> tuple[set[int], set[str]]:
    """Keep the valid pairs in force and end the rest, the oldest pair first."""
    paired_households: set[int] = set()
    paired_students: set[str] = set()
    keep, end = plan.keep, plan.end
    for p in pairs:
        cid, hid, sid, _id = p
        if hid not in home:
            reason = EndReason.HOUSEHOLD_LEFT
        elif sid is not None and student_home.get(sid) != hid:
            reason = EndReason.NOT_STUDENT
        elif cid not in in_post:
            reason = EndReason.CADRE_LEFT
        elif (hid in paired_households) if sid is None else (sid in paired_students):
            reason = EndReason.DUPLICATE
        elif load[cid] >= cap[cid]:
            reason = EndReason.OVER_CAPACITY
        else:
            keep.append(p)
            load[cid] += 1
            if sid is None:
                paired_households.add(hid)
            else:
                paired_students.add(sid)
            continue
        end.append(Ended(p, reason))
    return paired_households, paired_students


def _named(kind: type, rows: Iterable[tuple]) -> list:
    """``rows`` as named tuples of ``kind`` (same field order), with no Python call per row."""
    return list(map(tuple.__new__, repeat(kind), rows))


def _age(p: Pair) -> tuple[bool, int]:
    """Oldest first: by stored id, then the pairs without one in the order given."""
    return (p.id is None, p.id or 0)


Heap = list[tuple[int, int]]  # (load, cadre id), a min-heap

# (students' turn?, teachers only?, near: backing unit then township — else county-wide)
_PHASES = (
    (True, True, True),
    (True, True, False),
    (False, False, True),
    (True, False, True),
    (False, False, False),
    (True, False, False),
)


class _Pool:
    """The cadres with room for one phase, in lazy min-heaps of (load, cadre id) per bucket.

    A heap entry is current while its load equals the cadre's load; taking a cadre raises the
    load and pushes a fresh entry into each of the cadre's heaps, so stale entries are dropped
    when they reach the top. Each phase builds only the heaps it uses.
    """

    def __init__(
        self,
        cadres: Sequence[Cadre],
        load: dict[int, int],
        cap: Mapping[int, int],
        *,
        teachers_only: bool,
        near: bool,
    ) -> None:
        self.load, self.cap, self.near = load, cap, near
        self.units: dict[int, Heap] = defaultdict(list)
        self.towns: dict[int, Heap] = defaultdict(list)
        self.county: Heap = []
        self.mine: dict[int, list[Heap]] = {}  # cadre id -> their heaps
        self.room = 0
        for c in cadres:
            n = load[c.id]
            if n >= cap[c.id] or (teachers_only and not c.is_teacher):
                continue
            if near:
                heaps = []
                if c.unit_id is not None:
                    heaps.append(self.units[c.unit_id])
                if c.township_id is not None:
                    heaps.append(self.towns[c.township_id])
            else:
                heaps = [self.county]
            if not heaps:
                continue
            entry = (n, c.id)
            for heap in heaps:
                heap.append(entry)
            self.mine[c.id] = heaps
            self.room += cap[c.id] - n
        for heap in (*self.units.values(), *self.towns.values(), self.county):
            heapq.heapify(heap)

    def tiers(
        self, village_id: int, township_id: int, backing: Mapping[int, Collection[int]]
    ) -> list[list[Heap]]:
        """The heaps a household of this village tries, tier by tier (empty ones left out)."""
        if not self.near:
            return [[self.county]]
        units = sorted(backing.get(village_id, ()))
        tiers = [
            [self.units[u] for u in units if u in self.units],
            [self.towns[township_id]] if township_id in self.towns else [],
        ]
        return [tier for tier in tiers if tier]

    def serve(
        self, homes: Sequence[Household], backing: Mapping[int, Collection[int]]
    ) -> list[int | None]:
        """For each household in turn, the least-loaded cadre of the first tier that has one
        (their load goes up by one), or None. One loop with everything local: it runs ~33,000
        times a county."""
        load, cap, mine = self.load, self.cap, self.mine
        pop, push = heapq.heappop, heapq.heappush
        cache: dict[tuple[int, int], list[list[Heap]]] = {}
        chosen: list[int | None] = []
        for h in homes:
            key = (h.village_id, h.township_id)
            tiers = cache.get(key)
            if tiers is None:
                tiers = cache[key] = self.tiers(key[0], key[1], backing)
            cid = None
            for tier in tiers:
                best = None
                for heap in tier:
                    while heap:
                        top = heap[0]
                        n, c = top
                        if n == load[c] and n < cap[c]:
                            if best is None or top < best:
                                best = top
                            break
                        pop(heap)
                if best is not None:
                    n, cid = best
                    n += 1
                    load[cid] = n
                    self.room -= 1
                    if n < cap[cid]:
                        entry = (n, cid)
                        for heap in mine[cid]:
                            push(heap, entry)
                    break
            chosen.append(cid)
        return chosen

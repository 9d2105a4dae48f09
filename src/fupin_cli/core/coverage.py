"""Measures delivered (帮扶措施落实): what a household's plan promised against its records.

Facts of one household in — its members, its current plan (the category and measures classify
gave it), its measure records — and a date; out comes a ``Coverage``:

- **planned / delivered**: a measure (one of the four categories or five measures) is planned
  when the plan holds it, and delivered when the household has at least one record of it up to
  the date; a record naming a member counts for the household too.
- **training** (技能培训): every labourer — a member of working age at the date, able to work
  (普通劳动力/技能劳动力) and not in school — has a 技能培训 record naming them, at least once.
- **employment** (就业): a household with a labourer not in work (务工状况 其他, or blank unless
  the policy makes a blank unknown — the same meaning classify's 转移就业 uses) has at least one
  member in work (务工状况 乡内/乡外县内/县外省内/省外务工) or a 转移就业 record.
- **student aid** (教育资助): every student (在校生状况 小学 and above) has a 教育资助 record naming
  them in the school year (1 September – 31 August) that holds the date, dated up to it.

A record without a person (no 身份证号) counts for the household only, never for a member.
Nothing here reads a clock, a file or a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from fupin_cli.core.codes import Category, LabourSkill, Measure, SchoolStatus, WorkStatus
from fupin_cli.core.idcard import age_on

# Everything a plan can hold, in the order reports show it: the four categories, then the measures.
PLANNABLE: tuple[str, ...] = (*(c.value for c in Category), *(m.value for m in Measure))

_ABLE = frozenset(s.value for s in LabourSkill if s.able)
_STUDENT = frozenset(s.value for s in SchoolStatus if s.is_student)
_IN_WORK = frozenset(w.value for w in WorkStatus if w.employed)
_TRAINING = Measure.SKILLS_TRAINING.value
_AID = Measure.EDUCATION_AID.value
_JOB = Measure.JOB_TRANSFER.value


class Member(NamedTuple):
    """One member, with coded values as their labels (as the register stores them)."""

    id_number: str
    name: str
    birth_date: date
    labour_skill: str | None = None
    school_status: str | None = None
    work_status: str | None = None


class Record(NamedTuple):
    """One line of the 帮扶措施落实台账: a measure delivered on a day, to a member or the household."""

    date: date
    measure: str  # a Category or Measure label
    person_id: str | None = None


class Coverage(NamedTuple):
    planned: tuple[str, ...]  # in PLANNABLE order
    delivered: tuple[str, ...]  # every measure with a record up to the date, in PLANNABLE order
    labourers: tuple[Member, ...]
    untrained: tuple[Member, ...]
    in_work: bool  # a member in work or a 转移就业 record (whether or not it has labourers)
    idle: tuple[Member, ...]  # labourers known not to be in work
    students: tuple[Member, ...]
    unaided: tuple[Member, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        """Planned and not delivered."""
        return tuple(m for m in self.planned if m not in self.delivered)

    @property
    def needs_employment(self) -> bool:
        """A household with a labourer not in work, and nobody in work."""
        return bool(self.idle) and not self.in_work


def school_year(day: date) -> tuple[date, date]:
    """The school year (1 September – 31 August) that holds ``day``."""
    start = day.year if day.month >= 9 else day.year - 1
    return date(start, 9, 1), date(start + 1, 8, 31)


def is_labourer(member: Member, on: date, working_age: tuple[int, int]) -> bool:
    lo, hi = working_age
    return (
        member.labour_skill in _ABLE
        and member.school_status not in _STUDENT
        and lo <= age_on(member.birth_date, on) <= hi
    )


def coverage(
    members: Iterable[Member],
    plan: Iterable[str],
    records: Iterable[Record],
    on: date,
    working_age: tuple[int, int],
    blank_work_unknown: bool = False,
) -> Coverage:
    """One household's coverage on day ``on``; records after ``on`` do not count.

    ``blank_work_unknown``: a blank 务工状况 is unknown, not "not in work" (the policy's
    ``[classify] blank_work_status``)."""
    delivered_set: set[str] = set()
    trained: set[str] = set()
    aided: set[str] = set()
    year_start, _year_end = school_year(on)
    for r in records:
        if r.date > on:
            continue
        delivered_set.add(r.measure)
        if r.person_id is None:
            continue
        if r.measure == _TRAINING:
            trained.add(r.person_id)
        elif r.measure == _AID and r.date >= year_start:
            aided.add(r.person_id)
    labourers: list[Member] = []
    students: list[Member] = []
    in_work = _JOB in delivered_set
    for m in members:
        if m.school_status in _STUDENT:
            students.append(m)
        elif is_labourer(m, on, working_age):
            labourers.append(m)
        if m.work_status in _IN_WORK:
            in_work = True
    not_working = WorkStatus.not_in_work(blank_work_unknown)
    return Coverage(
        _in_order(frozenset(plan)),
        _in_order(frozenset(delivered_set)),
        tuple(labourers),
        tuple(m for m in labourers if m.id_number not in trained) if trained else tuple(labourers),
        in_work,
        tuple(m for m in labourers if m.work_status in not_working),
        tuple(students),
        tuple(m for m in students if m.id_number not in aided) if aided else tuple(students),
    )


@lru_cache(maxsize=4096)
def _in_order(measures: frozenset[str]) -> tuple[str, ...]:
    """``measures`` in PLANNABLE order (a county has few distinct sets: each is sorted once)."""
    return tuple(x for x in PLANNABLE if x in measures)

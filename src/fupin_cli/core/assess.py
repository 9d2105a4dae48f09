"""The county exit assessment (贫困县退出, 三率一度): the rates, their intervals and the test.

Over the surveyed households of a year's sample, persons counted by the household's 人数:

- 错退率 (``wrong_exit``): persons in surveyed exited (脱贫) households that do not meet the exit
  standard (verified income ≤ the line, or any of the five answers 否) ÷ persons in them;
- 漏评率 (``missed``): persons in surveyed never-registered households that meet the
  identification standard (verified income below the line, or 住房/义务教育/基本医疗 否) ÷ persons;
- 错评率 (``wrong_registration``): persons in surveyed registered households whose verified income
  is at least the line and all five answers 是 ÷ persons in them;
- 群众认可度 (``approval``): surveyed households answering 认可 是 ÷ surveyed households (the one
  rate counted in households);
- 综合贫困发生率 (``incidence``): (registered poor persons + 错退率 × exited persons + 漏评率 ×
  never-registered agricultural population) ÷ agricultural population. Its interval puts the two
  rates' interval ends into the same formula (the register's counts are taken as exact).

An answer left blank counts as 是 for the exit and identification standards (it gives no evidence
of a fault) and as not 认可 for approval; a blank verified income falls back on the register's.
Each rate has a Wilson score interval (z from the policy, 1.96 for 95 %); a rate with no surveyed
units is ``None``, and an exit condition that cannot be shown is unmet.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fupin_cli.core.policy import AssessPolicy

EXITED, REGISTERED, NEVER = "exited", "registered", "never"
STRATA = (EXITED, REGISTERED, NEVER)
STRATUM_LABELS = {EXITED: "脱贫", REGISTERED: "在册", NEVER: "非建档立卡"}

# the five 是/否 questions, in the survey's column order
QUESTIONS = ("food_clothing", "education", "medical", "housing", "water")
QUESTION_LABELS = {
    "food_clothing": "吃穿不愁",
    "education": "义务教育有保障",
    "medical": "基本医疗有保障",
    "housing": "住房安全有保障",
    "water": "饮水安全有保障",
}
# the questions whose 否 makes a never-registered household one that should have been identified
IDENTIFY_QUESTIONS = ("housing", "education", "medical")


@dataclass(frozen=True)
class Survey:
    """One surveyed household: its stratum, 人数, verified income and answers (None = blank)."""

    household_id: str
    stratum: str
    persons: int
    income_fen: int | None
    answers: Mapping[str, bool | None]
    approve: bool | None


@dataclass(frozen=True)
class Rate:
    value: float | None
    low: float | None
    high: float | None
    numerator: float
    denominator: int

    def as_dict(self) -> dict:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "numerator": self.numerator,
            "denominator": self.denominator,
        }


@dataclass(frozen=True)
class CountyFacts:
    registered_persons: int  # registered poor persons at the year's end
    exited_persons: int  # persons of the county's exited households
    never_agricultural: int  # agricultural population not in registered or exited households
    agricultural_population: int


@dataclass(frozen=True)
class Condition:
    name: str
    value: float | None
    threshold: float
    met: bool
    met_with_confidence: bool


@dataclass(frozen=True)
class Verdict:
    passed: bool
    conditions: tuple[Condition, ...]

    @property
    def unmet(self) -> tuple[Condition, ...]:
        return tuple(c for c in self.conditions if not c.met)


def wilson(successes: float, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson score interval of ``successes`` out of ``n``; None when n is 0."""
    if n <= 0:
        return None
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def rate(numerator: float, denominator: int, z: float = 1.96) -> Rate:
    interval = wilson(numerator, denominator, z)
    if interval is None:
        return Rate(None, None, None, numerator, denominator)
    return Rate(numerator / denominator, interval[0], interval[1], numerator, denominator)


def _no(s: Survey, questions: Sequence[str]) -> list[str]:
    return [q for q in questions if s.answers.get(q) is False]


def exit_faults(s: Survey, line_fen: int) -> list[str]:
    """Why an exited household does not meet the exit standard (empty when it does), in Chinese."""
    faults = []
    if s.income_fen is not None and s.income_fen <= line_fen:
        faults.append("核实人均纯收入不高于标准线")
    faults += [f"{QUESTION_LABELS[q]}:否" for q in _no(s, QUESTIONS)]
    return faults


def missed_faults(s: Survey, line_fen: int) -> list[str]:
    """Why a never-registered household meets the identification standard (empty if it doesn't)."""
    faults = []
    if s.income_fen is not None and s.income_fen < line_fen:
        faults.append("核实人均纯收入低于标准线")
    faults += [f"{QUESTION_LABELS[q]}:否" for q in _no(s, IDENTIFY_QUESTIONS)]
    return faults


def wrongly_registered(s: Survey, line_fen: int) -> bool:
    return (
        s.income_fen is not None
        and s.income_fen >= line_fen
        and all(s.answers.get(q) is not False for q in QUESTIONS)
    )


def rates(
    surveys: Sequence[Survey], line_fen: int, facts: CountyFacts, z: float = 1.96
) -> dict[str, Rate]:
    """The five rates of a year's survey; see the module text for each definition."""

    def persons(stratum: str, test) -> tuple[int, int]:
        group = [s for s in surveys if s.stratum == stratum]
        return sum(s.persons for s in group if test(s)), sum(s.persons for s in group)

    wrong_exit = rate(*persons(EXITED, lambda s: exit_faults(s, line_fen)), z)
    missed = rate(*persons(NEVER, lambda s: missed_faults(s, line_fen)), z)
    wrong_reg = rate(*persons(REGISTERED, lambda s: wrongly_registered(s, line_fen)), z)
    approval = rate(sum(1 for s in surveys if s.approve is True), len(surveys), z)
    return {
        "wrong_exit": wrong_exit,
        "missed": missed,
        "wrong_registration": wrong_reg,
        "approval": approval,
        "incidence": incidence(facts, wrong_exit, missed),
    }


def incidence(facts: CountyFacts, wrong_exit: Rate, missed: Rate) -> Rate:
    """综合贫困发生率 with the interval the two rates' interval ends give."""
    n = facts.agricultural_population
    if n <= 0 or wrong_exit.value is None or missed.value is None:
        return Rate(None, None, None, 0, n)

    def poor(we: float, mi: float) -> float:
        return facts.registered_persons + we * facts.exited_persons + mi * facts.never_agricultural

    value = poor(wrong_exit.value, missed.value)
    low, high = poor(wrong_exit.low, missed.low), poor(wrong_exit.high, missed.high)
    return Rate(value / n, min(1.0, low / n), min(1.0, high / n), round(value, 6), n)


def exit_test(r: Mapping[str, Rate], p: AssessPolicy) -> Verdict:
    """The county exit test: each rate below its ceiling (approval at least its floor).

    ``met`` judges the point estimate; ``met_with_confidence`` the interval's far end (the high end
    for a ceiling, the low end for a floor). A rate that could not be computed is unmet.
    """

    def below(name: str, limit: float) -> Condition:
        x = r[name]
        met = x.value is not None and x.value < limit
        return Condition(name, x.value, limit, met, met and x.high < limit)

    a = r["approval"]
    met = a.value is not None and a.value >= p.min_approval
    conditions = (
        below("incidence", p.max_incidence),
        below("wrong_exit", p.max_wrong_exit),
        below("missed", p.max_missed),
        Condition("approval", a.value, p.min_approval, met, met and a.low >= p.min_approval),
    )
    return Verdict(all(c.met for c in conditions), conditions)


# --- the sample ------------------------------------------------------------------------------


def split_villages(poor: int, other: int, n: int) -> tuple[int, int]:
    """How many poor and non-poor villages to draw: n in proportion, at least one of each kind
    that exists when n allows, never more than there are."""
    total = poor + other
    n = min(n, total)
    if total == 0:
        return 0, 0
    take_poor = round(n * poor / total)
    if poor and other and n >= 2:
        take_poor = min(max(take_poor, 1), n - 1)
    take_poor = min(take_poor, poor, n)
    return take_poor, min(n - take_poor, other)


def allocate(sizes: Mapping[str, int], n: int, least: int) -> dict[str, int]:
    """Split n draws over strata: ``least`` from each non-empty stratum (as far as it holds), the
    rest in proportion to the strata's sizes by largest remainder; never more than a stratum has."""
    take = {s: min(least, size) for s, size in sizes.items()}
    left = min(n, sum(sizes.values())) - sum(take.values())
    while left > 0:
        room = {s: sizes[s] - take[s] for s in sizes if sizes[s] > take[s]}
        total = sum(sizes[s] for s in room)
        shares = {s: left * sizes[s] / total for s in room}
        extra = {s: min(int(shares[s]), room[s]) for s in room}
        order = sorted(room, key=lambda s: (-(shares[s] - int(shares[s])), STRATA.index(s)))
        spare = left - sum(extra.values())
        for s in order:
            if spare <= 0:
                break
            if extra[s] < room[s]:
                extra[s] += 1
                spare -= 1
        if not any(extra.values()):
            break
        for s in room:
            take[s] += extra[s]
        left = min(n, sum(sizes.values())) - sum(take.values())
    return take


@dataclass(frozen=True)
class Drawn:
    village_id: str
    stratum: str
    household_id: str


def draw_sample(
    villages: Mapping[str, bool],
    households: Mapping[str, Mapping[str, Sequence[str]]],
    n_villages: int,
    per_village: int,
    least: int,
    seed: int,
) -> list[Drawn]:
    """A reproducible stratified sample: ``villages`` maps village id → poor village; households
    maps village id → stratum → household ids. Same arguments, same sample (inputs are sorted)."""
    rng = random.Random(seed)
    poor = sorted(v for v, is_poor in villages.items() if is_poor)
    other = sorted(v for v, is_poor in villages.items() if not is_poor)
    take_poor, take_other = split_villages(len(poor), len(other), n_villages)
    chosen = sorted(rng.sample(poor, take_poor) + rng.sample(other, take_other))
    out = []
    for v in chosen:
        strata = {s: sorted(households.get(v, {}).get(s, ())) for s in STRATA}
        counts = allocate({s: len(ids) for s, ids in strata.items()}, per_village, least)
        for s in STRATA:
            out += [Drawn(v, s, h) for h in sorted(rng.sample(strata[s], counts[s]))]
    return out

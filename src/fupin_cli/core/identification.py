"""Identification (精准识别): the five looks (五看法) + the income line + exclusion rules.

Each look gives a deprivation in [0, 1] from roster facts; the score is their weighted mean
(Alkire–Foster); the household is deprived when score >= k. The decision rule is written out in
the shipped policy file (``default_policy.toml``, [identify]) and implemented in ``assess``.
Household lifecycle changes (识别, 预脱贫, 脱贫, 返贫, 剔除) are decided by ``transition``.
Pure: plain values in, plain values out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from fupin_cli.core.codes import (
    Cause,
    Decision,
    Education,
    Health,
    Housing,
    LabourSkill,
    SchoolStatus,
    Status,
    WorkStatus,
)
from fupin_cli.core.money import format_fen
from fupin_cli.core.policy import IdentifyPolicy

DIMENSION_LABELS = {
    "housing": "住房条件",
    "production": "生产资料",
    "labour": "劳动能力",
    "education": "教育程度",
    "health": "健康状况",
}
_EDUCATED = frozenset({Education.JUNIOR, Education.SENIOR, Education.COLLEGE})
_ABLE = frozenset({LabourSkill.ORDINARY, LabourSkill.SKILLED})
_COSTLY_SCHOOL = frozenset(
    s for s in SchoolStatus if int(s.code) >= 7
)  # 高中, 中职, 高职, 大专及以上


@dataclass(slots=True)
class Member:
    """One person as the five looks see them. Any object with these attributes will do (the
    roster's own Person records are passed as they are, to spare 835,000 copies a county run)."""

    age: int
    labour: LabourSkill
    health: Health
    education: Education | None = None
    school: SchoolStatus | None = None
    work: WorkStatus | None = None


@dataclass(slots=True)
class HouseholdFacts:
    members: tuple[Member, ...]
    income_fen: int | None = None  # 家庭年人均纯收入; None = unknown
    housing: Housing | None = None
    housing_area: float | None = None  # ㎡
    farmland_mu: float | None = None
    flags: Mapping[str, bool | None] = field(default_factory=dict)  # has_public_servant …


@dataclass(frozen=True)
class Assessment:
    scores: dict[str, float]  # dimension -> deprivation
    score: float
    deprived: bool
    income_fen: int | None
    line_fen: int
    income_below: bool | None
    vetoes: tuple[str, ...]  # labels of `veto` exclusions that fired
    reviews: tuple[str, ...]  # labels of `review` exclusions that fired
    decision: Decision
    exit_ok: bool  # passes the 预脱贫 test: income >= line × (1 + margin) and not deprived
    main_cause: Cause | None
    other_causes: tuple[Cause, ...]
    reasons: tuple[str, ...]


@dataclass(slots=True)
class _Scan:
    """What the five looks and the causes need from the members, gathered in one pass."""

    size: int = 0
    able: int = 0  # 普通/技能劳动力 of working age
    skilled: int = 0  # of those, 技能劳动力
    truant: bool = False  # a school-age child who is 非在校生
    adults_known: int = 0  # working-age-or-older members with a known 文化程度
    adults_educated: int = 0  # … of whom 初中 or above
    health: float = 0.0  # the worst member's health deprivation
    ill: bool = False  # 患有大病 or 长期慢性病
    disabled: bool = False
    costly_school: bool = False  # 高中, 中职, 高职, 大专 and above


def _scan(members: tuple[Member, ...], p: IdentifyPolicy) -> _Scan:
    lo, hi = p.working_age
    s_lo, s_hi = p.school_age
    health_of = p.health
    sc = _Scan(size=len(members))
    for m in members:
        age = m.age
        if m.labour in _ABLE and lo <= age <= hi:
            sc.able += 1
            if m.labour is LabourSkill.SKILLED:
                sc.skilled += 1
        if s_lo <= age <= s_hi and m.school is SchoolStatus.NOT_IN_SCHOOL:
            sc.truant = True
        if age >= lo and m.education is not None:
            sc.adults_known += 1
            if m.education in _EDUCATED:
                sc.adults_educated += 1
        h = m.health
        d = health_of[h]
        if d > sc.health:
            sc.health = d
        if h is Health.SERIOUS or h is Health.CHRONIC:
            sc.ill = True
        elif h is Health.DISABLED:
            sc.disabled = True
        if m.school in _COSTLY_SCHOOL:
            sc.costly_school = True
    return sc


def deprivations(
    facts: HouseholdFacts, p: IdentifyPolicy, sc: _Scan | None = None
) -> dict[str, float]:
    """The five looks, each a deprivation in [0, 1]. Unknown facts never count as deprived."""
    sc = sc or _scan(facts.members, p)
    size = sc.size or 1

    housing = 0.0
    if facts.housing is not None:
        housing = p.housing[facts.housing]
        if facts.housing_area is not None and facts.housing_area / size < p.crowded_area_per_person:
            housing = max(housing, p.crowded)

    production = 0.0
    if facts.farmland_mu is not None and facts.farmland_mu / size < p.min_land_per_person:
        production = 1.0

    if sc.able == 0:
        labour = 1.0
    elif (size - sc.able) / size > p.max_dependency:
        labour = p.labour_partial
    else:
        labour = 0.0

    if sc.truant:
        education = 1.0
    elif sc.adults_known and not sc.adults_educated:
        education = p.education_partial
    else:
        education = 0.0

    return {
        "housing": housing,
        "production": production,
        "labour": labour,
        "education": education,
        "health": sc.health,
    }


def weighted_score(scores: Mapping[str, float], p: IdentifyPolicy) -> float:
    w = p.weights
    total = w["housing"] + w["production"] + w["labour"] + w["education"] + w["health"]
    return round(sum(w[d] * v for d, v in scores.items()) / total, 6)


def causes(
    facts: HouseholdFacts,
    scores: Mapping[str, float],
    income_below: bool | None,
    p: IdentifyPolicy,
    sc: _Scan | None = None,
) -> list[Cause]:
    """致贫原因 that the roster shows, in the policy's order. 因灾, 缺水, 交通条件落后 and
    自身发展动力不足 are not visible in a roster and are left to the cadre."""
    sc = sc or _scan(facts.members, p)
    applies = {
        Cause.ILLNESS: sc.ill,
        Cause.DISABILITY: sc.disabled,
        Cause.LABOUR: scores["labour"] >= 1.0,
        Cause.SCHOOLING: sc.costly_school,
        Cause.LAND: scores["production"] > 0,
        Cause.SKILLS: sc.able > 0 and sc.skilled == 0,
    }
    found = [c for c in p.cause_order if applies.get(c)]
    if not found and income_below and Cause.CAPITAL in p.cause_order:
        found = [Cause.CAPITAL]
    return found


def assess(
    facts: HouseholdFacts, p: IdentifyPolicy, line_fen: int, margin: float | None = None
) -> Assessment:
    """Score one household and decide: identified, review (民主评议) or not identified."""
    sc = _scan(facts.members, p)
    scores = deprivations(facts, p, sc)
    score = weighted_score(scores, p)
    deprived = score >= p.k
    income = facts.income_fen
    income_below = None if income is None else income < line_fen
    vetoes = tuple(e.label for e in p.exclusions if e.action == "veto" and facts.flags.get(e.field))
    reviews = tuple(
        e.label for e in p.exclusions if e.action == "review" and facts.flags.get(e.field)
    )

    reasons = [
        f"五看得分 score {score:.2f} ({'≥' if deprived else '<'} k {p.k:.2f}): "
        + ", ".join(f"{DIMENSION_LABELS[d]} {v:.2f}" for d, v in scores.items())
    ]
    line = format_fen(line_fen)
    if income is None:
        reasons.append("家庭年人均纯收入 unknown: income not given")
    else:
        sign = "<" if income_below else "≥"
        reasons.append(f"人均纯收入 {format_fen(income)} {sign} 贫困线 {line} 元 (income line)")

    if vetoes:
        decision = Decision.NOT_IDENTIFIED
        reasons.append("一票否决 veto: " + "、".join(vetoes))
    elif income is None:
        decision = Decision.REVIEW
        reasons.append("收入不详, 待民主评议 (review: income unknown)")
    elif income_below and deprived:
        decision = Decision.IDENTIFIED
    elif income_below:
        decision = Decision.REVIEW
        reasons.append(
            "收入低于贫困线但五看未达标, 待民主评议 (review: poor by income, not by the looks)"
        )
    elif score >= p.review_score:
        decision = Decision.REVIEW
        reasons.append(
            "收入高于贫困线但五看困难, 待民主评议 (review: deprived though above the line)"
        )
    else:
        decision = Decision.NOT_IDENTIFIED
    if decision is Decision.IDENTIFIED and reviews:
        decision = Decision.REVIEW
        reasons.append("需民主评议 review: " + "、".join(reviews))

    m = p.proposed_exit_margin if margin is None else margin
    exit_ok = income is not None and income >= line_fen * (1 + m) and not deprived
    found = (
        causes(facts, scores, income_below, p, sc)
        if decision is not Decision.NOT_IDENTIFIED
        else []
    )
    return Assessment(
        scores=scores,
        score=score,
        deprived=deprived,
        income_fen=income,
        line_fen=line_fen,
        income_below=income_below,
        vetoes=vetoes,
        reviews=reviews,
        decision=decision,
        exit_ok=exit_ok,
        main_cause=found[0] if found else None,
        other_causes=tuple(found[1:3]),
        reasons=tuple(reasons),
    )


def apply_quota(ranked: Sequence[tuple[str, Assessment]], quota: int) -> dict[str, Assessment]:
    """规模控制: with a quota, only the ``quota`` most deprived identified households stay
    identified (by score, then lower income, then 户编号); the rest go to review."""
    out = dict(ranked)
    if quota <= 0:
        return out
    identified = [(k, a) for k, a in ranked if a.decision is Decision.IDENTIFIED]
    if len(identified) <= quota:
        return out
    identified.sort(
        key=lambda ka: (
            -ka[1].score,
            ka[1].income_fen if ka[1].income_fen is not None else 0,
            ka[0],
        )
    )
    for key, a in identified[quota:]:
        note = f"超出规模控制 {quota} 户, 待民主评议 (review: above the county quota)"
        out[key] = replace(a, decision=Decision.REVIEW, reasons=(*a.reasons, note))
    return out


@dataclass(frozen=True)
class Transition:
    event: str  # identified | proposed_exit | exited | returned | removed | exit_withdrawn
    to_status: Status
    reason: str


def transition(
    status: Status, a: Assessment, *, proposed_year: int | None, year: int
) -> Transition | None:
    """The lifecycle step a new assessment causes, if any (动态调整).

    未识别/剔除 + identified → 已识别 · 已识别/返贫 + veto → 剔除 (错评) · 已识别/返贫 + exit test → 预脱贫 ·
    预脱贫 + exit test in a later year → 已脱贫 · 预脱贫 + identified → 已识别 (exit withdrawn) ·
    已脱贫 + identified → 返贫. A review decision changes nothing until 民主评议 decides.
    """
    identified = a.decision is Decision.IDENTIFIED
    if status in (Status.UNIDENTIFIED, Status.REMOVED):
        if identified:
            return Transition("identified", Status.IDENTIFIED, "识别为贫困户 identified")
        return None
    if status in (Status.IDENTIFIED, Status.RETURNED, Status.PROPOSED_EXIT) and a.vetoes:
        return Transition("removed", Status.REMOVED, "错评剔除 removed: " + "、".join(a.vetoes))
    if status in (Status.IDENTIFIED, Status.RETURNED):
        if a.exit_ok:
            return Transition(
                "proposed_exit", Status.PROPOSED_EXIT, "收入稳定超过贫困线且五看达标 (预脱贫)"
            )
        return None
    if status is Status.PROPOSED_EXIT:
        if a.exit_ok and proposed_year is not None and year > proposed_year:
            return Transition(
                "exited", Status.EXITED, f"{proposed_year}年预脱贫, {year}年复核仍达标 (脱贫)"
            )
        if identified:
            return Transition("exit_withdrawn", Status.IDENTIFIED, "复核仍为贫困户, 撤销预脱贫")
        return None
    if status is Status.EXITED and identified:
        return Transition("returned", Status.RETURNED, "脱贫户再次识别为贫困户 (返贫)")
    return None

"""The four-category classifier (分类施策, 一户一策) — one pure module.

Facts of one household in (``HouseholdFacts``: members with age, labour skill, health, school and
work status; housing; relocation zone; 低保/五保; main cause), the policy's ``ClassifyPolicy`` in;
out comes a ``Classification``: exactly one primary category (产业帮扶 industry, 易地搬迁
relocation, 政策兜底 safety_net, 大病救助 illness_aid), zero or more secondary measures in a stable
order, and for each the rule that fired with the facts it used.

The primary category is the first policy rule whose conditions hold (``any``: one suffices,
``all``: every one must hold, both: all of ``all`` and one of ``any``). The policy's last rule has
no conditions, so the result is total; nothing here reads a clock or a file, so it is
deterministic. The measures are fixed rules with policy numbers (working age, loan head age):

- 教育资助 education_aid: a member in school (小学 and above, ``SchoolStatus.is_student``);
- 技能培训 skills_training: a working-age 普通劳动力 member not in school (技能劳动力 already
  has a skill);
- 危房改造 housing_repair: a 危房C级/D级 house, unless the household is relocated (a new house);
- 小额信贷 micro_credit: an able working-age member (someone to run the project) and a head
  within the loan age (扶贫小额信贷, 国开办发〔2014〕78号: borrower 18–65 by default);
- 转移就业 job_transfer: an able working-age member, not in school, not in work (务工状况
  其他, or blank — unless the policy's ``blank_work_status`` makes a blank unknown).

Speed matters (a county is ~250,000 households): one pass over the members builds a summary,
conditions are cheap tests on it, and the facts of a rule are built only for rules that fire.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

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
from fupin_cli.core.policy import ClassifyPolicy, ClassifyRule


class Member(NamedTuple):
    """One member's facts. ``age`` is in completed years at the classification date."""

    name: str
    age: int
    labour_skill: LabourSkill
    health: Health
    relation: Relation = Relation.OTHER
    school_status: SchoolStatus | None = None
    work_status: WorkStatus | None = None


class HouseholdFacts(NamedTuple):
    """One household's facts. ``None`` is unknown and never makes a condition hold."""

    household_no: str
    members: tuple[Member, ...]
    housing: Housing | None = None
    relocation_zone: bool | None = None  # the household's own 搬迁区域 flag
    village_relocation_zone: bool | None = None  # its village's
    dibao: bool | None = None  # 低保
    wubao: bool | None = None  # 五保
    main_cause: Cause | None = None  # 主要致贫原因, from the assessment


class Reason(NamedTuple):
    """Why a category or a measure was given: the rule, and the facts it used."""

    subject: str  # the Category or Measure (its Chinese label)
    rule: str  # "rule 1: any of no_able_worker, wubao" or a measure rule such as "has_student"
    facts: Mapping[str, Any]  # JSON-ready


class Classification(NamedTuple):
    household_no: str
    category: Category
    measures: tuple[Measure, ...]
    reasons: tuple[Reason, ...]  # the primary category's first, then one per measure
    rule_number: int  # 1-based number of the policy rule that gave the category

    def reasons_json(self) -> list[dict[str, Any]]:
        return [{"subject": r.subject, "rule": r.rule, "facts": r.facts} for r in self.reasons]


_ORDINARY = LabourSkill.ORDINARY
_SKILLED = LabourSkill.SKILLED
_HEALTHY = Health.HEALTHY
_SERIOUS = Health.SERIOUS
_CHRONIC = Health.CHRONIC
_DISABLED = Health.DISABLED
_HEAD = Relation.HEAD
_NOT_STUDENT = (None, "", SchoolStatus.NOT_IN_SCHOOL, SchoolStatus.PRESCHOOL)
_NOT_WORKING = WorkStatus.not_in_work()
_NOT_WORKING_KNOWN = WorkStatus.not_in_work(blank_is_unknown=True)
_HOUSE_D_OR_NONE = (Housing.UNSAFE_D, Housing.NONE)
_HOUSE_UNSAFE = (Housing.UNSAFE_C, Housing.UNSAFE_D)
_NOBODY: tuple[str, ...] = ()


class _Summary:
    """What the rules ask about a household, from one pass over its members.

    Each group (able workers, students, the sick…) is a tuple of the members as the reasons
    name them — ``张三(45岁)``, ``张小(10岁,小学)`` — written once here and shared by every reason
    that quotes them. A group stays the shared empty tuple until someone is found.
    """

    __slots__ = (
        "facts",
        "policy",
        "working_age",
        "able",
        "ordinary",
        "idle",
        "students",
        "serious",
        "chronic",
        "disabled",
        "head",
    )

    def __init__(self, facts: HouseholdFacts, policy: ClassifyPolicy) -> None:
        self.facts = facts
        self.policy = policy
        self.working_age = lo, hi = policy.working_age
        able = ordinary = idle = students = serious = chronic = disabled = _NOBODY
        head = None
        not_working = _NOT_WORKING_KNOWN if policy.blank_work_unknown else _NOT_WORKING
        # Tuple membership and ``==`` compare by identity first, then as text, so plain labels
        # from a database work as well as the enum members.
        for m in facts.members:
            who = None
            in_school = m.school_status not in _NOT_STUDENT
            if in_school:
                students = (*students, f"{m.name}({m.age}岁,{m.school_status})")
            health = m.health
            if health != _HEALTHY:
                who = f"{m.name}({m.age}岁)"
                if health == _SERIOUS:
                    serious = (*serious, who)
                elif health == _CHRONIC:
                    chronic = (*chronic, who)
                elif health == _DISABLED:
                    disabled = (*disabled, who)
            skill = m.labour_skill
            if lo <= m.age <= hi and (skill == _ORDINARY or skill == _SKILLED):
                if who is None:
                    who = f"{m.name}({m.age}岁)"
                able = (*able, who)
                if not in_school:
                    if skill == _ORDINARY:
                        ordinary = (*ordinary, who)
                    if m.work_status in not_working:
                        idle = (*idle, f"{m.name}({m.age}岁,{m.work_status or '未填'})")
            if head is None and m.relation == _HEAD:
                head = m
        self.able = able
        self.ordinary = ordinary
        self.idle = idle
        self.students = students
        self.serious = serious
        self.chronic = chronic
        self.disabled = disabled
        self.head = head


def _who(m: Member) -> str:
    return f"{m.name}({m.age}岁)"


def _ages(r: tuple[int, int]) -> str:
    return f"{r[0]}–{r[1]}"


def _names(items: Any) -> str:
    return "、".join(items) if items else "无 none"


# --- conditions the policy's rules may name ---------------------------------------------------


@dataclass(frozen=True)
class _Condition:
    description: str
    holds: Callable[[_Summary], bool]
    facts: Callable[[_Summary], dict[str, Any]]
    why: Callable[[bool, Mapping[str, Any]], str]  # (held, facts) -> a sentence for a cadre


def _no_able_facts(s: _Summary) -> dict[str, Any]:
    ages = s.working_age
    if s.able:
        return {"working_age": ages, "able_workers": s.able}
    return {
        "working_age": ages,
        "members": tuple(f"{m.name}({m.age}岁,{m.labour_skill})" for m in s.facts.members),
    }


def _no_able_why(held: bool, f: Mapping[str, Any]) -> str:
    ages = _ages(f["working_age"])
    if held:
        return f"{ages}岁无有劳动能力成员 / no able member aged {ages}: {_names(f['members'])}"
    return f"有{ages}岁劳动力 / able worker(s) aged {ages}: {_names(f['able_workers'])}"


def _members_facts(attr: str) -> Callable[[_Summary], dict[str, Any]]:
    def facts(s: _Summary) -> dict[str, Any]:
        return {"members": getattr(s, attr)}

    return facts


def _members_why(label: str) -> Callable[[bool, Mapping[str, Any]], str]:
    def why(held: bool, f: Mapping[str, Any]) -> str:
        if held:
            return f"有成员{label}: {_names(f['members'])}"
        return f"无成员{label} / no member {label}"

    return why


def _flag_why(label: str, key: str) -> Callable[[bool, Mapping[str, Any]], str]:
    def why(held: bool, f: Mapping[str, Any]) -> str:
        value = f[key]
        shown = "是 yes" if value else ("未填 unknown" if value is None else "否 no")
        return f"{label}: {shown}"

    return why


def _cause_why(cause: Cause) -> Callable[[bool, Mapping[str, Any]], str]:
    def why(held: bool, f: Mapping[str, Any]) -> str:
        return f"主要致贫原因 main cause: {f['main_cause'] or '未填 unknown'}" + (
            "" if held else f" (不是 not {cause.value})"
        )

    return why


def _zone_facts(s: _Summary) -> dict[str, Any]:
    return {"household": s.facts.relocation_zone, "village": s.facts.village_relocation_zone}


def _zone_why(held: bool, f: Mapping[str, Any]) -> str:
    def yn(v: bool | None) -> str:
        return "是" if v else ("未填" if v is None else "否")

    verdict = "在搬迁区域 in a relocation zone" if held else "不在搬迁区域 not in a relocation zone"
    return f"{verdict} (户 household: {yn(f['household'])}, 村 village: {yn(f['village'])})"


def _housing_facts(s: _Summary) -> dict[str, Any]:
    return {"housing": s.facts.housing}


def _housing_why(wanted: str) -> Callable[[bool, Mapping[str, Any]], str]:
    def why(held: bool, f: Mapping[str, Any]) -> str:
        shown = f["housing"] or "未填 unknown"
        return f"住房状况 housing: {shown}" + ("" if held else f" (不是 not {wanted})")

    return why


_SPECS: dict[str, _Condition] = {
    "no_able_worker": _Condition(
        "no member able to work (普通/技能劳动力) of working age / 无劳动力",
        lambda s: not s.able,
        _no_able_facts,
        _no_able_why,
    ),
    "wubao": _Condition(
        "五保户 / a wubao household",
        lambda s: s.facts.wubao is True,
        lambda s: {"wubao": s.facts.wubao},
        _flag_why("五保 wubao", "wubao"),
    ),
    "dibao": _Condition(
        "低保户 / a dibao household",
        lambda s: s.facts.dibao is True,
        lambda s: {"dibao": s.facts.dibao},
        _flag_why("低保 dibao", "dibao"),
    ),
    "serious_illness": _Condition(
        "a member 患有大病 / serious illness",
        lambda s: bool(s.serious),
        _members_facts("serious"),
        _members_why("患有大病 serious illness"),
    ),
    "chronic_illness": _Condition(
        "a member 长期慢性病 / chronic illness",
        lambda s: bool(s.chronic),
        _members_facts("chronic"),
        _members_why("长期慢性病 chronic illness"),
    ),
    "disabled_member": _Condition(
        "a member 残疾 / disabled",
        lambda s: bool(s.disabled),
        _members_facts("disabled"),
        _members_why("残疾 disabled"),
    ),
    "has_student": _Condition(
        "a member in school (小学 and above) / 在校生",
        lambda s: bool(s.students),
        _members_facts("students"),
        _members_why("在校 in school"),
    ),
    "main_cause_illness": _Condition(
        "main cause 因病 / illness",
        lambda s: s.facts.main_cause == Cause.ILLNESS,
        lambda s: {"main_cause": s.facts.main_cause},
        _cause_why(Cause.ILLNESS),
    ),
    "main_cause_disability": _Condition(
        "main cause 因残 / disability",
        lambda s: s.facts.main_cause == Cause.DISABILITY,
        lambda s: {"main_cause": s.facts.main_cause},
        _cause_why(Cause.DISABILITY),
    ),
    "relocation_zone": _Condition(
        "household or its village in a relocation zone (一方水土养不起一方人)",
        lambda s: s.facts.relocation_zone is True or s.facts.village_relocation_zone is True,
        _zone_facts,
        _zone_why,
    ),
    "house_d_or_none": _Condition(
        "house 危房D级 or none (无房)",
        lambda s: s.facts.housing in _HOUSE_D_OR_NONE,
        _housing_facts,
        _housing_why("危房D级/无房"),
    ),
    "house_unsafe": _Condition(
        "house 危房C级 or 危房D级 / unsafe house",
        lambda s: s.facts.housing in _HOUSE_UNSAFE,
        _housing_facts,
        _housing_why("危房C级/D级"),
    ),
}

CONDITIONS: dict[str, str] = {name: spec.description for name, spec in _SPECS.items()}
"""Condition name → description: the vocabulary a policy's ``[[classify.rules]]`` may use."""

_HOLDS: dict[str, Callable[[_Summary], bool]] = {n: c.holds for n, c in _SPECS.items()}


def rule_label(number: int, rule: ClassifyRule) -> str:
    """``rule 2: any of serious_illness, main_cause_illness`` — how a rule is named in reasons."""
    parts = []
    if rule.all_of:
        parts.append("all of " + ", ".join(rule.all_of))
    if rule.any_of:
        parts.append("any of " + ", ".join(rule.any_of))
    return f"rule {number}: " + ("; ".join(parts) if parts else "otherwise")


class _Rule(NamedTuple):
    number: int
    rule: ClassifyRule
    label: str
    all_of: tuple[Callable[[_Summary], bool], ...]
    any_of: tuple[Callable[[_Summary], bool], ...]
    conditions: tuple[tuple[str, _Condition], ...]  # all_of, then any_of

    def facts(self, s: _Summary) -> dict[str, Any]:
        """The facts of the conditions that hold: what a fired rule used."""
        out = {}
        for name, condition in self.conditions:
            if condition.holds(s):
                out[name] = condition.facts(s)
        return out

    def holds(self, s: _Summary) -> bool:
        for test in self.all_of:
            if not test(s):
                return False
        if self.any_of:
            for test in self.any_of:
                if test(s):
                    return True
            return False
        return True


# The policy loader refuses a rule list whose last rule has conditions; a hand-built policy
# without a catch-all falls back to industry support, so the answer stays total.
_FALLBACK = ClassifyRule(Category.INDUSTRY, (), ())
_compiled: tuple[ClassifyPolicy | None, tuple[_Rule, ...]] = (None, ())


def _rules(policy: ClassifyPolicy) -> tuple[_Rule, ...]:
    """The policy's rules with their labels and condition tests, built once per policy."""
    global _compiled
    if _compiled[0] is policy:
        return _compiled[1]
    rules = tuple(
        _Rule(
            n,
            r,
            rule_label(n, r),
            tuple(_SPECS[c].holds for c in r.all_of),
            tuple(_SPECS[c].holds for c in r.any_of),
            tuple((c, _SPECS[c]) for c in (*r.all_of, *r.any_of)),
        )
        for n, r in enumerate((*policy.rules, _FALLBACK), start=1)
    )
    _compiled = (policy, rules)
    return rules


# --- secondary measures -----------------------------------------------------------------------


@dataclass(frozen=True)
class _MeasureRule:
    measure: Measure
    rule: str
    description: str
    facts: Callable[[_Summary], dict[str, Any]]
    why: Callable[[bool, Mapping[str, Any]], str]  # (given, facts) -> a sentence for a cadre


def _list_why(label: str, key: str) -> Callable[[bool, Mapping[str, Any]], str]:
    def why(given: bool, f: Mapping[str, Any]) -> str:
        return f"{label}: {_names(f[key])}"

    return why


def _repair_why(given: bool, f: Mapping[str, Any]) -> str:
    text = f"住房状况 housing: {f['housing'] or '未填 unknown'}"
    if f["housing"] in _HOUSE_UNSAFE and not given:
        text += " — 易地搬迁户建新房 / relocated, gets a new house"
    return text


def _loan_why(given: bool, f: Mapping[str, Any]) -> str:
    ages = _ages(f["loan_head_age"])
    return (
        f"劳动力 able workers: {_names(f['able_workers'])}; "
        f"户主 head: {f['head'] or '未知 unknown'} (贷款年龄 loan age {ages})"
    )


_EDUCATION = _MeasureRule(
    Measure.EDUCATION_AID,
    "has_student",
    "a member in school (小学 and above)",
    lambda s: {"students": s.students},
    _list_why("在校生 students", "students"),
)
_TRAINING = _MeasureRule(
    Measure.SKILLS_TRAINING,
    "ordinary_worker",
    "a working-age 普通劳动力 member not in school",
    lambda s: {
        "working_age": s.working_age,
        "ordinary_workers": s.ordinary,
    },
    _list_why("劳动年龄内普通劳动力 ordinary workers of working age", "ordinary_workers"),
)
_REPAIR = _MeasureRule(
    Measure.HOUSING_REPAIR,
    "house_unsafe_not_relocated",
    "house 危房C级/D级 and the household is not relocated",
    lambda s: {"housing": s.facts.housing},
    _repair_why,
)
_CREDIT = _MeasureRule(
    Measure.MICRO_CREDIT,
    "labour_and_head_age",
    "an able working-age member and the head within the loan age",
    lambda s: {
        "able_workers": s.able,
        "head": _who(s.head) if s.head is not None else None,
        "loan_head_age": s.policy.loan_head_age,
    },
    _loan_why,
)
_TRANSFER = _MeasureRule(
    Measure.JOB_TRANSFER,
    "idle_worker",
    "an able working-age member not in school and not in work (务工状况 其他 or blank)",
    lambda s: {
        "working_age": s.working_age,
        "not_working": s.idle,
    },
    _list_why("劳动力未务工 able workers not in work", "not_working"),
)
_MEASURES = (_EDUCATION, _TRAINING, _REPAIR, _CREDIT, _TRANSFER)  # the stable output order

MEASURE_RULES: dict[Measure, str] = {m.measure: m.description for m in _MEASURES}
"""Measure → the rule that gives it."""


def _given(s: _Summary, category: Category) -> list[_MeasureRule]:
    """The measures a household gets, in the stable order of ``_MEASURES``."""
    given = []
    if s.students:
        given.append(_EDUCATION)
    if s.ordinary:
        given.append(_TRAINING)
    if s.facts.housing in _HOUSE_UNSAFE and category != Category.RELOCATION:
        given.append(_REPAIR)
    head = s.head
    if s.able and head is not None:
        lo, hi = s.policy.loan_head_age
        if lo <= head.age <= hi:
            given.append(_CREDIT)
    if s.idle:
        given.append(_TRANSFER)
    return given


# --- the classifier ---------------------------------------------------------------------------


class Decision(NamedTuple):
    """The category and measures of one household, before its reasons are written out.

    ``classification()`` adds the reasons. A re-run that finds most households unchanged
    compares decisions and writes out the reasons only for the households that changed.
    """

    household_no: str
    category: Category
    measures: tuple[Measure, ...]
    rule_number: int
    evidence: tuple[Any, ...]  # what the reasons are built from (internal)

    def classification(self) -> Classification:
        s, rule, given = self.evidence
        new = tuple.__new__
        reasons = [new(Reason, (self.category, rule.label, rule.facts(s)))]
        for m in given:
            reasons.append(new(Reason, (m.measure, m.rule, m.facts(s))))
        return new(
            Classification,
            (self.household_no, self.category, self.measures, tuple(reasons), self.rule_number),
        )


def decide(facts: HouseholdFacts, policy: ClassifyPolicy) -> Decision:
    """The household's primary category and measures (``classify`` without the reasons)."""
    s = _Summary(facts, policy)
    for rule in _rules(policy):
        if rule.holds(s):
            break
    category = rule.rule.category
    given = _given(s, category)
    return tuple.__new__(
        Decision,
        (
            facts.household_no,
            category,
            tuple([m.measure for m in given]),
            rule.number,
            (s, rule, given),
        ),
    )


def classify(facts: HouseholdFacts, policy: ClassifyPolicy) -> Classification:
    """The household's primary category, its measures, and why. Total and deterministic."""
    return decide(facts, policy).classification()


def describe(reason: Reason) -> str:
    """A reason as a sentence a township cadre reads (Chinese with English)."""
    if reason.rule.startswith("rule "):
        if not reason.facts:
            return f"{reason.rule} — 前面的规则均不适用 / no earlier rule applies"
        parts = [_SPECS[name].why(True, f) for name, f in reason.facts.items() if name in _SPECS]
        return f"{reason.rule} — " + "; ".join(parts)
    for m in _MEASURES:
        if m.rule == reason.rule:
            return m.why(True, reason.facts)
    return reason.rule


# --- explanation (fupin classify --explain) ---------------------------------------------------


class ConditionCheck(NamedTuple):
    name: str
    held: bool
    why: str


class RuleCheck(NamedTuple):
    number: int
    category: Category
    label: str
    held: bool
    fired: bool  # the first rule that held: it gives the category
    conditions: tuple[ConditionCheck, ...]


class MeasureCheck(NamedTuple):
    measure: Measure
    rule: str
    given: bool
    why: str


class Explanation(NamedTuple):
    facts: HouseholdFacts
    working_age: tuple[int, int]
    rules: tuple[RuleCheck, ...]
    measures: tuple[MeasureCheck, ...]
    result: Classification

    def lines(self) -> list[str]:
        """The explanation as plain text lines for a township cadre."""
        return explanation_lines(self)


def explain(facts: HouseholdFacts, policy: ClassifyPolicy) -> Explanation:
    """Every rule checked in order (yes/no and why), every measure, and the result."""
    s = _Summary(facts, policy)
    result = classify(facts, policy)
    checks = []
    for number, rule in enumerate(policy.rules, start=1):
        conditions = []
        for name in (*rule.all_of, *rule.any_of):
            spec = _SPECS[name]
            held = spec.holds(s)
            conditions.append(ConditionCheck(name, held, spec.why(held, spec.facts(s))))
        checks.append(
            RuleCheck(
                number,
                rule.category,
                rule_label(number, rule),
                _rules(policy)[number - 1].holds(s),
                number == result.rule_number,
                tuple(conditions),
            )
        )
    given = _given(s, result.category)
    measure_checks = []
    for m in _MEASURES:
        yes = m in given
        measure_checks.append(MeasureCheck(m.measure, m.rule, yes, m.why(yes, m.facts(s))))
    return Explanation(facts, policy.working_age, tuple(checks), tuple(measure_checks), result)


def _yes_no(value: bool | None) -> str:
    return "是 yes" if value else ("未填 unknown" if value is None else "否 no")


def explanation_lines(e: Explanation) -> list[str]:
    f = e.facts
    lines = [
        f"户编号 household: {f.household_no}",
        f"住房状况 housing: {f.housing or '未填 unknown'}",
        f"搬迁区域 relocation zone: 户 household {_yes_no(f.relocation_zone)}, "
        f"村 village {_yes_no(f.village_relocation_zone)}",
        f"低保 dibao: {_yes_no(f.dibao)}; 五保 wubao: {_yes_no(f.wubao)}",
        f"主要致贫原因 main cause: {f.main_cause or '未填 unknown'}",
        f"家庭成员 members ({len(f.members)}), 劳动年龄 working age {_ages(e.working_age)}:",
    ]
    for m in f.members:
        lines.append(
            f"  {m.name} {m.relation} {m.age}岁 | {m.labour_skill} | {m.health} | "
            f"在校 {m.school_status or '未填'} | 务工 {m.work_status or '未填'}"
        )
    lines.append("规则 rules (in order; the first that holds gives the category):")
    for r in e.rules:
        mark = "是 yes" if r.held else "否 no"
        tail = "  ← 采用 applied" if r.fired else ""
        lines.append(f"  {r.label} → {r.category} {r.category.key}: {mark}{tail}")
        for c in r.conditions:
            lines.append(f"    [{'是' if c.held else '否'}] {c.name}: {c.why}")
        if not r.conditions:
            lines.append("    (无条件 no conditions: always holds)")
    result = e.result
    lines.append(f"主要类别 primary category: {result.category} {result.category.key}")
    lines.append("帮扶措施 measures:")
    for m in e.measures:
        lines.append(
            f"  [{'是' if m.given else '否'}] {m.measure} {m.measure.key} ({m.rule}): {m.why}"
        )
    given = "、".join(result.measures) if result.measures else "无 none"
    lines.append(f"措施 measures given: {given}")
    return lines

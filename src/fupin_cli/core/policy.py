"""The policy file (政策参数): every number and rule the program applies.

``parse_policy(text, defaults=…)`` turns TOML text into a frozen ``Policy``. A county file is
merged key by key over the shipped defaults, so it need only hold what differs; it must carry its
own ``[policy] version``. Any bad key fails with ``PolicyError`` naming the key and the problem.
Reading the files is the shell's job (``fupin_cli.policyfile``); this module sees only text.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fupin_cli.core.codes import CadreRank, Category, Cause, CodeError, Health, Housing
from fupin_cli.core.money import parse_money
from fupin_cli.core.words import PLAN_NAMES, synonym_label

DIMENSIONS = ("housing", "production", "labour", "education", "health")
SERVICES = (
    "通安全饮水",
    "通动力电",
    "通硬化路",
    "危房清零",
    "有标准化卫生室",
    "通广播电视",
    "通宽带",
)
# What a blank 务工状况 means (``[classify] blank_work_status``)
BLANK_NOT_IN_WORK = "not_in_work"
BLANK_UNKNOWN = "unknown"
BLANK_WORK_STATUS = (BLANK_NOT_IN_WORK, BLANK_UNKNOWN)
HOUSEHOLD_FLAGS = ("has_public_servant", "has_vehicle", "has_town_property", "has_business")


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the key."""


@dataclass(frozen=True)
class Exclusion:
    field: str
    label: str
    action: str  # "veto" | "review"


@dataclass(frozen=True)
class IdentifyPolicy:
    k: float
    review_score: float
    quota: int
    proposed_exit_margin: float
    working_age: tuple[int, int]
    school_age: tuple[int, int]
    weights: Mapping[str, float]
    housing: Mapping[Housing, float]
    crowded_area_per_person: float
    crowded: float
    min_land_per_person: float
    max_dependency: float
    labour_partial: float
    education_partial: float
    health: Mapping[Health, float]
    exclusions: tuple[Exclusion, ...]
    cause_order: tuple[Cause, ...]


@dataclass(frozen=True)
class ClassifyRule:
    category: Category
    any_of: tuple[str, ...]
    all_of: tuple[str, ...]


@dataclass(frozen=True)
class ClassifyPolicy:
    working_age: tuple[int, int]
    loan_head_age: tuple[int, int]
    rules: tuple[ClassifyRule, ...]
    # a blank 务工状况: "not_in_work" (the roster form's meaning) or "unknown"; classify's
    # 转移就业 and the employment gap (core.coverage) both read it
    blank_work_status: str = BLANK_NOT_IN_WORK

    @property
    def blank_work_unknown(self) -> bool:
        return self.blank_work_status == BLANK_UNKNOWN


@dataclass(frozen=True)
class AssignPolicy:
    visit_days: int
    capacity: Mapping[CadreRank, int]


@dataclass(frozen=True)
class LoanPolicy:
    max_fen: int
    max_months: int
    borrower_age: tuple[int, int]
    production_words: tuple[str, ...]  # a 用途 holding one of these is a production use …
    banned_words: tuple[str, ...]  # … unless it holds one of these (core.words.loan_purpose)


@dataclass(frozen=True)
class FundPolicy:
    fiscal_fen_per_agri_person: int
    integrated_share: float
    village_industry_min_fen: int
    industry_purpose: str
    risk_pool_purpose: str
    loan_leverage: float
    banned_purposes: tuple[str, ...]
    loan: LoanPolicy


@dataclass(frozen=True)
class VillageExitPolicy:
    max_poverty_rate: float
    min_collective_income_fen: int
    services: tuple[str, ...]


@dataclass(frozen=True)
class InputPolicy:
    """What an input file may be: refused beyond it (zip bombs, sheets wider than a grid)."""

    max_part_bytes: int  # an .xlsx part (sheet, shared strings) inflated
    max_ratio: int  # inflated / compressed, above ratio_from_bytes
    ratio_from_bytes: int
    max_rows: int
    max_columns: int
    max_cell_chars: int


@dataclass(frozen=True)
class AssessPolicy:
    max_incidence: float
    max_wrong_exit: float
    max_missed: float
    min_approval: float
    z: float
    villages: int
    households_per_village: int
    min_per_stratum: int
    look_cutoff: float


@dataclass(frozen=True)
class Policy:
    name: str
    version: str
    income_lines: Mapping[int, int]  # year -> fen per person per year
    identify: IdentifyPolicy
    classify: ClassifyPolicy
    assign: AssignPolicy
    fund: FundPolicy
    exit_targets: Mapping[int, int]  # year -> people
    village_exit: VillageExitPolicy
    input: InputPolicy
    synonyms: Mapping[str, str]  # a clerk's name -> the 帮扶类别 or 帮扶措施 label it means
    assess: AssessPolicy
    county: str = ""  # the county's name on every document's title block; "" when not set

    def income_line_fen(self, year: int) -> int:
        try:
            return self.income_lines[year]
        except KeyError:
            known = ", ".join(str(y) for y in sorted(self.income_lines))
            raise PolicyError(
                f"no income line for {year} in policy '{self.version}' (lines for {known}); "
                f"set income_lines.{year} in your --policy file"
            ) from None


def parse_policy(text: str, *, defaults: str | None = None, source: str = "policy") -> Policy:
    """Parse policy TOML; with ``defaults``, ``text`` is merged over the default text."""
    data = _load_toml(text, source)
    if defaults is not None:
        base = _load_toml(defaults, "default policy")
        if "version" not in data.get("policy", {}):
            raise PolicyError(
                f"{source}: policy.version: missing — give your policy its own version "
                "so every result records which rules made it"
            )
        data = _merge(base, data, "")
    return _build(_Reader(data, source))


def _load_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None


# Word lists a county file extends rather than replaces: a county adds its own words, and a
# banned word the shipped defaults (or a later release) hold is never lost by a county's copy.
EXTENDED_LISTS = frozenset({"fund.loan.production_words", "fund.loan.banned_words"})


def _merge(base: dict[str, Any], over: dict[str, Any], path: str) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        old = base.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            merged[key] = _merge(old, value, f"{path}{key}.")
        elif f"{path}{key}" in EXTENDED_LISTS and isinstance(value, list) and isinstance(old, list):
            merged[key] = [*old, *(v for v in value if v not in old)]
        else:
            merged[key] = value
    return merged


class _Reader:
    """Typed access to nested TOML that names the full key in every error."""

    def __init__(self, data: dict[str, Any], source: str, prefix: str = "") -> None:
        self.data, self.source, self.prefix = data, source, prefix
        self.used: set[str] = set()

    def fail(self, key: str, problem: str) -> PolicyError:
        return PolicyError(f"{self.source}: {self.prefix}{key}: {problem}")

    def raw(self, key: str) -> Any:
        if key not in self.data:
            raise self.fail(key, "missing")
        self.used.add(key)
        return self.data[key]

    def table(self, key: str) -> _Reader:
        value = self.raw(key)
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        return _Reader(value, self.source, f"{self.prefix}{key}.")

    def text(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be non-empty text")
        return value.strip()

    def number(self, key: str, lo: float | None = None, hi: float | None = None) -> float:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, f"must be a number, not {value!r}")
        if not math.isfinite(value):  # TOML has nan and inf; no policy number is either
            raise self.fail(key, f"must be a finite number, not {value}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise self.fail(key, f"{value} is out of range [{lo}, {hi}]")
        return float(value)

    def integer(self, key: str, lo: int = 0) -> int:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be a whole number, not {value!r}")
        if value < lo:
            raise self.fail(key, f"must be at least {lo}")
        return value

    def money(self, key: str) -> int:
        value = self.raw(key)
        try:
            return parse_money(value)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def age_range(self, key: str) -> tuple[int, int]:
        value = self.raw(key)
        ok = (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            and 0 <= value[0] <= value[1] <= 150
        )
        if not ok:
            raise self.fail(key, f"must be [from, to] ages, like [16, 60], not {value!r}")
        return value[0], value[1]

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.raw(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of text")
        return tuple(value)

    def tables(self, key: str) -> list[_Reader]:
        value = self.raw(key)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, "must be a list of tables ([[...]])")
        return [_Reader(v, self.source, f"{self.prefix}{key}[{i}].") for i, v in enumerate(value)]

    def year_map(self, key: str, convert) -> dict[int, int]:
        section = self.table(key)
        out: dict[int, int] = {}
        for year in section.data:
            if not (year.isdigit() and 1990 <= int(year) <= 2100):
                raise section.fail(year, "must be a year such as 2016")
            out[int(year)] = convert(section, year)
        section.done()
        return out

    def coded_map(self, codes, keys: list[str] | None = None) -> dict:
        out = {}
        for key in keys if keys is not None else list(self.data):
            try:
                member = codes.parse(key)
            except CodeError as exc:
                raise self.fail(key, str(exc)) from None
            out[member] = self.number(key, 0, 1)
        return out

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise self.fail(unknown[0], "unknown key (misspelt?)")


def _build(r: _Reader) -> Policy:
    head = r.table("policy")
    name, version = head.text("name"), head.text("version")
    county = head.raw("county")
    if not isinstance(county, str):
        raise head.fail("county", 'must be text, the county\'s name ("" when not set)')
    head.done()

    income_lines = r.year_map("income_lines", lambda s, k: s.money(k))
    identify = _identify(r.table("identify"))
    classify = _classify(r.table("classify"))

    a = r.table("assign")
    cap_table = a.table("capacity")
    capacity = {}
    for key in cap_table.data:
        try:
            rank = CadreRank.parse(key)
        except CodeError as exc:
            raise cap_table.fail(key, str(exc)) from None
        capacity[rank] = cap_table.integer(key, 0)
    missing = [rank.value for rank in CadreRank if rank not in capacity]
    if missing:
        raise cap_table.fail(missing[0], "missing (every rank needs a capacity)")
    assign = AssignPolicy(visit_days=a.integer("visit_days", 1), capacity=capacity)
    a.done()

    f = r.table("fund")
    lt = f.table("loan")
    loan = LoanPolicy(
        max_fen=lt.money("max_yuan"),
        max_months=lt.integer("max_months", 1),
        borrower_age=lt.age_range("borrower_age"),
        production_words=_words(lt, "production_words"),
        banned_words=_words(lt, "banned_words"),
    )
    if "production_purposes" in lt.data:  # the exact list of releases before 用途 became free text
        raise lt.fail(
            "production_purposes",
            "now production_words: a 用途 holding one of these words is a production use; "
            "rename the key (your list extends the default one)",
        )
    lt.done()
    fund = FundPolicy(
        fiscal_fen_per_agri_person=f.money("fiscal_yuan_per_agri_person"),
        integrated_share=f.number("integrated_share", 0, 1),
        village_industry_min_fen=f.money("village_industry_min_yuan"),
        industry_purpose=f.text("industry_purpose"),
        risk_pool_purpose=f.text("risk_pool_purpose"),
        loan_leverage=f.number("loan_leverage", 0),
        banned_purposes=f.texts("banned_purposes"),
        loan=loan,
    )
    f.done()

    rep = r.table("report")
    exit_targets = rep.year_map("exit_target", lambda s, k: s.integer(k))
    rep.done()

    ve = r.table("village_exit")
    services = ve.texts("services")
    for service in services:
        if service not in SERVICES:
            raise ve.fail("services", f"unknown service '{service}'; known: {', '.join(SERVICES)}")
    village_exit = VillageExitPolicy(
        max_poverty_rate=ve.number("max_poverty_rate", 0, 1),
        min_collective_income_fen=ve.money("min_collective_income_yuan"),
        services=services,
    )
    ve.done()
    it = r.table("input")
    limits = InputPolicy(
        max_part_bytes=it.integer("max_part_bytes", 1),
        max_ratio=it.integer("max_ratio", 1),
        ratio_from_bytes=it.integer("ratio_from_bytes", 0),
        max_rows=it.integer("max_rows", 1),
        max_columns=it.integer("max_columns", 1),
        max_cell_chars=it.integer("max_cell_chars", 1),
    )
    it.done()

    st = r.table("synonyms")
    synonyms = {}
    for key in st.data:
        target = st.text(key)
        try:
            synonyms[key] = synonym_label(key, target, PLAN_NAMES)
        except ValueError as exc:
            raise st.fail(key, str(exc)) from None
    st.done()
    assess = _assess(r.table("assess"))
    r.done()
    return Policy(
        name=name,
        version=version,
        income_lines=income_lines,
        identify=identify,
        classify=classify,
        assign=assign,
        fund=fund,
        exit_targets=exit_targets,
        village_exit=village_exit,
        input=limits,
        synonyms=synonyms,
        assess=assess,
        county=county.strip(),
    )


def _assess(t: _Reader) -> AssessPolicy:
    policy = AssessPolicy(
        max_incidence=t.number("max_incidence", 0, 1),
        max_wrong_exit=t.number("max_wrong_exit", 0, 1),
        max_missed=t.number("max_missed", 0, 1),
        min_approval=t.number("min_approval", 0, 1),
        z=t.number("z", 0, 10),
        villages=t.integer("villages", 1),
        households_per_village=t.integer("households_per_village", 1),
        min_per_stratum=t.integer("min_per_stratum", 0),
        look_cutoff=t.number("look_cutoff", 0, 1),
    )
    t.done()
    return policy


def _words(t: _Reader, key: str) -> tuple[str, ...]:
    words = t.texts(key)
    if not words or any(not w.strip() for w in words):
        raise t.fail(key, "must list at least one word, none of them blank")
    return tuple(w.strip() for w in words)


def _identify(t: _Reader) -> IdentifyPolicy:
    wt = t.table("weights")
    weights = {d: wt.number(d, 0) for d in DIMENSIONS}
    wt.done()
    if sum(weights.values()) <= 0:
        raise wt.fail("", "at least one weight must be above 0")
    k = t.number("k", 0, 1)
    review_score = t.number("review_score", 0, 1)
    if review_score < k:
        raise t.fail("review_score", f"must be at least k ({k})")

    ht = t.table("housing")
    housing = ht.coded_map(Housing, [h.value for h in Housing])
    crowded_area = ht.number("crowded_area_per_person", 0)
    crowded = ht.number("crowded", 0, 1)
    ht.done()

    pt = t.table("production")
    min_land = pt.number("min_land_per_person", 0)
    pt.done()
    lt = t.table("labour")
    max_dependency, labour_partial = lt.number("max_dependency", 0, 1), lt.number("partial", 0, 1)
    lt.done()
    et = t.table("education")
    education_partial = et.number("partial", 0, 1)
    et.done()
    hlt = t.table("health")
    health = hlt.coded_map(Health, [h.value for h in Health])
    hlt.done()

    exclusions = []
    for ex in t.tables("exclusions"):
        field = ex.text("field")
        if field not in HOUSEHOLD_FLAGS:
            raise ex.fail(
                "field", f"unknown household fact '{field}'; known: {', '.join(HOUSEHOLD_FLAGS)}"
            )
        action = ex.text("action")
        if action not in ("veto", "review"):
            raise ex.fail("action", f"must be 'veto' or 'review', not '{action}'")
        exclusions.append(Exclusion(field=field, label=ex.text("label"), action=action))
        ex.done()

    ct = t.table("causes")
    try:
        cause_order = tuple(Cause.parse(c) for c in ct.texts("order"))
    except CodeError as exc:
        raise ct.fail("order", str(exc)) from None
    ct.done()

    policy = IdentifyPolicy(
        k=k,
        review_score=review_score,
        quota=t.integer("quota", 0),
        proposed_exit_margin=t.number("proposed_exit_margin", 0, 10),
        working_age=t.age_range("working_age"),
        school_age=t.age_range("school_age"),
        weights=weights,
        housing=housing,
        crowded_area_per_person=crowded_area,
        crowded=crowded,
        min_land_per_person=min_land,
        max_dependency=max_dependency,
        labour_partial=labour_partial,
        education_partial=education_partial,
        health=health,
        exclusions=tuple(exclusions),
        cause_order=cause_order,
    )
    t.done()
    return policy


def _classify(t: _Reader) -> ClassifyPolicy:
    from fupin_cli.core.classifier import CONDITIONS  # the classifier owns its vocabulary

    rules = []
    for rule in t.tables("rules"):
        try:
            category = Category.parse(rule.text("category"))
        except CodeError as exc:
            raise rule.fail("category", str(exc)) from None
        any_of = rule.texts("any") if "any" in rule.data else ()
        all_of = rule.texts("all") if "all" in rule.data else ()
        for cond in (*any_of, *all_of):
            if cond not in CONDITIONS:
                raise rule.fail(
                    "any" if cond in any_of else "all",
                    f"the classifier does not know the condition '{cond}'; "
                    f"known: {', '.join(sorted(CONDITIONS))}",
                )
        rule.done()
        rules.append(ClassifyRule(category=category, any_of=any_of, all_of=all_of))
    if not rules or rules[-1].any_of or rules[-1].all_of:
        raise t.fail(
            "rules", "the last rule must have no conditions, so every household gets a category"
        )
    blank_work = t.text("blank_work_status")
    if blank_work not in BLANK_WORK_STATUS:
        raise t.fail(
            "blank_work_status",
            f"must be one of {', '.join(BLANK_WORK_STATUS)}, not '{blank_work}'",
        )
    policy = ClassifyPolicy(
        working_age=t.age_range("working_age"),
        loan_head_age=t.age_range("loan_head_age"),
        rules=tuple(rules),
        blank_work_status=blank_work,
    )
    t.done()
    return policy

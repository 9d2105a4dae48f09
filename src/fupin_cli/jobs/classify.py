"""fupin classify: classify registered households into the four categories (分类施策, 一户一策).

``run`` reads the facts of every registered household (已识别, 预脱贫, 返贫) — or of one village or
one household — in two queries, classifies each with the pure ``core.classifier``, and stores a
classification row only where the result differs from the household's current (latest) one:
history is kept, never overwritten; the rows and the batch row go in one transaction.

"Differs" means another category or other measures (compared as lists, not as JSON text). The
reasons are stored with the row but not compared: they quote ages, which move with ``--as-of``,
and a birthday is no new decision. They are written out only for the households that changed.

``explain_household`` and ``plan`` read one household and write nothing to the database.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from fupin_cli.core.classifier import (
    Classification,
    Explanation,
    HouseholdFacts,
    Member,
    classify,
    decide,
    describe,
    explain,
)
from fupin_cli.core.codes import (
    Category,
    Cause,
    Coded,
    CodeError,
    Health,
    Housing,
    LabourSkill,
    Relation,
    SchoolStatus,
    Status,
    WorkStatus,
)
from fupin_cli.core.idcard import mask_id
from fupin_cli.core.policy import Policy
from fupin_cli.db.audit import start_batch
from fupin_cli.db.bulk import executemany, paused_gc
from fupin_cli.db.engine import Database
from fupin_cli.db.geo import Geography
from fupin_cli.db.models import Cadre, Household, Pairing, Person, Township, Village
from fupin_cli.db.models import Classification as ClassificationRow
from fupin_cli.db.status import register_date
from fupin_cli.errors import UsageError
from fupin_cli.io.document import county_heading
from fupin_cli.io.xlsx import (
    TEXT_FORMAT,
    Section,
    new_workbook,
    pairs,
    save_workbook,
    write_sections,
)

_household = Household.__table__  # type: ignore[attr-defined]
_person = Person.__table__  # type: ignore[attr-defined]
_village = Village.__table__  # type: ignore[attr-defined]
_township = Township.__table__  # type: ignore[attr-defined]
_classification = ClassificationRow.__table__  # type: ignore[attr-defined]
_pairing = Pairing.__table__  # type: ignore[attr-defined]
_cadre = Cadre.__table__  # type: ignore[attr-defined]

REGISTERED = tuple(s.value for s in Status if s.registered)
CATEGORY_KEYS = tuple(c.key for c in Category)


@dataclass
class Selection:
    """Which registered households to classify: all, one village, or one household."""

    village_id: int | None = None
    household_no: str | None = None

    any_status: bool = False  # --explain and --plan read a household whatever its status

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition on household ``h`` (``?`` placeholders) and its parameters."""
        clauses, params = ["1 = 1"], []
        if not self.any_status:
            clauses.append(f"h.status IN ({', '.join('?' * len(REGISTERED))})")
            params += REGISTERED
        if self.village_id is not None:
            clauses.append("h.village_id = ?")
            params.append(self.village_id)
        if self.household_no is not None:
            clauses.append("h.household_no = ?")
            params.append(self.household_no)
        return " AND ".join(clauses), params


@dataclass
class FactRow:
    household_id: int
    township: str
    facts: HouseholdFacts


@dataclass
class ClassifyResult:
    classified: int = 0
    changed: int = 0
    by_category: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORY_KEYS, 0))
    by_township: dict[str, dict[str, int]] = field(default_factory=dict)
    policy_version: str = ""
    as_of: dt.date | None = None
    batch_id: int | None = None

    @property
    def unchanged(self) -> int:
        return self.classified - self.changed

    def to_json(self) -> dict[str, Any]:
        return {
            "classified": self.classified,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "by_category": self.by_category,
            "by_township": self.by_township,
            "policy_version": self.policy_version,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "batch_id": self.batch_id,
        }


# --- reading facts ----------------------------------------------------------------------------


def _labels(codes: type[Coded]) -> dict[Any, Any]:
    table: dict[Any, Any] = {m.value: m for m in codes}
    table[None] = None
    table[""] = None
    return table


_SKILL, _HEALTH, _RELATION = _labels(LabourSkill), _labels(Health), _labels(Relation)
_SCHOOL, _WORK = _labels(SchoolStatus), _labels(WorkStatus)
_HOUSING, _CAUSE = _labels(Housing), _labels(Cause)
_CATEGORY = _labels(Category)


def _odd(codes: type[Coded], value: Any, where: str) -> Any:
    """A value that is not a stored label (typed into the database by hand): parse or refuse."""
    try:
        return codes.parse(value)
    except CodeError as exc:
        raise UsageError(
            f"{where}: {exc}; correct it in the roster and run fupin identify"
        ) from None


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _age_of(as_of: dt.date) -> Callable[[Any], int]:
    """Completed years at ``as_of`` from an ISO birth date (text in SQLite, a date elsewhere)."""
    year, month_day = as_of.year, as_of.strftime("%m-%d")

    def age(birth: Any) -> int:
        iso = birth if isinstance(birth, str) else birth.isoformat()
        return year - int(iso[:4]) - (iso[5:10] > month_day)

    return age


def _fetch(conn: Connection, sql: str, params: list[Any]) -> list[tuple]:
    """Plain tuples from the driver: a county's 835,000 person rows skip SQLAlchemy's Row."""
    if conn.dialect.name != "sqlite":
        sql = sql.replace("?", "%s")
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _member_codes(skill: Any, health: Any, relation: Any, school: Any, work: Any, pid: str):
    """The code members of a person's stored labels; a label typed in by hand is parsed."""
    where = f"person {pid}"
    return (
        _SKILL[skill] if skill in _SKILL else _odd(LabourSkill, skill, where),
        _HEALTH[health] if health in _HEALTH else _odd(Health, health, where),
        _RELATION[relation] if relation in _RELATION else _odd(Relation, relation, where),
        _SCHOOL[school] if school in _SCHOOL else _odd(SchoolStatus, school, where),
        _WORK[work] if work in _WORK else _odd(WorkStatus, work, where),
    )


def read_facts(conn: Connection, selection: Selection, as_of: dt.date) -> list[FactRow]:
    """The facts of the selected households: two queries, persons grouped in Python.

    Per person: two dictionary look-ups (its five labels together, its birth date), one tuple.
    """
    where, params = selection.where()
    members: dict[int, list[Member]] = {}
    age_of = _age_of(as_of)
    ages: dict[Any, int] = {}
    codes: dict[tuple, tuple] = {}
    new = tuple.__new__
    person_rows = _fetch(
        conn,
        "SELECT p.household_id, p.id_number, p.name, p.birth_date, p.labour_skill, p.health, "
        "p.relation, p.school_status, p.work_status "
        f"FROM household h JOIN person p ON p.household_id = h.id WHERE {where}",
        params,
    )
    for hid, pid, name, birth, *labels in person_rows:
        key = tuple(labels)
        coded = codes.get(key)
        if coded is None:
            coded = codes[key] = _member_codes(*labels, pid)
        age = ages.get(birth)
        if age is None:
            age = ages[birth] = age_of(birth)
        m = new(Member, (name, age, *coded))
        group = members.get(hid)
        if group is None:
            members[hid] = [m]
        else:
            group.append(m)

    household_rows = _fetch(
        conn,
        "SELECT h.id, h.household_no, t.name, h.housing, h.relocation_zone, v.relocation_zone, "
        "h.is_dibao, h.is_wubao, h.main_cause FROM household h "
        "JOIN village v ON v.id = h.village_id JOIN township t ON t.id = v.township_id "
        f"WHERE {where} ORDER BY h.id",
        params,
    )
    out = []
    for hid, no, township, housing, own_zone, village_zone, dibao, wubao, cause in household_rows:
        facts = HouseholdFacts(
            no,
            tuple(members.get(hid, ())),
            _HOUSING[housing] if housing in _HOUSING else _odd(Housing, housing, f"household {no}"),
            _flag(own_zone),
            _flag(village_zone),
            _flag(dibao),
            _flag(wubao),
            _CAUSE[cause] if cause in _CAUSE else _odd(Cause, cause, f"household {no}"),
        )
        out.append(FactRow(hid, township, facts))
    return out


def current_classifications(
    conn: Connection, selection: Selection, as_of: dt.date
) -> dict[int, tuple[str, tuple[str, ...]]]:
    """household id → (category, measures) of its classification on ``as_of``: the latest row
    made for that day or before, as the report reads it. So classifying as of a quarter's last
    day records the plans a later run dated after the quarter had kept out of its report."""
    where, params = selection.where()
    rows = _fetch(
        conn,
        "SELECT household_id, category, measures FROM classification WHERE id IN ("
        "SELECT max(c.id) FROM classification c JOIN household h ON h.id = c.household_id "
        f"WHERE {where} AND c.as_of <= ? GROUP BY c.household_id)",
        [*params, as_of.isoformat()],
    )
    parsed: dict[str, tuple[str, ...]] = {}  # a county has a few dozen distinct measure lists
    out = {}
    for hid, category, measures in rows:
        listed = parsed.get(measures)
        if listed is None:
            listed = parsed[measures] = tuple(json.loads(measures or "[]"))
        out[hid] = (category, listed)
    return out


# --- the run ----------------------------------------------------------------------------------


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _measures_json(measures: tuple, cache: dict[tuple, str]) -> str:
    text = cache.get(measures)
    if text is None:
        text = cache[measures] = _JSON.encode([m.value for m in measures])
    return text


def run(
    db: Database,
    *,
    policy: Policy,
    as_of: dt.date,
    village: str | None = None,
    household: str | None = None,
    arguments: dict[str, Any] | None = None,
) -> ClassifyResult:
    """Classify the selected registered households; store what changed, with a batch row."""
    result = ClassifyResult(policy_version=policy.version, as_of=as_of)
    rules = policy.classify
    with db.transaction() as conn, paused_gc():
        selection = Selection()
        if village is not None:
            selection.village_id = Geography.load(conn).resolve(village)
        if household is not None:
            _require_registered(conn, household)
            selection.household_no = household
        batch = start_batch(
            conn,
            "classify",
            arguments={
                **(arguments or {}),
                "village": village,
                "household": household,
                "as_of": as_of.isoformat(),
            },
            policy_version=policy.version,
        )
        rows = read_facts(conn, selection, as_of)
        current = current_classifications(conn, selection, as_of)
        measures_cache: dict[tuple, str] = {}
        version, day, encode = policy.version, as_of.isoformat(), _JSON.encode
        by_category = result.by_category
        by_township = result.by_township
        inserts = []
        for row in rows:
            c = decide(row.facts, rules)
            key = c.category.key
            by_category[key] += 1
            counts = by_township.get(row.township)
            if counts is None:
                counts = by_township[row.township] = dict.fromkeys(CATEGORY_KEYS, 0)
            counts[key] += 1
            # labels compare equal to the code members: ("大病救助", ("技能培训",)) == (c.category, …)
            if current.get(row.household_id) != (c.category, c.measures):
                measures = _measures_json(c.measures, measures_cache)
                reasons = encode(c.classification().reasons_json())
                inserts.append(
                    (row.household_id, c.category.value, measures, reasons, version, day, batch.id)
                )
        executemany(
            conn,
            "INSERT INTO classification (household_id, category, measures, reasons, "
            "policy_version, as_of, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            inserts,
        )
        result.classified = len(rows)
        result.changed = len(inserts)
        result.batch_id = batch.id
        batch.finish(
            {
                "classified": result.classified,
                "changed": result.changed,
                "by_category": by_category,
            }
        )
    return result


def _require_registered(conn: Connection, household_no: str) -> None:
    status = conn.execute(
        select(_household.c.status).where(_household.c.household_no == household_no)
    ).scalar()
    if status is None:
        raise UsageError(_unknown(household_no, "--household"))
    if status not in REGISTERED:
        raise UsageError(
            f"--household {household_no}: status {status}, not a registered poor household; "
            f"only {'/'.join(REGISTERED)} households are classified"
        )


def _unknown(household_no: str, option: str) -> str:
    return (
        f"{option} {household_no}: no such household in the register; "
        "check the 户编号 (households come in with fupin identify)"
    )


# --- one household: explain and plan ----------------------------------------------------------


@dataclass
class OneHousehold:
    household_id: int
    status: str
    village: str  # 乡镇/村
    attribute: str | None
    head_name: str | None
    facts: HouseholdFacts


def _one(conn: Connection, household_no: str, as_of: dt.date, option: str) -> OneHousehold:
    row = conn.execute(
        select(
            _household.c.id,
            _household.c.status,
            _household.c.village_id,
            _household.c.attribute,
            _household.c.head_name,
        ).where(_household.c.household_no == household_no)
    ).first()
    if row is None:
        raise UsageError(_unknown(household_no, option))
    hid, status, village_id, attribute, head_name = row
    selection = Selection(household_no=household_no, any_status=True)
    facts = read_facts(conn, selection, as_of)[0].facts
    members = sorted(facts.members, key=lambda m: (_family_rank(m.relation), -m.age, m.name))
    facts = facts._replace(members=tuple(members))
    geo = Geography.load(conn)
    return OneHousehold(hid, status, geo.label(village_id), attribute, head_name, facts)


def explain_household(
    db: Database, household_no: str, *, policy: Policy, as_of: dt.date
) -> tuple[OneHousehold, Explanation]:
    """Every rule checked for one household (any status); nothing is written."""
    with db.reading() as conn:
        one = _one(conn, household_no, as_of, "--explain")
    return one, explain(one.facts, policy.classify)


@dataclass
class PlanResult:
    household_no: str
    output: Path
    category: str  # the recorded category, or what the rules give now when none is recorded
    measures: list[str]
    cadre: str | None
    members: int
    recorded: bool  # a classification is on record (fupin classify ran for the household)
    current: dict[str, Any] | None = None  # the rules' result now, when it differs from the record


@dataclass
class Recorded:
    """The latest classification row of a household: what the register says."""

    category: str
    measures: tuple[str, ...]
    as_of: dt.date
    policy_version: str


def recorded_classification(conn: Connection, household_id: int) -> Recorded | None:
    row = conn.execute(
        select(
            _classification.c.category,
            _classification.c.measures,
            _classification.c.as_of,
            _classification.c.policy_version,
        )
        .where(_classification.c.household_id == household_id)
        .order_by(_classification.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    category, measures, as_of, version = row
    return Recorded(category, tuple(json.loads(measures or "[]")), as_of, version)


def plan(
    db: Database,
    household_no: str,
    output: Path,
    *,
    policy: Policy,
    as_of: dt.date | None,
    show_id: bool = False,
) -> PlanResult:
    """Write the 一户一策 record of one household to ``output`` (.xlsx); nothing else is written.

    The category and measures are the ones on record (the latest ``fupin classify``); when the
    rules give something else now (the facts or the policy changed since), the plan says so
    beside them. A household never classified shows what the rules give now, marked as such.
    ``as_of`` None: the day of the record (else the register's own date, else today)."""
    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"-o {output}: the plan is a workbook; give a file name ending in .xlsx")
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"-o {output}: folder {folder} does not exist")
    with db.reading() as conn:
        hid = conn.execute(
            select(_household.c.id).where(_household.c.household_no == household_no)
        ).scalar()
        record = recorded_classification(conn, hid) if hid is not None else None
        # judged on the record's day unless --as-of says otherwise: the ages are those it saw
        if as_of is None:
            as_of = record.as_of if record is not None else register_date(conn) or dt.date.today()
        one = _one(conn, household_no, as_of, "--plan")
        people = conn.execute(
            select(
                _person.c.name,
                _person.c.id_number,
                _person.c.relation,
                _person.c.sex,
                _person.c.birth_date,
                _person.c.education,
                _person.c.school_status,
                _person.c.health,
                _person.c.labour_skill,
                _person.c.work_status,
            ).where(_person.c.household_id == one.household_id)
        ).all()
        cadres = [
            name
            for (name,) in conn.execute(
                select(_cadre.c.name)
                .join(_pairing, _pairing.c.cadre_id == _cadre.c.id)
                .where(
                    _pairing.c.household_id == one.household_id,
                    _pairing.c.kind == "household",
                    _pairing.c.end_date.is_(None),
                )
                .order_by(_pairing.c.start_date, _pairing.c.id)
            )
        ]
    people.sort(
        key=lambda p: (_family_rank(_RELATION.get(p.relation)), p.birth_date or dt.date.max, p.name)
    )
    c = classify(one.facts, policy.classify)
    now = (c.category.value, tuple(m.value for m in c.measures))
    shown = (record.category, record.measures) if record is not None else now
    current = now if record is not None and shown != now else None
    _write_plan(
        output,
        one,
        c,
        shown,
        record,
        current,
        people,
        cadres,
        policy=policy,
        as_of=as_of,
        show_id=show_id,
    )
    return PlanResult(
        household_no,
        output,
        shown[0],
        list(shown[1]),
        "、".join(cadres) or None,
        len(people),
        recorded=record is not None,
        current={"category": current[0], "measures": list(current[1])} if current else None,
    )


def _category_label(label: str) -> str:
    """大病救助 illness_aid; a label the program does not know (a hand edit) as it is."""
    category = _CATEGORY.get(label)
    return f"{category} {category.key}" if category is not None else label


def _family_rank(relation: Relation | None) -> str:
    """Members in the order a household register lists them: 户主, 配偶, children, … (the
    relation's code order); the elder first within one relation."""
    return relation.code if relation is not None else Relation.OTHER.code


def _write_plan(
    output: Path,
    one: OneHousehold,
    c: Classification,
    shown: tuple[str, tuple[str, ...]],
    record: Recorded | None,
    current: tuple[str, tuple[str, ...]] | None,
    people: list[Any],
    cadres: list[str],
    *,
    policy: Policy,
    as_of: dt.date,
    show_id: bool,
) -> None:
    """``shown`` is the category and measures the plan states (on record, else the rules' now);
    ``current`` what the rules give now when it differs from the record; ``c`` is the rules'
    result, whose reasons the third sheet lists."""
    f = one.facts
    ages = _age_of(as_of)
    if record is None:
        on_record = "未登记 not on record: what the rules give now; run fupin classify to record it"
    else:
        on_record = f"{record.as_of} (政策版本 policy {record.policy_version})"
    differs: list[tuple[str, str]] = []
    if current is not None:
        differs.append(
            (
                "按现行规则 under the rules now",
                f"{_category_label(current[0])}; {'、'.join(current[1]) or '无'} — the facts or "
                "the policy changed since; run fupin classify to record it",
            )
        )

    def yn(value: bool | None) -> str:
        return "是" if value else ("" if value is None else "否")

    facts = pairs(
        [
            ("户编号 household no", f.household_no),
            ("乡镇/村 township/village", one.village),
            ("户主 head", one.head_name or ""),
            ("状态 status", one.status),
            ("贫困户属性 attribute", one.attribute or ""),
            ("主要致贫原因 main cause", f.main_cause or ""),
            ("住房状况 housing", f.housing or ""),
            ("低保 dibao", yn(f.dibao)),
            ("五保 wubao", yn(f.wubao)),
            ("搬迁区域(户) relocation zone (household)", yn(f.relocation_zone)),
            ("搬迁区域(村) relocation zone (village)", yn(f.village_relocation_zone)),
            ("帮扶类别 category", _category_label(shown[0])),
            ("帮扶措施 measures", "、".join(shown[1]) or "无"),
            ("登记 on record", on_record),
            *differs,
            ("帮扶责任人 responsible cadre", "、".join(cadres) or "未结对 not yet paired"),
            ("基准日期 as of", as_of),
            ("政策版本 policy version", policy.version),
        ],
    )
    members = Section(
        "家庭成员",
        [
            "姓名 name",
            "身份证号 ID number",
            "与户主关系 relation",
            "性别 sex",
            "年龄 age",
            "文化程度 education",
            "在校生状况 school",
            "健康状况 health",
            "劳动技能 labour",
            "务工状况 work",
        ],
        [
            (
                p.name,
                p.id_number if show_id else mask_id(p.id_number),
                p.relation,
                p.sex,
                ages(p.birth_date),
                p.education or "",
                p.school_status or "",
                p.health,
                p.labour_skill,
                p.work_status or "",
            )
            for p in people
        ],
        formats={1: TEXT_FORMAT},
    )
    reasons = Section(
        "帮扶措施",
        ["类型 kind", "项目 item", "规则 rule", "依据 reason"],
        [
            (
                "主要类别 category" if i == 0 else "帮扶措施 measure",
                str(r.subject),
                r.rule,
                describe(r),
            )
            for i, r in enumerate(c.reasons)
        ],
    )
    wb = new_workbook()
    heading = county_heading(
        policy.county,
        "贫困户一户一策帮扶计划",
        one.village,
        f"户主 {one.head_name or ''}（户编号 {f.household_no}）",
        period=f"基准日期 {as_of.isoformat()}",
    )
    write_sections(wb, "一户一策", [facts, members, reasons], heading=heading, max_width=30)
    save_workbook(wb, output)

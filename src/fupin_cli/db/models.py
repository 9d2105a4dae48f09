"""The schema, once: SQLModel table classes for the whole register (DESIGN.md §4).

``data/schema.sql`` is generated from these classes (``python -m fupin_cli.db.schema``); a test
fails when the two drift apart. Money is integer fen (``*_fen``), dates ISO, coded values are
stored as their Chinese label (see ``core.codes``), lists and reasons as JSON text.
Bulk writes go through SQLAlchemy Core / executemany (``db.bulk``), never ORM ``add_all``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DDL, CheckConstraint, Index, UniqueConstraint, event
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 6
# v6: the county exit self-assessment: assess_sample (the drawn households of a year) and
# assess_answer (the survey's answers, appended; the latest per household counts).
# v5: the ledger's hash chain (fund_entry.prev_hash, entry_hash; batch.ledger_entries,
# ledger_seal); upgrading computes it once for the entries already there (db.ledger_seal).
# v3: 户编号 and 工号 are kept NFKC-normalised (full-width ４３０７… is 4307…); upgrading a v1/v2
# register normalises the ones stored before (db.engine._normalise_codes).

# Indexes an older schema had and this one drops on upgrade, with the version that dropped them.
# v2: fund_entry (channel, date) and (village_id, date) — every ledger query is an aggregate over
# the year's entries; SQLite read them slower through these indexes than by a scan, and a county
# year's import spent 0.2 s building them.
DROPPED_INDEXES: tuple[str, ...] = ("ix_fund_entry_channel_date", "ix_fund_entry_village")


class Meta(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class Batch(SQLModel, table=True):
    """One row per run of a write command — the audit trail, written with the data."""

    __tablename__ = "batch"
    id: int | None = Field(default=None, primary_key=True)
    command: str
    arguments: str = "{}"  # JSON
    input_file: str | None = None
    input_sha256: str | None = None
    policy_version: str | None = None
    counts: str = "{}"  # JSON
    started_at: str  # ISO 8601 with offset
    finished_at: str | None = None
    outcome: str = "ok"  # ok | data_problems | refused
    # a batch that wrote fund entries: the ledger's size and seal after it (fupin fund verify)
    ledger_entries: int | None = None
    ledger_seal: str | None = None


class Township(SQLModel, table=True):
    """乡镇."""

    __tablename__ = "township"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    code: str | None = Field(default=None, unique=True)  # 9-digit 统计用区划代码


class Village(SQLModel, table=True):
    """村 (村居). Known by (township, name); ``code`` is the 12-digit 统计用区划代码."""

    __tablename__ = "village"
    __table_args__ = (UniqueConstraint("township_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    township_id: int = Field(foreign_key="township.id", index=True)
    name: str
    code: str | None = Field(default=None, unique=True)
    is_poor: bool | None = None  # 贫困村
    registered_population: int | None = None  # 户籍人口
    agricultural_population: int | None = None  # 农业人口
    collective_income_fen: int | None = None  # 村集体经济收入
    collective_income_year: int | None = None
    relocation_zone: bool | None = None  # 搬迁区域: 一方水土养不起一方人
    safe_water: bool | None = None  # 通安全饮水
    power: bool | None = None  # 通动力电
    hardened_road: bool | None = None  # 通硬化路
    unsafe_housing_cleared: bool | None = None  # 危房清零
    clinic: bool | None = None  # 有标准化卫生室
    broadcasting: bool | None = None  # 通广播电视
    broadband: bool | None = None  # 通宽带
    batch_id: int | None = Field(default=None, foreign_key="batch.id")


class Household(SQLModel, table=True):
    """户 — the unit of identification. ``household_no`` is the 户编号."""

    __tablename__ = "household"
    id: int | None = Field(default=None, primary_key=True)
    household_no: str = Field(unique=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    group_name: str | None = None  # 组
    income_per_capita_fen: int | None = None  # 家庭年人均纯收入
    housing: str | None = None  # codes.Housing
    housing_area: float | None = None  # ㎡
    farmland_mu: float | None = None  # 耕地面积(亩)
    is_dibao: bool | None = None  # 低保
    is_wubao: bool | None = None  # 五保
    relocation_zone: bool | None = None
    has_public_servant: bool | None = None  # 有财政供养人员
    has_vehicle: bool | None = None  # 有车辆或大型农机
    has_town_property: bool | None = None  # 有城镇商品房或门面
    has_business: bool | None = None  # 有注册企业
    phone: str | None = None
    head_name: str | None = None
    status: str = Field(default="未识别", index=True)  # codes.Status
    attribute: str | None = None  # codes.Attribute
    main_cause: str | None = None  # codes.Cause
    other_causes: str | None = None  # JSON list of codes.Cause
    fingerprint: str | None = None  # digest of the roster facts, to skip unchanged households
    batch_id: int | None = Field(default=None, foreign_key="batch.id")


class Person(SQLModel, table=True):
    """家庭成员, keyed by 身份证号 (18 digits, GB 11643 checked)."""

    __tablename__ = "person"
    id_number: str = Field(primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    name: str
    sex: str  # codes.Sex
    birth_date: dt.date
    relation: str  # codes.Relation
    education: str | None = None
    school_status: str | None = None
    health: str
    labour_skill: str
    work_status: str | None = None
    batch_id: int | None = Field(default=None, foreign_key="batch.id")


class Assessment(SQLModel, table=True):
    """The frozen 评议 record: one household, one identification round, every reason."""

    __tablename__ = "assessment"
    __table_args__ = (Index("ix_assessment_household", "household_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    as_of: dt.date
    policy_version: str
    housing_score: float
    production_score: float
    labour_score: float
    education_score: float
    health_score: float
    score: float
    deprived: bool
    income_per_capita_fen: int | None = None
    income_line_fen: int
    vetoes: str = "[]"  # JSON list of exclusion labels that fired
    decision: str  # codes.Decision key
    main_cause: str | None = None
    other_causes: str = "[]"
    reasons: str = "[]"  # JSON list of sentences
    fingerprint: str  # facts + policy + round; unchanged input stores nothing new
    batch_id: int = Field(foreign_key="batch.id")


class StatusEvent(SQLModel, table=True):
    """Dated lifecycle of a household: 未识别 → 已识别 → 预脱贫 → 已脱贫, 返贫, 剔除."""

    __tablename__ = "status_event"
    __table_args__ = (Index("ix_status_event_household", "household_id", "date"),)
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    date: dt.date = Field(index=True)
    event: str  # identified | proposed_exit | exited | returned | removed | exit_withdrawn | member_moved
    from_status: str | None = None
    to_status: str | None = None
    reason: str = ""
    batch_id: int = Field(foreign_key="batch.id")


class Classification(SQLModel, table=True):
    """一户一策: history of a household's category; the latest row is current."""

    __tablename__ = "classification"
    __table_args__ = (Index("ix_classification_household", "household_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id")
    category: str  # codes.Category
    measures: str = "[]"  # JSON list of codes.Measure
    reasons: str = "[]"  # JSON: the rules that fired and their facts
    policy_version: str
    as_of: dt.date
    batch_id: int = Field(foreign_key="batch.id")


class Unit(SQLModel, table=True):
    """单位: a cadre's employer, a 后盾单位 backing a village, or a paired enterprise (企业)."""

    __tablename__ = "unit"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    kind: str = "单位"  # 单位 | 企业
    credit_code: str | None = Field(default=None, unique=True)  # 统一社会信用代码


class Cadre(SQLModel, table=True):
    """干部 (teachers included). Key: 工号 when given, else 身份证号."""

    __tablename__ = "cadre"
    id: int | None = Field(default=None, primary_key=True)
    staff_no: str | None = Field(default=None, unique=True)  # 工号
    id_number: str | None = Field(default=None, unique=True)
    name: str = Field(index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    rank: str  # codes.CadreRank
    township_id: int | None = Field(default=None, foreign_key="township.id")
    is_teacher: bool = False
    phone: str | None = None
    in_post: bool = True
    batch_id: int | None = Field(default=None, foreign_key="batch.id")


class Pairing(SQLModel, table=True):
    """结对帮联: a cadre responsible for a household (帮扶责任人) or for one student in it."""

    __tablename__ = "pairing"
    __table_args__ = (
        Index("ix_pairing_household", "household_id", "end_date"),
        Index("ix_pairing_cadre", "cadre_id", "end_date"),
        CheckConstraint("kind IN ('household', 'student')", name="ck_pairing_kind"),
    )
    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadre.id")
    household_id: int = Field(foreign_key="household.id")
    person_id: str | None = Field(default=None, foreign_key="person.id_number")  # the student
    kind: str  # household | student
    start_date: dt.date
    end_date: dt.date | None = None
    end_reason: str | None = None
    batch_id: int = Field(foreign_key="batch.id")


class Visit(SQLModel, table=True):
    """民情记录本: one visit by a cadre to a household."""

    __tablename__ = "visit"
    __table_args__ = (
        UniqueConstraint("date", "cadre_id", "household_id", "kind", "problem"),
        Index("ix_visit_household", "household_id", "date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    date: dt.date = Field(index=True)
    cadre_id: int = Field(foreign_key="cadre.id")
    household_id: int = Field(foreign_key="household.id")
    kind: str  # codes.VisitKind
    money_fen: int = 0  # 慰问金
    goods_fen: int = 0  # 物资折价
    deeds: int = 0  # 办实事件数
    problem: str = ""
    solved: bool | None = None
    batch_id: int = Field(foreign_key="batch.id")


class WorkTeam(SQLModel, table=True):
    """驻村工作队: leader (市/县/乡镇 level), 第一书记, backing units, a paired enterprise."""

    __tablename__ = "work_team"
    __table_args__ = (UniqueConstraint("village_id", "start_date"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    leader_name: str | None = None
    leader_level: str | None = None  # codes.LeaderLevel
    secretary_name: str | None = None  # 第一书记
    enterprise_id: int | None = Field(default=None, foreign_key="unit.id")  # 联村企业
    start_date: dt.date
    end_date: dt.date | None = None
    batch_id: int = Field(foreign_key="batch.id")


class WorkTeamUnit(SQLModel, table=True):
    """后盾单位 backing a work team."""

    __tablename__ = "work_team_unit"
    work_team_id: int = Field(foreign_key="work_team.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)


class Project(SQLModel, table=True):
    """扶贫项目 in a village (e.g. 3100 亩 油茶)."""

    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("village_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    name: str
    industry: str  # codes.Industry
    scale: float | None = None
    scale_unit: str | None = None
    start_date: dt.date | None = None
    batch_id: int = Field(foreign_key="batch.id")


class FundEntry(SQLModel, table=True):
    """The append-only ledger (四个一点 + social). Corrections are reversals, never edits."""

    __tablename__ = "fund_entry"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="ck_fund_entry_amount_positive"),)
    id: int | None = Field(default=None, primary_key=True)
    doc_no: str = Field(unique=True)  # 文号
    date: dt.date
    channel: str  # codes.Channel key
    kind: str  # codes.FundKind key
    amount_fen: int
    village_id: int | None = Field(default=None, foreign_key="village.id")
    project_id: int | None = Field(default=None, foreign_key="project.id")
    household_id: int | None = Field(default=None, foreign_key="household.id")
    purpose: str | None = None
    reverses_doc: str | None = Field(default=None, foreign_key="fund_entry.doc_no")
    allocation_doc: str | None = Field(default=None, foreign_key="fund_entry.doc_no")
    note: str = ""
    batch_id: int = Field(foreign_key="batch.id")
    # the hash chain (core.ledger_chain): the entry before's hash, and this entry's
    prev_hash: str | None = None
    entry_hash: str | None = None


class Loan(SQLModel, table=True):
    """扶贫小额信贷 to a registered poor household."""

    __tablename__ = "loan"
    __table_args__ = (UniqueConstraint("borrower_id", "bank", "start_date"),)
    id: int | None = Field(default=None, primary_key=True)
    household_id: int = Field(foreign_key="household.id", index=True)
    borrower_id: str = Field(foreign_key="person.id_number")
    bank: str
    amount_fen: int
    start_date: dt.date
    term_months: int
    rate_bp: int  # annual rate in basis points: 4.35% -> 435
    purpose: str
    status: str  # codes.LoanStatus
    # 还款日期 of a loan 已还 (schema v4): it counted as outstanding until then. None for a loan
    # not repaid, or one a file marked 已还 without the day (then repaid for every year).
    repaid_date: dt.date | None = None
    batch_id: int = Field(foreign_key="batch.id")


class MeasureRecord(SQLModel, table=True):
    """帮扶措施落实台账: a measure delivered to a household (or one member of it)."""

    __tablename__ = "measure_record"
    __table_args__ = (
        UniqueConstraint("date", "household_id", "person_id", "measure", "content"),
        Index("ix_measure_record_household", "household_id", "measure"),
    )
    id: int | None = Field(default=None, primary_key=True)
    date: dt.date
    household_id: int = Field(foreign_key="household.id")
    person_id: str | None = Field(default=None, foreign_key="person.id_number")
    measure: str  # codes.Category or codes.Measure label
    content: str = ""
    amount_fen: int = 0
    cadre_id: int | None = Field(default=None, foreign_key="cadre.id")
    batch_id: int = Field(foreign_key="batch.id")


class AssessSample(SQLModel, table=True):
    """贫困县退出自评: a household drawn into a year's survey sample, with its stratum then."""

    __tablename__ = "assess_sample"
    __table_args__ = (UniqueConstraint("year", "household_id"),)
    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    seed: int
    household_id: int = Field(foreign_key="household.id")
    village_id: int = Field(foreign_key="village.id")
    stratum: str  # core.assess.STRATA: exited | registered | never
    persons: int  # 人数 when drawn
    batch_id: int = Field(foreign_key="batch.id")


class AssessAnswer(SQLModel, table=True):
    """入户调查: one household's answers; a correction is a new row, the latest one counts."""

    __tablename__ = "assess_answer"
    __table_args__ = (Index("ix_assess_answer_household", "year", "household_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    year: int
    household_id: int = Field(foreign_key="household.id")
    income_fen: int | None = None  # 核实人均纯收入
    food_clothing: bool | None = None  # 吃穿不愁
    education: bool | None = None  # 义务教育有保障
    medical: bool | None = None  # 基本医疗有保障
    housing: bool | None = None  # 住房安全有保障
    water: bool | None = None  # 饮水安全有保障
    approve: bool | None = None  # 认可
    surveyor: str = ""  # 调查员
    surveyed_on: dt.date | None = None  # 调查日期
    batch_id: int = Field(foreign_key="batch.id")


# The ledger is append-only in the database too: no UPDATE, no DELETE. The statements are
# idempotent, so an upgrade can run them again on an existing register.
_REFUSE = "fund_entry is append-only: record a reversal (冲销) instead"
APPEND_ONLY_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": tuple(
        f"CREATE TRIGGER IF NOT EXISTS fund_entry_no_{verb.lower()} BEFORE {verb} ON fund_entry\n"
        f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END"
        for verb in ("UPDATE", "DELETE")
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION fund_entry_append_only() RETURNS trigger AS $$ BEGIN "
        f"RAISE EXCEPTION '{_REFUSE}'; END; $$ LANGUAGE plpgsql",
        "CREATE OR REPLACE TRIGGER fund_entry_no_update_delete BEFORE UPDATE OR DELETE ON fund_entry "
        "FOR EACH ROW EXECUTE FUNCTION fund_entry_append_only()",
        "CREATE OR REPLACE TRIGGER fund_entry_no_truncate BEFORE TRUNCATE ON fund_entry "
        "FOR EACH STATEMENT EXECUTE FUNCTION fund_entry_append_only()",
    ),
}
# The triggers those statements make, by dialect: fupin fund verify checks they are there.
LEDGER_TRIGGERS: dict[str, tuple[str, ...]] = {
    "sqlite": ("fund_entry_no_update", "fund_entry_no_delete"),
    "postgresql": ("fund_entry_no_update_delete", "fund_entry_no_truncate"),
}
_fund_table = FundEntry.__table__  # type: ignore[attr-defined]
for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _sql in _statements:
        event.listen(_fund_table, "after_create", DDL(_sql).execute_if(dialect=_dialect))

metadata = SQLModel.metadata

"""fupin fund balance / check / notice: the ledger summed by SQL, the county rules, the notice.

``fund_rules(conn, year, policy)`` is what the quarterly report reuses; the rules themselves are
the pure ``core.ledger.check_rules``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, case, func, literal_column, null, or_, select

from fupin_cli.core.codes import Channel, LoanStatus
from fupin_cli.core.dates import FIRST_YEAR, LAST_YEAR, parse_date
from fupin_cli.core.ledger import (
    AGRI_TOTAL,
    ALLOCATION,
    CREDIT,
    DISBURSEMENT,
    RECEIPT,
    REVERSAL,
    SELF_RAISED,
    BalanceRow,
    Flow,
    FundFacts,
    RuleResult,
    balances,
    channel_label,
    check_rules,
    kind_label,
)
from fupin_cli.core.policy import Policy
from fupin_cli.db.geo import Geography
from fupin_cli.db.models import FundEntry, Loan, Project, Village
from fupin_cli.errors import UsageError
from fupin_cli.jobs.fund_refs import RefError, Refs

_fund = FundEntry.__table__  # type: ignore[attr-defined]
_village = Village.__table__  # type: ignore[attr-defined]
_project = Project.__table__  # type: ignore[attr-defined]
_loan = Loan.__table__  # type: ignore[attr-defined]

COUNTY = "县级"  # entries with no village


# -- balances -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: dt.date | None  # None: from the beginning
    end: dt.date | None  # None: to the end

    @classmethod
    def year(cls, year: int | None) -> Period:
        if year is None:
            return cls(None, None)
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise UsageError(
                f"--year {year}: not a year the ledger can hold ({FIRST_YEAR}–{LAST_YEAR})"
            )
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))


FLOW_KEYS = ("channel", "village", "purpose")


def flows(
    conn: Connection,
    period: Period,
    group: Sequence[str] = FLOW_KEYS,
    purposes: Sequence[str] | None = None,
) -> list[Flow]:
    """Entries up to the period's end summed by kind (a reversal by its target's kind) and the
    ``group`` keys (channel, village, purpose; the others come back None), split into before and
    inside the period. With ``purposes``, any other purpose comes back None (fewer groups when
    only those matter). One aggregate query, each reversal joined to what it cancels."""
    e = _fund.alias("e")
    t = _fund.alias("t")
    # No bound parameters in what is grouped: PostgreSQL matches GROUP BY expressions by their
    # text, and two binds of one value are two different $n.
    if period.start:
        since = literal_column(f"'{period.start.isoformat()}'")  # a date we made, not input
        in_col = case((e.c.date >= since, literal_column("1")), else_=literal_column("0"))
    else:
        in_col = literal_column("1")
    purpose = e.c.purpose
    if purposes is not None:  # quoted literals, not binds (see above); policy text, escaped
        kept = [e.c.purpose == literal_column("'" + p.replace("'", "''") + "'") for p in purposes]
        purpose = case((or_(*kept), e.c.purpose), else_=null()) if kept else null()
    columns = {"channel": e.c.channel, "village": e.c.village_id, "purpose": purpose}
    chosen = [columns[k] if k in group else null() for k in FLOW_KEYS]
    keys = [e.c.kind, *(columns[k] for k in FLOW_KEYS if k in group), in_col]
    # One pass over the ledger: a reversal is joined to the entry it cancels (for its kind).
    stmt = (
        select(t.c.kind, e.c.kind, *chosen, in_col, func.sum(e.c.amount_fen), func.count())
        .select_from(e.outerjoin(t, and_(e.c.kind == REVERSAL, t.c.doc_no == e.c.reverses_doc)))
        .group_by(t.c.kind, *keys)
    )
    if period.end:
        stmt = stmt.where(e.c.date <= period.end)
    return [
        Flow(kind, channel, vid, purpose, int(amount), bool(inside), tkind, int(n))
        for tkind, kind, channel, vid, purpose, inside, amount, n in conn.execute(stmt).all()
    ]


@dataclass
class BalanceReport:
    year: int | None
    by: str
    rows: list[dict[str, Any]]
    total: dict[str, Any]


def _balance_record(row: BalanceRow, by: str, label: str, code: str | None = None):
    out: dict[str, Any] = {by: label}
    if by == "channel":
        out["channel_key"] = row.key
    if by == "village":
        out["village_code"] = code
    out.update(  # integer fen, named so as the report's money is
        received_fen=row.received,
        allocated_fen=row.allocated,
        disbursed_fen=row.disbursed,
        available_fen=row.available,
    )
    return out


def fund_balance(conn: Connection, *, year: int | None, by: str) -> BalanceReport:
    """fupin fund balance: flows in the year (or all time) and available balances at its end."""
    period = Period.year(year)
    rows, total = balances(flows(conn, period, (by,)), by)
    geo = Geography.load(conn) if by == "village" else None
    out = []
    for row in rows:
        code = None
        if by == "channel":
            label = channel_label(str(row.key))
        elif by == "village":
            assert geo is not None
            label = geo.label(row.key) if row.key is not None else COUNTY  # type: ignore[arg-type]
            code = geo.codes.get(row.key) if row.key is not None else None  # type: ignore[arg-type]
        else:
            label = str(row.key) if row.key else "(无用途 none)"
        out.append(_balance_record(row, by, label, code))
    tot = _balance_record(total, by, "合计 total")
    tot.pop("channel_key", None)
    tot.pop("village_code", None)
    return BalanceReport(year=year, by=by, rows=out, total=tot)


# -- the county's money rules ---------------------------------------------------------------------


def latest_year(conn: Connection) -> int:
    """The year of the latest ledger entry (this year when the ledger is empty). An entry dated
    outside the years a record may carry (kept from before they were checked) is passed over."""
    window = _fund.c.date.between(dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31))
    last = conn.execute(select(func.max(_fund.c.date)).where(window)).scalar()
    if last is None:
        return dt.date.today().year
    return parse_date(last).year if not isinstance(last, dt.date) else last.year


def fund_facts(
    conn: Connection, year: int, policy: Policy, until: dt.date | None = None
) -> FundFacts:
    """What the rules look at for ``year`` (up to ``until`` when it falls inside the year, as a
    quarterly report needs), read with a handful of aggregate queries."""
    period = Period.year(year)
    if until is not None and period.end is not None and until < period.end:
        period = Period(period.start, until)
    fp = policy.fund
    received: dict[str, int] = defaultdict(int)
    industry: dict[Hashable, int] = defaultdict(int)
    agri_total = 0
    risk_pool = 0
    all_flows = flows(conn, period, purposes=(fp.risk_pool_purpose, fp.industry_purpose))
    for f in all_flows:
        kind, amount = f.effect
        if kind == RECEIPT and f.channel == CREDIT and f.purpose == fp.risk_pool_purpose:
            risk_pool += amount  # the pool is a stock: everything up to the year's end
        if not f.in_period:
            continue
        if kind == RECEIPT:
            received[f.channel] += amount
        elif kind == AGRI_TOTAL:
            agri_total += amount
        elif kind == ALLOCATION and f.purpose == fp.industry_purpose and f.village is not None:
            industry[f.village] += amount
    channel_rows, _ = balances(all_flows, "channel")
    village_rows, _ = balances(all_flows, "village")

    geo = Geography.load(conn)
    poor = {
        vid: geo.label(vid)
        for (vid,) in conn.execute(select(_village.c.id).where(_village.c.is_poor.is_(True)))
    }
    agri_pop = conn.execute(select(func.coalesce(func.sum(_village.c.agricultural_population), 0)))
    # outstanding at the year's end: started by then, and not repaid by then (a loan 已还
    # without its 还款日期 counts as repaid in every year)
    loans = conn.execute(
        select(func.coalesce(func.sum(_loan.c.amount_fen), 0)).where(
            _loan.c.start_date <= period.end,
            or_(
                _loan.c.status != LoanStatus.REPAID.value,
                _loan.c.repaid_date > period.end,
            ),
        )
    )
    return FundFacts(
        year=year,
        agricultural_population=int(agri_pop.scalar() or 0),
        received=dict(received),
        agri_total=agri_total,
        poor_villages=poor,
        industry=dict(industry),
        self_raised=_self_raised(conn, period),
        risk_pool=risk_pool,
        loans_outstanding=int(loans.scalar() or 0),
        channel_available={str(r.key): r.available for r in channel_rows},
        village_unspent={r.key: r.available for r in village_rows if r.key is not None},
        village_labels={vid: geo.label(vid) for vid in geo.names},
    )


def _self_raised(conn: Connection, period: Period) -> dict[Hashable, int]:
    """By village: self-raised receipts and allocations in the period not reversed in full."""
    e = _fund.alias("e")
    r = _fund.alias("r")
    reversed_ = (
        select(r.c.reverses_doc.label("doc"), func.sum(r.c.amount_fen).label("amount"))
        .where(r.c.kind == REVERSAL, r.c.date <= period.end)
        .group_by(r.c.reverses_doc)
        .subquery()
    )
    stmt = (
        select(e.c.village_id, func.count())
        .select_from(e.outerjoin(reversed_, reversed_.c.doc == e.c.doc_no))
        .where(
            e.c.channel == SELF_RAISED,
            e.c.kind.in_([RECEIPT, ALLOCATION]),
            e.c.village_id.is_not(None),
            e.c.date >= period.start,
            e.c.date <= period.end,
            e.c.amount_fen > func.coalesce(reversed_.c.amount, 0),
        )
        .group_by(e.c.village_id)
    )
    return {vid: int(n) for vid, n in conn.execute(stmt)}


def fund_rules(
    conn: Connection, year: int, policy: Policy, until: dt.date | None = None
) -> list[RuleResult]:
    """Every county money rule for ``year``, on the ledger up to ``until`` (the quarterly report
    passes its period's end)."""
    return check_rules(fund_facts(conn, year, policy, until), policy.fund)


# -- the village's public notice (公告公示) ---------------------------------------------------------


NOTICE_ENTRY_HEADERS = [
    "日期",
    "文号",
    "资金来源",
    "类型",
    "金额(元)",
    "用途",
    "项目",
    "户编号",
    "冲销/拨付文号",
]
NOTICE_PROJECT_HEADERS = ["项目名称", "产业", "规模", "单位", "开始日期", "拨付资金(元)"]
NOTICE_SUMMARY_HEADERS = ["资金来源", "到位(元)", "拨付(元)", "支出(元)", "未支出(元)"]


@dataclass
class Notice:
    village: str
    code: str | None
    year: int | None
    entries: list[list[Any]]  # amounts in fen; a reversal's amount is negative
    projects: list[list[Any]]
    summary: list[list[Any]]


def village_notice(conn: Connection, village: str, *, year: int | None) -> Notice:
    refs = Refs(conn)
    try:
        vid = refs.village(None, village.strip())
    except RefError as exc:
        raise UsageError(f"--village {village}: {exc.message}") from None
    period = Period.year(year)
    c = _fund.c
    t = _fund.alias("t")
    stmt = (
        select(
            c.date,
            c.doc_no,
            c.channel,
            c.kind,
            c.amount_fen,
            c.purpose,
            c.project_id,
            c.household_id,
            c.reverses_doc,
            c.allocation_doc,
            t.c.kind,
        )
        .select_from(_fund.outerjoin(t, t.c.doc_no == c.reverses_doc))
        .where(c.village_id == vid)
        .order_by(c.date, c.id)
    )
    if period.start:
        stmt = stmt.where(c.date >= period.start, c.date <= period.end)
    entries = []
    by_channel: dict[str, BalanceRow] = {}
    by_project: dict[int, int] = defaultdict(int)
    for date, doc, channel, kind, amount, purpose, pid, hid, rev, alloc, tkind in conn.execute(
        stmt
    ):
        signed = -amount if kind == REVERSAL else amount
        entries.append(
            [
                date,
                doc,
                channel_label(channel),
                kind_label(kind),
                signed,
                purpose or "",
                refs.project_name(pid),
                refs.household_no(hid),
                rev or alloc or "",
            ]
        )
        effect = Flow(kind, channel, vid, purpose, amount, True, tkind).effect
        row = by_channel.setdefault(channel, BalanceRow(channel))
        if effect[0] == RECEIPT:
            row.received += effect[1]
        elif effect[0] == ALLOCATION:
            row.allocated += effect[1]
            row.available += effect[1]
            if pid is not None:
                by_project[pid] += effect[1]
        elif effect[0] == DISBURSEMENT:
            row.disbursed += effect[1]
            row.available -= effect[1]
    order = {ch.key: i for i, ch in enumerate(Channel)}
    summary = [
        [channel_label(str(r.key)), r.received, r.allocated, r.disbursed, r.available]
        for r in sorted(by_channel.values(), key=lambda r: order.get(str(r.key), 99))
    ]
    projects = [
        [name, industry, scale, unit, start, by_project.get(pid, 0)]
        for pid, name, industry, scale, unit, start in conn.execute(
            select(
                _project.c.id,
                _project.c.name,
                _project.c.industry,
                _project.c.scale,
                _project.c.scale_unit,
                _project.c.start_date,
            )
            .where(_project.c.village_id == vid)
            .order_by(_project.c.name)
        )
    ]
    return Notice(
        village=refs.geo.label(vid),
        code=refs.geo.codes.get(vid),
        year=year,
        entries=entries,
        projects=projects,
        summary=summary,
    )


def write_notice(notice: Notice, path: Path, *, county: str = "") -> Path:
    """The notice as a workbook: 资金公示 (every entry), 项目 and 汇总; amounts in yuan."""
    from fupin_cli.io.document import county_heading
    from fupin_cli.io.xlsx import MONEY_FORMAT, new_workbook, save_workbook, write_table

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"-o {path}: the notice is an .xlsx workbook; name it like notice.xlsx")
    if not path.parent.is_dir():
        raise UsageError(f"-o {path}: folder {path.parent} does not exist")

    def yuan(fen: int) -> float:
        return fen / 100

    period = f"{notice.year}年度" if notice.year else "历年"

    def heading(part: str):
        return county_heading(
            county, f"扶贫资金公告公示·{part}", notice.village, period=period, unit="元"
        )

    wb = new_workbook()
    write_table(
        wb,
        "资金公示",
        NOTICE_ENTRY_HEADERS,
        ([*r[:4], yuan(r[4]), *r[5:]] for r in notice.entries),
        formats={4: MONEY_FORMAT},
        heading=heading("资金"),
    )
    write_table(
        wb,
        "项目",
        NOTICE_PROJECT_HEADERS,
        ([*r[:5], yuan(r[5])] for r in notice.projects),
        formats={5: MONEY_FORMAT},
        heading=heading("项目"),
    )
    write_table(
        wb,
        "汇总",
        NOTICE_SUMMARY_HEADERS,
        ([r[0], *(yuan(v) for v in r[1:])] for r in notice.summary),
        formats={i: MONEY_FORMAT for i in range(1, 5)},
        heading=heading("汇总"),
    )
    wb.properties.title = f"{notice.village} 扶贫资金公告公示" + (
        f" {notice.year}" if notice.year else ""
    )
    return save_workbook(wb, path)

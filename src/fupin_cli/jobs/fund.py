"""fupin fund import / add: the ledger written, row by row against the county's money rules.

Balances, the rules report and the village notice are in ``fund_reports`` (re-exported here);
projects and loans in ``fund_registers``. Rows are applied in file order against the ledger held in memory (loaded once), so a later row
may spend from an earlier receipt or allocation and the per-row cost is a few dictionary look-ups;
the accepted rows go in with one executemany inside the command's transaction, with its batch row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from operator import attrgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from fupin_cli.core.codes import Channel, CodeError, FundKind
from fupin_cli.core.dates import DateError, parse_record_date
from fupin_cli.core.ledger import (
    DISBURSEMENT,
    BadEntry,
    Entry,
    Ledger,
    LedgerError,
    Refusal,
)
from fupin_cli.core.ledger_chain import FIELDS as LEDGER_FIELDS
from fupin_cli.core.money import MoneyError, parse_money
from fupin_cli.core.policy import Policy
from fupin_cli.db.audit import start_batch
from fupin_cli.db.bulk import ROWS_PER_STATEMENT, Days, executemany, paused_gc
from fupin_cli.db.engine import Database, before_commit
from fupin_cli.db.ledger_seal import head, link_columns, record_seal
from fupin_cli.db.models import FundEntry
from fupin_cli.errors import RefusedError, UsageError
from fupin_cli.io.errors_file import ErrorFile, Rejected, default_errors_path
from fupin_cli.io.sheets import Field, Spec, Table, open_table
from fupin_cli.jobs.fund_refs import RefError, Refs
from fupin_cli.jobs.fund_reports import (
    Period,
    flows,
    fund_balance,
    fund_facts,
    fund_rules,
    latest_year,
    village_notice,
    write_notice,
)
from fupin_cli.jobs.rows import (
    MAX_CELL_CHARS,
    MONEY,
    RECORD_DATE,
    TEXT,
    Col,
    RowFault,
    blank_fault,
    digits_text,
    row_is_blank,
    text,
)

_fund = FundEntry.__table__  # type: ignore[attr-defined]

SPEC = Spec(
    [
        Field(
            "date", "日期", ("发生日期", "记账日期", "到位日期", "拨付日期", "date"), required=True
        ),
        Field("channel", "渠道", ("资金渠道", "资金来源", "来源", "channel"), required=True),
        Field("kind", "类型", ("资金类型", "业务类型", "kind"), required=True),
        Field("amount", "金额(元)", ("金额", "资金(元)", "amount"), required=True),
        Field("township", "乡镇", ("乡镇名称", "乡(镇)", "township")),
        Field("village", "村", ("村名", "行政村", "村代码", "village")),
        Field("project", "项目", ("项目名称", "project")),
        Field("household", "户编号", ("户号", "household")),
        Field("purpose", "用途", ("资金用途", "purpose")),
        Field("doc", "文号", ("文件号", "凭证号", "doc"), required=True),
        Field("reverses", "冲销文号", ("原文号", "被冲销文号", "reverses")),
        Field("allocation", "拨付文号", ("指标文号", "allocation")),
        Field("note", "备注", ("说明", "note")),
    ]
)


def _channel_key(value: Any) -> str:
    return Channel.parse(value).key


def _kind_key(value: Any) -> str:
    return FundKind.parse(value).key


COLUMNS = [
    Col("date", RECORD_DATE, required=True),
    Col("channel", _channel_key),
    Col("kind", _kind_key, required=True),
    Col("amount", MONEY, required=True),
    Col("township", TEXT),
    Col("village", TEXT),
    Col("project", TEXT),
    Col("household", digits_text, cached=False),
    Col("purpose", TEXT),
    Col("doc", TEXT, required=True, cached=False),
    Col("reverses", TEXT, cached=False),
    Col("allocation", TEXT, cached=False),
    Col("note", TEXT, cached=False),
]

# Entry fields (core.ledger) -> spec keys, to point a fault at its column.
_FIELD_KEY = {"target": "village"}

Warn = Callable[[str], None]


# -- the ledger in memory -----------------------------------------------------------------------


def load_ledger(conn: Connection, policy: Policy, refs: Refs | None = None) -> Ledger:
    """Every recorded entry, in the order recorded, as the ledger's starting state.

    Read with the driver (no per-row type processing): a county year is 200,000 rows."""
    ledger = Ledger(policy.fund, names=refs.name if refs is not None else None)
    rows = conn.exec_driver_sql(
        "SELECT doc_no, date, kind, amount_fen, channel, village_id, project_id, household_id, "
        "purpose, reverses_doc, allocation_doc FROM fund_entry ORDER BY id"
    )
    day = Days()
    with paused_gc():
        ledger.load(Entry(r[0], day[r[1]], *r[2:]) for r in rows)
    return ledger


# The entry fields in the order of the INSERT's columns (the chain's two hashes follow them and
# batch_id comes last, written in); the stored columns are the chain's sealed FIELDS.
_INSERT_FIELDS = (
    ("doc", "doc_no"),
    ("date", "date"),
    ("channel", "channel"),
    ("kind", "kind"),
    ("amount", "amount_fen"),
    ("village", "village_id"),
    ("project", "project_id"),
    ("household", "household_id"),
    ("purpose", "purpose"),
    ("reverses", "reverses_doc"),
    ("allocation", "allocation_doc"),
    ("note", "note"),
)
assert tuple(column for _, column in _INSERT_FIELDS) == LEDGER_FIELDS  # what the chain seals
# The columns that may be NULL, often in a whole run of rows.
_NULLABLE = tuple(
    i
    for i, (name, _) in enumerate(_INSERT_FIELDS)
    if name in ("village", "project", "household", "purpose", "reverses", "allocation")
)


class _IsoDates(dict):
    def __missing__(self, day: dt.date) -> str:
        self[day] = text = day.isoformat()
        return text


def _insert_entries(conn: Connection, entries: Sequence[Entry], batch_id: int) -> int:
    """The accepted entries, with the driver's executemany (DESIGN.md §12: no ORM for bulk).

    The ledger has no secondary index (schema v2 dropped them: its queries scan); the unique
    文号 index is what the 冲销/拨付文号 foreign keys check.

    SQLite gets 50 rows a statement (650 parameters at most, within SQLite's oldest limit of
    999). A column that is NULL in all 50 rows (the 冲销文号 of 50 disbursements, the project
    of 50 village allocations) is written as NULL in the statement instead of bound 50 times:
    the driver binds a None through its adapter look-up, the dearest of all values (a third of
    the insert). The values are gathered column by column, in C (no Python per row)."""
    if not entries:
        return 0
    n = len(entries)
    sqlite = conn.dialect.name == "sqlite"
    columns: list[list[Any]] = [list(map(attrgetter(name), entries)) for name, _ in _INSERT_FIELDS]
    if sqlite:  # SQLite stores a DATE as ISO text
        columns[1] = list(map(_IsoDates().__getitem__, columns[1]))
    # the hash chain, appended after the ledger's head (core.ledger_chain)
    columns += link_columns(head(conn), columns)
    names = ", ".join([*(column for _, column in _INSERT_FIELDS), "prev_hash", "entry_hash"])
    batch = f"{int(batch_id):d}"  # our own batch row's id, the same in every row
    width = len(columns)

    def statement(nulls: tuple[int, ...], rows: int) -> tuple[str, list[list[Any]]]:
        """The INSERT of ``rows`` rows with NULL written for the columns ``nulls``, and the
        columns whose values it binds."""
        one = ", ".join("NULL" if i in nulls else "?" for i in range(width))
        sql = f"INSERT INTO fund_entry ({names}, batch_id) VALUES "
        sql += ", ".join([f"({one}, {batch})"] * rows)
        return sql, [columns[i] for i in range(width) if i not in nulls]

    step = ROWS_PER_STATEMENT
    whole = n - n % step if sqlite else 0  # PostgreSQL: a row a statement
    shapes: dict[tuple[int, ...] | None, tuple[str, list[list[Any]]]] = {}
    run_nulls, run = None, []  # consecutive statements of one shape: one executemany
    for i in range(0, whole, step):
        nulls = tuple(j for j in _NULLABLE if columns[j][i : i + step].count(None) == step)
        if nulls != run_nulls:
            if run:
                executemany(conn, shapes[run_nulls][0], run)
            run_nulls, run = nulls, []
            if nulls not in shapes:
                shapes[nulls] = statement(nulls, step)
        kept = shapes[nulls][1]
        # rows i … i+49 one after the other: the kept columns' slices zipped, laid end to end
        run.append(tuple(chain.from_iterable(zip(*(c[i : i + step] for c in kept), strict=True))))
    if run:
        executemany(conn, shapes[run_nulls][0], run)
    if whole < n:
        sql, kept = statement((), 1)
        executemany(conn, sql, list(zip(*(c[whole:] for c in kept), strict=True)))
    record_seal(conn, batch_id)
    return n


# -- imports: the shape shared by fund import, loans and projects ---------------------------------


@dataclass
class ImportOptions:
    dry_run: bool = False
    partial: bool = False
    errors: Path | None = None
    sheet: str | None = None
    encoding: str | None = None


@dataclass
class ImportResult:
    noun: str = "entries"
    rows_read: int = 0
    rows_rejected: int = 0
    errors_file: str | None = None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False
    dry_run: bool = False
    partial: bool = False
    rejected: list[Rejected] = field(default_factory=list, repr=False)
    ignored: str | None = None  # the warning naming the columns no field claims
    command: str = ""  # the command that imports the file (and its corrected error workbook)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rows_read": self.rows_read,
            "rows_rejected": self.rows_rejected,
            "errors_file": self.errors_file,
            f"{self.noun}_added": self.added,
        }
        if self.noun != "entries":
            out[f"{self.noun}_updated"] = self.updated
        out.update(
            unchanged=self.unchanged,
            written=self.written,
            dry_run=self.dry_run,
            partial=self.partial,
        )
        return out

    def fault(self, row: int, cells: Sequence[Any], fault: RowFault) -> None:
        self.rejected.append(fault.rejected(row, cells))
        self.rows_rejected += 1


# body(conn, table, batch_id, result) -> a function that writes the accepted rows
Body = Callable[[Connection, Table, int, ImportResult], Callable[[], None]]


def run_import(
    db: Database,
    path: Path,
    *,
    command: str,
    spec: Spec,
    noun: str,
    policy: Policy,
    opts: ImportOptions,
    body: Body,
) -> ImportResult:
    """Read ``path`` (exit 2 when unreadable), check every row, write all or (``--partial``) the
    good rows with the batch row, and write the error file."""
    path = Path(path)
    table = open_table(path, spec, sheet=opts.sheet, encoding=opts.encoding)
    result = ImportResult(
        noun=noun,
        dry_run=opts.dry_run,
        partial=opts.partial,
        ignored=table.ignored(),
        command=command,
    )
    errors = ErrorFile(opts.errors or default_errors_path(path), path)
    with errors, db.transaction(dry_run=opts.dry_run) as conn:
        batch = start_batch(
            conn,
            command,
            arguments={"file": path, "partial": opts.partial, "sheet": opts.sheet},
            input_file=path,
            policy_version=policy.version,
        )
        with paused_gc():
            write = body(conn, table, batch.id, result)
            if result.rows_rejected and not opts.partial:
                result.added = result.updated = 0  # a file with a bad row writes nothing
            else:
                write()
                result.written = not opts.dry_run
            # Free the accepted rows while the collector is paused: its first pass after
            # the pause would otherwise walk all of them (they are still referenced).
            del write
        result.errors_file = errors.stage(table.headers, result.rejected)
        before_commit(conn, errors.publish)
        counts = result.summary()
        counts.pop("errors_file")
        batch.finish(counts, outcome="data_problems" if result.rows_rejected else "ok")
    return result


# -- fund import --------------------------------------------------------------------------------


class _Fault:
    __slots__ = ("exc",)

    def __init__(self, exc: ValueError) -> None:
        self.exc = exc


class _Cache(dict):
    """Raw cell → parsed value (None for a blank, a _Fault for a bad cell), parsed once.
    ``blank`` and ``faulty`` say whether any cell so far was blank or bad."""

    __slots__ = ("blank", "faulty", "parse")

    def __init__(self, parse: Callable[[Any], Any]) -> None:
        super().__init__()
        self.parse = parse
        self.blank = self.faulty = False

    def __missing__(self, raw: Any) -> Any:
        if raw is None or raw == "" or (type(raw) is str and raw.isspace()):
            value = None
        else:
            try:
                value = self.parse(raw)
            except ValueError as exc:  # CodeError, MoneyError, DateError are ValueErrors
                value = _Fault(exc)
            if type(value) is str and not value:
                value = None
        if value is None:
            self.blank = True
        elif type(value) is _Fault:
            self.faulty = True
        self[raw] = value
        return value


CHUNK_ROWS = 16_384


def _text_or_fault(value: Any) -> str | None | _Fault:
    """A text cell, or why it cannot be taken (a control character, too long)."""
    try:
        return text(value) or None
    except ValueError as exc:
        return _Fault(str(exc))


class ColumnPlan:
    """``rows.Plan`` for county-size files, column by column: every distinct cell value of a
    column is parsed once and each cell costs a dictionary look-up in C (``map``).

    ``chunks()`` yields, per chunk of rows, the row numbers, the raw rows, the parsed columns
    (in ``cols`` order) and the faults {index in chunk: RowFault} — the first faulty
    column of each bad row, as ``Plan.parse`` would report it."""

    def __init__(self, table: Table, cols: Sequence[Col]) -> None:
        self.table = table
        self.width = len(table.headers)
        self.steps = [
            (
                table.columns.get(c.key),
                _Cache(c.parse),
                c.required,
                table.header_of(c.key),
                c.parse is TEXT and not c.cached,  # mostly distinct text: no cache
            )
            for c in cols
        ]

    def chunks(
        self,
    ) -> Iterator[tuple[Sequence[int], Sequence[Any], list[Sequence[Any]], dict[int, RowFault]]]:
        rows = self.table.cells
        width = self.width
        start = self.table.first_row
        while True:
            cells: Sequence[Sequence[Any]] = list(islice(rows, CHUNK_ROWS))
            if not cells:
                return
            numbers = range(start, start + len(cells))
            start += len(cells)
            if min(map(len, cells)) < width:  # a short csv line
                cells = [c if len(c) >= width else [*c, *[""] * (width - len(c))] for c in cells]
            by_column = list(zip(*cells, strict=False))  # rows → columns, in C
            columns: list[Sequence[Any]] = []
            faults: dict[int, RowFault] = {}
            for idx, cache, required, header, distinct in self.steps:
                if idx is None:
                    values: Sequence[Any] = [None] * len(cells)
                    if required:
                        for i in range(len(cells)):
                            faults.setdefault(i, blank_fault(header))
                elif distinct:  # 文号: one split/join a cell, no call, no cache
                    values = [
                        (" ".join(v.split()) or None)
                        if type(v) is str and v.isprintable() and len(v) <= MAX_CELL_CHARS
                        else (None if v is None else _text_or_fault(v))
                        for v in by_column[idx]
                    ]
                    for i, v in enumerate(values):
                        if type(v) is _Fault:
                            faults.setdefault(i, (header, v.reason))
                    if required and None in values:
                        for i, v in enumerate(values):
                            if v is None:
                                faults.setdefault(i, blank_fault(header))
                else:
                    values = list(map(cache.__getitem__, by_column[idx]))
                    if (required and cache.blank) or cache.faulty:
                        for i, v in enumerate(values):
                            if v is None:
                                if required:
                                    faults.setdefault(i, blank_fault(header))
                            elif type(v) is _Fault:
                                faults.setdefault(i, RowFault.of(header, v.exc))
                columns.append(values)
            yield numbers, cells, columns, faults


def import_entries(
    db: Database, path: Path, *, policy: Policy, opts: ImportOptions
) -> ImportResult:
    """fupin fund import FILE."""

    def body(conn: Connection, table: Table, batch_id: int, result: ImportResult):
        plan = ColumnPlan(table, COLUMNS)
        refs = Refs(conn)
        ledger = load_ledger(conn, policy, refs)
        header = table.header_of
        seen: dict[str, int] = {}
        targets: dict[tuple, Any] = {}
        accepted: list[Entry] = []
        read = unchanged = 0
        for numbers, cells, columns, faults in plan.chunks():
            for i, (
                row_no,
                date,
                channel,
                kind,
                amount,
                township,
                village,
                project,
                household,
                purpose,
                doc,
                reverses,
                allocation,
                note,
            ) in enumerate(zip(numbers, *columns, strict=True)):
                read += 1
                try:
                    if faults and i in faults:
                        if row_is_blank(cells[i]):
                            read -= 1
                            continue
                        raise faults[i]
                    first = seen.get(doc)
                    if first is not None:
                        raise RowFault(
                            header("doc"),
                            f"文号 {doc} is already given in row {first}",
                            zh=f"文号 {doc} 已在第 {first} 行填过",
                        )
                    seen[doc] = row_no
                    vid = pid = hid = None
                    if village or project or household:
                        key = (township, village, project, household)
                        found = targets.get(key)
                        if found is None:
                            try:
                                found = refs.target(township, village, project, household)
                            except RefError as exc:
                                found = RowFault.of(header(exc.field), exc)
                            targets[key] = found
                        if type(found) is RowFault:
                            raise found
                        vid, pid, hid = found
                    entry = Entry(
                        doc,
                        date,
                        kind,
                        amount,
                        channel,
                        vid,
                        pid,
                        hid,
                        purpose,
                        reverses,
                        allocation,
                        note or "",
                    )
                    try:
                        if not ledger.admit(entry):
                            unchanged += 1
                            continue
                    except LedgerError as exc:
                        raise RowFault.of(
                            header(_FIELD_KEY.get(exc.field, exc.field)), exc
                        ) from None
                    accepted.append(entry)
                except RowFault as fault:
                    result.fault(row_no, cells[i], fault)
        result.rows_read, result.unchanged, result.added = read, unchanged, len(accepted)
        return lambda: _insert_entries(conn, accepted, batch_id)

    return run_import(
        db,
        path,
        command="fund import",
        spec=SPEC,
        noun="entries",
        policy=policy,
        opts=opts,
        body=body,
    )


# -- fund add -------------------------------------------------------------------------------------


@dataclass
class AddRequest:
    kind: str
    amount: str
    date: str
    doc: str
    channel: str | None = None
    township: str | None = None
    village: str | None = None
    project: str | None = None
    household: str | None = None
    purpose: str | None = None
    reverses: str | None = None
    allocation: str | None = None
    note: str = ""


_OPTION = {
    "doc": "--doc",
    "date": "--date",
    "channel": "--channel",
    "kind": "--kind",
    "amount": "--amount",
    "target": "--village",
    "village": "--village",
    "project": "--project",
    "household": "--household",
    "purpose": "--purpose",
    "reverses": "--reverses",
    "allocation": "--allocation",
}


def _blank(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def _parse_request(req: AddRequest, refs: Refs) -> Entry:
    def opt(name: str, parse: Callable[[Any], Any], value: Any) -> Any:
        try:
            return parse(value)
        except (CodeError, MoneyError, DateError, ValueError) as exc:
            raise UsageError(f"{_OPTION[name]} {value}: {exc}") from None

    kind = opt("kind", FundKind.parse, req.kind)
    channel = opt("channel", Channel.parse, req.channel) if _blank(req.channel) else None
    doc = _blank(req.doc)
    if not doc:
        raise UsageError("--doc: give the entry's 文号")
    try:
        vid, pid, hid = refs.target(
            _blank(req.township),
            _blank(req.village),
            _blank(req.project),
            digits_text(req.household) if _blank(req.household) else None,
        )
    except RefError as exc:
        raise UsageError(f"{_OPTION[exc.field]}: {exc.message}") from None
    return Entry(
        doc=doc,
        date=opt("date", parse_record_date, req.date),
        kind=kind.key,
        amount=opt("amount", parse_money, req.amount),
        channel=channel.key if channel else None,
        village=vid,
        project=pid,
        household=hid,
        purpose=_blank(req.purpose),
        reverses=_blank(req.reverses),
        allocation=_blank(req.allocation),
        note=req.note or "",
    )


@dataclass
class AddResult:
    status: str  # added | unchanged
    entry: dict[str, Any]
    available: int  # the channel's available balance after the entry (fen)
    allocation_available: int | None = None  # a disbursement's allocation, after it
    dry_run: bool = False


def add_entry(db: Database, req: AddRequest, *, policy: Policy, dry_run: bool) -> AddResult:
    """fupin fund add: one entry. A refusal leaves only the batch row (outcome 'refused')."""
    refused: Refusal | None = None
    result: AddResult | None = None
    with db.transaction(dry_run=dry_run) as conn:
        batch = start_batch(
            conn,
            "fund add",
            arguments={k: v for k, v in vars(req).items() if v not in (None, "")},
            policy_version=policy.version,
        )
        refs = Refs(conn)
        entry = _parse_request(req, refs)
        ledger = load_ledger(conn, policy, refs)
        try:
            entry = ledger.complete(entry)
            same = ledger.known(entry)
            if same is False:
                raise ledger.reused(entry, Refusal)
            if same is None:
                ledger.check(entry)
                ledger.apply(entry)
                _insert_entries(conn, [entry], batch.id)
        except BadEntry as exc:
            raise UsageError(f"{_OPTION.get(exc.field, exc.field)}: {exc.message}") from None
        except Refusal as exc:
            refused = exc
            batch.finish({"refused": exc.message}, outcome="refused")
        if refused is None:
            status = "unchanged" if same else "added"
            batch.finish({"entries_added": int(status == "added"), "unchanged": int(bool(same))})
            result = AddResult(
                status=status,
                entry=_entry_record(entry, refs),
                available=ledger.available(entry.channel or ""),
                allocation_available=(
                    ledger.allocation_available(entry.allocation)
                    if entry.kind == DISBURSEMENT and entry.allocation
                    else None
                ),
                dry_run=dry_run,
            )
    if refused is not None:
        # The batch row is committed above; the refusal is the command's one line, exit 1.
        raise RefusedError(f"refused: {refused.message}")
    assert result is not None
    return result


def _entry_record(e: Entry, refs: Refs) -> dict[str, Any]:
    return {
        "doc": e.doc,
        "date": e.date.isoformat(),
        "channel": e.channel,
        "kind": e.kind,
        "amount": e.amount,
        "village": refs.geo.label(e.village) if e.village is not None else None,
        "village_code": refs.geo.codes.get(e.village) if e.village is not None else None,
        "project": refs.project_name(e.project) or None,
        "household": refs.household_no(e.household) or None,
        "purpose": e.purpose,
        "reverses": e.reverses,
        "allocation": e.allocation,
    }


__all__ = [
    "AddRequest",
    "ImportOptions",
    "ImportResult",
    "Period",
    "RefError",
    "Refs",
    "add_entry",
    "flows",
    "fund_balance",
    "fund_facts",
    "fund_rules",
    "import_entries",
    "latest_year",
    "load_ledger",
    "run_import",
    "village_notice",
    "write_notice",
]

"""fupin fund: the ledger (import, add), its balances, the county's money rules, the public notice.

Rows are applied in file order against the ledger held in memory (loaded once), so a later row
may spend from an earlier receipt or allocation and the per-row cost is a few dictionary look-ups;
the accepted rows go in with one executemany inside the command's transaction, with its batch row.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, case, func, literal, select

from fupin_cli.core.codes import Channel, CodeError, FundKind
from fupin_cli.core.dates import DateError, parse_date
from fupin_cli.core.ledger import (
    AGRI_TOTAL,
    ALLOCATION,
    CREDIT,
    DISBURSEMENT,
    RECEIPT,
    REVERSAL,
    SELF_RAISED,
    BadEntry,
    BalanceRow,
    Entry,
    Flow,
    FundFacts,
    Ledger,
    LedgerError,
    Refusal,
    RuleResult,
    balances,
    channel_label,
    check_rules,
    kind_label,
)
from fupin_cli.core.money import MoneyError, parse_money
from fupin_cli.core.policy import Policy
from fupin_cli.db.audit import start_batch
from fupin_cli.db.bulk import executemany
from fupin_cli.db.engine import Database
from fupin_cli.db.geo import Geography
from fupin_cli.db.models import FundEntry, Household, Loan, Project, Village
from fupin_cli.errors import RefusedError, UsageError
from fupin_cli.io.errors_file import Rejected, default_errors_path, write_errors
from fupin_cli.io.sheets import Field, Spec, Table, open_table
from fupin_cli.jobs.rows import (
    DATE,
    MONEY,
    TEXT,
    Col,
    RowFault,
    digits_text,
    row_is_blank,
    text,
)

_fund = FundEntry.__table__  # type: ignore[attr-defined]
_village = Village.__table__  # type: ignore[attr-defined]
_project = Project.__table__  # type: ignore[attr-defined]
_household = Household.__table__  # type: ignore[attr-defined]
_loan = Loan.__table__  # type: ignore[attr-defined]

COUNTY = "县级"  # entries with no village

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
    Col("date", DATE, required=True),
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


# -- references: village, project, household ----------------------------------------------------


class RefError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Refs:
    """Finds the village, project and household a row names; loads projects and households on
    first use."""

    def __init__(self, conn: Connection, geo: Geography | None = None) -> None:
        self.conn = conn
        self.geo = geo or Geography.load(conn)
        self._villages: dict[tuple[str | None, str], int] = {}
        self._projects: dict[tuple[int, str], int] | None = None
        self._project_names: dict[str, list[int]] = {}
        self._project_village: dict[int, int] = {}
        self._project_label: dict[int, str] = {}
        self._households: dict[str, tuple[int, int]] | None = None
        self._household_no: dict[int, str] = {}

    def village(self, township: str | None, village: str) -> int:
        key = (township, village)
        vid = self._villages.get(key)
        if vid is None:
            is_code = village.isdigit() and len(village) == 12
            text = f"{township}/{village}" if township and not is_code else village
            try:
                vid = self.geo.find(text)
            except UsageError as exc:
                raise RefError("village", str(exc)) from None
            if vid is None:
                raise RefError(
                    "village",
                    f"no village '{text}' in the register; give its 12-digit code, its name or "
                    "乡镇/村 (villages come from 'fupin identify --villages')",
                )
            self._villages[key] = vid
        return vid

    def _load_projects(self) -> None:
        self._projects = {}
        for pid, vid, name in self.conn.execute(
            select(_project.c.id, _project.c.village_id, _project.c.name)
        ):
            self._remember_project(pid, vid, name)

    def _remember_project(self, pid: int, vid: int, name: str) -> None:
        assert self._projects is not None
        self._projects[(vid, name)] = pid
        self._project_names.setdefault(name, []).append(pid)
        self._project_village[pid] = vid
        self._project_label[pid] = name

    def project(self, name: str, vid: int | None) -> int:
        if self._projects is None:
            self._load_projects()
        assert self._projects is not None
        if vid is not None:
            pid = self._projects.get((vid, name))
            if pid is None:
                raise RefError(
                    "project",
                    f"no project '{name}' in {self.geo.label(vid)}; "
                    "record it with 'fupin fund projects FILE' first",
                )
            return pid
        ids = self._project_names.get(name, [])
        if not ids:
            raise RefError(
                "project",
                f"no project '{name}' in the register; record it with 'fupin fund projects FILE'",
            )
        if len(ids) > 1:
            where = ", ".join(sorted(self.geo.label(self._project_village[i]) for i in ids))
            raise RefError(
                "project", f"project '{name}' is in several villages ({where}); give the village"
            )
        return ids[0]

    def project_village(self, pid: int) -> int:
        if self._projects is None:
            self._load_projects()
        return self._project_village[pid]

    def project_name(self, pid: int | None) -> str:
        if pid is None:
            return ""
        if self._projects is None:
            self._load_projects()
        return self._project_label.get(pid, str(pid))

    def _load_households(self) -> dict[str, tuple[int, int]]:
        if self._households is None:
            self._households = {}
            for hid, no, vid in self.conn.execute(
                select(_household.c.id, _household.c.household_no, _household.c.village_id)
            ):
                self._households[no] = (hid, vid)
                self._household_no[hid] = no
        return self._households

    def household(self, no: str) -> tuple[int, int]:
        found = self._load_households().get(no)
        if found is None:
            raise RefError(
                "household", f"no household {no} in the register (import the roster first)"
            )
        return found

    def household_no(self, hid: int | None) -> str:
        if hid is None:
            return ""
        self._load_households()
        return self._household_no.get(hid, str(hid))

    def target(
        self,
        township: str | None,
        village: str | None,
        project: str | None,
        household: str | None,
    ) -> tuple[int | None, int | None, int | None]:
        """(village id, project id, household id) of a row; all must be in one village."""
        vid = self.village(township, village) if village else None
        hid = None
        if household:
            hid, hvid = self.household(household)
            if vid is not None and hvid != vid:
                raise RefError(
                    "household",
                    f"household {household} is in {self.geo.label(hvid)}, not {self.geo.label(vid)}",
                )
            vid = hvid
        pid = None
        if project:
            pid = self.project(project, vid)
            vid = self.project_village(pid)
        return vid, pid, hid


# -- the ledger in memory -----------------------------------------------------------------------


class _Dates(dict):
    """ISO text (SQLite) or a date (PostgreSQL) → date, converted once per distinct day."""

    def __missing__(self, value: Any) -> dt.date:
        self[value] = day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
        return day


def load_ledger(conn: Connection, policy: Policy) -> Ledger:
    """Every recorded entry, in the order recorded, as the ledger's starting state.

    Read with the driver (no per-row type processing): a county year is 200,000 rows."""
    ledger = Ledger(policy.fund)
    rows = conn.exec_driver_sql(
        "SELECT doc_no, date, kind, amount_fen, channel, village_id, project_id, household_id, "
        "purpose, reverses_doc, allocation_doc FROM fund_entry ORDER BY id"
    )
    day = _Dates()
    with gc_paused():
        ledger.load(Entry(r[0], day[r[1]], *r[2:]) for r in rows)
    return ledger


REBUILD_INDEXES_AT = 50_000
ROWS_PER_STATEMENT = 50


class _IsoDates(dict):
    def __missing__(self, day: dt.date) -> str:
        self[day] = text = day.isoformat()
        return text


def _insert_entries(
    conn: Connection, entries: Sequence[Entry], batch_id: int, *, recorded: int = 0
) -> int:
    """The accepted entries, with the driver's executemany (DESIGN.md §12: no ORM for bulk).

    A load at least as big as the ledger already ``recorded`` (a county year into a new
    register) drops the two secondary indexes and builds them again after the insert, inside
    the same transaction: one sort instead of 200,000 scattered B-tree inserts, about half the
    insert time. The unique 文号 index stays: it is what the 冲销/拨付文号 foreign keys check."""
    if not entries:
        return 0
    sqlite = conn.dialect.name == "sqlite"
    day = _IsoDates() if sqlite else {}  # SQLite stores a DATE as ISO text
    rows = [
        (
            e.doc,
            day.get(e.date, e.date) if not sqlite else day[e.date],
            e.channel,
            e.kind,
            e.amount,
            e.village,
            e.project,
            e.household,
            e.purpose,
            e.reverses,
            e.allocation,
            e.note,
            batch_id,
        )
        for e in entries
    ]
    rebuild = len(rows) >= REBUILD_INDEXES_AT and len(rows) >= recorded
    indexes = sorted(_fund.indexes, key=lambda ix: ix.name) if rebuild else []
    if sqlite and len(rows) >= 10_000:
        # A county year's indexes outgrow SQLite's 2 MiB default page cache (this connection).
        conn.exec_driver_sql("PRAGMA cache_size = -65536")
    for ix in indexes:
        ix.drop(conn)
    insert = (
        "INSERT INTO fund_entry (doc_no, date, channel, kind, amount_fen, village_id, project_id, "
        "household_id, purpose, reverses_doc, allocation_doc, note, batch_id) VALUES "
    )
    one = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    whole = len(rows) - len(rows) % ROWS_PER_STATEMENT if sqlite else 0
    if whole:
        # SQLite: 50 rows a statement (650 parameters) saves a statement's overhead per row.
        executemany(
            conn,
            insert + ", ".join([one] * ROWS_PER_STATEMENT),
            [
                tuple(chain.from_iterable(rows[i : i + ROWS_PER_STATEMENT]))
                for i in range(0, whole, ROWS_PER_STATEMENT)
            ],
        )
    executemany(conn, insert + one, rows[whole:])
    for ix in indexes:
        ix.create(conn)
    return len(rows)


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

    def fault(self, row: int, cells: Sequence[Any], column: str, reason: str) -> None:
        self.rejected.append(Rejected(row, cells, column, reason))
        self.rows_rejected += 1


# body(conn, table, batch_id, result) -> a function that writes the accepted rows
Body = Callable[[Connection, Table, int, ImportResult], Callable[[], None]]


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection during a bulk load: it creates 200,000 acyclic objects
    that the collector would otherwise walk again and again (a third of the load's time)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


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
    result = ImportResult(noun=noun, dry_run=opts.dry_run, partial=opts.partial)
    with db.transaction(dry_run=opts.dry_run) as conn:
        batch = start_batch(
            conn,
            command,
            arguments={"file": path, "partial": opts.partial, "sheet": opts.sheet},
            input_file=path,
            policy_version=policy.version,
        )
        with gc_paused():
            write = body(conn, table, batch.id, result)
            if result.rows_rejected and not opts.partial:
                result.added = result.updated = 0  # a file with a bad row writes nothing
            else:
                write()
                result.written = not opts.dry_run
        counts = result.summary()
        counts.pop("errors_file")
        batch.finish(counts, outcome="data_problems" if result.rows_rejected else "ok")
    target = opts.errors or default_errors_path(path)
    written = write_errors(target, table.headers, result.rejected)
    result.errors_file = str(written) if written else None
    return result


# -- fund import --------------------------------------------------------------------------------


class _Fault:
    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Cache(dict):
    """Raw cell → parsed value (None for a blank, a _Fault for a bad cell), parsed once."""

    __slots__ = ("parse",)

    def __init__(self, parse: Callable[[Any], Any]) -> None:
        super().__init__()
        self.parse = parse

    def __missing__(self, raw: Any) -> Any:
        if raw is None or raw == "" or (type(raw) is str and raw.isspace()):
            value = None
        else:
            try:
                value = self.parse(raw)
            except ValueError as exc:  # CodeError, MoneyError, DateError are ValueErrors
                value = _Fault(str(exc))
            if type(value) is str and not value:
                value = None
        self[raw] = value
        return value


CHUNK_ROWS = 65_536


class ColumnPlan:
    """``rows.Plan`` for county-size files, column by column: every distinct cell value of a
    column is parsed once and each cell costs a dictionary look-up in C (``map``).

    ``chunks()`` yields, per chunk of rows, the row numbers, the raw rows, the parsed columns
    (in ``cols`` order) and the faults {index in chunk: (header, reason)} — the first faulty
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

    def chunks(self):
        rows = self.table.rows
        width = self.width
        while True:
            chunk = list(islice(rows, CHUNK_ROWS))
            if not chunk:
                return
            numbers, cells = zip(*chunk, strict=True)
            if any(len(c) < width for c in cells):  # a short csv line
                cells = [c if len(c) >= width else [*c, *[""] * (width - len(c))] for c in cells]
            by_column = list(zip(*cells, strict=False))  # rows → columns, in C
            columns: list[Sequence[Any]] = []
            faults: dict[int, tuple[str, str]] = {}
            for idx, cache, required, header, distinct in self.steps:
                if idx is None:
                    values: Sequence[Any] = [None] * len(cells)
                    if required:
                        for i in range(len(cells)):
                            faults.setdefault(i, (header, "blank; fill it in"))
                elif distinct:  # 文号: one split/join a cell, no call, no cache
                    values = [
                        (" ".join(v.split()) or None)
                        if type(v) is str
                        else (None if v is None else text(v))
                        for v in by_column[idx]
                    ]
                    if required and None in values:
                        for i, v in enumerate(values):
                            if v is None:
                                faults.setdefault(i, (header, "blank; fill it in"))
                else:
                    values = list(map(cache.__getitem__, by_column[idx]))
                    blanks = required and None in cache.values()
                    if blanks or any(type(v) is _Fault for v in cache.values()):
                        for i, v in enumerate(values):
                            if v is None:
                                if required:
                                    faults.setdefault(i, (header, "blank; fill it in"))
                            elif type(v) is _Fault:
                                faults.setdefault(i, (header, v.reason))
                columns.append(values)
            yield numbers, cells, columns, faults


def import_entries(
    db: Database, path: Path, *, policy: Policy, opts: ImportOptions
) -> ImportResult:
    """fupin fund import FILE."""

    def body(conn: Connection, table: Table, batch_id: int, result: ImportResult):
        plan = ColumnPlan(table, COLUMNS)
        refs = Refs(conn)
        ledger = load_ledger(conn, policy)
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
                        raise RowFault(*faults[i])
                    first = seen.get(doc)
                    if first is not None:
                        raise RowFault(header("doc"), f"文号 {doc} is already given in row {first}")
                    seen[doc] = row_no
                    vid = pid = hid = None
                    if village or project or household:
                        key = (township, village, project, household)
                        found = targets.get(key)
                        if found is None:
                            try:
                                found = refs.target(township, village, project, household)
                            except RefError as exc:
                                found = RowFault(header(exc.field), exc.message)
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
                        raise RowFault(
                            header(_FIELD_KEY.get(exc.field, exc.field)), exc.message
                        ) from None
                    accepted.append(entry)
                except RowFault as fault:
                    result.fault(row_no, cells[i], fault.column, fault.reason)
        result.rows_read, result.unchanged, result.added = read, unchanged, len(accepted)
        recorded = len(ledger.entries) - len(accepted)
        return lambda: _insert_entries(conn, accepted, batch_id, recorded=recorded)

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
        date=opt("date", parse_date, req.date),
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
        ledger = load_ledger(conn, policy)
        try:
            entry = ledger.complete(entry)
            same = ledger.known(entry)
            if same is False:
                raise Refusal(
                    "doc",
                    f"文号 {entry.doc} is already recorded with other content "
                    f"({ledger.difference(entry)}); a 文号 is used once — correct an entry with "
                    "a 冲销 (reversal) under a new 文号",
                )
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


# -- balances -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: dt.date | None  # None: from the beginning
    end: dt.date | None  # None: to the end

    @classmethod
    def year(cls, year: int | None) -> Period:
        if year is None:
            return cls(None, None)
        if not 1990 <= year <= 2100:
            raise UsageError(f"--year {year}: not a year the ledger can hold (1990–2100)")
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))


FLOW_KEYS = ("channel", "village", "purpose")


def flows(conn: Connection, period: Period, group: Sequence[str] = FLOW_KEYS) -> list[Flow]:
    """Entries up to the period's end summed by kind (a reversal by its target's kind) and the
    ``group`` keys (channel, village, purpose; the others come back None), split into before and
    inside the period. Two aggregate queries: the plain entries, and the reversals joined to
    what they cancel (few)."""
    e = _fund.alias("e")
    t = _fund.alias("t")
    in_period = (e.c.date >= period.start) if period.start else literal(True)
    in_col = case((in_period, 1), else_=0).label("in_period")
    columns = {"channel": e.c.channel, "village": e.c.village_id, "purpose": e.c.purpose}
    chosen = [columns[k] if k in group else literal(None) for k in FLOW_KEYS]
    keys = [e.c.kind, *(columns[k] for k in FLOW_KEYS if k in group), in_col]
    plain = (
        select(literal(None), e.c.kind, *chosen, in_col, func.sum(e.c.amount_fen), func.count())
        .where(e.c.kind != REVERSAL)
        .group_by(*keys)
    )
    reversals = (
        select(t.c.kind, e.c.kind, *chosen, in_col, func.sum(e.c.amount_fen), func.count())
        .select_from(e.join(t, t.c.doc_no == e.c.reverses_doc))
        .where(e.c.kind == REVERSAL)
        .group_by(t.c.kind, *keys)
    )
    out = []
    for stmt in (plain, reversals):
        if period.end:
            stmt = stmt.where(e.c.date <= period.end)
        out += [
            Flow(kind, channel, vid, purpose, int(amount), bool(inside), tkind, int(n))
            for tkind, kind, channel, vid, purpose, inside, amount, n in conn.execute(stmt).all()
        ]
    return out


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
    out.update(
        received=row.received,
        allocated=row.allocated,
        disbursed=row.disbursed,
        available=row.available,
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
    """The year of the latest ledger entry (this year when the ledger is empty)."""
    last = conn.execute(select(func.max(_fund.c.date))).scalar()
    if last is None:
        return dt.date.today().year
    return parse_date(last).year if not isinstance(last, dt.date) else last.year


def fund_facts(conn: Connection, year: int, policy: Policy) -> FundFacts:
    """What the rules look at for ``year``, read with a handful of aggregate queries."""
    period = Period.year(year)
    fp = policy.fund
    received: dict[str, int] = defaultdict(int)
    industry: dict[Hashable, int] = defaultdict(int)
    agri_total = 0
    risk_pool = 0
    all_flows = flows(conn, period)
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
    loans = conn.execute(
        select(func.coalesce(func.sum(_loan.c.amount_fen), 0)).where(
            _loan.c.status != "已还", _loan.c.start_date <= period.end
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


def fund_rules(conn: Connection, year: int, policy: Policy) -> list[RuleResult]:
    """Every county money rule for ``year`` (reused by the quarterly report)."""
    return check_rules(fund_facts(conn, year, policy), policy.fund)


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


def write_notice(notice: Notice, path: Path) -> Path:
    """The notice as a workbook: 资金公示 (every entry), 项目 and 汇总; amounts in yuan."""
    from fupin_cli.io.xlsx import MONEY_FORMAT, new_workbook, write_table

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"-o {path}: the notice is an .xlsx workbook; name it like notice.xlsx")
    if not path.parent.is_dir():
        raise UsageError(f"-o {path}: folder {path.parent} does not exist")

    def yuan(fen: int) -> float:
        return fen / 100

    wb = new_workbook()
    write_table(
        wb,
        "资金公示",
        NOTICE_ENTRY_HEADERS,
        ([*r[:4], yuan(r[4]), *r[5:]] for r in notice.entries),
        formats={4: MONEY_FORMAT},
    )
    write_table(
        wb,
        "项目",
        NOTICE_PROJECT_HEADERS,
        ([*r[:5], yuan(r[5])] for r in notice.projects),
        formats={5: MONEY_FORMAT},
    )
    write_table(
        wb,
        "汇总",
        NOTICE_SUMMARY_HEADERS,
        ([r[0], *(yuan(v) for v in r[1:])] for r in notice.summary),
        formats={i: MONEY_FORMAT for i in range(1, 5)},
    )
    wb.properties.title = f"{notice.village} 扶贫资金公告公示" + (
        f" {notice.year}" if notice.year else ""
    )
    try:
        wb.save(path)
    except OSError as exc:
        raise UsageError(f"-o {path}: cannot write the workbook ({exc})") from None
    return path


__all__ = [
    "AddRequest",
    "ImportOptions",
    "ImportResult",
    "Refs",
    "add_entry",
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

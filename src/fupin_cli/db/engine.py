"""Open the register: SQLite file (pragmas per engine) or a PostgreSQL URL; create or upgrade.

``open_database(target)`` returns a ``Database`` whose ``transaction()`` is the one transaction
of a command: it commits at the end, rolls back on any error (and on ``dry_run``), so a crash
mid-run leaves the file as it was.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, OperationalError

from fupin_cli.core.codes import clean_text
from fupin_cli.db.ledger_seal import restore_triggers, seal_unsealed
from fupin_cli.db.models import APPEND_ONLY_DDL, DROPPED_INDEXES, SCHEMA_VERSION, metadata
from fupin_cli.errors import UsageError

JOURNAL_MODES = ("wal", "delete")
BUSY_TIMEOUT_MS = 30_000
QUICK_BUSY_MS = 200  # a writer first tries this long, then says it is waiting
WAITING = "waiting for another fupin run to finish writing {db} …"
CACHE_KIB = 128 * 1024
MMAP_BYTES = 256 * 1024 * 1024


_BEFORE_COMMIT = "fupin_before_commit"


def before_commit(conn: Connection, step: Callable[[], None]) -> None:
    """Run ``step`` at the end of ``conn``'s transaction, just before it commits (or, in a dry
    run, rolls back): an error workbook the batch row names is in place before the row is
    visible, so no kill can leave a committed run naming a file that is not there."""
    conn.info.setdefault(_BEFORE_COMMIT, []).append(step)


def _stderr_warning(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


class _DryRun(Exception):
    """Raised inside a transaction to roll it back on purpose."""


@dataclass
class Database:
    """A register, opened lazily: the file is created (or upgraded) on first use, so a run that
    fails on its input first (exit 2) leaves no database behind."""

    engine: Engine
    label: str  # the path or the URL without password, for messages
    create: bool = True
    previous_version: int = 0  # schema version found on first use (0: created then)
    on_wait: Callable[[str], None] | None = None  # told at once when another run holds the lock
    _ready: bool = False
    warn: Callable[[str], None] = field(default=_stderr_warning, repr=False)

    def ready(self) -> None:
        if not self._ready:
            self.previous_version = ensure_schema(self, create=self.create)
            self._ready = True

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self, *, dry_run: bool = False) -> Iterator[Connection]:
        """One transaction: commit on success, roll back on error or when ``dry_run``."""
        self.ready()
        try:
            with self.engine.connect() as conn:
                if self.is_sqlite:  # BEGIN IMMEDIATE: the write lock now (``_begin``)
                    conn.execution_options(fupin_writer=(self.label, self.on_wait or _silent))
                with conn.begin():
                    yield conn
                    for step in conn.info.pop(_BEFORE_COMMIT, ()):
                        step()
                    if dry_run:
                        raise _DryRun
        except _DryRun:
            pass
        except OperationalError as exc:
            raise UsageError(f"database {self.label}: {_reason(exc)}") from exc

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        self.ready()
        with self.engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(target: str, *, journal: str = "wal", create: bool = True) -> Database:
    """Open ``target``: a file path, or an SQLAlchemy URL when it contains ``://`` (an
    ``sqlite:///PATH`` URL is a file path too, with the same pragmas)."""
    if target.startswith("sqlite:///"):
        db = _open_sqlite(Path(target.removeprefix("sqlite:///")), journal)
    elif "://" in target:
        db = _open_url(target)
    else:
        db = _open_sqlite(Path(target), journal)
    db.create = create
    return db


def _open_sqlite(path: Path, journal: str) -> Database:
    if journal not in JOURNAL_MODES:
        raise UsageError(f"--journal {journal}: use one of {', '.join(JOURNAL_MODES)}")
    folder = path.parent if str(path.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"database {path}: {folder} is a file, not a folder; check the --db path")
    if not folder.is_dir():
        raise UsageError(
            f"database {path}: folder {folder} does not exist; create it or choose another --db path"
        )
    if path.is_dir():
        raise UsageError(
            f"database {path}: is a folder; give a file name such as {path / 'fupin.db'}"
        )
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record) -> None:  # per engine, never global
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        # REPLACE INTO fund_entry deletes the old row: with this on, the DELETE trigger refuses it
        cur.execute("PRAGMA recursive_triggers=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute(f"PRAGMA journal_mode={journal.upper()}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(
            f"PRAGMA cache_size=-{CACHE_KIB}"
        )  # index upkeep of a county import stays in memory
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        writer = conn.get_execution_options().get("fupin_writer")
        if writer is None:
            conn.exec_driver_sql("BEGIN")
        else:
            _begin_writing(conn, *writer)

    return Database(engine=engine, label=str(path))


def _begin_writing(conn: Connection, label: str, on_wait: Callable[[str], None]) -> None:
    """A command's one transaction takes SQLite's write lock at its start (BEGIN IMMEDIATE), so
    a run that must wait for another writer waits before its work, not in the middle of it —
    and says so at once, then waits the normal busy timeout."""
    conn.exec_driver_sql(f"PRAGMA busy_timeout={QUICK_BUSY_MS}")
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as exc:
        if "locked" not in str(exc.orig):
            raise
        on_wait(WAITING.format(db=label))
        conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _silent(_message: str) -> None:
    """No one to tell (a library caller): wait without a word."""


def _open_url(url: str) -> Database:
    try:
        engine = create_engine(url)
    except ImportError as exc:
        if url.startswith("postgresql"):
            hint = "install it with: pip install 'fupin[pg]'"
        else:
            hint = "fupin runs on an SQLite file or on PostgreSQL (postgresql+psycopg://…)"
        raise UsageError(
            f"database URL needs a driver that is not installed ({exc.name}); {hint}"
        ) from None
    except Exception as exc:  # bad URL syntax, unknown dialect
        raise UsageError(f"--db {url!r}: not a usable database URL ({exc})") from None
    return Database(engine=engine, label=engine.url.render_as_string(hide_password=True))


def ensure_schema(db: Database, *, create: bool = True) -> int:
    """Create a new register, upgrade an older one in place, refuse a newer one. Returns the
    version found before (0 for a new database)."""
    try:
        with db.engine.begin() as conn:
            found = _stored_version(conn)
            if found > SCHEMA_VERSION:
                raise UsageError(
                    f"database {db.label} has schema version {found}, newer than this program "
                    f"({SCHEMA_VERSION}); upgrade fupin (pip install -U fupin) to open it"
                )
            if found == SCHEMA_VERSION:
                if create:  # every write puts back a ledger guard removed behind fupin's back
                    _restore_ledger_triggers(conn, db)
                return found
            if not create and found == 0:  # an older register is upgraded all the same
                raise UsageError(
                    f"database {db.label}: not a fupin register yet; check --db (or FUPIN_DB), "
                    "or build the register first with fupin identify"
                )
            _upgrade(conn)
            if 0 < found < 3:
                _normalise_codes(conn)
            if 0 < found < 5 and (sealed := seal_unsealed(conn)):
                db.warn(
                    f"database {db.label}: upgraded to schema {SCHEMA_VERSION}: the ledger's "
                    f"{sealed} entries are now sealed in a hash chain (fupin fund verify checks it)"
                )
            conn.execute(
                text(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', :v) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                ),
                {"v": str(SCHEMA_VERSION)},
            )
            return found
    except DBAPIError as exc:
        raise UsageError(f"database {db.label}: cannot be opened ({_reason(exc)})") from None


def _restore_ledger_triggers(conn: Connection, db: Database) -> None:
    if missing := restore_triggers(conn):
        db.warn(
            f"database {db.label}: the ledger's trigger(s) {', '.join(missing)} were missing "
            "(dropped or disabled outside fupin) and are restored; run fupin fund verify to check "
            "the entries"
        )


def _stored_version(conn: Connection) -> int:
    names = set(inspect(conn).get_table_names())
    if "meta" not in names:
        if names - {"sqlite_sequence"}:
            raise UsageError("this database already holds other tables and is not a fupin register")
        return 0
    row = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).first()
    try:
        return int(row[0]) if row else 0
    except ValueError:
        raise UsageError(
            f"meta.schema_version is {row[0]!r}, not a number; the file is damaged"
        ) from None


# The code columns that importers normalise (jobs.rows.digits_text): (table, column).
CODE_COLUMNS = (("household", "household_no"), ("cadre", "staff_no"))


def _normalise_codes(conn: Connection) -> None:
    """Schema v3: a 户编号 or 工号 stored in full-width digits by an older version, normalised as
    the importers now read it. One that would then equal another row's is left as it was."""
    for table, column in CODE_COLUMNS:
        rows = conn.execute(
            text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")
        ).all()
        taken = {value for _id, value in rows}
        for rid, value in rows:
            new = clean_text(value)
            if new != value and new not in taken:
                conn.execute(
                    text(f"UPDATE {table} SET {column} = :new WHERE id = :id"),
                    {"new": new, "id": rid},
                )
                taken.add(new)


def _upgrade(conn: Connection) -> None:
    """Upgrade in place: create missing tables, columns, indexes and triggers; drop the indexes
    a newer schema dropped."""
    metadata.create_all(conn, checkfirst=True)
    for name in DROPPED_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    for table in metadata.sorted_tables:
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    for sql in APPEND_ONLY_DDL.get(conn.dialect.name, ()):
        conn.exec_driver_sql(sql)
    insp = inspect(conn)
    for table in metadata.sorted_tables:
        have = {c["name"] for c in insp.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            ddl_type = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {ddl_type}')


def _reason(exc: DBAPIError) -> str:
    msg = str(exc.orig) if exc.orig is not None else str(exc)
    if "locked" in msg:
        return f"{msg} — another fupin run is writing; wait for it or try again"
    if "not a database" in msg or "file is encrypted" in msg:
        return f"{msg} — this file is not an SQLite database; check the --db path"
    if "unable to open" in msg or "readonly" in msg:
        return (
            f"{msg} — check the --db path and its permissions; SQLite also writes its -wal and "
            "-shm files beside the register, so its folder must be writable even to read it"
        )
    return msg.splitlines()[0]

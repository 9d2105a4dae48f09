"""A ledger whose tampering shows (issue 19): recursive triggers, restored triggers, the hash
chain and `fupin fund verify`, on real registers built through the commands."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from sqlalchemy import create_engine, text

from factories import small_county, write_xlsx
from fupin_cli.core.ledger_chain import FIELDS, GENESIS, link
from fupin_cli.db.engine import open_database
from fupin_cli.db.models import SCHEMA_VERSION

FUND_HEADERS = ["日期", "渠道", "类型", "金额(元)", "乡镇", "村", "用途", "文号", "拨付文号"]
ROWS = [
    {"日期": "2016-03-01", "渠道": "财政投入", "类型": "到位", "金额(元)": 100000, "文号": "R1"},
    {
        "日期": "2016-03-02",
        "渠道": "财政投入",
        "类型": "拨付",
        "金额(元)": 80000,
        "村": "桃花村",
        "用途": "产业发展",
        "文号": "A1",
    },
    {
        "日期": "2016-03-03",
        "渠道": "",
        "类型": "支出",
        "金额(元)": 30000,
        "文号": "D1",
        "拨付文号": "A1",
    },
]


def ok(cli, *args, code=0):
    result = cli(*args, db=args[0] != "--db")
    assert result.exit_code == code, result.stderr + result.stdout
    return result


@pytest.fixture
def ledger(cli, tmp_path):
    """A register with three entries from one import and a fourth from fund add."""
    roster, villages = small_county(tmp_path)
    ok(cli, "identify", roster, "--villages", villages, "--as-of", "2016-09-30")
    book = write_xlsx(tmp_path / "funds.xlsx", ROWS, FUND_HEADERS, sheet="资金台账")
    ok(cli, "fund", "import", book)
    social(cli, "S1", "2016-04-01", "500")
    return cli


def social(cli, doc, date, amount="1", *db):
    """fund add: social money (社会帮扶) received, under 文号 ``doc``; ``db`` another --db."""
    add = ("fund", "add", "--channel", "社会帮扶", "--kind", "到位", "--amount", amount)
    return ok(cli, *db, *add, "--date", date, "--doc", doc)


def verify(cli, *args, code=0) -> dict:
    result = ok(cli, "fund", "verify", *args, "--format", "json", code=code)
    return json.loads(result.stdout)


def chain_by_hand(cli) -> list[str]:
    """The chain recomputed here from the stored fields, independently of fund verify."""
    prev, out = GENESIS, []
    for row in cli.sql(f"SELECT {', '.join(FIELDS)} FROM fund_entry ORDER BY id"):
        prev = link(prev, row)
        out.append(prev)
    return out


def test_an_intact_ledger_verifies_and_its_seal_is_printed_everywhere(ledger):
    hashes = chain_by_hand(ledger)
    stored = ledger.sql("SELECT prev_hash, entry_hash FROM fund_entry ORDER BY id")
    assert stored == list(zip([GENESIS, *hashes[:-1]], hashes, strict=True))
    seal = hashes[-1]
    out = ok(ledger, "fund", "verify")
    assert out.stdout == f"ledger intact, 4 entries, seal {seal}\n"
    data = verify(ledger)
    assert (data["ok"], data["entries"], data["seal"], data["problems"]) == (True, 4, seal, [])
    # each writing batch recorded the ledger's size and seal after it
    assert ledger.sql(
        "SELECT command, ledger_entries, ledger_seal FROM batch WHERE ledger_seal IS NOT NULL "
        "ORDER BY id"
    ) == [("fund import", 3, hashes[2]), ("fund add", 4, seal)]
    # the seal beside the figures: balance, check, the quarterly report
    assert ledger.json("fund", "balance")["ledger_seal"] == seal
    check = ledger("fund", "check", "--year", "2016", "--format", "json")
    assert json.loads(check.stdout)["ledger_seal"] == seal
    assert f"账本封印 ledger seal {seal}" in ledger("fund", "balance").stderr
    report = ledger("report", "--quarter", "2016Q3", "--format", "json")
    assert json.loads(report.stdout)["ledger_seal"] == seal
    # a seal printed earlier is still reached by a ledger that grew since
    earlier = verify(ledger, "--seal", hashes[2])
    assert (earlier["ok"], earlier["given_position"]) == (True, 3)


def test_fupins_own_connections_refuse_replace(ledger):
    db = open_database(str(ledger.db))
    with pytest.raises(Exception, match="append-only"), db.transaction() as conn:
        conn.exec_driver_sql(
            "REPLACE INTO fund_entry (id, doc_no, date, channel, kind, amount_fen, note, batch_id) "
            "SELECT id, doc_no, date, channel, kind, 1, note, batch_id FROM fund_entry "
            "WHERE doc_no = 'R1'"
        )
    db.dispose()
    assert ledger.scalar("SELECT amount_fen FROM fund_entry WHERE doc_no = 'R1'") == 10_000_000


def test_an_amount_replaced_behind_fupins_back_is_named(ledger):
    # a plain sqlite3 connection: recursive_triggers off, so REPLACE slips past the triggers
    with sqlite3.connect(ledger.db) as conn:
        conn.execute(
            "REPLACE INTO fund_entry SELECT id, doc_no, date, channel, kind, 99900, village_id, "
            "project_id, household_id, purpose, reverses_doc, allocation_doc, note, batch_id, "
            "prev_hash, entry_hash FROM fund_entry WHERE doc_no = 'A1'"
        )
    assert ledger.scalar("SELECT amount_fen FROM fund_entry WHERE doc_no = 'A1'") == 99900
    rid = ledger.scalar("SELECT id FROM fund_entry WHERE doc_no = 'A1'")
    out = ok(ledger, "fund", "verify", code=1)
    assert out.stdout.splitlines()[0] == (
        f"ledger broken: entry 2 (id {rid}, 文号 A1): its content does not match its hash "
        "(changed after it was recorded)"
    )
    data = verify(ledger, code=1)
    assert data["broken"] == {"position": 2, "id": rid, "doc_no": "A1", "why": "content"}


def test_a_dropped_trigger_is_named_and_the_next_write_restores_it(ledger, tmp_path):
    with sqlite3.connect(ledger.db) as conn:
        conn.execute("DROP TRIGGER fund_entry_no_update")
    data = verify(ledger, code=1)
    assert data["missing_triggers"] == ["fund_entry_no_update"]
    assert data["problems"][0].startswith("the ledger's trigger(s) fund_entry_no_update are")
    assert data["broken"] is None
    # a write puts it back, and says so
    write = social(ledger, "S2", "2016-04-02")
    assert (
        f"warning: database {ledger.db}: the ledger's trigger(s) fund_entry_no_update were "
        "missing" in write.stderr
    )
    assert verify(ledger)["ok"] is True
    with sqlite3.connect(ledger.db) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE fund_entry SET amount_fen = 1 WHERE doc_no = 'R1'")


def test_a_deleted_last_entry_is_caught_against_the_recorded_and_the_printed_seal(ledger):
    seal = verify(ledger)["seal"]
    with sqlite3.connect(ledger.db) as conn:
        conn.execute("DROP TRIGGER fund_entry_no_delete")
        conn.execute("DELETE FROM fund_entry WHERE doc_no = 'S1'")
        conn.execute(  # put the trigger back too, as a careful forger would
            "CREATE TRIGGER fund_entry_no_delete BEFORE DELETE ON fund_entry "
            "BEGIN SELECT RAISE(ABORT, 'fund_entry is append-only: record a reversal (冲销) "
            "instead'); END"
        )
    data = verify(ledger, code=1)
    assert data["missing_triggers"] == [] and data["broken"] is None  # the chain itself holds
    assert data["entries"] == 3
    assert "left 4 entries sealed" in data["problems"][0]
    assert data["problems"][0].endswith("the ledger now holds 3: entries were removed from its end")
    # and against the seal printed on last quarter's report, even with the batch rows forged
    with sqlite3.connect(ledger.db) as conn:
        conn.execute("UPDATE batch SET ledger_seal = NULL, ledger_entries = NULL")
    given = verify(ledger, "--seal", seal, code=1)
    assert given["problems"] == [
        f"the seal given, {seal}, is not in this ledger's chain: an entry up to it was changed "
        "or removed since it was printed"
    ]
    assert ok(ledger, "fund", "verify").stdout.startswith("ledger intact, 3 entries")


def test_a_bad_seal_is_a_usage_error(ledger):
    result = ledger("fund", "verify", "--seal", "abc")
    assert result.exit_code == 2
    assert "a seal is 64 hexadecimal characters" in result.stderr


def test_upgrading_an_older_register_seals_its_entries_once(ledger):
    hashes = chain_by_hand(ledger)
    with sqlite3.connect(ledger.db) as conn:  # as schema v4 left it: no chain, no seals
        conn.execute("DROP TRIGGER fund_entry_no_update")
        conn.execute("UPDATE fund_entry SET prev_hash = NULL, entry_hash = NULL")
        conn.execute("UPDATE batch SET ledger_seal = NULL, ledger_entries = NULL")
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    first = ok(ledger, "fund", "balance")
    assert (
        f"warning: database {ledger.db}: upgraded to schema {SCHEMA_VERSION}: the ledger's 4 entries are now "
        "sealed in a hash chain" in first.stderr
    )
    assert [r[0] for r in ledger.sql("SELECT entry_hash FROM fund_entry ORDER BY id")] == hashes
    assert verify(ledger)["ok"] is True
    assert "sealed in a hash chain" not in ok(ledger, "fund", "balance").stderr  # once


PG_URL = os.environ.get("FUPIN_TEST_PG_URL")


@pytest.mark.skipif(not PG_URL, reason="FUPIN_TEST_PG_URL is not set")
def test_verify_on_postgres(cli, tmp_path):
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    pg = ("--db", PG_URL)
    roster, villages = small_county(tmp_path)
    ok(cli, *pg, "identify", roster, "--villages", villages, "--as-of", "2016-09-30")
    ok(cli, *pg, "fund", "import", write_xlsx(tmp_path / "f.xlsx", ROWS, FUND_HEADERS))
    intact = json.loads(ok(cli, *pg, "fund", "verify", "-f", "json").stdout)
    assert (intact["ok"], intact["entries"]) == (True, 3)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE fund_entry DISABLE TRIGGER fund_entry_no_update_delete"))
        conn.execute(text("UPDATE fund_entry SET amount_fen = 1 WHERE doc_no = 'A1'"))
    engine.dispose()
    broken = json.loads(ok(cli, *pg, "fund", "verify", "-f", "json", code=1).stdout)
    assert broken["missing_triggers"] == ["fund_entry_no_update_delete"]
    assert broken["broken"]["doc_no"] == "A1" and broken["broken"]["why"] == "content"
    # a write enables the trigger again
    social(cli, "S2", "2016-04-02", "1", *pg)
    again = json.loads(ok(cli, *pg, "fund", "verify", "-f", "json", code=1).stdout)
    assert again["missing_triggers"] == [] and again["broken"]["doc_no"] == "A1"

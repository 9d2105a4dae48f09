"""The same register on PostgreSQL. Runs when FUPIN_TEST_PG_URL names a database the tests may
wipe (e.g. postgresql+psycopg://fupin:fupin@127.0.0.1/fupin_test); skipped otherwise."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import create_engine, inspect, text

from factories import small_county
from fupin_cli.db.models import SCHEMA_VERSION, metadata

PG_URL = os.environ.get("FUPIN_TEST_PG_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="FUPIN_TEST_PG_URL is not set")


@pytest.fixture
def pg(cli):
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return PG_URL


def test_init_creates_the_same_schema(cli, pg):
    result = cli("--db", pg, "init", "--format", "json", db=False)
    assert result.exit_code == 0, result.stderr
    engine = create_engine(pg)
    insp = inspect(engine)
    assert set(insp.get_table_names()) == set(metadata.tables)
    for table in metadata.sorted_tables:
        assert {c["name"] for c in insp.get_columns(table.name)} == {
            c.name for c in table.columns
        }, table.name
    with engine.connect() as conn:
        assert conn.execute(
            text("SELECT value FROM meta WHERE key='schema_version'")
        ).scalar() == str(SCHEMA_VERSION)
    engine.dispose()
    again = cli("--db", pg, "init", "--format", "json", db=False)
    assert json.loads(again.stdout)["previous_version"] == SCHEMA_VERSION


def test_ledger_is_append_only_on_postgres(cli, pg, tmp_path):
    roster, villages = small_county(tmp_path)
    assert (
        cli(
            "--db",
            pg,
            "identify",
            roster,
            "--villages",
            villages,
            "--as-of",
            "2016-09-30",
            db=False,
        ).exit_code
        == 0
    )
    add = cli(
        "--db",
        pg,
        "fund",
        "add",
        "--channel",
        "fiscal",
        "--kind",
        "receipt",
        "--amount",
        "8万",
        "--date",
        "2016-07-01",
        "--doc",
        "R1",
        db=False,
    )
    assert add.exit_code == 0, add.stderr
    engine = create_engine(pg)
    for sql in ("UPDATE fund_entry SET amount_fen = 1", "DELETE FROM fund_entry"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    engine.dispose()


def test_pipeline_gives_the_same_report_as_sqlite(cli, pg, tmp_path):
    roster, villages = small_county(tmp_path)
    for db in (pg, str(cli.db)):
        assert (
            cli(
                "--db",
                db,
                "identify",
                roster,
                "--villages",
                villages,
                "--as-of",
                "2016-09-30",
                db=False,
            ).exit_code
            == 0
        )
        assert cli("--db", db, "classify", "--as-of", "2016-09-30", db=False).exit_code == 0
    reports = [
        json.loads(
            cli("--db", db, "report", "--quarter", "2016Q3", "--format", "json", db=False).stdout
        )
        for db in (pg, str(cli.db))
    ]
    assert reports[0] == reports[1]
    assert reports[0]["county"]["households"] == 3

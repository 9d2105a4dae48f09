import shutil
import sqlite3
import subprocess
from pathlib import Path

from fupin_cli.db.models import SCHEMA_VERSION, metadata
from fupin_cli.db.schema import REGENERATE, sqlite_ddl, statements

SCHEMA_SQL = Path(__file__).parents[2] / "data" / "schema.sql"

TABLES = {
    "township",
    "village",
    "household",
    "person",
    "assessment",
    "status_event",
    "classification",
    "cadre",
    "unit",
    "pairing",
    "visit",
    "work_team",
    "work_team_unit",
    "project",
    "fund_entry",
    "loan",
    "batch",
    "meta",
    "measure_record",
    "assess_sample",
    "assess_answer",
}


def test_schema_sql_matches_models():
    assert SCHEMA_SQL.read_text(encoding="utf-8") == sqlite_ddl(), (
        f"data/schema.sql and db/models.py have drifted apart; regenerate with: {REGENERATE}"
    )


def test_models_hold_the_whole_data_model():
    assert set(metadata.tables) == TABLES


def test_init_creates_exactly_the_schema_file(cli):
    result = cli("init")
    assert result.exit_code == 0, result.stderr
    with sqlite3.connect(cli.db) as conn:
        created = statements(conn)
    expected = [s + ";" for s in SCHEMA_SQL.read_text(encoding="utf-8").split(";\n") if s.strip()]
    assert sorted(s + ";" for s in created) == sorted(expected)
    assert cli.sql("SELECT value FROM meta WHERE key='schema_version'") == [(str(SCHEMA_VERSION),)]


def test_sqlite3_shell_schema_agrees_with_file(cli):
    if not shutil.which("sqlite3"):
        import pytest

        pytest.skip("sqlite3 shell not installed")
    assert cli("init").exit_code == 0
    shown = subprocess.run(
        ["sqlite3", str(cli.db), ".schema"], capture_output=True, text=True, check=True
    ).stdout
    norm = lambda text: sorted(s.strip() for s in text.split(";\n") if s.strip())  # noqa: E731
    assert norm(shown) == norm(SCHEMA_SQL.read_text(encoding="utf-8"))

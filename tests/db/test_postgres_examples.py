"""Every command group on the example county, on SQLite and on PostgreSQL: the same results.
Runs when FUPIN_TEST_PG_URL names a database the tests may wipe (scripts/test.sh sets it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_URL = os.environ.get("FUPIN_TEST_PG_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="FUPIN_TEST_PG_URL is not set")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AS_OF = "2016-09-30"
POLICY = ("--policy", str(EXAMPLES / "policy.toml"))


def _wipe(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _county(cli, db: str, tmp: Path) -> dict[str, object]:
    """The example batch, step by step, on ``db``; the json of every step that prints results."""

    def run(*args: str, codes=(0, 1)) -> dict:
        result = cli("--db", db, *args, "--format", "json", db=False)
        assert result.exit_code in codes, f"{args}: {result.stderr}"
        return json.loads(result.stdout)

    def errors(name: str) -> tuple[str, str]:
        stem = "pg" if "://" in db else Path(db).stem
        return ("--errors", str(tmp / f"{stem}-{name}.errors.xlsx"))

    out: dict[str, object] = {}
    out["identify"] = run(
        "identify",
        str(EXAMPLES / "roster.xlsx"),
        "--villages",
        str(EXAMPLES / "villages.xlsx"),
        "--as-of",
        AS_OF,
        *POLICY,
        *errors("roster"),
    )
    out["classify"] = run("classify", *POLICY)  # the register's own date
    for name in ("cadres", "teams", "visits", "measures"):
        extra = POLICY if name == "measures" else ()
        out[name] = run("assign", name, str(EXAMPLES / f"{name}.xlsx"), *extra, *errors(name))
    out["pair"] = run("assign", "pair", *POLICY)
    out["check"] = run("assign", "check", *POLICY)
    for command, name in (("projects", "projects"), ("import", "funds"), ("loans", "loans")):
        out[name] = run("fund", command, str(EXAMPLES / f"{name}.xlsx"), *POLICY, *errors(name))
    out["fund check"] = run("fund", "check", "--year", "2016", *POLICY)
    out["balance"] = run("fund", "balance", "--year", "2016", "--by", "village")
    out["verify"] = run("fund", "verify", codes=(0,))
    out["report"] = run("report", "--quarter", "2016Q3", "--level", "village", *POLICY)
    return out


def _comparable(step: str, data: object) -> object:
    """A step's json without what names the database or its files."""
    if isinstance(data, dict):
        return {
            k: _comparable(step, v)
            for k, v in data.items()
            if k not in ("errors_file", "villages_errors_file", "database")
        }
    if isinstance(data, list):
        return [_comparable(step, v) for v in data]
    return data


def test_every_command_group_gives_the_same_results_on_postgres(cli, tmp_path):
    _wipe(PG_URL)
    on_sqlite = _county(cli, str(tmp_path / "county.db"), tmp_path)
    on_postgres = _county(cli, PG_URL, tmp_path)
    assert on_postgres["verify"]["ok"] is True
    assert on_sqlite["report"]["county"]["households"] > 0
    for step in on_sqlite:
        assert _comparable(step, on_postgres[step]) == _comparable(step, on_sqlite[step]), step

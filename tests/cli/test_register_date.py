"""The register's own date: commands that judge it take the as-of of its latest identification,
and a report made after its quarter says what it leaves out (issue 14, part 1)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os

import pytest
from sqlalchemy import create_engine, text

from factories import small_county

POLICY_2017 = """
[policy]
version = "test-2017"

[income_lines]
2017 = 3000
"""
IDENTIFIED = 3  # small_county: H1, H3 and H6 are identified
PERSONS = 5


def ok(cli, *args, code=0):
    """Run; a first argument --db names another register than the test's own."""
    result = cli(*args, db=args[0] != "--db")
    assert result.exit_code == code, result.stderr + result.stdout
    return result


def batch_args(cli, command: str) -> dict:
    raw = cli.scalar("SELECT arguments FROM batch WHERE command = ? ORDER BY id DESC", (command,))
    return json.loads(raw)


@pytest.fixture
def county(tmp_path):
    roster, villages = small_county(tmp_path)
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY_2017, encoding="utf-8")
    return roster, villages, policy


def test_classify_takes_the_registers_date_and_the_quarter_report_finds_every_plan(cli, county):
    roster, villages, _ = county
    ok(cli, "identify", roster, "--villages", villages, "--as-of", "2016-09-30")
    result = ok(cli, "classify")
    assert (
        "as of 2016-09-30 (the register's date, its latest identification; "
        "--as-of to judge another day)" in result.stderr
    )
    assert batch_args(cli, "classify")["as_of"] == "2016-09-30"
    assert batch_args(cli, "classify")["as_of_source"] == "register"
    assert cli.scalar("SELECT DISTINCT as_of FROM classification") == "2016-09-30"

    report = cli.json("report", "--quarter", "2016Q3")
    county_ = report["county"]
    assert county_["households"] == IDENTIFIED
    assert county_["unclassified"] == 0
    assert sum(county_["by_category"].values()) == IDENTIFIED
    assert report["notes"] == []
    assert report["interim"] is False
    assert report["as_of"] == "2016-09-30"


def test_pair_and_check_take_the_registers_date_and_say_so(cli, county):
    roster, villages, _ = county
    ok(cli, "identify", roster, "--villages", villages, "--as-of", "2016-09-30")
    pair = cli("assign", "pair", "--format", "json")
    assert pair.exit_code in (0, 1), pair.stderr
    assert json.loads(pair.stdout)["as_of"] == "2016-09-30"
    assert "as of 2016-09-30 (the register's date" in pair.stderr
    assert batch_args(cli, "assign pair") == {
        "argv": batch_args(cli, "assign pair")["argv"],
        "as_of": "2016-09-30",
        "as_of_source": "register",
    }
    check = cli("assign", "check", "--format", "json")
    assert json.loads(check.stdout)["as_of"] == "2016-09-30"
    assert "as of 2016-09-30 (the register's date" in check.stderr

    given = cli("assign", "check", "--as-of", "2016-12-31", "--format", "json")
    assert json.loads(given.stdout)["as_of"] == "2016-12-31"
    assert "as of" not in given.stderr  # the clerk's own day is not repeated


def test_a_register_without_identification_is_judged_today(cli, county):
    result = ok(cli, "classify", "--format", "json")
    today = dt.date.today().isoformat()
    assert f"as of {today} (today: the register holds no identification yet)" in result.stderr
    assert json.loads(result.stdout)["as_of"] == today


def test_identify_names_the_income_line_it_used(cli, county):
    roster, villages, policy = county
    result = cli(
        "identify", roster, "--villages", villages, "--as-of", "2016-09-30", "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["income_year"], summary["income_line_fen"]) == (2016, 295200)
    assert summary["as_of"] == "2016-09-30"
    assert (
        "income line 2,952.00 yuan per person a year: the 2016 line (policy 2016.1), "
        "judged as of 2016-09-30" in result.stderr
    )
    assert "note: if this roster carries" not in result.stderr  # --as-of given

    jan = cli("identify", roster, "--as-of", "2017-01-10", "--policy", policy, "-f", "json")
    assert (json.loads(jan.stdout)["income_year"], json.loads(jan.stdout)["income_line_fen"]) == (
        2017,
        300000,
    )


def test_a_january_import_leaves_the_fourth_quarter_empty_and_the_report_says_so(cli, county):
    roster, villages, policy = county
    ok(cli, "identify", roster, "--villages", villages, "--as-of", "2017-01-10", "--policy", policy)
    ok(cli, "classify")  # the register's date: 2017-01-10

    result = cli("report", "--quarter", "2016Q4", "--format", "json")
    assert result.exit_code == 1, result.stderr  # all zero while 3 households are registered
    data = json.loads(result.stdout)
    assert data["county"]["households"] == 0
    line = (
        "本期报告未含 2016-12-31 之后的记录 / this report leaves out records dated after "
        "2016-12-31: 3 household(s) identified (识别), 3 household(s) classified (分类), dated "
        "2017-01-10; if they belong to 2016Q4, date them inside it: fupin identify ROSTER "
        "--as-of 2016-12-31; fupin classify --as-of 2016-12-31"
    )
    assert data["notes"] == [line]
    warnings = [x for x in result.stderr.splitlines() if x.startswith("warning:")]
    assert warnings == [
        f"warning: {line}",
        "warning: every figure of 2016Q4 is zero while the register holds 3 registered "
        "household(s)",
    ]
    # the terminal report says the same, and exits 1 the same way
    table = cli("report", "--quarter", "2016Q4")
    assert table.exit_code == 1
    assert f"warning: {line}" in table.stderr.splitlines()

    # the year-end import dated inside the quarter: every household is in its report
    fresh = cli.db.with_name("dated.db")
    ok(
        cli,
        "--db",
        fresh,
        "identify",
        roster,
        "--villages",
        villages,
        "--as-of",
        "2016-12-31",
    )
    ok(cli, "--db", fresh, "classify")
    dated = json.loads(ok(cli, "--db", fresh, "report", "--quarter", "2016Q4", "-f", "json").stdout)
    assert dated["county"]["households"] == IDENTIFIED
    assert dated["county"]["persons"] == PERSONS
    assert dated["county"]["unclassified"] == 0
    assert dated["notes"] == []


def test_a_classification_dated_after_the_quarter_is_named_and_can_be_redated(cli, county):
    roster, villages, _ = county
    ok(cli, "identify", roster, "--villages", villages, "--as-of", "2016-09-30")
    ok(cli, "classify", "--as-of", "2017-01-10")  # the wall clock's day, years after the data
    q3 = cli("report", "--quarter", "2016Q3", "--format", "json")
    assert q3.exit_code == 0  # households are counted; only their categories are missing
    data = json.loads(q3.stdout)
    assert data["county"]["unclassified"] == IDENTIFIED
    assert data["notes"] == [
        "本期报告未含 2016-09-30 之后的记录 / this report leaves out records dated after "
        "2016-09-30: 3 household(s) classified (分类), dated 2017-01-10; if they belong to "
        "2016Q3, date them inside it: fupin classify --as-of 2016-09-30"
    ]
    redo = ok(cli, "classify", "--as-of", "2016-09-30", "--format", "json")
    assert json.loads(redo.stdout)["changed"] == IDENTIFIED  # nothing on record on that day
    again = cli.json("report", "--quarter", "2016Q3")
    assert again["county"]["unclassified"] == 0
    assert again["notes"] == []
    # and classifying again changes nothing
    assert json.loads(ok(cli, "classify", "--format", "json").stdout)["changed"] == 0


def test_a_period_not_over_is_marked_interim_in_every_format(cli, county, tmp_path):
    roster, villages, _ = county
    ok(cli, "identify", roster, "--villages", villages, "--as-of", "2016-09-30")
    today = dt.date.today()
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    interim = today.month % 3 != 0 or today.day < 28  # the quarter's last days: maybe over
    data = cli.json("report", "--quarter", quarter, code=None)
    if not interim:
        pytest.skip("today is too close to the quarter's end to be sure it is not over")
    assert data["interim"] is True
    assert data["as_of"] == today.isoformat()
    assert data["notes"][0].startswith(f"期中报告 interim: {quarter} ends on ")

    table = cli("report", "--quarter", quarter)
    assert f"期中 截至 {today.isoformat()}" in table.stdout

    out = cli("report", "--quarter", quarter, "--format", "csv", "--table", "summary")
    rows = list(csv.DictReader(io.StringIO(out.stdout.lstrip("\ufeff"))))
    assert rows and all(r["截至"] == today.isoformat() for r in rows)

    past = cli("report", "--quarter", "2016Q3", "--format", "csv", "--table", "summary")
    assert "截至" not in past.stdout.splitlines()[0]


PG_URL = os.environ.get("FUPIN_TEST_PG_URL")


@pytest.mark.skipif(not PG_URL, reason="FUPIN_TEST_PG_URL is not set")
def test_the_flow_on_postgres_gives_every_household_its_category(cli, county):
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    roster, villages, policy = county
    pg = ("--db", PG_URL)
    ok(cli, *pg, "identify", roster, "--villages", villages, "--as-of", "2016-09-30")
    result = ok(cli, *pg, "classify")
    assert "as of 2016-09-30 (the register's date" in result.stderr
    report = json.loads(ok(cli, *pg, "report", "--quarter", "2016Q3", "-f", "json").stdout)
    assert report["county"]["households"] == IDENTIFIED
    assert report["county"]["unclassified"] == 0
    assert report["notes"] == []
    # a January import on PostgreSQL: the same line, the same exit
    ok(cli, *pg, "identify", roster, "--as-of", "2017-01-10", "--policy", policy)
    q4 = cli(*pg, "report", "--quarter", "2016Q4", "-f", "json", db=False)
    assert q4.exit_code == 0  # identified in Q3, so the Q4 report is not empty
    assert json.loads(q4.stdout)["notes"] == []


def test_the_workbook_title_block_carries_the_notes_and_the_ledger_seal(cli, county, tmp_path):
    from openpyxl import load_workbook

    roster, villages, policy = county
    ok(cli, "identify", roster, "--villages", villages, "--as-of", "2016-09-30")
    ok(cli, "classify", "--as-of", "2017-01-10")
    ok(
        cli,
        "fund",
        "add",
        "--channel",
        "社会帮扶",
        "--kind",
        "到位",
        "--amount",
        "500",
        "--date",
        "2016-08-01",
        "--doc",
        "S1",
    )
    seal = json.loads(ok(cli, "fund", "verify", "--format", "json").stdout)["seal"]
    out = tmp_path / "q3.xlsx"
    ok(cli, "report", "--quarter", "2016Q3", "-o", out)
    ws = load_workbook(out).worksheets[0]
    top = [c for row in ws.iter_rows(max_row=12, values_only=True) for c in row if c]
    assert any(str(c).startswith("本期报告未含 2016-09-30 之后的记录") for c in top), top
    assert f"账本封印 ledger seal {seal}" in top
    from docx import Document

    doc = tmp_path / "q3.docx"
    ok(cli, "report", "--quarter", "2016Q3", "-o", doc)
    said = [p.text for p in Document(doc).paragraphs if p.text.startswith("说明：")]
    assert said[-1] == f"说明：账本封印 ledger seal {seal}"
    assert said[0].startswith("说明：本期报告未含 2016-09-30 之后的记录")

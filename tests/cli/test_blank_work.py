"""One meaning for a blank 务工状况 across classify, the gap rule and the report (issue 14 §5).

A labourer whose 务工状况 is blank is not in work by default: classify plans 转移就业, the report
counts it planned, and household_no_employment raises the gap. With the policy's
``blank_work_status = "unknown"`` none of the three counts it. Real roster and villages
workbooks, a real SQLite register, the real commands."""

from __future__ import annotations

import json

import pytest

from factories import household, person, village, write_villages, write_xlsx

AS_OF = "2016-09-30"


def ok(cli, *args, code=0):
    result = cli(*args)
    assert result.exit_code == code, result.stderr + result.stdout
    return result


def run_all(cli, tmp_path, *policy):
    villages = write_villages(
        tmp_path / "villages.xlsx", [village("漳江镇", "桃花村", "430725101201", "是")]
    )
    roster = write_xlsx(
        tmp_path / "roster.xlsx",
        [
            # B1: a labourer with 务工状况 left blank; B2: one who works out of the province
            *household("B1", [person("空白", birth="19800101", work="")], income=1500),
            *household(
                "B2", [person("外出", birth="19810101", work="省外务工")], income=1500, land=0.1
            ),
        ],
    )
    ok(cli, "identify", roster, "--villages", villages, "--as-of", AS_OF)
    plans = json.loads(ok(cli, "classify", "--as-of", AS_OF, *policy, "--format", "json").stdout)
    measures = {
        no: json.loads(m)
        for no, m in cli.sql(
            "SELECT h.household_no, c.measures FROM classification c "
            "JOIN household h ON h.id = c.household_id"
        )
    }
    check = cli("assign", "check", "--as-of", AS_OF, *policy, "--format", "json")
    gaps = {
        (g["rule"], g["subject"])
        for g in json.loads(check.stdout)["gaps"]
        if g["rule"] in ("household_no_employment", "measure_not_delivered")
    }
    report = json.loads(
        ok(cli, "report", "--quarter", "2016Q3", *policy, "--format", "json").stdout
    )
    report_gaps = {g["rule"]: g["count"] for g in report["gaps"]}
    return plans, measures, gaps, report["county"], report_gaps


def test_blank_work_status_is_not_in_work_for_every_rule(cli, tmp_path):
    plans, measures, gaps, county, report_gaps = run_all(cli, tmp_path)
    assert plans["policy_version"] == "2016.1"
    assert "转移就业" in measures["B1"] and "转移就业" not in measures["B2"]
    assert county["measures"]["转移就业"] == {"planned": 1, "delivered": 0}
    assert ("household_no_employment", "B1") in gaps
    assert not any(subject == "B2" for rule, subject in gaps if rule == "household_no_employment")
    assert report_gaps["household_no_employment"] == 1
    assert county["employment"] == {"households_with_labour": 2, "in_work": 1}


@pytest.fixture
def unknown(tmp_path):
    path = tmp_path / "county.toml"
    path.write_text(
        '[policy]\nversion = "桃源-空白未知"\n[classify]\nblank_work_status = "unknown"\n',
        encoding="utf-8",
    )
    return path


def test_blank_work_status_unknown_by_policy_counts_nowhere(cli, tmp_path, unknown):
    plans, measures, gaps, county, report_gaps = run_all(cli, tmp_path, "--policy", unknown)
    assert plans["policy_version"] == "桃源-空白未知"
    assert "转移就业" not in measures["B1"] and "转移就业" not in measures["B2"]
    assert county["measures"]["转移就业"] == {"planned": 0, "delivered": 0}
    assert not any(rule == "household_no_employment" for rule, _subject in gaps)
    assert report_gaps.get("household_no_employment", 0) == 0


def test_a_bad_meaning_is_refused_naming_the_key(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[policy]\nversion = "x"\n[classify]\nblank_work_status = "空"\n')
    result = cli("classify", "--as-of", AS_OF, "--policy", path)
    assert result.exit_code == 2
    assert "blank_work_status" in result.stderr and "not_in_work, unknown" in result.stderr
    assert "Traceback" not in result.stderr

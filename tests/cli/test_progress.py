"""The progress bar of fupin identify (issue 14 §6): on a terminal it ends at 100% and names each
stage after the read; off a terminal (a batch log) there is none. A real roster, a real register;
the terminal is rich's (TTY_COMPATIBLE=1), so the bar's frames land in the captured stderr."""

from __future__ import annotations

import re

from factories import household, person, village, write_villages, write_xlsx

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def roster(tmp_path):
    return write_xlsx(
        tmp_path / "roster.xlsx",
        [
            *household("P1", [person("甲", birth="19700101"), person("乙", "配偶", male=False)]),
            *household("P2", [person("丙", birth="19750101", 身份证号="123")]),  # rejected
        ],
    )


def test_bar_ends_at_100_percent_and_names_each_stage(cli, tmp_path, monkeypatch):
    villages = write_villages(tmp_path / "v.xlsx", [village("漳江镇", "桃花村", "430725101201")])
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    result = cli("identify", roster(tmp_path), "--villages", villages, "--as-of", "2016-09-30")
    assert result.exit_code == 1, result.stderr  # P2 rejected
    err = ANSI.sub("", result.stderr)
    # the last frame drawn: every line full, the read at its own count of rows (header + 3)
    last = err[err.rindex("reading roster.xlsx") :]
    lines = [line.strip() for line in last.splitlines() if "%" in line]
    assert [re.sub(r"\s*━+\s*", " | ", line).split(" | ")[0] for line in lines] == [
        "reading roster.xlsx",
        "importing v.xlsx",
        "comparing with the register",
        "assessing 1 households",
        "writing 1 households to the register",
        "writing 1 rejected row(s) to the error workbook",
        "committing to the register",
    ]
    assert all(" 100% " in line for line in lines), lines
    assert "4/4 rows" in lines[0]


def test_no_bar_in_a_batch_log(cli, tmp_path):
    result = cli("identify", roster(tmp_path), "--as-of", "2016-09-30")
    assert result.exit_code == 1
    assert "%" not in result.stderr and "\x1b[" not in result.stderr
    assert "reading roster.xlsx" not in result.stderr

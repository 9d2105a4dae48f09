"""The error workbook survives a crash (issue 19): a run killed at any moment never leaves a
committed batch row naming an error workbook that is not there, and the staged files of runs
that died are cleaned by the next run. The kills are real: SIGKILL in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from factories import household, person, small_county, write_xlsx

# Runs `fupin ARGS…` in this process and kills it with SIGKILL at the moment named by WHEN:
# "after-commit" (the transaction has just committed: the old order published the workbook only
# after this) or "before-commit" (inside the transaction, once every before-commit step ran).
KILLER = """
import os, signal, sys
from contextlib import contextmanager
from fupin_cli.db import engine

WHEN = sys.argv[1]
original = engine.Database.transaction

@contextmanager
def transaction(self, *, dry_run=False):
    with original(self, dry_run=dry_run) as conn:
        yield conn
        if WHEN == "before-commit":
            for step in conn.info.pop(engine._BEFORE_COMMIT, ()):
                step()
            os.kill(os.getpid(), signal.SIGKILL)
    if WHEN == "after-commit":
        os.kill(os.getpid(), signal.SIGKILL)

engine.Database.transaction = transaction
from fupin_cli.cli.main import run
sys.argv = ["fupin", *sys.argv[2:]]
run()
"""


def bad_roster(tmp: Path) -> tuple[Path, Path]:
    """The small county's villages and a roster of one household with a bad check digit."""
    _roster, villages = small_county(tmp)
    rows = household("B1", [person("坏", 身份证号="430725197001010000")], village="桃花村")
    return write_xlsx(tmp / "bad.xlsx", rows), villages


def killed(tmp: Path, when: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", KILLER, when, "--db", str(tmp / "fupin.db"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def committed_errors_files(db: Path) -> list[str | None]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT counts FROM batch WHERE command = 'identify'").fetchall()
    return [json.loads(c).get("errors_file") for (c,) in rows]


def test_a_kill_just_after_the_commit_leaves_the_error_workbook_the_batch_row_names(tmp_path):
    roster, villages = bad_roster(tmp_path)
    run = killed(tmp_path, "after-commit", "identify", roster, "--villages", villages,
                 "--as-of", "2016-09-30")  # fmt: skip
    assert run.returncode == -signal.SIGKILL, run.stderr
    named = committed_errors_files(tmp_path / "fupin.db")
    assert named == [str(tmp_path / "bad.errors.xlsx")]  # the run committed, rows rejected
    assert Path(named[0]).is_file()  # and the workbook it names is there
    assert not list(tmp_path.glob("~*"))  # nothing staged left behind


def test_a_kill_just_before_the_commit_commits_nothing(tmp_path):
    roster, villages = bad_roster(tmp_path)
    run = killed(tmp_path, "before-commit", "identify", roster, "--villages", villages,
                 "--as-of", "2016-09-30")  # fmt: skip
    assert run.returncode == -signal.SIGKILL, run.stderr
    db = tmp_path / "fupin.db"
    assert not db.exists() or committed_errors_files(db) == []  # no batch row names anything


def test_the_staged_files_of_dead_runs_are_removed_by_the_next_run(cli, tmp_path):
    roster, villages = bad_roster(tmp_path)
    dead = tmp_path / "~999999999-bad.errors.xlsx"  # no such process
    dead.write_bytes(b"half a workbook")
    alive = tmp_path / f"~{os.getppid()}-bad.errors.xlsx"  # a running process: left alone
    alive.write_bytes(b"being written")
    result = cli("identify", roster, "--villages", villages, "--as-of", "2016-09-30")
    assert result.exit_code == 1, result.stderr
    assert not dead.exists() and alive.exists()
    assert (tmp_path / "bad.errors.xlsx").is_file()

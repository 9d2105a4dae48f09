"""A run that must wait for another writer's lock says so at once (issue 14 §6), then waits
the normal busy timeout and does its work. A real register; the other writer is a plain sqlite3
connection holding the write lock (BEGIN IMMEDIATE) and letting go after a second."""

from __future__ import annotations

import sqlite3
import threading
import time

from factories import household, person, write_xlsx

AS_OF = "2016-09-30"


def registered(cli, tmp_path):
    roster = write_xlsx(tmp_path / "roster.xlsx", household("L1", [person("甲")], income=1000))
    result = cli("identify", roster, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr


def test_a_writer_waiting_for_the_lock_says_so_then_runs(cli, tmp_path):
    registered(cli, tmp_path)
    other = sqlite3.connect(cli.db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    released = []

    def let_go():
        time.sleep(1.0)
        released.append(time.monotonic())
        other.execute("COMMIT")

    threading.Thread(target=let_go).start()
    result = cli("classify", "--as-of", AS_OF)
    done = time.monotonic()
    other.close()
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        f"waiting for another fupin run to finish writing {cli.db} …"
    )
    assert released and done >= released[0]  # it waited for the other writer, then ran
    assert cli.scalar("SELECT count(*) FROM classification") == 1


def test_no_word_about_waiting_when_nobody_holds_the_lock(cli, tmp_path):
    registered(cli, tmp_path)
    result = cli("classify", "--as-of", AS_OF)
    assert result.exit_code == 0 and "waiting" not in result.stderr


def test_quiet_waits_without_a_word(cli, tmp_path):
    registered(cli, tmp_path)
    other = sqlite3.connect(cli.db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(0.6, lambda: other.execute("COMMIT")).start()
    result = cli("--quiet", "classify", "--as-of", AS_OF)
    other.close()
    assert result.exit_code == 0 and result.stderr == ""

import json
import sqlite3

from fupin_cli.db.models import SCHEMA_VERSION


def test_init_twice_changes_nothing_but_batch(cli):
    assert cli("init").exit_code == 0
    before = cli.dump()
    second = cli("init", "--format", "json")
    assert second.exit_code == 0
    data = json.loads(second.stdout)
    assert data["schema_version"] == SCHEMA_VERSION and data["previous_version"] == SCHEMA_VERSION
    assert cli.dump() == before
    rows = cli.sql("SELECT command, outcome, counts FROM batch ORDER BY id")
    assert [(c, o) for c, o, _ in rows] == [("init", "ok"), ("init", "ok")]
    assert json.loads(rows[0][2]) == {"previous_version": 0, "schema_version": SCHEMA_VERSION}


def test_newer_database_refused_with_exit_2(cli):
    assert cli("init").exit_code == 0
    cli.sql("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    result = cli("init")
    assert result.exit_code == 2
    assert "newer than this program" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout


def test_older_database_upgraded_in_place(cli):
    assert cli("init").exit_code == 0
    with sqlite3.connect(cli.db) as conn:
        conn.execute("DROP TABLE measure_record")
        conn.execute("ALTER TABLE village DROP COLUMN broadband")
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    result = cli("init", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["previous_version"] == 0
    cols = [r[1] for r in cli.sql("PRAGMA table_info(village)")]
    assert "broadband" in cols
    assert cli.scalar("SELECT count(*) FROM sqlite_master WHERE name='measure_record'") == 1
    assert cli.scalar("SELECT value FROM meta WHERE key='schema_version'") == str(SCHEMA_VERSION)


def test_unknown_command_exits_2(cli):
    result = cli("nosuchcommand")
    assert result.exit_code == 2
    assert "No such command" in result.stderr


def test_database_in_missing_folder_exits_2_one_line(tmp_path, cli):
    result = cli.runner.invoke(
        __import__("fupin_cli.cli.main").cli.main.app,
        ["--db", str(tmp_path / "nope" / "x.db"), "init"],
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"fupin: error: database {tmp_path / 'nope' / 'x.db'}: folder {tmp_path / 'nope'} "
        "does not exist; create it or choose another --db path"
    ]


def test_not_a_database_file_exits_2(tmp_path, cli):
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    result = cli.runner.invoke(
        __import__("fupin_cli.cli.main").cli.main.app, ["--db", str(bogus), "init"]
    )
    assert result.exit_code == 2
    assert "not an SQLite database" in result.stderr


def test_env_var_selects_database(tmp_path, monkeypatch, cli):
    target = tmp_path / "from_env.db"
    monkeypatch.setenv("FUPIN_DB", str(target))
    result = cli("init", db=False)
    assert result.exit_code == 0
    assert target.exists()


def test_pragmas(cli):
    from fupin_cli.db.engine import open_database

    db = open_database(str(cli.db))
    with db.reading() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    db.dispose()
    db = open_database(str(cli.db), journal="delete")
    with db.reading() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
    db.dispose()


def test_transaction_rolls_back_on_crash(cli):
    from sqlalchemy import text

    from fupin_cli.db.engine import open_database

    db = open_database(str(cli.db))
    try:
        with db.transaction() as conn:
            conn.execute(text("INSERT INTO township (name) VALUES ('漳江镇')"))
            raise RuntimeError("power cut")
    except RuntimeError:
        pass
    with db.transaction(dry_run=True) as conn:
        conn.execute(text("INSERT INTO township (name) VALUES ('陬市镇')"))
    db.dispose()
    assert cli.scalar("SELECT count(*) FROM township") == 0


def test_every_command_has_bilingual_help(cli):
    from typer.main import get_command

    from fupin_cli.cli.main import app

    group = get_command(app)
    result = cli("--help", db=False)
    assert result.exit_code == 0
    assert "/" in result.stdout

    def walk(cmd, path):
        for name, sub in getattr(cmd, "commands", {}).items():
            out = cli(*path, name, "--help", db=False)
            assert out.exit_code == 0, (path, name)
            first = (sub.help or "").strip().splitlines()[0]
            assert " / " in first and any("\u4e00" <= ch <= "\u9fff" for ch in first), (name, first)
            walk(sub, [*path, name])

    walk(group, [])


def test_sqlite_url_gets_the_same_pragmas(tmp_path):
    from fupin_cli.db.engine import open_database

    db = open_database(f"sqlite:///{tmp_path / 'u.db'}")
    with db.reading() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.dispose()


def test_upgrade_restores_missing_indexes_and_triggers(cli):
    assert cli("init").exit_code == 0
    with sqlite3.connect(cli.db) as conn:
        conn.execute("DROP INDEX ix_visit_household")
        conn.execute("DROP TRIGGER fund_entry_no_update")
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    assert cli("init").exit_code == 0
    names = {r[0] for r in cli.sql("SELECT name FROM sqlite_master")}
    assert {"ix_visit_household", "fund_entry_no_update"} <= names


def test_upgrade_drops_the_ledger_indexes_v1_had(cli):
    assert cli("init").exit_code == 0
    with sqlite3.connect(cli.db) as conn:  # a register as version 1 made it
        conn.execute("CREATE INDEX ix_fund_entry_channel_date ON fund_entry (channel, date)")
        conn.execute("CREATE INDEX ix_fund_entry_village ON fund_entry (village_id, date)")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    result = cli("init", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["previous_version"] == 1
    names = {r[0] for r in cli.sql("SELECT name FROM sqlite_master WHERE tbl_name='fund_entry'")}
    assert not names & {"ix_fund_entry_channel_date", "ix_fund_entry_village"}
    assert "fund_entry_no_update" in names  # the append-only triggers stay
    assert cli.scalar("SELECT value FROM meta WHERE key='schema_version'") == str(SCHEMA_VERSION)


def test_upgrade_to_v3_normalises_full_width_household_and_staff_numbers(cli, tmp_path):
    """A 户编号 stored in full-width digits by an older version is normalised as the importers
    now read it, so the next roster finds the household; one that would collide stays."""
    assert cli("init").exit_code == 0
    batch = cli.scalar("SELECT max(id) FROM batch")
    with sqlite3.connect(cli.db) as conn:  # a register as version 2 made it
        conn.execute("INSERT INTO township (id, name) VALUES (1, '漳江镇')")
        conn.execute("INSERT INTO village (id, township_id, name) VALUES (1, 1, '桃花村')")
        for hid, no in ((1, "４３０７２５０１０１００１"), (2, "H 2"), (3, "Ｈ３"), (4, "H3")):
            conn.execute(
                "INSERT INTO household (id, household_no, village_id, status, batch_id) "
                "VALUES (?, ?, 1, '已识别', ?)",
                (hid, no, batch),
            )
        conn.execute(
            "INSERT INTO cadre (id, name, staff_no, rank, is_teacher, in_post) "
            "VALUES (1, '刘', 'Ｇ００１', '科级干部', 0, 1)"
        )
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    assert cli("init").exit_code == 0
    assert cli.sql("SELECT household_no FROM household ORDER BY id") == [
        ("4307250101001",),
        ("H2",),
        ("Ｈ３",),  # would collide with H3: left as it was
        ("H3",),
    ]
    assert cli.scalar("SELECT staff_no FROM cadre") == "G001"


def test_failed_run_creates_no_database(cli, tmp_path):
    result = cli("identify", tmp_path / "missing.xlsx", "--as-of", "2016-09-30")
    assert result.exit_code == 2
    assert not cli.db.exists()


READING_COMMANDS = [
    ("report", "--quarter", "2016Q3", "--format", "json"),
    ("fund", "balance"),
    ("fund", "check", "--year", "2016"),
    ("assign", "check"),
    ("classify", "--explain", "H1"),
]


def test_a_reading_command_refuses_a_register_that_is_not_there(cli, tmp_path):
    """A mistyped --db in a scheduled report must not create an empty register and report
    zeros with exit 0: the command stops with one line, and no file is left behind."""
    typo = tmp_path / "typo.db"
    for args in READING_COMMANDS:
        result = cli("--db", typo, *args, db=False)
        assert result.exit_code == 2, (args, result.stderr)
        assert result.stderr.strip() == (
            f"fupin: error: database {typo}: no register there; check --db (or FUPIN_DB), "
            "or build the register first with fupin identify"
        )
        assert result.stdout == "" and not typo.exists()


def test_a_reading_command_refuses_a_file_that_is_no_register(cli, tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    for args in READING_COMMANDS:
        result = cli("--db", empty, *args, db=False)
        assert result.exit_code == 2 and "not a fupin register yet" in result.stderr, args
    assert sqlite3.connect(empty).execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    assert cli("init").exit_code == 0  # an existing register reads as before
    assert cli("fund", "balance").exit_code == 0


def test_ctrl_c_is_one_line_and_exit_130(cli, monkeypatch):
    import fupin_cli.cli.init as init_cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(init_cli.job, "run", interrupted)
    result = cli("init")
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines() == [
        "fupin: error: interrupted (Ctrl-C); the unfinished command wrote nothing unless it had "
        "already committed — run it again to be sure (a re-run changes nothing that is already in)"
    ]


def test_a_reader_that_goes_away_stops_the_output_quietly(tmp_path):
    """`fupin … -f json | head`: the program stops like a Unix tool on SIGPIPE (141), with no
    message and not exit 1, which says "data problems"."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "fupin_cli", "--db", str(tmp_path / "r.db")]
    assert subprocess.run([*command, "init"], capture_output=True).returncode == 0
    for args in (("-f", "json"), ("--level", "village")):  # json, and the terminal table
        p = subprocess.Popen(
            [*command, "report", "--quarter", "2016Q3", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        p.stdout.close()  # nobody reads
        stderr = p.stderr.read()
        assert p.wait(timeout=120) == 141 and stderr == b"", args


def test_small_usage_errors_say_what_was_given(cli, tmp_path):
    assert cli("init").exit_code == 0
    result = cli("classify", "--as-of", "9999-12-31")
    assert result.exit_code == 2 and result.stderr.strip() == (
        "fupin: error: --as-of: 9999-12-31 is outside the years 1990–2100; check the year"
    )
    result = cli("assign", "check", "--as-of", "0001-01-01")
    assert result.exit_code == 2 and "--as-of: 0001-01-01 is outside" in result.stderr
    result = cli("report", "--quarter", "")
    assert result.exit_code == 2 and result.stderr.startswith("fupin: error: --quarter: '' is not")
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = cli("--db", afile / "x.db", "init", db=False)
    assert result.exit_code == 2 and f"{afile} is a file, not a folder" in result.stderr


def test_a_group_without_its_command_shows_its_help(cli):
    result = cli("fund")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Usage:") and any("balance" in line for line in lines[1:])
    assert not result.stderr.startswith("fupin: error:")


def test_a_database_url_fupin_does_not_run_on_says_what_it_runs_on(cli):
    result = cli("--db", "mysql://u:p@localhost/county", "init", db=False)
    assert result.exit_code == 2
    assert "fupin runs on an SQLite file or on PostgreSQL (postgresql+psycopg://…)" in result.stderr

"""Shared test helpers: a CliRunner on the real app and real files in tmp_path."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fupin_cli.cli.main import app


class Cli:
    def __init__(self, db: Path) -> None:
        self.db = db
        self.runner = CliRunner()

    def __call__(self, *args: str, db: bool = True):
        argv = (["--db", str(self.db)] if db else []) + [str(a) for a in args]
        return self.runner.invoke(app, argv, catch_exceptions=False)

    def json(self, *args: str, code: int | None = 0):
        result = self(*args, "--format", "json")
        if code is not None:
            assert result.exit_code == code, result.stderr + result.stdout
        return json.loads(result.stdout)

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(query, params).fetchall()

    def scalar(self, query: str, params: tuple = ()):
        return self.sql(query, params)[0][0]

    def counts(self, *, but: tuple[str, ...] = ("batch",)) -> dict[str, int]:
        """Row count of every table except ``but`` — to prove a run 'changed nothing'."""
        names = [r[0] for r in self.sql("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: self.scalar(f"SELECT count(*) FROM {n}") for n in sorted(names) if n not in but}

    def dump(self, *, but: tuple[str, ...] = ("batch",)) -> dict[str, list[tuple]]:
        """Every row of every table except ``but``."""
        names = [r[0] for r in self.sql("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            n: sorted(map(repr, self.sql(f"SELECT * FROM {n}")))
            for n in sorted(names)
            if n not in but
        }


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "fupin.db")

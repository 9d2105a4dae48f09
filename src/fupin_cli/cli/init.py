"""fupin init — create or upgrade the register."""

from __future__ import annotations

import typer

from fupin_cli.cli.app import app
from fupin_cli.cli.options import FormatOpt, OutputFormat, state
from fupin_cli.io.output import emit, stderr_console
from fupin_cli.jobs import init as job


@app.command("init")
def init_command(ctx: typer.Context, fmt: FormatOpt = OutputFormat.table) -> None:
    """建库或升级 / create the database, or upgrade an older one in place."""
    s = state(ctx)
    result = job.run(s.db, journal=s.journal)
    if not s.quiet and fmt is OutputFormat.table:
        verb = (
            "created"
            if result.previous_version == 0
            else ("upgraded" if result.previous_version < result.schema_version else "up to date")
        )
        stderr_console().print(f"database {verb}", highlight=False)
    emit(
        fmt.value,
        data={
            "database": result.database,
            "schema_version": result.schema_version,
            "previous_version": result.previous_version,
            "tables": result.tables,
        },
        rows=[
            {
                "database": result.database,
                "schema_version": result.schema_version,
                "tables": len(result.tables),
            }
        ],
        columns=[
            ("database", "数据库 database"),
            ("schema_version", "版本 schema version"),
            ("tables", "表 tables"),
        ],
    )

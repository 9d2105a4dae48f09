"""The root Typer app: global options and the one place errors become one line and an exit code."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

try:  # typer >= 0.2x carries its own copy of click
    from typer._click import exceptions as cx
    from typer._click.utils import PacifyFlushWrapper
    from typer.exceptions import Abort, Exit
except ImportError:  # older typer runs on click itself
    from click import exceptions as cx  # type: ignore[no-redef]
    from click.exceptions import Abort, Exit  # type: ignore[no-redef,assignment]
    from click.utils import PacifyFlushWrapper  # type: ignore[no-redef]

from fupin_cli import __version__
from fupin_cli.cli.options import AppState
from fupin_cli.core.text import message_text
from fupin_cli.errors import EXIT_USAGE, FupinError
from fupin_cli.io.output import EXIT_BROKEN_PIPE


def say_error(message: str) -> None:
    """One line on stderr: what, where, why, what to do; a control character in it (a file
    name, a header) shown escaped, never obeyed by the terminal."""
    text = message_text(" ".join(str(message).split()))
    typer.echo(f"fupin: error: {text}", err=True)


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def _interrupted() -> None:
    say_error(
        "interrupted (Ctrl-C); the unfinished command wrote nothing unless it had already "
        "committed — run it again to be sure (a re-run changes nothing that is already in)"
    )
    sys.exit(EXIT_INTERRUPTED)


WORKFLOW = ("init", "identify", "classify", "assign", "fund", "report", "assess")
"""The commands in the order a county office uses them; ``--help`` lists them so."""


class FupinGroup(TyperGroup):
    """Runs every command with the error contract: no traceback reaches a user.

    0 done · 1 done but data problems found · 2 usage error or unreadable input.
    ``FUPIN_DEBUG=1`` lets unexpected exceptions through with their traceback.
    """

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        first = [n for n in WORKFLOW if n in names]
        return first + [n for n in names if n not in first]

    def main(
        self,
        args: Any = None,
        prog_name: Any = None,
        complete_var: Any = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except Exit as exc:
            sys.exit(exc.exit_code)
        except cx.NoArgsIsHelpError as exc:  # `fupin fund`: the group's help, as it reads
            typer.echo(exc.format_message(), err=True)
            sys.exit(EXIT_USAGE)
        except cx.UsageError as exc:
            hint = exc.ctx.command_path if exc.ctx else "fupin"
            say_error(f"{exc.format_message()} (see '{hint} --help')")
            sys.exit(EXIT_USAGE)
        except cx.ClickException as exc:
            say_error(exc.format_message())
            sys.exit(exc.exit_code)
        except Abort:
            say_error("aborted")
            sys.exit(EXIT_USAGE)
        except FupinError as exc:
            say_error(str(exc))
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _interrupted()
        except SystemExit as exc:
            # Typer's answer to a reader of stdout that went away (`fupin report -f json | head`)
            # is exit 1 — here that says "data problems". Stop quietly instead, as a Unix tool
            # killed by SIGPIPE does.
            if exc.code == 1 and isinstance(sys.stdout, PacifyFlushWrapper):
                sys.exit(EXIT_BROKEN_PIPE)
            raise
        except OSError as exc:  # a full disk, a closed stdout, a file that went away
            if os.environ.get("FUPIN_DEBUG"):
                raise
            where = f" ({exc.filename})" if exc.filename else ""
            say_error(f"input/output error{where}: {exc.strerror or exc}; check the disk and files")
            sys.exit(EXIT_USAGE)
        except Exception as exc:
            if os.environ.get("FUPIN_DEBUG"):
                raise
            say_error(
                f"internal error: {type(exc).__name__}: {exc} — nothing was written; "
                "re-run with FUPIN_DEBUG=1 and report the traceback"
            )
            sys.exit(EXIT_USAGE)
        if rv == EXIT_INTERRUPTED:  # Typer turns Ctrl-C into this return value
            _interrupted()
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=FupinGroup,
    help="精准扶贫县级建档立卡台账 / the county register for precision poverty alleviation.\n\n"
    "Data goes to stdout, messages to stderr; exit 0 done, 1 data problems found, 2 usage error."
    "\n\n\b\n工作流程 / the workflow, one example each:\n"
    "  fupin init  # 建库 create the register (fupin.db)\n"
    "  fupin identify 花名册.xlsx --villages 村情.xlsx --as-of 2016-12-31  # 识别\n"
    "  fupin classify  # 分类施策 every registered household\n"
    "  fupin assign pair  # 结对帮联 a cadre for every household\n"
    "  fupin fund import 资金台账.xlsx  # 资金台账 the funds ledger\n"
    "  fupin report --quarter 2016Q4 -o 2016Q4.xlsx  # 季度报告 the quarterly report\n"
    "  fupin assess sample --year 2016 -o 入户调查表.xlsx  # 退出自评 the exit self-assessment",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fupin {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str,
        typer.Option(
            "--db",
            envvar="FUPIN_DB",
            help="数据库 / database file, or an SQLAlchemy URL (postgresql+psycopg://…). Env FUPIN_DB.",
        ),
    ] = "fupin.db",
    journal: Annotated[
        str,
        typer.Option(
            "--journal",
            help="SQLite 日志模式 / journal mode: wal (default) or delete (for a file on a network share).",
        ),
    ] = "wal",
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="安静 / no messages or progress on stderr.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="版本 / show the version."
        ),
    ] = False,
) -> None:
    """精准扶贫县级台账 / the county register."""
    ctx.obj = AppState(db=db, journal=journal, quiet=quiet)

"""Entry point: import every command module so it registers on the root app."""

from __future__ import annotations

from fupin_cli.cli import assess as _assess  # noqa: F401
from fupin_cli.cli import assign as _assign  # noqa: F401
from fupin_cli.cli import classify as _classify  # noqa: F401
from fupin_cli.cli import fund as _fund  # noqa: F401
from fupin_cli.cli import identify as _identify  # noqa: F401
from fupin_cli.cli import init as _init  # noqa: F401
from fupin_cli.cli import report as _report  # noqa: F401
from fupin_cli.cli.app import app

__all__ = ["app", "run"]


def run() -> None:
    app()

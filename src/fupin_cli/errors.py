"""Known failures and their exit codes. The CLI turns each into one line on stderr."""

from __future__ import annotations

EXIT_OK = 0
EXIT_DATA = 1  # done, but data problems were found (rows rejected, rules broken)
EXIT_USAGE = 2  # usage error or unreadable input; nothing written


class FupinError(Exception):
    """A failure the user can act on; ``str(exc)`` is the whole message."""

    exit_code = EXIT_USAGE


class UsageError(FupinError):
    """Bad option, unreadable input, bad policy, database the program cannot use: exit 2."""


class InputError(UsageError):
    """An input file that cannot be read at all (not a spreadsheet, no header, empty…)."""


class RefusedError(FupinError):
    """A request refused by the county's rules (overdraw, banned purpose): exit 1."""

    exit_code = EXIT_DATA

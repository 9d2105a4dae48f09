"""Load the policy: the shipped defaults, or a county file merged over them."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from fupin_cli.core.policy import InputPolicy, Policy, PolicyError, parse_policy
from fupin_cli.errors import UsageError


@cache
def default_text() -> str:
    return files("fupin_cli").joinpath("default_policy.toml").read_text(encoding="utf-8")


def load_policy(path: Path | str | None = None) -> Policy:
    """The default policy, or ``path`` merged over it. Any problem is a UsageError (exit 2)."""
    try:
        if path is None:
            return parse_policy(default_text(), source="default policy")
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise UsageError(f"policy file {p}: not found; check the --policy path") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(
                f"policy file {p}: cannot be read ({exc}); save it as UTF-8 text"
            ) from None
        return parse_policy(text, defaults=default_text(), source=f"policy file {p}")
    except PolicyError as exc:
        raise UsageError(str(exc)) from None


@cache
def input_limits() -> InputPolicy:
    """What an input file may be (the shipped policy's [input]): the readers refuse beyond it
    before any county rule applies."""
    return load_policy().input

"""The Alkire–Foster multidimensional poverty measure (H, A, M0) over the five looks.

Each unit is a household with its persons (the weight) and its deprivation in each look (0–1, the
identification scores). A person is deprived in a look when the household's deprivation is at
least ``cutoff``; the deprivation score c is the sum of the deprived looks' weights (weights
normalised to sum to 1); the person is poor when c ≥ k (and c > 0).

- H = poor persons ÷ persons; A = mean c among the poor; M0 = H × A (the mean censored score);
- a look's censored headcount = poor persons deprived in it ÷ persons; its contribution to M0 =
  weight × censored headcount ÷ M0 (the looks' contributions sum to 1 when M0 > 0);
- a group's (township's) contribution = its population share × its M0 ÷ the whole's M0 (the
  groups' contributions sum to 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    persons: int
    deprivations: Mapping[str, float]
    group: str = ""


@dataclass(frozen=True)
class Measure:
    persons: int
    H: float
    A: float
    M0: float
    censored_headcount: Mapping[str, float]
    contribution: Mapping[str, float]


def _normal(weights: Mapping[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {d: w / total for d, w in weights.items()}


def score(unit: Unit, weights: Mapping[str, float], cutoff: float) -> float:
    """The unit's deprivation score c (weights already normalised)."""
    return sum(w for d, w in weights.items() if unit.deprivations.get(d, 0.0) >= cutoff)


def measure(
    units: Sequence[Unit], weights: Mapping[str, float], cutoff: float, k: float
) -> Measure:
    w = _normal(weights)
    n = sum(u.persons for u in units)
    poor = q = 0.0
    censored = dict.fromkeys(w, 0.0)
    for u in units:
        c = score(u, w, cutoff)
        if c > 0 and c >= k - 1e-9:
            q += u.persons
            poor += u.persons * c
            for d in w:
                if u.deprivations.get(d, 0.0) >= cutoff:
                    censored[d] += u.persons
    if n == 0:
        zero = dict.fromkeys(w, 0.0)
        return Measure(0, 0.0, 0.0, 0.0, zero, zero)
    m0 = poor / n
    ch = {d: censored[d] / n for d in w}
    contribution = {d: (w[d] * ch[d] / m0 if m0 > 0 else 0.0) for d in w}
    return Measure(n, q / n, (poor / q if q else 0.0), m0, ch, contribution)


def by_group(
    units: Sequence[Unit], weights: Mapping[str, float], cutoff: float, k: float
) -> dict[str, tuple[Measure, float]]:
    """Each group's measure and its contribution to the whole's M0 (shares sum to 1)."""
    whole = measure(units, weights, cutoff, k)
    groups: dict[str, list[Unit]] = {}
    for u in units:
        groups.setdefault(u.group, []).append(u)
    out = {}
    for g in sorted(groups):
        m = measure(groups[g], weights, cutoff, k)
        share = m.persons / whole.persons if whole.persons else 0.0
        out[g] = (m, share * m.M0 / whole.M0 if whole.M0 > 0 else 0.0)
    return out

"""The poor-village exit test (贫困村出列), Hunan's rule as the policy file sets it.

A poor village exits when its poverty rate (registered poor people ÷ agricultural population) is
below ``max_poverty_rate`` (2 %), its collective income for the year is at least
``min_collective_income_fen`` (40,000 yuan), and every service in ``services`` is in place
(通安全饮水, 通动力电, 通硬化路, 危房清零, 有标准化卫生室, 通广播电视, 通宽带).

Unknown is never a pass: no agricultural population, no income, income of another year, or a
service left blank is an unmet condition. The result lists every unmet condition, in the order
poverty rate, collective income, then the policy's services; each has a key (``poverty_rate``,
``collective_income`` or the service's name such as ``通安全饮水``) and a short reason in Chinese
(the report's 未达条件 column).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from fupin_cli.core.money import format_fen
from fupin_cli.core.policy import VillageExitPolicy

POVERTY_RATE = "poverty_rate"
COLLECTIVE_INCOME = "collective_income"


class VillageFacts(NamedTuple):
    poor_persons: int  # registered poor people (建档立卡在册)
    agricultural_population: int | None
    collective_income_fen: int | None
    collective_income_year: int | None
    services: Mapping[str, bool | None]  # service name (通安全饮水 …) -> in place?

    @property
    def poverty_rate(self) -> float | None:
        if not self.agricultural_population:
            return None
        return self.poor_persons / self.agricultural_population


class Unmet(NamedTuple):
    key: str
    reason: str


class ExitTest(NamedTuple):
    ok: bool
    unmet: tuple[Unmet, ...]

    @property
    def keys(self) -> list[str]:
        return [u.key for u in self.unmet]


def exit_test(facts: VillageFacts, year: int, policy: VillageExitPolicy) -> ExitTest:
    """Whether the village may exit in ``year``, with every condition it does not meet."""
    unmet: list[Unmet] = []
    rate = facts.poverty_rate
    if rate is None:
        unmet.append(Unmet(POVERTY_RATE, "无农业人口, 贫困发生率未知"))
    elif not rate < policy.max_poverty_rate:
        unmet.append(
            Unmet(
                POVERTY_RATE,
                f"贫困发生率 {rate:.2%} ({facts.poor_persons}/{facts.agricultural_population}) "
                f"未低于 {policy.max_poverty_rate:.2%}",
            )
        )
    floor = policy.min_collective_income_fen
    income, income_year = facts.collective_income_fen, facts.collective_income_year
    if income is None:
        unmet.append(Unmet(COLLECTIVE_INCOME, "未填村集体经济收入"))
    elif income_year != year:
        unmet.append(
            Unmet(
                COLLECTIVE_INCOME,
                f"村集体经济收入为{income_year or '未知'}年数, 非{year}年",
            )
        )
    elif income < floor:
        unmet.append(
            Unmet(
                COLLECTIVE_INCOME,
                f"村集体经济收入 {format_fen(income)} 元, 低于 {format_fen(floor)} 元",
            )
        )
    for service in policy.services:
        held = facts.services.get(service)
        if held is None:
            unmet.append(Unmet(service, f"{service}: 未填"))
        elif not held:
            unmet.append(Unmet(service, f"{service}: 否"))
    return ExitTest(not unmet, tuple(unmet))

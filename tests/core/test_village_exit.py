"""core.village_exit: the poor-village exit test (贫困村出列) with plain values."""

import pytest

from fupin_cli.core.policy import SERVICES, VillageExitPolicy
from fupin_cli.core.village_exit import VillageFacts, exit_test

POLICY = VillageExitPolicy(
    max_poverty_rate=0.02, min_collective_income_fen=4_000_000, services=SERVICES
)
YEAR = 2016


def facts(persons=10, agri=1000, income=4_000_000, year=YEAR, **services):
    flags = {s: True for s in SERVICES}
    flags.update({k: v for k, v in services.items()})
    return VillageFacts(persons, agri, income, year, flags)


def test_a_village_meeting_every_condition_exits():
    result = exit_test(facts(), YEAR, POLICY)
    assert result.ok and result.unmet == () and result.keys == []


@pytest.mark.parametrize(
    ("persons", "agri", "ok"),
    [
        (19, 1000, True),  # 1.9 %
        (20, 1000, False),  # 2 % is not below 2 %
        (21, 1000, False),
        (0, 1000, True),
        (1, 0, False),  # no agricultural population: unknown
        (1, None, False),
    ],
)
def test_poverty_rate_must_be_below_the_line(persons, agri, ok):
    result = exit_test(facts(persons=persons, agri=agri), YEAR, POLICY)
    assert result.ok is ok
    assert result.keys == ([] if ok else ["poverty_rate"])


def test_poverty_rate_reason():
    result = exit_test(facts(persons=28, agri=1000), YEAR, POLICY)
    assert result.unmet[0].reason == "贫困发生率 2.80% (28/1000) 未低于 2.00%"
    assert facts(persons=28, agri=1000).poverty_rate == pytest.approx(0.028)
    unknown = exit_test(facts(agri=None), YEAR, POLICY)
    assert unknown.unmet[0].reason == "无农业人口, 贫困发生率未知"


@pytest.mark.parametrize(
    ("income", "year", "reason"),
    [
        (4_000_000, YEAR, None),  # exactly 40,000 yuan: at least
        (9_000_000, YEAR, None),
        (3_999_999, YEAR, "村集体经济收入 39,999.99 元, 低于 40,000.00 元"),
        (0, YEAR, "村集体经济收入 0.00 元, 低于 40,000.00 元"),
        (9_000_000, 2015, "村集体经济收入为2015年数, 非2016年"),
        (9_000_000, None, "村集体经济收入为未知年数, 非2016年"),
        (None, YEAR, "未填村集体经济收入"),
    ],
)
def test_collective_income_counts_only_for_the_year(income, year, reason):
    result = exit_test(facts(income=income, year=year), YEAR, POLICY)
    if reason is None:
        assert result.ok
    else:
        assert not result.ok and result.unmet == (("collective_income", reason),)


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_must_be_in_place(service):
    off = exit_test(facts(**{service: False}), YEAR, POLICY)
    assert not off.ok and off.unmet == ((service, f"{service}: 否"),)
    blank = exit_test(facts(**{service: None}), YEAR, POLICY)
    assert not blank.ok and blank.unmet == ((service, f"{service}: 未填"),)
    missing = VillageFacts(10, 1000, 4_000_000, YEAR, {s: True for s in SERVICES if s != service})
    assert exit_test(missing, YEAR, POLICY).keys == [service]


def test_every_unmet_condition_is_listed_in_order():
    result = exit_test(facts(persons=50, income=100, 通宽带=False, 通安全饮水=None), YEAR, POLICY)
    assert result.keys == ["poverty_rate", "collective_income", "通安全饮水", "通宽带"]


def test_the_policy_sets_the_thresholds_and_the_services():
    county = VillageExitPolicy(
        max_poverty_rate=0.03, min_collective_income_fen=5_000_000, services=("通动力电",)
    )
    f = facts(persons=25, income=5_000_000, 通宽带=False, 危房清零=None)
    assert exit_test(f, YEAR, county).ok  # 2.5 % < 3 %; services outside the policy ignored
    assert exit_test(f, YEAR, POLICY).keys == ["poverty_rate", "危房清零", "通宽带"]
    assert exit_test(facts(income=4_999_999), YEAR, county).keys == ["collective_income"]

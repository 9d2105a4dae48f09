"""The ledger rules with plain values: balances, refusals, reversals, the county rules, loans."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin_cli.core.ledger import (
    BadEntry,
    Entry,
    Flow,
    FundFacts,
    Ledger,
    LoanFacts,
    Refusal,
    balances,
    check_rules,
    loan_violations,
    rate_bp,
)
from fupin_cli.core.policy import parse_policy
from fupin_cli.policyfile import default_text

POLICY = parse_policy(default_text())
FUND = POLICY.fund
D = dt.date(2016, 3, 1)
YUAN = 100  # fen


def receipt(doc, amount, channel="fiscal", **kw):
    return Entry(doc, kw.pop("date", D), "receipt", amount * YUAN, channel, **kw)


def allocation(doc, amount, channel="fiscal", village=1, purpose="产业发展", **kw):
    return Entry(
        doc, kw.pop("date", D), "allocation", amount * YUAN, channel, village, purpose=purpose, **kw
    )


def disbursement(doc, amount, alloc, **kw):
    return Entry(doc, kw.pop("date", D), "disbursement", amount * YUAN, allocation=alloc, **kw)


def reversal(doc, amount, target, **kw):
    return Entry(doc, kw.pop("date", D), "reversal", amount * YUAN, reverses=target, **kw)


@pytest.fixture
def ledger():
    book = Ledger(FUND)
    book.post(receipt("R1", 100_000))
    book.post(allocation("A1", 80_000))
    return book


# -- balances and refusals --------------------------------------------------------------------


def test_channel_available_is_receipts_minus_allocations(ledger):
    assert ledger.available("fiscal") == 20_000 * YUAN
    assert ledger.allocation_available("A1") == 80_000 * YUAN
    ledger.post(disbursement("D1", 30_000, "A1"))
    assert ledger.allocation_available("A1") == 50_000 * YUAN
    assert ledger.available("fiscal") == 20_000 * YUAN  # spending does not touch the channel


def test_allocation_beyond_channel_balance_refused_with_available_and_shortfall(ledger):
    with pytest.raises(Refusal) as exc:
        ledger.post(allocation("A2", 25_000))
    assert exc.value.available == 20_000 * YUAN
    assert exc.value.shortfall == 5_000 * YUAN
    assert exc.value.field == "amount"
    assert "available 20,000.00 yuan, short by 5,000.00 yuan" in exc.value.message
    assert "A2" not in ledger.entries and ledger.available("fiscal") == 20_000 * YUAN


def test_other_channels_money_is_not_available(ledger):
    ledger.post(receipt("S1", 50_000, "social"))
    with pytest.raises(Refusal):
        ledger.post(allocation("A2", 30_000, "fiscal"))
    ledger.post(allocation("A2", 30_000, "social"))


def test_disbursement_beyond_allocation_refused(ledger):
    ledger.post(disbursement("D1", 70_000, "A1"))
    with pytest.raises(Refusal) as exc:
        ledger.post(disbursement("D2", 10_001, "A1"))
    assert exc.value.available == 10_000 * YUAN and exc.value.shortfall == 1 * YUAN


def test_disbursement_inherits_channel_village_purpose(ledger):
    entry = ledger.post(disbursement("D1", 1_000, "A1"))
    assert (entry.channel, entry.village, entry.purpose) == ("fiscal", 1, "产业发展")


def test_disbursement_may_name_a_household_but_not_another_village(ledger):
    assert ledger.post(disbursement("D1", 1_000, "A1", household=7)).household == 7
    with pytest.raises(BadEntry) as exc:
        ledger.post(disbursement("D2", 1_000, "A1", village=2))
    assert exc.value.field == "village"


def test_purpose_unchanged_a_disbursement_for_another_purpose_is_refused(ledger):
    with pytest.raises(Refusal) as exc:
        ledger.post(disbursement("D1", 1_000, "A1", purpose="基础设施"))
    assert exc.value.field == "purpose" and "reverse (冲销)" in exc.value.message


def test_purpose_change_is_a_reversal_plus_a_new_allocation(ledger):
    ledger.post(disbursement("D1", 30_000, "A1"))
    ledger.post(reversal("X1", 50_000, "A1"))  # the unspent part
    assert ledger.available("fiscal") == 70_000 * YUAN
    ledger.post(allocation("A2", 50_000, purpose="基础设施"))
    assert ledger.available("fiscal") == 20_000 * YUAN
    assert ledger.allocation_available("A1") == 0


def test_banned_purpose_refused():
    book = Ledger(FUND)
    book.post(receipt("R1", 100_000))
    for purpose in FUND.banned_purposes:
        with pytest.raises(Refusal) as exc:
            book.post(allocation(f"A-{purpose}", 1, purpose=purpose))
        assert exc.value.field == "purpose" and "banned" in exc.value.message


def test_an_allocation_needs_a_purpose_and_a_target():
    book = Ledger(FUND)
    book.post(receipt("R1", 100))
    with pytest.raises(BadEntry) as exc:
        book.post(allocation("A1", 1, purpose=None))
    assert exc.value.field == "purpose"
    with pytest.raises(BadEntry) as exc:
        book.post(allocation("A1", 1, village=None))
    assert exc.value.field == "target"
    with pytest.raises(BadEntry) as exc:
        book.post(Entry("R2", D, "receipt", 100))
    assert exc.value.field == "channel"


def test_agri_total_defaults_to_integrated_and_moves_no_balance():
    book = Ledger(FUND)
    entry = book.post(Entry("T1", D, "agri_total", 500_000 * YUAN))
    assert entry.channel == "integrated" and book.available("integrated") == 0


# -- reversals --------------------------------------------------------------------------------


def test_partial_reversal_of_an_allocation_returns_money_to_the_channel(ledger):
    entry = ledger.post(reversal("X1", 30_000, "A1"))
    assert (entry.channel, entry.village, entry.purpose) == ("fiscal", 1, "产业发展")
    assert ledger.available("fiscal") == 50_000 * YUAN
    assert ledger.allocation_available("A1") == 50_000 * YUAN


def test_reversal_beyond_what_is_left_refused(ledger):
    ledger.post(reversal("X1", 60_000, "A1"))
    with pytest.raises(Refusal) as exc:
        ledger.post(reversal("X2", 20_001, "A1"))
    assert exc.value.available == 20_000 * YUAN and exc.value.shortfall == 1 * YUAN


def test_reversing_a_spent_allocation_refused(ledger):
    ledger.post(disbursement("D1", 70_000, "A1"))
    with pytest.raises(Refusal) as exc:
        ledger.post(reversal("X1", 20_000, "A1"))
    assert "reverse the disbursements first" in exc.value.message
    ledger.post(reversal("X2", 70_000, "D1"))  # un-spend first
    ledger.post(reversal("X3", 80_000, "A1"))
    assert ledger.available("fiscal") == 100_000 * YUAN


def test_reversing_an_allocated_receipt_refused(ledger):
    with pytest.raises(Refusal) as exc:
        ledger.post(reversal("X1", 30_000, "R1"))
    assert exc.value.available == 20_000 * YUAN
    ledger.post(reversal("X2", 20_000, "R1"))
    assert ledger.available("fiscal") == 0


def test_reversal_of_a_disbursement_restores_the_allocation(ledger):
    ledger.post(disbursement("D1", 30_000, "A1"))
    ledger.post(reversal("X1", 10_000, "D1"))
    assert ledger.allocation_available("A1") == 60_000 * YUAN


def test_a_reversal_names_a_recorded_non_reversal_entry(ledger):
    with pytest.raises(BadEntry) as exc:
        ledger.post(reversal("X1", 1, "NOPE"))
    assert exc.value.field == "reverses" and "not in the ledger" in exc.value.message
    ledger.post(reversal("X1", 1, "A1"))
    with pytest.raises(BadEntry) as exc:
        ledger.post(reversal("X2", 1, "X1"))
    assert "reversing a reversal" in exc.value.message
    with pytest.raises(BadEntry):
        ledger.post(reversal("X3", 1, "X3"))


def test_a_reversal_keeps_the_reversed_entrys_fields(ledger):
    with pytest.raises(BadEntry) as exc:
        ledger.post(reversal("X1", 1, "A1", channel="social"))
    assert exc.value.field == "channel"


def test_entries_dated_before_what_they_name_rejected(ledger):
    with pytest.raises(BadEntry) as exc:
        ledger.post(disbursement("D1", 1, "A1", date=dt.date(2016, 2, 1)))
    assert exc.value.field == "date"


def test_admit_skips_identical_and_rejects_reused_doc(ledger):
    assert ledger.admit(allocation("A1", 80_000)) is False
    with pytest.raises(BadEntry) as exc:
        ledger.admit(allocation("A1", 70_000))
    assert exc.value.field == "doc" and "金额(元) 80,000.00 ≠ 70,000.00" in exc.value.message


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["receipt", "allocation", "disbursement", "reversal"]),
            st.integers(1, 500),
            st.integers(0, 40),
        ),
        max_size=60,
    )
)
def test_no_sequence_of_entries_overdraws(steps):
    """Whatever is tried, every balance stays ≥ 0 and refused entries change nothing."""
    book = Ledger(FUND)
    for n, (kind, amount, pick) in enumerate(steps):
        docs = list(book.entries)
        target = docs[pick % len(docs)] if docs else "none"
        doc = f"E{n}"
        if kind == "receipt":
            entry = receipt(doc, amount)
        elif kind == "allocation":
            entry = allocation(doc, amount)
        elif kind == "disbursement":
            entry = disbursement(doc, amount, target)
        else:
            entry = reversal(doc, amount, target)
        before = (book.available("fiscal"), len(book.entries))
        try:
            book.post(entry)
        except (Refusal, BadEntry):
            assert (book.available("fiscal"), len(book.entries)) == before
        assert book.available("fiscal") >= 0
        for posted in book.entries.values():
            assert posted.open >= 0
            if posted.entry.kind == "allocation":
                assert posted.unspent >= 0


def _state(book: Ledger) -> tuple:
    return (
        dict(book.received),
        dict(book.allocated),
        dict(book.disbursed),
        {d: (asdict(p.entry), p.reversed, p.spent) for d, p in book.entries.items()},
    )


def _outcome(admit, entry: Entry) -> tuple:
    try:
        return ("ok", admit(entry), asdict(entry))
    except (BadEntry, Refusal) as exc:
        return (type(exc).__name__, exc.field, exc.message, exc.args)


def _start() -> Ledger:
    """Money in two channels; allocations to a village, a household, a project, and one whose
    purpose the policy bans since it was recorded (loaded, not checked)."""
    book = Ledger(FUND)
    book.load(
        [
            receipt("R1", 100_000),
            receipt("R2", 50_000, channel="integrated"),
            allocation("A1", 1_000),
            allocation("A2", 1_000, channel="integrated", village=2, household=7),
            allocation("A3", 1_000, village=None, project=5, purpose="教育"),
            allocation("A4", 1_000, purpose="人员工资"),
        ]
    )
    return book


# What a step may change in an otherwise plain entry: one field, to one of these values.
_TWISTS = {
    "none": [None],
    "amount": [-100 * YUAN, 0, 999 * YUAN, 10**9],
    "channel": [None, "", "fiscal", "integrated"],
    "village": [None, 1, 2],
    "project": [None, 5],
    "household": [None, 7],
    "purpose": [None, "", "产业发展", "教育", "人员工资"],
    "reverses": ["", "named", "R1"],
    "allocation": [None, "", "named", "R1"],
    "date": [D - dt.timedelta(days=1), D + dt.timedelta(days=1)],
    "doc": ["reuse", "copy"],
}


def _plain(book: Ledger, kind: str, doc: str, named: str, amount: int) -> Entry:
    entry = Entry(doc, D, kind, amount)
    if kind == "disbursement":
        entry.allocation = named
    elif kind == "reversal":
        entry.reverses = named
    elif kind == "allocation":
        entry.channel, entry.village, entry.purpose = "fiscal", 1, "产业发展"
    elif kind == "receipt":
        entry.channel = "integrated"
    return entry


def _twisted(book: Ledger, entry: Entry, named: str, twist: str, value) -> Entry:
    if twist == "doc":
        return replace(book.entries[named].entry) if value == "copy" else replace(entry, doc=named)
    if twist != "none":
        setattr(entry, twist, named if value == "named" else value)
    return entry


def test_admit_decides_as_the_steps_do_for_each_one_change():
    """Every plain disbursement and allocation, and each with one field changed, against each
    recorded allocation: the same outcome both ways."""
    for kind in ("disbursement", "allocation"):
        for named in ("A1", "A2", "A3", "A4", "R1"):
            for twist, values in _TWISTS.items():
                for value in values:
                    fast, slow = _start(), _start()
                    entry = _twisted(
                        slow, _plain(slow, kind, "E1", named, 10 * YUAN), named, twist, value
                    )
                    case = (kind, named, twist, value)
                    assert _outcome(fast.admit, replace(entry)) == _outcome(
                        slow.admit_in_steps, entry
                    ), case
                    assert _state(fast) == _state(slow), case


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                ["disbursement", "disbursement", "allocation", "receipt", "reversal", "agri_total"]
            ),
            st.integers(0, 40),  # which earlier 文号 the entry names
            st.sampled_from(sorted(_TWISTS)),
            st.integers(0, 4),  # which value of the twist
        ),
        max_size=40,
    )
)
def test_admit_decides_as_the_steps_do(steps):
    """``admit``'s one-step path for plain disbursements and allocations gives the outcome,
    message, completed entry and balances that complete → known → check → apply give: for
    plain entries and for entries with one field changed."""
    fast, slow = _start(), _start()
    for n, (kind, pick, twist, which) in enumerate(steps):
        docs = list(slow.entries)
        if kind in ("disbursement", "allocation"):
            docs = [d for d in docs if slow.entries[d].entry.kind == "allocation"] or docs
        named = docs[pick % len(docs)]
        values = _TWISTS[twist]
        entry = _plain(slow, kind, f"E{n}", named, (pick + 1) * YUAN)
        entry = _twisted(slow, entry, named, twist, values[which % len(values)])
        assert _outcome(fast.admit, replace(entry)) == _outcome(slow.admit_in_steps, entry)
        assert _state(fast) == _state(slow)


# -- balance tables ---------------------------------------------------------------------------


def test_balances_by_channel_village_purpose_with_reversals_netted():
    flows = [
        Flow("receipt", "fiscal", None, None, 100_000, in_period=False),
        Flow("receipt", "fiscal", None, None, 50_000),
        Flow("allocation", "fiscal", 1, "产业发展", 80_000),
        Flow("allocation", "fiscal", 2, "基础设施", 40_000),
        Flow("disbursement", "fiscal", 1, "产业发展", 30_000),
        Flow("reversal", "fiscal", 1, "产业发展", 10_000, target_kind="allocation"),
        Flow("reversal", "fiscal", 1, "产业发展", 5_000, target_kind="disbursement"),
        Flow("agri_total", "integrated", None, None, 999_999),
    ]
    rows, total = balances(flows, "channel")
    fiscal = rows[0]
    assert [r.key for r in rows] == ["fiscal", "integrated", "self_raised", "credit", "social"]
    assert (fiscal.received, fiscal.allocated, fiscal.disbursed) == (50_000, 110_000, 25_000)
    assert fiscal.available == 150_000 - 110_000
    assert total.available == fiscal.available
    rows, _ = balances(flows, "village")
    by = {r.key: r for r in rows}
    assert by[1].available == 70_000 - 25_000 and by[2].available == 40_000
    assert by[None].received == 50_000 and rows[-1].key is None
    rows, _ = balances(flows, "purpose")
    assert {r.key: r.allocated for r in rows} == {"产业发展": 70_000, "基础设施": 40_000, None: 0}
    with pytest.raises(ValueError):
        balances(flows, "township")


# -- the county rules -------------------------------------------------------------------------


def passing_facts(**changes) -> FundFacts:
    facts = FundFacts(
        year=2016,
        agricultural_population=835_000,
        received={"fiscal": 6 * 835_000 * YUAN, "integrated": 200_000 * YUAN},
        agri_total=1_000_000 * YUAN,
        poor_villages={1: "漳江镇/桃花村", 2: "陬市镇/金盆村"},
        industry={1: 80_000 * YUAN, 2: 90_000 * YUAN},
        self_raised={1: 1, 2: 3},
        risk_pool=5_000_000 * YUAN,
        loans_outstanding=50_000_000 * YUAN,
        channel_available={"fiscal": 0, "credit": 10},
        village_unspent={1: 0, 2: 5, 3: 7},
        village_labels={3: "漳江镇/枫树村"},
    )
    return replace(facts, **changes)


def results(facts):
    return {(r.rule, r.subject): r for r in check_rules(facts, FUND)}


def test_all_rules_pass_at_their_thresholds():
    out = check_rules(passing_facts(), FUND)
    assert all(r.ok for r in out), [r for r in out if not r.ok]
    rules = [r.rule for r in out]
    assert rules[:2] == ["fiscal_per_agri_person", "integrated_share"]
    assert rules.count("village_industry") == 2 and rules.count("self_raised_village") == 2
    assert rules.count("channel_not_overdrawn") == 5 and rules.count("village_not_overdrawn") == 3
    fiscal = out[0]
    assert (fiscal.value, fiscal.threshold, fiscal.op, fiscal.unit) == (
        6 * 835_000 * YUAN,
        6 * 835_000 * YUAN,
        ">=",
        "fen",
    )


@pytest.mark.parametrize(
    ("changes", "broken"),
    [
        ({"received": {"fiscal": 6 * 835_000 * YUAN - 1, "integrated": 200_000 * YUAN}},
         ("fiscal_per_agri_person", "county")),
        ({"received": {"fiscal": 6 * 835_000 * YUAN, "integrated": 200_000 * YUAN - 1}},
         ("integrated_share", "county")),
        ({"agri_total": 0}, ("integrated_share", "county")),
        ({"industry": {1: 80_000 * YUAN - 1, 2: 90_000 * YUAN}},
         ("village_industry", "漳江镇/桃花村")),
        ({"industry": {1: 80_000 * YUAN}}, ("village_industry", "陬市镇/金盆村")),
        ({"loans_outstanding": 50_000_000 * YUAN + 1}, ("loan_leverage", "county")),
        ({"self_raised": {1: 1}}, ("self_raised_village", "陬市镇/金盆村")),
        ({"channel_available": {"credit": -1}}, ("channel_not_overdrawn", "银行贷款")),
        ({"village_unspent": {3: -1}}, ("village_not_overdrawn", "漳江镇/枫树村")),
    ],
)  # fmt: skip
def test_each_rule_fails_alone(changes, broken):
    out = results(passing_facts(**changes))
    assert [key for key, r in out.items() if not r.ok] == [broken]


def test_integrated_without_declared_total_says_why():
    r = results(passing_facts(agri_total=0))[("integrated_share", "county")]
    assert not r.ok and "agri_total" in r.note


# -- micro-loans ------------------------------------------------------------------------------


def loan(**changes) -> LoanFacts:
    base = LoanFacts(
        amount=50_000 * YUAN,
        term_months=36,
        start_date=dt.date(2016, 5, 1),
        borrower_birth=dt.date(1951, 5, 1),  # 65 on the start date
        household_status="已识别",
        purpose="养殖",
    )
    return replace(base, **changes)


def test_loan_at_every_limit_is_fine():
    assert loan_violations(loan(), FUND.loan) == []
    assert loan_violations(loan(borrower_birth=dt.date(1998, 5, 1)), FUND.loan) == []  # 18
    for status in ("预脱贫", "返贫"):
        assert loan_violations(loan(household_status=status), FUND.loan) == []


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"amount": 50_000 * YUAN + 1}, "amount", "above the limit of 50,000.00 yuan"),
        ({"term_months": 37}, "term", "37 months is above the limit of 36"),
        ({"borrower_birth": dt.date(1950, 5, 1)}, "borrower", "is 66 at the start date"),
        ({"borrower_birth": dt.date(1998, 5, 2)}, "borrower", "is 17 at the start date"),
        ({"borrower_in_household": False}, "borrower", "not a registered member"),
        ({"household_status": "已脱贫"}, "household", "not a registered poor household"),
        ({"household_status": None}, "household", "not assessed"),
        ({"purpose": "建房"}, "purpose", "用途 '建房' names the banned word 建房"),
        ({"purpose": "旅游"}, "purpose", "用途 '旅游' names no production word"),
    ],
)
def test_each_loan_rule(changes, field, words):
    broken = loan_violations(loan(**changes), FUND.loan)
    assert len(broken) == 1 and broken[0][0] == field and words in broken[0][1]


@pytest.mark.parametrize(
    ("value", "bp"),
    [("4.35", 435), ("4.35%", 435), (4.35, 435), (0.0435, 435), ("４．３５％", 435), (0, 0)],
)
def test_rate_in_basis_points(value, bp):
    assert rate_bp(value) == bp


@pytest.mark.parametrize("value", ["abc", "4.355%", "120%", -1.0, True])
def test_bad_rates(value):
    with pytest.raises(ValueError):
        rate_bp(value)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0.5, "0.5 reads as 50% (a number below 1 is taken as a percent-formatted cell)"),
        ("30", "30% is above any loan's annual rate (24%)"),
        (24.01, "24.01% is above any loan's annual rate (24%)"),
    ],
)
def test_a_rate_above_any_loan_is_a_misreading(value, words):
    """0.5 typed into a plain cell (meaning 0.5%) would otherwise be stored as 50%."""
    with pytest.raises(ValueError, match=re.escape(words)):
        rate_bp(value)
    assert rate_bp(24) == rate_bp(0.24) == 2400

"""The fund ledger's rules (四个一点 + 社会帮扶): what may be posted, the balances, the county rules.

Pure: plain values in, decisions out; the shell reads the database and the spreadsheets.

The ledger is append-only. Money arrives in a channel (到位 receipt), is allocated from the channel
to a village, project or household for a purpose (拨付 allocation), and is spent from an allocation
(支出 disbursement). A mistake is corrected by a reversal (冲销): a positive amount that cancels,
in whole or in part, the entry whose 文号 it names. The year's declared total of
agriculture-related project money (涉农资金总额 agri_total) is recorded too, for the 20% rule.

Available balances (the refusal test):
- a channel: receipts − allocations, reversals netted;
- an allocation: allocated − disbursed, reversals netted.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from fupin_cli.core.codes import Channel, FundKind, Status, clean_text
from fupin_cli.core.faults import Invalid
from fupin_cli.core.idcard import age_on
from fupin_cli.core.money import format_fen
from fupin_cli.core.policy import FundPolicy, LoanPolicy
from fupin_cli.core.words import loan_purpose, purpose_refusal

RECEIPT = FundKind.RECEIPT.key
ALLOCATION = FundKind.ALLOCATION.key
DISBURSEMENT = FundKind.DISBURSEMENT.key
REVERSAL = FundKind.REVERSAL.key
AGRI_TOTAL = FundKind.AGRI_TOTAL.key

FISCAL = Channel.FISCAL.key
INTEGRATED = Channel.INTEGRATED.key
SELF_RAISED = Channel.SELF_RAISED.key
CREDIT = Channel.CREDIT.key

# The fields of an entry, as the CLI and the error file name them.
FIELD_LABELS = {
    "doc": "文号",
    "date": "日期",
    "channel": "渠道",
    "kind": "类型",
    "amount": "金额(元)",
    "target": "村",
    "village": "村",
    "project": "项目",
    "household": "户编号",
    "purpose": "用途",
    "reverses": "冲销文号",
    "allocation": "拨付文号",
}


# The entries a message names, in Chinese: "allocation X is not in the ledger" → 拨付 X …
_WHAT_ZH = {"entry": "所冲销的账", "allocation": "拨付"}
_WHY_ZH = {"allocation": "拨付", "the reversed entry": "所冲销的账"}


def yuan(fen: int) -> str:
    return f"{format_fen(fen)} yuan"


def channel_label(key: str) -> str:
    try:
        return Channel.parse(key).value
    except ValueError:
        return key


def kind_label(key: str) -> str:
    try:
        return FundKind.parse(key).value
    except ValueError:
        return key


class LedgerError(Invalid):
    """An entry the ledger does not take. ``field`` names the entry field at fault."""

    def __init__(self, field: str, message: str, *, zh: str) -> None:
        super().__init__(message, zh=zh)
        self.field = field
        self.message = message


class BadEntry(LedgerError):
    """An entry that is incomplete or names something that does not fit (a usage problem)."""


class Refusal(LedgerError):
    """An entry the county's rules refuse: overdraw, banned purpose, purpose change (exit 1)."""

    def __init__(
        self,
        field: str,
        message: str,
        *,
        zh: str,
        available: int | None = None,
        shortfall: int | None = None,
    ) -> None:
        super().__init__(field, message, zh=zh)
        self.available = available
        self.shortfall = shortfall


@dataclass(slots=True)
class Entry:
    """One ledger entry. ``village``/``project``/``household`` are the shell's ids (any hashable)."""

    doc: str
    date: dt.date
    kind: str  # FundKind key
    amount: int  # fen, > 0
    channel: str | None = None  # Channel key; inherited by reversals and disbursements
    village: Hashable | None = None
    project: Hashable | None = None
    household: Hashable | None = None
    purpose: str | None = None
    reverses: str | None = None  # 冲销文号
    allocation: str | None = None  # 拨付文号
    note: str = ""

    def content(self) -> tuple:
        """What makes two records of one 文号 the same (the note is a remark, not content)."""
        return (
            self.date,
            self.kind,
            self.amount,
            self.channel,
            self.village,
            self.project,
            self.household,
            self.purpose,
            self.reverses,
            self.allocation,
        )


@dataclass(slots=True)
class _Posted:
    entry: Entry
    reversed: int = 0  # amount cancelled by reversals so far
    spent: int = 0  # allocations only: disbursed, net of reversed disbursements

    @property
    def open(self) -> int:
        return self.entry.amount - self.reversed

    @property
    def unspent(self) -> int:
        return self.entry.amount - self.reversed - self.spent


class Ledger:
    """The ledger's running state, kept in memory while a file's rows are applied in order.

    ``load`` takes entries already recorded (trusted, not re-checked); ``post`` checks a new
    entry against the rules and, if it passes, applies it and returns it completed (a reversal or
    disbursement inherits channel, village, project, household and purpose from what it names).
    """

    def __init__(
        self, policy: FundPolicy, *, names: Callable[[str, Any], str] | None = None
    ) -> None:
        """``names(field, value)`` shows a village, project or household id as people know it
        (in messages); without it the id is shown."""
        self.names = names
        self.banned = frozenset(policy.banned_purposes)
        self.received: dict[str, int] = defaultdict(int)
        self.allocated: dict[str, int] = defaultdict(int)
        self.disbursed: dict[str, int] = defaultdict(int)
        self.entries: dict[str, _Posted] = {}

    # -- queries ------------------------------------------------------------------------------

    def available(self, channel: str) -> int:
        """Money in a channel not yet allocated: receipts − allocations."""
        return self.received[channel] - self.allocated[channel]

    def allocation_available(self, doc: str) -> int:
        """Money of an allocation not yet spent: allocated − disbursed."""
        return self.entries[doc].unspent

    def known(self, entry: Entry) -> bool | None:
        """None: a new 文号; True: recorded with this very content; False: with other content."""
        posted = self.entries.get(entry.doc)
        if posted is None:
            return None
        return posted.entry.content() == entry.content()

    def reused(self, entry: Entry, kind: type[LedgerError] = BadEntry) -> LedgerError:
        """The fault of an entry whose 文号 is recorded with other content."""
        return kind(
            "doc",
            f"文号 {entry.doc} is already recorded with other content "
            f"({self.difference(entry)}); a 文号 is used once — correct an entry with a "
            "冲销 (reversal) under a new 文号",
            zh=f"文号 {entry.doc} 已登记过不同的内容（{self.difference(entry, zh=True)}）；"
            "一个文号只用一次——更正请用新文号做一笔冲销",
        )

    def difference(self, entry: Entry, *, zh: bool = False) -> str:
        """Which fields differ between ``entry`` and the recorded entry of the same 文号."""
        old = self.entries[entry.doc].entry
        names = (
            "date",
            "kind",
            "amount",
            "channel",
            "village",
            "project",
            "household",
            "purpose",
            "reverses",
            "allocation",
        )
        out = []
        for name, a, b in zip(names, old.content(), entry.content(), strict=True):
            if a != b:
                shown = self._name(name, a, zh), self._name(name, b, zh)
                out.append(f"{FIELD_LABELS[name]} {shown[0]} ≠ {shown[1]}")
        return ("，" if zh else ", ").join(out)

    def _name(self, field: str, value: Any, zh: bool = False) -> str:
        if value is None or value == "":
            return "（空白）" if zh else "(blank)"
        if field == "amount":
            return format_fen(value)
        if field == "channel":
            return channel_label(value)
        if field == "kind":
            return kind_label(value)
        if self.names is not None and field in ("village", "project", "household"):
            return self.names(field, value)
        return str(value)

    # -- writing ------------------------------------------------------------------------------

    def load(self, entries: Iterable[Entry]) -> None:
        """Entries already in the ledger (in the order they were recorded), without checks."""
        for entry in entries:
            self.apply(entry)

    def post(self, entry: Entry) -> Entry:
        """Check ``entry``; apply it and return it completed, or raise BadEntry/Refusal."""
        entry = self.complete(entry)
        self.check(entry)
        self.apply(entry)
        return entry

    def admit(self, entry: Entry) -> bool:
        """What an import does with each row: complete the entry (in place); False when its
        文号 is already recorded with this very content (skip it); raise BadEntry when the 文号
        is recorded with other content (a 文号 is used once), BadEntry/Refusal when it breaks a
        rule; else apply it and return True.

        Most rows of a county file are a new disbursement from a recorded allocation to a
        village, or a new allocation within its channel's balance. Those are taken here in one
        step (no message can arise); every other entry, and any such entry that something is
        wrong with, goes through ``admit_in_steps``, which decides the same way
        (tests/core/test_ledger.py holds the two paths to the same outcome)."""
        kind = entry.kind
        amount = entry.amount
        if kind == DISBURSEMENT:
            posted = self.entries.get(entry.allocation) if entry.allocation else None
            if posted is not None:
                base = posted.entry
                channel = entry.channel
                village = entry.village
                purpose = entry.purpose or base.purpose
                if (
                    base.kind == ALLOCATION
                    and base.project is None
                    and base.household is None
                    and 0 < amount <= base.amount - posted.reversed - posted.spent
                    and not entry.reverses
                    and entry.date >= base.date
                    and (channel is None or channel == base.channel)
                    and (village is None or base.village is None or village == base.village)
                    and (not entry.purpose or entry.purpose == base.purpose)
                    and not (purpose and purpose in self.banned)
                    and entry.doc not in self.entries
                ):
                    if channel is None:
                        entry.channel = channel = base.channel
                    if village is None:
                        entry.village = base.village
                    entry.purpose = purpose
                    self.disbursed[channel or ""] += amount
                    posted.spent += amount
                    self.entries[entry.doc] = _Posted(entry)
                    return True
        elif kind == ALLOCATION:
            channel = entry.channel
            purpose = entry.purpose
            if (
                amount > 0
                and channel is not None
                and purpose
                and not entry.reverses
                and not entry.allocation
                and (
                    entry.village is not None
                    or entry.project is not None
                    or entry.household is not None
                )
                and purpose not in self.banned
                and entry.doc not in self.entries
                and amount <= self.received[channel] - self.allocated[channel]
            ):
                self.allocated[channel] += amount
                self.entries[entry.doc] = _Posted(entry)
                return True
        return self.admit_in_steps(entry)

    def admit_in_steps(self, entry: Entry) -> bool:
        """``admit`` for any entry, through ``complete``, ``known``, ``check`` and ``apply``."""
        self.complete(entry)
        posted = self.entries.get(entry.doc)
        if posted is not None:
            if posted.entry.content() == entry.content():
                return False
            raise self.reused(entry)
        self.check(entry)
        self.apply(entry)
        return True

    def complete(self, entry: Entry) -> Entry:
        """Fill what a reversal or disbursement inherits; raise BadEntry when it does not fit."""
        if entry.amount <= 0:
            raise BadEntry(
                "amount",
                "the amount must be above 0 (a correction is a 冲销 entry)",
                zh="金额必须大于0（更正请做冲销）",
            )
        kind = entry.kind
        if kind == REVERSAL:
            return self._complete_reversal(entry)
        if entry.reverses:
            raise BadEntry(
                "reverses",
                f"only a 冲销 entry names a 冲销文号, not a {kind_label(kind)}",
                zh=f"只有冲销才填冲销文号，{kind_label(kind)}不填",
            )
        if kind == DISBURSEMENT:
            return self._complete_disbursement(entry)
        if entry.allocation:
            raise BadEntry(
                "allocation",
                f"only a 支出 entry names a 拨付文号, not a {kind_label(kind)}",
                zh=f"只有支出才填拨付文号，{kind_label(kind)}不填",
            )
        if kind == AGRI_TOTAL:
            if entry.channel is None:
                entry.channel = INTEGRATED
            return entry
        if entry.channel is None:
            raise BadEntry(
                "channel",
                f"a {kind_label(kind)} entry needs a 渠道 (channel)",
                zh=f"{kind_label(kind)}须填渠道",
            )
        if kind == ALLOCATION:
            if not entry.purpose:
                raise BadEntry(
                    "purpose", "a 拨付 (allocation) needs a 用途 (purpose)", zh="拨付须填用途"
                )
            if entry.village is None and entry.project is None and entry.household is None:
                raise BadEntry(
                    "target",
                    "a 拨付 (allocation) goes to a village, a project or a household",
                    zh="拨付须拨到村、项目或户（填村、项目或户编号）",
                )
        elif kind != RECEIPT:
            raise BadEntry("kind", f"unknown kind '{kind}'", zh=f"未知的类型 '{kind}'")
        return entry

    def _target(self, entry: Entry, doc: str, what: str) -> _Posted:
        posted = self.entries.get(doc)
        if posted is None:
            field_name = "reverses" if entry.kind == REVERSAL else "allocation"
            raise BadEntry(
                field_name,
                f"{what} {doc} is not in the ledger; record it first",
                zh=f"{_WHAT_ZH[what]} {doc} 不在台账中；请先登记它",
            )
        if entry.date < posted.entry.date:
            raise BadEntry(
                "date",
                f"dated {entry.date}, before {what} {doc} ({posted.entry.date})",
                zh=f"日期 {entry.date} 早于{_WHAT_ZH[what]} {doc} 的日期（{posted.entry.date}）",
            )
        return posted

    def _inherit(self, entry: Entry, base: Entry, names: tuple[str, ...], why: str) -> None:
        for name in names:
            mine, theirs = getattr(entry, name), getattr(base, name)
            if mine is None or mine == "":
                setattr(entry, name, theirs)
            elif theirs is not None and mine != theirs:
                self._mismatch(entry, base, name, why)

    def _mismatch(self, entry: Entry, base: Entry, name: str, why: str) -> None:
        """Refuse ``entry`` whose field ``name`` differs from the entry it reverses or spends
        (a village, project or household by its name, as people know it)."""
        mine, theirs = getattr(entry, name), getattr(base, name)
        shown, mine_shown = self._name(name, theirs), self._name(name, mine)
        if name == "purpose":
            raise Refusal(
                "purpose",
                f"用途 {mine_shown} differs from {why} {base.doc} ({shown}): purpose is "
                f"unchanged; to move money to another purpose, reverse (冲销) the "
                f"allocation and allocate again",
                zh=f"用途 {mine_shown} 与{_WHY_ZH[why]} {base.doc} 的用途（{shown}）不同：用途不得"
                "改变；要改作他用，请冲销这笔拨付后重新拨付",
            )
        raise BadEntry(
            name,
            f"{FIELD_LABELS[name]} {mine_shown} differs from {why} {base.doc} ({shown})",
            zh=f"{FIELD_LABELS[name]} {self._name(name, mine, True)} 与{_WHY_ZH[why]} {base.doc} 的"
            f"{FIELD_LABELS[name]}（{self._name(name, theirs, True)}）不同",
        )

    def _complete_reversal(self, entry: Entry) -> Entry:
        if entry.allocation:
            raise BadEntry(
                "allocation",
                "a 冲销 entry names the 冲销文号 only, not a 拨付文号",
                zh="冲销只填冲销文号，不填拨付文号",
            )
        if not entry.reverses:
            raise BadEntry(
                "reverses",
                "a 冲销 (reversal) names the 文号 it cancels in 冲销文号",
                zh="冲销须在冲销文号中填所冲销的文号",
            )
        if entry.reverses == entry.doc:
            raise BadEntry("reverses", "an entry cannot reverse itself", zh="一笔账不能冲销它自己")
        target = self._target(entry, entry.reverses, "entry")
        if target.entry.kind == REVERSAL:
            raise BadEntry(
                "reverses",
                f"{entry.reverses} is itself a 冲销; record a new entry instead of reversing a reversal",
                zh=f"{entry.reverses} 本身是冲销；请登记一笔新账，不要冲销冲销",
            )
        self._inherit(
            entry,
            target.entry,
            ("channel", "village", "project", "household", "purpose"),
            "the reversed entry",
        )
        return entry

    def _complete_disbursement(self, entry: Entry) -> Entry:
        if not entry.allocation:
            raise BadEntry(
                "allocation",
                "a 支出 (disbursement) names its allocation in 拨付文号",
                zh="支出须在拨付文号中填所属的拨付",
            )
        target = self._target(entry, entry.allocation, "allocation")
        if target.entry.kind != ALLOCATION:
            raise BadEntry(
                "allocation",
                f"{entry.allocation} is a {kind_label(target.entry.kind)}, not a 拨付 (allocation)",
                zh=f"{entry.allocation} 是{kind_label(target.entry.kind)}，不是拨付",
            )
        base = target.entry
        # A disbursement may name the project or household an allocation to a village paid;
        # it may not move the money to another village, project, household or purpose.
        # (Written out field by field: this runs for most rows of a county file.)
        if entry.channel is None:
            entry.channel = base.channel
        elif entry.channel != base.channel:
            self._mismatch(entry, base, "channel", "allocation")
        if entry.village is None:
            entry.village = base.village
        elif base.village is not None and entry.village != base.village:
            self._mismatch(entry, base, "village", "allocation")
        if not entry.purpose:
            entry.purpose = base.purpose
        elif entry.purpose != base.purpose:
            self._mismatch(entry, base, "purpose", "allocation")
        if base.project is not None:
            self._inherit(entry, base, ("project",), "allocation")
        if base.household is not None:
            self._inherit(entry, base, ("household",), "allocation")
        return entry

    def check(self, entry: Entry) -> None:
        """The county's rules for a completed entry; raises Refusal."""
        kind, amount = entry.kind, entry.amount
        if entry.purpose and kind != REVERSAL and entry.purpose in self.banned:
            raise Refusal(
                "purpose",
                f"用途 {entry.purpose} is a banned purpose (policy fund.banned_purposes); "
                "poverty money may not pay for it",
                zh=f"用途 {entry.purpose} 是禁止的用途（政策 fund.banned_purposes），扶贫资金不得用于此",
            )
        if kind == ALLOCATION:
            channel = entry.channel or ""
            available = self.received[channel] - self.allocated[channel]
            if amount > available:
                self._refuse(
                    entry,
                    available,
                    f"the available balance of {channel_label(channel)}",
                    "record the receipt first or allocate less",
                    zh=(f"{channel_label(channel)}的可用余额", "请先登记到账，或少拨一些"),
                )
        elif kind == DISBURSEMENT:
            alloc = self.entries[entry.allocation or ""]
            available = alloc.entry.amount - alloc.reversed - alloc.spent
            if amount > available:
                self._refuse(
                    entry,
                    available,
                    f"the unspent balance of allocation {entry.allocation}",
                    "spend less or allocate more first",
                    zh=(f"拨付 {entry.allocation} 的未支出余额", "请少支出，或先追加拨付"),
                )
        elif kind == REVERSAL:
            target = self.entries[entry.reverses or ""]
            if amount > target.open:
                self._refuse(
                    entry,
                    target.open,
                    f"what is left of {entry.reverses} to reverse",
                    "reverse at most what is left",
                    zh=(f"{entry.reverses} 尚可冲销的金额", "冲销金额不能超过剩余部分"),
                )
            tkind = target.entry.kind
            if tkind == RECEIPT:
                channel = target.entry.channel or ""
                available = self.available(channel)
                if amount > available:
                    self._refuse(
                        entry,
                        available,
                        f"the available balance of {channel_label(channel)} (the rest is "
                        "allocated)",
                        "reverse the allocations first",
                        zh=(f"{channel_label(channel)}的可用余额（其余已拨付）", "请先冲销拨付"),
                    )
            elif tkind == ALLOCATION and amount > target.unspent:
                self._refuse(
                    entry,
                    target.unspent,
                    f"the unspent balance of allocation {entry.reverses} (the rest is disbursed)",
                    "reverse the disbursements first",
                    zh=(f"拨付 {entry.reverses} 的未支出余额（其余已支出）", "请先冲销支出"),
                )

    @staticmethod
    def _refuse(entry: Entry, available: int, what: str, hint: str, *, zh: tuple[str, str]) -> None:
        shortfall = entry.amount - available
        what_zh, hint_zh = zh
        raise Refusal(
            "amount",
            f"{kind_label(entry.kind)} {entry.doc} of {yuan(entry.amount)} exceeds {what}: "
            f"available {yuan(available)}, short by {yuan(shortfall)}; {hint}",
            zh=f"{kind_label(entry.kind)} {entry.doc} 金额 {format_fen(entry.amount)} 元超过"
            f"{what_zh}：可用 {format_fen(available)} 元，差 {format_fen(shortfall)} 元；{hint_zh}",
            available=available,
            shortfall=shortfall,
        )

    def apply(self, entry: Entry) -> None:
        """Apply a completed, checked entry to the balances (``post`` does all three)."""
        kind, amount = entry.kind, entry.amount
        channel = entry.channel or ""
        if kind == REVERSAL:
            target = self.entries[entry.reverses or ""]
            target.reversed += amount
            tkind = target.entry.kind
            if tkind == RECEIPT:
                self.received[channel] -= amount
            elif tkind == ALLOCATION:
                self.allocated[channel] -= amount
            elif tkind == DISBURSEMENT:
                self.disbursed[channel] -= amount
                self.entries[target.entry.allocation or ""].spent -= amount
        elif kind == RECEIPT:
            self.received[channel] += amount
        elif kind == ALLOCATION:
            self.allocated[channel] += amount
        elif kind == DISBURSEMENT:
            self.disbursed[channel] += amount
            self.entries[entry.allocation or ""].spent += amount
        self.entries[entry.doc] = _Posted(entry)


# -- balances ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Flow:
    """Ledger entries summed by what a balance needs (the shell's GROUP BY).

    ``target_kind`` is, for a reversal, the kind of the entry it cancels. ``in_period`` says the
    entries are dated inside the reporting period (the others are before it)."""

    kind: str
    channel: str
    village: Hashable | None
    purpose: str | None
    amount: int
    in_period: bool = True
    target_kind: str | None = None
    count: int = 1

    @property
    def effect(self) -> tuple[str, int]:
        """(the kind it counts as, signed amount): a reversal subtracts from its target's kind."""
        if self.kind == REVERSAL:
            return self.target_kind or RECEIPT, -self.amount
        return self.kind, self.amount


BY = ("channel", "village", "purpose")


@dataclass(slots=True)
class BalanceRow:
    """One line of ``fund balance``: flows in the period, and the available balance at its end.

    ``available`` is, by channel, receipts − allocations (what can still be allocated); by
    village or purpose, allocations − disbursements (what can still be spent there)."""

    key: Hashable | None
    received: int = 0
    allocated: int = 0
    disbursed: int = 0
    available: int = 0

    def add(self, other: BalanceRow) -> None:
        self.received += other.received
        self.allocated += other.allocated
        self.disbursed += other.disbursed
        self.available += other.available


def balances(flows: Iterable[Flow], by: str = "channel") -> tuple[list[BalanceRow], BalanceRow]:
    """Rows grouped ``by`` channel, village or purpose (sorted by key, None last) and the total."""
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}")
    rows: dict[Any, BalanceRow] = {}
    for flow in flows:
        key = getattr(flow, by)
        row = rows.get(key)
        if row is None:
            row = rows[key] = BalanceRow(key)
        kind, amount = flow.effect
        if flow.in_period:
            if kind == RECEIPT:
                row.received += amount
            elif kind == ALLOCATION:
                row.allocated += amount
            elif kind == DISBURSEMENT:
                row.disbursed += amount
        if by == "channel":
            if kind == RECEIPT:
                row.available += amount
            elif kind == ALLOCATION:
                row.available -= amount
        elif kind == ALLOCATION:
            row.available += amount
        elif kind == DISBURSEMENT:
            row.available -= amount
    if by == "channel":
        for channel in Channel:
            rows.setdefault(channel.key, BalanceRow(channel.key))
        order = {c.key: i for i, c in enumerate(Channel)}
        out = sorted(rows.values(), key=lambda r: order.get(r.key, len(order)))
    else:
        out = sorted(rows.values(), key=lambda r: (r.key is None, str(r.key)))
    total = BalanceRow("total")
    for row in out:
        total.add(row)
    return out, total


# -- the county's money rules (四个一点) ----------------------------------------------------------


@dataclass(frozen=True)
class FundFacts:
    """What the rules look at, for one year. Money in fen; villages by the shell's ids.

    ``received``: net receipts by channel in the year; ``agri_total``: the year's declared
    涉农资金总额; ``industry``: net allocations with the industry purpose in the year by village;
    ``self_raised``: by village, self-raised entries in the year not reversed in full;
    ``risk_pool``: net credit receipts with the risk-pool purpose up to the year's end;
    ``loans_outstanding``: loans started by the year's end and not repaid by then (one 已还
    with a later 还款日期 still counts); ``channel_available`` and ``village_unspent``: balances
    at the year's end (receipts − allocations; allocations − disbursements)."""

    year: int
    agricultural_population: int
    received: Mapping[str, int]
    agri_total: int
    poor_villages: Mapping[Hashable, str]  # id -> label, every poor village
    industry: Mapping[Hashable, int]
    self_raised: Mapping[Hashable, int]
    risk_pool: int
    loans_outstanding: int
    channel_available: Mapping[str, int]
    village_unspent: Mapping[Hashable, int]
    village_labels: Mapping[Hashable, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: str  # stable key
    title: str  # Chinese name for tables
    subject: str  # county, a channel, or a village label
    value: int
    threshold: int
    op: str  # ">=", "<=" or ">"
    unit: str  # "fen" or "count"
    ok: bool
    note: str = ""


RULE_TITLES = {
    "fiscal_per_agri_person": "财政投入 ≥ 人均标准 × 农业人口",
    "integrated_share": "项目整合 ≥ 涉农资金 × 比例",
    "village_industry": "贫困村产业资金",
    "loan_leverage": "贷款余额 ≤ 风险补偿金 × 倍数",
    "self_raised_village": "贫困村一事一议",
    "channel_not_overdrawn": "渠道不透支",
    "village_not_overdrawn": "村不透支",
}


def _rule(rule: str, subject: str, value: int, threshold: int, op: str, unit: str = "fen", note=""):
    ok = {">=": value >= threshold, "<=": value <= threshold, ">": value > threshold}[op]
    return RuleResult(rule, RULE_TITLES[rule], subject, value, threshold, op, unit, ok, note)


def check_rules(facts: FundFacts, policy: FundPolicy) -> list[RuleResult]:
    """Every rule with its figure and threshold, in a fixed order."""
    out: list[RuleResult] = []
    county = "county"
    out.append(
        _rule(
            "fiscal_per_agri_person",
            county,
            facts.received.get(FISCAL, 0),
            policy.fiscal_fen_per_agri_person * facts.agricultural_population,
            ">=",
            note=f"{facts.agricultural_population} agricultural population",
        )
    )
    share = math.ceil(Decimal(str(policy.integrated_share)) * facts.agri_total)
    integrated = _rule("integrated_share", county, facts.received.get(INTEGRATED, 0), share, ">=")
    if facts.agri_total <= 0:
        integrated = replace(
            integrated, ok=False, note=f"no 涉农资金总额 (agri_total) declared for {facts.year}"
        )
    out.append(integrated)
    villages = sorted(facts.poor_villages.items(), key=lambda kv: kv[1])
    for vid, label in villages:
        out.append(
            _rule(
                "village_industry",
                label,
                facts.industry.get(vid, 0),
                policy.village_industry_min_fen,
                ">=",
                note=f"用途 {policy.industry_purpose}",
            )
        )
    leverage = math.floor(Decimal(str(policy.loan_leverage)) * facts.risk_pool)
    out.append(_rule("loan_leverage", county, facts.loans_outstanding, leverage, "<="))
    for vid, label in villages:
        out.append(
            _rule("self_raised_village", label, facts.self_raised.get(vid, 0), 1, ">=", "count")
        )
    for channel in Channel:
        out.append(
            _rule(
                "channel_not_overdrawn",
                channel.value,
                facts.channel_available.get(channel.key, 0),
                0,
                ">=",
            )
        )
    labels = {**facts.village_labels, **facts.poor_villages}
    for vid, unspent in sorted(
        facts.village_unspent.items(), key=lambda kv: str(labels.get(kv[0], kv[0]))
    ):
        out.append(_rule("village_not_overdrawn", str(labels.get(vid, vid)), unspent, 0, ">="))
    return out


# -- micro-loans (扶贫小额信贷) ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoanFacts:
    amount: int  # fen
    term_months: int
    start_date: dt.date
    borrower_birth: dt.date
    household_status: str | None  # codes.Status label
    purpose: str
    borrower_in_household: bool = True


def loan_violations(loan: LoanFacts, policy: LoanPolicy) -> list[tuple[str, str, str]]:
    """Every loan rule the loan breaks (国开办发〔2014〕78号) as (field, sentence, its Chinese);
    empty when fine.

    Fields: amount, term, borrower, household, purpose."""
    out = []
    if loan.amount <= 0:
        out.append(("amount", "the amount must be above 0", "金额必须大于0"))
    elif loan.amount > policy.max_fen:
        out.append(
            (
                "amount",
                f"amount {yuan(loan.amount)} is above the limit of {yuan(policy.max_fen)}",
                f"金额 {format_fen(loan.amount)} 元超过上限 {format_fen(policy.max_fen)} 元",
            )
        )
    if loan.term_months <= 0:
        out.append(("term", "the term must be at least 1 month", "期限至少1个月"))
    elif loan.term_months > policy.max_months:
        out.append(
            (
                "term",
                f"term {loan.term_months} months is above the limit of {policy.max_months}",
                f"期限 {loan.term_months} 个月超过上限 {policy.max_months} 个月",
            )
        )
    low, high = policy.borrower_age
    age = age_on(loan.borrower_birth, loan.start_date)
    if not low <= age <= high:
        out.append(
            (
                "borrower",
                f"the borrower is {age} at the start date, outside the ages {low}–{high}",
                f"借款人发放日时 {age} 岁，不在 {low}–{high} 岁之间",
            )
        )
    if not loan.borrower_in_household:
        out.append(
            (
                "borrower",
                "the borrower is not a registered member of the household",
                "借款人不是该户登记的成员",
            )
        )
    status = None
    if loan.household_status:
        try:
            status = Status.parse(loan.household_status)
        except ValueError:
            status = None
    if status is None or not status.registered:
        shown = loan.household_status or "not assessed"
        out.append(
            (
                "household",
                f"the household is not a registered poor household (status {shown}; "
                "needs 已识别, 预脱贫 or 返贫)",
                f"该户不是在册贫困户（状态 {loan.household_status or '未识别'}；须为 已识别、预脱贫 "
                "或 返贫）",
            )
        )
    words, banned = policy.production_words, policy.banned_words
    purpose = loan_purpose(loan.purpose, words, banned)
    if not purpose.ok:
        out.append(("purpose", *purpose_refusal(purpose, words, banned)))
    return out


MAX_RATE_PERCENT = 24  # the highest annual rate Chinese courts uphold: above it, a misreading


def rate_bp(value: Any) -> int:
    """An annual interest rate → basis points: "4.35", "4.35%", 4.35 → 435. Text is always in
    percent; a number below 1 is a percentage-formatted Excel cell (0.0435 → 435). A rate
    above MAX_RATE_PERCENT is refused: 0.5 typed into a plain cell reads as 50%."""
    if isinstance(value, bool):
        raise Invalid(f"'{value}' is not an interest rate", zh=f"'{value}' 不是利率")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise Invalid(f"'{value}' is not an interest rate", zh=f"'{value}' 不是利率")
        number = Decimal(f"{value:.15g}") if isinstance(value, float) else Decimal(value)
        if 0 < number < 1:  # a percentage-formatted cell holds the fraction
            number *= 100
            if number > MAX_RATE_PERCENT:
                raise Invalid(
                    f"{value} reads as {number.normalize():f}% (a number below 1 is taken as a "
                    f"percent-formatted cell), above any loan's {MAX_RATE_PERCENT}%; write the "
                    f"rate with a % sign, like {value}% or 4.35%",
                    zh=f"{value} 读作 {number.normalize():f}%（小于1的数按百分比格式的单元格读），"
                    f"高于任何贷款的 {MAX_RATE_PERCENT}%；请带 % 号填写利率，如 {value}% 或 4.35%",
                )
    else:
        text = clean_text(value)
        if text.endswith("%"):
            text = text[:-1]
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise Invalid(
                f"'{value}' is not an interest rate; write it like 4.35%",
                zh=f"'{value}' 不是利率；请写成 4.35% 这样",
            ) from None
    if not number.is_finite() or not 0 <= number <= 100:
        raise Invalid(
            f"'{value}' is not an interest rate between 0% and 100%",
            zh=f"'{value}' 不是 0% 至 100% 之间的利率",
        )
    if number > MAX_RATE_PERCENT:
        raise Invalid(
            f"{number.normalize():f}% is above any loan's annual rate ({MAX_RATE_PERCENT}%); "
            "write it like 4.35%",
            zh=f"{number.normalize():f}% 高于任何贷款的年利率（{MAX_RATE_PERCENT}%）；请写成 4.35% 这样",
        )
    bp = number * 100
    if bp != bp.to_integral_value():
        raise Invalid(
            f"'{value}': a rate goes to 2 decimal places of a percent (4.35%)",
            zh=f"'{value}'：利率最多保留百分数的两位小数（如 4.35%）",
        )
    return int(bp)

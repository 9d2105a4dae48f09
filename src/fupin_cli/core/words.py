"""The clerks' own words: everyday names for the register's names, and a loan's 用途 as written.

A clerk writes 产业扶持 for 产业帮扶 and 油茶种植 for a production use. Two pure decisions read them,
each taking its lists from the policy file:

- ``Vocabulary.parse`` turns a name — the label, the English key, a built-in alias or one of the
  policy's ``[synonyms]`` — into the canonical label the register stores; an unknown name fails
  suggesting the nearest known one (difflib over every name and synonym).
- ``loan_purpose`` decides whether a free-text 用途 is a production use: it holds a production
  word and no banned word (a banned word wins: 买化肥建房 is refused).

Matching is on ``clean_text`` (full-width folded, white space dropped), case-insensitive.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from fupin_cli.core.codes import Category, Coded, CodeError, Measure, clean_text
from fupin_cli.core.faults import Invalid


def fold(text: object) -> str:
    """The form names and words are matched in."""
    return clean_text(text).lower()


def member_names(members: Iterable[Coded]) -> dict[str, str]:
    """Every built-in name of ``members`` (label, key, aliases; never the bare number) → label."""
    return {
        fold(name): member.value
        for member in members
        for name in (member.value, member.key, *member.aliases)
    }


# 措施 names a category or a measure. Names only: Category and Measure share the numbers 1–4, so
# a bare number could be either.
PLAN_MEMBERS: tuple[Coded, ...] = (*Category, *Measure)
PLAN_NAMES: dict[str, str] = member_names(PLAN_MEMBERS)


def nearest(value: str, names: Mapping[str, str]) -> str | None:
    """The label whose name (or synonym) is closest to ``value``; None when nothing is close."""
    close = difflib.get_close_matches(fold(value), list(names), n=1, cutoff=0.5)
    return names[close[0]] if close else None


@dataclass(frozen=True)
class Vocabulary:
    """The names of one kind of thing (措施): built-in names plus the policy's synonyms."""

    title: str  # the Chinese name of the column, for messages
    labels: tuple[str, ...]  # the canonical labels, in their listed order
    names: Mapping[str, str]  # folded name → label

    @classmethod
    def build(cls, title: str, members: Sequence[Coded], synonyms: Mapping[str, str]) -> Vocabulary:
        builtin = member_names(members)
        names = dict(builtin)
        for synonym, label in synonyms.items():  # a later synonym (the county's) wins …
            if fold(synonym) not in builtin:  # … but a built-in name is never redefined
                names[fold(synonym)] = label
        return cls(title, tuple(m.value for m in members), names)

    def parse(self, value: object) -> str:
        """The canonical label ``value`` names; CodeError suggesting the nearest one if none."""
        found = self.names.get(fold(value))
        if found is not None:
            return found
        guess = nearest(str(value), self.names)
        zh = f"'{value}' 不是已知的{self.title}" + (f"，是否应为 {guess}？" if guess else "")
        hint = f"; did you mean {guess}?" if guess else ";"
        en = f"'{value}' is not a known {self.title}{hint}"
        raise CodeError(
            f"{en} known: {'、'.join(self.labels)} (a county adds its own names under "
            "[synonyms] in its --policy file)",
            zh=f"{zh}；可填：{'、'.join(self.labels)}（县里可在政策文件中加自己的叫法）",
        )


def synonym_label(synonym: str, target: str, names: Mapping[str, str]) -> str:
    """The canonical label a policy synonym points to (``names``: the built-in names).

    Raises Invalid (a ValueError) when the target is no known name, or when the synonym is itself a
    built-in name of something else (it would change what that name means)."""
    if not fold(synonym):
        raise Invalid("a synonym must be some text", zh="同义词不能为空")
    label = names.get(fold(target))
    if label is None:
        guess = nearest(target, names)
        hint = f" (did you mean {guess}?)" if guess else ""
        known = "、".join(dict.fromkeys(names.values()))
        raise Invalid(
            f"'{target}' is not a known name{hint}; known: {known}",
            zh=f"'{target}' 不是已知的名称"
            + (f"，是否应为 {guess}？" if guess else "")
            + f"；可填：{known}",
        )
    builtin = names.get(fold(synonym))
    if builtin is not None and builtin != label:
        raise Invalid(
            f"'{synonym}' already names {builtin}; a synonym cannot make it {label}",
            zh=f"'{synonym}' 已是 {builtin} 的名称，不能再作 {label} 的同义词",
        )
    return label


# -- a loan's 用途 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Purpose:
    """What ``loan_purpose`` found in one 用途."""

    text: str
    production: tuple[str, ...]  # the production words it holds
    banned: tuple[str, ...]  # the banned words it holds

    @property
    def ok(self) -> bool:
        return bool(self.production) and not self.banned


def loan_purpose(
    text: str, production_words: Iterable[str], banned_words: Iterable[str]
) -> Purpose:
    """A free-text 用途 read against the policy's word lists (each word found as a substring)."""
    folded = fold(text)
    return Purpose(
        text=text,
        production=tuple(w for w, f in _folded(tuple(production_words)) if f in folded),
        banned=tuple(w for w, f in _folded(tuple(banned_words)) if f in folded),
    )


@lru_cache(maxsize=16)
def _folded(words: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each word with its matching form, once per list (a county's loans file reads it per row)."""
    return tuple((w, fold(w)) for w in words if fold(w))


def purpose_refusal(
    purpose: Purpose, production_words: Sequence[str], banned_words: Sequence[str]
) -> tuple[str, str]:
    """Why a 用途 that is not ``ok`` is refused, naming both lists: (English, Chinese)."""
    listed = "、".join(production_words), "、".join(banned_words)
    if purpose.banned:
        found = "、".join(purpose.banned)
        why_zh = f"用途「{purpose.text}」含禁用词 {found}"
        why_en = f"用途 '{purpose.text}' names the banned word {found}"
    else:
        why_zh = f"用途「{purpose.text}」不含生产性用途词"
        why_en = f"用途 '{purpose.text}' names no production word"
    return (
        f"{why_en}: a micro-loan is for production — name one of {listed[0]} and none of "
        f"{listed[1]} (policy fund.loan.production_words, banned_words)",
        f"{why_zh}：扶贫小额信贷须用于生产，用途写明 {listed[0]} 之一，且不含 {listed[1]}",
    )

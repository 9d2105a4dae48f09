"""The clerks' own words: 措施 synonyms to canonical names, a loan's free-text 用途 (core/words.py)."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin_cli.core.codes import Category, CodeError, Measure
from fupin_cli.core.words import (
    PLAN_MEMBERS,
    PLAN_NAMES,
    Vocabulary,
    loan_purpose,
    purpose_refusal,
    synonym_label,
)
from fupin_cli.policyfile import load_policy

POLICY = load_policy()
WORDS = POLICY.fund.loan.production_words
BANNED = POLICY.fund.loan.banned_words
NAMES = Vocabulary.build("措施", PLAN_MEMBERS, POLICY.synonyms)
LABELS = [m.value for m in (*Category, *Measure)]


# -- 措施 names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "label"),
    [
        ("产业扶持", "产业帮扶"),
        ("产业发展", "产业帮扶"),
        ("医疗救助", "大病救助"),
        ("健康扶贫", "大病救助"),
        ("低保兜底", "政策兜底"),
        ("兜底保障", "政策兜底"),
        ("易地扶贫搬迁", "易地搬迁"),
        ("扶贫小额信贷", "小额信贷"),
        ("教育扶贫", "教育资助"),
        ("助学", "教育资助"),
        ("劳务输出", "转移就业"),
        (" 产业 扶持 ", "产业帮扶"),  # spaces as typed
        ("异地搬迁", "易地搬迁"),  # a built-in alias
        ("Skills_Training", "技能培训"),  # the English key, any case
    ],
)
def test_everyday_names_give_the_canonical_label(written, label):
    assert NAMES.parse(written) == label


def test_every_label_names_itself():
    assert [NAMES.parse(label) for label in LABELS] == LABELS


def test_an_unknown_name_suggests_the_nearest_known_one():
    with pytest.raises(CodeError) as exc:
        NAMES.parse("产业扶助")
    assert str(exc.value).startswith(
        "'产业扶助' is not a known 措施; did you mean 产业帮扶? known: 产业帮扶、易地搬迁、政策兜底、"
        "大病救助、教育资助、技能培训、危房改造、小额信贷、转移就业"
    )
    assert exc.value.zh.startswith(
        "'产业扶助' 不是已知的措施，是否应为 产业帮扶？；可填：产业帮扶、"
    )
    with pytest.raises(CodeError, match="did you mean 政策兜底"):
        NAMES.parse("兜底保证")  # nearest is the synonym 兜底保障, which means 政策兜底
    with pytest.raises(CodeError) as exc:
        NAMES.parse("乡村振兴基金")
    assert "did you mean" not in str(exc.value)


def test_a_bare_number_is_no_name():
    """Category and Measure share the numbers 1–4: a number is refused, never guessed."""
    for number in ("1", "2", "4"):
        with pytest.raises(CodeError):
            NAMES.parse(number)


@given(st.text(max_size=8))
def test_parse_is_total_and_lands_on_a_label(text):
    try:
        label = NAMES.parse(text)
    except CodeError as exc:
        assert "known: 产业帮扶" in str(exc)
    else:
        assert label in LABELS


def test_a_policy_synonym_is_checked():
    assert synonym_label("扶贫车间", "job_transfer", PLAN_NAMES) == "转移就业"
    assert synonym_label("搬迁", "异地搬迁", PLAN_NAMES) == "易地搬迁"
    with pytest.raises(
        ValueError, match=r"'产业帮助' is not a known name \(did you mean 产业帮扶\?\)"
    ):
        synonym_label("产业", "产业帮助", PLAN_NAMES)
    with pytest.raises(ValueError, match="'技能培训' already names 技能培训"):
        synonym_label("技能培训", "转移就业", PLAN_NAMES)
    assert synonym_label("技能培训", "skills_training", PLAN_NAMES) == "技能培训"  # harmless


def test_a_synonym_never_redefines_a_builtin_name():
    names = Vocabulary.build("措施", PLAN_MEMBERS, {"危房改造": "易地搬迁", "扶贫车间": "转移就业"})
    assert names.parse("危房改造") == "危房改造" and names.parse("扶贫车间") == "转移就业"
    # the county's synonyms come after the default ones: the later one wins, however spaced
    later = Vocabulary.build("措施", PLAN_MEMBERS, {"助学": "教育资助", "助 学": "技能培训"})
    assert later.parse("助学") == "技能培训"


# -- a loan's 用途 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("油茶种植", ("种植",)),
        ("生猪养殖", ("养殖",)),
        ("柑橘种植", ("种植",)),
        ("开办农家乐", ("农家乐",)),
        ("乡村旅游", ("乡村旅游",)),
        ("养猪", ("养猪",)),
        ("油茶　种植", ("种植",)),  # a full-width space as typed
    ],
)
def test_a_purpose_holding_a_production_word_is_production(text, words):
    purpose = loan_purpose(text, WORDS, BANNED)
    assert purpose.ok and purpose.production == words and purpose.banned == ()


@pytest.mark.parametrize(
    ("text", "production", "banned"),
    [
        ("建房", (), ("建房",)),
        ("买化肥建房", ("化肥",), ("建房",)),  # a banned word wins
        ("养殖场还债", ("养殖",), ("还债",)),
        ("旅游", (), ()),  # a trip is spending: 乡村旅游 or 农家乐 is the production use
        ("看病", (), ()),
        ("", (), ()),
    ],
)
def test_a_purpose_without_a_production_word_or_with_a_banned_one_is_refused(
    text, production, banned
):
    purpose = loan_purpose(text, WORDS, BANNED)
    assert not purpose.ok and (purpose.production, purpose.banned) == (production, banned)


def test_the_refusal_names_the_word_and_both_lists():
    short_words, short_banned = ("种植", "养殖"), ("建房", "婚丧")
    banned = purpose_refusal(loan_purpose("买化肥建房", WORDS, BANNED), short_words, short_banned)
    assert banned == (
        "用途 '买化肥建房' names the banned word 建房: a micro-loan is for production — name one "
        "of 种植、养殖 and none of 建房、婚丧 (policy fund.loan.production_words, banned_words)",
        "用途「买化肥建房」含禁用词 建房：扶贫小额信贷须用于生产，用途写明 种植、养殖 之一，且不含 建房、婚丧",
    )
    none = purpose_refusal(loan_purpose("旅游", WORDS, BANNED), short_words, short_banned)
    assert none[0].startswith("用途 '旅游' names no production word: ")
    assert none[1].startswith("用途「旅游」不含生产性用途词：")


words = st.lists(st.text(min_size=1, max_size=4), max_size=5)


@given(st.text(max_size=10), st.text(max_size=10), words, words, st.data())
def test_a_banned_word_anywhere_wins(before, after, production, banned, data):
    word = data.draw(st.sampled_from(BANNED))
    purpose = loan_purpose(before + word + after, (*WORDS, *production), (*BANNED, *banned))
    assert not purpose.ok and word in purpose.banned


@given(st.text(max_size=10), words, words)
def test_more_production_words_never_refuse_and_more_banned_words_never_accept(
    text, production, banned
):
    base = loan_purpose(text, WORDS, BANNED)
    if base.ok:
        assert loan_purpose(text, (*WORDS, *production), BANNED).ok
    else:
        assert not loan_purpose(text, WORDS, (*BANNED, *banned)).ok


@given(st.text(max_size=10), st.sampled_from(WORDS), st.text(max_size=10))
def test_a_production_word_without_a_banned_one_is_production(before, word, after):
    text = before + word + after
    purpose = loan_purpose(text, WORDS, BANNED)
    seen = "".join(unicodedata.normalize("NFKC", text).split()).lower()
    assert purpose.ok == (not any(b in seen for b in BANNED))

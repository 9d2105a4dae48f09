import pytest

from fupin_cli.core.codes import CadreRank, Category, Health, Housing
from fupin_cli.core.policy import PolicyError, parse_policy
from fupin_cli.errors import UsageError
from fupin_cli.policyfile import default_text, load_policy


def custom(text: str):
    return parse_policy(text, defaults=default_text(), source="county.toml")


def test_defaults_hold_the_design_numbers():
    p = load_policy()
    assert p.version == "2016.1"
    assert p.income_line_fen(2016) == 295200 and p.income_line_fen(2011) == 253600
    assert p.identify.weights == {
        d: 0.2 for d in ("housing", "production", "labour", "education", "health")
    }
    assert p.identify.housing[Housing.UNSAFE_D] == 1.0 and p.identify.health[Health.SERIOUS] == 1.0
    assert [r.category for r in p.classify.rules] == [
        Category.SAFETY_NET,
        Category.ILLNESS_AID,
        Category.RELOCATION,
        Category.INDUSTRY,
    ]
    assert p.classify.working_age == (16, 60)
    assert p.assign.capacity == {
        CadreRank.MUNICIPAL: 5,
        CadreRank.COUNTY: 5,
        CadreRank.SECTION: 4,
        CadreRank.GENERAL: 3,
        CadreRank.TEACHER: 3,
    }
    assert p.fund.fiscal_fen_per_agri_person == 600 and p.fund.village_industry_min_fen == 8_000_000
    assert p.fund.loan.max_fen == 5_000_000 and p.fund.loan.max_months == 36
    assert p.exit_targets == {2016: 20000}
    assert p.village_exit.max_poverty_rate == 0.02 and len(p.village_exit.services) == 7


def test_year_without_income_line_is_a_clear_error():
    with pytest.raises(PolicyError, match=r"no income line for 2017 .* set income_lines.2017"):
        load_policy().income_line_fen(2017)


def test_county_file_merges_over_defaults():
    p = custom(
        '[policy]\nversion = "taoyuan-2017"\n[income_lines]\n2017 = 3000\n[identify]\nk = 0.5\n'
    )
    assert p.version == "taoyuan-2017" and p.name == "桃源县精准扶贫默认政策"
    assert p.income_line_fen(2017) == 300000 and p.income_line_fen(2016) == 295200
    assert p.identify.k == 0.5 and p.identify.review_score == 0.6


def test_county_synonyms_add_to_the_default_ones_and_word_lists_extend():
    default = load_policy()
    p = custom(
        '[policy]\nversion = "x"\n[synonyms]\n"扶贫车间" = "转移就业"\n"助学" = "技能培训"\n'
        '[fund.loan]\nproduction_words = ["油桐", "种植"]\nbanned_words = ["赌博"]\n'
        '[village_exit]\nservices = ["通安全饮水"]\n'
    )
    assert p.synonyms["扶贫车间"] == "转移就业" and p.synonyms["产业扶持"] == "产业帮扶"
    assert p.synonyms["助学"] == "技能培训"  # a county may point a default synonym elsewhere
    assert len(p.synonyms) == len(default.synonyms) + 1
    assert p.fund.loan.production_words == (*default.fund.loan.production_words, "油桐")
    assert p.fund.loan.banned_words == (*default.fund.loan.banned_words, "赌博")
    assert p.village_exit.services == ("通安全饮水",)  # every other list replaces


def test_reordered_rules():
    p = custom(
        '[policy]\nversion = "x"\n[classify]\nrules = [\n'
        '{category = "illness_aid", any = ["serious_illness"]},\n'
        '{category = "safety_net", any = ["no_able_worker"]},\n'
        '{category = "industry"}]\n'
    )
    assert [r.category for r in p.classify.rules] == [
        Category.ILLNESS_AID,
        Category.SAFETY_NET,
        Category.INDUSTRY,
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[policy]\nname = "x"\n', "policy.version: missing"),
        ('[policy]\nversion = "x"\n[identify]\nk = "high"\n', "identify.k: must be a number"),
        ('[policy]\nversion = "x"\n[identify]\nk = 1.5\n', "identify.k: 1.5 is out of range"),
        ('[policy]\nversion = "x"\n[identify]\nk = nan\n', "identify.k: must be a finite number"),
        (
            '[policy]\nversion = "x"\n[identify]\nreview_score = 0.1\n',
            "identify.review_score: must be at least k",
        ),
        (
            '[policy]\nversion = "x"\n[identify.weights]\nhousingg = 0.2\n',
            "identify.weights.housingg: unknown key",
        ),
        ('[policy]\nversion = "x"\n[income_lines]\n17 = 3000\n', "income_lines.17: must be a year"),
        ('[policy]\nversion = "x"\n[income_lines]\n2017 = "lots"\n', "income_lines.2017:"),
        (
            '[policy]\nversion = "x"\n[classify]\nworking_age = [60, 16]\n',
            "classify.working_age: must be [from, to]",
        ),
        (
            '[policy]\nversion = "x"\n[classify]\nrules = [{category = "industry", any = ["rich"]}]\n',
            "the classifier does not know the condition 'rich'",
        ),
        (
            '[policy]\nversion = "x"\n[classify]\nrules = [{category = "industry", any = ["wubao"]}]\n',
            "the last rule must have no conditions",
        ),
        (
            '[policy]\nversion = "x"\n[classify]\nrules = [{category = "charity"}]\n',
            "classify.rules[0].category:",
        ),
        ('[policy]\nversion = "x"\n[assign.capacity]\n"教授" = 3\n', "assign.capacity.教授:"),
        (
            '[policy]\nversion = "x"\n[[identify.exclusions]]\nfield = "rich"\nlabel = "x"\naction = "veto"\n',
            "unknown household fact 'rich'",
        ),
        (
            '[policy]\nversion = "x"\n[village_exit]\nservices = ["通飞机"]\n',
            "unknown service '通飞机'",
        ),
        ("this is = not toml [", "not valid TOML"),
        (
            '[policy]\nversion = "x"\n[synonyms]\n"产业扶持" = "产业帮助"\n',
            "synonyms.产业扶持: '产业帮助' is not a known name (did you mean 产业帮扶?)",
        ),
        (
            '[policy]\nversion = "x"\n[synonyms]\n"技能培训" = "转移就业"\n',
            "synonyms.技能培训: '技能培训' already names 技能培训",
        ),
        ('[policy]\nversion = "x"\n[synonyms]\n"低保" = 3\n', "synonyms.低保: must be non-empty"),
        (
            '[policy]\nversion = "x"\n[fund.loan]\nproduction_purposes = ["种植"]\n',
            "fund.loan.production_purposes: now production_words",
        ),
        (
            '[policy]\nversion = "x"\n[fund.loan]\nbanned_words = [" "]\n',
            "fund.loan.banned_words: must list at least one word, none of them blank",
        ),
    ],
)
def test_bad_policy_names_the_key(text, message):
    with pytest.raises(PolicyError) as exc:
        custom(text)
    assert message in str(exc.value)
    assert str(exc.value).startswith("county.toml")


def test_load_policy_file_errors_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="not found"):
        load_policy(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('[policy]\nversion = "x"\n[identify]\nk = 2\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"identify.k: 2 is out of range"):
        load_policy(bad)
    good = tmp_path / "good.toml"
    good.write_text('\ufeff[policy]\nversion = "桃源-2017"\n', encoding="utf-8")
    assert load_policy(good).version == "桃源-2017"


def test_the_county_name_is_text_and_may_be_left_blank():
    assert load_policy().county == ""
    named = custom('[policy]\nversion = "c1"\ncounty = " 桃源县 "\n')
    assert named.county == "桃源县" and named.exit_targets == {2016: 20000}
    with pytest.raises(PolicyError, match=r"county.toml: policy.county: must be text"):
        custom('[policy]\nversion = "c1"\ncounty = 430725\n')

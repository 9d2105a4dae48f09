"""The written report (report -o FILE.docx) on the example county: every figure in the Word
file is the json report's, the file is written whole and never over one fupin did not write."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from conftest import Cli

EXAMPLES = Path(__file__).parents[2] / "examples"
AS_OF = "2016-09-30"
CHANNELS = {
    "财政投入": "fiscal",
    "项目整合": "integrated",
    "群众自筹": "self_raised",
    "银行贷款": "credit",
    "社会帮扶": "social",
}
CATEGORIES = {"产业帮扶": "industry", "易地搬迁": "relocation", "政策兜底": "safety_net"}
CATEGORIES["大病救助"] = "illness_aid"
GAP_LABELS = {
    "帮扶措施未落实": "measure_not_delivered",
    "劳动力未培训": "labour_not_trained",
    "在校生未获教育资助": "student_no_aid",
    "有劳动力户无人务工": "household_no_employment",
    "走访干部未结对": "visit_unpaired",
}


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Cli:
    """The example county (examples/), run through the clerk's steps as batch.sh does."""
    folder = tmp_path_factory.mktemp("county")
    for name in ("roster", "villages", "cadres", "teams", "visits", "measures"):
        shutil.copy(EXAMPLES / f"{name}.xlsx", folder / f"{name}.xlsx")
    for name in ("projects", "funds", "loans"):
        shutil.copy(EXAMPLES / f"{name}.xlsx", folder / f"{name}.xlsx")
    cli = Cli(folder / "fupin.db")
    policy = ("--policy", EXAMPLES / "policy.toml")
    steps = [
        ("identify", folder / "roster.xlsx", "--villages", folder / "villages.xlsx"),
        ("classify",),
        ("assign", "cadres", folder / "cadres.xlsx"),
        ("assign", "teams", folder / "teams.xlsx"),
        ("assign", "pair"),
        ("assign", "visits", folder / "visits.xlsx"),
        ("assign", "measures", folder / "measures.xlsx"),
        ("fund", "projects", folder / "projects.xlsx"),
        ("fund", "import", folder / "funds.xlsx"),
        ("fund", "loans", folder / "loans.xlsx"),
    ]
    for step in steps:
        dated = ("--as-of", AS_OF) if step[0] in ("identify", "classify") or "pair" in step else ()
        judged = policy if step[0] in ("identify", "classify") or "pair" in step else ()
        result = cli(*step, *dated, *judged)
        assert result.exit_code in (0, 1), (step, result.stderr)
    return cli


def report(cli: Cli, *args: str, code: int | None = None):
    result = cli("report", *args, "--policy", EXAMPLES / "policy.toml")
    if code is not None:
        assert result.exit_code == code, result.stderr
    return result


def fen(text: str) -> int:
    """ "160,000.00" → 16000000: the yuan the document prints, back in fen."""
    assert re.fullmatch(r"-?[\d,]+\.\d\d", text), text
    return int(text.replace(",", "").replace(".", ""))


def pct(value: float | None) -> str:
    return "" if value is None else f"{value:.2%}"


def grid(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def by_header(table) -> list[dict[str, str]]:
    rows = grid(table)
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_every_figure_of_the_written_report_is_the_json_reports(county, tmp_path):
    path = tmp_path / "q3.docx"
    result = report(county, "--quarter", "2016Q3", "-o", path, code=0)
    assert result.stdout == "" and f"report written: {path}" in result.stderr
    r = json.loads(report(county, "--quarter", "2016Q3", "--format", "json", code=0).stdout)
    c = r["county"]
    doc = docx.Document(path)
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "桃源县精准扶贫工作\n2016年第三季度书面报告"
    assert texts[1] == "（2016年7月1日至9月30日）"
    assert doc.core_properties.title == "桃源县精准扶贫工作2016年第三季度书面报告"
    assert (doc.core_properties.author, doc.core_properties.last_modified_by) == ("fupin", "fupin")
    body = "".join(texts)

    def figures(pattern: str) -> tuple[str, ...]:
        found = re.findall(pattern, body)
        assert len(found) == 1, (pattern, found)
        return found[0] if isinstance(found[0], tuple) else (found[0],)

    def count(pattern: str) -> tuple[int, ...]:
        return tuple(int(x) for x in figures(pattern))

    # the headline: stock at the end, flows in the quarter, progress to the year's target
    assert count(r"全县在册贫困户(\d+)户、贫困人口(\d+)人") == (c["households"], c["persons"])
    assert count(r"本季度新识别贫困户(\d+)户，预脱贫(\d+)户，脱贫(\d+)户(\d+)人，返贫(\d+)户") == (
        c["newly_identified"],
        c["proposed_exit"],
        c["exited"],
        c["exited_persons"],
        c["returned"],
    )
    target = r["exit_target"]
    assert count(r"2016年脱贫目标(\d+)人，2016年1月1日以来已脱贫(\d+)人") == (
        target["target_persons"],
        target["exited_persons"],
    )
    assert figures(r"完成年度目标的([\d.]+%)") == (pct(target["progress"]),)
    # pairing and visits
    p, v = c["pairing"], c["visits"]
    assert count(r"已结对(\d+)户、未结对(\d+)户") == (
        p["households_paired"],
        p["households_unpaired"],
    )
    assert figures(r"结对覆盖率([\d.]+%)") == (pct(p["households_paired"] / c["households"]),)
    assert count(r"在校学生已结对(\d+)人、未结对(\d+)人") == (
        p["students_paired"],
        p["students_unpaired"],
    )
    assert count(r"干部走访(\d+)次、走访(\d+)户") == (v["count"], v["households"])
    money, goods = figures(r"送慰问金([\d,.]+)元、物资折价([\d,.]+)元")
    assert (fen(money), fen(goods)) == (v["money_fen"], v["goods_fen"])
    assert count(r"办实事(\d+)件") == (v["deeds"],)
    assert count(r"贫困村(\d+)个，已派驻村工作队(\d+)个") == (
        c["teams"]["poor_villages"],
        c["teams"]["with_team"],
    )
    # money by channel, each channel that moved any; the others named as idle
    moved = {
        name: tuple(fen(x) for x in amounts)
        for name, *amounts in re.findall(
            r"(财政投入|项目整合|群众自筹|银行贷款|社会帮扶)到位([\d,.]+)元、拨付([\d,.]+)元、支出([\d,.]+)元",
            body,
        )
    }
    flows = ("received_fen", "allocated_fen", "disbursed_fen")
    for name, key in CHANNELS.items():
        expected = tuple(c["funds"][key][f] for f in flows)
        assert moved.get(name, (0, 0, 0)) == expected, name
    assert set(moved) == {n for n, k in CHANNELS.items() if any(c["funds"][k].values())}
    assert len(moved) >= 3  # the example county moves money on several channels
    totals = tuple(
        fen(x) for x in figures(r"合计到位([\d,.]+)元、拨付([\d,.]+)元、支出([\d,.]+)元")
    )
    assert totals == tuple(sum(ch[f] for ch in c["funds"].values()) for f in flows)
    # categories, measures, training, employment, school aid
    for name, key in CATEGORIES.items():
        assert count(rf"{name}(\d+)户") == (c["by_category"][key],)
    planned = sum(m["planned"] for m in c["measures"].values())
    delivered = sum(m["delivered"] for m in c["measures"].values())
    assert count(r"帮扶措施计划(\d+)户次、已落实(\d+)户次") == (planned, delivered)
    assert count(r"劳动力(\d+)人中已培训(\d+)人") == tuple(c["training"].values())
    assert count(r"有劳动力的(\d+)户中有人务工(\d+)户") == tuple(c["employment"].values())
    assert count(r"在校生(\d+)人中已获教育资助(\d+)人") == tuple(c["student_aid"].values())

    # the gaps, rule by rule, and every fund rule not met
    gap_totals: dict[str, int] = {}
    for g in r["gaps"]:
        gap_totals[g["rule"]] = gap_totals.get(g["rule"], 0) + g["count"]
    said = {GAP_LABELS[label]: int(n) for label, n in re.findall(r"([一-龥]+?)(\d+)个（涉及", body)}
    assert said == gap_totals and sum(gap_totals.values()) == count(r"共有缺口(\d+)个")[0]
    broken = [x for x in r["rules"] if not x["ok"]]
    assert broken and count(r"资金使用规则共核查(\d+)项，未达标(\d+)项") == (
        len(r["rules"]),
        len(broken),
    )
    groups = re.findall(r"\d+\. ([^（。]+)（未达标(\d+)项）：([^。]+)。", body)
    assert [(title, int(n)) for title, n, _detail in groups] == [
        (title, sum(x["title"] == title for x in broken))
        for title in dict.fromkeys(x["title"] for x in broken)
    ]
    listed = [
        re.fullmatch(r"(.+)实际([\d,.]+)元?，标准≥([\d,.]+)元?", item).groups()
        for _title, _n, detail in groups
        for item in detail.split("；")
    ]
    named = [{"county": "全县"}.get(x["subject"], x["subject"]) for x in broken]
    assert [s for s, _v, _th in listed] == named  # each one named
    for (_s, value, threshold), x in zip(listed, broken, strict=True):
        read = (fen(value), fen(threshold)) if x["unit"] == "fen" else (int(value), int(threshold))
        assert read == (x["value"], x["threshold"])

    # the ranking: every township once, best delivery rate first, its figures the json's
    ranking, *annex = doc.tables
    towns = {t["name"]: t for t in r["townships"]}
    rows = by_header(ranking)
    assert sorted(row["乡镇"] for row in rows) == sorted(towns)
    rates = []
    for row in rows:
        t = towns[row["乡镇"]]
        t_planned = sum(m["planned"] for m in t["measures"].values())
        t_delivered = sum(m["delivered"] for m in t["measures"].values())
        assert (row["贫困户"], row["贫困人口"], row["本期脱贫人数"], row["走访户数"]) == (
            str(t["households"]),
            str(t["persons"]),
            str(t["exited_persons"]),
            str(t["visits"]["households"]),
        )
        assert (row["措施计划户次"], row["已落实户次"]) == (str(t_planned), str(t_delivered))
        assert row["措施落实率"] == pct(t_delivered / t_planned)
        assert row["结对覆盖率"] == pct(t["pairing"]["households_paired"] / t["households"])
        rates.append(t_delivered / t_planned)
    assert rates == sorted(rates, reverse=True) and len(set(rates)) > 1
    assert [row["名次"] for row in rows] == [str(i) for i in range(1, len(rows) + 1)]

    # the 附表: the report's tables, cell by cell
    summary = {row["名称"]: row for row in by_header(annex[0])}
    assert list(summary) == ["全县", *towns]
    for name, s in [("全县", c), *towns.items()]:
        row = summary[name]
        assert [int(row[h]) for h in ("贫困户", "贫困人口", "新识别", "预脱贫", "脱贫户")] == [
            s["households"],
            s["persons"],
            s["newly_identified"],
            s["proposed_exit"],
            s["exited"],
        ]
        assert [int(row[h]) for h in ("脱贫人数", "返贫", "未分类")] == [
            s["exited_persons"],
            s["returned"],
            s["unclassified"],
        ]
        assert {k: int(row[n]) for n, k in CATEGORIES.items()} == s["by_category"]
        pairing = [row[h] for h in ("已结对户", "未结对户", "已结对学生", "未结对学生")]
        assert [int(x) for x in pairing] == list(s["pairing"].values())
        assert (int(row["走访次数"]), int(row["走访户数"])) == (
            s["visits"]["count"],
            s["visits"]["households"],
        )
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    annexed = dict(zip(captions[1:], annex, strict=True))
    categories = {
        row["帮扶类别"]: int(row["户数"]) for row in by_header(annexed["附表2  分类施策"])
    }
    assert categories == {**{n: c["by_category"][k] for n, k in CATEGORIES.items()}, "未分类": 0}
    funds = {row["渠道"]: row for row in by_header(annexed["附表5  资金"])}
    for name, key in CHANNELS.items():
        row = funds[name]
        assert tuple(fen(row[h]) for h in ("到位(元)", "拨付(元)", "支出(元)")) == tuple(
            c["funds"][key][f] for f in flows
        )
    exits = {row["乡镇"]: row for row in by_header(annexed["附表4  脱贫进度"])}
    for name, t in towns.items():
        assert (int(exits[name]["脱贫户"]), int(exits[name]["脱贫人数"])) == (
            t["exited"],
            t["exited_persons"],
        )
    assert int(exits["年度脱贫目标"]["脱贫人数"]) == target["target_persons"]
    assert int(exits["全县本年累计"]["脱贫人数"]) == target["exited_persons"]
    villages = by_header(annexed["附表8  贫困村"])
    assert [
        (v["村"], int(v["贫困人口"]), int(v["农业人口"]), v["贫困发生率"], v["驻村工作队"])
        for v in villages
    ] == [
        (
            v["name"],
            v["persons"],
            v["agricultural_population"],
            pct(v["poverty_rate"]),
            "是" if v["has_team"] else "否",
        )
        for v in r["poor_villages"]
    ]
    rules = by_header(annexed["附表10  资金使用规则未达标"])
    assert len(rules) == len(broken)
    for row, x in zip(rules, broken, strict=True):
        money_rule = x["unit"] == "fen"
        read = fen(row["实际"].removesuffix("元")) if money_rule else int(row["实际"])
        standard = row["标准"].lstrip("≥≤").removesuffix("元")
        assert (row["规则"], row["对象"], read, fen(standard) if money_rule else int(standard)) == (
            x["title"],
            x["subject"],
            x["value"],
            x["threshold"],
        )
    gaps = by_header(annexed["附表11  帮扶缺口（按乡镇）"])
    for row in gaps:
        for label, rule in GAP_LABELS.items():
            expected = sum(
                g["count"]
                for g in r["gaps"]
                if g["rule"] == rule and row["乡镇"] in ("全县", g["township"])
            )
            assert int(row.get(label, 0)) == expected, (row["乡镇"], label)
    assert [row["乡镇"] for row in gaps] == [*towns, "全县"]

    # as printed: A4, Chinese fonts, header rows repeated, numbered pages
    first, annex_pages = doc.sections[0], doc.sections[-1]
    assert (round(first.page_width.cm, 1), round(first.page_height.cm, 1)) == (21.0, 29.7)
    assert round(annex_pages.page_width.cm, 1) == 29.7  # the 附表 are landscape
    for name, font in (("Normal", "仿宋"), ("Heading 1", "黑体"), ("Heading 2", "楷体")):
        assert doc.styles[name].element.rPr.rFonts.get(qn("w:eastAsia")) == font
    for table in doc.tables:
        header = table.rows[0]._tr.trPr
        assert header is not None and header.find(qn("w:tblHeader")) is not None
        assert all(row._tr.trPr.find(qn("w:tblHeader")) is None for row in table.rows[1:])
    footer = doc.sections[0].footer.paragraphs[0]._p.xml
    assert " PAGE " in footer and " NUMPAGES " in footer


def test_level_and_year(county, tmp_path):
    path = tmp_path / "y.docx"
    report(county, "--year", "2016", "--level", "county", "-f", "docx", "-o", path, code=0)
    doc = docx.Document(path)
    assert doc.paragraphs[0].text == "桃源县精准扶贫工作\n2016年度书面报告"
    body = "".join(p.text for p in doc.paragraphs)
    assert "本年度新识别贫困户" in body and "本季度" not in body
    summary = grid(doc.tables[1])
    assert [row[0] for row in summary] == ["名称", "全县"]  # --level county: the county alone
    assert grid(doc.tables[-1])[1:][0][0] == "全县" and len(doc.tables[-1].rows) == 2


def test_no_county_name_in_the_policy_leaves_it_out(county, tmp_path):
    path = tmp_path / "q3.docx"
    assert county("report", "--quarter", "2016Q3", "-o", path).exit_code == 0
    doc = docx.Document(path)
    assert doc.paragraphs[0].text == "精准扶贫工作\n2016年第三季度书面报告"
    assert any(p.text == "县扶贫开发工作领导小组办公室" for p in doc.paragraphs)


@pytest.mark.parametrize(
    "args, message",
    [
        (("-f", "docx"), "--format docx needs -o FILE.docx"),
        (("-f", "docx", "-o", "q3.xlsx"), "the file's ending does not match --format docx"),
        (("-f", "docx", "-o", "q3.txt"), "a written report needs a file name ending in .docx"),
    ],
)
def test_a_docx_needs_its_file(county, tmp_path, args, message):
    args = tuple(str(tmp_path / a) if a.startswith("q3") else a for a in args)
    result = report(county, "--quarter", "2016Q3", *args, code=2)
    assert message in result.stderr and list(tmp_path.iterdir()) == []


def test_written_whole_and_never_over_a_document_fupin_did_not_write(county, tmp_path):
    path = tmp_path / "q3.docx"
    report(county, "--quarter", "2016Q3", "-o", path, code=0)
    report(county, "--quarter", "2016Q3", "-o", path, code=0)  # its own output: replaced
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left beside it
    edited = docx.Document(path)
    edited.add_paragraph("县委书记批示：请各乡镇抓紧整改。")
    edited.core_properties.last_modified_by = "扶贫办统计员"  # as Word or WPS saves it
    edited.save(path)
    before = path.read_bytes()
    result = report(county, "--quarter", "2016Q3", "-o", path, code=2)
    assert result.stderr.strip() == (
        f"fupin: error: -o {path}: the file exists and is not a document fupin wrote (edited "
        "in Word or WPS since?); choose another name, or move the file away first"
    )
    assert path.read_bytes() == before
    report(county, "--quarter", "2016Q3", "-o", tmp_path / "q2.docx", code=0)
    before = (tmp_path / "q2.docx").read_bytes()
    (tmp_path / "q2.docx.tmp").mkdir()  # the document cannot be written beside it
    result = report(county, "--quarter", "2016Q3", "-o", tmp_path / "q2.docx", code=2)
    assert "q2.docx: cannot write (" in result.stderr and len(result.stderr.splitlines()) == 1
    assert (tmp_path / "q2.docx").read_bytes() == before  # the earlier one, whole
    (tmp_path / "q2.docx.tmp").rmdir()
    (tmp_path / "q2.docx").unlink()
    other = tmp_path / "notice.docx"
    docx.Document().save(other)  # a document another program wrote
    before = other.read_bytes()
    assert report(county, "--quarter", "2016Q3", "-o", other).exit_code == 2
    assert other.read_bytes() == before
    assert sorted(tmp_path.iterdir()) == [other, path]


def test_the_written_report_prints(county, tmp_path):
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if not office or not shutil.which("pdftotext"):
        pytest.skip("LibreOffice or poppler-utils is not installed")
    path = tmp_path / "q3.docx"
    report(county, "--quarter", "2016Q3", "-o", path, code=0)
    subprocess.run(
        [office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "q3.pdf"
    info = subprocess.run(["pdfinfo", pdf], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])
    text = subprocess.run(
        ["pdftotext", "-layout", pdf, "-"], check=True, capture_output=True, text=True
    ).stdout
    assert 3 <= pages <= 10
    assert "2016 年第三季度书面报告" in text or "2016年第三季度书面报告" in text
    footers = re.findall(r"第\s*(\d+)\s*页\s*共\s*(\d+)\s*页", text)
    assert footers == [(str(i), str(pages)) for i in range(1, pages + 1)]
    assert "(A4)" in info


def test_a_rule_many_villages_miss_is_counted_and_its_first_three_named():
    from types import SimpleNamespace

    from fupin_cli.core.periods import parse_period
    from fupin_cli.reports.written import _rules_text

    def rule(title, subject, value, ok=False, threshold=8_000_000):
        return {
            "title": title,
            "subject": subject,
            "value": value,
            "threshold": threshold,
            "op": ">=",
            "unit": "fen",
            "ok": ok,
        }

    rules = [rule("贫困村产业资金", f"甲镇/{n}村", 100 * i) for i, n in enumerate("一二三四五")]
    rules += [
        rule("贫困村产业资金", "甲镇/六村", 9_000_000, ok=True),
        rule("渠道不透支", "county", 1),
        rule("项目整合 ≥ 涉农资金 × 比例", "county", 500, threshold=0),  # no total declared
    ]
    report = SimpleNamespace(period=parse_period("2016Q3"), rules=rules)
    assert _rules_text(report) == [
        "2016年1月1日至9月30日的资金使用规则共核查8项，未达标7项：",
        "1. 贫困村产业资金（未达标5项）：甲镇/一村、甲镇/二村、甲镇/三村等，逐项见附表。",
        "2. 渠道不透支（未达标1项）：全县实际0.01元，标准≥80,000.00元。",
        "3. 项目整合 ≥ 涉农资金 × 比例（未达标1项）：全县实际5.00元，"
        "标准未能核定（缺少核定所需的数，见 fupin fund check）。",
    ]

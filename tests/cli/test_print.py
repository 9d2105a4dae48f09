"""Every workbook of the example county prints as a document: converted to PDF by LibreOffice
(``soffice --headless --convert-to pdf``) and read back with pdftotext/pdfinfo. The 户卡 prints
on at most two A4 pages, the 一户一策 and the 村情 on one, the quarterly report on twelve (a page
a table), and every page of a table that runs over carries its header row.

Skipped only where LibreOffice or poppler is not installed (.ci/run installs them)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import Cli
from workbooks import header_at, records, title_block

EXAMPLES = Path(__file__).parents[2] / "examples"
AS_OF = "2016-09-30"
POLICY = ("--policy", str(EXAMPLES / "policy.toml"))
TOOLS = ("soffice", "pdftotext", "pdfinfo")

needs_office = pytest.mark.skipif(
    not all(shutil.which(t) for t in TOOLS), reason="LibreOffice or poppler-utils not installed"
)


def _run(cli: Cli, *args: str, codes=(0, 1)) -> None:
    result = cli(*args)
    assert result.exit_code in codes, (args, result.stderr)


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> Cli:
    """The example county as examples/batch.sh builds it, in this process."""
    tmp = tmp_path_factory.mktemp("county")
    for name in ("roster", "villages", "cadres", "teams", "visits", "measures"):
        shutil.copy(EXAMPLES / f"{name}.xlsx", tmp / f"{name}.xlsx")
    for name in ("projects", "funds", "loans"):
        shutil.copy(EXAMPLES / f"{name}.xlsx", tmp / f"{name}.xlsx")
    cli = Cli(tmp / "fupin.db")
    _run(cli, "identify", tmp / "roster.xlsx", "--villages", tmp / "villages.xlsx",
         "--as-of", AS_OF, *POLICY)  # fmt: skip
    _run(cli, "classify", "--as-of", AS_OF, *POLICY)
    _run(cli, "assign", "cadres", tmp / "cadres.xlsx")
    _run(cli, "assign", "teams", tmp / "teams.xlsx")
    _run(cli, "assign", "pair", "--as-of", AS_OF, *POLICY)
    _run(cli, "assign", "visits", tmp / "visits.xlsx")
    _run(cli, "assign", "measures", tmp / "measures.xlsx")
    _run(cli, "fund", "projects", tmp / "projects.xlsx")
    _run(cli, "fund", "import", tmp / "funds.xlsx")
    _run(cli, "fund", "loans", tmp / "loans.xlsx")
    return cli


@pytest.fixture(scope="module")
def documents(county: Cli, tmp_path_factory) -> dict[str, Path]:
    """Every kind of workbook fupin writes for the example county, each converted to PDF in one
    LibreOffice run (a private profile, so parallel runs do not clash)."""
    if not all(shutil.which(t) for t in TOOLS):
        pytest.skip("LibreOffice or poppler-utils not installed")
    out = tmp_path_factory.mktemp("print")
    card_no = county.scalar(
        "SELECT h.household_no FROM household h JOIN visit v ON v.household_id = h.id "
        "ORDER BY h.household_no LIMIT 1"
    )
    made = {
        "report": ("report", "--quarter", "2016Q3", *POLICY),
        "card": ("report", "household", card_no, *POLICY),
        "plan": ("classify", "--plan", card_no, "--as-of", AS_OF, *POLICY),
        "village": ("report", "village", "枫树村", *POLICY),
        "township": ("report", "township", "漳江镇", *POLICY),
        "notice": ("fund", "notice", "--village", "枫树村", *POLICY),
    }
    for name, args in made.items():
        _run(county, *args, "-o", out / f"{name}.xlsx", codes=(0,))
    _run(county, "identify", "--template", out / "template.xlsx", *POLICY, codes=(0,))
    books = sorted(out.glob("*.xlsx"))
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{out}/profile", "--headless",
         "--convert-to", "pdf", "--outdir", str(out), *map(str, books)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return {b.stem: b for b in books}


def pages(pdf: Path) -> list[str]:
    """The text of each page."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    count = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)[1])
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    found = text.split("\f")[:count]
    assert len(found) == count
    return found


def sheet_pages(book: Path) -> dict[str, list[str]]:
    """Each sheet's pages, known by the sheet's own title in the page header."""
    wb = load_workbook(book)
    titles = {ws.title: ws.oddHeader.left.text for ws in wb.worksheets}
    out: dict[str, list[str]] = {name: [] for name in titles}
    for page in pages(book.with_suffix(".pdf")):
        found = [n for n, t in titles.items() if t in page]
        assert found, page[:200]
        out[max(found, key=lambda n: len(titles[n]))].append(page)
    return out


@needs_office
def test_each_document_prints_on_the_pages_it_should(documents):
    assert len(pages(documents["report"].with_suffix(".pdf"))) <= 12
    assert len(pages(documents["card"].with_suffix(".pdf"))) <= 2
    assert len(pages(documents["plan"].with_suffix(".pdf"))) == 1
    assert len(sheet_pages(documents["village"])["村情"]) == 1


@needs_office
def test_every_page_of_a_table_carries_its_header_row(documents):
    """A page of a table — the first or one the table ran over onto — shows its header row
    (print titles), the document's title and its page number."""
    runs_over = 0
    for book in documents.values():
        wb = load_workbook(book)
        for name, printed in sheet_pages(book).items():
            ws = wb[name]
            assert printed, f"{book.name}: sheet {name} printed no page"
            runs_over += len(printed) > 1
            if not ws.print_title_rows:
                continue  # a card of sections: each section has its own header
            top = int(ws.print_title_rows.split(":")[0].strip("$"))
            header = [c.value for c in ws[top] if c.value][:3]
            for n, page in enumerate(printed, start=1):
                flat = re.sub(r"\s", "", page)
                assert all(re.sub(r"\s", "", h) in flat for h in header), (book.name, name, n)
                assert re.search(r"第\s*\d+\s*页\s*共\s*\d+\s*页", page), (book.name, name, n)
    assert runs_over >= 1  # the template's 填表说明 runs over a page


@needs_office
def test_title_block_names_the_county_period_office_and_unit(documents):
    report = load_workbook(documents["report"])
    block = title_block(report["资金"], "渠道")
    assert block[0] == "桃源县精准扶贫季度报告·资金"
    assert block[1] == "2016年第3季度（2016-07-01至2016-09-30）"
    assert block[2].startswith("制表单位：桃源县扶贫开发工作领导小组办公室　　制表日期：")
    assert block[2].endswith("单位：金额 元")
    ws = report["资金"]
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) and ws.page_setup.fitToWidth == 1
    text = pages(documents["report"].with_suffix(".pdf"))[0]
    assert "桃源县精准扶贫季度报告·汇总" in text and re.search(r"第\s*1\s*页", text)


def test_money_in_wan_yuan_years_as_years_rules_as_numbers_gaps_in_chinese(county, tmp_path):
    path = tmp_path / "q.xlsx"
    _run(county, "report", "--quarter", "2016Q3", *POLICY, "--unit", "万元", "-o", path, codes=(0,))
    data = json.loads(county("report", "--quarter", "2016Q3", *POLICY, "-f", "json").stdout)
    wb = load_workbook(path)
    fiscal = records(wb["资金"], "渠道")[0]
    assert fiscal["渠道"] == "财政投入"
    assert fiscal["到位(万元)"] == data["county"]["funds"]["fiscal"]["received_fen"] / 1_000_000
    assert title_block(wb["资金"], "渠道")[2].endswith("单位：金额 万元")
    assert title_block(wb["分类施策"], "帮扶类别")[2].endswith("单位：户、人")
    rules = records(wb["资金规则"], "规则")
    first = data["rules"][0]
    assert rules[0]["实际"] == first["value"] / 1_000_000 and rules[0]["单位"] == "万元"
    assert rules[0]["对象"] == "全县" and rules[0]["条件"] == "≥"
    count = next(r for r in rules if r["规则"] == "贫困村一事一议")
    assert isinstance(count["实际"], int) and count["单位"] == "个"
    gaps = records(wb["帮扶缺口"], "问题")
    assert {g["问题"] for g in gaps} >= {"劳动力未培训", "帮扶措施未落实"}
    assert not any("_" in g["问题"] for g in gaps)  # never a rule key
    exits = wb["贫困村出列"]
    top = header_at(exits, "乡镇")
    column = [c.value for c in exits[top]].index("收入年度") + 1
    assert exits.cell(row=top + 1, column=column).number_format == "0"  # 2016, not 2,016
    assert exits.cell(row=top + 1, column=column).value == 2016


def test_default_unit_is_yuan_and_csv_carries_the_chinese_gap_names(county):
    out = county("report", "--quarter", "2016Q3", *POLICY, "-f", "csv", "--table", "gaps")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows and all("_" not in r["问题"] for r in rows)
    bad = county("report", "--quarter", "2016Q3", "--unit", "千元", "-o", "x.xlsx")
    assert bad.exit_code == 2


def test_the_report_title_block_carries_the_callers_notes(tmp_path):
    """The lead's warnings about a report (records dated after the period…) go under the title
    of every sheet."""
    from fupin_cli.io.document import Heading
    from fupin_cli.reports import render
    from fupin_cli.reports.tables import INT, TEXT, Table

    t = Table("categories", "分类施策", [("帮扶类别", TEXT), ("户数", INT)], [["产业帮扶", 2]])
    heading = Heading("精准扶贫季度报告", period="2016年第3季度", office="县扶贫办")
    path = render.to_xlsx([t], tmp_path / "q.xlsx", heading, notes=["注意：有 3 户识别于期末之后"])
    ws = load_workbook(path)["分类施策"]
    assert title_block(ws, "帮扶类别") == [
        "精准扶贫季度报告·分类施策",
        "2016年第3季度",
        f"制表单位：县扶贫办　　制表日期：{dt.date.today().isoformat()}　　单位：户、人",
        "注意：有 3 户识别于期末之后",
    ]
    assert records(ws, "帮扶类别") == [{"帮扶类别": "产业帮扶", "户数": 2}]
    assert len(ws._charts) == 1


def test_a_filled_in_template_with_its_title_block_is_imported(county, tmp_path):
    """identify --template writes the title block above the header row; identify reads the
    filled-in template back (title rows are passed over)."""
    from factories import make_id

    path = tmp_path / "模板.xlsx"
    _run(county, "identify", "--template", path, *POLICY, codes=(0,))
    wb = load_workbook(path)
    ws = wb["花名册"]
    top = header_at(ws, "乡镇")
    assert top > 1 and title_block(ws, "乡镇")[0] == "桃源县建档立卡贫困户识别花名册"
    cells = ["漳江镇", "桃花村", 1, "T9", "甲", make_id(), None, "户主", None, "小学",
             "非在校生", "健康", "普通劳动力"]  # fmt: skip
    for i, value in enumerate(cells, start=1):
        ws.cell(row=top + 1, column=i, value=value)
    wb.save(path)
    fresh = Cli(tmp_path / "fresh.db")
    result = fresh("identify", path, "--as-of", AS_OF, *POLICY, "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["persons"] == 1

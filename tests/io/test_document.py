"""The title block and page setup on any sheet: one write_table makes, and a write-only sheet
(the error workbook's kind) given them by hand."""

from openpyxl import Workbook, load_workbook

from fupin_cli.io.document import Heading, office_of, quarter_label, set_page, write_heading
from fupin_cli.io.xlsx import new_workbook, write_table


def test_office_is_named_only_when_the_county_is_known():
    assert office_of("桃源县") == "桃源县扶贫开发工作领导小组办公室"
    assert office_of("") == "县扶贫办"


def test_quarter_and_year_labels():
    import datetime as dt

    q = quarter_label("2016Q3", dt.date(2016, 7, 1), dt.date(2016, 9, 30))
    assert q == "2016年第3季度（2016-07-01至2016-09-30）"
    assert quarter_label("2016", dt.date(2016, 1, 1), dt.date(2016, 12, 31)).startswith(
        "2016年度（"
    )


def test_a_table_prints_a4_one_page_wide_with_its_header_on_every_page(tmp_path):
    wb = new_workbook()
    heading = Heading("花名册", scope="漳江镇", period="截至 2016-09-30", unit="元", notes=["注"])
    narrow = write_table(wb, "窄", ["姓名", "金额"], [["甲", 1.5]], heading=heading)
    wide = write_table(wb, "宽", [f"列{i}" for i in range(20)], [list(range(20))])
    path = tmp_path / "t.xlsx"
    wb.save(path)
    got = load_workbook(path)
    ws = got["窄"]
    assert [r[0] for r in ws.iter_rows(max_row=4, max_col=1, values_only=True)] == [
        "花名册",
        "漳江镇　截至 2016-09-30",
        f"制表单位：县扶贫办　　制表日期：{heading.made.isoformat()}　　单位：元",
        "注",
    ]
    assert [c.value for c in ws[5]] == ["姓名", "金额"] and ws.print_title_rows == "$5:$5"
    assert "A1:B1" in {str(r) for r in ws.merged_cells.ranges}
    assert (
        ws.page_setup.orientation == "portrait" and got["宽"].page_setup.orientation == "landscape"
    )
    for sheet in (ws, got["宽"]):
        assert int(sheet.page_setup.paperSize) == 9  # A4
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.oddFooter.center.text == "第 &P 页 共 &N 页"
    assert ws.oddHeader.left.text == "花名册" and got["宽"].oddHeader.left.text == "宽"
    assert narrow.title == "窄" and wide.title == "宽"


def test_a_write_only_sheet_takes_the_title_block_and_page_setup(tmp_path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误行")
    widths = [6, 12, 60]
    top = write_heading(ws, Heading("花名册错误行", scope="roster.xlsx"), widths)
    ws.append(["行号", "列", "原因"])
    ws.append([5, "身份证号", "校验码错误"])
    set_page(ws, "花名册错误行", header_row=top, widths=widths)
    path = tmp_path / "e.xlsx"
    wb.save(path)
    got = load_workbook(path)["错误行"]
    assert top == 4 and [c.value for c in got[top]] == ["行号", "列", "原因"]
    assert got["A1"].value == "花名册错误行" and got.print_title_rows == "$4:$4"
    assert "A1:C1" in {str(r) for r in got.merged_cells.ranges}

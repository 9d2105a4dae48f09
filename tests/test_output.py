import csv
import io

from openpyxl import load_workbook

from fupin_cli.core.idcard import mask_id, mask_phone
from fupin_cli.io.output import guard, write_csv
from fupin_cli.io.xlsx import new_workbook, write_table
from workbooks import header_at


def test_guard_neutralises_formula_starts():
    for bad in ['=HYPERLINK("http://x","y")', "+1", "-1+2", "@SUM(A1)", "\tx", "\rx", "\nx"]:
        assert guard(bad) == "'" + bad
    assert guard("王小明") == "王小明" and guard(-5) == -5 and guard(None) is None


def test_masking():
    assert mask_id("43072519900101123X") == "430725********123X"
    assert mask_phone("13812345678") == "138****5678"


def test_csv_cells_are_guarded():
    out = io.StringIO()
    write_csv([{"name": "=cmd|' /C calc'!A0", "n": -3}], [("name", "姓名"), ("n", "数")], out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [
        ["姓名", "数"],
        ["'=cmd|' /C calc'!A0", "-3"],
    ]  # a negative number stays a number


def test_xlsx_cells_are_text_never_formulas(tmp_path):
    wb = new_workbook()
    write_table(wb, "户", ["姓名", "金额"], [['=HYPERLINK("http://evil","点我")', 12.5]])
    path = tmp_path / "x.xlsx"
    wb.save(path)
    ws = load_workbook(path)["户"]
    top = header_at(ws, "姓名")  # under the title block
    cell = ws[f"A{top + 1}"]
    assert cell.data_type == "s" and cell.value == '\'=HYPERLINK("http://evil","点我")'
    assert ws.freeze_panes == f"A{top + 1}" and ws.auto_filter.ref == f"A{top}:B{top + 1}"
    assert ws[f"B{top + 1}"].value == 12.5

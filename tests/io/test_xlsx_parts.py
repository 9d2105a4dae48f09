"""Which formula results can be trusted, read from the sheet's XML as the writers lay it out;
headers naming a field in its own unit or another; the error workbook's long numbers."""

from __future__ import annotations

import io
import zipfile

import pytest

from fupin_cli.io import xlsx_parts
from fupin_cli.io.errors_file import Rejected, write_errors
from fupin_cli.io.sheets import Field, Spec

WITH_RESULT = [
    b'<c r="D2"><f>A2*2</f><v>8</v></c>',
    b'<c r="D2"><f t="shared" ref="D2:D9" si="0">A2*2</f><v>8</v></c>',
    b'<c r="D3"><f t="shared" si="0"/><v>8</v></c>',
    b'<c r="D2"><f t="array" ref="D2">SUM(A2:C2)</f><v>8</v></c>',
    b'<c r="D2" t="str"><f>A2&amp;""</f><v></v></c>',
    b'<c r="D2"><f>A2*2</f>\n  <v>8</v></c>',
    b'<c r="D2" s="1"><v>8</v></c><c r="E2" t="inlineStr"><is><r><rPr><family val="2"/></rPr>'
    b"<t>x</t></r></is></c>",
    b'<x:c r="D2"><x:f>A2*2</x:f><x:v>8</x:v></x:c>',
]
WITHOUT_RESULT = [
    b'<c r="D2"><f>A2*2</f></c>',
    b'<c r="D2"><f t="shared" si="0"/></c>',
    b'<c r="D2"><f>A2*2</f><v/></c>',
    b'<x:c r="D2"><x:f>A2*2</x:f></x:c>',  # the OpenXML SDK's prefixed tags
]


@pytest.mark.parametrize("cell", WITH_RESULT)
def test_a_formula_with_its_result_is_trusted(cell):
    assert xlsx_parts.formula_fault(b'<row r="2">' + cell + b"</row>", recalculate=False) is None


@pytest.mark.parametrize("cell", WITHOUT_RESULT)
def test_a_formula_without_its_result_is_named(cell):
    fault = xlsx_parts.formula_fault(b'<row r="2">' + cell + b"</row>", recalculate=False)
    assert fault is not None and fault.startswith("cell D2 holds a formula without its result")


@pytest.mark.parametrize(
    "calc",
    [
        b'<calcPr calcId="124519" fullCalcOnLoad="1"/>',
        b"<calcPr fullCalcOnLoad='1'/>",
        b'<calcPr fullCalcOnLoad = "true"/>',
        b'<x:calcPr fullCalcOnLoad="1"/>',
    ],
)
def test_a_workbook_asking_to_be_recalculated_distrusts_every_result(calc):
    book = io.BytesIO()
    with zipfile.ZipFile(book, "w") as zf:
        zf.writestr("xl/workbook.xml", b"<workbook>" + calc + b"</workbook>")
    with zipfile.ZipFile(book) as zf:
        assert xlsx_parts.recalculates_on_open(zf)
    fault = xlsx_parts.formula_fault(WITH_RESULT[0], recalculate=True)
    assert fault is not None and "has not worked out yet" in fault
    assert xlsx_parts.formula_fault(b'<c r="D2"><v>8</v></c>', recalculate=True) is None


def test_a_whole_sheet_is_checked_a_piece_at_a_time(monkeypatch):
    """The cell lies across a piece's end: it is still found and named."""
    monkeypatch.setattr(xlsx_parts, "_CHUNK", 1000)
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (r, r, r) for r in range(1, 90))
    xml = b"<worksheet><sheetData>" + rows + b'<row r="90"><c r="B90"><f>A1</f></c></row>'
    book = io.BytesIO()
    with zipfile.ZipFile(book, "w") as zf:
        zf.writestr("xl/workbook.xml", b"<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", xml + b"</sheetData></worksheet>")
    with zipfile.ZipFile(book) as zf:
        fault = xlsx_parts.sheet_formula_fault(zf, "xl/worksheets/sheet1.xml")
    assert fault is not None and fault.startswith("cell B90 holds a formula without its result")


SPEC = Spec(
    [
        Field("amount", "金额(元)", ("补助金额",)),
        Field("term", "期限(月)"),
        Field("area", "住房面积(㎡)"),
        Field("people", "农业人口"),
        Field("village", "村"),
    ]
)


def test_a_header_naming_a_field_in_its_own_unit_is_read():
    cells = ["补助金额(元)", "期限(个月)", "住房面积(平米)", "农业人口(人)", "村(社区)"]
    assert SPEC.match(cells) == {"amount": 0, "term": 1, "area": 2, "people": 3}


@pytest.mark.parametrize("header", ["金额(万元)", "补助金额（万元）", "期限(年)", "住房面积(亩)"])
def test_a_header_naming_a_field_in_another_unit_is_known(header):
    assert SPEC.match([header]) == {}
    assert SPEC.other_unit(header) is not None
    assert SPEC.other_unit("村(社区)") is None and SPEC.other_unit("农业人口(万人)") is None


def test_the_error_workbook_shows_long_numbers_whole_and_survives_infinity(tmp_path):
    from openpyxl import load_workbook

    from workbooks import header_at

    rows = [Rejected(2, [4307250010099.0, float("inf"), 12.5], "户编号", "why", "原因")]
    path = write_errors(tmp_path / "e.xlsx", ["户编号", "金额", "x"], rows)
    ws = load_workbook(path)["错误行"]
    cells = list(ws.iter_rows(min_row=header_at(ws, "行号") + 1))[0]
    assert [c.number_format for c in cells[3:6]] == ["0", "General", "General"]

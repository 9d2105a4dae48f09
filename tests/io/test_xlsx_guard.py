"""xlsx_guard: the limits of the policy's [input] held against a workbook's parts and extent."""

from __future__ import annotations

import zipfile

import pytest

from fupin_cli.errors import InputError
from fupin_cli.io.xlsx_guard import Extent, check_workbook, column_letters, column_number
from fupin_cli.policyfile import input_limits


def test_column_letters_and_numbers():
    for n, letters in [(1, "A"), (26, "Z"), (27, "AA"), (256, "IV"), (702, "ZZ"), (16384, "XFD")]:
        assert column_letters(n) == letters and column_number(letters) == n


def test_a_part_declaring_more_than_the_limit_is_refused_unread(tmp_path):
    path = tmp_path / "big.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    with zipfile.ZipFile(path) as zf:
        zf.getinfo("xl/worksheets/sheet1.xml").file_size = 4 << 30  # as a bomb declares it
        with pytest.raises(InputError, match=r"part xl/worksheets/sheet1.xml inflates to more"):
            check_workbook(zf, input_limits(), "big.xlsx")


def test_the_extent_is_the_dimension_and_the_last_references():
    extent = Extent(input_limits(), "f.xlsx, sheet S")
    extent.head(b'<worksheet><dimension ref="A1:IV1000000"/><sheetData>')  # at the limits
    extent.tail(b'<row r="9"><c r="IV9"><v>1</v></c></row>')
    with pytest.raises(InputError, match=r"the sheet's extent reaches XFD1048576"):
        extent.head(b'<worksheet><dimension ref="A1:XFD1048576"/>')
    with pytest.raises(InputError, match=r"cell A1000001: beyond what a roster can be"):
        extent.tail(b'<row r="1000001"><c r="A1000001"><v>1</v></c></row>')

"""A worksheet read in pieces on worker threads gives the rows a whole read gives, at the same
positions; a sheet not in the plain shape is left to the whole read; a damaged piece is one
line naming the file and sheet. Real workbooks written here, cut into pieces of a few KiB."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from fupin_cli.errors import InputError
from fupin_cli.io import xlsx_pieces
from fupin_cli.io.sheets import _sheet_rows

PIECE = 4096  # bytes of XML a piece: dozens of pieces for a sheet of a few hundred rows


@pytest.fixture(autouse=True)
def two_cores(monkeypatch):
    monkeypatch.setattr(xlsx_pieces, "_cores", lambda: 2)


@pytest.fixture
def parsed(monkeypatch) -> list[int]:
    """Counts the pieces parsed (so a test knows the sheet was really cut)."""
    calls: list[int] = []
    parse = xlsx_pieces._Reader._parse

    def counting(self, body):
        calls.append(len(body))
        return parse(self, body)

    monkeypatch.setattr(xlsx_pieces._Reader, "_parse", counting)
    return calls


def whole(path: Path, sheet: str) -> list[list]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    pieces = xlsx_pieces.WORKERS
    try:
        xlsx_pieces.WORKERS = 0  # the whole read, as sheets.py does it for a small sheet
        rows, _, _ = _sheet_rows(wb, path, sheet)
        return trimmed(rows)
    finally:
        xlsx_pieces.WORKERS = pieces


def in_pieces(path: Path, sheet: str, piece: int = PIECE) -> list[list]:
    got = xlsx_pieces.open_pieces(path, sheet, min_bytes=0, piece_bytes=piece)
    assert got is not None
    return trimmed(got.rows)


def trimmed(rows) -> list[list]:
    """Rows without their trailing empty cells (a whole read pads every row to the sheet's
    width, a piece to its own)."""
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] == "":
            row.pop()
        out.append(row)
    return out


def excel_shaped(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A workbook as Excel saves one: strings in a shared-strings part, dates as numbers in a
    date format (xlsxwriter; openpyxl writes strings inline)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(r, c, value, stamp)
                elif isinstance(value, dt.date):
                    sheet.write_datetime(r, c, value, day)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    with zipfile.ZipFile(path) as zf:
        assert "xl/sharedStrings.xml" in zf.namelist()
    return path


def with_sheet_xml(path: Path, out_path: Path, change) -> Path:
    """A copy of the workbook with ``change`` applied to its first sheet's XML."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out_path, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            out.writestr(
                info, change(data) if info.filename == "xl/worksheets/sheet1.xml" else data
            )
    return out_path


HEADER = ["日期", "渠道", "类型", "金额(元)", "乡镇", "村", "项目", "户编号", "用途", "文号"]


def ledger_rows(n: int) -> list[list]:
    start = dt.date(2016, 1, 1)
    return [
        [
            start + dt.timedelta(days=i % 365),
            ["财政投入", "项目整合", "社会帮扶"][i % 3],
            "到位" if i % 4 else "拨付",
            round(1000 + i * 3.75, 2) if i % 7 else 5000,
            None if i % 5 else "漳江镇",
            f"村{i % 11:02d}",
            None,
            f"430725{i:08d}" if i % 9 == 0 else None,
            "产业发展" if i % 2 else "教育",
            f"湘财农〔2016〕{i}号",
            True if i % 13 == 0 else None,
            dt.datetime(2016, 5, 1, 8, 30) if i % 17 == 0 else None,
        ]
        for i in range(n)
    ]


def test_a_shared_strings_workbook_reads_the_same_in_pieces(tmp_path, parsed):
    """Excel's shape: strings in sharedStrings.xml, dates as styled numbers, title rows above
    the header, blank rows between the data, and a second sheet after it."""
    rows: list[list] = [["2016年扶贫资金台账"], [], HEADER]
    for i, row in enumerate(ledger_rows(3000)):
        rows.append(row)
        if i % 97 == 0:
            rows.append([])  # an empty row inside the data
    path = excel_shaped(tmp_path / "ledger.xlsx", {"资金台账": rows, "说明": [["填表说明"]]})

    expected = whole(path, "资金台账")
    assert len(expected) == 3 + 3000 + 31 and expected[2][0] == "日期"
    assert expected[3][0] == dt.date(2016, 1, 1)  # a date, as calamine gives it
    assert in_pieces(path, "资金台账") == expected
    assert len(parsed) > 10


def test_shared_strings_large_beside_the_sheet_leave_it_whole(tmp_path):
    """Every piece's workbook repeats the shared strings: when a piece three times their size
    leaves fewer than two pieces, the sheet is read whole."""
    rows = [[f"湘财农〔2016〕{i}号", i] for i in range(3000)]  # every string different, as 文号
    path = excel_shaped(tmp_path / "ledger.xlsx", {"资金台账": rows})
    assert xlsx_pieces.open_pieces(path, "资金台账", min_bytes=0) is None
    assert in_pieces(path, "资金台账") == whole(path, "资金台账")  # when asked to, it can


def test_an_inline_strings_workbook_reads_the_same_in_pieces(tmp_path, parsed):
    """openpyxl's write-only shape (inline strings), the benchmark's."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("资金台账")
    ws.append(["日期", "渠道", "类型", "金额(元)"])
    for row in ledger_rows(500):
        ws.append(row)
    path = tmp_path / "ledger.xlsx"
    wb.save(path)

    assert in_pieces(path, "资金台账") == whole(path, "资金台账")
    assert len(parsed) > 10


def test_columns_and_rows_keep_their_places_across_pieces(tmp_path, parsed):
    """Data from column C in some pieces and from A in others, rows far apart: every cell
    stays in its row and column (a whole read counts columns from the first holding a value;
    both are counted from A here)."""
    wb = Workbook()
    ws = wb.active
    for r in range(1, 2000):
        ws.cell(row=r * 3, column=3, value=f"r{r}c3")
        if r > 1500:
            ws.cell(row=r * 3, column=1, value=r)
    ws["E6000"] = "last"
    path = tmp_path / "sparse.xlsx"
    wb.save(path)

    rows = in_pieces(path, "Sheet", piece=2048)
    assert rows == whole(path, "Sheet")
    assert rows[2] == ["", "", "r1c3"] and rows[1500 * 3 + 2] == [1501, "", "r1501c3"]
    assert rows[5999] == ["", "", "", "", "last"] and len(rows) == 6000
    assert len(parsed) > 5


def test_rows_without_their_number_stay_with_the_numbered_row_before(tmp_path, parsed):
    """Some producers leave out ``r`` on rows and cells: calamine numbers those on from the
    row before, so a piece only ever starts at a numbered row."""
    wb = Workbook()
    ws = wb.active
    for r in range(1, 2001):
        ws.append([f"a{r}", r, f"c{r}"])
    path = tmp_path / "bare.xlsx"
    wb.save(path)

    def unnumber(xml: bytes) -> bytes:  # every row but each tenth loses its number
        xml = re.sub(rb' r="[A-Z]+\d+"', b"", xml)  # and every cell its reference
        return re.sub(
            rb'<row r="(\d+)"', lambda m: m.group(0) if int(m.group(1)) % 10 == 1 else b"<row", xml
        )

    unnumbered = with_sheet_xml(path, tmp_path / "unnumbered.xlsx", unnumber)

    expected = whole(unnumbered, "Sheet")
    assert expected[0] == ["a1", 1, "c1"] and expected[1999] == ["a2000", 2000, "c2000"]
    assert in_pieces(unnumbered, "Sheet", piece=1024) == expected
    assert len(parsed) > 5


def test_a_small_sheet_or_a_single_core_is_read_whole(tmp_path, monkeypatch):
    wb = Workbook()
    wb.active.append(["日期", "渠道"])
    path = tmp_path / "small.xlsx"
    wb.save(path)
    assert xlsx_pieces.open_pieces(path, "Sheet") is None  # below MIN_SHEET_BYTES
    assert xlsx_pieces.open_pieces(path, "no such sheet", min_bytes=0) is None
    monkeypatch.setattr(xlsx_pieces, "_cores", lambda: 1)
    assert xlsx_pieces.open_pieces(path, "Sheet", min_bytes=0) is None


def test_a_sheet_not_in_the_plain_shape_is_read_whole(tmp_path):
    """A prefixed namespace (x:sheetData, as some .NET libraries write) is not cut."""
    wb = Workbook()
    wb.active.append(["日期", "渠道"])
    path = tmp_path / "plain.xlsx"
    wb.save(path)
    prefixed = with_sheet_xml(
        path,
        tmp_path / "prefixed.xlsx",
        lambda xml: xml.replace(b"<worksheet", b"<x:worksheet").replace(
            b"</worksheet", b"</x:worksheet"
        ),
    )
    assert xlsx_pieces.open_pieces(prefixed, "Sheet", min_bytes=0) is None
    not_a_zip = tmp_path / "old.xlsx"
    not_a_zip.write_bytes(b"\xd0\xcf\x11\xe0 an .xls renamed")
    assert xlsx_pieces.open_pieces(not_a_zip, "Sheet", min_bytes=0) is None


def test_a_damaged_sheet_is_one_line_naming_file_and_sheet(tmp_path):
    """A byte changed inside the sheet's stored data: the CRC check fails at its end, after
    the first pieces were handed on."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet")
    for r in range(3000):  # past the first 64 KiB read when the sheet is opened
        ws.append([f"row {r}", r])
    path = tmp_path / "ledger.xlsx"
    wb.save(path)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as out:
        for info in src.infolist():
            out.writestr(info.filename, src.read(info), compress_type=zipfile.ZIP_STORED)
    raw = bytearray(damaged.read_bytes())
    at = raw.index(b"row 2990")
    raw[at : at + 8] = b"ROW 2990"
    damaged.write_bytes(bytes(raw))

    got = xlsx_pieces.open_pieces(damaged, "Sheet", min_bytes=0, piece_bytes=1024)
    assert got is not None
    with pytest.raises(InputError) as err:
        list(got.rows)
    assert str(err.value).startswith("damaged.xlsx, sheet Sheet: cannot be read (")
    assert "\n" not in str(err.value)


def test_a_reader_that_stops_early_leaves_no_thread_behind(tmp_path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("资金台账")
    for row in ledger_rows(3000):
        ws.append(row)
    path = tmp_path / "ledger.xlsx"
    wb.save(path)

    got = xlsx_pieces.open_pieces(path, "资金台账", min_bytes=0, piece_bytes=2048)
    assert got is not None
    rows = iter(got.rows)
    assert next(rows)[1] == "财政投入"
    rows.close()  # the import stopped at a bad header, say
    deadline = time.monotonic() + 10
    while any(t.name.startswith("fupin-xlsx") for t in threading.enumerate()):
        assert time.monotonic() < deadline, [t.name for t in threading.enumerate()]
        time.sleep(0.05)


def test_rows_stored_out_of_order_stop_the_read(tmp_path):
    """A whole read places cells by their references; pieces are handed on in order, so a
    row written after rows below it is one line, not rows at the wrong places."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet")
    for r in range(1200):
        ws.append([f"H{r:05d}", r])
    wb.save(tmp_path / "in_order.xlsx")

    def header_last(xml: bytes) -> bytes:
        head, rest = xml.split(b"<sheetData>")
        body, tail = rest.split(b"</sheetData>")
        rows = re.findall(rb"<row .*?</row>", body, re.S)
        return head + b"<sheetData>" + b"".join(rows[1:] + rows[:1]) + b"</sheetData>" + tail

    path = with_sheet_xml(tmp_path / "in_order.xlsx", tmp_path / "header_last.xlsx", header_last)
    assert whole(path, "Sheet")[0] == ["H00000", 0]
    got = xlsx_pieces.open_pieces(path, "Sheet", min_bytes=0, piece_bytes=2048)
    assert got is not None
    with pytest.raises(InputError, match="out of order"):
        list(got.rows)


def test_a_row_named_in_a_comment_is_not_a_place_to_cut(tmp_path, parsed):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet")
    for r in range(1200):
        ws.append([f"a{r}", r])
    wb.save(tmp_path / "plain.xlsx")
    path = with_sheet_xml(
        tmp_path / "plain.xlsx",
        tmp_path / "commented.xlsx",
        lambda xml: re.sub(  # after each tenth row
            rb'(<row r="\d*0"[^>]*>.*?</row>)', rb'\1<!-- <row r="1"/> -->', xml, flags=re.S
        ),
    )
    assert in_pieces(path, "Sheet", piece=2048) == whole(path, "Sheet")
    assert len(parsed) > 5


def test_a_sheet_in_a_compression_calamine_does_not_read_is_left_to_the_whole_read(tmp_path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet")
    for r in range(1200):
        ws.append([f"a{r}", r])
    wb.save(tmp_path / "plain.xlsx")
    bzip2 = tmp_path / "bzip2.xlsx"
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as src, zipfile.ZipFile(bzip2, "w") as out:
        for info in src.infolist():
            method = zipfile.ZIP_BZIP2 if "worksheets" in info.filename else zipfile.ZIP_DEFLATED
            out.writestr(info.filename, src.read(info), compress_type=method)
    assert xlsx_pieces.open_pieces(bzip2, "Sheet", min_bytes=0, piece_bytes=2048) is None


def test_a_part_python_cannot_unpack_leaves_the_sheet_to_the_whole_read(tmp_path):
    """A cell comment marked encrypted: python-calamine never reads it, zipfile refuses it."""
    from openpyxl.comments import Comment

    wb = Workbook()
    for r in range(1200):
        wb.active.append([f"a{r}", r])
    wb.active["A1"].comment = Comment("note", "clerk")
    wb.save(tmp_path / "commented.xlsx")
    raw = bytearray((tmp_path / "commented.xlsx").read_bytes())
    with zipfile.ZipFile(tmp_path / "commented.xlsx") as zf:
        [member] = [n for n in zf.namelist() if "comments" in n and n.endswith(".xml")]
        local = zf.getinfo(member).header_offset
    name = member.encode()
    central = next(
        m.start()
        for m in re.finditer(rb"PK\x01\x02", raw)
        if raw[m.start() + 46 :].startswith(name)
    )
    raw[local + 6] |= 1  # the 'encrypted' flag, in the local header and the central directory
    raw[central + 8] |= 1
    (tmp_path / "encrypted.xlsx").write_bytes(bytes(raw))
    assert xlsx_pieces.open_pieces(tmp_path / "encrypted.xlsx", "Sheet", min_bytes=0) is None
    assert len(whole(tmp_path / "encrypted.xlsx", "Sheet")) == 1200


@pytest.mark.parametrize("cut", [False, True])
def test_a_cell_calamine_cannot_give_names_its_row(tmp_path, cut):
    """A huge number in a duration format: one line naming the row, in a whole read and in
    pieces alike."""
    wb = Workbook()
    for r in range(1, 1201):
        wb.active.append([f"a{r}", r])
    wb.active["B1000"] = 1.23e17
    wb.active["B1000"].number_format = "[h]:mm:ss"
    path = tmp_path / "huge.xlsx"
    wb.save(path)
    if cut:
        got = xlsx_pieces.open_pieces(path, "Sheet", min_bytes=0, piece_bytes=2048)
        assert got is not None
        rows = got.rows
    else:
        from python_calamine import CalamineWorkbook

        rows, _, _ = _sheet_rows(CalamineWorkbook.from_path(str(path)), path, "Sheet")
    with pytest.raises(InputError) as err:
        list(rows)
    assert str(err.value).startswith("huge.xlsx, sheet Sheet, row 1000: a cell cannot be read (")


def test_a_fault_in_the_cutting_surfaces_as_itself_and_nothing_hangs(tmp_path, monkeypatch):
    """A bug of ours while cutting is not 'the file cannot be read' (exit 2, blame the file):
    it reaches the reader as it is, and the reader does not wait for pieces forever."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet")
    for r in range(3000):
        ws.append([f"a{r}", r])
    wb.save(tmp_path / "ledger.xlsx")

    def broken(buf: bytes, start: int) -> int:
        raise TypeError("a bug")

    monkeypatch.setattr(xlsx_pieces, "_numbered_row", broken)
    got = xlsx_pieces.open_pieces(tmp_path / "ledger.xlsx", "Sheet", min_bytes=0, piece_bytes=2048)
    assert got is not None
    with pytest.raises(TypeError, match="a bug"):
        list(got.rows)


def plain_sheet(tmp_path: Path, n: int) -> Path:
    """plain.xlsx: ``n`` rows of a text and a number on sheet "Sheet" (openpyxl, write-only)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet")
    for r in range(n):
        ws.append([f"a{r}", r])
    wb.save(tmp_path / "plain.xlsx")
    return tmp_path / "plain.xlsx"


@pytest.mark.parametrize(
    "hiding",
    [
        rb'<is><t><![CDATA[</row><row r="\1"><c r="A\1"><v>1</v></c></row>]]></t></is>',
        rb'<is><t>x<?pi </row><row r="\1"><c r="A\1"><v>1</v></c></row>?></t></is>',
    ],
)
def test_a_piece_that_does_not_parse_falls_back_to_the_whole_read(tmp_path, parsed, hiding):
    """A CDATA section or a processing instruction holding ``</row><row r=…>``: a cut there
    leaves a piece that does not parse; the rows not yet given are read whole."""
    plain_sheet(tmp_path, 1200)
    path = with_sheet_xml(
        tmp_path / "plain.xlsx",
        tmp_path / "hidden.xlsx",
        lambda xml: re.sub(  # each row's first cell holds the text
            rb'<row r="(\d+)"><c r="(A\d+)" t="inlineStr"><is><t>[^<]*</t></is>',
            lambda m: (
                m.group(0)[: m.group(0).index(b"<is>")].replace(
                    b'<c r="', b'<c t="inlineStr" r="', 0
                )
                + re.sub(rb"\\1", str(int(m.group(1)) + 1).encode(), hiding)
            ),
            xml,
        ),
    )
    expected = whole(path, "Sheet")
    assert len(expected) == 1200
    assert in_pieces(path, "Sheet", piece=1024) == expected


def test_a_sheet_whose_first_row_carries_no_number_is_read_whole(tmp_path):
    plain_sheet(tmp_path, 2000)
    path = with_sheet_xml(
        tmp_path / "plain.xlsx",
        tmp_path / "bare.xlsx",
        lambda xml: re.sub(rb' r="[A-Z]*\d+"', b"", xml),
    )
    assert xlsx_pieces.open_pieces(path, "Sheet", min_bytes=0, piece_bytes=1024) is None


def test_the_cutter_is_linear_in_rows_without_numbers(tmp_path):
    """Long runs of rows without numbers (no place to cut) cost their size once, not once per
    read: 8 MiB take about four times what 2 MiB take, not sixteen."""

    def sheet(mib: int) -> Path:
        row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
        body = b'<row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c></row>'
        body += row * ((mib << 20) // len(row))
        path = tmp_path / f"runs{mib}.xlsx"
        wb = Workbook(write_only=True)
        wb.create_sheet("Sheet").append(["h"])
        wb.save(tmp_path / "one.xlsx")
        return with_sheet_xml(
            tmp_path / "one.xlsx",
            path,
            lambda xml: re.sub(
                rb"<sheetData>.*</sheetData>",
                b"<sheetData>" + body + b"</sheetData>",
                xml,
                flags=re.S,
            ),
        )

    def cut(path: Path) -> float:
        start = time.perf_counter()
        got = xlsx_pieces.open_pieces(path, "Sheet", min_bytes=0, piece_bytes=4096)
        assert got is not None
        assert sum(1 for _ in got.rows) > 1000
        return time.perf_counter() - start

    small, large = cut(sheet(2)), cut(sheet(8))
    assert large < 8 * small + 0.5, (small, large)


def test_a_piece_reaching_beyond_a_roster_is_refused(tmp_path):
    plain_sheet(tmp_path, 2000)
    path = with_sheet_xml(
        tmp_path / "plain.xlsx",
        tmp_path / "far.xlsx",
        lambda xml: xml.replace(b'<c r="B1000"', b'<c r="XFD1000"'),
    )
    with pytest.raises(InputError, match=r"far.xlsx, sheet Sheet, cell XFD1000: beyond what a"):
        in_pieces(path, "Sheet", piece=1024)

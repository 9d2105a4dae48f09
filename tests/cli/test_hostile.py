"""Hostile files refused in seconds with one line, the database unchanged; control characters
rejected at import and escaped in every message. Every file is built here."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from factories import ROSTER_HEADERS, household, person, small_county, write_csv, write_xlsx
from workbooks import error_rows

RUN = (
    "import resource, sys\n"
    "from fupin_cli.cli.main import app\n"
    "sys.argv = ['fupin', *sys.argv[1:]]\n"
    "try:\n"
    "    app()\n"
    "finally:\n"
    "    print('maxrss', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


@pytest.fixture
def county(cli, tmp_path):
    roster, villages = small_county(tmp_path)
    done = cli("identify", roster, "--villages", villages, "--as-of", "2016-09-30")
    assert done.exit_code == 0, done.stderr
    return cli


def refused(cli, *args, code: int = 2, seconds: float = 10, mib: int = 400) -> str:
    """Run the CLI in a subprocess: its exit code, its one stderr line, time and memory."""
    before = cli.dump()
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", RUN, "--db", str(cli.db), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - start
    lines = [ln for ln in done.stderr.splitlines() if not ln.startswith("maxrss ")]
    rss_kib = int(done.stderr.split("maxrss ")[1].split()[0])
    assert done.returncode == code, done.stderr
    assert len(lines) == 1, lines
    assert took < seconds
    assert rss_kib < mib * 1024, rss_kib
    assert cli.dump() == before
    return lines[0]


SHEET = "xl/worksheets/sheet1.xml"


def header_only(path: Path) -> tuple[dict[str, bytes], bytes, bytes]:
    """A roster of its header row alone: its zip parts, and its sheet's XML before and after
    the end of the rows (for a test to write rows between)."""
    write_xlsx(path, [], ROSTER_HEADERS)
    with zipfile.ZipFile(path) as src:
        parts = {n: src.read(n) for n in src.namelist()}
    head, tail = parts[SHEET].split(b"</sheetData>")
    return parts, head, tail


def test_a_zip_bomb_is_refused_in_seconds(county, tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    parts, head, tail = header_only(bomb)
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name, data in parts.items():
            if name != SHEET:
                out.writestr(name, data)
        with out.open(SHEET, "w", force_zip64=True) as xml:
            xml.write(head + row * 1000)
            blank = b" " * (32 << 20)  # rows padded with white space: 1,000 times packed
            for _ in range(10):
                xml.write(blank)
            xml.write(b"</sheetData>" + tail)
    assert bomb.stat().st_size < 1 << 20
    line = refused(county, "identify", bomb, "--as-of", "2016-09-30")
    assert line.startswith("fupin: error: bomb.xlsx: part xl/worksheets/sheet1.xml inflates to")
    assert "not a roster saved by Excel or WPS" in line


@pytest.mark.parametrize("far", ["XFD1048576", "XFD300000", "XFD5000", "A1048576"])
def test_a_cell_far_out_is_refused_before_the_reader(county, tmp_path, far):
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(list(ROSTER_HEADERS))
    ws[far] = "x"
    path = tmp_path / "far.xlsx"
    wb.save(path)
    line = refused(county, "identify", path, "--as-of", "2016-09-30")
    assert "far.xlsx, sheet 花名册, " in line
    assert far in line and "beyond what a roster can be" in line


def test_a_long_csv_cell_is_a_rejected_row_naming_it(county, tmp_path):
    rows = household("H9", [person("王五", birth="19700101")], village="桃花村")
    path = write_csv(tmp_path / "long.csv", rows)
    text = path.read_text(encoding="utf-8-sig").replace("王五", "王" * (1 << 20))
    path.write_text(text, encoding="utf-8-sig")
    before = county.dump()
    result = county("identify", path, "--as-of", "2016-09-30")
    assert result.exit_code == 1, result.stderr
    assert "internal error" not in result.stderr
    assert county.dump() == before
    errors = (tmp_path / "long.errors.csv").read_text(encoding="utf-8-sig")
    assert "1,048,576 characters, more than the 32,767" in errors


def test_control_characters_in_a_cell_are_a_rejected_row(county, tmp_path):
    rows = household("H9", [person("王\x07五", birth="19700101")], village="桃花村")
    path = write_csv(tmp_path / "bel.csv", rows)
    before = county.dump()
    result = county("identify", path, "--as-of", "2016-09-30")
    assert result.exit_code == 1, result.stderr
    assert county.dump() == before
    errors = (tmp_path / "bel.errors.csv").read_text(encoding="utf-8-sig")
    assert "control character (\\x07 at character 2)" in errors
    assert "王\\x07五" in errors and "\x07" not in errors  # the cadre's cell, escaped


def test_a_pipe_or_a_device_is_not_read(county, tmp_path):
    fifo = tmp_path / "roster.csv"
    os.mkfifo(fifo)
    line = refused(county, "identify", fifo, "--as-of", "2016-09-30")
    assert "not a regular file" in line
    line = refused(county, "identify", "/dev/zero", "--as-of", "2016-09-30")
    assert "not a regular file" in line


def test_an_unterminated_quote_names_its_row(county, tmp_path):
    rows = [
        *household("H8", [person("赵六", birth="19700101")], village="桃花村"),
        *household("H9", [person("钱七", birth="19700101")], village="桃花村"),
    ]
    path = write_csv(tmp_path / "quote.csv", rows)
    text = path.read_text(encoding="utf-8-sig").replace("赵六", '"赵六', 1)
    path.write_text(text, encoding="utf-8-sig")
    line = refused(county, "identify", path, "--as-of", "2016-09-30")
    assert "quote.csv, row 2 (line 2): a quote" in line and "never closed" in line


def test_escape_sequences_in_a_file_name_are_shown_escaped(county, tmp_path):
    path = tmp_path / "\x1b]0;PWNED\x07\x1b[2J.csv"
    path.write_text("nothing,here\n", encoding="utf-8")
    line = refused(county, "identify", path, "--as-of", "2016-09-30")
    assert "\x1b" not in line and "\x07" not in line
    assert "\\x1b]0;PWNED\\x07\\x1b[2J.csv" in line


def test_an_escaped_control_character_in_an_xlsx_cell_is_a_rejected_row(county, tmp_path):
    """``_x0007_`` in an .xlsx is a BEL once read: a rejected row, and the error workbook
    (which openpyxl could not otherwise write) shows it escaped."""
    rows = household("H9", [person("王_x0007_五", birth="19700101")], village="桃花村")
    path = write_xlsx(tmp_path / "bel.xlsx", rows)
    before = county.dump()
    result = county("identify", path, "--as-of", "2016-09-30")
    assert result.exit_code == 1, result.stderr
    assert "internal error" not in result.stderr
    assert county.dump() == before

    values = [str(v) for row in error_rows(tmp_path / "bel.errors.xlsx")[1:] for v in row]
    assert "王\\x07五" in values
    assert any("control character (\\x07 at character 2)" in v for v in values), values


def test_escape_sequences_in_a_header_are_shown_escaped_in_warnings(county, tmp_path):
    rows = household("H9", [person("王五", birth="19700101")], village="桃花村")
    headers = [*ROSTER_HEADERS, "\x1b[2J备注"]
    path = write_csv(tmp_path / "esc.csv", rows, headers)
    result = county("identify", path, "--as-of", "2016-09-30")
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stderr
    assert "ignored column(s) \\x1b[2J备注" in result.stderr


def test_every_exported_string_is_escaped_and_fits_a_cell():
    from fupin_cli.io.output import guard

    assert guard("王\x00五\x1b") == "王\\x00五\\x1b"
    assert guard("=\x07") == "'=\\x07"
    assert guard("两行\n一格\t") == "两行\n一格\t"  # a cell may hold a newline and a tab
    long = guard("x" * 40000)
    assert len(long) == 32767 and long.endswith("…")


def test_a_zip_bomb_that_understates_its_size_is_refused(county, tmp_path):
    """A sheet declaring 1,000 bytes that inflates to 64 MiB: zipfile stops at the declared
    size and the CRC fails, before python-calamine (which would inflate it all) reads it."""
    import struct

    bomb = tmp_path / "liar.xlsx"
    parts, head, tail = header_only(bomb)
    xml = head + b" " * (64 << 20) + b"</sheetData>" + tail
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, xml if name == SHEET else data)
    packed = bytearray(bomb.read_bytes())
    true = struct.pack("<I", len(xml))
    assert packed.count(true) == 2  # the local header and the central directory
    bomb.write_bytes(bytes(packed).replace(true, struct.pack("<I", 1000)))
    line = refused(county, "identify", bomb, "--as-of", "2016-09-30")
    assert line.startswith("fupin: error: liar.xlsx: cannot be read as a spreadsheet (Bad CRC-32")

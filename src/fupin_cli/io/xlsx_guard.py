"""An .xlsx refused before a reader can hang on it or run out of memory, with one line.

Two shapes of file do that. A zip bomb: a few MB whose sheet or shared strings inflate to
gigabytes. A sheet with one cell far out (XFD1048576): python-calamine allocates a dense grid to
the farthest cell and the process aborts. So, before python-calamine opens the workbook, every
part's declared size is held against the policy's ``[input]`` limits (``check_workbook``); a
sheet read whole is inflated once here, counted and scanned for its extent (``check_sheet``;
zipfile stops at the declared size, so a part that lies about it fails its CRC); a sheet read in
pieces has each piece's last references checked as it is cut (``Extent.tail``).

The scan is cheap: the ``<dimension>`` at the sheet's start and the references in its last
bytes (and in each piece's), where the farthest cell of a sheet written row by row stands.
"""

from __future__ import annotations

import re
import zipfile
from typing import IO

from fupin_cli.core.policy import InputPolicy
from fupin_cli.errors import InputError

_STRINGS = "xl/sharedStrings.xml"
_CHUNK = 8 << 20
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="(?:[A-Z]+\d+:)?([A-Z]+)(\d+)"')
_REF = re.compile(rb'\sr="([A-Z]{1,3})(\d+)"')  # a cell's reference
_TAIL = 1 << 16  # the last bytes of a sheet or piece whose references are checked
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def column_number(letters: str) -> int:
    """A → 1, Z → 26, AA → 27, XFD → 16384."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = _LETTERS[r] + out
    return out


class Extent:
    """The sheet's extent as its XML declares it (``<dimension>``) and as its last cells
    reach (the references in the last bytes of the sheet, or of each piece cut from it), held
    against the limits. A cell far out in the middle of a sheet is not looked for: that would
    cost a full scan of every reference."""

    def __init__(self, limits: InputPolicy, where: str) -> None:
        self.limits, self.where = limits, where

    def head(self, xml: bytes) -> None:
        """The sheet's start: its ``<dimension>``, as the writer declared it."""
        dim = _DIMENSION.search(xml, 0, 1 << 16)
        if dim:
            self._check(dim.group(1).decode(), int(dim.group(2)), "the sheet's extent reaches")

    def tail(self, xml: bytes) -> None:
        """The references among the last bytes of ``xml`` (a sheet's end, a piece's)."""
        for ref in _REF.finditer(xml, max(0, len(xml) - _TAIL)):
            self._check(ref.group(1).decode(), int(ref.group(2)), "cell")

    def _check(self, letters: str, row: int, what: str) -> None:
        lim = self.limits
        if row > lim.max_rows or column_number(letters) > lim.max_columns:
            raise InputError(
                f"{self.where}, {what} {letters}{row}: beyond what a roster can be (at most "
                f"{lim.max_rows:,} rows and {lim.max_columns} columns, A1:"
                f"{column_letters(lim.max_columns)}{lim.max_rows}); delete what lies beyond the "
                "data (select the empty rows and columns, Delete), save, and import again"
            )


def check_workbook(zf: zipfile.ZipFile, limits: InputPolicy, file: str) -> None:
    """Every part's declared size within the limits; the shared strings (read whole by
    python-calamine on opening) inflated once and counted, as their size may lie."""
    for info in zf.infolist():
        _check_size(info, info.file_size, limits, file)
    if _STRINGS in zf.NameToInfo:
        with zf.open(_STRINGS) as xml:
            _read_through(xml, zf.getinfo(_STRINGS), limits, file, None)


def check_sheet(zf: zipfile.ZipFile, member: str, limits: InputPolicy, where: str) -> None:
    """A sheet read whole: inflated once, counted and scanned for its extent."""
    info = zf.getinfo(member)
    extent = Extent(limits, where)
    with zf.open(member) as xml:
        _read_through(xml, info, limits, where, extent)


def _read_through(
    xml: IO[bytes],
    info: zipfile.ZipInfo,
    limits: InputPolicy,
    where: str,
    extent: Extent | None,
) -> None:
    done, last = 0, b""
    while chunk := xml.read(_CHUNK):
        if extent is not None and not done:
            extent.head(chunk)
        done += len(chunk)
        _check_size(info, done, limits, where)
        last = last[-_TAIL:] + chunk
    if extent is not None:
        extent.tail(last)


def _check_size(info: zipfile.ZipInfo, size: int, limits: InputPolicy, where: str) -> None:
    ratio = size / max(info.compress_size, 1)
    if size > limits.max_part_bytes or (
        size > limits.ratio_from_bytes and ratio > limits.max_ratio
    ):
        raise InputError(
            f"{where}: part {info.filename} inflates to more than {size >> 20:,} MiB from "
            f"{info.compress_size >> 20:,} MiB (at most {limits.max_part_bytes >> 20:,} MiB, and "
            f"{limits.max_ratio:,} times its packed size above {limits.ratio_from_bytes >> 20:,}"
            " MiB): not a roster saved by Excel or WPS; open the source and save it again"
        )

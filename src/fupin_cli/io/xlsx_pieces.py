"""A county-size worksheet read on two cores, its rows handed on while the rest is parsed.

python-calamine parses a sheet whole before it hands over the first row: for a county year of
200,000 ledger rows that is 1.2 s on one core while the import waits, then 1.5 s of the import's
own work on that core while the other idles. Here the sheet's XML is cut at row boundaries into
pieces: the first of FIRST_PIECE_BYTES, each next twice the size up to PIECE_BYTES. Each piece
becomes a small workbook in memory (the original's workbook, styles and shared strings, with
that piece for the sheet's rows), parsed by python-calamine on a worker thread (it releases the
GIL). The rows come out in order: the first piece's while the later ones are still being parsed.
On the benchmark's ledger the import takes 2.3 s instead of 2.9 s (bench/bench_fund.py).

The rows are the ones a whole read gives, at the same row and column positions
(tests/io/test_xlsx_pieces.py compares the two). Only the plain shape is cut: an unprefixed
``<worksheet>`` and ``<sheetData>``, every piece starting at a ``<row`` that carries its ``r``
number. For anything else, a sheet below MIN_SHEET_BYTES, or a machine with one core,
``open_pieces`` returns None and the caller reads the sheet whole.
"""

from __future__ import annotations

import io
import os
import queue
import re
import threading
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from fupin_cli.errors import InputError
from fupin_cli.io.sheets import cell_error
from fupin_cli.io.xlsx_guard import Extent
from fupin_cli.io.xlsx_parts import MAIN_NS, formula_fault, recalculates_on_open, sheet_member
from fupin_cli.policyfile import input_limits

MIN_SHEET_BYTES = 24 << 20  # the sheet's XML, uncompressed; below this, one parse
PIECE_BYTES = 6 << 20  # at least; and three times the parts every piece's workbook repeats
FIRST_PIECE_BYTES = 1 << 20  # then twice the size each piece, up to the piece size
WORKERS = 2  # threads parsing pieces, beside the one reading the rows

_ROOT = re.compile(rb"\s*(?:<\?xml[^>]*\?>\s*)?<worksheet[\s>]")
_DIMENSION = re.compile(rb"<dimension\b[^>]*/>")  # the whole sheet's extent: not a piece's
_NUMBERED = re.compile(rb'<row\s[^>]*?\br="(\d+)"')
_OPEN, _CLOSE = b"<sheetData>", b"</sheetData>"
_KEEP = 128  # bytes kept when more is read: a tag cut in two, and what stands before it
_ROW_ENDS = (b"</row>", b"/>")  # what stands before a cut: a row's end, not a comment's text
_READ_BY_BOTH = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # python-calamine reads no other
# what reading a damaged zip raises (a CRC mismatch, a truncated stream, an unusual method)
_UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)
_EMPTY_SHEET = f'<worksheet xmlns="{MAIN_NS}"><sheetData/></worksheet>'.encode()
_LEFT_OUT = (  # parts python-calamine does not read for a sheet's values (kept: all others)
    "docProps/",
    "customXml/",
    "xl/theme/",
    "xl/media/",
    "xl/drawings/",
    "xl/charts/",
    "xl/embeddings/",
    "xl/printerSettings/",
    "xl/calcChain.xml",
    "xl/externalLinks/",
    "xl/pivotCache/",
    "xl/pivotTables/",
    "xl/vbaProject.bin",
)


@dataclass
class Pieces:
    rows: Iterator[list[Any]]  # from the sheet's first row, as ``CalamineSheet.iter_rows``
    last_row: int | None  # the last row's number guessed from the XML's size (for progress)


def open_pieces(
    path: Path,
    sheet: str,
    *,
    min_bytes: int | None = None,
    piece_bytes: int | None = None,
) -> Pieces | None:
    """The rows of ``sheet`` in ``path``, parsed in pieces on worker threads; None when the
    sheet is small or not in the plain shape, or the machine has one core (read it whole).
    ``piece_bytes`` is worked out from the workbook unless given."""
    min_bytes = MIN_SHEET_BYTES if min_bytes is None else min_bytes
    if _cores() < 2 or WORKERS == 0:
        return None
    try:
        zf = zipfile.ZipFile(path)
    except Exception:  # not a zip (.xls), damaged: the whole read says what is wrong
        return None
    try:
        member = sheet_member(zf, sheet)
        info = zf.getinfo(member) if member is not None else None
        if info is None or info.file_size < min_bytes or info.compress_type not in _READ_BY_BOTH:
            zf.close()
            return None
        size = info.file_size
        xml = zf.open(member)
        head = xml.read(1 << 16)
        while (at := head.find(_OPEN)) < 0 and len(head) < (1 << 20):
            more = xml.read(1 << 16)
            if not more:
                break
            head += more
        # the plain shape, its first row carrying its number (a sheet whose rows carry none is
        # read whole: it cannot be cut)
        if not _ROOT.match(head) or at < 0 or not _NUMBERED.search(head, at):
            xml.close()
            zf.close()
            return None
        others = [(n, d) for n in zf.namelist() if n != member and (d := _other(zf, n))]
        recalculate = recalculates_on_open(zf)
    except Exception:  # damaged, encrypted, an unusual compression: the whole read says so
        zf.close()
        return None
    if piece_bytes is None:
        # Each piece's workbook repeats the other parts (shared strings, styles): a piece
        # three times their size keeps the repeated parsing to a quarter of the work. A sheet
        # of fewer than two such pieces is read whole.
        piece_bytes = max(PIECE_BYTES, 3 * sum(len(d) for _, d in others))
    piece_bytes = max(piece_bytes, 256)
    if size < 2 * piece_bytes:
        xml.close()
        zf.close()
        return None
    prefix = _DIMENSION.sub(b"", head[: at + len(_OPEN)])
    extent = Extent(input_limits(), f"{path.name}, sheet {sheet}")
    try:
        extent.head(head)
    except InputError:
        xml.close()
        zf.close()
        raise
    reader = _Reader(path, sheet, member, prefix, others, recalculate, extent)
    reader.start(zf, xml, head[at + len(_OPEN) :], piece_bytes)
    return Pieces(reader.rows(), _estimate(head, size))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _other(zf: zipfile.ZipFile, name: str) -> bytes | None:
    """A member other than the sheet, as each piece's workbook holds it: the other worksheets
    empty, pictures and charts left out, the rest as they are."""
    if name.startswith(_LEFT_OUT):
        return None
    if name.startswith("xl/worksheets/") and name.endswith(".xml"):
        return _EMPTY_SHEET
    return zf.read(name)


class _Reader:
    """Cuts the sheet's XML into pieces on one thread, parses them on worker threads, hands
    their rows on in order."""

    def __init__(
        self,
        path: Path,
        sheet: str,
        member: str,
        prefix: bytes,
        others: list[tuple[str, bytes]],
        recalculate: bool,
        extent: Extent,
    ) -> None:
        self.path, self.file = path, path.name
        self.sheet, self.member, self.prefix = sheet, member, prefix
        self.others, self.recalculate, self.extent = others, recalculate, extent
        self.pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="fupin-xlsx")
        self.pieces: queue.Queue[Future | None] = queue.Queue()
        # Pieces cut but not yet parsed: the XML held stays a few pieces long. Parsed pieces
        # wait in python-calamine's memory for the rows before them, as a whole read's would.
        self.ahead = threading.Semaphore(2 * WORKERS)
        self.stopped = False

    def start(self, zf: zipfile.ZipFile, xml: IO[bytes], buf: bytes, piece_bytes: int) -> None:
        threading.Thread(
            target=self._cut, args=(zf, xml, buf, piece_bytes), name="fupin-xlsx-cut", daemon=True
        ).start()

    def _cut(self, zf: zipfile.ZipFile, xml: IO[bytes], buf: bytes, piece_bytes: int) -> None:
        """Decompress the sheet a piece at a time (zlib releases the GIL), cut it before the
        first ``<row`` carrying its number past the piece's size, hand each piece to the
        workers at once. The first piece is small, so the rows start soon; each next one is
        twice the size, up to ``piece_bytes``. Rows that carry no numbers stay in the piece
        before: read as a whole read would read them. What is read without a cut is set aside
        (``held``), not copied again: the work is linear in the sheet's size."""
        size = min(FIRST_PIECE_BYTES, piece_bytes)
        held: list[bytes] = []  # the piece so far, before ``buf``: no cut in it
        held_bytes = 0
        try:
            with zf, xml:
                eof = False
                while not self.stopped:
                    # a cut leaves the piece at least ``size`` long; ``buf``'s first 64 bytes
                    # were scanned before (kept for what stands before a ``<row``)
                    start = max(size - held_bytes, 64 if held else 0)
                    cut = _numbered_row(buf, start) if not eof else -1
                    if cut < 0 and not eof:
                        more = xml.read(size)  # the piece being cut, no more
                        eof = not more
                        if len(buf) > _KEEP:
                            held.append(buf[:-_KEEP])
                            held_bytes += len(buf) - _KEEP
                            buf = buf[-_KEEP:]
                        buf += more
                        continue
                    if cut < 0:  # the end: the rows up to </sheetData>
                        buf = b"".join((*held, buf))
                        held, held_bytes = [], 0
                        end = buf.rfind(_CLOSE)
                        if end < 0:
                            raise zipfile.BadZipFile("the sheet's XML ends early")
                        cut, buf = end, buf[:end]
                    body = b"".join((*held, buf[:cut]))
                    buf = buf[cut:]
                    held, held_bytes = [], 0
                    size = min(2 * size, piece_bytes)
                    self.extent.tail(body)
                    if fault := formula_fault(body, self.recalculate):
                        raise InputError(f"{self.file}, sheet {self.sheet}, {fault}")
                    if body.strip():
                        self.ahead.acquire()
                        self.pieces.put(self.pool.submit(self._parse, body))
                    if eof and not buf:
                        break
        except InputError as exc:
            self._fail(exc)
        except _UNREADABLE as exc:  # a damaged or truncated file: said where the rows are read
            self._fail(self._unreadable(exc))
        except BaseException as exc:  # a fault of ours: the reader raises it as it is
            self._fail(exc)
        self.pieces.put(None)

    def _fail(self, exc: BaseException) -> None:
        failed: Future = Future()
        failed.set_exception(exc)
        self.pieces.put(failed)

    def _parse(self, body: bytes) -> Any:
        """The piece as a parsed sheet (held by python-calamine, not yet Python objects)."""
        import python_calamine as cal

        try:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
                for name, data in self.others:
                    out.writestr(name, data)
                out.writestr(self.member, b"".join((self.prefix, body, _CLOSE, b"</worksheet>")))
            del body
            buf.seek(0)
            return cal.CalamineWorkbook.from_filelike(buf).get_sheet_by_name(self.sheet)
        except Exception as exc:  # a cut the XML did not allow (a CDATA holding "</row>")?
            raise _Unparsed(exc) from None
        finally:
            self.ahead.release()

    def _unreadable(self, exc: BaseException) -> InputError:
        reason = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        return InputError(f"{self.file}, sheet {self.sheet}: cannot be read ({reason})")

    def rows(self) -> Iterator[list[Any]]:
        """Every row from the sheet's first: rows no piece holds are empty lists; columns are
        counted from A."""
        at = 0  # the index of the next row to give
        try:
            while (piece := self.pieces.get()) is not None:
                try:
                    sheet = piece.result()
                except _Unparsed:  # the rest read whole: it fails there if the file is bad
                    self.close()
                    yield from self._whole(at)
                    return
                start = sheet.start
                if start is None:
                    continue
                try:
                    rows = sheet.to_python(skip_empty_area=True)  # one piece at a time
                except (OverflowError, ValueError) as exc:
                    raise cell_error(f"{self.file}, sheet {self.sheet}", sheet, exc) from None
                del sheet
                first, left = start
                if first < at:  # rows stored out of order: a whole read sorts them, we cannot
                    raise InputError(
                        f"{self.file}, sheet {self.sheet}, row {first + 1}: the rows are stored "
                        "out of order (written by another program); open the file in Excel or "
                        "WPS and save it again"
                    )
                while at < first:
                    yield []
                    at += 1
                if left:
                    pad = [""] * left
                    for row in rows:
                        yield pad + row
                else:
                    yield from rows
                at = first + len(rows)
                del rows
        finally:
            self.close()

    def _whole(self, at: int) -> Iterator[list[Any]]:
        """The sheet's rows from index ``at`` on, read whole (when a piece did not parse)."""
        import python_calamine as cal

        from fupin_cli.io.sheets import _check_formulas, _guard, _sheet_read

        _guard(self.path, self.sheet)
        _check_formulas(self.path, self.sheet)
        try:
            sheet = cal.CalamineWorkbook.from_path(str(self.path)).get_sheet_by_name(self.sheet)
        except Exception as exc:
            raise self._unreadable(exc) from None
        for i, row in enumerate(_sheet_read(sheet, f"{self.file}, sheet {self.sheet}")):
            if i >= at:
                yield row

    def close(self) -> None:
        """Stop early (the reader stopped reading): no more pieces are cut or parsed."""
        self.stopped = True
        self.pool.shutdown(wait=False, cancel_futures=True)
        for _ in range(2 * WORKERS):  # a cut waiting for a cancelled piece goes on, and stops
            self.ahead.release()


class _Unparsed(Exception):
    """A piece python-calamine could not parse."""


def _numbered_row(buf: bytes, start: int) -> int:
    """Where the first ``<row`` carrying its ``r`` number at or after ``start`` begins, right
    after the end of a row (not inside a comment or CDATA that mentions one); -1: none."""
    at = start
    while found := _NUMBERED.search(buf, at):  # rows without numbers passed over in C
        at = found.start()
        if buf[max(0, at - 64) : at].rstrip().endswith(_ROW_ENDS):
            return at
        at += 4
    return -1


def _estimate(head: bytes, size: int) -> int | None:
    """The sheet's last row number, guessed from the XML read so far (for progress)."""
    at = head.rfind(b"<row")
    last = _NUMBERED.match(head, at) if at >= 0 else None
    return round(int(last.group(1)) * size / len(head)) if last else None

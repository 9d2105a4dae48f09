#!/usr/bin/env python3
"""Benchmark ``fupin fund``: a county year of ledger entries imported, then balance and check.

The baseline, measured in the same run, is reading the same workbook with python-calamine
(``CalamineWorkbook.from_path(p).get_sheet_by_name(n).iter_rows()``), the floor of any import.
Targets: import ≤ 2 × the read; balance and check ≤ 1 s each. The last line printed is one JSON
object with the times (medians, seconds) and the ratio.

    python bench/bench_fund.py                      # 200,000 entries, 451 villages
    python bench/bench_fund.py --entries 20000 --repeat 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import insert
from typer.testing import CliRunner

from fupin_cli.cli.main import app
from fupin_cli.db.engine import open_database
from fupin_cli.db.models import Township, Village

SHEET = "资金台账"
HEADER = [
    "日期",
    "渠道",
    "类型",
    "金额(元)",
    "乡镇",
    "村",
    "项目",
    "户编号",
    "用途",
    "文号",
    "冲销文号",
    "拨付文号",
]
CHANNELS = ["财政投入", "项目整合", "群众自筹", "银行贷款", "社会帮扶"]
PURPOSES = ["产业发展", "基础设施", "教育", "医疗", "住房", "就业", "小额信贷贴息"]
TOWNSHIPS, VILLAGES, POOR = 40, 451, 66
STEPS = ("read", "import", "balance", "balance_by_village", "check")


def village_names() -> list[tuple[str, str, str, bool]]:
    """(township, village, code, poor) for the county: 40 townships, 451 villages, 66 poor."""
    out = []
    for i in range(VILLAGES):
        t = i % TOWNSHIPS
        township = f"乡镇{t + 1:02d}"
        code = f"430725{t + 100:03d}{i + 200:03d}"
        out.append((township, f"村{i + 1:03d}", code, i % (VILLAGES // POOR + 1) == 0))
    return out


def make_database(path: Path) -> None:
    db = open_database(str(path))
    township = Township.__table__  # type: ignore[attr-defined]
    village = Village.__table__  # type: ignore[attr-defined]
    with db.transaction() as conn:
        ids: dict[str, int] = {}
        for t, v, code, poor in village_names():
            if t not in ids:
                ids[t] = conn.execute(insert(township).values(name=t)).inserted_primary_key[0]
            conn.execute(
                insert(village).values(
                    township_id=ids[t],
                    name=v,
                    code=code,
                    is_poor=poor,
                    agricultural_population=1850,
                )
            )
    db.dispose()


def entry_rows(n: int, seed: int = 2016) -> list[list[object]]:
    """Receipts into each channel, allocations to villages from them, disbursements from the
    allocations, a few reversals; every allocation and disbursement within its balance."""
    rng = random.Random(seed)
    villages = village_names()
    year = 2016
    rows: list[list[object]] = []
    receipts = max(50, n // 400)
    allocations = max(100, (n - receipts) * 3 // 10)
    disbursements = n - receipts - allocations - allocations // 50
    day = dt.date(year, 1, 1)

    def date_of(i: int, total: int) -> dt.date:
        return day + dt.timedelta(days=min(364, i * 365 // max(total, 1)))

    per_channel_fen = {}
    for i in range(receipts):
        ch = CHANNELS[i % len(CHANNELS)]
        fen = rng.randrange(5_000_000, 20_000_000) * 100
        per_channel_fen[ch] = per_channel_fen.get(ch, 0) + fen
        rows.append([date_of(0, 1), ch, "到位", fen / 100, "", "", "", "", "", f"R{i:06d}", "", ""])
    allocs = []
    for i in range(allocations):
        ch = CHANNELS[i % len(CHANNELS)]
        t, v, code, _poor = villages[i % len(villages)]
        fen = rng.randrange(5_000, 50_000) * 100
        doc = f"A{i:06d}"
        allocs.append([doc, fen])
        rows.append(
            [
                date_of(i, allocations),
                ch,
                "拨付",
                fen / 100,
                t,
                v,
                "",
                "",
                PURPOSES[i % len(PURPOSES)],
                doc,
                "",
                "",
            ]
        )
        if i % 50 == 49:  # a partial reversal of an earlier allocation
            target = allocs[i - 10]
            part = target[1] // 10
            target[1] -= part
            rows.append(
                [
                    date_of(i, allocations),
                    ch,
                    "冲销",
                    part / 100,
                    t,
                    "",
                    "",
                    "",
                    "",
                    f"X{i:06d}",
                    target[0],
                    "",
                ]
            )
    for i in range(disbursements):
        fen = 0
        while fen < 100:  # an allocation with at least 1 yuan left
            target = allocs[rng.randrange(len(allocs))]
            fen = min(target[1], rng.randrange(500, 8_000) * 100)
        target[1] -= fen
        rows.append(
            [
                dt.date(year, 12, 31),
                "",
                "支出",
                fen / 100,
                "",
                "",
                "",
                "",
                "",
                f"D{i:06d}",
                "",
                target[0],
            ]
        )
    return rows


def write_workbook(path: Path, rows: list[list[object]], writer: str = "openpyxl") -> None:
    """openpyxl writes strings inline in the sheet; xlsxwriter in a shared-strings part, as
    Excel and WPS save a workbook."""
    if writer == "xlsxwriter":
        import xlsxwriter

        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet(SHEET)
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_row(0, 0, HEADER)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, value, day)
                elif value is not None:
                    sheet.write(r, c, value)
        book.close()
        return
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    wb.save(path)


def calamine_read(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    n = 0
    for _row in CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).iter_rows():
        n += 1
    return n


def timed(fn, *args) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result). The CPU time is the steadier figure
    on a shared machine: every step runs in this process (the CLI through CliRunner)."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return time.perf_counter() - start, time.process_time() - cpu, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each step (median reported)")
    ap.add_argument("--keep", type=Path, help="keep the workbook and database in this folder")
    ap.add_argument(
        "--writer",
        choices=("openpyxl", "xlsxwriter"),
        default="openpyxl",
        help="openpyxl: strings inline (default); xlsxwriter: shared strings, as Excel saves",
    )
    args = ap.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_fund_"))
    work.mkdir(parents=True, exist_ok=True)
    book = work / "fund.xlsx"
    t0 = time.perf_counter()
    rows = entry_rows(args.entries)
    write_workbook(book, rows, args.writer)
    print(
        f"generated {len(rows):,} entries with {args.writer} → {book} "
        f"({book.stat().st_size / 1e6:.1f} MB) "
        f"in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )

    runner = CliRunner()
    wall: dict[str, list[float]] = {k: [] for k in STEPS}
    cpu: dict[str, list[float]] = {k: [] for k in STEPS}

    def step(name: str, fn, *args):
        secs, cpu_secs, out = timed(fn, *args)
        wall[name].append(secs)
        cpu[name].append(cpu_secs)
        return out

    for r in range(args.repeat):
        n = step("read", calamine_read, book)
        db = work / f"fund{r}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        make_database(db)
        res = step(
            "import",
            runner.invoke,
            app,
            ["--db", str(db), "fund", "import", str(book), "-f", "json"],
        )
        assert res.exit_code == 0, res.output
        summary = json.loads(res.stdout)
        assert summary["entries_added"] == len(rows), summary
        print(
            f"run {r + 1}: read {wall['read'][-1]:.2f} s (cpu {cpu['read'][-1]:.2f}, {n:,} rows), "
            f"import {wall['import'][-1]:.2f} s (cpu {cpu['import'][-1]:.2f})",
            file=sys.stderr,
        )
    for _ in range(max(3, args.repeat)):
        res = step(
            "balance", runner.invoke, app, ["--db", str(db), "fund", "balance", "-f", "json"]
        )
        assert res.exit_code == 0, res.output
        village = ["fund", "balance", "--by", "village", "--year", "2016", "-f", "json"]
        res = step("balance_by_village", runner.invoke, app, ["--db", str(db), *village])
        assert res.exit_code == 0, res.output
        check = ["fund", "check", "--year", "2016", "-f", "json"]
        res = step("check", runner.invoke, app, ["--db", str(db), *check])
        assert res.exit_code in (0, 1), res.output
    rules = json.loads(res.stdout)["rules"]
    med = statistics.median
    w = {k: med(v) for k, v in wall.items()}
    c = {k: med(v) for k, v in cpu.items()}
    result = {
        "entries": len(rows),
        "writer": args.writer,
        **{f"{k}_s": round(v, 3) for k, v in w.items()},
        "import_over_read": round(w["import"] / w["read"], 2),
        **{f"{k}_cpu_s": round(v, 3) for k, v in c.items()},
        "import_over_read_cpu": round(c["import"] / c["read"], 2),
        "rules_checked": len(rules),
        "targets_met": w["import"] <= 2 * w["read"]
        and max(w["balance"], w["balance_by_village"], w["check"]) <= 1,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

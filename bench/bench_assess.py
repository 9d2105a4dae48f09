#!/usr/bin/env python3
"""Benchmark ``fupin assess`` and ``fupin report --mpi`` on the county of ``bench_report``.

The county is ``bench_report``'s (built once and cached under ``bench/out/``; see that script).
Measured in one run, on a fresh copy of it (wall times of ``fupin`` in a subprocess, Python
start-up included, medians of ``--repeat``):

* baseline ``count``: ``SELECT count(*) FROM person`` with plain sqlite3;
* ``sample``: ``fupin assess sample --year 2016 --seed 1 -o SURVEY.xlsx`` (10 villages × 20);
* ``import``: ``fupin assess import`` of that survey filled at random (``random.Random(seed)``:
  a verified income around the line, each 是/否 否 with probability 0.05, 认可 是 with 0.95);
* ``report``: ``fupin assess report --year 2016 --format json`` (exit 1 on a failed exit test is
  a result, not an error);
* ``mpi``: ``fupin report --year 2016 --mpi --format json``.

Target: each ≤ 3 s. The last line is one JSON object. Exit 0 when the targets pass, 1 otherwise.

    python bench/bench_assess.py                      # county scale (first run builds: minutes)
    python bench/bench_assess.py --households 20000 --visits 3200 --entries 16000 --quota 2120
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_report import OUT, count_once, ensure_county, fresh_copy, fupin_cmd, say  # noqa: E402

TARGET_S = 3.0
YEAR = "2016"


def timed(argv: list[str], ok=(0,)) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - t0
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return took


def fill(survey: Path, filled: Path, seed: int) -> int:
    """The drawn survey with every household's answers filled at random."""
    from openpyxl import load_workbook

    rng = random.Random(seed)
    wb = load_workbook(survey)
    ws = wb.active
    n = 0
    for row in ws.iter_rows(min_row=2):
        n += 1
        row[8].value = round(rng.uniform(2000, 8000), 2)
        for cell in row[9:14]:
            cell.value = "否" if rng.random() < 0.05 else "是"
        row[14].value = "是" if rng.random() < 0.95 else "否"
        row[15].value, row[16].value = "调查员", "2016-12-05"
    wb.save(filled)
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for flag, default in (
        ("--households", 250_000), ("--seed", 1), ("--quota", 26_500), ("--visits", 40_000),
        ("--entries", 200_000), ("--repeat", 3),
    ):  # fmt: skip
        parser.add_argument(flag, type=int, default=default)
    parser.add_argument("--k", default="0.3")
    parser.add_argument("--per-cadre", type=float, default=2.5)
    args = parser.parse_args(argv)
    county = ensure_county(args)
    work = fresh_copy(county, "assess-work.db")
    med = statistics.median
    count_s = med(count_once(work) for _ in range(args.repeat))
    base = [*fupin_cmd(), "--db", str(work), "--quiet"]
    survey, filled = OUT / "assess-survey.xlsx", OUT / "assess-filled.xlsx"
    sample_s = med(
        timed([*base, "assess", "sample", "--year", YEAR, "--seed", "1", "-o", str(survey)])
        for _ in range(args.repeat)
    )
    rows = fill(survey, filled, args.seed)
    import_s = med(
        timed([*base, "assess", "import", str(filled), "--year", YEAR]) for _ in range(args.repeat)
    )
    report_s = med(
        timed([*base, "assess", "report", "--year", YEAR, "--format", "json"], ok=(0, 1))
        for _ in range(args.repeat)
    )
    mpi_s = med(
        timed([*base, "report", "--year", YEAR, "--mpi", "--format", "json"], ok=(0, 1))
        for _ in range(args.repeat)
    )
    results = {"sample_s": sample_s, "import_s": import_s, "report_s": report_s, "mpi_s": mpi_s}
    print(f"{'count(*) person (baseline)':<30} {count_s:8.4f} s")
    for name, secs in results.items():
        verdict = "ok" if secs <= TARGET_S else "FAIL"
        print(f"{name:<30} {secs:8.3f} s  target <= {TARGET_S:g} s {verdict}")
    ok = all(s <= TARGET_S for s in results.values())
    say(f"survey rows filled: {rows}")
    print(json.dumps({"bench": "assess", "count_s": count_s, **results, "rows": rows, "ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

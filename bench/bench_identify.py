#!/usr/bin/env python3
"""Benchmark ``fupin identify`` on a county-scale roster against its floor and against pandas.

One run measures, each in its own subprocess (wall time + peak RSS from ``os.wait4``):

(a) baseline  python-calamine read (first visible sheet with the header, ``iter_rows``) + raw
              ``sqlite3.executemany`` of every non-blank row (27 columns as they come, dates to
              isoformat) and one row per distinct 户编号 into a fresh SQLite file, one transaction.
              The floor: read + raw insert, no validation.
(b) identify  ``fupin --db NEW --quiet identify ROSTER --villages V --as-of 2016-09-30
              --format json`` on a fresh database.
(c) pandas    ``pandas.read_excel(path, sheet_name=…, header=…, dtype=str)`` (openpyxl) +
              ``DataFrame.to_sql(…, sqlite3 connection, index=False)`` (plus the same blank-row
              drop and households table as (a), which cost next to nothing).
(d) rerun     (b) again on the same database: must change nothing but ``batch`` (checked by
              hashing every other table before and after, outside the timing).

Targets: (b) ≤ 2.0 × (a); (b) < (c); peak RSS of (b) ≤ 2048 MB; (d) ≤ 1.2 × (b).
The last line of stdout is one JSON object (see ``summary`` below). Exit 0 when every target and
check passes, 1 when one fails, 2 when a run broke.

The roster is generated with ``bench/gen_roster.py --title --subtotals --blank-rows --faults 90``
(messy like real input) and cached under ``bench/out/`` keyed by size and seed.

Examples::

    python bench/bench_identify.py --households 20000            # quick, ~1 min
    python bench/bench_identify.py                               # county: 250,000 households
    python bench/bench_identify.py --households 20000 --skip-pandas
    python bench/bench_identify.py --roster my.xlsx --villages villages.xlsx
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
GEN = HERE / "gen_roster.py"
AS_OF = "2016-09-30"
FAULTS = 90
GEN_FLAGS = ["--title", "--subtotals", "--blank-rows", "--faults", str(FAULTS)]

# Targets
MAX_RATIO_BASELINE = 2.0
MAX_RSS_MB = 2048
MAX_RERUN_RATIO = 1.2

HEADER_KEYS = ("户编号", "身份证号")  # a row holding both is the header
HID = "户编号"
HOUSEHOLD_NAMES = ("乡镇", "村", "组", "户编号", "户主姓名")
HOUSEHOLD_FROM = "家庭年人均纯收入(元)"  # this column and every one after it are household columns


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Workers (run in their own subprocess: python bench_identify.py --_worker KIND ...)
# --------------------------------------------------------------------------------------------


def _qi(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _column_names(header: list) -> list[str]:
    names, seen = [], set()
    for i, h in enumerate(header):
        n = str(h).strip() if h not in (None, "") else f"col{i + 1}"
        while n in seen:
            n += "_"
        seen.add(n)
        names.append(n)
    return names


def _household_cols(names: list[str]) -> list[int]:
    start = names.index(HOUSEHOLD_FROM) if HOUSEHOLD_FROM in names else len(names)
    cols = [i for i, n in enumerate(names) if n in HOUSEHOLD_NAMES or i >= start]
    return cols or [names.index(HID)]


def _create(con: sqlite3.Connection, table: str, names: list[str]) -> None:
    con.execute(f"CREATE TABLE {table} ({', '.join(_qi(n) for n in names)})")


def worker_baseline(roster: str, db: str) -> dict:
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    t0 = time.perf_counter()
    wb = CalamineWorkbook.from_path(roster)
    sheet = rows = header = None
    header_index = 0
    for meta in wb.sheets_metadata:
        if meta.visible != SheetVisibleEnum.Visible:
            continue
        sh = wb.get_sheet_by_name(meta.name)
        it = sh.iter_rows()
        for i, r in enumerate(it):
            if i >= 50:
                break
            cells = {str(v).strip() for v in r}
            if all(k in cells for k in HEADER_KEYS):
                sheet, rows, header = meta.name, it, r
                header_index = sh.start[0] + i if sh.start else i
                break
        if sheet is not None:
            break
    if sheet is None:
        raise SystemExit(f"no visible sheet with a header ({', '.join(HEADER_KEYS)}) in {roster}")
    names = _column_names(header)
    width = len(names)
    simple = (str, int, float)

    def conv(v):
        if v == "":
            return None
        t = type(v)
        if t in simple:
            return v
        if t is bool:
            return int(v)
        if isinstance(v, (dt.date, dt.time)):  # date, datetime, time
            return v.isoformat()
        return str(v)  # timedelta and anything else

    data = []
    for r in rows:
        row = [conv(v) for v in r[:width]]
        if len(row) < width:
            row += [None] * (width - len(row))
        for v in row:
            if v is not None:
                data.append(row)
                break
    t_read = time.perf_counter() - t0

    hid = names.index(HID)
    hcols = _household_cols(names)
    households: dict = {}
    for row in data:
        k = row[hid]
        if k is not None and k not in households:
            households[k] = [row[i] for i in hcols]

    t1 = time.perf_counter()
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("BEGIN")
    _create(con, "roster", names)
    con.executemany(f"INSERT INTO roster VALUES ({', '.join('?' * width)})", data)
    _create(con, "household", [names[i] for i in hcols])
    con.executemany(
        f"INSERT INTO household VALUES ({', '.join('?' * len(hcols))})", households.values()
    )
    con.execute("COMMIT")
    con.close()
    t_insert = time.perf_counter() - t1
    return {
        "rows": len(data),
        "households": len(households),
        "sheet": sheet,
        "header_index": header_index,
        "read_s": round(t_read, 2),
        "insert_s": round(t_insert, 2),
    }


def worker_pandas(roster: str, db: str, sheet: str, header_index: int) -> dict:
    t0 = time.perf_counter()
    import pandas as pd

    df = pd.read_excel(roster, sheet_name=sheet, header=header_index, dtype=str, engine="openpyxl")
    df = df.dropna(how="all")
    t_read = time.perf_counter() - t0
    t1 = time.perf_counter()
    con = sqlite3.connect(db)
    df.to_sql("roster", con, index=False)
    names = [str(c) for c in df.columns]
    households = 0
    if HID in names:
        hh = df.dropna(subset=[HID]).drop_duplicates(subset=[HID])
        hh = hh[[names[i] for i in _household_cols(names)]]
        hh.to_sql("household", con, index=False)
        households = len(hh)
    con.commit()
    con.close()
    return {
        "rows": len(df),
        "households": households,
        "read_s": round(t_read, 2),
        "insert_s": round(time.perf_counter() - t1, 2),
    }


def run_worker(argv: list[str]) -> int:
    kind, *rest = argv
    if kind == "baseline":
        out = worker_baseline(*rest)
    elif kind == "pandas":
        roster, db, sheet, header_index = rest
        out = worker_pandas(roster, db, sheet, int(header_index))
    else:
        raise SystemExit(f"unknown worker {kind}")
    print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


class Run:
    def __init__(self, name: str, cmd: list[str], workdir: Path):
        self.name, self.cmd, self.workdir = name, cmd, workdir
        self.wall = self.rss_mb = None
        self.rc: int | None = None
        self.stdout = self.stderr = ""
        self.json: dict | None = None

    def measure(self) -> Run:
        out_p = self.workdir / f"{self.name}.stdout"
        err_p = self.workdir / f"{self.name}.stderr"
        say(f"[{self.name}] {' '.join(self.cmd)}")
        with open(out_p, "wb") as out, open(err_p, "wb") as err:
            t0 = time.perf_counter()
            p = subprocess.Popen(self.cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
            _pid, status, ru = os.wait4(p.pid, 0)
            self.wall = time.perf_counter() - t0
        p.returncode = self.rc = os.waitstatus_to_exitcode(status)
        # ru_maxrss: KiB on Linux (bytes on macOS); covers the child and any children it reaped.
        scale = 1024 * 1024 if sys.platform == "darwin" else 1024
        self.rss_mb = ru.ru_maxrss / scale
        self.stdout = out_p.read_text(encoding="utf-8", errors="replace")
        self.stderr = err_p.read_text(encoding="utf-8", errors="replace")
        try:
            self.json = json.loads(self.stdout)
        except ValueError:
            lines = [ln for ln in self.stdout.splitlines() if ln.startswith("{")]
            try:
                self.json = json.loads(lines[-1]) if lines else None
            except ValueError:
                self.json = None
        say(f"[{self.name}] exit {self.rc}, {self.wall:.1f} s, peak RSS {self.rss_mb:.0f} MB")
        if self.rc not in (0, 1) or self.json is None:
            say(f"[{self.name}] stderr (tail):\n" + self.stderr[-3000:])
        return self


def db_digest(path: Path) -> dict[str, str]:
    """sha256 of every table's rows (in primary-key order) except ``batch``."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = {}
    try:
        for (name,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        ):
            if name == "batch":
                continue
            pk = [r[1] for r in con.execute(f"PRAGMA table_info({_qi(name)})") if r[5]]
            order = ", ".join(_qi(c) for c in pk) if pk else "rowid"
            h = hashlib.sha256()
            n = 0
            for row in con.execute(f"SELECT * FROM {_qi(name)} ORDER BY {order}"):
                h.update(repr(row).encode())
                n += 1
            out[name] = f"{n}:{h.hexdigest()}"
    finally:
        con.close()
    return out


# --------------------------------------------------------------------------------------------
# Roster
# --------------------------------------------------------------------------------------------


def ensure_roster(households: int, seed: int) -> tuple[Path, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    key = f"h{households}-s{seed}-f{FAULTS}-tsb"
    roster, villages = OUT / f"roster-{key}.xlsx", OUT / f"villages-{key}.xlsx"
    if roster.exists() and villages.exists():
        say(f"using cached {roster.relative_to(HERE.parent)}")
        return roster, villages
    tmp_r, tmp_v = roster.with_suffix(".tmp.xlsx"), villages.with_suffix(".tmp.xlsx")
    cmd = [
        sys.executable,
        str(GEN),
        "-o",
        str(tmp_r),
        "--households",
        str(households),
        "--seed",
        str(seed),
        *GEN_FLAGS,
        "--villages-out",
        str(tmp_v),
    ]
    say(f"generating {roster.name} (not timed): {' '.join(cmd[1:])}")
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    os.replace(tmp_v, villages)
    os.replace(tmp_r, roster)
    say(f"generated in {time.perf_counter() - t0:.0f} s")
    return roster, villages


def fupin_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "fupin"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "fupin_cli"]


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

COUNT_KEYS = (
    "rows_read",
    "rows_rejected",
    "households",
    "persons",
    "identified",
    "review",
    "not_identified",
    "newly_identified",
    "proposed_exit",
    "exited",
    "returned",
    "removed",
    "moves",
    "villages_read",
    "villages_created",
    "villages_updated",
)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--_worker":
        return run_worker(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--households",
        type=int,
        default=250_000,
        help="households to generate (default 250000, county scale)",
    )
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    ap.add_argument("--roster", type=Path, help="use this roster .xlsx instead of generating one")
    ap.add_argument("--villages", type=Path, help="villages workbook for --roster")
    ap.add_argument("--skip-pandas", action="store_true", help="skip (c); pandas_s is null")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (databases, logs)")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="also print a cProfile top-40 (cumulative) of identify (not timed)",
    )
    args = ap.parse_args(argv)

    if args.roster:
        roster = args.roster.resolve()
        villages = args.villages.resolve() if args.villages else None
        if roster.suffix.lower() != ".xlsx":
            ap.error("--roster must be an .xlsx file")
    else:
        roster, villages = ensure_roster(args.households, args.seed)

    work = OUT / f"work-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    py = sys.executable
    me = str(Path(__file__).resolve())
    fupin = fupin_cmd()
    id_db = work / "identify.db"

    def identify_cmd(errors: str) -> list[str]:
        cmd = [*fupin, "--db", str(id_db), "--quiet", "identify", str(roster)]
        if villages:
            cmd += ["--villages", str(villages)]
        return cmd + ["--as-of", AS_OF, "--format", "json", "--errors", str(work / errors)]

    broken: list[str] = []
    a = Run(
        "baseline", [py, me, "--_worker", "baseline", str(roster), str(work / "a.db")], work
    ).measure()
    if a.rc != 0 or not a.json:
        broken.append("baseline")
    b = Run("identify", identify_cmd("identify.errors.xlsx"), work).measure()
    if b.rc not in (0, 1) or not b.json:
        broken.append("identify")
    digest_b = db_digest(id_db) if id_db.exists() else {}
    c = None
    if not args.skip_pandas:
        if a.json:
            c = Run(
                "pandas",
                [
                    py,
                    me,
                    "--_worker",
                    "pandas",
                    str(roster),
                    str(work / "c.db"),
                    a.json["sheet"],
                    str(a.json["header_index"]),
                ],
                work,
            ).measure()
            if c.rc != 0 or not c.json:
                broken.append("pandas")
        else:
            say("[pandas] skipped: the baseline found no sheet/header")
            broken.append("pandas")
    d = Run("rerun", identify_cmd("rerun.errors.xlsx"), work).measure()
    if d.rc not in (0, 1) or not d.json:
        broken.append("rerun")
    digest_d = db_digest(id_db) if id_db.exists() else {}
    changed = sorted(k for k in set(digest_b) | set(digest_d) if digest_b.get(k) != digest_d.get(k))

    # ---- numbers
    n = (b.json or {}).get("rows_read") or (a.json or {}).get("rows") or 0

    def t(r):
        return None if r is None or r.wall is None else round(r.wall, 2)

    def ratio(x, y):
        return None if x is None or not y else round(x / y, 2)

    summary = {
        "rows": n,
        "baseline_s": t(a),
        "identify_s": t(b),
        "pandas_s": t(c),
        "rerun_s": t(d),
        "ratio_baseline": ratio(t(b), t(a)),
        "ratio_pandas": ratio(t(b), t(c)),
        "peak_rss_mb": round(b.rss_mb) if b.rss_mb is not None else None,
        "rerun_ratio": ratio(t(d), t(b)),
        "baseline_rss_mb": round(a.rss_mb) if a.rss_mb is not None else None,
        "pandas_rss_mb": round(c.rss_mb) if c and c.rss_mb is not None else None,
    }

    # ---- human report (stdout; the JSON line comes last)
    size = roster.stat().st_size / 1e6
    print()
    print(f"roster   {roster.name} ({size:.0f} MB), villages {villages.name if villages else '-'}")
    print(f"rows     {n:,} person rows (identify rows_read); rows/s below use this N")
    print()
    print(f"{'run':<34}{'exit':>5}{'wall s':>9}{'rows/s':>10}{'peak RSS MB':>13}  detail")
    for label, r in (
        ("(a) baseline calamine+sqlite3", a),
        ("(b) fupin identify", b),
        ("(c) pandas read_excel+to_sql", c),
        ("(d) fupin identify (re-run)", d),
    ):
        if r is None:
            print(f"{label:<34}{'-':>5}{'skipped':>9}")
            continue
        rate = f"{n / r.wall:,.0f}" if n and r.wall else "-"
        j = r.json or {}
        if "read_s" in j:
            detail = (
                f"read {j['read_s']} s + insert {j['insert_s']} s; {j['rows']:,} rows, "
                f"{j['households']:,} households"
            )
        elif j:
            detail = f"households {j.get('households')}, rejected rows {j.get('rows_rejected')}"
        else:
            detail = "no output"
        print(f"{label:<34}{r.rc:>5}{r.wall:>9.1f}{rate:>10}{r.rss_mb:>13.0f}  {detail}")
    print()

    checks: list[tuple[str, str, bool | None]] = []

    def check(name, shown, ok):
        checks.append((name, shown, ok))

    rb = summary["ratio_baseline"]
    check(
        f"(b) <= {MAX_RATIO_BASELINE:g} x (a)",
        f"{rb} x" if rb is not None else "n/a",
        None if rb is None else rb <= MAX_RATIO_BASELINE,
    )
    rp = summary["ratio_pandas"]
    check(
        "(b) < (c)", f"{rp} x" if rp is not None else "skipped", None if rp is None else t(b) < t(c)
    )
    check(
        f"peak RSS (b) <= {MAX_RSS_MB} MB",
        f"{summary['peak_rss_mb']} MB",
        None if b.rss_mb is None else b.rss_mb <= MAX_RSS_MB,
    )
    rr = summary["rerun_ratio"]
    check(
        f"(d) <= {MAX_RERUN_RATIO:g} x (b)",
        f"{rr} x" if rr is not None else "n/a",
        None if rr is None else rr <= MAX_RERUN_RATIO,
    )
    hh = (b.json or {}).get("households") or 0
    check(
        "(b) exit 0|1 and households > 0",
        f"exit {b.rc}, households {hh:,}",
        b.rc in (0, 1) and hh > 0,
    )
    check(
        "(d) exit 0|1, changes nothing but batch",
        f"exit {d.rc}, changed: {', '.join(changed) or 'none'}",
        d.rc in (0, 1) and bool(digest_d) and not changed,
    )
    print("targets")
    for name, shown, ok in checks:
        mark = "n/a " if ok is None else ("PASS" if ok else "FAIL")
        print(f"  {mark}  {name:<42} {shown}")
    print()

    print(f"{'identify json':<20}{'(b)':>12}{'(d) re-run':>12}")
    for k in COUNT_KEYS:
        vb, vd = (b.json or {}).get(k), (d.json or {}).get(k)
        if vb is None and vd is None:
            continue
        print(f"  {k:<18}{'' if vb is None else vb:>12}{'' if vd is None else vd:>12}")
    print()

    if args.profile:
        prof = [
            sys.executable,
            "-m",
            "cProfile",
            "-s",
            "cumtime",
            "-m",
            "fupin_cli",
            *identify_cmd("profile.errors.xlsx")[len(fupin) :],
        ]
        prof[prof.index(str(id_db))] = str(work / "profile.db")
        say("[profile] " + " ".join(prof))
        res = subprocess.run(prof, capture_output=True, text=True)
        lines = res.stdout.splitlines()
        start = next((i for i, ln in enumerate(lines) if "function calls" in ln), 0)
        print("\n".join(lines[start : start + 50]))
        print()

    if args.keep:
        say(f"work dir kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)

    print(json.dumps(summary), flush=True)
    if broken:
        return 2
    return 0 if all(ok is not False for _, _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

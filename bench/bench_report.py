#!/usr/bin/env python3
"""Benchmark ``fupin report --quarter`` on a county-scale register, in json and in xlsx.

The county (built once, cached under ``bench/out/``, not timed):

* the 250,000-household roster of ``bench_identify`` (``bench/gen_roster.py``, cached there too),
  loaded by ``fupin identify --as-of 2016-01-15`` with a bench policy: ``[identify] k = 0.3`` and
  ``quota = 26500`` (the 26,500 most deprived households stay identified, the rest of those
  over k go to review) — about 80,000 registered poor people. (At the shipped k = 0.4 the
  roster yields ~49,000 people, at k = 0.3 ~94,000; the generated scores are coarse steps, so
  the quota does the fine tuning.) Everything is identified on 2016-01-15, so the 2016Q3 report
  counts the stock at the quarter's end and no new status events in it;
* ``fupin classify --as-of 2016-01-15``;
* cadres and work teams from ``bench/gen_assign.py`` imported with ``fupin assign cadres|teams``
  (one cadre per 2.5 households + students to pair, so that the shipped capacities of 3–5 pairs
  suffice and the report, run with the shipped policy, sees no cadre over capacity), then
  ``fupin assign pair --as-of 2016-01-15`` (every household and student paired);
* a year of visits (2016-01-15 … 2016-12-31, default 40,000 rows) inserted directly with
  ``sqlite3.executemany`` on the household pairs in force (one ``batch`` row for them), kinds,
  money and problems drawn as ``gen_assign.py --visits`` draws them;
* 200,000 ledger entries for 2016 written to an xlsx and imported with ``fupin fund import``:
  receipts per channel in four tranches (the first day of each quarter), allocations to every
  village through the year, a partial reversal every 50 allocations, and disbursements dated
  between their allocation and the year's end (the mix of ``bench_fund.py``).

Measured in one run, on a fresh copy of the cached database:

* baseline ``count``: ``SELECT count(*) FROM person`` with plain sqlite3 (connect, count, close),
  median of ``--repeat``;
* ``build``: ``fupin_cli.reports.quarterly.build(conn, parse_period('2016Q3'), load_policy())``
  in this process, median of ``--repeat``;
* ``json``: ``fupin --db DB report --quarter 2016Q3 --format json > /dev/null`` in a subprocess,
  median of ``--repeat`` wall times (Python start and imports included, shown as ``fupin
  --version``);
* ``xlsx``: ``fupin --db DB report --quarter 2016Q3 --format xlsx -o OUT.xlsx``, likewise.

Targets: json ≤ 3 s, xlsx ≤ 10 s. A human table goes to stdout, then (when a target is missed,
or with ``--profile``) the cProfile top 25 of ``build``; the last line is one JSON object.
Exit 0 when the targets pass, 1 when one fails.

    python bench/bench_report.py                       # county scale (first run builds: minutes)
    python bench/bench_report.py --households 20000 --visits 3200 --entries 16000 --quota 2120
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import math
import os
import pstats
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

from bench_identify import ensure_roster  # noqa: E402

AS_OF = "2016-01-15"  # identification, classification and pairing
YEAR = 2016
QUARTER = "2016Q3"
TARGETS = {"json_s": 3.0, "xlsx_s": 10.0}
POLICY = """[policy]
version = "bench-report"
[identify]
k = {k}
quota = {quota}
"""
FUND_SHEET = "资金台账"
FUND_HEADER = [
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
PROBLEMS = [
    "房屋漏雨需维修",
    "孩子上学费用困难",
    "看病报销手续不清楚",
    "想参加技能培训",
    "缺少产业启动资金",
    "饮水不稳定",
    "申请小额信贷",
    "希望外出务工介绍",
]


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def fupin_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "fupin"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "fupin_cli"]


def run_fupin(db: Path, *args: str, ok=(0,)) -> dict:
    """One setup command (not timed); its json summary."""
    argv = [*fupin_cmd(), "--db", str(db), "--quiet", *args, "-f", "json"]
    t0 = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode not in ok:
        raise SystemExit(
            f"{' '.join(argv[3:])} failed with exit {done.returncode}: {done.stderr.strip()[-2000:]}"
        )
    say(f"  fupin {args[0]} {args[1] if len(args) > 1 else ''}: {time.perf_counter() - t0:.0f} s")
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        return {}


# --------------------------------------------------------------------------------------------
# Building the county (cached)
# --------------------------------------------------------------------------------------------


def add_visits(db: Path, n: int, seed: int) -> int:
    """``n`` visits in 2016 on the household pairs in force, with plain sqlite3 executemany."""
    rng = random.Random(seed)
    con = sqlite3.connect(db)
    pairs = con.execute(
        "SELECT cadre_id, household_id, start_date FROM pairing "
        "WHERE kind = 'household' AND end_date IS NULL ORDER BY id"
    ).fetchall()
    if not pairs:
        raise SystemExit("no household pairs in force: cannot make visits")
    (batch,) = con.execute(
        "INSERT INTO batch (command, arguments, counts, started_at, finished_at, outcome) "
        "VALUES ('bench_report visits', '{}', ?, ?, ?, 'ok') RETURNING id",
        (json.dumps({"visits": n}), f"{AS_OF}T00:00:00+08:00", f"{AS_OF}T00:00:01+08:00"),
    ).fetchone()
    year_end = dt.date(YEAR, 12, 31)
    seen: set[tuple] = set()
    rows = []
    while len(rows) < n:
        cadre, household, start = pairs[int(rng.random() * len(pairs))]
        first = max(dt.date.fromisoformat(start), dt.date(YEAR, 1, 1))
        day = first + dt.timedelta(days=rng.randrange((year_end - first).days + 1))
        r = rng.random()
        kind = "走访" if r < 0.6 else "慰问" if r < 0.8 else "办实事" if r < 0.95 else "宣讲"
        money = rng.choice((200, 300, 500, 800, 1000)) * 100 if kind == "慰问" else 0
        goods = rng.choice((0, 100, 150, 300)) * 100 if kind == "慰问" else 0
        deeds = 1 + (rng.random() < 0.3) if kind == "办实事" else 0
        problem = rng.choice(PROBLEMS) if rng.random() < 0.3 else ""
        solved = (rng.random() < 0.6) if problem else None
        key = (day, cadre, household, kind, problem)
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            (day.isoformat(), cadre, household, kind, money, goods, deeds, problem, solved, batch)
        )
    rows.sort()
    con.executemany(
        "INSERT INTO visit (date, cadre_id, household_id, kind, money_fen, goods_fen, deeds, "
        "problem, solved, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    con.commit()
    con.close()
    return len(rows)


def ledger_rows(villages: list[tuple[str, str]], n: int, seed: int) -> list[list]:
    """Receipts per channel (four tranches), allocations to villages through the year, a partial
    reversal every 50 allocations, disbursements from the allocations dated between the
    allocation and the year's end; every allocation and disbursement within its balance in file
    order (the shape of bench_fund.entry_rows)."""
    rng = random.Random(seed)
    receipts = max(50, n // 400)
    allocations = max(100, (n - receipts) * 3 // 10)
    disbursements = n - receipts - allocations - allocations // 50
    jan1, dec31 = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
    tranches = [dt.date(YEAR, m, 1) for m in (1, 4, 7, 10)]
    rows: list[list] = []
    for i in range(receipts):
        ch = CHANNELS[i % len(CHANNELS)]
        fen = rng.randrange(5_000_000, 20_000_000) * 100
        day = tranches[(i // len(CHANNELS)) % 4]
        rows.append([day, ch, "到位", fen / 100, "", "", "", "", "", f"R{i:06d}", "", ""])
    allocs: list[list] = []  # [doc, unspent fen, date]
    for i in range(allocations):
        ch = CHANNELS[i % len(CHANNELS)]
        township, village = villages[i % len(villages)]
        fen = rng.randrange(5_000, 50_000) * 100
        day = jan1 + dt.timedelta(days=min(364, i * 365 // allocations))
        doc = f"A{i:06d}"
        allocs.append([doc, fen, day])
        purpose = PURPOSES[i % len(PURPOSES)]
        rows.append([day, ch, "拨付", fen / 100, township, village, "", "", purpose, doc, "", ""])
        if i % 50 == 49:  # a partial reversal of an earlier allocation
            target = allocs[i - 10]
            part = target[1] // 10
            target[1] -= part
            rows.append(
                [day, ch, "冲销", part / 100, township, "", "", "", "", f"X{i:06d}", target[0], ""]
            )
    for i in range(disbursements):
        fen = 0
        while fen < 100:  # an allocation with at least 1 yuan left
            target = allocs[rng.randrange(len(allocs))]
            fen = min(target[1], rng.randrange(500, 8_000) * 100)
        target[1] -= fen
        day = target[2] + dt.timedelta(days=rng.randrange((dec31 - target[2]).days + 1))
        rows.append([day, "", "支出", fen / 100, "", "", "", "", "", f"D{i:06d}", "", target[0]])
    return rows


def write_ledger(path: Path, rows: list[list]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(FUND_SHEET)
    ws.append(FUND_HEADER)
    for row in rows:
        ws.append(row)
    wb.save(path)


def ensure_county(args) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    key = (
        f"h{args.households}-s{args.seed}-k{args.k}-q{args.quota}"
        f"-c{args.per_cadre}-v{args.visits}-e{args.entries}"
    )
    db = OUT / f"report-{key}.db"
    if db.exists():
        say(f"using cached {db.relative_to(HERE.parent)}")
        return db
    roster, villages = ensure_roster(args.households, args.seed)
    work = OUT / f"report-build-{os.getpid()}"
    work.mkdir()
    t_all = time.perf_counter()
    try:
        policy = work / "policy.toml"
        policy.write_text(POLICY.format(k=args.k, quota=args.quota), encoding="utf-8")
        tmp = work / "county.db"
        say(f"building {db.name} (not timed)")
        ident = run_fupin(
            tmp,
            "identify",
            str(roster),
            "--villages",
            str(villages),
            "--as-of",
            AS_OF,
            "--policy",
            str(policy),
            "--errors",
            str(work / "identify-errors.xlsx"),
            ok=(0, 1),  # 1: the roster's 90 faulty households are rejected, as intended
        )
        say(f"    identified {ident.get('identified')}, review {ident.get('review')}")
        run_fupin(tmp, "classify", "--as-of", AS_OF, "--policy", str(policy))
        from gen_assign import demand

        con = sqlite3.connect(tmp)
        need = sum(d for _t, _n, d in demand(con))
        con.close()
        n_cadres = math.ceil(need / args.per_cadre)
        gen = [sys.executable, str(HERE / "gen_assign.py"), "--db", str(tmp), "--seed", "1"]
        cadres = ["--cadres", str(work / "cadres.xlsx"), "--cadre-count", str(n_cadres)]
        subprocess.run([*gen, *cadres], check=True)
        subprocess.run([*gen, "--teams", str(work / "teams.xlsx")], check=True)
        run_fupin(tmp, "assign", "cadres", str(work / "cadres.xlsx"))
        run_fupin(tmp, "assign", "teams", str(work / "teams.xlsx"))
        pair = run_fupin(tmp, "assign", "pair", "--as-of", AS_OF, "--policy", str(policy))
        say(
            f"    {n_cadres:,} cadres for {need:,} households + students: "
            f"{pair.get('pairs_added'):,} pairs, unpaired {pair.get('households_unpaired')} "
            f"households, {pair.get('students_unpaired')} students"
        )
        t0 = time.perf_counter()
        n_visits = add_visits(tmp, args.visits, args.seed)
        say(f"  visits (executemany): {n_visits:,} in {time.perf_counter() - t0:.0f} s")
        con = sqlite3.connect(tmp)
        names = con.execute(
            "SELECT t.name, v.name FROM village v JOIN township t ON t.id = v.township_id "
            "ORDER BY v.id"
        ).fetchall()
        con.close()
        t0 = time.perf_counter()
        book = work / "ledger.xlsx"
        write_ledger(book, ledger_rows(names, args.entries, args.seed + 2015))
        say(f"  ledger workbook: {time.perf_counter() - t0:.0f} s")
        fund = run_fupin(
            tmp, "fund", "import", str(book), "--errors", str(work / "fund-errors.xlsx")
        )
        if fund.get("entries_added") != args.entries:
            raise SystemExit(f"fund import added {fund.get('entries_added')}, not {args.entries}")
        con = sqlite3.connect(tmp, isolation_level=None)
        con.execute("ANALYZE")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("PRAGMA journal_mode=DELETE")  # one self-contained file to copy
        con.close()
        os.replace(tmp, db)
        say(f"built in {time.perf_counter() - t_all:.0f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return db


def fresh_copy(db: Path, name: str) -> Path:
    target = OUT / name
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copyfile(db, target)
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return target


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


def census(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    registered = "('已识别', '预脱贫', '返贫')"
    one = lambda q: con.execute(q).fetchone()[0]  # noqa: E731
    out = {
        "households": one("SELECT count(*) FROM household"),
        "persons": one("SELECT count(*) FROM person"),
        "registered_households": one(
            f"SELECT count(*) FROM household WHERE status IN {registered}"
        ),
        "registered_persons": one(
            "SELECT count(*) FROM person p JOIN household h ON h.id = p.household_id "
            f"WHERE h.status IN {registered}"
        ),
        "classified": one("SELECT count(DISTINCT household_id) FROM classification"),
        "cadres": one("SELECT count(*) FROM cadre"),
        "pairs": one("SELECT count(*) FROM pairing WHERE end_date IS NULL"),
        "visits": one("SELECT count(*) FROM visit"),
        "visits_in_quarter": one(
            "SELECT count(*) FROM visit WHERE date BETWEEN '2016-07-01' AND '2016-09-30'"
        ),
        "ledger_entries": one("SELECT count(*) FROM fund_entry"),
        "villages": one("SELECT count(*) FROM village"),
    }
    con.close()
    return out


def count_once(db: Path) -> float:
    t0 = time.perf_counter()
    con = sqlite3.connect(db)
    con.execute("SELECT count(*) FROM person").fetchone()
    con.close()
    return time.perf_counter() - t0


def wall(argv: list[str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return took


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=250_000, help="roster households")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--k", default="0.3", help="identify.k of the bench policy")
    ap.add_argument("--quota", type=int, default=26_500, help="identify.quota (households)")
    ap.add_argument(
        "--per-cadre",
        type=float,
        default=2.5,
        help="households + students to pair per generated cadre (the shipped capacities are 3-5)",
    )
    ap.add_argument("--visits", type=int, default=40_000, help="visit rows in 2016")
    ap.add_argument("--entries", type=int, default=200_000, help="ledger entries in 2016")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    ap.add_argument("--profile", action="store_true", help="cProfile build() even when on target")
    args = ap.parse_args(argv)

    from fupin_cli.core.periods import parse_period
    from fupin_cli.db.engine import open_database
    from fupin_cli.policyfile import load_policy
    from fupin_cli.reports.quarterly import build

    county = ensure_county(args)
    work = fresh_copy(county, "report-work.db")
    xlsx = OUT / "report-work.xlsx"
    sizes = census(work)
    say(json.dumps(sizes))
    load_before = os.getloadavg()[0]
    med = statistics.median

    counts = [count_once(work) for _ in range(args.repeat)]
    count_s = med(counts)

    period, policy = parse_period(QUARTER), load_policy()
    db = open_database(str(work))
    builds, report = [], None
    try:
        for _ in range(args.repeat):
            with db.reading() as conn:
                t0 = time.perf_counter()
                report = build(conn, period, policy)
                builds.append(time.perf_counter() - t0)
    finally:
        db.dispose()
    build_s = med(builds)

    base = [*fupin_cmd(), "--db", str(work)]
    version_s = med(wall([*fupin_cmd(), "--version"]) for _ in range(args.repeat))
    report_args = ["report", "--quarter", QUARTER]
    json_runs = [wall([*base, *report_args, "--format", "json"]) for _ in range(args.repeat)]
    xlsx_runs = []
    for _ in range(args.repeat):
        xlsx.unlink(missing_ok=True)
        xlsx_runs.append(wall([*base, *report_args, "--format", "xlsx", "-o", str(xlsx)]))
    xlsx_bytes = xlsx.stat().st_size if xlsx.exists() else 0
    json_s, xlsx_s = med(json_runs), med(xlsx_runs)
    load_after = os.getloadavg()[0]

    ok = json_s <= TARGETS["json_s"] and xlsx_s <= TARGETS["xlsx_s"] and xlsx_bytes > 0
    consistent = report.county.households == sizes["registered_households"]

    def line(name: str, secs: float, note: str = "") -> None:
        print(f"{name:<34} {secs:8.3f} s  {note}")

    print(
        f"county: {sizes['households']:,} households ({sizes['persons']:,} persons), "
        f"{sizes['registered_households']:,} registered ({sizes['registered_persons']:,} persons), "
        f"{sizes['cadres']:,} cadres, {sizes['pairs']:,} pairs in force, "
        f"{sizes['visits']:,} visits ({sizes['visits_in_quarter']:,} in {QUARTER}), "
        f"{sizes['ledger_entries']:,} ledger entries"
    )
    line("count(*) person (baseline)", count_s, f"runs {', '.join(f'{t:.4f}' for t in counts)}")
    line("build() in process", build_s, f"runs {', '.join(f'{t:.2f}' for t in builds)}")
    line("fupin --version (start-up)", version_s)
    line(
        "report --format json (subprocess)",
        json_s,
        f"runs {', '.join(f'{t:.2f}' for t in json_runs)}; target <= {TARGETS['json_s']:g} s "
        f"{'ok' if json_s <= TARGETS['json_s'] else 'FAIL'}",
    )
    line(
        "report --format xlsx (subprocess)",
        xlsx_s,
        f"runs {', '.join(f'{t:.2f}' for t in xlsx_runs)}; target <= {TARGETS['xlsx_s']:g} s "
        f"{'ok' if xlsx_s <= TARGETS['xlsx_s'] else 'FAIL'} ({xlsx_bytes / 1e6:.1f} MB)",
    )
    print(
        f"json / count = {json_s / count_s:,.0f}x; build = {build_s / json_s:.0%} of json; "
        f"report county households {report.county.households:,} "
        f"({'matches' if consistent else 'DIFFERS FROM'} the register)"
    )
    print(
        f"load average {load_before:.1f} before, {load_after:.1f} after ({os.cpu_count()} CPUs); "
        "page cache warm (the database was just copied)"
    )

    if args.profile or not ok:
        db = open_database(str(work))
        try:
            with db.reading() as conn:
                prof = cProfile.Profile()
                prof.enable()
                build(conn, period, policy)
                prof.disable()
        finally:
            db.dispose()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
        print("cProfile of build(), top 25 by cumulative time:")
        print(buf.getvalue().rstrip())

    for path in (work, xlsx):
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)

    print(
        json.dumps(
            {
                "bench": "report",
                "quarter": QUARTER,
                "households": sizes["households"],
                "registered_households": sizes["registered_households"],
                "registered_persons": sizes["registered_persons"],
                "visits": sizes["visits"],
                "ledger_entries": sizes["ledger_entries"],
                "count_s": round(count_s, 4),
                "build_s": round(build_s, 3),
                "startup_s": round(version_s, 3),
                "json_s": round(json_s, 3),
                "xlsx_s": round(xlsx_s, 3),
                "json_over_count": round(json_s / count_s, 1),
                "report_matches_register": consistent,
                "load_average": [round(load_before, 1), round(load_after, 1)],
                "targets": {"json_s": 3, "xlsx_s": 10},
                "ok": ok,
            },
            ensure_ascii=False,
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

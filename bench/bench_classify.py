#!/usr/bin/env python3
"""Benchmark ``fupin classify`` on a county-scale register against reading its facts.

(a) read      ``jobs.classify.read_facts``: the identified households' facts from the database
              (two queries, persons grouped in Python, ``HouseholdFacts`` built) — in process,
              best of ``--repeat``. For reference, (a0) is the bare fetch of the same two queries
              with ``sqlite3`` (no objects built).
(b) classify  ``core.classifier.classify`` over every household read in (a), households per
              second — as the job runs it (cyclic GC paused) and, for reference, with GC on;
              (b') ``decide``, the same without writing out the reasons (what a re-run needs for
              an unchanged household).
(c) command   ``fupin --db COPY --quiet classify --as-of 2016-09-30 --format json`` in a
              subprocess on a fresh copy of the register (every household gets its first
              classification row), then (c2) the same command again (nothing changes; checked).
              Both include starting Python and importing the program, shown as (s) ``fupin
              --version``.

Targets: (b) ≥ 100,000 households/s (best of ``--repeat`` per chunk of 2,000 households, so
that other processes on a shared machine count as little as possible; the single-pass wall and
CPU rates are printed too); (c) ≤ 3 × (a) in wall time. The last line of stdout is one JSON object.
Exit 0 when the targets and checks pass, 1 when one fails.

The register is built once and cached under ``bench/out/``: ``bench/gen_roster.py`` writes the
roster, ``fupin identify`` loads it with a bench policy (``[identify] k = 0.1``, so that about a
quarter of the generated households are identified: ~59,000 of 250,000).

Examples::

    python bench/bench_classify.py                        # 250,000 households, ~59,000 identified
    python bench/bench_classify.py --households 120000    # ~28,000 identified, faster to build
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import resource
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
BENCH_POLICY = '[policy]\nversion = "bench-classify"\n[identify]\nk = 0.1\n'

MIN_RATE = 100_000  # households per second through the pure classifier
MAX_RATIO = 3.0  # the command against reading the facts
CHUNK = 2_000  # households per timed chunk in the best-of measure of (b)


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def fupin_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "fupin"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "fupin_cli"]


def ensure_register(households: int, seed: int) -> Path:
    """The identified county register (cached): gen_roster → fupin identify."""
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / f"classify-h{households}-s{seed}.db"
    if db.exists():
        say(f"using cached {db.relative_to(HERE.parent)}")
        return db
    work = OUT / f"classify-build-{os.getpid()}"
    work.mkdir()
    try:
        roster, villages, policy = work / "roster.xlsx", work / "villages.xlsx", work / "p.toml"
        policy.write_text(BENCH_POLICY, encoding="utf-8")
        cmd = [
            sys.executable,
            str(GEN),
            "-o",
            str(roster),
            "--households",
            str(households),
            "--seed",
            str(seed),
            "--villages-out",
            str(villages),
        ]
        say(f"generating the roster (not timed): {' '.join(cmd[1:])}")
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        say(f"  {time.perf_counter() - t0:.0f} s; identifying (not timed)")
        t0 = time.perf_counter()
        tmp_db = work / "register.db"
        done = subprocess.run(
            [
                *fupin_cmd(),
                "--db",
                str(tmp_db),
                "--quiet",
                "identify",
                str(roster),
                "--villages",
                str(villages),
                "--as-of",
                AS_OF,
                "--policy",
                str(policy),
                "--format",
                "json",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        if done.returncode not in (0, 1):
            raise SystemExit(f"fupin identify failed with exit {done.returncode}")
        say(f"  {time.perf_counter() - t0:.0f} s")
        con = sqlite3.connect(tmp_db, isolation_level=None)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("PRAGMA journal_mode=DELETE")  # one self-contained file to copy
        con.close()
        os.replace(tmp_db, db)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return db


def fresh_copy(db: Path, name: str) -> Path:
    target = OUT / name
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copyfile(db, target)
    # flush the copy now: otherwise the command's first checkpoint pays for writing it to disk
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return target


class Timing:
    """Best wall time of some runs, and the CPU time of that run (this process or children)."""

    def __init__(self, wall: float, cpu: float) -> None:
        self.wall, self.cpu = wall, cpu

    def __str__(self) -> str:
        return f"{self.wall:7.2f} s wall {self.cpu:7.2f} s CPU"


def _cpu(children: bool) -> float:
    if children:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime
    return time.process_time()


def best(fn, repeat: int, *, children: bool = False):
    """Run ``fn`` ``repeat`` times: (Timing of the fastest run, its value)."""
    timing, value = None, None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), _cpu(children)
        value = fn()
        t = Timing(time.perf_counter() - w0, _cpu(children) - c0)
        if timing is None or t.wall < timing.wall:
            timing = t
    return timing, value


def bare_fetch(path: Path) -> tuple[int, int]:
    """(a0) the two queries of read_facts, fetched with sqlite3 and thrown away."""
    con = sqlite3.connect(path)
    try:
        persons = con.execute(
            "SELECT p.household_id, p.id_number, p.name, p.birth_date, p.labour_skill, "
            "p.health, p.relation, p.school_status, p.work_status FROM person p "
            "JOIN household h ON h.id = p.household_id "
            "WHERE h.status IN ('已识别', '预脱贫', '返贫')"
        ).fetchall()
        households = con.execute(
            "SELECT h.id, h.household_no, t.name, h.housing, h.relocation_zone, "
            "v.relocation_zone, h.is_dibao, h.is_wubao, h.main_cause FROM household h "
            "JOIN village v ON v.id = h.village_id JOIN township t ON t.id = v.township_id "
            "WHERE h.status IN ('已识别', '预脱贫', '返贫') ORDER BY h.id"
        ).fetchall()
    finally:
        con.close()
    return len(households), len(persons)


def command(db: Path) -> tuple[Timing, dict]:
    argv = [*fupin_cmd(), "--db", str(db), "--quiet", "classify", "--as-of", AS_OF, "-f", "json"]
    timing, done = best(
        lambda: subprocess.run(argv, capture_output=True, text=True), 1, children=True
    )
    if done.returncode != 0:
        raise SystemExit(f"fupin classify failed ({done.returncode}): {done.stderr.strip()}")
    return timing, json.loads(done.stdout)


def table_digest(path: Path) -> tuple:
    con = sqlite3.connect(path)
    try:
        return (
            con.execute("SELECT count(*), max(id) FROM classification").fetchone(),
            con.execute("SELECT count(*) FROM household").fetchone(),
        )
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=250_000, help="roster households")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="in-process repeats of (a) and (b)")
    args = ap.parse_args(argv)

    from fupin_cli.core.classifier import classify, decide
    from fupin_cli.db.bulk import paused_gc as gc_paused
    from fupin_cli.db.engine import open_database
    from fupin_cli.jobs.classify import Selection, read_facts
    from fupin_cli.policyfile import load_policy

    register = ensure_register(args.households, args.seed)
    as_of = dt.date.fromisoformat(AS_OF)
    rules = load_policy().classify

    load_before = os.getloadavg()[0]

    # (a0) and (a): reading
    work = fresh_copy(register, "classify-read.db")
    a0, (n_households, n_persons) = best(lambda: bare_fetch(work), args.repeat)
    say(f"register: {n_households:,} identified households, {n_persons:,} persons")
    db = open_database(str(work))

    def read():
        with db.reading() as conn, gc_paused():
            return read_facts(conn, Selection(), as_of)

    a, rows = best(read, args.repeat)
    db.dispose()
    facts = [r.facts for r in rows]
    say(f"(a0) bare fetch           {a0}")
    say(f"(a)  read facts           {a}")

    # (b): the pure function, as the job runs it (GC paused), and with GC on for reference
    def run_all():
        with gc_paused():
            return [classify(f, rules) for f in facts]

    b, results = best(run_all, args.repeat)
    b_gc, _ = best(lambda: [classify(f, rules) for f in facts], 1)

    def decide_all():
        with gc_paused():
            return [decide(f, rules) for f in facts]

    d, _ = best(decide_all, args.repeat)

    # The same work in chunks of CHUNK households, best of ``repeat`` per chunk: on a shared
    # machine this is the closest to what an idle one would show (the timeit convention).
    def chunked(fn) -> float:
        total = 0.0
        with gc_paused():
            for i in range(0, len(facts), CHUNK):
                part = facts[i : i + CHUNK]
                total += best(lambda p=part: [fn(f, rules) for f in p], args.repeat)[0].wall
        return total

    b_chunks, d_chunks = chunked(classify), chunked(decide)
    n = len(facts)
    rate, rate_cpu, rate_gc = n / b.wall, n / b.cpu, n / b_gc.wall
    rate_chunks = n / b_chunks
    by_category: dict[str, int] = {}
    for r in results:
        by_category[r.category.key] = by_category.get(r.category.key, 0) + 1
    results.clear(), rows.clear(), facts.clear()
    gc.collect()
    say(
        f"(b)  classify             {b}   {rate:,.0f} households/s wall, "
        f"{rate_cpu:,.0f}/s CPU (GC on: {rate_gc:,.0f}/s wall)"
    )
    say(f"     in chunks of {CHUNK:,}, best of {args.repeat} each: {rate_chunks:,.0f} households/s")
    say(
        f"(b') decide (no reasons)  {d}   {n / d.cpu:,.0f} households/s CPU, "
        f"{n / d_chunks:,.0f}/s in chunks"
    )

    # (s), (c), (c2): the command in a subprocess
    version = [*fupin_cmd(), "--version"]
    s, _ = best(lambda: subprocess.run(version, capture_output=True), 3, children=True)
    target = fresh_copy(register, "classify-cmd.db")
    c, first = command(target)
    before = table_digest(target)
    c2, second = command(target)
    unchanged_ok = table_digest(target) == before and second["changed"] == 0
    load_after = os.getloadavg()[0]
    say(f"(s)  fupin --version      {s}   (Python start + imports)")
    say(f"(c)  fupin classify       {c}   {first['changed']:,} rows written")
    say(f"(c2) again, no change     {c2}   {second['changed']} rows written")
    say(
        f"ratios (wall): (c)/(a) = {c.wall / a.wall:.2f}, (c2)/(a) = {c2.wall / a.wall:.2f}, "
        f"((c)-(s))/(a) = {(c.wall - s.wall) / a.wall:.2f}, (a)/(a0) = {a.wall / a0.wall:.2f}"
    )
    say(f"ratios (CPU):  (c)/(a) = {c.cpu / a.cpu:.2f}, (c2)/(a) = {c2.cpu / a.cpu:.2f}")
    say(
        f"load average: {load_before:.1f} before, {load_after:.1f} after "
        f"({os.cpu_count()} CPUs; wall times include waiting for other processes)"
    )

    # The rate target is judged on the chunked best-of timing: on a shared machine a single
    # pass also counts the other processes' turns (and, on SMT siblings, their cache traffic).
    # Every measure is printed and recorded.
    checks = {
        "rate": rate_chunks >= MIN_RATE,
        "command_ratio": c.wall / a.wall <= MAX_RATIO,
        "counts_match": first["classified"] == n_households
        and first["by_category"] == {k: by_category.get(k, 0) for k in first["by_category"]},
        "rerun_changes_nothing": unchanged_ok,
    }
    for name, ok in checks.items():
        say(f"  {'ok  ' if ok else 'FAIL'} {name}")
    for path in (work, target):
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)

    def both(t: Timing) -> dict:
        return {"wall": round(t.wall, 3), "cpu": round(t.cpu, 3)}

    print(
        json.dumps(
            {
                "bench": "classify",
                "households": n_households,
                "persons": n_persons,
                "bare_fetch_s": both(a0),
                "read_facts_s": both(a),
                "classify_s": both(b),
                "classify_per_s": {
                    "wall": round(rate),
                    "cpu": round(rate_cpu),
                    "gc_on": round(rate_gc),
                },
                "classify_per_s_chunked": round(rate_chunks),
                "decide_per_s": {
                    "wall": round(n / d.wall),
                    "cpu": round(n / d.cpu),
                    "chunked": round(n / d_chunks),
                },
                "startup_s": both(s),
                "command_s": both(c),
                "command_rerun_s": both(c2),
                "command_over_read": {
                    "wall": round(c.wall / a.wall, 2),
                    "cpu": round(c.cpu / a.cpu, 2),
                },
                "rerun_over_read": {
                    "wall": round(c2.wall / a.wall, 2),
                    "cpu": round(c2.cpu / a.cpu, 2),
                },
                "by_category": first["by_category"],
                "load_average": [round(load_before, 1), round(load_after, 1)],
                "targets": {
                    "classify_per_s_chunked": MIN_RATE,
                    "command_over_read_wall": MAX_RATIO,
                },
                "checks": checks,
            },
            ensure_ascii=False,
        )
    )
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

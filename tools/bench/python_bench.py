#!/usr/bin/env python3
"""The cotrack Python module against Python's sqlite3, per call (issue 13).

    python3 tools/bench/python_bench.py --data DIR [--work DIR] [--library PATH]
        [--cotrack PATH] [--calls N] [--visits N] [--reps N] [--seed S]
        [--clock wall|cpu]

DIR holds the CSV files cotrack_bench generates (`cotrack_bench --keep --dir
DIR ...`, any --shape; `cotrack_bench --python` runs this script on its own
work directory). Both stores are built from them in --work (not timed in the
table): cotrack with its command line (`cotrack import`, the real importer),
SQLite with one executemany per file into

    obs(patient TEXT, measure TEXT, date TEXT, value REAL, comparator TEXT,
        unit TEXT, visit TEXT, PRIMARY KEY (patient, measure, date))
        WITHOUT ROWID

in WAL mode with synchronous=NORMAL. Then, for each call, a warm-up pass and
--reps timed passes of --calls calls (p50 and p99 of one pass; the figures are
medians over the passes):

  - trajectory(patient, measure): cotrack's db.trajectory(), a list of
    (datetime.date, value) with censored values as cotrack.Censored; sqlite3:
    a parameterised SELECT (the sqlite3 module caches the prepared statement)
    turned into the same list;
  - record_visit(patient, date, {measure: value, ...}, visit=...): cotrack
    opened with sync=False (a crash of the process loses nothing
    acknowledged, a power loss may: the same promise as SQLite's WAL with
    synchronous=NORMAL); sqlite3: BEGIN, executemany of the visit's rows,
    COMMIT. Every visit is a new date for its patient, nearly all of them
    the first visit this process records for its patient. The two sides
    take turns pass by pass.

Both sides must return the same trajectories (rows and value sums) and store
the same number of new values; the script fails otherwise. It prints a
Markdown table with the ratios cotrack / sqlite3 to stdout and progress to
stderr. A tool, not a test.
"""

import argparse
import csv
import datetime
import glob
import math
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


# The clock of every timing: wall time (default), or with --clock cpu the
# calling thread's CPU time, which other processes competing for the cores do
# not inflate (on a shared machine wall-time p50s swing by tens of percent).
# It leaves out work on other threads (RocksDB's flushes and compactions), so
# read latencies compare fairly but write calls/s flatter cotrack: take
# throughput from a wall-clock run on an idle machine.
clock = time.perf_counter_ns


def log(text):
    print(f"[python] {text}", file=sys.stderr, flush=True)


def percentile(values, p):
    """Nearest rank, as bench_util.cc's Percentile."""
    s = sorted(values)
    rank = math.ceil(p * len(s))
    if rank > 0:
        rank -= 1
    return s[min(rank, len(s) - 1)]


def read_registry(data):
    patients = {}
    measures = set()
    files = sorted(glob.glob(os.path.join(data, "observations-*.csv")))
    pfiles = sorted(glob.glob(os.path.join(data, "patients-*.csv")))
    if not files or not pfiles:
        sys.exit(f"python_bench: no patients-*.csv / observations-*.csv in {data}")
    for f in pfiles:
        with open(f, newline="") as fh:
            for row in csv.DictReader(fh):
                patients[row["patient"]] = datetime.date.fromisoformat(row["index_date"])
    with open(files[0], newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            measures.add(row["measure"])
            if i > 100000:
                break
    return pfiles, files, patients, sorted(measures)


def build_cotrack(cli, path, pfiles, files):
    if os.path.exists(path):
        shutil.rmtree(path)
    t0 = time.perf_counter()
    subprocess.run([cli, "--db", path, "import", "--no-progress", *pfiles, *files],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


SQLITE_SCHEMA = """
CREATE TABLE obs(
  patient TEXT NOT NULL, measure TEXT NOT NULL, date TEXT NOT NULL,
  value REAL NOT NULL, comparator TEXT, unit TEXT, visit TEXT,
  PRIMARY KEY (patient, measure, date)) WITHOUT ROWID;
"""


def open_sqlite(path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def build_sqlite(path, files):
    for p in (path, path + "-wal", path + "-shm"):
        if os.path.exists(p):
            os.remove(p)
    t0 = time.perf_counter()
    conn = open_sqlite(path)
    conn.executescript(SQLITE_SCHEMA)
    for f in files:
        rows = []
        with open(f, newline="") as fh:
            for r in csv.DictReader(fh):
                v = r["value"]
                comparator = None
                if v[0] in "<>":
                    comparator = v[:2] if v[1:2] == "=" else v[:1]
                    v = v[len(comparator):]
                rows.append((r["patient"], r["measure"], r["date"], float(v), comparator,
                             r["unit"] or None, r["visit"]))
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO obs VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return time.perf_counter() - t0


def sqlite_trajectory(conn, patient, measure, Censored):
    rows = conn.execute(
        "SELECT date, value, comparator FROM obs WHERE patient = ? AND measure = ? ORDER BY date",
        (patient, measure)).fetchall()
    return [(datetime.date.fromisoformat(d), Censored(c, v) if c else v) for d, v, c in rows]


def sqlite_record_visit(conn, patient, date, measures, visit):
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO obs VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(patient, m, date, float(v.lstrip("<>=")) if isinstance(v, str) else v,
          ("<" if isinstance(v, str) else None), UNITS.get(m), visit)
         for m, v in measures.items()])
    conn.execute("COMMIT")


# The generated files' units; None = the measure's canonical unit as written
# by the generator (empty).
UNITS = {"hba1c": "%", "il4": "pg/mL"}


def draw_visit(rng, measures):
    """Values as an application would pass them; IL-4 sometimes censored."""
    values = {}
    for m in measures:
        if m == "edss":
            values[m] = rng.choice([0.0] + [1.0 + 0.5 * k for k in range(19)])
        elif m == "ais":
            values[m] = float(rng.randint(0, 24))
        elif m == "fis":
            values[m] = float(rng.randint(0, 160))
        elif m == "hba1c":
            values[m] = round(rng.uniform(4.5, 12.0), 1)
        elif m == "il4":
            values[m] = "<0.5" if rng.random() < 0.1 else round(rng.uniform(0.5, 5.0), 2)
    return values


def value_of(v):
    return v.limit if hasattr(v, "limit") else v


def time_calls(fn, args_list, warm_list, reps):
    """Medians over `reps` passes of the calls' p50, p99 and rate, and the
    answers' digest (rows, value sum) over the last pass. Each answer is
    digested and dropped as it comes, outside the timed call: keeping a pass's
    answers (5,000 lists) grew the heap during the passes, and the page faults
    of that growth (3,755 in cotrack's second pass, 166 in its third, once the
    heap stopped growing) fell on whichever side's calls happened to
    allocate."""
    for a in warm_list:
        fn(*a)
    p50s, p99s, rates = [], [], []
    digest = None
    for _ in range(reps):
        lat = []
        rows, total_value, digesting = 0, 0.0, 0
        start = clock()
        for a in args_list:
            t0 = clock()
            r = fn(*a)
            t1 = clock()
            lat.append(t1 - t0)
            rows += len(r)
            total_value += sum(value_of(v) for _, v in r)
            digesting += clock() - t1
        total = clock() - start - digesting
        p50s.append(percentile(lat, 0.50))
        p99s.append(percentile(lat, 0.99))
        rates.append(len(args_list) * 1e9 / total)
        digest = (rows, round(total_value, 6))
    return statistics.median(p50s), statistics.median(p99s), statistics.median(rates), digest


def fmt_us(ns):
    return f"{ns / 1000:.1f} µs" if ns < 1e6 else f"{ns / 1e6:.2f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="directory of the generated CSV files")
    ap.add_argument("--work", help="where the two stores are built (default DATA/python)")
    ap.add_argument("--library", help="libcotrack.so (default: the module's own search)")
    ap.add_argument("--cotrack", help="the cotrack command line (default: beside the library)")
    ap.add_argument("--calls", type=int, default=5000, help="calls per timed pass")
    ap.add_argument("--visits", type=int, default=2000, help="record_visit calls per timed pass")
    ap.add_argument("--reps", type=int, default=5, help="timed passes (medians reported)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="time calls by wall time or by the calling thread's CPU time")
    args = ap.parse_args()
    global clock
    if args.clock == "cpu":
        clock = time.thread_time_ns

    if args.library:
        os.environ["COTRACK_LIBRARY"] = args.library
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import cotrack  # noqa: E402  (after COTRACK_LIBRARY is set)

    cli = args.cotrack
    if not cli:
        cli = os.path.join(os.path.dirname(os.path.dirname(cotrack.library_path())), "tools",
                           "cotrack")
    work = args.work or os.path.join(args.data, "python")
    os.makedirs(work, exist_ok=True)

    pfiles, files, patients, measures = read_registry(args.data)
    log(f"{len(patients)} patients, measures {','.join(measures)}; building the stores in {work}")
    cot_path = os.path.join(work, "cotrack")
    sql_path = os.path.join(work, "obs.sqlite")
    cot_load = build_cotrack(cli, cot_path, pfiles, files)
    sql_load = build_sqlite(sql_path, files)
    log(f"loaded: cotrack import {cot_load:.1f} s, sqlite3 executemany {sql_load:.1f} s")

    rng = random.Random(args.seed)
    ids = sorted(patients)
    keys = [(rng.choice(ids), rng.choice(measures)) for _ in range(args.calls)]
    warm = [(rng.choice(ids), rng.choice(measures)) for _ in range(max(1, args.calls // 2))]

    # Visits: a new date for each (patient, visit), after everything generated
    # (the generator's last visit is within 3,668 days of the index date).
    nv = args.visits * (args.reps + 1)
    visit_args = []
    for j in range(nv):
        p = ids[(j * 7919 + 13) % len(ids)]
        day = patients[p] + datetime.timedelta(days=3700 + 7 * (j // len(ids)))
        visit_args.append((p, day.isoformat(), draw_visit(rng, measures), f"X{j // len(ids) + 1}"))

    db = cotrack.open(cot_path, sync=False, user="bench")
    conn = open_sqlite(sql_path)
    rows = []
    check = {}

    log(f"trajectory: {args.calls} calls x {args.reps} passes")
    for name, fn in (("cotrack", db.trajectory),
                     ("sqlite3", lambda p, m: sqlite_trajectory(conn, p, m, cotrack.Censored))):
        p50, p99, rate, check[name] = time_calls(fn, keys, warm, args.reps)
        rows.append(("trajectory", name, p50, p99, rate))

    log(f"record_visit: {args.visits} visits x {args.reps} passes, the sides taking turns")
    before = conn.execute("SELECT count(*) FROM obs").fetchone()[0]
    written = 0
    # Each side records its own copy of the same visits: a warm-up pass, then
    # the timed passes, each on fresh dates. The two sides take turns pass by
    # pass (who goes first alternating), rather than one side's passes after
    # the other's: on these shared machines the speed of the same code drifts
    # by 10 % or more within a minute, which moved this row's ratio between
    # 0.98 and 1.12 over four runs of the same build.
    chunks = [visit_args[k * args.visits:(k + 1) * args.visits] for k in range(args.reps + 1)]

    def cot_visit(p, d, m, v):
        return db.record_visit(p, d, m, visit=v)

    sides = (("cotrack", cot_visit),
             ("sqlite3", lambda p, d, m, v: sqlite_record_visit(conn, p, d, m, v)))
    passes = {name: ([], [], []) for name, _ in sides}  # p50s, p99s, rates
    for k, chunk in enumerate(chunks):
        for name, fn in (sides if k % 2 == 0 else sides[::-1]):
            lat = []
            start = clock()
            for a in chunk:
                t0 = clock()
                r = fn(*a)
                lat.append(clock() - t0)
                if name == "cotrack":
                    written += r["written"]
            total = clock() - start
            if k == 0:
                continue  # the warm-up pass
            p50s, p99s, rates = passes[name]
            p50s.append(percentile(lat, 0.50))
            p99s.append(percentile(lat, 0.99))
            rates.append(len(chunk) * 1e9 / total)
    for name, (p50s, p99s, rates) in passes.items():
        rows.append(("record_visit", name, statistics.median(p50s), statistics.median(p99s),
                     statistics.median(rates)))
    added = conn.execute("SELECT count(*) FROM obs").fetchone()[0] - before
    db.close()
    conn.close()

    problems = []
    if check["cotrack"] != check["sqlite3"]:
        problems.append(f"trajectory: cotrack gave rows/sum {check['cotrack']}, "
                        f"sqlite3 {check['sqlite3']}")
    if written != added:
        problems.append(f"record_visit: cotrack wrote {written} values, sqlite3 {added}")

    by = {(w, n): (p50, p99, rate) for w, n, p50, p99, rate in rows}
    print(f"Python {sys.version.split()[0]}, sqlite3 module over SQLite "
          f"{sqlite3.sqlite_version}, cotrack module over {cotrack.library_path()} "
          f"(version {cotrack.version()}); {len(patients)} patients, "
          f"{args.calls} trajectory calls and {args.visits} visits per pass, {args.reps} passes "
          f"(medians), seed {args.seed}, {args.clock} clock\n")
    print("| call | metric | cotrack (Python) | sqlite3 (Python) | cotrack/sqlite3 |")
    print("|---|---|---:|---:|---:|")
    labels = {"trajectory": "trajectory(patient, measure)",
              "record_visit": f"record_visit, {len(measures)} measures (cotrack sync=False)"}
    for w in ("trajectory", "record_visit"):
        c, s = by[(w, "cotrack")], by[(w, "sqlite3")]
        print(f"| {labels[w]} | calls/s | {c[2]:,.0f} | {s[2]:,.0f} | {c[2] / s[2]:.2f}× |")
        print(f"|  | p50 | {fmt_us(c[0])} | {fmt_us(s[0])} | {c[0] / s[0]:.2f}× |")
        print(f"|  | p99 | {fmt_us(c[1])} | {fmt_us(s[1])} | {c[1] / s[1]:.2f}× |")
    print("\nRatios are cotrack ÷ sqlite3: above 1 is better for calls/s, below 1 for "
          "latency.")
    print(f"\nTrajectory answers: {check['cotrack'][0]} rows, value sum "
          f"{check['cotrack'][1]:.2f} (cotrack); stores loaded in {cot_load:.1f} s "
          f"(`cotrack import`) and {sql_load:.1f} s (sqlite3 executemany), not timed above.")
    if problems:
        print("\nProblems:")
        for p in problems:
            print(f"- {p}")
        return 1
    print("\nBoth returned the same trajectories and stored the same number of values.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

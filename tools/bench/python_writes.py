#!/usr/bin/env python3
"""Per-call cost of a Python record_visit, cotrack against a sqlite3 insert
transaction, side by side in one run (issue 16).

    python3 tools/bench/python_writes.py --work DIR [--library PATH]
        [--visits N] [--reps N] [--seed S] [--patients N]

DIR is a python_bench.py work directory (its `cotrack` store and
`obs.sqlite`), used after python_bench.py has finished, so that neither
store is still settling from its import. Both get the same visits: 5
measures (AIS, EDSS, FIS, HbA1c, IL-4, about 10 % of IL-4 values censored)
of one patient at one new date, the patients in the order python_bench.py
uses, every date later than anything stored (each run starts after the
latest date in obs.sqlite, so a directory can be measured again). With
--patients N the visits go to the first N patients only, each of them
visited again every N visits (a clinic's application recording follow-up
visits), instead of nearly every visit to a patient the process has not
written yet:

  - cotrack: db.record_visit(patient, date, {measure: value}, visit=label)
    on a handle opened with sync=False (a crash of the process loses nothing
    acknowledged, a power loss may: the promise of SQLite's WAL mode with
    synchronous=NORMAL);
  - sqlite3: BEGIN, executemany of the visit's 5 rows into obs (primary key
    (patient, measure, date), WITHOUT ROWID), COMMIT, in WAL mode with
    synchronous=NORMAL.

After a warm-up pass each, --reps rounds each time one pass of --visits
calls for both sides, in alternating order (cotrack first in odd rounds,
sqlite3 first in even ones), so that both meet the same load on a shared
machine. Per pass: the mean per call by wall time and by the calling
thread's CPU time, and the p50 of the calls' wall times. Each figure of the
table is the median over the rounds, and each ratio the median of the
rounds' own ratios (cotrack / sqlite3 of the same round). The script fails
unless both stored the same number of values. A tool, not a test.
"""

import argparse
import datetime
import math
import os
import random
import sqlite3
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# The visit's values and sqlite3's insert transaction are python_bench.py's,
# so both scripts measure the same writes.
sys.path.insert(0, HERE)
from python_bench import draw_visit as draw_measures, sqlite_record_visit  # noqa: E402

MEASURES = ["ais", "edss", "fis", "hba1c", "il4"]


def log(text):
    print(f"[python_writes] {text}", file=sys.stderr, flush=True)


def draw_visit(rng):
    """Values as an application would pass them (as python_bench.py)."""
    return draw_measures(rng, MEASURES)


def run_pass(fn, visits):
    """(mean wall ns, mean thread CPU ns, p50 wall ns, values written)."""
    lat = []
    written = 0
    w0, c0 = time.perf_counter_ns(), time.thread_time_ns()
    for a in visits:
        t0 = time.perf_counter_ns()
        r = fn(*a)
        lat.append(time.perf_counter_ns() - t0)
        if r:
            written += r["written"]
    wall, cpu = time.perf_counter_ns() - w0, time.thread_time_ns() - c0
    lat.sort()
    return wall / len(visits), cpu / len(visits), lat[math.ceil(0.5 * len(lat)) - 1], written


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", required=True, help="a python_bench.py work directory")
    ap.add_argument("--library", help="libcotrack.so (default: the module's own search)")
    ap.add_argument("--visits", type=int, default=2000, help="calls per pass")
    ap.add_argument("--reps", type=int, default=7, help="timed rounds (medians reported)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--patients", type=int, default=0,
                    help="visit only the first N patients, again and again (default: all)")
    args = ap.parse_args()
    if args.library:
        os.environ["COTRACK_LIBRARY"] = args.library
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import cotrack  # noqa: E402  (after COTRACK_LIBRARY is set)

    conn = sqlite3.connect(os.path.join(args.work, "obs.sqlite"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    ids = sorted(p for (p,) in conn.execute("SELECT DISTINCT patient FROM obs"))
    if args.patients > 0:
        ids = ids[:args.patients]
    last = datetime.date.fromisoformat(conn.execute("SELECT max(date) FROM obs").fetchone()[0][:10])
    db = cotrack.open(os.path.join(args.work, "cotrack"), sync=False, user="bench")

    # One list of visits per pass, each on its own new dates; every side
    # records its own copy of the same list.
    rng = random.Random(args.seed)
    passes = []
    j = 0
    for _ in range(args.reps + 1):
        chunk = []
        for _ in range(args.visits):
            p = ids[(j * 7919 + 13) % len(ids)]
            day = last + datetime.timedelta(days=1 + j // len(ids))
            chunk.append((p, day.isoformat(), draw_visit(rng), f"W{j // len(ids) + 1}"))
            j += 1
        passes.append(chunk)

    def cot(p, d, m, v):
        return db.record_visit(p, d, m, visit=v)

    def lite(p, d, m, v):
        sqlite_record_visit(conn, p, d, m, v)
        return None

    log(f"{len(ids)} patients; {args.visits} visits per pass, {args.reps} rounds")
    before = conn.execute("SELECT count(*) FROM obs").fetchone()[0]
    written = run_pass(cot, passes[0])[3]
    run_pass(lite, passes[0])
    rounds = []
    for r, chunk in enumerate(passes[1:]):
        order = [("cotrack", cot), ("sqlite3", lite)]
        if r % 2:
            order.reverse()
        out = {}
        for name, fn in order:
            out[name] = run_pass(fn, chunk)
        written += out["cotrack"][3]
        rounds.append(out)
        c, s = out["cotrack"], out["sqlite3"]
        log(f"round {r + 1}: wall {c[0] / 1e3:.1f} / {s[0] / 1e3:.1f} us, "
            f"cpu {c[1] / 1e3:.1f} / {s[1] / 1e3:.1f} us, p50 {c[2] / 1e3:.1f} / {s[2] / 1e3:.1f} us")
    added = conn.execute("SELECT count(*) FROM obs").fetchone()[0] - before
    db.close()
    conn.close()

    print(f"Python {sys.version.split()[0]}, sqlite3 module over SQLite {sqlite3.sqlite_version}, "
          f"cotrack module over {cotrack.library_path()} (version {cotrack.version()}); "
          f"{len(ids)} patients, visits of 5 measures, {args.visits} per pass, {args.reps} rounds "
          f"(medians), seed {args.seed}\n")
    print("| per record_visit call | cotrack (Python, sync=False) | sqlite3 (Python, one "
          "transaction) | cotrack/sqlite3 (median of rounds) | range of rounds |")
    print("|---|---:|---:|---:|---:|")
    for k, label in ((0, "mean, wall time"), (1, "mean, thread CPU time"), (2, "p50, wall time")):
        c = statistics.median(r["cotrack"][k] for r in rounds)
        s = statistics.median(r["sqlite3"][k] for r in rounds)
        ratios = sorted(r["cotrack"][k] / r["sqlite3"][k] for r in rounds)
        print(f"| {label} | {c / 1e3:.1f} µs | {s / 1e3:.1f} µs | "
              f"{statistics.median(ratios):.2f}× | {ratios[0]:.2f}–{ratios[-1]:.2f}× |")
    if written != added:
        print(f"\nProblem: cotrack wrote {written} values, sqlite3 {added}")
        return 1
    print(f"\nBoth stored the same number of values ({added}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

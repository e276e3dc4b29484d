#!/usr/bin/env python3
"""Per-call cost of a Python trajectory read, cotrack against sqlite3, on
settled stores (issue 16).

    python3 tools/bench/python_reads.py --work DIR [--library PATH]
        [--calls N] [--reps N] [--seed S]

DIR is a python_bench.py work directory (its `cotrack` store and
`obs.sqlite`), read after python_bench.py has finished: python_bench.py
times reads right after `cotrack import` built the store, while RocksDB is
still compacting it; this script measures the steady state. Each figure is
the mean per call of the fastest of --reps passes over the same --calls
random (patient, measure) keys, by the calling thread's CPU time (other
processes on the machine do not inflate it). Besides the full
db.trajectory() it times the C call alone (cotrack_trajectory_table +
cotrack_table_destroy through ctypes), the floor the binding adds to.
A tool, not a test.
"""

import argparse
import ctypes
import datetime
import os
import random
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def per_call(fn, keys, reps):
    best = None
    for _ in range(reps):
        t0 = time.thread_time_ns()
        for k in keys:
            fn(*k)
        t = (time.thread_time_ns() - t0) / len(keys) / 1000
        best = t if best is None else min(best, t)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", required=True)
    ap.add_argument("--library")
    ap.add_argument("--calls", type=int, default=3000)
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.library:
        os.environ["COTRACK_LIBRARY"] = args.library
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import cotrack  # noqa: E402

    conn = sqlite3.connect(os.path.join(args.work, "obs.sqlite"))
    patients = [p for (p,) in conn.execute("SELECT DISTINCT patient FROM obs")]
    measures = [m for (m,) in conn.execute("SELECT DISTINCT measure FROM obs")]
    rng = random.Random(args.seed)
    keys = [(rng.choice(patients), rng.choice(measures)) for _ in range(args.calls)]

    db = cotrack.open(os.path.join(args.work, "cotrack"), read_only=True)
    lib = db._lib
    handle = db._handle()

    def c_call(p, m):
        table = ctypes.c_void_p()
        cotrack._call(lib.cotrack_trajectory_table, handle, p.encode(), m.encode(),
                      None, None, ctypes.byref(table))
        lib.cotrack_table_destroy(table)

    def sqlite_trajectory(p, m):
        rows = conn.execute(
            "SELECT date, value, comparator FROM obs WHERE patient = ? AND measure = ? "
            "ORDER BY date", (p, m)).fetchall()
        return [(datetime.date.fromisoformat(d), cotrack.Censored(c, v) if c else v)
                for d, v, c in rows]

    rows = sum(len(db.trajectory(*k)) for k in keys) / len(keys)
    if rows != sum(len(sqlite_trajectory(*k)) for k in keys) / len(keys):
        sys.exit("python_reads: cotrack and sqlite3 returned different row counts")
    full = per_call(db.trajectory, keys, args.reps)
    # A library before result tables (to compare with) has no C call to time.
    floor = per_call(c_call, keys, args.reps) if hasattr(lib, "cotrack_trajectory_table") \
        else float("nan")
    lite = per_call(sqlite_trajectory, keys, args.reps)
    print(f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
          f"{cotrack.library_path()}; {len(keys)} random keys, {rows:.1f} rows per "
          f"trajectory, fastest of {args.reps} passes, thread CPU time per call\n")
    print("| call | cotrack (Python) | sqlite3 (Python) | cotrack/sqlite3 |")
    print("|---|---:|---:|---:|")
    print(f"| trajectory(patient, measure) | {full:.1f} µs | {lite:.1f} µs | "
          f"{full / lite:.2f}× |")
    print(f"| of which the C call (cotrack_trajectory_table) | {floor:.1f} µs | | |")
    db.close()


if __name__ == "__main__":
    main()

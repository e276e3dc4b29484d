#!/usr/bin/env python3
"""Per-call cost of a Python record_visit to patients the process has not
written, for comparing two builds of the library side by side.

    python3 tools/bench/first_visits.py --work DIR [--library PATH]
        [--visits N] [--hot N]

DIR is a python_bench.py work directory (its `cotrack` store and
`obs.sqlite`); copy it first, the visits are written to it. Each visit
records EDSS and HbA1c of one patient (every 7,919th of the sorted ids, so
nearly every visit goes to a patient not yet written) on one date after
everything stored. With --hot N each visit is followed by a trajectory read
of one of the first N patients (a clinic application reading back while it
records). Prints the p50 and mean of the visits (and of the reads) in
microseconds. To compare builds, alternate them on fresh copies of the same
store: the store's state (how many table files a read visits) moves the
figures more than most changes do. A tool, not a test; no sqlite3 side
(python_writes.py has one).
"""

import argparse
import datetime
import os
import random
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def summary(name, lat):
    lat = sorted(lat)
    return f"{name} p50 {lat[len(lat) // 2] / 1e3:.1f} us mean {sum(lat) / len(lat) / 1e3:.1f} us"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", required=True, help="a python_bench.py work directory (a copy)")
    ap.add_argument("--library", help="libcotrack.so (default: the module's own search)")
    ap.add_argument("--visits", type=int, default=8000)
    ap.add_argument("--hot", type=int, default=0,
                    help="after each visit, read a trajectory of one of the first N patients")
    args = ap.parse_args()
    if args.library:
        os.environ["COTRACK_LIBRARY"] = args.library
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import cotrack  # noqa: E402  (after COTRACK_LIBRARY is set)

    conn = sqlite3.connect(os.path.join(args.work, "obs.sqlite"))
    ids = sorted(p for (p,) in conn.execute("SELECT DISTINCT patient FROM obs"))
    last = datetime.date.fromisoformat(conn.execute("SELECT max(date) FROM obs").fetchone()[0][:10])
    conn.close()
    day = (last + datetime.timedelta(days=1)).isoformat()
    rng = random.Random(3)
    visits, reads = [], []
    with cotrack.open(os.path.join(args.work, "cotrack"), sync=False, user="bench") as db:
        for j in range(args.visits):
            p = ids[(j * 7919 + 13) % len(ids)]
            t0 = time.perf_counter_ns()
            db.record_visit(p, day, {"edss": 2.0, "hba1c": 5.5}, visit="W1")
            visits.append(time.perf_counter_ns() - t0)
            if args.hot:
                q = ids[rng.randrange(min(args.hot, len(ids)))]
                t0 = time.perf_counter_ns()
                db.trajectory(q, "edss")
                reads.append(time.perf_counter_ns() - t0)
    line = summary("visit", visits)
    if reads:
        line += "; " + summary("trajectory", reads)
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

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
microseconds. A tool, not a test; no sqlite3 side (python_writes.py has
one).

    python3 tools/bench/first_visits.py --work DIR --library A.so
        --against B.so [--against-python PYDIR] [--visits N]

compares two builds in one process: a copy of the store is made for B
(DIR/cotrack-b), the module is loaded once over each library (B's from
PYDIR when given: another version of python/), and the two take turns in
blocks of 250 visits, who goes first alternating. It prints each side's p50
and mean and the median over the blocks of B's p50 / A's p50. On a shared
machine whose speed drifts by 10 % or more within a minute, separate runs
could not tell a 5 % change from noise; A against itself gives 0.97-0.99
(B a little ahead: keep the build under test as A).
"""

import argparse
import datetime
import importlib.util
import os
import random
import shutil
import sqlite3
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def summary(name, lat):
    lat = sorted(lat)
    return f"{name} p50 {lat[len(lat) // 2] / 1e3:.1f} us mean {sum(lat) / len(lat) / 1e3:.1f} us"


def load_module(name, library, python_dir):
    """The cotrack module from python_dir/cotrack, over `library`, as a
    module of its own (`name`), so that two can be loaded side by side."""
    os.environ["COTRACK_LIBRARY"] = library
    package = os.path.join(python_dir, "cotrack")
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(package, "__init__.py"), submodule_search_locations=[package])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    module.library_path()  # loads the library while COTRACK_LIBRARY names it
    return module


def compare(args, ids, day):
    """--against: the two builds take turns on copies of the same store."""
    python_a = os.path.join(ROOT, "python")
    a = load_module("cotrack_a", args.library, python_a)
    b = load_module("cotrack_b", args.against, args.against_python or python_a)
    copy = os.path.join(args.work, "cotrack-b")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(os.path.join(args.work, "cotrack"), copy)
    sides = {"A": a.open(os.path.join(args.work, "cotrack"), sync=False, user="bench"),
             "B": b.open(copy, sync=False, user="bench")}
    lat = {"A": [], "B": []}
    ratios = []
    block = 250
    for start in range(0, args.visits, block):
        order = "AB" if (start // block) % 2 == 0 else "BA"
        p50 = {}
        for side in order:
            db, times = sides[side], []
            for j in range(start, min(args.visits, start + block)):
                p = ids[(j * 7919 + 13) % len(ids)]
                t0 = time.perf_counter_ns()
                db.record_visit(p, day, {"edss": 2.0, "hba1c": 5.5}, visit="W1")
                times.append(time.perf_counter_ns() - t0)
            lat[side] += times
            p50[side] = statistics.median(times)
        ratios.append(p50["B"] / p50["A"])
    for db in sides.values():
        db.close()
    print(f"{summary('A visit', lat['A'])}; {summary('B visit', lat['B'])}; "
          f"B/A p50, median over {len(ratios)} blocks: {statistics.median(ratios):.3f}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", required=True, help="a python_bench.py work directory (a copy)")
    ap.add_argument("--library", help="libcotrack.so (default: the module's own search)")
    ap.add_argument("--visits", type=int, default=8000)
    ap.add_argument("--hot", type=int, default=0,
                    help="after each visit, read a trajectory of one of the first N patients")
    ap.add_argument("--against", help="a second libcotrack.so: compare the two (see above)")
    ap.add_argument("--against-python",
                    help="with --against: the python/ directory of B's module (default this one)")
    args = ap.parse_args()
    if args.against and (args.hot or not args.library):
        ap.error("--against needs --library and does not take --hot")

    conn = sqlite3.connect(os.path.join(args.work, "obs.sqlite"))
    ids = sorted(p for (p,) in conn.execute("SELECT DISTINCT patient FROM obs"))
    last = datetime.date.fromisoformat(conn.execute("SELECT max(date) FROM obs").fetchone()[0][:10])
    conn.close()
    day = (last + datetime.timedelta(days=1)).isoformat()
    if args.against:
        return compare(args, ids, day)
    if args.library:
        os.environ["COTRACK_LIBRARY"] = args.library
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import cotrack  # noqa: E402  (after COTRACK_LIBRARY is set)
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

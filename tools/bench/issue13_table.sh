#!/usr/bin/env bash
# Every measurement behind issue 13's table (docs/PERFORMANCE.md), in one
# script, so that a run on a fresh clone gives the same rows as the last one:
#
#     bash tools/bench/issue13_table.sh [OUT] [--growth]
#
# OUT (default /tmp/issue13-table) receives one Markdown file per step and
# the work directories: about 250 MB are kept (issue 13's file and its
# stores), and --growth needs about 5 GB free while its largest step runs
# (that step's files are removed after it). It builds
# build-release/ (Release, the bench targets, DuckDB's npm package) first.
# The steps run one after another, never side by side, and each prints the
# load average it started at: the figures to quote are the ratios, which
# each step measures against its peer in the same run.
#
#   issue13.md        cotrack_bench on issue 13's file (30,000 patients x 2
#                     measures x 20 visits) against SQLite and DuckDB, then
#                     the Python module against Python's sqlite3
#   writes*.md        python_writes.py on a copy of that Python work
#                     directory: first visits, and follow-ups (--patients)
#   reads.md          python_reads.py, the settled trajectory read
#   open.md, cold.md  cotrack_open_bench at 30,000 and 300,000 patients, and
#                     cold_process.py: a cold `cotrack latest` against the
#                     sqlite3 shell, CPU per process, 300 runs interleaved
#   default.md        cotrack_bench at its default size (100,000 patients),
#                     for issue 6's targets
#   growth-N.md       with --growth, cotrack alone at 10,000, 100,000 and
#                     1,000,000 patients (item 3; about 7 minutes more)
#
# Takes about 8 minutes without --growth, 15 with it, on a 2-core machine.
# A tool, not a test: nothing here asserts on speed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=/tmp/issue13-table
growth=0
for arg in "$@"; do
  case "$arg" in
    --growth) growth=1 ;;
    -*) echo "usage: $0 [OUT] [--growth]" >&2; exit 2 ;;
    *) out=$arg ;;
  esac
done
mkdir -p "$out"
build="$root/build-release"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCOTRACK_BUILD_BENCH=ON \
  -DCOTRACK_BUILD_TESTS=OFF > "$out/build.log"
ninja -C "$build" cotrack cotrack_shared cotrack_bench cotrack_open_bench \
  cotrack_bench_duckdb >> "$out/build.log"
bench="$build/tools/bench/cotrack_bench"
lib="$build/engine/libcotrack.so"
cli="$build/tools/cotrack"

step() { echo "== $1 ($(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg))" >&2; }

step "issue 13's file: cotrack, SQLite, DuckDB, then Python"
rm -rf "$out/i13"
"$bench" --patients 30000 --shape issue13 --engines cotrack,sqlite,duckdb --reps 5 \
  --queries 2000 --python --keep --dir "$out/i13" > "$out/issue13.md"

for pass in writes writes-followup reads; do
  step "$pass on a copy of the Python work directory"
  rm -rf "$out/py-copy"
  cp -a "$out/i13/python" "$out/py-copy"
  case "$pass" in
    writes) python3 "$root/tools/bench/python_writes.py" --work "$out/py-copy" \
              --library "$lib" --visits 2000 --reps 7 > "$out/$pass.md" ;;
    writes-followup) python3 "$root/tools/bench/python_writes.py" --work "$out/py-copy" \
              --library "$lib" --visits 2000 --reps 7 --patients 1000 > "$out/$pass.md" ;;
    reads) python3 "$root/tools/bench/python_reads.py" --work "$out/py-copy" \
              --library "$lib" > "$out/$pass.md" ;;
  esac
done
rm -rf "$out/py-copy"

step "opening a database: 30,000 and 300,000 patients"
"$build/tools/bench/cotrack_open_bench" --sizes 30000,300000 --runs 3 \
  --parts open,held,sqlite --fresh --dir "$out/open" > "$out/open.md"
step "cold cotrack latest against the sqlite3 shell"
query="SELECT date, value FROM obs WHERE patient='P0022654' AND measure='edss' ORDER BY date DESC LIMIT 1"
# cold_process.py splits each command as a shell would (shlex): paths quoted.
python3 "$root/tools/bench/cold_process.py" --runs 300 \
  "sqlite=sqlite3 -csv '$out/open/sqlite-30000.db' \"$query\"" \
  "cotrack='$cli' --db '$out/open/db-30000' latest P0022654 edss --format csv" \
  "cotrack-300k='$cli' --db '$out/open/db-300000' latest P0022654 edss --format csv" \
  > "$out/cold.md"

step "the default size (100,000 patients): issue 6's targets"
rm -rf "$out/default"
"$bench" --engines cotrack,sqlite,duckdb --reps 3 --dir "$out/default" > "$out/default.md"

if [ "$growth" = 1 ]; then
  for n in 10000 100000 1000000; do
    step "growth: $n patients, cotrack alone"
    rm -rf "$out/growth-$n"
    "$bench" --patients "$n" --engines cotrack --reps 3 --dir "$out/growth-$n" \
      > "$out/growth-$n.md"
  done
fi
step "done: $out/*.md"

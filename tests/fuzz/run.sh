#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS (default 20), seeded from the small
# seeds in tests/fuzz/seeds/TARGET, the test data in ../shared/data (read in
# place, never copied) and, for the record decoder, records it encodes
# itself. Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]
# (targets default to every fuzz_* executable in BUILD_DIR/tests/fuzz).
# Crashes, leaks and UB reports are kept in BUILD_DIR/fuzz-artifacts/TARGET;
# the corpus each run grows is kept in BUILD_DIR/fuzz-corpus/TARGET, so a
# later run continues from it. Exit 1 when any target found something.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR [SECONDS] [TARGET...]}" && pwd)
seconds=${2:-20}
shift $(( $# >= 2 ? 2 : 1 ))
shared="$root/../shared/data"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for bin in "$build"/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] && [ -f "$bin" ] && targets+=("$(basename "$bin")")
  done
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz_* targets in $build/tests/fuzz" >&2
  exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/$t"
  corpus="$build/fuzz-corpus/$t"
  artifacts="$build/fuzz-artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  inputs=("$corpus")
  [ -d "$here/seeds/$t" ] && inputs+=("$here/seeds/$t")
  extra=()
  case "$t" in
    fuzz_record_decoder | fuzz_wire_decoder)
      # Well-formed records of every kind, written by the target itself.
      gen="$build/fuzz-seeds/$t"
      mkdir -p "$gen"
      COTRACK_FUZZ_WRITE_SEEDS="$gen" "$bin" -runs=0 "$gen" >/dev/null 2>&1
      inputs+=("$gen")
      ;;
    *)
      # Importers read files: every file of the shared test data is a seed.
      [ -d "$shared" ] && inputs+=("$shared")
      [[ "$t" == *csv* ]] && extra+=("-dict=$here/csv.dict")
      [[ "$t" == *hl7* ]] && extra+=("-dict=$here/hl7.dict")
      ;;
  esac
  echo "fuzz: $t for ${seconds}s" >&2
  log="$artifacts/last-run.log"
  "$bin" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${extra[@]}" "${inputs[@]}" \
    >"$log" 2>&1
  status=$?
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)|^#[0-9]+.*DONE" "$log" | sed "s/^/fuzz: $t: /" >&2
  if [ $status -ne 0 ]; then
    echo "fuzz: $t FAILED (exit $status); log: $log" >&2
    grep -E "ERROR|runtime error|SUMMARY|Test unit written" "$log" | head -20 >&2
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no findings" >&2

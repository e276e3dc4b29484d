#!/usr/bin/env bash
# Installs, builds, imports the bundled follow-up study into a fresh database
# and prints one patient's EDSS trajectory and latest values.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COTRACK_BUILD_TARGETS=cotrack source "$root/.ci/setup.sh"
cotrack="${COTRACK_BUILD_DIR:-$root/build}/tools/cotrack"
db=$(mktemp -d)/study-db
set -x
"$cotrack" --db "$db" import "$root/examples/study/patients.csv" "$root/examples/study/observations.csv"
"$cotrack" --db "$db" trajectory S01 edss
"$cotrack" --db "$db" latest S01

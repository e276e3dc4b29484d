#!/usr/bin/env bash
# Installs, builds and runs every test (what CI runs). Extra arguments go to
# ctest, e.g. tests/run.sh -R Damage.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/.ci/setup.sh"
cd "${COTRACK_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "$(nproc)" "$@"

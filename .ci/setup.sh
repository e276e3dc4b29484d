#!/usr/bin/env bash
# Installs what cotrack needs from Debian (only what is missing) and builds it
# into build/ (or $COTRACK_BUILD_DIR). Sourced by examples/demo.sh,
# tests/run.sh and .ci/run, so the README's commands and CI do the same thing.
set -euo pipefail

# tzdata: the system zone files that `import --timezone` (absl::LoadTimeZone)
# reads; minimal images leave it out.
packages=(cmake ninja-build g++ pkg-config librocksdb-dev libflatbuffers-dev flatbuffers-compiler
          libabsl-dev libgtest-dev libgmock-dev libssl-dev libsqlite3-dev rapidjson-dev python3
          tzdata)
# Embed.Go and Embed.Java build the Go and Java examples against an installed
# cotrack (downloads: about 80 MB for Go, 120-170 MB for the JDK and the
# libraries it needs), and Embed.Python installs the package into a venv and
# reads results into pandas: only for a full build, which includes the tests,
# not for examples/demo.sh or CI's partial TSan build, which name their
# targets.
if [ -z "${COTRACK_BUILD_TARGETS:-}" ]; then
  packages+=(golang-go default-jdk-headless libjna-java
             python3-venv python3-pip python3-setuptools python3-wheel python3-pandas)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${COTRACK_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${COTRACK_BUILD_TYPE:-RelWithDebInfo}" \
  ${COTRACK_CMAKE_ARGS:-} >&2
cmake --build "$build" -j "$(nproc)" ${COTRACK_BUILD_TARGETS:+--target $COTRACK_BUILD_TARGETS} >&2

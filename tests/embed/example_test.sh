#!/usr/bin/env bash
# Embed.Go and Embed.Java: installs the build into a fresh prefix, builds the
# Go or Java example against that installed copy only (cotrack.pc for cgo,
# JNA for Java; the build tree is nowhere on any path), runs it on a new
# database and compares what it prints with what every example prints.
# Usage: example_test.sh go|java BUILD_DIR SOURCE_DIR WORK_DIR
# Exits 77 (ctest: skipped) when the language's tools are not installed;
# .ci/setup.sh installs them, so CI always runs both.
set -euo pipefail
lang=$1 build=$2 source=$3 work=$4

case $lang in
  go) needs=(go) packages="golang-go" ;;
  java) needs=(javac java /usr/share/java/jna.jar) packages="default-jdk-headless libjna-java" ;;
  *) echo "unknown language $lang" >&2; exit 2 ;;
esac
for need in "${needs[@]}"; do
  if [[ $need == */* ]] && [ -e "$need" ]; then continue; fi
  if [[ $need != */* ]] && command -v "$need" >/dev/null; then continue; fi
  echo "SKIPPED: $need not found (Debian: apt-get install $packages)" >&2
  exit 77
done

rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
lib=$(find "$prefix" -name libcotrack.so.0 -print -quit)
libdir=$(dirname "$lib")
unset LD_LIBRARY_PATH PKG_CONFIG_LIBDIR COTRACK_LIBRARY
example=$source/examples/embed/$lang

case $lang in
  go)
    # Offline and hermetic: the example uses the standard library only.
    export HOME=$work/home GOCACHE=$work/gocache GOPATH=$work/gopath GOPROXY=off GOFLAGS=
    PKG_CONFIG_PATH=$libdir/pkgconfig CGO_LDFLAGS="-Wl,-rpath,$libdir" \
      go build -o "$work/embed_go" "$example/main.go"
    program=("$work/embed_go")
    ;;
  java)
    javac -Xlint:all -Werror -cp /usr/share/java/jna.jar -d "$work/classes" "$example/Embed.java"
    program=(java -cp "/usr/share/java/jna.jar:$work/classes" -Djna.library.path="$libdir" Embed)
    ;;
esac

expected='P01 edss 2024-01-05 4
P01 edss 2024-07-09 3.5
P01 hba1c latest 2024-07-09 6.54 % (entered 48 mmol/mol)'
out=$("${program[@]}" "$work/db")
if [ "$out" != "$expected" ]; then
  printf '%s example printed:\n%s\nexpected:\n%s\n' "$lang" "$out" "$expected" >&2
  exit 1
fi
# A failure must reach the caller as a message and an exit status, not as
# output: the C ABI's code and message, through the example's error path.
if "${program[@]}" /proc/self/no-such-dir/db >"$work/out" 2>"$work/err"; then
  echo "$lang example succeeded on an impossible path" >&2
  exit 1
fi
if ! grep -Eq '^[A-Z_]+: .+' "$work/err" || [ -s "$work/out" ]; then
  printf '%s example on an impossible path: stdout:\n%s\nstderr:\n%s\n' "$lang" \
    "$(cat "$work/out")" "$(cat "$work/err")" >&2
  exit 1
fi
echo "ok: $lang example against the installed library in $libdir"

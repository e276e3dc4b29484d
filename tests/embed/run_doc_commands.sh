#!/usr/bin/env bash
# Embed.DocCommands: runs the shell commands of a page (docs/EMBEDDING.md) the
# way a new user would, so the page cannot drift from what works:
#   - every ```sh block, in the page's order, in one shell (variables and
#     `export`s carry over, as in a terminal), stopping at the first failure;
#   - from a copy of the checkout (symbolic links) whose build/ is this build
#     tree, with a clean environment: a fresh HOME, no PKG_CONFIG_PATH,
#     LD_LIBRARY_PATH, COTRACK_LIBRARY or PYTHONPATH;
#   - the page's own `PREFIX=...` line is replaced by a temporary directory,
#     so the install commands are run too.
# A block is skipped when its first line is "# not run: WHY", and, with a
# message, when its first line is "# requires: TOOL..." and a TOOL (a command,
# or a file when it contains a /) is missing. Every line the commands print
# that starts with "P01 " must be part of a complete copy of the page's first
# ```text block: what each example program prints.
# Usage: run_doc_commands.sh PAGE SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
page=$1 source=$2 build=$3 work=$4

rm -rf "$work"
mkdir -p "$work/checkout" "$work/home"
trap 'rm -rf "$work"' EXIT
# Only what a checkout holds: a developer's own build-example/ or classes/
# from following the page by hand must not be reused.
if git -C "$source" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  entries=$(git -C "$source" ls-files | cut -d/ -f1 | sort -u)
else
  entries=$(ls -A "$source")
fi
for entry in $entries; do
  [ "$entry" = build ] || ln -s "$source/$entry" "$work/checkout/$entry"
done
ln -s "$build" "$work/checkout/build"

# The page becomes one script; each block is announced on stderr with its
# line number so that a failure points at the page.
awk -v prefix="$work/prefix" -v page="$page" '
  function flush(   i, n, words, cond, reason) {
    if (lines[1] ~ /^# not run:/) {
      reason = substr(lines[1], 3)
      gsub(/[^-A-Za-z0-9 _.,:;()\/]/, "", reason)  # it goes inside double quotes
      printf "echo \"=== %s:%d: skipped (%s)\" >&2\n", page, start, reason
      return
    }
    cond = ""
    if (lines[1] ~ /^# requires:/) {
      n = split(substr(lines[1], 12), words, " ")
      for (i = 1; i <= n; i++)
        cond = cond (i > 1 ? " && " : "") \
               (words[i] ~ /\// ? "[ -e " words[i] " ]" : "command -v " words[i] " >/dev/null")
      printf "if %s; then\n", cond
    }
    printf "echo \"=== %s:%d (at $SECONDS s)\" >&2\n", page, start
    for (i = 1; i <= count; i++) {
      if (lines[i] ~ /^PREFIX=/) { print "PREFIX=" prefix; found = 1 } else print lines[i]
    }
    if (cond != "")
      printf "else\necho \"=== %s:%d: SKIPPED, needs%s\" >&2\nfi\n", page, start, \
             substr(lines[1], 12)
  }
  /^```sh[ \t]*$/ { inside = 1; start = NR; count = 0; delete lines; next }
  inside && /^```[ \t]*$/ { inside = 0; flush(); blocks++; next }
  inside { lines[++count] = $0 }
  END {
    if (!blocks) { print "no ```sh block in " page > "/dev/stderr"; exit 1 }
    if (!found) { print page " sets no PREFIX=...: nothing to point at a temporary prefix" > "/dev/stderr"; exit 1 }
  }
' "$source/$page" > "$work/commands.sh"

expected=$(awk '/^```text[ \t]*$/ { on = 1; next } on && /^```/ { exit } on' "$source/$page")
if [ -z "$expected" ]; then
  echo "$page has no \`\`\`text block with what the examples print" >&2
  exit 1
fi

cd "$work/checkout"
status=0
# A fresh machine's PATH too: a developer's PATH may put another python3
# (pyenv, conda) first, which lacks the Debian packages the page installs.
env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME="$work/home" LANG=C.UTF-8 TMPDIR="$work" \
  bash -e -o pipefail -x "$work/commands.sh" > "$work/stdout" || status=$?
cat "$work/stdout"
if [ "$status" -ne 0 ]; then
  echo "a command of $page failed (exit $status): see the last === line and command above" >&2
  exit 1
fi

grep '^P01 ' "$work/stdout" > "$work/printed" || true
per_run=$(printf '%s\n' "$expected" | wc -l)
printed=$(wc -l < "$work/printed")
runs=$((printed / per_run))
: > "$work/want"
for ((i = 0; i < runs; i++)); do printf '%s\n' "$expected" >> "$work/want"; done
if [ "$runs" -eq 0 ] || ! cmp -s "$work/printed" "$work/want"; then
  echo "the programs run by $page printed:" >&2
  cat "$work/printed" >&2
  echo "which is not copies of the page's \`\`\`text block:" >&2
  printf '%s\n' "$expected" >&2
  exit 1
fi
echo "ok: every sh block of $page ran; $runs example runs printed what the page says"

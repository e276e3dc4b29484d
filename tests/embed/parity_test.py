"""Embed.Parity: every command of the command line has a C ABI call and a
Python method (issue 16, item 1).

The commands come from the built CLI itself (`cotrack --help`), the mapping
from the table in docs/EMBEDDING.md ("Every command: its C call and Python
method"). Fails naming each command that has no row, whose C function is
not exported by libcotrack.so, or whose Python method is not on
cotrack.Database.

Environment (set by tests/embed/CMakeLists.txt): COTRACK_CLI, the built
`cotrack`; COTRACK_LIBRARY, the built libcotrack.so; PYTHONPATH, the
checkout's python/; argv[1], docs/EMBEDDING.md.
"""
import ctypes
import os
import re
import subprocess
import sys

SECTION = "## Every command: its C call and Python method"


def cli_commands(cli):
    """The command names `cotrack --help` lists ("measure add", ...)."""
    out = subprocess.run([cli, "--help"], check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    start = lines.index("Commands:") + 1
    names = []
    for line in lines[start:]:
        if not line.strip():
            break
        # "  NAME<padding>  SUMMARY": a name has single spaces, the gap two.
        names.append(re.split(r"\s{2,}", line.strip())[0])
    if len(names) < 10:
        sys.exit(f"parity: only {len(names)} commands parsed from `cotrack --help`:\n{out}")
    return names


def doc_table(path):
    """{command: (c_symbols, python_methods)} from the doc's table."""
    text = open(path, encoding="utf-8").read()
    if SECTION not in text:
        sys.exit(f"parity: {path} has no section {SECTION!r}")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"^\|\s*`cotrack ([^`]+)`\s*\|(.*)\|(.*)\|\s*$", line)
        if not m:
            continue
        rows[m.group(1).strip()] = (re.findall(r"`([^`]+)`", m.group(2)),
                                    re.findall(r"`([^`]+)`", m.group(3)))
    return rows


def main():
    cli = os.environ["COTRACK_CLI"]
    lib = ctypes.CDLL(os.environ["COTRACK_LIBRARY"])
    import cotrack  # noqa: E402  (PYTHONPATH from the test's environment)

    commands = cli_commands(cli)
    rows = doc_table(sys.argv[1])
    problems = []
    for name in commands:
        if name not in rows:
            problems.append(f"`cotrack {name}`: no row in the table of {sys.argv[1]}")
            continue
        c_symbols, py_methods = rows[name]
        if not c_symbols:
            problems.append(f"`cotrack {name}`: the table names no C function")
        if not py_methods:
            problems.append(f"`cotrack {name}`: the table names no Python method")
        for symbol in c_symbols:
            if not hasattr(lib, symbol):  # dlsym on the built library
                problems.append(f"`cotrack {name}`: C function {symbol} is not exported by "
                                f"{os.environ['COTRACK_LIBRARY']}")
        for method in py_methods:
            if not callable(getattr(cotrack.Database, method, None)):
                problems.append(f"`cotrack {name}`: Python method Database.{method} does not "
                                "exist")
    for name in rows:
        if name not in commands:
            problems.append(f"`cotrack {name}`: in the table but not a command of `cotrack "
                            "--help` (renamed or removed?)")
    if problems:
        print("parity: commands without a C or Python counterpart:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        sys.exit(1)
    print(f"parity: {len(commands)} commands, each with a C call and a Python method")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Cold-process cost of whole commands, interleaved (issue 13).

    python3 tools/bench/cold_process.py --runs N NAME=COMMAND [NAME=COMMAND ...]

Each COMMAND is a shell-quoted command line (split with shlex, run without a
shell, stdout and stderr to /dev/null). One run starts every command once,
in the order given, and the runs repeat N times, so a change in the
machine's load falls on all commands alike. For each command it prints the
median, over the runs, of the process's CPU time (user + system, from
wait4's rusage, threads included) and of its wall time from spawn to exit
(compare with `true` for the floor). Every command must exit 0. A tool, not a test.

Example (the registries of cotrack_open_bench):

    python3 tools/bench/cold_process.py --runs 300 \\
      'sqlite=sqlite3 -csv D/sqlite-30000.db "SELECT date, value FROM obs WHERE
        patient='"'"'P0022654'"'"' AND measure='"'"'edss'"'"' ORDER BY date DESC LIMIT 1"' \\
      'cotrack=build-release/tools/cotrack --db D/db-30000 latest P0022654 edss --format csv'
"""

import argparse
import os
import shlex
import statistics
import sys
import time


def run(argv):
    start = time.perf_counter()
    # posix_spawn (vfork underneath) rather than fork: the child does not
    # copy this interpreter's page tables, which rusage would charge to it.
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ])
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        sys.exit(f"cold_process.py: {shlex.join(argv)} exited with status {status}")
    return (usage.ru_utime + usage.ru_stime) * 1e3, wall * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100, help="runs of each command")
    parser.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = parser.parse_args()
    commands = []
    for spec in args.commands:
        name, sep, command = spec.partition("=")
        if not sep or not command:
            sys.exit(f"cold_process.py: expected NAME=COMMAND, got {spec!r}")
        commands.append((name, shlex.split(command)))
    cpu = {name: [] for name, _ in commands}
    wall = {name: [] for name, _ in commands}
    for _ in range(args.runs):
        for name, argv in commands:
            c, w = run(argv)
            cpu[name].append(c)
            wall[name].append(w)
    width = max(len(name) for name, _ in commands)
    print(f"{'command':{width}}  CPU ms  wall ms  (medians of {args.runs} runs)")
    for name, _ in commands:
        print(f"{name:{width}}  {statistics.median(cpu[name]):6.2f}  "
              f"{statistics.median(wall[name]):7.2f}")


if __name__ == "__main__":
    main()

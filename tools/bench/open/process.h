// Process helpers for cotrack_open_bench: starting programs (posix_spawn,
// optional pipes to stdin and from stdout), timing a whole process from
// spawn to exit, reading this process's resident set size, and a few file
// system chores. Nothing here knows about cotrack.
#ifndef COTRACK_TOOLS_BENCH_OPEN_PROCESS_H_
#define COTRACK_TOOLS_BENCH_OPEN_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cotrack::openbench {

// Monotonic nanoseconds since an arbitrary origin.
inline int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A started child. The pipe ends are -1 unless asked for.
struct Child {
  pid_t pid = -1;
  int stdin_fd = -1;   // write end of the child's stdin
  int stdout_fd = -1;  // read end of the child's stdout
};

// Starts argv[0] (a path) with `argv`; stderr is inherited. Every pipe end
// this process keeps is close-on-exec, so no other child inherits it.
absl::StatusOr<Child> Spawn(const std::vector<std::string>& argv, bool pipe_stdin,
                            bool capture_stdout);

// Waits for `pid`; its exit code, or 128 + the signal that ended it.
int WaitExit(pid_t pid);

// Reads `fd` to end of file and closes it.
std::string ReadAll(int fd);

// Reads one line (without its '\n') from `fd`, a byte at a time so nothing
// after it is consumed; false at end of file before any byte.
bool ReadLine(int fd, std::string* line);

// A program run to completion: wall time from just before it was spawned to
// just after it was reaped, its exit code and its stdout.
struct Run {
  int64_t wall_ns = 0;
  int exit_code = -1;
  std::string out;
};
absl::StatusOr<Run> RunTimed(const std::vector<std::string>& argv);

// Resident set size of this process in bytes (/proc/self/statm).
int64_t RssBytes();

// The path of this executable (/proc/self/exe).
std::string SelfExe();

// Total bytes of the regular files in `dir` (not recursive) whose name ends
// in `suffix` (every file when empty), and how many there were.
struct DirFiles {
  int64_t bytes = 0;
  int count = 0;
};
DirFiles FilesInDir(const std::string& dir, const std::string& suffix);

// `rm -rf dir` and `cp -a from to` (through the real tools).
absl::Status RemoveTree(const std::string& dir);
absl::Status CopyTree(const std::string& from, const std::string& to);

// Median of `v` (mean of the two middle values for an even count); 0 when
// empty. Reorders `v`.
double Median(std::vector<double>& v);

}  // namespace cotrack::openbench

#endif  // COTRACK_TOOLS_BENCH_OPEN_PROCESS_H_

// Real processes for the multi-process tests and campaign: start one with
// its output in a file, find which one holds a database, wait for them.
#ifndef COTRACK_TESTS_MULTIPROCESS_PROCESSES_H_
#define COTRACK_TESTS_MULTIPROCESS_PROCESSES_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace cotrack::mp {

// A child process whose standard output goes to a file.
struct Child {
  pid_t pid = -1;
  int stdin_fd = -1;  // write end of its standard input (closing it ends --hold)
  std::string out;    // path of its standard output
  std::string err;    // path of its standard error; empty: this process's
};

// Starts `args` (args[0] a path); -1 pid when it could not start. Standard
// error goes to `err_path` when one is given.
Child Spawn(const std::vector<std::string>& args, const std::string& out_path,
            const std::string& err_path = "");

// Closes the child's standard input and waits: its exit code, or 128 + the
// signal that ended it.
int Wait(Child& c);

// The child's standard output so far.
std::string Output(const Child& c);

// Lines of the child's output that start with `prefix`.
int CountLines(const Child& c, const std::string& prefix);

// Waits up to `seconds` until the child printed `count` lines starting with
// `prefix`; false when it did not.
bool AwaitLines(const Child& c, const std::string& prefix, int count, int seconds = 30);

// The process holding the lock of database directory `db`, or 0 when none
// does, or this process does (its own lock never conflicts with itself).
pid_t Holder(const std::string& db);

// The "ack PATIENT DAY" lines of `out`, as (patient, day).
std::vector<std::pair<std::string, int64_t>> Acknowledged(const std::string& out);

}  // namespace cotrack::mp

#endif  // COTRACK_TESTS_MULTIPROCESS_PROCESSES_H_

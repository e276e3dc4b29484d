#include "multiprocess/processes.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace cotrack::mp {

Child Spawn(const std::vector<std::string>& args, const std::string& out_path,
            const std::string& err_path) {
  Child c;
  c.out = out_path;
  c.err = err_path;
  int in[2];
  if (pipe2(in, O_CLOEXEC) != 0) return c;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  if (!err_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
  }
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  if (posix_spawn(&c.pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) c.pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  c.stdin_fd = in[1];
  return c;
}

int Wait(Child& c) {
  if (c.stdin_fd >= 0) close(c.stdin_fd);
  c.stdin_fd = -1;
  if (c.pid <= 0) return -1;
  int status = 0;
  while (waitpid(c.pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string Output(const Child& c) {
  std::ifstream in(c.out);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int CountLines(const Child& c, const std::string& prefix) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(Output(c), '\n')) {
    if (absl::StartsWith(line, prefix)) ++n;
  }
  return n;
}

bool AwaitLines(const Child& c, const std::string& prefix, int count, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (CountLines(c, prefix) < count) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

pid_t Holder(const std::string& db) {
  int fd = open((db + "/LOCK").c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return 0;
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  const bool ok = fcntl(fd, F_GETLK, &fl) == 0;
  close(fd);
  return ok && fl.l_type != F_UNLCK ? fl.l_pid : 0;
}

std::vector<std::pair<std::string, int64_t>> Acknowledged(const std::string& out) {
  std::vector<std::pair<std::string, int64_t>> acked;
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    int64_t day;
    if (f.size() == 3 && f[0] == "ack" && absl::SimpleAtoi(f[2], &day)) {
      acked.emplace_back(std::string(f[1]), day);
    }
  }
  return acked;
}

}  // namespace cotrack::mp

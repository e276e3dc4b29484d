#include "process.h"

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace cotrack::openbench {

absl::StatusOr<Child> Spawn(const std::vector<std::string>& argv, bool pipe_stdin,
                            bool capture_stdout) {
  int in[2] = {-1, -1}, out[2] = {-1, -1};
  if ((pipe_stdin && ::pipe2(in, O_CLOEXEC) != 0) ||
      (capture_stdout && ::pipe2(out, O_CLOEXEC) != 0)) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears close-on-exec on the child's copy only.
  if (pipe_stdin) posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  if (capture_stdout) posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (pipe_stdin) ::close(in[0]);
  if (capture_stdout) ::close(out[1]);
  if (rc != 0) {
    if (pipe_stdin) ::close(in[1]);
    if (capture_stdout) ::close(out[0]);
    return absl::InternalError(absl::StrCat("spawn ", argv[0], ": ", std::strerror(rc)));
  }
  Child c;
  c.pid = pid;
  c.stdin_fd = pipe_stdin ? in[1] : -1;
  c.stdout_fd = capture_stdout ? out[0] : -1;
  return c;
}

int WaitExit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

bool ReadLine(int fd, std::string* line) {
  line->clear();
  bool any = false;
  for (;;) {
    char c;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return any;
    any = true;
    if (c == '\n') return true;
    line->push_back(c);
  }
}

absl::StatusOr<Run> RunTimed(const std::vector<std::string>& argv) {
  Run r;
  const int64_t start = NowNanos();
  absl::StatusOr<Child> c = Spawn(argv, /*pipe_stdin=*/false, /*capture_stdout=*/true);
  if (!c.ok()) return c.status();
  r.out = ReadAll(c->stdout_fd);
  r.exit_code = WaitExit(c->pid);
  r.wall_ns = NowNanos() - start;
  return r;
}

int64_t RssBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return resident * static_cast<int64_t>(::sysconf(_SC_PAGESIZE));
}

std::string SelfExe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

DirFiles FilesInDir(const std::string& dir, const std::string& suffix) {
  DirFiles out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (!suffix.empty() && !absl::EndsWith(name, suffix)) continue;
    struct stat st;
    if (::stat((dir + "/" + name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    out.bytes += st.st_size;
    ++out.count;
  }
  ::closedir(d);
  return out;
}

namespace {
absl::Status RunTool(const std::vector<std::string>& argv) {
  absl::StatusOr<Child> c = Spawn(argv, false, false);
  if (!c.ok()) return c.status();
  const int code = WaitExit(c->pid);
  if (code != 0) return absl::InternalError(absl::StrCat(argv[0], " exited with ", code));
  return absl::OkStatus();
}
}  // namespace

absl::Status RemoveTree(const std::string& dir) { return RunTool({"/bin/rm", "-rf", dir}); }

absl::Status CopyTree(const std::string& from, const std::string& to) {
  return RunTool({"/bin/cp", "-a", from, to});
}

double Median(std::vector<double>& v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace cotrack::openbench

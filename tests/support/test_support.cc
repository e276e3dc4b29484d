#include "support/test_support.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cotrack::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "cotrack-test-XXXXXX").string();
  char* made = mkdtemp(tmpl.data());
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  ASSERT_TRUE(out) << "cannot write " << path;
  out << contents;
}

void FlipByte(const std::string& path, int64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(offset);
  char c = 0;
  ASSERT_TRUE(f.get(c)) << "cannot read byte " << offset << " of " << path;
  f.seekp(offset);
  ASSERT_TRUE(f.put(static_cast<char>(c ^ 0x5a)))
      << "cannot write byte " << offset << " of " << path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string SharedData(const std::string& relative) {
  return std::string(COTRACK_SHARED_DATA) + "/" + relative;
}

std::string SourcePath(const std::string& relative) {
  return std::string(COTRACK_SOURCE_DIR) + "/" + relative;
}

std::string MsprogToyEdssObservations() {
  std::ifstream in(SharedData("msprog_toydata/MSprog_toydata_visits.csv"));
  if (!in) ADD_FAILURE() << "cannot read msprog's toy visits";
  std::string line;
  std::getline(in, line);
  std::ostringstream obs;
  obs << "patient,measure,date,value\n";
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f = absl::StrSplit(line, ',');
    if (f.size() < 4) {
      ADD_FAILURE() << "short line in msprog's toy visits: " << line;
      continue;
    }
    absl::string_view id = f[0];
    absl::ConsumePrefix(&id, "\"");
    absl::ConsumeSuffix(&id, "\"");
    obs << id << ",edss," << f[1] << "," << f[3] << "\n";
  }
  return obs.str();
}

CommandResult RunCotrack(const std::vector<std::string>& args, const std::vector<std::string>& env,
                         const std::string& stdin_text) {
  CommandResult result;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0 || pipe(err_pipe) != 0) {
    ADD_FAILURE() << "pipe failed";
    return result;
  }
  std::vector<std::string> argv_storage;
  argv_storage.push_back(COTRACK_BINARY);
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      close(fd);
    }
    unsetenv("COTRACK_DB");
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (!stdin_text.empty()) {
    ssize_t ignored = write(in_pipe[1], stdin_text.data(), stdin_text.size());
    (void)ignored;
  }
  close(in_pipe[1]);

  // Drain both pipes together so a chatty child never blocks on a full pipe.
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        sinks[i]->append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace cotrack::testing

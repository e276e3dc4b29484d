// CheckDatabase, BackupDatabase and DumpDatabase (cotrack/maintenance.h,
// cotrack/export.h) run where the database is held: on this process's engine,
// or in the serving process, so that they never race another process's
// compactions (a file removed under a read-only open read as "damaged").
#include "cotrack/maintenance.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "cotrack/export.h"
#include "cotrack/status_macros.h"
#include "maintenance/backup.h"
#include "maintenance/check.h"
#include "maintenance/dump.h"
#include "serve/engine.h"

namespace cotrack {
namespace {

Options ExistingOnly(const Options& options) {
  Options o = options;
  o.create_if_missing = false;
  return o;
}

// Runs `local` on the engine holding `path`, or sends the request `build`
// makes to the process serving it, again after a hand-over. `build` runs
// before every try: a caller receiving frames drops those of a failed try
// there.
absl::Status RunMaintenance(const std::string& path, const Options& options,
                            const std::function<absl::Status(Engine&)>& local,
                            const std::function<void(rpc::Request&)>& build,
                            rpc::Response* response,
                            const std::function<absl::Status(rpc::Response&)>& on_frame = nullptr,
                            int pass_fd = -1) {
  for (HandOverBudget hand_overs(options);;) {
    COTRACK_ASSIGN_OR_RETURN(Attachment a, Attach(path, ExistingOnly(options)));
    if (a.engine != nullptr) return local(*a.engine);
    rpc::Request request;
    build(request);
    absl::Status s = a.client->Call(request, response, on_frame, pass_fd);
    if (!rpc::IsTransportLost(s) || !hand_overs.Another()) return s;
  }
}

// A dump served by another process is spooled to an unlinked temporary file
// and copied to the caller's stream once whole: when that process dies
// mid-stream the dump is taken again from the one that takes over, and the
// stream still receives exactly one dump.
class Spool {
 public:
  Spool() {
    const char* tmp = std::getenv("TMPDIR");
    std::string name =
        absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/cotrack-dump-XXXXXX");
    fd_ = ::mkstemp(name.data());
    if (fd_ >= 0) {
      ::unlink(name.c_str());
    } else {
      error_ = absl::UnavailableError(absl::StrCat(
          "cannot create a temporary file for the dump in ", name.substr(0, name.rfind('/')), ": ",
          std::strerror(errno), " (set TMPDIR to a writable directory)"));
    }
  }
  ~Spool() {
    if (fd_ >= 0) ::close(fd_);
  }
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Drops what a failed try wrote.
  void Reset() {
    if (fd_ >= 0 && (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0)) Fail("truncate");
  }

  absl::Status Write(const std::string& text) {
    size_t done = 0;
    while (error_.ok() && done < text.size()) {
      const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        Fail("write");
        break;
      }
      done += static_cast<size_t>(n);
    }
    return error_;
  }

  absl::Status CopyTo(std::ostream& out) {
    if (error_.ok() && ::lseek(fd_, 0, SEEK_SET) != 0) Fail("rewind");
    char buf[1 << 16];
    while (error_.ok()) {
      const ssize_t n = ::read(fd_, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) Fail("read");
      if (n <= 0) break;
      out.write(buf, n);
      if (!out.good()) return absl::UnavailableError("cannot write the dump: output failed");
    }
    return error_;
  }

 private:
  void Fail(const char* what) {
    if (error_.ok()) {
      error_ = absl::UnavailableError(
          absl::StrCat("cannot ", what, " the dump's temporary file: ", std::strerror(errno),
                       " (is TMPDIR full? set TMPDIR elsewhere)"));
    }
  }

  int fd_ = -1;
  absl::Status error_;
};

}  // namespace

absl::StatusOr<CheckReport> CheckDatabase(const std::string& path, const Options& options) {
  CheckReport report;
  rpc::Response response;
  bool remote = false;
  absl::Status s = RunMaintenance(
      path, options,
      [&](Engine& e) {
        remote = false;
        report = CheckReport();
        return CheckStore(e.db().store(), &report);
      },
      [&](rpc::Request& r) {
        r.op = rpc::Op::kCheck;
        remote = true;
      },
      &response);
  // Too damaged to open: checked file by file, read-only.
  if (absl::IsDataLoss(s)) return CheckClosedDatabase(path, options);
  COTRACK_RETURN_IF_ERROR(s);
  return remote ? std::move(response.check) : report;
}

absl::StatusOr<BackupInfo> BackupDatabase(const std::string& db_path, const std::string& backup_dir,
                                          const Options& options) {
  if (::mkdir(backup_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(
        absl::StrCat("cannot create backup directory ", backup_dir, ": ", std::strerror(errno)));
  }
  BackupInfo info;
  rpc::Response response;
  // The serving process writes into the directory this process opened: the
  // path may mean another place there (another working directory).
  rpc::UniqueFd dir(::open(backup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) {
    return absl::UnavailableError(
        absl::StrCat("cannot open backup directory ", backup_dir, ": ", std::strerror(errno)));
  }
  bool remote = false;
  COTRACK_RETURN_IF_ERROR(RunMaintenance(
      db_path, options,
      [&](Engine& e) -> absl::Status {
        remote = false;
        if (e.frozen()) {
          COTRACK_ASSIGN_OR_RETURN(info, BackupClosedDatabase(db_path, backup_dir, options));
        } else {
          COTRACK_ASSIGN_OR_RETURN(
              info, BackupStore(e.db().store(), backup_dir, options.encryption_key_file));
        }
        return absl::OkStatus();
      },
      [&](rpc::Request& r) {
        r.op = rpc::Op::kBackup;
        remote = true;
      },
      &response, nullptr, dir.get()));
  return remote ? response.backup : info;
}

absl::StatusOr<DumpSummary> DumpDatabase(const std::string& path, const Options& options,
                                         std::ostream& out) {
  DumpSummary summary;
  rpc::Response response;
  std::unique_ptr<Spool> spool;
  COTRACK_RETURN_IF_ERROR(RunMaintenance(
      path, options,
      [&](Engine& e) -> absl::Status {
        spool.reset();
        COTRACK_ASSIGN_OR_RETURN(summary, DumpStore(e.db().store(), out));
        return absl::OkStatus();
      },
      [&](rpc::Request& r) {
        r.op = rpc::Op::kDump;
        if (spool == nullptr) spool = std::make_unique<Spool>();
        spool->Reset();
      },
      &response, [&](rpc::Response& frame) { return spool->Write(frame.chunk); }));
  if (spool == nullptr) return summary;
  COTRACK_RETURN_IF_ERROR(spool->CopyTo(out));
  return response.dump;
}

}  // namespace cotrack

// CheckDatabase, BackupDatabase and DumpDatabase (cotrack/maintenance.h,
// cotrack/export.h) run where the database is held: on this process's engine,
// or in the serving process, so that they never race another process's
// compactions (a file removed under a read-only open read as "damaged").
#include "cotrack/maintenance.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "cotrack/export.h"
#include "cotrack/status_macros.h"
#include "maintenance/backup.h"
#include "maintenance/check.h"
#include "maintenance/dump.h"
#include "serve/engine.h"

namespace cotrack {
namespace {

// Hand-overs one maintenance call rides out.
constexpr int kMaxReattach = 3;

Options ExistingOnly(const Options& options) {
  Options o = options;
  o.create_if_missing = false;
  return o;
}

// Runs `local` on the engine holding `path`, or sends the request `build`
// makes to the process serving it, again after a hand-over.
absl::Status RunMaintenance(const std::string& path, const Options& options,
                            const std::function<absl::Status(Engine&)>& local,
                            const std::function<void(rpc::Request&)>& build,
                            rpc::Response* response,
                            const std::function<absl::Status(rpc::Response&)>& on_frame = nullptr,
                            int pass_fd = -1) {
  for (int tries = 0;; ++tries) {
    COTRACK_ASSIGN_OR_RETURN(Attachment a, Attach(path, ExistingOnly(options)));
    if (a.engine != nullptr) return local(*a.engine);
    rpc::Request request;
    build(request);
    bool delivered = false;
    std::function<absl::Status(rpc::Response&)> frames;
    if (on_frame != nullptr) {
      frames = [&](rpc::Response& r) {
        delivered = true;
        return on_frame(r);
      };
    }
    absl::Status s = a.client->Call(request, response, frames, pass_fd);
    if (!rpc::IsTransportLost(s) || delivered || tries >= kMaxReattach) return s;
  }
}

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
  bool remote = false;
  COTRACK_RETURN_IF_ERROR(RunMaintenance(
      path, options,
      [&](Engine& e) -> absl::Status {
        remote = false;
        COTRACK_ASSIGN_OR_RETURN(summary, DumpStore(e.db().store(), out));
        return absl::OkStatus();
      },
      [&](rpc::Request& r) {
        r.op = rpc::Op::kDump;
        remote = true;
      },
      &response,
      [&](rpc::Response& frame) {
        out.write(frame.chunk.data(), static_cast<std::streamsize>(frame.chunk.size()));
        return out.good() ? absl::OkStatus()
                          : absl::UnavailableError("cannot write the dump: output failed");
      }));
  return remote ? response.dump : summary;
}

}  // namespace cotrack

// Backups with RocksDB's BackupEngine, taken from a read-only open so that
// they work while a writer (in this process or another) holds the database.
#include "maintenance/backup.h"

#include <dirent.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cotrack/maintenance.h"
#include "cotrack/status_macros.h"
#include "maintenance/check.h"
#include "maintenance/open_store.h"
#include "storage/store.h"

namespace cotrack {
namespace {

// The write-ahead logs in `db_path`.
std::set<std::string> WalFiles(const std::string& db_path) {
  std::set<std::string> out;
  if (DIR* d = ::opendir(db_path.c_str()); d != nullptr) {
    while (dirent* e = ::readdir(d)) {
      if (absl::EndsWith(e->d_name, ".log")) out.insert(e->d_name);
    }
    ::closedir(d);
  }
  return out;
}

BackupInfo ToInfo(const BackupSummary& s) {
  BackupInfo b;
  b.id = s.id;
  b.created_unix_seconds = s.timestamp;
  b.size_bytes = s.size_bytes;
  b.file_count = s.file_count;
  b.error = s.error;
  return b;
}

}  // namespace

absl::StatusOr<BackupInfo> BackupStore(Store& store, const std::string& backup_dir,
                                       const std::string& key_file) {
  COTRACK_ASSIGN_OR_RETURN(BackupSummary made, store.CreateBackup(backup_dir, key_file));
  return ToInfo(made);
}

absl::StatusOr<BackupInfo> BackupClosedDatabase(const std::string& db_path,
                                                const std::string& backup_dir,
                                                const Options& options) {
  absl::Status last_error;
  for (int attempt = 0; attempt < kMaintenanceAttempts; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50 << attempt, 1000)));
    }
    // A read-only open replays the write-ahead logs it finds, but cannot stop
    // a writer from retiring them once their data is flushed; the backup then
    // copies the logs that exist by the time it runs. If one the open relied
    // on is gone by then, the backup may lack its writes in some column
    // families but not others: drop that backup and try again.
    const std::set<std::string> logs_before = WalFiles(db_path);
    absl::StatusOr<BackupSummary> made;
    {
      // A fresh open each time: it sees the files the writer has now.
      COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStoreReadOnly(db_path, options));
      made = store->CreateBackup(backup_dir, options.encryption_key_file);
    }
    if (made.ok()) {
      const std::set<std::string> logs_after = WalFiles(db_path);
      const bool kept = std::includes(logs_after.begin(), logs_after.end(), logs_before.begin(),
                                      logs_before.end());
      if (kept) return ToInfo(*made);
      COTRACK_RETURN_IF_ERROR(DeleteStoreBackup(backup_dir, made->id, options.encryption_key_file));
      last_error = absl::AbortedError("the writer retired a write-ahead log during the backup");
      continue;
    }
    last_error = made.status();
    if (!absl::IsAborted(last_error) && !IsVanishedFile(last_error)) return last_error;
  }
  return absl::AbortedError(absl::StrCat("backup of ", db_path, " gave up after ",
                                         kMaintenanceAttempts,
                                         " attempts: ", last_error.message()));
}

absl::StatusOr<std::vector<BackupInfo>> VerifyBackups(const std::string& backup_dir,
                                                      const Options& options) {
  COTRACK_ASSIGN_OR_RETURN(std::vector<BackupSummary> all,
                           VerifyStoreBackups(backup_dir, options.encryption_key_file));
  std::vector<BackupInfo> out;
  for (const BackupSummary& s : all) out.push_back(ToInfo(s));
  return out;
}

absl::StatusOr<BackupInfo> RestoreBackup(const std::string& backup_dir,
                                         const std::string& new_db_path, const Options& options) {
  COTRACK_ASSIGN_OR_RETURN(BackupSummary restored, RestoreStoreBackup(backup_dir, new_db_path,
                                                                      options.encryption_key_file));
  // A restore is only done when the result is known good.
  COTRACK_ASSIGN_OR_RETURN(CheckReport report, CheckClosedDatabase(new_db_path, options));
  if (!report.ok()) {
    const CheckProblem& p = report.problems.front();
    return absl::DataLossError(
        absl::StrCat("restored backup ", restored.id, " into ", new_db_path,
                     ", but it is damaged: ", report.problems.size() + report.problems_not_listed,
                     " problems, first: ", p.family, p.key.empty() ? "" : absl::StrCat(" ", p.key),
                     ": ", p.message, " (run 'cotrack check' on it for the list)"));
  }
  return ToInfo(restored);
}

}  // namespace cotrack

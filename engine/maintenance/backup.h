// The backup behind cotrack::BackupDatabase (cotrack/maintenance.h).
#ifndef COTRACK_MAINTENANCE_BACKUP_H_
#define COTRACK_MAINTENANCE_BACKUP_H_

#include <string>

#include "absl/status/statusor.h"
#include "cotrack/maintenance.h"
#include "storage/store.h"

namespace cotrack {

// Backs up `store`, open for writing in this process: its files are pinned
// while they are copied, so a backup beside a busy writer never fails for
// files the writer retires. `key_file`: the database's key, when encrypted.
absl::StatusOr<BackupInfo> BackupStore(Store& store, const std::string& backup_dir,
                                       const std::string& key_file);

// BackupDatabase on a database no process has open (a read-only copy).
absl::StatusOr<BackupInfo> BackupClosedDatabase(const std::string& db_path,
                                                const std::string& backup_dir,
                                                const Options& options);

}  // namespace cotrack

#endif  // COTRACK_MAINTENANCE_BACKUP_H_

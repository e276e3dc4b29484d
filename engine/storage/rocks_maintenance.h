// RocksDB-level pieces of maintenance: per-file checksum verification and
// BackupEngine backups. Kept out of rocks_store.cc so that the store's tuning
// and these tools evolve separately. Only the storage layer includes this
// header.
#ifndef COTRACK_STORAGE_ROCKS_MAINTENANCE_H_
#define COTRACK_STORAGE_ROCKS_MAINTENANCE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "storage/store.h"

namespace cotrack {

// Store::VerifyTableFiles for `db`, whose column family handles are
// `handles` (their options are used to read each file).
absl::Status VerifyRocksTableFiles(rocksdb::DB* db,
                                   const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
                                   std::vector<TableFileDamage>* damaged, size_t* files_checked);

// Store::CreateBackup for `db`.
absl::StatusOr<BackupSummary> CreateRocksBackup(rocksdb::DB* db, const std::string& backup_dir,
                                                const std::string& key_file);

}  // namespace cotrack

#endif  // COTRACK_STORAGE_ROCKS_MAINTENANCE_H_

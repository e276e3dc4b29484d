// The one translation of RocksDB's statuses into absl::Status, with the
// mapping store.h promises: corruption is DataLoss, a lock another process
// (or another Store of this process) holds is Unavailable marked for
// IsHeldElsewhere, other I/O errors Unavailable. Only the storage layer
// includes this header.
#ifndef COTRACK_STORAGE_ROCKS_STATUS_H_
#define COTRACK_STORAGE_ROCKS_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace cotrack {

// `s` as an absl::Status whose message starts with `context` (what was being
// done, e.g. "read series", "backup to DIR") and keeps RocksDB's own text,
// which names the file involved. OK for OK; otherwise:
//   Corruption                       DataLoss, "... (damaged data)"
//   NotFound                         NotFound
//   InvalidArgument                  InvalidArgument
//   IOError about the database lock  Unavailable, "the database is locked";
//                                    IsHeldElsewhere is true of it
//   other IOError                    Unavailable
//   anything else                    Internal
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view context);

// FromRocks for reading (or opening) the database itself, where damage has a
// next step: DataLoss also says that `cotrack check` lists all of it (a read
// stops at the first damaged block). Backups have their own check.
absl::Status FromRocksRead(const rocksdb::Status& s, absl::string_view context);

}  // namespace cotrack

#endif  // COTRACK_STORAGE_ROCKS_STATUS_H_

// A read snapshot behind a cotrack_db_t (cotrack_snapshot in cotrack/c.h): a
// Database whose reads all see the snapshot's point in time and whose writes
// fail, so that every read call of the C ABI works on a snapshot unchanged.
#ifndef COTRACK_CAPI_SNAPSHOT_HANDLE_H_
#define COTRACK_CAPI_SNAPSHOT_HANDLE_H_

#include <memory>
#include <string>

#include "cotrack/database.h"

namespace cotrack {

std::unique_ptr<Database> SnapshotAsDatabase(std::unique_ptr<ReadSnapshot> snapshot,
                                             std::string path);

}  // namespace cotrack

#endif  // COTRACK_CAPI_SNAPSHOT_HANDLE_H_

// Opening a database's Store for maintenance (check, backup): read-only, so
// that a writer may keep the database open meanwhile.
#ifndef COTRACK_MAINTENANCE_OPEN_STORE_H_
#define COTRACK_MAINTENANCE_OPEN_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cotrack/options.h"
#include "storage/store.h"

namespace cotrack {

// Opens the Store in `path` read-only; NotFound when there is no database.
absl::StatusOr<std::unique_ptr<Store>> OpenStoreReadOnly(const std::string& path,
                                                         const Options& options);

// True when `s` says a file vanished under a read-only open: a concurrent
// writer compacted it away. Not damage; retrying with a fresh open helps.
bool IsVanishedFile(const absl::Status& s);

// How often an operation racing a writer's compactions is retried, waiting
// 100 ms, 200 ms, ... up to 1 s in between (about 5 s in all): a writer that
// compacts often, under load, outlasted five attempts in the backup test.
constexpr int kMaintenanceAttempts = 8;

}  // namespace cotrack

#endif  // COTRACK_MAINTENANCE_OPEN_STORE_H_

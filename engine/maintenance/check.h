// The integrity check behind cotrack::CheckDatabase (cotrack/maintenance.h),
// on an open Store so that tests and restore can run it directly.
#ifndef COTRACK_MAINTENANCE_CHECK_H_
#define COTRACK_MAINTENANCE_CHECK_H_

#include "absl/status/status.h"
#include "cotrack/maintenance.h"
#include "storage/store.h"

namespace cotrack {

// Checks everything `store` holds and adds counts and problems to `report`
// (see CheckDatabase). Returns an error only when a read fails for a reason
// other than damage (e.g. a table file removed by a concurrent writer).
absl::Status CheckStore(Store& store, CheckReport* report);

// CheckDatabase on a database no process has open (or one too damaged to
// open): opened read-only, with its table files verified even when it cannot
// be opened at all.
absl::StatusOr<CheckReport> CheckClosedDatabase(const std::string& path, const Options& options);

}  // namespace cotrack

#endif  // COTRACK_MAINTENANCE_CHECK_H_

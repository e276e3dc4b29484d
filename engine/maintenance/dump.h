// The dump behind cotrack::DumpDatabase (cotrack/maintenance.h), on an open Store;
// LoadDatabase, its reverse, is in load.cc.
#ifndef COTRACK_MAINTENANCE_DUMP_H_
#define COTRACK_MAINTENANCE_DUMP_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "cotrack/maintenance.h"
#include "storage/store.h"

namespace cotrack {

// The "format" of a dump's header line.
inline constexpr char kDumpFormatName[] = "cotrack-dump";

// Writes every record of `store`, as of one snapshot, to `out`.
absl::StatusOr<DumpSummary> DumpStore(Store& store, std::ostream& out);

// DumpDatabase on a database no process has open: opened read-only.
absl::StatusOr<DumpSummary> DumpClosedDatabase(const std::string& path, const Options& options,
                                               std::ostream& out);

}  // namespace cotrack

#endif  // COTRACK_MAINTENANCE_DUMP_H_

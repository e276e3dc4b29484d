// The database's time zone: the IANA zone (e.g. "Europe/Berlin") whose civil
// time an instant (a date-time written with a UTC offset or "Z") is stored
// in when an import names no zone of its own (ImportOptions::timezone). Set
// once, before the first import, and stored in the database: every process
// sharing it, and its dumps and backups, carry it.
#ifndef COTRACK_TIME_ZONE_H_
#define COTRACK_TIME_ZONE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cotrack/database.h"
#include "cotrack/types.h"

namespace cotrack {

// OK when the system's zone files (tzdata) know `zone`, an IANA name such as
// "Europe/Berlin"; else InvalidArgument naming it and how to list the zones.
// SetDatabaseTimeZone checks this first.
absl::Status ValidateTimeZoneName(const std::string& zone);

// The time zone of the database `db` is a handle of (from Database::Open):
// an IANA name, or "" when none is set. FailedPrecondition for a handle
// that is not one of the database (a read snapshot's); otherwise the errors
// of Reader's methods.
absl::StatusOr<std::string> DatabaseTimeZone(Database& db);

// Sets the time zone of `db`'s database, attributed to `provenance` in the
// audit log (action "timezone"). Setting the zone already set is a no-op.
// InvalidArgument for a name the system's zone files (tzdata) do not know,
// naming it; FailedPrecondition when the database already holds values and
// `force` is false (stored civil dates are never converted again, so a new
// zone would put instants imported before and after it on different days),
// when `db` is open read-only, or when it is not a handle of the database.
absl::Status SetDatabaseTimeZone(Database& db, const std::string& zone, bool force,
                                 const Provenance& provenance);

}  // namespace cotrack

#endif  // COTRACK_TIME_ZONE_H_

// The C ABI of the database's time zone (cotrack/time_zone.h): `cotrack
// timezone`.
#include "capi/handles.h"
#include "cotrack/c.h"
#include "cotrack/time_zone.h"

using cotrack::capi::CopyMessage;
using cotrack::capi::Guard;
using cotrack::capi::Ok;
using cotrack::capi::Report;
using cotrack::capi::Required;
using cotrack::capi::RequireDb;

extern "C" {

int cotrack_timezone(cotrack_db_t* db, char** zone, char** err) {
  return Guard(err, [&]() -> int {
    if (absl::Status s = RequireDb(db); !s.ok()) return Report(err, s);
    if (absl::Status s = Required(zone, "zone"); !s.ok()) return Report(err, s);
    *zone = nullptr;
    absl::StatusOr<std::string> got = cotrack::DatabaseTimeZone(*db->db);
    if (!got.ok()) return Report(err, got.status());
    *zone = CopyMessage(*got);
    if (*zone == nullptr) {
      return Report(err, absl::ResourceExhaustedError("cotrack: out of memory"));
    }
    return Ok(err);
  });
}

int cotrack_set_timezone(cotrack_db_t* db, const char* zone, int force, const char* reason,
                         char** err) {
  return Guard(err, [&]() -> int {
    if (absl::Status s = RequireDb(db); !s.ok()) return Report(err, s);
    if (absl::Status s = Required(zone, "zone"); !s.ok()) return Report(err, s);
    cotrack::Provenance provenance;
    provenance.source = "api";
    if (reason != nullptr) provenance.reason = reason;
    return Report(err, cotrack::SetDatabaseTimeZone(*db->db, zone, force != 0, provenance));
  });
}

}  // extern "C"

// `cotrack timezone [ZONE] [--force] [--reason TEXT]`
#include <cstdio>

#include "command.h"
#include "cotrack/status_macros.h"
#include "cotrack/time_zone.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "timezone";

struct TimeZoneRequest {
  std::string zone;  // empty: print the zone set
  bool force = false;
  std::string reason;
};

absl::StatusOr<TimeZoneRequest> ParseTimeZoneRequest(const ParsedArgs& args) {
  TimeZoneRequest request;
  if (!args.positionals().empty()) request.zone = args.positionals()[0];
  request.force = args.Has("force");
  request.reason = args.Get("reason").value_or("");
  if (request.zone.empty() && (request.force || !request.reason.empty())) {
    return absl::InvalidArgumentError("--force and --reason go with a ZONE to set");
  }
  return request;
}

int Run(const GlobalContext& ctx, const TimeZoneRequest& request) {
  if (request.zone.empty()) {
    return RunOnDatabase(
        ctx, OpenMode::kPointRead, [](Database& db) { return DatabaseTimeZone(db); },
        [](const std::string& zone) {
          std::printf("%s\n", zone.empty() ? "none" : zone.c_str());
          return 0;
        });
  }
  // Before opening: a mistyped zone must not create a database.
  if (absl::Status valid = ValidateTimeZoneName(request.zone); !valid.ok()) {
    return RuntimeError(valid);
  }
  return RunOnDatabase(
      ctx, OpenMode::kCreate,
      [&](Database& db) -> absl::StatusOr<bool> {
        COTRACK_ASSIGN_OR_RETURN(std::string before, DatabaseTimeZone(db));
        absl::Status set = SetDatabaseTimeZone(db, request.zone, request.force,
                                               CliProvenance(ctx, request.reason));
        if (!set.ok()) return set;
        return before != request.zone;
      },
      [&](bool changed) {
        std::fprintf(stderr,
                     changed ? "time zone set to %s: imports naming no zone convert instants "
                               "to its civil time\n"
                             : "time zone is %s already\n",
                     request.zone.c_str());
        return 0;
      });
}

const Command kTimeZoneCommand =
    MakeCommand({kName,
                 "Show or set the database's time zone (instants become its civil time)",
                 R"(Usage: cotrack timezone [ZONE] [--force] [--reason TEXT]

Without ZONE, prints the database's time zone, or "none".

With ZONE (an IANA name such as Europe/Berlin), sets it: from then on, an
import that names no zone of its own (`cotrack import` takes one too)
converts every date-time written with a UTC offset or Z to that zone's civil
date and time, so that one visit written as 2017-12-10T06:21:43Z in one file
and 2017-12-09T22:21:43-08:00 in another lands on one day (with
America/Los_Angeles: 2017-12-09). FHIR exports write times with the zone's
offset. Dates and
date-times without an offset are stored as written. Without a zone, the
offset is dropped and the clock time kept, and each import says so once per
file. The zone is stored in the database: every process, dump and backup
carries it.

Set it before the first import. Once the database holds values, a change is
refused unless --force: stored dates are never converted again, so instants
imported before and after the change would land on different days.

Options:
  --force         change the zone although values are stored
  --reason TEXT   why (kept in the audit trail)
)",
                 Arity::Between(0, 1, "[ZONE]"),
                 {{"force", FlagSpec::kBool}, {"reason"}}},
                ParseTimeZoneRequest, Run);
COTRACK_REGISTER_COMMAND(kTimeZoneCommand);

}  // namespace
}  // namespace cotrack::tools

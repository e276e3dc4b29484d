// The database's time zone: the IANA zone whose civil time instants (a
// date-time with a UTC offset or Z) are stored in when an import names no
// zone of its own. Stored as one meta key (keys::kTimeZoneKey) so that every
// process, a dump and a backup carry it with the data.
#include "cotrack/time_zone.h"

#include "absl/strings/str_cat.h"
#include "catalog/validation.h"
#include "codec/key_codec.h"
#include "cotrack/status_macros.h"
#include "db/commit_batch.h"
#include "db/database_impl.h"

namespace cotrack {

absl::Status ValidateTimeZoneName(const std::string& zone) {
  absl::TimeZone loaded;
  if (zone.empty() || !absl::LoadTimeZone(zone, &loaded)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown time zone \"", zone,
        "\": give an IANA name such as Europe/Berlin or America/Los_Angeles (see "
        "`timedatectl list-timezones` or `ls /usr/share/zoneinfo`, which the tzdata package "
        "installs)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> DatabaseImpl::TimeZone() {
  std::string value;
  COTRACK_ASSIGN_OR_RETURN(bool found,
                           store_->Get(nullptr, Family::kMeta, keys::kTimeZoneKey, &value));
  if (!found) return std::string();
  return value;
}

absl::Status DatabaseImpl::SetTimeZone(const std::string& zone, bool force,
                                       const Provenance& provenance, const WriteContext& context) {
  COTRACK_RETURN_IF_ERROR(CheckWritable());
  COTRACK_RETURN_IF_ERROR(ValidateAttribution(provenance));
  COTRACK_RETURN_IF_ERROR(ValidateTimeZoneName(zone));
  std::lock_guard<std::mutex> write_lock(write_mu_);
  COTRACK_ASSIGN_OR_RETURN(std::string current, TimeZone());
  if (current == zone) return absl::OkStatus();
  if (!force) {
    // Values already stored were converted (or not) when they were imported
    // and are never converted again: a new zone would split one clinic's
    // instants between two civil times.
    bool has_values = false;
    COTRACK_RETURN_IF_ERROR(
        store_->Scan(nullptr, Family::kSeries, "", "", [&](absl::string_view, absl::string_view) {
          has_values = true;
          return false;
        }));
    if (has_values) {
      return absl::FailedPreconditionError(absl::StrCat(
          path(), " already holds values, stored in ",
          current.empty() ? "the clock time each file gave (no time zone was set)"
                          : absl::StrCat("time zone ", current),
          "; stored dates are never converted again, so a new zone would put instants imported "
          "before and after it on different days. Set it anyway with `cotrack timezone ",
          zone, " --force --reason \"...\"`"));
    }
  }
  std::unique_ptr<CommitBatch> out = CommitBatch::Logged(*store_);
  out->PutTimeZone(zone);
  return WriteAdministrativeChange(
      *out, "timezone",
      absl::StrCat("time zone set to ", zone,
                   current.empty() ? "" : absl::StrCat(" (was ", current, ")")),
      provenance, context, /*sync=*/true);
}

}  // namespace cotrack

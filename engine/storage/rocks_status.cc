#include "storage/rocks_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/store.h"

namespace cotrack {
namespace {

// The payload that tells a held lock from any other Unavailable: callers
// retry on it (serve/engine.cc) and on nothing else.
constexpr char kLockedUrl[] = "cotrack.locked";

// RocksDB has no code for a lock it cannot take, only an IOError whose text
// says so ("While lock file: DIR/LOCK: Resource temporarily unavailable", or
// "lock hold by current process" for a second open in this process). The
// match is the one Store::Open has always made, loose as it is (any I/O
// error mentioning a lock), so that what callers retry on does not change.
bool IsLockError(const rocksdb::Status& s) {
  const std::string text = s.ToString();
  return s.IsIOError() && (absl::StrContains(text, "lock") || absl::StrContains(text, "LOCK"));
}

}  // namespace

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view context) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(context, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(absl::StrCat(msg, " (damaged data)"));
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  if (IsLockError(s)) {
    absl::Status held = absl::UnavailableError(absl::StrCat(
        context, ": the database is locked: another process holds it [", s.ToString(), "]"));
    held.SetPayload(kLockedUrl, absl::Cord("1"));
    return held;
  }
  if (s.IsIOError()) return absl::UnavailableError(msg);
  return absl::InternalError(msg);
}

absl::Status FromRocksRead(const rocksdb::Status& s, absl::string_view context) {
  if (!s.IsCorruption()) return FromRocks(s, context);
  return absl::DataLossError(absl::StrCat(context, ": ", s.ToString(),
                                          " (damaged data: `cotrack check` lists all damage)"));
}

bool IsHeldElsewhere(const absl::Status& s) {
  return absl::IsUnavailable(s) && s.GetPayload(kLockedUrl).has_value();
}

}  // namespace cotrack

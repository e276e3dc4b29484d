// A patient's series ends (meta family, keys::SeriesEndsKey): for each
// measure listed, the latest time of any version in that series. A write
// whose changes of a series are all later than its end has no stored
// version to compare with, so it skips reading the series: recording a visit
// at a new date then reads one small, usually cached key instead of a cold
// block per measure.
//
// The invariant every write keeps: a listed end is never earlier than a
// stored version of its series. Measures not listed (series written before
// ends existed) are read as before and listed by their next write.
//
// A record may also be complete: it lists every series the patient has, so
// a measure it does not list has no stored version and a write of it reads
// nothing. A record is made complete only where that is known: for a patient
// numbered by the same write (its number was never used), and by a restore,
// which writes every series itself. Every write lists each series it adds,
// so a complete record stays complete. A patient registered before records
// could be complete keeps an incomplete one: the first write of each
// measure new to it still reads that series (and finds none).
//
// Complete is stored as a leading pair (measure id 0, 1): measure ids start
// at 1, and an engine that knows nothing of completeness keeps the pair as
// it would any measure's (Set replaces only the measure written), so such an
// engine, which also lists whatever it adds, leaves the record true.
#ifndef COTRACK_DB_SERIES_ENDS_H_
#define COTRACK_DB_SERIES_ENDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cotrack {

class SeriesEnds {
 public:
  // Decodes a stored record: (u32 BE measure, i64 BE end) pairs by measure.
  // DataLoss, naming the patient number, on a malformed one.
  static absl::Status Decode(absl::string_view value, uint32_t patient_num, SeriesEnds* out);
  std::string Encode() const;

  // The end of `measure_id`'s series, if listed.
  std::optional<int64_t> Find(uint32_t measure_id) const;
  // Lists `end` for `measure_id` (replacing an earlier one). `measure_id`
  // is not 0 (the completeness marker's).
  void Set(uint32_t measure_id, int64_t end);

  // Every series of the patient is listed (see above).
  bool complete() const { return complete_; }
  void MarkComplete() { complete_ = true; }
  // The listed (measure id, end) pairs, by measure id.
  const std::vector<std::pair<uint32_t, int64_t>>& ends() const { return ends_; }

 private:
  std::vector<std::pair<uint32_t, int64_t>> ends_;  // by measure id
  bool complete_ = false;
};

}  // namespace cotrack

#endif  // COTRACK_DB_SERIES_ENDS_H_

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
  // Lists `end` for `measure_id` (replacing an earlier one).
  void Set(uint32_t measure_id, int64_t end);

 private:
  std::vector<std::pair<uint32_t, int64_t>> ends_;  // by measure id
};

}  // namespace cotrack

#endif  // COTRACK_DB_SERIES_ENDS_H_

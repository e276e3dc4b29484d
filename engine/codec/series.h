// Reading a stored series (the record log of one patient's one measure, as
// the value codec frames it): every version in order, or just the current
// value of each observation, decoded with codec::ObservationLogView. The
// queries themselves (which series, which patients) are in db/read_path.cc.
#ifndef COTRACK_CODEC_SERIES_H_
#define COTRACK_CODEC_SERIES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "codec/value_codec.h"
#include "cotrack/types.h"

namespace cotrack {

// Names that queries stamp on every observation they return.
struct SeriesNames {
  const std::string& patient;
  const std::string& measure;
  const std::string& unit;
};

// Every version in `log`, ordered by (time, version). DataLoss naming the
// series on any damaged record.
absl::Status DecodeSeries(absl::string_view log, const SeriesNames& names,
                          std::vector<Observation>* versions);

// The current (highest) version of each observation time within [from, to]
// (inclusive seconds), oldest first, appended to `out`. Versions marked
// entered-in-error are left out unless `include_retracted`. With `last` > 0
// only the last `last` of them. Only the returned versions are copied out of
// the log.
absl::Status ReadCurrentValues(absl::string_view log, const SeriesNames& names, int64_t from,
                               int64_t to, bool include_retracted, std::vector<Observation>* out,
                               size_t last = 0);

// The lean form of ReadCurrentValues over the whole time range, retracted
// values left out, for cohort scans: each current value's time, value and
// comparator, oldest first, replacing `out`'s content. `view` is the caller's
// (one per thread), reused for its buffers. The log is verified as by
// ReadCurrentValues: DataLoss naming the series on any damage.
absl::Status ReadCurrentSeriesValues(codec::ObservationLogView& view, absl::string_view log,
                                     const SeriesNames& names, std::vector<SeriesValue>* out);

// The lean forms of a full patient and trajectory (ForEachSeries's), for a
// cohort scan answered from a full one: what ScanSeries would give.
SeriesPatient ToSeriesPatient(const Patient& patient, absl::string_view attribute);
void ToSeriesValues(const std::vector<Observation>& trajectory, std::vector<SeriesValue>* out);

// The highest stored version at each of `times` (those that have one), for a
// write comparing new values with what is stored; only those are copied out.
// `*end` is set to the latest time of any version in the log.
absl::Status ReadLatestAt(absl::string_view log, const SeriesNames& names,
                          const absl::flat_hash_set<int64_t>& times,
                          std::vector<Observation>* latest, int64_t* end);

// Inclusive seconds bounds of a range; a date-only `to` covers its whole day.
int64_t RangeStart(const TimeRange& range);
int64_t RangeEnd(const TimeRange& range);
// The last second covered by `t`: the end of its day for a date.
int64_t EndOf(const CivilTime& t);

}  // namespace cotrack

#endif  // COTRACK_CODEC_SERIES_H_

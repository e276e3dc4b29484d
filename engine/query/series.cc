#include "query/series.h"

#include <algorithm>
#include <limits>

#include "codec/value_codec.h"

namespace cotrack {

absl::Status DecodeSeries(absl::string_view log, absl::string_view what,
                          const std::string& patient, const std::string& measure,
                          const std::string& unit, std::vector<Observation>* versions) {
  std::vector<absl::string_view> records;
  absl::Status s = codec::SplitRecords(log, what, &records);
  if (!s.ok()) return s;
  versions->clear();
  versions->resize(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    Observation& o = (*versions)[i];
    s = codec::DecodeObservation(records[i], &o);
    if (!s.ok()) return absl::DataLossError(std::string(what) + ": " + std::string(s.message()));
    o.patient = patient;
    o.measure = measure;
    o.unit = unit;
  }
  // Versions are appended in write order; a back-filled visit lands after
  // later ones, so order by time here (usually already sorted: a cheap check).
  auto by_time_version = [](const Observation& a, const Observation& b) {
    return a.time.seconds != b.time.seconds ? a.time.seconds < b.time.seconds
                                            : a.version < b.version;
  };
  if (!std::is_sorted(versions->begin(), versions->end(), by_time_version)) {
    std::stable_sort(versions->begin(), versions->end(), by_time_version);
  }
  return absl::OkStatus();
}

std::vector<Observation> CurrentValues(std::vector<Observation> versions, bool include_retracted) {
  std::vector<Observation> out;
  out.reserve(versions.size());
  for (size_t i = 0; i < versions.size(); ++i) {
    const bool last_of_time =
        i + 1 == versions.size() || versions[i + 1].time.seconds != versions[i].time.seconds;
    if (!last_of_time) continue;
    if (!include_retracted && versions[i].status == ObservationStatus::kEnteredInError) continue;
    out.push_back(std::move(versions[i]));
  }
  return out;
}

int64_t EndOf(const CivilTime& t) {
  return t.precision == TimePrecision::kDate ? t.day() * kSecondsPerDay + kSecondsPerDay - 1
                                             : t.seconds;
}

int64_t RangeStart(const TimeRange& range) {
  return range.from ? range.from->seconds : std::numeric_limits<int64_t>::min();
}

int64_t RangeEnd(const TimeRange& range) {
  return range.to ? EndOf(*range.to) : std::numeric_limits<int64_t>::max();
}

}  // namespace cotrack

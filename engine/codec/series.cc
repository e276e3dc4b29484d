#include "codec/series.h"

#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "codec/value_codec.h"

namespace cotrack {
namespace {

using Entry = codec::ObservationLogView::Entry;

bool ByTimeThenVersion(const Entry& a, const Entry& b) {
  return a.time != b.time ? a.time < b.time : a.version < b.version;
}

// Versions are appended in write order; a back-filled visit lands after later
// ones, so order by time here (usually already sorted: a cheap check).
void Order(std::vector<Entry>* entries) {
  if (!std::is_sorted(entries->begin(), entries->end(), ByTimeThenVersion)) {
    std::stable_sort(entries->begin(), entries->end(), ByTimeThenVersion);
  }
}

// One view per thread for the query path, reused so that its buffers keep
// their capacity: a point read then parses without allocating. Only used
// between a Parse and the last Materialize of one call, with no callback in
// between, so nested queries (a query inside a ForEachSeries visitor) are safe.
codec::ObservationLogView& ThreadView() {
  thread_local codec::ObservationLogView view;
  return view;
}

// The series' name is only formatted when something is wrong with it.
absl::Status Damaged(const SeriesNames& names, const absl::Status& s) {
  return absl::DataLossError(
      absl::StrCat("series ", names.measure, " of patient \"", names.patient, "\": ", s.message()));
}

void Stamp(const SeriesNames& names, Observation* o) {
  o->patient = names.patient;
  o->measure = names.measure;
  o->unit = names.unit;
}

}  // namespace

absl::Status DecodeSeries(absl::string_view log, const SeriesNames& names,
                          std::vector<Observation>* versions) {
  codec::ObservationLogView view;
  absl::Status s = view.Parse(log, "");
  if (!s.ok()) return Damaged(names, s);
  Order(view.mutable_entries());
  const std::vector<Entry>& entries = view.entries();
  versions->clear();
  versions->resize(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    view.Materialize(entries[i], &(*versions)[i]);
    Stamp(names, &(*versions)[i]);
  }
  return absl::OkStatus();
}

absl::Status ReadCurrentValues(absl::string_view log, const SeriesNames& names, int64_t from,
                               int64_t to, bool include_retracted, std::vector<Observation>* out,
                               size_t last) {
  codec::ObservationLogView& view = ThreadView();
  absl::Status s = view.Parse(log, "");
  if (!s.ok()) return Damaged(names, s);
  std::vector<Entry>& entries = *view.mutable_entries();
  Order(&entries);
  // Keep the current version of each time in range, in place.
  size_t kept = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    const bool current = i + 1 == entries.size() || entries[i + 1].time != e.time;
    if (!current || e.time < from || e.time > to) continue;
    if (!include_retracted && e.status == ObservationStatus::kEnteredInError) continue;
    entries[kept++] = e;
  }
  const size_t first = last > 0 && kept > last ? kept - last : 0;
  // Callers append several series to one vector: grow it geometrically.
  const size_t need = out->size() + kept - first;
  if (need > out->capacity()) out->reserve(std::max(need, 2 * out->capacity()));
  for (size_t i = first; i < kept; ++i) {
    const Entry& e = entries[i];
    if (i > first && entries[i - 1].chunk == e.chunk) {
      // Same write as the previous one: copy it (names, provenance) and
      // replace what differs. No reallocation here (reserved above), so the
      // reference to the previous element stays valid.
      Observation& o = out->emplace_back(out->back());
      view.MaterializeEntryFields(e, &o);
    } else {
      Observation& o = out->emplace_back();
      view.Materialize(e, &o);
      Stamp(names, &o);
    }
  }
  view.ShrinkIfLarge();
  return absl::OkStatus();
}

absl::Status ReadCurrentSeriesValues(codec::ObservationLogView& view, absl::string_view log,
                                     const SeriesNames& names, std::vector<SeriesValue>* out) {
  absl::Status s = view.Parse(log, "");
  if (!s.ok()) return Damaged(names, s);
  std::vector<Entry>& entries = *view.mutable_entries();
  Order(&entries);
  out->clear();
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    const bool current = i + 1 == entries.size() || entries[i + 1].time != e.time;
    if (!current || e.status == ObservationStatus::kEnteredInError) continue;
    view.MaterializeValue(e, &out->emplace_back());
  }
  view.ShrinkIfLarge();
  return absl::OkStatus();
}

SeriesPatient ToSeriesPatient(const Patient& patient, absl::string_view attribute) {
  SeriesPatient out;
  out.id = patient.id;
  out.arm = patient.arm;
  out.index_date = patient.index_date;
  if (!attribute.empty()) {
    auto it = patient.attributes.find(std::string(attribute));
    if (it != patient.attributes.end()) out.attribute = it->second;
  }
  return out;
}

void ToSeriesValues(const std::vector<Observation>& trajectory, std::vector<SeriesValue>* out) {
  out->clear();
  for (const Observation& o : trajectory) {
    if (o.status == ObservationStatus::kEnteredInError) continue;
    out->push_back(SeriesValue{o.time, o.value, o.comparator});
  }
}

absl::Status ReadLatestAt(absl::string_view log, const SeriesNames& names,
                          const absl::flat_hash_set<int64_t>& times,
                          std::vector<Observation>* latest, int64_t* end) {
  codec::ObservationLogView view;
  absl::Status s = view.Parse(log, "");
  if (!s.ok()) return Damaged(names, s);
  absl::flat_hash_map<int64_t, Entry> best;
  *end = std::numeric_limits<int64_t>::min();
  for (const Entry& e : view.entries()) {
    *end = std::max(*end, e.time);
    if (!times.contains(e.time)) continue;
    auto [it, inserted] = best.try_emplace(e.time, e);
    if (!inserted && it->second.version < e.version) it->second = e;
  }
  latest->clear();
  latest->reserve(best.size());
  for (const auto& [time, e] : best) {
    latest->emplace_back();
    view.Materialize(e, &latest->back());
    Stamp(names, &latest->back());
  }
  return absl::OkStatus();
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

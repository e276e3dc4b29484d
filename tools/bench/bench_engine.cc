#include "bench_engine.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "absl/strings/str_cat.h"
#include "bench_util.h"

namespace cotrack::bench {

const char* const kCatalogCodes[8] = {"ais",   "cpeptide", "edss", "fis",
                                      "hba1c", "hypo",     "il4",  "mfis"};

void PickTimepoints(const CohortQuery& q, int64_t index_day, const std::vector<SeriesPoint>& series,
                    std::vector<double>* per_timepoint) {
  per_timepoint->assign(q.offsets.size(), std::numeric_limits<double>::quiet_NaN());
  for (size_t k = 0; k < q.offsets.size(); ++k) {
    int64_t target = index_day + q.offsets[k];
    int64_t best_dist = std::numeric_limits<int64_t>::max();
    // Series are oldest first, so the first of equally close values wins: the
    // earlier one, as in the SQL version (ORDER BY distance, date).
    for (const SeriesPoint& p : series) {
      if (p.censored) continue;
      int64_t dist = std::llabs(p.day - target);
      if (dist <= q.window && dist < best_dist) {
        best_dist = dist;
        (*per_timepoint)[k] = p.value;
      }
    }
  }
}

void CohortAccumulator::Add(const std::string& arm, int64_t index_day,
                            const std::vector<SeriesPoint>& series) {
  PickTimepoints(q_, index_day, series, &picked_);
  size_t a = 0;
  while (a < arms_.size() && arms_[a] != arm) ++a;
  if (a == arms_.size()) {
    arms_.push_back(arm);
    values_.emplace_back(q_.offsets.size());
  }
  for (size_t k = 0; k < picked_.size(); ++k) {
    if (!std::isnan(picked_[k])) values_[a][k].push_back(picked_[k]);
  }
}

std::vector<CohortCell> CohortAccumulator::Finish() {
  std::vector<size_t> order(arms_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return arms_[a] < arms_[b]; });
  std::vector<CohortCell> cells;
  for (size_t a : order) {
    for (size_t k = 0; k < q_.offsets.size(); ++k) {
      if (values_[a][k].empty()) continue;
      CohortCell c;
      c.arm = arms_[a];
      c.timepoint = static_cast<int>(k);
      c.n = static_cast<int64_t>(values_[a][k].size());
      c.median = Median(values_[a][k]);
      cells.push_back(c);
    }
  }
  return cells;
}

void AppendExportLine(const std::string& patient, const char* measure, int64_t day, double value,
                      int comparator, const std::string& unit, const std::string& visit,
                      int64_t version, int64_t recorded_at, const std::string& source, int64_t line,
                      std::string* out) {
  static const char* const kComparators[] = {"", "<", "<=", ">=", ">"};
  out->append(patient);
  out->push_back(',');
  out->append(measure);
  out->push_back(',');
  AppendDay(day, out);
  out->push_back(',');
  AppendDouble(value, out);
  out->push_back(',');
  out->append(kComparators[comparator >= 0 && comparator <= 4 ? comparator : 0]);
  out->push_back(',');
  out->append(unit);
  out->push_back(',');
  out->append(visit);
  out->push_back(',');
  absl::StrAppend(out, version, ",", recorded_at, ",", source, ",", line);
  out->push_back('\n');
}

}  // namespace cotrack::bench

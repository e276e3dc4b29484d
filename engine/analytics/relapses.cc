// Relapse dates from a measure of the database (RelapseDatesFromMeasure). A
// relapse file is read by the importers' CSV reader: ReadRelapseCsv is in
// import/relapse_csv.cc.
#include <utility>

#include "absl/strings/str_cat.h"
#include "cotrack/database.h"
#include "cotrack/progression.h"

namespace cotrack {

absl::StatusOr<RelapseDates> RelapseDatesFromMeasure(Database& db, absl::string_view measure) {
  absl::StatusOr<MeasureDefinition> def = db.GetMeasure(measure);
  if (!def.ok()) return def.status();
  RelapseDates out;
  absl::Status s = db.ForEachSeries(
      measure, [&out](const Patient& p, const std::vector<Observation>& trajectory) {
        std::vector<CivilTime>& dates = out[p.id];
        for (const Observation& o : trajectory) {
          if (o.status != ObservationStatus::kEnteredInError) dates.push_back(o.time);
        }
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<RelapseEpisodes> RelapseEpisodesFromMeasure(Database& db,
                                                           absl::string_view measure) {
  absl::StatusOr<MeasureDefinition> def = db.GetMeasure(measure);
  if (!def.ok()) return def.status();
  // Only the built-in relapse measure says what its value means (days to the
  // end); a user measure's value is something else, so it gives onsets only.
  const bool has_duration = def->builtin && def->code == "relapse";
  RelapseEpisodes out;
  absl::Status s =
      db.ForEachSeries(measure, [&](const Patient& p, const std::vector<Observation>& trajectory) {
        std::vector<Relapse>& list = out[p.id];
        for (const Observation& o : trajectory) {
          if (o.status == ObservationStatus::kEnteredInError) continue;
          Relapse r{o.time, std::nullopt};
          if (has_duration && o.comparator == Comparator::kNone) {
            r.end = CivilTime::FromDay(o.time.day() + static_cast<int64_t>(o.value));
          }
          list.push_back(r);
        }
        if (list.empty()) out.erase(p.id);
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<RelapseEpisodes> CollectRelapses(Database& db,
                                                const std::optional<std::string>& relapses_file,
                                                RelapseEpisodes file_relapses,
                                                const std::string& relapse_measure,
                                                std::string* source) {
  RelapseEpisodes relapses;
  std::string from = "none";
  if (relapses_file) {
    relapses = std::move(file_relapses);
    from = *relapses_file;
  }
  std::string measure = relapse_measure;
  if (measure.empty() && !relapses_file && db.GetMeasure("relapse").ok()) measure = "relapse";
  if (!measure.empty() && measure != "none") {
    absl::StatusOr<RelapseEpisodes> r = RelapseEpisodesFromMeasure(db, measure);
    if (!r.ok()) return r.status();
    for (auto& [id, list] : *r) {
      relapses[id].insert(relapses[id].end(), list.begin(), list.end());
    }
    // The built-in measure always exists: a database that holds no relapse
    // still says "none", as before relapses were stored.
    if (!r->empty() || !relapse_measure.empty()) {
      from = from == "none" ? absl::StrCat("measure ", measure)
                            : absl::StrCat(from, " + measure ", measure);
    }
  }
  if (source != nullptr) *source = std::move(from);
  return relapses;
}

}  // namespace cotrack

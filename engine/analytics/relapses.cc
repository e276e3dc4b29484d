// Relapse dates from a measure of the database (RelapseDatesFromMeasure). A
// relapse file is read by the importers' CSV reader: ReadRelapseCsv is in
// import/relapse_csv.cc.
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

}  // namespace cotrack

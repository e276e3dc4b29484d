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

}  // namespace cotrack

#include <fstream>

#include "absl/strings/str_cat.h"
#include "cotrack/database.h"
#include "cotrack/progression.h"
#include "import/csv_reader.h"
#include "import/import_errors.h"

namespace cotrack {

absl::StatusOr<RelapseDates> ReadRelapseCsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open the relapse file"));
  }
  CsvReader reader(in, path);
  CsvRecord header_row;
  absl::Status s = reader.ReadHeader(header_row);
  if (!s.ok()) return s;
  absl::StatusOr<CsvHeader> header = CsvHeader::Make(header_row, reader);
  if (!header.ok()) return header.status();
  std::optional<size_t> patient_col = header->Find("patient");
  if (!patient_col) patient_col = header->Find("id");
  const std::optional<size_t> date_col = header->Find("date");
  if (!patient_col || !date_col) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":1: relapse file header \"", JoinHeader(header_row),
                     "\" (expected a patient or id column and a date column, e.g. patient,date)"));
  }
  RelapseDates out;
  ImportErrors errors(path);
  CsvRecord row;
  for (;;) {
    absl::StatusOr<bool> more = reader.Next(row);
    if (!more.ok()) {
      errors.AddStatus(more.status());
      break;
    }
    if (!*more) break;
    if (row.AllFieldsBlank()) continue;
    if (row.size() != header->size()) {
      errors.Add(
          row.first_line(), 0,
          absl::StrCat(row.size(), " fields (expected ", header->size(), " as in the header)"));
      continue;
    }
    const std::string patient(row[*patient_col]);
    if (patient.empty()) {
      errors.Empty(row, *patient_col, header->name(*patient_col), "a patient id");
      continue;
    }
    absl::StatusOr<CivilTime> date = ParseCivilTime(row[*date_col]);
    if (!date.ok()) {
      errors.BadValue(row, *date_col, "date", "a date YYYY-MM-DD");
      continue;
    }
    out[patient].push_back(*date);
  }
  absl::Status st = errors.ToStatus();
  if (!st.ok()) return st;
  return out;
}

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

// ReadRelapseCsv (cotrack/analytics.h): a relapse file (patient or id, date)
// read with the importers' CSV reader and reported as they report errors, so
// that EDSS progression can take relapses from a file as well as from the
// database (analytics/relapses.cc).
#include <fstream>

#include "absl/strings/str_cat.h"
#include "cotrack/analytics.h"
#include "import/csv_reader.h"
#include "import/import_errors.h"

namespace cotrack {

absl::StatusOr<RelapseEpisodes> ReadRelapseEpisodesCsv(const std::string& path) {
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
  std::optional<size_t> end_col = header->Find("end_date");
  if (!end_col) end_col = header->Find("enddate");
  if (!end_col) end_col = header->Find("end");
  if (!patient_col || !date_col) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":1: relapse file header \"", JoinHeader(header_row),
                     "\" (expected a patient or id column and a date column, e.g. patient,date)"));
  }
  RelapseEpisodes out;
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
    Relapse relapse{*date, std::nullopt};
    if (end_col) {
      // msprog drops relapses without an end date once end dates are used;
      // a dropped relapse would silently change PIRA/RAW, so it is an error.
      absl::StatusOr<CivilTime> end = ParseCivilTime(row[*end_col]);
      if (!end.ok() || end->day() < date->day()) {
        errors.BadValue(row, *end_col, header->name(*end_col),
                        "an end date YYYY-MM-DD on or after the onset");
        continue;
      }
      relapse.end = *end;
    }
    out[patient].push_back(relapse);
  }
  absl::Status st = errors.ToStatus();
  if (!st.ok()) return st;
  return out;
}

}  // namespace cotrack

namespace cotrack {

absl::StatusOr<RelapseDates> ReadRelapseCsv(const std::string& path) {
  absl::StatusOr<RelapseEpisodes> episodes = ReadRelapseEpisodesCsv(path);
  if (!episodes.ok()) return episodes.status();
  RelapseDates out;
  for (const auto& [id, list] : *episodes) {
    for (const Relapse& r : list) out[id].push_back(r.onset);
  }
  return out;
}

}  // namespace cotrack

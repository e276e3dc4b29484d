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

// The relapses CSV as an import format: each row a relapse stored in the
// built-in measure "relapse" on its onset date.
//   patient|id,date[,end_date][,visit_day]
// The value is the duration in days (end_date - date), so the end date is
// versioned, corrected and retracted with the onset like any value; without
// an end_date column the value is ">=0" (end not known). visit_day (msprog's
// relapse file) is ignored. As the relapse file of --relapses: with an
// end_date column every row needs an end on or after its onset.
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "import/csv_row_parser.h"
#include "import/format.h"
#include "import/value_text.h"

namespace cotrack {
namespace {

class RelapsesCsvParser : public CsvRowParser {
 public:
  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override {
    absl::StatusOr<CsvHeader> h = CsvHeader::Make(header, reader);
    if (!h.ok()) return h.status();
    std::optional<size_t> patient = h->Find("patient");
    if (!patient) patient = h->Find("id");
    const std::optional<size_t> date = h->Find("date");
    if (!patient || !date) {
      return absl::InvalidArgumentError(absl::StrCat(
          reader.source(), ":", header.first_line(), ": header \"", JoinHeader(header),
          "\": a relapses CSV has a patient (or id) column, a date column (the onset) and "
          "optionally end_date, e.g. patient,date,end_date"));
    }
    names_.clear();
    for (size_t i = 0; i < h->size(); ++i) names_.push_back(h->key(i));
    patient_ = *patient;
    date_ = *date;
    end_ = h->Find("end_date");
    if (!end_) end_ = h->Find("enddate");
    if (!end_) end_ = h->Find("end");
    return absl::OkStatus();
  }

  void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) override {
    if (!CheckFieldCount(row, names_, errors)) return;
    ObservationInput& obs = writer.NewObservation();
    obs.patient = std::string(row[patient_]);
    errors.PatientId(row, patient_);
    obs.measure = "relapse";
    bool have_time = false;
    if (absl::StripAsciiWhitespace(row[date_]).empty()) {
      errors.Empty(row, date_, "date", kExpectedDate);
    } else {
      absl::StatusOr<CivilTime> t = writer.ParseDate(row[date_]);
      if (t.ok()) {
        obs.time = *t;
        have_time = true;
      } else {
        errors.BadValue(row, date_, "date", t.status().message());
      }
    }
    if (!end_) {
      obs.value = 0;
      obs.comparator = Comparator::kGreaterEqual;
      obs.original_value = ">=0";
    } else {
      absl::StatusOr<CivilTime> end = writer.ParseDate(row[*end_]);
      if (!end.ok() || (have_time && end->day() < obs.time.day())) {
        errors.BadValue(row, *end_, names_[*end_],
                        "an end date YYYY-MM-DD on or after the onset (msprog drops a relapse "
                        "without one once end dates are used)");
      } else if (have_time) {
        obs.value = static_cast<double>(end->day() - obs.time.day());
        obs.original_value = absl::StrCat(end->day() - obs.time.day());
      }
    }
    if (have_time && !obs.patient.empty()) {
      const int64_t first = writer.FirstSeen(obs, row.first_line());
      if (first != 0) errors.Add(row.line(date_), row.column(date_), DuplicateMessage(first));
    }
  }

 private:
  std::vector<std::string> names_;
  size_t patient_ = 0, date_ = 0;
  std::optional<size_t> end_;
};

// patient or id first, a date, and nothing but an end date (and msprog's
// visit_day) besides: "patient,date" alone would be a wide CSV without a
// measure, which means nothing, so it is a relapse list.
bool Detect(const std::vector<std::string>& names) {
  if (names.size() < 2) return false;
  const std::string first = NormalizeHeaderName(names[0]);
  if (first != "patient" && first != "id") return false;
  bool has_date = false;
  for (size_t i = 1; i < names.size(); ++i) {
    const std::string key = NormalizeHeaderName(names[i]);
    if (key == "date") {
      has_date = true;
    } else if (key != "end_date" && key != "enddate" && key != "visit_day") {
      return false;
    }
  }
  return has_date;
}

absl::StatusOr<std::unique_ptr<CsvRowParser>> MakeParser(const std::string& /*source*/,
                                                         const ImportOptions& /*options*/) {
  return std::make_unique<RelapsesCsvParser>();
}

}  // namespace

extern const FormatEntry kRelapsesCsvFormat = {
    ImportFormat::kRelapsesCsv, "relapses", {"relapse", nullptr}, &Detect, &MakeParser, nullptr};

}  // namespace cotrack

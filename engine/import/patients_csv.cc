// The patients CSV: one patient registration per row.
//   patient[,arm][,index_date][,treatment_dates][,ATTRIBUTE...]
// Other columns are free attributes keyed by their normalized header name
// (trimmed, lower case); an empty cell leaves that attribute unset.
// treatment_dates holds ';'-separated dates.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cotrack/database.h"
#include "import/csv_reader.h"
#include "import/csv_row_parser.h"
#include "import/format.h"
#include "import/value_text.h"

namespace cotrack {
namespace {

class PatientsCsvParser : public CsvRowParser {
 public:
  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) override;

 private:
  std::vector<std::string> names_;  // normalized header names
  size_t patient_ = 0;
  std::optional<size_t> arm_, index_date_, treatment_dates_;
  std::vector<size_t> attributes_;                  // columns holding free attributes
  absl::flat_hash_map<std::string, int64_t> seen_;  // patient -> line
};

}  // namespace

absl::Status PatientsCsvParser::ParseHeader(const CsvRecord& header, const CsvReader& reader) {
  absl::StatusOr<CsvHeader> h = CsvHeader::Make(header, reader);
  if (!h.ok()) return h.status();
  if (!h->Find("patient").has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        reader.source(), ":", header.first_line(), ": header \"", JoinHeader(header),
        "\": missing column patient (a patients CSV has the columns patient and optionally "
        "arm,index_date,treatment_dates and attribute columns)"));
  }
  names_.clear();
  attributes_.clear();
  for (size_t i = 0; i < h->size(); ++i) names_.push_back(h->key(i));
  patient_ = *h->Find("patient");
  arm_ = h->Find("arm");
  index_date_ = h->Find("index_date");
  treatment_dates_ = h->Find("treatment_dates");
  for (size_t i = 0; i < h->size(); ++i) {
    if (i != patient_ && i != arm_ && i != index_date_ && i != treatment_dates_) {
      attributes_.push_back(i);
    }
  }
  return absl::OkStatus();
}

void PatientsCsvParser::ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) {
  if (!CheckFieldCount(row, names_, errors)) return;
  Patient p;
  p.id = std::string(row[patient_]);
  if (errors.PatientId(row, patient_)) {
    auto [it, inserted] = seen_.emplace(p.id, row.first_line());
    if (!inserted) {
      errors.Add(row.line(patient_), row.column(patient_),
                 absl::StrCat("patient ", QuoteForMessage(p.id), " is already on line ", it->second,
                              " (each patient may appear only once in a file)"));
    }
  }
  if (arm_.has_value()) p.arm = std::string(absl::StripAsciiWhitespace(row[*arm_]));
  if (index_date_.has_value() && !absl::StripAsciiWhitespace(row[*index_date_]).empty()) {
    absl::StatusOr<CivilTime> t = writer.ParseDate(row[*index_date_]);
    if (t.ok()) {
      p.index_date = *t;
    } else {
      errors.BadValue(row, *index_date_, "index_date", t.status().message());
    }
  }
  if (treatment_dates_.has_value()) {
    const absl::string_view cell = absl::StripAsciiWhitespace(row[*treatment_dates_]);
    if (!cell.empty()) {
      for (absl::string_view part : SplitCell(cell, ';')) {
        if (part.empty()) continue;  // "d1;d2;" from a spreadsheet
        absl::StatusOr<CivilTime> t = writer.ParseDate(part);
        if (!t.ok()) {
          errors.BadValue(row, *treatment_dates_, "treatment_dates",
                          absl::StrCat(QuoteForMessage(part), " is not a date: ",
                                       t.status().message(), "; dates are separated by ';'"));
          break;
        }
        p.treatment_dates.push_back(*t);
      }
    }
  }
  for (size_t i : attributes_) {
    const absl::string_view value = absl::StripAsciiWhitespace(row[i]);
    if (!value.empty()) p.attributes[names_[i]] = std::string(value);
  }
  writer.PutPatient(std::move(p));
}

namespace {

// A first column patient, and neither a measure nor a value column (with one
// of them it is an observations CSV missing a column; see
// observations_csv.cc).
bool Detect(const std::vector<std::string>& names) {
  if (names.empty() || NormalizeHeaderName(names[0]) != "patient") return false;
  for (const std::string& name : names) {
    const std::string key = NormalizeHeaderName(name);
    if (key == "measure" || key == "value") return false;
  }
  return true;
}

absl::StatusOr<std::unique_ptr<CsvRowParser>> MakeParser(const std::string& /*source*/,
                                                         const ImportOptions& /*options*/) {
  return std::make_unique<PatientsCsvParser>();
}

}  // namespace

extern const FormatEntry kPatientsCsvFormat = {
    ImportFormat::kPatientsCsv, "patients", {}, &Detect, &MakeParser, nullptr};

}  // namespace cotrack

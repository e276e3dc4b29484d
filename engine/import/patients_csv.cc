#include "import/patients_csv.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "import/value_text.h"

namespace cotrack {

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
  p.id = std::string(absl::StripAsciiWhitespace(row[patient_]));
  if (p.id.empty()) {
    errors.Empty(row, patient_, "patient", "expected a patient id");
  } else {
    auto [it, inserted] = seen_.emplace(p.id, row.first_line());
    if (!inserted) {
      errors.Add(row.line(patient_), row.column(patient_),
                 absl::StrCat("patient ", QuoteForMessage(p.id), " is already on line ", it->second,
                              " (each patient may appear only once in a file)"));
    }
  }
  if (arm_.has_value()) p.arm = std::string(absl::StripAsciiWhitespace(row[*arm_]));
  if (index_date_.has_value() && !absl::StripAsciiWhitespace(row[*index_date_]).empty()) {
    absl::StatusOr<CivilTime> t = ParseDateCell(row[*index_date_]);
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
        absl::StatusOr<CivilTime> t = ParseDateCell(part);
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

}  // namespace cotrack

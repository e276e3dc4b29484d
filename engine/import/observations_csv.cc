// The long observations CSV: one observation per row.
//   patient,measure,date,value[,unit][,visit][,items]   (any column order)
// and the further columns of `cotrack export` (comparator, status, version,
// recorded_at), so that an export imports back as it was. Header names are
// trimmed and compared case-insensitively; unknown columns are an error. `items` holds
// ';'-separated item scores (an empty item is an unanswered one); an empty value with items given
// means "compute the total".
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "cotrack/database.h"
#include "import/csv_reader.h"
#include "import/csv_row_parser.h"
#include "import/format.h"
#include "import/value_text.h"

namespace cotrack {

namespace {

constexpr char kObservationsColumns[] =
    "an observations CSV has the columns patient,measure,date,value and optionally "
    "unit,visit,items (and comparator,status,version,recorded_at as `cotrack export` writes them)";

bool Contains(const char* const* begin, const char* const* end, absl::string_view name) {
  for (const char* const* p = begin; p != end; ++p) {
    if (name == *p) return true;
  }
  return false;
}

class ObservationsCsvParser : public CsvRowParser {
 public:
  static constexpr const char* kRequired[] = {"patient", "measure", "date", "value"};
  // version and recorded_at are the exporting database's bookkeeping: read
  // past, since the importing database numbers and times its own versions.
  static constexpr const char* kOptional[] = {"unit",   "visit",   "items",      "comparator",
                                              "status", "version", "recorded_at"};

  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) override;

 private:
  std::vector<std::string> names_;  // normalized header names
  size_t patient_ = 0, measure_ = 0, date_ = 0, value_ = 0;
  std::optional<size_t> unit_, visit_, items_, comparator_, status_;
};

}  // namespace

absl::Status ObservationsCsvParser::ParseHeader(const CsvRecord& header, const CsvReader& reader) {
  absl::StatusOr<CsvHeader> h = CsvHeader::Make(header, reader);
  if (!h.ok()) return h.status();
  ImportErrors errors(reader.source());
  names_.clear();
  for (size_t i = 0; i < h->size(); ++i) {
    const std::string& key = h->key(i);
    names_.push_back(key);
    if (!Contains(std::begin(kRequired), std::end(kRequired), key) &&
        !Contains(std::begin(kOptional), std::end(kOptional), key)) {
      errors.Add(header.line(i), header.column(i),
                 absl::StrCat("header: unknown column ", QuoteForMessage(h->name(i)), " (",
                              kObservationsColumns, ")"));
    }
  }
  std::vector<std::string> missing;
  for (const char* name : kRequired) {
    if (!h->Find(name).has_value()) missing.push_back(name);
  }
  if (!missing.empty()) {
    errors.Add(header.first_line(), 0,
               absl::StrCat("header \"", JoinHeader(header), "\": missing column",
                            missing.size() > 1 ? "s " : " ", absl::StrJoin(missing, ","), " (",
                            kObservationsColumns, ")"));
  }
  if (!errors.empty()) return errors.ToStatus();
  patient_ = *h->Find("patient");
  measure_ = *h->Find("measure");
  date_ = *h->Find("date");
  value_ = *h->Find("value");
  unit_ = h->Find("unit");
  visit_ = h->Find("visit");
  items_ = h->Find("items");
  comparator_ = h->Find("comparator");
  status_ = h->Find("status");
  return absl::OkStatus();
}

void ObservationsCsvParser::ParseRow(const CsvRecord& row, ImportErrors& errors,
                                     RowWriter& writer) {
  if (!CheckFieldCount(row, names_, errors)) return;
  ObservationInput& obs = writer.NewObservation();

  obs.patient = std::string(row[patient_]);
  errors.PatientId(row, patient_);

  // Catalog codes are lower case, so case cannot select a different measure.
  obs.measure = absl::AsciiStrToLower(absl::StripAsciiWhitespace(row[measure_]));
  if (obs.measure.empty()) {
    errors.Empty(row, measure_, "measure", "expected a measure code such as edss or hba1c");
  }

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

  if (items_.has_value()) {
    const absl::string_view cell = absl::StripAsciiWhitespace(row[*items_]);
    if (!cell.empty()) {
      std::vector<absl::string_view> parts = SplitCell(cell, ';');
      for (size_t k = 0; k < parts.size(); ++k) {
        if (parts[k].empty()) {
          obs.items.push_back(std::numeric_limits<double>::quiet_NaN());  // unanswered
          continue;
        }
        absl::StatusOr<double> item = ParseNumber(parts[k]);
        if (item.ok()) {
          obs.items.push_back(*item);
        } else {
          errors.BadValue(row, *items_, "items",
                          absl::StrCat("item ", k + 1, " is ", QuoteForMessage(parts[k]), ": ",
                                       item.status().message(),
                                       "; items are separated by ';', an empty item is "
                                       "unanswered"));
          break;
        }
      }
    }
  }

  const absl::string_view value_cell = absl::StripAsciiWhitespace(row[value_]);
  if (value_cell.empty()) {
    if (!obs.items.empty()) {
      obs.value_from_items = true;
    } else {
      errors.Empty(row, value_, "value",
                   absl::StrCat(kExpectedValue, ", or items to compute the total from"));
    }
  } else {
    absl::StatusOr<ValueText> v = ParseValueText(value_cell);
    if (v.ok()) {
      obs.value = v->value;
      obs.comparator = v->comparator;
      obs.original_value = std::string(value_cell);
    } else {
      errors.BadValue(row, value_, "value", v.status().message());
    }
  }

  if (comparator_.has_value()) {
    const absl::string_view cell = absl::StripAsciiWhitespace(row[*comparator_]);
    if (!cell.empty()) {
      absl::StatusOr<ValueText> c = ParseValueText(absl::StrCat(cell, "0"));
      if (!c.ok() || c->comparator == Comparator::kNone) {
        errors.BadValue(row, *comparator_, "comparator", "expected <, <=, >= or > (or empty)");
      } else if (obs.comparator != Comparator::kNone && obs.comparator != c->comparator) {
        errors.BadValue(row, *comparator_, "comparator",
                        "the value cell gives another comparator; give it in one place");
      } else {
        obs.comparator = c->comparator;
        obs.original_value = absl::StrCat(cell, value_cell);
      }
    }
  }
  bool retract = false;
  if (status_.has_value()) {
    // An export holds current values: final, or amended for a corrected
    // one, which the importing database stores as its first version.
    // entered-in-error: a retraction of an incremental export
    // (`export --since`), applied as one.
    const absl::string_view cell = absl::StripAsciiWhitespace(row[*status_]);
    if (!cell.empty() && cell != "final" && cell != "amended" && cell != "entered-in-error") {
      errors.BadValue(row, *status_, "status",
                      "expected final, amended or entered-in-error (a retraction, as `cotrack "
                      "export --since` writes it)");
    }
    retract = cell == "entered-in-error";
  }
  if (unit_.has_value()) obs.unit = std::string(absl::StripAsciiWhitespace(row[*unit_]));
  if (visit_.has_value()) obs.visit = std::string(absl::StripAsciiWhitespace(row[*visit_]));

  if (have_time && !obs.patient.empty() && !obs.measure.empty()) {
    const int64_t first = writer.FirstSeen(obs, row.first_line());
    if (first != 0) errors.Add(row.line(date_), row.column(date_), DuplicateMessage(first));
  }
  if (retract) writer.RetractLast("status entered-in-error");
}

namespace {

// A header with measure and value columns, or a first column patient and one
// of them: "patient,measure,date" is an observations file missing its value
// column, not patients with a "measure" attribute, so the observations
// parser is the one to say what is missing.
bool Detect(const std::vector<std::string>& names) {
  bool has_measure = false, has_value = false;
  for (const std::string& name : names) {
    const std::string key = NormalizeHeaderName(name);
    has_measure |= key == "measure";
    has_value |= key == "value";
  }
  if (has_measure && has_value) return true;
  return !names.empty() && NormalizeHeaderName(names[0]) == "patient" && (has_measure || has_value);
}

absl::StatusOr<std::unique_ptr<CsvRowParser>> MakeParser(const std::string& /*source*/,
                                                         const ImportOptions& /*options*/) {
  return std::make_unique<ObservationsCsvParser>();
}

}  // namespace

extern const FormatEntry kObservationsCsvFormat = {
    ImportFormat::kObservationsCsv, "observations", {}, &Detect, &MakeParser, nullptr};

}  // namespace cotrack

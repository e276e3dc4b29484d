// OMOP CDM 5.4 tables, as OHDSI ETLs and `cotrack export --format omop`
// write them: MEASUREMENT (measurement.csv) and PERSON (person.csv).
//   measurement_id,person_id,measurement_concept_id,measurement_date,
//   measurement_datetime,...,operator_concept_id,value_as_number,...,
//   unit_concept_id,...,measurement_source_value,...,unit_source_value,...,
//   value_source_value,...   (columns found by name, any order)
//   person_id,gender_concept_id,year_of_birth,...,person_source_value,...
// A measurement's measure comes from its measurement_concept_id through the
// code mapping table (rows of system https://fhir-terminology.ohdsi.org),
// else from its measurement_source_value (a row of that code in any system;
// with concept 0, a cotrack measure code as such, which is what cotrack's own
// export writes for a measure without a concept). Rows of unmapped concepts
// are counted per concept and skipped, as are rows without value_as_number.
// The patient is the person's person_source_value, read from the person.csv
// beside measurement.csv when there is one (else the person_id). Censored
// values: operator_concept_id, checked against a comparator written in
// value_source_value ("<0.10", "0.10未満"); a row where the two disagree is
// skipped and counted, since either could be the wrong one.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cotrack/status_macros.h"
#include "import/code_mapping.h"
#include "import/csv_reader.h"
#include "import/csv_row_parser.h"
#include "import/format.h"
#include "import/format_common.h"
#include "import/omop_vocabulary.h"
#include "import/value_text.h"

namespace cotrack {
namespace {

constexpr char kMeasurementColumns[] =
    "an OMOP MEASUREMENT table has the columns measurement_id, person_id, "
    "measurement_concept_id, measurement_date and value_as_number (CDM 5.4)";
constexpr char kPersonColumns[] =
    "an OMOP PERSON table has the columns person_id, gender_concept_id and year_of_birth "
    "(CDM 5.4)";

// A concept id cell: empty is 0 (no concept), as many ETLs write it.
bool ParseConcept(absl::string_view cell, int64_t* out) {
  cell = absl::StripAsciiWhitespace(cell);
  if (cell.empty()) {
    *out = 0;
    return true;
  }
  return absl::SimpleAtoi(cell, out) && *out >= 0;
}

// [a-z][a-z0-9_]{0,31}: what a cotrack measure code looks like.
bool LooksLikeMeasureCode(absl::string_view s) {
  if (s.empty() || s.size() > 32 || !absl::ascii_islower(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  for (char c : s) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return true;
}

// The comparator a value_source_value writes, if any: a leading <, <=, >,
// >=, ≤ or ≥, or a trailing 未満 (below), 以下 (at most), 超 (above) or
// 以上 (at least) as Japanese lab systems write them.
std::optional<Comparator> TextComparator(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (absl::StartsWith(text, "<=") || absl::StartsWith(text, "\xE2\x89\xA4")) {
    return Comparator::kLessEqual;
  }
  if (absl::StartsWith(text, ">=") || absl::StartsWith(text, "\xE2\x89\xA5")) {
    return Comparator::kGreaterEqual;
  }
  if (absl::StartsWith(text, "<")) return Comparator::kLess;
  if (absl::StartsWith(text, ">")) return Comparator::kGreater;
  if (absl::EndsWith(text, "\xE6\x9C\xAA\xE6\xBA\x80")) return Comparator::kLess;          // 未満
  if (absl::EndsWith(text, "\xE4\xBB\xA5\xE4\xB8\x8B")) return Comparator::kLessEqual;     // 以下
  if (absl::EndsWith(text, "\xE4\xBB\xA5\xE4\xB8\x8A")) return Comparator::kGreaterEqual;  // 以上
  if (absl::EndsWith(text, "\xE8\xB6\x85")) return Comparator::kGreater;                   // 超
  return std::nullopt;
}

// A CDM TIMESTAMP as databases write it out: "1991-01-31 0:00:00" (an hour
// of one digit, as the Sahohime data has), "2021-02-01 08:30:15",
// "1953-02-06T00:00:00.000Z"; in the form ParseDateTimeCell reads.
std::string NormalizeOmopDateTime(absl::string_view text) {
  std::string t(absl::StripAsciiWhitespace(text));
  if (t.size() > 12 && (t[10] == ' ' || t[10] == 'T') && t[12] == ':') {
    t.insert(11, "0");  // hour of one digit
  }
  return t;
}

// Midnight as the CDM's conventions write "no time of day":
// "YYYY-MM-DD 00:00:00", with any fraction or offset after it.
bool IsMidnight(absl::string_view normalized) {
  if (normalized.size() < 16) return false;
  const absl::string_view time = normalized.substr(11);
  if (!absl::StartsWith(time, "00:00")) return false;
  if (time.size() == 5) return true;
  if (time[5] != ':') return time[5] == 'Z' || time[5] == '+' || time[5] == '-';
  if (time.size() < 8 || time.substr(6, 2) != "00") return false;
  for (char c : time.substr(8)) {
    if (c != '0' && c != '.' && c != 'Z') return c == '+' || c == '-';
  }
  return true;
}

const char* SymbolOrEquals(Comparator c) {
  return c == Comparator::kNone ? "=" : ComparatorSymbol(c);
}

// person_id -> patient id (person_source_value, else person_id) of the
// person.csv beside `measurement_path`; empty when there is none.
absl::StatusOr<absl::flat_hash_map<std::string, std::string>> ReadPersons(
    const std::string& measurement_path) {
  absl::flat_hash_map<std::string, std::string> persons;
  if (measurement_path.empty() || measurement_path == "-") return persons;
  const std::filesystem::path path =
      std::filesystem::path(measurement_path).parent_path() / "person.csv";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return persons;
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  CsvReader reader(in, path.string());
  CsvRecord header;
  COTRACK_RETURN_IF_ERROR(reader.ReadHeader(header));
  COTRACK_ASSIGN_OR_RETURN(CsvHeader h, CsvHeader::Make(header, reader));
  COTRACK_RETURN_IF_ERROR(
      RequireColumns(header, h, {"person_id"}, kPersonColumns, reader.source()));
  const size_t id = *h.Find("person_id");
  const std::optional<size_t> source = h.Find("person_source_value");
  CsvRecord row;
  while (true) {
    COTRACK_ASSIGN_OR_RETURN(bool more, reader.Next(row));
    if (!more) break;
    if (row.size() <= id) continue;
    const std::string person(absl::StripAsciiWhitespace(row[id]));
    std::string patient;
    if (source && *source < row.size())
      patient = std::string(absl::StripAsciiWhitespace(row[*source]));
    if (patient.empty()) patient = person;
    persons.emplace(person, std::move(patient));
  }
  return persons;
}

class OmopMeasurementParser : public CsvRowParser {
 public:
  OmopMeasurementParser(CodeMapping mapping, absl::flat_hash_map<std::string, std::string> persons)
      : mapping_(std::move(mapping)), persons_(std::move(persons)) {}
  absl::Status UseCatalog(const ImportCatalog& catalog) override {
    mapping_.AddUnmapped(catalog.codes);
    return absl::OkStatus();
  }

  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) override;

  static bool Detect(const std::vector<std::string>& names) {
    return HeaderHasAll(
        names, {"measurement_id", "person_id", "measurement_concept_id", "measurement_date"});
  }

 private:
  // The measure of a row, or nullptr (with the skip reason) when unmapped.
  const CodeMappingEntry* MeasureOf(int64_t concept_id, absl::string_view source_value,
                                    std::string* unmapped);

  CodeMapping mapping_;
  absl::flat_hash_map<std::string, std::string> persons_;
  // The first source value of each unmapped concept, so that each concept
  // is one line of the import report.
  absl::flat_hash_map<int64_t, std::string> unmapped_names_;
  CodeMappingEntry own_;  // a measure named by its code
  std::vector<std::string> names_;
  size_t person_ = 0, concept_ = 0, date_ = 0, value_ = 0;
  std::optional<size_t> datetime_, operator_, unit_concept_, source_value_, unit_source_,
      value_source_;
};

absl::Status OmopMeasurementParser::ParseHeader(const CsvRecord& header, const CsvReader& reader) {
  COTRACK_ASSIGN_OR_RETURN(CsvHeader h, CsvHeader::Make(header, reader));
  COTRACK_RETURN_IF_ERROR(RequireColumns(header, h,
                                         {"measurement_id", "person_id", "measurement_concept_id",
                                          "measurement_date", "value_as_number"},
                                         kMeasurementColumns, reader.source()));
  names_.clear();
  for (size_t i = 0; i < h.size(); ++i) names_.push_back(h.key(i));
  person_ = *h.Find("person_id");
  concept_ = *h.Find("measurement_concept_id");
  date_ = *h.Find("measurement_date");
  value_ = *h.Find("value_as_number");
  datetime_ = h.Find("measurement_datetime");
  operator_ = h.Find("operator_concept_id");
  unit_concept_ = h.Find("unit_concept_id");
  source_value_ = h.Find("measurement_source_value");
  unit_source_ = h.Find("unit_source_value");
  value_source_ = h.Find("value_source_value");
  return absl::OkStatus();
}

const CodeMappingEntry* OmopMeasurementParser::MeasureOf(int64_t concept_id,
                                                         absl::string_view source_value,
                                                         std::string* unmapped) {
  if (concept_id != 0) {
    if (const CodeMappingEntry* m = mapping_.Find(kOmopConceptSystem, absl::StrCat(concept_id))) {
      return m;
    }
  }
  if (!source_value.empty()) {
    if (const CodeMappingEntry* m = mapping_.Find("", source_value)) return m;
    if (concept_id == 0 && LooksLikeMeasureCode(source_value)) {
      own_ = CodeMappingEntry{"", std::string(source_value), std::string(source_value), ""};
      return &own_;
    }
  }
  if (concept_id == 0) {
    *unmapped = absl::StrCat("unmapped measurement_source_value ",
                             source_value.empty() ? "(none)" : source_value, " (concept 0)");
  } else {
    auto [it, inserted] = unmapped_names_.emplace(concept_id, std::string(source_value));
    *unmapped = absl::StrCat("unmapped concept ", concept_id,
                             it->second.empty() ? "" : absl::StrCat(" (", it->second, ")"));
  }
  return nullptr;
}

void OmopMeasurementParser::ParseRow(const CsvRecord& row, ImportErrors& errors,
                                     RowWriter& writer) {
  if (!CheckFieldCount(row, names_, errors)) return;
  const auto cell = [&](const std::optional<size_t>& i) {
    return i ? absl::StripAsciiWhitespace(row[*i]) : absl::string_view();
  };
  int64_t concept_id = 0;
  if (!ParseConcept(row[concept_], &concept_id)) {
    errors.BadValue(row, concept_, "measurement_concept_id", "expected a concept id (an integer)");
    return;
  }
  std::string unmapped;
  const CodeMappingEntry* m = MeasureOf(concept_id, cell(source_value_), &unmapped);
  if (m == nullptr) {
    writer.Skip(unmapped);
    return;
  }
  const absl::string_view number = absl::StripAsciiWhitespace(row[value_]);
  if (number.empty()) {
    writer.Skip(absl::StrCat("no value_as_number (", m->measure, ")"));
    return;
  }
  // Censoring: the operator concept, unless the source text says otherwise.
  int64_t op = 0;
  Comparator comparator = Comparator::kNone;
  if (operator_ &&
      (!ParseConcept(row[*operator_], &op) || !ComparatorFromOmopOperator(op, &comparator))) {
    errors.BadValue(row, *operator_, "operator_concept_id",
                    "expected empty, 0 or an operator concept: 4171756 <, 4171754 <=, 4172703 =, "
                    "4171755 >=, 4172704 >");
    return;
  }
  if (std::optional<Comparator> said = TextComparator(cell(value_source_));
      said && *said != comparator) {
    writer.Skip(absl::StrCat(
        "concept ", concept_id, ": operator_concept_id ", op, " (", SymbolOrEquals(comparator),
        ") contradicts value_source_value, which says ", SymbolOrEquals(*said)));
    return;
  }

  ObservationInput& obs = writer.NewObservation();
  obs.measure = m->measure;
  obs.comparator = comparator;
  const std::string person(absl::StripAsciiWhitespace(row[person_]));
  if (persons_.empty()) {
    obs.patient = person;
    errors.PatientId(row, person_);
  } else if (auto it = persons_.find(person); it != persons_.end()) {
    obs.patient = it->second;
  } else {
    errors.BadValue(row, person_, "person_id", "a person_id of the person.csv beside this file");
  }
  absl::StatusOr<double> v = ParseNumber(number);
  if (v.ok()) {
    obs.value = *v;
  } else {
    errors.BadValue(row, value_, "value_as_number", v.status().message());
  }
  if (!cell(value_source_).empty()) obs.original_value = std::string(cell(value_source_));

  // Unit: the unit concept's, else the source's, else the mapping's.
  int64_t unit_concept = 0;
  if (unit_concept_ && !ParseConcept(row[*unit_concept_], &unit_concept)) {
    errors.BadValue(row, *unit_concept_, "unit_concept_id", "expected a concept id (an integer)");
  }
  obs.unit = UnitOfOmopConcept(unit_concept);
  if (obs.unit.empty()) obs.unit = NormalizeUnit(cell(unit_source_));
  if (obs.unit.empty()) obs.unit = m->unit;

  // The date, and the time of day when measurement_datetime has one other
  // than midnight (which the CDM's ETL conventions write for "no time").
  bool have_time = false;
  absl::StatusOr<CivilTime> day = writer.ParseDate(row[date_]);
  if (!day.ok()) {
    errors.BadValue(row, date_, "measurement_date", day.status().message());
  } else {
    obs.time = *day;
    have_time = true;
    const std::string dt = NormalizeOmopDateTime(cell(datetime_));
    if (!dt.empty() && !IsMidnight(dt)) {
      absl::StatusOr<CivilTime> t = writer.ParseDate(dt);
      if (!t.ok()) {
        errors.BadValue(row, *datetime_, "measurement_datetime", t.status().message());
      } else if (dt.substr(0, 10) != FormatCivilTime(*day)) {
        errors.BadValue(row, *datetime_, "measurement_datetime",
                        absl::StrCat("a time on measurement_date ", FormatCivilTime(*day)));
      } else {
        obs.time = *t;
      }
    }
  }
  if (have_time && !obs.patient.empty()) {
    const int64_t first = writer.FirstSeen(obs, row.first_line());
    if (first != 0) errors.Add(row.line(date_), row.column(date_), DuplicateMessage(first));
  }
}

class OmopPersonParser : public CsvRowParser {
 public:
  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) override;

  static bool Detect(const std::vector<std::string>& names) {
    return HeaderHasAll(names, {"person_id", "gender_concept_id", "year_of_birth"});
  }

 private:
  std::vector<std::string> names_;
  size_t id_ = 0, gender_concept_ = 0;
  std::optional<size_t> source_, gender_source_, year_, month_, day_;
  absl::flat_hash_map<std::string, int64_t> seen_;
};

absl::Status OmopPersonParser::ParseHeader(const CsvRecord& header, const CsvReader& reader) {
  COTRACK_ASSIGN_OR_RETURN(CsvHeader h, CsvHeader::Make(header, reader));
  COTRACK_RETURN_IF_ERROR(RequireColumns(header, h,
                                         {"person_id", "gender_concept_id", "year_of_birth"},
                                         kPersonColumns, reader.source()));
  names_.clear();
  for (size_t i = 0; i < h.size(); ++i) names_.push_back(h.key(i));
  id_ = *h.Find("person_id");
  gender_concept_ = *h.Find("gender_concept_id");
  year_ = h.Find("year_of_birth");
  month_ = h.Find("month_of_birth");
  day_ = h.Find("day_of_birth");
  source_ = h.Find("person_source_value");
  gender_source_ = h.Find("gender_source_value");
  return absl::OkStatus();
}

void OmopPersonParser::ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) {
  if (!CheckFieldCount(row, names_, errors)) return;
  const auto cell = [&](const std::optional<size_t>& i) {
    return i ? absl::StripAsciiWhitespace(row[*i]) : absl::string_view();
  };
  Patient p;
  p.id = std::string(cell(source_));
  size_t id_column = source_ ? *source_ : id_;
  if (p.id.empty()) {
    p.id = std::string(absl::StripAsciiWhitespace(row[id_]));
    id_column = id_;
  }
  if (!errors.PatientId(p.id, row.line(id_column), row.column(id_column))) return;
  auto [it, inserted] = seen_.emplace(p.id, row.first_line());
  if (!inserted) {
    errors.Add(row.line(id_column), row.column(id_column),
               absl::StrCat("patient ", QuoteForMessage(p.id), " is already registered on line ",
                            it->second, " (each person may appear only once in a file)"));
    return;
  }
  // Birth and sex as attributes, what `export --format omop` writes back.
  std::string gender(cell(gender_source_));
  int64_t gender_concept = 0;
  if (gender.empty() && ParseConcept(row[gender_concept_], &gender_concept)) {
    if (gender_concept == kOmopGenderMale) gender = "M";
    if (gender_concept == kOmopGenderFemale) gender = "F";
  }
  if (!gender.empty()) p.attributes["gender"] = gender;
  const std::pair<const char*, std::optional<size_t>> birth[] = {
      {"year_of_birth", year_}, {"month_of_birth", month_}, {"day_of_birth", day_}};
  for (const auto& [name, column] : birth) {
    const absl::string_view v = cell(column);
    if (v.empty()) continue;
    int n = 0;
    if (!absl::SimpleAtoi(v, &n) || n <= 0) {
      errors.BadValue(row, *column, name, "expected a positive integer");
      return;
    }
    p.attributes[name] = absl::StrCat(n);
  }
  writer.PutPatient(std::move(p));
}

absl::StatusOr<std::unique_ptr<CsvRowParser>> MakeMeasurementParser(const std::string& source,
                                                                    const ImportOptions& options) {
  COTRACK_ASSIGN_OR_RETURN(CodeMapping mapping, CodeMapping::Load(options.mapping_file));
  COTRACK_ASSIGN_OR_RETURN(auto persons, ReadPersons(source));
  return std::make_unique<OmopMeasurementParser>(std::move(mapping), std::move(persons));
}

absl::StatusOr<std::unique_ptr<CsvRowParser>> MakePersonParser(const std::string& /*source*/,
                                                               const ImportOptions& /*options*/) {
  return std::make_unique<OmopPersonParser>();
}

}  // namespace

extern const FormatEntry kOmopMeasurementFormat = {
    ImportFormat::kOmopMeasurement, "omop-measurement",     {"omop", nullptr},
    &OmopMeasurementParser::Detect, &MakeMeasurementParser, nullptr};
extern const FormatEntry kOmopPersonFormat = {ImportFormat::kOmopPerson, "omop-person",
                                              {nullptr, nullptr},        &OmopPersonParser::Detect,
                                              &MakePersonParser,         nullptr};

}  // namespace cotrack

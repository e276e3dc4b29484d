// Synthea CSV output: observations.csv (lab values and scores, with or
// without the CATEGORY column) and patients.csv (registrations).
//   DATE,PATIENT,ENCOUNTER[,CATEGORY],CODE,DESCRIPTION,VALUE,UNITS,TYPE
//   Id,BIRTHDATE,DEATHDATE,...,RACE,ETHNICITY,GENDER,...
// CODE (LOINC) goes through a CodeMapping; rows of unmapped codes are counted
// per code and skipped.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cotrack/status_macros.h"
#include "import/code_mapping.h"
#include "import/csv_reader.h"
#include "import/csv_row_parser.h"
#include "import/format.h"
#include "import/format_common.h"
#include "import/value_text.h"

namespace cotrack {
namespace {

constexpr char kObservationColumns[] =
    "a Synthea observations.csv has the columns DATE,PATIENT,ENCOUNTER,[CATEGORY,]CODE,"
    "DESCRIPTION,VALUE,UNITS,TYPE";
constexpr char kPatientColumns[] =
    "a Synthea patients.csv starts with the column Id and has BIRTHDATE and GENDER";

class SyntheaObservationsParser : public CsvRowParser {
 public:
  explicit SyntheaObservationsParser(CodeMapping mapping) : mapping_(std::move(mapping)) {}
  absl::Status UseCatalog(const ImportCatalog& catalog) override {
    mapping_.AddUnmapped(catalog.codes);
    return absl::OkStatus();
  }

  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) override;

  // True when `names` hold DATE, PATIENT, CODE, VALUE and UNITS.
  static bool Detect(const std::vector<std::string>& names);

 private:
  CodeMapping mapping_;
  std::vector<std::string> names_;
  size_t date_ = 0, patient_ = 0, code_ = 0, value_ = 0, units_ = 0;
  std::optional<size_t> type_;
};

class SyntheaPatientsParser : public CsvRowParser {
 public:
  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) override;

  // True when the first of `names` is Id and they hold BIRTHDATE and GENDER.
  static bool Detect(const std::vector<std::string>& names);

  // The columns kept as patient attributes (lower case); names, SSN,
  // addresses and the like are deliberately not imported.
  static constexpr const char* kAttributes[] = {"birthdate", "deathdate", "gender", "race",
                                                "ethnicity"};

 private:
  std::vector<std::string> names_;
  size_t id_ = 0;
  std::vector<size_t> attributes_;
  absl::flat_hash_map<std::string, int64_t> seen_;
};

}  // namespace

bool SyntheaObservationsParser::Detect(const std::vector<std::string>& names) {
  return HeaderHasAll(names, {"date", "patient", "code", "value", "units"});
}

absl::Status SyntheaObservationsParser::ParseHeader(const CsvRecord& header,
                                                    const CsvReader& reader) {
  absl::StatusOr<CsvHeader> h = CsvHeader::Make(header, reader);
  if (!h.ok()) return h.status();
  absl::Status missing = RequireColumns(header, *h, {"date", "patient", "code", "value", "units"},
                                        kObservationColumns, reader.source(), /*upper_case=*/true);
  if (!missing.ok()) return missing;
  names_.clear();
  for (size_t i = 0; i < h->size(); ++i) names_.push_back(h->key(i));
  date_ = *h->Find("date");
  patient_ = *h->Find("patient");
  code_ = *h->Find("code");
  value_ = *h->Find("value");
  units_ = *h->Find("units");
  type_ = h->Find("type");
  return absl::OkStatus();
}

void SyntheaObservationsParser::ParseRow(const CsvRecord& row, ImportErrors& errors,
                                         RowWriter& writer) {
  if (!CheckFieldCount(row, names_, errors)) return;
  const absl::string_view code = absl::StripAsciiWhitespace(row[code_]);
  const CodeMappingEntry* m = mapping_.Find("", code);
  if (m == nullptr) {
    writer.Skip(absl::StrCat("unmapped code ", code));
    return;
  }
  ObservationInput& obs = writer.NewObservation();
  obs.measure = m->measure;
  obs.patient = std::string(row[patient_]);
  errors.PatientId(row, patient_);
  bool have_time = false;
  absl::StatusOr<CivilTime> t = writer.ParseDate(row[date_]);
  if (t.ok()) {
    obs.time = *t;
    have_time = true;
  } else {
    errors.BadValue(row, date_, "DATE", t.status().message());
  }
  const absl::string_view value = absl::StripAsciiWhitespace(row[value_]);
  absl::StatusOr<ValueText> v = ParseValueText(value);
  if (v.ok()) {
    obs.value = v->value;
    obs.comparator = v->comparator;
    obs.original_value = std::string(value);
  } else {
    errors.BadValue(row, value_, "VALUE",
                    absl::StrCat(v.status().message(), "; code ", code, " maps to ", m->measure));
  }
  obs.unit = NormalizeUnit(row[units_]);
  if (obs.unit.empty()) obs.unit = m->unit;
  if (have_time && !obs.patient.empty()) {
    const int64_t first = writer.FirstSeen(obs, row.first_line());
    if (first != 0) errors.Add(row.line(date_), row.column(date_), DuplicateMessage(first));
  }
}

bool SyntheaPatientsParser::Detect(const std::vector<std::string>& names) {
  return !names.empty() && NormalizeHeaderName(names[0]) == "id" &&
         HeaderHasAll(names, {"birthdate", "gender"});
}

absl::Status SyntheaPatientsParser::ParseHeader(const CsvRecord& header, const CsvReader& reader) {
  absl::StatusOr<CsvHeader> h = CsvHeader::Make(header, reader);
  if (!h.ok()) return h.status();
  absl::Status missing = RequireColumns(header, *h, {"id", "birthdate", "gender"}, kPatientColumns,
                                        reader.source(), /*upper_case=*/true);
  if (!missing.ok()) return missing;
  names_.clear();
  for (size_t i = 0; i < h->size(); ++i) names_.push_back(h->key(i));
  id_ = *h->Find("id");
  attributes_.clear();
  for (const char* a : kAttributes) {
    if (std::optional<size_t> i = h->Find(a)) attributes_.push_back(*i);
  }
  return absl::OkStatus();
}

void SyntheaPatientsParser::ParseRow(const CsvRecord& row, ImportErrors& errors,
                                     RowWriter& writer) {
  if (!CheckFieldCount(row, names_, errors)) return;
  Patient p;
  p.id = std::string(row[id_]);
  if (!errors.PatientId(row, id_)) return;
  auto [it, inserted] = seen_.emplace(p.id, row.first_line());
  if (!inserted) {
    errors.Add(row.line(id_), row.column(id_),
               absl::StrCat("patient ", QuoteForMessage(p.id), " is already registered on line ",
                            it->second, " (each patient may appear only once in a file)"));
    return;
  }
  for (size_t i : attributes_) {
    const absl::string_view cell = absl::StripAsciiWhitespace(row[i]);
    if (!cell.empty()) p.attributes[names_[i]] = std::string(cell);
  }
  writer.PutPatient(std::move(p));
}

namespace {

absl::StatusOr<std::unique_ptr<CsvRowParser>> MakeObservationsParser(const std::string& /*source*/,
                                                                     const ImportOptions& options) {
  COTRACK_ASSIGN_OR_RETURN(CodeMapping mapping, CodeMapping::Load(options.mapping_file));
  return std::make_unique<SyntheaObservationsParser>(std::move(mapping));
}

absl::StatusOr<std::unique_ptr<CsvRowParser>> MakePatientsParser(const std::string& /*source*/,
                                                                 const ImportOptions& /*options*/) {
  return std::make_unique<SyntheaPatientsParser>();
}

}  // namespace

extern const FormatEntry kSyntheaObservationsFormat = {
    ImportFormat::kSyntheaObservations, "synthea-observations",  {},
    &SyntheaObservationsParser::Detect, &MakeObservationsParser, nullptr};
extern const FormatEntry kSyntheaPatientsFormat = {
    ImportFormat::kSyntheaPatients, "synthea-patients",  {},
    &SyntheaPatientsParser::Detect, &MakePatientsParser, nullptr};

}  // namespace cotrack

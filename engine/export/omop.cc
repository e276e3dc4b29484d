// Export of current values as OMOP CDM 5.4 tables: person.csv,
// observation_period.csv, measurement.csv and cdm_source.csv in a directory,
// columns named and ordered as the CDM 5.4 DDL has them. The rules are in
// docs/EXPORT.md; concept ids come from data (schema/code_mappings.csv,
// schema/omop_units.csv), not from code.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cotrack/export.h"
#include "cotrack/status_macros.h"
#include "cotrack/text.h"
#include "export/hmac.h"
#include "import/code_mapping.h"
#include "import/omop_vocabulary.h"
#include "text/json.h"

namespace cotrack {
namespace {

constexpr char kPersonColumns[] =
    "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,birth_datetime,"
    "race_concept_id,ethnicity_concept_id,location_id,provider_id,care_site_id,"
    "person_source_value,gender_source_value,gender_source_concept_id,race_source_value,"
    "race_source_concept_id,ethnicity_source_value,ethnicity_source_concept_id";
constexpr char kObservationPeriodColumns[] =
    "observation_period_id,person_id,observation_period_start_date,observation_period_end_date,"
    "period_type_concept_id";
constexpr char kMeasurementColumns[] =
    "measurement_id,person_id,measurement_concept_id,measurement_date,measurement_datetime,"
    "measurement_time,measurement_type_concept_id,operator_concept_id,value_as_number,"
    "value_as_concept_id,unit_concept_id,range_low,range_high,provider_id,visit_occurrence_id,"
    "visit_detail_id,measurement_source_value,measurement_source_concept_id,unit_source_value,"
    "unit_source_concept_id,value_source_value,measurement_event_id,meas_event_field_concept_id";
constexpr char kCdmSourceColumns[] =
    "cdm_source_name,cdm_source_abbreviation,cdm_holder,source_description,"
    "source_documentation_reference,cdm_etl_reference,source_release_date,cdm_release_date,"
    "cdm_version,cdm_version_concept_id,vocabulary_version";

// The measurement_concept_id of a measure's values: the concept the code
// table gives for the measure in its canonical unit; 0 (no matching concept,
// as OHDSI writes an unmapped source code) otherwise.
int64_t MeasureConcept(const MeasureDefinition& m) {
  const CodeMappingEntry* e =
      CodeMapping::Builtin().FindForMeasure(kOmopConceptSystem, m.code, m.unit);
  int64_t id = 0;
  if (e == nullptr || !absl::SimpleAtoi(e->code, &id)) return 0;
  return id;
}

// "M"/"male" and "F"/"female", as Synthea, REDCap and the OMOP import store
// the attribute; anything else is concept 0 (no matching concept).
int64_t GenderConcept(absl::string_view gender) {
  const std::string g = absl::AsciiStrToLower(absl::StripAsciiWhitespace(gender));
  if (g == "m" || g == "male") return kOmopGenderMale;
  if (g == "f" || g == "female") return kOmopGenderFemale;
  return 0;
}

std::string Attribute(const Patient& p, const char* name) {
  auto it = p.attributes.find(name);
  return it == p.attributes.end() ? "" : std::string(absl::StripAsciiWhitespace(it->second));
}

// Writes one table to DIR/NAME.csv through a temporary file, so that a
// failed export never leaves a half-written table under the final name.
class TableFile {
 public:
  absl::Status Open(const std::filesystem::path& dir, const std::string& name,
                    const char* columns) {
    final_ = dir / (name + ".csv");
    temp_ = dir / (name + ".csv.tmp");
    out_.open(temp_, std::ios::binary | std::ios::trunc);
    if (!out_) return absl::NotFoundError(absl::StrCat("cannot write ", temp_.string()));
    out_ << columns << '\n';
    return absl::OkStatus();
  }
  std::ofstream& out() { return out_; }
  absl::Status Commit() {
    out_.close();
    if (!out_) return absl::DataLossError(absl::StrCat("writing ", temp_.string(), " failed"));
    std::error_code ec;
    std::filesystem::rename(temp_, final_, ec);
    if (ec) {
      return absl::DataLossError(absl::StrCat("cannot rename ", temp_.string(), " to ",
                                              final_.string(), ": ", ec.message()));
    }
    return absl::OkStatus();
  }
  ~TableFile() {
    if (out_.is_open()) {
      out_.close();
      std::error_code ec;
      std::filesystem::remove(temp_, ec);
    }
  }

 private:
  std::filesystem::path final_, temp_;
  std::ofstream out_;
};

class OmopExporter {
 public:
  OmopExporter(Database& db, const ExportOptions& options) : db_(db), options_(options) {}

  absl::StatusOr<ExportSummary> Run(const std::string& dir) {
    std::vector<MeasureDefinition> measures;
    if (options_.measures.empty()) {
      COTRACK_ASSIGN_OR_RETURN(measures, db_.ListMeasures());
    } else {
      for (const std::string& code : options_.measures) {
        COTRACK_ASSIGN_OR_RETURN(MeasureDefinition m, db_.GetMeasure(code));
        measures.push_back(std::move(m));
      }
    }
    COTRACK_ASSIGN_OR_RETURN(std::vector<Patient> all, db_.ListPatients());
    COTRACK_RETURN_IF_ERROR(NumberPersons(all));
    std::vector<const Patient*> selected;
    for (const Patient& p : all) {
      if (!options_.patient || p.id == *options_.patient) selected.push_back(&p);
    }
    if (options_.patient && selected.empty()) {
      return absl::NotFoundError(absl::StrCat("patient ", *options_.patient, " not found"));
    }

    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir)) {
      return absl::NotFoundError(absl::StrCat("cannot create the directory ", dir,
                                              ec ? absl::StrCat(": ", ec.message()) : ""));
    }
    TableFile measurement;
    COTRACK_RETURN_IF_ERROR(measurement.Open(dir, "measurement", kMeasurementColumns));
    for (const MeasureDefinition& m : measures) {
      const int64_t concept_id = MeasureConcept(m);
      const auto write = [&](const std::vector<Observation>& values) {
        for (const Observation& o : values) WriteMeasurement(measurement.out(), m, concept_id, o);
        return measurement.out().good() ? absl::OkStatus()
                                        : absl::DataLossError("writing measurement.csv failed");
      };
      if (options_.patient) {
        COTRACK_ASSIGN_OR_RETURN(std::vector<Observation> values,
                                 db_.Trajectory(*options_.patient, m.code));
        COTRACK_RETURN_IF_ERROR(write(values));
      } else {
        // In person_id order, not the database's internal order, so that a
        // database imported from this export writes the same file.
        std::map<int64_t, std::vector<Observation>> by_person;
        COTRACK_RETURN_IF_ERROR(db_.ForEachSeries(
            m.code, [&](const Patient& p, const std::vector<Observation>& values) {
              by_person[person_ids_.at(p.id)] = values;
              return absl::OkStatus();
            }));
        for (const auto& [person, values] : by_person) COTRACK_RETURN_IF_ERROR(write(values));
      }
    }

    TableFile person, period, source;
    COTRACK_RETURN_IF_ERROR(person.Open(dir, "person", kPersonColumns));
    COTRACK_RETURN_IF_ERROR(period.Open(dir, "observation_period", kObservationPeriodColumns));
    COTRACK_RETURN_IF_ERROR(source.Open(dir, "cdm_source", kCdmSourceColumns));
    // In person_id order (de-identified, a function of the pseudonym, which
    // tells nothing).
    std::sort(selected.begin(), selected.end(), [&](const Patient* a, const Patient* b) {
      return person_ids_.at(a->id) < person_ids_.at(b->id);
    });
    for (const Patient* p : selected) {
      const int64_t id = person_ids_.at(p->id);
      WritePerson(person.out(), id, *p);
      auto it = periods_.find(p->id);
      if (it != periods_.end()) {
        // One observation period per person: from its first to its last
        // exported value.
        period.out() << id << ',' << id << ',' << FormatDate(it->second.first) << ','
                     << FormatDate(it->second.second) << ',' << kOmopTypeEhr << '\n';
      }
    }
    const std::string today = absl::FormatTime("%Y-%m-%d", absl::Now(), absl::UTCTimeZone());
    source.out() << "cotrack,"
                 << "cotrack,"
                 << "cotrack,"
                 << CsvField(deid() ? "Current values of a cotrack database, de-identified"
                                    : "Current values of a cotrack database")
                 << ",docs/EXPORT.md," << CsvField("cotrack export --format omop") << ',' << today
                 << ',' << today << ",v5.4," << kOmopCdmVersion54 << ",cotrack built-in\n";
    // measurement.csv last of all under its final name: an export that
    // failed before this left the previous tables as they were.
    COTRACK_RETURN_IF_ERROR(person.Commit());
    COTRACK_RETURN_IF_ERROR(period.Commit());
    COTRACK_RETURN_IF_ERROR(source.Commit());
    COTRACK_RETURN_IF_ERROR(measurement.Commit());
    summary_.patients = static_cast<int64_t>(periods_.size());
    return summary_;
  }

 private:
  bool deid() const { return options_.deidentify_key.has_value(); }

  // person_id, a function of the patient id alone, so that every export
  // gives a patient the same number whatever else the database holds: an id
  // that is a decimal integer from 1 to 2^31-1 (what came from an OMOP
  // person_id, a REDCap record number) is its own person_id; any other id
  // gets 2^31 + (the first 8 bytes of SHA-256(id) mod (2^53 - 2^31)), above
  // every such integer and exact in a double. De-identified, the rule applies
  // to the pseudonym. Two ids with one number (odds about n^2 / 2^54) are an
  // error naming both, never a silent merge.
  static int64_t PersonIdOf(const std::string& id) {
    constexpr int64_t kLow = int64_t{1} << 31, kHigh = int64_t{1} << 53;
    int64_t n = 0;
    if (!id.empty() && id.size() <= 10 && id[0] != '0' &&
        std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        absl::SimpleAtoi(id, &n) && n >= 1 && n < kLow) {
      return n;
    }
    const Sha256Digest d = Sha256(id);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | d[i];
    return kLow + static_cast<int64_t>(v % static_cast<uint64_t>(kHigh - kLow));
  }

  absl::Status NumberPersons(const std::vector<Patient>& all) {
    std::map<int64_t, std::string> taken;
    for (const Patient& p : all) {
      const int64_t id = PersonIdOf(SourceId(p.id));
      auto [it, inserted] = taken.emplace(id, p.id);
      if (!inserted) {
        return absl::FailedPreconditionError(
            absl::StrCat("patients ", it->second, " and ", p.id, " would both be person_id ", id,
                         " in an OMOP export (a collision of the person_id hash, odds about "
                         "n^2 / 2^54); please report it"));
      }
      person_ids_[p.id] = id;
    }
    return absl::OkStatus();
  }

  std::string SourceId(const std::string& id) const {
    return deid() ? PatientPseudonym(*options_.deidentify_key, id) : id;
  }
  CivilTime Shift(const std::string& patient, CivilTime t) const {
    if (deid()) t.seconds += DateShiftDays(*options_.deidentify_key, patient) * kSecondsPerDay;
    return t;
  }
  static std::string FormatDate(const CivilTime& t) {
    return FormatCivilTime(CivilTime::FromDay(t.day()));
  }

  void WriteMeasurement(std::ostream& out, const MeasureDefinition& m, int64_t concept_id,
                        const Observation& o) {
    const CivilTime when = Shift(o.patient, o.time);
    auto [it, inserted] = periods_.emplace(o.patient, std::make_pair(when, when));
    if (!inserted) {
      if (when.day() < it->second.first.day()) it->second.first = when;
      if (when.day() > it->second.second.day()) it->second.second = when;
    }
    std::string datetime;
    if (when.precision == TimePrecision::kDateTime) {
      datetime = FormatCivilTime(when);
      datetime[10] = ' ';  // the CDM's TIMESTAMP: "YYYY-MM-DD hh:mm:ss"
    }
    const std::string& unit = o.unit.empty() ? m.unit : o.unit;
    const int64_t op = OmopOperatorConcept(o.comparator);
    // The value as it was entered, with its unit when that was not the
    // canonical one ("48 mmol/mol"): value_source_value is verbatim source,
    // value_as_number and unit_concept_id the standardised value.
    std::string entered = o.original_value;
    if (!entered.empty() && !o.original_unit.empty())
      absl::StrAppend(&entered, " ", o.original_unit);
    ++summary_.observations;
    out << summary_.observations << ',' << person_ids_.at(o.patient) << ',' << concept_id << ','
        << FormatDate(when) << ',' << datetime << ",," << kOmopTypeEhr << ','
        << (op != 0 ? absl::StrCat(op) : "") << ',' << json::Number(o.value) << ",,"
        << OmopUnitConcept(unit) << ",,,,,," << CsvField(m.code) << ",0," << CsvField(unit) << ",,"
        << CsvField(entered) << ",,\n";
  }

  void WritePerson(std::ostream& out, int64_t id, const Patient& p) {
    // Birth and gender are attributes, which de-identification drops.
    std::string year, month, day, gender;
    if (!deid()) {
      year = Attribute(p, "year_of_birth");
      month = Attribute(p, "month_of_birth");
      day = Attribute(p, "day_of_birth");
      const std::string birthdate = Attribute(p, "birthdate");
      if (year.empty() && birthdate.size() >= 10) {
        if (absl::StatusOr<CivilTime> t = ParseCivilTime(birthdate.substr(0, 10)); t.ok()) {
          year = birthdate.substr(0, 4);
          month = absl::StrCat(std::stoi(birthdate.substr(5, 2)));
          day = absl::StrCat(std::stoi(birthdate.substr(8, 2)));
        }
      }
      gender = Attribute(p, "gender");
    }
    out << id << ',' << GenderConcept(gender) << ',' << CsvField(year) << ',' << CsvField(month)
        << ',' << CsvField(day) << ",,0,0,,,," << CsvField(SourceId(p.id)) << ','
        << CsvField(gender) << ",,,,,\n";
  }

  Database& db_;
  const ExportOptions& options_;
  std::map<std::string, int64_t> person_ids_;
  // Per patient with an exported value: its first and last (shifted) time.
  std::map<std::string, std::pair<CivilTime, CivilTime>> periods_;
  ExportSummary summary_;
};

}  // namespace

absl::StatusOr<ExportSummary> ExportOmop(Database& db, const ExportOptions& options,
                                         const std::string& dir) {
  if (options.deidentify_key && options.deidentify_key->size() < 16) {
    return absl::InvalidArgumentError(absl::StrCat("de-identification key has ",
                                                   options.deidentify_key->size(),
                                                   " bytes; at least 16 are needed"));
  }
  if (dir.empty() || dir == "-") {
    return absl::InvalidArgumentError(
        "the omop format writes a directory of tables: give it as --out DIR");
  }
  return OmopExporter(db, options).Run(dir);
}

}  // namespace cotrack

// Export of current values as CSV, JSON Lines or FHIR R4 Bulk Data NDJSON,
// optionally de-identified. The rules are in docs/EXPORT.md.
#include "cotrack/export.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cotrack/status_macros.h"
#include "cotrack/text.h"
#include "export/hmac.h"
#include "export/ucum.h"
#include "import/code_mapping.h"
#include "text/json.h"

namespace cotrack {
namespace {

constexpr size_t kMinKeyBytes = 16;
constexpr char kUcum[] = "http://unitsofmeasure.org";
constexpr char kLoinc[] = "http://loinc.org";

std::string Extension(absl::string_view name, absl::string_view type, absl::string_view value) {
  return json::ObjectWriter()
      .Str("url", absl::StrCat(kFhirExtensionBase, name))
      .Str(type, value)
      .Finish();
}

std::string JsonArray(const std::vector<std::string>& items) {
  std::string list = "[";
  for (size_t i = 0; i < items.size(); ++i) absl::StrAppend(&list, i ? "," : "", items[i]);
  return list + "]";
}

bool IsFhirId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

const char* FhirComparator(Comparator c) { return ComparatorSymbol(c); }

class Exporter {
 public:
  Exporter(Database& db, const ExportOptions& options, std::ostream& out)
      : db_(db), options_(options), out_(out) {}

  absl::StatusOr<ExportSummary> Run() {
    std::vector<MeasureDefinition> measures;
    if (options_.measures.empty()) {
      COTRACK_ASSIGN_OR_RETURN(measures, db_.ListMeasures());
    } else {
      for (const std::string& code : options_.measures) {
        COTRACK_ASSIGN_OR_RETURN(MeasureDefinition m, db_.GetMeasure(code));
        measures.push_back(std::move(m));
      }
    }
    std::vector<Patient> selected;
    if (options_.patient) {
      COTRACK_ASSIGN_OR_RETURN(Patient p, db_.GetPatient(*options_.patient));
      selected.push_back(std::move(p));
    } else if (options_.format == ExportFormat::kFhir && options_.fhir_patients) {
      COTRACK_ASSIGN_OR_RETURN(selected, db_.ListPatients());
    }

    if (options_.format == ExportFormat::kCsv) {
      out_ << "patient,measure,date,value,unit,comparator,visit,status,version,recorded_at\n";
    }
    if (options_.format == ExportFormat::kFhir && options_.fhir_patients) {
      std::vector<std::string> lines;
      for (const Patient& p : selected) lines.push_back(FhirPatient(p));
      // De-identified: in pseudonym order, so that the order tells nothing.
      if (options_.deidentify_key) std::sort(lines.begin(), lines.end());
      for (const std::string& line : lines) out_ << line << '\n';
    }

    for (const MeasureDefinition& m : measures) {
      if (options_.patient) {
        COTRACK_ASSIGN_OR_RETURN(std::vector<Observation> values,
                                 db_.Trajectory(*options_.patient, m.code));
        WriteSeries(m, values);
      } else {
        COTRACK_RETURN_IF_ERROR(
            db_.ForEachSeries(m.code, [&](const Patient&, const std::vector<Observation>& values) {
              WriteSeries(m, values);
              return out_.good() ? absl::OkStatus()
                                 : absl::DataLossError("writing the export failed");
            }));
      }
    }
    out_.flush();
    if (!out_.good()) return absl::DataLossError("writing the export failed");
    summary_.patients = static_cast<int64_t>(patients_.size());
    return summary_;
  }

 private:
  bool deid() const { return options_.deidentify_key.has_value(); }

  std::string PatientId(const std::string& id) const {
    return deid() ? PatientPseudonym(*options_.deidentify_key, id) : id;
  }
  std::string FhirPatientId(const std::string& id) const {
    if (deid()) return PatientPseudonym(*options_.deidentify_key, id);
    return IsFhirId(id) ? id : absl::StrCat("pt-", DigestHex(Sha256(id), 16));
  }
  CivilTime Shift(const std::string& patient, CivilTime t) const {
    if (deid()) t.seconds += DateShiftDays(*options_.deidentify_key, patient) * kSecondsPerDay;
    return t;
  }

  void WriteSeries(const MeasureDefinition& m, const std::vector<Observation>& values) {
    if (values.empty()) return;
    patients_.insert(values.front().patient);
    if (options_.format == ExportFormat::kFhir && fhir_code_measure_ != m.code) {
      fhir_code_measure_ = m.code;
      fhir_code_ = FhirCode(m);
    }
    for (const Observation& o : values) {
      switch (options_.format) {
        case ExportFormat::kCsv:
          WriteCsv(o);
          break;
        case ExportFormat::kNdjson:
          WriteNdjson(o);
          break;
        case ExportFormat::kFhir:
          out_ << FhirObservation(m, o) << '\n';
          break;
        case ExportFormat::kOmop:  // refused by Export
          break;
      }
      ++summary_.observations;
    }
  }

  // recorded_at is left out when de-identifying: the day a value was entered
  // is close to the day it was measured.
  std::string RecordedAt(const Observation& o) const {
    if (deid() || o.recorded_at_us == 0) return "";
    return FormatTimestampUs(o.recorded_at_us);
  }

  void WriteCsv(const Observation& o) {
    out_ << CsvField(PatientId(o.patient)) << ',' << CsvField(o.measure) << ','
         << FormatCivilTime(Shift(o.patient, o.time)) << ',' << json::Number(o.value) << ','
         << CsvField(o.unit) << ',' << ComparatorSymbol(o.comparator) << ',' << CsvField(o.visit)
         << ',' << StatusName(o.status) << ',' << o.version << ',' << RecordedAt(o) << '\n';
  }

  void WriteNdjson(const Observation& o) {
    json::ObjectWriter w;
    w.Str("patient", PatientId(o.patient))
        .Str("measure", o.measure)
        .Str("date", FormatCivilTime(Shift(o.patient, o.time)))
        .Num("value", o.value);
    const std::string comparator = ComparatorSymbol(o.comparator);
    const std::string recorded = RecordedAt(o);
    o.unit.empty() ? w.Null("unit") : w.Str("unit", o.unit);
    comparator.empty() ? w.Null("comparator") : w.Str("comparator", comparator);
    o.visit.empty() ? w.Null("visit") : w.Str("visit", o.visit);
    w.Str("status", StatusName(o.status)).Int("version", o.version);
    recorded.empty() ? w.Null("recorded_at") : w.Str("recorded_at", recorded);
    out_ << w.Finish() << '\n';
  }

  // Observation.code of a measure's values: one LOINC code at most, then
  // cotrack's own code, which is what import reads back. The LOINC code is
  // the one the code table gives for the measure in its canonical unit
  // (HbA1c in % is 4548-4, never the mmol/mol code 59261-8 beside it in
  // MeasureDefinition::loinc); for a measure the table does not know (a
  // user measure), the first code of its definition.
  static std::string FhirCode(const MeasureDefinition& m) {
    std::vector<std::string> coding;
    const CodeMapping& table = CodeMapping::Builtin();
    std::string loinc;
    if (const CodeMappingEntry* e = table.FindForMeasure(kLoinc, m.code, m.unit)) {
      loinc = e->code;
    } else if (!table.MapsMeasure(m.code) && !m.loinc.empty()) {
      loinc = m.loinc.front();
    }
    if (!loinc.empty()) {
      coding.push_back(json::ObjectWriter().Str("system", kLoinc).Str("code", loinc).Finish());
    }
    coding.push_back(json::ObjectWriter()
                         .Str("system", kMeasureCodeSystem)
                         .Str("code", m.code)
                         .Str("display", m.name)
                         .Finish());
    return json::ObjectWriter().Raw("coding", JsonArray(coding)).Str("text", m.name).Finish();
  }

  std::string FhirObservation(const MeasureDefinition& m, const Observation& o) const {
    const std::string pid = FhirPatientId(o.patient);
    const std::string when = FormatCivilTime(Shift(o.patient, o.time));
    // A FHIR dateTime with a time needs an offset, which cotrack never knew:
    // the date goes in effectiveDateTime, the clinic-local time of day in an
    // extension.
    const std::string date = when.substr(0, 10);
    const std::string id = absl::StrCat(
        "obs-", DigestHex(Sha256(absl::StrCat(pid, "\x1f", m.code, "\x1f", when)), 16));
    const std::string& unit = o.unit.empty() ? m.unit : o.unit;
    json::ObjectWriter quantity;
    quantity.Num("value", o.value);
    if (o.comparator != Comparator::kNone) quantity.Str("comparator", FhirComparator(o.comparator));
    if (!unit.empty()) quantity.Str("unit", unit);
    if (IsUcumUnit(unit)) {
      quantity.Str("system", kUcum).Str("code", unit);
    } else if (unit.empty()) {
      quantity.Str("system", kUcum).Str("code", "1");
    }

    json::ObjectWriter meta;
    meta.Str("versionId", absl::StrCat(o.version));
    if (const std::string recorded = RecordedAt(o); !recorded.empty()) {
      meta.Str("lastUpdated", recorded);
    }
    json::ObjectWriter w;
    w.Str("resourceType", "Observation").Str("id", id).Raw("meta", meta.Finish());
    std::vector<std::string> ext;
    if (!o.visit.empty()) ext.push_back(Extension("visit", "valueString", o.visit));
    if (when.size() > 11) ext.push_back(Extension("time-of-day", "valueTime", when.substr(11)));
    if (!ext.empty()) w.Raw("extension", JsonArray(ext));
    json::ObjectWriter subject;
    subject.Str("reference", absl::StrCat("Patient/", pid));
    if (!deid()) {
      subject.Raw(
          "identifier",
          json::ObjectWriter().Str("system", kPatientIdSystem).Str("value", o.patient).Finish());
    }
    w.Str("status", o.status == ObservationStatus::kAmended ? "amended" : "final")
        .Raw("code", fhir_code_)
        .Raw("subject", subject.Finish())
        .Str("effectiveDateTime", date)
        .Raw("valueQuantity", quantity.Finish());
    return w.Finish();
  }

  std::string FhirPatient(const Patient& p) const {
    json::ObjectWriter w;
    w.Str("resourceType", "Patient").Str("id", FhirPatientId(p.id));
    if (!deid()) {
      w.Raw(
          "identifier",
          JsonArray(
              {json::ObjectWriter().Str("system", kPatientIdSystem).Str("value", p.id).Finish()}));
    }
    std::vector<std::string> ext;
    if (!p.arm.empty()) ext.push_back(Extension("arm", "valueString", p.arm));
    if (p.index_date) {
      ext.push_back(
          Extension("index-date", "valueDate", FormatCivilTime(Shift(p.id, *p.index_date))));
    }
    for (const CivilTime& t : p.treatment_dates) {
      ext.push_back(Extension("treatment-date", "valueDate", FormatCivilTime(Shift(p.id, t))));
    }
    // Free-text attributes can identify a patient: not when de-identifying.
    if (!deid()) {
      for (const auto& [name, value] : p.attributes) {
        ext.push_back(
            json::ObjectWriter()
                .Str("url", absl::StrCat(kFhirExtensionBase, "attribute"))
                .Raw(
                    "extension",
                    JsonArray({
                        json::ObjectWriter().Str("url", "name").Str("valueString", name).Finish(),
                        json::ObjectWriter().Str("url", "value").Str("valueString", value).Finish(),
                    }))
                .Finish());
      }
    }
    if (!ext.empty()) w.Raw("extension", JsonArray(ext));
    return w.Finish();
  }

  Database& db_;
  const ExportOptions& options_;
  std::ostream& out_;
  std::set<std::string> patients_;
  ExportSummary summary_;
  // Observation.code of the measure being written (FhirCode), made once.
  std::string fhir_code_measure_;
  std::string fhir_code_;
};

}  // namespace

std::string PatientPseudonym(const std::string& key, const std::string& patient) {
  return absl::StrCat("p-", DigestHex(HmacSha256(key, absl::StrCat("patient-id:", patient)), 8));
}

int DateShiftDays(const std::string& key, const std::string& patient) {
  const Sha256Digest d = HmacSha256(key, absl::StrCat("date-shift:", patient));
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | d[i];
  const int n = static_cast<int>(v % 360);  // 0..359
  return n < 180 ? n - 180 : n - 179;       // -180..-1, 1..180
}

absl::StatusOr<std::string> ReadDeidentifyKey(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read key file ", path));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string key = buf.str();
  if (!key.empty() && key.back() == '\n') key.pop_back();
  if (!key.empty() && key.back() == '\r') key.pop_back();
  if (key.size() < kMinKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key file ", path, " holds ", key.size(), " bytes; a de-identification key needs at least ",
        kMinKeyBytes, " (e.g. `head -c 32 /dev/urandom | base64 > ", path, "`)"));
  }
  return key;
}

absl::StatusOr<ExportSummary> Export(Database& db, const ExportOptions& options,
                                     std::ostream& out) {
  if (options.deidentify_key && options.deidentify_key->size() < kMinKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("de-identification key has ", options.deidentify_key->size(),
                     " bytes; at least ", kMinKeyBytes, " are needed"));
  }
  if (options.format == ExportFormat::kOmop) {
    return absl::InvalidArgumentError(
        "the omop format writes a directory of tables (ExportOmop; `cotrack export --format omop "
        "--out DIR`)");
  }
  return Exporter(db, options, out).Run();
}

}  // namespace cotrack

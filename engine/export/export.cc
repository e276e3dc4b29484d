// Export of current values as CSV, JSON Lines or FHIR R4 Bulk Data NDJSON,
// optionally de-identified. The rules are in docs/EXPORT.md.
#include "cotrack/export.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <streambuf>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cotrack/status_macros.h"
#include "cotrack/text.h"
#include "cotrack/time_zone.h"
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

// Hands the text written to a stream to `on_line` line by line, so that a
// dump is read as it is written instead of held whole. After `on_line` fails
// every write fails (the stream goes bad) and the error is kept.
class LineSink : public std::streambuf {
 public:
  explicit LineSink(std::function<absl::Status(absl::string_view)> on_line)
      : on_line_(std::move(on_line)) {}
  // The error of `on_line`, after the last line (one without '\n' too).
  absl::Status Finish() {
    if (status_.ok() && !line_.empty()) Line();
    return status_;
  }

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    const char ch = traits_type::to_char_type(c);
    return xsputn(&ch, 1) == 1 ? c : traits_type::eof();
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::streamsize i = 0;
    while (status_.ok() && i < n) {
      const void* nl = std::memchr(s + i, '\n', static_cast<size_t>(n - i));
      if (nl == nullptr) {
        line_.append(s + i, static_cast<size_t>(n - i));
        return n;
      }
      const std::streamsize end = static_cast<const char*>(nl) - s;
      line_.append(s + i, static_cast<size_t>(end - i));
      i = end + 1;
      Line();
    }
    return status_.ok() ? n : 0;
  }

 private:
  void Line() {
    status_ = on_line_(line_);
    line_.clear();
  }
  std::function<absl::Status(absl::string_view)> on_line_;
  std::string line_;
  absl::Status status_;
};

// What changed in (since, until], from the lines of a dump (every stored
// version, one snapshot; docs/EXPORT.md): per identity the version current
// at `until`, written when a version was recorded in the interval, except a
// retraction of a value that was not current at `since` (a copy up to date
// then does not hold it). A series' versions are on consecutive lines, so
// only one series is held at a time and each is handed to `on_series` when
// it ends: memory stays bounded whatever the interval (the changed patient
// registrations, which come first, are held).
class ChangeCollector {
 public:
  // Gets one series' changes (one patient's values of one measure, oldest
  // first); its error stops the reading.
  using SeriesFn = std::function<absl::Status(std::vector<Observation>&)>;
  ChangeCollector(int64_t since, int64_t until, const std::set<std::string>& measures,
                  const std::optional<std::string>& patient, SeriesFn on_series)
      : since_(since),
        until_(until),
        measures_(measures),
        patient_(patient),
        on_series_(std::move(on_series)) {}

  absl::Status Line(absl::string_view text) {
    ++line_;
    absl::StatusOr<json::Value> v = json::Parse(text);
    if (!v.ok()) return Bad(v.status());
    absl::StatusOr<std::string> type = json::GetString(*v, "type");
    if (!type.ok()) return Bad(type.status());
    if (*type == "observation") return Observed(*v);
    if (*type == "patient") return Registered(*v);
    if (*type == "audit") {
      absl::StatusOr<int64_t> at = json::GetInt(*v, "at_us", INT64_MIN, INT64_MAX);
      if (!at.ok()) return Bad(at.status());
      latest_us_ = std::max(latest_us_, *at);
    }
    return absl::OkStatus();
  }

  absl::Status Finish() {
    FlushPatient();
    return FlushSeries();
  }

  // The patients whose registration changed: complete once the first
  // series is handed over (patients come before observations in a dump).
  std::vector<Patient>& patients() { return patients_; }
  int64_t latest_us() const { return latest_us_; }

 private:
  struct Identity {
    bool changed = false;                // a version recorded in (since, until]
    uint32_t since_version = 0;          // the version current at since (0: none)
    bool since_live = false;             // ... and it was not a retraction
    std::optional<Observation> current;  // the version current at until
  };

  absl::Status Bad(const absl::Status& s) const {
    return absl::DataLossError(absl::StrCat("reading the database's versions for --since, line ",
                                            line_, ": ", s.message()));
  }

  bool Selected(const std::string& patient, const std::string& measure) const {
    return (!patient_ || *patient_ == patient) && measures_.count(measure) > 0;
  }

  absl::Status Observed(const json::Value& v) {
    Observation o;
    absl::StatusOr<std::string> patient = json::GetString(v, "patient");
    absl::StatusOr<std::string> measure = json::GetString(v, "measure");
    absl::StatusOr<int64_t> recorded = json::GetInt(v, "recorded_at_us", INT64_MIN, INT64_MAX);
    if (!patient.ok()) return Bad(patient.status());
    if (!measure.ok()) return Bad(measure.status());
    if (!recorded.ok()) return Bad(recorded.status());
    latest_us_ = std::max(latest_us_, *recorded);
    FlushPatient();  // the patients' lines are over
    if (!Selected(*patient, *measure)) return absl::OkStatus();
    if (*patient != series_patient_ || *measure != series_measure_) {
      COTRACK_RETURN_IF_ERROR(FlushSeries());
      series_patient_ = *patient;
      series_measure_ = *measure;
    }
    o.patient = *std::move(patient);
    o.measure = *std::move(measure);
    o.recorded_at_us = *recorded;
    absl::StatusOr<std::string> time = json::GetString(v, "time");
    if (!time.ok()) return Bad(time.status());
    absl::StatusOr<CivilTime> t = ParseCivilTime(*time);
    if (!t.ok()) return Bad(t.status());
    o.time = *t;
    absl::StatusOr<double> value = json::GetNumber(v, "value");
    if (!value.ok()) return Bad(value.status());
    o.value = *value;
    absl::StatusOr<std::string> comparator = json::GetString(v, "comparator");
    if (!comparator.ok()) return Bad(comparator.status());
    for (Comparator c : {Comparator::kLess, Comparator::kLessEqual, Comparator::kGreaterEqual,
                         Comparator::kGreater}) {
      if (*comparator == ComparatorSymbol(c)) o.comparator = c;
    }
    absl::StatusOr<std::string> visit = json::GetOptionalString(v, "visit");
    absl::StatusOr<std::string> status = json::GetString(v, "status");
    absl::StatusOr<int64_t> version = json::GetInt(v, "version", 1, UINT32_MAX);
    if (!visit.ok()) return Bad(visit.status());
    if (!status.ok()) return Bad(status.status());
    if (!version.ok()) return Bad(version.status());
    o.visit = *std::move(visit);
    o.status = *status == "entered-in-error" ? ObservationStatus::kEnteredInError
               : *status == "amended"        ? ObservationStatus::kAmended
                                             : ObservationStatus::kFinal;
    o.version = static_cast<uint32_t>(*version);

    Identity& id = identities_[o.time.seconds];
    if (o.recorded_at_us <= since_ && o.version >= id.since_version) {
      id.since_version = o.version;
      id.since_live = o.status != ObservationStatus::kEnteredInError;
    }
    if (o.recorded_at_us > until_) return absl::OkStatus();
    if (o.recorded_at_us > since_) id.changed = true;
    if (!id.current || o.version > id.current->version) id.current = std::move(o);
    return absl::OkStatus();
  }

  absl::Status FlushSeries() {
    std::vector<Observation> changed;
    for (auto& [seconds, id] : identities_) {
      if (!id.changed || !id.current) continue;
      if (id.current->status == ObservationStatus::kEnteredInError &&
          !(id.since_version > 0 && id.since_live)) {
        continue;
      }
      changed.push_back(*std::move(id.current));
    }
    identities_.clear();
    return changed.empty() ? absl::OkStatus() : on_series_(changed);
  }

  absl::Status Registered(const json::Value& v) {
    absl::StatusOr<std::string> id = json::GetString(v, "id");
    absl::StatusOr<int64_t> recorded = json::GetInt(v, "recorded_at_us", INT64_MIN, INT64_MAX);
    absl::StatusOr<int64_t> version = json::GetInt(v, "version", 1, UINT32_MAX);
    if (!id.ok()) return Bad(id.status());
    if (!recorded.ok()) return Bad(recorded.status());
    if (!version.ok()) return Bad(version.status());
    latest_us_ = std::max(latest_us_, *recorded);
    if (patient_ && *patient_ != *id) return absl::OkStatus();
    if (*id != patient_id_) {
      FlushPatient();
      patient_id_ = *id;
    }
    if (*recorded > until_) return absl::OkStatus();
    if (*recorded > since_) patient_changed_ = true;
    if (patient_current_ && patient_current_->version > *version) return absl::OkStatus();
    Patient p;
    p.id = *std::move(id);
    p.version = static_cast<uint32_t>(*version);
    p.recorded_at_us = *recorded;
    absl::StatusOr<std::string> arm = json::GetOptionalString(v, "arm");
    if (!arm.ok()) return Bad(arm.status());
    p.arm = *std::move(arm);
    auto date = [&](const json::Value& d) -> absl::StatusOr<CivilTime> {
      if (d.type != json::Value::Type::kString) {
        return absl::InvalidArgumentError("a date is not a string");
      }
      return ParseCivilTime(d.text);
    };
    if (const json::Value* index = v.Find("index_date");
        index != nullptr && index->type != json::Value::Type::kNull) {
      absl::StatusOr<CivilTime> t = date(*index);
      if (!t.ok()) return Bad(t.status());
      p.index_date = *t;
    }
    if (const json::Value* dates = v.Find("treatment_dates"); dates != nullptr) {
      for (const json::Value& d : dates->items) {
        absl::StatusOr<CivilTime> t = date(d);
        if (!t.ok()) return Bad(t.status());
        p.treatment_dates.push_back(*t);
      }
    }
    if (const json::Value* attrs = v.Find("attributes"); attrs != nullptr) {
      for (const auto& [name, value] : attrs->members) p.attributes[name] = value.text;
    }
    patient_current_ = std::move(p);
    return absl::OkStatus();
  }

  void FlushPatient() {
    if (patient_changed_ && patient_current_) patients_.push_back(*std::move(patient_current_));
    patient_current_.reset();
    patient_changed_ = false;
  }

  const int64_t since_;
  const int64_t until_;
  const std::set<std::string>& measures_;
  const std::optional<std::string>& patient_;
  const SeriesFn on_series_;
  int64_t line_ = 0;
  int64_t latest_us_ = 0;
  std::string series_patient_, series_measure_;
  std::map<int64_t, Identity> identities_;  // of the series being read, by time
  std::string patient_id_;
  std::optional<Patient> patient_current_;
  bool patient_changed_ = false;
  std::vector<Patient> patients_;
};

class Exporter {
 public:
  Exporter(Database& db, const ExportOptions& options, std::ostream& out)
      : db_(db), options_(options), out_(out) {}

  absl::StatusOr<ExportSummary> Run() {
    if (options_.format == ExportFormat::kFhir) COTRACK_RETURN_IF_ERROR(LoadTimeZone());
    std::vector<MeasureDefinition> measures;
    if (options_.measures.empty()) {
      COTRACK_ASSIGN_OR_RETURN(measures, db_.ListMeasures());
    } else {
      for (const std::string& code : options_.measures) {
        COTRACK_ASSIGN_OR_RETURN(MeasureDefinition m, db_.GetMeasure(code));
        measures.push_back(std::move(m));
      }
    }
    if (options_.since_us || options_.until_us) return RunChanges(measures);
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
  // The incremental export (ExportOptions::since_us): every stored version
  // from one snapshot (DumpDatabase, read as it is written), what changed
  // in the interval, written series by series as they are read: in storage
  // order (measures by id, patients by number), not ListMeasures', so that
  // nothing but the series being read is held.
  absl::StatusOr<ExportSummary> RunChanges(const std::vector<MeasureDefinition>& measures) {
    const int64_t since = options_.since_us.value_or(INT64_MIN);
    const int64_t until = options_.until_us.value_or(INT64_MAX);
    std::map<std::string, const MeasureDefinition*> by_code;
    std::set<std::string> codes;
    for (const MeasureDefinition& m : measures) {
      by_code[m.code] = &m;
      codes.insert(m.code);
    }
    if (options_.patient) {
      // An unknown patient is NotFound, as in a full export.
      COTRACK_RETURN_IF_ERROR(db_.GetPatient(*options_.patient).status());
    }
    if (options_.format == ExportFormat::kCsv) {
      out_ << "patient,measure,date,value,unit,comparator,visit,status,version,recorded_at\n";
    }
    bool patients_written = false;
    std::vector<Patient>* changed_patients = nullptr;
    auto write_patients = [&] {
      if (patients_written) return;
      patients_written = true;
      if (options_.format != ExportFormat::kFhir || !options_.fhir_patients) return;
      std::vector<std::string> lines;
      for (const Patient& p : *changed_patients) lines.push_back(FhirPatient(p));
      if (options_.deidentify_key) std::sort(lines.begin(), lines.end());
      for (const std::string& line : lines) out_ << line << '\n';
    };
    ChangeCollector changes(
        since, until, codes, options_.patient, [&](std::vector<Observation>& values) {
          write_patients();
          const MeasureDefinition& m = *by_code.at(values.front().measure);
          for (Observation& o : values) {
            o.unit = m.unit;
            if (o.status == ObservationStatus::kEnteredInError) ++summary_.retracted;
          }
          WriteSeries(m, values);
          return out_.good() ? absl::OkStatus() : absl::DataLossError("writing the export failed");
        });
    changed_patients = &changes.patients();
    LineSink sink([&](absl::string_view line) { return changes.Line(line); });
    std::ostream dump(&sink);
    Options open;
    open.create_if_missing = false;
    open.encryption_key_file = options_.encryption_key_file;
    absl::StatusOr<DumpSummary> dumped = DumpDatabase(db_.path(), open, dump);
    COTRACK_RETURN_IF_ERROR(sink.Finish());
    COTRACK_RETURN_IF_ERROR(dumped.status());
    COTRACK_RETURN_IF_ERROR(changes.Finish());
    write_patients();
    out_.flush();
    if (!out_.good()) return absl::DataLossError("writing the export failed");
    summary_.patients = static_cast<int64_t>(patients_.size());
    // Every write the snapshot holds is up to latest_us (writes are
    // serialised and stamped in order), and none later than until.
    summary_.up_to_us =
        std::max(std::min(until, changes.latest_us()), options_.since_us.value_or(0));
    return summary_;
  }

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
    const CivilTime shifted = Shift(o.patient, o.time);
    const std::string when = FormatCivilTime(shifted);
    // A FHIR dateTime with a time needs an offset. With the database's zone
    // (cotrack/time_zone.h) it is that zone's offset at that civil time;
    // without one cotrack never knew it: the date goes in effectiveDateTime,
    // the clinic-local time of day in an extension. Either is read back as
    // the same civil time.
    std::string date = when.substr(0, 10);
    const bool has_time = when.size() > 11;
    if (has_time && zone_) {
      const absl::CivilSecond civil =
          absl::ToCivilSecond(absl::FromUnixSeconds(shifted.seconds), absl::UTCTimeZone());
      const absl::Time instant = zone_->At(civil).pre;
      date = absl::StrCat(when, absl::FormatTime("%Ez", instant, *zone_));
    }
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
    if (has_time && !zone_) ext.push_back(Extension("time-of-day", "valueTime", when.substr(11)));
    if (!ext.empty()) w.Raw("extension", JsonArray(ext));
    json::ObjectWriter subject;
    subject.Str("reference", absl::StrCat("Patient/", pid));
    if (!deid()) {
      subject.Raw(
          "identifier",
          json::ObjectWriter().Str("system", kPatientIdSystem).Str("value", o.patient).Finish());
    }
    w.Str("status", o.status == ObservationStatus::kEnteredInError ? "entered-in-error"
                    : o.status == ObservationStatus::kAmended      ? "amended"
                                                                   : "final")
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
  // The database's zone (cotrack/time_zone.h): FHIR times carry its offset.
  absl::Status LoadTimeZone() {
    absl::StatusOr<std::string> name = DatabaseTimeZone(db_);
    // A read snapshot's handle (C ABI) cannot say: its times are written
    // without an offset, as for a database without a zone.
    if (absl::IsFailedPrecondition(name.status())) return absl::OkStatus();
    COTRACK_RETURN_IF_ERROR(name.status());
    if (name->empty()) return absl::OkStatus();
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(*name, &zone)) {
      return absl::FailedPreconditionError(
          absl::StrCat("the database's time zone \"", *name,
                       "\" is unknown to this system's zone files (install the tzdata package)"));
    }
    zone_ = zone;
    return absl::OkStatus();
  }

  std::optional<absl::TimeZone> zone_;
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

absl::StatusOr<ExportSummary> ExportToFile(Database& db, const ExportOptions& options,
                                           const std::string& path) {
  // The app holding the database may crash under a cron job's export: the
  // file is rewritten whole rather than left half written.
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<ExportSummary> summary;
    if (options.format == ExportFormat::kOmop) {
      summary = ExportOmop(db, options, path);
    } else {
      std::ofstream file(path, std::ios::binary | std::ios::trunc);
      if (!file) return absl::NotFoundError(absl::StrCat("cannot write ", path));
      summary = Export(db, options, file);
      file.close();
      if (summary.ok() && !file) {
        return absl::DataLossError(absl::StrCat("writing ", path, " failed"));
      }
    }
    if (!IsInterruptedRead(summary.status()) || attempt == kAttempts) return summary;
  }
}

}  // namespace cotrack

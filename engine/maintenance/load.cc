// Load: a database rebuilt from a dump (format: docs/EXPORT.md; written by
// dump.cc). This file reads and checks the dump's lines; the records are
// written by a restore (db/restore.h), which keeps versions, recorded times,
// provenance and audit entries exactly as dumped (Database::Apply by design
// never does) and owns the keys, the patient id index and the counters.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "catalog/catalog.h"
#include "catalog/validation.h"
#include "cotrack/database.h"
#include "cotrack/maintenance.h"
#include "cotrack/status_macros.h"
#include "db/restore.h"
#include "maintenance/dump.h"
#include "text/json.h"

namespace cotrack {
namespace {

// ---- Reading. ----

absl::StatusOr<Provenance> ReadProvenance(const json::Value& v) {
  Provenance p;
  COTRACK_ASSIGN_OR_RETURN(p.source, json::GetOptionalString(v, "source"));
  COTRACK_ASSIGN_OR_RETURN(p.line, json::GetInt(v, "line", 0, INT64_MAX));
  COTRACK_ASSIGN_OR_RETURN(p.user, json::GetOptionalString(v, "user"));
  COTRACK_ASSIGN_OR_RETURN(p.reason, json::GetOptionalString(v, "reason"));
  return p;
}

absl::StatusOr<const json::Value*> GetArray(const json::Value& obj, absl::string_view key) {
  const json::Value* v = obj.Find(key);
  if (v == nullptr || v->type != json::Value::Type::kArray) {
    return absl::InvalidArgumentError(absl::StrCat("field \"", key, "\": expected an array"));
  }
  return v;
}

absl::StatusOr<std::vector<double>> GetNumbers(const json::Value& obj, absl::string_view key,
                                               bool allow_null) {
  COTRACK_ASSIGN_OR_RETURN(const json::Value* arr, GetArray(obj, key));
  std::vector<double> out;
  for (const json::Value& item : arr->items) {
    if (!allow_null && item.type == json::Value::Type::kNull) {
      return absl::InvalidArgumentError(absl::StrCat("field \"", key, "\": null is not allowed"));
    }
    COTRACK_ASSIGN_OR_RETURN(double d, json::NumberOrNull(item, key));
    out.push_back(d);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> GetStrings(const json::Value& obj, absl::string_view key) {
  COTRACK_ASSIGN_OR_RETURN(const json::Value* arr, GetArray(obj, key));
  std::vector<std::string> out;
  for (const json::Value& item : arr->items) {
    if (item.type != json::Value::Type::kString) {
      return absl::InvalidArgumentError(absl::StrCat("field \"", key, "\": expected strings"));
    }
    out.push_back(item.text);
  }
  return out;
}

absl::StatusOr<CivilTime> GetTime(const json::Value& obj, absl::string_view key) {
  COTRACK_ASSIGN_OR_RETURN(std::string text, json::GetString(obj, key));
  absl::StatusOr<CivilTime> t = ParseCivilTime(text);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", key, "\": bad value \"", text, "\" (", t.status().message(), ")"));
  }
  return t;
}

absl::StatusOr<Comparator> ParseComparator(const std::string& s) {
  for (Comparator c : {Comparator::kNone, Comparator::kLess, Comparator::kLessEqual,
                       Comparator::kGreaterEqual, Comparator::kGreater}) {
    if (s == ComparatorSymbol(c)) return c;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("field \"comparator\": bad value \"", s,
                   "\" (expected \"\", \"<\", \"<=\", \">=\" or \">\")"));
}

absl::StatusOr<ObservationStatus> ParseStatus(const std::string& s) {
  for (ObservationStatus st : {ObservationStatus::kFinal, ObservationStatus::kAmended,
                               ObservationStatus::kEnteredInError}) {
    if (s == StatusName(st)) return st;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "field \"status\": bad value \"", s, "\" (expected final, amended or entered-in-error)"));
}

absl::StatusOr<MeasureDefinition> ReadMeasure(const json::Value& v) {
  MeasureDefinition m;
  COTRACK_ASSIGN_OR_RETURN(m.code, json::GetString(v, "code"));
  COTRACK_ASSIGN_OR_RETURN(m.name, json::GetOptionalString(v, "name"));
  COTRACK_ASSIGN_OR_RETURN(m.unit, json::GetOptionalString(v, "unit"));
  COTRACK_ASSIGN_OR_RETURN(m.min, json::GetNumber(v, "min"));
  COTRACK_ASSIGN_OR_RETURN(m.max, json::GetNumber(v, "max"));
  COTRACK_ASSIGN_OR_RETURN(m.step, json::GetNumber(v, "step"));
  COTRACK_ASSIGN_OR_RETURN(m.integer, json::GetOptionalBool(v, "integer", false));
  COTRACK_ASSIGN_OR_RETURN(m.allowed_values, GetNumbers(v, "allowed_values", false));
  COTRACK_ASSIGN_OR_RETURN(std::string direction, json::GetString(v, "direction"));
  bool known = false;
  for (Direction d : {Direction::kNone, Direction::kHigherIsWorse, Direction::kHigherIsBetter}) {
    if (direction == DirectionName(d)) {
      m.direction = d;
      known = true;
    }
  }
  if (!known) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"direction\": bad value \"", direction,
                     "\" (expected none, higher-is-worse or higher-is-better)"));
  }
  COTRACK_ASSIGN_OR_RETURN(m.change_threshold, json::GetNumber(v, "change_threshold"));
  COTRACK_ASSIGN_OR_RETURN(const json::Value* units, GetArray(v, "units"));
  for (const json::Value& u : units->items) {
    UnitConversion c;
    COTRACK_ASSIGN_OR_RETURN(c.unit, json::GetString(u, "unit"));
    COTRACK_ASSIGN_OR_RETURN(c.factor, json::GetNumber(u, "factor"));
    COTRACK_ASSIGN_OR_RETURN(c.offset, json::GetNumber(u, "offset"));
    m.units.push_back(std::move(c));
  }
  COTRACK_ASSIGN_OR_RETURN(int64_t item_count, json::GetInt(v, "item_count", 0, 10000));
  m.item_count = static_cast<int>(item_count);
  COTRACK_ASSIGN_OR_RETURN(m.item_min, json::GetNumber(v, "item_min"));
  COTRACK_ASSIGN_OR_RETURN(m.item_max, json::GetNumber(v, "item_max"));
  COTRACK_ASSIGN_OR_RETURN(m.items_sum_to_total,
                           json::GetOptionalBool(v, "items_sum_to_total", false));
  COTRACK_ASSIGN_OR_RETURN(const json::Value* named, GetArray(v, "named_items"));
  for (const json::Value& n : named->items) {
    ItemDefinition item;
    COTRACK_ASSIGN_OR_RETURN(item.name, json::GetString(n, "name"));
    COTRACK_ASSIGN_OR_RETURN(item.min, json::GetNumber(n, "min"));
    COTRACK_ASSIGN_OR_RETURN(item.max, json::GetNumber(n, "max"));
    m.named_items.push_back(std::move(item));
  }
  COTRACK_ASSIGN_OR_RETURN(const json::Value* subscales, GetArray(v, "subscales"));
  for (const json::Value& s : subscales->items) {
    Subscale sub;
    COTRACK_ASSIGN_OR_RETURN(sub.name, json::GetString(s, "name"));
    COTRACK_ASSIGN_OR_RETURN(std::vector<double> items, GetNumbers(s, "items", false));
    for (double d : items) sub.items.push_back(static_cast<int>(d));
    m.subscales.push_back(std::move(sub));
  }
  COTRACK_ASSIGN_OR_RETURN(m.censorable, json::GetOptionalBool(v, "censorable", false));
  COTRACK_ASSIGN_OR_RETURN(m.loinc, GetStrings(v, "loinc"));
  COTRACK_ASSIGN_OR_RETURN(m.description, json::GetOptionalString(v, "description"));
  return m;
}

absl::StatusOr<Patient> ReadPatient(const json::Value& v) {
  Patient p;
  COTRACK_ASSIGN_OR_RETURN(p.id, json::GetString(v, "id"));
  COTRACK_ASSIGN_OR_RETURN(int64_t version, json::GetInt(v, "version", 1, UINT32_MAX));
  p.version = static_cast<uint32_t>(version);
  COTRACK_ASSIGN_OR_RETURN(p.recorded_at_us,
                           json::GetInt(v, "recorded_at_us", INT64_MIN, INT64_MAX));
  COTRACK_ASSIGN_OR_RETURN(p.provenance, ReadProvenance(v));
  COTRACK_ASSIGN_OR_RETURN(p.arm, json::GetOptionalString(v, "arm"));
  const json::Value* index = v.Find("index_date");
  if (index != nullptr && index->type != json::Value::Type::kNull) {
    COTRACK_ASSIGN_OR_RETURN(p.index_date, GetTime(v, "index_date"));
  }
  COTRACK_ASSIGN_OR_RETURN(std::vector<std::string> dates, GetStrings(v, "treatment_dates"));
  for (const std::string& d : dates) {
    absl::StatusOr<CivilTime> t = ParseCivilTime(d);
    if (!t.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"treatment_dates\": bad value \"", d, "\" (expected a date)"));
    }
    p.treatment_dates.push_back(*t);
  }
  const json::Value* attrs = v.Find("attributes");
  if (attrs == nullptr || attrs->type != json::Value::Type::kObject) {
    return absl::InvalidArgumentError("field \"attributes\": expected an object");
  }
  for (const auto& [k, a] : attrs->members) {
    if (a.type != json::Value::Type::kString) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"attributes\": attribute \"", k, "\" is not a string"));
    }
    p.attributes[k] = a.text;
  }
  return p;
}

absl::StatusOr<Observation> ReadObservation(const json::Value& v) {
  Observation o;
  COTRACK_ASSIGN_OR_RETURN(o.patient, json::GetString(v, "patient"));
  COTRACK_ASSIGN_OR_RETURN(o.measure, json::GetString(v, "measure"));
  COTRACK_ASSIGN_OR_RETURN(o.time, GetTime(v, "time"));
  COTRACK_ASSIGN_OR_RETURN(o.value, json::GetNumber(v, "value"));
  COTRACK_ASSIGN_OR_RETURN(std::string comparator, json::GetOptionalString(v, "comparator"));
  COTRACK_ASSIGN_OR_RETURN(o.comparator, ParseComparator(comparator));
  COTRACK_ASSIGN_OR_RETURN(o.original_value, json::GetOptionalString(v, "original_value"));
  COTRACK_ASSIGN_OR_RETURN(o.original_unit, json::GetOptionalString(v, "original_unit"));
  COTRACK_ASSIGN_OR_RETURN(o.items, GetNumbers(v, "items", true));
  COTRACK_ASSIGN_OR_RETURN(o.visit, json::GetOptionalString(v, "visit"));
  COTRACK_ASSIGN_OR_RETURN(std::string status, json::GetString(v, "status"));
  COTRACK_ASSIGN_OR_RETURN(o.status, ParseStatus(status));
  COTRACK_ASSIGN_OR_RETURN(int64_t version, json::GetInt(v, "version", 1, UINT32_MAX));
  o.version = static_cast<uint32_t>(version);
  COTRACK_ASSIGN_OR_RETURN(o.recorded_at_us,
                           json::GetInt(v, "recorded_at_us", INT64_MIN, INT64_MAX));
  COTRACK_ASSIGN_OR_RETURN(o.provenance, ReadProvenance(v));
  return o;
}

absl::StatusOr<AuditRecord> ReadAudit(const json::Value& v) {
  AuditRecord a;
  COTRACK_ASSIGN_OR_RETURN(int64_t seq, json::GetInt(v, "sequence", 1, INT64_MAX));
  a.sequence = static_cast<uint64_t>(seq);
  COTRACK_ASSIGN_OR_RETURN(a.at_us, json::GetInt(v, "at_us", INT64_MIN, INT64_MAX));
  COTRACK_ASSIGN_OR_RETURN(a.action, json::GetString(v, "action"));
  COTRACK_ASSIGN_OR_RETURN(a.patient, json::GetOptionalString(v, "patient"));
  COTRACK_ASSIGN_OR_RETURN(a.patients, GetStrings(v, "patients"));
  COTRACK_ASSIGN_OR_RETURN(a.detail, json::GetOptionalString(v, "detail"));
  COTRACK_ASSIGN_OR_RETURN(a.provenance, ReadProvenance(v));
  const json::Value* s = v.Find("summary");
  if (s == nullptr || s->type != json::Value::Type::kObject) {
    return absl::InvalidArgumentError("field \"summary\": expected an object");
  }
  COTRACK_ASSIGN_OR_RETURN(a.summary.written, json::GetInt(*s, "written", 0, INT64_MAX));
  COTRACK_ASSIGN_OR_RETURN(a.summary.corrected, json::GetInt(*s, "corrected", 0, INT64_MAX));
  COTRACK_ASSIGN_OR_RETURN(a.summary.unchanged, json::GetInt(*s, "unchanged", 0, INT64_MAX));
  COTRACK_ASSIGN_OR_RETURN(a.summary.retracted, json::GetInt(*s, "retracted", 0, INT64_MAX));
  COTRACK_ASSIGN_OR_RETURN(a.summary.patients, json::GetInt(*s, "patients", 0, INT64_MAX));
  return a;
}

// Rebuilds a database from dump lines, checking that references and version
// chains are what `cotrack check` expects.
class Loader {
 public:
  Loader(RestoreWrite& restore, absl::string_view source) : restore_(restore), source_(source) {
    for (const CatalogEntry& e : BuiltinMeasures()) {
      measure_ids_[e.def.code] = e.id;
      (e.id >= kFirstReplaceableBuiltinId ? replaceable_codes_ : builtin_codes_).insert(e.def.code);
    }
  }

  absl::StatusOr<DumpSummary> Run(std::istream& in) {
    std::string line;
    while (std::getline(in, line)) {
      ++line_no_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      if (ended_) return Error("", "data after the \"end\" record");
      absl::Status s = Line(line);
      if (!s.ok()) return Error("", s.message());
    }
    if (in.bad()) return absl::DataLossError(absl::StrCat(source_, ": read error"));
    if (line_no_ == 0 || !header_seen_) {
      return absl::InvalidArgumentError(absl::StrCat(source_, " is empty: not a cotrack dump"));
    }
    if (!ended_) {
      return absl::InvalidArgumentError(absl::StrCat(
          source_, " ends at line ", line_no_,
          " without its \"end\" record: the dump is truncated; nothing usable was loaded (delete "
          "the target database)"));
    }
    COTRACK_RETURN_IF_ERROR(FlushPatient());
    COTRACK_RETURN_IF_ERROR(FlushSeries());
    COTRACK_RETURN_IF_ERROR(restore_.Finish());
    return summary_;
  }

 private:
  absl::Status Error(absl::string_view field, absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", line_no_, ": ", field, message));
  }

  absl::Status Line(const std::string& line) {
    COTRACK_ASSIGN_OR_RETURN(json::Value v, json::Parse(line));
    if (v.type != json::Value::Type::kObject)
      return absl::InvalidArgumentError("expected an object");
    COTRACK_ASSIGN_OR_RETURN(std::string type, json::GetString(v, "type"));
    if (!header_seen_) {
      if (type != "header") {
        return absl::InvalidArgumentError(
            "the first record must be the dump header ({\"type\":\"header\",...}): is this a "
            "cotrack dump?");
      }
      COTRACK_ASSIGN_OR_RETURN(std::string format, json::GetString(v, "format"));
      COTRACK_ASSIGN_OR_RETURN(int64_t version, json::GetInt(v, "version", 1, INT64_MAX));
      if (format != kDumpFormatName) {
        return absl::InvalidArgumentError(absl::StrCat("field \"format\": bad value \"", format,
                                                       "\" (expected ", kDumpFormatName, ")"));
      }
      if (version > kDumpFormatVersion) {
        return absl::FailedPreconditionError(
            absl::StrCat("dump format ", version, " is newer than this cotrack (", Version(),
                         ") reads (", kDumpFormatVersion, "); load it with a newer cotrack"));
      }
      header_seen_ = true;
      return absl::OkStatus();
    }
    if (type == "setting") return LoadSetting(v);
    if (type == "measure") return LoadMeasure(v);
    if (type == "patient") return LoadPatient(v);
    if (type == "observation") return LoadObservation(v);
    if (type == "audit") return LoadAudit(v);
    if (type == "end") return LoadEnd(v);
    if (type == "header") return absl::InvalidArgumentError("a second header");
    return absl::InvalidArgumentError(
        absl::StrCat("field \"type\": bad value \"", type,
                     "\" (expected setting, measure, patient, observation, audit or end)"));
  }

  // A database setting; today only the time zone (cotrack/time_zone.h).
  absl::Status LoadSetting(const json::Value& v) {
    COTRACK_ASSIGN_OR_RETURN(std::string name, json::GetString(v, "name"));
    COTRACK_ASSIGN_OR_RETURN(std::string value, json::GetString(v, "value"));
    if (name != "time_zone") {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"name\": bad value \"", name, "\" (expected time_zone)"));
    }
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(value, &zone)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "field \"value\": unknown time zone \"", value,
          "\" (expected an IANA name such as Europe/Berlin; install the tzdata package)"));
    }
    return restore_.SetTimeZone(value);
  }

  absl::Status LoadMeasure(const json::Value& v) {
    COTRACK_ASSIGN_OR_RETURN(int64_t id,
                             json::GetInt(v, "id", kFirstUserMeasureId, UINT32_MAX - 1));
    COTRACK_ASSIGN_OR_RETURN(MeasureDefinition m, ReadMeasure(v));
    COTRACK_RETURN_IF_ERROR(ValidateMeasureDefinition(m));
    if (builtin_codes_.count(m.code)) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"code\": \"", m.code, "\" is a built-in measure"));
    }
    // The database's own definition of a later built-in (catalog.h): its
    // values are the dump's values of that code.
    if (replaceable_codes_.erase(m.code) > 0) measure_ids_.erase(m.code);
    auto it = measure_ids_.find(m.code);
    if (it != measure_ids_.end() && it->second != id) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"code\": \"", m.code, "\" is already measure ", it->second));
    }
    measure_ids_[m.code] = static_cast<uint32_t>(id);
    COTRACK_RETURN_IF_ERROR(restore_.AddMeasure(static_cast<uint32_t>(id), m));
    if (loaded_measure_ids_.insert(static_cast<uint32_t>(id)).second) ++summary_.measures;
    return absl::OkStatus();
  }

  absl::Status FlushPatient() {
    if (patient_versions_.empty()) return absl::OkStatus();
    absl::Status s = restore_.AddPatientVersions(current_patient_num_, patient_versions_);
    patient_versions_.clear();
    return s;
  }

  absl::Status LoadPatient(const json::Value& v) {
    COTRACK_ASSIGN_OR_RETURN(Patient p, ReadPatient(v));
    auto it = patient_nums_.find(p.id);
    if (it == patient_nums_.end()) {
      COTRACK_RETURN_IF_ERROR(FlushPatient());
      COTRACK_RETURN_IF_ERROR(ValidatePatientId(p.id));
      if (p.version != 1) {
        return absl::InvalidArgumentError(absl::StrCat("field \"version\": patient \"", p.id,
                                                       "\" starts at version ", p.version,
                                                       " (expected 1)"));
      }
      current_patient_num_ = restore_.AddPatient(p.id);
      patient_nums_[p.id] = current_patient_num_;
      ++summary_.patients;
    } else if (it->second != current_patient_num_) {
      return absl::InvalidArgumentError(
          absl::StrCat("patient \"", p.id, "\": its versions must be on consecutive lines"));
    } else if (p.version != current_patient_version_ + 1) {
      return absl::InvalidArgumentError(absl::StrCat("field \"version\": patient \"", p.id,
                                                     "\" has version ", p.version, " after ",
                                                     current_patient_version_));
    }
    current_patient_version_ = p.version;
    patient_versions_.push_back(std::move(p));
    ++summary_.patient_versions;
    return absl::OkStatus();
  }

  absl::Status FlushSeries() {
    if (series_versions_.empty()) return absl::OkStatus();
    absl::Status s = restore_.AddSeries(series_->first, series_->second, series_versions_);
    series_versions_.clear();
    series_last_.clear();
    return s;
  }

  absl::Status LoadObservation(const json::Value& v) {
    COTRACK_ASSIGN_OR_RETURN(Observation o, ReadObservation(v));
    auto m = measure_ids_.find(o.measure);
    if (m == measure_ids_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"measure\": unknown measure \"", o.measure,
                       "\" (user measures must come before their observations)"));
    }
    auto p = patient_nums_.find(o.patient);
    if (p == patient_nums_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"patient\": unknown patient \"", o.patient,
                       "\" (patients must come before their observations)"));
    }
    const SeriesId series{m->second, p->second};
    if (series != series_) {
      COTRACK_RETURN_IF_ERROR(FlushSeries());
      if (!finished_series_.insert(series).second) {
        return absl::InvalidArgumentError(absl::StrCat("the ", o.measure, " values of patient \"",
                                                       o.patient,
                                                       "\" must be on consecutive lines"));
      }
      series_ = series;
    }
    uint32_t& last = series_last_[o.time.seconds];
    if (o.version != last + 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"version\": ", o.measure, " of patient \"", o.patient, "\" at ",
                       FormatCivilTime(o.time), " has version ", o.version, " where ", last + 1,
                       " was expected"));
    }
    last = o.version;
    series_versions_.push_back(std::move(o));
    ++summary_.observation_versions;
    return absl::OkStatus();
  }

  absl::Status LoadAudit(const json::Value& v) {
    COTRACK_ASSIGN_OR_RETURN(AuditRecord a, ReadAudit(v));
    // AuditLog looks patients up by binary search.
    if (!std::is_sorted(a.patients.begin(), a.patients.end())) {
      return absl::InvalidArgumentError("field \"patients\": ids must be sorted");
    }
    if (a.sequence != next_audit_seq_) {
      return absl::InvalidArgumentError(absl::StrCat("field \"sequence\": ", a.sequence, " where ",
                                                     next_audit_seq_, " was expected"));
    }
    COTRACK_RETURN_IF_ERROR(restore_.AddAudit(a));
    ++next_audit_seq_;
    ++summary_.audit_entries;
    return absl::OkStatus();
  }

  absl::Status LoadEnd(const json::Value& v) {
    struct Count {
      const char* name;
      int64_t loaded;
    };
    for (const Count& c :
         {Count{"measures", summary_.measures}, Count{"patients", summary_.patients},
          Count{"patient_versions", summary_.patient_versions},
          Count{"observation_versions", summary_.observation_versions},
          Count{"audit_entries", summary_.audit_entries}}) {
      COTRACK_ASSIGN_OR_RETURN(int64_t n, json::GetInt(v, c.name, 0, INT64_MAX));
      if (n != c.loaded) {
        return absl::InvalidArgumentError(
            absl::StrCat("field \"", c.name, "\": the dump says ", n, " but holds ", c.loaded));
      }
    }
    ended_ = true;
    return absl::OkStatus();
  }

  RestoreWrite& restore_;
  std::string source_;
  int64_t line_no_ = 0;
  bool header_seen_ = false;
  bool ended_ = false;
  DumpSummary summary_;

  std::map<std::string, uint32_t, std::less<>> measure_ids_;
  std::set<std::string> builtin_codes_;
  std::set<std::string> replaceable_codes_;  // not yet replaced by the dump's own
  std::set<uint32_t> loaded_measure_ids_;

  // Patient numbers as the restore gave them.
  std::map<std::string, uint32_t, std::less<>> patient_nums_;
  uint32_t current_patient_num_ = 0;
  uint32_t current_patient_version_ = 0;
  std::vector<Patient> patient_versions_;  // the current patient's, not yet added

  using SeriesId = std::pair<uint32_t, uint32_t>;  // (measure id, patient number)
  std::optional<SeriesId> series_;                 // the current series
  std::vector<Observation> series_versions_;       // its versions, not yet added
  std::map<int64_t, uint32_t> series_last_;        // time -> last version seen
  std::set<SeriesId> finished_series_;

  uint64_t next_audit_seq_ = 1;
};

}  // namespace

absl::StatusOr<DumpSummary> LoadDatabase(std::istream& in, const std::string& source_name,
                                         const std::string& path, const Options& options) {
  COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<RestoreWrite> restore,
                           RestoreWrite::Open(path, options));
  return Loader(*restore, source_name).Run(in);
}

}  // namespace cotrack

// Dump and load of a whole database as NDJSON (format: docs/EXPORT.md).
//
// Both work below the Database API, on the Store: a dump must see every
// version as stored, and a load must write versions exactly as dumped
// (version numbers, recorded times, provenance), which Database::Apply by
// design never does. Load therefore also writes what Apply would keep
// consistent: the patient id index and the counters in the default family.
#include "maintenance/dump.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "catalog/catalog.h"
#include "catalog/validation.h"
#include "codec/key_codec.h"
#include "codec/value_codec.h"
#include "cotrack/export.h"
#include "cotrack/status_macros.h"
#include "cotrack/text.h"
#include "export/json.h"
#include "maintenance/open_store.h"

namespace cotrack {
namespace {

constexpr char kDumpFormatName[] = "cotrack-dump";
constexpr size_t kBatchBytes = 4 << 20;

// ---- Writing. ----

void AddProvenance(json::ObjectWriter& w, const Provenance& p) {
  w.Str("source", p.source).Int("line", p.line).Str("user", p.user).Str("reason", p.reason);
}

std::string NumberArray(const std::vector<double>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i)
    absl::StrAppend(&out, i ? "," : "", json::Number(values[i]));
  return out + "]";
}

std::string StringArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i)
    absl::StrAppend(&out, i ? "," : "", JsonString(values[i]));
  return out + "]";
}

std::string MeasureLine(uint32_t id, const MeasureDefinition& m) {
  json::ObjectWriter w;
  w.Str("type", "measure")
      .Int("id", id)
      .Str("code", m.code)
      .Str("name", m.name)
      .Str("unit", m.unit);
  w.Num("min", m.min).Num("max", m.max).Num("step", m.step).Bool("integer", m.integer);
  w.Raw("allowed_values", NumberArray(m.allowed_values));
  w.Str("direction", DirectionName(m.direction)).Num("change_threshold", m.change_threshold);
  std::string units = "[";
  for (size_t i = 0; i < m.units.size(); ++i) {
    absl::StrAppend(&units, i ? "," : "",
                    json::ObjectWriter()
                        .Str("unit", m.units[i].unit)
                        .Num("factor", m.units[i].factor)
                        .Num("offset", m.units[i].offset)
                        .Finish());
  }
  w.Raw("units", units + "]");
  w.Int("item_count", m.item_count).Num("item_min", m.item_min).Num("item_max", m.item_max);
  w.Bool("items_sum_to_total", m.items_sum_to_total);
  std::string named = "[";
  for (size_t i = 0; i < m.named_items.size(); ++i) {
    absl::StrAppend(&named, i ? "," : "",
                    json::ObjectWriter()
                        .Str("name", m.named_items[i].name)
                        .Num("min", m.named_items[i].min)
                        .Num("max", m.named_items[i].max)
                        .Finish());
  }
  w.Raw("named_items", named + "]");
  std::string subscales = "[";
  for (size_t i = 0; i < m.subscales.size(); ++i) {
    std::vector<double> items(m.subscales[i].items.begin(), m.subscales[i].items.end());
    absl::StrAppend(&subscales, i ? "," : "",
                    json::ObjectWriter()
                        .Str("name", m.subscales[i].name)
                        .Raw("items", NumberArray(items))
                        .Finish());
  }
  w.Raw("subscales", subscales + "]");
  w.Bool("censorable", m.censorable).Raw("loinc", StringArray(m.loinc));
  w.Str("description", m.description);
  return w.Finish();
}

std::string PatientLine(const Patient& p) {
  json::ObjectWriter w;
  w.Str("type", "patient").Str("id", p.id).Int("version", p.version);
  w.Int("recorded_at_us", p.recorded_at_us);
  AddProvenance(w, p.provenance);
  w.Str("arm", p.arm);
  if (p.index_date) {
    w.Str("index_date", FormatCivilTime(*p.index_date));
  } else {
    w.Null("index_date");
  }
  std::vector<std::string> dates;
  for (const CivilTime& t : p.treatment_dates) dates.push_back(FormatCivilTime(t));
  w.Raw("treatment_dates", StringArray(dates));
  json::ObjectWriter attrs;
  for (const auto& [k, v] : p.attributes) attrs.Str(k, v);
  w.Raw("attributes", attrs.Finish());
  return w.Finish();
}

std::string ObservationLine(const Observation& o) {
  json::ObjectWriter w;
  w.Str("type", "observation").Str("patient", o.patient).Str("measure", o.measure);
  w.Str("time", FormatCivilTime(o.time)).Num("value", o.value);
  w.Str("comparator", ComparatorSymbol(o.comparator));
  w.Str("original_value", o.original_value).Str("original_unit", o.original_unit);
  w.Raw("items", NumberArray(o.items)).Str("visit", o.visit);
  w.Str("status", StatusName(o.status)).Int("version", o.version);
  w.Int("recorded_at_us", o.recorded_at_us);
  AddProvenance(w, o.provenance);
  return w.Finish();
}

std::string AuditLine(const AuditRecord& a) {
  json::ObjectWriter w;
  w.Str("type", "audit").Int("sequence", static_cast<int64_t>(a.sequence)).Int("at_us", a.at_us);
  w.Str("action", a.action).Str("patient", a.patient).Raw("patients", StringArray(a.patients));
  w.Str("detail", a.detail);
  AddProvenance(w, a.provenance);
  w.Raw("summary", json::ObjectWriter()
                       .Int("written", a.summary.written)
                       .Int("corrected", a.summary.corrected)
                       .Int("unchanged", a.summary.unchanged)
                       .Int("retracted", a.summary.retracted)
                       .Int("patients", a.summary.patients)
                       .Finish());
  return w.Finish();
}

std::string EndLine(const DumpSummary& s) {
  return json::ObjectWriter()
      .Str("type", "end")
      .Int("measures", s.measures)
      .Int("patients", s.patients)
      .Int("patient_versions", s.patient_versions)
      .Int("observation_versions", s.observation_versions)
      .Int("audit_entries", s.audit_entries)
      .Finish();
}

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
  Loader(Store& store, absl::string_view source) : store_(store), source_(source) {
    for (const CatalogEntry& e : BuiltinMeasures()) {
      measure_ids_[e.def.code] = e.id;
      builtin_codes_.insert(e.def.code);
    }
    batch_ = store_.NewBatch();
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
    batch_->Put(Family::kMeta, keys::kNextPatientNumKey, keys::EncodeCounter(next_patient_num_, 4));
    batch_->Put(Family::kMeta, keys::kNextMeasureIdKey, keys::EncodeCounter(next_measure_id_, 4));
    batch_->Put(Family::kMeta, keys::kNextAuditSeqKey, keys::EncodeCounter(next_audit_seq_, 8));
    COTRACK_RETURN_IF_ERROR(store_.Write(*batch_, /*sync=*/true));
    return summary_;
  }

 private:
  absl::Status Error(absl::string_view field, absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", line_no_, ": ", field, message));
  }

  absl::Status MaybeWrite() {
    if (batch_->ApproximateBytes() < kBatchBytes) return absl::OkStatus();
    COTRACK_RETURN_IF_ERROR(store_.Write(*batch_, /*sync=*/false));
    batch_ = store_.NewBatch();
    return absl::OkStatus();
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
    if (type == "measure") return LoadMeasure(v);
    if (type == "patient") return LoadPatient(v);
    if (type == "observation") return LoadObservation(v);
    if (type == "audit") return LoadAudit(v);
    if (type == "end") return LoadEnd(v);
    if (type == "header") return absl::InvalidArgumentError("a second header");
    return absl::InvalidArgumentError(
        absl::StrCat("field \"type\": bad value \"", type,
                     "\" (expected measure, patient, observation, audit or end)"));
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
    auto it = measure_ids_.find(m.code);
    if (it != measure_ids_.end() && it->second != id) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"code\": \"", m.code, "\" is already measure ", it->second));
    }
    measure_ids_[m.code] = static_cast<uint32_t>(id);
    std::string log;
    codec::AppendRecord(&log, codec::EncodeMeasure(static_cast<uint32_t>(id), m));
    batch_->Append(Family::kMeasures, keys::MeasureKey(static_cast<uint32_t>(id)), log);
    if (loaded_measure_ids_.insert(static_cast<uint32_t>(id)).second) ++summary_.measures;
    next_measure_id_ = std::max<uint64_t>(next_measure_id_, static_cast<uint64_t>(id) + 1);
    return MaybeWrite();
  }

  absl::Status FlushPatient() {
    if (patient_log_.empty()) return absl::OkStatus();
    batch_->Append(Family::kPatients, keys::PatientKey(current_patient_num_), patient_log_);
    patient_log_.clear();
    return MaybeWrite();
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
      current_patient_num_ = next_patient_num_++;
      patient_nums_[p.id] = current_patient_num_;
      batch_->Put(Family::kPatientIds, p.id, keys::PatientKey(current_patient_num_));
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
    codec::AppendRecord(&patient_log_, codec::EncodePatient(p));
    ++summary_.patient_versions;
    return absl::OkStatus();
  }

  absl::Status FlushSeries() {
    if (series_.empty()) return absl::OkStatus();
    std::string log;
    codec::AppendObservations(&log, series_);
    batch_->Append(Family::kSeries, series_key_, log);
    series_.clear();
    series_versions_.clear();
    return MaybeWrite();
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
    std::string key = keys::SeriesKey(m->second, p->second);
    if (key != series_key_) {
      COTRACK_RETURN_IF_ERROR(FlushSeries());
      if (!finished_series_.insert(key).second) {
        return absl::InvalidArgumentError(absl::StrCat("the ", o.measure, " values of patient \"",
                                                       o.patient,
                                                       "\" must be on consecutive lines"));
      }
      series_key_ = std::move(key);
    }
    uint32_t& last = series_versions_[o.time.seconds];
    if (o.version != last + 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("field \"version\": ", o.measure, " of patient \"", o.patient, "\" at ",
                       FormatCivilTime(o.time), " has version ", o.version, " where ", last + 1,
                       " was expected"));
    }
    last = o.version;
    series_.push_back(std::move(o));
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
    std::string log;
    codec::AppendRecord(&log, codec::EncodeAudit(a));
    batch_->Put(Family::kAudit, keys::AuditKey(a.sequence), log);
    ++next_audit_seq_;
    ++summary_.audit_entries;
    return MaybeWrite();
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

  Store& store_;
  std::string source_;
  std::unique_ptr<Store::Batch> batch_;
  int64_t line_no_ = 0;
  bool header_seen_ = false;
  bool ended_ = false;
  DumpSummary summary_;

  std::map<std::string, uint32_t, std::less<>> measure_ids_;
  std::set<std::string> builtin_codes_;
  std::set<uint32_t> loaded_measure_ids_;
  uint64_t next_measure_id_ = kFirstUserMeasureId;

  std::map<std::string, uint32_t, std::less<>> patient_nums_;
  uint32_t next_patient_num_ = 1;
  uint32_t current_patient_num_ = 0;
  uint32_t current_patient_version_ = 0;
  std::string patient_log_;

  std::string series_key_;
  std::vector<Observation> series_;
  std::map<int64_t, uint32_t> series_versions_;  // time -> last version seen
  std::set<std::string> finished_series_;

  uint64_t next_audit_seq_ = 1;
};

}  // namespace

absl::StatusOr<DumpSummary> DumpStore(Store& store, std::ostream& out) {
  auto view_holder = store.NewReadView();
  const ReadView* view = view_holder.get();
  DumpSummary summary;
  absl::Status st;
  std::vector<absl::string_view> records;

  std::string format_value;
  COTRACK_ASSIGN_OR_RETURN(bool has_format,
                           store.Get(view, Family::kMeta, keys::kFormatVersionKey, &format_value));
  if (!has_format || format_value.size() != 4) {
    return absl::DataLossError(
        absl::StrCat(store.path(), ": no valid format_version record; run `cotrack check`"));
  }
  out << json::ObjectWriter()
             .Str("type", "header")
             .Str("format", kDumpFormatName)
             .Int("version", kDumpFormatVersion)
             .Int("database_format", keys::DecodeU32(format_value))
             .Str("cotrack", Version())
             .Finish()
      << '\n';

  // Measures: built-ins are the engine's, only user measures are dumped.
  std::map<uint32_t, std::string> code_of;
  for (const CatalogEntry& e : BuiltinMeasures()) code_of[e.id] = e.def.code;
  COTRACK_RETURN_IF_ERROR(store.Scan(
      view, Family::kMeasures, "", "", [&](absl::string_view key, absl::string_view log) {
        st = codec::SplitRecords(log, absl::StrCat("measure ", keys::DecodeU32(key)), &records);
        if (!st.ok()) return false;
        for (absl::string_view r : records) {
          CatalogEntry e;
          st = codec::DecodeMeasure(r, &e);
          if (!st.ok()) return false;
          code_of[e.id] = e.def.code;
          out << MeasureLine(e.id, e.def) << '\n';
        }
        ++summary.measures;
        return true;
      }));
  COTRACK_RETURN_IF_ERROR(st);

  std::map<uint32_t, std::string> id_of;
  COTRACK_RETURN_IF_ERROR(store.Scan(
      view, Family::kPatientIds, "", "", [&](absl::string_view key, absl::string_view v) {
        if (v.size() != 4) {
          st = absl::DataLossError(
              absl::StrCat("patient id index entry for \"", key, "\" is damaged"));
          return false;
        }
        id_of[keys::DecodeU32(v)] = std::string(key);
        return true;
      }));
  COTRACK_RETURN_IF_ERROR(st);

  // Patients in number order: load numbers them again in this order.
  COTRACK_RETURN_IF_ERROR(store.Scan(
      view, Family::kPatients, "", "", [&](absl::string_view key, absl::string_view log) {
        st = codec::SplitRecords(log, absl::StrCat("patient ", keys::DecodeU32(key)), &records);
        if (!st.ok()) return false;
        for (absl::string_view r : records) {
          Patient p;
          st = codec::DecodePatient(r, &p);
          if (!st.ok()) return false;
          out << PatientLine(p) << '\n';
          ++summary.patient_versions;
        }
        ++summary.patients;
        return true;
      }));
  COTRACK_RETURN_IF_ERROR(st);

  // Series in key order, each version in log (write) order.
  codec::ObservationLogView log_view;
  COTRACK_RETURN_IF_ERROR(
      store.Scan(view, Family::kSeries, "", "", [&](absl::string_view key, absl::string_view log) {
        uint32_t mid = 0, num = 0;
        if (!keys::ParseSeriesKey(key, &mid, &num) || !code_of.count(mid) || !id_of.count(num)) {
          st = absl::DataLossError(absl::StrCat("series key of measure ", mid, ", patient ", num,
                                                " refers to no known measure or patient; run "
                                                "`cotrack check`"));
          return false;
        }
        Observation o;
        o.patient = id_of[num];
        o.measure = code_of[mid];
        st = log_view.Parse(log, absl::StrCat("series ", o.measure, "/", o.patient));
        if (!st.ok()) return false;
        for (const auto& e : log_view.entries()) {
          log_view.Materialize(e, &o);
          out << ObservationLine(o) << '\n';
          ++summary.observation_versions;
        }
        return true;
      }));
  COTRACK_RETURN_IF_ERROR(st);

  COTRACK_RETURN_IF_ERROR(
      store.Scan(view, Family::kAudit, "", "", [&](absl::string_view key, absl::string_view log) {
        st = codec::SplitRecords(log, absl::StrCat("audit ", keys::DecodeU64(key)), &records);
        if (!st.ok()) return false;
        for (absl::string_view r : records) {
          AuditRecord a;
          st = codec::DecodeAudit(r, &a);
          if (!st.ok()) return false;
          a.sequence = keys::DecodeU64(key);
          out << AuditLine(a) << '\n';
          ++summary.audit_entries;
        }
        return true;
      }));
  COTRACK_RETURN_IF_ERROR(st);

  out << EndLine(summary) << '\n';
  out.flush();
  if (!out.good()) return absl::DataLossError("writing the dump failed");
  return summary;
}

absl::StatusOr<DumpSummary> DumpClosedDatabase(const std::string& path, const Options& options,
                                               std::ostream& out) {
  COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStoreReadOnly(path, options));
  return DumpStore(*store, out);
}

absl::StatusOr<DumpSummary> LoadDatabase(std::istream& in, const std::string& source_name,
                                         const std::string& path, const Options& options) {
  StoreOptions so;
  so.create_if_missing = true;
  so.encryption_key_file = options.encryption_key_file;
  COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(path, so));

  // Only an empty database (new, or opened but never written) may be loaded.
  std::string format;
  COTRACK_ASSIGN_OR_RETURN(bool has_format,
                           store->Get(nullptr, Family::kMeta, keys::kFormatVersionKey, &format));
  if (has_format && (format.size() != 4 || keys::DecodeU32(format) > kFormatVersion)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " holds a database of another format; load into a new directory"));
  }
  for (Family f : {Family::kPatientIds, Family::kPatients, Family::kMeasures, Family::kSeries,
                   Family::kAudit}) {
    bool any = false;
    COTRACK_RETURN_IF_ERROR(
        store->Scan(nullptr, f, "", "", [&](absl::string_view, absl::string_view) {
          any = true;
          return false;
        }));
    if (any) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, " already holds data; load only into a new or empty database (e.g. --db NEWDIR)"));
    }
  }
  if (!has_format) {
    // Stamped first, as Database::Open does, so that the directory is a
    // cotrack database from the start.
    auto batch = store->NewBatch();
    batch->Put(Family::kMeta, keys::kFormatVersionKey, keys::EncodeCounter(kFormatVersion, 4));
    COTRACK_RETURN_IF_ERROR(store->Write(*batch, /*sync=*/true));
  }
  return Loader(*store, source_name).Run(in);
}

}  // namespace cotrack

// The dump of a whole database as NDJSON (format: docs/EXPORT.md); load,
// its reverse, is in load.cc.
//
// A dump works below the Database API, on the Store: it must see every
// version as stored, in the order each series' versions were written.
#include "maintenance/dump.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "catalog/catalog.h"
#include "codec/key_codec.h"
#include "codec/value_codec.h"
#include "cotrack/database.h"
#include "cotrack/maintenance.h"
#include "cotrack/status_macros.h"
#include "cotrack/text.h"
#include "maintenance/open_store.h"
#include "text/json.h"

namespace cotrack {
namespace {

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
  // Only when set: dumps of databases without one stay as they were.
  std::string time_zone;
  COTRACK_ASSIGN_OR_RETURN(bool has_time_zone,
                           store.Get(view, Family::kMeta, keys::kTimeZoneKey, &time_zone));
  if (has_time_zone) {
    out << json::ObjectWriter()
               .Str("type", "setting")
               .Str("name", "time_zone")
               .Str("value", time_zone)
               .Finish()
        << '\n';
  }

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

}  // namespace cotrack

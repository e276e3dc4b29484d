// The C ABI's reads of the catalog and the registry (cotrack/c.h,
// "Command-line parity"): patients, measures, one measure, one visit.
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "capi/handles.h"
#include "capi/table.h"
#include "cotrack/c.h"
#include "cotrack/civil_time.h"
#include "cotrack/derived.h"
#include "cotrack/named_options.h"
#include "cotrack/text.h"
#include "cotrack/types.h"

using cotrack::capi::AddColumn;
using cotrack::capi::AppendString;
using cotrack::capi::Fail;
using cotrack::capi::Guard;
using cotrack::capi::Ok;
using cotrack::capi::Report;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

int Deliver(cotrack_table_t&& table, cotrack_table_t** out, char** err) {
  *out = new cotrack_table_t(std::move(table));
  return Ok(err);
}

int CheckCall(const cotrack_db_t* db, cotrack_table_t** out, char** err) {
  if (absl::Status s = cotrack::capi::RequireDb(db); !s.ok()) return Report(err, s);
  if (out == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"out\" is NULL");
  return COTRACK_OK;
}

// The columns `cotrack measures` prints, in its order.
void AddMeasureColumns(cotrack_table_t& t, const std::vector<cotrack::MeasureDefinition>& ms) {
  t.rows = ms.size();
  auto str = [&](const char* name, auto get) {
    auto& c = AddColumn(t, name, COTRACK_COLUMN_STRING);
    for (const auto& m : ms) AppendString(c, get(m));
  };
  auto dbl = [&](const char* name, auto get) {
    auto& c = AddColumn(t, name, COTRACK_COLUMN_DOUBLE);
    for (const auto& m : ms) c.doubles.push_back(get(m));
  };
  auto int64 = [&](const char* name, auto get) {
    auto& c = AddColumn(t, name, COTRACK_COLUMN_INT64);
    for (const auto& m : ms) c.ints.push_back(get(m));
  };
  str("code", [](const auto& m) { return m.code; });
  str("name", [](const auto& m) { return m.name; });
  str("unit", [](const auto& m) { return m.unit; });
  dbl("min", [](const auto& m) { return m.min; });
  dbl("max", [](const auto& m) { return m.max; });
  // Zero means "not set" for step and threshold, as the command shows.
  dbl("step", [](const auto& m) { return m.step == 0 ? kNaN : m.step; });
  int64("integer", [](const auto& m) { return m.integer ? 1 : 0; });
  str("direction", [](const auto& m) { return std::string(cotrack::DirectionName(m.direction)); });
  dbl("threshold",
      [](const auto& m) { return m.change_threshold == 0 ? kNaN : m.change_threshold; });
  str("other_units", [](const auto& m) {
    return absl::StrJoin(m.units, ";", [](std::string* o, const auto& u) { o->append(u.unit); });
  });
  int64("items", [](const auto& m) { return static_cast<int64_t>(m.item_count); });
  int64("censorable", [](const auto& m) { return m.censorable ? 1 : 0; });
  int64("builtin", [](const auto& m) { return m.builtin ? 1 : 0; });
}

}  // namespace

extern "C" {

int cotrack_patients_table(cotrack_db_t* db, cotrack_table_t** out, char** err) {
  return Guard(err, [&]() -> int {
    if (int code = CheckCall(db, out, err); code != COTRACK_OK) return code;
    auto patients = db->db->ListPatients();
    if (!patients.ok()) return Report(err, patients.status());
    const std::vector<cotrack::Patient>& ps = *patients;
    cotrack_table_t t;
    t.rows = ps.size();
    static const char* kFixed[] = {"patient",         "arm",     "index_date",
                                   "treatment_dates", "version", "recorded_at"};
    std::set<std::string> names;
    for (const auto& p : ps) {
      for (const auto& [key, value] : p.attributes) names.insert(key);
    }
    t.columns.reserve(6 + names.size());
    auto& id = AddColumn(t, kFixed[0], COTRACK_COLUMN_STRING);
    auto& arm = AddColumn(t, kFixed[1], COTRACK_COLUMN_STRING);
    auto& index = AddColumn(t, kFixed[2], COTRACK_COLUMN_STRING);
    auto& treatments = AddColumn(t, kFixed[3], COTRACK_COLUMN_STRING);
    auto& version = AddColumn(t, kFixed[4], COTRACK_COLUMN_INT64);
    auto& recorded = AddColumn(t, kFixed[5], COTRACK_COLUMN_STRING);
    for (const auto& p : ps) {
      AppendString(id, p.id);
      AppendString(arm, p.arm);
      AppendString(index, p.index_date ? cotrack::FormatCivilTime(*p.index_date) : "");
      std::vector<std::string> dates;
      for (const auto& d : p.treatment_dates) dates.push_back(cotrack::FormatCivilTime(d));
      AppendString(treatments, absl::StrJoin(dates, ";"));
      version.ints.push_back(p.version);
      AppendString(recorded,
                   p.recorded_at_us == 0 ? "" : cotrack::FormatTimestampUs(p.recorded_at_us));
    }
    for (const std::string& name : names) {
      bool clash = false;
      for (const char* f : kFixed) clash = clash || name == f;
      auto& c = AddColumn(t, clash ? "attr_" + name : name, COTRACK_COLUMN_STRING);
      for (const auto& p : ps) {
        auto it = p.attributes.find(name);
        AppendString(c, it == p.attributes.end() ? std::string() : it->second);
      }
    }
    return Deliver(std::move(t), out, err);
  });
}

int cotrack_measures_table(cotrack_db_t* db, cotrack_table_t** out, char** err) {
  return Guard(err, [&]() -> int {
    if (int code = CheckCall(db, out, err); code != COTRACK_OK) return code;
    auto measures = db->db->ListMeasures();
    if (!measures.ok()) return Report(err, measures.status());
    cotrack_table_t t;
    t.columns.reserve(13);
    AddMeasureColumns(t, *measures);
    return Deliver(std::move(t), out, err);
  });
}

namespace {

// The columns `cotrack measure show` prints, one row per definition in
// `ms`, after a version column (1, 2, ...) when `numbered`.
cotrack_table_t MeasureDetailTable(const std::vector<cotrack::MeasureDefinition>& ms,
                                   bool numbered) {
  cotrack_table_t t;
  t.columns.reserve(25);
  if (numbered) {
    auto& version = AddColumn(t, "version", COTRACK_COLUMN_INT64);
    for (size_t i = 0; i < ms.size(); ++i) version.ints.push_back(static_cast<int64_t>(i + 1));
  }
  AddMeasureColumns(t, ms);
  auto& allowed = AddColumn(t, "allowed_values", COTRACK_COLUMN_DOUBLE_LIST);
  for (const cotrack::MeasureDefinition& m : ms) {
    allowed.doubles.insert(allowed.doubles.end(), m.allowed_values.begin(), m.allowed_values.end());
    allowed.offsets.push_back(static_cast<int64_t>(allowed.doubles.size()));
  }
  auto& conversions = AddColumn(t, "conversions", COTRACK_COLUMN_STRING);
  for (const cotrack::MeasureDefinition& m : ms) {
    std::vector<std::string> texts;
    for (const auto& u : m.units) {
      // Every digit, as `measure show` prints it (StrCat keeps 6).
      std::string text = absl::StrCat(u.unit, ": x", cotrack::ShortestNumber(u.factor));
      if (u.offset != 0) {
        absl::StrAppend(&text, u.offset > 0 ? " + " : " - ",
                        cotrack::ShortestNumber(u.offset > 0 ? u.offset : -u.offset));
      }
      texts.push_back(text);
    }
    AppendString(conversions, absl::StrJoin(texts, "; "));
  }
  auto& item_min = AddColumn(t, "item_min", COTRACK_COLUMN_DOUBLE);
  for (const auto& m : ms) item_min.doubles.push_back(m.item_count == 0 ? kNaN : m.item_min);
  auto& item_max = AddColumn(t, "item_max", COTRACK_COLUMN_DOUBLE);
  for (const auto& m : ms) item_max.doubles.push_back(m.item_count == 0 ? kNaN : m.item_max);
  auto& sum = AddColumn(t, "items_sum_to_total", COTRACK_COLUMN_INT64);
  for (const auto& m : ms) sum.ints.push_back(m.items_sum_to_total ? 1 : 0);
  auto& named_items = AddColumn(t, "named_items", COTRACK_COLUMN_STRING);
  for (const auto& m : ms) {
    std::vector<std::string> named;
    for (const auto& item : m.named_items) {
      named.push_back(absl::StrCat(item.name, " ", cotrack::ShortestNumber(item.min), "-",
                                   cotrack::ShortestNumber(item.max)));
    }
    AppendString(named_items, absl::StrJoin(named, "; "));
  }
  auto& subscale_column = AddColumn(t, "subscales", COTRACK_COLUMN_STRING);
  for (const auto& m : ms) {
    std::vector<std::string> subscales;
    for (const auto& sub : m.subscales) {
      subscales.push_back(absl::StrCat(sub.name, " (items ", absl::StrJoin(sub.items, ","), ")"));
    }
    AppendString(subscale_column, absl::StrJoin(subscales, "; "));
  }
  auto& loinc = AddColumn(t, "loinc", COTRACK_COLUMN_STRING);
  for (const auto& m : ms) AppendString(loinc, absl::StrJoin(m.loinc, ";"));
  auto& description = AddColumn(t, "description", COTRACK_COLUMN_STRING);
  for (const auto& m : ms) AppendString(description, m.description);
  return t;
}

}  // namespace

int cotrack_measure_table(cotrack_db_t* db, const char* code, cotrack_table_t** out, char** err) {
  return Guard(err, [&]() -> int {
    if (int c = CheckCall(db, out, err); c != COTRACK_OK) return c;
    if (code == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"code\" is NULL");
    auto measure = db->db->GetMeasure(code);
    if (!measure.ok()) return Report(err, measure.status());
    return Deliver(MeasureDetailTable({*measure}, false), out, err);
  });
}

int cotrack_measure_history_table(cotrack_db_t* db, const char* code, cotrack_table_t** out,
                                  char** err) {
  return Guard(err, [&]() -> int {
    if (int c = CheckCall(db, out, err); c != COTRACK_OK) return c;
    if (code == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"code\" is NULL");
    auto versions = db->db->MeasureHistory(code);
    if (!versions.ok()) return Report(err, versions.status());
    return Deliver(MeasureDetailTable(*versions, true), out, err);
  });
}

int cotrack_visit_table(cotrack_db_t* db, const char* patient, const char* date,
                        cotrack_table_t** out, char** err) {
  return Guard(err, [&]() -> int {
    if (int c = CheckCall(db, out, err); c != COTRACK_OK) return c;
    if (patient == nullptr || date == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "arguments \"patient\" and \"date\" are required");
    }
    auto day = cotrack::ParseCivilTime(date);
    if (!day.ok()) {
      // The command line's message for its DATE argument.
      return Fail(err, COTRACK_INVALID_ARGUMENT,
                  absl::StrCat("DATE: bad value \"", date, "\" (expected a date YYYY-MM-DD)"));
    }
    auto rows = db->db->Visit(patient, *day);
    if (!rows.ok()) return Report(err, rows.status());
    return Deliver(cotrack::capi::ObservationTable(*rows), out, err);
  });
}

int cotrack_audit_table(cotrack_db_t* db, const char* patient, cotrack_table_t** out, char** err) {
  return Guard(err, [&]() -> int {
    if (int c = CheckCall(db, out, err); c != COTRACK_OK) return c;
    std::optional<std::string> only;
    if (patient != nullptr && *patient != '\0') only = patient;
    auto log = db->db->AuditLog(only);
    if (!log.ok()) return Report(err, log.status());
    // As `cotrack audit --patient P`: a patient never registered is an
    // error, not an empty log.
    if (only && log->empty() && absl::IsNotFound(db->db->GetPatient(*only).status())) {
      return Fail(err, COTRACK_NOT_FOUND,
                  absl::StrCat("unknown patient \"", *only,
                               "\" (see 'cotrack patients' for the registered ones)"));
    }
    const std::vector<cotrack::AuditRecord>& rows = *log;
    cotrack_table_t t;
    t.rows = rows.size();
    t.columns.reserve(14);
    auto ints = [&](const char* name, auto get) {
      auto& c = AddColumn(t, name, COTRACK_COLUMN_INT64);
      for (const auto& r : rows) c.ints.push_back(static_cast<int64_t>(get(r)));
    };
    auto strs = [&](const char* name, auto get) {
      auto& c = AddColumn(t, name, COTRACK_COLUMN_STRING);
      for (const auto& r : rows) AppendString(c, get(r));
    };
    using Entry = cotrack::AuditRecord;
    ints("sequence", [](const Entry& r) { return r.sequence; });
    ints("at_us", [](const Entry& r) { return r.at_us; });
    strs("action", [](const Entry& r) { return r.action; });
    strs("patient", [](const Entry& r) { return r.patient; });
    strs("detail", [](const Entry& r) { return r.detail; });
    strs("source", [](const Entry& r) { return r.provenance.source; });
    strs("user", [](const Entry& r) { return r.provenance.user; });
    strs("reason", [](const Entry& r) { return r.provenance.reason; });
    ints("written", [](const Entry& r) { return r.summary.written; });
    ints("corrected", [](const Entry& r) { return r.summary.corrected; });
    ints("unchanged", [](const Entry& r) { return r.summary.unchanged; });
    ints("retracted", [](const Entry& r) { return r.summary.retracted; });
    ints("registrations", [](const Entry& r) { return r.summary.patients; });
    ints("patient_count", [](const Entry& r) { return r.patients.size(); });
    return Deliver(std::move(t), out, err);
  });
}

int cotrack_derived_table(cotrack_db_t* db, const cotrack_table_t* observations,
                          cotrack_table_t** out, char** err) {
  return Guard(err, [&]() -> int {
    if (int c = CheckCall(db, out, err); c != COTRACK_OK) return c;
    if (observations == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"observations\" is NULL");
    }
    const int64_t measure_col = cotrack_table_column_index(observations, "measure");
    const int64_t value_col = cotrack_table_column_index(observations, "value");
    const int64_t comparator_col = cotrack_table_column_index(observations, "comparator");
    const int64_t items_col = cotrack_table_column_index(observations, "items");
    if (measure_col < 0 || value_col < 0 || comparator_col < 0 || items_col < 0) {
      return Fail(err, COTRACK_INVALID_ARGUMENT,
                  "argument \"observations\" is not an observation table (no measure, value, "
                  "comparator or items column)");
    }
    const auto& measures = observations->columns[measure_col];
    const auto& values = observations->columns[value_col];
    const auto& comparators = observations->columns[comparator_col];
    const auto& items = observations->columns[items_col];
    std::map<std::string, cotrack::MeasureDefinition> definitions;  // each looked up once
    cotrack_table_t t;
    t.rows = observations->rows;
    auto& derived = AddColumn(t, "derived", COTRACK_COLUMN_STRING);
    for (size_t i = 0; i < observations->rows; ++i) {
      const std::string code(measures.bytes.data() + measures.offsets[i]);
      auto it = definitions.find(code);
      if (it == definitions.end()) {
        auto m = db->db->GetMeasure(code);
        if (!m.ok()) return Report(err, m.status());
        it = definitions.emplace(code, *std::move(m)).first;
      }
      cotrack::Observation o;
      o.measure = code;
      o.value = values.doubles[i];
      const std::string symbol(comparators.bytes.data() + comparators.offsets[i]);
      for (auto c : {cotrack::Comparator::kLess, cotrack::Comparator::kLessEqual,
                     cotrack::Comparator::kGreaterEqual, cotrack::Comparator::kGreater}) {
        if (symbol == cotrack::ComparatorSymbol(c)) o.comparator = c;
      }
      o.items.assign(items.doubles.begin() + items.offsets[i],
                     items.doubles.begin() + items.offsets[i + 1]);
      auto values_of = cotrack::DeriveValues(it->second, o);
      if (!values_of.ok()) return Report(err, values_of.status());
      AppendString(derived, cotrack::FormatDerivedValues(*values_of));
    }
    return Deliver(std::move(t), out, err);
  });
}

}  // extern "C"

// The C ABI (include/cotrack/c.h) over the C++ API. Every entry point catches
// everything at the boundary: a C caller cannot unwind a C++ exception, so an
// exception becomes a status code and a message instead of std::terminate.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "capi/handles.h"
#include "capi/snapshot_handle.h"
#include "capi/table.h"
#include "cotrack/c.h"
#include "cotrack/civil_time.h"
#include "cotrack/database.h"
#include "cotrack/options.h"
#include "cotrack/summary.h"
#include "cotrack/timepoint.h"
#include "cotrack/types.h"

struct cotrack_visit_t {
  std::string patient;
  cotrack::CivilTime time;
  std::string label;
  std::vector<cotrack::ObservationInput> measures;
};

struct cotrack_observations_t {
  std::vector<cotrack::Observation> rows;
  std::vector<std::string> times;  // formatted once, owned here
};

struct cotrack_summary_t {
  cotrack::CohortSummary summary;
  std::string options;
};

struct cotrack_audit_t {
  std::vector<cotrack::AuditRecord> entries;
};

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The error plumbing every C call shares (capi/handles.h).
using cotrack::capi::Attribution;
using cotrack::capi::Fail;
using cotrack::capi::Guard;
using cotrack::capi::Ok;
using cotrack::capi::Report;

// A required string argument; InvalidArgument naming it when NULL.
absl::Status Required(const char* value, const char* name) {
  if (value == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("argument \"", name, "\" must not be NULL"));
  }
  return absl::OkStatus();
}

std::string OrEmpty(const char* s) { return s == nullptr ? std::string() : std::string(s); }

absl::StatusOr<cotrack::CivilTime> ParseTime(const char* text, const char* name) {
  absl::Status s = Required(text, name);
  if (!s.ok()) return s;
  auto t = cotrack::ParseCivilTime(text);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument \"", name, "\": ", t.status().message()));
  }
  return *t;
}

absl::StatusOr<std::optional<cotrack::CivilTime>> ParseOptionalTime(const char* text,
                                                                    const char* name) {
  if (text == nullptr || *text == '\0') return std::optional<cotrack::CivilTime>();
  auto t = ParseTime(text, name);
  if (!t.ok()) return t.status();
  return std::optional<cotrack::CivilTime>(*t);
}

void FillSummary(const cotrack::WriteSummary& from, cotrack_write_summary* to) {
  if (to == nullptr) return;
  to->written = from.written;
  to->corrected = from.corrected;
  to->unchanged = from.unchanged;
  to->retracted = from.retracted;
  to->patients = from.patients;
}

int WriteResult(const absl::StatusOr<cotrack::WriteSummary>& result, cotrack_write_summary* summary,
                char** err) {
  if (!result.ok()) return Report(err, result.status());
  FillSummary(*result, summary);
  return Ok(err);
}

int CheckDb(const cotrack_db_t* db, char** err) {
  if (db == nullptr || db->db == nullptr) {
    return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"db\" must not be NULL");
  }
  return COTRACK_OK;
}

// COTRACK_OK when every named string argument is non-NULL; else reports the
// first that is NULL.
int RequireArgs(char** err, std::initializer_list<std::pair<const char*, const char*>> args) {
  for (const auto& [value, name] : args) {
    if (value == nullptr) return Report(err, Required(value, name));
  }
  return COTRACK_OK;
}

// Hands a query result to the caller as a cotrack_observations_t.
int Deliver(absl::StatusOr<std::vector<cotrack::Observation>> rows, cotrack_observations_t** out,
            char** err) {
  if (!rows.ok()) return Report(err, rows.status());
  auto result = std::make_unique<cotrack_observations_t>();
  result->rows = std::move(*rows);
  result->times.reserve(result->rows.size());
  for (const auto& o : result->rows) result->times.push_back(cotrack::FormatCivilTime(o.time));
  *out = result.release();
  return Ok(err);
}

// Hands a query result to the caller as an observation table.
int Deliver(absl::StatusOr<std::vector<cotrack::Observation>> rows, cotrack_table_t** out,
            char** err) {
  if (!rows.ok()) return Report(err, rows.status());
  *out = new cotrack_table_t(cotrack::capi::ObservationTable(*rows));
  return Ok(err);
}

const cotrack::Observation* Row(const cotrack_observations_t* r, size_t i) {
  if (r == nullptr || i >= r->rows.size()) return nullptr;
  return &r->rows[i];
}

const cotrack::SummaryRow* SummaryRowAt(const cotrack_summary_t* s, size_t i) {
  if (s == nullptr || i >= s->summary.rows.size()) return nullptr;
  return &s->summary.rows[i];
}

// The registration the arguments of cotrack_register_patient and
// cotrack_batch_register_patient describe.
absl::StatusOr<cotrack::Patient> PatientFromArgs(const char* id, const char* arm,
                                                 const char* index_date,
                                                 const char* const* attribute_keys,
                                                 const char* const* attribute_values,
                                                 size_t attribute_count) {
  if (absl::Status s = Required(id, "id"); !s.ok()) return s;
  cotrack::Patient p;
  p.id = id;
  p.arm = OrEmpty(arm);
  auto index = ParseOptionalTime(index_date, "index_date");
  if (!index.ok()) return index.status();
  p.index_date = *index;
  if (attribute_count > 0 && (attribute_keys == nullptr || attribute_values == nullptr)) {
    return absl::InvalidArgumentError(
        "attribute_keys and attribute_values must not be NULL when attribute_count > 0");
  }
  for (size_t i = 0; i < attribute_count; ++i) {
    if (attribute_keys[i] == nullptr || attribute_values[i] == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("attribute ", i, ": key and value must not be NULL"));
    }
    p.attributes[attribute_keys[i]] = attribute_values[i];
  }
  return p;
}

int RegisterPatient(cotrack_db_t* db, const char* id, const char* arm, const char* index_date,
                    const char* const* attribute_keys, const char* const* attribute_values,
                    size_t attribute_count, const cotrack::Provenance& provenance,
                    cotrack_write_summary* summary, char** err) {
  if (int c = CheckDb(db, err)) return c;
  absl::StatusOr<cotrack::Patient> p =
      PatientFromArgs(id, arm, index_date, attribute_keys, attribute_values, attribute_count);
  if (!p.ok()) return Report(err, p.status());
  p->provenance = provenance;
  return WriteResult(db->db->PutPatient(*p, db->write), summary, err);
}

int Record(cotrack_db_t* db, const char* patient, const char* measure, const char* time,
           double value, const char* unit, const cotrack::Provenance& provenance,
           cotrack_write_summary* summary, char** err) {
  if (int c = CheckDb(db, err)) return c;
  if (int c = RequireArgs(err, {{patient, "patient"}, {measure, "measure"}})) return c;
  auto t = ParseTime(time, "time");
  if (!t.ok()) return Report(err, t.status());
  cotrack::ObservationInput obs;
  obs.patient = patient;
  obs.measure = measure;
  obs.time = *t;
  obs.value = value;
  obs.unit = OrEmpty(unit);
  obs.provenance = provenance;
  return WriteResult(db->db->Record(obs, db->write), summary, err);
}

int Retract(cotrack_db_t* db, const char* patient, const char* measure, const char* time,
            const cotrack::Provenance& provenance, cotrack_write_summary* summary, char** err) {
  if (int c = CheckDb(db, err)) return c;
  if (int c = RequireArgs(err, {{patient, "patient"}, {measure, "measure"}})) return c;
  auto t = ParseTime(time, "time");
  if (!t.ok()) return Report(err, t.status());
  return WriteResult(db->db->Retract(patient, measure, *t, provenance, db->write), summary, err);
}

// `provenance` null: the builder's measures as they are (the handle's user).
int CommitVisit(cotrack_db_t* db, const cotrack_visit_t* visit,
                const cotrack::Provenance* provenance, cotrack_write_summary* summary, char** err) {
  if (int c = CheckDb(db, err)) return c;
  if (visit == nullptr) {
    return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"visit\" is NULL");
  }
  if (visit->measures.empty()) {
    return Fail(err, COTRACK_INVALID_ARGUMENT,
                absl::StrCat("visit of patient \"", visit->patient, "\" at ",
                             cotrack::FormatCivilTime(visit->time),
                             " has no measures (add some with cotrack_visit_add)"));
  }
  if (provenance == nullptr) {
    return WriteResult(db->db->RecordVisit(visit->measures, db->write), summary, err);
  }
  // The builder is const and may be committed again by someone else.
  std::vector<cotrack::ObservationInput> measures = visit->measures;
  for (cotrack::ObservationInput& obs : measures) obs.provenance = *provenance;
  return WriteResult(db->db->RecordVisit(measures, db->write), summary, err);
}

const cotrack::AuditRecord* Entry(const cotrack_audit_t* a, size_t i) {
  if (a == nullptr || i >= a->entries.size()) return nullptr;
  return &a->entries[i];
}

double OrNaN(const std::optional<double>& v) { return v.has_value() ? *v : kNaN; }

absl::StatusOr<cotrack::Comparator> ParseComparator(const char* text) {
  std::string c = OrEmpty(text);
  if (c.empty()) return cotrack::Comparator::kNone;
  if (c == "<") return cotrack::Comparator::kLess;
  if (c == "<=") return cotrack::Comparator::kLessEqual;
  if (c == ">=") return cotrack::Comparator::kGreaterEqual;
  if (c == ">") return cotrack::Comparator::kGreater;
  return absl::InvalidArgumentError(absl::StrCat(
      "comparator: bad value \"", c, "\" (expected \"<\", \"<=\", \">=\", \">\" or \"\")"));
}

}  // namespace

extern "C" {

const char* cotrack_version(void) { return cotrack::Version(); }

const char* cotrack_code_name(int code) {
  switch (code) {
    case COTRACK_OK:
      return "OK";
    case COTRACK_CANCELLED:
      return "CANCELLED";
    case COTRACK_UNKNOWN:
      return "UNKNOWN";
    case COTRACK_INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case COTRACK_DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case COTRACK_NOT_FOUND:
      return "NOT_FOUND";
    case COTRACK_ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case COTRACK_PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case COTRACK_RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case COTRACK_FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case COTRACK_ABORTED:
      return "ABORTED";
    case COTRACK_OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case COTRACK_UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case COTRACK_INTERNAL:
      return "INTERNAL";
    case COTRACK_UNAVAILABLE:
      return "UNAVAILABLE";
    case COTRACK_DATA_LOSS:
      return "DATA_LOSS";
    case COTRACK_UNAUTHENTICATED:
      return "UNAUTHENTICATED";
  }
  return "UNKNOWN_CODE";
}

void cotrack_free(void* ptr) { std::free(ptr); }

// ---- Options ----

cotrack_options_t* cotrack_options_create(void) { return new (std::nothrow) cotrack_options_t(); }
void cotrack_options_destroy(cotrack_options_t* options) { delete options; }
void cotrack_options_set_create_if_missing(cotrack_options_t* options, int value) {
  if (options != nullptr) options->options.create_if_missing = value != 0;
}
void cotrack_options_set_read_only(cotrack_options_t* options, int value) {
  if (options != nullptr) options->options.read_only = value != 0;
}
void cotrack_options_set_sync(cotrack_options_t* options, int value) {
  if (options != nullptr) options->write.sync = value != 0;
}
void cotrack_options_set_user(cotrack_options_t* options, const char* user) {
  if (options == nullptr) return;
  try {
    options->options.user = OrEmpty(user);
  } catch (...) {
    // Out of memory: keep the previous user rather than unwind into C.
  }
}

// ---- Database ----

int cotrack_open(const char* path, const cotrack_options_t* options, cotrack_db_t** db,
                 char** err) {
  return Guard(err, [&]() -> int {
    if (db == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"db\" is NULL");
    absl::Status s = Required(path, "path");
    if (!s.ok()) return Report(err, s);
    cotrack_options_t defaults;
    const cotrack_options_t& o = options != nullptr ? *options : defaults;
    auto opened = cotrack::Database::Open(path, o.options);
    if (!opened.ok()) return Report(err, opened.status());
    auto handle = std::make_unique<cotrack_db_t>();
    handle->db = std::move(*opened);
    handle->write = o.write;
    handle->options = o.options;
    *db = handle.release();
    return Ok(err);
  });
}

int cotrack_snapshot(cotrack_db_t* db, cotrack_db_t** snapshot, char** err) {
  return Guard(err, [&]() -> int {
    if (db == nullptr || db->db == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"db\" is NULL");
    }
    if (snapshot == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"snapshot\" is NULL");
    }
    auto taken = db->db->NewSnapshot();
    if (!taken.ok()) return Report(err, taken.status());
    auto handle = std::make_unique<cotrack_db_t>();
    handle->db = cotrack::SnapshotAsDatabase(*std::move(taken), db->db->path());
    handle->write = db->write;
    handle->options = db->options;
    *snapshot = handle.release();
    return Ok(err);
  });
}

void cotrack_close(cotrack_db_t* db) {
  try {
    // Calls other threads are making through the handle finish before it is
    // freed (a call that starts after this returns is the caller's bug).
    if (db != nullptr && db->db != nullptr) db->db->Close();
    delete db;
  } catch (...) {
    // A destructor failing cannot be reported; never unwind into C.
  }
}

// ---- Writes ----

int cotrack_register_patient(cotrack_db_t* db, const char* id, const char* arm,
                             const char* index_date, const char* const* attribute_keys,
                             const char* const* attribute_values, size_t attribute_count,
                             cotrack_write_summary* summary, char** err) {
  return Guard(err, [&]() -> int {
    return RegisterPatient(db, id, arm, index_date, attribute_keys, attribute_values,
                           attribute_count, cotrack::Provenance(), summary, err);
  });
}

int cotrack_record(cotrack_db_t* db, const char* patient, const char* measure, const char* time,
                   double value, const char* unit, cotrack_write_summary* summary, char** err) {
  return Guard(err, [&]() -> int {
    return Record(db, patient, measure, time, value, unit, cotrack::Provenance(), summary, err);
  });
}

int cotrack_retract(cotrack_db_t* db, const char* patient, const char* measure, const char* time,
                    const char* reason, cotrack_write_summary* summary, char** err) {
  return Guard(err, [&]() -> int {
    if (int c = CheckDb(db, err)) return c;
    if (int c = RequireArgs(err, {{patient, "patient"}, {measure, "measure"}, {reason, "reason"}}))
      return c;
    cotrack::Provenance provenance;
    provenance.reason = reason;
    return Retract(db, patient, measure, time, provenance, summary, err);
  });
}

// ---- Attributed writes ----

int cotrack_register_patient_as(cotrack_db_t* db, const char* id, const char* arm,
                                const char* index_date, const char* const* attribute_keys,
                                const char* const* attribute_values, size_t attribute_count,
                                const char* user, const char* reason,
                                cotrack_write_summary* summary, char** err) {
  return Guard(err, [&]() -> int {
    auto by = Attribution(user, reason);
    if (!by.ok()) return Report(err, by.status());
    return RegisterPatient(db, id, arm, index_date, attribute_keys, attribute_values,
                           attribute_count, *by, summary, err);
  });
}

int cotrack_record_as(cotrack_db_t* db, const char* patient, const char* measure, const char* time,
                      double value, const char* unit, const char* user, const char* reason,
                      cotrack_write_summary* summary, char** err) {
  return Guard(err, [&]() -> int {
    auto by = Attribution(user, reason);
    if (!by.ok()) return Report(err, by.status());
    return Record(db, patient, measure, time, value, unit, *by, summary, err);
  });
}

int cotrack_retract_as(cotrack_db_t* db, const char* patient, const char* measure, const char* time,
                       const char* user, const char* reason, cotrack_write_summary* summary,
                       char** err) {
  return Guard(err, [&]() -> int {
    auto by = Attribution(user, reason);
    if (!by.ok()) return Report(err, by.status());
    return Retract(db, patient, measure, time, *by, summary, err);
  });
}

int cotrack_visit_commit_as(cotrack_db_t* db, const cotrack_visit_t* visit, const char* user,
                            const char* reason, cotrack_write_summary* summary, char** err) {
  return Guard(err, [&]() -> int {
    auto by = Attribution(user, reason);
    if (!by.ok()) return Report(err, by.status());
    return CommitVisit(db, visit, &*by, summary, err);
  });
}

// ---- Visit builder ----

int cotrack_visit_create(const char* patient, const char* time, const char* label,
                         cotrack_visit_t** visit, char** err) {
  return Guard(err, [&]() -> int {
    if (visit == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"visit\" is NULL");
    }
    absl::Status s = Required(patient, "patient");
    if (!s.ok()) return Report(err, s);
    auto t = ParseTime(time, "time");
    if (!t.ok()) return Report(err, t.status());
    auto v = std::make_unique<cotrack_visit_t>();
    v->patient = patient;
    v->time = *t;
    v->label = OrEmpty(label);
    *visit = v.release();
    return Ok(err);
  });
}

void cotrack_visit_destroy(cotrack_visit_t* visit) { delete visit; }

int cotrack_visit_add(cotrack_visit_t* visit, const char* measure, double value, const char* unit,
                      char** err) {
  return Guard(err, [&]() -> int {
    if (visit == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"visit\" is NULL");
    }
    absl::Status s = Required(measure, "measure");
    if (!s.ok()) return Report(err, s);
    cotrack::ObservationInput obs;
    obs.patient = visit->patient;
    obs.measure = measure;
    obs.time = visit->time;
    obs.visit = visit->label;
    obs.value = value;
    obs.unit = OrEmpty(unit);
    visit->measures.push_back(std::move(obs));
    return Ok(err);
  });
}

int cotrack_visit_add_items(cotrack_visit_t* visit, const char* measure, const double* items,
                            size_t item_count, char** err) {
  return Guard(err, [&]() -> int {
    if (item_count > 0 && items == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"items\" is NULL");
    }
    if (int c = cotrack_visit_add(visit, measure, 0, nullptr, err)) return c;
    cotrack::ObservationInput& obs = visit->measures.back();
    obs.value_from_items = true;
    obs.items.assign(items, items + item_count);
    return Ok(err);
  });
}

int cotrack_visit_set_comparator(cotrack_visit_t* visit, const char* comparator, char** err) {
  return Guard(err, [&]() -> int {
    if (visit == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"visit\" is NULL");
    }
    if (visit->measures.empty()) {
      return Fail(err, COTRACK_FAILED_PRECONDITION,
                  "cotrack_visit_set_comparator: no measure added yet");
    }
    auto c = ParseComparator(comparator);
    if (!c.ok()) return Report(err, c.status());
    visit->measures.back().comparator = *c;
    return Ok(err);
  });
}

int cotrack_visit_set_items(cotrack_visit_t* visit, const double* items, size_t item_count,
                            char** err) {
  return Guard(err, [&]() -> int {
    if (visit == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"visit\" is NULL");
    }
    if (visit->measures.empty()) {
      return Fail(err, COTRACK_FAILED_PRECONDITION,
                  "cotrack_visit_set_items: no measure added yet");
    }
    if (item_count > 0 && items == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"items\" is NULL");
    }
    visit->measures.back().items.assign(items, items + item_count);
    return Ok(err);
  });
}

size_t cotrack_visit_size(const cotrack_visit_t* visit) {
  return visit == nullptr ? 0 : visit->measures.size();
}

int cotrack_visit_commit(cotrack_db_t* db, const cotrack_visit_t* visit,
                         cotrack_write_summary* summary, char** err) {
  return Guard(err, [&]() -> int { return CommitVisit(db, visit, nullptr, summary, err); });
}

// ---- Reads ----

}  // extern "C"

namespace {

// Each read once, for both result types (Out: cotrack_observations_t or
// cotrack_table_t), so that the two agree on arguments, rows and errors.
template <typename Out>
int Trajectory(cotrack_db_t* db, const char* patient, const char* measure, const char* from,
               const char* to, Out** out, char** err) {
  return Guard(err, [&]() -> int {
    if (int c = CheckDb(db, err)) return c;
    if (out == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"out\" is NULL");
    if (int c = RequireArgs(err, {{patient, "patient"}, {measure, "measure"}})) return c;
    cotrack::TimeRange range;
    auto f = ParseOptionalTime(from, "from");
    if (!f.ok()) return Report(err, f.status());
    auto t = ParseOptionalTime(to, "to");
    if (!t.ok()) return Report(err, t.status());
    range.from = *f;
    range.to = *t;
    return Deliver(db->db->Trajectory(patient, measure, range), out, err);
  });
}

template <typename Out>
int Latest(cotrack_db_t* db, const char* patient, const char* measure, const char* as_of, int n,
           Out** out, char** err) {
  return Guard(err, [&]() -> int {
    if (int c = CheckDb(db, err)) return c;
    if (out == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"out\" is NULL");
    if (int c = RequireArgs(err, {{patient, "patient"}, {measure, "measure"}})) return c;
    if (n < 1) {
      return Fail(err, COTRACK_INVALID_ARGUMENT,
                  absl::StrCat("argument \"n\": bad value ", n, " (expected >= 1)"));
    }
    auto at = ParseOptionalTime(as_of, "as_of");
    if (!at.ok()) return Report(err, at.status());
    return Deliver(db->db->Latest(patient, measure, *at, n), out, err);
  });
}

template <typename Out>
int LatestAll(cotrack_db_t* db, const char* patient, const char* as_of, Out** out, char** err) {
  return Guard(err, [&]() -> int {
    if (int c = CheckDb(db, err)) return c;
    if (out == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"out\" is NULL");
    absl::Status s = Required(patient, "patient");
    if (!s.ok()) return Report(err, s);
    auto at = ParseOptionalTime(as_of, "as_of");
    if (!at.ok()) return Report(err, at.status());
    return Deliver(db->db->LatestAll(patient, *at), out, err);
  });
}

template <typename Out>
int History(cotrack_db_t* db, const char* patient, const char* measure, const char* time, Out** out,
            char** err) {
  return Guard(err, [&]() -> int {
    if (int c = CheckDb(db, err)) return c;
    if (out == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"out\" is NULL");
    if (int c = RequireArgs(err, {{patient, "patient"}, {measure, "measure"}})) return c;
    auto t = ParseTime(time, "time");
    if (!t.ok()) return Report(err, t.status());
    return Deliver(db->db->History(patient, measure, *t), out, err);
  });
}

}  // namespace

extern "C" {

int cotrack_trajectory(cotrack_db_t* db, const char* patient, const char* measure, const char* from,
                       const char* to, cotrack_observations_t** out, char** err) {
  return Trajectory(db, patient, measure, from, to, out, err);
}

int cotrack_latest(cotrack_db_t* db, const char* patient, const char* measure, const char* as_of,
                   int n, cotrack_observations_t** out, char** err) {
  return Latest(db, patient, measure, as_of, n, out, err);
}

int cotrack_latest_all(cotrack_db_t* db, const char* patient, const char* as_of,
                       cotrack_observations_t** out, char** err) {
  return LatestAll(db, patient, as_of, out, err);
}

int cotrack_history(cotrack_db_t* db, const char* patient, const char* measure, const char* time,
                    cotrack_observations_t** out, char** err) {
  return History(db, patient, measure, time, out, err);
}

// ---- Observation results ----

void cotrack_observations_destroy(cotrack_observations_t* result) { delete result; }

size_t cotrack_observations_count(const cotrack_observations_t* result) {
  return result == nullptr ? 0 : result->rows.size();
}

const char* cotrack_observations_patient(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o == nullptr ? nullptr : o->patient.c_str();
}
const char* cotrack_observations_measure(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o == nullptr ? nullptr : o->measure.c_str();
}
const char* cotrack_observations_time(const cotrack_observations_t* r, size_t i) {
  return Row(r, i) == nullptr ? nullptr : r->times[i].c_str();
}
int cotrack_observations_is_date(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o != nullptr && o->time.precision == cotrack::TimePrecision::kDate ? 1 : 0;
}
double cotrack_observations_value(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o == nullptr ? kNaN : o->value;
}
const char* cotrack_observations_unit(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o == nullptr ? nullptr : o->unit.c_str();
}
const char* cotrack_observations_comparator(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o == nullptr ? nullptr : cotrack::ComparatorSymbol(o->comparator);
}
const char* cotrack_observations_original_value(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o == nullptr ? nullptr : o->original_value.c_str();
}
const char* cotrack_observations_original_unit(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o == nullptr ? nullptr : o->original_unit.c_str();
}
const char* cotrack_observations_visit(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o == nullptr ? nullptr : o->visit.c_str();
}
const char* cotrack_observations_status(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o == nullptr ? nullptr : cotrack::StatusName(o->status);
}
uint32_t cotrack_observations_version(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o == nullptr ? 0 : o->version;
}
int64_t cotrack_observations_recorded_at_us(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o == nullptr ? 0 : o->recorded_at_us;
}
size_t cotrack_observations_item_count(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o == nullptr ? 0 : o->items.size();
}
double cotrack_observations_item(const cotrack_observations_t* r, size_t i, size_t k) {
  const auto* o = Row(r, i);
  return o == nullptr || k >= o->items.size() ? kNaN : o->items[k];
}

const char* cotrack_observations_user(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o == nullptr ? nullptr : o->provenance.user.c_str();
}

const char* cotrack_observations_reason(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o == nullptr ? nullptr : o->provenance.reason.c_str();
}

const char* cotrack_observations_source(const cotrack_observations_t* r, size_t i) {
  const auto* o = Row(r, i);
  return o == nullptr ? nullptr : o->provenance.source.c_str();
}

// ---- Audit log ----

int cotrack_audit(cotrack_db_t* db, const char* patient, cotrack_audit_t** out, char** err) {
  return Guard(err, [&]() -> int {
    if (int c = CheckDb(db, err)) return c;
    if (out == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"out\" is NULL");
    std::optional<std::string> only;
    if (patient != nullptr && *patient != '\0') only = patient;
    auto entries = db->db->AuditLog(only);
    if (!entries.ok()) return Report(err, entries.status());
    auto result = std::make_unique<cotrack_audit_t>();
    result->entries = std::move(*entries);
    *out = result.release();
    return Ok(err);
  });
}

void cotrack_audit_destroy(cotrack_audit_t* audit) { delete audit; }

size_t cotrack_audit_count(const cotrack_audit_t* audit) {
  return audit == nullptr ? 0 : audit->entries.size();
}

uint64_t cotrack_audit_sequence(const cotrack_audit_t* a, size_t i) {
  const auto* e = Entry(a, i);
  return e == nullptr ? 0 : e->sequence;
}

int64_t cotrack_audit_at_us(const cotrack_audit_t* a, size_t i) {
  const auto* e = Entry(a, i);
  return e == nullptr ? 0 : e->at_us;
}

const char* cotrack_audit_action(const cotrack_audit_t* a, size_t i) {
  const auto* e = Entry(a, i);
  return e == nullptr ? nullptr : e->action.c_str();
}

const char* cotrack_audit_patient(const cotrack_audit_t* a, size_t i) {
  const auto* e = Entry(a, i);
  return e == nullptr ? nullptr : e->patient.c_str();
}

const char* cotrack_audit_detail(const cotrack_audit_t* a, size_t i) {
  const auto* e = Entry(a, i);
  return e == nullptr ? nullptr : e->detail.c_str();
}

const char* cotrack_audit_user(const cotrack_audit_t* a, size_t i) {
  const auto* e = Entry(a, i);
  return e == nullptr ? nullptr : e->provenance.user.c_str();
}

const char* cotrack_audit_reason(const cotrack_audit_t* a, size_t i) {
  const auto* e = Entry(a, i);
  return e == nullptr ? nullptr : e->provenance.reason.c_str();
}

const char* cotrack_audit_source(const cotrack_audit_t* a, size_t i) {
  const auto* e = Entry(a, i);
  return e == nullptr ? nullptr : e->provenance.source.c_str();
}

void cotrack_audit_summary(const cotrack_audit_t* a, size_t i, cotrack_write_summary* summary) {
  const auto* e = Entry(a, i);
  if (summary == nullptr) return;
  if (e == nullptr) {
    *summary = cotrack_write_summary{0, 0, 0, 0, 0};
    return;
  }
  FillSummary(e->summary, summary);
}

// ---- Cohort summary ----

int cotrack_summarize(cotrack_db_t* db, const char* measure, const char* timepoints,
                      const char* group_by, cotrack_summary_t** out, char** err) {
  return Guard(err, [&]() -> int {
    if (int c = CheckDb(db, err)) return c;
    if (out == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"out\" is NULL");
    if (int c = RequireArgs(err, {{measure, "measure"}, {timepoints, "timepoints"}})) return c;
    cotrack::SummaryOptions options;
    auto tps = cotrack::ParseTimepointList(timepoints);
    if (!tps.ok()) return Report(err, tps.status());
    options.timepoints = std::move(*tps);
    options.group_by = OrEmpty(group_by);
    auto summary = cotrack::SummarizeCohort(*db->db, measure, options);
    if (!summary.ok()) return Report(err, summary.status());
    auto result = std::make_unique<cotrack_summary_t>();
    result->summary = std::move(*summary);
    result->options = cotrack::DescribeSummaryOptions(result->summary.options);
    *out = result.release();
    return Ok(err);
  });
}

void cotrack_summary_destroy(cotrack_summary_t* summary) { delete summary; }

const char* cotrack_summary_unit(const cotrack_summary_t* s) {
  return s == nullptr ? nullptr : s->summary.unit.c_str();
}
const char* cotrack_summary_options(const cotrack_summary_t* s) {
  return s == nullptr ? nullptr : s->options.c_str();
}
int64_t cotrack_summary_patients(const cotrack_summary_t* s) {
  return s == nullptr ? 0 : s->summary.patients;
}
size_t cotrack_summary_row_count(const cotrack_summary_t* s) {
  return s == nullptr ? 0 : s->summary.rows.size();
}
const char* cotrack_summary_row_group(const cotrack_summary_t* s, size_t i) {
  const auto* row = SummaryRowAt(s, i);
  return row == nullptr ? nullptr : row->group.c_str();
}
const char* cotrack_summary_row_timepoint(const cotrack_summary_t* s, size_t i) {
  const auto* row = SummaryRowAt(s, i);
  return row == nullptr ? nullptr : row->timepoint.c_str();
}

int64_t cotrack_summary_row_count_of(const cotrack_summary_t* s, size_t i, int which) {
  const auto* row = SummaryRowAt(s, i);
  if (row == nullptr) return 0;
  switch (which) {
    case COTRACK_COUNT_PATIENTS:
      return row->patients;
    case COTRACK_COUNT_MISSING:
      return row->missing;
    case COTRACK_COUNT_CENSORED:
      return row->censored;
    case COTRACK_COUNT_N:
      return row->stats.n;
    case COTRACK_COUNT_CHANGE_N:
      return row->change_n;
    case COTRACK_COUNT_IMPROVED:
      return row->improved;
    case COTRACK_COUNT_STABLE:
      return row->stable;
    case COTRACK_COUNT_WORSENED:
      return row->worsened;
  }
  return 0;
}

double cotrack_summary_row_stat(const cotrack_summary_t* s, size_t i, int which) {
  const auto* row = SummaryRowAt(s, i);
  if (row == nullptr) return kNaN;
  switch (which) {
    case COTRACK_STAT_MEAN:
      return OrNaN(row->stats.mean);
    case COTRACK_STAT_SD:
      return OrNaN(row->stats.sd);
    case COTRACK_STAT_MEDIAN:
      return OrNaN(row->stats.median);
    case COTRACK_STAT_Q1:
      return OrNaN(row->stats.q1);
    case COTRACK_STAT_Q3:
      return OrNaN(row->stats.q3);
    case COTRACK_STAT_MIN:
      return OrNaN(row->stats.min);
    case COTRACK_STAT_MAX:
      return OrNaN(row->stats.max);
    case COTRACK_STAT_CHANGE_MEDIAN:
      return OrNaN(row->change_median);
    case COTRACK_STAT_CHANGE_MEAN:
      return OrNaN(row->change_mean);
    case COTRACK_STAT_IMPROVED_PCT:
      return OrNaN(row->improved_pct);
    case COTRACK_STAT_STABLE_PCT:
      return OrNaN(row->stable_pct);
    case COTRACK_STAT_WORSENED_PCT:
      return OrNaN(row->worsened_pct);
  }
  return kNaN;
}

}  // extern "C"

// ---- Result tables ----

namespace {

const cotrack_table_t::Column* ColumnOf(const cotrack_table_t* t, size_t column, int type) {
  if (t == nullptr || column >= t->columns.size()) return nullptr;
  const auto& c = t->columns[column];
  return c.type == type ? &c : nullptr;
}

// Checks a visit given as arrays and appends its measures to `to`; on an
// error nothing is appended.
int AppendVisit(const char* patient, const char* time, const char* label, size_t count,
                const char* const* measures, const double* values, const char* const* units,
                const char* const* comparators, std::vector<cotrack::ObservationInput>& to,
                char** err) {
  absl::Status s = Required(patient, "patient");
  if (!s.ok()) return Report(err, s);
  auto t = ParseTime(time, "time");
  if (!t.ok()) return Report(err, t.status());
  if (count > 0 && (measures == nullptr || values == nullptr)) {
    return Fail(err, COTRACK_INVALID_ARGUMENT,
                "arguments \"measures\" and \"values\" must not be NULL when count > 0");
  }
  std::vector<cotrack::Comparator> parsed(comparators == nullptr ? 0 : count);
  for (size_t k = 0; k < count; ++k) {
    if (measures[k] == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, absl::StrCat("measures[", k, "] is NULL"));
    }
    if (comparators != nullptr) {
      auto c = ParseComparator(comparators[k]);
      if (!c.ok()) {
        return Fail(err, COTRACK_INVALID_ARGUMENT,
                    absl::StrCat("measure \"", measures[k], "\": ", c.status().message()));
      }
      parsed[k] = *c;
    }
  }
  // Checked: built in place (the caller reserves), nothing copied.
  const std::string id = patient;
  const std::string visit_label = OrEmpty(label);
  for (size_t k = 0; k < count; ++k) {
    cotrack::ObservationInput& obs = to.emplace_back();
    obs.patient = id;
    obs.measure = measures[k];
    obs.time = *t;
    obs.visit = visit_label;
    obs.value = values[k];
    if (units != nullptr) obs.unit = OrEmpty(units[k]);
    if (comparators != nullptr) obs.comparator = parsed[k];
  }
  return COTRACK_OK;
}

}  // namespace

extern "C" {

void cotrack_table_destroy(cotrack_table_t* table) { delete table; }

size_t cotrack_table_row_count(const cotrack_table_t* t) { return t == nullptr ? 0 : t->rows; }

const char* cotrack_table_notes(const cotrack_table_t* t) {
  return t == nullptr ? "" : t->notes.c_str();
}

size_t cotrack_table_column_count(const cotrack_table_t* t) {
  return t == nullptr ? 0 : t->columns.size();
}

const char* cotrack_table_column_name(const cotrack_table_t* t, size_t column) {
  if (t == nullptr || column >= t->columns.size()) return nullptr;
  return t->columns[column].name.c_str();
}

int cotrack_table_column_type(const cotrack_table_t* t, size_t column) {
  if (t == nullptr || column >= t->columns.size()) return 0;
  return t->columns[column].type;
}

int64_t cotrack_table_column_index(const cotrack_table_t* t, const char* name) {
  if (t == nullptr || name == nullptr) return -1;
  for (size_t i = 0; i < t->columns.size(); ++i) {
    if (t->columns[i].name == name) return static_cast<int64_t>(i);
  }
  return -1;
}

const int64_t* cotrack_table_int64(const cotrack_table_t* t, size_t column) {
  const auto* c = ColumnOf(t, column, COTRACK_COLUMN_INT64);
  return c == nullptr ? nullptr : c->ints.data();
}

const double* cotrack_table_double(const cotrack_table_t* t, size_t column) {
  const auto* c = ColumnOf(t, column, COTRACK_COLUMN_DOUBLE);
  return c == nullptr ? nullptr : c->doubles.data();
}

const char* cotrack_table_strings(const cotrack_table_t* t, size_t column,
                                  const int64_t** offsets) {
  const auto* c = ColumnOf(t, column, COTRACK_COLUMN_STRING);
  if (c == nullptr) return nullptr;
  if (offsets != nullptr) *offsets = c->offsets.data();
  return c->bytes.c_str();
}

const double* cotrack_table_double_list(const cotrack_table_t* t, size_t column,
                                        const int64_t** offsets) {
  const auto* c = ColumnOf(t, column, COTRACK_COLUMN_DOUBLE_LIST);
  if (c == nullptr) return nullptr;
  if (offsets != nullptr) *offsets = c->offsets.data();
  return c->doubles.data();
}

int cotrack_trajectory_table(cotrack_db_t* db, const char* patient, const char* measure,
                             const char* from, const char* to, cotrack_table_t** out, char** err) {
  return Trajectory(db, patient, measure, from, to, out, err);
}

int cotrack_latest_table(cotrack_db_t* db, const char* patient, const char* measure,
                         const char* as_of, int n, cotrack_table_t** out, char** err) {
  return Latest(db, patient, measure, as_of, n, out, err);
}

int cotrack_latest_all_table(cotrack_db_t* db, const char* patient, const char* as_of,
                             cotrack_table_t** out, char** err) {
  return LatestAll(db, patient, as_of, out, err);
}

int cotrack_history_table(cotrack_db_t* db, const char* patient, const char* measure,
                          const char* time, cotrack_table_t** out, char** err) {
  return History(db, patient, measure, time, out, err);
}

int cotrack_summarize_table(cotrack_db_t* db, const char* measure, const char* timepoints,
                            const char* group_by, cotrack_table_t** out, char** err) {
  return Guard(err, [&]() -> int {
    if (out == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"out\" is NULL");
    cotrack_summary_t* result = nullptr;
    int code = cotrack_summarize(db, measure, timepoints, group_by, &result, err);
    std::unique_ptr<cotrack_summary_t> owned(result);
    if (code != COTRACK_OK) return code;
    const auto& rows = owned->summary.rows;
    auto t = std::make_unique<cotrack_table_t>();
    t->rows = rows.size();
    t->columns.reserve(COTRACK_SUM_COLUMN_COUNT);
    using cotrack::capi::AddColumn;
    auto& timepoint = AddColumn(*t, "timepoint", COTRACK_COLUMN_STRING);
    auto& group = AddColumn(*t, "group", COTRACK_COLUMN_STRING);
    for (const auto& row : rows) {
      cotrack::capi::AppendString(timepoint, row.timepoint);
      cotrack::capi::AppendString(group, row.group);
    }
    static constexpr const char* kCounts[] = {"patients", "missing",  "censored", "n",
                                              "change_n", "improved", "stable",   "worsened"};
    for (int k = 0; k < 8; ++k) {
      auto& c = AddColumn(*t, kCounts[k], COTRACK_COLUMN_INT64);
      for (size_t i = 0; i < rows.size(); ++i) {
        c.ints.push_back(cotrack_summary_row_count_of(owned.get(), i, k));
      }
    }
    static constexpr const char* kStats[] = {
        "mean",          "sd",          "median",       "q1",         "q3",          "min", "max",
        "change_median", "change_mean", "improved_pct", "stable_pct", "worsened_pct"};
    for (int k = 0; k < 12; ++k) {
      auto& c = AddColumn(*t, kStats[k], COTRACK_COLUMN_DOUBLE);
      for (size_t i = 0; i < rows.size(); ++i) {
        c.doubles.push_back(cotrack_summary_row_stat(owned.get(), i, k));
      }
    }
    // The unit and the options line `cotrack summary` prints with its table.
    const std::string parameters = absl::StrCat("measure=", measure, " ", owned->options);
    auto& unit = AddColumn(*t, "unit", COTRACK_COLUMN_STRING);
    auto& params = AddColumn(*t, "parameters", COTRACK_COLUMN_STRING);
    for (size_t i = 0; i < rows.size(); ++i) {
      cotrack::capi::AppendString(unit, owned->summary.unit);
      cotrack::capi::AppendString(params, parameters);
    }
    *out = t.release();
    return Ok(err);
  });
}

// ---- Writes as arrays ----

int cotrack_record_visit(cotrack_db_t* db, const char* patient, const char* time, const char* label,
                         size_t count, const char* const* measures, const double* values,
                         const char* const* units, const char* const* comparators,
                         cotrack_write_summary* summary, char** err) {
  return Guard(err, [&]() -> int {
    if (int c = CheckDb(db, err)) return c;
    if (count == 0) {
      return Fail(
          err, COTRACK_INVALID_ARGUMENT,
          absl::StrCat("visit of patient \"", OrEmpty(patient), "\" has no measures (count is 0)"));
    }
    std::vector<cotrack::ObservationInput> visit;
    visit.reserve(count);
    if (int c = AppendVisit(patient, time, label, count, measures, values, units, comparators,
                            visit, err)) {
      return c;
    }
    return WriteResult(db->db->RecordVisit(std::move(visit), db->write), summary, err);
  });
}

cotrack_batch_t* cotrack_batch_create(void) { return new (std::nothrow) cotrack_batch_t(); }

void cotrack_batch_destroy(cotrack_batch_t* batch) { delete batch; }

int cotrack_batch_register_patient(cotrack_batch_t* batch, const char* id, const char* arm,
                                   const char* index_date, const char* const* attribute_keys,
                                   const char* const* attribute_values, size_t attribute_count,
                                   char** err) {
  return Guard(err, [&]() -> int {
    if (batch == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"batch\" is NULL");
    absl::StatusOr<cotrack::Patient> p =
        PatientFromArgs(id, arm, index_date, attribute_keys, attribute_values, attribute_count);
    if (!p.ok()) return Report(err, p.status());
    batch->batch.PutPatient(*std::move(p));
    return Ok(err);
  });
}

int cotrack_batch_record_visit(cotrack_batch_t* batch, const char* patient, const char* time,
                               const char* label, size_t count, const char* const* measures,
                               const double* values, const char* const* units,
                               const char* const* comparators, char** err) {
  return Guard(err, [&]() -> int {
    if (batch == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"batch\" is NULL");
    std::vector<cotrack::ObservationInput> visit;
    if (int c = AppendVisit(patient, time, label, count, measures, values, units, comparators,
                            visit, err)) {
      return c;
    }
    for (auto& obs : visit) batch->batch.Record(std::move(obs));
    return Ok(err);
  });
}

int cotrack_batch_add_visit(cotrack_batch_t* batch, const cotrack_visit_t* visit, char** err) {
  return Guard(err, [&]() -> int {
    if (batch == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"batch\" is NULL");
    if (visit == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"visit\" is NULL");
    for (const auto& obs : visit->measures) batch->batch.Record(obs);
    return Ok(err);
  });
}

int cotrack_batch_retract(cotrack_batch_t* batch, const char* patient, const char* measure,
                          const char* time, const char* reason, char** err) {
  return Guard(err, [&]() -> int {
    if (batch == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"batch\" is NULL");
    if (int c = RequireArgs(err, {{patient, "patient"}, {measure, "measure"}, {reason, "reason"}}))
      return c;
    auto t = ParseTime(time, "time");
    if (!t.ok()) return Report(err, t.status());
    cotrack::Provenance provenance;
    provenance.reason = reason;
    batch->batch.Retract(patient, measure, *t, std::move(provenance));
    return Ok(err);
  });
}

size_t cotrack_batch_size(const cotrack_batch_t* batch) {
  return batch == nullptr ? 0 : batch->batch.size();
}

int cotrack_batch_commit(cotrack_db_t* db, const cotrack_batch_t* batch,
                         cotrack_write_summary* summary, char** err) {
  return Guard(err, [&]() -> int {
    if (int c = CheckDb(db, err)) return c;
    if (batch == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"batch\" is NULL");
    if (batch->batch.empty()) {
      FillSummary(cotrack::WriteSummary(), summary);
      return Ok(err);
    }
    return WriteResult(db->db->Apply(batch->batch, db->write), summary, err);
  });
}

}  // extern "C"

// ---- For the C ABI's other files (capi/handles.h) ----

namespace cotrack::capi {

Database* DatabaseOf(cotrack_db_t* db) { return db == nullptr ? nullptr : db->db.get(); }

}  // namespace cotrack::capi

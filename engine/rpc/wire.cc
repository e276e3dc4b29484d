#include "rpc/wire.h"

#include <atomic>
#include <cstring>
#include <map>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"

namespace cotrack::rpc {

const char* OpName(Op op) {
  switch (op) {
    case Op::kHello:
      return "hello";
    case Op::kApply:
      return "apply";
    case Op::kRegisterMeasure:
      return "register-measure";
    case Op::kBulkBegin:
      return "bulk-begin";
    case Op::kBulkAdd:
      return "bulk-add";
    case Op::kBulkCommit:
      return "bulk-commit";
    case Op::kBulkAbort:
      return "bulk-abort";
    case Op::kTrajectory:
      return "trajectory";
    case Op::kLatest:
      return "latest";
    case Op::kLatestAll:
      return "latest-all";
    case Op::kVisit:
      return "visit";
    case Op::kHistory:
      return "history";
    case Op::kGetPatient:
      return "get-patient";
    case Op::kPatientHistory:
      return "patient-history";
    case Op::kListPatients:
      return "list-patients";
    case Op::kGetMeasure:
      return "get-measure";
    case Op::kListMeasures:
      return "list-measures";
    case Op::kForEachSeries:
      return "for-each-series";
    case Op::kAuditLog:
      return "audit-log";
    case Op::kCompact:
      return "compact";
    case Op::kSnapshotBegin:
      return "snapshot-begin";
    case Op::kSnapshotEnd:
      return "snapshot-end";
    case Op::kCheck:
      return "check";
    case Op::kBackup:
      return "backup";
    case Op::kGetTimeZone:
      return "get-time-zone";
    case Op::kSetTimeZone:
      return "set-time-zone";
    case Op::kDump:
      return "dump";
    case Op::kEditMeasure:
      return "edit-measure";
    case Op::kMeasureHistory:
      return "measure-history";
    case Op::kScanSeries:
      return "scan-series";
  }
  return "unknown";
}

bool IsStreamingOp(Op op) {
  return op == Op::kForEachSeries || op == Op::kScanSeries || op == Op::kDump;
}

uint32_t OpSince(Op op) { return op == Op::kScanSeries ? 4 : kMinProtocolVersion; }

namespace {
std::atomic<uint32_t> newest_for_testing{0};
}  // namespace

uint32_t NewestProtocol() {
  const uint32_t v = newest_for_testing.load(std::memory_order_relaxed);
  return v == 0 ? kProtocolVersion : v;
}

void SetNewestProtocolForTesting(uint32_t version) {
  newest_for_testing.store(version, std::memory_order_relaxed);
}

namespace {

class WireWriter {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void Bool(bool v) { U8(v ? 1 : 0); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void I32(int32_t v) { U32(static_cast<uint32_t>(v)); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void F64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    U64(bits);
  }
  template <typename E>
  void Enum(E v) {
    U8(static_cast<uint8_t>(v));
  }
  // Lengths and counts fit: a payload is at most kMaxPayloadBytes.
  void Str(absl::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s.data(), s.size());
  }
  // Room for `n` more bytes (a large frame, written in one go).
  void Reserve(size_t n) { out_.reserve(out_.size() + n); }
  // Bytes already laid out in the wire's encoding.
  void Raw(const char* p, size_t n) { out_.append(p, n); }
  std::string Take() && { return std::move(out_); }

 private:
  void Fixed(uint64_t v, int bytes) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
    out_.append(b, bytes);
  }
  std::string out_;
};

// Reads fields in order. The first failure is kept and every later read
// returns a zero value without consuming anything, so decoders are straight
// lines of reads and check ok() only where a value steers what comes next.
class WireReader {
 public:
  WireReader(absl::string_view in, const char* what) : in_(in), what_(what) {}

  bool ok() const { return status_.ok(); }
  size_t left() const { return in_.size() - pos_; }

  uint8_t U8(const char* field) {
    const char* p = Bytes(field, 1);
    return p ? static_cast<uint8_t>(*p) : 0;
  }
  bool Bool(const char* field) {
    const size_t at = pos_;
    const uint8_t b = U8(field);
    if (b > 1) Fail(field, at, absl::StrCat("bool byte ", b, " (expected 0 or 1)"));
    return b == 1;
  }
  uint32_t U32(const char* field) { return static_cast<uint32_t>(Fixed(field, 4)); }
  int32_t I32(const char* field) { return static_cast<int32_t>(U32(field)); }
  uint64_t U64(const char* field) { return Fixed(field, 8); }
  int64_t I64(const char* field) { return static_cast<int64_t>(U64(field)); }
  double F64(const char* field) {
    const uint64_t bits = U64(field);
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  // An enum byte in [first, last].
  template <typename E>
  E Enum(const char* field, E last, E first = E{}) {
    const size_t at = pos_;
    const uint8_t b = U8(field);
    if (b < static_cast<uint8_t>(first) || b > static_cast<uint8_t>(last)) {
      Fail(field, at,
           absl::StrCat("value ", b, " is not one of ", static_cast<int>(first), "..",
                        static_cast<int>(last)));
      return first;
    }
    return static_cast<E>(b);
  }
  std::string Str(const char* field) {
    const size_t at = pos_;
    const uint32_t n = U32(field);
    const char* p = Bytes(field, n, at);
    return p ? std::string(p, n) : std::string();
  }
  // A vector's or map's element count, checked against what is left (each
  // element takes at least `min_bytes`) before anyone allocates for it.
  uint32_t Count(const char* field, size_t min_bytes) {
    const size_t at = pos_;
    const uint32_t n = U32(field);
    if (ok() && n > left() / min_bytes) {
      Fail(field, at, absl::StrCat("count ", n, " cannot fit in the ", left(), " bytes left"));
      return 0;
    }
    return n;
  }

  void Fail(const char* field, size_t at, absl::string_view problem) {
    if (ok()) {
      status_ = absl::InvalidArgumentError(
          absl::StrCat("malformed ", what_, ": ", field, " at offset ", at, ": ", problem));
    }
  }
  size_t offset() const { return pos_; }
  // The next `n` bytes, unread: null (and failed) when fewer are left.
  const char* Raw(const char* field, size_t n) { return Bytes(field, n); }
  absl::Status Finish() {
    if (ok() && left() > 0) Fail("end", pos_, absl::StrCat(left(), " trailing bytes"));
    return status_;
  }

 private:
  // `at` is where the field began (a string's length), for the message.
  const char* Bytes(const char* field, size_t n, size_t at = SIZE_MAX) {
    if (!ok()) return nullptr;
    if (n > left()) {
      Fail(field, at == SIZE_MAX ? pos_ : at,
           absl::StrCat("needs ", n, " bytes, ", left(), " left"));
      return nullptr;
    }
    const char* p = in_.data() + pos_;
    pos_ += n;
    return p;
  }
  uint64_t Fixed(const char* field, int bytes) {
    const char* p = Bytes(field, bytes);
    uint64_t v = 0;
    for (int i = 0; p != nullptr && i < bytes; ++i) {
      v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
    }
    return v;
  }

  absl::string_view in_;
  const char* what_;
  size_t pos_ = 0;
  absl::Status status_;
};

void StoreLe64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

uint64_t LoadLe64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

// ---- Per-type encoding. Put and Get mirror each other field by field. ----

template <typename T>
void Put(WireWriter& w, const std::vector<T>& v) {
  w.U32(static_cast<uint32_t>(v.size()));
  for (const T& x : v) Put(w, x);
}
// The least bytes one element takes on the wire, for WireReader::Count.
template <typename T>
constexpr size_t kMinBytes = 1;
template <>
constexpr size_t kMinBytes<double> = 8;
template <>
constexpr size_t kMinBytes<int> = 4;
template <>
constexpr size_t kMinBytes<std::string> = 4;
template <>
constexpr size_t kMinBytes<CivilTime> = 9;

// Elements of a fixed least size (numbers, strings, times) are named by
// their vector; structs name their own fields.
template <typename T>
void Get(WireReader& r, const char* field, std::vector<T>* v) {
  const uint32_t n = r.Count(field, kMinBytes<T>);
  // Reserving is safe for numbers only: their count is backed byte for byte,
  // while a 1-byte bound on a struct would be no bound on sizeof(struct) * n.
  if constexpr (std::is_arithmetic_v<T>) v->reserve(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    if constexpr (1 < kMinBytes<T>) {
      Get(r, field, &v->emplace_back());
    } else {
      Get(r, &v->emplace_back());
    }
  }
}

void Put(WireWriter& w, double v) { w.F64(v); }
void Get(WireReader& r, const char* field, double* v) { *v = r.F64(field); }
void Put(WireWriter& w, int v) { w.I32(v); }
void Get(WireReader& r, const char* field, int* v) { *v = r.I32(field); }
void Put(WireWriter& w, const std::string& v) { w.Str(v); }
void Get(WireReader& r, const char* field, std::string* v) { *v = r.Str(field); }

void Put(WireWriter& w, const CivilTime& t) {
  w.I64(t.seconds);
  w.Enum(t.precision);
}
void Get(WireReader& r, const char* field, CivilTime* t) {
  t->seconds = r.I64(field);
  t->precision = r.Enum(field, TimePrecision::kDateTime);
}

void Put(WireWriter& w, const std::optional<CivilTime>& t) {
  w.Bool(t.has_value());
  if (t) Put(w, *t);
}
void Get(WireReader& r, const char* field, std::optional<CivilTime>* t) {
  if (r.Bool(field)) {
    Get(r, field, &t->emplace());
  } else {
    t->reset();
  }
}

void Put(WireWriter& w, const absl::Status& s) {
  w.Enum(s.code());
  w.Str(s.message());
}
void Get(WireReader& r, absl::Status* s) {
  const absl::StatusCode code = r.Enum("status.code", absl::StatusCode::kUnauthenticated);
  const size_t at = r.offset();
  const std::string message = r.Str("status.message");
  // absl::Status drops the message of an OK status: keep the encoding canonical.
  if (code == absl::StatusCode::kOk && !message.empty()) {
    r.Fail("status.message", at, "an OK status has no message");
  }
  *s = absl::Status(code, message);
}

void Put(WireWriter& w, const Provenance& p) {
  w.Str(p.source);
  w.I64(p.line);
  w.Str(p.user);
  w.Str(p.reason);
}
void Get(WireReader& r, Provenance* p) {
  p->source = r.Str("provenance.source");
  p->line = r.I64("provenance.line");
  p->user = r.Str("provenance.user");
  p->reason = r.Str("provenance.reason");
}

void Put(WireWriter& w, const ObservationInput& o) {
  w.Str(o.patient);
  w.Str(o.measure);
  Put(w, o.time);
  w.F64(o.value);
  w.Bool(o.value_from_items);
  w.Str(o.unit);
  w.Enum(o.comparator);
  Put(w, o.items);
  w.Str(o.visit);
  w.Str(o.original_value);
  Put(w, o.provenance);
}
void Get(WireReader& r, ObservationInput* o) {
  o->patient = r.Str("observation.patient");
  o->measure = r.Str("observation.measure");
  Get(r, "observation.time", &o->time);
  o->value = r.F64("observation.value");
  o->value_from_items = r.Bool("observation.value_from_items");
  o->unit = r.Str("observation.unit");
  o->comparator = r.Enum("observation.comparator", Comparator::kGreater);
  Get(r, "observation.items", &o->items);
  o->visit = r.Str("observation.visit");
  o->original_value = r.Str("observation.original_value");
  Get(r, &o->provenance);
}

void Put(WireWriter& w, const Observation& o) {
  w.Str(o.patient);
  w.Str(o.measure);
  Put(w, o.time);
  w.F64(o.value);
  w.Str(o.unit);
  w.Enum(o.comparator);
  w.Str(o.original_value);
  w.Str(o.original_unit);
  Put(w, o.items);
  w.Str(o.visit);
  w.Enum(o.status);
  w.U32(o.version);
  w.I64(o.recorded_at_us);
  Put(w, o.provenance);
}
void Get(WireReader& r, Observation* o) {
  o->patient = r.Str("observation.patient");
  o->measure = r.Str("observation.measure");
  Get(r, "observation.time", &o->time);
  o->value = r.F64("observation.value");
  o->unit = r.Str("observation.unit");
  o->comparator = r.Enum("observation.comparator", Comparator::kGreater);
  o->original_value = r.Str("observation.original_value");
  o->original_unit = r.Str("observation.original_unit");
  Get(r, "observation.items", &o->items);
  o->visit = r.Str("observation.visit");
  o->status = r.Enum("observation.status", ObservationStatus::kEnteredInError);
  o->version = r.U32("observation.version");
  o->recorded_at_us = r.I64("observation.recorded_at_us");
  Get(r, &o->provenance);
}

void Put(WireWriter& w, const Patient& p) {
  w.Str(p.id);
  w.Str(p.arm);
  Put(w, p.index_date);
  Put(w, p.treatment_dates);
  w.U32(static_cast<uint32_t>(p.attributes.size()));
  for (const auto& [key, value] : p.attributes) {
    w.Str(key);
    w.Str(value);
  }
  w.U32(p.version);
  w.I64(p.recorded_at_us);
  Put(w, p.provenance);
}
void Get(WireReader& r, Patient* p) {
  p->id = r.Str("patient.id");
  p->arm = r.Str("patient.arm");
  Get(r, "patient.index_date", &p->index_date);
  Get(r, "patient.treatment_dates", &p->treatment_dates);
  const uint32_t n = r.Count("patient.attributes", 8);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    const size_t at = r.offset();
    std::string key = r.Str("patient.attributes.key");
    std::string value = r.Str("patient.attributes.value");
    // Ascending keys only: a duplicate would be lost and a different order
    // would not encode back to the same bytes.
    if (!p->attributes.empty() && !(p->attributes.rbegin()->first < key)) {
      r.Fail("patient.attributes.key", at, "keys not strictly ascending");
    }
    p->attributes.emplace_hint(p->attributes.end(), std::move(key), std::move(value));
  }
  p->version = r.U32("patient.version");
  p->recorded_at_us = r.I64("patient.recorded_at_us");
  Get(r, &p->provenance);
}

void Put(WireWriter& w, const UnitConversion& u) {
  w.Str(u.unit);
  w.F64(u.factor);
  w.F64(u.offset);
}
void Get(WireReader& r, UnitConversion* u) {
  u->unit = r.Str("measure.units.unit");
  u->factor = r.F64("measure.units.factor");
  u->offset = r.F64("measure.units.offset");
}

void Put(WireWriter& w, const ItemDefinition& d) {
  w.Str(d.name);
  w.F64(d.min);
  w.F64(d.max);
}
void Get(WireReader& r, ItemDefinition* d) {
  d->name = r.Str("measure.named_items.name");
  d->min = r.F64("measure.named_items.min");
  d->max = r.F64("measure.named_items.max");
}

void Put(WireWriter& w, const Subscale& s) {
  w.Str(s.name);
  Put(w, s.items);
}
void Get(WireReader& r, Subscale* s) {
  s->name = r.Str("measure.subscales.name");
  Get(r, "measure.subscales.items", &s->items);
}

void Put(WireWriter& w, const MeasureDefinition& m) {
  w.Str(m.code);
  w.Str(m.name);
  w.Str(m.unit);
  w.F64(m.min);
  w.F64(m.max);
  w.F64(m.step);
  w.Bool(m.integer);
  Put(w, m.allowed_values);
  w.Enum(m.direction);
  w.F64(m.change_threshold);
  Put(w, m.units);
  w.I32(m.item_count);
  w.F64(m.item_min);
  w.F64(m.item_max);
  w.Bool(m.items_sum_to_total);
  Put(w, m.named_items);
  Put(w, m.subscales);
  w.Bool(m.censorable);
  Put(w, m.loinc);
  w.Bool(m.builtin);
  w.Str(m.description);
}
void Get(WireReader& r, MeasureDefinition* m) {
  m->code = r.Str("measure.code");
  m->name = r.Str("measure.name");
  m->unit = r.Str("measure.unit");
  m->min = r.F64("measure.min");
  m->max = r.F64("measure.max");
  m->step = r.F64("measure.step");
  m->integer = r.Bool("measure.integer");
  Get(r, "measure.allowed_values", &m->allowed_values);
  m->direction = r.Enum("measure.direction", Direction::kHigherIsBetter);
  m->change_threshold = r.F64("measure.change_threshold");
  Get(r, "measure.units", &m->units);
  m->item_count = r.I32("measure.item_count");
  m->item_min = r.F64("measure.item_min");
  m->item_max = r.F64("measure.item_max");
  m->items_sum_to_total = r.Bool("measure.items_sum_to_total");
  Get(r, "measure.named_items", &m->named_items);
  Get(r, "measure.subscales", &m->subscales);
  m->censorable = r.Bool("measure.censorable");
  Get(r, "measure.loinc", &m->loinc);
  m->builtin = r.Bool("measure.builtin");
  m->description = r.Str("measure.description");
}

void Put(WireWriter& w, const Batch::Retraction& x) {
  w.Str(x.patient);
  w.Str(x.measure);
  Put(w, x.time);
  Put(w, x.provenance);
}

void Put(WireWriter& w, const Batch& b) {
  Put(w, b.patients());
  Put(w, b.observations());
  Put(w, b.retractions());
  w.Str(b.audit_action());
  w.Str(b.audit_detail());
}
// Batch keeps its vectors private: rebuilt element by element.
void Get(WireReader& r, Batch* b) {
  uint32_t n = r.Count("batch.patients", 1);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    Patient p;
    Get(r, &p);
    b->PutPatient(std::move(p));
  }
  n = r.Count("batch.observations", 1);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    ObservationInput o;
    Get(r, &o);
    b->Record(std::move(o));
  }
  n = r.Count("batch.retractions", 1);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    std::string patient = r.Str("batch.retractions.patient");
    std::string measure = r.Str("batch.retractions.measure");
    CivilTime time;
    Get(r, "batch.retractions.time", &time);
    Provenance provenance;
    Get(r, &provenance);
    b->Retract(std::move(patient), std::move(measure), time, std::move(provenance));
  }
  std::string action = r.Str("batch.audit_action");
  std::string detail = r.Str("batch.audit_detail");
  b->SetAudit(std::move(action), std::move(detail));
}

void Put(WireWriter& w, const WriteSummary& s) {
  w.I64(s.written);
  w.I64(s.corrected);
  w.I64(s.unchanged);
  w.I64(s.retracted);
  w.I64(s.patients);
}
void Get(WireReader& r, WriteSummary* s) {
  s->written = r.I64("summary.written");
  s->corrected = r.I64("summary.corrected");
  s->unchanged = r.I64("summary.unchanged");
  s->retracted = r.I64("summary.retracted");
  s->patients = r.I64("summary.patients");
}

void Put(WireWriter& w, const Rejection& x) {
  Put(w, x.provenance);
  w.Str(x.message);
  w.Str(x.change);
  w.Enum(x.code);
}
void Get(WireReader& r, Rejection* x) {
  Get(r, &x->provenance);
  x->message = r.Str("rejection.message");
  x->change = r.Str("rejection.change");
  x->code = r.Enum("rejection.code", absl::StatusCode::kUnauthenticated);
}

void Put(WireWriter& w, const AuditRecord& a) {
  w.U64(a.sequence);
  w.I64(a.at_us);
  w.Str(a.action);
  w.Str(a.patient);
  Put(w, a.patients);
  w.Str(a.detail);
  Put(w, a.provenance);
  Put(w, a.summary);
}
void Get(WireReader& r, AuditRecord* a) {
  a->sequence = r.U64("audit.sequence");
  a->at_us = r.I64("audit.at_us");
  a->action = r.Str("audit.action");
  a->patient = r.Str("audit.patient");
  Get(r, "audit.patients", &a->patients);
  a->detail = r.Str("audit.detail");
  Get(r, &a->provenance);
  Get(r, &a->summary);
}

void Put(WireWriter& w, const CheckProblem& p) {
  w.Str(p.family);
  w.Str(p.key);
  w.Str(p.patient);
  w.Str(p.message);
}
void Get(WireReader& r, CheckProblem* p) {
  p->family = r.Str("check.problems.family");
  p->key = r.Str("check.problems.key");
  p->patient = r.Str("check.problems.patient");
  p->message = r.Str("check.problems.message");
}

void Put(WireWriter& w, const CheckReport& c) {
  for (size_t v : {c.table_files, c.patients, c.patient_versions, c.measures, c.series,
                   c.observations, c.versions, c.audit_entries}) {
    w.U64(v);
  }
  Put(w, c.problems);
  w.U64(c.problems_not_listed);
}
void Get(WireReader& r, CheckReport* c) {
  c->table_files = r.U64("check.table_files");
  c->patients = r.U64("check.patients");
  c->patient_versions = r.U64("check.patient_versions");
  c->measures = r.U64("check.measures");
  c->series = r.U64("check.series");
  c->observations = r.U64("check.observations");
  c->versions = r.U64("check.versions");
  c->audit_entries = r.U64("check.audit_entries");
  Get(r, "check.problems", &c->problems);
  c->problems_not_listed = r.U64("check.problems_not_listed");
}

void Put(WireWriter& w, const BackupInfo& b) {
  w.U32(b.id);
  w.I64(b.created_unix_seconds);
  w.U64(b.size_bytes);
  w.U32(b.file_count);
  w.Str(b.error);
}
void Get(WireReader& r, BackupInfo* b) {
  b->id = r.U32("backup.id");
  b->created_unix_seconds = r.I64("backup.created_unix_seconds");
  b->size_bytes = r.U64("backup.size_bytes");
  b->file_count = r.U32("backup.file_count");
  b->error = r.Str("backup.error");
}

void Put(WireWriter& w, const DumpSummary& d) {
  w.I64(d.measures);
  w.I64(d.patients);
  w.I64(d.patient_versions);
  w.I64(d.observation_versions);
  w.I64(d.audit_entries);
}
void Get(WireReader& r, DumpSummary* d) {
  d->measures = r.I64("dump.measures");
  d->patients = r.I64("dump.patients");
  d->patient_versions = r.I64("dump.patient_versions");
  d->observation_versions = r.I64("dump.observation_versions");
  d->audit_entries = r.I64("dump.audit_entries");
}

// A frame of a lean scan, built for speed: per value 18 fixed bytes, no
// per-field names unless decoding fails.
// Bytes per value on the wire: time 9, value 8, comparator 1.
constexpr size_t kSeriesValueBytes = 18;
// A patient's least bytes: id and arm lengths, two presence bytes, count.
constexpr size_t kSeriesPatientBytes = 4 + 4 + 1 + 1 + 4;
void Put(WireWriter& w, const SeriesFrame& f) {
  size_t bytes = 8 + f.values.size() * kSeriesValueBytes;
  for (const SeriesPatient& p : f.patients) {
    bytes += 32 + p.id.size() + p.arm.size() + (p.attribute ? p.attribute->size() : 0);
  }
  w.Reserve(bytes);
  w.I32(f.part);
  w.U32(static_cast<uint32_t>(f.patients.size()));
  uint32_t begin = 0;
  for (size_t i = 0; i < f.patients.size(); ++i) {
    const SeriesPatient& p = f.patients[i];
    w.Str(p.id);
    w.Str(p.arm);
    Put(w, p.index_date);
    w.Bool(p.attribute.has_value());
    if (p.attribute) w.Str(*p.attribute);
    const uint32_t end = f.ends[i];
    w.U32(end - begin);
    for (uint32_t k = begin; k < end; ++k) {
      // Put(time), F64(value), Enum(comparator), in one append.
      const SeriesValue& v = f.values[k];
      char b[kSeriesValueBytes];
      StoreLe64(b, static_cast<uint64_t>(v.time.seconds));
      b[8] = static_cast<char>(v.time.precision);
      uint64_t bits;
      std::memcpy(&bits, &v.value, sizeof bits);
      StoreLe64(b + 9, bits);
      b[17] = static_cast<char>(v.comparator);
      w.Raw(b, sizeof b);
    }
    begin = end;
  }
}
void Get(WireReader& r, SeriesFrame* f) {
  const size_t at = r.offset();
  f->part = r.I32("series.part");
  if (r.ok() && f->part < 0) r.Fail("series.part", at, absl::StrCat("negative: ", f->part));
  const uint32_t n = r.Count("series.patients", kSeriesPatientBytes);
  f->patients.reserve(n);
  f->ends.reserve(n);
  // At most this many values: the bytes left back the allocation.
  f->values.reserve(r.left() / kSeriesValueBytes);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    SeriesPatient& p = f->patients.emplace_back();
    p.id = r.Str("series.patients.id");
    p.arm = r.Str("series.patients.arm");
    Get(r, "series.patients.index_date", &p.index_date);
    if (r.Bool("series.patients.attribute")) p.attribute = r.Str("series.patients.attribute");
    const uint32_t values = r.Count("series.patients.values", kSeriesValueBytes);
    // The values in one block (Count checked that they are there): the bulk
    // of every frame, so read without a check per field.
    const size_t at_values = r.offset();
    const char* p_bytes = r.Raw("series.patients.values", size_t{values} * kSeriesValueBytes);
    if (p_bytes == nullptr) break;
    for (uint32_t k = 0; k < values; ++k) {
      const char* b = p_bytes + size_t{k} * kSeriesValueBytes;
      SeriesValue& v = f->values.emplace_back();
      v.time.seconds = static_cast<int64_t>(LoadLe64(b));
      const uint8_t precision = static_cast<uint8_t>(b[8]);
      const uint64_t bits = LoadLe64(b + 9);
      std::memcpy(&v.value, &bits, sizeof bits);
      const uint8_t comparator = static_cast<uint8_t>(b[17]);
      const size_t value_at = at_values + size_t{k} * kSeriesValueBytes;
      if (precision > static_cast<uint8_t>(TimePrecision::kDateTime)) {
        r.Fail("series.patients.values.time", value_at + 8,
               absl::StrCat("value ", precision, " is not one of 0..",
                            static_cast<int>(TimePrecision::kDateTime)));
        break;
      }
      if (comparator > static_cast<uint8_t>(Comparator::kGreater)) {
        r.Fail("series.patients.values.comparator", value_at + 17,
               absl::StrCat("value ", comparator, " is not one of 0..",
                            static_cast<int>(Comparator::kGreater)));
        break;
      }
      v.time.precision = static_cast<TimePrecision>(precision);
      v.comparator = static_cast<Comparator>(comparator);
    }
    f->ends.push_back(static_cast<uint32_t>(f->values.size()));
  }
}

// ---- Which fields each op carries: one table per direction, read by both
// the encoder and the decoder, so the two cannot disagree about an op. ----

enum RequestField : uint32_t {
  kQHello = 1u << 0,  // protocol, user, key_fingerprint, pid, read_only
  kQSnapshot = 1u << 1,
  kQPatient = 1u << 2,
  kQMeasure = 1u << 3,
  kQRange = 1u << 4,
  kQTime = 1u << 5,
  kQTimeRequired = 1u << 6,  // with kQTime
  kQN = 1u << 7,
  kQAuditPatient = 1u << 8,
  kQBatch = 1u << 9,
  kQWriteOptions = 1u << 10,
  kQTag = 1u << 11,
  kQMeasureDef = 1u << 12,  // measure_def, provenance
  kQAuditText = 1u << 13,   // audit_action, audit_detail
  kQCollect = 1u << 14,
  kQTimeZone = 1u << 15,  // time_zone, force, provenance
  kQScan = 1u << 16,      // scan.attribute, scan.parts, scan.min_patients_per_part
};

uint32_t RequestFields(Op op) {
  switch (op) {
    case Op::kHello:
      return kQHello;
    case Op::kApply:
      return kQBatch | kQWriteOptions | kQTag;
    case Op::kRegisterMeasure:
    case Op::kEditMeasure:
      return kQMeasureDef | kQWriteOptions | kQTag;
    case Op::kBulkBegin:
      return kQWriteOptions | kQAuditText;
    case Op::kBulkAdd:
      return kQBatch | kQCollect;
    case Op::kBulkCommit:
      return kQTag | kQCollect;
    case Op::kTrajectory:
      return kQSnapshot | kQPatient | kQMeasure | kQRange;
    case Op::kLatest:
      return kQSnapshot | kQPatient | kQMeasure | kQTime | kQN;
    case Op::kLatestAll:
      return kQSnapshot | kQPatient | kQTime;
    case Op::kVisit:
      return kQSnapshot | kQPatient | kQTime | kQTimeRequired;
    case Op::kHistory:
      return kQSnapshot | kQPatient | kQMeasure | kQTime | kQTimeRequired;
    case Op::kGetPatient:
    case Op::kPatientHistory:
      return kQSnapshot | kQPatient;
    case Op::kListPatients:
    case Op::kSnapshotEnd:
      return kQSnapshot;
    case Op::kGetMeasure:
    case Op::kMeasureHistory:
      return kQMeasure;
    case Op::kForEachSeries:
      return kQSnapshot | kQMeasure;
    case Op::kScanSeries:
      return kQSnapshot | kQMeasure | kQScan;
    case Op::kAuditLog:
      return kQSnapshot | kQAuditPatient;
    case Op::kSetTimeZone:
      return kQTimeZone | kQTag;
    case Op::kGetTimeZone:
    case Op::kBulkAbort:
    case Op::kListMeasures:
    case Op::kCompact:
    case Op::kSnapshotBegin:
    case Op::kCheck:
    case Op::kBackup:
    case Op::kDump:
      return 0;
  }
  return 0;
}

enum ResponseField : uint32_t {
  kAServer = 1u << 0,  // server_pid, server_read_only
  kASummary = 1u << 1,
  kARejections = 1u << 2,
  kAPatient = 1u << 3,
  kAObservations = 1u << 4,
  kAPatients = 1u << 5,
  kAMeasure = 1u << 6,
  kAMeasures = 1u << 7,
  kAAudit = 1u << 8,
  kASnapshot = 1u << 9,
  kACheck = 1u << 10,
  kABackup = 1u << 11,
  kADump = 1u << 12,
  kAChunk = 1u << 13,
  kATimeZone = 1u << 14,
  kASeries = 1u << 15,
};

// The fields of an OK response; for streams, of a frame with `more` as given.
uint32_t ResponseFields(Op op, bool more) {
  switch (op) {
    case Op::kHello:
      return kAServer;
    case Op::kApply:
      return kASummary;
    case Op::kBulkAdd:
      return kARejections;
    case Op::kBulkCommit:
      return kASummary | kARejections;
    case Op::kTrajectory:
    case Op::kLatest:
    case Op::kLatestAll:
    case Op::kVisit:
    case Op::kHistory:
      return kAObservations;
    case Op::kGetPatient:
      return kAPatient;
    case Op::kPatientHistory:
    case Op::kListPatients:
      return kAPatients;
    case Op::kGetMeasure:
      return kAMeasure;
    case Op::kListMeasures:
    case Op::kMeasureHistory:
      return kAMeasures;
    case Op::kForEachSeries:
      return more ? kAPatient | kAObservations : 0;
    case Op::kScanSeries:
      return more ? uint32_t{kASeries} : 0u;
    case Op::kAuditLog:
      return kAAudit;
    case Op::kSnapshotBegin:
      return kASnapshot;
    case Op::kCheck:
      return kACheck;
    case Op::kBackup:
      return kABackup;
    case Op::kDump:
      return more ? kAChunk : kADump;
    case Op::kGetTimeZone:
      return kATimeZone;
    case Op::kSetTimeZone:
    case Op::kRegisterMeasure:
    case Op::kEditMeasure:
    case Op::kBulkBegin:
    case Op::kBulkAbort:
    case Op::kCompact:
    case Op::kSnapshotEnd:
      return 0;
  }
  return 0;
}

}  // namespace

std::string EncodeRequest(const Request& q) {
  WireWriter w;
  w.Enum(q.op);
  const uint32_t f = RequestFields(q.op);
  if (f & kQHello) {
    w.U32(q.protocol);
    w.Str(q.user);
    w.Str(q.key_fingerprint);
    w.I64(q.pid);
    w.Bool(q.read_only);
  }
  if (f & kQSnapshot) w.U64(q.snapshot);
  if (f & kQPatient) w.Str(q.patient);
  if (f & kQMeasure) w.Str(q.measure);
  if (f & kQRange) {
    Put(w, q.range.from);
    Put(w, q.range.to);
  }
  if (f & kQTime) Put(w, q.time);
  if (f & kQN) w.I32(q.n);
  if (f & kQAuditPatient) {
    w.Bool(q.audit_patient.has_value());
    if (q.audit_patient) w.Str(*q.audit_patient);
  }
  if (f & kQBatch) Put(w, q.batch);
  if (f & kQWriteOptions) {
    w.Bool(q.write_options.sync);
    w.Bool(q.write_options.dry_run);
    w.Enum(q.write_options.repeats);
  }
  if (f & kQTag) {
    w.U64(q.tag.client);
    w.U64(q.tag.sequence);
    w.Bool(q.tag.retry);
  }
  if (f & kQMeasureDef) {
    Put(w, q.measure_def);
    Put(w, q.provenance);
  }
  if (f & kQAuditText) {
    w.Str(q.audit_action);
    w.Str(q.audit_detail);
  }
  if (f & kQCollect) w.Bool(q.collect_rejections);
  if (f & kQTimeZone) {
    w.Str(q.time_zone);
    w.Bool(q.force);
    Put(w, q.provenance);
  }
  if (f & kQScan) {
    w.Str(q.scan.attribute);
    w.I32(q.scan.parts);
    w.I64(q.scan.min_patients_per_part);
  }
  return std::move(w).Take();
}

absl::StatusOr<Request> DecodeRequest(absl::string_view payload) {
  WireReader r(payload, "request");
  Request q;
  q.op = r.Enum("op", kLastOp, Op::kHello);
  const uint32_t f = r.ok() ? RequestFields(q.op) : 0;
  if (f & kQHello) {
    q.protocol = r.U32("protocol");
    q.user = r.Str("user");
    q.key_fingerprint = r.Str("key_fingerprint");
    q.pid = r.I64("pid");
    q.read_only = r.Bool("read_only");
  }
  if (f & kQSnapshot) q.snapshot = r.U64("snapshot");
  if (f & kQPatient) q.patient = r.Str("patient");
  if (f & kQMeasure) q.measure = r.Str("measure");
  if (f & kQRange) {
    Get(r, "range.from", &q.range.from);
    Get(r, "range.to", &q.range.to);
  }
  if (f & kQTime) {
    const size_t at = r.offset();
    Get(r, "time", &q.time);
    if ((f & kQTimeRequired) && r.ok() && !q.time) {
      r.Fail("time", at, absl::StrCat("absent, but ", OpName(q.op), " needs it"));
    }
  }
  if (f & kQN) q.n = r.I32("n");
  if (f & kQAuditPatient) {
    if (r.Bool("audit_patient")) q.audit_patient = r.Str("audit_patient");
  }
  if (f & kQBatch) Get(r, &q.batch);
  if (f & kQWriteOptions) {
    q.write_options.sync = r.Bool("write_options.sync");
    q.write_options.dry_run = r.Bool("write_options.dry_run");
    q.write_options.repeats = r.Enum("write_options.repeats", WriteOptions::Repeats::kMean);
  }
  if (f & kQTag) {
    q.tag.client = r.U64("tag.client");
    q.tag.sequence = r.U64("tag.sequence");
    q.tag.retry = r.Bool("tag.retry");
  }
  if (f & kQMeasureDef) {
    Get(r, &q.measure_def);
    Get(r, &q.provenance);
  }
  if (f & kQAuditText) {
    q.audit_action = r.Str("audit_action");
    q.audit_detail = r.Str("audit_detail");
  }
  if (f & kQCollect) q.collect_rejections = r.Bool("collect_rejections");
  if (f & kQTimeZone) {
    q.time_zone = r.Str("time_zone");
    q.force = r.Bool("force");
    Get(r, &q.provenance);
  }
  if (f & kQScan) {
    q.scan.attribute = r.Str("scan.attribute");
    q.scan.parts = r.I32("scan.parts");
    q.scan.min_patients_per_part = r.I64("scan.min_patients_per_part");
  }
  absl::Status status = r.Finish();
  if (!status.ok()) return status;
  return q;
}

std::string EncodeResponse(Op op, const Response& a) {
  WireWriter w;
  Put(w, a.status);
  if (!a.status.ok()) return std::move(w).Take();
  if (IsStreamingOp(op)) w.Bool(a.more);
  const uint32_t f = ResponseFields(op, a.more);
  if (f & kAServer) {
    w.I64(a.server_pid);
    w.Bool(a.server_read_only);
  }
  if (f & kASummary) Put(w, a.summary);
  if (f & kARejections) Put(w, a.rejections);
  if (f & kAPatient) Put(w, a.patient);
  if (f & kAObservations) Put(w, a.observations);
  if (f & kAPatients) Put(w, a.patients);
  if (f & kAMeasure) Put(w, a.measure);
  if (f & kAMeasures) Put(w, a.measures);
  if (f & kAAudit) Put(w, a.audit);
  if (f & kASnapshot) w.U64(a.snapshot);
  if (f & kACheck) Put(w, a.check);
  if (f & kABackup) Put(w, a.backup);
  if (f & kADump) Put(w, a.dump);
  if (f & kAChunk) w.Str(a.chunk);
  if (f & kATimeZone) w.Str(a.time_zone);
  if (f & kASeries) Put(w, a.series);
  return std::move(w).Take();
}

absl::StatusOr<Response> DecodeResponse(Op op, absl::string_view payload) {
  WireReader r(payload, "response");
  if (static_cast<uint8_t>(op) < static_cast<uint8_t>(Op::kHello) ||
      static_cast<uint8_t>(op) > static_cast<uint8_t>(kLastOp)) {
    r.Fail("op", 0, absl::StrCat("unknown op ", static_cast<int>(op)));
    return r.Finish();
  }
  Response a;
  Get(r, &a.status);
  if (!r.ok() || !a.status.ok()) {
    absl::Status status = r.Finish();
    if (!status.ok()) return status;
    return a;
  }
  if (IsStreamingOp(op)) a.more = r.Bool("more");
  const uint32_t f = r.ok() ? ResponseFields(op, a.more) : 0;
  if (f & kAServer) {
    a.server_pid = r.I64("server_pid");
    a.server_read_only = r.Bool("server_read_only");
  }
  if (f & kASummary) Get(r, &a.summary);
  if (f & kARejections) Get(r, "rejections", &a.rejections);
  if (f & kAPatient) Get(r, &a.patient);
  if (f & kAObservations) Get(r, "observations", &a.observations);
  if (f & kAPatients) Get(r, "patients", &a.patients);
  if (f & kAMeasure) Get(r, &a.measure);
  if (f & kAMeasures) Get(r, "measures", &a.measures);
  if (f & kAAudit) Get(r, "audit", &a.audit);
  if (f & kASnapshot) a.snapshot = r.U64("snapshot");
  if (f & kACheck) Get(r, &a.check);
  if (f & kABackup) Get(r, &a.backup);
  if (f & kADump) Get(r, &a.dump);
  if (f & kAChunk) a.chunk = r.Str("chunk");
  if (f & kATimeZone) a.time_zone = r.Str("time_zone");
  if (f & kASeries) Get(r, &a.series);
  absl::Status status = r.Finish();
  if (!status.ok()) return status;
  return a;
}

}  // namespace cotrack::rpc

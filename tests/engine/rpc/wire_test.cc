#include "rpc/wire.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack::rpc {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// ---- Printers of every field, written independently of the codec: two
// values print the same only when every field is equal (doubles by their
// bits, so NaN payloads and -0.0 count). ----

// Declared up front so that the vector and optional printers find them.
std::string Show(double v);
std::string Show(int v);
std::string Show(const std::string& s);
std::string Show(const CivilTime& t);
std::string Show(const Provenance& p);
std::string Show(const ObservationInput& o);
std::string Show(const Observation& o);
std::string Show(const Patient& p);
std::string Show(const UnitConversion& u);
std::string Show(const ItemDefinition& d);
std::string Show(const Subscale& s);
std::string Show(const MeasureDefinition& m);
std::string Show(const Batch::Retraction& x);
std::string Show(const Rejection& x);
std::string Show(const AuditRecord& a);
std::string Show(const CheckProblem& p);
std::string Show(const SeriesPatient& p);
std::string Show(const SeriesValue& v);

std::string Show(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return absl::StrCat(v, "#", absl::Hex(bits));
}
std::string Show(int v) { return absl::StrCat(v); }
std::string Show(const std::string& s) { return absl::StrCat("\"", s, "\""); }
std::string Show(const CivilTime& t) {
  return absl::StrCat(t.seconds, t.precision == TimePrecision::kDate ? "d" : "t");
}
template <typename T>
std::string Show(const std::optional<T>& v) {
  return v ? Show(*v) : "none";
}
template <typename T>
std::string Show(const std::vector<T>& v) {
  std::vector<std::string> parts;
  for (const T& x : v) parts.push_back(Show(x));
  return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
}
std::string Show(const Provenance& p) {
  return absl::StrCat("prov{", p.source, ",", p.line, ",", p.user, ",", p.reason, "}");
}
std::string Show(const ObservationInput& o) {
  return absl::StrCat("in{", o.patient, ",", o.measure, ",", Show(o.time), ",", Show(o.value), ",",
                      o.value_from_items, ",", o.unit, ",", static_cast<int>(o.comparator), ",",
                      Show(o.items), ",", o.visit, ",", o.original_value, ",", Show(o.provenance),
                      "}");
}
std::string Show(const Observation& o) {
  return absl::StrCat("obs{", o.patient, ",", o.measure, ",", Show(o.time), ",", Show(o.value), ",",
                      o.unit, ",", static_cast<int>(o.comparator), ",", o.original_value, ",",
                      o.original_unit, ",", Show(o.items), ",", o.visit, ",",
                      static_cast<int>(o.status), ",", o.version, ",", o.recorded_at_us, ",",
                      Show(o.provenance), "}");
}
std::string Show(const Patient& p) {
  std::vector<std::string> attributes;
  for (const auto& [k, v] : p.attributes) attributes.push_back(absl::StrCat(k, "=", v));
  return absl::StrCat("patient{", p.id, ",", p.arm, ",", Show(p.index_date), ",",
                      Show(p.treatment_dates), ",", absl::StrJoin(attributes, ";"), ",", p.version,
                      ",", p.recorded_at_us, ",", Show(p.provenance), "}");
}
std::string Show(const UnitConversion& u) {
  return absl::StrCat(u.unit, "*", Show(u.factor), "+", Show(u.offset));
}
std::string Show(const ItemDefinition& d) {
  return absl::StrCat(d.name, ":", Show(d.min), "..", Show(d.max));
}
std::string Show(const Subscale& s) { return absl::StrCat(s.name, Show(s.items)); }
std::string Show(const MeasureDefinition& m) {
  return absl::StrCat("measure{", m.code, ",", m.name, ",", m.unit, ",", Show(m.min), ",",
                      Show(m.max), ",", Show(m.step), ",", m.integer, ",", Show(m.allowed_values),
                      ",", static_cast<int>(m.direction), ",", Show(m.change_threshold), ",",
                      Show(m.units), ",", m.item_count, ",", Show(m.item_min), ",",
                      Show(m.item_max), ",", m.items_sum_to_total, ",", Show(m.named_items), ",",
                      Show(m.subscales), ",", m.censorable, ",", Show(m.loinc), ",", m.builtin, ",",
                      m.description, "}");
}
std::string Show(const Batch::Retraction& x) {
  return absl::StrCat("retract{", x.patient, ",", x.measure, ",", Show(x.time), ",",
                      Show(x.provenance), "}");
}
std::string Show(const Batch& b) {
  return absl::StrCat("batch{", Show(b.patients()), ",", Show(b.observations()), ",",
                      Show(b.retractions()), ",", b.audit_action(), ",", b.audit_detail(), "}");
}
std::string Show(const WriteSummary& s) {
  return absl::StrCat("summary{", s.written, ",", s.corrected, ",", s.unchanged, ",", s.retracted,
                      ",", s.patients, "}");
}
std::string Show(const Rejection& x) {
  return absl::StrCat("reject{", Show(x.provenance), ",", x.message, ",", x.change, ",",
                      static_cast<int>(x.code), "}");
}
std::string Show(const AuditRecord& a) {
  return absl::StrCat("audit{", a.sequence, ",", a.at_us, ",", a.action, ",", a.patient, ",",
                      Show(a.patients), ",", a.detail, ",", Show(a.provenance), ",",
                      Show(a.summary), "}");
}
std::string Show(const CheckProblem& p) {
  return absl::StrCat("problem{", p.family, ",", p.key, ",", p.patient, ",", p.message, "}");
}
std::string Show(const CheckReport& c) {
  return absl::StrCat("check{", c.table_files, ",", c.patients, ",", c.patient_versions, ",",
                      c.measures, ",", c.series, ",", c.observations, ",", c.versions, ",",
                      c.audit_entries, ",", Show(c.problems), ",", c.problems_not_listed, "}");
}
std::string Show(const BackupInfo& b) {
  return absl::StrCat("backup{", b.id, ",", b.created_unix_seconds, ",", b.size_bytes, ",",
                      b.file_count, ",", b.error, "}");
}
std::string Show(const DumpSummary& d) {
  return absl::StrCat("dump{", d.measures, ",", d.patients, ",", d.patient_versions, ",",
                      d.observation_versions, ",", d.audit_entries, "}");
}
std::string Show(const SeriesPatient& p) {
  return absl::StrCat("lean{", p.id, ",", p.arm, ",", Show(p.index_date), ",", Show(p.attribute),
                      "}");
}
std::string Show(const SeriesValue& v) {
  return absl::StrCat(Show(v.time), "=", static_cast<int>(v.comparator), Show(v.value));
}
std::string Show(const SeriesFrame& f) {
  return absl::StrCat("frame{", f.part, ",", Show(f.patients), ",", absl::StrJoin(f.ends, ";"), ",",
                      Show(f.values), "}");
}
std::string Show(const Reader::SeriesScanOptions& o) {
  return absl::StrCat("scan{", o.attribute, ",", o.parts, ",", o.min_patients_per_part, "}");
}
std::string Show(const TimeRange& r) { return absl::StrCat(Show(r.from), "..", Show(r.to)); }
std::string Show(const WriteOptions& o) { return absl::StrCat(o.sync, ",", o.dry_run); }
std::string Show(const WriteTag& t) {
  return absl::StrCat(t.client, ",", t.sequence, ",", t.retry);
}
std::string Show(const absl::Status& s) { return s.ToString(); }
template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
std::string Show(T v) {
  return absl::StrCat(v);
}

// ---- Samples with every field set to something other than its default. ----

double NanWithPayload() {
  const uint64_t bits = 0x7ff8000000000123;
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

Provenance Prov(const std::string& tag) { return {tag + ".csv", 42, "alice-" + tag, "why-" + tag}; }

ObservationInput SampleInput() {
  ObservationInput o;
  o.patient = "P-001";
  o.measure = "ais";
  o.time = CivilTime{-86400 * 400 + 3600, TimePrecision::kDateTime};  // before 1970
  o.value = -0.0;
  o.value_from_items = true;
  o.unit = "points";
  o.comparator = Comparator::kGreater;
  o.items = {1, NanWithPayload(), -0.0, std::numeric_limits<double>::infinity(), 2.5};
  o.visit = "M6";
  o.original_value = ">3";
  o.provenance = Prov("input");
  return o;
}

Observation SampleObservation() {
  Observation o;
  o.patient = "P-002";
  o.measure = "il4";
  o.time = CivilTime{86400 * 19723, TimePrecision::kDate};
  o.value = 0.5;
  o.unit = "pg/mL";
  o.comparator = Comparator::kLessEqual;
  o.original_value = "<=0.5";
  o.original_unit = "ng/L";
  o.items = {3, NanWithPayload()};
  o.visit = "M12";
  o.status = ObservationStatus::kEnteredInError;
  o.version = 4;
  o.recorded_at_us = 1700000000123456;
  o.provenance = Prov("obs");
  return o;
}

Patient SamplePatient() {
  Patient p;
  p.id = "P-003";
  p.arm = "AHSCT";
  p.index_date = CivilTime::FromDay(18000);
  p.treatment_dates = {CivilTime::FromDay(18100),
                       CivilTime{86400 * 18200 + 60, TimePrecision::kDateTime}};
  p.attributes = {{"sex", "F"}, {"diagnosis", "RRMS"}};
  p.version = 2;
  p.recorded_at_us = 1600000000000001;
  p.provenance = Prov("patient");
  return p;
}

MeasureDefinition SampleMeasure() {
  MeasureDefinition m;
  m.code = "mfis";
  m.name = "Modified Fatigue Impact Scale";
  m.unit = "points";
  m.min = -1;
  m.max = 84;
  m.step = 0.5;
  m.integer = true;
  m.allowed_values = {0, 1.5, -0.0};
  m.direction = Direction::kHigherIsBetter;
  m.change_threshold = 4;
  m.units = {{"mmol/mol", 0.0915, 2.15}, {"x", 2, -1}};
  m.item_count = 21;
  m.item_min = 1;
  m.item_max = 4;
  m.items_sum_to_total = true;
  m.named_items = {{"pyramidal", 0, 6}, {"visual", 0.5, 6.5}};
  m.subscales = {{"physical", {4, 6, 7}}, {"cognitive", {1, -2}}};
  m.censorable = true;
  m.loinc = {"4548-4", "17856-6"};
  m.builtin = true;
  m.description = "Fisk et al. 1994";
  return m;
}

Batch SampleBatch() {
  Batch b;
  b.PutPatient(SamplePatient());
  b.Record(SampleInput());
  ObservationInput second = SampleInput();
  second.measure = "edss";
  second.items.clear();
  b.Record(second);
  b.Retract("P-004", "edss", CivilTime::FromDay(19000), Prov("retract"));
  b.SetAudit("import", "visits.csv");
  return b;
}

Rejection SampleRejection() {
  Rejection x;
  x.provenance = Prov("reject");
  x.message = "visits.csv:3: field \"value\": bad value \"0.5\"";
  x.change = "P-1,edss,2024-01-01,0.5,";
  x.code = absl::StatusCode::kNotFound;
  return x;
}

AuditRecord SampleAudit() {
  AuditRecord a;
  a.sequence = 77;
  a.at_us = 1700000000000000;
  a.action = "import";
  a.patient = "P-001";
  a.patients = {"P-001", "P-002"};
  a.detail = "visits.csv";
  a.provenance = Prov("audit");
  a.summary = {1, 2, 3, 4, 5};
  return a;
}

// Two patients, one with every optional field and three values (a
// date-time, a censored one, odd doubles), one with none and no values.
SeriesFrame SampleFrame() {
  SeriesFrame f;
  f.part = 3;
  f.patients.push_back({"P-010", "AHSCT", CivilTime::FromDay(18000), std::string("north")});
  f.patients.push_back({"P-011", "", std::nullopt, std::nullopt});
  f.patients.push_back({"P-012", "x", CivilTime::FromDay(-3), std::string()});
  f.values = {{CivilTime::FromDay(18001), 2.5, Comparator::kNone},
              {CivilTime{86400 * 18100 + 61, TimePrecision::kDateTime}, -0.0, Comparator::kLess},
              {CivilTime::FromDay(18200), NanWithPayload(), Comparator::kGreater}};
  f.ends = {2, 2, 3};
  return f;
}

Request FullRequest(Op op) {
  Request q;
  q.op = op;
  q.protocol = 7;
  q.user = "bob";
  q.key_fingerprint = "ab12";
  q.pid = -4321;
  q.read_only = true;
  q.snapshot = 0x0102030405060708;
  q.patient = "P-001";
  q.measure = "edss";
  q.range = {CivilTime::FromDay(-5), CivilTime{86400 * 20000 + 1, TimePrecision::kDateTime}};
  q.time = CivilTime{86400 * 19000 + 7200, TimePrecision::kDateTime};
  q.n = -3;
  q.audit_patient = "P-009";
  q.batch = SampleBatch();
  q.write_options.sync = false;
  q.write_options.dry_run = true;
  q.tag = {11, 12, true};
  q.measure_def = SampleMeasure();
  q.provenance = Prov("register");
  q.audit_action = "load";
  q.audit_detail = "dump.ndjson";
  q.collect_rejections = true;
  q.time_zone = "Europe/Berlin";
  q.force = true;
  q.scan.attribute = "site";
  q.scan.parts = 3;
  q.scan.min_patients_per_part = -17;
  return q;
}

Response FullResponse(bool more) {
  Response a;
  a.server_pid = 9876;
  a.server_read_only = true;
  a.summary = {10, 20, 30, 40, 50};
  a.rejections = {SampleRejection(), SampleRejection()};
  a.rejections[1].code = absl::StatusCode::kInvalidArgument;
  a.observations = {SampleObservation(), Observation{}};
  a.patient = SamplePatient();
  a.patients = {SamplePatient(), Patient{}};
  a.measure = SampleMeasure();
  a.measures = {SampleMeasure(), MeasureDefinition{}};
  a.audit = {SampleAudit()};
  a.snapshot = 99;
  a.check.table_files = 1;
  a.check.patients = 2;
  a.check.patient_versions = 3;
  a.check.measures = 4;
  a.check.series = 5;
  a.check.observations = 6;
  a.check.versions = 7;
  a.check.audit_entries = 8;
  a.check.problems = {{"series", "key\x01", "P-1", "bad crc"}, {"audit", "", "", "gap"}};
  a.check.problems_not_listed = 9;
  a.backup = {3, 1700000000, 1ull << 40, 17, "checksum mismatch"};
  a.dump = {1, 2, 3, 4, 5};
  a.chunk = std::string("{\"kind\":\"patient\"}\n\0x", 21);
  a.time_zone = "America/Los_Angeles";
  a.series = SampleFrame();
  a.more = more;
  return a;
}

std::vector<Op> AllOps() {
  std::vector<Op> ops;
  for (int i = 1; i <= static_cast<int>(kLastOp); ++i) ops.push_back(static_cast<Op>(i));
  return ops;
}

bool In(Op op, std::initializer_list<Op> ops) {
  for (Op o : ops) {
    if (o == op) return true;
  }
  return false;
}

// The spec's table of which request fields each op carries: a used field
// must come back as sent, any other as its default (it was not encoded).
#define EXPECT_REQUEST_FIELD(field, ...)                                             \
  EXPECT_EQ(Show(got.field), Show(In(op, {__VA_ARGS__}) ? want.field : blank.field)) \
      << OpName(op) << ": " #field

void ExpectRequestFields(Op op, const Request& got, const Request& want) {
  using O = Op;
  const Request blank;
  EXPECT_EQ(got.op, op);
  EXPECT_REQUEST_FIELD(protocol, O::kHello);
  EXPECT_REQUEST_FIELD(user, O::kHello);
  EXPECT_REQUEST_FIELD(key_fingerprint, O::kHello);
  EXPECT_REQUEST_FIELD(pid, O::kHello);
  EXPECT_REQUEST_FIELD(read_only, O::kHello);
  EXPECT_REQUEST_FIELD(snapshot, O::kTrajectory, O::kLatest, O::kLatestAll, O::kVisit, O::kHistory,
                       O::kGetPatient, O::kPatientHistory, O::kListPatients, O::kForEachSeries,
                       O::kScanSeries, O::kAuditLog, O::kSnapshotEnd);
  EXPECT_REQUEST_FIELD(patient, O::kTrajectory, O::kLatest, O::kLatestAll, O::kVisit, O::kHistory,
                       O::kGetPatient, O::kPatientHistory);
  EXPECT_REQUEST_FIELD(measure, O::kTrajectory, O::kLatest, O::kHistory, O::kGetMeasure,
                       O::kForEachSeries, O::kScanSeries, O::kMeasureHistory);
  EXPECT_REQUEST_FIELD(scan, O::kScanSeries);
  EXPECT_REQUEST_FIELD(range, O::kTrajectory);
  EXPECT_REQUEST_FIELD(time, O::kLatest, O::kLatestAll, O::kVisit, O::kHistory);
  EXPECT_REQUEST_FIELD(n, O::kLatest);
  EXPECT_REQUEST_FIELD(audit_patient, O::kAuditLog);
  EXPECT_REQUEST_FIELD(batch, O::kApply, O::kBulkAdd);
  EXPECT_REQUEST_FIELD(write_options, O::kApply, O::kRegisterMeasure, O::kEditMeasure,
                       O::kBulkBegin);
  EXPECT_REQUEST_FIELD(tag, O::kApply, O::kRegisterMeasure, O::kEditMeasure, O::kBulkCommit,
                       O::kSetTimeZone);
  EXPECT_REQUEST_FIELD(measure_def, O::kRegisterMeasure, O::kEditMeasure);
  EXPECT_REQUEST_FIELD(provenance, O::kRegisterMeasure, O::kEditMeasure, O::kSetTimeZone);
  EXPECT_REQUEST_FIELD(time_zone, O::kSetTimeZone);
  EXPECT_REQUEST_FIELD(force, O::kSetTimeZone);
  EXPECT_REQUEST_FIELD(audit_action, O::kBulkBegin);
  EXPECT_REQUEST_FIELD(audit_detail, O::kBulkBegin);
  EXPECT_REQUEST_FIELD(collect_rejections, O::kBulkAdd, O::kBulkCommit);
}

#define EXPECT_RESPONSE_FIELD(field, used) \
  EXPECT_EQ(Show(got.field), Show((used) ? want.field : blank.field)) << OpName(op) << ": " #field

void ExpectResponseFields(Op op, const Response& got, const Response& want) {
  using O = Op;
  const Response blank;
  const bool more = IsStreamingOp(op) && want.more;
  EXPECT_RESPONSE_FIELD(status, true);
  EXPECT_RESPONSE_FIELD(server_pid, op == O::kHello);
  EXPECT_RESPONSE_FIELD(server_read_only, op == O::kHello);
  EXPECT_RESPONSE_FIELD(summary, In(op, {O::kApply, O::kBulkCommit}));
  EXPECT_RESPONSE_FIELD(rejections, In(op, {O::kBulkAdd, O::kBulkCommit}));
  EXPECT_RESPONSE_FIELD(
      observations, In(op, {O::kTrajectory, O::kLatest, O::kLatestAll, O::kVisit, O::kHistory}) ||
                        (op == O::kForEachSeries && more));
  EXPECT_RESPONSE_FIELD(patient, op == O::kGetPatient || (op == O::kForEachSeries && more));
  EXPECT_RESPONSE_FIELD(patients, In(op, {O::kPatientHistory, O::kListPatients}));
  EXPECT_RESPONSE_FIELD(measure, op == O::kGetMeasure);
  EXPECT_RESPONSE_FIELD(measures, op == O::kListMeasures || op == O::kMeasureHistory);
  EXPECT_RESPONSE_FIELD(audit, op == O::kAuditLog);
  EXPECT_RESPONSE_FIELD(snapshot, op == O::kSnapshotBegin);
  EXPECT_RESPONSE_FIELD(check, op == O::kCheck);
  EXPECT_RESPONSE_FIELD(backup, op == O::kBackup);
  EXPECT_RESPONSE_FIELD(dump, op == O::kDump && !more);
  EXPECT_RESPONSE_FIELD(chunk, op == O::kDump && more);
  EXPECT_RESPONSE_FIELD(time_zone, op == O::kGetTimeZone);
  EXPECT_RESPONSE_FIELD(series, op == O::kScanSeries && more);
  EXPECT_RESPONSE_FIELD(more, more);
}

std::string Le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}
// The message of a payload that ends early: a read or a count that needs
// more bytes than are left, never anything read past the end. Each prefix is
// its own exact-size heap copy, so sanitizer builds see any read past it.
::testing::Matcher<std::string> Truncated(const std::string& what) {
  return AllOf(HasSubstr("malformed " + what + ": "), HasSubstr(" at offset "), HasSubstr(" left"),
               Not(HasSubstr("trailing")));
}

// An OK status on the wire: code 0, empty message.
const std::string kOkStatus = std::string(1, '\0') + Le32(0);

// ---- Requests ----

TEST(WireRequestTest, EveryOpRoundTripsTheFieldsItUsesAndOnlyThose) {
  for (Op op : AllOps()) {
    SCOPED_TRACE(OpName(op));
    const Request want = FullRequest(op);
    const std::string bytes = EncodeRequest(want);
    ASSERT_EQ(static_cast<uint8_t>(bytes[0]), static_cast<uint8_t>(op));
    ASSERT_OK_AND_ASSIGN(Request got, DecodeRequest(bytes));
    ExpectRequestFields(op, got, want);
    EXPECT_EQ(EncodeRequest(got), bytes);
  }
}

TEST(WireRequestTest, BatchKeepsEveryPartAndDoublesBitForBit) {
  ASSERT_OK_AND_ASSIGN(Request got, DecodeRequest(EncodeRequest(FullRequest(Op::kApply))));
  const Batch& b = got.batch;
  ASSERT_EQ(b.patients().size(), 1u);
  EXPECT_EQ(b.patients()[0].attributes.at("diagnosis"), "RRMS");
  ASSERT_TRUE(b.patients()[0].index_date.has_value());
  EXPECT_EQ(*b.patients()[0].index_date, CivilTime::FromDay(18000));
  ASSERT_EQ(b.observations().size(), 2u);
  const ObservationInput& o = b.observations()[0];
  EXPECT_TRUE(o.value_from_items);
  EXPECT_EQ(o.value, 0.0);
  EXPECT_TRUE(std::signbit(o.value));  // -0.0 stays negative
  EXPECT_EQ(o.comparator, Comparator::kGreater);
  EXPECT_EQ(o.original_value, ">3");
  EXPECT_EQ(o.provenance.reason, "why-input");
  ASSERT_EQ(o.items.size(), 5u);
  EXPECT_TRUE(std::isnan(o.items[1]));
  uint64_t bits;
  std::memcpy(&bits, &o.items[1], sizeof bits);
  EXPECT_EQ(bits, 0x7ff8000000000123u);
  EXPECT_TRUE(std::signbit(o.items[2]));
  EXPECT_TRUE(std::isinf(o.items[3]));
  EXPECT_TRUE(b.observations()[1].items.empty());
  ASSERT_EQ(b.retractions().size(), 1u);
  EXPECT_EQ(b.retractions()[0].patient, "P-004");
  EXPECT_EQ(b.retractions()[0].provenance.reason, "why-retract");
  EXPECT_EQ(b.audit_action(), "import");
  EXPECT_EQ(b.audit_detail(), "visits.csv");
  EXPECT_EQ(got.tag.client, 11u);
  EXPECT_TRUE(got.tag.retry);
  EXPECT_FALSE(got.write_options.sync);
  EXPECT_TRUE(got.write_options.dry_run);
}

TEST(WireRequestTest, RegisterMeasureKeepsEveryPartOfTheDefinition) {
  ASSERT_OK_AND_ASSIGN(Request got,
                       DecodeRequest(EncodeRequest(FullRequest(Op::kRegisterMeasure))));
  const MeasureDefinition& m = got.measure_def;
  EXPECT_EQ(m.description, "Fisk et al. 1994");
  ASSERT_EQ(m.units.size(), 2u);
  EXPECT_EQ(m.units[0].offset, 2.15);
  ASSERT_EQ(m.subscales.size(), 2u);
  EXPECT_EQ(m.subscales[1].items, (std::vector<int>{1, -2}));
  ASSERT_EQ(m.named_items.size(), 2u);
  EXPECT_EQ(m.named_items[1].min, 0.5);
  EXPECT_EQ(m.loinc, (std::vector<std::string>{"4548-4", "17856-6"}));
  EXPECT_EQ(m.direction, Direction::kHigherIsBetter);
  EXPECT_TRUE(m.builtin);
  EXPECT_EQ(got.provenance.line, 42);
}

TEST(WireRequestTest, DefaultRequestsRoundTripToo) {
  for (Op op : AllOps()) {
    SCOPED_TRACE(OpName(op));
    Request want;
    want.op = op;
    if (In(op, {Op::kVisit, Op::kHistory})) want.time = CivilTime::FromDay(0);
    const std::string bytes = EncodeRequest(want);
    ASSERT_OK_AND_ASSIGN(Request got, DecodeRequest(bytes));
    ExpectRequestFields(op, got, want);
    EXPECT_EQ(EncodeRequest(got), bytes);
  }
}

TEST(WireRequestTest, EveryProperPrefixIsRejected) {
  for (Op op : AllOps()) {
    SCOPED_TRACE(OpName(op));
    const std::string bytes = EncodeRequest(FullRequest(op));
    for (size_t n = 0; n < bytes.size(); ++n) {
      const std::vector<char> prefix(bytes.begin(), bytes.begin() + n);
      ASSERT_THAT(DecodeRequest(absl::string_view(prefix.data(), n)),
                  StatusIs(absl::StatusCode::kInvalidArgument, Truncated("request")))
          << "prefix of " << n << " of " << bytes.size() << " bytes";
    }
  }
}

TEST(WireRequestTest, UnknownOpIsRejected) {
  for (std::string bytes : {std::string(1, '\0'), std::string(1, '\x1f'), std::string("\xff")}) {
    EXPECT_THAT(DecodeRequest(bytes), StatusIs(absl::StatusCode::kInvalidArgument,
                                               AllOf(HasSubstr("malformed request: op at offset 0"),
                                                     HasSubstr("is not one of 1..30"))));
  }
  EXPECT_THAT(DecodeRequest(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("op at offset 0: needs 1 bytes, 0 left")));
  EXPECT_STREQ(OpName(static_cast<Op>(0)), "unknown");
  EXPECT_STREQ(OpName(static_cast<Op>(31)), "unknown");
}

TEST(WireRequestTest, HugeClaimedLengthsAndCountsAreRejectedBeforeAllocating) {
  // kHello: op, protocol, then the user's length.
  const std::string hello = "\x01" + Le32(1) + Le32(0xFFFFFFFF) + "abc";
  EXPECT_THAT(DecodeRequest(hello),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("user at offset 5"), HasSubstr("needs 4294967295 bytes"))));
  // kApply: op, then the batch's patient count.
  EXPECT_THAT(DecodeRequest("\x02" + Le32(0xFFFFFFFF) + "abc"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("batch.patients at offset 1"),
                             HasSubstr("count 4294967295 cannot fit in the 3 bytes left"))));
}

TEST(WireRequestTest, BoolByteOtherThanZeroOrOneIsRejected) {
  std::string bytes = EncodeRequest(FullRequest(Op::kHello));
  ASSERT_EQ(bytes.back(), '\x01');  // read_only, the last field
  bytes.back() = '\x02';
  EXPECT_THAT(DecodeRequest(bytes),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("read_only at offset " + std::to_string(bytes.size() - 1)),
                             HasSubstr("bool byte 2 (expected 0 or 1)"))));
}

TEST(WireRequestTest, BadTimePrecisionIsRejected) {
  std::string bytes = EncodeRequest(FullRequest(Op::kVisit));
  ASSERT_EQ(bytes.back(), '\x01');  // the time's precision (kDateTime), the last field
  bytes.back() = '\x02';
  EXPECT_THAT(DecodeRequest(bytes), StatusIs(absl::StatusCode::kInvalidArgument,
                                             AllOf(HasSubstr("time at offset"),
                                                   HasSubstr("value 2 is not one of 0..1"))));
}

TEST(WireRequestTest, BadComparatorInABatchIsRejected) {
  Request q = FullRequest(Op::kBulkAdd);
  Batch b;
  ObservationInput o = SampleInput();
  o.unit = "UNIT-MARK";
  b.Record(o);
  q.batch = b;
  std::string bytes = EncodeRequest(q);
  const size_t at = bytes.find("UNIT-MARK") + 9;  // the comparator follows the unit
  ASSERT_EQ(bytes[at], static_cast<char>(Comparator::kGreater));
  bytes[at] = '\x05';
  EXPECT_THAT(DecodeRequest(bytes),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("observation.comparator at offset " + std::to_string(at)),
                             HasSubstr("value 5 is not one of 0..4"))));
}

TEST(WireRequestTest, TrailingBytesAreRejected) {
  const std::string bytes = EncodeRequest(FullRequest(Op::kLatest));
  EXPECT_THAT(
      DecodeRequest(bytes + "x"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("end at offset " + std::to_string(bytes.size()) + ": 1 trailing bytes")));
  // An op that carries nothing takes nothing after its byte.
  EXPECT_THAT(DecodeRequest(std::string("\x07\x00", 2)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("trailing bytes")));
}

TEST(WireRequestTest, VisitAndHistoryNeedATime) {
  for (Op op : {Op::kVisit, Op::kHistory}) {
    Request q = FullRequest(op);
    q.time.reset();
    EXPECT_THAT(DecodeRequest(EncodeRequest(q)),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("malformed request: time at offset"),
                               HasSubstr(absl::StrCat("absent, but ", OpName(op), " needs it")))));
  }
  // As-of is optional.
  for (Op op : {Op::kLatest, Op::kLatestAll}) {
    Request q = FullRequest(op);
    q.time.reset();
    ASSERT_OK_AND_ASSIGN(Request got, DecodeRequest(EncodeRequest(q)));
    EXPECT_FALSE(got.time.has_value());
  }
}

TEST(WireRequestTest, AttributeKeysMustAscendStrictly) {
  Request q = FullRequest(Op::kBulkAdd);
  Batch b;
  Patient p = SamplePatient();
  p.attributes = {{"KEY1", "a"}, {"KEY2", "b"}};
  b.PutPatient(p);
  q.batch = b;
  const std::string bytes = EncodeRequest(q);
  const size_t first = bytes.find("KEY1");
  const size_t second = bytes.find("KEY2");
  ASSERT_LT(first, second);
  std::string swapped = bytes;
  swapped[first + 3] = '2';
  swapped[second + 3] = '1';
  std::string duplicate = bytes;
  duplicate[second + 3] = '1';
  for (const std::string& bad : {swapped, duplicate}) {
    EXPECT_THAT(
        DecodeRequest(bad),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 AllOf(HasSubstr("patient.attributes.key at offset " + std::to_string(second - 4)),
                       HasSubstr("keys not strictly ascending"))));
  }
}

// ---- Responses ----

TEST(WireResponseTest, EveryOpRoundTripsTheFieldsItUsesAndOnlyThose) {
  for (Op op : AllOps()) {
    for (bool more : {false, true}) {
      SCOPED_TRACE(absl::StrCat(OpName(op), more ? " (more)" : ""));
      const Response want = FullResponse(more);
      const std::string bytes = EncodeResponse(op, want);
      ASSERT_OK_AND_ASSIGN(Response got, DecodeResponse(op, bytes));
      ExpectResponseFields(op, got, want);
      EXPECT_EQ(EncodeResponse(op, got), bytes);
    }
  }
}

TEST(WireResponseTest, SpotChecksOfNestedFields) {
  ASSERT_OK_AND_ASSIGN(
      Response series,
      DecodeResponse(Op::kForEachSeries, EncodeResponse(Op::kForEachSeries, FullResponse(true))));
  EXPECT_TRUE(series.more);
  EXPECT_EQ(series.patient.arm, "AHSCT");
  ASSERT_EQ(series.patient.treatment_dates.size(), 2u);
  EXPECT_EQ(series.patient.treatment_dates[1].precision, TimePrecision::kDateTime);
  ASSERT_EQ(series.observations.size(), 2u);
  EXPECT_EQ(series.observations[0].status, ObservationStatus::kEnteredInError);
  EXPECT_EQ(series.observations[0].original_unit, "ng/L");
  EXPECT_EQ(series.observations[0].recorded_at_us, 1700000000123456);
  EXPECT_TRUE(std::isnan(series.observations[0].items[1]));

  ASSERT_OK_AND_ASSIGN(
      Response commit,
      DecodeResponse(Op::kBulkCommit, EncodeResponse(Op::kBulkCommit, FullResponse(false))));
  EXPECT_EQ(commit.summary.patients, 50);
  ASSERT_EQ(commit.rejections.size(), 2u);
  EXPECT_EQ(commit.rejections[0].code, absl::StatusCode::kNotFound);
  EXPECT_EQ(commit.rejections[0].change, "P-1,edss,2024-01-01,0.5,");

  ASSERT_OK_AND_ASSIGN(
      Response audit,
      DecodeResponse(Op::kAuditLog, EncodeResponse(Op::kAuditLog, FullResponse(false))));
  ASSERT_EQ(audit.audit.size(), 1u);
  EXPECT_EQ(audit.audit[0].patients, (std::vector<std::string>{"P-001", "P-002"}));
  EXPECT_EQ(audit.audit[0].summary.retracted, 4);

  ASSERT_OK_AND_ASSIGN(Response check,
                       DecodeResponse(Op::kCheck, EncodeResponse(Op::kCheck, FullResponse(false))));
  EXPECT_EQ(check.check.problems_not_listed, 9u);
  ASSERT_EQ(check.check.problems.size(), 2u);
  EXPECT_EQ(check.check.problems[0].key, "key\x01");

  ASSERT_OK_AND_ASSIGN(
      Response backup,
      DecodeResponse(Op::kBackup, EncodeResponse(Op::kBackup, FullResponse(false))));
  EXPECT_EQ(backup.backup.size_bytes, 1ull << 40);
  EXPECT_EQ(backup.backup.error, "checksum mismatch");

  ASSERT_OK_AND_ASSIGN(Response chunk,
                       DecodeResponse(Op::kDump, EncodeResponse(Op::kDump, FullResponse(true))));
  EXPECT_EQ(chunk.chunk.size(), 21u);  // an embedded NUL survives
  ASSERT_OK_AND_ASSIGN(Response last,
                       DecodeResponse(Op::kDump, EncodeResponse(Op::kDump, FullResponse(false))));
  EXPECT_FALSE(last.more);
  EXPECT_EQ(last.dump.audit_entries, 5);
  EXPECT_TRUE(last.chunk.empty());
}

TEST(WireResponseTest, AnErrorCarriesOnlyItsStatus) {
  for (Op op : AllOps()) {
    SCOPED_TRACE(OpName(op));
    Response want = FullResponse(true);
    want.status = absl::NotFoundError("patient \"P-9\" not found");
    const std::string bytes = EncodeResponse(op, want);
    ASSERT_OK_AND_ASSIGN(Response got, DecodeResponse(op, bytes));
    EXPECT_THAT(got.status, StatusIs(absl::StatusCode::kNotFound, "patient \"P-9\" not found"));
    EXPECT_FALSE(got.more);
    EXPECT_TRUE(got.observations.empty());
    EXPECT_EQ(got.server_pid, 0);
    EXPECT_EQ(bytes.size(), 1 + 4 + got.status.message().size());
  }
  // Every code survives, an empty message too.
  for (int code = 0; code <= 16; ++code) {
    Response want;
    want.status = absl::Status(static_cast<absl::StatusCode>(code), code ? "m" : "");
    ASSERT_OK_AND_ASSIGN(Response got,
                         DecodeResponse(Op::kCompact, EncodeResponse(Op::kCompact, want)));
    EXPECT_EQ(got.status, want.status);
  }
  Response empty;
  empty.status = absl::InternalError("");
  ASSERT_OK_AND_ASSIGN(Response got,
                       DecodeResponse(Op::kCompact, EncodeResponse(Op::kCompact, empty)));
  EXPECT_EQ(got.status.code(), absl::StatusCode::kInternal);
}

TEST(WireResponseTest, EveryProperPrefixIsRejected) {
  for (Op op : AllOps()) {
    for (bool more : {false, true}) {
      SCOPED_TRACE(absl::StrCat(OpName(op), more ? " (more)" : ""));
      const std::string bytes = EncodeResponse(op, FullResponse(more));
      for (size_t n = 0; n < bytes.size(); ++n) {
        const std::vector<char> prefix(bytes.begin(), bytes.begin() + n);
        ASSERT_THAT(DecodeResponse(op, absl::string_view(prefix.data(), n)),
                    StatusIs(absl::StatusCode::kInvalidArgument, Truncated("response")))
            << "prefix of " << n << " of " << bytes.size() << " bytes";
      }
    }
  }
}

TEST(WireResponseTest, HugeClaimedCountsAreRejectedBeforeAllocating) {
  EXPECT_THAT(DecodeResponse(Op::kTrajectory, kOkStatus + Le32(0xFFFFFFFF) + "abc"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("malformed response: observations at offset 5"),
                             HasSubstr("count 4294967295 cannot fit in the 3 bytes left"))));
  // Doubles take 8 bytes each: two cannot fit in 8. kGetMeasure: code, name
  // and unit (empty), min, max, step, integer, then allowed_values.
  const std::string measure =
      kOkStatus + Le32(0) + Le32(0) + Le32(0) + std::string(24, '\0') + std::string(1, '\0');
  EXPECT_THAT(DecodeResponse(Op::kGetMeasure, measure + Le32(2) + std::string(8, '\0')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("measure.allowed_values at offset 42"),
                             HasSubstr("count 2 cannot fit in the 8 bytes left"))));
  EXPECT_THAT(DecodeResponse(Op::kGetMeasure, measure + Le32(0xFFFFFFFF)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("count 4294967295 cannot fit in the 0 bytes left")));
  EXPECT_THAT(DecodeResponse(Op::kDump, kOkStatus + "\x01" + Le32(0xFFFFFFF0) + "abc"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("chunk at offset 6"), HasSubstr("3 left"))));
}

TEST(WireResponseTest, BadStatusCodesAndEnumsAreRejected) {
  EXPECT_THAT(DecodeResponse(Op::kCompact, "\x11" + Le32(0)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("status.code at offset 0"),
                             HasSubstr("value 17 is not one of 0..16"))));
  EXPECT_THAT(DecodeResponse(Op::kCompact, kOkStatus.substr(0, 1) + Le32(2) + "hi"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("status.message at offset 1"),
                             HasSubstr("an OK status has no message"))));

  Response bulk;
  bulk.rejections = {SampleRejection()};
  std::string bytes = EncodeResponse(Op::kBulkAdd, bulk);
  ASSERT_EQ(bytes.back(), static_cast<char>(absl::StatusCode::kNotFound));  // the last field
  bytes.back() = '\x11';
  EXPECT_THAT(DecodeResponse(Op::kBulkAdd, bytes),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("rejection.code"), HasSubstr("value 17"))));

  Response trajectory;
  trajectory.observations = {SampleObservation()};
  trajectory.observations[0].visit = "VISIT-MARK";
  bytes = EncodeResponse(Op::kTrajectory, trajectory);
  const size_t at = bytes.find("VISIT-MARK") + 10;  // the status follows the visit
  ASSERT_EQ(bytes[at], static_cast<char>(ObservationStatus::kEnteredInError));
  bytes[at] = '\x03';
  EXPECT_THAT(DecodeResponse(Op::kTrajectory, bytes),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("observation.status at offset " + std::to_string(at)),
                             HasSubstr("value 3 is not one of 0..2"))));

  Response measure;
  measure.measure.direction = Direction::kHigherIsWorse;
  measure.measure.allowed_values = {7};
  bytes = EncodeResponse(Op::kGetMeasure, measure);
  const size_t direction = kOkStatus.size() + 12 + 24 + 1 + 4 + 8;
  ASSERT_EQ(bytes[direction], static_cast<char>(Direction::kHigherIsWorse));
  bytes[direction] = '\x03';
  EXPECT_THAT(DecodeResponse(Op::kGetMeasure, bytes),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("measure.direction"), HasSubstr("value 3"))));
}

TEST(WireResponseTest, StreamFlagAndTrailingBytesAreChecked) {
  EXPECT_THAT(DecodeResponse(Op::kForEachSeries, kOkStatus + "\x02"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("more at offset 5"), HasSubstr("bool byte 2"))));
  // The last frame of a series stream carries nothing after the flag.
  EXPECT_OK(DecodeResponse(Op::kForEachSeries, kOkStatus + std::string(1, '\0')));
  EXPECT_THAT(
      DecodeResponse(Op::kForEachSeries, kOkStatus + std::string(1, '\0') + "z"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("end at offset 6: 1 trailing bytes")));
  EXPECT_THAT(
      DecodeResponse(Op::kCompact, "\x05" + Le32(1) + "xy"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("end at offset 6: 1 trailing bytes")));
  EXPECT_THAT(DecodeResponse(static_cast<Op>(0), kOkStatus),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown op 0")));
}

TEST(WireOpTest, NamesAreDistinctAndOnlyStreamsStream) {
  std::set<std::string> names;
  for (Op op : AllOps()) {
    EXPECT_STRNE(OpName(op), "unknown");
    names.insert(OpName(op));
    EXPECT_EQ(IsStreamingOp(op),
              op == Op::kForEachSeries || op == Op::kScanSeries || op == Op::kDump)
        << OpName(op);
  }
  EXPECT_EQ(names.size(), AllOps().size());
  EXPECT_STREQ(OpName(Op::kRegisterMeasure), "register-measure");
}

// Protocol 4 added the lean scan; protocol 3's ops are unchanged in it.
TEST(WireOpTest, OnlyTheLeanScanIsNewInProtocol4) {
  EXPECT_EQ(kProtocolVersion, 4u);
  EXPECT_EQ(kMinProtocolVersion, 3u);
  for (Op op : AllOps()) {
    EXPECT_EQ(OpSince(op), op == Op::kScanSeries ? 4u : 3u) << OpName(op);
  }
  EXPECT_EQ(NewestProtocol(), kProtocolVersion);
  SetNewestProtocolForTesting(3);
  EXPECT_EQ(NewestProtocol(), 3u);
  SetNewestProtocolForTesting(0);
  EXPECT_EQ(NewestProtocol(), kProtocolVersion);
}

TEST(WireResponseTest, ALeanScanFrameKeepsEveryPatientAndValue) {
  Response want;
  want.more = true;
  want.series = SampleFrame();
  const std::string bytes = EncodeResponse(Op::kScanSeries, want);
  // Status, more, part, count; three patients; 18 bytes per value.
  EXPECT_EQ(bytes.size(), kOkStatus.size() + 1 + 4 + 4 + (4 + 5 + 4 + 5 + 1 + 9 + 1 + 4 + 5 + 4) +
                              (4 + 5 + 4 + 0 + 1 + 1 + 4) +
                              (4 + 5 + 4 + 1 + 1 + 9 + 1 + 4 + 0 + 4) + 3 * 18);
  ASSERT_OK_AND_ASSIGN(Response got, DecodeResponse(Op::kScanSeries, bytes));
  EXPECT_EQ(Show(got.series), Show(want.series));
  EXPECT_TRUE(got.more);
  EXPECT_EQ(got.series.part, 3);
  ASSERT_EQ(got.series.patients.size(), 3u);
  EXPECT_EQ(got.series.patients[0].attribute, std::optional<std::string>("north"));
  EXPECT_FALSE(got.series.patients[1].attribute.has_value());
  EXPECT_EQ(got.series.patients[2].attribute, std::optional<std::string>(""));
  EXPECT_EQ(got.series.ends, (std::vector<uint32_t>{2, 2, 3}));
  EXPECT_TRUE(std::signbit(got.series.values[1].value));
  EXPECT_EQ(got.series.values[1].time.precision, TimePrecision::kDateTime);
  EXPECT_EQ(got.series.values[1].comparator, Comparator::kLess);
  uint64_t bits;
  std::memcpy(&bits, &got.series.values[2].value, sizeof bits);
  EXPECT_EQ(bits, 0x7ff8000000000123u);
  // The last frame carries no patients.
  ASSERT_OK_AND_ASSIGN(Response last,
                       DecodeResponse(Op::kScanSeries, kOkStatus + std::string(1, '\0')));
  EXPECT_TRUE(last.series.patients.empty());

  // A bad comparator, a negative part and a value count the bytes cannot
  // hold are refused, naming the field.
  std::string bad = bytes;
  ASSERT_EQ(bad.back(), static_cast<char>(Comparator::kGreater));
  bad.back() = '\x05';
  EXPECT_THAT(DecodeResponse(Op::kScanSeries, bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("series.patients.values.comparator at offset " +
                                       std::to_string(bad.size() - 1)),
                             HasSubstr("value 5 is not one of 0..4"))));
  bad = bytes;
  const size_t precision = bad.size() - 10;  // the last value's time precision
  ASSERT_EQ(bad[precision], static_cast<char>(TimePrecision::kDate));
  bad[precision] = '\x02';
  EXPECT_THAT(DecodeResponse(Op::kScanSeries, bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("series.patients.values.time at offset " +
                                       std::to_string(precision)),
                             HasSubstr("value 2 is not one of 0..1"))));
  bad = bytes;
  bad.replace(kOkStatus.size() + 1, 4, Le32(0xFFFFFFFF));
  EXPECT_THAT(DecodeResponse(Op::kScanSeries, bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("series.part at offset 6"), HasSubstr("negative: -1"))));
  Response one;
  one.more = true;
  one.series.patients.push_back({"P", "", std::nullopt, std::nullopt});
  one.series.values.push_back({CivilTime::FromDay(1), 1, Comparator::kNone});
  one.series.ends = {1};
  bad = EncodeResponse(Op::kScanSeries, one);
  const size_t count = bad.size() - 18 - 4;
  bad.replace(count, 4, Le32(2));
  EXPECT_THAT(DecodeResponse(Op::kScanSeries, bad),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("series.patients.values at offset " + std::to_string(count)),
                             HasSubstr("count 2 cannot fit in the 18 bytes left"))));
}

}  // namespace
}  // namespace cotrack::rpc

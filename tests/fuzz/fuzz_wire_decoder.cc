// The RPC message decoder: every byte a serving process reads from its socket
// goes through DecodeRequest, and every byte a client reads through
// DecodeResponse, so hostile bytes must come back as InvalidArgument
// ("malformed ..."), never as a crash, undefined behaviour or an allocation
// the bytes cannot back (libFuzzer's -malloc_limit_mb catches those).
//
// The whole input is decoded as a request. The encoding is canonical, so a
// request that decodes must encode back to exactly the input, and decode
// again. Then the first byte names an op and the rest is decoded as that
// op's response, held to the same standard.
//
// With COTRACK_FUZZ_WRITE_SEEDS=DIR the target first writes a well-formed
// request of every op, and a response of every op prefixed with its op byte,
// into DIR (the seed corpus; see tests/fuzz/run.sh).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "rpc/wire.h"

namespace {

using cotrack::CivilTime;
using cotrack::TimePrecision;
using cotrack::rpc::Op;

bool Malformed(const absl::Status& s, absl::string_view what) {
  return absl::IsInvalidArgument(s) && absl::StartsWith(s.message(), what);
}

void WriteSeed(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
  out << bytes;
}

cotrack::Provenance Prov() { return {"visits.csv", 12, "alice", "typo"}; }

cotrack::Patient SamplePatient() {
  cotrack::Patient p;
  p.id = "P-001";
  p.arm = "AHSCT";
  p.index_date = CivilTime::FromDay(18000);
  p.treatment_dates = {CivilTime::FromDay(18100)};
  p.attributes = {{"diagnosis", "RRMS"}, {"sex", "F"}};
  p.version = 1;
  p.provenance = Prov();
  return p;
}

cotrack::MeasureDefinition SampleMeasure() {
  cotrack::MeasureDefinition m;
  m.code = "mfis";
  m.name = "MFIS";
  m.unit = "points";
  m.max = 84;
  m.step = 1;
  m.integer = true;
  m.allowed_values = {0, 1};
  m.direction = cotrack::Direction::kHigherIsWorse;
  m.units = {{"pct", 0.84, 0}};
  m.item_count = 2;
  m.item_max = 4;
  m.items_sum_to_total = true;
  m.named_items = {{"physical", 0, 4}};
  m.subscales = {{"physical", {1, 2}}};
  m.censorable = true;
  m.loinc = {"4548-4"};
  m.description = "Fisk 1994";
  return m;
}

cotrack::rpc::Request SampleRequest(Op op) {
  cotrack::rpc::Request q;
  q.op = op;
  q.user = "alice";
  q.key_fingerprint = "0a1b";
  q.pid = 4242;
  q.snapshot = 3;
  q.patient = "P-001";
  q.measure = "edss";
  q.range = {CivilTime::FromDay(19000), CivilTime{19500 * 86400 + 60, TimePrecision::kDateTime}};
  q.time = CivilTime::FromDay(19723);
  q.n = 2;
  q.audit_patient = "P-001";
  cotrack::ObservationInput o;
  o.patient = "P-001";
  o.measure = "ais";
  o.time = CivilTime::FromDay(19723);
  o.value = 3;
  o.comparator = cotrack::Comparator::kLess;
  o.items = {1, 0, 2, std::nan("")};
  o.visit = "M6";
  o.original_value = "<3";
  o.provenance = Prov();
  q.batch.PutPatient(SamplePatient());
  q.batch.Record(o);
  q.batch.Retract("P-001", "edss", CivilTime::FromDay(19000), Prov());
  q.batch.SetAudit("import", "visits.csv");
  q.write_options.dry_run = true;
  q.tag = {7, 1, true};
  q.measure_def = SampleMeasure();
  q.provenance = Prov();
  q.audit_action = "import";
  q.audit_detail = "visits.csv";
  q.collect_rejections = true;
  q.scan.attribute = "site";
  q.scan.parts = 2;
  return q;
}

cotrack::rpc::Response SampleResponse(Op op) {
  cotrack::rpc::Response a;
  a.server_pid = 4243;
  a.summary = {3, 1, 0, 1, 1};
  a.rejections = {{Prov(), "visits.csv:12: field \"value\": bad value",
                   "P-001,edss,2024-01-01,0.5,", absl::StatusCode::kNotFound}};
  cotrack::Observation o;
  o.patient = "P-001";
  o.measure = "edss";
  o.time = CivilTime::FromDay(19723);
  o.value = 3.5;
  o.unit = "points";
  o.items = {1, 2};
  o.status = cotrack::ObservationStatus::kAmended;
  o.version = 2;
  o.provenance = Prov();
  a.observations = {o, o};
  a.patient = SamplePatient();
  a.patients = {SamplePatient()};
  a.measure = SampleMeasure();
  a.measures = {SampleMeasure()};
  cotrack::AuditRecord audit;
  audit.sequence = 1;
  audit.action = "import";
  audit.patients = {"P-001"};
  audit.provenance = Prov();
  a.audit = {audit};
  a.snapshot = 3;
  a.check.series = 4;
  a.check.problems = {{"series", "k", "P-001", "bad crc"}};
  a.backup = {1, 1700000000, 4096, 3, ""};
  a.dump = {1, 2, 3, 4, 5};
  a.chunk = "{\"kind\":\"patient\"}\n";
  a.series.part = 1;
  a.series.patients = {{"P-001", "AHSCT", CivilTime::FromDay(18000), std::string("north")},
                       {"P-002", "", std::nullopt, std::nullopt}};
  a.series.values = {
      {CivilTime::FromDay(18001), 3.5, cotrack::Comparator::kNone},
      {CivilTime{18002 * 86400 + 60, TimePrecision::kDateTime}, 0.5, cotrack::Comparator::kLess}};
  a.series.ends = {1, 2};
  a.more = cotrack::rpc::IsStreamingOp(op);
  return a;
}

void WriteSeeds(const std::string& dir) {
  for (int i = 1; i <= static_cast<int>(cotrack::rpc::kLastOp); ++i) {
    const Op op = static_cast<Op>(i);
    const std::string name = cotrack::rpc::OpName(op);
    WriteSeed(dir, "request-" + name, cotrack::rpc::EncodeRequest(SampleRequest(op)));
    const std::string response = cotrack::rpc::EncodeResponse(op, SampleResponse(op));
    WriteSeed(dir, "response-" + name, std::string(1, static_cast<char>(op)) + response);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("COTRACK_FUZZ_WRITE_SEEDS")) WriteSeeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<cotrack::rpc::Request> request = cotrack::rpc::DecodeRequest(bytes);
  if (request.ok()) {
    const std::string encoded = cotrack::rpc::EncodeRequest(*request);
    if (encoded != bytes) __builtin_trap();
    absl::StatusOr<cotrack::rpc::Request> again = cotrack::rpc::DecodeRequest(encoded);
    if (!again.ok() || cotrack::rpc::EncodeRequest(*again) != encoded) __builtin_trap();
  } else if (!Malformed(request.status(), "malformed request: ")) {
    __builtin_trap();
  }

  if (size == 0) return 0;
  const Op op = static_cast<Op>(data[0]);
  const absl::string_view rest = bytes.substr(1);
  absl::StatusOr<cotrack::rpc::Response> response = cotrack::rpc::DecodeResponse(op, rest);
  if (response.ok()) {
    const std::string encoded = cotrack::rpc::EncodeResponse(op, *response);
    if (encoded != rest) __builtin_trap();
    absl::StatusOr<cotrack::rpc::Response> again = cotrack::rpc::DecodeResponse(op, encoded);
    if (!again.ok() || cotrack::rpc::EncodeResponse(op, *again) != encoded) __builtin_trap();
  } else if (!Malformed(response.status(), "malformed response: ")) {
    __builtin_trap();
  }
  return 0;
}

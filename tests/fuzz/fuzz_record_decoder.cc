// The record decoder: every value read from RocksDB goes through
// SplitRecords and a Decode* (or, for series, ObservationLogView) before it
// becomes data, so damaged or hostile bytes must come back as DataLoss, never
// as a crash or undefined behaviour.
//
// The first byte picks how the rest is used:
//   even: as a whole record log (lengths, CRCs, padding checked): parsed as
//         a series log, and each record decoded as every other record kind;
//   odd:  as one FlatBuffer, framed here with a correct CRC so the fuzzer
//         gets past the checksum straight to the FlatBuffers verifier.
//
// With COTRACK_FUZZ_WRITE_SEEDS=DIR the target first writes well-formed
// records of every kind into DIR (the seed corpus; see tests/fuzz/run.sh).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "codec/value_codec.h"

namespace {

using cotrack::codec::AppendRecord;

void DecodeSeries(absl::string_view log) {
  cotrack::codec::ObservationLogView view;
  if (!view.Parse(log, "fuzz").ok()) return;
  for (const auto& entry : view.entries()) {
    cotrack::Observation obs;
    view.Materialize(entry, &obs);
  }
  // Materialize decodes packed entries lazily, and a chunk's visit labels
  // differently for the first entry asked and the rest: read them again
  // backwards, values only first, on a second view.
  cotrack::codec::ObservationLogView backwards;
  if (!backwards.Parse(log, "fuzz").ok()) std::abort();  // parsed above
  const auto& entries = backwards.entries();
  for (size_t i = entries.size(); i-- > 0;) {
    cotrack::SeriesValue value;
    backwards.MaterializeValue(entries[i], &value);
    cotrack::Observation obs;
    backwards.Materialize(entries[i], &obs);
  }
}

void DecodeAsEveryKind(absl::string_view record) {
  cotrack::Patient patient;
  (void)cotrack::codec::DecodePatient(record, &patient);
  cotrack::CatalogEntry entry;
  (void)cotrack::codec::DecodeMeasure(record, &entry);
  cotrack::AuditRecord audit;
  (void)cotrack::codec::DecodeAudit(record, &audit);
}

void WriteSeed(const std::string& dir, const std::string& name, char mode,
               const std::string& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
  out << mode << bytes;
}

void WriteSeeds(const std::string& dir) {
  cotrack::Observation o;
  o.time = cotrack::CivilTime::FromDay(19723);
  o.value = 3.5;
  o.original_value = "3.5";
  o.items = {1, 2, 0.5};
  o.visit = "M6";
  o.comparator = cotrack::Comparator::kLess;
  o.status = cotrack::ObservationStatus::kAmended;
  o.version = 2;
  o.provenance = {"visits.csv", 12, "alice", "typo"};
  cotrack::Observation o2 = o;
  o2.time = cotrack::CivilTime{19724 * 86400 + 3600, cotrack::TimePrecision::kDateTime};
  o2.value = 4.0;
  o2.comparator = cotrack::Comparator::kNone;
  o2.version = 1;
  o2.provenance.source = "api";
  cotrack::Patient p;
  p.id = "P-001";
  p.arm = "AHSCT";
  p.index_date = cotrack::CivilTime::FromDay(18000);
  p.treatment_dates = {cotrack::CivilTime::FromDay(18100)};
  p.attributes = {{"sex", "F"}, {"diagnosis", "RRMS"}};
  p.version = 1;
  cotrack::AuditRecord a;
  a.sequence = 7;
  a.at_us = 1700000000000000;
  a.action = "import";
  a.patient = "P-001";
  a.detail = "visits.csv";
  a.summary.written = 10;
  std::string series;
  cotrack::codec::AppendObservations(&series, {o, o2});
  WriteSeed(dir, "series", '\x00', series);
  // A packed chunk (format 2) of entries sharing head and scale, and each
  // series record bare, so that mutations reach the packed decoder instead
  // of failing the checksum.
  std::vector<cotrack::Observation> visits;
  for (int i = 0; i < 6; ++i) {
    cotrack::Observation v;
    v.time = cotrack::CivilTime::FromDay(19000 + 91 * i);
    v.value = 2.5 + i;
    v.original_value = std::to_string(2 + i) + ".5";
    v.visit = "M" + std::to_string(3 * i);
    v.provenance = {"visits.csv", 100 + 2 * i, "bob", ""};
    visits.push_back(v);
  }
  cotrack::codec::AppendObservations(&series, visits);
  std::vector<absl::string_view> series_records;
  if (cotrack::codec::SplitRecords(series, "seed", &series_records).ok()) {
    for (size_t i = 0; i < series_records.size(); ++i) {
      WriteSeed(dir, "series-raw" + std::to_string(i), '\x01', std::string(series_records[i]));
    }
  }
  std::vector<std::string> buffers = {cotrack::codec::EncodePatient(p),
                                      cotrack::codec::EncodeAudit(a)};
  for (const cotrack::CatalogEntry& e : cotrack::BuiltinMeasures()) {
    buffers.push_back(cotrack::codec::EncodeMeasure(e.id, e.def));
  }
  std::string log;
  for (size_t i = 0; i < buffers.size(); ++i) {
    WriteSeed(dir, "raw" + std::to_string(i), '\x01', buffers[i]);
    std::string one;
    AppendRecord(&one, buffers[i]);
    WriteSeed(dir, "log" + std::to_string(i), '\x00', one);
    if (i < 2) AppendRecord(&log, buffers[i]);
  }
  WriteSeed(dir, "log-mixed", '\x00', log);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("COTRACK_FUZZ_WRITE_SEEDS")) WriteSeeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool raw = data[0] & 1;
  // A heap copy: stored values are not guaranteed any alignment either.
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string log;
  if (raw) {
    if (bytes.empty()) return 0;
    AppendRecord(&log, bytes);
  } else {
    log = std::move(bytes);
  }
  std::vector<absl::string_view> records;
  absl::Status split = cotrack::codec::SplitRecords(log, "fuzz", &records);
  if (raw && !split.ok()) __builtin_trap();  // a record framed by AppendRecord must split
  DecodeSeries(log);
  if (!split.ok()) return 0;
  for (absl::string_view record : records) DecodeAsEveryKind(record);
  if (raw) {
    (void)cotrack::codec::DecodeCatalog(reinterpret_cast<const uint8_t*>(records[0].data()),
                                        records[0].size());
  }
  return 0;
}

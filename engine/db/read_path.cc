// Reads. A point read of one series is atomic by itself; a multi-key answer
// (a visit, the latest of every measure) is one batched MultiGet, which RocksDB
// answers from one sequence number, so it never mixes two writes either.
// Scans take a snapshot (ReadView). Every read takes the caller's view when
// it has one (a read snapshot spanning several calls).
#include <algorithm>
#include <atomic>
#include <functional>
#include <limits>
#include <shared_mutex>
#include <system_error>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "codec/key_codec.h"
#include "codec/series.h"
#include "codec/value_codec.h"
#include "cotrack/status_macros.h"
#include "db/database_impl.h"

namespace cotrack {
namespace {

absl::Status UnknownPatient(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("unknown patient \"", id, "\""));
}

// Buffers for point reads, one set per thread, reused so that a read does not
// allocate for the stored value. Only used within one call, with no callback
// in between (a query inside a ForEachSeries visitor is safe).
struct ReadBuffers {
  std::string value;
  std::vector<std::string> keys;
  std::vector<std::string> values;
  std::vector<bool> found;

  // Keeps a read of an unusually large value from pinning its memory.
  void ShrinkIfLarge() {
    constexpr size_t kKeep = 1 << 20;
    if (value.capacity() > kKeep) std::string().swap(value);
    for (std::string& v : values) {
      if (v.capacity() > kKeep) std::string().swap(v);
    }
  }
};

ReadBuffers& ThreadBuffers() {
  thread_local ReadBuffers buffers;
  return buffers;
}

}  // namespace

absl::Status DatabaseImpl::ReadSeries(const ReadView* view, uint32_t patient_num,
                                      const std::string& patient, const CatalogEntry& measure,
                                      std::vector<Observation>* versions) {
  versions->clear();
  std::string log;
  COTRACK_ASSIGN_OR_RETURN(bool found, store_->Get(view, Family::kSeries,
                                                   keys::SeriesKey(measure.id, patient_num), &log));
  if (!found) return absl::OkStatus();
  return DecodeSeries(log, SeriesNames{patient, measure.def.code, measure.def.unit}, versions);
}

absl::Status DatabaseImpl::ReadCurrent(const ReadView* view, uint32_t patient_num,
                                       const std::string& patient, const CatalogEntry& measure,
                                       int64_t from, int64_t to, std::vector<Observation>* out,
                                       size_t last) {
  ReadBuffers& buffers = ThreadBuffers();
  std::string& log = buffers.value;
  COTRACK_ASSIGN_OR_RETURN(bool found, store_->Get(view, Family::kSeries,
                                                   keys::SeriesKey(measure.id, patient_num), &log));
  absl::Status s;
  if (found) {
    s = ReadCurrentValues(log, SeriesNames{patient, measure.def.code, measure.def.unit}, from, to,
                          /*include_retracted=*/false, out, last);
  }
  buffers.ShrinkIfLarge();
  return s;
}

absl::Status DatabaseImpl::ReadPatientVersions(const ReadView* view, uint32_t num,
                                               std::vector<Patient>* versions) {
  versions->clear();
  std::string log;
  COTRACK_ASSIGN_OR_RETURN(bool found,
                           store_->Get(view, Family::kPatients, keys::PatientKey(num), &log));
  if (!found) return absl::OkStatus();
  std::vector<absl::string_view> records;
  const std::string what = absl::StrCat("patient record ", num);
  COTRACK_RETURN_IF_ERROR(codec::SplitRecords(log, what, &records));
  versions->resize(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    absl::Status s = codec::DecodePatient(records[i], &(*versions)[i]);
    if (!s.ok()) return absl::DataLossError(absl::StrCat(what, ": ", s.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Observation>> DatabaseImpl::CurrentSeries(const ReadView* view,
                                                                     absl::string_view patient,
                                                                     absl::string_view measure,
                                                                     int64_t from, int64_t to,
                                                                     size_t last) {
  COTRACK_ASSIGN_OR_RETURN(const CatalogEntry* entry, FindMeasure(measure));
  COTRACK_ASSIGN_OR_RETURN(uint32_t num, PatientNum(view, patient));
  if (num == 0) return UnknownPatient(patient);
  std::vector<Observation> out;
  // A single point read is atomic by itself: no snapshot needed.
  COTRACK_RETURN_IF_ERROR(
      ReadCurrent(view, num, std::string(patient), *entry, from, to, &out, last));
  return out;
}

absl::StatusOr<std::vector<Observation>> DatabaseImpl::Trajectory(const ReadView* view,
                                                                  absl::string_view patient,
                                                                  absl::string_view measure,
                                                                  const TimeRange& range) {
  return CurrentSeries(view, patient, measure, RangeStart(range), RangeEnd(range));
}

absl::StatusOr<std::vector<Observation>> DatabaseImpl::Latest(const ReadView* view,
                                                              absl::string_view patient,
                                                              absl::string_view measure,
                                                              std::optional<CivilTime> as_of,
                                                              int n) {
  if (n < 1) {
    return absl::InvalidArgumentError(absl::StrCat("n must be at least 1, got ", n));
  }
  const int64_t end = as_of ? EndOf(*as_of) : std::numeric_limits<int64_t>::max();
  COTRACK_ASSIGN_OR_RETURN(
      std::vector<Observation> current,
      CurrentSeries(view, patient, measure, std::numeric_limits<int64_t>::min(), end,
                    static_cast<size_t>(n)));
  // Newest first.
  std::reverse(current.begin(), current.end());
  return current;
}

absl::Status DatabaseImpl::ReadAllMeasures(const ReadView* view, absl::string_view patient,
                                           int64_t from, int64_t to, size_t last,
                                           std::vector<Observation>* out) {
  COTRACK_ASSIGN_OR_RETURN(uint32_t num, PatientNum(view, patient));
  if (num == 0) return UnknownPatient(patient);
  const std::vector<const CatalogEntry*> measures = MeasuresByCode();
  // Keys in key (measure id) order, which spares MultiGet its sort; answers
  // in measure code order.
  auto id_less = [](const CatalogEntry* a, const CatalogEntry* b) { return a->id < b->id; };
  std::vector<const CatalogEntry*> by_id = measures;
  std::sort(by_id.begin(), by_id.end(), id_less);
  ReadBuffers& buffers = ThreadBuffers();
  buffers.keys.resize(by_id.size());
  for (size_t i = 0; i < by_id.size(); ++i) {
    buffers.keys[i] = keys::SeriesKey(by_id[i]->id, num);
  }
  // One batched lookup for all measures: a visit is written in one batch,
  // and MultiGet reads every key at one sequence number, so a reader sees
  // all of it or none of it (no snapshot needed).
  COTRACK_RETURN_IF_ERROR(
      store_->MultiGet(view, Family::kSeries, buffers.keys, &buffers.values, &buffers.found));
  const std::string id(patient);
  out->reserve(out->size() + measures.size());
  absl::Status s;
  for (const CatalogEntry* m : measures) {
    const size_t i = static_cast<size_t>(std::lower_bound(by_id.begin(), by_id.end(), m, id_less) -
                                         by_id.begin());
    if (!buffers.found[i]) continue;
    s = ReadCurrentValues(buffers.values[i], SeriesNames{id, m->def.code, m->def.unit}, from, to,
                          /*include_retracted=*/false, out, last);
    if (!s.ok()) break;
  }
  buffers.ShrinkIfLarge();
  return s;
}

absl::StatusOr<std::vector<Observation>> DatabaseImpl::LatestAll(const ReadView* view,
                                                                 absl::string_view patient,
                                                                 std::optional<CivilTime> as_of) {
  std::vector<Observation> out;
  COTRACK_RETURN_IF_ERROR(ReadAllMeasures(
      view, patient, std::numeric_limits<int64_t>::min(),
      as_of ? EndOf(*as_of) : std::numeric_limits<int64_t>::max(), /*last=*/1, &out));
  return out;
}

absl::StatusOr<std::vector<Observation>> DatabaseImpl::Visit(const ReadView* view,
                                                             absl::string_view patient,
                                                             CivilTime date) {
  const int64_t start = date.day() * kSecondsPerDay;
  std::vector<Observation> out;
  COTRACK_RETURN_IF_ERROR(
      ReadAllMeasures(view, patient, start, start + kSecondsPerDay - 1, /*last=*/0, &out));
  return out;
}

absl::StatusOr<std::vector<Observation>> DatabaseImpl::History(const ReadView* view,
                                                               absl::string_view patient,
                                                               absl::string_view measure,
                                                               CivilTime time) {
  COTRACK_ASSIGN_OR_RETURN(const CatalogEntry* entry, FindMeasure(measure));
  const CatalogEntry& m = *entry;
  COTRACK_ASSIGN_OR_RETURN(uint32_t num, PatientNum(view, patient));
  if (num == 0) return UnknownPatient(patient);
  std::vector<Observation> versions;
  COTRACK_RETURN_IF_ERROR(ReadSeries(view, num, std::string(patient), m, &versions));
  std::vector<Observation> out;
  for (Observation& o : versions) {
    if (o.time.seconds == time.seconds) out.push_back(std::move(o));
  }
  if (out.empty()) {
    return absl::NotFoundError(absl::StrCat("no ", measure, " value of patient \"", patient,
                                            "\" was ever recorded at ", FormatCivilTime(time)));
  }
  return out;
}

absl::StatusOr<std::vector<Patient>> DatabaseImpl::PatientHistory(const ReadView* view,
                                                                  absl::string_view id) {
  COTRACK_ASSIGN_OR_RETURN(uint32_t num, PatientNum(view, id));
  if (num == 0) return UnknownPatient(id);
  std::vector<Patient> versions;
  COTRACK_RETURN_IF_ERROR(ReadPatientVersions(view, num, &versions));
  if (versions.empty()) return UnknownPatient(id);
  return versions;
}

absl::StatusOr<Patient> DatabaseImpl::GetPatient(const ReadView* view, absl::string_view id) {
  COTRACK_ASSIGN_OR_RETURN(std::vector<Patient> versions, PatientHistory(view, id));
  return std::move(versions.back());
}

absl::Status DatabaseImpl::ScanPatients(const ReadView* view,
                                        const std::function<void(uint32_t, Patient)>& fn) {
  absl::Status decode_status;
  std::vector<absl::string_view> records;
  COTRACK_RETURN_IF_ERROR(store_->Scan(
      view, Family::kPatients, "", "", [&](absl::string_view key, absl::string_view log) {
        const uint32_t num = keys::DecodeU32(key);
        decode_status = codec::SplitRecords(log, absl::StrCat("patient record ", num), &records);
        if (!decode_status.ok()) return false;
        if (records.empty()) return true;
        Patient p;
        decode_status = codec::DecodePatient(records.back(), &p);
        if (!decode_status.ok()) return false;
        fn(num, std::move(p));
        return true;
      }));
  return decode_status;
}

absl::StatusOr<std::vector<Patient>> DatabaseImpl::ListPatients(const ReadView* view) {
  std::vector<Patient> out;
  COTRACK_RETURN_IF_ERROR(
      ScanPatients(view, [&](uint32_t, Patient p) { out.push_back(std::move(p)); }));
  std::sort(out.begin(), out.end(), [](const Patient& a, const Patient& b) { return a.id < b.id; });
  return out;
}

absl::Status DatabaseImpl::ForEachSeries(const ReadView* caller_view, absl::string_view measure,
                                         const Database::SeriesVisitor& fn) {
  COTRACK_ASSIGN_OR_RETURN(const CatalogEntry* entry, FindMeasure(measure));
  const CatalogEntry& m = *entry;
  std::unique_ptr<ReadView> own_view;
  const ReadView* view = caller_view;
  if (view == nullptr) {
    own_view = store_->NewReadView();
    view = own_view.get();
  }
  const std::string start = keys::MeasurePrefix(m.id);
  const std::string end = keys::MeasurePrefix(m.id + 1);
  // Every patient of the snapshot in one sequential pass, rather than a
  // lookup per series: a cohort scan touches most of them.
  absl::flat_hash_map<uint32_t, Patient> patients;
  COTRACK_RETURN_IF_ERROR(
      ScanPatients(view, [&](uint32_t num, Patient p) { patients.emplace(num, std::move(p)); }));
  absl::Status inner;
  std::vector<Observation> current;
  COTRACK_RETURN_IF_ERROR(store_->Scan(
      view, Family::kSeries, start, end, [&](absl::string_view key, absl::string_view log) {
        uint32_t mid, num;
        if (!keys::ParseSeriesKey(key, &mid, &num)) {
          inner = absl::DataLossError("malformed series key (damaged data)");
          return false;
        }
        auto it = patients.find(num);
        if (it == patients.end()) {
          inner =
              absl::DataLossError(absl::StrCat("series ", m.def.code, " refers to patient record ",
                                               num, " which does not exist (damaged data)"));
          return false;
        }
        const Patient& patient = it->second;
        current.clear();
        inner = ReadCurrentValues(log, SeriesNames{patient.id, m.def.code, m.def.unit},
                                  std::numeric_limits<int64_t>::min(),
                                  std::numeric_limits<int64_t>::max(), false, &current);
        if (!inner.ok()) return false;
        inner = fn(patient, current);
        return inner.ok();
      }));
  return inner;
}

namespace {

// One part of a lean series scan: patient numbers in [first, end) (end 0:
// to the last), read from `view`.
struct ScanPart {
  uint32_t first = 0;
  uint32_t end = 0;
  absl::Status status;
};

}  // namespace

absl::Status DatabaseImpl::ScanSeries(const ReadView* caller_view, absl::string_view measure,
                                      const Reader::SeriesScanOptions& options,
                                      const Reader::SeriesPartVisitor& fn) {
  if (options.parts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("series scan: parts must be at least 1, got ", options.parts));
  }
  COTRACK_ASSIGN_OR_RETURN(const CatalogEntry* entry, FindMeasure(measure));
  const CatalogEntry& m = *entry;
  // One snapshot for every part: a scan never mixes two states.
  std::unique_ptr<ReadView> own_view;
  const ReadView* view = caller_view;
  if (view == nullptr) {
    own_view = store_->NewReadView();
    view = own_view.get();
  }
  // Patient numbers run from 1 to the counter (written with every new
  // patient, so read at the same snapshot): split them evenly.
  int parts = 1;
  uint32_t patients = 0;
  if (options.parts > 1) {
    std::string counter;
    COTRACK_ASSIGN_OR_RETURN(bool found,
                             store_->Get(view, Family::kMeta, keys::kNextPatientNumKey, &counter));
    if (found && counter.size() == 4) patients = keys::DecodeU32(counter) - 1;
    const int64_t per_part = std::max<int64_t>(1, options.min_patients_per_part);
    parts = static_cast<int>(
        std::max<int64_t>(1, std::min<int64_t>(options.parts, patients / per_part)));
  }
  std::vector<ScanPart> ranges(parts);
  for (int k = 1; k < parts; ++k) {
    const uint32_t bound = 1 + static_cast<uint32_t>(static_cast<uint64_t>(patients) * k / parts);
    ranges[k - 1].end = bound;
    ranges[k].first = bound;
  }
  std::atomic<bool> stop{false};
  auto scan = [&](int part) {
    ScanPart& range = ranges[part];
    // The part's patients, in number order, decoded leanly.
    std::vector<std::pair<uint32_t, SeriesPatient>> patients_of_part;
    // Numbers run from 1 to `patients` (known when split): one allocation,
    // bounded so that a damaged counter cannot ask for a huge one.
    if (patients > 0) {
      const uint64_t last = range.end ? range.end : uint64_t{patients} + 1;
      if (last > range.first) {
        patients_of_part.reserve(std::min<uint64_t>(last - range.first, uint64_t{1} << 16));
      }
    }
    absl::Status decode;
    std::vector<absl::string_view> records;
    const std::string patients_end = range.end ? keys::PatientKey(range.end) : std::string();
    range.status = store_->Scan(
        view, Family::kPatients, keys::PatientKey(range.first), patients_end,
        [&](absl::string_view key, absl::string_view log) {
          const uint32_t num = keys::DecodeU32(key);
          // The record's name only on error (a StrCat and an allocation per
          // patient otherwise): the split is repeated with it, which gives
          // the same checks and the same message.
          absl::Status split = codec::SplitRecords(log, "", &records);
          if (!split.ok()) {
            decode = codec::SplitRecords(log, absl::StrCat("patient record ", num), &records);
            if (decode.ok()) decode = std::move(split);  // not reached: the same checks
            return false;
          }
          if (records.empty()) return true;
          SeriesPatient p;
          decode = codec::DecodeSeriesPatient(records.back(), options.attribute, &p);
          if (!decode.ok()) return false;
          patients_of_part.emplace_back(num, std::move(p));
          return !stop.load(std::memory_order_relaxed);
        });
    if (range.status.ok()) range.status = decode;
    if (!range.status.ok()) stop = true;
    if (stop) return;
    codec::ObservationLogView log_view;
    std::vector<SeriesValue> values;
    size_t next = 0;  // the first patient not behind the series scanned
    absl::Status inner;
    range.status =
        store_->Scan(view, Family::kSeries, keys::SeriesKey(m.id, range.first),
                     range.end ? keys::SeriesKey(m.id, range.end) : keys::MeasurePrefix(m.id + 1),
                     [&](absl::string_view key, absl::string_view log) {
                       if (stop.load(std::memory_order_relaxed)) return false;
                       uint32_t mid, num;
                       if (!keys::ParseSeriesKey(key, &mid, &num)) {
                         inner = absl::DataLossError("malformed series key (damaged data)");
                         return false;
                       }
                       while (next < patients_of_part.size() && patients_of_part[next].first < num)
                         ++next;
                       if (next == patients_of_part.size() || patients_of_part[next].first != num) {
                         inner = absl::DataLossError(
                             absl::StrCat("series ", m.def.code, " refers to patient record ", num,
                                          " which does not exist (damaged data)"));
                         return false;
                       }
                       const SeriesPatient& patient = patients_of_part[next].second;
                       inner = ReadCurrentSeriesValues(
                           log_view, log, SeriesNames{patient.id, m.def.code, m.def.unit}, &values);
                       if (!inner.ok()) return false;
                       inner = fn(part, patient, values);
                       return inner.ok();
                     });
    if (range.status.ok()) range.status = inner;
    if (!range.status.ok()) stop = true;
  };
  {
    std::vector<std::thread> threads;
    std::vector<int> inline_parts;
    for (int k = 1; k < parts; ++k) {
      try {
        threads.emplace_back(scan, k);
      } catch (const std::system_error&) {
        inline_parts.push_back(k);  // no thread to be had: scanned here instead
      }
    }
    scan(0);
    for (int k : inline_parts) scan(k);
    for (std::thread& t : threads) t.join();
  }
  for (const ScanPart& range : ranges) COTRACK_RETURN_IF_ERROR(range.status);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AuditRecord>> DatabaseImpl::AuditLog(
    const ReadView* view, std::optional<std::string> patient) {
  std::vector<AuditRecord> out;
  absl::Status inner;
  std::vector<absl::string_view> records;
  COTRACK_RETURN_IF_ERROR(
      store_->Scan(view, Family::kAudit, "", "", [&](absl::string_view key, absl::string_view log) {
        const uint64_t seq = keys::DecodeU64(key);
        inner = codec::SplitRecords(log, absl::StrCat("audit entry ", seq), &records);
        if (!inner.ok()) return false;
        for (absl::string_view r : records) {
          AuditRecord a;
          inner = codec::DecodeAudit(r, &a);
          if (!inner.ok()) return false;
          a.sequence = seq;
          if (!patient || a.patient == *patient ||
              std::binary_search(a.patients.begin(), a.patients.end(), *patient)) {
            out.push_back(std::move(a));
          }
        }
        return true;
      }));
  COTRACK_RETURN_IF_ERROR(inner);
  return out;
}

}  // namespace cotrack

// Plain RocksDB baseline: what one gets from RocksDB without designing for
// the workload. Default options, one string key "patient|measure|YYYY-MM-DD"
// per observation with a small binary value, patients and import sources in
// their own column families, one WriteBatch per imported file (synced) and per
// visit. Like the SQLite baseline it keeps only the current version.
#include <sys/stat.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bench_engine.h"
#include "bench_util.h"
#include "csv_input.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace cotrack::bench {
namespace {

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(rocksdb::Slice* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    uint8_t b = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
    *v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

void PutString(absl::string_view s, std::string* out) {
  PutVarint(s.size(), out);
  out->append(s.data(), s.size());
}

bool GetString(rocksdb::Slice* in, std::string* s) {
  uint64_t n;
  if (!GetVarint(in, &n) || n > in->size()) return false;
  s->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}

// value(8) comparator(1) version recorded_at source line unit visit
void EncodeValue(double value, int comparator, int64_t version, int64_t recorded_at, int64_t source,
                 int64_t line, absl::string_view unit, absl::string_view visit, std::string* out) {
  out->clear();
  char buf[8];
  std::memcpy(buf, &value, 8);
  out->append(buf, 8);
  out->push_back(static_cast<char>(comparator));
  PutVarint(static_cast<uint64_t>(version), out);
  PutVarint(static_cast<uint64_t>(recorded_at), out);
  PutVarint(static_cast<uint64_t>(source), out);
  PutVarint(static_cast<uint64_t>(line), out);
  PutString(unit, out);
  PutString(visit, out);
}

bool DecodeValue(rocksdb::Slice in, StoredRow* r) {
  if (in.size() < 9) return false;
  std::memcpy(&r->value, in.data(), 8);
  r->comparator = static_cast<uint8_t>(in[8]);
  in.remove_prefix(9);
  uint64_t v, at, src, line;
  if (!GetVarint(&in, &v) || !GetVarint(&in, &at) || !GetVarint(&in, &src) ||
      !GetVarint(&in, &line)) {
    return false;
  }
  r->version = static_cast<int64_t>(v);
  r->recorded_at = static_cast<int64_t>(at);
  r->source_id = static_cast<int64_t>(src);
  r->line = static_cast<int64_t>(line);
  return GetString(&in, &r->unit) && GetString(&in, &r->visit);
}

std::string SeriesPrefix(absl::string_view patient, const char* measure) {
  return absl::StrCat(patient, "|", measure, "|");
}

class RocksDbEngine : public BenchEngine {
 public:
  ~RocksDbEngine() override { (void)Close(); }
  const char* name() const override { return "RocksDB"; }

  absl::Status Create(const std::string& dir) override {
    dir_ = dir;
    return OpenDb(true);
  }

  absl::StatusOr<int64_t> ImportFile(const std::string& path, bool patients) override {
    std::vector<CsvObservation> obs;
    std::vector<CsvPatient> pats;
    absl::Status s = patients ? ReadPatientsCsv(path, &buffer_, &pats)
                              : ReadObservationsCsv(path, &buffer_, &obs);
    if (!s.ok()) return s;
    int64_t source = ++last_source_;
    rocksdb::WriteBatch batch;
    std::string key, value;
    key = std::to_string(source);
    batch.Put(cf_sources_, key, path);
    int64_t now = WallMicros();
    for (const CsvObservation& o : obs) {
      key.clear();
      absl::StrAppend(&key, o.patient, "|", MeasureCode(o.measure), "|");
      AppendDay(o.day, &key);
      EncodeValue(o.value, o.comparator, 1, now, source, o.line, o.unit, o.visit, &value);
      batch.Put(key, value);
    }
    for (const CsvPatient& p : pats) {
      value.clear();
      PutString(p.arm, &value);
      PutVarint(static_cast<uint64_t>(p.index_day), &value);
      PutVarint(1, &value);
      PutVarint(static_cast<uint64_t>(now), &value);
      PutVarint(static_cast<uint64_t>(source), &value);
      PutVarint(static_cast<uint64_t>(p.line), &value);
      batch.Put(cf_patients_, rocksdb::Slice(p.patient.data(), p.patient.size()), value);
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;  // durable at the end of each file, like cotrack's import
    s = Check(db_->Write(wo, &batch), path);
    if (!s.ok()) return s;
    return static_cast<int64_t>(patients ? pats.size() : obs.size());
  }

  absl::Status RecordVisit(const IngestVisit& visit) override {
    rocksdb::WriteBatch batch;
    std::string key, value;
    int64_t now = WallMicros();
    for (const GenValue& v : visit.values) {
      key = SeriesPrefix(visit.patient, MeasureCode(v.measure));
      AppendDay(visit.day, &key);
      EncodeValue(v.value, v.censored ? 1 : 0, 1, now, 0, 0, MeasureUnit(v.measure), visit.label,
                  &value);
      batch.Put(key, value);
    }
    return Check(db_->Write(rocksdb::WriteOptions(), &batch), "record visit");
  }

  absl::Status CompactAndReopen() override {
    rocksdb::CompactRangeOptions cro;
    cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
    for (rocksdb::ColumnFamilyHandle* cf : handles_) {
      absl::Status s = Check(db_->CompactRange(cro, cf, nullptr, nullptr), "compact");
      if (!s.ok()) return s;
    }
    absl::Status s = Close();
    if (!s.ok()) return s;
    return OpenDb(false);
  }

  absl::StatusOr<uint64_t> BytesOnDisk() override { return DataBytesInDir(dir_); }

  absl::StatusOr<QueryResult> Trajectory(const std::string& patient, int measure) override {
    std::string prefix = SeriesPrefix(patient, MeasureCode(measure));
    std::vector<StoredRow> rows;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      StoredRow r;
      if (!ParseDay(
              absl::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()),
              &r.day) ||
          !DecodeValue(it->value(), &r)) {
        return absl::DataLossError("bad record in plain RocksDB store");
      }
      rows.push_back(std::move(r));
    }
    absl::Status s = Check(it->status(), "trajectory");
    if (!s.ok()) return s;
    return Summarise(rows);
  }

  absl::StatusOr<QueryResult> LatestAsOf(const std::string& patient, int measure,
                                         int64_t day) override {
    std::string prefix = SeriesPrefix(patient, MeasureCode(measure));
    std::string target = prefix;
    AppendDay(day, &target);
    std::vector<StoredRow> rows;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    it->SeekForPrev(target);
    if (it->Valid() && it->key().starts_with(prefix)) {
      StoredRow r;
      if (!ParseDay(
              absl::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()),
              &r.day) ||
          !DecodeValue(it->value(), &r)) {
        return absl::DataLossError("bad record in plain RocksDB store");
      }
      rows.push_back(std::move(r));
    }
    absl::Status s = Check(it->status(), "latest");
    if (!s.ok()) return s;
    return Summarise(rows);
  }

  absl::StatusOr<QueryResult> Visit(const std::string& patient, int64_t day) override {
    std::vector<StoredRow> rows;
    std::string key, value;
    for (const char* code : kCatalogCodes) {
      key = SeriesPrefix(patient, code);
      AppendDay(day, &key);
      rocksdb::Status st = db_->Get(rocksdb::ReadOptions(), key, &value);
      if (st.IsNotFound()) continue;
      absl::Status s = Check(st, "visit");
      if (!s.ok()) return s;
      StoredRow r;
      r.day = day;
      if (!DecodeValue(value, &r)) return absl::DataLossError("bad record in plain RocksDB store");
      rows.push_back(std::move(r));
    }
    return Summarise(rows);
  }

  absl::StatusOr<std::vector<CohortCell>> Cohort(const CohortQuery& q) override {
    CohortAccumulator acc(q);
    std::vector<SeriesPoint> series;
    std::unique_ptr<rocksdb::Iterator> pit(db_->NewIterator(rocksdb::ReadOptions(), cf_patients_));
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    std::string arm, prefix;
    for (pit->SeekToFirst(); pit->Valid(); pit->Next()) {
      rocksdb::Slice v = pit->value();
      uint64_t index_day;
      if (!GetString(&v, &arm) || !GetVarint(&v, &index_day)) {
        return absl::DataLossError("bad patient in plain RocksDB store");
      }
      prefix = SeriesPrefix(absl::string_view(pit->key().data(), pit->key().size()),
                            MeasureCode(q.measure));
      series.clear();
      for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        StoredRow r;
        if (!ParseDay(absl::string_view(it->key().data() + prefix.size(),
                                        it->key().size() - prefix.size()),
                      &r.day) ||
            !DecodeValue(it->value(), &r)) {
          return absl::DataLossError("bad record in plain RocksDB store");
        }
        series.push_back({r.day, r.value, r.comparator != 0});
      }
      acc.Add(arm, static_cast<int64_t>(index_day), series);
    }
    absl::Status s = Check(pit->status(), "cohort");
    if (s.ok()) s = Check(it->status(), "cohort");
    if (!s.ok()) return s;
    return acc.Finish();
  }

  absl::StatusOr<ExportResult> Export() override {
    std::vector<std::string> sources(static_cast<size_t>(last_source_) + 1);
    sources[0] = "api";
    {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf_sources_));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        size_t id = std::stoul(it->key().ToString());
        if (id < sources.size()) sources[id] = it->value().ToString();
      }
    }
    ExportResult r;
    std::string out, patient, measure;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      absl::string_view key(it->key().data(), it->key().size());
      size_t a = key.find('|');
      size_t b = key.find('|', a + 1);
      StoredRow row;
      if (a == absl::string_view::npos || b == absl::string_view::npos ||
          !ParseDay(key.substr(b + 1), &row.day) || !DecodeValue(it->value(), &row)) {
        return absl::DataLossError("bad record in plain RocksDB store");
      }
      patient.assign(key.data(), a);
      measure.assign(key.data() + a + 1, b - a - 1);
      AppendExportLine(patient, measure.c_str(), row.day, row.value, row.comparator, row.unit,
                       row.visit, row.version, row.recorded_at,
                       row.source_id < static_cast<int64_t>(sources.size())
                           ? sources[static_cast<size_t>(row.source_id)]
                           : std::string(),
                       row.line, &out);
      ++r.rows;
      if (out.size() > (1 << 20)) {
        r.bytes += static_cast<int64_t>(out.size());
        out.clear();
      }
    }
    absl::Status s = Check(it->status(), "export");
    if (!s.ok()) return s;
    r.bytes += static_cast<int64_t>(out.size());
    return r;
  }

  absl::Status Close() override {
    if (db_ == nullptr) return absl::OkStatus();
    for (rocksdb::ColumnFamilyHandle* cf : handles_) db_->DestroyColumnFamilyHandle(cf);
    handles_.clear();
    absl::Status s = Check(db_->Close(), "close");
    delete db_;
    db_ = nullptr;
    return s;
  }

 private:
  static QueryResult Summarise(const std::vector<StoredRow>& rows) {
    QueryResult q;
    q.rows = static_cast<int64_t>(rows.size());
    for (const StoredRow& r : rows) q.value_sum += r.value;
    return q;
  }

  absl::Status Check(const rocksdb::Status& s, absl::string_view what) {
    if (s.ok()) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("RocksDB ", dir_, ": ", what, ": ", s.ToString()));
  }

  absl::Status OpenDb(bool create) {
    rocksdb::Options options;
    options.create_if_missing = create;
    options.create_missing_column_families = create;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {"patients", rocksdb::ColumnFamilyOptions()},
        {"sources", rocksdb::ColumnFamilyOptions()}};
    absl::Status s = Check(rocksdb::DB::Open(options, dir_, cfs, &handles_, &db_), "open");
    if (!s.ok()) return s;
    cf_patients_ = handles_[1];
    cf_sources_ = handles_[2];
    return absl::OkStatus();
  }

  std::string dir_;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* cf_patients_ = nullptr;
  rocksdb::ColumnFamilyHandle* cf_sources_ = nullptr;
  int64_t last_source_ = 0;
  std::string buffer_;
};

}  // namespace

std::unique_ptr<BenchEngine> MakeRocksDbEngine() { return std::make_unique<RocksDbEngine>(); }

}  // namespace cotrack::bench

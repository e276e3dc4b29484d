// RocksDB implementation of Store.
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "cotrack/status_macros.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/perf_level.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/transaction_log.h"
#include "rocksdb/write_batch.h"
#include "storage/encryption.h"
#include "storage/record_log_merge.h"
#include "storage/rocks_ingest.h"
#include "storage/rocks_maintenance.h"
#include "storage/rocks_status.h"
#include "storage/store.h"
#include "storage/store_testing.h"
#include "storage/value_cache.h"

namespace cotrack {
namespace {

// RocksDB counts key comparisons, block reads and the like in thread-local
// perf counters, at PerfLevel kEnableCount unless the thread sets another.
// Nothing reads them, and from a shared library every count costs a
// __tls_get_addr call and the counters' TLS init: 8 % of the instructions
// of a Python record_visit. The level is the calling thread's, so each call
// into RocksDB sets it (one store, no cheaper to test first).
void NoPerfCounts() { rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable); }

// Column family names are part of the on-disk format.
constexpr std::array<const char*, kFamilyCount> kFamilyNames = {
    "default",  // kMeta: RocksDB's default family
    "patient_ids", "patients", "measures", "series", "audit"};

class RocksReadView : public ReadView {
 public:
  RocksReadView(rocksdb::DB* db) : db_(db), snapshot_(db->GetSnapshot()) {}
  ~RocksReadView() override { db_->ReleaseSnapshot(snapshot_); }
  const rocksdb::Snapshot* snapshot() const { return snapshot_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

class RocksBatch : public Store::Batch {
 public:
  explicit RocksBatch(const std::vector<rocksdb::ColumnFamilyHandle*>* handles)
      : handles_(handles) {}
  void Put(Family f, absl::string_view key, absl::string_view value) override {
    batch_.Put((*handles_)[static_cast<int>(f)], Slice(key), Slice(value));
  }
  void Append(Family f, absl::string_view key, absl::string_view records) override {
    batch_.Merge((*handles_)[static_cast<int>(f)], Slice(key), Slice(records));
  }
  size_t ApproximateBytes() const override { return batch_.GetDataSize(); }
  rocksdb::WriteBatch* rep() { return &batch_; }

 private:
  static rocksdb::Slice Slice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
  const std::vector<rocksdb::ColumnFamilyHandle*>* handles_;
  rocksdb::WriteBatch batch_;
};

// LZ4HC's effort at the bottom level (FamilyOptions): 1 (fastest) to 12.
constexpr int kBottomLz4HcLevel = 4;

rocksdb::ColumnFamilyOptions FamilyOptions(Family f, const std::shared_ptr<rocksdb::Cache>& cache,
                                           bool read_only, bool few_reads) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  t.format_version = 5;
  // Series are read by exact key: a hash index inside each data block skips
  // the block's binary search.
  t.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  // Series, patients and series ends (meta) are read by exact key: a
  // whole-key filter turns a lookup of an absent one into a
  // memory-only check.
  //
  // Not for a one-shot read (StoreOptions::few_reads): the first lookup in a
  // table file reads and verifies its whole filter block, one bit array for
  // the file (at 300,000 patients 121 table files of 250 KiB, each filter
  // about 7 bits per key), to spare the two or three data blocks that the
  // read would otherwise look at. The filter only ever saves reads; without
  // it the answers are the same, read from the data blocks.
  if (!few_reads && (f == Family::kSeries || f == Family::kPatients || f == Family::kPatientIds ||
                     f == Family::kMeta)) {
    // A Ribbon filter: the same false-positive rate as a 10-bit bloom filter
    // (1 %) in 7 bits per key (issue 13's file: 187 -> 131 KB of filters).
    // Readers tell the kind from the filter block, so older files keep
    // working and main's engine reads these.
    t.filter_policy.reset(rocksdb::NewRibbonFilterPolicy(10));
    t.whole_key_filtering = true;
  }
  // Memtable filters (below) are kept small. One of 2 % of the write buffer
  // (1.3 MB) per family was allocated and zeroed whenever a memtable was
  // made: at every open (4 of them: 30 of the 85 ms of Database::Open on the
  // 2-core development machine, and 5 MiB of the holding process's RSS) and
  // at every memtable switch, now every 16 MiB of log (max_total_wal_size).
  // It had bought 3 % of API visits/s when a recorded visit read each of its
  // series; with series ends a visit read one meta key, and 200,000-visit
  // bursts of visits to few patients showed no difference (medians of 5:
  // 34,070 visits/s without, 33,190 with; tools/bench/open).
  // LZ4 (LZ4HC at the bottom level, below), in 16 KiB blocks, not ZSTD.
  // The bench at its default size (100,000 patients, 9 million
  // observations), one run each:
  //   ZSTD at the bottom, 4 KiB blocks: 19.9 bytes/observation, import
  //     1.18 M rows/s, trajectory p50 2.1 us, cohort 619 ms, export 2.4 M rows/s;
  //   LZ4, 16 KiB blocks: 21.9 bytes/observation, import 1.26 M rows/s,
  //     trajectory p50 2.0 us, cohort 431 ms, export 3.2 M rows/s.
  // ZSTD's cost is per block more than per byte (building and decoding
  // its tables): it dominated cold point reads and table-file writes.
  t.block_size = 16 << 10;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  o.compression = rocksdb::kLZ4Compression;
  // LZ4HC at the bottom level, where nearly all bytes end up. Its blocks
  // are LZ4 blocks, decoded by the same LZ4 decoder, so point reads and
  // scans cost what they did; only a compaction into the bottom level
  // searches harder for matches (an import's table files are written LZ4:
  // rocks_ingest.cc). Issue 13's file (1.2 M observations), compacted: 9.98
  // -> 8.69 MB at level 4, 8.60 at 6, 8.60 at 9; `cotrack import` writing
  // its files at level 4 took 12 % more CPU, at 9 up to 25 %. Memtable
  // flushes (level 0, rewritten soon) stay LZ4.
  o.bottommost_compression = rocksdb::kLZ4HCCompression;
  o.bottommost_compression_opts.enabled = true;
  o.bottommost_compression_opts.level = kBottomLz4HcLevel;
  // With a dictionary per table file: 16 KiB sampled from the first MiB of
  // the file's data, stored once in the file, preloaded into LZ4 before
  // each block is compressed and decompressed. What repeats across records
  // but not within one 16 KiB block (FlatBuffers frames, provenance paths
  // and users, the keys' prefixes) is then found in the dictionary. Issue
  // 13's file, compacted: 8.63 -> 7.64 MB (series 6.66 -> 5.85, patients
  // 1.02 -> 0.91, meta 0.48 -> 0.42); 32 KiB: 7.54, 8 KiB: 7.94. A reader
  // loads the dictionary when it opens the file (it sits next to the
  // index), not per read. Not for patient ids: 8-byte ids and 4-byte numbers
  // gained nothing. The MiB bounds what a compaction buffers to sample
  // from (otherwise up to a whole 64 MiB output file).
  if (f != Family::kPatientIds) {
    o.bottommost_compression_opts.max_dict_bytes = 16 << 10;
    o.bottommost_compression_opts.max_dict_buffer_bytes = 1 << 20;
  }
  if (f == Family::kAudit) {
    // One entry per import lists every patient it touched (600 KB for
    // 30,000 patients); it is written once and read only by the audit log
    // (`audit`), `dump` and `check`, never by a point read or a scan, so
    // ZSTD's slower decoding costs nothing users wait for. Issue 13's two
    // entries: 495 KB in LZ4, 200 KB in ZSTD.
    o.compression = rocksdb::kZSTD;
    o.bottommost_compression = rocksdb::kZSTD;
    o.bottommost_compression_opts = rocksdb::CompressionOptions();
  }
  if (f == Family::kPatients || f == Family::kMeasures || f == Family::kSeries) {
    o.merge_operator = NewRecordLogMergeOperator();
  }
  // A recorded visit adds one series record per measure, each far from the
  // last insert (series keys are (measure, patient)), and a series end and a
  // counter to meta: without a hint every insert searched the memtable's
  // skip list from its top, the largest single cost of RecordVisit. With one
  // hint per 4-byte prefix (the measure id; "end"/"next" in meta) an insert
  // starts from the last one of its measure, or of the counter: 9 % fewer
  // instructions in the memtable per visit (callgrind, 2,000 visits of 5
  // measures to 5,000 patients). Where an entry goes is unchanged.
  if (f == Family::kSeries || f == Family::kMeta) {
    o.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(4));
  }
  // Small memtables for the two families every recorded visit inserts
  // into at scattered keys (5 series records at (measure, patient), a
  // series end by patient): an insert descends a skip list whose every step
  // can miss the CPU cache, and RocksDB's 64 MiB default held 16,000 visits
  // before max_total_wal_size flushed it. With 2 MiB, a Python record_visit
  // of 5 measures on issue 13's store, p50 against sqlite3's (python_writes.py,
  // two runs each): 1.86-1.97 x with 64 MiB, 1.52-1.61 x with 2, 1.65 x with
  // 4, 1.50 x with 1 (instructions per visit over 12,000 visits, callgrind:
  // 250.5 k -> 235.5 k). A flush then comes every few thousand visits, in the
  // background; four memtables per family (8 MiB) keep the writer from
  // waiting on one. Read-only handles keep the default: they never flush, so
  // a log they replay stays in one memtable.
  constexpr size_t kVisitMemtableBytes = 2 << 20;
  const bool small_memtable = !read_only && (f == Family::kSeries || f == Family::kMeta);
  if (small_memtable) {
    o.write_buffer_size = kVisitMemtableBytes;
    o.max_write_buffer_number = 4;
  }
  // A whole-key filter in the memtables of the families a write reads by
  // key (the id index, the series ends, a series; see the note above on the
  // filter's earlier cost). Those reads are nearly always of keys not in the
  // memtable (a visit to a patient not written since the last flush), and a
  // memtable search is a skip-list descent like an insert's: with 16,000
  // recorded visits in 64 MiB memtables it was 12 % of a Python
  // record_visit. About 10 bits per entry for the most a memtable holds:
  // 2 % of a small memtable (42 KB), 0.2 % of a default one (134 KB, as
  // max_total_wal_size flushes it at about a quarter full). Not for a
  // one-shot read, whose memtables hold at most a replayed log.
  if (!few_reads && (f == Family::kSeries || f == Family::kMeta || f == Family::kPatientIds)) {
    o.memtable_whole_key_filtering = true;
    o.memtable_prefix_bloom_size_ratio = small_memtable ? 0.02 : 0.002;
  }
  return o;
}

// Calls `fn` with the key of every change of a write batch to one column
// family.
class KeysOfFamily : public rocksdb::WriteBatch::Handler {
 public:
  KeysOfFamily(uint32_t family_id, std::function<void(const rocksdb::Slice&)> fn)
      : family_id_(family_id), fn_(std::move(fn)) {}
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice&) override {
    return Visit(cf, key);
  }
  rocksdb::Status MergeCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice&) override {
    return Visit(cf, key);
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    return Visit(cf, key);
  }
  rocksdb::Status SingleDeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    return Visit(cf, key);
  }

 private:
  rocksdb::Status Visit(uint32_t cf, const rocksdb::Slice& key) {
    if (cf == family_id_) fn_(key);
    return rocksdb::Status::OK();
  }
  const uint32_t family_id_;
  std::function<void(const rocksdb::Slice&)> fn_;
};

class RocksStore : public Store {
 public:
  RocksStore(std::string path, std::unique_ptr<rocksdb::DB> db,
             std::vector<rocksdb::ColumnFamilyHandle*> handles, size_t value_cache_bytes,
             bool writable)
      : path_(std::move(path)),
        db_(std::move(db)),
        handles_(std::move(handles)),
        series_cache_(value_cache_bytes),
        writable_(writable) {}

  ~RocksStore() override {
    // Writes still in the memtables go to table files now rather than being
    // replayed from the write-ahead log by the next open, when other processes
    // wait for the database (a hand-over). After a burst of 200,000 sync=false
    // visits (medians of 3): close 147 -> 260 ms, the next Database::Open
    // 284 -> 52 ms. With nothing unflushed it costs nothing measurable.
    if (writable_) {
      rocksdb::FlushOptions fo;
      fo.wait = true;
      db_->Flush(fo, handles_).PermitUncheckedError();  // the log still has it all
    }
    for (auto* h : handles_) {
      if (h != nullptr) db_->DestroyColumnFamilyHandle(h);
    }
    db_->Close().PermitUncheckedError();
  }

  std::unique_ptr<ReadView> NewReadView() override {
    return std::make_unique<RocksReadView>(db_.get());
  }

  std::unique_ptr<Batch> NewBatch() override { return std::make_unique<RocksBatch>(&handles_); }

  absl::StatusOr<std::unique_ptr<Batch>> NewIngestBatch() override {
    COTRACK_RETURN_IF_ERROR(AllOpened());
    COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<RocksIngestBatch> b,
                             RocksIngestBatch::Create(db_.get(), handles_, path_));
    return std::unique_ptr<Batch>(std::move(b));
  }

  absl::Status Write(Batch& batch, bool sync) override {
    // Ingestion syncs the files and the MANIFEST whatever `sync` says.
    if (auto* ingest = dynamic_cast<RocksIngestBatch*>(&batch)) {
      CacheWrite cache_write(this, {}, /*all=*/true);
      return ingest->Ingest();
    }
    NoPerfCounts();
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    rocksdb::WriteBatch* rep = static_cast<RocksBatch&>(batch).rep();
    CacheWrite::Keys series_keys;
    bool all = false;
    if (series_cache_.enabled()) {
      KeysOfFamily written(
          handles_[static_cast<int>(Family::kSeries)]->GetID(),
          [&](const rocksdb::Slice& key) { series_keys.emplace_back(key.data(), key.size()); });
      all = !rep->Iterate(&written).ok();
    }
    CacheWrite cache_write(this, std::move(series_keys), all);
    return FromRocks(db_->Write(wo, rep), "write");
  }

  absl::Status Delete(Family f, const std::vector<std::string>& keys, bool sync) override {
    COTRACK_RETURN_IF_ERROR(Opened(f));
    rocksdb::WriteBatch batch;
    for (const std::string& k : keys) batch.Delete(handles_[static_cast<int>(f)], k);
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    CacheWrite::Keys series_keys;
    if (f == Family::kSeries) series_keys.assign(keys.begin(), keys.end());
    CacheWrite cache_write(this, std::move(series_keys), false);
    return FromRocks(db_->Write(wo, &batch), "delete");
  }

  absl::StatusOr<bool> Get(const ReadView* view, Family f, absl::string_view key,
                           std::string* value) override {
    COTRACK_RETURN_IF_ERROR(Opened(f));
    // Series point reads go through the value cache (see ValueCache); the
    // sequence number is read before RocksDB is, so that a value a write
    // races is not kept.
    const bool cached = view == nullptr && f == Family::kSeries && series_cache_.enabled();
    uint64_t seq = 0;
    if (cached) {
      if (series_cache_.Lookup(key, value)) return true;
      seq = db_->GetLatestSequenceNumber();
    }
    NoPerfCounts();
    rocksdb::ReadOptions ro = ReadOptionsFor(view);
    rocksdb::Status s =
        db_->Get(ro, handles_[static_cast<int>(f)], rocksdb::Slice(key.data(), key.size()), value);
    if (s.IsNotFound()) return false;
    if (!s.ok()) {
      return FromRocksRead(s, absl::StrCat("read ", kFamilyNames[static_cast<int>(f)]));
    }
    if (cached) series_cache_.Insert(key, seq, *value);
    return true;
  }

  absl::Status MultiGet(const ReadView* view, Family f, const std::vector<std::string>& keys,
                        std::vector<std::string>* values, std::vector<bool>* found) override {
    COTRACK_RETURN_IF_ERROR(Opened(f));
    const size_t n = keys.size();
    // Existing strings are reused: a caller that passes the same vectors
    // again reads without allocating.
    values->resize(n);
    found->assign(n, false);
    // Series go through the value cache, as Get's. The answer must be one
    // moment's values (a visit's values written together are read
    // together), so values from the cache are used only when no write
    // began from before the first lookup to after RocksDB's read of the
    // rest (ValueCache::QuietGeneration); otherwise RocksDB reads them all.
    const bool cacheable = view == nullptr && f == Family::kSeries && series_cache_.enabled();
    const std::optional<uint64_t> generation =
        cacheable ? series_cache_.QuietGeneration() : std::nullopt;
    absl::InlinedVector<size_t, 16> misses;
    for (size_t i = 0; i < n; ++i) {
      if (generation && series_cache_.Lookup(keys[i], &(*values)[i])) {
        (*found)[i] = true;
      } else {
        misses.push_back(i);
      }
    }
    if (!misses.empty()) {
      COTRACK_RETURN_IF_ERROR(ReadMany(view, f, keys, misses, cacheable, values, found));
    }
    if (!generation || misses.size() == n || series_cache_.Unchanged(*generation)) {
      return absl::OkStatus();
    }
    misses.clear();
    for (size_t i = 0; i < n; ++i) misses.push_back(i);
    found->assign(n, false);
    return ReadMany(view, f, keys, misses, cacheable, values, found);
  }

  absl::Status Scan(const ReadView* view, Family f, absl::string_view start, absl::string_view end,
                    const ScanFn& fn) override {
    COTRACK_RETURN_IF_ERROR(Opened(f));
    rocksdb::ReadOptions ro = ReadOptionsFor(view);
    rocksdb::Slice upper(end.data(), end.size());
    if (!end.empty()) ro.iterate_upper_bound = &upper;
    NoPerfCounts();
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[static_cast<int>(f)]));
    for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key(), v = it->value();
      if (!fn(absl::string_view(k.data(), k.size()), absl::string_view(v.data(), v.size()))) {
        break;
      }
    }
    return FromRocksRead(it->status(), absl::StrCat("scan ", kFamilyNames[static_cast<int>(f)]));
  }

  absl::Status CompactAll() override {
    COTRACK_RETURN_IF_ERROR(AllOpened());
    rocksdb::FlushOptions fo;
    fo.wait = true;
    for (auto* h : handles_) {
      COTRACK_RETURN_IF_ERROR(FromRocks(db_->Flush(fo, h), "flush"));
      rocksdb::CompactRangeOptions co;
      co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
      COTRACK_RETURN_IF_ERROR(FromRocks(db_->CompactRange(co, h, nullptr, nullptr), "compact"));
    }
    return absl::OkStatus();
  }

  const std::string& path() const override { return path_; }

  absl::Status VerifyTableFiles(std::vector<TableFileDamage>* damaged,
                                size_t* files_checked) override {
    COTRACK_RETURN_IF_ERROR(AllOpened());
    return VerifyRocksTableFiles(db_.get(), handles_, damaged, files_checked);
  }

  absl::StatusOr<BackupSummary> CreateBackup(const std::string& backup_dir,
                                             const std::string& key_file) override {
    return CreateRocksBackup(db_.get(), backup_dir, key_file);
  }

 private:
  // A one-shot read's store has no handle for the audit family (Store::Open):
  // what would use it says so instead.
  absl::Status Opened(Family f) const {
    if (handles_[static_cast<int>(f)] != nullptr) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "the ", kFamilyNames[static_cast<int>(f)],
        " records are not opened by a one-shot read (Options::one_shot_read); open the "
        "database without it to read them"));
  }
  absl::Status AllOpened() const {
    for (int i = 0; i < kFamilyCount; ++i) {
      COTRACK_RETURN_IF_ERROR(Opened(static_cast<Family>(i)));
    }
    return absl::OkStatus();
  }

  static rocksdb::ReadOptions ReadOptionsFor(const ReadView* view) {
    rocksdb::ReadOptions ro;
    ro.verify_checksums = true;
    if (view != nullptr) ro.snapshot = static_cast<const RocksReadView*>(view)->snapshot();
    return ro;
  }

  // MultiGet's read from RocksDB of keys[i] for each i of `which`, into
  // (*values)[i] and (*found)[i]; into the value cache too with `cache`.
  absl::Status ReadMany(const ReadView* view, Family f, const std::vector<std::string>& keys,
                        absl::Span<const size_t> which, bool cache,
                        std::vector<std::string>* values, std::vector<bool>* found) {
    const uint64_t seq = cache ? db_->GetLatestSequenceNumber() : 0;
    const size_t m = which.size();
    absl::InlinedVector<rocksdb::Slice, 16> slices;
    for (size_t i : which) slices.emplace_back(keys[i].data(), keys[i].size());
    absl::InlinedVector<rocksdb::PinnableSlice, 16> pinned(m);
    absl::InlinedVector<rocksdb::Status, 16> statuses(m);
    // Every family uses the default bytewise comparator, which orders keys
    // as std::string does: keys already in order (and so any subset of
    // them) spare RocksDB its sort.
    const bool sorted = std::is_sorted(keys.begin(), keys.end());
    NoPerfCounts();
    db_->MultiGet(ReadOptionsFor(view), handles_[static_cast<int>(f)], m, slices.data(),
                  pinned.data(), statuses.data(), sorted);
    for (size_t j = 0; j < m; ++j) {
      const size_t i = which[j];
      if (statuses[j].IsNotFound()) {
        (*values)[i].clear();
        continue;
      }
      if (!statuses[j].ok()) {
        return FromRocksRead(statuses[j], absl::StrCat("read ", kFamilyNames[static_cast<int>(f)]));
      }
      (*values)[i].assign(pinned[j].data(), pinned[j].size());
      (*found)[i] = true;
      if (cache) series_cache_.Insert(keys[i], seq, (*values)[i]);
    }
    return absl::OkStatus();
  }

  // Brackets a write for the value cache (ValueCache::BeginWrite/EndWrite):
  // the series keys it touches (views into the batch or the caller's keys,
  // valid until the write returns), or all of them. Ends after the write,
  // also a failed one: whether it was applied is not known.
  class CacheWrite {
   public:
    using Keys = absl::InlinedVector<absl::string_view, 8>;
    CacheWrite(RocksStore* store, Keys keys, bool all)
        : store_(store), keys_(std::move(keys)), all_(all) {
      if (store_->series_cache_.enabled()) store_->series_cache_.BeginWrite(keys_, all_);
    }
    ~CacheWrite() {
      if (!store_->series_cache_.enabled()) return;
      store_->series_cache_.EndWrite(keys_, all_, store_->db_->GetLatestSequenceNumber());
    }
    CacheWrite(const CacheWrite&) = delete;
    CacheWrite& operator=(const CacheWrite&) = delete;

   private:
    RocksStore* const store_;
    const Keys keys_;
    const bool all_;
  };

  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  ValueCache series_cache_;
  const bool writable_;
};

// RocksDB 7.8 leaves the empty write-ahead log of every writable open behind
// until a memtable flush advances the oldest log to keep
// (facebook/rocksdb#11313, fixed in 8.3 by #11409). A database opened often
// and written rarely, as by command-line queries, gathers one file per open,
// and every open reads them all: 1,012 of them cost 6.5 ms per open here,
// growing without bound. Logs older than the current one that hold nothing
// are deleted after the open, as RocksDB's maintainers advise for releases
// without the fix (safe with track_and_verify_wals_in_manifest off, the
// default). Sizes come from the database's Env, which hides the encryption
// prefix. Best effort: a file left behind is only a file.
void DeleteEmptyOldLogs(rocksdb::DB* db, rocksdb::Env* env, const std::string& path) {
  std::unique_ptr<rocksdb::LogFile> current;
  std::vector<std::string> names;
  if (!db->GetCurrentWalFile(&current).ok() || current == nullptr ||
      !env->GetChildren(path, &names).ok()) {
    return;
  }
  for (const std::string& name : names) {
    uint64_t number = 0;
    if (!absl::EndsWith(name, ".log") ||
        !absl::SimpleAtoi(absl::string_view(name).substr(0, name.size() - 4), &number) ||
        number >= current->LogNumber()) {
      continue;
    }
    const std::string file = absl::StrCat(path, "/", name);
    uint64_t size = 0;
    if (env->GetFileSize(file, &size).ok() && size == 0) {
      env->DeleteFile(file).PermitUncheckedError();
    }
  }
}

// Table files RocksDB may keep open: half of this process's descriptor limit
// (the rest is the application's), so that a database of many files never
// runs the process out of descriptors. 1,024 by default on Debian: 512.
int MaxOpenTableFiles() {
  constexpr rlim_t kMost = 1 << 16;
  struct rlimit nofile;
  if (::getrlimit(RLIMIT_NOFILE, &nofile) != 0) return 512;
  if (nofile.rlim_cur == RLIM_INFINITY) return static_cast<int>(kMost);
  return static_cast<int>(std::clamp<rlim_t>(nofile.rlim_cur / 2, 64, kMost));
}

// The file Env of a one-shot read, which starts no background threads.
// RocksDB sanitises every open's options by growing the Env's flush and
// compaction pools to one thread each (SanitizeOptions,
// IncBackgroundThreadsIfNeeded), read-only opens too, which never flush or
// compact: two threads started, then stopped at exit, for nothing. Starting
// and stopping them was about 5 % of a cold `cotrack latest` process.
class NoBackgroundThreadsEnv : public rocksdb::EnvWrapper {
 public:
  explicit NoBackgroundThreadsEnv(rocksdb::Env* base) : rocksdb::EnvWrapper(base) {}
  static const char* kClassName() { return "CotrackNoBackgroundThreadsEnv"; }
  const char* Name() const override { return kClassName(); }
  void IncBackgroundThreadsIfNeeded(int, Priority) override {}
};

// One per base Env (itself alive for the process): RocksDB keeps raw pointers.
rocksdb::Env* WithoutBackgroundThreads(rocksdb::Env* base) {
  static std::mutex mu;
  static auto* envs = new absl::flat_hash_map<rocksdb::Env*, rocksdb::Env*>();
  std::lock_guard<std::mutex> lock(mu);
  rocksdb::Env*& env = (*envs)[base];
  if (env == nullptr) env = new NoBackgroundThreadsEnv(base);
  return env;
}

// The wrapper of store_testing.h; guarded by its mutex.
std::mutex& WrapperMutex() {
  static auto* mu = new std::mutex;
  return *mu;
}
StoreWrapper& Wrapper() {
  static auto* wrapper = new StoreWrapper;
  return *wrapper;
}

}  // namespace

StoreWrapper SetStoreWrapperForTesting(StoreWrapper wrapper) {
  std::lock_guard<std::mutex> lock(WrapperMutex());
  std::swap(Wrapper(), wrapper);
  return wrapper;
}

std::string StoreLockFile(const std::string& dir) { return absl::StrCat(dir, "/LOCK"); }

absl::Status CheckEncryptionKey(const std::string& dir, const std::string& key_file) {
  return FileEnvForDirectory(dir, key_file, /*create=*/false).status();
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                                   const StoreOptions& options) {
  if (options.create_if_missing && !options.read_only) {
    // Clinical data: the directory is private to its owner from the start.
    if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::UnavailableError(
          absl::StrCat("cannot create database directory ", path, ": ", strerror(errno)));
    }
  }
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  // A process killed while creating a database can leave it without some
  // families; opening it for writing finishes the job instead of failing.
  db_options.create_missing_column_families = !options.read_only;
  db_options.paranoid_checks = true;
  db_options.max_background_jobs = 2;
  db_options.info_log_level = rocksdb::WARN_LEVEL;
  db_options.keep_log_file_num = 2;
  // The write-ahead log is what the next open replays, at about the speed it
  // was written (inserting into the memtables is most of both). Unbounded, it
  // grew to 172 MiB in a burst of 200,000 RecordVisit calls (3 measures,
  // sync=false): RocksDB's default limit is 4 times the write buffers (3 GiB
  // here), and the audit and meta families fill their memtables so slowly
  // that every log stayed alive. The open after the burst took 2.5-3.3 s.
  // Past 16 MiB the families holding the oldest log are flushed. The same
  // bursts with the writer SIGKILLed at the end (tools/bench/open, 30,000
  // patients, 5 bursts each): log left 5.8 MiB (at most 18), the next
  // Database::Open 158 ms (at most 325); with 32 MiB, 11.0 MiB and 268 ms (at
  // most 33 MiB and 676 ms); with 8 MiB, 4.5 MiB and 129 ms. The cost is
  // flushes and compactions in the background: CPU per visit 31.8 -> 37.7 us
  // (32 MiB: 33.9), visits/s -3 % (34,070 -> 32,947, medians of 5 bursts).
  // It also bounds the memtables of the holding process.
  db_options.max_total_wal_size = 16 << 20;
  // Table files are opened when a read first needs them, not all at open.
  // With max_open_files = -1 every open read the footer, index and filter of
  // every table file, which grows with the data: Database::Open took 85 ms at
  // 30,000 patients and 140 ms at 1,000,000 (407 table files), and the
  // holding process gained 10 and 17.5 MiB. Now an open reads at most 16
  // files per family (RocksDB's initial load). Point reads are unchanged once
  // a file is open (cotrack_bench, 100,000 patients, medians of 5 runs each:
  // trajectory p50 2.3 us, latest 1.2 us, visit 9.3 against 9.4 us); the first
  // read of each file pays for opening it (the first 5,000 reads after an open
  // at 1,000,000 patients: mean 72 -> 76 us).
  db_options.max_open_files = MaxOpenTableFiles();
  // RocksDB's initial load opens at most a quarter of its table cache (the
  // open files less 10): with 20, RocksDB's least, two files. A one-shot
  // read needs two or three; with the usual limit the open read the
  // footer, index and filter of 13 files (all of them) at 30,000 patients.
  if (options.read_only && options.few_reads) db_options.max_open_files = 20;
  // Nor does such an open read the properties block of every table file (up
  // to 20 per family), which RocksDB does only to weigh deletions for
  // compaction: a read-only handle never compacts.
  if (options.read_only && options.few_reads) db_options.skip_stats_update_on_db_open = true;
  // Nor does it stat every table file to compare its size with the
  // MANIFEST's: one stat per file, 407 of them at 1,000,000 patients, for a
  // read that opens two or three. A file the read opens is still checked
  // (its footer is read at the MANIFEST's size: a truncated one is "damaged
  // data"); `cotrack check` and every other open check them all.
  if (options.read_only && options.few_reads) {
    db_options.skip_checking_sst_file_sizes_on_db_open = true;
  }
  // Those few files are opened on the opening thread: RocksDB's default
  // starts 15 threads per family to open them, 13 of the 31 ms of
  // Database::Open at 30,000 patients.
  db_options.max_file_opening_threads = 1;
  // Whole values by key: a hit skips the index and block lookups. Off by
  // default (StoreOptions::row_cache_bytes): the value cache keeps series
  // across writes. Not for read-only opens: with RocksDB 7.8 a read-only
  // database with a row cache answers a repeated snapshot read of a merged
  // value "not found" (tests/engine/export/export_test.cc, ExportReopenTest).
  if (options.row_cache_bytes > 0 && !options.read_only) {
    db_options.row_cache = rocksdb::NewLRUCache(options.row_cache_bytes);
  }
  // Files 0600, directories 0700; encrypted with a key file.
  COTRACK_ASSIGN_OR_RETURN(db_options.env,
                           FileEnvForDirectory(path, options.encryption_key_file,
                                               options.create_if_missing && !options.read_only));
  if (options.read_only && options.few_reads) {
    db_options.env = WithoutBackgroundThreads(db_options.env);
  }

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  // A one-shot read opens every family but the audit log: no one-shot
  // command reads it (`cotrack audit` opens the database in full), and
  // creating a column family at open (its options, memtable, table cache and
  // version from the MANIFEST) was about a tenth of a cold `cotrack latest`:
  // 5.75 -> 5.19 ms of CPU at 30,000 patients, 6.68 -> 5.98 at 300,000.
  const bool all_families = !(options.read_only && options.few_reads);
  for (int i = 0; i < kFamilyCount; ++i) {
    if (!all_families && static_cast<Family>(i) == Family::kAudit) continue;
    families.emplace_back(i == 0 ? rocksdb::kDefaultColumnFamilyName : kFamilyNames[i],
                          FamilyOptions(static_cast<Family>(i), cache, options.read_only,
                                        options.read_only && options.few_reads));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = options.read_only
                          ? rocksdb::DB::OpenForReadOnly(db_options, path, families, &handles, &raw)
                          : rocksdb::DB::Open(db_options, path, families, &handles, &raw);
  if (!s.ok()) {
    if (!options.create_if_missing && s.IsInvalidArgument() &&
        absl::StrContains(s.ToString(), "does not exist")) {
      return absl::NotFoundError(absl::StrCat("no cotrack database at ", path));
    }
    if (options.read_only && s.IsIOError() && absl::StrContains(s.ToString(), "No such file")) {
      return absl::NotFoundError(absl::StrCat("no cotrack database at ", path));
    }
    if (options.read_only && s.IsInvalidArgument() &&
        absl::StrContains(s.ToString(), "Column family not found")) {
      return absl::NotFoundError(
          absl::StrCat("no complete cotrack database at ", path,
                       " (its creation was interrupted; open it for writing once to finish it)"));
    }
    return FromRocksRead(s, absl::StrCat("open ", path));
  }
  if (!all_families) {
    // Back to one handle per family, in Family order; none for the audit log.
    handles.insert(handles.begin() + static_cast<int>(Family::kAudit), nullptr);
  }
  if (!options.read_only) {
    RemoveStaleIngestDirs(path);
    DeleteEmptyOldLogs(raw, db_options.env, path);
  }
  std::unique_ptr<Store> store(new RocksStore(path, std::unique_ptr<rocksdb::DB>(raw),
                                              std::move(handles), options.value_cache_bytes,
                                              !options.read_only));
  StoreWrapper wrapper;
  {
    std::lock_guard<std::mutex> lock(WrapperMutex());
    wrapper = Wrapper();
  }
  if (wrapper) store = wrapper(std::move(store), options);
  return store;
}

}  // namespace cotrack

#include "db/database_impl.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "codec/key_codec.h"
#include "codec/value_codec.h"
#include "cotrack/status_macros.h"
#include "db/commit_batch.h"

namespace cotrack {

const std::string& OsUserName() {
  static const std::string* const name = [] {
    if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) {
      return new std::string(pw->pw_name);
    }
    const char* user = std::getenv("USER");
    return new std::string(user != nullptr ? user : "unknown");
  }();
  return *name;
}

namespace {

absl::StatusOr<uint64_t> ReadCounter(Store& store, absl::string_view key, uint64_t initial,
                                     size_t width) {
  std::string value;
  COTRACK_ASSIGN_OR_RETURN(bool found, store.Get(nullptr, Family::kMeta, key, &value));
  if (!found) return initial;
  if (value.size() != width) {
    return absl::DataLossError(absl::StrCat("meta key ", key, " has ", value.size(),
                                            " bytes, expected ", width, " (damaged data)"));
  }
  return width == 4 ? keys::DecodeU32(value) : keys::DecodeU64(value);
}

// Bytes of a receipt value (key_codec.h).
constexpr size_t kReceiptBytes = 8 + 8 + 5 * 8;

// Keys StartWarming's thread reads per lock it takes.
constexpr size_t kWarmChunk = 1024;

}  // namespace

DatabaseImpl::DatabaseImpl(std::unique_ptr<Store> store, const Options& options)
    : store_(std::move(store)), options_(options) {}

DatabaseImpl::~DatabaseImpl() {
  stop_warming_.store(true, std::memory_order_relaxed);
  WaitForWarming();
}

void DatabaseImpl::StartWarming() {
  if (options_.read_only || warmer_.joinable()) return;
  warmer_ = std::thread([this] {
    WarmPatientNums();
    WarmSeriesEnds();
  });
}

void DatabaseImpl::WaitForWarming() {
  if (warmer_.joinable()) warmer_.join();
}

bool DatabaseImpl::WarmChunk(Family f, std::string* from, absl::string_view end,
                             const Store::ScanFn& fn) {
  size_t seen = 0;
  bool stopped = false;
  std::string last;
  absl::Status scanned =
      store_->Scan(nullptr, f, *from, end, [&](absl::string_view key, absl::string_view value) {
        last.assign(key.data(), key.size());
        stopped = !fn(key, value);
        return !stopped && ++seen < kWarmChunk;
      });
  // A failed read leaves the rest to the writes that need it, which report it.
  if (!scanned.ok() || stopped || seen < kWarmChunk) return false;
  *from = last + '\0';  // the key right after `last`
  return true;
}

void DatabaseImpl::WarmPatientNums() {
  // An id's number never changes, so a chunk read without any lock is still
  // true when it is added; ids registered meanwhile are added by their write.
  // Half the bound: CachePatientNum clears a full cache.
  std::string from;
  std::vector<std::pair<std::string, uint32_t>> chunk;
  bool more = true;
  while (more && !stop_warming_.load(std::memory_order_relaxed)) {
    chunk.clear();
    more =
        WarmChunk(Family::kPatientIds, &from, "", [&](absl::string_view key, absl::string_view v) {
          // A damaged entry stays out: PatientNum reports it.
          if (v.size() == 4) chunk.emplace_back(key, keys::DecodeU32(v));
          return true;
        });
    std::unique_lock lock(mu_);
    for (auto& [id, num] : chunk) {
      if (patient_nums_.size() >= kMaxCachedPatientNums / 2) return;
      patient_nums_.try_emplace(std::move(id), num);
    }
  }
}

void DatabaseImpl::WarmSeriesEnds() {
  // A patient's series ends change with every write that adds to its
  // series: each chunk is read and added under the write lock, so that what
  // the cache gets is what is stored, as RememberEnds keeps it (a record
  // read before a write and added after it would understate an end, and a
  // later write would skip a series it has to read).
  std::string from = keys::kSeriesEndsBegin;
  bool more = true;
  while (more && !stop_warming_.load(std::memory_order_relaxed)) {
    std::lock_guard<std::mutex> lock(write_mu_);
    more = WarmChunk(Family::kMeta, &from, keys::kSeriesEndsEnd,
                     [&](absl::string_view key, absl::string_view v) {
                       uint32_t num;
                       if (keys::ParseSeriesEndsKey(key, &num) && !series_ends_.contains(num)) {
                         // A damaged record stays out: the write that needs it reports it.
                         SeriesEnds ends;
                         if (SeriesEnds::Decode(v, num, &ends).ok()) {
                           series_ends_.emplace(num, std::move(ends));
                         }
                       }
                       return series_ends_.size() < kMaxCachedSeriesEnds / 2;
                     });
  }
}

absl::StatusOr<std::unique_ptr<DatabaseImpl>> DatabaseImpl::Open(const std::string& path,
                                                                 const Options& options) {
  StoreOptions so;
  so.create_if_missing = options.create_if_missing && !options.read_only;
  so.read_only = options.read_only;
  so.few_reads = options.read_only && options.one_shot_read;
  so.block_cache_bytes = options.block_cache_bytes;
  so.row_cache_bytes = options.row_cache_bytes;
  so.value_cache_bytes = options.value_cache_bytes;
  so.encryption_key_file = options.encryption_key_file;
  COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(path, so));
  std::unique_ptr<DatabaseImpl> db(new DatabaseImpl(std::move(store), options));
  COTRACK_RETURN_IF_ERROR(db->Load());
  return db;
}

absl::Status DatabaseImpl::Load() {
  std::string value;
  COTRACK_ASSIGN_OR_RETURN(bool found,
                           store_->Get(nullptr, Family::kMeta, keys::kFormatVersionKey, &value));
  if (!found) {
    if (options_.read_only) {
      return absl::NotFoundError(absl::StrCat("no cotrack database at ", path()));
    }
    // A new database: stamp the format before anything else is written.
    std::unique_ptr<CommitBatch> batch = CommitBatch::Logged(*store_);
    batch->PutFormatVersion();
    COTRACK_RETURN_IF_ERROR(batch->Write(/*sync=*/true));
  } else {
    if (value.size() != 4) {
      return absl::DataLossError(
          absl::StrCat(path(), ": format version record is damaged (", value.size(), " bytes)"));
    }
    const uint32_t format = keys::DecodeU32(value);
    if (format > kFormatVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          path(), ": database format ", format, " is newer than this cotrack (", Version(),
          ") understands (format ", kFormatVersion, "); open it with a newer cotrack"));
    }
    if (format < kFormatVersion && !options_.read_only) {
      // Writes from now on use this format's records: an older cotrack must
      // refuse the database rather than misread them. Older records stay as
      // they are (every reader reads both forms).
      std::unique_ptr<CommitBatch> batch = CommitBatch::Logged(*store_);
      batch->PutFormatVersion();
      COTRACK_RETURN_IF_ERROR(batch->Write(/*sync=*/true));
    }
  }

  // The counters number what a writer adds; a read-only handle adds
  // nothing. Each read looks through every table file of the meta family
  // that spans its key (one per bulk write until compacted; next_measure_id
  // is absent until a measure is registered, so its lookup reaches the
  // bottom), which a one-shot read pays without bloom filters.
  if (!options_.read_only) {
    COTRACK_ASSIGN_OR_RETURN(uint64_t np, ReadCounter(*store_, keys::kNextPatientNumKey, 1, 4));
    COTRACK_ASSIGN_OR_RETURN(uint64_t nm,
                             ReadCounter(*store_, keys::kNextMeasureIdKey, kFirstUserMeasureId, 4));
    COTRACK_ASSIGN_OR_RETURN(uint64_t na, ReadCounter(*store_, keys::kNextAuditSeqKey, 1, 8));
    next_patient_num_ = static_cast<uint32_t>(np);
    next_measure_id_ = static_cast<uint32_t>(nm);
    next_audit_seq_ = na;
  }

  absl::Status scan_status;
  std::vector<absl::string_view> records;
  COTRACK_RETURN_IF_ERROR(store_->Scan(
      nullptr, Family::kMeasures, "", "", [&](absl::string_view key, absl::string_view v) {
        scan_status =
            codec::SplitRecords(v, absl::StrCat("measure ", keys::DecodeU32(key)), &records);
        if (!scan_status.ok()) return false;
        if (records.empty()) return true;
        CatalogEntry entry;
        scan_status = codec::DecodeMeasure(records.back(), &entry);
        if (!scan_status.ok()) return false;
        scan_status = catalog_.AddStored(entry.id, std::move(entry.def));
        return scan_status.ok();
      }));
  COTRACK_RETURN_IF_ERROR(scan_status);
  if (options_.read_only) return absl::OkStatus();

  // Receipts matter only while a client may still retry (seconds); those of
  // clients gone for a day are dropped, so that they never pile up.
  const int64_t cutoff_us = absl::ToUnixMicros(absl::Now() - absl::Hours(24));
  std::vector<std::string> stale;
  COTRACK_RETURN_IF_ERROR(
      store_->Scan(nullptr, Family::kMeta, keys::kReceiptsBegin, keys::kReceiptsEnd,
                   [&](absl::string_view key, absl::string_view v) {
                     if (v.size() != kReceiptBytes || keys::DecodeI64(v.substr(8)) < cutoff_us) {
                       stale.emplace_back(key);
                     }
                     return true;
                   }));
  if (stale.empty()) return absl::OkStatus();
  return store_->Delete(Family::kMeta, stale, /*sync=*/false);
}

void DatabaseImpl::PutReceipt(const WriteContext& context, const WriteSummary& summary,
                              int64_t now_us, CommitBatch& out) const {
  if (context.client == 0) return;
  std::string v;
  keys::AppendU64(&v, context.sequence);
  keys::AppendI64(&v, now_us);
  for (int64_t n : {summary.written, summary.corrected, summary.unchanged, summary.retracted,
                    summary.patients}) {
    keys::AppendI64(&v, n);
  }
  out.PutReceipt(context.client, v);
}

absl::Status DatabaseImpl::WriteAdministrativeChange(CommitBatch& out, const char* action,
                                                     std::string detail,
                                                     const Provenance& provenance,
                                                     const WriteContext& context, bool sync,
                                                     std::optional<uint32_t> next_measure_id) {
  AuditRecord audit;
  audit.sequence = next_audit_seq_;
  audit.at_us = absl::ToUnixMicros(absl::Now());
  audit.action = action;
  audit.detail = std::move(detail);
  audit.provenance = DefaultProvenance(provenance, context);
  out.PutAudit(audit);
  CommitBatch::Counters counters;
  counters.next_measure_id = next_measure_id;
  counters.next_audit_seq = next_audit_seq_ + 1;
  out.PutCounters(counters);
  PutReceipt(context, WriteSummary(), audit.at_us, out);
  COTRACK_RETURN_IF_ERROR(out.Write(sync));
  next_audit_seq_++;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Receipt>> DatabaseImpl::FindReceipt(uint64_t client) {
  std::string v;
  COTRACK_ASSIGN_OR_RETURN(bool found,
                           store_->Get(nullptr, Family::kMeta, keys::ReceiptKey(client), &v));
  if (!found) return std::optional<Receipt>();
  if (v.size() != kReceiptBytes) {
    return absl::DataLossError(absl::StrCat("write receipt of client ", client, " has ", v.size(),
                                            " bytes, expected ", kReceiptBytes, " (damaged data)"));
  }
  Receipt r;
  r.sequence = keys::DecodeU64(v);
  int64_t* fields[] = {&r.summary.written, &r.summary.corrected, &r.summary.unchanged,
                       &r.summary.retracted, &r.summary.patients};
  for (size_t i = 0; i < 5; ++i) *fields[i] = keys::DecodeI64(v.substr(16 + 8 * i));
  return std::optional<Receipt>(r);
}

absl::StatusOr<uint32_t> DatabaseImpl::PatientNum(const ReadView* view, absl::string_view id) {
  // A snapshot must not see a patient created after it: only latest-data
  // lookups use the cache.
  if (view == nullptr) {
    std::shared_lock lock(mu_);
    auto it = patient_nums_.find(id);
    if (it != patient_nums_.end()) return it->second;
  }
  std::string v;
  COTRACK_ASSIGN_OR_RETURN(bool found, store_->Get(view, Family::kPatientIds, id, &v));
  if (!found) return 0u;
  if (v.size() != 4) {
    return absl::DataLossError(absl::StrCat("patient id index entry for \"", id, "\" is damaged (",
                                            v.size(), " bytes, expected 4)"));
  }
  const uint32_t num = keys::DecodeU32(v);
  if (view == nullptr) CachePatientNum(std::string(id), num);
  return num;
}

void DatabaseImpl::CachePatientNum(const std::string& id, uint32_t num) {
  std::unique_lock lock(mu_);
  if (patient_nums_.size() >= kMaxCachedPatientNums) patient_nums_.clear();
  patient_nums_[id] = num;
}

absl::Status DatabaseImpl::CheckWritable() const {
  if (options_.read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat(path(), " is open read-only; open it for writing to change it"));
  }
  return absl::OkStatus();
}

absl::Status DatabaseImpl::Compact() {
  COTRACK_RETURN_IF_ERROR(CheckWritable());
  return store_->CompactAll();
}

Provenance DatabaseImpl::DefaultProvenance(const Provenance& in,
                                           const WriteContext& context) const {
  Provenance out;
  DefaultProvenance(in, context, &out);
  return out;
}

void DatabaseImpl::DefaultProvenance(const Provenance& in, const WriteContext& context,
                                     Provenance* out) const {
  if (in.source.empty()) {
    out->source = "api";
  } else {
    out->source = in.source;
  }
  out->user = !in.user.empty()         ? in.user
              : !context.user.empty()  ? context.user
              : !options_.user.empty() ? options_.user
                                       : OsUserName();
  out->reason = in.reason;
  out->line = in.line;
}

}  // namespace cotrack

// The engine behind every cotrack::Database handle of one process: the one
// open RocksDB store of a database directory, its catalog and counters, and
// every read and write. The process holding the database owns one (in its
// Engine, serve/engine.h): its handles call it directly, and its server
// (serve/server.h) calls it for the handles of every other process.
//
// Reads take a ReadView (null: the latest data). Writes take a WriteContext:
// whose they are (the default provenance user) and, for writes that another
// process sent, a receipt that makes a retried write apply exactly once.
//
// Where DatabaseImpl's members are defined:
//   database_impl.cc  Open and Load (format stamp or check, counters, user
//                     measures, stale receipts), receipts, the patient-number
//                     cache, provenance defaults, Compact
//   time_zone.cc      TimeZone, SetTimeZone
//   measures.cc       finding and listing measures, RegisterMeasure
//   bulk_write.cc     Apply and BeginBulkWrite: every write of observations,
//                     patients and retractions (BulkWriteImpl)
//   read_path.cc      reads of observations, patients and the audit log
// Every write fills a CommitBatch (commit_batch.h). The rest of db/: the
// staging of a bulk write (staging.h), series ends (series_ends.h), the
// write behind `cotrack load` (restore.h, which does not go through
// DatabaseImpl) and the public API's out-of-line parts (database.cc).
#ifndef COTRACK_DB_DATABASE_IMPL_H_
#define COTRACK_DB_DATABASE_IMPL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "catalog/catalog.h"
#include "cotrack/database.h"
#include "db/series_ends.h"
#include "storage/store.h"

namespace cotrack {

class CommitBatch;

// The name of the user this process runs as ("unknown" when it has none),
// looked up once per process, on first use: the lookup reads the system's
// user database (about 60 us at the first call), which a read never needs.
const std::string& OsUserName();

// Who a write is for.
struct WriteContext {
  // Default provenance user of changes that name none; empty: the engine's
  // (Options::user, else the OS user).
  std::string user;
  // When `client` is not 0, the receipt (client, sequence, summary) is stored
  // atomically with the write, so that a client whose reply was lost can ask
  // whether the write happened (FindReceipt) instead of applying it twice.
  uint64_t client = 0;
  uint64_t sequence = 0;
};

// The last write a client made, as FindReceipt returns it.
struct Receipt {
  uint64_t sequence = 0;
  WriteSummary summary;
};

// A bulk write of the engine. Its receipt (see WriteContext) may be chosen
// only when it commits: a client tags the commit, not the start.
class EngineBulkWrite : public BulkWrite {
 public:
  virtual void SetReceipt(uint64_t client, uint64_t sequence) = 0;
};

class DatabaseImpl {
 public:
  // Opens the store in `path` and loads counters and user measures: work
  // independent of the database's size. Errors as Database::Open.
  static absl::StatusOr<std::unique_ptr<DatabaseImpl>> Open(const std::string& path,
                                                            const Options& options);
  // Stops the warming thread (StartWarming) first.
  ~DatabaseImpl();

  // Fills the caches of patient numbers and series ends from the store on a
  // thread of its own, a chunk at a time, up to half of each cache's bound,
  // so that a long-lived writer's first write to each patient makes no
  // point read (4 of a first visit's 24 us from Python, docs/PERFORMANCE.md).
  // Started by the write that makes the handle's kWarmAfterEndsReads-th read
  // of a patient's series ends (NoteEndsRead): a handle recording visits
  // for many patients (a clinic's application) gets it, one that writes a
  // few (a command, a cron job) or imports (which reads ends by one scan)
  // never pays for it. Opening stays as cheap at any size; what it costs is
  // that thread's scan, a few milliseconds per 100,000 patients, and the
  // caches' memory sooner (at most about 13 MB of ids and 3 MB of series
  // ends). Nothing on a read-only handle; a second call does nothing.
  void StartWarming();
  // Counts a write's read of a patient's series ends from the store (under
  // write_mu_); the kWarmAfterEndsReads-th starts the warming.
  void NoteEndsRead() {
    if (++ends_reads_ == kWarmAfterEndsReads) StartWarming();
  }
  static constexpr size_t kWarmAfterEndsReads = 64;
  // Waits for the warming thread to finish (tests).
  void WaitForWarming();
  // Whether StartWarming has run (tests; not while a write is in progress).
  bool warming_started() const { return warmer_.joinable(); }

  // ---- Writes (see Database for their contracts). ----
  absl::StatusOr<WriteSummary> Apply(const Batch& batch, const WriteOptions& options,
                                     const WriteContext& context);
  absl::StatusOr<std::unique_ptr<EngineBulkWrite>> BeginBulkWrite(const WriteOptions& options,
                                                                  std::string audit_action,
                                                                  std::string audit_detail,
                                                                  const WriteContext& context);
  absl::Status RegisterMeasure(const MeasureDefinition& measure, const Provenance& provenance,
                               const WriteOptions& options, const WriteContext& context);
  absl::Status EditMeasure(const MeasureDefinition& measure, const Provenance& provenance,
                           const WriteOptions& options, const WriteContext& context);
  // The database's time zone (cotrack/time_zone.h).
  absl::StatusOr<std::string> TimeZone();
  absl::Status SetTimeZone(const std::string& zone, bool force, const Provenance& provenance,
                           const WriteContext& context);
  // The receipt of `client`'s last write, if it stored one.
  absl::StatusOr<std::optional<Receipt>> FindReceipt(uint64_t client);

  // ---- Reads: `view` null reads the latest data. ----
  std::unique_ptr<ReadView> NewReadView() { return store_->NewReadView(); }
  absl::StatusOr<std::vector<Observation>> Trajectory(const ReadView* view,
                                                      absl::string_view patient,
                                                      absl::string_view measure,
                                                      const TimeRange& range);
  absl::StatusOr<std::vector<Observation>> Latest(const ReadView* view, absl::string_view patient,
                                                  absl::string_view measure,
                                                  std::optional<CivilTime> as_of, int n);
  absl::StatusOr<std::vector<Observation>> LatestAll(const ReadView* view,
                                                     absl::string_view patient,
                                                     std::optional<CivilTime> as_of);
  absl::StatusOr<std::vector<Observation>> Visit(const ReadView* view, absl::string_view patient,
                                                 CivilTime date);
  absl::StatusOr<std::vector<Observation>> History(const ReadView* view, absl::string_view patient,
                                                   absl::string_view measure, CivilTime time);
  absl::StatusOr<Patient> GetPatient(const ReadView* view, absl::string_view id);
  absl::StatusOr<std::vector<Patient>> PatientHistory(const ReadView* view, absl::string_view id);
  absl::StatusOr<std::vector<Patient>> ListPatients(const ReadView* view);
  absl::StatusOr<MeasureDefinition> GetMeasure(absl::string_view code);
  absl::StatusOr<std::vector<MeasureDefinition>> ListMeasures();
  absl::StatusOr<std::vector<MeasureDefinition>> MeasureHistory(absl::string_view code);
  absl::Status ForEachSeries(const ReadView* view, absl::string_view measure,
                             const Database::SeriesVisitor& fn);
  // Reader::ScanSeries (database.h) at `view` (null: a snapshot of its own,
  // shared by every part).
  absl::Status ScanSeries(const ReadView* view, absl::string_view measure,
                          const Reader::SeriesScanOptions& options,
                          const Reader::SeriesPartVisitor& fn);
  absl::StatusOr<std::vector<AuditRecord>> AuditLog(const ReadView* view,
                                                    std::optional<std::string> patient);

  // Compacts every column family; FailedPrecondition when read-only.
  absl::Status Compact();
  const std::string& path() const { return store_->path(); }
  bool read_only() const { return options_.read_only; }
  const Options& options() const { return options_; }
  // For maintenance (check, backup, dump) of this open database.
  Store& store() { return *store_; }

 private:
  friend class BulkWriteImpl;

  DatabaseImpl(std::unique_ptr<Store> store, const Options& options);

  // ---- database_impl.cc ----

  // Open-time work: stamps a new database with the format version or checks
  // an existing one's, reads the counters and the user measures and (unless
  // read-only) drops receipts older than a day.
  absl::Status Load();

  // The patient number of `id` as of `view`, or 0 when unknown (numbers start
  // at 1). Latest-data lookups are cached: a number, once given, never changes.
  absl::StatusOr<uint32_t> PatientNum(const ReadView* view, absl::string_view id);
  // Remembers patient numbers a write just made visible.
  void CachePatientNum(const std::string& id, uint32_t num);

  // FailedPrecondition when the database was opened read-only.
  absl::Status CheckWritable() const;
  // `in` with an empty source as "api" and an empty user as the context's,
  // else the engine's, assigned into `out` (reusing its strings' capacity).
  void DefaultProvenance(const Provenance& in, const WriteContext& context, Provenance* out) const;
  Provenance DefaultProvenance(const Provenance& in, const WriteContext& context) const;
  // Adds the receipt of `context` (when it has a client) to `out`.
  void PutReceipt(const WriteContext& context, const WriteSummary& summary, int64_t now_us,
                  CommitBatch& out) const;
  // Completes `out` with one administrative change (a measure registered or
  // edited, the time zone set): its audit entry (`action`, `detail`), the
  // counters (and `next_measure_id` when given) and the receipt; writes it and
  // advances the audit sequence. Called with the write lock held.
  absl::Status WriteAdministrativeChange(CommitBatch& out, const char* action, std::string detail,
                                         const Provenance& provenance, const WriteContext& context,
                                         bool sync,
                                         std::optional<uint32_t> next_measure_id = std::nullopt);

  // ---- measures.cc ----

  // Catalog lookup under the catalog lock; NotFound names the known codes.
  // Entries are never removed or moved, so the pointer stays valid.
  absl::StatusOr<const CatalogEntry*> FindMeasure(absl::string_view code) const;
  // The catalog entry of a measure id, or nullptr (stable pointer).
  const CatalogEntry* MeasureById(uint32_t id) const;
  // Every catalog entry (stable pointers), ordered by code.
  std::vector<const CatalogEntry*> MeasuresByCode() const;

  // ---- read_path.cc ----

  // All versions of one series as of `view`.
  absl::Status ReadSeries(const ReadView* view, uint32_t patient_num, const std::string& patient,
                          const CatalogEntry& measure, std::vector<Observation>* versions);
  // All versions of a patient's registration as of `view`; empty when absent.
  absl::Status ReadPatientVersions(const ReadView* view, uint32_t num,
                                   std::vector<Patient>* versions);

  // Current values of one series within [from, to] (inclusive seconds) as of
  // `view`, appended to `out`.
  absl::Status ReadCurrent(const ReadView* view, uint32_t patient_num, const std::string& patient,
                           const CatalogEntry& measure, int64_t from, int64_t to,
                           std::vector<Observation>* out, size_t last = 0);

  // Current values of one (patient, measure) within [from, to], after
  // resolving both names.
  absl::StatusOr<std::vector<Observation>> CurrentSeries(const ReadView* view,
                                                         absl::string_view patient,
                                                         absl::string_view measure, int64_t from,
                                                         int64_t to, size_t last = 0);

  // Current values of every measure of a patient within [from, to] (the last
  // `last` per measure when > 0), by measure code, appended to `out`: one
  // batched read (MultiGet, one sequence number), so never half a visit.
  absl::Status ReadAllMeasures(const ReadView* view, absl::string_view patient, int64_t from,
                               int64_t to, size_t last, std::vector<Observation>* out);

  // Calls fn(number, current registration) for every patient as of `view`,
  // in patient-number order.
  absl::Status ScanPatients(const ReadView* view, const std::function<void(uint32_t, Patient)>& fn);

  std::unique_ptr<Store> store_;
  Options options_;

  // Serialises writers (only this process writes: it holds the RocksDB lock):
  // a write reads current versions, then appends, atomically.
  std::mutex write_mu_;

  // Guards catalog_ and patient_nums_, which writers extend and readers use.
  mutable std::shared_mutex mu_;
  Catalog catalog_;
  // A cache of the patient-id index, filled as ids are looked up and by
  // StartWarming's thread (never by Open: opening costs the same at any
  // size). Cleared when it grows past kMaxCachedPatientNums.
  absl::flat_hash_map<std::string, uint32_t> patient_nums_;
  // Ids cached by PatientNum at most: about 100 bytes each.
  static constexpr size_t kMaxCachedPatientNums = 1 << 18;

  // Counters, owned by writers (under write_mu_).
  uint32_t next_patient_num_ = 1;
  uint32_t next_measure_id_ = kFirstUserMeasureId;
  uint64_t next_audit_seq_ = 1;

  // Series ends (db/series_ends.h) of patients this handle's logged writes
  // have read or written, by patient number, as stored after the last
  // write: a later visit to one of them reads no series ends. Owned by
  // writers (under write_mu_) and, like the counters above, true because
  // this handle is the database's only writer from Open on. Every write
  // that stores series ends updates it after the write has succeeded (or
  // forgets those patients); cleared past kMaxCachedSeriesEnds. The
  // warming thread adds records as stored, under write_mu_ too.
  absl::flat_hash_map<uint32_t, SeriesEnds> series_ends_;
  static constexpr size_t kMaxCachedSeriesEnds = 1 << 16;

 private:
  void WarmPatientNums();
  void WarmSeriesEnds();
  // Calls fn for each key of [*from, end) in order, up to kWarmChunk of them,
  // until fn returns false; moves *from past the last key read. True when the
  // family may hold more (not at its end, not stopped by fn, no failed read).
  bool WarmChunk(Family f, std::string* from, absl::string_view end, const Store::ScanFn& fn);

  size_t ends_reads_ = 0;  // under write_mu_
  std::thread warmer_;     // started under write_mu_, or before any write
  std::atomic<bool> stop_warming_{false};
};

}  // namespace cotrack

#endif  // COTRACK_DB_DATABASE_IMPL_H_

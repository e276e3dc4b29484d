// The implementation behind cotrack::Database: open/meta in
// database_impl.cc, writes in write_path.cc, reads in read_path.cc.
#ifndef COTRACK_DB_DATABASE_IMPL_H_
#define COTRACK_DB_DATABASE_IMPL_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "catalog/catalog.h"
#include "cotrack/database.h"
#include "storage/store.h"

namespace cotrack {

class DatabaseImpl : public Database {
 public:
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                        const Options& options);

  absl::StatusOr<WriteSummary> Apply(const Batch& batch, const WriteOptions& options) override;
  absl::StatusOr<std::unique_ptr<BulkWrite>> BeginBulkWrite(const WriteOptions& options,
                                                            std::string audit_action,
                                                            std::string audit_detail) override;
  absl::Status RegisterMeasure(const MeasureDefinition& measure, const Provenance& provenance,
                               const WriteOptions& options) override;

  absl::StatusOr<std::vector<Observation>> Trajectory(absl::string_view patient,
                                                      absl::string_view measure,
                                                      const TimeRange& range) override;
  absl::StatusOr<std::vector<Observation>> Latest(absl::string_view patient,
                                                  absl::string_view measure,
                                                  std::optional<CivilTime> as_of, int n) override;
  absl::StatusOr<std::vector<Observation>> LatestAll(absl::string_view patient,
                                                     std::optional<CivilTime> as_of) override;
  absl::StatusOr<std::vector<Observation>> Visit(absl::string_view patient,
                                                 CivilTime date) override;
  absl::StatusOr<std::vector<Observation>> History(absl::string_view patient,
                                                   absl::string_view measure,
                                                   CivilTime time) override;
  absl::StatusOr<Patient> GetPatient(absl::string_view id) override;
  absl::StatusOr<std::vector<Patient>> PatientHistory(absl::string_view id) override;
  absl::StatusOr<std::vector<Patient>> ListPatients() override;
  absl::StatusOr<MeasureDefinition> GetMeasure(absl::string_view code) override;
  absl::StatusOr<std::vector<MeasureDefinition>> ListMeasures() override;
  absl::Status ForEachSeries(absl::string_view measure, const SeriesVisitor& fn) override;
  absl::StatusOr<std::vector<AuditRecord>> AuditLog(std::optional<std::string> patient) override;
  absl::Status Compact() override;
  const std::string& path() const override { return store_->path(); }

 private:
  friend class BulkWriteImpl;

  DatabaseImpl(std::unique_ptr<Store> store, const Options& options);

  // The catalog entry of a measure id, or nullptr (stable pointer).
  const CatalogEntry* MeasureById(uint32_t id) const;

  // Open-time work: format version check, counters, patient ids, user measures.
  absl::Status Load();

  // The patient number of `id`, or 0 when unknown (numbers start at 1).
  uint32_t PatientNum(absl::string_view id) const;
  // Catalog lookup under the catalog lock; NotFound names the known codes.
  // Entries are never removed or moved, so the pointer stays valid.
  absl::StatusOr<const CatalogEntry*> FindMeasure(absl::string_view code) const;
  // Both lookups of a series read under one acquisition of the lock: the
  // measure (errors as FindMeasure) and the patient number (0 when unknown).
  absl::Status FindSeries(absl::string_view patient, absl::string_view measure,
                          const CatalogEntry** entry, uint32_t* patient_num) const;

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
  absl::StatusOr<std::vector<Observation>> CurrentSeries(absl::string_view patient,
                                                         absl::string_view measure, int64_t from,
                                                         int64_t to, size_t last = 0);

  // Current values of every measure of a patient within [from, to] (the last
  // `last` per measure when > 0), by measure code, from one snapshot.
  absl::Status ReadAllMeasures(absl::string_view patient, int64_t from, int64_t to, size_t last,
                               std::vector<Observation>* out);

  // Calls fn(number, current registration) for every patient as of `view`,
  // in patient-number order.
  absl::Status ScanPatients(const ReadView* view, const std::function<void(uint32_t, Patient)>& fn);

  // Every catalog entry (stable pointers), ordered by code.
  std::vector<const CatalogEntry*> MeasuresByCode() const;

  absl::Status CheckWritable() const;
  // `p` with an empty source as "api" and an empty user as the database's.
  Provenance DefaultProvenance(const Provenance& p) const;
  // The same, assigned into `out` (reusing its strings' capacity).
  void DefaultProvenance(const Provenance& in, Provenance* out) const;

  std::unique_ptr<Store> store_;
  Options options_;
  std::string os_user_;

  // Serialises writers inside this process (the RocksDB lock excludes other
  // processes): a write reads current versions, then appends, atomically.
  std::mutex write_mu_;

  // Guards catalog_ and patient_nums_, which writers extend and readers use.
  mutable std::shared_mutex mu_;
  Catalog catalog_;
  absl::flat_hash_map<std::string, uint32_t> patient_nums_;

  // Counters, owned by writers (under write_mu_).
  uint32_t next_patient_num_ = 1;
  uint32_t next_measure_id_ = kFirstUserMeasureId;
  uint64_t next_audit_seq_ = 1;
};

}  // namespace cotrack

#endif  // COTRACK_DB_DATABASE_IMPL_H_

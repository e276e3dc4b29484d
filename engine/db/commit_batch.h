// The records of one write, put where the stored layout says
// (codec/key_codec.h). Every write of a database fills a CommitBatch and
// applies it in one atomic step: a bulk write (bulk_write.cc), a measure
// registration (measures.cc), the format stamp of a new database
// (database_impl.cc) and each step of a restore from a dump (restore.cc). So
// this class, with the key codec, is the only code that writes a record, a
// patient-id index entry, a series end or a counter: it alone knows which
// family and key each goes to, and how wide a counter is.
//
// A CommitBatch encodes; it does not decide or check. Version numbers,
// recorded times, patient numbers and counter values come from the caller.
//
// In a batch of table files (Ingested) each family's keys must be added in
// increasing order: series by (measure, patient), patients by number, ids by
// their bytes, measures by id, audit entries by sequence; in the meta family
// series ends (by patient number) sort first, then the counters (PutCounters
// writes them in key order), then receipts.
#ifndef COTRACK_DB_COMMIT_BATCH_H_
#define COTRACK_DB_COMMIT_BATCH_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cotrack/database.h"
#include "cotrack/types.h"
#include "db/series_ends.h"
#include "storage/store.h"

namespace cotrack {

class CommitBatch {
 public:
  // A logged write batch (write-ahead log, then memtable): for small writes.
  static std::unique_ptr<CommitBatch> Logged(Store& store);
  // Table files ingested at once, sparing the log and the memtable: for
  // large writes. Errors as Store::NewIngestBatch.
  static absl::StatusOr<std::unique_ptr<CommitBatch>> Ingested(Store& store);

  CommitBatch(const CommitBatch&) = delete;
  CommitBatch& operator=(const CommitBatch&) = delete;

  // Appends `versions` to the series (measure_id, patient_num) as one
  // addition to its record log, in the order given (the order they are read
  // back in before sorting, e.g. by a dump).
  void AppendSeries(uint32_t measure_id, uint32_t patient_num,
                    absl::Span<const Observation* const> versions);
  void AppendSeries(uint32_t measure_id, uint32_t patient_num,
                    absl::Span<const Observation> versions);

  // Appends registration `versions` to patient number `patient_num`'s log.
  void AppendPatient(uint32_t patient_num, absl::Span<const Patient> versions);
  // Indexes patient id `id` as `patient_num`: once, when the patient is new.
  void PutPatientId(absl::string_view id, uint32_t patient_num);

  // Appends a version of user measure `id` to its log.
  void AppendMeasure(uint32_t id, const MeasureDefinition& def);

  // Adds the audit entry numbered `entry.sequence`.
  void PutAudit(const AuditRecord& entry);

  // Marks the database as of this engine's format (kFormatVersion).
  void PutFormatVersion();
  // Replaces patient number `patient_num`'s series ends.
  void PutSeriesEnds(uint32_t patient_num, const SeriesEnds& ends);
  // What the next write numbers from; unset counters are left as stored.
  struct Counters {
    std::optional<uint32_t> next_patient_num;
    std::optional<uint32_t> next_measure_id;
    std::optional<uint64_t> next_audit_seq;
  };
  void PutCounters(const Counters& counters);
  // Replaces the receipt of another process's client (database_impl.h).
  void PutReceipt(uint64_t client, absl::string_view receipt);
  // Sets the database's time zone name (cotrack/time_zone.h); sorts after
  // the receipts in the meta family.
  void PutTimeZone(absl::string_view zone);

  size_t ApproximateBytes() const { return batch_->ApproximateBytes(); }

  // Applies everything added, atomically (Store::Write); with `sync` it is
  // durable when this returns. The batch is spent afterwards.
  absl::Status Write(bool sync);

 private:
  CommitBatch(Store& store, std::unique_ptr<Store::Batch> batch);

  Store& store_;
  std::unique_ptr<Store::Batch> batch_;
  std::string log_;  // reused for each series: keeps its capacity
};

}  // namespace cotrack

#endif  // COTRACK_DB_COMMIT_BATCH_H_

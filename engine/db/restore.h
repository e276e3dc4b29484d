// Restoring a database from its records as stored: the write behind
// `cotrack load` (maintenance/load.cc). A bulk write decides version numbers,
// recorded times and provenance itself and adds an audit entry of its own; a
// restore keeps every one of those as given, so that dump -> load -> dump
// gives the same bytes. Its records go through the batch every write fills
// (commit_batch.h), which puts them, the patient-id index and the counters
// where the layout says; nothing outside db/ writes those.
//
// Usage (one patient with two registrations, one EDSS series):
//
//   COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<RestoreWrite> r, RestoreWrite::Open(dir, options));
//   const uint32_t num = r->AddPatient("P01");
//   COTRACK_RETURN_IF_ERROR(r->AddPatientVersions(num, {v1, v2}));
//   COTRACK_RETURN_IF_ERROR(r->AddSeries(edss_id, num, versions));
//   COTRACK_RETURN_IF_ERROR(r->AddAudit(entry));
//   COTRACK_RETURN_IF_ERROR(r->Finish());
//
// The caller checks the records (versions 1..n, each series' and patient's
// versions added at once, references, audit sequence numbers 1..n: what
// `cotrack check` expects); a restore only numbers the patients and moves the
// counters past what it wrote, and lists every patient's series ends
// (series_ends.h) as complete records: it has written each series itself,
// so the first visit after a load reads no series.
//
// A dump may be larger than memory, so a restore is written in steps of a
// few MiB, not atomically: one that fails part way leaves some records and no
// counters behind, and its directory is to be deleted. It has the database
// to itself from Open until it is destroyed.
#ifndef COTRACK_DB_RESTORE_H_
#define COTRACK_DB_RESTORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cotrack/database.h"
#include "cotrack/options.h"
#include "cotrack/types.h"
#include "db/series_ends.h"

namespace cotrack {

class CommitBatch;
class Store;

class RestoreWrite {
 public:
  // Opens the database in directory `path` (created when missing) to restore
  // into. FailedPrecondition (naming `path`) when it holds a database of
  // another format, or any patient, measure, observation or audit entry (a
  // database opened but never written is empty). Other errors as
  // Database::Open (e.g. Unavailable when another process holds it).
  // `options`: only encryption_key_file is used.
  static absl::StatusOr<std::unique_ptr<RestoreWrite>> Open(const std::string& path,
                                                            const Options& options);
  ~RestoreWrite();
  RestoreWrite(const RestoreWrite&) = delete;
  RestoreWrite& operator=(const RestoreWrite&) = delete;

  // Appends a version of user measure `id` (kFirstUserMeasureId up to
  // UINT32_MAX - 1, kept as given). Errors: those of a write to the store.
  absl::Status AddMeasure(uint32_t id, const MeasureDefinition& def);

  // Indexes patient `id` (new to this restore) under the next patient number,
  // returned: the number its versions and series are added under.
  uint32_t AddPatient(absl::string_view id);
  // Appends registration `versions` of patient number `patient_num`, all of
  // them at once, as given. Errors: those of a write to the store.
  absl::Status AddPatientVersions(uint32_t patient_num, absl::Span<const Patient> versions);

  // Appends `versions` to the series (measure_id, patient_num), all of them
  // at once, in the order given (the order they were first written in).
  // Errors: those of a write to the store.
  absl::Status AddSeries(uint32_t measure_id, uint32_t patient_num,
                         absl::Span<const Observation> versions);

  // Adds the audit entry numbered `entry.sequence`. Errors: those of a write
  // to the store.
  absl::Status AddAudit(const AuditRecord& entry);

  // Sets the database's time zone (cotrack/time_zone.h), unchecked.
  // Errors: those of a write to the store.
  absl::Status SetTimeZone(absl::string_view zone);

  // Writes the series ends, what is left and the counters (next patient
  // number, measure id and audit sequence number, past everything added),
  // synced: the database then takes new writes. Errors: those of a write to
  // the store.
  absl::Status Finish();

 private:
  explicit RestoreWrite(std::unique_ptr<Store> store);
  // Writes the batch when it has grown past a few MiB.
  absl::Status MaybeWrite();

  std::unique_ptr<Store> store_;
  std::unique_ptr<CommitBatch> batch_;
  uint32_t next_patient_num_ = 1;
  std::vector<SeriesEnds> ends_;  // ends_[num - 1]: patient number num's
  uint32_t next_measure_id_;
  uint64_t next_audit_seq_ = 1;
};

}  // namespace cotrack

#endif  // COTRACK_DB_RESTORE_H_

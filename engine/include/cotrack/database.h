// The cotrack embedded database: per-patient, per-measure, time-indexed
// clinical observations with full version history.
//
// Thread safety: a Database may be shared by any number of threads. Reads run
// concurrently and each sees one consistent snapshot (never half a visit).
//
// Many processes: any number of processes may open one database directory at
// once, each reading and writing (an app's web workers, a cron import, an
// analysis session, a backup). The first to open it holds it and serves the
// others over a private Unix socket inside the database directory; writes
// from every process are serialised there, and a write acknowledged in one
// process is visible to every read that starts after it, in every process.
// When the serving process closes the database or exits, another takes over
// within Options::busy_timeout_ms, unnoticed by callers. See
// docs/EMBEDDING.md, "Many processes".
#ifndef COTRACK_DATABASE_H_
#define COTRACK_DATABASE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/options.h"
#include "cotrack/types.h"

namespace cotrack {

// A set of changes applied all-or-nothing by Database::Apply: an imported
// file, or one visit. Building a batch validates nothing; Apply does.
class Batch {
 public:
  // Registers a new patient or updates one (a new version when it differs).
  void PutPatient(Patient patient) { patients_.push_back(std::move(patient)); }
  // Adds one observation; see Database::Record.
  void Record(ObservationInput obs) { observations_.push_back(std::move(obs)); }
  // Makes room for `n` observations (a hint, to spare reallocation).
  void Reserve(size_t n) { observations_.reserve(n); }
  // Marks the current version of (patient, measure, time) entered-in-error.
  void Retract(std::string patient, std::string measure, CivilTime time, Provenance provenance) {
    retractions_.push_back(
        Retraction{std::move(patient), std::move(measure), time, std::move(provenance)});
  }
  // The audit entry of this batch: action ("import", "record", ...) and a
  // free-text detail (e.g. the file name).
  void SetAudit(std::string action, std::string detail) {
    audit_action_ = std::move(action);
    audit_detail_ = std::move(detail);
  }

  size_t size() const { return patients_.size() + observations_.size() + retractions_.size(); }
  bool empty() const { return size() == 0; }

  struct Retraction {
    std::string patient;
    std::string measure;
    CivilTime time;
    Provenance provenance;
  };
  const std::vector<Patient>& patients() const { return patients_; }
  const std::vector<ObservationInput>& observations() const { return observations_; }
  const std::vector<Retraction>& retractions() const { return retractions_; }
  const std::string& audit_action() const { return audit_action_; }
  const std::string& audit_detail() const { return audit_detail_; }

 private:
  std::vector<Patient> patients_;
  std::vector<ObservationInput> observations_;
  std::vector<Retraction> retractions_;
  std::string audit_action_ = "record";
  std::string audit_detail_;
};

// A change a bulk write refused, and why ("SOURCE:LINE: field ...").
struct Rejection {
  Provenance provenance;
  std::string message;
  // The change as a CSV row (patient,measure,date,value,unit, or the patient
  // id), fields quoted as CSV needs, so a reject file can be fixed and re-imported.
  std::string change;
  // kNotFound for a reference to nothing (an unknown patient), else
  // kInvalidArgument.
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  // The measure of a rejected observation (empty for a patient), so that an
  // importer can say which column of its file the value came from.
  std::string measure;
};

// An atomic write too large to hold in memory, such as an imported file.
// Changes are validated and staged (spilling to disk past a memory limit) as
// they are added; Commit makes all of them visible at once. Until Commit
// returns nothing is visible, and a crash, an error or destroying the object
// without committing leaves the database as it was. While a BulkWrite is
// open, other writes of the same Database wait for it.
class BulkWrite {
 public:
  virtual ~BulkWrite() = default;

  // Validates every change in `batch` and stages the valid ones. Invalid
  // changes are appended to `rejected`; with `rejected` null, any invalid
  // change is an InvalidArgument listing them and nothing of `batch` is
  // staged.
  virtual absl::Status Add(const Batch& batch, std::vector<Rejection>* rejected) = 0;

  // Applies everything staged, all or nothing, and ends the bulk write (with
  // WriteOptions::dry_run: computes the summary and writes nothing). One
  // write holds at most one value per (patient, measure, time): an identical
  // second one is the same observation, stored once; a different one is
  // resolved by WriteOptions::repeats, and by default is an InvalidArgument
  // naming both lines, or, with `rejected` given, is left out and appended
  // there.
  virtual absl::StatusOr<WriteSummary> Commit(std::vector<Rejection>* rejected) = 0;
  absl::StatusOr<WriteSummary> Commit() { return Commit(nullptr); }
};

// The queries, shared by a Database (each call reads the latest data) and a
// ReadSnapshot (every call reads the same point in time). Every method may
// also fail with Unavailable when the database could not be reached within
// Options::busy_timeout_ms (the process serving it hung), FailedPrecondition
// after Close, and DataLoss when stored data is damaged.
class Reader {
 public:
  virtual ~Reader();

  // Current values of one measure for one patient in `range`, oldest first;
  // retracted values left out. Empty when there are none; NotFound for an
  // unknown measure.
  virtual absl::StatusOr<std::vector<Observation>> Trajectory(absl::string_view patient,
                                                              absl::string_view measure,
                                                              const TimeRange& range = {}) = 0;

  // The last `n` current values on or before `as_of` (unset: any time),
  // newest first.
  virtual absl::StatusOr<std::vector<Observation>> Latest(
      absl::string_view patient, absl::string_view measure,
      std::optional<CivilTime> as_of = std::nullopt, int n = 1) = 0;

  // The latest current value of every measure the patient has, by measure
  // code.
  virtual absl::StatusOr<std::vector<Observation>> LatestAll(
      absl::string_view patient, std::optional<CivilTime> as_of = std::nullopt) = 0;

  // Every current value recorded on civil day `date` (any time of that day),
  // ordered by measure code then time.
  virtual absl::StatusOr<std::vector<Observation>> Visit(absl::string_view patient,
                                                         CivilTime date) = 0;

  // Every version of one observation, oldest first, retractions included.
  // NotFound when the identity was never recorded.
  virtual absl::StatusOr<std::vector<Observation>> History(absl::string_view patient,
                                                           absl::string_view measure,
                                                           CivilTime time) = 0;

  // The current registration of a patient. NotFound when unknown.
  virtual absl::StatusOr<Patient> GetPatient(absl::string_view id) = 0;
  // Every version of a patient's registration, oldest first.
  virtual absl::StatusOr<std::vector<Patient>> PatientHistory(absl::string_view id) = 0;
  // All patients, ordered by id.
  virtual absl::StatusOr<std::vector<Patient>> ListPatients() = 0;

  // A measure by code (built-in or registered). NotFound when unknown.
  virtual absl::StatusOr<MeasureDefinition> GetMeasure(absl::string_view code) = 0;
  // Built-ins then user measures, each ordered by code.
  virtual absl::StatusOr<std::vector<MeasureDefinition>> ListMeasures() = 0;

  // Calls `fn` once per patient holding values of `measure` with that
  // patient's registration and current trajectory, all from one snapshot.
  // Stops early and returns fn's error when fn fails. This is the one-pass
  // scan behind cohort analytics.
  using SeriesVisitor = std::function<absl::Status(const Patient& patient,
                                                   const std::vector<Observation>& trajectory)>;
  virtual absl::Status ForEachSeries(absl::string_view measure, const SeriesVisitor& fn) = 0;

  // The lean cohort scan: like ForEachSeries, but gives only what cohort
  // analytics need, so that a pass over a registry does not build a full
  // Patient and Observation (strings, provenance) per value. Calls `fn`
  // once per patient holding values of `measure`, with the patient's id,
  // arm, index date and the attribute options.attribute (SeriesPatient),
  // and the patient's current values, retracted ones left out, oldest first
  // (SeriesValue: time, value in the canonical unit, comparator; a
  // corrected value appears once, as its latest version).
  //
  // Parts: the patients are split, in patient-number order, into at most
  // options.parts consecutive ranges scanned at once, each on its own
  // thread (part 0 on the caller's). Every part reads the SAME snapshot
  // (one point in time), so a scan never mixes two states of the database.
  // Calls for one part come from one thread, in key order; calls for
  // different parts may run at the same time, so `fn` must only touch
  // state of its own part (e.g. one accumulator per part, merged in part
  // order afterwards: parts concatenated in order 0, 1, ... are the
  // single-part order). A database of fewer than
  // options.min_patients_per_part patients per part is scanned in fewer
  // parts (one below that size): small cohorts pay no threads. A handle
  // served by another process has the scan run there, in parts on that
  // process's threads (no more than it has), and calls `fn` for every part
  // on the caller's thread, each part's patients in order (one part when
  // the serving process is a cotrack of the previous protocol); readers
  // that do not implement the scan scan in one part. No thread outlives
  // the call.
  //
  // Errors: NotFound for an unknown measure; InvalidArgument when
  // options.parts < 1; DataLoss naming the series when stored data is
  // damaged (records are checksum- and FlatBuffers-verified as for every
  // read); fn's error, after which every part stops (when several parts
  // fail, the error of the lowest part is returned); and the errors every
  // Reader method may return (see above). Must not be called from inside
  // a ForEachSeries or ScanSeries visitor of a snapshot served by another
  // process.
  struct SeriesScanOptions {
    // The patient attribute to return in SeriesPatient::attribute; "" none.
    std::string attribute;
    // At most this many parts (threads).
    int parts = 1;
    // Fewer parts when there are fewer patients than this per part.
    int64_t min_patients_per_part = 4096;
  };
  using SeriesPartVisitor = std::function<absl::Status(int part, const SeriesPatient& patient,
                                                       const std::vector<SeriesValue>& values)>;
  virtual absl::Status ScanSeries(absl::string_view measure, const SeriesScanOptions& options,
                                  const SeriesPartVisitor& fn);

  // Audit entries, oldest first; only those about `patient` when given.
  virtual absl::StatusOr<std::vector<AuditRecord>> AuditLog(
      std::optional<std::string> patient = std::nullopt) = 0;

 protected:
  Reader() = default;
};

// A read snapshot (a read transaction): every read through it sees the
// database as of the moment it was taken, so a visit, a trajectory and the
// patient's registration can be read from one point in time while other
// threads and processes write. Cheap to hold for seconds; holding one for
// hours keeps superseded data on disk until it is released. Thread-safe.
// When the process serving the database exits while a snapshot is held,
// reads through it fail with Unavailable ("snapshot ended"): take a new one.
class ReadSnapshot : public Reader {
 public:
  ~ReadSnapshot() override;

 protected:
  ReadSnapshot() = default;
};

class Database : public Reader {
 public:
  // Opens (or, with create_if_missing, creates) the database in directory
  // `path`; other processes may have it open too (see the top of this file).
  // Errors: NotFound when there is no database and create_if_missing is
  // false; FailedPrecondition when its format is newer than this build
  // understands, or when it is encrypted and options.encryption_key_file is
  // not its key; DataLoss when its files are damaged; PermissionDenied when
  // the directory belongs to another user; Unavailable when the process
  // holding it does not answer within options.busy_timeout_ms.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                        const Options& options = Options());

  ~Database() override;

  // ---- Writes. Each is atomic: all of it is visible, or none of it. ----
  //
  // Attribution: each change carries its Provenance (types.h): who makes it
  // (empty: Options::user) and why. A handle shared by several clinicians
  // names each write's user and reason; History, PatientHistory and AuditLog
  // show them. A bad user or reason is an InvalidArgument naming the field,
  // as any invalid change is.

  // Validates every change in `batch` and applies them together. On any
  // invalid change nothing is written and the error lists each bad change as
  // `SOURCE:LINE: field "x": bad value "v" (expected ...)`. Recording the same
  // content again for an identity (patient, measure, time) is a no-op; other
  // content adds a version and keeps the earlier ones. Observations of
  // patients not yet registered register them (no arm, no index date).
  virtual absl::StatusOr<WriteSummary> Apply(const Batch& batch,
                                             const WriteOptions& options = {}) = 0;

  // Starts a bulk write; `audit_action` and `audit_detail` describe it in the
  // audit log (e.g. "import" and the file name).
  virtual absl::StatusOr<std::unique_ptr<BulkWrite>> BeginBulkWrite(const WriteOptions& options,
                                                                    std::string audit_action,
                                                                    std::string audit_detail) = 0;

  // One observation; equivalent to a Batch holding just it.
  absl::StatusOr<WriteSummary> Record(const ObservationInput& obs,
                                      const WriteOptions& options = {});

  // Several measures of one patient at one visit, written together. Taken
  // by value: a caller done with its vector moves it in, and nothing is
  // copied on the way to the write.
  absl::StatusOr<WriteSummary> RecordVisit(std::vector<ObservationInput> visit,
                                           const WriteOptions& options = {});

  // Marks the current version of an observation entered-in-error; it leaves
  // trajectories but stays in History. NotFound when there is none;
  // InvalidArgument when `provenance.reason` is empty (say why) or the user
  // or reason is malformed.
  absl::StatusOr<WriteSummary> Retract(const std::string& patient, const std::string& measure,
                                       CivilTime time, const Provenance& provenance,
                                       const WriteOptions& options = {});

  // Registers or updates a patient, attributed to `patient.provenance`.
  absl::StatusOr<WriteSummary> PutPatient(const Patient& patient, const WriteOptions& options = {});

  // Adds a user-defined measure, attributed to `provenance` in the audit log.
  // AlreadyExists when the code is taken by a different definition;
  // registering an identical definition is a no-op. InvalidArgument for a
  // bad definition or a malformed user or reason.
  virtual absl::Status RegisterMeasure(const MeasureDefinition& measure,
                                       const Provenance& provenance,
                                       const WriteOptions& options = {}) = 0;

  // Changes the definition of the user measure `measure.code` to `measure`,
  // as a new version of it: the earlier versions stay (MeasureHistory, dump)
  // and the audit log names what changed, attributed to `provenance`. Every
  // current stored value of the measure is checked against the new
  // definition first, while writes wait; if any fails, nothing changes and
  // the error is FailedPrecondition listing them (patient, date, value and
  // the rule it breaks; the first 20, then a count). The canonical unit
  // cannot change while values are stored (they would be reinterpreted):
  // each is then such a failure. An identical definition is a no-op.
  // NotFound for an unknown code; FailedPrecondition for a built-in;
  // InvalidArgument for a bad definition or a malformed user or reason.
  // A bulk write begun before the edit validates its values against the
  // definition it began with.
  virtual absl::Status EditMeasure(const MeasureDefinition& measure, const Provenance& provenance,
                                   const WriteOptions& options = {}) = 0;

  // Every version of measure `code`'s definition, oldest first (the current
  // one last): one for a built-in or a measure never edited. NotFound for an
  // unknown code.
  virtual absl::StatusOr<std::vector<MeasureDefinition>> MeasureHistory(absl::string_view code) = 0;

  // Starts a read snapshot of the latest data (see ReadSnapshot).
  virtual absl::StatusOr<std::unique_ptr<ReadSnapshot>> NewSnapshot() = 0;

  // Flushes memory to table files and compacts all of them: smallest files,
  // fastest reads. For maintenance and benchmarks; never needed for safety.
  virtual absl::Status Compact() = 0;

  // Ends this handle: calls other threads are making through it finish
  // first, and every later call fails with FailedPrecondition ("closed").
  // Destroying the handle closes it. When this process served the database
  // to others, one of them takes over.
  virtual void Close() = 0;

  // The directory this database lives in.
  virtual const std::string& path() const = 0;

 protected:
  Database() = default;
};

// True when a bulk write failed (Aborted) only because the process serving
// the database exited before it was committed: nothing of it was written,
// and running it again from the start is safe. Imports of files do so.
bool IsInterruptedWrite(const absl::Status& status);

// True when a streamed read (ForEachSeries, ScanSeries, and what is built on
// them: cohort summaries, exports) failed (Unavailable) only because the
// process serving the database went away after part of the answer had
// reached the caller, so that it could not be repeated unnoticed: it was
// killed, or it closed the database while the caller did not read for
// longer than it waits (about 2 s). The database is fine; the caller drops
// what it received and runs the read again, as ExportToFile
// (cotrack/export.h) does.
bool IsInterruptedRead(const absl::Status& status);

// The on-disk format this build writes and the newest it can open. Format 2
// packs each write's series entries as varints (schema/observation.fbs,
// `packed`); format 1's records stay readable, and the first writable open
// of a format-1 database stamps it 2, so that an older cotrack refuses it
// (FailedPrecondition) instead of misreading it.
constexpr uint32_t kFormatVersion = 2;

// The cotrack release, e.g. "0.1.0".
const char* Version();

}  // namespace cotrack

#endif  // COTRACK_DATABASE_H_

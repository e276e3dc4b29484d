// Data-manager maintenance: an integrity check of a whole database,
// incremental backups with restore, and a dump of everything a database holds
// with its load into a new database. Each works on a database directory by
// path; check, backup and dump run while a writer (this process or another)
// keeps working. See docs/OPERATIONS.md and, for dump and load,
// docs/EXPORT.md.
#ifndef COTRACK_MAINTENANCE_H_
#define COTRACK_MAINTENANCE_H_

#include <cstddef>
#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cotrack/options.h"

namespace cotrack {

// One thing found damaged or inconsistent by CheckDatabase.
struct CheckProblem {
  std::string family;   // "table file", "meta", "patient_ids", "patients", "measures",
                        // "series" or "audit"
  std::string key;      // the damaged key or file, printable ("" when not one key)
  std::string patient;  // the patient concerned, when known
  std::string message;  // what is wrong
};

// What CheckDatabase found. Counts are of what could be read.
struct CheckReport {
  size_t table_files = 0;       // RocksDB table files whose checksums were verified
  size_t patients = 0;          // registered patients
  size_t patient_versions = 0;  // versions of their registrations
  size_t measures = 0;          // user-registered measures (built-ins are not stored)
  size_t series = 0;            // (patient, measure) series
  size_t observations = 0;      // observation identities (patient, measure, time)
  size_t versions = 0;          // stored observation versions
  size_t audit_entries = 0;
  std::vector<CheckProblem> problems;  // the first kMaxCheckProblems
  size_t problems_not_listed = 0;      // problems beyond those
  bool ok() const { return problems.empty(); }
};
constexpr size_t kMaxCheckProblems = 1000;

// Verifies the database in directory `path`: the checksums of every table
// file; every stored record (CRC and FlatBuffers verification); every
// reference (a series' patient and measure exist, patient ids and patient
// records match one to one, versions of each identity are 1..n, audit
// sequence numbers are 1..n without gaps, counters are ahead of what they
// number). Damage is reported in the CheckReport, not as an error; an error
// means the check could not run (no database, unreadable directory).
// `options`: only encryption_key_file is used.
absl::StatusOr<CheckReport> CheckDatabase(const std::string& path,
                                          const Options& options = Options());

// One backup in a backup directory.
struct BackupInfo {
  uint32_t id = 0;
  int64_t created_unix_seconds = 0;
  uint64_t size_bytes = 0;  // of all files the backup uses (shared ones included)
  uint32_t file_count = 0;
  std::string error;  // VerifyBackups: why this backup is bad; empty when good
};

// Adds an incremental backup of the database in `db_path` to `backup_dir`
// (created 0700 when missing): only table files the directory does not hold
// yet are copied. Works while a writer runs: the backup is the state as of
// the moment it starts (write-ahead log included), consistent across
// families. When the writer deletes a file mid-copy (compaction), the backup
// is retried a few times, then fails with Aborted. Backups into one
// directory take turns (a flock on it), from any number of processes.
absl::StatusOr<BackupInfo> BackupDatabase(const std::string& db_path, const std::string& backup_dir,
                                          const Options& options = Options());

// Checks every backup in `backup_dir` against the sizes and checksums
// recorded when it was made. A bad backup has BackupInfo::error set; an
// error status means there is no backup directory or it is unreadable.
absl::StatusOr<std::vector<BackupInfo>> VerifyBackups(const std::string& backup_dir,
                                                      const Options& options = Options());

// Restores the latest good backup of `backup_dir` into `new_db_path`, which
// must not exist or be an empty directory (FailedPrecondition otherwise), then
// checks the restored database; DataLoss when that check finds damage.
absl::StatusOr<BackupInfo> RestoreBackup(const std::string& backup_dir,
                                         const std::string& new_db_path,
                                         const Options& options = Options());

// The dump format written by DumpDatabase and read by LoadDatabase.
constexpr int kDumpFormatVersion = 1;

struct DumpSummary {
  int64_t measures = 0;  // user measure definitions
  int64_t patients = 0;  // patients
  int64_t patient_versions = 0;
  int64_t observation_versions = 0;
  int64_t audit_entries = 0;
};

// Writes every record of the database in directory `path` to `out` as
// NDJSON (docs/EXPORT.md): every version with its provenance, user measures
// and the audit log, as of one snapshot, so a writer may keep working. It
// runs where the database is held (this process, or the one serving it);
// from a serving process it is spooled to a temporary file in $TMPDIR and
// written to `out` once whole, so a hand-over mid-dump restarts it unseen.
// Errors: those of Database::Open (NotFound when there is no database);
// DataLoss when a stored record is damaged (CheckDatabase names it);
// Unavailable or DataLoss when writing to `out` (or the spool) fails.
absl::StatusOr<DumpSummary> DumpDatabase(const std::string& path, const Options& options,
                                         std::ostream& out);

// Loads a dump from `in` into the database in directory `path` (created when
// missing), keeping every version number, recorded time and provenance.
// FailedPrecondition when that database already holds data; InvalidArgument
// naming `source_name`, the line and the field for a bad record (or a dump
// of a newer format); DataLoss when reading `in` fails; otherwise the errors
// of Database::Open (e.g. Unavailable when another process holds `path`).
// A failed load may leave a partial database: delete the directory and load
// again.
absl::StatusOr<DumpSummary> LoadDatabase(std::istream& in, const std::string& source_name,
                                         const std::string& path, const Options& options);

}  // namespace cotrack

#endif  // COTRACK_MAINTENANCE_H_

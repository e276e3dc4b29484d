// How a row of any format ends. Every format turns a source row (a CSV row,
// an NDJSON line, a Bundle entry) into changes through a RowWriter, so these
// rules hold for all of them and live here once:
//   - a row with any error adds nothing to the batch: a file with errors is
//     rejected whole, and --on-error skip leaves each bad row out whole;
//   - every change carries the row's provenance: the file as given, the
//     row's line (0 for a Bundle entry) and the importing user;
//   - a file gives each (patient, measure, time) at most once (FirstSeen);
//   - rows read, and rows deliberately not imported (by reason), are counted
//     for the import summary.
#ifndef COTRACK_IMPORT_ROW_WRITER_H_
#define COTRACK_IMPORT_ROW_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cotrack/database.h"
#include "cotrack/import.h"
#include "import/import_errors.h"

namespace cotrack {

class RejectSink;  // format.h

// Exact counts of what a format has read so far; the import summary prints
// them.
struct ImportCounts {
  int64_t rows = 0;     // source rows read (CSV data rows, NDJSON lines, Bundle entries)
  int64_t skipped = 0;  // rows deliberately not imported (unmapped code, no value, ...)
  std::map<std::string, int64_t> skipped_by_reason;  // reason -> rows
  // Date-times read with a UTC offset or Z while no time zone was given:
  // their offset was dropped (the import report warns once per file).
  int64_t offsets_dropped = 0;
};

// The (patient, measure, time) identities of one file with the position
// (line, or entry number) each first appeared at. Database::Apply would take
// a second row of the same identity as a correction of the first, and every
// re-import would then add versions, so a file may hold each identity once.
// Readers report a repeated identity with the position of its first
// occurrence while the file is small enough to track them all; past this
// many, memory must stay bounded, and the bulk write's commit, which meets
// repeats side by side in its sorted order, reports them instead (same
// message).
constexpr size_t kMaxTrackedIdentities = 1 << 20;

class IdentitySet {
 public:
  // What Insert found.
  struct Seen {
    int64_t first = 0;       // 0: new (or no longer tracked); else where first seen
    bool identical = false;  // with `first`: the first had the same content
  };
  // Records the identity with a fingerprint of its content (ContentHash).
  Seen Insert(absl::string_view patient, absl::string_view measure, int64_t seconds,
              uint64_t content, int64_t position);

 private:
  // One small table per patient rather than one table for the file: files
  // list a patient's rows together, so each row then touches a table already
  // in cache; a single million-entry table cost a cache miss per row (the
  // largest cost of parsing a long CSV).
  struct Key {
    int64_t seconds;
    uint32_t measure;
    bool operator==(const Key& o) const { return seconds == o.seconds && measure == o.measure; }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      uint64_t h =
          (static_cast<uint64_t>(k.seconds) ^ (uint64_t{k.measure} << 47)) * 0x9E3779B97F4A7C15u;
      return static_cast<size_t>(h ^ (h >> 29));
    }
  };
  struct First {
    int64_t position;
    uint64_t content;
  };
  using PatientTable = absl::flat_hash_map<Key, First, KeyHash>;

  static uint32_t Intern(absl::flat_hash_map<std::string, uint32_t>& ids, absl::string_view text);

  absl::flat_hash_map<std::string, uint32_t> patients_;  // id -> index into tables_
  absl::flat_hash_map<std::string, uint32_t> measures_;
  std::vector<PatientTable> tables_;
  std::string last_patient_;
  uint32_t last_table_ = 0;
  size_t size_ = 0;
};

// A fingerprint of what makes two rows of one identity the same
// observation: the value as given, its unit, comparator and items. 64 bits:
// two different rows are taken for identical (and one dropped) with a
// chance of 2^-64.
uint64_t ContentHash(const ObservationInput& obs);

// The message for an identity given again, first given on line `first` (or,
// with `where` "entry", as entry `first` of a document without lines).
std::string DuplicateMessage(int64_t first, absl::string_view where = "line");

class RowWriter {
 public:
  // `source` (the path as given), `user` and `reason` (ImportOptions') go
  // into every change's provenance; a retraction's own reason comes first.
  RowWriter(std::string source, std::string user, std::string reason = {})
      : source_(std::move(source)), user_(std::move(user)), reason_(std::move(reason)) {}

  // What a second row of one identity does (ImportOptions::duplicates);
  // identical-ok by default.
  void SetDuplicates(ImportOptions::Duplicates policy) { duplicates_ = policy; }

  // Starts a source row at `line` (0 when the source has no lines): counts
  // it, and starts collecting its messages in `errors`, which must outlive
  // the row.
  void BeginRow(int64_t line, ImportErrors& errors);

  // The row's changes; they reach the batch only if the row ends without an
  // error.
  void Record(ObservationInput&& obs) { observations_.push_back(std::move(obs)); }
  // Like Record, for an observation filled in where it is staged: a row of
  // one observation then costs no move besides the batch's (a tenth of the
  // parsing of a long CSV). The reference is valid until the next change is
  // staged.
  ObservationInput& NewObservation() { return observations_.emplace_back(); }
  void PutPatient(Patient&& patient) { patients_.push_back(std::move(patient)); }
  // Marks the current version of the identity entered-in-error, for
  // `reason`.
  void Retract(std::string patient, std::string measure, CivilTime time, std::string reason);
  // Turns the row's last observation (NewObservation, Record) into a
  // retraction of its identity: a row of an incremental export with status
  // entered-in-error.
  void RetractLast(std::string reason);
  // Changes of the row so far.
  size_t size() const { return observations_.size() + patients_.size() + retractions_.size(); }
  // True while no error was added since BeginRow.
  bool ok() const { return errors_->count() == errors_before_; }

  // The identity rule: records that `obs`'s (patient, measure, time) is
  // given at `position` (the row's line, or its entry number in a document
  // without lines), with `obs`'s content. Returns 0 when that is its first
  // time in the file, or when the duplicates policy leaves this later row
  // out: it is then counted (Skip) and EndRow drops it. Otherwise (a
  // different value under identical-ok, any repeat under error) returns the
  // position it was first given at, for DuplicateMessage; the caller adds
  // the error where the row's format can point at it. `obs` may be recorded
  // before or after the call.
  int64_t FirstSeen(const ObservationInput& obs, int64_t position);

  // With --on-error skip (the reader's reject sink, nullptr otherwise), a
  // format whose row holds several values (a REDCap record's event) may
  // reject one bad value alone: RejectValue sends it to `sink` as the
  // observations-CSV row `change` with `reason`, and the row's other values
  // are kept. Without a sink a bad value is an error of its row (the file
  // is rejected whole), as any other.
  void SetValueRejects(RejectSink* sink) { value_rejects_ = sink; }
  bool RejectsValues() const { return value_rejects_ != nullptr; }
  void RejectValue(absl::string_view change, absl::string_view reason);

  // Counts the row as deliberately not imported, for `reason` (not an error).
  void Skip(const std::string& reason);

  // The time zone instants are converted to (ImportOptions::timezone);
  // none by default.
  void SetTimeZone(std::optional<absl::TimeZone> zone) { zone_ = std::move(zone); }
  // A date cell as every format reads one: ParseDateTimeCell (value_text.h)
  // with the import's time zone; an offset dropped for want of a zone is
  // counted.
  absl::StatusOr<CivilTime> ParseDate(absl::string_view text);
  // For formats that parse their own date-times (HL7 v2): CivilTimeOfInstant
  // with the import's time zone, counted the same way.
  CivilTime Instant(CivilTime written, int offset_seconds);

  // Ends the row: if it had no error, its changes go into `batch`, each with
  // the row's provenance. Returns false (adding nothing) for a bad row.
  bool EndRow(Batch& batch);

  const ImportCounts& counts() const { return counts_; }

 private:
  struct PendingRetraction {
    std::string patient;
    std::string measure;
    CivilTime time;
    std::string reason;
  };
  // Sets the row's source, line, user and reason.
  void Stamp(Provenance& p) const;

  std::string source_;
  std::string user_;
  std::string reason_;
  std::optional<absl::TimeZone> zone_;
  RejectSink* value_rejects_ = nullptr;
  ImportCounts counts_;
  ImportOptions::Duplicates duplicates_ = ImportOptions::Duplicates::kIdenticalOk;
  IdentitySet identities_;
  // The current row.
  int64_t line_ = 0;
  const ImportErrors* errors_ = nullptr;
  size_t errors_before_ = 0;
  std::vector<ObservationInput> observations_;
  std::vector<Patient> patients_;
  std::vector<PendingRetraction> retractions_;
  // Identities of the row's observations FirstSeen left out.
  struct Dropped {
    std::string patient;
    std::string measure;
    int64_t seconds;
  };
  std::vector<Dropped> dropped_;
};

}  // namespace cotrack

#endif  // COTRACK_IMPORT_ROW_WRITER_H_

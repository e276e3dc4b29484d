// Pieces the clinic-format readers (wide CSV, REDCap, Synthea, FHIR) share:
// deliberate skips that are counted, and the one-observation-per-identity
// rule within a file.
#ifndef COTRACK_IMPORT_FORMAT_COMMON_H_
#define COTRACK_IMPORT_FORMAT_COMMON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "import/csv_reader.h"
#include "import/csv_row_parser.h"
#include "import/format_reader.h"

namespace cotrack {

// Adds one deliberately skipped row to `counts` under `reason`.
inline void CountSkip(FormatReader::Counts& counts, const std::string& reason) {
  ++counts.skipped;
  ++counts.skipped_by_reason[reason];
}

// A CSV dialect that may skip rows on purpose (e.g. an unmapped code): such
// rows are counted, not errors. The reader driving it sets the counts.
class SkippingRowParser : public CsvRowParser {
 public:
  void set_counts(FormatReader::Counts* counts) { counts_ = counts; }

 protected:
  void Skip(const std::string& reason) {
    if (counts_ != nullptr) CountSkip(*counts_, reason);
  }

 private:
  FormatReader::Counts* counts_ = nullptr;
};

// The (patient, measure, time) identities of one file with the line each
// first appeared on. Database::Apply would take a second row of the same
// identity as a correction of the first, and every re-import would then add
// versions, so a file may hold each identity once.
// Readers report a repeated identity with the line of its first occurrence
// while the file is small enough to track them all; past this many, memory
// must stay bounded, and the bulk write's commit, which meets repeats side by
// side in its sorted order, reports them instead (same message).
constexpr size_t kMaxTrackedIdentities = 1 << 20;

class IdentitySet {
 public:
  // Records the identity; returns 0 when new (or no longer tracked), else the
  // line it was first seen.
  int64_t Insert(absl::string_view patient, absl::string_view measure, int64_t seconds,
                 int64_t line);

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
  using PatientTable = absl::flat_hash_map<Key, int64_t, KeyHash>;

  static uint32_t Intern(absl::flat_hash_map<std::string, uint32_t>& ids, absl::string_view text);

  absl::flat_hash_map<std::string, uint32_t> patients_;  // id -> index into tables_
  absl::flat_hash_map<std::string, uint32_t> measures_;
  std::vector<PatientTable> tables_;
  std::string last_patient_;
  uint32_t last_table_ = 0;
  size_t size_ = 0;
};

// The message for an identity seen before on `first_line`.
inline std::string DuplicateMessage(int64_t first_line) {
  return "same patient, measure and date as line " + std::to_string(first_line) +
         " (each observation may appear only once in a file)";
}

// A unit as the catalog knows it: UCUM codes and the spellings lab feeds use
// are passed through unchanged except for the few whose UCUM form differs
// from the catalog's (the catalog compares units case-insensitively).
std::string NormalizeUnit(absl::string_view unit);

// `text` with every line whose first non-blank character is '#' emptied
// (line ends kept, so line numbers in messages still point into the file).
std::string StripCommentLines(absl::string_view text);

// Reads a whole small file (a mapping file) into `out`; NotFound naming
// `what` when it cannot be opened.
absl::Status ReadSmallFile(const std::string& path, const char* what, std::string& out);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_FORMAT_COMMON_H_

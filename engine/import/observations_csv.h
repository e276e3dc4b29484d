// The long observations CSV: one observation per row.
//   patient,measure,date,value[,unit][,visit][,items]   (any column order)
// Header names are trimmed and compared case-insensitively; unknown columns
// are an error. `items` holds ';'-separated item scores (an empty item is an
// unanswered one); an empty value with items given means "compute the total".
#ifndef COTRACK_IMPORT_OBSERVATIONS_CSV_H_
#define COTRACK_IMPORT_OBSERVATIONS_CSV_H_

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cotrack/database.h"
#include "import/csv_reader.h"

namespace cotrack {

// What a date cell must look like; used in "(expected ...)" messages.
inline constexpr char kExpectedDate[] = "expected a date YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss]";

// Parses a date cell with ParseCivilTime; on failure the InvalidArgument
// message is "expected ...; reason", ready for "(...)".
absl::StatusOr<CivilTime> ParseDateCell(absl::string_view text);

class ObservationsCsvParser : public CsvRowParser {
 public:
  static constexpr const char* kRequired[] = {"patient", "measure", "date", "value"};
  static constexpr const char* kOptional[] = {"unit", "visit", "items"};

  // `source` (the path as given) and `user` go into every observation's
  // provenance.
  ObservationsCsvParser(std::string source, std::string user)
      : source_(std::move(source)), user_(std::move(user)) {}

  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, Batch& batch) override;

 private:
  std::string source_;
  std::string user_;
  std::vector<std::string> names_;  // normalized header names
  size_t patient_ = 0, measure_ = 0, date_ = 0, value_ = 0;
  std::optional<size_t> unit_, visit_, items_;
  // (patient, measure, time) -> line, to reject an identity given twice:
  // Database::Apply would take the second as a correction of the first, and
  // every re-import would then add versions. Strings are interned so the
  // set costs a few words per row.
  using Identity = std::tuple<uint32_t, uint32_t, int64_t>;
  struct IdentityHash {
    // absl::Hash of a tuple showed up in profiles of million-row files.
    size_t operator()(const Identity& id) const {
      uint64_t h = (uint64_t{std::get<0>(id)} << 32 | std::get<1>(id)) * 0x9E3779B97F4A7C15u;
      h ^= static_cast<uint64_t>(std::get<2>(id)) + 0x632BE59BD9B4E019u + (h << 6) + (h >> 2);
      h *= 0xD6E8FEB86659FD93u;
      return static_cast<size_t>(h ^ (h >> 32));
    }
  };
  static uint32_t Intern(absl::flat_hash_map<std::string, uint32_t>& ids, absl::string_view text);
  absl::flat_hash_map<std::string, uint32_t> patient_ids_;
  // The previous row's patient: files list a patient's rows together.
  std::string last_patient_;
  uint32_t last_patient_id_ = 0;
  absl::flat_hash_map<std::string, uint32_t> measure_ids_;
  absl::flat_hash_map<Identity, int64_t, IdentityHash> seen_;
};

// Checks that a row has exactly `names.size()` fields; else adds an error
// naming the missing or extra fields and returns false.
bool CheckFieldCount(const CsvRecord& row, const std::vector<std::string>& names,
                     ImportErrors& errors);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_OBSERVATIONS_CSV_H_

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
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cotrack/database.h"
#include "import/csv_reader.h"
#include "import/csv_row_parser.h"
#include "import/format_common.h"

namespace cotrack {

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
  // To reject an identity given twice: Database::Apply would take the
  // second as a correction of the first, and every re-import would then add
  // versions.
  IdentitySet seen_;
};

}  // namespace cotrack

#endif  // COTRACK_IMPORT_OBSERVATIONS_CSV_H_

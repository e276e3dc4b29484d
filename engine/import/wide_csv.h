// The wide visit CSV: one row per visit, one column per measure.
//   patient,date[,visit],CODE,CODE[UNIT],CODE.N,...
// `patient` may also be called id or patient_id. CODE is a catalog measure
// code (case-insensitive); a unit may ride in the header (hba1c[mmol/mol]);
// CODE.N is item N of CODE (ais.1 ... ais.8). An empty cell is "not
// measured". Without a CODE column the total is computed from the items;
// with both, the engine checks that they agree.
#ifndef COTRACK_IMPORT_WIDE_CSV_H_
#define COTRACK_IMPORT_WIDE_CSV_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "import/csv_reader.h"
#include "import/csv_row_parser.h"

namespace cotrack {

class WideCsvParser : public CsvRowParser {
 public:
  // `ignore` holds normalized column names to leave out.
  explicit WideCsvParser(std::vector<std::string> ignore) : ignore_(std::move(ignore)) {}

  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) override;

  // True when `names` (as written) look like a wide visit CSV: the first is
  // patient/id/patient_id, one is date, and there is no measure or value
  // column.
  static bool Detect(const std::vector<std::string>& names);

 private:
  struct Measure {
    std::string code;
    std::string unit;
    std::optional<size_t> total;  // column of the total
    std::vector<size_t> items;    // column of item k+1, or npos
  };
  std::vector<std::string> ignore_;
  std::vector<std::string> names_;  // as written, for messages and counts
  size_t patient_ = 0, date_ = 0;
  std::optional<size_t> visit_;
  std::vector<Measure> measures_;
};

}  // namespace cotrack

#endif  // COTRACK_IMPORT_WIDE_CSV_H_

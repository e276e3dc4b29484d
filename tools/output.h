// Writing query results to stdout as table, csv or json, the same rows in
// each: `table` is aligned columns under a header for people; `csv` is
// RFC 4180 (fields quoted when they hold a comma, quote, CR or LF; quotes
// doubled; LF line ends) with a header row; `json` is one object per line
// (JSON Lines), absent values as null, numbers in their shortest form that
// reads back to the same double.
#ifndef COTRACK_TOOLS_OUTPUT_H_
#define COTRACK_TOOLS_OUTPUT_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/result_table.h"
#include "cotrack/types.h"
#include "flags.h"

namespace cotrack::tools {

enum class OutputFormat { kTable, kCsv, kJson };

// "table", "csv" or "json"; InvalidArgument naming `--format` otherwise.
absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view text);

// The --format flag of a command's words; table when it is absent.
// InvalidArgument as ParseOutputFormat.
absl::StatusOr<OutputFormat> ParseFormatFlag(const ParsedArgs& args);

// One field of a row.
class Cell {
 public:
  enum class Kind { kNull, kString, kNumber, kInteger, kBool };

  Cell() = default;  // null
  static Cell String(std::string s);
  static Cell Number(double v);  // NaN and infinities print as null
  static Cell Integer(int64_t v);
  static Cell Bool(bool v);
  // A string cell, or null when `s` is empty.
  static Cell StringOrNull(std::string s);

  // Shown instead of the value in table format only, e.g. "<0.5" for a
  // censored number that csv and json keep numeric.
  Cell& WithTableText(std::string text) {
    table_text_ = std::move(text);
    return *this;
  }

  Kind kind() const { return kind_; }
  // The cell as csv and table show it (without quoting); "" for null.
  std::string Text() const;
  std::string TableText() const { return table_text_ ? *table_text_ : Text(); }
  // The cell as a JSON value.
  std::string Json() const;

 private:
  Kind kind_ = Kind::kNull;
  std::string string_;
  double number_ = 0;
  int64_t integer_ = 0;
  bool bool_ = false;
  std::optional<std::string> table_text_;
};

// Rows under named columns; every row has one cell per column.
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
};

// The engine's result table as rows of cells: strings (null when empty for
// kStringOrNull), integers (null where they have no value), numbers (null
// when NaN) and booleans.
Table FromResultTable(const ResultTable& result);

// Writes `table` in `format`. An empty table still prints its header in
// table and csv formats and prints nothing in json.
void WriteTable(const Table& table, OutputFormat format, std::ostream& out);

// Writes one record: in table format as "column  value" lines (for a single
// wide record such as `measure show`), otherwise as WriteTable would.
void WriteRecord(const std::vector<std::string>& columns, const std::vector<Cell>& cells,
                 OutputFormat format, std::ostream& out);

// Writes a whole document (an SVG chart, an HTML report) to stdout when
// `path` is "-", else to the file `path`, saying on stderr how much was
// written there. Unavailable "PATH: cannot write the WHAT" when the file
// cannot be written.
absl::Status WriteDocument(const std::string& path, const std::string& content,
                           absl::string_view what);

// Shortest decimal text that parses back to exactly `v` ("0.1", "7", "1e-22").
std::string FormatNumber(double v);
// `s` as a quoted JSON string; invalid UTF-8 bytes become U+FFFD.
std::string JsonString(absl::string_view s);
// `s` as an RFC 4180 field, quoted only when it must be.
std::string CsvField(absl::string_view s);
// ISO-8601 UTC with microseconds, e.g. "2024-03-05T10:15:00.000000Z".
std::string FormatTimestampUs(int64_t us);

// Which observation columns a query shows.
enum class ObservationColumns {
  kCurrent,  // patient..recorded_at
  kHistory,  // also original value and unit, items, source, user, reason
};

// Observations as rows: patient, measure, date, value, unit, comparator,
// visit, status, version, recorded_at (+ history columns).
Table ObservationTable(const std::vector<Observation>& observations, ObservationColumns columns);

}  // namespace cotrack::tools

#endif  // COTRACK_TOOLS_OUTPUT_H_

// REDCap exports (flat or longitudinal, with or without repeating
// instruments): one row per record, event and repeat instance. A mapping file
// (docs/IMPORT_FORMATS.md) says which fields are which measures and how a row
// gets its date. Blank cells change nothing, as in REDCap's own import.
#ifndef COTRACK_IMPORT_REDCAP_H_
#define COTRACK_IMPORT_REDCAP_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cotrack/civil_time.h"
#include "import/csv_reader.h"
#include "import/csv_row_parser.h"

namespace cotrack {

// The parsed mapping file.
struct RedcapMapping {
  struct Field {
    std::string field;    // REDCap variable name (lower case)
    std::string measure;  // catalog code
    std::string unit;
    bool decimal_comma = false;  // "1,54" means 1.54
  };
  // How the rows of one event (or repeat instrument, or "*" = any) are dated.
  struct DateRule {
    std::string date_field;              // a date field of the same row, or
    std::optional<CivilTime> fixed;      // one date for all its rows, or
    std::optional<int64_t> offset_days;  // days after the record's index date
  };
  std::string id_field;  // empty = the first column
  std::string index_date_field;
  std::vector<Field> fields;
  absl::flat_hash_map<std::string, DateRule> dates;  // event / instrument / "*"

  // Parses the mapping CSV (header kind,name,value[,unit][,decimal]; '#'
  // lines are comments). Errors are InvalidArgument "SOURCE:LINE:COL: ...".
  static absl::StatusOr<RedcapMapping> Parse(absl::string_view text, const std::string& source);
  static absl::StatusOr<RedcapMapping> Load(const std::string& path);
};

class RedcapParser : public CsvRowParser {
 public:
  explicit RedcapParser(RedcapMapping mapping) : mapping_(std::move(mapping)) {}

  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) override;

  // True when `names` have redcap_event_name or redcap_repeat_instrument, or
  // the first is record_id.
  static bool Detect(const std::vector<std::string>& names);

 private:
  struct Column {
    size_t index;
    const RedcapMapping::Field* field;
  };
  RedcapMapping mapping_;
  std::vector<std::string> names_;
  size_t id_ = 0;
  std::optional<size_t> event_, instrument_, instance_, index_date_;
  std::vector<Column> columns_;
  absl::flat_hash_map<std::string, size_t> date_columns_;  // date field -> column
  // record -> index date: the first non-blank index date field of its rows.
  absl::flat_hash_map<std::string, CivilTime> index_dates_;
};

}  // namespace cotrack

#endif  // COTRACK_IMPORT_REDCAP_H_

// The errors of one imported file, collected so that all of them are
// reported together, each as "FILE:LINE[:COL]: message" (the form editors
// jump to), and the pieces of those messages that every format shares.
#ifndef COTRACK_IMPORT_IMPORT_ERRORS_H_
#define COTRACK_IMPORT_IMPORT_ERRORS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "import/csv_reader.h"

namespace cotrack {

// Collects the errors of one file so all of them are reported together: the
// first `max_listed` verbatim, then "... and N more errors".
class ImportErrors {
 public:
  explicit ImportErrors(std::string source, size_t max_listed = 20)
      : source_(std::move(source)), max_listed_(max_listed) {}

  // Adds "SOURCE:LINE:COL: message" (":COL" left out when column is 0).
  void Add(int64_t line, int64_t column, absl::string_view message);
  // Adds `field "NAME": bad value "TEXT" (EXPECTED)` at field `i` of `row`.
  void BadValue(const CsvRecord& row, size_t i, absl::string_view field,
                absl::string_view expected);
  // Adds `field "NAME": empty (EXPECTED)` at field `i` of `row`.
  void Empty(const CsvRecord& row, size_t i, absl::string_view field, absl::string_view expected);
  // The identity rule of cotrack/patient_id.h, applied where the row is read
  // so the error points at the cell (the bulk write applies it again for
  // every other path). Adds the rule's message at LINE:COLUMN (column 0:
  // none) and returns false when `id` breaks it. `id` is the cell as given:
  // an id is never trimmed into a different one.
  bool PatientId(absl::string_view id, int64_t line, int64_t column);
  bool PatientId(const CsvRecord& row, size_t i) {
    return PatientId(row[i], row.line(i), row.column(i));
  }
  // Adds a whole-file error (e.g. from the reader) as is.
  void AddStatus(const absl::Status& status);

  size_t count() const { return count_; }
  bool empty() const { return count_ == 0; }

  // Starts collecting the messages of one row (for a reject file): after
  // BeginRow, row_messages() holds every message added since, joined by "; ".
  void BeginRow() { row_messages_.clear(); }
  const std::string& row_messages() const { return row_messages_; }
  // OK when there were none; else one InvalidArgument listing them one per
  // line, ordered by position (then the errors that stopped reading).
  absl::Status ToStatus() const;

 private:
  std::string source_;
  size_t max_listed_;
  size_t count_ = 0;
  struct Listed {
    int64_t line;
    int64_t column;
    std::string text;
  };
  std::vector<Listed> listed_;
  std::vector<std::string> fatal_;  // from AddStatus, listed last
  std::string row_messages_;
  std::string last_valid_patient_;  // files list a patient's rows together
};

// A cell value quoted for a message: C-escaped, long values shortened.
std::string QuoteForMessage(absl::string_view value);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_IMPORT_ERRORS_H_

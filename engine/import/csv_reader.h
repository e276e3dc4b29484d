// Streaming RFC 4180 CSV reading for every CSV importer (observations,
// patients, and the wide/REDCap/Synthea dialects built on top), plus header
// lookup by name.
//
// The reader never holds more than one record (bounded by size limits) plus a
// fixed read buffer, so hostile or huge input cannot exhaust memory, and every
// field knows its 1-based physical line and column for error messages.
#ifndef COTRACK_IMPORT_CSV_READER_H_
#define COTRACK_IMPORT_CSV_READER_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cotrack {

struct CsvReaderOptions {
  char delimiter = ',';
  // Limits that keep hostile input from exhausting memory.
  size_t max_field_bytes = size_t{1} << 20;    // 1 MiB
  size_t max_record_bytes = size_t{16} << 20;  // 16 MiB, quoted newlines included
  size_t max_fields = 100000;
  // Bytes read from the stream at a time.
  size_t chunk_bytes = size_t{64} << 10;
  // Lines with no bytes at all (e.g. a trailing blank line) are not records.
  bool skip_blank_lines = true;
};

// One CSV record (a row). Field texts are unquoted ("" undoubled). Reused by
// CsvReader::Next to avoid allocations per row.
class CsvRecord {
 public:
  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  // The text of field `i` (0-based); valid until the record is reused.
  absl::string_view operator[](size_t i) const {
    return absl::string_view(data_).substr(fields_[i].offset, fields_[i].size);
  }
  // 1-based physical line and column (in characters) where field `i` starts;
  // for a quoted field, the opening quote.
  int64_t line(size_t i) const { return fields_[i].line; }
  int64_t column(size_t i) const { return fields_[i].column; }
  bool quoted(size_t i) const { return fields_[i].quoted; }
  // Physical line where the record starts (quoted newlines make records span
  // lines).
  int64_t first_line() const { return first_line_; }
  // True when every field is empty or only spaces/tabs.
  bool AllFieldsBlank() const;

  void Clear();

 private:
  friend class CsvReader;
  struct Field {
    size_t offset = 0;
    size_t size = 0;
    int64_t line = 0;
    int64_t column = 0;
    bool quoted = false;
  };
  std::string data_;
  std::vector<Field> fields_;
  int64_t first_line_ = 0;
};

// Reads records from a stream in chunks. Accepts LF, CRLF and lone CR line
// ends, a UTF-8 byte order mark at the start, quoted fields with doubled
// quotes and embedded newlines, and a last line without a line end. Rejects
// (InvalidArgument "SOURCE:LINE:COL: ...") unclosed quotes, stray quotes,
// NUL bytes, invalid UTF-8 and fields/records/field counts over the limits.
// After an error every later call returns the same error.
class CsvReader {
 public:
  // `in` must outlive the reader; `source` names it in messages (a path).
  CsvReader(std::istream& in, std::string source, CsvReaderOptions options = {});
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record into `record`; false at the end of the input.
  absl::StatusOr<bool> Next(CsvRecord& record);

  // Reads the first record as the header; an input without one is
  // InvalidArgument "SOURCE: empty file, expected a header line".
  absl::Status ReadHeader(CsvRecord& header);

  const std::string& source() const { return source_; }
  // Bytes of the input consumed so far (read into records or skipped).
  int64_t offset() const { return refilled_ + static_cast<int64_t>(pos_); }
  // "SOURCE:LINE:COL"
  std::string Position(int64_t line, int64_t column) const;

 private:
  // Next byte (0-255) without consuming it, or -1 at the end of the input.
  int Peek() {
    if (pos_ < len_) return static_cast<unsigned char>(buf_[pos_]);
    return Refill() ? static_cast<unsigned char>(buf_[pos_]) : -1;
  }
  bool Refill();
  absl::Status ParseRecord(CsvRecord& record);
  // Consumes a line end (CR, LF or CRLF) at the current position.
  void ConsumeLineEnd();
  // Consumes one character (any non-structural byte, validating UTF-8) and
  // appends it to `out`.
  absl::Status ConsumeChar(std::string& out);
  absl::Status CheckSizes(const CsvRecord& record, size_t field_offset, int64_t field_line,
                          int64_t field_column, bool quoted);
  absl::Status Error(int64_t line, int64_t column, absl::string_view message);

  std::istream& in_;
  std::string source_;
  CsvReaderOptions options_;
  std::unique_ptr<char[]> buf_;
  // Bytes that end a run of plain field text: bit 0 inside quotes (NUL,
  // non-ASCII, quote, CR, LF), bit 1 outside (the same and the delimiter).
  // One table lookup per byte instead of six comparisons.
  uint8_t stops_[256] = {};
  size_t pos_ = 0;
  size_t len_ = 0;
  int64_t refilled_ = 0;  // input bytes before buf_
  bool eof_ = false;
  bool started_ = false;
  int64_t line_ = 1;    // of the next byte
  int64_t column_ = 1;  // of the next byte, in characters
  size_t record_bytes_ = 0;
  absl::Status error_;
};

// ASCII-lowercased, space-trimmed form of a header name: how headers are
// compared.
std::string NormalizeHeaderName(absl::string_view name);

// "a,b,c" from a header record, for messages (each name trimmed).
std::string JoinHeader(const CsvRecord& header);

// Column lookup by normalized header name.
class CsvHeader {
 public:
  // Fails (InvalidArgument, with positions) on an empty or duplicate name.
  static absl::StatusOr<CsvHeader> Make(const CsvRecord& header, const CsvReader& reader);

  size_t size() const { return names_.size(); }
  // Trimmed name as written, and its normalized form.
  const std::string& name(size_t i) const { return names_[i]; }
  const std::string& key(size_t i) const { return keys_[i]; }
  int64_t column(size_t i) const { return columns_[i]; }
  // Index of the column whose normalized name is `key`.
  std::optional<size_t> Find(absl::string_view key) const;

 private:
  std::vector<std::string> names_;
  std::vector<std::string> keys_;
  std::vector<int64_t> columns_;
  absl::flat_hash_map<std::string, size_t> index_;
};

// True when every `wanted` name (already normalized) is among `names`
// compared normalized: how a format recognises its header.
bool HeaderHasAll(const std::vector<std::string>& names, std::initializer_list<const char*> wanted);

// OkStatus when `h` has every `required` column (normalized names);
// otherwise InvalidArgument `SOURCE:LINE: header "a,b": missing column(s)
// x,y (EXPECTED)`, the missing names upper-cased when `upper_case` (formats
// whose documentation spells its columns so, e.g. Synthea's).
absl::Status RequireColumns(const CsvRecord& header, const CsvHeader& h,
                            std::initializer_list<const char*> required, const char* expected,
                            const std::string& source, bool upper_case = false);

// Splits a cell on `sep`, trimming spaces around each piece.
std::vector<absl::string_view> SplitCell(absl::string_view cell, char sep);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_CSV_READER_H_

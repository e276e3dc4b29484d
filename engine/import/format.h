// What an import format is: the interface every format implements, the
// entry that registers it, and the checklist for adding one.
//
// A format turns the rows of a file into changes a chunk at a time (a
// FormatReader), so that a file of any size streams through bounded memory
// into one atomic bulk write (import.cc). Every row ends in a RowWriter
// (row_writer.h), which applies the rules all formats share: provenance, one
// value per identity, a bad row adds nothing, counted skips. A CSV dialect
// only knows its columns (a CsvRowParser, csv_row_parser.h); reading the
// file is the CSV reader's (csv_format_reader.h). The registry
// (format_registry.h) lists every format's FormatEntry, tells formats apart
// and opens the right reader; nothing else names the formats.
//
// Adding a format:
//   1. An enumerator in ImportFormat (engine/include/cotrack/import.h), and
//      its name in ImportFormatName's comment there.
//   2. Its own file, engine/import/NAME.cc, with the format described at its
//      top, defining `extern const FormatEntry kNAMEFormat`: a CSV dialect
//      gives a CsvRowParser and, to be auto-detected, a header detector;
//      any other format an opener returning its FormatReader (and, to be
//      auto-detected when it is not JSON, a detect_start). Read cells with
//      value_text.h, end rows with the RowWriter it is given.
//   3. Its registration in format_registry.cc: the entry declared, and listed
//      in kFormats where auto-detection should try it (a line each). A
//      detected CSV format also belongs in kExpectedHeaders, the list an
//      unrecognised header is answered with.
//   4. Docs: docs/IMPORT_FORMATS.md (the table of formats and a section),
//      the formats paragraph of README.md, and `cotrack import --help`
//      (tools/cmd_import.cc).
//   5. Tests: tests/engine/import/formats/NAME_test.cc (its columns, values,
//      counts, every error message and rejects, on ../shared/data files when
//      there are some), its files in detection_test.cc, its name in
//      format_registry_test.cc, and a case in the fuzz target
//      tests/fuzz/fuzz_import_formats.cc.
#ifndef COTRACK_IMPORT_FORMAT_H_
#define COTRACK_IMPORT_FORMAT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cotrack/database.h"
#include "cotrack/import.h"
#include "import/csv_row_parser.h"
#include "import/import_errors.h"
#include "import/row_writer.h"

namespace cotrack {

// Where --on-error skip sends each bad row: the row as it was in the file
// and why it was rejected.
class RejectSink {
 public:
  virtual ~RejectSink() = default;
  virtual void Reject(int64_t line, absl::string_view raw_row, absl::string_view reason) = 0;
  // One value of the row at `line` (as an observations-CSV row, `change`),
  // while the row's other values are imported (RowWriter::RejectValue).
  virtual void RejectValue(int64_t line, absl::string_view change, absl::string_view reason) {
    Reject(line, change, reason);
  }
};

class FormatReader {
 public:
  virtual ~FormatReader() = default;
  virtual ImportFormat format() const = 0;

  // Reads up to `max_rows` more source rows, appending the changes of good
  // rows to `batch`. A bad row adds nothing to `batch`: its problem goes to
  // `errors` (and the row to `rejects` when given). Returns false once the
  // input is exhausted; a non-OK status is a file-level error that ends
  // reading (unreadable file, broken syntax the reader cannot resume from).
  virtual absl::StatusOr<bool> ReadChunk(size_t max_rows, Batch& batch, ImportErrors& errors,
                                         RejectSink* rejects) = 0;

  // Exact counts of what was read so far.
  virtual const ImportCounts& counts() const = 0;

  // The time zone instants are converted to (ImportOptions::timezone);
  // OpenFormatReader sets it before the first ReadChunk. Every reader
  // passes it to its RowWriter.
  virtual void SetTimeZone(std::optional<absl::TimeZone> zone) = 0;
  // Likewise for ImportOptions::duplicates.
  virtual void SetDuplicates(ImportOptions::Duplicates policy) = 0;
  // Likewise for ImportOptions::on_error: with kSkip a reader may reject one
  // bad value of a row alone (RowWriter::RejectValue, to ReadChunk's
  // `rejects`) and keep the row's others; by default a bad value is an error
  // of its row.
  virtual void SetOnError(ImportOptions::OnError /*policy*/) {}

  // Called once by the import, before the first ReadChunk, with what the
  // database knows: a format may refuse its header against it (a wide CSV
  // column that names no measure, once per column rather than per row) or
  // add the database's own measure codes to its code mapping.
  virtual absl::Status UseCatalog(const ImportCatalog& /*catalog*/) { return absl::OkStatus(); }
  // Where the file's values of `measure` come from, for a message about one
  // of them the database rejected (e.g. `REDCap field "weight" (column 4)`);
  // empty when the format has nothing to add to the measure's name.
  virtual std::string SourceOf(absl::string_view /*measure*/) const { return {}; }

  // Input bytes behind the rows returned so far, for progress; -1 when the
  // reader does not know (the caller then asks the stream, which is safe
  // only for readers that read it on the caller's thread).
  virtual int64_t bytes_consumed() const { return -1; }
};

// How far the registry read an input that is not CSV before handing it to
// its format's opener.
struct StreamStart {
  // The first byte that is not white space, a UTF-8 byte order mark or an
  // MLLP start byte (0x0B), already taken from the stream;
  // std::char_traits<char>::eof() when there is none.
  int first_byte = 0;
  int64_t blank_lines = 0;  // line ends (LF) before it
  // Every byte taken from the stream, in order: the blank bytes, the first
  // byte and, when a format's detect_start was asked, up to
  // kMaxStartBytes after it. A reader that counts lines its own way reads
  // these first.
  std::string taken;
};

// How many bytes from the first one detect_start is given at most.
inline constexpr size_t kMaxStartBytes = 16;

// A format as the registry knows it. Defined in the format's own file as a
// constant (only names and function pointers, so it is ready before any
// code runs).
struct FormatEntry {
  ImportFormat format;
  // Its name in --format, messages and the import summary; ParseImportFormat
  // also accepts it with a "-csv" suffix, and `aliases` (nullptr when
  // unused) as they are.
  const char* name;
  std::array<const char*, 2> aliases;

  // A CSV dialect: whether a header (names as written) is this format's,
  // for auto-detection (nullptr: only by --format) ...
  bool (*detect_header)(const std::vector<std::string>& names);
  // ... and its row parser; `source` names the file in messages.
  absl::StatusOr<std::unique_ptr<CsvRowParser>> (*make_parser)(const std::string& source,
                                                               const ImportOptions& options);

  // Any other format (JSON): its reader, on `in` after `start`. With
  // options.format kAuto the input starts with '{' and this is the first
  // such format in the registry: formats of one family share an opener that
  // tells them apart (FHIR NDJSON from a FHIR document).
  absl::StatusOr<std::unique_ptr<FormatReader>> (*open)(std::istream& in, const std::string& source,
                                                        const ImportOptions& options,
                                                        StreamStart start);

  // A format that is not CSV or JSON, for auto-detection: whether an input
  // starting with `start` (from its first byte that is not blank, at most
  // kMaxStartBytes; fewer at the end of the input) is this format's
  // (nullptr: not detected this way). Asked in registry order before the
  // input is taken for CSV.
  bool (*detect_start)(absl::string_view start) = nullptr;
};

}  // namespace cotrack

#endif  // COTRACK_IMPORT_FORMAT_H_

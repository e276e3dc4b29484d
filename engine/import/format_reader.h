// The interface every import format implements: it turns a file's rows into
// changes a chunk at a time, so that a file of any size streams through
// bounded memory into one atomic bulk write (see import.cc). Each row ends in
// a RowWriter (row_writer.h), the same way for every format.
#ifndef COTRACK_IMPORT_FORMAT_READER_H_
#define COTRACK_IMPORT_FORMAT_READER_H_

#include <cstdint>
#include <istream>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/database.h"
#include "import/import.h"
#include "import/import_errors.h"
#include "import/row_writer.h"

namespace cotrack {

// Where --on-error skip sends each bad row: the row as it was in the file
// and why it was rejected.
class RejectSink {
 public:
  virtual ~RejectSink() = default;
  virtual void Reject(int64_t line, absl::string_view raw_row, absl::string_view reason) = 0;
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

  // Exact counts of what was read so far; the import summary prints them.
  virtual const ImportCounts& counts() const = 0;

  // Input bytes behind the rows returned so far, for progress; -1 when the
  // reader does not know (the caller then asks the stream, which is safe
  // only for readers that read it on the caller's thread).
  virtual int64_t bytes_consumed() const { return -1; }
};

// Opens `in` (named `source` in messages and provenance) as
// `options.format`, or, for kAuto, as the format its content shows.
absl::StatusOr<std::unique_ptr<FormatReader>> OpenFormatReader(std::istream& in,
                                                               const std::string& source,
                                                               const ImportOptions& options);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_FORMAT_READER_H_

// The reader of every CSV format: splits the input into records on a thread
// of its own, while the caller's thread hands each data row to the format's
// CsvRowParser and ends it in a RowWriter. Which format a header is belongs
// to the registry (format_registry.cc), which drives this reader.
#ifndef COTRACK_IMPORT_CSV_FORMAT_READER_H_
#define COTRACK_IMPORT_CSV_FORMAT_READER_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <istream>
#include <memory>
#include <mutex>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "import/csv_reader.h"
#include "import/csv_row_parser.h"
#include "import/format.h"
#include "import/row_writer.h"

namespace cotrack {

class CsvFormatReader : public FormatReader {
 public:
  // Reads `in`, first replaying `prefix` (bytes format detection already
  // took from it); `source` names it in messages and provenance, `user` and
  // `reason` in provenance.
  CsvFormatReader(std::istream& in, std::string prefix, const std::string& source, std::string user,
                  std::string reason = {});
  ~CsvFormatReader() override;

  // Reads the header line; call it first.
  absl::Status ReadHeader();
  const CsvRecord& header() const { return header_; }
  // Reads the data rows as `format` with `parser`, which checks the header
  // first (its error rejects the file).
  absl::Status Start(ImportFormat format, std::unique_ptr<CsvRowParser> parser);

  ImportFormat format() const override { return format_; }
  const ImportCounts& counts() const override { return writer_.counts(); }
  void SetTimeZone(std::optional<absl::TimeZone> zone) override {
    writer_.SetTimeZone(std::move(zone));
  }
  void SetDuplicates(ImportOptions::Duplicates policy) override { writer_.SetDuplicates(policy); }
  void SetOnError(ImportOptions::OnError policy) override {
    reject_values_ = policy == ImportOptions::OnError::kSkip;
  }
  absl::Status UseCatalog(const ImportCatalog& catalog) override {
    return parser_->UseCatalog(catalog);
  }
  std::string SourceOf(absl::string_view measure) const override {
    return parser_->SourceOf(measure);
  }
  absl::StatusOr<bool> ReadChunk(size_t max_rows, Batch& batch, ImportErrors& errors,
                                 RejectSink* rejects) override;
  int64_t bytes_consumed() const override { return bytes_consumed_; }

 private:
  // A stream buffer that first replays bytes already taken from `source` by
  // format detection, then reads on from `source`.
  class PrefixStreambuf : public std::streambuf {
   public:
    PrefixStreambuf(std::string prefix, std::streambuf* source);

   protected:
    int_type underflow() override;

   private:
    std::string prefix_;
    std::streambuf* source_;
    char buf_[1 << 16];
  };

  // Records are split off the input on a thread of their own, a block at a
  // time, while this one turns the previous blocks into changes: the two
  // halves of parsing then run side by side on two cores.
  struct Block {
    std::vector<CsvRecord> records;  // reused: records keep their capacity
    size_t count = 0;
    absl::Status status;  // after the records: the input cannot be read on
    bool end = false;     // after the records: end of input
    int64_t offset = 0;   // input bytes consumed after the last record
  };
  static constexpr size_t kBlockRecords = 1024;
  static constexpr size_t kBlocks = 4;  // in flight, bounding memory

  // The next record in file order; null at the end of the input.
  absl::StatusOr<const CsvRecord*> NextRecord();
  void Tokenize();
  void StopTokenizer();

  PrefixStreambuf buf_;
  std::istream stream_;
  CsvReader reader_;  // the tokenizer's, once it runs
  CsvRecord header_;
  ImportFormat format_ = ImportFormat::kAuto;
  std::unique_ptr<CsvRowParser> parser_;
  bool reject_values_ = false;  // SetOnError(kSkip)
  RowWriter writer_;
  int64_t bytes_consumed_ = 0;

  std::unique_ptr<Block> current_;  // being parsed
  size_t next_ = 0;                 // its next record
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<Block>> full_;   // guarded by mu_
  std::vector<std::unique_ptr<Block>> free_;  // guarded by mu_
  size_t allocated_ = 0;                      // guarded by mu_
  bool stop_ = false;                         // guarded by mu_
  std::thread tokenizer_;
};

}  // namespace cotrack

#endif  // COTRACK_IMPORT_CSV_FORMAT_READER_H_

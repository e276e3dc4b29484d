#include "import/csv_format_reader.h"

#include <utility>

#include "cotrack/status_macros.h"
#include "cotrack/text.h"

namespace cotrack {
namespace {

// A row as CSV text again (for the reject file): fields quoted when needed.
std::string RowText(const CsvRecord& row) {
  std::string out;
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out += ',';
    out += CsvField(row[i]);
  }
  return out;
}

}  // namespace

CsvFormatReader::PrefixStreambuf::PrefixStreambuf(std::string prefix, std::streambuf* source)
    : prefix_(std::move(prefix)), source_(source) {
  if (!prefix_.empty()) setg(prefix_.data(), prefix_.data(), prefix_.data() + prefix_.size());
}

CsvFormatReader::PrefixStreambuf::int_type CsvFormatReader::PrefixStreambuf::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  const std::streamsize n = source_->sgetn(buf_, sizeof buf_);
  if (n <= 0) return traits_type::eof();
  setg(buf_, buf_, buf_ + n);
  return traits_type::to_int_type(*gptr());
}

CsvFormatReader::CsvFormatReader(std::istream& in, std::string prefix, const std::string& source,
                                 std::string user, std::string reason)
    : buf_(std::move(prefix), in.rdbuf()),
      stream_(&buf_),
      reader_(stream_, source),
      writer_(source, std::move(user), std::move(reason)) {}

CsvFormatReader::~CsvFormatReader() { StopTokenizer(); }

absl::Status CsvFormatReader::ReadHeader() { return reader_.ReadHeader(header_); }

absl::Status CsvFormatReader::Start(ImportFormat format, std::unique_ptr<CsvRowParser> parser) {
  format_ = format;
  parser_ = std::move(parser);
  return parser_->ParseHeader(header_, reader_);
}

absl::StatusOr<bool> CsvFormatReader::ReadChunk(size_t max_rows, Batch& batch, ImportErrors& errors,
                                                RejectSink* rejects) {
  writer_.SetValueRejects(reject_values_ ? rejects : nullptr);
  for (size_t n = 0; n < max_rows;) {
    COTRACK_ASSIGN_OR_RETURN(const CsvRecord* row, NextRecord());
    if (row == nullptr) return false;
    if (row->AllFieldsBlank()) continue;  // e.g. ",,," left by a spreadsheet
    ++n;
    writer_.BeginRow(row->first_line(), errors);
    parser_->ParseRow(*row, errors, writer_);
    if (!writer_.EndRow(batch) && rejects != nullptr) {
      rejects->Reject(row->first_line(), RowText(*row), errors.row_messages());
    }
  }
  return true;
}

absl::StatusOr<const CsvRecord*> CsvFormatReader::NextRecord() {
  if (!tokenizer_.joinable()) tokenizer_ = std::thread([this] { Tokenize(); });
  while (current_ == nullptr || next_ == current_->count) {
    if (current_ != nullptr) {
      bytes_consumed_ = current_->offset;
      if (!current_->status.ok()) return current_->status;
      if (current_->end) return nullptr;
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (current_ != nullptr) free_.push_back(std::move(current_));
    changed_.notify_all();
    changed_.wait(lock, [this] { return !full_.empty(); });
    current_ = std::move(full_.front());
    full_.pop_front();
    next_ = 0;
  }
  return &current_->records[next_++];
}

void CsvFormatReader::Tokenize() {
  for (;;) {
    std::unique_ptr<Block> b;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [this] { return stop_ || !free_.empty() || allocated_ < kBlocks; });
      if (stop_) return;
      if (!free_.empty()) {
        b = std::move(free_.back());
        free_.pop_back();
      } else {
        b = std::make_unique<Block>();
        ++allocated_;
      }
    }
    b->count = 0;
    while (b->count < kBlockRecords) {
      if (b->records.size() == b->count) b->records.emplace_back();
      absl::StatusOr<bool> more = reader_.Next(b->records[b->count]);
      if (!more.ok()) {
        b->status = more.status();
        break;
      }
      if (!*more) {
        b->end = true;
        break;
      }
      ++b->count;
    }
    b->offset = reader_.offset();
    const bool last = b->end || !b->status.ok();
    std::lock_guard<std::mutex> lock(mu_);
    full_.push_back(std::move(b));
    changed_.notify_all();
    if (last) return;
  }
}

void CsvFormatReader::StopTokenizer() {
  if (!tokenizer_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  tokenizer_.join();
}

}  // namespace cotrack

// Format detection and the readers of the CSV formats; FHIR is in fhir.cc.
#include "import/format_reader.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <streambuf>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cotrack/status_macros.h"
#include "export/text.h"
#include "import/code_mapping.h"
#include "import/fhir.h"
#include "import/observations_csv.h"
#include "import/patients_csv.h"
#include "import/redcap.h"
#include "import/synthea.h"
#include "import/wide_csv.h"

namespace cotrack {

const char* ImportFormatName(ImportFormat f) {
  switch (f) {
    case ImportFormat::kAuto:
      return "auto";
    case ImportFormat::kObservationsCsv:
      return "observations";
    case ImportFormat::kPatientsCsv:
      return "patients";
    case ImportFormat::kWideCsv:
      return "wide";
    case ImportFormat::kRedcapCsv:
      return "redcap";
    case ImportFormat::kSyntheaObservations:
      return "synthea-observations";
    case ImportFormat::kSyntheaPatients:
      return "synthea-patients";
    case ImportFormat::kFhirNdjson:
      return "fhir-ndjson";
    case ImportFormat::kFhirJson:
      return "fhir-json";
  }
  return "unknown";
}

absl::StatusOr<ImportFormat> ParseImportFormat(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  std::vector<std::string> names;
  for (ImportFormat f :
       {ImportFormat::kAuto, ImportFormat::kObservationsCsv, ImportFormat::kPatientsCsv,
        ImportFormat::kWideCsv, ImportFormat::kRedcapCsv, ImportFormat::kSyntheaObservations,
        ImportFormat::kSyntheaPatients, ImportFormat::kFhirNdjson, ImportFormat::kFhirJson}) {
    if (n == ImportFormatName(f) || n == absl::StrCat(ImportFormatName(f), "-csv")) return f;
    names.push_back(ImportFormatName(f));
  }
  if (n == "ndjson") return ImportFormat::kFhirNdjson;
  if (n == "fhir-bundle" || n == "fhir") return ImportFormat::kFhirJson;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown import format \"", name, "\" (expected one of ", absl::StrJoin(names, ", "), ")"));
}

namespace {

constexpr char kExpectedHeaders[] =
    "expected an observations CSV (patient,measure,date,value[,unit][,visit][,items]), a "
    "patients CSV (patient[,arm][,index_date]...), a wide visit CSV (patient,date[,visit],"
    "CODE...), a REDCap export (record_id or redcap_event_name), a Synthea observations.csv "
    "or patients.csv, or FHIR JSON/NDJSON; --format names the format when detection cannot";

// White space before the first byte that format detection looks at; past it
// the input is handed to the CSV reader (which skips blank lines itself).
constexpr size_t kMaxLeadingBlankBytes = size_t{1} << 20;

// A stream buffer that first replays bytes already taken from `source` by
// format detection, then reads on from `source`.
class PrefixStreambuf : public std::streambuf {
 public:
  PrefixStreambuf(std::string prefix, std::streambuf* source)
      : prefix_(std::move(prefix)), source_(source) {
    if (!prefix_.empty()) setg(prefix_.data(), prefix_.data(), prefix_.data() + prefix_.size());
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const std::streamsize n = source_->sgetn(buf_, sizeof buf_);
    if (n <= 0) return traits_type::eof();
    setg(buf_, buf_, buf_ + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::string prefix_;
  std::streambuf* source_;
  char buf_[1 << 16];
};

// Any CSV format whose rows a CsvRowParser turns into changes.
class CsvFormatReader : public FormatReader {
 public:
  CsvFormatReader(std::istream& in, const std::string& source, std::string user)
      : reader_(in, source), source_(source), writer_(source, std::move(user)) {}

  // Reads the header and picks the format (unless given).
  absl::Status Start(const ImportOptions& options) {
    COTRACK_RETURN_IF_ERROR(reader_.ReadHeader(header_));
    format_ = options.format;
    if (format_ == ImportFormat::kAuto) {
      std::vector<std::string> names;
      for (size_t i = 0; i < header_.size(); ++i) names.emplace_back(header_[i]);
      if (SyntheaObservationsParser::Detect(names)) {
        format_ = ImportFormat::kSyntheaObservations;
      } else if (SyntheaPatientsParser::Detect(names)) {
        format_ = ImportFormat::kSyntheaPatients;
      } else if (RedcapParser::Detect(names)) {
        format_ = ImportFormat::kRedcapCsv;
      } else if (WideCsvParser::Detect(names)) {
        format_ = ImportFormat::kWideCsv;
      } else {
        format_ = DetectCsvFormat(names);
      }
      if (format_ == ImportFormat::kAuto) {
        return absl::InvalidArgumentError(
            absl::StrCat(source_, ":", header_.first_line(), ": unrecognised header \"",
                         JoinHeader(header_), "\" (", kExpectedHeaders, ")"));
      }
    }
    switch (format_) {
      case ImportFormat::kObservationsCsv:
        parser_ = std::make_unique<ObservationsCsvParser>();
        break;
      case ImportFormat::kPatientsCsv:
        parser_ = std::make_unique<PatientsCsvParser>();
        break;
      case ImportFormat::kWideCsv: {
        std::vector<std::string> ignore;
        for (const std::string& c : options.ignore_columns)
          ignore.push_back(NormalizeHeaderName(c));
        parser_ = std::make_unique<WideCsvParser>(std::move(ignore));
        break;
      }
      case ImportFormat::kRedcapCsv: {
        // The mapping file's own errors name it; this one is about the export.
        if (options.mapping_file.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat(source_, ": ", RedcapMapping::Load("").status().message()));
        }
        COTRACK_ASSIGN_OR_RETURN(RedcapMapping mapping, RedcapMapping::Load(options.mapping_file));
        parser_ = std::make_unique<RedcapParser>(std::move(mapping));
        break;
      }
      case ImportFormat::kSyntheaObservations: {
        COTRACK_ASSIGN_OR_RETURN(CodeMapping mapping, CodeMapping::Load(options.mapping_file));
        parser_ = std::make_unique<SyntheaObservationsParser>(std::move(mapping));
        break;
      }
      case ImportFormat::kSyntheaPatients:
        parser_ = std::make_unique<SyntheaPatientsParser>();
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat(source_, ": format ", ImportFormatName(format_), " is not a CSV format"));
    }
    return parser_->ParseHeader(header_, reader_);
  }

  ImportFormat format() const override { return format_; }
  const ImportCounts& counts() const override { return writer_.counts(); }

  ~CsvFormatReader() override { StopTokenizer(); }

  absl::StatusOr<bool> ReadChunk(size_t max_rows, Batch& batch, ImportErrors& errors,
                                 RejectSink* rejects) override {
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

  int64_t bytes_consumed() const override { return bytes_consumed_; }

 private:
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
  absl::StatusOr<const CsvRecord*> NextRecord() {
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

  void Tokenize() {
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

  void StopTokenizer() {
    if (!tokenizer_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    changed_.notify_all();
    tokenizer_.join();
  }

  // A row as CSV text again (for the reject file): fields quoted when needed.
  static std::string RowText(const CsvRecord& row) {
    std::string out;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out += ',';
      out += text::CsvField(row[i]);
    }
    return out;
  }

  CsvReader reader_;  // the tokenizer's, once it runs
  std::string source_;
  CsvRecord header_;
  ImportFormat format_ = ImportFormat::kAuto;
  std::unique_ptr<CsvRowParser> parser_;
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

// A CsvFormatReader that owns the stream replaying detection's bytes.
class ReplayCsvFormatReader : public FormatReader {
 public:
  ReplayCsvFormatReader(std::istream& in, std::string prefix, const std::string& source,
                        const std::string& user)
      : buf_(std::move(prefix), in.rdbuf()), stream_(&buf_), csv_(stream_, source, user) {}
  absl::Status Start(const ImportOptions& options) { return csv_.Start(options); }
  ImportFormat format() const override { return csv_.format(); }
  const ImportCounts& counts() const override { return csv_.counts(); }
  absl::StatusOr<bool> ReadChunk(size_t max_rows, Batch& batch, ImportErrors& errors,
                                 RejectSink* rejects) override {
    return csv_.ReadChunk(max_rows, batch, errors, rejects);
  }
  int64_t bytes_consumed() const override { return csv_.bytes_consumed(); }

 private:
  PrefixStreambuf buf_;
  std::istream stream_;
  CsvFormatReader csv_;
};

bool IsFhir(ImportFormat f) {
  return f == ImportFormat::kFhirNdjson || f == ImportFormat::kFhirJson;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FormatReader>> OpenFormatReader(std::istream& in,
                                                               const std::string& source,
                                                               const ImportOptions& options) {
  // Take leading white space and the first other byte: '{' starts JSON.
  std::string prefix;
  int64_t blank_lines = 0;
  std::streambuf* sb = in.rdbuf();
  int c = std::char_traits<char>::eof();
  if (options.format == ImportFormat::kAuto || IsFhir(options.format)) {
    while ((c = sb->sbumpc()) != std::char_traits<char>::eof()) {
      prefix += static_cast<char>(c);
      if (c == '\n') ++blank_lines;
      // A UTF-8 byte order mark may precede JSON as well as CSV.
      const bool in_bom = prefix.size() <= 3 &&
                          absl::string_view("\xEF\xBB\xBF", 3).substr(0, prefix.size()) == prefix;
      if (!in_bom && c != ' ' && c != '\t' && c != '\r' && c != '\n') break;
      if (prefix.size() >= kMaxLeadingBlankBytes) break;  // not JSON; replayed as CSV
    }
  }
  const bool json = c == '{';
  if (IsFhir(options.format) || (options.format == ImportFormat::kAuto && json)) {
    if (c == std::char_traits<char>::eof() || !json) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", blank_lines + 1, ": expected FHIR JSON starting with '{'",
                       c == std::char_traits<char>::eof() ? " (the file is empty)" : ""));
    }
    COTRACK_ASSIGN_OR_RETURN(CodeMapping mapping, CodeMapping::Load(options.mapping_file));
    // The rest of the first line tells NDJSON (a whole resource per line)
    // from a pretty-printed document.
    std::string rest;
    bool too_long = false;
    ReadLineCapped(in, kMaxFhirLineBytes, rest, too_long);
    if (too_long) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ":", blank_lines + 1, ": the first line is longer than ", kMaxFhirLineBytes >> 20,
          " MiB; give --format fhir-json for a one-line document"));
    }
    std::string first_line = absl::StrCat("{", rest);
    ImportFormat format = options.format;
    if (format == ImportFormat::kAuto) {
      format = LooksLikeNdjson(first_line) ? ImportFormat::kFhirNdjson : ImportFormat::kFhirJson;
    }
    return MakeFhirReader(in, source, format, options.user, std::move(mapping),
                          std::move(first_line), blank_lines);
  }
  auto reader =
      std::make_unique<ReplayCsvFormatReader>(in, std::move(prefix), source, options.user);
  COTRACK_RETURN_IF_ERROR(reader->Start(options));
  return std::unique_ptr<FormatReader>(std::move(reader));
}

}  // namespace cotrack

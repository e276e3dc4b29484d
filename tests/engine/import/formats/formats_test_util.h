// Helpers for the clinic-format tests: read a whole file through a
// FormatReader (in small chunks, so chunking is exercised), count source rows
// independently of the readers, and apply what was read to a database.
#ifndef COTRACK_TESTS_ENGINE_IMPORT_FORMATS_FORMATS_TEST_UTIL_H_
#define COTRACK_TESTS_ENGINE_IMPORT_FORMATS_FORMATS_TEST_UTIL_H_

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cotrack/database.h"
#include "cotrack/import.h"
#include "import/format_registry.h"
#include "support/test_support.h"

namespace cotrack::formats_test {

struct ReadResult {
  ImportFormat format = ImportFormat::kAuto;
  ImportCounts counts;
  Batch batch;
  absl::Status errors;  // every row error, as ImportErrors::ToStatus gives them
  std::vector<std::pair<int64_t, std::string>> rejects;  // line, reason
};

class CollectRejects : public RejectSink {
 public:
  explicit CollectRejects(std::vector<std::pair<int64_t, std::string>>* out) : out_(out) {}
  void Reject(int64_t line, absl::string_view, absl::string_view reason) override {
    out_->emplace_back(line, std::string(reason));
  }

 private:
  std::vector<std::pair<int64_t, std::string>>* out_;
};

// Reads all of `in`; a non-OK status is a file-level error (open or read).
inline absl::StatusOr<ReadResult> ReadStream(std::istream& in, const std::string& source,
                                             const ImportOptions& options, size_t chunk = 7) {
  absl::StatusOr<std::unique_ptr<FormatReader>> reader = OpenFormatReader(in, source, options);
  if (!reader.ok()) return reader.status();
  ReadResult r;
  ImportErrors errors(source);
  CollectRejects rejects(&r.rejects);
  while (true) {
    absl::StatusOr<bool> more = (*reader)->ReadChunk(chunk, r.batch, errors, &rejects);
    if (!more.ok()) return more.status();
    if (!*more) break;
  }
  r.format = (*reader)->format();
  r.counts = (*reader)->counts();
  r.errors = errors.ToStatus();
  return r;
}

inline absl::StatusOr<ReadResult> ReadPath(const std::string& path,
                                           const ImportOptions& options = ImportOptions(),
                                           size_t chunk = 7) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(path);
  return ReadStream(in, path, options, chunk);
}

inline absl::StatusOr<ReadResult> ReadText(const std::string& text,
                                           const ImportOptions& options = ImportOptions(),
                                           const std::string& source = "test.csv") {
  std::istringstream in(text);
  return ReadStream(in, source, options);
}

// Splits a CSV file into records of fields, independently of CsvReader
// (quotes, doubled quotes, quoted newlines; LF or CRLF), skipping lines that
// are empty. The first record is the header.
inline std::vector<std::vector<std::string>> NaiveCsv(const std::string& text) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> rec;
  std::string field;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      rec.push_back(field);
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        rec.push_back(field);
        out.push_back(rec);
      }
      rec.clear();
      field.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty()) {
    rec.push_back(field);
    out.push_back(rec);
  }
  return out;
}

inline size_t Column(const std::vector<std::string>& header, const std::string& name) {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

// Non-blank lines of a file (NDJSON resources).
inline int64_t NonBlankLines(const std::string& text) {
  int64_t n = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) ++n;
  }
  return n;
}

// Occurrences of `needle` in `text`.
inline int64_t Occurrences(const std::string& text, const std::string& needle) {
  int64_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

// A database in a fresh temporary directory.
class DbFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(dir_.File("db"));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
  // A simple custom measure (for sources holding no built-in measure).
  void Register(const std::string& code, const std::string& unit, double min, double max) {
    MeasureDefinition m;
    m.code = code;
    m.name = code;
    m.unit = unit;
    m.min = min;
    m.max = max;
    m.censorable = true;
    absl::Status s = db_->RegisterMeasure(m, Provenance{});
    ASSERT_TRUE(s.ok()) << s;
  }
  ::cotrack::testing::TempDir dir_;
  std::unique_ptr<Database> db_;
};

}  // namespace cotrack::formats_test

#endif  // COTRACK_TESTS_ENGINE_IMPORT_FORMATS_FORMATS_TEST_UTIL_H_

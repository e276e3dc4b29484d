#include "import/csv_reader.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cotrack/status_macros.h"
#include "import/import_errors.h"

namespace cotrack {

namespace {

std::string HumanBytes(size_t n) {
  if (n >= (size_t{1} << 20) && n % (size_t{1} << 20) == 0) {
    return absl::StrCat(n >> 20, " MiB");
  }
  if (n >= (size_t{1} << 10) && n % (size_t{1} << 10) == 0) {
    return absl::StrCat(n >> 10, " KiB");
  }
  return absl::StrCat(n, " bytes");
}

}  // namespace

bool CsvRecord::AllFieldsBlank() const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (!absl::StripAsciiWhitespace((*this)[i]).empty()) return false;
  }
  return true;
}

void CsvRecord::Clear() {
  data_.clear();
  fields_.clear();
  first_line_ = 0;
}

CsvReader::CsvReader(std::istream& in, std::string source, CsvReaderOptions options)
    : in_(in), source_(std::move(source)), options_(options) {
  // The BOM check needs the first 4 bytes in one chunk.
  options_.chunk_bytes = std::max<size_t>(options_.chunk_bytes, 4);
  buf_ = std::make_unique<char[]>(options_.chunk_bytes);
  for (int b = 0; b < 256; ++b) {
    if (b == 0 || b >= 0x80 || b == '"' || b == '\r' || b == '\n') stops_[b] = 3;
  }
  stops_[static_cast<unsigned char>(options_.delimiter)] |= 2;
}

bool CsvReader::Refill() {
  if (eof_) return false;
  refilled_ += static_cast<int64_t>(len_);
  pos_ = 0;
  len_ = 0;
  // read() stops early only at the end of the input (or an error), but a pipe
  // may deliver less, so keep reading until the chunk is full or input ends.
  while (len_ < options_.chunk_bytes && in_) {
    in_.read(buf_.get() + len_, static_cast<std::streamsize>(options_.chunk_bytes - len_));
    len_ += static_cast<size_t>(in_.gcount());
  }
  if (in_.bad() && error_.ok()) {
    error_ = absl::DataLossError(absl::StrCat(source_, ":", line_, ": read error"));
  }
  if (len_ == 0) {
    eof_ = true;
    return false;
  }
  return true;
}

std::string CsvReader::Position(int64_t line, int64_t column) const {
  return absl::StrCat(source_, ":", line, ":", column);
}

absl::Status CsvReader::Error(int64_t line, int64_t column, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(Position(line, column), ": ", message));
}

absl::Status CsvReader::ReadHeader(CsvRecord& header) {
  COTRACK_ASSIGN_OR_RETURN(bool found, Next(header));
  if (!found) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ": empty file, expected a header line"));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> CsvReader::Next(CsvRecord& record) {
  if (!error_.ok()) return error_;
  record.Clear();
  if (!started_) {
    started_ = true;
    if (Peek() >= 0) {
      const unsigned char* b = reinterpret_cast<const unsigned char*>(buf_.get()) + pos_;
      size_t avail = len_ - pos_;
      if (avail >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) {
        pos_ += 3;  // UTF-8 byte order mark: not part of the first field
      } else if (avail >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF))) {
        error_ = absl::InvalidArgumentError(
            absl::StrCat(source_, ":1:1: the file is UTF-16 (byte order mark ",
                         absl::StrFormat("0x%02X%02X", b[0], b[1]), "); save it as UTF-8 CSV"));
        return error_;
      }
    }
  }
  for (;;) {
    int c = Peek();
    if (!error_.ok()) return error_;
    if (c < 0) return false;
    if (options_.skip_blank_lines && (c == '\r' || c == '\n')) {
      ConsumeLineEnd();
      continue;
    }
    record.first_line_ = line_;
    record_bytes_ = 0;
    absl::Status status = ParseRecord(record);
    // A read error looks like the end of the input to ParseRecord; report it
    // rather than what the truncated record seemed to be.
    if (!error_.ok()) status = error_;
    if (!status.ok()) {
      error_ = status;
      record.Clear();
      return status;
    }
    return true;
  }
}

void CsvReader::ConsumeLineEnd() {
  int c = Peek();
  if (c == '\r') {
    ++pos_;
    if (Peek() == '\n') ++pos_;
  } else if (c == '\n') {
    ++pos_;
  } else {
    return;
  }
  ++line_;
  column_ = 1;
}

absl::Status CsvReader::ConsumeChar(std::string& out) {
  const int c = Peek();
  if (c == 0) {
    return Error(line_, column_,
                 "NUL byte; the file must be UTF-8 text (is it UTF-16 or a spreadsheet "
                 "file rather than CSV?)");
  }
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
    ++pos_;
    ++column_;
    ++record_bytes_;
    return absl::OkStatus();
  }
  int need = 0;
  int lo = 0x80, hi = 0xBF;  // range of the first continuation byte
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c == 0xE0) {
    need = 2;
    lo = 0xA0;  // no overlong forms
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    need = 2;
  } else if (c == 0xED) {
    need = 2;
    hi = 0x9F;  // no UTF-16 surrogates
  } else if (c == 0xF0) {
    need = 3;
    lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3) {
    need = 3;
  } else if (c == 0xF4) {
    need = 3;
    hi = 0x8F;  // nothing above U+10FFFF
  }
  const auto invalid = [&](int byte) {
    return Error(line_, column_,
                 absl::StrFormat("invalid UTF-8 (byte 0x%02X); the file must be saved as UTF-8 "
                                 "(it may be Latin-1 or Windows-1252)",
                                 byte));
  };
  if (need == 0) return invalid(c);
  std::string seq(1, static_cast<char>(c));
  ++pos_;
  for (int i = 0; i < need; ++i) {
    const int d = Peek();
    if (d < lo || d > hi) return invalid(c);
    seq.push_back(static_cast<char>(d));
    ++pos_;
    lo = 0x80;
    hi = 0xBF;
  }
  out.append(seq);
  record_bytes_ += seq.size();
  ++column_;
  return absl::OkStatus();
}

absl::Status CsvReader::CheckSizes(const CsvRecord& record, size_t field_offset, int64_t field_line,
                                   int64_t field_column, bool quoted) {
  const auto open_quote = [&]() -> std::string {
    if (!quoted) return "";
    return absl::StrCat("; is the quote opened at line ", field_line, ", column ", field_column,
                        " never closed?");
  };
  if (record.data_.size() - field_offset > options_.max_field_bytes) {
    return Error(
        field_line, field_column,
        absl::StrCat("field longer than ", HumanBytes(options_.max_field_bytes), open_quote()));
  }
  if (record_bytes_ > options_.max_record_bytes) {
    return Error(
        record.first_line_, 1,
        absl::StrCat("record longer than ", HumanBytes(options_.max_record_bytes), open_quote()));
  }
  return absl::OkStatus();
}

absl::Status CsvReader::ParseRecord(CsvRecord& record) {
  const int delim = static_cast<unsigned char>(options_.delimiter);
  std::string& data = record.data_;
  for (;;) {
    if (record.fields_.size() >= options_.max_fields) {
      return Error(line_, column_,
                   absl::StrCat("more than ", options_.max_fields, " fields in one record"));
    }
    CsvRecord::Field field;
    field.offset = data.size();
    field.line = line_;
    field.column = column_;
    bool end_of_record = false;
    int c = Peek();
    if (c == '"') {
      field.quoted = true;
      ++pos_;
      ++column_;
      ++record_bytes_;
      for (;;) {
        c = Peek();
        if (c < 0) {
          return Error(field.line, field.column,
                       absl::StrCat("quote opened at line ", field.line, ", column ", field.column,
                                    " is never closed"));
        }
        if (c == '"') {
          ++pos_;
          ++column_;
          ++record_bytes_;
          if (Peek() != '"') break;  // the closing quote
          ++pos_;
          ++column_;
          ++record_bytes_;
          data.push_back('"');
        } else if (c == '\r' || c == '\n') {
          data.push_back(static_cast<char>(c));
          ++pos_;
          ++record_bytes_;
          if (c == '\r' && Peek() == '\n') {
            data.push_back('\n');
            ++pos_;
            ++record_bytes_;
          }
          ++line_;
          column_ = 1;
        } else {
          // Fast path: a run of plain ASCII in the buffer.
          size_t run = pos_;
          while (run < len_ && !(stops_[static_cast<unsigned char>(buf_[run])] & 1)) ++run;
          if (run > pos_) {
            data.append(buf_.get() + pos_, run - pos_);
            column_ += static_cast<int64_t>(run - pos_);
            record_bytes_ += run - pos_;
            pos_ = run;
          } else {
            COTRACK_RETURN_IF_ERROR(ConsumeChar(data));
          }
        }
        COTRACK_RETURN_IF_ERROR(
            CheckSizes(record, field.offset, field.line, field.column, /*quoted=*/true));
      }
      c = Peek();
      if (c == delim) {
        ++pos_;
        ++column_;
        ++record_bytes_;
      } else if (c < 0 || c == '\r' || c == '\n') {
        end_of_record = true;
      } else {
        return Error(line_, column_,
                     absl::StrCat("unexpected text after the closing quote of the field "
                                  "opened at line ",
                                  field.line, ", column ", field.column,
                                  "; a quote inside a quoted field must be doubled (\"\")"));
      }
    } else {
      for (;;) {
        c = Peek();
        if (c == delim) {
          ++pos_;
          ++column_;
          ++record_bytes_;
          break;
        }
        if (c < 0 || c == '\r' || c == '\n') {
          end_of_record = true;
          break;
        }
        if (c == '"') {
          return Error(line_, column_,
                       "stray quote in an unquoted field; quote the whole field and double "
                       "each quote inside it (\"\")");
        }
        size_t run = pos_;
        while (run < len_ && !(stops_[static_cast<unsigned char>(buf_[run])] & 2)) ++run;
        if (run > pos_) {
          data.append(buf_.get() + pos_, run - pos_);
          column_ += static_cast<int64_t>(run - pos_);
          record_bytes_ += run - pos_;
          pos_ = run;
        } else {
          COTRACK_RETURN_IF_ERROR(ConsumeChar(data));
        }
        COTRACK_RETURN_IF_ERROR(
            CheckSizes(record, field.offset, field.line, field.column, /*quoted=*/false));
      }
    }
    field.size = data.size() - field.offset;
    record.fields_.push_back(field);
    if (end_of_record) {
      ConsumeLineEnd();
      return absl::OkStatus();
    }
  }
}

std::string NormalizeHeaderName(absl::string_view name) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
}

bool HeaderHasAll(const std::vector<std::string>& names,
                  std::initializer_list<const char*> wanted) {
  for (const char* w : wanted) {
    bool found = false;
    for (const std::string& n : names) found |= NormalizeHeaderName(n) == w;
    if (!found) return false;
  }
  return true;
}

absl::Status RequireColumns(const CsvRecord& header, const CsvHeader& h,
                            std::initializer_list<const char*> required, const char* expected,
                            const std::string& source, bool upper_case) {
  std::vector<std::string> missing;
  for (const char* r : required) {
    if (!h.Find(r)) missing.push_back(upper_case ? absl::AsciiStrToUpper(r) : std::string(r));
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      source, ":", header.first_line(), ": header \"", JoinHeader(header), "\": missing column",
      missing.size() > 1 ? "s " : " ", absl::StrJoin(missing, ","), " (", expected, ")"));
}

std::string JoinHeader(const CsvRecord& header) {
  std::vector<absl::string_view> names;
  names.reserve(header.size());
  for (size_t i = 0; i < header.size(); ++i) {
    names.push_back(absl::StripAsciiWhitespace(header[i]));
  }
  return absl::StrJoin(names, ",");
}

absl::StatusOr<CsvHeader> CsvHeader::Make(const CsvRecord& header, const CsvReader& reader) {
  CsvHeader h;
  ImportErrors errors(reader.source());
  for (size_t i = 0; i < header.size(); ++i) {
    std::string name(absl::StripAsciiWhitespace(header[i]));
    std::string key = NormalizeHeaderName(name);
    if (key.empty()) {
      errors.Add(header.line(i), header.column(i),
                 absl::StrCat("header: column ", i + 1, " has no name"));
    } else {
      auto [it, inserted] = h.index_.emplace(key, i);
      if (!inserted) {
        errors.Add(header.line(i), header.column(i),
                   absl::StrCat("header: duplicate column ", QuoteForMessage(name),
                                " (also column ", it->second + 1, ")"));
      }
    }
    h.names_.push_back(std::move(name));
    h.keys_.push_back(std::move(key));
    h.columns_.push_back(header.column(i));
  }
  COTRACK_RETURN_IF_ERROR(errors.ToStatus());
  return h;
}

std::optional<size_t> CsvHeader::Find(absl::string_view key) const {
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::vector<absl::string_view> SplitCell(absl::string_view cell, char sep) {
  std::vector<absl::string_view> parts = absl::StrSplit(cell, sep);
  for (absl::string_view& p : parts) p = absl::StripAsciiWhitespace(p);
  return parts;
}

}  // namespace cotrack

#include "csv_input.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "bench_util.h"
#include "registry_generator.h"

namespace cotrack::bench {
namespace {

absl::Status ReadWhole(const std::string& path, std::string* buffer) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  buffer->clear();
  char chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), f)) > 0) buffer->append(chunk, n);
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return absl::InternalError(absl::StrCat("cannot read ", path));
  return absl::OkStatus();
}

// Splits `line` at commas into exactly `n` fields (no quoting: the generator
// never writes any).
bool Split(absl::string_view line, absl::string_view* fields, int n) {
  int i = 0;
  size_t start = 0;
  for (size_t pos = 0; pos <= line.size(); ++pos) {
    if (pos == line.size() || line[pos] == ',') {
      if (i == n) return false;
      fields[i++] = line.substr(start, pos - start);
      start = pos + 1;
    }
  }
  return i == n;
}

bool ParseNumber(absl::string_view t, double* v) {
  if (t.empty()) return false;
  auto r = std::from_chars(t.data(), t.data() + t.size(), *v);
  return r.ec == std::errc() && r.ptr == t.data() + t.size() && std::isfinite(*v);
}

// The same ranges the built-in catalog enforces for these five measures.
bool InRange(int measure, double v) {
  switch (measure) {
    case kEdss:
      return v == 0 || (v >= 1 && v <= 10 && std::fmod(v * 2, 1) == 0);
    case kAis:
      return v >= 0 && v <= 24 && std::floor(v) == v;
    case kFis:
      return v >= 0 && v <= 160 && std::floor(v) == v;
    case kHba1c:
      return v >= 2 && v <= 25;
    default:
      return v >= 0;
  }
}

absl::Status Bad(const std::string& path, int64_t line, absl::string_view field,
                 absl::string_view value, absl::string_view expected) {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": field \"", field,
                                                 "\": bad value \"", value, "\" (expected ",
                                                 expected, ")"));
}

// Calls fn(line_text, line_number) for each data line after the header.
template <typename Fn>
absl::Status ForEachLine(const std::string& path, const std::string& buffer,
                         absl::string_view header, Fn fn) {
  absl::string_view all(buffer);
  int64_t line_no = 0;
  size_t pos = 0;
  while (pos < all.size()) {
    size_t end = all.find('\n', pos);
    if (end == absl::string_view::npos) end = all.size();
    absl::string_view line = all.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    ++line_no;
    if (line_no == 1) {
      if (line != header) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":1: header is \"", line, "\" (expected \"", header, "\")"));
      }
      continue;
    }
    if (line.empty()) continue;
    absl::Status s = fn(line, line_no);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadObservationsCsv(const std::string& path, std::string* buffer,
                                 std::vector<CsvObservation>* rows) {
  absl::Status s = ReadWhole(path, buffer);
  if (!s.ok()) return s;
  rows->clear();
  return ForEachLine(path, *buffer, "patient,measure,date,value,unit,visit",
                     [&](absl::string_view line, int64_t line_no) -> absl::Status {
                       absl::string_view f[6];
                       if (!Split(line, f, 6)) return Bad(path, line_no, "row", line, "6 fields");
                       CsvObservation o;
                       o.patient = f[0];
                       o.line = line_no;
                       if (o.patient.empty() || o.patient.size() > 128) {
                         return Bad(path, line_no, "patient", f[0], "1-128 bytes");
                       }
                       o.measure = MeasureFromCode(std::string(f[1]));
                       if (o.measure < 0)
                         return Bad(path, line_no, "measure", f[1], "a known measure code");
                       if (!ParseDay(f[2], &o.day))
                         return Bad(path, line_no, "date", f[2], "YYYY-MM-DD");
                       absl::string_view v = f[3];
                       if (!v.empty() && (v[0] == '<' || v[0] == '>')) {
                         bool eq = v.size() > 1 && v[1] == '=';
                         o.comparator = v[0] == '<' ? (eq ? 2 : 1) : (eq ? 3 : 4);
                         if (o.measure != kIl4)
                           return Bad(path, line_no, "value", f[3], "an uncensored value");
                         v.remove_prefix(eq ? 2 : 1);
                       }
                       if (!ParseNumber(v, &o.value) || !InRange(o.measure, o.value)) {
                         return Bad(path, line_no, "value", f[3],
                                    "a number in the measure's range");
                       }
                       o.unit = f[4];
                       if (o.unit != MeasureUnit(o.measure)) {
                         return Bad(path, line_no, "unit", f[4], "the measure's unit");
                       }
                       o.visit = f[5];
                       rows->push_back(o);
                       return absl::OkStatus();
                     });
}

absl::Status ReadPatientsCsv(const std::string& path, std::string* buffer,
                             std::vector<CsvPatient>* rows) {
  absl::Status s = ReadWhole(path, buffer);
  if (!s.ok()) return s;
  rows->clear();
  return ForEachLine(path, *buffer, "patient,arm,index_date",
                     [&](absl::string_view line, int64_t line_no) -> absl::Status {
                       absl::string_view f[3];
                       if (!Split(line, f, 3)) return Bad(path, line_no, "row", line, "3 fields");
                       CsvPatient p;
                       p.patient = f[0];
                       p.arm = f[1];
                       p.line = line_no;
                       if (!ParseDay(f[2], &p.index_day)) {
                         return Bad(path, line_no, "index_date", f[2], "YYYY-MM-DD");
                       }
                       rows->push_back(p);
                       return absl::OkStatus();
                     });
}

}  // namespace cotrack::bench

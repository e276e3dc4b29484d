#include "import/hl7_parser.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cotrack {
namespace {

constexpr size_t kBlockBytes = size_t{1} << 16;
constexpr char kMllpStart = '\x0B';
constexpr char kMllpEnd = '\x1C';

bool IsHeaderId(absl::string_view id) { return id == "MSH" || id == "FHS" || id == "BHS"; }

// A byte that may serve as a delimiter: printable ASCII, not a letter,
// digit or space.
bool IsDelimiter(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7F && !absl::ascii_isalnum(u);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A delimiter for a message: "|" or, when not printable, "byte 0x0D".
std::string QuoteByte(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7F) return absl::StrCat("\"", std::string(1, c), "\"");
  return absl::StrFormat("byte 0x%02X", u);
}

bool AllDigits(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool LooksLikeHl7(absl::string_view start) {
  if (start.size() < 4 || !IsHeaderId(start.substr(0, 3))) return false;
  const char sep = start[3];
  // Not what a CSV header could have after a name starting MSH.
  return IsDelimiter(sep) && absl::string_view(",;\"'_-.").find(sep) == absl::string_view::npos;
}

absl::StatusOr<Hl7Encoding> ParseHl7Encoding(absl::string_view segment) {
  if (segment.size() < 4 || !IsHeaderId(segment.substr(0, 3))) {
    return absl::InvalidArgumentError("expected a segment starting MSH and its field separator");
  }
  Hl7Encoding e;
  e.field = segment[3];
  if (!IsDelimiter(e.field)) {
    return absl::InvalidArgumentError(
        absl::StrCat("MSH-1, the field separator, is ", QuoteByte(e.field),
                     " (expected a punctuation character such as |)"));
  }
  absl::string_view chars = segment.substr(4);
  const size_t end = chars.find(e.field);
  if (end != absl::string_view::npos) chars = chars.substr(0, end);
  if (chars.empty()) {
    return absl::InvalidArgumentError(
        "MSH-2, the encoding characters, is empty (expected them, such as ^~\\&)");
  }
  if (chars.size() > 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MSH-2, the encoding characters, has ", chars.size(),
        " characters (expected at most 5: component, repetition, escape, subcomponent, "
        "truncation, such as ^~\\&)"));
  }
  std::string seen(1, e.field);
  for (char c : chars) {
    if (!IsDelimiter(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("MSH-2, the encoding characters, holds ", QuoteByte(c),
                       " (expected punctuation characters such as ^~\\&)"));
    }
    if (seen.find(c) != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("MSH-2, the encoding characters, uses ", QuoteByte(c),
                       " twice (each delimiter must differ from the others and from MSH-1)"));
    }
    seen += c;
  }
  e.component = chars[0];
  e.repetition = chars.size() > 1 ? chars[1] : '\0';
  e.escape = chars.size() > 2 ? chars[2] : '\0';
  e.subcomponent = chars.size() > 3 ? chars[3] : '\0';
  return e;
}

absl::string_view Hl7Part(absl::string_view text, char separator, int n) {
  if (n < 1) return absl::string_view();
  absl::string_view found;
  int i = 0;
  ForEachHl7Part(text, separator, [&](absl::string_view part) {
    if (++i < n) return true;
    found = part;
    return false;
  });
  return i == n ? found : absl::string_view();
}

std::string DecodeHl7Escapes(absl::string_view text, const Hl7Encoding& e) {
  const char esc = e.escape;
  if (esc == '\0' || text.find(esc) == absl::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != esc) {
      out += c;
      ++i;
      continue;
    }
    const size_t close = text.find(esc, i + 1);
    if (close == absl::string_view::npos) {  // no closing escape: kept as it is
      out.append(text.data() + i, text.size() - i);
      break;
    }
    const absl::string_view seq = text.substr(i + 1, close - i - 1);
    bool known = true;
    if (seq == "F") {
      out += e.field;
    } else if (seq == "S") {
      out += e.component;
    } else if (seq == "T") {
      if (e.subcomponent != '\0') out += e.subcomponent;
    } else if (seq == "R") {
      if (e.repetition != '\0') out += e.repetition;
    } else if (seq == "E") {
      out += esc;
    } else if (seq == ".br") {
      out += '\n';
    } else if (seq == "H" || seq == "N" ||
               (!seq.empty() &&
                (seq[0] == 'C' || seq[0] == 'M' || seq[0] == 'Z' || seq[0] == '.'))) {
      // Highlighting, character sets, local and formatting sequences: their
      // text has none of them.
    } else if (seq.size() >= 3 && seq.size() % 2 == 1 && seq[0] == 'X' &&
               std::all_of(seq.begin() + 1, seq.end(), [](char h) { return HexValue(h) >= 0; })) {
      for (size_t k = 1; k + 1 < seq.size(); k += 2) {
        out += static_cast<char>(HexValue(seq[k]) * 16 + HexValue(seq[k + 1]));
      }
    } else {
      known = false;
    }
    if (known) {
      i = close + 1;
    } else {  // not a sequence we know: the escape character is kept as text
      out += c;
      ++i;
    }
  }
  return out;
}

Hl7Segment::Hl7Segment(absl::string_view text, const Hl7Encoding& encoding)
    : text_(text), encoding_(encoding) {
  const size_t first = text.find(encoding.field);
  id_ = text.substr(0, first);
  if (first == absl::string_view::npos) return;
  msh_ = IsHeaderId(id_);
  // Fields after the id; MSH counts its separator as MSH-1.
  int n = msh_ ? 2 : 1;
  if (msh_) fields_[1] = text.substr(3, 1);
  size_t start = first + 1;
  while (true) {
    const size_t end = text.find(encoding.field, start);
    if (n <= kKeptFields) {
      fields_[n] = text.substr(
          start, end == absl::string_view::npos ? absl::string_view::npos : end - start);
    }
    field_count_ = n;
    if (end == absl::string_view::npos) break;
    start = end + 1;
    ++n;
  }
}

absl::string_view Hl7Segment::Field(int n) const {
  if (n < 1 || n > kKeptFields || n > field_count_) return absl::string_view();
  return fields_[n];
}

std::string Hl7Segment::Component(int n, int c) const {
  const absl::string_view first = Hl7Part(Field(n), encoding_.repetition, 1);
  return DecodeHl7Escapes(Hl7Part(first, encoding_.component, c), encoding_);
}

absl::StatusOr<CivilTime> ParseHl7DateTime(absl::string_view text,
                                           std::optional<int>* offset_seconds) {
  if (offset_seconds != nullptr) offset_seconds->reset();
  int offset = 0;
  bool has_offset = false;
  const absl::string_view t = absl::StripAsciiWhitespace(text);
  const auto fail = [](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(kExpectedHl7DateTime, "; ", why));
  };
  size_t digits = 0;
  while (digits < t.size() && t[digits] >= '0' && t[digits] <= '9') ++digits;
  if (digits == 0) return fail("it does not start with a year");
  absl::string_view rest = t.substr(digits);
  if (digits == 4 && !rest.empty() && rest[0] == '-') {
    return fail("an HL7 date has no dashes (20240305, not 2024-03-05)");
  }
  if (digits == 4 || digits == 6) {
    return fail(digits == 4 ? "a year alone is not a date" : "a month alone is not a date");
  }
  if (digits != 8 && digits != 10 && digits != 12 && digits != 14) {
    return fail(absl::StrCat(digits, " digits (a date has 8, a time adds 2, 4 or 6)"));
  }
  if (!rest.empty() && rest[0] == '.') {
    if (digits != 14) return fail("a fraction of a second needs the seconds before it");
    size_t f = 1;
    while (f < rest.size() && rest[f] >= '0' && rest[f] <= '9') ++f;
    if (f == 1 || f > 5) return fail("a fraction of a second has 1 to 4 digits");
    rest.remove_prefix(f);  // dropped: identity is to the second
  }
  if (!rest.empty()) {
    // The offset is checked, then given to the caller: CivilTimeOfInstant
    // applies it with a time zone and drops it without one.
    if ((rest[0] != '+' && rest[0] != '-') || rest.size() != 5 || !AllDigits(rest.substr(1))) {
      return fail(
          absl::StrCat("unexpected \"", rest, "\" after the date (an offset is +HHMM or -HHMM)"));
    }
    const int hours = (rest[1] - '0') * 10 + (rest[2] - '0');
    const int minutes = (rest[3] - '0') * 10 + (rest[4] - '0');
    if (hours > 14 || minutes > 59) {
      return fail(absl::StrCat("the offset ", rest, " is not a time zone offset"));
    }
    offset = (hours * 60 + minutes) * 60 * (rest[0] == '-' ? -1 : 1);
    has_offset = true;
  }
  const absl::string_view d = t.substr(0, digits);
  std::string iso = absl::StrCat(d.substr(0, 4), "-", d.substr(4, 2), "-", d.substr(6, 2));
  if (digits > 8) {
    absl::StrAppend(&iso, "T", d.substr(8, 2), ":", digits >= 12 ? d.substr(10, 2) : "00", ":",
                    digits >= 14 ? d.substr(12, 2) : "00");
  }
  absl::StatusOr<CivilTime> parsed = ParseCivilTime(iso);
  if (!parsed.ok()) {
    // `bad date "ISO": WHY (expected ...)`: keep WHY.
    absl::string_view why = parsed.status().message();
    const std::string prefix = absl::StrCat("bad date \"", iso, "\": ");
    if (absl::StartsWith(why, prefix)) why.remove_prefix(prefix.size());
    const size_t expected = why.rfind(" (expected");
    if (expected != absl::string_view::npos) why = why.substr(0, expected);
    return fail(why);
  }
  // A date alone is a clinical date, never an instant.
  if (has_offset && offset_seconds != nullptr && parsed->precision == TimePrecision::kDateTime) {
    *offset_seconds = offset;
  }
  return parsed;
}

Hl7SegmentReader::Hl7SegmentReader(std::istream& in, std::string taken, size_t max_segment_bytes)
    : in_(in), taken_(std::move(taken)), max_segment_bytes_(max_segment_bytes) {}

bool Hl7SegmentReader::Fill() {
  if (eof_) return false;
  if (buffer_.size() < kBlockBytes) buffer_.resize(kBlockBytes);
  std::streambuf* sb = in_.rdbuf();
  std::streamsize n = 0;
  if (sb != nullptr) {
    try {
      n = sb->sgetn(&buffer_[0], static_cast<std::streamsize>(kBlockBytes));
    } catch (...) {
      read_error_ = true;
      n = 0;
    }
  }
  pos_ = 0;
  end_ = n > 0 ? static_cast<size_t>(n) : 0;
  if (end_ == 0) {
    eof_ = true;
    in_.setstate(std::ios::eofbit);
    return false;
  }
  return true;
}

int Hl7SegmentReader::Get() {
  if (taken_pos_ < taken_.size()) {
    ++consumed_;
    return static_cast<unsigned char>(taken_[taken_pos_++]);
  }
  if (pos_ >= end_ && !Fill()) return -1;
  ++consumed_;
  return static_cast<unsigned char>(buffer_[pos_++]);
}

void Hl7SegmentReader::TakeRun(Segment& s) {
  if (taken_pos_ < taken_.size()) return;
  const char* const data = buffer_.data();
  size_t stop = pos_;
  while (stop < end_ && data[stop] != '\r' && data[stop] != '\n' && data[stop] != kMllpEnd) ++stop;
  const size_t n = stop - pos_;
  const size_t room = max_segment_bytes_ - std::min(max_segment_bytes_, s.text.size());
  s.text.append(data + pos_, std::min(n, room));
  if (n > room) s.too_long = true;
  consumed_ += static_cast<int64_t>(n);
  pos_ = stop;
}

bool Hl7SegmentReader::Next(Segment& s) {
  while (true) {
    s.text.clear();
    s.too_long = false;
    s.line = line_;
    bool any = false;  // a byte of this segment (or its terminator) was read
    int c;
    while ((c = Get()) >= 0) {
      any = true;
      const bool lf_after_cr = c == '\n' && after_cr_;
      after_cr_ = c == '\r';
      if (lf_after_cr) {  // the LF of a CRLF: the line already ended
        if (s.text.empty()) {
          s.line = line_;
          continue;
        }
        break;
      }
      if (c == '\r' || c == '\n') {
        ++line_;
        break;
      }
      if (c == kMllpEnd) break;
      if (s.text.empty() && (c == kMllpStart || c == ' ' || c == '\t')) continue;
      if (s.text.empty()) s.line = line_;
      if (s.text.size() < max_segment_bytes_) {
        s.text += static_cast<char>(c);
      } else {
        s.too_long = true;
      }
      TakeRun(s);
    }
    if (at_start_ && absl::StartsWith(s.text, "\xEF\xBB\xBF")) {
      s.text.erase(0, 3);
      const size_t first = s.text.find_first_not_of(" \t\x0B");
      s.text.erase(0, first == std::string::npos ? s.text.size() : first);
    }
    if (any) at_start_ = false;
    if (!s.text.empty()) return true;
    if (c < 0) return false;
  }
}

}  // namespace cotrack

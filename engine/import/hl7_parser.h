// HL7 v2 "pipe and hat" encoding (v2.1 to v2.8), the syntax only: a stream
// split into segments, a segment into fields, repetitions, components and
// subcomponents with the message's own encoding characters (MSH-1, MSH-2),
// escape sequences decoded, and the DTM/TS date-time type. What the segments
// mean for cotrack (ORU^R01 results) is hl7.cc's.
//
// Debian has no HL7 v2 library for C++; this is the small part of one that
// an importer needs. It never fails on any input: every function is total,
// linear in its input, and a segment is held in at most kMaxHl7SegmentBytes.
#ifndef COTRACK_IMPORT_HL7_PARSER_H_
#define COTRACK_IMPORT_HL7_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/civil_time.h"

namespace cotrack {

// The longest segment kept whole; the rest of a longer one is read and
// dropped (Hl7SegmentReader::Segment::too_long). Lab results are far
// smaller; an embedded PDF report (OBX type ED) may come close.
inline constexpr size_t kMaxHl7SegmentBytes = size_t{16} << 20;

// A message's delimiters: MSH-1 (the field separator) and MSH-2 (component,
// repetition, escape, subcomponent; v2.7 adds a fifth, truncation, which
// is not needed to read). A delimiter the message leaves out is '\0': never
// found in text.
struct Hl7Encoding {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
};

// Whether `start` (an input from its first byte that is not white space, a
// byte order mark or an MLLP start byte) begins like HL7 v2: "MSH" (or the
// batch headers "FHS", "BHS") and a field separator: a punctuation
// character, but none a CSV header could have after a name starting MSH
// (, ; " ' _ - .) ("MSH|^~\&|"; the encoding characters are checked when
// the message is read, where a bad one gets its own message). `start` needs
// 4 bytes.
bool LooksLikeHl7(absl::string_view start);

// The encoding characters of a segment starting "MSH" (or "FHS"/"BHS"):
// InvalidArgument saying what is wrong (no field separator, a letter or
// digit as a delimiter, a delimiter used twice, ...).
absl::StatusOr<Hl7Encoding> ParseHl7Encoding(absl::string_view segment);

// Part `n` (1-based) of `text` split on `separator`; empty when there are
// fewer parts (or n < 1). A '\0' separator never splits.
absl::string_view Hl7Part(absl::string_view text, char separator, int n);

// Calls `f(part)` for each part of `text` split on `separator`, in order,
// until it returns false.
template <typename F>
void ForEachHl7Part(absl::string_view text, char separator, F f) {
  size_t start = 0;
  while (true) {
    const size_t end = separator == '\0' ? absl::string_view::npos : text.find(separator, start);
    if (!f(text.substr(start,
                       end == absl::string_view::npos ? absl::string_view::npos : end - start))) {
      return;
    }
    if (end == absl::string_view::npos) return;
    start = end + 1;
  }
}

// `text` (a component or subcomponent: its delimiters already split off)
// with its escape sequences decoded: \F\ \S\ \T\ \R\ \E\ are the field,
// component, subcomponent, repetition and escape characters ("10\S\9/L" is
// "10^9/L"), \Xhh...\ the bytes of the hex digits, \.br\ a line break.
// Highlighting (\H\, \N\), character set (\C..\, \M..\), formatting (\.sp\,
// ...) and local (\Z..\) sequences are dropped; an escape character without
// a closing one, or an unknown sequence, is kept as it is.
std::string DecodeHl7Escapes(absl::string_view text, const Hl7Encoding& encoding);

// A segment and its fields, split with the message's encoding. Fields are
// numbered as HL7 does: Field(5) of an OBX is OBX-5; for MSH, Field(1) is
// the field separator itself and Field(2) the encoding characters.
class Hl7Segment {
 public:
  // `text` must outlive the segment.
  Hl7Segment(absl::string_view text, const Hl7Encoding& encoding);

  // The segment id: the text before the first field separator ("OBX").
  absl::string_view id() const { return id_; }
  // Field `n`, raw (escapes not decoded); empty when absent.
  absl::string_view Field(int n) const;
  // The number of the last field present (OBX|1|NM has 2).
  int field_count() const { return field_count_; }
  const Hl7Encoding& encoding() const { return encoding_; }

  // Component `c` (1-based) of field `n`'s first repetition, decoded.
  std::string Component(int n, int c) const;

 private:
  // Fields beyond this are never read; they are counted, not kept.
  static constexpr int kKeptFields = 32;

  absl::string_view text_;
  Hl7Encoding encoding_;
  bool msh_ = false;
  absl::string_view id_;
  absl::string_view fields_[kKeptFields + 1];  // [n] = field n
  int field_count_ = 0;
};

// What the DTM (and TS) type must look like; for "(expected ...)".
inline constexpr char kExpectedHl7DateTime[] =
    "expected an HL7 date/time YYYYMMDD[HHMM[SS[.S]]] with an optional offset +/-ZZZZ";

// An HL7 date/time, YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ], as clinical civil
// time: the clock time as written (the offset is the caller's, below), a date
// alone is a date (TimePrecision::kDate), fractions of a second are dropped.
// A year or a month alone is not a date: InvalidArgument, as for a bad
// calendar date; the message is "expected ...; reason". `offset_seconds`
// (may be null) receives the offset east of UTC when a date-time has one,
// for CivilTimeOfInstant (value_text.h), and is reset otherwise.
absl::StatusOr<CivilTime> ParseHl7DateTime(absl::string_view text,
                                           std::optional<int>* offset_seconds = nullptr);

// Splits an input into segments. A segment ends at CR, LF, CRLF or an MLLP
// end byte (0x1C); MLLP start bytes (0x0B), spaces and tabs before a segment
// and a UTF-8 byte order mark at the start are dropped; blank segments are
// skipped. Lines are counted as an editor shows them: CR, LF and CRLF each
// end one. Reads in blocks of 64 KiB; holds one segment.
class Hl7SegmentReader {
 public:
  struct Segment {
    std::string text;       // at most max_segment_bytes
    int64_t line = 0;       // 1-based line of its first byte
    bool too_long = false;  // longer than max_segment_bytes: `text` is its start
  };

  // `taken`: bytes already taken from `in` (by format detection), read
  // before it.
  Hl7SegmentReader(std::istream& in, std::string taken,
                   size_t max_segment_bytes = kMaxHl7SegmentBytes);

  // The next segment; false at the end of the input (or a read error).
  bool Next(Segment& segment);
  // Input bytes consumed so far.
  int64_t bytes() const { return consumed_; }
  // True when reading stopped on an I/O error rather than the end.
  bool read_error() const { return read_error_; }

 private:
  // The next byte, or -1 at the end.
  int Get();
  // Appends the bytes up to the next line or segment end that are already in
  // the buffer to `s` (a segment's bulk, read without a call per byte).
  void TakeRun(Segment& s);
  bool Fill();

  std::istream& in_;
  std::string taken_;
  size_t taken_pos_ = 0;
  size_t max_segment_bytes_;
  std::string buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  bool read_error_ = false;
  bool at_start_ = true;   // no byte read yet (a byte order mark may come)
  bool after_cr_ = false;  // the last byte was a CR (an LF now ends no line)
  int64_t line_ = 1;
  int64_t consumed_ = 0;
};

}  // namespace cotrack

#endif  // COTRACK_IMPORT_HL7_PARSER_H_

#include "codec/value_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "codec/crc32c.h"
#include "cotrack/fb/audit_generated.h"
#include "cotrack/fb/catalog_generated.h"
#include "cotrack/fb/measure_generated.h"
#include "cotrack/fb/observation_generated.h"
#include "cotrack/fb/patient_generated.h"
#include "flatbuffers/flatbuffers.h"

namespace cotrack::codec {
namespace {

// This thread's T, kept between calls so that its buffers keep their
// capacity. Not inlined on purpose: in a shared library GCC recomputes the
// address of an inlined thread_local after every call and store, each time
// through __tls_get_addr (47 calls per observation written); the pointer a
// call returns is computed once.
template <typename T>
[[gnu::noinline]] T& ThreadLocal() {
  thread_local T value;
  return value;
}

// Frame header: u32 length, u32 masked CRC. Payloads are padded to 8 bytes so
// that, in an 8-aligned log, every FlatBuffer starts 8-aligned.
constexpr size_t kHeader = 8;

uint32_t LoadLE32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | (uint32_t{u[1]} << 8) | (uint32_t{u[2]} << 16) | (uint32_t{u[3]} << 24);
}

void StoreLE32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  out->append(b, 4);
}

size_t Padded(size_t n) { return (n + 7) & ~size_t{7}; }

// "WHAT: " in messages, or nothing for an empty name. Called on errors only.
std::string Named(absl::string_view what) {
  return what.empty() ? std::string() : absl::StrCat(what, ": ");
}

// FlatBuffers reads scalars in place, so a record that sits at a misaligned
// address (block cache data has no alignment promise) is copied first.
class Aligned {
 public:
  explicit Aligned(absl::string_view record) {
    if (reinterpret_cast<uintptr_t>(record.data()) % 8 == 0) {
      data_ = reinterpret_cast<const uint8_t*>(record.data());
    } else {
      copy_.resize((record.size() + 7) / 8);
      std::memcpy(copy_.data(), record.data(), record.size());
      data_ = reinterpret_cast<const uint8_t*>(copy_.data());
    }
    size_ = record.size();
  }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_;
  size_t size_;
  std::vector<uint64_t> copy_;
};

absl::Status Damaged(absl::string_view kind) {
  return absl::DataLossError(
      absl::StrCat("stored ", kind, " record failed FlatBuffers verification (damaged data)"));
}

std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

// FlatBuffers 2.0.8's verifier checks a vector's length prefix, not that its
// 8-byte elements are 8-aligned; a crafted record (with a valid CRC) could
// otherwise make us read misaligned doubles (found by fuzz_record_decoder).
template <typename T>
bool ElementsAligned(const flatbuffers::Vector<T>* v) {
  return v == nullptr || reinterpret_cast<uintptr_t>(v->Data()) % alignof(T) == 0;
}

std::string Finish(flatbuffers::FlatBufferBuilder& b) {
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

flatbuffers::Offset<fb::Provenance> BuildProvenance(flatbuffers::FlatBufferBuilder& b,
                                                    const Provenance& p) {
  return fb::CreateProvenanceDirect(b, p.source.c_str(), p.line, p.user.c_str(),
                                    p.reason.empty() ? nullptr : p.reason.c_str());
}

void ReadProvenance(const fb::Provenance* p, Provenance* out) {
  if (p == nullptr) return;
  out->source = Str(p->source());
  out->line = p->line();
  out->user = Str(p->user());
  out->reason = Str(p->reason());
}

template <typename T>
const T* Verified(const Aligned& a) {
  flatbuffers::Verifier v(a.data(), a.size(), /*max_depth=*/16, /*max_tables=*/100000);
  if (!v.VerifyBuffer<T>(nullptr)) return nullptr;
  return flatbuffers::GetRoot<T>(a.data());
}

}  // namespace

namespace {

// Reads the record at `*pos` of `log` into `body` (its FlatBuffer bytes) and
// advances `*pos` past it, checking the frame, CRC and padding. Messages read
// "WHAT: problem", or just the problem when the caller names the record
// itself (hot paths build that name only on error).
absl::Status NextRecord(absl::string_view log, absl::string_view what, size_t* pos,
                        absl::string_view* body) {
  const size_t at = *pos;
  if (log.size() - at < kHeader) {
    return absl::DataLossError(
        absl::StrCat(Named(what), "truncated record header at byte ", at, " (damaged data)"));
  }
  const uint32_t n = LoadLE32(log.data() + at);
  const uint32_t crc = LoadLE32(log.data() + at + 4);
  if (n == 0 || log.size() - at - kHeader < Padded(n)) {
    return absl::DataLossError(
        absl::StrCat(Named(what), "bad record length ", n, " at byte ", at, " (damaged data)"));
  }
  *body = log.substr(at + kHeader, n);
  if (crc32c::Mask(crc32c::Value(body->data(), body->size())) != crc) {
    return absl::DataLossError(
        absl::StrCat(Named(what), "checksum mismatch in record at byte ", at, " (damaged data)"));
  }
  for (size_t i = at + kHeader + n; i < at + kHeader + Padded(n); ++i) {
    if (log[i] != '\0') {
      return absl::DataLossError(absl::StrCat(Named(what), "non-zero padding after record at byte ",
                                              at, " (damaged data)"));
    }
  }
  *pos = at + kHeader + Padded(n);
  return absl::OkStatus();
}

}  // namespace

absl::Status SplitRecords(absl::string_view log, absl::string_view what,
                          std::vector<absl::string_view>* records) {
  records->clear();
  size_t pos = 0;
  while (pos < log.size()) {
    absl::string_view body;
    absl::Status s = NextRecord(log, what, &pos, &body);
    if (!s.ok()) return s;
    records->push_back(body);
  }
  return absl::OkStatus();
}

void AppendRecord(std::string* log, absl::string_view flatbuffer) {
  StoreLE32(log, static_cast<uint32_t>(flatbuffer.size()));
  StoreLE32(log, crc32c::Mask(crc32c::Value(flatbuffer.data(), flatbuffer.size())));
  log->append(flatbuffer.data(), flatbuffer.size());
  log->append(Padded(flatbuffer.size()) - flatbuffer.size(), '\0');
}

namespace {

constexpr uint8_t kStatusMask = 0x03;
constexpr int kComparatorShift = 2;
constexpr uint8_t kComparatorMask = 0x07;
constexpr uint8_t kDateTimeBit = 0x20;

uint8_t Flags(const Observation& o) {
  return static_cast<uint8_t>(static_cast<uint8_t>(o.status) |
                              (static_cast<uint8_t>(o.comparator) << kComparatorShift) |
                              (o.time.precision == TimePrecision::kDateTime ? kDateTimeBit : 0));
}

bool SameChunk(const Observation& a, const Observation& b) {
  return a.recorded_at_us == b.recorded_at_us && a.provenance.source == b.provenance.source &&
         a.provenance.user == b.provenance.user && a.provenance.reason == b.provenance.reason;
}

// ---- Packed entries (ObservationChunk.packed, format 2) ----
//
//   varint n                      entries
//   byte   columns                bit 0: lines present; bit 1: visits present;
//                                 bit 2: one head for every entry (stored next,
//                                 not per entry); bit 3: one scale for every
//                                 decimal (stored next, after the head);
//                                 bit 4: decimals are non-negative (m is
//                                 stored without zigzag); bit 5: times are
//                                 dates, none before 1970 or before the
//                                 previous entry (steps stored in days)
//   [byte head] [byte scale]
//   n times:
//     [byte head]                 bits 0-5: the flags byte (kStatusMask ...);
//                                 bit 6: the value is a plain decimal;
//                                 bit 7: its text starts with the comparator
//     varint time                 step = t - t_prev (t_prev = 0 for the
//                                 first): with bit 5, step / 86400; else
//                                 zigzag(days) << 1 | 1 when a whole number
//                                 of days, zigzag(seconds) << 1 otherwise
//     decimal:  varint            m, or m << 4 | s without a shared scale
//                                 (m zigzagged unless bit 4): the text as
//                                 entered is [comparator]m with s decimals
//                                 ("4.5": 45, 1), and the value is m / 10^s
//     else:     8 bytes           the value (IEEE double, little-endian),
//               varint k, k bytes the text as entered
//     lines:    varint            zigzag(line - line_prev), line_prev = 0
//     visits:   varint k << 4 | j the visit label: its first j bytes (j < 16)
//               k bytes           are the previous entry's, then k bytes
//
// A decimal is used only when both the text and the value come back
// bit-exact (checked when encoding): m / 10^s of two exact doubles is
// correctly rounded, as parsing the text is. A chunk that cannot be packed
// (a time step beyond the varint form) is written in format 1's columns.
constexpr uint8_t kHeadDecimal = 0x40;
constexpr uint8_t kHeadPrefix = 0x80;
constexpr uint8_t kPackedLines = 0x01;
constexpr uint8_t kPackedVisits = 0x02;
constexpr uint8_t kPackedOneHead = 0x04;
constexpr uint8_t kPackedOneScale = 0x08;
constexpr uint8_t kPackedUnsigned = 0x10;
constexpr uint8_t kPackedDatesUp = 0x20;
constexpr uint8_t kPackedColumns = 0x3f;
constexpr int64_t kDaySeconds = 86400;
// |m| below 2^53 is an exact double; 15 digits keep well inside it.
constexpr int kMaxDecimalDigits = 15;
constexpr int kMaxScale = 15;
// A visit label repeats at most this many bytes of the previous entry's.
constexpr size_t kMaxSharedStart = 15;
constexpr double kPow10[kMaxScale + 1] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                          1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// The sign a packed text starts with. Part of the stored format, so it is
// spelled here rather than taken from text/names.h's ComparatorSymbol: a
// change to how comparators are displayed must not change what stored
// records decode to.
absl::string_view ComparatorPrefix(Comparator c) {
  switch (c) {
    case Comparator::kLess:
      return "<";
    case Comparator::kLessEqual:
      return "<=";
    case Comparator::kGreaterEqual:
      return ">=";
    case Comparator::kGreater:
      return ">";
    default:
      return "";
  }
}

// The text of decimal (m, s): "-" for a negative m, then |m|'s digits with at
// least s + 1 of them, a point before the last s.
void AppendDecimalText(int64_t m, int s, std::string* out) {
  char digits[24];
  int n = 0;
  uint64_t u = m < 0 ? 0 - static_cast<uint64_t>(m) : static_cast<uint64_t>(m);
  do {
    digits[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  while (n < s + 1) digits[n++] = '0';
  if (m < 0) out->push_back('-');
  for (int i = n - 1; i >= 0; --i) {
    out->push_back(digits[i]);
    if (i == s && s > 0) out->push_back('.');
  }
}

// (m, s) when `text` is exactly AppendDecimalText(m, s): an optional "-",
// digits without a needless leading zero, and an optional point followed by
// at least one digit.
bool ParseDecimalText(absl::string_view text, int64_t* m, int* s) {
  size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) ++i;
  int64_t v = 0;
  int digits = 0, scale = 0;
  bool point = false;
  const size_t int_start = i;
  for (; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '.' && !point) {
      if (i == int_start) return false;
      point = true;
      continue;
    }
    if (ch < '0' || ch > '9') return false;
    if (++digits > kMaxDecimalDigits) return false;
    v = v * 10 + (ch - '0');
    if (point) ++scale;
  }
  if (digits == 0 || (point && scale == 0) || scale > kMaxScale) return false;
  // "07", "-0", "-0.0": not what AppendDecimalText writes back.
  const size_t int_digits = digits - scale;
  if (int_digits > 1 && text[int_start] == '0') return false;
  if (negative && v == 0) return false;
  *m = negative ? -v : v;
  *s = scale;
  return true;
}

double DecimalValue(int64_t m, int s) { return static_cast<double>(m) / kPow10[s]; }

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// The decimal form of `o`'s text and value, when it has one.
bool DecimalForm(const Observation& o, int64_t* m, int* s, bool* prefixed) {
  absl::string_view text = o.original_value;
  const absl::string_view prefix = ComparatorPrefix(o.comparator);
  *prefixed = !prefix.empty() && absl::StartsWith(text, prefix);
  if (*prefixed) text.remove_prefix(prefix.size());
  return ParseDecimalText(text, m, s) && SameBits(DecimalValue(*m, *s), o.value);
}

// Packs versions[begin, end) as described above; false when one cannot be
// (a time step too large for the varint form).
bool PackEntries(absl::Span<const Observation* const> v, size_t begin, size_t end, bool any_line,
                 bool any_visit, std::string* out) {
  struct Form {
    int64_t m;
    int scale;
    uint8_t head;
  };
  std::vector<Form>& forms = ThreadLocal<std::vector<Form>>();
  forms.clear();
  // What every entry shares is said once, in the columns byte.
  bool one_head = true, one_scale = true, unsigned_m = true, dates_up = true;
  int64_t prev_time = 0;
  for (size_t i = begin; i < end; ++i) {
    const Observation& o = *v[i];
    Form f{0, 0, 0};
    bool prefixed = false;
    const bool decimal = DecimalForm(o, &f.m, &f.scale, &prefixed);
    f.head = static_cast<uint8_t>(Flags(o) | (decimal ? kHeadDecimal : 0) |
                                  (decimal && prefixed ? kHeadPrefix : 0));
    if (!forms.empty()) {
      one_head &= f.head == forms[0].head;
      one_scale &= !decimal || f.scale == forms[0].scale;
    }
    unsigned_m &= f.m >= 0;
    dates_up &= o.time.seconds % kDaySeconds == 0 && (i == begin || o.time.seconds >= prev_time) &&
                o.time.seconds >= 0;
    prev_time = o.time.seconds;
    forms.push_back(f);
  }
  // A shared scale needs a decimal first entry to take it from.
  one_scale &= (forms[0].head & kHeadDecimal) != 0;
  out->clear();
  PutVarint(out, end - begin);
  out->push_back(
      static_cast<char>((any_line ? kPackedLines : 0) | (any_visit ? kPackedVisits : 0) |
                        (one_head ? kPackedOneHead : 0) | (one_scale ? kPackedOneScale : 0) |
                        (unsigned_m ? kPackedUnsigned : 0) | (dates_up ? kPackedDatesUp : 0)));
  if (one_head) out->push_back(static_cast<char>(forms[0].head));
  if (one_scale) out->push_back(static_cast<char>(forms[0].scale));
  prev_time = 0;
  int64_t prev_line = 0;
  absl::string_view prev_visit;
  for (size_t i = begin; i < end; ++i) {
    const Observation& o = *v[i];
    const Form& f = forms[i - begin];
    if (!one_head) out->push_back(static_cast<char>(f.head));
    const int64_t step = static_cast<int64_t>(static_cast<uint64_t>(o.time.seconds) -
                                              static_cast<uint64_t>(prev_time));
    prev_time = o.time.seconds;
    if (dates_up) {
      PutVarint(out, static_cast<uint64_t>(step / kDaySeconds));
    } else if (step % kDaySeconds == 0) {
      PutVarint(out, ZigZag(step / kDaySeconds) << 1 | 1);
    } else {
      const uint64_t z = ZigZag(step);
      if (z >> 63) return false;
      PutVarint(out, z << 1);
    }
    if (f.head & kHeadDecimal) {
      const uint64_t m = unsigned_m ? static_cast<uint64_t>(f.m) : ZigZag(f.m);
      PutVarint(out, one_scale ? m : m << 4 | static_cast<uint64_t>(f.scale));
    } else {
      char bytes[8];
      uint64_t bits;
      std::memcpy(&bits, &o.value, 8);
      for (int b = 0; b < 8; ++b) bytes[b] = static_cast<char>(bits >> (8 * b));
      out->append(bytes, 8);
      PutVarint(out, o.original_value.size());
      out->append(o.original_value);
    }
    if (any_line) {
      const int64_t line = std::min<int64_t>(o.provenance.line, UINT32_MAX);
      PutVarint(out, ZigZag(line - prev_line));
      prev_line = line;
    }
    if (any_visit) {
      // Labels of one series tend to share a start ("M3", "M6", "M12").
      const absl::string_view label = o.visit;
      size_t shared = 0;
      while (shared < kMaxSharedStart && shared < label.size() && shared < prev_visit.size() &&
             label[shared] == prev_visit[shared]) {
        ++shared;
      }
      PutVarint(out, (label.size() - shared) << 4 | shared);
      out->append(label.data() + shared, label.size() - shared);
      prev_visit = label;
    }
  }
  if (forms.capacity() > 4096) std::vector<Form>().swap(forms);
  return true;
}

// The columns of a chunk being encoded. One per thread, reused: a bulk write
// encodes a chunk per series, and fresh columns were a dozen allocations
// each time.
struct ChunkColumns {
  std::vector<int64_t> time;
  std::vector<uint32_t> version, line, original_end, visit_end, item_end;
  std::vector<double> value, items;
  std::vector<uint8_t> flags, unit_index;
  std::vector<std::string> units;
  std::string original_text, visit_text, packed;
  flatbuffers::FlatBufferBuilder builder{1024};

  void Clear() {
    for (auto* column : {&version, &line, &original_end, &visit_end, &item_end}) column->clear();
    time.clear();
    value.clear();
    items.clear();
    flags.clear();
    unit_index.clear();
    units.clear();
    original_text.clear();
    visit_text.clear();
    packed.clear();
    builder.Clear();
  }
  // After a very large chunk, gives the memory back instead of keeping it
  // for the thread's lifetime.
  void Trim() {
    if (builder.GetSize() > kKeptBytes) *this = ChunkColumns();
  }
  static constexpr size_t kKeptBytes = size_t{1} << 20;
};

// Appends versions[begin, end), which share recorded time and provenance, to
// `log` as one framed chunk.
void AppendChunk(std::string* log, absl::Span<const Observation* const> v, size_t begin,
                 size_t end) {
  ChunkColumns& c = ThreadLocal<ChunkColumns>();
  c.Clear();
  bool any_line = false, any_visit = false, any_unit = false, any_items = false;
  bool any_correction = false;
  for (size_t i = begin; i < end; ++i) {
    const Observation& o = *v[i];
    c.version.push_back(o.version);
    any_correction |= o.version != 1;
    any_line |= o.provenance.line != 0;
    any_visit |= !o.visit.empty();
    uint8_t u = 0;
    if (!o.original_unit.empty()) {
      auto it = std::find(c.units.begin(), c.units.end(), o.original_unit);
      if (it == c.units.end()) it = c.units.insert(c.units.end(), o.original_unit);
      u = static_cast<uint8_t>(1 + (it - c.units.begin()));
      any_unit = true;
    }
    c.unit_index.push_back(u);
    c.items.insert(c.items.end(), o.items.begin(), o.items.end());
    c.item_end.push_back(static_cast<uint32_t>(c.items.size()));
    any_items |= !o.items.empty();
  }
  const Observation& first = *v[begin];
  flatbuffers::FlatBufferBuilder& b = c.builder;
  const bool packed = PackEntries(v, begin, end, any_line, any_visit, &c.packed);
  auto source = b.CreateString(first.provenance.source);
  auto user = b.CreateString(first.provenance.user);
  auto reason = first.provenance.reason.empty() ? 0 : b.CreateString(first.provenance.reason);
  auto packed_v =
      packed ? b.CreateVector(reinterpret_cast<const uint8_t*>(c.packed.data()), c.packed.size())
             : 0;
  flatbuffers::Offset<flatbuffers::Vector<int64_t>> time_v;
  flatbuffers::Offset<flatbuffers::Vector<double>> value_v;
  flatbuffers::Offset<flatbuffers::Vector<uint8_t>> flags_v;
  flatbuffers::Offset<flatbuffers::Vector<uint32_t>> line_v, original_end_v, visit_end_v;
  flatbuffers::Offset<flatbuffers::String> original_text_s, visit_text_s;
  if (!packed) {
    for (size_t i = begin; i < end; ++i) {
      const Observation& o = *v[i];
      c.time.push_back(o.time.seconds);
      c.value.push_back(o.value);
      c.flags.push_back(Flags(o));
      // Lines past 4 billion do not occur in files we can import; saturate.
      c.line.push_back(static_cast<uint32_t>(std::min<int64_t>(o.provenance.line, UINT32_MAX)));
      c.original_text += o.original_value;
      c.original_end.push_back(static_cast<uint32_t>(c.original_text.size()));
      c.visit_text += o.visit;
      c.visit_end.push_back(static_cast<uint32_t>(c.visit_text.size()));
    }
    time_v = b.CreateVector(c.time);
    value_v = b.CreateVector(c.value);
    flags_v = b.CreateVector(c.flags);
    if (any_line) line_v = b.CreateVector(c.line);
    original_text_s = b.CreateString(c.original_text);
    original_end_v = b.CreateVector(c.original_end);
    if (any_visit) {
      visit_text_s = b.CreateString(c.visit_text);
      visit_end_v = b.CreateVector(c.visit_end);
    }
  }
  auto version_v = any_correction ? b.CreateVector(c.version) : 0;
  auto unit_index_v = any_unit ? b.CreateVector(c.unit_index) : 0;
  auto units_v = any_unit ? b.CreateVectorOfStrings(c.units) : 0;
  auto items_v = any_items ? b.CreateVector(c.items) : 0;
  auto item_end_v = any_items ? b.CreateVector(c.item_end) : 0;
  fb::ObservationChunkBuilder cb(b);
  cb.add_recorded_at(first.recorded_at_us);
  cb.add_source(source);
  cb.add_user(user);
  if (!first.provenance.reason.empty()) cb.add_reason(reason);
  if (packed) {
    cb.add_packed(packed_v);
  } else {
    cb.add_time(time_v);
    cb.add_value(value_v);
    cb.add_flags(flags_v);
    if (any_line) cb.add_line(line_v);
    cb.add_original_text(original_text_s);
    cb.add_original_end(original_end_v);
    if (any_visit) {
      cb.add_visit_text(visit_text_s);
      cb.add_visit_end(visit_end_v);
    }
  }
  if (any_correction) cb.add_version(version_v);
  if (any_unit) {
    cb.add_unit_index(unit_index_v);
    cb.add_units(units_v);
  }
  if (any_items) {
    cb.add_items(items_v);
    cb.add_item_end(item_end_v);
  }
  b.Finish(cb.Finish());
  AppendRecord(log,
               absl::string_view(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize()));
  c.Trim();
}

// Scalars of a verified vector, read in place (FlatBuffers stores them
// little-endian; ReadScalar is a plain load on little-endian hosts).
template <typename T>
T At(const T* column, size_t i) {
  return flatbuffers::ReadScalar<T>(column + i);
}

// Offsets into a concatenated text must rise and stay inside it.
bool ValidEnds(const uint32_t* ends, size_t n, size_t limit) {
  uint32_t prev = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t v = At(ends, i);
    if (v < prev || v > limit) return false;
    prev = v;
  }
  return true;
}

// Reads an ObservationChunk FlatBuffer with the checks that
// flatbuffers::Verifier (2.0.8) makes for this table, field by field: the
// root and vtable in bounds and aligned, every present field's offset
// non-zero, forward and in bounds, every vector's length in bounds, every
// string NUL-terminated. It resolves each column while checking it, which
// costs a fraction of the generic verifier plus the accessors' vtable
// lookups on the read path. Nothing is read before its bounds are checked.
class ChunkReader {
 public:
  using VT = fb::ObservationChunk::FlatBuffersVTableOffset;

  ChunkReader(const uint8_t* buf, size_t size) : buf_(buf), size_(size) {}

  // The root offset, the table and its vtable.
  bool Open() {
    if (size_ >= FLATBUFFERS_MAX_BUFFER_SIZE || !Fits(0, 4)) return false;
    const uint32_t root = Read32(0);
    if (root == 0 || static_cast<int32_t>(root) < 0 || !Fits(root, 1)) return false;
    table_ = root;
    if (table_ % 4 != 0 || !Fits(table_, 4)) return false;
    vtable_ = table_ - static_cast<size_t>(static_cast<int32_t>(Read32(table_)));
    if (vtable_ % 2 != 0 || !Fits(vtable_, 2)) return false;
    vtable_size_ = Read16(vtable_);
    return vtable_size_ % 2 == 0 && Fits(vtable_, vtable_size_);
  }

  // An 8-byte scalar field, `fallback` when absent.
  bool Int64(VT field, int64_t fallback, int64_t* out) const {
    const size_t at = FieldAt(field);
    if (at == 0) {
      *out = fallback;
      return true;
    }
    if (at % 8 != 0 || !Fits(at, 8)) return false;
    *out = flatbuffers::ReadScalar<int64_t>(buf_ + at);
    return true;
  }

  // A vector of `elem_size`-byte scalars (or of offsets): its elements and
  // count, or nullptr and 0 when absent.
  bool Vector(VT field, size_t elem_size, const uint8_t** data, uint32_t* n) const {
    *data = nullptr;
    *n = 0;
    size_t at;
    if (!Target(field, &at)) return false;
    if (at == 0) return true;
    return VectorAt(at, elem_size, data, n);
  }

  // A string field: its bytes and length, or nullptr and 0 when absent.
  bool String(VT field, const char** data, uint32_t* n) const {
    *data = nullptr;
    *n = 0;
    size_t at;
    if (!Target(field, &at)) return false;
    if (at == 0) return true;
    return StringAt(at, data, n);
  }

  // Element i of a verified vector of strings (see Vector), verified here.
  bool StringElement(const uint8_t* elements, uint32_t i, const char** data, uint32_t* n) const {
    const size_t slot = static_cast<size_t>(elements - buf_) + size_t{4} * i;
    return StringAt(slot + Read32(slot), data, n);
  }

 private:
  // [at, at + len) lies inside the buffer (flatbuffers::Verifier::Verify).
  bool Fits(size_t at, size_t len) const { return len < size_ && at <= size_ - len; }
  uint32_t Read32(size_t at) const { return flatbuffers::ReadScalar<uint32_t>(buf_ + at); }
  uint16_t Read16(size_t at) const { return flatbuffers::ReadScalar<uint16_t>(buf_ + at); }

  // Where a present field lives, or 0 when absent (the vtable is verified,
  // so its entries can be read).
  size_t FieldAt(VT field) const {
    if (field >= vtable_size_) return 0;
    const uint16_t offset = Read16(vtable_ + field);
    return offset == 0 ? 0 : table_ + offset;
  }

  // Follows an offset field (Verifier::VerifyOffset); *at = 0 when absent.
  bool Target(VT field, size_t* at) const {
    const size_t slot = FieldAt(field);
    if (slot == 0) {
      *at = 0;
      return true;
    }
    if (slot % 4 != 0 || !Fits(slot, 4)) return false;
    const uint32_t o = Read32(slot);
    if (o == 0 || static_cast<int32_t>(o) < 0 || !Fits(slot + o, 1)) return false;
    *at = slot + o;
    return true;
  }

  // Verifier::VerifyVectorOrString.
  bool VectorAt(size_t at, size_t elem_size, const uint8_t** data, uint32_t* n) const {
    if (at % 4 != 0 || !Fits(at, 4)) return false;
    const uint32_t count = Read32(at);
    if (count >= FLATBUFFERS_MAX_BUFFER_SIZE / elem_size) return false;
    if (!Fits(at, 4 + elem_size * count)) return false;
    *data = buf_ + at + 4;
    *n = count;
    return true;
  }

  // Verifier::VerifyString.
  bool StringAt(size_t at, const char** data, uint32_t* n) const {
    const uint8_t* bytes;
    uint32_t count;
    if (!VectorAt(at, 1, &bytes, &count)) return false;
    const size_t end = at + 4 + count;
    if (!Fits(end, 1) || buf_[end] != 0) return false;
    *data = reinterpret_cast<const char*>(bytes);
    *n = count;
    return true;
  }

  const uint8_t* buf_;
  size_t size_;
  size_t table_ = 0;
  size_t vtable_ = 0;
  uint16_t vtable_size_ = 0;
};

// A vector found by ChunkReader: its elements (nullptr when absent).
struct Column {
  const uint8_t* data = nullptr;
  uint32_t n = 0;
};

struct Text {
  const char* data = nullptr;
  uint32_t n = 0;
  absl::string_view view() const { return data ? absl::string_view(data, n) : absl::string_view(); }
};

// uint32 columns are 4-aligned: their length prefix is (ChunkReader checks).
const uint32_t* U32(const Column& c) { return reinterpret_cast<const uint32_t*>(c.data); }

// String i of a vector of strings that ChunkReader verified.
absl::string_view StringElement(const uint8_t* elements, uint32_t i) {
  const uint8_t* slot = elements + size_t{4} * i;
  const uint8_t* s = slot + flatbuffers::ReadScalar<uint32_t>(slot);
  return absl::string_view(reinterpret_cast<const char*>(s + 4),
                           flatbuffers::ReadScalar<uint32_t>(s));
}

// Bits no valid flags byte has: status 3, comparator 5-7, bits 6-7.
bool BadFlags(uint8_t f) {
  return (f & kStatusMask) > 2 || ((f >> kComparatorShift) & kComparatorMask) > 4 || (f & 0xc0);
}

// [begin, end) of entry i in a concatenated column.
std::pair<uint32_t, uint32_t> EntrySpan(const uint32_t* ends, uint32_t i) {
  return {i == 0 ? 0 : At(ends, i - 1), At(ends, i)};
}

// Copies text into a string. A short text is constructed in place and moved
// in, which costs about half of assign() on a fresh (empty, inline) string;
// a long one is assigned, reusing the string's capacity.
void SetText(std::string* out, const char* data, size_t size) {
  constexpr size_t kInline = 15;  // libstdc++'s small-string capacity
  if (size <= kInline) {
    *out = std::string(data, size);
  } else {
    out->assign(data, size);
  }
}

}  // namespace

void AppendObservations(std::string* log, absl::Span<const Observation* const> versions) {
  size_t begin = 0;
  for (size_t i = 1; i <= versions.size(); ++i) {
    if (i == versions.size() || !SameChunk(*versions[begin], *versions[i])) {
      AppendChunk(log, versions, begin, i);
      begin = i;
    }
  }
}

void AppendObservations(std::string* log, absl::Span<const Observation> versions) {
  std::vector<const Observation*> pointers;
  pointers.reserve(versions.size());
  for (const Observation& o : versions) pointers.push_back(&o);
  AppendObservations(log, pointers);
}

namespace {

// A varint at *p, advancing it; false when it runs past `end` or over ten
// bytes.
bool GetVarint(const uint8_t** p, const uint8_t* end, uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*p == end) return false;
    const uint8_t b = *(*p)++;
    r |= uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) {
      *v = r;
      return true;
    }
  }
  return false;
}

}  // namespace

bool ObservationLogView::Unpack(uint32_t chunk, uint32_t* count) {
  Chunk& k = chunks_[chunk];
  const uint8_t* const begin = k.packed_data;
  const uint8_t* const end = k.packed_end;
  const uint8_t* p = begin;
  uint64_t n;
  if (!GetVarint(&p, end, &n) || p == end) return false;
  const uint8_t columns = *p++;
  // Every entry takes at least two bytes (time, value), so a damaged count
  // cannot make us allocate more than twice the record's size.
  if ((columns & ~kPackedColumns) != 0 || n > static_cast<uint64_t>(end - p) / 2) return false;
  const bool one_head = (columns & kPackedOneHead) != 0;
  const bool dates_up = (columns & kPackedDatesUp) != 0;
  k.one_scale = (columns & kPackedOneScale) != 0;
  k.unsigned_m = (columns & kPackedUnsigned) != 0;
  k.packed_lines = (columns & kPackedLines) != 0;
  k.packed_visits = (columns & kPackedVisits) != 0;
  k.shared_scale = 0;
  uint8_t shared_head = 0;
  if (one_head) {
    if (p == end) return false;
    shared_head = *p++;
  }
  if (k.one_scale) {
    if (p == end || *p > kMaxScale) return false;
    k.shared_scale = *p++;
  }
  const bool one_scale = k.one_scale, unsigned_m = k.unsigned_m;
  const bool lines = k.packed_lines, visits = k.packed_visits;
  k.packed_base = packed_entries_.size();
  k.packed_count = static_cast<uint32_t>(n);
  k.visit_base = kNotDecoded;
  // Written in place: the sizes are known, and a push_back per column per
  // entry was a good part of what parsing cost.
  const size_t first_entry = entries_.size();
  entries_.resize(first_entry + n);
  packed_entries_.resize(k.packed_base + n);
  Entry* out = entries_.data() + first_entry;
  PackedEntry* kept = packed_entries_.data() + k.packed_base;
  uint64_t time = 0;
  int64_t line = 0;
  uint64_t prev_visit = 0;  // length of the previous entry's visit label
  uint64_t visit_bytes = 0;
  uint64_t from_first = 0;
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t head = shared_head;
    if (!one_head) {
      if (p == end) return false;
      head = *p++;
    }
    const uint8_t f = head & 0x3f;
    if (BadFlags(f)) return false;
    uint64_t code;
    if (!GetVarint(&p, end, &code)) return false;
    if (dates_up) {
      // Every time stays a non-negative whole day: 2^63 / 86400 days at most.
      if (code > (uint64_t{INT64_MAX} - time) / kDaySeconds) return false;
      time += code * kDaySeconds;
    } else {
      const uint64_t step = static_cast<uint64_t>(UnZigZag(code >> 1));
      time += (code & 1) ? step * kDaySeconds : step;
    }
    const uint32_t value_at = static_cast<uint32_t>(p - begin);
    // The value and its text are only checked here; PackedValue decodes
    // them when a query asks for them.
    if (head & kHeadDecimal) {
      if (!GetVarint(&p, end, &code)) return false;
      if (!one_scale) code >>= 4;
      int64_t mantissa;
      if (unsigned_m) {
        if (code >= (uint64_t{1} << 53)) return false;
        mantissa = static_cast<int64_t>(code);
      } else {
        mantissa = UnZigZag(code);
      }
      if (mantissa <= -(int64_t{1} << 53) || mantissa >= (int64_t{1} << 53) ||
          ((head & kHeadPrefix) && ((f >> kComparatorShift) & kComparatorMask) == 0)) {
        return false;
      }
    } else {
      if ((head & kHeadPrefix) || end - p < 8) return false;
      p += 8;
      if (!GetVarint(&p, end, &code) || code > static_cast<uint64_t>(end - p)) return false;
      p += code;
    }
    if (lines) {
      if (!GetVarint(&p, end, &code)) return false;
      line += UnZigZag(code);
      if (line < 0 || line > UINT32_MAX) return false;
    }
    uint8_t visit_at = kFarVisit;
    if (visits) {
      visit_at = static_cast<uint8_t>(std::min<size_t>(p - begin - value_at, kFarVisit));
      // A label may repeat only bytes its predecessor has.
      if (!GetVarint(&p, end, &code)) return false;
      const uint64_t shared = code & kMaxSharedStart;
      const uint64_t rest = code >> 4;
      if (shared > prev_visit || rest > static_cast<uint64_t>(end - p)) return false;
      p += rest;
      prev_visit = shared + rest;
      visit_bytes += prev_visit;
      // What every label since the first has kept of it.
      from_first =
          i == 0 ? std::min<uint64_t>(prev_visit, kMaxSharedStart) : std::min(from_first, shared);
    }
    out[i] = Entry{static_cast<int64_t>(time), 1u, static_cast<ObservationStatus>(f & kStatusMask),
                   chunk, i};
    kept[i] = PackedEntry{value_at, static_cast<uint32_t>(line), head, visit_at,
                          static_cast<uint8_t>(from_first)};
  }
  k.visit_bytes = visit_bytes;
  *count = static_cast<uint32_t>(n);
  return p == end;
}

void ObservationLogView::PackedValue(const Chunk& c, const PackedEntry& pe, double* value,
                                     std::string* text) const {
  // Parse checked every field read here; the reads are bounded again all
  // the same, so that no byte past the record is ever touched.
  const uint8_t* p = c.packed_data + pe.value_at;
  const uint8_t* const end = c.packed_end;
  uint64_t code = 0;
  if (pe.head & kHeadDecimal) {
    if (!GetVarint(&p, end, &code)) code = 0;
    int scale = c.shared_scale;
    if (!c.one_scale) {
      scale = static_cast<int>(code & 0x0f);
      code >>= 4;
    }
    const int64_t m = c.unsigned_m ? static_cast<int64_t>(code) : UnZigZag(code);
    *value = DecimalValue(m, scale);
    if (text != nullptr) {
      text->clear();
      if (pe.head & kHeadPrefix) {
        const absl::string_view prefix = ComparatorPrefix(
            static_cast<Comparator>((pe.head >> kComparatorShift) & kComparatorMask));
        text->append(prefix.data(), prefix.size());
      }
      AppendDecimalText(m, scale, text);
    }
    return;
  }
  uint64_t bits = 0;
  if (end - p >= 8) {
    for (int b = 0; b < 8; ++b) bits |= uint64_t{p[b]} << (8 * b);
    p += 8;
  }
  std::memcpy(value, &bits, 8);
  if (text != nullptr) {
    if (GetVarint(&p, end, &code) && code <= static_cast<uint64_t>(end - p)) {
      SetText(text, reinterpret_cast<const char*>(p), code);
    } else {
      text->clear();
    }
  }
}

bool ObservationLogView::PackedVisitField(const Chunk& c, uint32_t j, uint64_t* shared,
                                          const uint8_t** rest, uint64_t* rest_n) const {
  // Parse checked every field read here; the reads are bounded again.
  const PackedEntry& pe = packed_entries_[c.packed_base + j];
  const uint8_t* p = c.packed_data + pe.value_at;
  const uint8_t* const end = c.packed_end;
  uint64_t code;
  if (pe.visit_at != kFarVisit) {
    if (pe.visit_at > end - p) return false;
    p += pe.visit_at;
  } else {
    if (pe.head & kHeadDecimal) {
      if (!GetVarint(&p, end, &code)) return false;
    } else {
      if (end - p < 8) return false;
      p += 8;
      if (!GetVarint(&p, end, &code) || code > static_cast<uint64_t>(end - p)) return false;
      p += code;
    }
    if (c.packed_lines && !GetVarint(&p, end, &code)) return false;
  }
  if (!GetVarint(&p, end, &code)) return false;
  *shared = code & kMaxSharedStart;
  *rest_n = code >> 4;
  *rest = p;
  return *rest_n <= static_cast<uint64_t>(end - p);
}

absl::string_view ObservationLogView::PackedVisit(const Chunk& c, uint32_t i) const {
  if (c.visit_base == kNotDecoded) {
    // A point read asks one label of a chunk: find its bytes walking back
    // through its predecessors, as far as its shared start reaches.
    c.visit_base = kOneDecoded;
    uint64_t shared, rest_n;
    const uint8_t* rest;
    visit_scratch_.clear();
    if (!PackedVisitField(c, i, &shared, &rest, &rest_n)) return visit_scratch_;
    visit_scratch_.resize(shared + rest_n);
    char* label = visit_scratch_.data();
    if (rest_n > 0) std::memcpy(label + shared, rest, rest_n);
    // Bytes [0, need) of the label are the previous entry's: the part past
    // its own shared start is its own bytes, the rest is further back.
    uint64_t need = shared;
    for (uint32_t j = i; need > 0 && j-- > 0;) {
      if (need <= packed_entries_[c.packed_base + j].from_first) {
        // Labels that keep the first one's start ("M0", "M6", ...): the
        // bytes are the first label's own, with no walk through the others.
        if (PackedVisitField(c, 0, &shared, &rest, &rest_n)) {
          std::memcpy(label, rest, std::min(need, rest_n));
        }
        break;
      }
      if (!PackedVisitField(c, j, &shared, &rest, &rest_n)) break;
      if (shared < need) {
        const uint64_t take = std::min(need - shared, rest_n);
        std::memcpy(label + shared, rest, take);
        need = shared;
      }
    }
    return visit_scratch_;
  }
  if (c.visit_base == kOneDecoded) {
    // A second label: decode them all, in one pass (each label starts with
    // up to 15 bytes of its predecessor's).
    const size_t base = visit_ends_.size();
    visit_ends_.resize(base + c.packed_count + 1);
    size_t* ends = visit_ends_.data() + base;
    const size_t start = visit_text_.size();
    visit_text_.resize(start + c.visit_bytes);
    char* text = visit_text_.data();
    ends[0] = start;
    size_t at = start, prev_begin = start;
    uint64_t prev_len = 0;
    for (uint32_t j = 0; j < c.packed_count; ++j) {
      uint64_t shared, rest_n;
      const uint8_t* rest;
      // Parse refused a record where these fail.
      if (!PackedVisitField(c, j, &shared, &rest, &rest_n) || shared > prev_len ||
          shared + rest_n > start + c.visit_bytes - at) {
        shared = rest_n = 0;
      }
      if (shared > 0) std::memcpy(text + at, text + prev_begin, shared);
      if (rest_n > 0) std::memcpy(text + at + shared, rest, rest_n);
      prev_begin = at;
      prev_len = shared + rest_n;
      at += prev_len;
      ends[j + 1] = at;
    }
    c.visit_base = base;
  }
  const size_t b = c.visit_base + i;
  return absl::string_view(visit_text_.data() + visit_ends_[b],
                           visit_ends_[b + 1] - visit_ends_[b]);
}

absl::Status ObservationLogView::Parse(absl::string_view log, absl::string_view what) {
  chunks_.clear();
  entries_.clear();
  if (!aligned_copies_.empty()) aligned_copies_.clear();
  packed_entries_.clear();
  visit_ends_.clear();
  visit_text_.clear();
  size_t pos = 0;
  while (pos < log.size()) {
    absl::string_view record;
    absl::Status s = NextRecord(log, what, &pos, &record);
    if (!s.ok()) return s;
    const uint8_t* data = reinterpret_cast<const uint8_t*>(record.data());
    if (reinterpret_cast<uintptr_t>(data) % 8 != 0) {
      aligned_copies_.emplace_back((record.size() + 7) / 8);
      std::memcpy(aligned_copies_.back().data(), record.data(), record.size());
      data = reinterpret_cast<const uint8_t*>(aligned_copies_.back().data());
    }
    // Structure first (what flatbuffers::Verifier checks), then that the
    // columns agree with each other.
    using VT = ChunkReader::VT;
    ChunkReader r(data, record.size());
    Column time, version, value, flags, line, original_end, visit_end, unit_index, units, items,
        item_end, packed;
    Text source, user, reason, original_text, visit_text;
    int64_t recorded_at = 0;
    bool ok = r.Open() && r.Int64(VT::VT_RECORDED_AT, 0, &recorded_at) &&
              r.String(VT::VT_SOURCE, &source.data, &source.n) &&
              r.String(VT::VT_USER, &user.data, &user.n) &&
              r.String(VT::VT_REASON, &reason.data, &reason.n) &&
              r.Vector(VT::VT_TIME, 8, &time.data, &time.n) &&
              r.Vector(VT::VT_VERSION, 4, &version.data, &version.n) &&
              r.Vector(VT::VT_VALUE, 8, &value.data, &value.n) &&
              r.Vector(VT::VT_FLAGS, 1, &flags.data, &flags.n) &&
              r.Vector(VT::VT_LINE, 4, &line.data, &line.n) &&
              r.String(VT::VT_ORIGINAL_TEXT, &original_text.data, &original_text.n) &&
              r.Vector(VT::VT_ORIGINAL_END, 4, &original_end.data, &original_end.n) &&
              r.String(VT::VT_VISIT_TEXT, &visit_text.data, &visit_text.n) &&
              r.Vector(VT::VT_VISIT_END, 4, &visit_end.data, &visit_end.n) &&
              r.Vector(VT::VT_UNIT_INDEX, 1, &unit_index.data, &unit_index.n) &&
              r.Vector(VT::VT_UNITS, 4, &units.data, &units.n) &&
              r.Vector(VT::VT_ITEMS, 8, &items.data, &items.n) &&
              r.Vector(VT::VT_ITEM_END, 4, &item_end.data, &item_end.n) &&
              r.Vector(VT::VT_PACKED, 1, &packed.data, &packed.n);
    for (uint32_t u = 0; ok && u < units.n; ++u) {
      Text unit;
      ok = r.StringElement(units.data, u, &unit.data, &unit.n);
    }
    if (!ok) {
      return absl::DataLossError(absl::StrCat(
          Named(what), "stored observation record failed FlatBuffers verification (damaged data)"));
    }
    const uint32_t chunk = static_cast<uint32_t>(chunks_.size());
    Chunk& k = chunks_.emplace_back();
    k.packed = packed.data != nullptr;
    k.packed_data = packed.data;
    k.packed_end = packed.data + packed.n;
    uint32_t n = time.n;
    if (k.packed) {
      // A packed chunk holds its entries' own columns in `packed` alone.
      const bool alone = time.data == nullptr && value.data == nullptr && flags.data == nullptr &&
                         line.data == nullptr && original_text.data == nullptr &&
                         original_end.data == nullptr && visit_text.data == nullptr &&
                         visit_end.data == nullptr;
      if (!alone || !Unpack(chunk, &n)) {
        return absl::DataLossError(
            absl::StrCat(Named(what), "stored observation record is inconsistent (damaged data)"));
      }
    }
    // Every entry has a time, value, flags and original text; optional
    // columns have one element per entry; texts come with their ends; 8-byte
    // columns are 8-aligned (the FlatBuffers verifier does not check that).
    auto sized = [n](const Column& c) { return c.data == nullptr || c.n == n; };
    auto aligned8 = [](const Column& c) { return reinterpret_cast<uintptr_t>(c.data) % 8 == 0; };
    bool consistent = aligned8(items) && sized(version) &&
                      (item_end.data == nullptr) == (items.data == nullptr) && sized(item_end) &&
                      (unit_index.data == nullptr) == (units.data == nullptr) &&
                      sized(unit_index) &&
                      (item_end.data == nullptr || ValidEnds(U32(item_end), n, items.n));
    if (!k.packed) {
      consistent = consistent && time.data != nullptr && value.data != nullptr &&
                   flags.data != nullptr && original_end.data != nullptr && aligned8(time) &&
                   aligned8(value) && value.n == n && flags.n == n && original_end.n == n &&
                   sized(line) && (visit_end.data == nullptr) == (visit_text.data == nullptr) &&
                   sized(visit_end) && ValidEnds(U32(original_end), n, original_text.n) &&
                   (visit_end.data == nullptr || ValidEnds(U32(visit_end), n, visit_text.n));
    }
    for (uint32_t i = 0; consistent && unit_index.data != nullptr && i < n; ++i) {
      consistent = unit_index.data[i] <= units.n;
    }
    if (!consistent) {
      return absl::DataLossError(
          absl::StrCat(Named(what), "stored observation record is inconsistent (damaged data)"));
    }
    k.version = U32(version);
    k.unit_index = unit_index.data;
    k.units = units.data;
    k.items = reinterpret_cast<const double*>(items.data);
    k.item_end = U32(item_end);
    k.source = source.view();
    k.user = user.view();
    k.reason = reason.view();
    k.recorded_at = recorded_at;
    if (k.packed) {
      // Unpack made the entries, with version 1: the version column (if
      // any) is known to fit only now.
      if (k.version != nullptr) {
        Entry* e = entries_.data() + entries_.size() - n;
        for (uint32_t i = 0; i < n; ++i) e[i].version = At(k.version, i);
      }
      continue;
    }
    k.time = reinterpret_cast<const int64_t*>(time.data);
    k.value = reinterpret_cast<const double*>(value.data);
    k.flags = flags.data;
    k.line = U32(line);
    // An absent text has only empty entries (checked above): "" keeps
    // Materialize's copies well-defined.
    k.original_text = original_text.data ? original_text.data : "";
    k.original_end = U32(original_end);
    k.visit_text = visit_text.data;
    k.visit_end = U32(visit_end);

    entries_.reserve(entries_.size() + n);
    bool bad = false;
    for (uint32_t i = 0; i < n; ++i) {
      const uint8_t f = k.flags[i];
      bad |= BadFlags(f);
      entries_.push_back(Entry{At(k.time, i), k.version ? At(k.version, i) : 1u,
                               static_cast<ObservationStatus>(f & kStatusMask), chunk, i});
    }
    if (bad) {
      return absl::DataLossError(
          absl::StrCat(Named(what), "stored observation record is inconsistent (damaged data)"));
    }
  }
  return absl::OkStatus();
}

void ObservationLogView::ShrinkIfLarge() {
  constexpr size_t kKeep = 4096;  // entries: about 100 KB
  if (entries_.capacity() > kKeep) std::vector<Entry>().swap(entries_);
  if (chunks_.capacity() > kKeep) std::vector<Chunk>().swap(chunks_);
  if (aligned_copies_.capacity() > 0) std::vector<std::vector<uint64_t>>().swap(aligned_copies_);
  if (packed_entries_.capacity() > kKeep) std::vector<PackedEntry>().swap(packed_entries_);
  if (visit_ends_.capacity() > kKeep) std::vector<size_t>().swap(visit_ends_);
  if (visit_text_.capacity() > 16 * kKeep) std::vector<char>().swap(visit_text_);
  if (visit_scratch_.capacity() > 16 * kKeep) std::string().swap(visit_scratch_);
}

void ObservationLogView::Materialize(const Entry& e, Observation* o) const {
  MaterializeEntryFields(e, o);
  const Chunk& c = chunks_[e.chunk];
  o->recorded_at_us = c.recorded_at;
  SetText(&o->provenance.source, c.source.data(), c.source.size());
  SetText(&o->provenance.user, c.user.data(), c.user.size());
  SetText(&o->provenance.reason, c.reason.data(), c.reason.size());
}

void ObservationLogView::MaterializeEntryFields(const Entry& e, Observation* o) const {
  const Chunk& c = chunks_[e.chunk];
  const uint32_t i = e.index;
  o->time.seconds = e.time;
  o->version = e.version;
  o->status = e.status;
  if (c.packed) {
    const PackedEntry& pe = packed_entries_[c.packed_base + i];
    o->time.precision = (pe.head & kDateTimeBit) ? TimePrecision::kDateTime : TimePrecision::kDate;
    o->comparator = static_cast<Comparator>((pe.head >> kComparatorShift) & kComparatorMask);
    PackedValue(c, pe, &o->value, &o->original_value);
    if (c.packed_visits) {
      const absl::string_view visit = PackedVisit(c, i);
      SetText(&o->visit, visit.data(), visit.size());
    } else {
      o->visit.clear();
    }
    o->provenance.line = pe.line;
  } else {
    const uint8_t f = c.flags[i];
    o->time.precision = (f & kDateTimeBit) ? TimePrecision::kDateTime : TimePrecision::kDate;
    o->value = At(c.value, i);
    o->comparator = static_cast<Comparator>((f >> kComparatorShift) & kComparatorMask);
    auto [text_begin, text_end] = EntrySpan(c.original_end, i);
    SetText(&o->original_value, c.original_text + text_begin, text_end - text_begin);
    if (c.visit_end != nullptr) {
      auto [begin, end] = EntrySpan(c.visit_end, i);
      SetText(&o->visit, c.visit_text + begin, end - begin);
    } else {
      o->visit.clear();
    }
    o->provenance.line = c.line ? At(c.line, i) : 0;
  }
  const uint8_t u = c.unit_index ? c.unit_index[i] : 0;
  if (u == 0) {
    o->original_unit.clear();
  } else {
    const absl::string_view unit = StringElement(c.units, u - 1);
    o->original_unit.assign(unit.data(), unit.size());
  }
  if (c.items != nullptr) {
    auto [begin, end] = EntrySpan(c.item_end, i);
    o->items.resize(end - begin);
    for (uint32_t j = begin; j < end; ++j) o->items[j - begin] = At(c.items, j);
  } else {
    o->items.clear();
  }
}

void ObservationLogView::MaterializeValue(const Entry& e, SeriesValue* o) const {
  const Chunk& c = chunks_[e.chunk];
  o->time.seconds = e.time;
  uint8_t f;
  if (c.packed) {
    const PackedEntry& pe = packed_entries_[c.packed_base + e.index];
    f = pe.head;
    PackedValue(c, pe, &o->value, nullptr);
  } else {
    f = c.flags[e.index];
    o->value = At(c.value, e.index);
  }
  o->time.precision = (f & kDateTimeBit) ? TimePrecision::kDateTime : TimePrecision::kDate;
  o->comparator = static_cast<Comparator>((f >> kComparatorShift) & kComparatorMask);
}

bool SameContent(const Observation& a, const Observation& b) {
  if (a.items.size() != b.items.size()) return false;
  for (size_t i = 0; i < a.items.size(); ++i) {
    const bool both_nan = std::isnan(a.items[i]) && std::isnan(b.items[i]);
    if (!both_nan && a.items[i] != b.items[i]) return false;
  }
  // A converted value is a function of the value and unit as entered. Since
  // conversions are rounded to their exact decimal result, a version stored
  // before that holds the same conversion a few ulps off (6.817480000000001
  // for 6.81748): re-importing the same entry must stay a no-op, not become
  // a correction.
  const bool same_value =
      a.value == b.value ||
      (!a.original_unit.empty() &&
       std::fabs(a.value - b.value) <= 1e-12 * std::max(std::fabs(a.value), std::fabs(b.value)));
  return a.time == b.time && same_value && a.comparator == b.comparator && a.status == b.status &&
         a.original_value == b.original_value && a.original_unit == b.original_unit &&
         a.visit == b.visit;
}

std::string EncodePatient(const Patient& p) {
  flatbuffers::FlatBufferBuilder b(256);
  auto prov = BuildProvenance(b, p.provenance);
  std::vector<flatbuffers::Offset<fb::Attribute>> attrs;
  for (const auto& [k, v] : p.attributes) {  // std::map: already sorted by key
    attrs.push_back(fb::CreateAttributeDirect(b, k.c_str(), v.c_str()));
  }
  std::vector<int64_t> treatments;
  for (const auto& t : p.treatment_dates) treatments.push_back(t.seconds);
  auto off = fb::CreatePatientVersionDirect(
      b, p.id.c_str(), p.version, p.arm.empty() ? nullptr : p.arm.c_str(), p.index_date.has_value(),
      p.index_date ? p.index_date->seconds : 0, treatments.empty() ? nullptr : &treatments,
      attrs.empty() ? nullptr : &attrs, p.recorded_at_us, prov);
  b.Finish(off);
  return Finish(b);
}

absl::Status DecodePatient(absl::string_view record, Patient* p) {
  Aligned a(record);
  const auto* r = Verified<fb::PatientVersion>(a);
  if (r == nullptr || !ElementsAligned(r->treatment_dates())) return Damaged("patient");
  *p = Patient();
  p->id = Str(r->id());
  p->version = r->version();
  p->arm = Str(r->arm());
  // Index and treatment dates are days: they carry date precision.
  if (r->has_index_date()) p->index_date = CivilTime{r->index_date(), TimePrecision::kDate};
  if (r->treatment_dates() != nullptr) {
    for (int64_t t : *r->treatment_dates()) {
      p->treatment_dates.push_back(CivilTime{t, TimePrecision::kDate});
    }
  }
  if (r->attributes() != nullptr) {
    for (const auto* attr : *r->attributes()) {
      p->attributes[Str(attr->key())] = Str(attr->value());
    }
  }
  p->recorded_at_us = r->recorded_at();
  ReadProvenance(r->provenance(), &p->provenance);
  return absl::OkStatus();
}

absl::Status DecodeSeriesPatient(absl::string_view record, absl::string_view attribute,
                                 SeriesPatient* p) {
  Aligned a(record);
  const auto* r = Verified<fb::PatientVersion>(a);
  if (r == nullptr || !ElementsAligned(r->treatment_dates())) return Damaged("patient");
  const flatbuffers::String* id = r->id();
  const flatbuffers::String* arm = r->arm();
  if (id != nullptr) {
    p->id.assign(id->data(), id->size());
  } else {
    p->id.clear();
  }
  if (arm != nullptr) {
    p->arm.assign(arm->data(), arm->size());
  } else {
    p->arm.clear();
  }
  p->index_date.reset();
  if (r->has_index_date()) p->index_date = CivilTime{r->index_date(), TimePrecision::kDate};
  p->attribute.reset();
  if (!attribute.empty() && r->attributes() != nullptr) {
    // DecodePatient keeps the last of equal keys (a map assignment): so here.
    for (const auto* attr : *r->attributes()) {
      const flatbuffers::String* key = attr->key();
      const absl::string_view k = key ? absl::string_view(key->data(), key->size()) : "";
      if (k != attribute) continue;
      const flatbuffers::String* value = attr->value();
      p->attribute = value ? std::string(value->data(), value->size()) : std::string();
    }
  }
  return absl::OkStatus();
}

namespace {

flatbuffers::Offset<fb::MeasureDef> BuildMeasure(flatbuffers::FlatBufferBuilder& b, uint32_t id,
                                                 const MeasureDefinition& m) {
  std::vector<flatbuffers::Offset<fb::UnitConversion>> units;
  for (const auto& u : m.units) {
    units.push_back(fb::CreateUnitConversionDirect(b, u.unit.c_str(), u.factor, u.offset));
  }
  std::vector<flatbuffers::Offset<fb::ItemDef>> named;
  for (const auto& i : m.named_items) {
    named.push_back(fb::CreateItemDefDirect(b, i.name.c_str(), i.min, i.max));
  }
  std::vector<flatbuffers::Offset<fb::Subscale>> subscales;
  for (const auto& s : m.subscales) {
    std::vector<uint16_t> items(s.items.begin(), s.items.end());
    subscales.push_back(fb::CreateSubscaleDirect(b, s.name.c_str(), &items));
  }
  std::vector<flatbuffers::Offset<flatbuffers::String>> loinc;
  for (const auto& l : m.loinc) loinc.push_back(b.CreateString(l));
  return fb::CreateMeasureDefDirect(
      b, m.code.c_str(), m.name.c_str(), m.unit.c_str(), m.min, m.max, m.step, m.integer,
      m.allowed_values.empty() ? nullptr : &m.allowed_values,
      static_cast<fb::Direction>(m.direction), m.change_threshold, units.empty() ? nullptr : &units,
      static_cast<uint16_t>(m.item_count), m.item_min, m.item_max, m.items_sum_to_total,
      named.empty() ? nullptr : &named, subscales.empty() ? nullptr : &subscales, m.censorable,
      loinc.empty() ? nullptr : &loinc, m.builtin, m.description.c_str(), id);
}

absl::Status ReadMeasure(const fb::MeasureDef* r, CatalogEntry* e) {
  const auto direction = static_cast<int>(r->direction());
  if (direction < 0 || direction > 2 || !ElementsAligned(r->allowed_values())) {
    return Damaged("measure");
  }
  MeasureDefinition& m = e->def;
  m = MeasureDefinition();
  e->id = r->id();
  m.code = Str(r->code());
  m.name = Str(r->name());
  m.unit = Str(r->unit());
  m.min = r->min();
  m.max = r->max();
  m.step = r->step();
  m.integer = r->integer();
  if (r->allowed_values())
    m.allowed_values.assign(r->allowed_values()->begin(), r->allowed_values()->end());
  m.direction = static_cast<Direction>(direction);
  m.change_threshold = r->change_threshold();
  if (r->units()) {
    for (const auto* u : *r->units()) m.units.push_back({Str(u->unit()), u->factor(), u->offset()});
  }
  m.item_count = r->item_count();
  m.item_min = r->item_min();
  m.item_max = r->item_max();
  m.items_sum_to_total = r->items_sum_to_total();
  if (r->named_items()) {
    for (const auto* i : *r->named_items())
      m.named_items.push_back({Str(i->name()), i->min(), i->max()});
  }
  if (r->subscales()) {
    for (const auto* s : *r->subscales()) {
      Subscale sub;
      sub.name = Str(s->name());
      if (s->items()) sub.items.assign(s->items()->begin(), s->items()->end());
      m.subscales.push_back(std::move(sub));
    }
  }
  m.censorable = r->censorable();
  if (r->loinc()) {
    for (const auto* l : *r->loinc()) m.loinc.push_back(l->str());
  }
  m.builtin = r->builtin();
  m.description = Str(r->description());
  return absl::OkStatus();
}

}  // namespace

std::string EncodeMeasure(uint32_t id, const MeasureDefinition& m) {
  flatbuffers::FlatBufferBuilder b(512);
  b.Finish(BuildMeasure(b, id, m));
  return Finish(b);
}

absl::Status DecodeMeasure(absl::string_view record, CatalogEntry* entry) {
  Aligned a(record);
  const auto* r = Verified<fb::MeasureDef>(a);
  if (r == nullptr) return Damaged("measure");
  return ReadMeasure(r, entry);
}

absl::StatusOr<std::vector<CatalogEntry>> DecodeCatalog(const uint8_t* data, size_t size) {
  Aligned a(absl::string_view(reinterpret_cast<const char*>(data), size));
  const auto* r = Verified<fb::MeasureCatalog>(a);
  if (r == nullptr) return Damaged("built-in catalog");
  std::vector<CatalogEntry> out;
  if (r->measures() == nullptr) return out;
  for (const auto* m : *r->measures()) {
    CatalogEntry e;
    absl::Status s = ReadMeasure(m, &e);
    if (!s.ok()) return s;
    out.push_back(std::move(e));
  }
  return out;
}

std::string EncodeAudit(const AuditRecord& a) {
  flatbuffers::FlatBufferBuilder b(256);
  auto prov = BuildProvenance(b, a.provenance);
  std::vector<flatbuffers::Offset<flatbuffers::String>> patients;
  for (const std::string& p : a.patients) patients.push_back(b.CreateString(p));
  auto off = fb::CreateAuditEntryDirect(
      b, a.at_us, a.action.c_str(), a.patient.empty() ? nullptr : a.patient.c_str(), prov,
      a.summary.written, a.summary.corrected, a.summary.unchanged,
      a.detail.empty() ? nullptr : a.detail.c_str(), patients.empty() ? nullptr : &patients,
      a.summary.retracted, a.summary.patients);
  b.Finish(off);
  return Finish(b);
}

absl::Status DecodeAudit(absl::string_view record, AuditRecord* a) {
  Aligned al(record);
  const auto* r = Verified<fb::AuditEntry>(al);
  if (r == nullptr) return Damaged("audit");
  a->at_us = r->at();
  a->action = Str(r->action());
  a->patient = Str(r->patient());
  a->detail = Str(r->detail());
  a->provenance = Provenance();
  ReadProvenance(r->provenance(), &a->provenance);
  a->summary = WriteSummary();
  a->summary.written = r->written();
  a->summary.corrected = r->corrected();
  a->summary.unchanged = r->unchanged();
  a->summary.retracted = r->retracted();
  a->summary.patients = r->patients_changed();
  a->patients.clear();
  if (r->patients() != nullptr) {
    for (const flatbuffers::String* p : *r->patients()) a->patients.push_back(Str(p));
  }
  return absl::OkStatus();
}

}  // namespace cotrack::codec

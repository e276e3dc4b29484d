// The HL7 v2 importer: the tokenizer (hl7_parser.h) on the raw bytes, with
// invariants it must keep on any input, then the format reader through
// OpenFormatReader, the first byte choosing the segment limit, detection or
// --format hl7, and the patient identifier options. It must never crash,
// hang or hold more than a segment; errors name the source; counts add up.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>

#include "cotrack/import.h"
#include "fuzz_util.h"
#include "import/format_registry.h"
#include "import/hl7_parser.h"

namespace {

void Tokenize(const uint8_t* data, size_t size, size_t max_segment) {
  std::istringstream in = cotrack::fuzz::AsStream(data, size);
  // Some bytes already taken, as format detection leaves them.
  const size_t taken = size > 0 ? std::min<size_t>(data[0] % 4, size) : 0;
  cotrack::Hl7SegmentReader reader(in, std::string(reinterpret_cast<const char*>(data), taken),
                                   max_segment);
  (void)in.ignore(static_cast<std::streamsize>(taken));
  cotrack::Hl7SegmentReader::Segment s;
  int64_t last_line = 0;
  cotrack::Hl7Encoding encoding;
  while (reader.Next(s)) {
    if (s.text.empty() || s.text.size() > max_segment || s.line < last_line || s.line < 1) {
      __builtin_trap();
    }
    last_line = s.line;
    if (s.text.compare(0, 3, "MSH") == 0) {
      absl::StatusOr<cotrack::Hl7Encoding> e = cotrack::ParseHl7Encoding(s.text);
      if (e.ok()) encoding = *e;
      (void)cotrack::LooksLikeHl7(s.text);
    }
    const cotrack::Hl7Segment segment(s.text, encoding);
    if (segment.id().size() > s.text.size()) __builtin_trap();
    // Every field (and some past the last kept), a few components of each:
    // the reader asks for no more.
    for (int n = 0; n <= 34 && n <= segment.field_count() + 1; ++n) {
      const absl::string_view field = segment.Field(n);
      if (field.size() > s.text.size()) __builtin_trap();
      for (int c = 1; c <= (n == 3 ? 6 : 2); ++c) {
        // Decoding never makes a text longer.
        if (segment.Component(n, c).size() > field.size()) __builtin_trap();
      }
      int parts = 0;
      cotrack::ForEachHl7Part(field, encoding.repetition,
                              [&](absl::string_view) { return ++parts < 1000; });
      if (!field.empty() && field.size() <= 40) (void)cotrack::ParseHl7DateTime(field);
    }
    if (cotrack::DecodeHl7Escapes(s.text, encoding).size() > s.text.size()) __builtin_trap();
  }
  if (!reader.read_error() && reader.bytes() != static_cast<int64_t>(size)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  ++data;
  --size;
  static const size_t kLimits[] = {8, 64, cotrack::kMaxHl7SegmentBytes};
  Tokenize(data, size, kLimits[control % 3]);

  cotrack::ImportOptions options;
  options.format = (control & 4) != 0 ? cotrack::ImportFormat::kHl7 : cotrack::ImportFormat::kAuto;
  options.user = "fuzz";
  options.hl7_patient_id_field = 2 + (control >> 3) % 3;
  if ((control & 0x20) != 0) options.hl7_patient_id_authority = "MPI";
  if ((control & 0x40) != 0) options.hl7_patient_id_type = "MR";
  std::istringstream in = cotrack::fuzz::AsStream(data, size);
  absl::StatusOr<std::unique_ptr<cotrack::FormatReader>> reader =
      cotrack::OpenFormatReader(in, "fuzz.hl7", options);
  if (!reader.ok()) {
    if (reader.status().message().find("fuzz.hl7") == absl::string_view::npos) __builtin_trap();
    return 0;
  }
  cotrack::Batch batch;
  cotrack::ImportErrors errors("fuzz.hl7");
  if (!cotrack::fuzz::ReadAllChunks(**reader, batch, errors, "fuzz.hl7")) return 0;
  const cotrack::ImportCounts& counts = (*reader)->counts();
  if (static_cast<int64_t>(batch.observations().size()) + counts.skipped > counts.rows) {
    __builtin_trap();
  }
  if ((*reader)->format() == cotrack::ImportFormat::kHl7 &&
      (*reader)->bytes_consumed() != static_cast<int64_t>(size)) {
    __builtin_trap();
  }
  (void)errors.ToStatus();
  return 0;
}

// The CSV reader every CSV importer sits on: arbitrary bytes must give
// records or a clear error, never a crash, a hang or unbounded memory. Small
// read chunks and limits make refills and limit checks happen inside short
// inputs; the first byte picks them.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "import/csv_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t knobs = data[0];
  cotrack::CsvReaderOptions options;
  options.chunk_bytes = 1 + (knobs & 0x0F);  // 1..16 bytes per read
  if (knobs & 0x10) {
    options.max_field_bytes = 64;
    options.max_record_bytes = 256;
    options.max_fields = 16;
  }
  if (knobs & 0x20) options.delimiter = ';';
  options.skip_blank_lines = (knobs & 0x40) == 0;
  std::istringstream in = cotrack::fuzz::AsStream(data + 1, size - 1);
  cotrack::CsvReader reader(in, "fuzz.csv", options);
  cotrack::CsvRecord record;
  size_t bytes = 0;
  for (int i = 0; i < 100000; ++i) {
    absl::StatusOr<bool> more = reader.Next(record);
    if (!more.ok()) {
      // After an error every later call must return it again.
      absl::StatusOr<bool> again = reader.Next(record);
      if (again.ok() || again.status() != more.status()) __builtin_trap();
      break;
    }
    if (!*more) break;
    for (size_t f = 0; f < record.size(); ++f) {
      absl::string_view text = record[f];
      bytes += text.size();
      if (text.size() > options.max_field_bytes) __builtin_trap();
      if (record.line(f) < 1 || record.column(f) < 1) __builtin_trap();
    }
    if (record.size() > options.max_fields) __builtin_trap();
  }
  // Fields never hold more than was read.
  if (bytes > size) __builtin_trap();
  return 0;
}

// Shared by the fuzz targets: turning fuzz bytes into the inputs the engine
// takes. Header-only so that each fuzz_*.cc stays one self-contained target.
#ifndef COTRACK_TESTS_FUZZ_FUZZ_UTIL_H_
#define COTRACK_TESTS_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

namespace cotrack::fuzz {

// The fuzz input as an istream, the way importers read files.
inline std::istringstream AsStream(const uint8_t* data, size_t size) {
  return std::istringstream(std::string(reinterpret_cast<const char*>(data), size),
                            std::ios::binary);
}

// Reads every chunk of `reader` (a FormatReader) into `batch`, three rows at a
// time so chunk boundaries fall everywhere, then checks what must hold for any
// input: an error names the file, and the skip counts add up. Returns false
// when the reader stopped on an error (the input was refused, as it may be).
// A template so that this header needs no engine headers.
template <typename Reader, typename Batch, typename Errors>
bool ReadAllChunks(Reader& reader, Batch& batch, Errors& errors, const std::string& file) {
  while (true) {
    auto more = reader.ReadChunk(3, batch, errors, nullptr);
    if (!more.ok()) {
      if (more.status().message().find(file) == std::string::npos) __builtin_trap();
      return false;
    }
    if (!*more) break;
  }
  const auto& counts = reader.counts();
  int64_t by_reason = 0;
  for (const auto& [reason, n] : counts.skipped_by_reason) by_reason += n;
  if (by_reason != counts.skipped || counts.skipped > counts.rows) __builtin_trap();
  return true;
}

}  // namespace cotrack::fuzz

#endif  // COTRACK_TESTS_FUZZ_FUZZ_UTIL_H_

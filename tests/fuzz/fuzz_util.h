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

}  // namespace cotrack::fuzz

#endif  // COTRACK_TESTS_FUZZ_FUZZ_UTIL_H_

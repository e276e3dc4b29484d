// CRC-32C (Castagnoli) of each stored record, so a flipped bit inside a value
// that still parses (a double, say) is caught as damage, not returned.
#ifndef COTRACK_CODEC_CRC32C_H_
#define COTRACK_CODEC_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace cotrack::crc32c {

// CRC-32C of `n` bytes at `data`; uses the SSE4.2 instruction when the CPU
// has it, a table otherwise (same result).
uint32_t Value(const void* data, size_t n);

// Masked as LevelDB does, so a CRC stored next to the data it covers does not
// make the CRC of a larger region trivially predictable.
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

}  // namespace cotrack::crc32c

#endif  // COTRACK_CODEC_CRC32C_H_

// SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104) for de-identification and
// stable FHIR resource ids. Self-contained: OpenSSL is optional for the
// engine (only encryption at rest needs it), and de-identified export must
// work, and give the same pseudonyms, in every build.
#ifndef COTRACK_EXPORT_HMAC_H_
#define COTRACK_EXPORT_HMAC_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace cotrack {

using Sha256Digest = std::array<uint8_t, 32>;

// SHA-256 of `data`.
Sha256Digest Sha256(absl::string_view data);
// HMAC-SHA256 of `message` under `key`.
Sha256Digest HmacSha256(absl::string_view key, absl::string_view message);
// Lower-case hex of the first `bytes` bytes of `d`.
std::string DigestHex(const Sha256Digest& d, size_t bytes = 32);

}  // namespace cotrack

#endif  // COTRACK_EXPORT_HMAC_H_

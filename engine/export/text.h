// Small text formats shared by everything that writes data out: the CLI's
// output, exports, dumps and reject files. One implementation each, so that
// `export` and `trajectory --format csv` print the same bytes.
#ifndef COTRACK_EXPORT_TEXT_H_
#define COTRACK_EXPORT_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace cotrack::text {

// `s` as an RFC 4180 field, quoted only when it must be.
std::string CsvField(absl::string_view s);

// ISO-8601 UTC with microseconds, e.g. "2024-03-05T10:15:00.000000Z".
std::string FormatTimestampUs(int64_t us);

// Length of the valid UTF-8 sequence starting at s[i], or 0 when there is
// none (overlong forms, surrogates and code points past U+10FFFF included).
size_t Utf8SequenceLength(absl::string_view s, size_t i);

}  // namespace cotrack::text

#endif  // COTRACK_EXPORT_TEXT_H_

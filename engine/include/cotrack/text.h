// Values as cotrack writes them out as text: CSV fields, JSON strings and
// recorded-at timestamps. `cotrack export`, the command line's csv and json
// output, dumps and import reject files all use these, so an application
// that writes its own files with them produces the same bytes.
//
// Example: one CSV row and one JSON Lines object of an observation.
//
//   std::cout << cotrack::CsvField(o.patient) << ',' << cotrack::CsvField(o.visit) << ','
//             << cotrack::FormatTimestampUs(o.recorded_at_us) << '\n';
//   std::cout << "{\"patient\":" << cotrack::JsonString(o.patient) << "}\n";
#ifndef COTRACK_TEXT_H_
#define COTRACK_TEXT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace cotrack {

// `s` as an RFC 4180 field: unchanged unless it holds a comma, a quote, CR
// or LF; then in quotes, with each quote doubled. Never fails.
std::string CsvField(absl::string_view s);

// `s` as a quoted JSON string: quote, backslash and control characters
// escaped; bytes that are not valid UTF-8 become U+FFFD. Never fails.
std::string JsonString(absl::string_view s);

// A time in microseconds since the Unix epoch (Observation::recorded_at_us)
// as ISO-8601 UTC with microseconds, e.g. "2024-03-05T10:15:00.000000Z".
// Never fails.
std::string FormatTimestampUs(int64_t us);

// Names (patient ids) for a message that must stay one line: the first
// `shown` joined by ", ", then "… and N more" for the rest, e.g.
// "P1, P2, … and 37 more". Never fails.
std::string NamesForMessage(const std::vector<std::string>& names, size_t shown = 10);

}  // namespace cotrack

#endif  // COTRACK_TEXT_H_

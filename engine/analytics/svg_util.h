// Escaping shared by the SVG and HTML writers.
#ifndef COTRACK_ANALYTICS_SVG_UTIL_H_
#define COTRACK_ANALYTICS_SVG_UTIL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace cotrack {

// `text` with &, <, >, " and ' replaced by entities, and control characters
// other than tab and newline dropped (XML 1.0 cannot carry them), so patient
// ids and labels can never break the markup.
std::string XmlEscape(absl::string_view text);

}  // namespace cotrack

#endif  // COTRACK_ANALYTICS_SVG_UTIL_H_

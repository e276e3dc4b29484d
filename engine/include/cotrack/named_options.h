// A command's options as name/value pairs, and reading them: the helpers of the engine's option
// parsers (ParseImportOptions, ParseSummaryOptions, ...), header-only so that any layer may use
// them. Messages name an option as its command-line flag
// ("--window"), the same text on every path.
#ifndef COTRACK_NAMED_OPTIONS_H_
#define COTRACK_NAMED_OPTIONS_H_

#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace cotrack {

// A command's options as name/value pairs, the form the command line, the C
// ABI (option_names / option_values) and Python (keyword arguments) share:
// each name is the command-line flag without its leading "--" ("window",
// "dry-run"), each value its text ("30"); a flag without a value has "".
// The engine's option parsers (ParseImportOptions, ParseSummaryOptions) take
// this form, so that every path accepts the same options and refuses a bad
// one with the same message, naming it as the flag ("--window: ...").
using NamedOptions = std::vector<std::pair<std::string, std::string>>;

class OptionReader {
 public:
  // The options, checked against `known` (names without "--"):
  // InvalidArgument for a name not known (listing the known ones) or given
  // twice.
  static absl::StatusOr<OptionReader> Read(const NamedOptions& options,
                                           const std::vector<std::string>& known) {
    OptionReader reader;
    for (const auto& [name, value] : options) {
      bool is_known = false;
      for (const std::string& k : known) is_known = is_known || k == name;
      if (!is_known) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "unknown option \"%s\" (expected one of: %s)", name, absl::StrJoin(known, ", ")));
      }
      if (!reader.values_.emplace(name, value).second) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " given more than once"));
      }
    }
    return reader;
  }

  // The value; nullopt when the option was not given.
  std::optional<std::string> Get(absl::string_view name) const {
    auto it = values_.find(std::string(name));
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }

  // A flag: absent = false; "" (the command line's form), "true" or "1" =
  // true; "false" or "0" = false; else InvalidArgument.
  absl::StatusOr<bool> Flag(absl::string_view name) const {
    std::optional<std::string> v = Get(name);
    if (!v.has_value() || *v == "false" || *v == "0") return false;
    if (v->empty() || *v == "true" || *v == "1") return true;
    return absl::InvalidArgumentError(
        absl::StrFormat("--%s takes no value (got \"%s\")", name, *v));
  }

 private:
  std::map<std::string, std::string> values_;
};

// The pairs of `options` whose name is in `names`, in their order (for a
// command whose options are another parser's plus its own: report's summary
// options).
inline NamedOptions SelectOptions(const NamedOptions& options,
                                  const std::vector<std::string>& names) {
  NamedOptions selected;
  for (const auto& pair : options) {
    for (const std::string& n : names) {
      if (pair.first == n) selected.push_back(pair);
    }
  }
  return selected;
}

// An integer in [min, max]; `what` names it ("--window").
inline absl::StatusOr<int64_t> ParseIntOption(absl::string_view what, absl::string_view text,
                                              int64_t min, int64_t max) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: bad value \"%s\" (expected an integer from %d to %d)", what, text, min, max));
  }
  return value;
}

// A finite decimal number ("1.5", "+2", "1e3"; no trailing garbage); `what`
// names it ("--min").
inline absl::StatusOr<double> ParseNumberOption(absl::string_view what, absl::string_view text) {
  double value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  // from_chars rejects a leading '+', which people do type.
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: bad value \"%s\" (expected a number)", what, text));
  }
  return value;
}

// The shortest text that reads back as `v` ("0.5", "10"), for messages.
inline std::string ShortestNumber(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return absl::StrFormat("%.17g", v);
  return std::string(buf, end);
}

}  // namespace cotrack

#endif  // COTRACK_NAMED_OPTIONS_H_

// Running a registered command's flag, arity and parse steps in tests.
#ifndef COTRACK_TESTS_TOOLS_PARSE_TEST_SUPPORT_H_
#define COTRACK_TESTS_TOOLS_PARSE_TEST_SUPPORT_H_

#include <string>
#include <vector>

#include "command.h"
#include "support/test_support.h"

namespace cotrack::tools {

// `args` checked against the flags and arity registered for `command`, then
// given to `parse`: the usage error a user would see, or the request.
template <typename Parse>
auto ParseAs(const char* command, const std::vector<std::string>& args, Parse parse)
    -> decltype(parse(std::declval<const ParsedArgs&>())) {
  const Command* registered = FindCommand(command);
  if (registered == nullptr) return absl::InternalError(absl::StrCat(command, " not registered"));
  absl::StatusOr<ParsedArgs> parsed = ParseCommandArgs(*registered, args);
  if (!parsed.ok()) return parsed.status();
  return parse(*parsed);
}

}  // namespace cotrack::tools

#endif  // COTRACK_TESTS_TOOLS_PARSE_TEST_SUPPORT_H_

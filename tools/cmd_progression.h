// `cotrack progression`: its request and parse step, for tests/tools.
#ifndef COTRACK_TOOLS_CMD_PROGRESSION_H_
#define COTRACK_TOOLS_CMD_PROGRESSION_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cotrack/progression.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {

struct ProgressionRequest {
  std::optional<std::string> patient;  // everyone when absent
  std::string measure = "edss";        // --measure; the rules exist for edss only
  OutputFormat format = OutputFormat::kTable;
  ProgressionOptions options;                // --rule, --confirm, --tolerance, ...
  std::optional<ProgressionEventKind> only;  // --event; all kinds when absent
  bool first_only = false;                   // --first
  std::optional<std::string> relapses_file;  // --relapses
  std::string relapse_measure;               // --relapse-measure; "" = the default rule
};

// `args` have passed the command's flags and arity ([PATIENT]).
// InvalidArgument naming the flag, the bad value and what was expected, in
// the order: --measure, --format, --rule, --confirm, --tolerance, --baseline,
// --relapse-window, the options together (ValidateProgressionOptions), --event.
absl::StatusOr<ProgressionRequest> ParseProgressionRequest(const ParsedArgs& args);

}  // namespace cotrack::tools

#endif  // COTRACK_TOOLS_CMD_PROGRESSION_H_

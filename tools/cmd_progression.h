// `cotrack progression`: its request and parse step, for tests/tools.
#ifndef COTRACK_TOOLS_CMD_PROGRESSION_H_
#define COTRACK_TOOLS_CMD_PROGRESSION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cotrack/progression.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {

// The engine's query (ParseProgressionQuery) and what only the command
// line has: the patient argument and the output format.
struct ProgressionRequest : ProgressionQuery {
  std::optional<std::string> patient;  // everyone when absent
  OutputFormat format = OutputFormat::kTable;
};

// `args` have passed the command's flags and arity ([PATIENT]).
// InvalidArgument naming the flag, the bad value and what was expected:
// --measure (a user measure without --delta), then --format, then the
// options as ParseProgressionQuery reports them.
absl::StatusOr<ProgressionRequest> ParseProgressionRequest(const ParsedArgs& args);

// `flags` followed by the flags of every option ParseProgressionOptions
// takes (msprog's, the older spellings and the relapse sources): the one list
// that `progression` and `survival` accept, so a new option reaches both.
std::vector<FlagSpec> WithProgressionOptionFlags(std::vector<FlagSpec> flags);

}  // namespace cotrack::tools

#endif  // COTRACK_TOOLS_CMD_PROGRESSION_H_

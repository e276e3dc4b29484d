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

struct ProgressionRequest {
  std::optional<std::string> patient;  // everyone when absent
  std::string measure = "edss";        // --measure; user measures need --delta
  OutputFormat format = OutputFormat::kTable;
  ProgressionOptions options;  // --rule, --confirm, --tolerance, ...
  // --event worsening|improvement (older spellings of multiple + a filter).
  std::optional<ProgressionEventKind> only;
  bool first_only = false;                   // --first
  bool counts = false;                       // --counts: per-patient counts instead of events
  std::optional<std::string> relapses_file;  // --relapses
  std::string relapse_measure;               // --relapse-measure; "" = the default rule
};

// `args` have passed the command's flags and arity ([PATIENT]).
// InvalidArgument naming the flag, the bad value and what was expected:
// --measure (a user measure without --delta), then --format, then the
// options as ParseProgressionOptions reports them.
absl::StatusOr<ProgressionRequest> ParseProgressionRequest(const ParsedArgs& args);

// `flags` followed by the flags of every option ParseProgressionOptions
// takes (msprog's, the older spellings and the relapse sources): the one list
// that `progression` and `survival` accept, so a new option reaches both.
std::vector<FlagSpec> WithProgressionOptionFlags(std::vector<FlagSpec> flags);

}  // namespace cotrack::tools

#endif  // COTRACK_TOOLS_CMD_PROGRESSION_H_

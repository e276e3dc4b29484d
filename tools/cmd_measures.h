// `cotrack measure add`: its request and parse step, for tests/tools.
#ifndef COTRACK_TOOLS_CMD_MEASURES_H_
#define COTRACK_TOOLS_CMD_MEASURES_H_

#include "absl/status/statusor.h"
#include "cotrack/types.h"
#include "flags.h"

namespace cotrack::tools {

struct MeasureAddRequest {
  MeasureDefinition measure;
  std::string reason;  // --reason: why, for the audit log; empty = none
  bool sync = true;    // --no-sync clears it
};

// `args` have passed the command's flags and arity (none). InvalidArgument
// naming the flag: a required one missing (--code, --name, --unit, --min,
// --max, in that order), a number that is not one, --min above --max, a
// negative --step or --threshold, an unknown --direction, an empty
// --reason. The definition
// itself (code syntax, a taken code) is the database's to judge.
absl::StatusOr<MeasureAddRequest> ParseMeasureAddRequest(const ParsedArgs& args);

}  // namespace cotrack::tools

#endif  // COTRACK_TOOLS_CMD_MEASURES_H_

// `cotrack trajectory`: its request and parse step, for tests/tools.
#ifndef COTRACK_TOOLS_CMD_TRAJECTORY_H_
#define COTRACK_TOOLS_CMD_TRAJECTORY_H_

#include <string>

#include "absl/status/statusor.h"
#include "cotrack/database.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {

struct TrajectoryRequest {
  std::string patient;
  std::string measure;
  TimeRange range;  // --from, --to
  OutputFormat format = OutputFormat::kTable;
  bool derived = false;
};

// `args` have passed the command's flags and arity (PATIENT MEASURE).
// InvalidArgument naming the flag: a bad --format, --from or --to, or
// "--from is after --to".
absl::StatusOr<TrajectoryRequest> ParseTrajectoryRequest(const ParsedArgs& args);

}  // namespace cotrack::tools

#endif  // COTRACK_TOOLS_CMD_TRAJECTORY_H_

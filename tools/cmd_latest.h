// `cotrack latest`: its request and parse step, for tests/tools.
#ifndef COTRACK_TOOLS_CMD_LATEST_H_
#define COTRACK_TOOLS_CMD_LATEST_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cotrack/civil_time.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {

struct LatestRequest {
  std::string patient;
  std::optional<std::string> measure;  // every measure the patient has when absent
  std::optional<CivilTime> as_of;      // --as-of
  int n = 1;                           // -n: values per measure, newest first
  OutputFormat format = OutputFormat::kTable;
  bool derived = false;
};

// `args` have passed the command's flags and arity (PATIENT [MEASURE]).
// InvalidArgument naming the flag: a bad --format or --as-of, or -n outside
// 1..1000000.
absl::StatusOr<LatestRequest> ParseLatestRequest(const ParsedArgs& args);

}  // namespace cotrack::tools

#endif  // COTRACK_TOOLS_CMD_LATEST_H_

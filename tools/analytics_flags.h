// Flags shared by the analytics commands (summary, report, plot): which
// timepoints, window, look-back, grouping and rules a cohort table uses.
#ifndef COTRACK_TOOLS_ANALYTICS_FLAGS_H_
#define COTRACK_TOOLS_ANALYTICS_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cotrack/summary.h"
#include "flags.h"

namespace cotrack::tools {

// --at, --window, --lookback, --by, --censored, --rule, then `more` (a
// command's own flags).
std::vector<FlagSpec> SummaryFlagSpecs(std::vector<FlagSpec> more = {});

// Fills `options` from the flags; `default_by` applies when --by is absent.
// InvalidArgument naming the flag and what was expected.
absl::Status ParseSummaryFlags(const ParsedArgs& args, const std::string& default_by,
                               SummaryOptions* options);

}  // namespace cotrack::tools

// The help text of those flags, a string literal for the commands' usage.
#define COTRACK_SUMMARY_FLAGS_HELP                                                   \
  "  --at LIST         timepoints after each patient's index date (default\n"        \
  "                    0,3m,6m,12m): 0 = baseline (the last value on or before\n"    \
  "                    the index date); Nd days, Nw weeks, Nm calendar months\n"     \
  "                    (clamped to month end), Ny years\n"                           \
  "  --window DAYS     a value counts for a timepoint within +-DAYS of its target\n" \
  "                    (default 30); of two equally near, the earlier is used\n"     \
  "  --lookback DAYS   the baseline must be at most DAYS before the index date\n"    \
  "  --by KEY          group by arm, or by any patient attribute (route, ...);\n"    \
  "                    none for one group; patients without it form (none);\n"       \
  "                    an attribute no patient has is an error\n"                    \
  "  --censored RULE   censored lab values (<0.5): exclude (default; counted\n"      \
  "                    only), half-limit (<L counts as L/2, >L as L) or limit\n"     \
  "  --rule RULE       EDSS step rule for improved/worsened: threetier (default),\n" \
  "                    twotier, msoutcomes, msprog (see cotrack progression --help)\n"

#endif  // COTRACK_TOOLS_ANALYTICS_FLAGS_H_

#include "analytics_flags.h"

namespace cotrack::tools {
namespace {

constexpr const char* kSummaryFlags[] = {"at", "window", "lookback", "by", "censored", "rule"};

}  // namespace

std::vector<FlagSpec> SummaryFlagSpecs(std::vector<FlagSpec> more) {
  std::vector<FlagSpec> specs;
  for (const char* name : kSummaryFlags) specs.push_back({name});
  specs.insert(specs.end(), more.begin(), more.end());
  return specs;
}

// The engine parses them (ParseSummaryOptions), as it does for the C ABI and
// Python: the same options and messages on every path.
absl::Status ParseSummaryFlags(const ParsedArgs& args, const std::string& default_by,
                               SummaryOptions* o) {
  NamedOptions named;
  for (const char* name : kSummaryFlags) {
    if (auto v = args.Get(name)) named.emplace_back(name, *v);
  }
  absl::StatusOr<SummaryOptions> parsed = ParseSummaryOptions(named, default_by);
  if (!parsed.ok()) return parsed.status();
  *o = *std::move(parsed);
  return absl::OkStatus();
}

}  // namespace cotrack::tools

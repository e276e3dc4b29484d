// ParseSummaryOptions (cotrack/summary.h): the cohort options of `cotrack
// summary`, report and plot, shared by the command line and the C ABI.
#include "absl/strings/str_cat.h"
#include "cotrack/named_options.h"
#include "cotrack/summary.h"

namespace cotrack {

const std::vector<std::string>& SummaryOptionNames() {
  static const auto* names =
      new std::vector<std::string>{"at", "window", "lookback", "by", "censored", "rule"};
  return *names;
}

absl::StatusOr<SummaryOptions> ParseSummaryOptions(const NamedOptions& named,
                                                   const std::string& default_by) {
  absl::StatusOr<OptionReader> read = OptionReader::Read(named, SummaryOptionNames());
  if (!read.ok()) return read.status();
  const OptionReader& args = *read;
  SummaryOptions o;
  absl::StatusOr<std::vector<Timepoint>> tps =
      ParseTimepointList(args.Get("at").value_or("0,3m,6m,12m"));
  if (!tps.ok()) return absl::InvalidArgumentError(absl::StrCat("--at: ", tps.status().message()));
  o.timepoints = *std::move(tps);
  if (auto v = args.Get("window")) {
    absl::StatusOr<int64_t> days = ParseIntOption("--window", *v, 0, 3650);
    if (!days.ok()) return days.status();
    o.timepoint.window_days = *days;
  }
  if (auto v = args.Get("lookback")) {
    absl::StatusOr<int64_t> days = ParseIntOption("--lookback", *v, 0, 36500);
    if (!days.ok()) return days.status();
    o.timepoint.baseline.lookback_days = *days;
  }
  o.group_by = args.Get("by").value_or(default_by);
  if (o.group_by == "none") o.group_by.clear();
  if (auto v = args.Get("censored")) {
    absl::StatusOr<CensoredRule> r = ParseCensoredRule(*v);
    if (!r.ok())
      return absl::InvalidArgumentError(absl::StrCat("--censored: ", r.status().message()));
    o.censored = *r;
  }
  if (auto v = args.Get("rule")) {
    absl::StatusOr<EdssRule> r = ParseEdssRule(*v);
    if (!r.ok()) return absl::InvalidArgumentError(absl::StrCat("--rule: ", r.status().message()));
    o.change.edss_rule = *r;
  }
  return o;
}

}  // namespace cotrack

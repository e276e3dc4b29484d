#include "cotrack/change.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "decimal.h"

namespace cotrack {
namespace {

// EDSS has no 0.5, so "baseline 0" is any baseline below 0.5.
constexpr double kEdssZeroBand = 0.5;

}  // namespace

const char* EdssRuleName(EdssRule rule) {
  switch (rule) {
    case EdssRule::kThreeTier:
      return "threetier";
    case EdssRule::kTwoTier:
      return "twotier";
    case EdssRule::kMsOutcomes:
      return "msoutcomes";
    case EdssRule::kMsprog:
      return "msprog";
  }
  return "unknown";
}

absl::StatusOr<EdssRule> ParseEdssRule(absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(text);
  if (t == "threetier") return EdssRule::kThreeTier;
  if (t == "twotier") return EdssRule::kTwoTier;
  if (t == "msoutcomes") return EdssRule::kMsOutcomes;
  if (t == "msprog") return EdssRule::kMsprog;
  return absl::InvalidArgumentError(absl::StrCat(
      "EDSS rule \"", text, "\" is unknown (expected threetier, twotier, msoutcomes or msprog)"));
}

double EdssWorseningThreshold(EdssRule rule, double baseline) {
  switch (rule) {
    case EdssRule::kThreeTier:
    case EdssRule::kMsOutcomes:
      // Both read +1.5 from 0, +1.0 below 6.0, +0.5 from 6.0; they coincide
      // on valid EDSS scores but are named after their sources.
      if (baseline < kEdssZeroBand) return 1.5;
      return baseline < 6.0 - kChangeEpsilon ? 1.0 : 0.5;
    case EdssRule::kTwoTier:
      return baseline < 6.0 - kChangeEpsilon ? 1.0 : 0.5;
    case EdssRule::kMsprog:
      if (baseline < kEdssZeroBand) return 1.5;
      return baseline <= 5.0 + kChangeEpsilon ? 1.0 : 0.5;
  }
  return 1.0;
}

double EdssImprovementThreshold(EdssRule rule, double baseline) {
  if (rule == EdssRule::kMsprog) return EdssWorseningThreshold(rule, baseline);
  if (baseline <= 1.5 + kChangeEpsilon) return 1.5;
  if (baseline <= 6.0 + kChangeEpsilon) return 1.0;
  return 0.5;
}

const char* ChangeClassName(ChangeClass c) {
  switch (c) {
    case ChangeClass::kImproved:
      return "improved";
    case ChangeClass::kStable:
      return "stable";
    case ChangeClass::kWorsened:
      return "worsened";
    case ChangeClass::kUnclassified:
      return "unclassified";
  }
  return "unknown";
}

Change ComputeChange(const MeasureDefinition& measure, double baseline, double value,
                     const ChangeOptions& options) {
  Change c;
  c.options = options;
  c.baseline = baseline;
  c.value = value;
  // In decimal: 6.6 - 6.5 is 0.1, not 0.09999999999999964 (decimal.h).
  c.absolute = decimal::Difference(value, baseline);
  if (baseline != 0) c.percent = decimal::Clean(100.0 * c.absolute / std::fabs(baseline));

  // `worse` is the change in the worsening direction.
  double worse = 0;
  if (measure.code == "edss") {
    c.worsening_threshold = EdssWorseningThreshold(options.edss_rule, baseline);
    c.improvement_threshold = EdssImprovementThreshold(options.edss_rule, baseline);
    c.rule = absl::StrCat("edss:", EdssRuleName(options.edss_rule));
    worse = c.absolute;
  } else if (measure.builtin &&
             (measure.code == "sdmt" || measure.code == "nhpt" || measure.code == "t25fw")) {
    // msprog's step rules (OutcomeStepRule), so that summary and the report
    // call a change what `cotrack progression --measure CODE` calls one: 20 %
    // of the baseline, for the SDMT at most 4 points.
    double t = decimal::Clean(0.2 * std::fabs(baseline));
    if (measure.code == "sdmt") t = std::min(t, 4.0);
    if (!(t > 0)) {
      c.rule = "unclassified: a relative threshold of a zero baseline";
      return c;
    }
    c.worsening_threshold = t;
    c.improvement_threshold = t;
    c.rule = measure.code == "sdmt" ? "msprog sdmt: 20% of baseline, at most 4"
                                    : absl::StrCat("msprog ", measure.code, ": 20% of baseline");
    worse = measure.direction == Direction::kHigherIsWorse ? c.absolute : -c.absolute;
  } else if (measure.direction == Direction::kNone) {
    c.rule = "unclassified: the measure has no direction";
    return c;
  } else if (!(measure.change_threshold > 0)) {
    c.rule = "unclassified: the measure has no change threshold";
    return c;
  } else {
    c.worsening_threshold = measure.change_threshold;
    c.improvement_threshold = measure.change_threshold;
    c.rule =
        absl::StrCat("threshold ", measure.change_threshold, " ", DirectionName(measure.direction));
    worse = measure.direction == Direction::kHigherIsWorse ? c.absolute : -c.absolute;
  }
  if (worse >= c.worsening_threshold - kChangeEpsilon) {
    c.classification = ChangeClass::kWorsened;
  } else if (-worse >= c.improvement_threshold - kChangeEpsilon) {
    c.classification = ChangeClass::kImproved;
  } else {
    c.classification = ChangeClass::kStable;
  }
  return c;
}

}  // namespace cotrack

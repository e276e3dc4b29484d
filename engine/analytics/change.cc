#include "cotrack/change.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "change_rule.h"
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

namespace change_rule {

bool IsStepMeasure(const MeasureDefinition& measure) {
  return measure.builtin &&
         (measure.code == "sdmt" || measure.code == "nhpt" || measure.code == "t25fw");
}

Thresholds For(const MeasureDefinition& measure, double baseline, const ChangeOptions& options) {
  Thresholds t;
  if (measure.code == "edss") {
    // EDSS worsens upwards whatever its stored direction.
    t.worsening = EdssWorseningThreshold(options.edss_rule, baseline);
    t.improvement = EdssImprovementThreshold(options.edss_rule, baseline);
    return t;
  }
  if (IsStepMeasure(measure)) {
    // msprog's step rules (OutcomeStepRule), so that summary and the report
    // call a change what `cotrack progression --measure CODE` calls one: 20 %
    // of the baseline, for the SDMT at most 4 points.
    double step = decimal::Clean(0.2 * std::fabs(baseline));
    if (measure.code == "sdmt") step = std::min(step, 4.0);
    if (!(step > 0)) {
      t.outcome = Outcome::kZeroRelative;
      return t;
    }
    t.worsening = step;
    t.improvement = step;
  } else if (measure.direction == Direction::kNone) {
    t.outcome = Outcome::kNoDirection;
    return t;
  } else if (!(measure.change_threshold > 0)) {
    t.outcome = Outcome::kNoThreshold;
    return t;
  } else {
    t.worsening = measure.change_threshold;
    t.improvement = measure.change_threshold;
  }
  t.lower_is_worse = measure.direction != Direction::kHigherIsWorse;
  return t;
}

ChangeClass Classify(const Thresholds& t, double absolute) {
  if (t.outcome != Outcome::kClassified) return ChangeClass::kUnclassified;
  // `worse` is the change in the worsening direction.
  const double worse = t.lower_is_worse ? -absolute : absolute;
  if (worse >= t.worsening - kChangeEpsilon) return ChangeClass::kWorsened;
  if (-worse >= t.improvement - kChangeEpsilon) return ChangeClass::kImproved;
  return ChangeClass::kStable;
}

}  // namespace change_rule

Change ComputeChange(const MeasureDefinition& measure, double baseline, double value,
                     const ChangeOptions& options) {
  Change c;
  c.options = options;
  c.baseline = baseline;
  c.value = value;
  // In decimal: 6.6 - 6.5 is 0.1, not 0.09999999999999964 (decimal.h).
  c.absolute = decimal::Difference(value, baseline);
  if (baseline != 0) c.percent = decimal::Clean(100.0 * c.absolute / std::fabs(baseline));

  const change_rule::Thresholds t = change_rule::For(measure, baseline, options);
  switch (t.outcome) {
    case change_rule::Outcome::kClassified:
      break;
    case change_rule::Outcome::kZeroRelative:
      c.rule = "unclassified: a relative threshold of a zero baseline";
      return c;
    case change_rule::Outcome::kNoDirection:
      c.rule = "unclassified: the measure has no direction";
      return c;
    case change_rule::Outcome::kNoThreshold:
      c.rule = "unclassified: the measure has no change threshold";
      return c;
  }
  c.worsening_threshold = t.worsening;
  c.improvement_threshold = t.improvement;
  if (measure.code == "edss") {
    c.rule = absl::StrCat("edss:", EdssRuleName(options.edss_rule));
  } else if (change_rule::IsStepMeasure(measure)) {
    c.rule = measure.code == "sdmt" ? "msprog sdmt: 20% of baseline, at most 4"
                                    : absl::StrCat("msprog ", measure.code, ": 20% of baseline");
  } else {
    c.rule =
        absl::StrCat("threshold ", measure.change_threshold, " ", DirectionName(measure.direction));
  }
  c.classification = change_rule::Classify(t, c.absolute);
  return c;
}

}  // namespace cotrack

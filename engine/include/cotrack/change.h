// Change from baseline and its classification as improved, stable or
// worsened, including the published EDSS step rules. Definitions: DESIGN.md
// "Follow-up analytics".
//
// EDSS gets rules of its own because its steps are not equal: low scores vary
// more between examinations than high ones (6.0 = walking with a stick), so
// the change that counts shrinks as the baseline rises. Published rules
// disagree on where the steps are, so each is named and selectable, and a
// Change says which one was applied. Every other measure is classified by its
// catalog direction and change_threshold.
//
// Pure functions of plain values (no database).
#ifndef COTRACK_CHANGE_H_
#define COTRACK_CHANGE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/types.h"

namespace cotrack {

// The published EDSS threshold rules (DESIGN.md table). Worsening thresholds
// by baseline EDSS:
//   kThreeTier  (Lublin 2014 / Kappos; default): +1.5 from 0, +1.0 from
//               1.0-5.5, +0.5 from >= 6.0
//   kTwoTier    (many trials): +1.0 up to 5.5, +0.5 from >= 6.0
//   kMsOutcomes (Kalincik 2015, MSBase): +1.5 from 0, +1.0 below 6.0, +0.5
//               from >= 6.0
//   kMsprog     (Montobbio 2024, msprog's compute_delta): +1.5 from 0, +1.0
//               up to 5.0, +0.5 from >= 5.5
// Improvement thresholds: for kMsprog the same delta as worsening (msprog is
// symmetric); for the others MSoutcomes': -1.5 from <= 1.5, -1.0 from <= 6.0,
// -0.5 above 6.0.
enum class EdssRule { kThreeTier, kTwoTier, kMsOutcomes, kMsprog };
// "threetier", "twotier", "msoutcomes", "msprog".
const char* EdssRuleName(EdssRule rule);
// The inverse of EdssRuleName, ignoring case. InvalidArgument listing the
// accepted names otherwise.
absl::StatusOr<EdssRule> ParseEdssRule(absl::string_view text);
// Smallest increase from `baseline` that counts as worsening under `rule`.
double EdssWorseningThreshold(EdssRule rule, double baseline);
// Smallest decrease from `baseline` that counts as improvement under `rule`.
double EdssImprovementThreshold(EdssRule rule, double baseline);

// Threshold comparisons allow this much floating-point slack, so that e.g.
// 6.8 - 6.3 counts as a change of 0.5.
constexpr double kChangeEpsilon = 1e-9;

enum class ChangeClass { kImproved, kStable, kWorsened, kUnclassified };
// "improved", "stable", "worsened", "unclassified".
const char* ChangeClassName(ChangeClass c);

struct ChangeOptions {
  EdssRule edss_rule = EdssRule::kThreeTier;  // used when the measure is edss
};

struct Change {
  double baseline = 0;
  double value = 0;
  double absolute = 0;            // value - baseline
  std::optional<double> percent;  // 100 * absolute / |baseline|; unset when baseline is 0
  ChangeClass classification = ChangeClass::kUnclassified;
  // The thresholds applied (0 when unclassified), in the measure's unit.
  double worsening_threshold = 0;
  double improvement_threshold = 0;
  std::string rule;  // "edss:threetier", "measure-threshold", or why unclassified
  ChangeOptions options;
};

// Change from `baseline` to `value` for `measure`. EDSS ("edss") is
// classified with the step rule by baseline; other measures with their
// direction and change_threshold (a change of at least the threshold in the
// worse direction is worsened, in the better direction improved, otherwise
// stable). Measures with no direction or a zero threshold are unclassified.
Change ComputeChange(const MeasureDefinition& measure, double baseline, double value,
                     const ChangeOptions& options = {});

}  // namespace cotrack

#endif  // COTRACK_CHANGE_H_

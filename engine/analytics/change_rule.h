// The thresholds and direction ComputeChange (change.h) classifies a change
// with, apart from the Change record it fills: a cohort summary classifies a
// change per patient and timepoint and needs only the class, not the rule
// text (a string built per call) or the percent (a rounding per call), which
// were most of a summary's analytics time. ComputeChange is written with
// these, so both classify by the same code.
#ifndef COTRACK_ANALYTICS_CHANGE_RULE_H_
#define COTRACK_ANALYTICS_CHANGE_RULE_H_

#include "cotrack/change.h"
#include "cotrack/types.h"

namespace cotrack::change_rule {

enum class Outcome {
  kClassified,
  kZeroRelative,  // a relative threshold of a zero baseline
  kNoDirection,   // the measure has no direction
  kNoThreshold,   // the measure has no change threshold
};

struct Thresholds {
  Outcome outcome = Outcome::kClassified;
  double worsening = 0;
  double improvement = 0;
  bool lower_is_worse = false;  // the worsening direction is down
};

// True for the measures classified with msprog's relative step rules.
bool IsStepMeasure(const MeasureDefinition& measure);

// The thresholds for a change from `baseline` (they depend on it for EDSS
// and the step measures).
Thresholds For(const MeasureDefinition& measure, double baseline, const ChangeOptions& options);

// The class of a change of `absolute` (value - baseline, in decimal) under
// `t`; kUnclassified unless t.outcome is kClassified.
ChangeClass Classify(const Thresholds& t, double absolute);

}  // namespace cotrack::change_rule

#endif  // COTRACK_ANALYTICS_CHANGE_RULE_H_

// Follow-up analytics over stored trajectories, all of it: include this for
// everything, or the one header you need (each compiles on its own):
//
//   cotrack/baseline.h     the baseline: last valid value on or before the
//                          index date (FindBaseline)
//   cotrack/timepoint.h    protocol timepoints ("0,3m,6m,12m"), the value
//                          nearest each within a window, study days
//   cotrack/change.h       change from baseline, improved/stable/worsened,
//                          the EDSS step rules (EdssRule)
//   cotrack/progression.h  confirmed EDSS worsening / improvement
//                          (DetectEdssProgression) and relapse onset dates
//   cotrack/summary.h      cohort tables per timepoint and group
//                          (SummarizeCohort), descriptive statistics
//   cotrack/chart.h        SVG charts and the cohort chart (`cotrack plot`)
//   cotrack/report.h       the self-contained HTML report (`cotrack report`)
//   cotrack/derived.h      values derived from one observation: AIS severity,
//                          FIS/MFIS subscales, HbA1c and C-peptide units
//
// Definitions: DESIGN.md "Follow-up analytics". Kept so that embedders who
// included it before the split keep compiling.
#ifndef COTRACK_ANALYTICS_H_
#define COTRACK_ANALYTICS_H_

#include "cotrack/baseline.h"     // IWYU pragma: export
#include "cotrack/change.h"       // IWYU pragma: export
#include "cotrack/chart.h"        // IWYU pragma: export
#include "cotrack/derived.h"      // IWYU pragma: export
#include "cotrack/progression.h"  // IWYU pragma: export
#include "cotrack/report.h"       // IWYU pragma: export
#include "cotrack/summary.h"      // IWYU pragma: export
#include "cotrack/survival.h"     // IWYU pragma: export
#include "cotrack/timepoint.h"    // IWYU pragma: export

#endif  // COTRACK_ANALYTICS_H_

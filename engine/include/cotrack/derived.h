// Derived values: what follows from one stored observation by a published
// formula — the AIS severity band, FIS/MFIS subscale scores, HbA1c in IFCC
// units and as estimated average glucose, C-peptide in other units. This is
// the `--derived` column of the queries.
//
// Derived values are computed when read, never stored, so a stored value has
// one source of truth and a corrected formula applies to old data too.
//
// Pure functions of plain values (no database).
#ifndef COTRACK_DERIVED_H_
#define COTRACK_DERIVED_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cotrack/types.h"

namespace cotrack {

// Athens Insomnia Scale severity bands (Okajima 2020): 0-5 none, 6-9 mild,
// 10-15 moderate, 16-24 severe.
enum class AisSeverity { kNone, kMild, kModerate, kSevere };
const char* AisSeverityName(AisSeverity s);  // "none", "mild", "moderate", "severe"
// InvalidArgument when `total` is not an integer in 0..24.
absl::StatusOr<AisSeverity> AisSeverityBand(double total);

// HbA1c, NGSP master equation: NGSP% = 0.09148 * IFCC + 2.152, so
// IFCC mmol/mol = (NGSP% - 2.152) / 0.09148.
double HbA1cIfccFromNgsp(double ngsp_percent);
// ADAG (Nathan 2008): eAG mg/dL = 28.7 * A1c - 46.7; mmol/L = 1.59 * A1c - 2.59.
double EstimatedAverageGlucoseMgDl(double ngsp_percent);
double EstimatedAverageGlucoseMmolL(double ngsp_percent);
// C-peptide: ng/mL * 0.3311 = nmol/L; pmol/L = nmol/L * 1000.
double CPeptideNgMlFromNmolL(double nmol_per_l);
double CPeptidePmolLFromNmolL(double nmol_per_l);

struct SubscaleScore {
  std::string name;
  std::optional<double> score;  // unset when any of its items is unanswered
  int items_answered = 0;
  int items_total = 0;
};
// Sums `items` (1-based item k at index k-1; NaN = unanswered) over each of
// the measure's subscales. InvalidArgument when the measure has subscales
// and `items` does not have item_count entries, or a subscale names an item
// out of range. Empty when the measure has no subscales or no items.
absl::StatusOr<std::vector<SubscaleScore>> ComputeSubscales(const MeasureDefinition& measure,
                                                            const std::vector<double>& items);

struct DerivedValue {
  std::string name;  // e.g. "ifcc", "eag_mgdl", "severity", "physical"
  std::optional<double> value;
  std::string unit;
  std::string text;                           // e.g. "moderate"; or the value formatted
  Comparator comparator = Comparator::kNone;  // carried over from a censored source
};
// The derived values of one observation: AIS severity band; FIS/MFIS
// subscales (when items are stored); HbA1c in IFCC units and eAG; C-peptide
// in ng/mL and pmol/L; a stored relapse's end date (end_date, "unknown" for
// a value >=0). Empty for other measures. A censored source yields
// censored derived values with the same comparator (monotone conversions).
// InvalidArgument as AisSeverityBand and ComputeSubscales.
absl::StatusOr<std::vector<DerivedValue>> DeriveValues(const MeasureDefinition& measure,
                                                       const Observation& obs);

// "ifcc=<53 mmol/mol; eag_mgdl=<154 mg/dL" -- one text cell for query
// output (empty when there are none).
std::string FormatDerivedValues(const std::vector<DerivedValue>& values);

}  // namespace cotrack

#endif  // COTRACK_DERIVED_H_

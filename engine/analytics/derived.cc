#include "cotrack/derived.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cotrack {
namespace {

// Shown with `digits` decimals (fixed) or `digits` significant digits; the
// format strings stay constants so absl::StrFormat checks them when compiled.
enum class Style { kDecimals, kSignificant };

DerivedValue Number(std::string name, double value, std::string unit, Comparator cmp, Style style,
                    int digits) {
  DerivedValue d;
  d.name = std::move(name);
  d.unit = std::move(unit);
  d.comparator = cmp;
  const std::string shown = style == Style::kDecimals ? absl::StrFormat("%.*f", digits, value)
                                                      : absl::StrFormat("%.*g", digits, value);
  // The value is the one shown: a conversion's precision is that of its
  // formula, and more digits would only be noise (47.5076... mmol/mol).
  d.value = std::strtod(shown.c_str(), nullptr);
  d.text = absl::StrCat(ComparatorSymbol(cmp), shown);
  return d;
}

}  // namespace

const char* AisSeverityName(AisSeverity s) {
  switch (s) {
    case AisSeverity::kNone:
      return "none";
    case AisSeverity::kMild:
      return "mild";
    case AisSeverity::kModerate:
      return "moderate";
    case AisSeverity::kSevere:
      return "severe";
  }
  return "unknown";
}

absl::StatusOr<AisSeverity> AisSeverityBand(double total) {
  if (!(total >= 0 && total <= 24) || std::floor(total) != total) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AIS total: bad value ", absl::StrFormat("%g", total), " (expected an integer 0-24)"));
  }
  if (total <= 5) return AisSeverity::kNone;
  if (total <= 9) return AisSeverity::kMild;
  if (total <= 15) return AisSeverity::kModerate;
  return AisSeverity::kSevere;
}

double HbA1cIfccFromNgsp(double ngsp_percent) { return (ngsp_percent - 2.152) / 0.09148; }
double EstimatedAverageGlucoseMgDl(double ngsp_percent) { return 28.7 * ngsp_percent - 46.7; }
double EstimatedAverageGlucoseMmolL(double ngsp_percent) { return 1.59 * ngsp_percent - 2.59; }
double CPeptideNgMlFromNmolL(double nmol_per_l) { return nmol_per_l / 0.3311; }
double CPeptidePmolLFromNmolL(double nmol_per_l) { return nmol_per_l * 1000.0; }

absl::StatusOr<std::vector<SubscaleScore>> ComputeSubscales(const MeasureDefinition& measure,
                                                            const std::vector<double>& items) {
  std::vector<SubscaleScore> out;
  if (measure.subscales.empty() || items.empty()) return out;
  if (static_cast<int>(items.size()) != measure.item_count) {
    return absl::InvalidArgumentError(absl::StrCat(
        measure.code, ": ", items.size(), " item responses (expected ", measure.item_count, ")"));
  }
  for (const Subscale& sub : measure.subscales) {
    SubscaleScore s;
    s.name = sub.name;
    s.items_total = static_cast<int>(sub.items.size());
    double sum = 0;
    for (int k : sub.items) {
      if (k < 1 || k > static_cast<int>(items.size())) {
        return absl::InvalidArgumentError(absl::StrCat(measure.code, ": subscale \"", sub.name,
                                                       "\" names item ", k, " (expected 1-",
                                                       items.size(), ")"));
      }
      const double v = items[static_cast<size_t>(k - 1)];
      if (std::isnan(v)) continue;
      ++s.items_answered;
      sum += v;
    }
    // A partial sum would read as a better score than the patient reported,
    // so a subscale with unanswered items has no score.
    if (s.items_answered == s.items_total) s.score = sum;
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<std::vector<DerivedValue>> DeriveValues(const MeasureDefinition& measure,
                                                       const Observation& obs) {
  std::vector<DerivedValue> out;
  const Comparator cmp = obs.comparator;
  if (measure.code == "ais") {
    if (cmp != Comparator::kNone) return out;
    absl::StatusOr<AisSeverity> band = AisSeverityBand(obs.value);
    if (!band.ok()) return band.status();
    DerivedValue d;
    d.name = "severity";
    d.text = AisSeverityName(*band);
    out.push_back(std::move(d));
  } else if (measure.code == "hba1c") {
    out.push_back(
        Number("ifcc", HbA1cIfccFromNgsp(obs.value), "mmol/mol", cmp, Style::kDecimals, 0));
    out.push_back(Number("eag_mgdl", EstimatedAverageGlucoseMgDl(obs.value), "mg/dL", cmp,
                         Style::kDecimals, 0));
    out.push_back(Number("eag_mmoll", EstimatedAverageGlucoseMmolL(obs.value), "mmol/L", cmp,
                         Style::kDecimals, 1));
  } else if (measure.code == "relapse" && measure.builtin) {
    // The stored value is the duration; the end date is what a clinician
    // checks against the relapse record.
    DerivedValue d;
    d.name = "end_date";
    d.text =
        cmp != Comparator::kNone
            ? std::string("unknown")
            : FormatCivilTime(CivilTime::FromDay(obs.time.day() + static_cast<int64_t>(obs.value)));
    out.push_back(std::move(d));
  } else if (measure.code == "cpeptide") {
    out.push_back(
        Number("ng_ml", CPeptideNgMlFromNmolL(obs.value), "ng/mL", cmp, Style::kSignificant, 3));
    out.push_back(
        Number("pmol_l", CPeptidePmolLFromNmolL(obs.value), "pmol/L", cmp, Style::kSignificant, 4));
  }
  if (!measure.subscales.empty() && !obs.items.empty()) {
    absl::StatusOr<std::vector<SubscaleScore>> subs = ComputeSubscales(measure, obs.items);
    if (!subs.ok()) return subs.status();
    for (const SubscaleScore& s : *subs) {
      DerivedValue d;
      d.name = s.name;
      d.value = s.score;
      d.unit = measure.unit;
      d.text = s.score.has_value()
                   ? absl::StrFormat("%g", *s.score)
                   : absl::StrCat("n/a (", s.items_answered, "/", s.items_total, " items)");
      out.push_back(std::move(d));
    }
  }
  return out;
}

std::string FormatDerivedValues(const std::vector<DerivedValue>& values) {
  std::string out;
  for (const DerivedValue& d : values) {
    absl::StrAppend(&out, out.empty() ? "" : "; ", d.name, "=", d.text,
                    d.unit.empty() || !d.value.has_value() ? "" : " ", d.value ? d.unit : "");
  }
  return out;
}

}  // namespace cotrack

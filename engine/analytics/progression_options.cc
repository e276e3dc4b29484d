// ParseProgressionOptions: the one parser of progression options, shared by
// `cotrack progression` and the C ABI (cotrack_progression) so that both take
// the same spellings and give the same messages.
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cotrack/change.h"
#include "cotrack/progression.h"

namespace cotrack {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

absl::Status Bad(absl::string_view name, absl::string_view value, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("--", name, ": bad value \"", value, "\" (expected ", expected, ")"));
}

// A non-negative number of days, or "inf" when `allow_inf`.
bool ParseDays(absl::string_view text, bool allow_inf, double* out) {
  text = absl::StripAsciiWhitespace(text);
  if (allow_inf && (text == "inf" || text == "Inf")) {
    *out = kInf;
    return true;
  }
  double d = 0;
  if (!absl::SimpleAtod(text, &d) || !std::isfinite(d) || d < 0) return false;
  *out = d;
  return true;
}

// "12w" -> 84, "84d" or "84" -> 84.
bool ParsePeriod(absl::string_view text, int64_t* out) {
  text = absl::StripAsciiWhitespace(text);
  int64_t factor = 1;
  if (absl::ConsumeSuffix(&text, "w")) {
    factor = 7;
  } else {
    absl::ConsumeSuffix(&text, "d");
  }
  int64_t n = 0;
  if (!absl::SimpleAtoi(text, &n) || n <= 0 || n > 36500) return false;
  *out = n * factor;
  return true;
}

bool ParseDistance(absl::string_view text, RelapseDistance* out) {
  std::vector<std::string> parts = absl::StrSplit(text, ',');
  if (parts.empty() || parts.size() > 2) return false;
  RelapseDistance d;
  if (!ParseDays(parts[0], true, &d.last)) return false;
  if (parts.size() == 2 && !ParseDays(parts[1], true, &d.next)) return false;
  *out = d;
  return true;
}

bool ParseYesNo(absl::string_view text, bool* out) {
  const std::string t = absl::AsciiStrToLower(text);
  if (t.empty() || t == "true" || t == "yes" || t == "1") {
    *out = true;
  } else if (t == "false" || t == "no" || t == "0") {
    *out = false;
  } else {
    return false;
  }
  return true;
}

}  // namespace

absl::Status ParseProgressionOptions(const std::vector<std::pair<std::string, std::string>>& pairs,
                                     ProgressionOptions* options,
                                     std::vector<std::pair<std::string, std::string>>* unknown) {
  ProgressionOptions& o = *options;
  bool outcome_given = false, delta_given = false, worsening_given = false;
  std::string worsening;
  for (const auto& [name, value] : pairs) {
    bool flag = false;
    if (name == "event") {
      static const std::pair<const char*, ProgressionEventSelection> kEvents[] = {
          {"firstCDW", ProgressionEventSelection::kFirstCdw},
          {"firstCDI", ProgressionEventSelection::kFirstCdi},
          {"multiple", ProgressionEventSelection::kMultiple},
          {"firstPIRA", ProgressionEventSelection::kFirstPira},
          {"firstRAW", ProgressionEventSelection::kFirstRaw},
          {"first", ProgressionEventSelection::kFirst}};
      bool ok = false;
      for (const auto& [text, e] : kEvents) {
        if (absl::EqualsIgnoreCase(value, text)) {
          o.event = e;
          ok = true;
        }
      }
      if (!ok) {
        return Bad(name, value,
                   "firstCDW, firstCDI, multiple, firstPIRA, firstRAW or first; the older "
                   "worsening, improvement and all are multiple with a filter");
      }
    } else if (name == "raw-pira" || name == "raw_pira") {
      if (!ParseYesNo(value, &flag)) return Bad(name, value, "no value, yes or no");
      o.raw_pira = flag;
    } else if (name == "baseline") {
      if (value == "fixed") {
        o.baseline = BaselineScheme::kFixed;
      } else if (value == "roving") {
        o.baseline = BaselineScheme::kRoving;
      } else if (value == "roving_impr") {
        o.baseline = BaselineScheme::kRovingImpr;
      } else if (value == "roving_wors") {
        o.baseline = BaselineScheme::kRovingWors;
      } else {
        return Bad(name, value, "fixed, roving, roving_impr or roving_wors");
      }
    } else if (name == "proceed-from") {
      if (value == "firstconf") {
        o.proceed_from = ProceedFrom::kFirstConf;
      } else if (value == "event") {
        o.proceed_from = ProceedFrom::kEvent;
      } else {
        return Bad(name, value, "firstconf or event");
      }
    } else if (name == "sub-threshold-rebl") {
      if (value == "none") {
        o.sub_threshold_rebl = SubThresholdRebaseline::kNone;
      } else if (value == "change") {
        o.sub_threshold_rebl = SubThresholdRebaseline::kChange;
      } else if (value == "improvement") {
        o.sub_threshold_rebl = SubThresholdRebaseline::kImprovement;
      } else if (value == "worsening") {
        o.sub_threshold_rebl = SubThresholdRebaseline::kWorsening;
      } else {
        return Bad(name, value, "none, change, improvement or worsening");
      }
    } else if (name == "relapse-rebl") {
      if (!ParseYesNo(value, &flag)) return Bad(name, value, "no value, yes or no");
      o.relapse_rebl = flag;
    } else if (name == "bl-geq") {
      if (!ParseYesNo(value, &flag)) return Bad(name, value, "no value, yes or no");
      o.bl_geq = flag;
    } else if (name == "skip-local-extrema") {
      if (value == "none") {
        o.skip_local_extrema = SkipLocalExtrema::kNone;
      } else if (value == "strict") {
        o.skip_local_extrema = SkipLocalExtrema::kStrict;
      } else if (value == "all") {
        o.skip_local_extrema = SkipLocalExtrema::kAll;
      } else {
        return Bad(name, value, "none, strict or all");
      }
    } else if (name == "confirm") {
      std::vector<int64_t> periods;
      for (absl::string_view part : absl::StrSplit(value, ',')) {
        int64_t p = 0;
        if (!ParsePeriod(part, &p)) {
          return Bad(name, value, "weeks or days, e.g. 12w, 24w or 84d, or several: 12w,24w");
        }
        periods.push_back(p);
      }
      o.confirm_days = periods[0];
      o.extra_confirm_days.assign(periods.begin() + 1, periods.end());
    } else if (name == "tolerance") {
      std::vector<std::string> parts = absl::StrSplit(value, ',');
      double before = 0, after = 0;
      if (parts.size() > 2 || !ParseDays(parts[0], false, &before) ||
          !ParseDays(parts.size() == 2 ? parts[1] : parts[0], true, &after)) {
        return Bad(name, value, "BEFORE,AFTER in days, e.g. 7,730.5; AFTER may be inf");
      }
      o.tolerance_before_days = before;
      o.tolerance_after_days = after;
    } else if (name == "require-sust-days") {
      if (!ParseDays(value, true, &o.require_sust_days)) {
        return Bad(name, value, "days >= 0 or inf");
      }
    } else if (name == "no-intermediate") {
      if (!ParseYesNo(value, &flag)) return Bad(name, value, "no value, yes or no");
      o.require_intermediate = !flag;
    } else if (name == "relapse-to-bl" || name == "relapse-to-event" || name == "relapse-to-conf" ||
               name == "relapse-assoc") {
      RelapseDistance d;
      if (!ParseDistance(value, &d)) {
        return Bad(name, value,
                   "LAST or LAST,NEXT in days (after the last, before the next relapse)");
      }
      if (name == "relapse-to-bl") o.relapse_to_bl = d;
      if (name == "relapse-to-event") o.relapse_to_event = d;
      if (name == "relapse-to-conf") o.relapse_to_conf = d;
      if (name == "relapse-assoc") o.relapse_assoc = d;
    } else if (name == "relapse-window") {
      // The older spelling: one window for both baseline and confirmation.
      double d = 0;
      if (!ParseDays(value, false, &d)) return Bad(name, value, "days >= 0");
      o.relapse_to_bl = {d, 0};
      o.relapse_to_conf = {d, 0};
    } else if (name == "relapse-indep") {
      std::vector<std::string> parts = absl::StrSplit(value, ',');
      const char* expected =
          "p0,p1,e0,e1,c0,c1 in days (null for an open bound), optionally followed by "
          "baseline, last or last_delta, e.g. 0,0,90,30,90,30";
      if (parts.size() != 6 && parts.size() != 7) return Bad(name, value, expected);
      RelapseIndependence ri;
      std::optional<double>* bounds[] = {&ri.p0, &ri.p1, &ri.e0, &ri.e1, &ri.c0, &ri.c1};
      for (int i = 0; i < 6; ++i) {
        const std::string p = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[i]));
        if (p == "null" || p == "none" || p.empty()) {
          bounds[i]->reset();
          continue;
        }
        double d = 0;
        if (!ParseDays(p, false, &d)) return Bad(name, value, expected);
        *bounds[i] = d;
      }
      if (parts.size() == 7) {
        if (parts[6] == "baseline") {
          ri.preceding = RelapseIndependence::Preceding::kBaseline;
        } else if (parts[6] == "last") {
          ri.preceding = RelapseIndependence::Preceding::kLast;
        } else if (parts[6] == "last_delta") {
          ri.preceding = RelapseIndependence::Preceding::kLastDelta;
        } else {
          return Bad(name, value, expected);
        }
      }
      o.relapse_indep = ri;
    } else if (name == "threshold-slack") {
      if (!ParseDays(value, false, &o.threshold_slack)) {
        return Bad(name, value, "a small number >= 0, e.g. 0 for msprog's exact comparisons");
      }
    } else if (name == "impute-last-visit") {
      double d = 1;
      if (!value.empty() && !ParseDays(value, false, &d)) {
        return Bad(name, value, "0, 1, or a number of days > 1");
      }
      o.impute_last_visit = d;
    } else if (name == "unconfirmed-last") {
      if (!ParseYesNo(value, &flag)) return Bad(name, value, "no value, yes or no");
      o.impute_last_visit = flag ? 1 : 0;
    } else if (name == "rule") {
      absl::StatusOr<EdssRule> r = ParseEdssRule(value);
      if (!r.ok())
        return absl::InvalidArgumentError(absl::StrCat("--rule: ", r.status().message()));
      o.rule = *r;
    } else if (name == "outcome") {
      outcome_given = true;
      o.outcome = absl::AsciiStrToLower(value);
    } else if (name == "delta") {
      delta_given = true;
      std::vector<std::string> parts = absl::StrSplit(value, ':');
      const char* expected =
          "absolute:N, relative:PERCENT or relative:PERCENT:MAX, e.g. relative:20:4";
      StepRule s = o.step;
      double amount = 0, cap = kInf;
      if (parts.size() < 2 || !ParseDays(parts[1], false, &amount) || !(amount > 0)) {
        return Bad(name, value, expected);
      }
      if (parts[0] == "absolute" && parts.size() == 2) {
        s.kind = StepRule::Kind::kAbsolute;
      } else if (parts[0] == "relative" && parts.size() <= 3) {
        s.kind = StepRule::Kind::kRelative;
        if (parts.size() == 3 && !ParseDays(parts[2], false, &cap))
          return Bad(name, value, expected);
      } else {
        return Bad(name, value, expected);
      }
      s.amount = amount;
      s.cap = cap;
      o.step = s;
    } else if (name == "worsening") {
      worsening_given = true;
      worsening = value;
      if (value != "increase" && value != "decrease") {
        return Bad(name, value, "increase (higher is worse) or decrease (lower is worse)");
      }
    } else if (name == "from-first-visit") {
      if (!ParseYesNo(value, &flag)) return Bad(name, value, "no value, yes or no");
      o.from_index_date = !flag;
    } else if (unknown != nullptr) {
      unknown->push_back({name, value});
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown progression option \"", name,
                       "\" (see `cotrack progression --help` for the list)"));
    }
  }
  if (outcome_given && o.outcome != "custom") {
    absl::StatusOr<StepRule> s = OutcomeStepRule(o.outcome);
    if (!s.ok()) return s.status();
    if (!delta_given) {
      o.step = *s;
    } else {
      o.step.higher_is_worse = s->higher_is_worse;  // msprog: outcome fixes the direction
    }
  } else if (outcome_given) {
    if (!delta_given || !worsening_given) {
      return absl::InvalidArgumentError(
          "--outcome custom needs --delta (e.g. absolute:1 or relative:20) and --worsening "
          "increase|decrease");
    }
  } else if (delta_given) {
    o.outcome = "custom";
  }
  if (worsening_given) {
    if (o.outcome != "custom") {
      return absl::InvalidArgumentError(
          absl::StrCat("--worsening: the direction of ", o.outcome,
                       " is fixed (as in msprog); use it with --outcome custom or a user measure"));
    }
    o.step.higher_is_worse = worsening == "increase";
  }
  if (o.outcome == "custom" && !delta_given) {
    return absl::InvalidArgumentError("--worsening needs --delta (e.g. absolute:1 or relative:20)");
  }
  return ValidateProgressionOptions(o);
}

}  // namespace cotrack

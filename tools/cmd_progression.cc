// `cotrack progression [PATIENT] --measure edss [--rule R] [--confirm 12w]
//  [--tolerance B,A] [--baseline fixed|roving] [--no-intermediate]
//  [--event worsening|improvement|all] [--format FMT]`
#include <iostream>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "command.h"
#include "cotrack/analytics.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "progression";

// "12w" -> 84, "84d" or "84" -> 84.
absl::StatusOr<int64_t> ParseConfirm(absl::string_view text) {
  const std::string expected = "(expected weeks or days, e.g. 12w, 24w or 84d)";
  if (!text.empty() && text.back() >= '0' && text.back() <= '9') {
    return ParseIntArg("--confirm", text, 1, 36500);
  }
  absl::StatusOr<Timepoint> tp = ParseTimepoint(text);
  if (!tp.ok() || (tp->unit != TimepointUnit::kDays && tp->unit != TimepointUnit::kWeeks) ||
      tp->amount == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--confirm: bad value \"", text, "\" ", expected));
  }
  return tp->unit == TimepointUnit::kWeeks ? 7 * tp->amount : tp->amount;
}

absl::Status ParseTolerance(absl::string_view text, ProgressionOptions& o) {
  std::vector<std::string> parts = absl::StrSplit(text, ',');
  if (parts.size() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tolerance: bad value \"", text, "\" (expected BEFORE,AFTER in days, e.g. 7,730.5)"));
  }
  absl::StatusOr<double> before = ParseNumberArg("--tolerance BEFORE", parts[0]);
  if (!before.ok()) return before.status();
  // msprog allows an open-ended window ("confirmed over 12 or more weeks").
  absl::StatusOr<double> after =
      parts[1] == "inf" ? absl::StatusOr<double>(std::numeric_limits<double>::infinity())
                        : ParseNumberArg("--tolerance AFTER", parts[1]);
  if (!after.ok()) return after.status();
  o.tolerance_before_days = *before;
  o.tolerance_after_days = *after;
  return absl::OkStatus();
}

int Run(const GlobalContext& ctx, const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, {{"measure"},
                                                       {"rule"},
                                                       {"confirm"},
                                                       {"tolerance"},
                                                       {"baseline"},
                                                       {"no-intermediate", FlagSpec::kBool},
                                                       {"event"},
                                                       {"first", FlagSpec::kBool},
                                                       {"unconfirmed-last", FlagSpec::kBool},
                                                       {"from-first-visit", FlagSpec::kBool},
                                                       {"relapses"},
                                                       {"relapse-measure"},
                                                       {"relapse-window"},
                                                       {"format"}});
  if (!parsed.ok()) return UsageError(kName, parsed.status().message());
  if (parsed->positionals().size() > 1) return UsageError(kName, "expected at most one PATIENT");
  const std::string measure = parsed->Get("measure").value_or("edss");
  if (measure != "edss") {
    return UsageError(kName, absl::StrCat("--measure: bad value \"", measure,
                                          "\" (the confirmation rules are defined for edss only)"));
  }
  absl::StatusOr<OutputFormat> format = ParseOutputFormat(parsed->Get("format").value_or("table"));
  if (!format.ok()) return UsageError(kName, format.status().message());

  ProgressionOptions o;
  if (auto v = parsed->Get("rule")) {
    absl::StatusOr<EdssRule> r = ParseEdssRule(*v);
    if (!r.ok()) return UsageError(kName, absl::StrCat("--rule: ", r.status().message()));
    o.rule = *r;
  }
  if (auto v = parsed->Get("confirm")) {
    absl::StatusOr<int64_t> days = ParseConfirm(*v);
    if (!days.ok()) return UsageError(kName, days.status().message());
    o.confirm_days = *days;
  }
  if (auto v = parsed->Get("tolerance")) {
    if (absl::Status s = ParseTolerance(*v, o); !s.ok()) return UsageError(kName, s.message());
  }
  if (auto v = parsed->Get("baseline")) {
    if (*v == "fixed") {
      o.baseline = BaselineScheme::kFixed;
    } else if (*v == "roving") {
      o.baseline = BaselineScheme::kRoving;
    } else {
      return UsageError(
          kName, absl::StrCat("--baseline: bad value \"", *v, "\" (expected fixed or roving)"));
    }
  }
  o.require_intermediate = !parsed->Has("no-intermediate");
  o.count_unconfirmed_last = parsed->Has("unconfirmed-last");
  o.from_index_date = !parsed->Has("from-first-visit");
  if (auto v = parsed->Get("relapse-window")) {
    absl::StatusOr<int64_t> days = ParseIntArg("--relapse-window", *v, 0, 36500);
    if (!days.ok()) return UsageError(kName, days.status().message());
    o.relapse_window_days = *days;
  }
  if (absl::Status s = ValidateProgressionOptions(o); !s.ok()) {
    return UsageError(kName, s.message());
  }
  std::optional<ProgressionEventKind> only;
  const std::string event = parsed->Get("event").value_or("all");
  if (event == "worsening") {
    only = ProgressionEventKind::kWorsening;
  } else if (event == "improvement") {
    only = ProgressionEventKind::kImprovement;
  } else if (event != "all") {
    return UsageError(kName, absl::StrCat("--event: bad value \"", event,
                                          "\" (expected worsening, improvement or all)"));
  }
  const bool first_only = parsed->Has("first");

  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(ctx, OpenMode::kRead);
  if (!db.ok()) return RuntimeError(db.status());

  // Relapse onsets: a file, a measure, or the measure "relapse" when one is
  // registered.
  RelapseDates relapses;
  std::string relapse_source = "none";
  if (auto file = parsed->Get("relapses")) {
    absl::StatusOr<RelapseDates> r = ReadRelapseCsv(*file);
    if (!r.ok()) return RuntimeError(r.status());
    relapses = *std::move(r);
    relapse_source = *file;
  }
  std::string relapse_measure = parsed->Get("relapse-measure").value_or("");
  if (relapse_measure.empty() && !parsed->Has("relapses") && (*db)->GetMeasure("relapse").ok()) {
    relapse_measure = "relapse";
  }
  if (!relapse_measure.empty() && relapse_measure != "none") {
    absl::StatusOr<RelapseDates> r = RelapseDatesFromMeasure(**db, relapse_measure);
    if (!r.ok()) return RuntimeError(r.status());
    for (auto& [id, dates] : *r) {
      relapses[id].insert(relapses[id].end(), dates.begin(), dates.end());
    }
    relapse_source = relapse_source == "none"
                         ? absl::StrCat("measure ", relapse_measure)
                         : absl::StrCat(relapse_source, " + measure ", relapse_measure);
  }

  std::vector<ProgressionResult> results;
  auto analyse = [&](const Patient& p, const std::vector<Observation>& traj) -> absl::Status {
    auto rel = relapses.find(p.id);
    absl::StatusOr<ProgressionResult> r = DetectEdssProgression(
        p, traj, rel == relapses.end() ? std::vector<CivilTime>{} : rel->second, o);
    if (!r.ok()) return r.status();
    results.push_back(*std::move(r));
    return absl::OkStatus();
  };
  if (parsed->positionals().size() == 1) {
    const std::string& id = parsed->positionals()[0];
    absl::StatusOr<Patient> p = (*db)->GetPatient(id);
    if (!p.ok()) return RuntimeError(p.status());
    absl::StatusOr<std::vector<Observation>> traj = (*db)->Trajectory(id, measure);
    if (!traj.ok()) return RuntimeError(traj.status());
    if (absl::Status s = analyse(*p, *traj); !s.ok()) return RuntimeError(s);
  } else if (absl::Status s = (*db)->ForEachSeries(measure, analyse); !s.ok()) {
    return RuntimeError(s);
  }

  const std::string parameters =
      absl::StrCat(DescribeProgressionOptions(o), " relapses=", relapse_source);
  Table table;
  table.columns = {"patient",        "event",
                   "date",           "value",
                   "baseline_date",  "baseline_value",
                   "confirmed_date", "confirmed_value",
                   "confirmed",      "relapse_associated",
                   "threshold"};
  if (*format != OutputFormat::kTable) table.columns.push_back("parameters");
  int64_t events = 0;
  std::vector<std::string> no_baseline;
  for (const ProgressionResult& r : results) {
    if (!r.analysed) no_baseline.push_back(r.patient);
    for (const ProgressionEvent& e : r.events) {
      if (only && e.kind != *only) continue;
      std::vector<Cell> row = {Cell::String(e.patient),
                               Cell::String(ProgressionEventKindName(e.kind)),
                               Cell::String(FormatCivilTime(e.date)),
                               Cell::Number(e.value),
                               Cell::String(FormatCivilTime(e.baseline_date)),
                               Cell::Number(e.baseline_value),
                               Cell::String(FormatCivilTime(e.confirmed_date)),
                               Cell::Number(e.confirmed_value),
                               Cell::Bool(e.confirmed),
                               Cell::Bool(e.relapse_associated),
                               Cell::Number(e.threshold)};
      if (*format != OutputFormat::kTable) row.push_back(Cell::String(parameters));
      table.rows.push_back(std::move(row));
      ++events;
      if (first_only) break;
    }
  }
  if (*format == OutputFormat::kTable) std::cout << "# " << parameters << "\n";
  WriteTable(table, *format, std::cout);
  std::cerr << "cotrack: " << results.size() << " patient(s), " << events << " event(s); "
            << parameters << "\n";
  if (!no_baseline.empty()) {
    std::cerr << "cotrack: no EDSS on or before the index date (not analysed): "
              << absl::StrJoin(no_baseline, ", ") << "\n";
  }
  return 0;
}

const Command kProgressionCommand =
    LegacyCommand(kName, "Confirmed EDSS worsening and improvement events",
                  R"(Usage: cotrack progression [PATIENT] [--measure edss] [--rule RULE]
         [--confirm 12w] [--tolerance BEFORE,AFTER] [--baseline fixed|roving]
         [--no-intermediate] [--event worsening|improvement|all] [--first]
         [--unconfirmed-last] [--from-first-visit] [--relapses FILE]
         [--relapse-measure CODE] [--relapse-window DAYS] [--format FMT]

Scans each patient's EDSS course in date order (one patient, or everyone).
A visit whose EDSS differs from the reference by at least the rule's step is
a candidate; it is confirmed when the first visit CONFIRM later (within the
tolerance) still shows the change and, unless --no-intermediate, every visit
in between does too. Unconfirmed candidates are skipped.

Options:
  --rule RULE        threshold by reference EDSS (worsening):
                       threetier (default)  +1.5 from 0, +1.0 from 1.0-5.5, +0.5 from 6.0
                       twotier              +1.0 up to 5.5, +0.5 from 6.0
                       msoutcomes           +1.5 from 0, +1.0 below 6.0, +0.5 from 6.0
                       msprog               +1.5 from 0, +1.0 up to 5.0, +0.5 from 5.5
                     improvement: msprog uses the same steps; the others
                     -1.5 from <=1.5, -1.0 from <=6.0, -0.5 above (MSoutcomes)
  --confirm T        confirmation interval: 12w (default), 24w, or days (84d)
  --tolerance B,A    confirmation visit from CONFIRM-B to CONFIRM+A days
                     (default 7,730.5 as in msprog; A may be inf)
  --baseline S       fixed (default): the reference stays the first visit;
                     roving: after each confirmed event it moves to the
                     confirmation visit
  --no-intermediate  only the confirmation visit must show the change
  --event E          worsening, improvement or all (default)
  --first            only the first listed event per patient
  --unconfirmed-last count a rise at the last visit (unconfirmed) as well
  --from-first-visit start at the first visit even when the patient has an
                     index date (default: at the baseline on/before it)
  --relapses FILE    relapse onsets from a CSV with patient (or id) and date
                     columns
  --relapse-measure CODE  relapse onsets stored as values of measure CODE
                     (default: the measure "relapse" when registered; none
                     to ignore it)
  --relapse-window DAYS  visits within DAYS after a relapse are used neither
                     as reference nor as confirmation (default 30; 0 = off)
  --format FMT       table (default), csv or json (one object per line)

Columns: patient, event, date, value, baseline_date, baseline_value,
confirmed_date, confirmed_value, confirmed, relapse_associated (a relapse up
to 90 days before), threshold; csv and json add the parameters used, which
table format prints on its first line.
)",
                  Run);
COTRACK_REGISTER_COMMAND(kProgressionCommand);

}  // namespace
}  // namespace cotrack::tools

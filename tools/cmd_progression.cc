// `cotrack progression [PATIENT] --measure edss [--rule R] [--confirm 12w]
//  [--tolerance B,A] [--baseline fixed|roving] [--no-intermediate]
//  [--event worsening|improvement|all] [--format FMT]`
#include "cmd_progression.h"

#include <iostream>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "command.h"
#include "cotrack/change.h"
#include "cotrack/timepoint.h"

namespace cotrack::tools {
namespace {

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

}  // namespace

absl::StatusOr<ProgressionRequest> ParseProgressionRequest(const ParsedArgs& args) {
  ProgressionRequest request;
  if (args.positionals().size() == 1) request.patient = args.positionals()[0];
  request.measure = args.Get("measure").value_or("edss");
  if (request.measure != "edss") {
    return absl::InvalidArgumentError(
        absl::StrCat("--measure: bad value \"", request.measure,
                     "\" (the confirmation rules are defined for edss only)"));
  }
  absl::StatusOr<OutputFormat> format = ParseFormatFlag(args);
  if (!format.ok()) return format.status();
  request.format = *format;

  ProgressionOptions& o = request.options;
  if (auto v = args.Get("rule")) {
    absl::StatusOr<EdssRule> r = ParseEdssRule(*v);
    if (!r.ok()) return absl::InvalidArgumentError(absl::StrCat("--rule: ", r.status().message()));
    o.rule = *r;
  }
  if (auto v = args.Get("confirm")) {
    absl::StatusOr<int64_t> days = ParseConfirm(*v);
    if (!days.ok()) return days.status();
    o.confirm_days = *days;
  }
  if (auto v = args.Get("tolerance")) {
    if (absl::Status s = ParseTolerance(*v, o); !s.ok()) return s;
  }
  if (auto v = args.Get("baseline")) {
    if (*v == "fixed") {
      o.baseline = BaselineScheme::kFixed;
    } else if (*v == "roving") {
      o.baseline = BaselineScheme::kRoving;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--baseline: bad value \"", *v, "\" (expected fixed or roving)"));
    }
  }
  o.require_intermediate = !args.Has("no-intermediate");
  o.count_unconfirmed_last = args.Has("unconfirmed-last");
  o.from_index_date = !args.Has("from-first-visit");
  if (auto v = args.Get("relapse-window")) {
    absl::StatusOr<int64_t> days = ParseIntArg("--relapse-window", *v, 0, 36500);
    if (!days.ok()) return days.status();
    o.relapse_window_days = *days;
  }
  if (absl::Status s = ValidateProgressionOptions(o); !s.ok()) {
    return absl::InvalidArgumentError(s.message());
  }
  const std::string event = args.Get("event").value_or("all");
  if (event == "worsening") {
    request.only = ProgressionEventKind::kWorsening;
  } else if (event == "improvement") {
    request.only = ProgressionEventKind::kImprovement;
  } else if (event != "all") {
    return absl::InvalidArgumentError(absl::StrCat("--event: bad value \"", event,
                                                   "\" (expected worsening, improvement or all)"));
  }
  request.first_only = args.Has("first");
  request.relapses_file = args.Get("relapses");
  request.relapse_measure = args.Get("relapse-measure").value_or("");
  return request;
}

namespace {

constexpr char kName[] = "progression";

struct ProgressionRun {
  std::vector<ProgressionResult> results;
  std::string relapse_source;  // where relapse onsets came from, for the parameters
};

// Relapse onsets: a file, a measure, or the measure "relapse" when one is
// registered.
absl::StatusOr<RelapseDates> LoadRelapses(Database& db, const ProgressionRequest& request,
                                          std::string* source) {
  RelapseDates relapses;
  *source = "none";
  if (request.relapses_file) {
    absl::StatusOr<RelapseDates> r = ReadRelapseCsv(*request.relapses_file);
    if (!r.ok()) return r.status();
    relapses = *std::move(r);
    *source = *request.relapses_file;
  }
  std::string relapse_measure = request.relapse_measure;
  if (relapse_measure.empty() && !request.relapses_file && db.GetMeasure("relapse").ok()) {
    relapse_measure = "relapse";
  }
  if (!relapse_measure.empty() && relapse_measure != "none") {
    absl::StatusOr<RelapseDates> r = RelapseDatesFromMeasure(db, relapse_measure);
    if (!r.ok()) return r.status();
    for (auto& [id, dates] : *r) {
      relapses[id].insert(relapses[id].end(), dates.begin(), dates.end());
    }
    *source = *source == "none" ? absl::StrCat("measure ", relapse_measure)
                                : absl::StrCat(*source, " + measure ", relapse_measure);
  }
  return relapses;
}

absl::StatusOr<ProgressionRun> Execute(Database& db, const ProgressionRequest& request) {
  ProgressionRun run;
  absl::StatusOr<RelapseDates> relapses = LoadRelapses(db, request, &run.relapse_source);
  if (!relapses.ok()) return relapses.status();
  auto analyse = [&](const Patient& p, const std::vector<Observation>& traj) -> absl::Status {
    auto rel = relapses->find(p.id);
    absl::StatusOr<ProgressionResult> r = DetectEdssProgression(
        p, traj, rel == relapses->end() ? std::vector<CivilTime>{} : rel->second, request.options);
    if (!r.ok()) return r.status();
    run.results.push_back(*std::move(r));
    return absl::OkStatus();
  };
  if (request.patient) {
    absl::StatusOr<Patient> p = db.GetPatient(*request.patient);
    if (!p.ok()) return p.status();
    absl::StatusOr<std::vector<Observation>> traj =
        db.Trajectory(*request.patient, request.measure);
    if (!traj.ok()) return traj.status();
    if (absl::Status s = analyse(*p, *traj); !s.ok()) return s;
  } else if (absl::Status s = db.ForEachSeries(request.measure, analyse); !s.ok()) {
    return s;
  }
  return run;
}

int Print(const ProgressionRequest& request, const ProgressionRun& run) {
  const std::string parameters =
      absl::StrCat(DescribeProgressionOptions(request.options), " relapses=", run.relapse_source);
  Table table;
  table.columns = {"patient",        "event",
                   "date",           "value",
                   "baseline_date",  "baseline_value",
                   "confirmed_date", "confirmed_value",
                   "confirmed",      "relapse_associated",
                   "threshold"};
  if (request.format != OutputFormat::kTable) table.columns.push_back("parameters");
  int64_t events = 0;
  std::vector<std::string> no_baseline;
  for (const ProgressionResult& r : run.results) {
    if (!r.analysed) no_baseline.push_back(r.patient);
    for (const ProgressionEvent& e : r.events) {
      if (request.only && e.kind != *request.only) continue;
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
      if (request.format != OutputFormat::kTable) row.push_back(Cell::String(parameters));
      table.rows.push_back(std::move(row));
      ++events;
      if (request.first_only) break;
    }
  }
  if (request.format == OutputFormat::kTable) std::cout << "# " << parameters << "\n";
  WriteTable(table, request.format, std::cout);
  std::cerr << "cotrack: " << run.results.size() << " patient(s), " << events << " event(s); "
            << parameters << "\n";
  if (!no_baseline.empty()) {
    std::cerr << "cotrack: no EDSS on or before the index date (not analysed): "
              << absl::StrJoin(no_baseline, ", ") << "\n";
  }
  return 0;
}

int Run(const GlobalContext& ctx, const ProgressionRequest& request) {
  return RunOnDatabase(
      ctx, OpenMode::kRead, [&](Database& db) { return Execute(db, request); },
      [&](const ProgressionRun& run) { return Print(request, run); });
}

const Command kProgressionCommand =
    MakeCommand({kName,
                 "Confirmed EDSS worsening and improvement events",
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
                 Arity::Between(0, 1, "at most one PATIENT"),
                 {{"measure"},
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
                  {"format"}}},
                ParseProgressionRequest, Run);
COTRACK_REGISTER_COMMAND(kProgressionCommand);

}  // namespace
}  // namespace cotrack::tools

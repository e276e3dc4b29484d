// `cotrack progression [PATIENT] [--measure edss] [msprog's options]`: the
// options are parsed by the engine (ParseProgressionOptions), as the C ABI's.
#include "cmd_progression.h"

#include <cmath>
#include <iostream>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "command.h"
#include "cotrack/change.h"
#include "cotrack/timepoint.h"

namespace cotrack::tools {
namespace {

// The flags that ParseProgressionOptions reads, as the C ABI names them.
constexpr const char* kOptionFlags[] = {"event",
                                        "raw-pira",
                                        "baseline",
                                        "proceed-from",
                                        "sub-threshold-rebl",
                                        "relapse-rebl",
                                        "bl-geq",
                                        "skip-local-extrema",
                                        "confirm",
                                        "tolerance",
                                        "require-sust-days",
                                        "no-intermediate",
                                        "relapse-to-bl",
                                        "relapse-to-event",
                                        "relapse-to-conf",
                                        "relapse-assoc",
                                        "relapse-indep",
                                        "impute-last-visit",
                                        "unconfirmed-last",
                                        "relapse-window",
                                        "rule",
                                        "outcome",
                                        "delta",
                                        "worsening",
                                        "threshold-slack",
                                        "from-first-visit"};

constexpr const char* kBoolFlags[] = {"raw-pira",        "relapse-rebl",     "bl-geq",
                                      "no-intermediate", "unconfirmed-last", "from-first-visit"};

bool IsBoolFlag(absl::string_view name) {
  for (const char* b : kBoolFlags) {
    if (name == b) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<ProgressionRequest> ParseProgressionRequest(const ParsedArgs& args) {
  ProgressionRequest request;
  if (args.positionals().size() == 1) request.patient = args.positionals()[0];
  request.measure = args.Get("measure").value_or("edss");
  std::vector<std::pair<std::string, std::string>> pairs;
  const bool builtin_outcome = request.measure == "edss" || request.measure == "sdmt" ||
                               request.measure == "nhpt" || request.measure == "t25fw";
  // The measure picks msprog's outcome (its step rule and direction) unless
  // --outcome says otherwise.
  if (builtin_outcome && !args.Has("outcome")) pairs.push_back({"outcome", request.measure});
  if (!builtin_outcome && !args.Has("delta")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--measure ", request.measure,
        ": the step rule of a user measure must be given: --delta absolute:N or relative:P "
        "(and --worsening increase|decrease); built-in rules exist for edss, sdmt, nhpt, t25fw"));
  }
  if (!builtin_outcome && !args.Has("outcome")) pairs.push_back({"outcome", "custom"});
  absl::StatusOr<OutputFormat> format = ParseFormatFlag(args);
  if (!format.ok()) return format.status();
  request.format = *format;
  std::optional<std::string> legacy_event;
  for (const char* name : kOptionFlags) {
    if (!args.Has(name)) continue;
    if (IsBoolFlag(name) && !args.Get(name)) {
      pairs.push_back({name, ""});
      continue;
    }
    std::string value = args.Get(name).value_or("");
    if (std::string(name) == "event" &&
        (value == "worsening" || value == "improvement" || value == "all")) {
      // The older spellings: every event, filtered by kind.
      legacy_event = value;
      value = "multiple";
    }
    pairs.push_back({name, value});
  }
  if (absl::Status s = ParseProgressionOptions(pairs, &request.options, nullptr); !s.ok()) {
    return absl::InvalidArgumentError(s.message());
  }
  if (legacy_event == "worsening") request.only = ProgressionEventKind::kWorsening;
  if (legacy_event == "improvement") request.only = ProgressionEventKind::kImprovement;
  request.first_only = args.Has("first");
  request.counts = args.Has("counts");
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

// Relapses: a file, a measure, or by default the relapses stored in the
// measure "relapse" (built-in: onsets with end dates; docs/PROGRESSION.md).
absl::StatusOr<RelapseEpisodes> LoadRelapses(Database& db, const ProgressionRequest& request,
                                             std::string* source) {
  RelapseEpisodes from_file;
  if (request.relapses_file) {
    absl::StatusOr<RelapseEpisodes> r = ReadRelapseEpisodesCsv(*request.relapses_file);
    if (!r.ok()) return r.status();
    from_file = *std::move(r);
  }
  return CollectRelapses(db, request.relapses_file, std::move(from_file), request.relapse_measure,
                         source);
}

absl::StatusOr<ProgressionRun> Execute(Database& db, const ProgressionRequest& request) {
  ProgressionRun run;
  absl::StatusOr<RelapseEpisodes> relapses = LoadRelapses(db, request, &run.relapse_source);
  if (!relapses.ok()) return relapses.status();
  auto analyse = [&](const Patient& p, const std::vector<Observation>& traj) -> absl::Status {
    auto rel = relapses->find(p.id);
    absl::StatusOr<ProgressionResult> r = DetectProgression(
        p, traj, rel == relapses->end() ? std::vector<Relapse>{} : rel->second, request.options);
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

std::string DateOrEmpty(bool set, const CivilTime& t) {
  return set ? FormatCivilTime(t) : std::string();
}

int Print(const ProgressionRequest& request, const ProgressionRun& run) {
  const std::string parameters =
      absl::StrCat(DescribeProgressionOptions(request.options), " measure=", request.measure,
                   " relapses=", run.relapse_source);
  const std::vector<int64_t> periods = ConfirmPeriods(request.options);
  Table table;
  if (request.counts) {
    table.columns = {"patient", "event_sequence", "CDW", "CDI", "RAW", "PIRA", "total_fu"};
  } else {
    table.columns = {"patient",
                     "nevent",
                     "event",
                     "type",
                     "date",
                     "value",
                     "baseline_date",
                     "baseline_value",
                     "last_delta_date",
                     "last_delta_value",
                     "confirmed_date",
                     "confirmed_value"};
    for (int64_t p : periods) {
      table.columns.push_back(absl::StrCat("conf", p, "_date"));
      table.columns.push_back(absl::StrCat("conf", p, "_value"));
      table.columns.push_back(absl::StrCat("PIRA_conf", p, "_date"));
      table.columns.push_back(absl::StrCat("PIRA_conf", p, "_value"));
    }
    for (const char* c : {"time2event", "bl2event", "sust_days", "sust_last", "confirmed",
                          "relapse_associated", "threshold"}) {
      table.columns.push_back(c);
    }
  }
  if (request.format != OutputFormat::kTable) table.columns.push_back("parameters");
  int64_t events = 0;
  for (const ProgressionResult& r : run.results) {
    if (request.counts) {
      std::vector<Cell> row = {
          Cell::String(r.patient),        Cell::String(ProgressionEventSequence(r)),
          Cell::Integer(r.cdw),           Cell::Integer(r.cdi),
          Cell::Integer(r.raw),           Cell::Integer(r.pira),
          Cell::Integer(r.follow_up_days)};
      if (request.format != OutputFormat::kTable) row.push_back(Cell::String(parameters));
      table.rows.push_back(std::move(row));
      events += static_cast<int64_t>(r.events.size());
      continue;
    }
    for (const ProgressionEvent& e : r.events) {
      if (request.only && e.kind != *request.only) continue;
      const bool cdw = e.kind == ProgressionEventKind::kWorsening;
      std::vector<Cell> row = {Cell::String(e.patient),
                               Cell::Integer(e.nevent),
                               Cell::String(cdw ? "CDW" : "CDI"),
                               Cell::String(CdwTypeName(e.type)),
                               Cell::String(FormatCivilTime(e.date)),
                               Cell::Number(e.value),
                               Cell::String(FormatCivilTime(e.baseline_date)),
                               Cell::Number(e.baseline_value),
                               Cell::String(FormatCivilTime(e.last_delta_date)),
                               Cell::Number(e.last_delta_value),
                               Cell::String(DateOrEmpty(e.confirmed, e.confirmed_date)),
                               Cell::Number(e.confirmed ? e.confirmed_value : NAN)};
      for (size_t k = 0; k < periods.size(); ++k) {
        const ProgressionConfirmation* c =
            k < e.confirmations.size() ? &e.confirmations[k] : nullptr;
        const bool conf = c != nullptr && c->confirmed;
        const bool pira = c != nullptr && c->pira_confirmed;
        row.push_back(Cell::StringOrNull(DateOrEmpty(conf, conf ? c->date : CivilTime())));
        row.push_back(Cell::Number(conf ? c->value : NAN));
        row.push_back(Cell::StringOrNull(DateOrEmpty(pira, pira ? c->pira_date : CivilTime())));
        row.push_back(Cell::Number(pira ? c->pira_value : NAN));
      }
      row.push_back(Cell::Integer(e.time_to_event_days));
      row.push_back(Cell::Integer(e.baseline_to_event_days));
      row.push_back(Cell::Integer(e.sustained_days));
      row.push_back(Cell::Bool(e.sustained_to_last));
      row.push_back(Cell::Bool(e.confirmed));
      row.push_back(Cell::Bool(e.relapse_associated));
      row.push_back(Cell::Number(e.threshold));
      if (request.format != OutputFormat::kTable) row.push_back(Cell::String(parameters));
      table.rows.push_back(std::move(row));
      ++events;
      if (request.first_only) break;
    }
  }
  if (request.format == OutputFormat::kTable) std::cout << "# " << parameters << "\n";
  WriteTable(table, request.format, std::cout);
  for (const std::string& note : ProgressionNotes(run.results, events, parameters)) {
    std::cerr << "cotrack: " << note << "\n";
  }
  return 0;
}

int Run(const GlobalContext& ctx, const ProgressionRequest& request) {
  return RunOnDatabase(
      ctx, OpenMode::kRead, [&](Database& db) { return Execute(db, request); },
      [&](const ProgressionRun& run) { return Print(request, run); });
}

}  // namespace

std::vector<FlagSpec> WithProgressionOptionFlags(std::vector<FlagSpec> flags) {
  static const std::vector<FlagSpec> options = {{"event"},
                                                {"raw-pira", FlagSpec::kBool},
                                                {"baseline"},
                                                {"proceed-from"},
                                                {"sub-threshold-rebl"},
                                                {"relapse-rebl", FlagSpec::kBool},
                                                {"bl-geq", FlagSpec::kBool},
                                                {"skip-local-extrema"},
                                                {"confirm"},
                                                {"tolerance"},
                                                {"require-sust-days"},
                                                {"no-intermediate", FlagSpec::kBool},
                                                {"relapse-to-bl"},
                                                {"relapse-to-event"},
                                                {"relapse-to-conf"},
                                                {"relapse-assoc"},
                                                {"relapse-indep"},
                                                {"impute-last-visit"},
                                                {"outcome"},
                                                {"delta"},
                                                {"worsening"},
                                                {"threshold-slack"},
                                                {"rule"},
                                                {"unconfirmed-last", FlagSpec::kBool},
                                                {"from-first-visit", FlagSpec::kBool},
                                                {"relapses"},
                                                {"relapse-measure"},
                                                {"relapse-window"}};
  flags.insert(flags.end(), options.begin(), options.end());
  return flags;
}

namespace {

const Command kProgressionCommand = MakeCommand(
    {kName, "Confirmed disability worsening (CDW, RAW, PIRA) and improvement, as msprog",
     R"(Usage: cotrack progression [PATIENT] [--measure edss|sdmt|nhpt|t25fw|CODE]
         [--event firstCDW|firstCDI|multiple|firstPIRA|firstRAW|first]
         [--raw-pira] [--baseline fixed|roving|roving_impr|roving_wors]
         [--proceed-from firstconf|event]
         [--sub-threshold-rebl none|change|improvement|worsening]
         [--relapse-rebl] [--bl-geq] [--skip-local-extrema none|strict|all]
         [--confirm 12w[,24w...]] [--tolerance BEFORE,AFTER]
         [--require-sust-days N|inf] [--no-intermediate]
         [--relapse-to-bl L[,N]] [--relapse-to-event L[,N]]
         [--relapse-to-conf L[,N]] [--relapse-assoc L[,N]]
         [--relapse-indep p0,p1,e0,e1,c0,c1[,PREC]] [--impute-last-visit 1|N]
         [--outcome O] [--delta RULE] [--worsening increase|decrease]
         [--threshold-slack S]
         [--rule RULE] [--from-first-visit] [--relapses FILE]
         [--relapse-measure CODE] [--first] [--counts] [--format FMT]

Scans each patient's course in date order (one patient, or everyone) with
msprog's sequential algorithm (Montobbio et al. 2024); the options carry
msprog's names and defaults (MSprog() arguments with - for _).

Options:
  --measure M        edss (default), sdmt, nhpt, t25fw: msprog's outcome and
                     step rule; any other measure needs --delta
  --event E          firstCDW (default), firstCDI, multiple, firstPIRA,
                     firstRAW, first. Older spellings: all (= multiple),
                     worsening / improvement (= multiple, one kind shown)
  --raw-pira         classify each CDW as RAW, PIRA or undefined
                     (always on for firstPIRA/firstRAW)
  --baseline S       fixed (default); roving (moves after every confirmed
                     event); roving_impr (after CDI); roving_wors (after CDW)
  --proceed-from P   firstconf (default) or event: where the search and a
                     roving baseline go after a confirmed event
  --sub-threshold-rebl S  none (default), change, improvement, worsening:
                     confirmed changes below the step that move a roving
                     baseline
  --relapse-rebl     re-baseline after every relapse
  --bl-geq           with --relapse-rebl: a new reference is never lower
  --skip-local-extrema S  none (default), strict, all
  --confirm T        confirmation period(s): 12w (default), 24w, 84d, or
                     several (12w,24w: confirmed at either)
  --tolerance B,A    confirmation visit from T-B to T+A days (default
                     7,730.5; one value for both; A may be inf)
  --require-sust-days N  the change must hold N days (inf: to the last visit)
  --no-intermediate  only the confirmation visit must show the change
  --relapse-to-bl L[,N]    baseline at least L days after the last relapse
                     onset (and N before the next); default 30
  --relapse-to-event L[,N] the same for the event; default 0
  --relapse-to-conf L[,N]  the same for confirmation visits; default 30
  --relapse-assoc L[,N]    a CDW at most L days after (N before) a relapse
                     is RAW; default 90
  --relapse-indep p0,p1,e0,e1,c0,c1[,baseline|last|last_delta]
                     relapse-free windows for PIRA around the preceding
                     visit, the event, the confirmation (null = open bound);
                     default 0,0,90,30,90,30 (Mueller 2023)
  --impute-last-visit 1|N  count a worsening at the last visit (no
                     confirmation possible): 1 always, N > 1 within N days
                     of follow-up; 0 never (default). msprog's random
                     imputation with 0 < p < 1 is not supported
  --outcome O        edss, sdmt, nhpt, t25fw or custom (default: --measure)
  --delta RULE       step rule: absolute:N, relative:P or relative:P:MAX
                     (percent of the reference, at most MAX)
  --worsening W      increase or decrease, for a custom outcome
  --threshold-slack S  a change counts from step - S (default 1e-9, so that
                     6.5 -> 5.2 is 20 %); 0 = msprog's exact comparisons
  --rule RULE        EDSS steps: threetier (default), twotier, msoutcomes,
                     msprog (= msprog's compute_delta: +1.5 from 0, +1.0
                     up to 5.0, +0.5 from 5.5)
  --from-first-visit start at the first visit even when the patient has an
                     index date (default: at the baseline on/before it)
  --relapses FILE    relapse onsets from a CSV with patient (or id) and date
                     columns, and optionally end_date (msprog's renddate_col)
  --relapse-measure CODE  relapse onsets stored as values of measure CODE
                     (default: the relapses stored in the built-in measure
                     "relapse" by `cotrack import relapses.csv`, with their
                     end dates; none to ignore them)
  --unconfirmed-last, --relapse-window DAYS  older spellings of
                     --impute-last-visit and --relapse-to-bl/--relapse-to-conf
  --first            only the first listed event per patient
  --counts           per-patient event counts instead of the events
  --format FMT       table (default), csv or json (one object per line)

Columns: patient, nevent, event (CDW|CDI), type (RAW|PIRA|undefined, CDW
only), date, value, baseline_date, baseline_value, last_delta_date/value,
confirmed_date/value, conf<DAYS>_date/value and PIRA_conf<DAYS>_date/value
per period, time2event (days from the first visit), bl2event, sust_days,
sust_last, confirmed, relapse_associated, threshold. --counts: patient,
event_sequence, CDW, CDI, RAW, PIRA, total_fu. csv and json add the full
settings (parameters), which table format prints on its first line.
)",
     Arity::Between(0, 1, "at most one PATIENT"),
     WithProgressionOptionFlags(
         {{"measure"}, {"first", FlagSpec::kBool}, {"counts", FlagSpec::kBool}, {"format"}})},
    ParseProgressionRequest, Run);
COTRACK_REGISTER_COMMAND(kProgressionCommand);

}  // namespace
}  // namespace cotrack::tools

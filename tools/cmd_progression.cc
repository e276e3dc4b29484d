// `cotrack progression [PATIENT] [--measure edss] [msprog's options]`: the
// options are parsed by the engine (ParseProgressionOptions), as the C ABI's.
#include "cmd_progression.h"

#include <iostream>
#include <utility>
#include <vector>

#include "command.h"

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
  NamedOptions options;
  for (const char* name : {"measure", "relapses", "relapse-measure", "first", "counts"}) {
    if (args.Has(name)) options.push_back({name, args.Get(name).value_or("")});
  }
  for (const char* name : kOptionFlags) {
    if (!args.Has(name)) continue;
    options.push_back({name, IsBoolFlag(name) ? "" : args.Get(name).value_or("")});
  }
  // The order users have always seen: --measure, then --format, then the
  // options.
  if (absl::Status s =
          CheckProgressionStepRule(args.Get("measure").value_or("edss"), args.Has("delta"));
      !s.ok()) {
    return s;
  }
  absl::StatusOr<OutputFormat> format = ParseFormatFlag(args);
  if (!format.ok()) return format.status();
  request.format = *format;
  absl::StatusOr<ProgressionQuery> query = ParseProgressionQuery(options);
  if (!query.ok()) return absl::InvalidArgumentError(query.status().message());
  static_cast<ProgressionQuery&>(request) = *std::move(query);
  return request;
}

namespace {

constexpr char kName[] = "progression";

absl::StatusOr<ProgressionRun> Execute(Database& db, const ProgressionRequest& request) {
  RelapseEpisodes from_file;
  if (request.relapses_file) {
    absl::StatusOr<RelapseEpisodes> r = ReadRelapseEpisodesCsv(*request.relapses_file);
    if (!r.ok()) return r.status();
    from_file = *std::move(r);
  }
  return RunProgression(db, request, request.patient, std::move(from_file));
}

int Print(const ProgressionRequest& request, const ProgressionRun& run) {
  ResultTable result = ProgressionTable(request, run);
  // The settings line is a column of csv and json, a heading of the table.
  if (request.format == OutputFormat::kTable) {
    result.columns.pop_back();
    std::cout << "# " << ProgressionParameters(request, run) << "\n";
  }
  WriteTable(FromResultTable(result), request.format, std::cout);
  for (const std::string& note : result.notes) std::cerr << "cotrack: " << note << "\n";
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

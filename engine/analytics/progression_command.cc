// `cotrack progression` as a whole (cotrack/progression.h): the one place
// that turns its options into a query and its results into rows, for the
// command line and the C ABI alike.
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cotrack/database.h"
#include "cotrack/progression.h"

namespace cotrack {
namespace {

bool BuiltinOutcome(const std::string& measure) {
  return measure == "edss" || measure == "sdmt" || measure == "nhpt" || measure == "t25fw";
}

std::string DateOrEmpty(bool set, const CivilTime& t) {
  return set ? FormatCivilTime(t) : std::string();
}

using Type = ResultColumn::Type;

ResultTable CountsTable(const ProgressionRun& run, const std::string& parameters) {
  ResultTable t;
  t.rows = run.results.size();
  t.columns.reserve(8);  // the references below must stay valid
  auto& patient = t.AddColumn("patient", Type::kString);
  auto& sequence = t.AddColumn("event_sequence", Type::kString);
  auto& cdw = t.AddColumn("CDW", Type::kInteger);
  auto& cdi = t.AddColumn("CDI", Type::kInteger);
  auto& raw = t.AddColumn("RAW", Type::kInteger);
  auto& pira = t.AddColumn("PIRA", Type::kInteger);
  auto& total_fu = t.AddColumn("total_fu", Type::kInteger);
  auto& params = t.AddColumn("parameters", Type::kString);
  for (const ProgressionResult& r : run.results) {
    patient.strings.push_back(r.patient);
    sequence.strings.push_back(ProgressionEventSequence(r));
    cdw.integers.push_back(r.cdw);
    cdi.integers.push_back(r.cdi);
    raw.integers.push_back(r.raw);
    pira.integers.push_back(r.pira);
    total_fu.integers.push_back(r.follow_up_days);
    params.strings.push_back(parameters);
  }
  return t;
}

ResultTable EventTable(const ProgressionQuery& query, const ProgressionRun& run,
                       const std::string& parameters) {
  const std::vector<int64_t> periods = ConfirmPeriods(query.options);
  std::vector<const ProgressionEvent*> events;
  for (const ProgressionResult& r : run.results) {
    for (const ProgressionEvent& e : r.events) {
      if (query.only && e.kind != *query.only) continue;
      events.push_back(&e);
      if (query.first_only) break;
    }
  }
  ResultTable t;
  t.rows = events.size();
  t.columns.reserve(20 + 4 * periods.size());  // the references below must stay valid
  auto& patient = t.AddColumn("patient", Type::kString);
  auto& nevent = t.AddColumn("nevent", Type::kInteger);
  auto& event = t.AddColumn("event", Type::kString);
  auto& type = t.AddColumn("type", Type::kString);
  auto& date = t.AddColumn("date", Type::kString);
  auto& value = t.AddColumn("value", Type::kNumber);
  auto& bl_date = t.AddColumn("baseline_date", Type::kString);
  auto& bl_value = t.AddColumn("baseline_value", Type::kNumber);
  auto& ld_date = t.AddColumn("last_delta_date", Type::kString);
  auto& ld_value = t.AddColumn("last_delta_value", Type::kNumber);
  auto& conf_date = t.AddColumn("confirmed_date", Type::kString);
  auto& conf_value = t.AddColumn("confirmed_value", Type::kNumber);
  for (const ProgressionEvent* e : events) {
    patient.strings.push_back(e->patient);
    nevent.integers.push_back(e->nevent);
    event.strings.push_back(e->kind == ProgressionEventKind::kWorsening ? "CDW" : "CDI");
    type.strings.push_back(CdwTypeName(e->type));
    date.strings.push_back(FormatCivilTime(e->date));
    value.numbers.push_back(e->value);
    bl_date.strings.push_back(FormatCivilTime(e->baseline_date));
    bl_value.numbers.push_back(e->baseline_value);
    ld_date.strings.push_back(FormatCivilTime(e->last_delta_date));
    ld_value.numbers.push_back(e->last_delta_value);
    // An event imputed at the last visit (impute-last-visit) is not
    // confirmed: no confirmation date or value.
    conf_date.strings.push_back(DateOrEmpty(e->confirmed, e->confirmed_date));
    conf_value.numbers.push_back(e->confirmed ? e->confirmed_value : NAN);
  }
  for (size_t k = 0; k < periods.size(); ++k) {
    const int64_t period = periods[k];
    auto& c_date = t.AddColumn(absl::StrCat("conf", period, "_date"), Type::kStringOrNull);
    auto& c_value = t.AddColumn(absl::StrCat("conf", period, "_value"), Type::kNumber);
    auto& p_date = t.AddColumn(absl::StrCat("PIRA_conf", period, "_date"), Type::kStringOrNull);
    auto& p_value = t.AddColumn(absl::StrCat("PIRA_conf", period, "_value"), Type::kNumber);
    for (const ProgressionEvent* e : events) {
      const ProgressionConfirmation* c =
          k < e->confirmations.size() ? &e->confirmations[k] : nullptr;
      const bool conf = c != nullptr && c->confirmed;
      const bool pira = c != nullptr && c->pira_confirmed;
      c_date.strings.push_back(DateOrEmpty(conf, conf ? c->date : CivilTime()));
      c_value.numbers.push_back(conf ? c->value : NAN);
      p_date.strings.push_back(DateOrEmpty(pira, pira ? c->pira_date : CivilTime()));
      p_value.numbers.push_back(pira ? c->pira_value : NAN);
    }
  }
  auto& t2e = t.AddColumn("time2event", Type::kInteger);
  auto& bl2e = t.AddColumn("bl2event", Type::kInteger);
  auto& sust = t.AddColumn("sust_days", Type::kInteger);
  auto& sust_last = t.AddColumn("sust_last", Type::kBool);
  auto& confirmed = t.AddColumn("confirmed", Type::kBool);
  auto& assoc = t.AddColumn("relapse_associated", Type::kBool);
  auto& threshold = t.AddColumn("threshold", Type::kNumber);
  auto& params = t.AddColumn("parameters", Type::kString);
  for (const ProgressionEvent* e : events) {
    t2e.integers.push_back(e->time_to_event_days);
    bl2e.integers.push_back(e->baseline_to_event_days);
    sust.integers.push_back(e->sustained_days);
    sust_last.integers.push_back(e->sustained_to_last ? 1 : 0);
    confirmed.integers.push_back(e->confirmed ? 1 : 0);
    assoc.integers.push_back(e->relapse_associated ? 1 : 0);
    threshold.numbers.push_back(e->threshold);
    params.strings.push_back(parameters);
  }
  return t;
}

}  // namespace

absl::Status CheckProgressionStepRule(const std::string& measure, bool delta_given) {
  if (BuiltinOutcome(measure) || delta_given) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "--measure ", measure,
      ": the step rule of a user measure must be given: --delta absolute:N or relative:P "
      "(and --worsening increase|decrease); built-in rules exist for edss, sdmt, nhpt, t25fw"));
}

absl::StatusOr<ProgressionQuery> ParseProgressionQuery(const NamedOptions& options) {
  ProgressionQuery q;
  NamedOptions pairs;
  bool outcome = false, delta = false;
  for (const auto& [name, value] : options) {
    if (name == "measure") {
      q.measure = value;
    } else if (name == "relapses") {
      q.relapses_file = value;
    } else if (name == "relapse-measure") {
      q.relapse_measure = value;
    } else if (name == "first") {
      q.first_only = true;
    } else if (name == "counts") {
      q.counts = true;
    } else if (name == "event" &&
               (value == "worsening" || value == "improvement" || value == "all")) {
      if (value == "worsening") q.only = ProgressionEventKind::kWorsening;
      if (value == "improvement") q.only = ProgressionEventKind::kImprovement;
      pairs.push_back({name, "multiple"});
    } else {
      outcome = outcome || name == "outcome";
      delta = delta || name == "delta";
      pairs.push_back({name, value});
    }
  }
  if (absl::Status s = CheckProgressionStepRule(q.measure, delta); !s.ok()) return s;
  const bool builtin = BuiltinOutcome(q.measure);
  // First, so that an explicit outcome overrides it.
  if (!outcome) pairs.insert(pairs.begin(), {"outcome", builtin ? q.measure : "custom"});
  if (absl::Status s = ParseProgressionOptions(pairs, &q.options, nullptr); !s.ok()) return s;
  return q;
}

absl::StatusOr<ProgressionRun> RunProgression(Database& db, const ProgressionQuery& query,
                                              const std::optional<std::string>& patient,
                                              RelapseEpisodes file_relapses) {
  ProgressionRun run;
  absl::StatusOr<RelapseEpisodes> relapses =
      CollectRelapses(db, query.relapses_file, std::move(file_relapses), query.relapse_measure,
                      &run.relapse_source);
  if (!relapses.ok()) return relapses.status();
  auto analyse = [&](const Patient& p, const std::vector<Observation>& traj) -> absl::Status {
    auto rel = relapses->find(p.id);
    absl::StatusOr<ProgressionResult> r = DetectProgression(
        p, traj, rel == relapses->end() ? std::vector<Relapse>{} : rel->second, query.options);
    if (!r.ok()) return r.status();
    run.results.push_back(*std::move(r));
    return absl::OkStatus();
  };
  if (patient) {
    absl::StatusOr<Patient> p = db.GetPatient(*patient);
    if (!p.ok()) return p.status();
    absl::StatusOr<std::vector<Observation>> traj = db.Trajectory(*patient, query.measure);
    if (!traj.ok()) return traj.status();
    if (absl::Status s = analyse(*p, *traj); !s.ok()) return s;
  } else if (absl::Status s = db.ForEachSeries(query.measure, analyse); !s.ok()) {
    return s;
  }
  return run;
}

std::string ProgressionParameters(const ProgressionQuery& query, const ProgressionRun& run) {
  return absl::StrCat(DescribeProgressionOptions(query.options), " measure=", query.measure,
                      " relapses=", run.relapse_source);
}

ResultTable ProgressionTable(const ProgressionQuery& query, const ProgressionRun& run) {
  const std::string parameters = ProgressionParameters(query, run);
  ResultTable t = query.counts ? CountsTable(run, parameters) : EventTable(query, run, parameters);
  // The events shown, or with counts every event of every patient.
  int64_t events = static_cast<int64_t>(t.rows);
  if (query.counts) {
    events = 0;
    for (const ProgressionResult& r : run.results) events += static_cast<int64_t>(r.events.size());
  }
  t.notes = ProgressionNotes(run.results, events, parameters);
  return t;
}

}  // namespace cotrack

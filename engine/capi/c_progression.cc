// cotrack_progression (cotrack/c.h): `cotrack progression` through the C
// ABI. Options go through ParseProgressionOptions, as on the command line.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "capi/handles.h"
#include "capi/table.h"
#include "cotrack/analytics.h"
#include "cotrack/c.h"
#include "cotrack/progression.h"

namespace cotrack::capi {
namespace {

// Fail and Report: capi/handles.h.

struct Request {
  std::string measure = "edss";
  std::string relapses_file;
  std::string relapse_measure;
  ProgressionOptions options;
  // As the command's --first, --counts and older --event spellings.
  bool first_only = false;
  bool counts = false;
  std::optional<ProgressionEventKind> only;
};

absl::StatusOr<Request> ParseRequest(const char* const* names, const char* const* values,
                                     size_t count) {
  if (count > 0 && (names == nullptr || values == nullptr)) {
    return absl::InvalidArgumentError("option_names and option_values must not be NULL");
  }
  std::vector<std::pair<std::string, std::string>> pairs, rest;
  Request r;
  bool outcome = false, delta = false;
  for (size_t i = 0; i < count; ++i) {
    if (names[i] == nullptr || values[i] == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("option ", i, ": NULL name or value"));
    }
    const std::string name = names[i];
    if (name == "measure") {
      r.measure = values[i];
    } else if (name == "relapses") {
      r.relapses_file = values[i];
    } else if (name == "relapse-measure") {
      r.relapse_measure = values[i];
    } else if (name == "first") {
      r.first_only = true;
    } else if (name == "counts") {
      r.counts = true;
    } else if (name == "event" &&
               (std::strcmp(values[i], "worsening") == 0 ||
                std::strcmp(values[i], "improvement") == 0 || std::strcmp(values[i], "all") == 0)) {
      // The older spellings: every event, filtered by kind.
      if (std::strcmp(values[i], "worsening") == 0) r.only = ProgressionEventKind::kWorsening;
      if (std::strcmp(values[i], "improvement") == 0) r.only = ProgressionEventKind::kImprovement;
      pairs.push_back({name, "multiple"});
    } else {
      outcome = outcome || name == "outcome";
      delta = delta || name == "delta";
      pairs.push_back({name, values[i]});
    }
  }
  // As `cotrack progression`: the measure picks msprog's outcome.
  const bool builtin =
      r.measure == "edss" || r.measure == "sdmt" || r.measure == "nhpt" || r.measure == "t25fw";
  if (!builtin && !delta) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--measure ", r.measure,
        ": the step rule of a user measure must be given: --delta absolute:N or relative:P "
        "(and --worsening increase|decrease); built-in rules exist for edss, sdmt, nhpt, t25fw"));
  }
  if (!outcome) pairs.insert(pairs.begin(), {"outcome", builtin ? r.measure : "custom"});
  absl::Status s = ParseProgressionOptions(pairs, &r.options, nullptr);
  if (!s.ok()) return s;
  return r;
}

absl::StatusOr<RelapseEpisodes> LoadRelapses(Database& db, const Request& r, std::string* source) {
  std::optional<std::string> file;
  RelapseEpisodes from_file;
  if (!r.relapses_file.empty()) {
    file = r.relapses_file;
    absl::StatusOr<RelapseEpisodes> read = ReadRelapseEpisodesCsv(r.relapses_file);
    if (!read.ok()) return read.status();
    from_file = *std::move(read);
  }
  return CollectRelapses(db, file, std::move(from_file), r.relapse_measure, source);
}

void AppendInt(cotrack_table_t::Column& c, int64_t v) { c.ints.push_back(v); }

// The table of `cotrack progression --format csv`: the same columns in the
// same order, the same empty dates and undefined (NaN) values.
cotrack_table_t EventTable(const std::vector<ProgressionResult>& results, const Request& request,
                           const std::string& parameters) {
  const std::vector<int64_t> periods = ConfirmPeriods(request.options);
  std::vector<const ProgressionEvent*> events;
  for (const ProgressionResult& r : results) {
    for (const ProgressionEvent& e : r.events) {
      if (request.only && e.kind != *request.only) continue;
      events.push_back(&e);
      if (request.first_only) break;
    }
  }
  cotrack_table_t t;
  t.rows = events.size();
  t.columns.reserve(20 + 4 * periods.size());
  auto& patient = AddColumn(t, "patient", COTRACK_COLUMN_STRING);
  auto& nevent = AddColumn(t, "nevent", COTRACK_COLUMN_INT64);
  auto& event = AddColumn(t, "event", COTRACK_COLUMN_STRING);
  auto& type = AddColumn(t, "type", COTRACK_COLUMN_STRING);
  auto& date = AddColumn(t, "date", COTRACK_COLUMN_STRING);
  auto& value = AddColumn(t, "value", COTRACK_COLUMN_DOUBLE);
  auto& bl_date = AddColumn(t, "baseline_date", COTRACK_COLUMN_STRING);
  auto& bl_value = AddColumn(t, "baseline_value", COTRACK_COLUMN_DOUBLE);
  auto& ld_date = AddColumn(t, "last_delta_date", COTRACK_COLUMN_STRING);
  auto& ld_value = AddColumn(t, "last_delta_value", COTRACK_COLUMN_DOUBLE);
  auto& conf_date = AddColumn(t, "confirmed_date", COTRACK_COLUMN_STRING);
  auto& conf_value = AddColumn(t, "confirmed_value", COTRACK_COLUMN_DOUBLE);
  for (const ProgressionEvent* e : events) {
    AppendString(patient, e->patient);
    AppendInt(nevent, e->nevent);
    AppendString(event, e->kind == ProgressionEventKind::kWorsening ? "CDW" : "CDI");
    AppendString(type, CdwTypeName(e->type));
    AppendTime(date, e->date);
    value.doubles.push_back(e->value);
    AppendTime(bl_date, e->baseline_date);
    bl_value.doubles.push_back(e->baseline_value);
    AppendTime(ld_date, e->last_delta_date);
    ld_value.doubles.push_back(e->last_delta_value);
    // An event imputed at the last visit (impute-last-visit) is not
    // confirmed: no confirmation date or value, as on the command line.
    AppendString(conf_date, e->confirmed ? FormatCivilTime(e->confirmed_date) : std::string());
    conf_value.doubles.push_back(e->confirmed ? e->confirmed_value : NAN);
  }
  for (size_t k = 0; k < periods.size(); ++k) {
    auto& c_date = AddColumn(t, absl::StrCat("conf", periods[k], "_date"), COTRACK_COLUMN_STRING);
    auto& c_value = AddColumn(t, absl::StrCat("conf", periods[k], "_value"), COTRACK_COLUMN_DOUBLE);
    auto& p_date =
        AddColumn(t, absl::StrCat("PIRA_conf", periods[k], "_date"), COTRACK_COLUMN_STRING);
    auto& p_value =
        AddColumn(t, absl::StrCat("PIRA_conf", periods[k], "_value"), COTRACK_COLUMN_DOUBLE);
    for (const ProgressionEvent* e : events) {
      const ProgressionConfirmation* c =
          k < e->confirmations.size() ? &e->confirmations[k] : nullptr;
      const bool conf = c != nullptr && c->confirmed;
      const bool pira = c != nullptr && c->pira_confirmed;
      AppendString(c_date, conf ? FormatCivilTime(c->date) : std::string());
      c_value.doubles.push_back(conf ? c->value : NAN);
      AppendString(p_date, pira ? FormatCivilTime(c->pira_date) : std::string());
      p_value.doubles.push_back(pira ? c->pira_value : NAN);
    }
  }
  auto& t2e = AddColumn(t, "time2event", COTRACK_COLUMN_INT64);
  auto& bl2e = AddColumn(t, "bl2event", COTRACK_COLUMN_INT64);
  auto& sust = AddColumn(t, "sust_days", COTRACK_COLUMN_INT64);
  auto& sust_last = AddColumn(t, "sust_last", COTRACK_COLUMN_INT64);
  auto& confirmed = AddColumn(t, "confirmed", COTRACK_COLUMN_INT64);
  auto& assoc = AddColumn(t, "relapse_associated", COTRACK_COLUMN_INT64);
  auto& threshold = AddColumn(t, "threshold", COTRACK_COLUMN_DOUBLE);
  auto& params = AddColumn(t, "parameters", COTRACK_COLUMN_STRING);
  for (const ProgressionEvent* e : events) {
    AppendInt(t2e, e->time_to_event_days);
    AppendInt(bl2e, e->baseline_to_event_days);
    AppendInt(sust, e->sustained_days);
    AppendInt(sust_last, e->sustained_to_last ? 1 : 0);
    AppendInt(confirmed, e->confirmed ? 1 : 0);
    AppendInt(assoc, e->relapse_associated ? 1 : 0);
    threshold.doubles.push_back(e->threshold);
    AppendString(params, parameters);
  }
  return t;
}

// The table of `cotrack progression --counts`: one row per patient.
cotrack_table_t CountsTable(const std::vector<ProgressionResult>& results,
                            const std::string& parameters) {
  cotrack_table_t t;
  t.rows = results.size();
  t.columns.reserve(8);  // the references below must stay valid
  auto& patient = AddColumn(t, "patient", COTRACK_COLUMN_STRING);
  auto& sequence = AddColumn(t, "event_sequence", COTRACK_COLUMN_STRING);
  auto& cdw = AddColumn(t, "CDW", COTRACK_COLUMN_INT64);
  auto& cdi = AddColumn(t, "CDI", COTRACK_COLUMN_INT64);
  auto& raw = AddColumn(t, "RAW", COTRACK_COLUMN_INT64);
  auto& pira = AddColumn(t, "PIRA", COTRACK_COLUMN_INT64);
  auto& total_fu = AddColumn(t, "total_fu", COTRACK_COLUMN_INT64);
  auto& params = AddColumn(t, "parameters", COTRACK_COLUMN_STRING);
  for (const ProgressionResult& r : results) {
    AppendString(patient, r.patient);
    AppendString(sequence, ProgressionEventSequence(r));
    AppendInt(cdw, r.cdw);
    AppendInt(cdi, r.cdi);
    AppendInt(raw, r.raw);
    AppendInt(pira, r.pira);
    AppendInt(total_fu, r.follow_up_days);
    AppendString(params, parameters);
  }
  return t;
}

}  // namespace
}  // namespace cotrack::capi

int cotrack_progression(cotrack_db_t* db, const char* patient, const char* const* option_names,
                        const char* const* option_values, size_t option_count,
                        cotrack_table_t** out, char** err) {
  using namespace cotrack;
  using namespace cotrack::capi;
  try {
    if (err != nullptr) *err = nullptr;
    if (out == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"out\" is NULL");
    *out = nullptr;
    Database* database = DatabaseOf(db);
    if (database == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"db\" is NULL or closed");
    }
    absl::StatusOr<Request> request = ParseRequest(option_names, option_values, option_count);
    if (!request.ok()) return Report(err, request.status());
    std::string relapse_source;
    absl::StatusOr<RelapseEpisodes> relapses = LoadRelapses(*database, *request, &relapse_source);
    if (!relapses.ok()) return Report(err, relapses.status());
    std::vector<ProgressionResult> results;
    auto analyse = [&](const Patient& p, const std::vector<Observation>& traj) -> absl::Status {
      auto rel = relapses->find(p.id);
      absl::StatusOr<ProgressionResult> r = DetectProgression(
          p, traj, rel == relapses->end() ? std::vector<Relapse>{} : rel->second, request->options);
      if (!r.ok()) return r.status();
      results.push_back(*std::move(r));
      return absl::OkStatus();
    };
    if (patient != nullptr) {
      absl::StatusOr<Patient> p = database->GetPatient(patient);
      if (!p.ok()) return Report(err, p.status());
      absl::StatusOr<std::vector<Observation>> traj =
          database->Trajectory(patient, request->measure);
      if (!traj.ok()) return Report(err, traj.status());
      if (absl::Status s = analyse(*p, *traj); !s.ok()) return Report(err, s);
    } else if (absl::Status s = database->ForEachSeries(request->measure, analyse); !s.ok()) {
      return Report(err, s);
    }
    const std::string parameters =
        absl::StrCat(DescribeProgressionOptions(request->options), " measure=", request->measure,
                     " relapses=", relapse_source);
    cotrack_table_t table = request->counts ? CountsTable(results, parameters)
                                            : EventTable(results, *request, parameters);
    // The command counts the events it shows (per patient with --counts).
    int64_t events = 0;
    if (request->counts) {
      for (const ProgressionResult& r : results) events += static_cast<int64_t>(r.events.size());
    } else {
      events = static_cast<int64_t>(table.rows);
    }
    SetNotes(table, ProgressionNotes(results, events, parameters));
    *out = new cotrack_table_t(std::move(table));
    return COTRACK_OK;
  } catch (const std::bad_alloc&) {
    return Fail(err, COTRACK_RESOURCE_EXHAUSTED, "out of memory");
  } catch (...) {
    return Fail(err, COTRACK_INTERNAL, "internal error in cotrack_progression");
  }
}

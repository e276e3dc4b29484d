// cotrack_progression (cotrack/c.h): `cotrack progression` through the C
// ABI. Options go through ParseProgressionOptions, as on the command line.
#include <cstdlib>
#include <cstring>
#include <memory>
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

absl::StatusOr<RelapseEpisodes> LoadRelapses(Database& db, const Request& r) {
  std::optional<std::string> file;
  RelapseEpisodes from_file;
  if (!r.relapses_file.empty()) {
    file = r.relapses_file;
    absl::StatusOr<RelapseEpisodes> read = ReadRelapseEpisodesCsv(r.relapses_file);
    if (!read.ok()) return read.status();
    from_file = *std::move(read);
  }
  return CollectRelapses(db, file, std::move(from_file), r.relapse_measure, nullptr);
}

void AppendInt(cotrack_table_t::Column& c, int64_t v) { c.ints.push_back(v); }

cotrack_table_t EventTable(const std::vector<ProgressionResult>& results,
                           const ProgressionOptions& options, const std::string& parameters) {
  const std::vector<int64_t> periods = ConfirmPeriods(options);
  std::vector<const ProgressionEvent*> events;
  for (const ProgressionResult& r : results) {
    for (const ProgressionEvent& e : r.events) events.push_back(&e);
  }
  cotrack_table_t t;
  t.rows = events.size();
  t.columns.reserve(20 + 2 * periods.size());
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
  auto& t2e = AddColumn(t, "time2event", COTRACK_COLUMN_INT64);
  auto& bl2e = AddColumn(t, "bl2event", COTRACK_COLUMN_INT64);
  auto& sust = AddColumn(t, "sust_days", COTRACK_COLUMN_INT64);
  auto& sust_last = AddColumn(t, "sust_last", COTRACK_COLUMN_INT64);
  auto& confirmed = AddColumn(t, "confirmed", COTRACK_COLUMN_INT64);
  auto& assoc = AddColumn(t, "relapse_associated", COTRACK_COLUMN_INT64);
  auto& threshold = AddColumn(t, "threshold", COTRACK_COLUMN_DOUBLE);
  auto& params = AddColumn(t, "parameters", COTRACK_COLUMN_STRING);
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
    AppendTime(conf_date, e->confirmed_date);
    conf_value.doubles.push_back(e->confirmed_value);
    AppendInt(t2e, e->time_to_event_days);
    AppendInt(bl2e, e->baseline_to_event_days);
    AppendInt(sust, e->sustained_days);
    AppendInt(sust_last, e->sustained_to_last ? 1 : 0);
    AppendInt(confirmed, e->confirmed ? 1 : 0);
    AppendInt(assoc, e->relapse_associated ? 1 : 0);
    threshold.doubles.push_back(e->threshold);
    AppendString(params, parameters);
  }
  for (size_t k = 0; k < periods.size(); ++k) {
    auto& c = AddColumn(t, absl::StrCat("conf", periods[k], "_date"), COTRACK_COLUMN_STRING);
    for (const ProgressionEvent* e : events) {
      const bool ok = k < e->confirmations.size() && e->confirmations[k].confirmed;
      AppendString(c, ok ? FormatCivilTime(e->confirmations[k].date) : std::string());
    }
    auto& p = AddColumn(t, absl::StrCat("PIRA_conf", periods[k], "_date"), COTRACK_COLUMN_STRING);
    for (const ProgressionEvent* e : events) {
      const bool ok = k < e->confirmations.size() && e->confirmations[k].pira_confirmed;
      AppendString(p, ok ? FormatCivilTime(e->confirmations[k].pira_date) : std::string());
    }
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
    absl::StatusOr<RelapseEpisodes> relapses = LoadRelapses(*database, *request);
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
        absl::StrCat(DescribeProgressionOptions(request->options), " measure=", request->measure);
    *out = new cotrack_table_t(EventTable(results, request->options, parameters));
    return COTRACK_OK;
  } catch (const std::bad_alloc&) {
    return Fail(err, COTRACK_RESOURCE_EXHAUSTED, "out of memory");
  } catch (...) {
    return Fail(err, COTRACK_INTERNAL, "internal error in cotrack_progression");
  }
}

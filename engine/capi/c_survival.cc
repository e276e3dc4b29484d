// cotrack_survival (cotrack/c.h): `cotrack survival` through the C ABI, its
// options parsed by ParseSurvivalOptions as the command's are.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "capi/handles.h"
#include "capi/table.h"
#include "cotrack/c.h"
#include "cotrack/survival.h"

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

int Fail(char** err, int code, const std::string& message) {
  if (err != nullptr) {
    char* copy = static_cast<char*>(std::malloc(message.size() + 1));
    if (copy != nullptr) std::memcpy(copy, message.c_str(), message.size() + 1);
    *err = copy;
  }
  return code;
}

int Report(char** err, const absl::Status& status) {
  // absl::StatusCode uses the same numbers as cotrack_code.
  return Fail(err, static_cast<int>(status.code()), std::string(status.message()));
}

double Or(const std::optional<double>& v) { return v ? *v : kNaN; }

cotrack_table_t SurvivalTable(const cotrack::SurvivalOptions& options,
                              const cotrack::SurvivalAnalysis& a) {
  using cotrack::capi::AddColumn;
  using cotrack::capi::AppendString;
  cotrack_table_t t;
  const size_t nat = options.at_days.size();
  t.rows = a.curves.size() + 1;
  t.columns.reserve(10 + 4 * nat);
  auto& group = AddColumn(t, "group", COTRACK_COLUMN_STRING);
  auto& n = AddColumn(t, "n", COTRACK_COLUMN_INT64);
  auto& events = AddColumn(t, "events", COTRACK_COLUMN_INT64);
  auto& median = AddColumn(t, "median", COTRACK_COLUMN_DOUBLE);
  auto& lower = AddColumn(t, "lower", COTRACK_COLUMN_DOUBLE);
  auto& upper = AddColumn(t, "upper", COTRACK_COLUMN_DOUBLE);
  int64_t all_n = 0, all_events = 0;
  for (const cotrack::KaplanMeierCurve& c : a.curves) {
    AppendString(group, c.group);
    n.ints.push_back(c.n);
    events.ints.push_back(c.events);
    median.doubles.push_back(Or(c.median));
    lower.doubles.push_back(Or(c.median_lower));
    upper.doubles.push_back(Or(c.median_upper));
    all_n += c.n;
    all_events += c.events;
  }
  AppendString(group, "log-rank");
  n.ints.push_back(all_n);
  events.ints.push_back(all_events);
  median.doubles.push_back(kNaN);
  lower.doubles.push_back(kNaN);
  upper.doubles.push_back(kNaN);
  for (double d : options.at_days) {
    const std::string label = absl::StrFormat("%gd", d);
    auto& s = AddColumn(t, "survival_" + label, COTRACK_COLUMN_DOUBLE);
    auto& sl = AddColumn(t, "survival_lower_" + label, COTRACK_COLUMN_DOUBLE);
    auto& su = AddColumn(t, "survival_upper_" + label, COTRACK_COLUMN_DOUBLE);
    auto& r = AddColumn(t, "at_risk_" + label, COTRACK_COLUMN_INT64);
    for (const cotrack::KaplanMeierCurve& c : a.curves) {
      std::optional<cotrack::KaplanMeierStep> st = cotrack::KaplanMeierAt(c, d);
      s.doubles.push_back(st ? st->survival : kNaN);
      sl.doubles.push_back(st ? st->lower : kNaN);
      su.doubles.push_back(st ? st->upper : kNaN);
      r.ints.push_back(st ? st->n_risk : 0);
    }
    s.doubles.push_back(kNaN);
    sl.doubles.push_back(kNaN);
    su.doubles.push_back(kNaN);
    r.ints.push_back(0);
  }
  auto& chisq = AddColumn(t, "chisq", COTRACK_COLUMN_DOUBLE);
  auto& df = AddColumn(t, "df", COTRACK_COLUMN_INT64);
  auto& p = AddColumn(t, "p", COTRACK_COLUMN_DOUBLE);
  auto& parameters = AddColumn(t, "parameters", COTRACK_COLUMN_STRING);
  for (size_t i = 0; i < a.curves.size(); ++i) {
    chisq.doubles.push_back(kNaN);
    df.ints.push_back(0);
    p.doubles.push_back(kNaN);
    AppendString(parameters, a.settings);
  }
  chisq.doubles.push_back(a.log_rank.chisq);
  df.ints.push_back(a.log_rank.df);
  p.doubles.push_back(Or(a.log_rank.p));
  AppendString(parameters, a.settings);
  return t;
}

}  // namespace

int cotrack_survival(cotrack_db_t* db, const char* const* option_names,
                     const char* const* option_values, size_t option_count, cotrack_table_t** out,
                     char** err) {
  if (err != nullptr) *err = nullptr;
  try {
    cotrack::Database* database = cotrack::capi::DatabaseOf(db);
    if (database == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"db\" must not be NULL");
    }
    if (out == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"out\" is NULL");
    *out = nullptr;
    if (option_count > 0 && (option_names == nullptr || option_values == nullptr)) {
      return Fail(err, COTRACK_INVALID_ARGUMENT,
                  "argument \"option_names\" or \"option_values\" is NULL with option_count > 0");
    }
    std::vector<std::pair<std::string, std::string>> pairs;
    for (size_t i = 0; i < option_count; ++i) {
      if (option_names[i] == nullptr) {
        return Fail(err, COTRACK_INVALID_ARGUMENT,
                    absl::StrCat("option_names[", i, "] must not be NULL"));
      }
      pairs.emplace_back(option_names[i], option_values[i] == nullptr ? "" : option_values[i]);
    }
    absl::StatusOr<cotrack::SurvivalOptions> options = cotrack::ParseSurvivalOptions(pairs);
    if (!options.ok()) return Report(err, options.status());
    cotrack::RelapseEpisodes file_relapses;
    if (options->relapses_file) {
      absl::StatusOr<cotrack::RelapseEpisodes> r =
          cotrack::ReadRelapseEpisodesCsv(*options->relapses_file);
      if (!r.ok()) return Report(err, r.status());
      file_relapses = *std::move(r);
    }
    absl::StatusOr<cotrack::SurvivalAnalysis> a =
        cotrack::AnalyzeSurvival(*database, *options, file_relapses);
    if (!a.ok()) return Report(err, a.status());
    if (options->plot) {
      absl::Status written = cotrack::capi::WriteFile(
          *options->plot, cotrack::SurvivalChartSvg(*a, *options), "chart");
      if (!written.ok()) return Report(err, written);
    }
    cotrack_table_t table = SurvivalTable(*options, *a);
    cotrack::capi::SetNotes(table, cotrack::SurvivalNotes(*a));
    *out = new cotrack_table_t(std::move(table));
    return COTRACK_OK;
  } catch (const std::bad_alloc&) {
    return Fail(err, COTRACK_RESOURCE_EXHAUSTED, "cotrack: out of memory");
  } catch (const std::exception& e) {
    return Fail(err, COTRACK_INTERNAL, absl::StrCat("cotrack: internal error: ", e.what()));
  } catch (...) {
    return Fail(err, COTRACK_INTERNAL, "cotrack: internal error: unknown exception");
  }
}

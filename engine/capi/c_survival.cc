// cotrack_survival (cotrack/c.h): `cotrack survival` through the C ABI, its
// options parsed by ParseSurvivalOptions and its table built by
// SurvivalTable, as the command's csv is.
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "capi/handles.h"
#include "capi/table.h"
#include "cotrack/c.h"
#include "cotrack/survival.h"

int cotrack_survival(cotrack_db_t* db, const char* const* option_names,
                     const char* const* option_values, size_t option_count, cotrack_table_t** out,
                     char** err) {
  using cotrack::capi::Fail;
  using cotrack::capi::OptionPairs;
  using cotrack::capi::Report;
  if (err != nullptr) *err = nullptr;
  try {
    cotrack::Database* database = cotrack::capi::DatabaseOf(db);
    if (database == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"db\" must not be NULL");
    }
    if (out == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"out\" is NULL");
    *out = nullptr;
    std::vector<std::pair<std::string, std::string>> pairs;
    if (absl::Status s = OptionPairs(option_names, option_values, option_count, &pairs); !s.ok()) {
      return Report(err, s);
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
    *out =
        new cotrack_table_t(cotrack::capi::FromResultTable(cotrack::SurvivalTable(*options, *a)));
    return COTRACK_OK;
  } catch (const std::bad_alloc&) {
    return Fail(err, COTRACK_RESOURCE_EXHAUSTED, "cotrack: out of memory");
  } catch (const std::exception& e) {
    return Fail(err, COTRACK_INTERNAL, absl::StrCat("cotrack: internal error: ", e.what()));
  } catch (...) {
    return Fail(err, COTRACK_INTERNAL, "cotrack: internal error: unknown exception");
  }
}

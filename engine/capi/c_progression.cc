// cotrack_progression (cotrack/c.h): `cotrack progression` through the C
// ABI. The query, the run and the table are the engine's
// (cotrack/progression.h), as on the command line.
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "capi/handles.h"
#include "capi/table.h"
#include "cotrack/analytics.h"
#include "cotrack/c.h"
#include "cotrack/progression.h"

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
    NamedOptions pairs;
    if (absl::Status s = OptionPairs(option_names, option_values, option_count, &pairs); !s.ok()) {
      return Report(err, s);
    }
    absl::StatusOr<ProgressionQuery> query = ParseProgressionQuery(pairs);
    if (!query.ok()) return Report(err, query.status());
    RelapseEpisodes from_file;
    if (query->relapses_file) {
      absl::StatusOr<RelapseEpisodes> read = ReadRelapseEpisodesCsv(*query->relapses_file);
      if (!read.ok()) return Report(err, read.status());
      from_file = *std::move(read);
    }
    std::optional<std::string> one;
    if (patient != nullptr) one = patient;
    absl::StatusOr<ProgressionRun> run =
        RunProgression(*database, *query, one, std::move(from_file));
    if (!run.ok()) return Report(err, run.status());
    cotrack_table_t table = FromResultTable(ProgressionTable(*query, *run));
    *out = new cotrack_table_t(std::move(table));
    return COTRACK_OK;
  } catch (const std::bad_alloc&) {
    return Fail(err, COTRACK_RESOURCE_EXHAUSTED, "out of memory");
  } catch (...) {
    return Fail(err, COTRACK_INTERNAL, "internal error in cotrack_progression");
  }
}

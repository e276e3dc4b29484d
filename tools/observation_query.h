// The sequence trajectory, visit, latest and history share: open the
// database read-only, fetch observations, tell "no values" from "no such
// patient", lay the rows out (with the --derived column when asked) and
// print them. Each of those commands only says how to fetch.
#ifndef COTRACK_TOOLS_OBSERVATION_QUERY_H_
#define COTRACK_TOOLS_OBSERVATION_QUERY_H_

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "cotrack/database.h"
#include "global_flags.h"
#include "output.h"

namespace cotrack::tools {

// When an answer may mean that the patient id is mistyped.
enum class NothingFound {
  kEmpty,     // no observations (trajectory, visit, latest)
  kNotFound,  // a NotFound error (history: the observation was never recorded)
};

struct ObservationQuery {
  std::string patient;  // the patient asked about, checked when nothing is found
  NothingFound nothing_found = NothingFound::kEmpty;
  ObservationColumns columns = ObservationColumns::kCurrent;
  bool derived = false;  // add the "derived" column (derived_column.h)
  OutputFormat format = OutputFormat::kTable;
};

using FetchObservations = absl::FunctionRef<absl::StatusOr<std::vector<Observation>>(Database&)>;

// Execute: runs `fetch` on `db` and lays the observations out as rows.
// Errors: NotFound "unknown patient ..." when nothing was found (as
// `query.nothing_found` says) and the patient is not registered; otherwise
// `fetch`'s own error, or the error of looking up a measure for --derived.
absl::StatusOr<Table> QueryObservations(Database& db, const ObservationQuery& query,
                                        FetchObservations fetch);

// Opens the database of `ctx` read-only, runs QueryObservations and writes
// the table to stdout in `query.format`. Returns the exit status: 0, or 1
// with the error on stderr.
int RunObservationQuery(const GlobalContext& ctx, const ObservationQuery& query,
                        FetchObservations fetch);

}  // namespace cotrack::tools

#endif  // COTRACK_TOOLS_OBSERVATION_QUERY_H_

#include "observation_query.h"

#include <iostream>

#include "command.h"
#include "derived_column.h"
#include "flags.h"

namespace cotrack::tools {

absl::StatusOr<Table> QueryObservations(Database& db, const ObservationQuery& query,
                                        FetchObservations fetch) {
  absl::StatusOr<std::vector<Observation>> values = fetch(db);
  // "Nothing" most often means a mistyped patient: say so rather than print
  // an empty table or "never recorded".
  const bool nothing = query.nothing_found == NothingFound::kEmpty
                           ? values.ok() && values->empty()
                           : absl::IsNotFound(values.status());
  if (nothing) {
    if (absl::Status known = CheckPatientExists(db, query.patient); !known.ok()) return known;
  }
  if (!values.ok()) return values.status();
  Table table = ObservationTable(*values, query.columns);
  if (query.derived) {
    if (absl::Status s = AddDerivedColumn(db, *values, &table); !s.ok()) return s;
  }
  return table;
}

int RunObservationQuery(const GlobalContext& ctx, const ObservationQuery& query,
                        FetchObservations fetch) {
  return RunOnDatabase(
      ctx, OpenMode::kPointRead, [&](Database& db) { return QueryObservations(db, query, fetch); },
      [&](const Table& table) {
        WriteTable(table, query.format, std::cout);
        return 0;
      });
}

}  // namespace cotrack::tools

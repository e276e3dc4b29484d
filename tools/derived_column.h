// The `--derived` column of query output: AIS severity band, FIS/MFIS
// subscales, HbA1c in both units and eAG, C-peptide in both units.
#ifndef COTRACK_TOOLS_DERIVED_COLUMN_H_
#define COTRACK_TOOLS_DERIVED_COLUMN_H_

#include <vector>

#include "absl/status/status.h"
#include "cotrack/database.h"
#include "output.h"

namespace cotrack::tools {

// Appends a "derived" column to `table`, whose rows are `observations` in
// order: the derived values of each (empty for measures that have none).
absl::Status AddDerivedColumn(Database& db, const std::vector<Observation>& observations,
                              Table* table);

}  // namespace cotrack::tools

#endif  // COTRACK_TOOLS_DERIVED_COLUMN_H_

#include "derived_column.h"

#include <map>

#include "cotrack/derived.h"
#include "cotrack/status_macros.h"

namespace cotrack::tools {

absl::Status AddDerivedColumn(Database& db, const std::vector<Observation>& observations,
                              Table* table) {
  table->columns.push_back("derived");
  std::map<std::string, MeasureDefinition> measures;  // each looked up once
  for (size_t i = 0; i < observations.size(); ++i) {
    const Observation& o = observations[i];
    auto it = measures.find(o.measure);
    if (it == measures.end()) {
      COTRACK_ASSIGN_OR_RETURN(MeasureDefinition m, db.GetMeasure(o.measure));
      it = measures.emplace(o.measure, std::move(m)).first;
    }
    COTRACK_ASSIGN_OR_RETURN(std::vector<DerivedValue> derived, DeriveValues(it->second, o));
    table->rows[i].push_back(Cell::StringOrNull(FormatDerivedValues(derived)));
  }
  return absl::OkStatus();
}

}  // namespace cotrack::tools

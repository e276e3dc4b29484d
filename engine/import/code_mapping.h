// Code -> measure mapping for coded sources (Synthea observations.csv, FHIR
// Observation.code): which LOINC (or other) codes are which catalog measure.
// The built-in table is data (schema/code_mappings.csv, compiled in); users
// add or override rows with a file of the same shape.
#ifndef COTRACK_IMPORT_CODE_MAPPING_H_
#define COTRACK_IMPORT_CODE_MAPPING_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cotrack {

struct CodeMappingEntry {
  std::string system;  // coding system URI; empty matches any system
  std::string code;
  std::string measure;  // catalog code
  std::string unit;     // used when the source gives no unit
};

class CodeMapping {
 public:
  // The built-in table (schema/code_mappings.csv).
  static const CodeMapping& Builtin();

  // Parses a mapping CSV: header system,code,measure,unit[,display...]
  // (extra columns ignored), '#' lines are comments. `source` names it in
  // messages; errors are InvalidArgument "SOURCE:LINE:COL: ...".
  static absl::StatusOr<CodeMapping> Parse(absl::string_view text, const std::string& source);

  // The built-in table plus the rows of `path` (which win on the same
  // system and code); just the built-in table when `path` is empty.
  static absl::StatusOr<CodeMapping> Load(const std::string& path);

  // Adds or replaces the entry for (system, code).
  void Add(CodeMappingEntry entry);
  // Adds those of `entries` whose code Find does not map yet (a database's
  // own measure codes: the built-in table and a --mapping file win).
  void AddUnmapped(const std::vector<CodeMappingEntry>& entries);

  // The entry for `code` in `system` (an empty `system`, as in Synthea CSV,
  // matches any entry of that code); nullptr when unmapped.
  const CodeMappingEntry* Find(absl::string_view system, absl::string_view code) const;

  // The first entry (in table order) of `system` that maps to `measure` with
  // `unit`: the code an exporter writes for a value of that measure in that
  // unit (HbA1c in % is LOINC 4548-4, in mmol/mol 59261-8); nullptr when
  // none does.
  const CodeMappingEntry* FindForMeasure(absl::string_view system, absl::string_view measure,
                                         absl::string_view unit) const;

  // True when some entry maps to `measure`.
  bool MapsMeasure(absl::string_view measure) const;

  size_t size() const { return entries_.size(); }

 private:
  std::vector<CodeMappingEntry> entries_;
  absl::flat_hash_map<std::string, std::vector<size_t>> by_code_;
};

}  // namespace cotrack

#endif  // COTRACK_IMPORT_CODE_MAPPING_H_

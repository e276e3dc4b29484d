// Synthea CSV output: observations.csv (lab values and scores, with or
// without the CATEGORY column) and patients.csv (registrations).
//   DATE,PATIENT,ENCOUNTER[,CATEGORY],CODE,DESCRIPTION,VALUE,UNITS,TYPE
//   Id,BIRTHDATE,DEATHDATE,...,RACE,ETHNICITY,GENDER,...
// CODE (LOINC) goes through a CodeMapping; rows of unmapped codes are counted
// per code and skipped.
#ifndef COTRACK_IMPORT_SYNTHEA_H_
#define COTRACK_IMPORT_SYNTHEA_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "import/code_mapping.h"
#include "import/csv_reader.h"
#include "import/csv_row_parser.h"

namespace cotrack {

class SyntheaObservationsParser : public CsvRowParser {
 public:
  explicit SyntheaObservationsParser(CodeMapping mapping) : mapping_(std::move(mapping)) {}

  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) override;

  // True when `names` hold DATE, PATIENT, CODE, VALUE and UNITS.
  static bool Detect(const std::vector<std::string>& names);

 private:
  CodeMapping mapping_;
  std::vector<std::string> names_;
  size_t date_ = 0, patient_ = 0, code_ = 0, value_ = 0, units_ = 0;
  std::optional<size_t> type_;
};

class SyntheaPatientsParser : public CsvRowParser {
 public:
  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) override;

  // True when the first of `names` is Id and they hold BIRTHDATE and GENDER.
  static bool Detect(const std::vector<std::string>& names);

  // The columns kept as patient attributes (lower case); names, SSN,
  // addresses and the like are deliberately not imported.
  static constexpr const char* kAttributes[] = {"birthdate", "deathdate", "gender", "race",
                                                "ethnicity"};

 private:
  std::vector<std::string> names_;
  size_t id_ = 0;
  std::vector<size_t> attributes_;
  absl::flat_hash_map<std::string, int64_t> seen_;
};

}  // namespace cotrack

#endif  // COTRACK_IMPORT_SYNTHEA_H_

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
#include "import/format_common.h"

namespace cotrack {

class SyntheaObservationsParser : public SkippingRowParser {
 public:
  SyntheaObservationsParser(std::string source, std::string user, CodeMapping mapping)
      : source_(std::move(source)), user_(std::move(user)), mapping_(std::move(mapping)) {}

  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, Batch& batch) override;

  // True when `names` hold DATE, PATIENT, CODE, VALUE and UNITS.
  static bool Detect(const std::vector<std::string>& names);

 private:
  std::string source_;
  std::string user_;
  CodeMapping mapping_;
  std::vector<std::string> names_;
  size_t date_ = 0, patient_ = 0, code_ = 0, value_ = 0, units_ = 0;
  std::optional<size_t> type_;
  IdentitySet seen_;
};

class SyntheaPatientsParser : public SkippingRowParser {
 public:
  SyntheaPatientsParser(std::string source, std::string user)
      : source_(std::move(source)), user_(std::move(user)) {}

  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, Batch& batch) override;

  // True when the first of `names` is Id and they hold BIRTHDATE and GENDER.
  static bool Detect(const std::vector<std::string>& names);

  // The columns kept as patient attributes (lower case); names, SSN,
  // addresses and the like are deliberately not imported.
  static constexpr const char* kAttributes[] = {"birthdate", "deathdate", "gender", "race",
                                                "ethnicity"};

 private:
  std::string source_;
  std::string user_;
  std::vector<std::string> names_;
  size_t id_ = 0;
  std::vector<size_t> attributes_;
  absl::flat_hash_map<std::string, int64_t> seen_;
};

}  // namespace cotrack

#endif  // COTRACK_IMPORT_SYNTHEA_H_

// The OMOP CDM vocabulary cotrack needs to write and read OMOP CDM 5.4
// tables (export --format omop, import of an OMOP MEASUREMENT table): unit
// concepts (schema/omop_units.csv, compiled in as data), the operator
// concepts of censored values, and the fixed concepts of an export. Measure
// concepts are rows of the code mapping table (code_mapping.h) in
// kOmopConceptSystem.
#ifndef COTRACK_IMPORT_OMOP_VOCABULARY_H_
#define COTRACK_IMPORT_OMOP_VOCABULARY_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "cotrack/types.h"

namespace cotrack {

// The code system of OMOP concept ids in the code mapping table (the
// OHDSI FHIR terminology server's URI for them).
inline constexpr char kOmopConceptSystem[] = "https://fhir-terminology.ohdsi.org";

// Fixed concepts an export writes.
inline constexpr int64_t kOmopTypeEhr = 32817;        // "EHR" (type concept)
inline constexpr int64_t kOmopGenderMale = 8507;      // "MALE"
inline constexpr int64_t kOmopGenderFemale = 8532;    // "FEMALE"
inline constexpr int64_t kOmopCdmVersion54 = 756265;  // "OMOP CDM Version 5.4.0"

// The operator_concept_id of a comparator: < 4171756, <= 4171754,
// > 4172704, >= 4171755; 0 for none (an export leaves the cell empty).
int64_t OmopOperatorConcept(Comparator c);
// The comparator of an operator concept; `=` (4172703) and 0 are kNone.
// False for any other concept.
bool ComparatorFromOmopOperator(int64_t concept_id, Comparator* out);

// The unit concept of `unit` (case-insensitive, as the catalog compares
// units); 0 when the table has none.
int64_t OmopUnitConcept(absl::string_view unit);
// The unit of a unit concept; empty when the table has none.
std::string UnitOfOmopConcept(int64_t concept_id);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_OMOP_VOCABULARY_H_

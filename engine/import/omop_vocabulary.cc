#include "import/omop_vocabulary.h"

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "import/format_common.h"

namespace cotrack {

// schema/omop_units.csv, embedded by engine/CMakeLists.txt.
extern const uint8_t kBuiltinOmopUnitsCsv[];
extern const size_t kBuiltinOmopUnitsCsv_size;

namespace {

struct UnitConcept {
  std::string unit;
  int64_t concept_id = 0;
};

// The table is part of the build and has no quoted cells (checked by
// OmopVocabularyTest): a plain split is enough. A malformed row is left out
// (its unit then exports as concept 0, as an unknown unit would).
const std::vector<UnitConcept>& Units() {
  static const std::vector<UnitConcept>* const units = [] {
    auto* out = new std::vector<UnitConcept>;
    const std::string text = StripCommentLines(absl::string_view(
        reinterpret_cast<const char*>(kBuiltinOmopUnitsCsv), kBuiltinOmopUnitsCsv_size));
    bool header = true;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      line = absl::StripAsciiWhitespace(line);
      if (line.empty()) continue;
      if (header) {
        header = false;
        continue;
      }
      std::vector<absl::string_view> cells = absl::StrSplit(line, ',');
      UnitConcept u;
      if (cells.size() < 2 || !absl::SimpleAtoi(cells[1], &u.concept_id)) continue;
      u.unit = std::string(absl::StripAsciiWhitespace(cells[0]));
      out->push_back(std::move(u));
    }
    return out;
  }();
  return *units;
}

}  // namespace

int64_t OmopOperatorConcept(Comparator c) {
  switch (c) {
    case Comparator::kLess:
      return 4171756;
    case Comparator::kLessEqual:
      return 4171754;
    case Comparator::kGreater:
      return 4172704;
    case Comparator::kGreaterEqual:
      return 4171755;
    case Comparator::kNone:
      break;
  }
  return 0;
}

bool ComparatorFromOmopOperator(int64_t concept_id, Comparator* out) {
  switch (concept_id) {
    case 0:
    case 4172703:  // =
      *out = Comparator::kNone;
      return true;
    case 4171756:
      *out = Comparator::kLess;
      return true;
    case 4171754:
      *out = Comparator::kLessEqual;
      return true;
    case 4172704:
      *out = Comparator::kGreater;
      return true;
    case 4171755:
      *out = Comparator::kGreaterEqual;
      return true;
    default:
      return false;
  }
}

int64_t OmopUnitConcept(absl::string_view unit) {
  for (const UnitConcept& u : Units()) {
    if (absl::EqualsIgnoreCase(u.unit, unit)) return u.concept_id;
  }
  return 0;
}

std::string UnitOfOmopConcept(int64_t concept_id) {
  if (concept_id == 0) return "";
  for (const UnitConcept& u : Units()) {
    if (u.concept_id == concept_id) return u.unit;
  }
  return "";
}

}  // namespace cotrack

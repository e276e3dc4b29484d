// The names of the public enums (cotrack/types.h), as every output and
// message writes them.
#include "cotrack/types.h"

namespace cotrack {

const char* ComparatorSymbol(Comparator c) {
  switch (c) {
    case Comparator::kNone:
      return "";
    case Comparator::kLess:
      return "<";
    case Comparator::kLessEqual:
      return "<=";
    case Comparator::kGreaterEqual:
      return ">=";
    case Comparator::kGreater:
      return ">";
  }
  return "";
}

const char* StatusName(ObservationStatus s) {
  switch (s) {
    case ObservationStatus::kFinal:
      return "final";
    case ObservationStatus::kAmended:
      return "amended";
    case ObservationStatus::kEnteredInError:
      return "entered-in-error";
  }
  return "final";
}

const char* DirectionName(Direction d) {
  switch (d) {
    case Direction::kNone:
      return "none";
    case Direction::kHigherIsWorse:
      return "higher-is-worse";
    case Direction::kHigherIsBetter:
      return "higher-is-better";
  }
  return "none";
}

}  // namespace cotrack

// Parsing of value and date cells as people type them in spreadsheets and lab
// feeds: "6.5", ".34", "-1", "1e3", censored values such as "<0.5", and dates.
// Locale independent (std::from_chars), and strict: anything that is not
// plainly one number or date is rejected with the reason, never guessed at.
// Shared by every format.
#ifndef COTRACK_IMPORT_VALUE_TEXT_H_
#define COTRACK_IMPORT_VALUE_TEXT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cotrack/civil_time.h"
#include "cotrack/types.h"

namespace cotrack {

struct ValueText {
  double value = 0;  // for censored values, the limit
  Comparator comparator = Comparator::kNone;
};

// What a value cell must look like; used in "(expected ...)" messages.
inline constexpr char kExpectedValue[] =
    "expected a number such as 6.5, .34, -1 or 1e3, optionally after <, <=, >= or >";
inline constexpr char kExpectedNumber[] = "expected a number such as 6.5, .34, -1 or 1e3";

// Parses a plain decimal number: optional sign, digits with at most one dot,
// optional exponent; spaces around it are ignored. On failure the
// InvalidArgument message is the complete "expected ...; why" text (without
// the value), ready to go inside "(...)". NaN, infinities, hex, thousands
// separators and decimal commas are rejected with a reason; -0 becomes 0.
absl::StatusOr<double> ParseNumber(absl::string_view text);

// Like ParseNumber, but also accepts a comparator prefix "<", "<=", ">=" or
// ">" (spaces allowed after it) marking a censored value.
absl::StatusOr<ValueText> ParseValueText(absl::string_view text);

// What a date cell must look like; used in "(expected ...)" messages.
inline constexpr char kExpectedDate[] = "expected a date YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss]";

// Parses a date cell with ParseCivilTime; on failure the InvalidArgument
// message is "expected ...; reason", ready for "(...)".
absl::StatusOr<CivilTime> ParseDateCell(absl::string_view text);

// The one place where an instant becomes a clinical date (every format goes
// through it). `written` is the civil time as a source wrote it beside a UTC
// offset (`offset_seconds` east of UTC; "Z" is 0). With `zone`, the instant
// is converted to that zone's civil time, precision kept: Synthea's
// 2017-12-10T06:21:43Z and FHIR's 2017-12-09T22:21:43-08:00 are both
// 2017-12-09T22:21:43 in America/Los_Angeles. Without a zone the offset is
// dropped and the clock time kept, as cotrack always did.
CivilTime CivilTimeOfInstant(CivilTime written, int offset_seconds, const absl::TimeZone* zone);

// The zone ImportOptions::timezone names; nullopt for an empty name.
// InvalidArgument naming an unknown zone and how to list the known ones.
absl::StatusOr<std::optional<absl::TimeZone>> LoadImportTimeZone(const std::string& name);

// ParseDateCell, then, for a date-time ending in "Z", "+hh:mm", "-hh:mm",
// "+hhmm" or "-hhmm", CivilTimeOfInstant. `had_offset` (may be null) is set
// to whether the text carried an offset.
absl::StatusOr<CivilTime> ParseDateTimeCell(absl::string_view text, const absl::TimeZone* zone,
                                            bool* had_offset);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_VALUE_TEXT_H_

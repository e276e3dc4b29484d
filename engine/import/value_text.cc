#include "import/value_text.h"

#include <charconv>
#include <string>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cotrack/civil_time.h"

namespace cotrack {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

size_t SkipDigits(absl::string_view s, size_t i) {
  while (i < s.size() && IsDigit(s[i])) ++i;
  return i;
}

// "1,234", "-12,345,678.5": digit groups of three after a 1-3 digit lead.
bool LooksLikeThousands(absl::string_view s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  const size_t lead_end = SkipDigits(s, i);
  if (lead_end == i || lead_end - i > 3) return false;
  i = lead_end;
  int groups = 0;
  while (i < s.size() && s[i] == ',') {
    const size_t end = SkipDigits(s, i + 1);
    if (end - (i + 1) != 3) return false;
    i = end;
    ++groups;
  }
  if (groups == 0) return false;
  if (i < s.size() && s[i] == '.') {
    const size_t end = SkipDigits(s, i + 1);
    if (end == i + 1) return false;
    i = end;
  }
  return i == s.size();
}

// "1,54", ",5", "-0,25": one comma between digits, no dot.
bool LooksLikeDecimalComma(absl::string_view s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  const size_t int_end = SkipDigits(s, i);
  if (int_end >= s.size() || s[int_end] != ',') return false;
  const size_t frac_end = SkipDigits(s, int_end + 1);
  return frac_end > int_end + 1 && frac_end == s.size();
}

// Parses `t` (already trimmed). On failure returns false and sets `why` to
// the reason, phrased to follow "expected ...; ".
bool ParseNumberReason(absl::string_view t, double* out, std::string* why) {
  if (t.empty()) {
    *why = "the number is missing";
    return false;
  }
  size_t i = 0;
  if (t[0] == '+' || t[0] == '-') i = 1;
  const absl::string_view rest = t.substr(i);
  if (absl::StartsWithIgnoreCase(rest, "nan") || absl::StartsWithIgnoreCase(rest, "inf") ||
      rest == "\xE2\x88\x9E" /* ∞ */) {
    *why = "NaN and infinity are not values; leave the cell empty when nothing was measured";
    return false;
  }
  if (absl::StartsWithIgnoreCase(rest, "0x")) {
    *why = "hexadecimal numbers are not accepted";
    return false;
  }
  // Mantissa: digits, optional dot, digits; at least one digit.
  const size_t int_end = SkipDigits(t, i);
  size_t j = int_end;
  size_t frac_digits = 0;
  if (j < t.size() && t[j] == '.') {
    const size_t frac_end = SkipDigits(t, j + 1);
    frac_digits = frac_end - (j + 1);
    j = frac_end;
  }
  if (int_end == i && frac_digits == 0) {
    if (LooksLikeDecimalComma(t)) {
      *why = absl::StrCat("this looks like a decimal comma; write ",
                          absl::StrReplaceAll(t, {{",", "."}}));
    } else {
      *why = "this is not a number";
    }
    return false;
  }
  if (j < t.size() && (t[j] == 'e' || t[j] == 'E')) {
    size_t k = j + 1;
    if (k < t.size() && (t[k] == '+' || t[k] == '-')) ++k;
    const size_t exp_end = SkipDigits(t, k);
    if (exp_end == k) {
      *why = "the exponent has no digits";
      return false;
    }
    j = exp_end;
  }
  if (j < t.size()) {
    if (t[j] == ',') {
      if (LooksLikeThousands(t)) {
        const std::string plain = absl::StrReplaceAll(t, {{",", ""}});
        *why = absl::StrCat("thousands separators are not accepted; write ", plain);
        if (LooksLikeDecimalComma(t)) {
          absl::StrAppend(why, ", or ", absl::StrReplaceAll(t, {{",", "."}}),
                          " if the comma is a decimal comma");
        }
      } else if (LooksLikeDecimalComma(t)) {
        *why = absl::StrCat("this looks like a decimal comma; write ",
                            absl::StrReplaceAll(t, {{",", "."}}));
      } else {
        *why = "a number may not contain commas";
      }
      return false;
    }
    *why = absl::StrCat("unexpected \"", t.substr(j), "\" after the number ", t.substr(0, j));
    return false;
  }
  // from_chars takes no leading '+'.
  const absl::string_view digits = t[0] == '+' ? t.substr(1) : t;
  double value = 0;
  const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (result.ec == std::errc::result_out_of_range) {
    *why = "the number is too large or too small to store";
    return false;
  }
  if (result.ec != std::errc() || result.ptr != digits.data() + digits.size()) {
    *why = "this is not a number";  // not reached: the grammar was checked above
    return false;
  }
  *out = value == 0 ? 0.0 : value;  // no negative zero
  return true;
}

// The common case, "12" or "6.5": digits with at most one dot inside, few
// enough that m / 10^k is exact arithmetic on exact doubles (m < 2^53,
// 10^k <= 10^15), hence the correctly rounded value, as from_chars gives.
bool ParseSimpleDecimal(absl::string_view t, double* out) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  if (t.empty() || t.size() > 15) return false;
  uint64_t m = 0;
  int frac = -1;  // digits after the dot; -1: no dot
  for (const char c : t) {
    if (c >= '0' && c <= '9') {
      m = m * 10 + static_cast<uint64_t>(c - '0');
      if (frac >= 0) ++frac;
    } else if (c == '.' && frac < 0) {
      frac = 0;
    } else {
      return false;
    }
  }
  if (frac == 0) return false;  // "5." or ".": the full grammar decides
  *out = static_cast<double>(m) / kPow10[frac < 0 ? 0 : frac];
  return true;
}

}  // namespace

absl::StatusOr<double> ParseNumber(absl::string_view text) {
  double value = 0;
  std::string why;
  if (!ParseNumberReason(absl::StripAsciiWhitespace(text), &value, &why)) {
    return absl::InvalidArgumentError(absl::StrCat(kExpectedNumber, "; ", why));
  }
  return value;
}

absl::StatusOr<ValueText> ParseValueText(absl::string_view text) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  ValueText result;
  const auto fail = [](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(kExpectedValue, "; ", why));
  };
  if (absl::StartsWith(t, "<=")) {
    result.comparator = Comparator::kLessEqual;
    t.remove_prefix(2);
  } else if (absl::StartsWith(t, ">=")) {
    result.comparator = Comparator::kGreaterEqual;
    t.remove_prefix(2);
  } else if (absl::StartsWith(t, "<")) {
    result.comparator = Comparator::kLess;
    t.remove_prefix(1);
  } else if (absl::StartsWith(t, ">")) {
    result.comparator = Comparator::kGreater;
    t.remove_prefix(1);
  } else if (absl::StartsWith(t, "=<") || absl::StartsWith(t, "=>")) {
    return fail(absl::StrCat("write ", t[1] == '<' ? "<=" : ">=", " instead of ", t.substr(0, 2)));
  } else if (absl::StartsWith(t, "\xE2\x89\xA4") || absl::StartsWith(t, "\xE2\x89\xA5")) {
    return fail(
        absl::StrCat("write ", t[2] == '\xA4' ? "<=" : ">=", " instead of ", t.substr(0, 3)));
  }
  const bool censored = result.comparator != Comparator::kNone;
  t = absl::StripAsciiWhitespace(t);
  if (t.empty()) {
    return fail(censored ? "a comparator needs a number after it" : "the number is missing");
  }
  if (ParseSimpleDecimal(t, &result.value)) return result;
  std::string why;
  if (!ParseNumberReason(t, &result.value, &why)) return fail(why);
  return result;
}

absl::StatusOr<CivilTime> ParseDateCell(absl::string_view text) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  absl::StatusOr<CivilTime> t = ParseCivilTime(trimmed);
  if (t.ok()) return t;
  // ParseCivilTime says `bad date "TEXT": WHY (expected ...)`; our messages
  // name the value and what is expected themselves, so keep only WHY.
  absl::string_view why = t.status().message();
  const std::string prefix = absl::StrCat("bad date \"", trimmed, "\": ");
  if (absl::StartsWith(why, prefix)) {
    why.remove_prefix(prefix.size());
    const size_t expected = why.rfind(" (expected");
    if (expected != absl::string_view::npos) why = why.substr(0, expected);
  }
  return absl::InvalidArgumentError(why.empty() ? std::string(kExpectedDate)
                                                : absl::StrCat(kExpectedDate, "; ", why));
}

}  // namespace cotrack

namespace cotrack {

absl::StatusOr<std::optional<absl::TimeZone>> LoadImportTimeZone(const std::string& name) {
  if (name.empty()) return std::optional<absl::TimeZone>();
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(name, &zone)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown time zone \"", name,
        "\" (expected an IANA name such as Europe/Berlin or America/Los_Angeles; list them with "
        "`timedatectl list-timezones` or `ls /usr/share/zoneinfo`, which the tzdata package "
        "installs)"));
  }
  return std::optional<absl::TimeZone>(zone);
}

CivilTime CivilTimeOfInstant(CivilTime written, int offset_seconds, const absl::TimeZone* zone) {
  if (zone == nullptr) return written;
  // `written` counts civil seconds from 1970-01-01T00:00 as a UTC clock
  // would; the instant is that minus the offset.
  const absl::Time instant = absl::FromUnixSeconds(written.seconds - offset_seconds);
  const absl::CivilSecond local = absl::ToCivilSecond(instant, *zone);
  const absl::CivilSecond epoch(1970, 1, 1, 0, 0, 0);
  written.seconds = local - epoch;
  return written;
}

absl::StatusOr<CivilTime> ParseDateTimeCell(absl::string_view text, const absl::TimeZone* zone,
                                            bool* had_offset) {
  if (had_offset != nullptr) *had_offset = false;
  absl::StatusOr<CivilTime> t = ParseDateCell(text);
  if (!t.ok() || t->precision != TimePrecision::kDateTime) return t;
  // ParseCivilTime has checked the syntax; only which offset is left.
  const absl::string_view s = absl::StripAsciiWhitespace(text);
  int offset = 0;
  if (absl::EndsWith(s, "Z") || absl::EndsWith(s, "z")) {
    offset = 0;
  } else {
    // "+hh:mm" / "-hh:mm" (6 characters) or "+hhmm" / "-hhmm" (5), after
    // the time (which is at least "hh:mm" from position 11).
    size_t at = absl::string_view::npos;
    if (s.size() >= 17 && (s[s.size() - 6] == '+' || s[s.size() - 6] == '-') &&
        s[s.size() - 3] == ':') {
      at = s.size() - 6;
    } else if (s.size() >= 16 && (s[s.size() - 5] == '+' || s[s.size() - 5] == '-')) {
      at = s.size() - 5;
    }
    if (at == absl::string_view::npos || at < 16) return t;
    const absl::string_view z = s.substr(at + 1);
    const int hours = (z[0] - '0') * 10 + (z[1] - '0');
    const int minutes =
        z.size() == 5 ? (z[3] - '0') * 10 + (z[4] - '0') : (z[2] - '0') * 10 + (z[3] - '0');
    offset = (hours * 60 + minutes) * 60 * (s[at] == '-' ? -1 : 1);
  }
  if (had_offset != nullptr) *had_offset = true;
  return CivilTimeOfInstant(*t, offset, zone);
}

}  // namespace cotrack

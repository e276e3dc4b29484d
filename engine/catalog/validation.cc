// Validation of observations, patient ids and measure definitions.
//
// Every rule lives in the catalog entry (schema/builtin_measures.json for the
// built-ins); nothing here knows a measure by its code. A bad value is always
// an InvalidArgument naming the field, the value as the user wrote it and the
// measure's whole domain, so one message tells the user what to type instead.
// Nothing is clamped or rounded into range.
#include "catalog/validation.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cotrack {
namespace {

// Relative tolerance for comparisons of doubles: binary floating point cannot
// hold 0.1 or a converted 48 mmol/mol exactly, but a user who typed 1.5 must
// never be told that 1.5 is not a multiple of 0.5.
constexpr double kRelEps = 1e-9;

// The longest value echoed back in a message; longer ones are cut with "...".
constexpr size_t kMaxEchoBytes = 64;

bool Nearly(double a, double b) {
  return std::fabs(a - b) <= kRelEps * std::max({1.0, std::fabs(a), std::fabs(b)});
}

bool IsWhole(double v) { return std::isfinite(v) && Nearly(v, std::nearbyint(v)); }

// Shortest decimal text that reads back as exactly `v`, without an exponent
// for the magnitudes clinical values have.
std::string FormatNumber(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  const double mag = std::fabs(v);
  if (v == 0 || (mag >= 1e-6 && mag < 1e15)) {
    // The first of "%.0f" ... "%.17f" that reads back as `v`: std::to_chars
    // finds the shortest fixed-point text that does (the same text, as both
    // round correctly) without printing and parsing up to 18 candidates,
    // which was a tenth of recording a visit. Checked identical on 2 million
    // values of every magnitude.
    const std::to_chars_result r =
        std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
    if (r.ec == std::errc()) {
      const char* dot = std::find(buf, r.ptr, '.');
      if (dot == r.ptr || r.ptr - dot - 1 <= 17) return std::string(buf, r.ptr);
    }
  }
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof(buf), "%.*g", p, v);
    if (std::strtod(buf, nullptr) == v) return buf;
  }
  return buf;
}

// `v` with at most `decimals` decimals and no trailing zeros: for showing a
// converted value, where float noise such as 6.5430400000000004 helps nobody.
std::string FormatRounded(double v, int decimals) {
  if (!std::isfinite(v)) return FormatNumber(v);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

// `v` with exactly the number of decimals `step` has (1.0 for steps of 0.5),
// the way clinicians write EDSS scores.
std::string FormatLikeStep(double v, double step) {
  std::string step_text = FormatNumber(step);
  size_t dot = step_text.find('.');
  int decimals = dot == std::string::npos ? 0 : static_cast<int>(step_text.size() - dot - 1);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

// Decimals of the shortest fixed-point text that reads back as `v` (48 -> 0,
// 0.09148 -> 5), or -1 when none of up to 17 does (1e-20, 1/3).
int ShortestDecimals(double v) {
  char buf[400];
  for (int d = 0; d <= 17; ++d) {
    std::snprintf(buf, sizeof(buf), "%.*f", d, v);
    if (std::strtod(buf, nullptr) == v) return d;
  }
  return -1;
}

// `v` rounded to `digits` significant digits (through decimal text, so the
// result is the double nearest that decimal).
double RoundSignificant(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*e", digits - 1, v);
  return std::strtod(buf, nullptr);
}

// value * factor + offset, in decimal. Each of the three is the double of a
// short decimal (what was typed, what the catalog says), and the exact
// decimal result has at most decimals(value) + decimals(factor) decimals
// (the product) or decimals(offset) (the sum), so rounding the binary result
// there removes only the noise of binary arithmetic: 51 mmol/mol is 6.81748 %,
// not 6.817480000000001 %. Nothing is lost: the exact converted value is kept
// (and the value and unit as entered are stored beside it). When the exact
// result needs more digits than a double holds (a factor of 1/3), the result
// is rounded to 15 significant digits, the most a double always keeps.
double ConvertToCanonical(double value, const UnitConversion& c) {
  const double raw = value * c.factor + c.offset;
  if (!std::isfinite(raw) || raw == 0) return raw;
  constexpr int kSignificant = 15;
  const int dv = ShortestDecimals(value), df = ShortestDecimals(c.factor),
            doff = ShortestDecimals(c.offset);
  // Digits before the decimal point (<= 0 for |raw| < 1).
  const int whole = static_cast<int>(std::floor(std::log10(std::fabs(raw)))) + 1;
  if (dv < 0 || df < 0 || doff < 0) return RoundSignificant(raw, kSignificant);
  const int decimals = std::max(dv + df, doff);
  if (whole + decimals > kSignificant) return RoundSignificant(raw, kSignificant);
  char buf[400];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, raw);
  return std::strtod(buf, nullptr);
}

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one
// (overlong forms, surrogates and code points above U+10FFFF included).
size_t Utf8SequenceLength(absl::string_view s, size_t i, uint32_t* code_point) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t len;
  uint32_t cp;
  if (c < 0x80) {
    *code_point = c;
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  *code_point = cp;
  return len;
}

bool IsControl(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

// Makes `value` safe to print inside double quotes on one terminal line:
// quotes and backslashes escaped, control characters and bytes that are not
// UTF-8 as \xNN, and very long values cut.
std::string EscapeForMessage(absl::string_view value) {
  std::string out;
  size_t i = 0;
  while (i < value.size()) {
    if (i >= kMaxEchoBytes) {
      out += "...";
      break;
    }
    uint32_t cp = 0;
    size_t len = Utf8SequenceLength(value, i, &cp);
    if (len == 0 || IsControl(cp)) {
      // One byte at a time, so a C1 control (two bytes) shows both.
      size_t n = len == 0 ? 1 : len;
      for (size_t k = 0; k < n; ++k) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\x%02X", static_cast<unsigned char>(value[i + k]));
        out += buf;
      }
      i += n;
      continue;
    }
    if (cp == '"' || cp == '\\') out += '\\';
    out.append(value.data() + i, len);
    i += len;
  }
  return out;
}

bool IsScore(const MeasureDefinition& def) { return def.unit == "score"; }

// "an" before an upper-case abbreviation whose first letter is spoken with a
// vowel sound (an EDSS, an MFIS, an FIS).
const char* ArticleForAbbreviation(const std::string& upper) {
  if (!upper.empty() && std::string("AEFHILMNORSX").find(upper[0]) != std::string::npos) {
    return "an";
  }
  return "a";
}

// "an AIS score" / "a whole-number AIS score" / "a value" / "a whole number".
std::string Label(const MeasureDefinition& def) {
  if (IsScore(def)) {
    std::string upper = absl::AsciiStrToUpper(def.code);
    if (def.integer) return absl::StrCat("a whole-number ", upper, " score");
    return absl::StrCat(ArticleForAbbreviation(upper), " ", upper, " score");
  }
  return def.integer ? "a whole number" : "a value";
}

std::string UnitSuffix(const MeasureDefinition& def) {
  return IsScore(def) ? "" : absl::StrCat(" ", def.unit);
}

// A compact list of allowed values: arithmetic runs of three or more become
// "A to B in steps of S" (EDSS: "0 or 1.0 to 10 in steps of 0.5").
std::string DescribeAllowedValues(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end(), Nearly), values.end());
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < values.size()) {
    size_t j = i + 1;
    if (j < values.size()) {
      const double step = values[j] - values[i];
      while (j + 1 < values.size() && Nearly(values[j + 1] - values[j], step)) ++j;
      if (j - i + 1 >= 3) {
        parts.push_back(absl::StrCat(FormatLikeStep(values[i], step), " to ",
                                     FormatNumber(values[j]), " in steps of ", FormatNumber(step)));
        i = j + 1;
        continue;
      }
    }
    parts.push_back(FormatNumber(values[i]));
    ++i;
  }
  if (parts.size() <= 1) return parts.empty() ? "" : parts[0];
  std::string last = parts.back();
  parts.pop_back();
  return absl::StrCat(absl::StrJoin(parts, ", "), " or ", last);
}

// Everything a valid value of `def` can be, in the canonical unit.
std::string Domain(const MeasureDefinition& def) {
  if (!def.allowed_values.empty()) {
    return absl::StrCat(Label(def), ": ", DescribeAllowedValues(def.allowed_values),
                        UnitSuffix(def));
  }
  std::string step;
  if (def.step > 0) step = absl::StrCat(" in steps of ", FormatNumber(def.step));
  return absl::StrCat(Label(def), " from ", FormatNumber(def.min), " to ", FormatNumber(def.max),
                      step, UnitSuffix(def));
}

// Whether `v` (canonical unit) is in the measure's domain.
bool InDomain(const MeasureDefinition& def, double v) {
  if (!std::isfinite(v)) return false;
  if ((v < def.min && !Nearly(v, def.min)) || (v > def.max && !Nearly(v, def.max))) return false;
  if (!def.allowed_values.empty()) {
    bool found = false;
    for (double a : def.allowed_values) found = found || Nearly(v, a);
    if (!found) return false;
  }
  if (def.step > 0) {
    const double k = (v - def.min) / def.step;
    if (!Nearly(k, std::nearbyint(k))) return false;
  }
  if (def.integer && !IsWhole(v)) return false;
  return true;
}

int ItemCount(const MeasureDefinition& def) {
  return def.item_count > 0 ? def.item_count : static_cast<int>(def.named_items.size());
}

// Range of 0-based item `i`.
void ItemRange(const MeasureDefinition& def, size_t i, double* lo, double* hi) {
  if (def.item_count == 0 && i < def.named_items.size()) {
    *lo = def.named_items[i].min;
    *hi = def.named_items[i].max;
  } else {
    *lo = def.item_min;
    *hi = def.item_max;
  }
}

std::string ItemDomain(const MeasureDefinition& def, size_t i) {
  double lo, hi;
  ItemRange(def, i, &lo, &hi);
  std::string what = "an item score";
  if (def.item_count == 0 && i < def.named_items.size()) {
    what = absl::StrCat("the ", def.named_items[i].name, " score");
  }
  return absl::StrCat(what, ": a whole number from ", FormatNumber(lo), " to ", FormatNumber(hi));
}

absl::Status Invalid(absl::string_view field, absl::string_view value, absl::string_view expected) {
  return absl::InvalidArgumentError(FieldError(field, value, expected));
}

// Resolves `unit` to a conversion into the canonical unit: an exact match
// first, then one that differs only in letter case ("MMOL/MOL"). Sets
// *canonical when the canonical unit itself was named.
absl::Status ResolveUnit(const MeasureDefinition& def, const std::string& unit,
                         UnitConversion* conversion, bool* canonical) {
  *canonical = false;
  if (unit.empty() || unit == def.unit) {
    *canonical = true;
    *conversion = UnitConversion{def.unit, 1.0, 0.0};
    return absl::OkStatus();
  }
  for (const UnitConversion& c : def.units) {
    if (c.unit == unit) {
      *conversion = c;
      return absl::OkStatus();
    }
  }
  if (absl::EqualsIgnoreCase(unit, def.unit)) {
    *canonical = true;
    *conversion = UnitConversion{def.unit, 1.0, 0.0};
    return absl::OkStatus();
  }
  for (const UnitConversion& c : def.units) {
    if (absl::EqualsIgnoreCase(c.unit, unit)) {
      *conversion = c;
      return absl::OkStatus();
    }
  }
  std::vector<std::string> accepted = {def.unit};
  for (const UnitConversion& c : def.units) accepted.push_back(c.unit);
  return Invalid("unit", unit,
                 absl::StrCat("a unit of ", def.code, ": ", absl::StrJoin(accepted, ", ")));
}

// Checks the item responses; sets *sum and *unanswered.
absl::Status ValidateItems(const MeasureDefinition& def, const ObservationInput& in, double* sum,
                           int* unanswered) {
  *sum = 0;
  *unanswered = 0;
  const int expected_count = ItemCount(def);
  const std::string given =
      absl::StrCat(in.items.size(), in.items.size() == 1 ? " item" : " items");
  if (expected_count == 0) {
    return Invalid("items", given, absl::StrCat("no item responses: ", def.code, " has no items"));
  }
  if (static_cast<int>(in.items.size()) != expected_count) {
    std::string names;
    if (def.item_count == 0) {
      std::vector<std::string> n;
      for (const ItemDefinition& item : def.named_items) n.push_back(item.name);
      names = absl::StrCat(", in this order: ", absl::StrJoin(n, ", "));
    }
    return Invalid("items", given,
                   absl::StrCat(expected_count, " item responses for ", def.code, names));
  }
  for (size_t i = 0; i < in.items.size(); ++i) {
    const double v = in.items[i];
    const std::string field = absl::StrCat("items[", i + 1, "]");
    if (std::isnan(v)) {
      if (in.value_from_items) {
        return Invalid(field, "",
                       absl::StrCat(ItemDomain(def, i),
                                    "; every item must be answered when the total is computed "
                                    "from the items"));
      }
      ++*unanswered;
      continue;
    }
    double lo, hi;
    ItemRange(def, i, &lo, &hi);
    if (!std::isfinite(v) || (v < lo && !Nearly(v, lo)) || (v > hi && !Nearly(v, hi)) ||
        !IsWhole(v)) {
      return Invalid(field, FormatNumber(v), ItemDomain(def, i));
    }
    *sum += v;
  }
  return absl::OkStatus();
}

}  // namespace

std::string FieldError(absl::string_view field, absl::string_view value,
                       absl::string_view expected) {
  return absl::StrCat("field \"", field, "\": bad value \"", EscapeForMessage(value),
                      "\" (expected ", expected, ")");
}

absl::StatusOr<ValidatedValue> ValidateObservation(const MeasureDefinition& def,
                                                   const ObservationInput& in) {
  ValidatedValue out;
  out.items = in.items;

  // Items first: a computed total needs their sum.
  double item_sum = 0;
  int unanswered = 0;
  const bool have_items = !in.items.empty();
  if (have_items) {
    absl::Status s = ValidateItems(def, in, &item_sum, &unanswered);
    if (!s.ok()) return s;
  }

  if (in.value_from_items) {
    if (!have_items) {
      return Invalid("value", "", absl::StrCat("a value or the item responses of ", def.code));
    }
    if (!def.items_sum_to_total) {
      return Invalid("value", "",
                     absl::StrCat("a value: the items of ", def.code,
                                  " do not add up to its score, so it cannot be computed"));
    }
    if (in.comparator != Comparator::kNone) {
      return Invalid("value", ComparatorSymbol(in.comparator),
                     "an exact total: a sum of items is never censored");
    }
    // The sum is in the canonical unit (item scores are never converted), so
    // a unit, if given, must mean the same thing.
    UnitConversion conversion;
    bool canonical = false;
    absl::Status unit_status = ResolveUnit(def, in.unit, &conversion, &canonical);
    if (!unit_status.ok()) return unit_status;
    if (!canonical && (conversion.factor != 1.0 || conversion.offset != 0.0)) {
      return Invalid("unit", in.unit,
                     absl::StrCat(def.unit, ": a total computed from items is in ", def.unit));
    }
    // It still has to be a valid total.
    const std::string text = FormatNumber(item_sum);
    if (!InDomain(def, item_sum)) {
      return Invalid("value", text,
                     absl::StrCat(Domain(def), "; computed as the sum of the items"));
    }
    out.value = item_sum;
    out.original_value = in.original_value.empty() ? text : in.original_value;
    return out;
  }

  // What the user wrote: kept, and for messages with its unit ("<0.5",
  // "48 mmol/mol"); the latter only built for a message.
  out.original_value = in.original_value.empty()
                           ? absl::StrCat(ComparatorSymbol(in.comparator), FormatNumber(in.value))
                           : in.original_value;
  const auto entered_with_unit = [&]() {
    return in.unit.empty() ? out.original_value : absl::StrCat(out.original_value, " ", in.unit);
  };

  if (!std::isfinite(in.value)) {
    return Invalid("value", entered_with_unit(), "a finite number");
  }
  if (in.comparator != Comparator::kNone && !def.censorable) {
    return Invalid("value", entered_with_unit(),
                   absl::StrCat("an exact value: ", def.code,
                                " does not accept censored values (<, <=, >=, >)"));
  }

  UnitConversion conversion;
  bool canonical = false;
  absl::Status unit_status = ResolveUnit(def, in.unit, &conversion, &canonical);
  if (!unit_status.ok()) return unit_status;
  const double value = canonical ? in.value : ConvertToCanonical(in.value, conversion);

  // A conversion with an offset maps impossible amounts into range (the NGSP
  // equation turns 0 or -1 mmol/mol into about 2 %), so a measure that cannot
  // be negative cannot be negative, or zero when its minimum is above zero, in
  // any unit either.
  if (!canonical && def.min >= 0 && (in.value < 0 || (def.min > 0 && in.value == 0))) {
    return Invalid("value", entered_with_unit(),
                   absl::StrCat(Domain(def), "; in ", in.unit, ": a number ",
                                def.min > 0 ? "above 0" : "of at least 0"));
  }

  if (!InDomain(def, value)) {
    std::string expected = Domain(def);
    if (!canonical) {
      absl::StrAppend(&expected, "; ", entered_with_unit(), " is ", FormatRounded(value, 4), " ",
                      def.unit);
    }
    return Invalid("value", entered_with_unit(), expected);
  }

  // "<0" on a measure that starts at 0 (or ">" its maximum) leaves no
  // possible value.
  if ((in.comparator == Comparator::kLess && value <= def.min) ||
      (in.comparator == Comparator::kGreater && value >= def.max)) {
    const bool less = in.comparator == Comparator::kLess;
    return Invalid("value", entered_with_unit(),
                   absl::StrCat("a detection limit ", less ? "above " : "below ",
                                FormatNumber(less ? def.min : def.max), " ", def.unit, ": ",
                                ComparatorSymbol(in.comparator), FormatNumber(value),
                                " excludes every possible value"));
  }

  if (have_items && def.items_sum_to_total) {
    const double answered = item_sum;
    if (unanswered == 0) {
      if (!Nearly(value, answered)) {
        return Invalid("value", entered_with_unit(),
                       absl::StrCat(FormatNumber(answered), ", the sum of the ", in.items.size(),
                                    " items given"));
      }
    } else {
      // Unanswered items bound the total instead of fixing it.
      double max_missing = 0;
      for (size_t i = 0; i < in.items.size(); ++i) {
        if (!std::isnan(in.items[i])) continue;
        double lo, hi;
        ItemRange(def, i, &lo, &hi);
        max_missing += hi;
      }
      const double hi = answered + max_missing;
      if ((value < answered && !Nearly(value, answered)) || (value > hi && !Nearly(value, hi))) {
        return Invalid(
            "value", entered_with_unit(),
            absl::StrCat("a total from ", FormatNumber(answered), " to ", FormatNumber(hi),
                         ", given the answered items (", unanswered, " unanswered)"));
      }
    }
  }

  out.value = value;
  out.comparator = in.comparator;
  out.original_unit = canonical ? "" : in.unit;
  return out;
}

namespace {

// Unicode White_Space outside the control characters, which the rule refuses
// anywhere in an id.
bool IsSpace(uint32_t cp) {
  return cp == 0x20 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

std::string CodePointName(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", cp);
  return buf;
}

absl::Status BadPatientId(absl::string_view id, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("field \"patient\": bad value \"",
                                                 EscapeForMessage(id), "\" (", what, "; expected ",
                                                 kPatientIdRule, ")"));
}

}  // namespace

absl::Status ValidatePatientId(absl::string_view id) {
  if (id.empty()) return BadPatientId(id, "it is empty");
  if (id.size() > kMaxPatientIdBytes) {
    return BadPatientId(
        id, absl::StrCat("it has ", id.size(), " bytes, more than ", kMaxPatientIdBytes));
  }
  size_t i = 0;
  uint32_t first = 0, last = 0;
  while (i < id.size()) {
    uint32_t cp = 0;
    size_t len = Utf8SequenceLength(id, i, &cp);
    if (len == 0) {
      return BadPatientId(id, absl::StrCat("byte ", i + 1, " is not valid UTF-8"));
    }
    if (IsControl(cp)) {
      return BadPatientId(
          id, absl::StrCat("byte ", i + 1, " is the control character ", CodePointName(cp)));
    }
    if (i == 0) first = cp;
    last = cp;
    i += len;
  }
  // Ids are compared byte for byte: " P1" would be a second patient that
  // every listing shows as "P1".
  if (IsSpace(first)) {
    return BadPatientId(id, absl::StrCat("it starts with whitespace (", CodePointName(first), ")"));
  }
  if (IsSpace(last)) {
    return BadPatientId(id, absl::StrCat("it ends with whitespace (", CodePointName(last), ")"));
  }
  return absl::OkStatus();
}

absl::Status ValidateMeasureDefinition(const MeasureDefinition& def) {
  // code: [a-z][a-z0-9_]{0,31}
  bool code_ok =
      !def.code.empty() && def.code.size() <= 32 && def.code[0] >= 'a' && def.code[0] <= 'z';
  for (char c : def.code) {
    code_ok = code_ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (!code_ok) {
    return Invalid("code", def.code,
                   "a code of 1 to 32 characters: a lower-case letter, then lower-case letters, "
                   "digits or _");
  }
  const auto check_text = [](absl::string_view field, const std::string& text,
                             absl::string_view what) -> absl::Status {
    if (text.empty()) return Invalid(field, text, absl::StrCat("a non-empty ", what));
    if (text.size() > 256)
      return Invalid(field, text, absl::StrCat("a ", what, " of at most 256 bytes"));
    for (size_t i = 0; i < text.size();) {
      uint32_t cp = 0;
      size_t len = Utf8SequenceLength(text, i, &cp);
      if (len == 0 || IsControl(cp)) {
        return Invalid(field, text,
                       absl::StrCat("a ", what, " in UTF-8 without control characters"));
      }
      i += len;
    }
    return absl::OkStatus();
  };
  absl::Status s = check_text("name", def.name, "name");
  if (!s.ok()) return s;
  s = check_text("unit", def.unit, "unit");
  if (!s.ok()) return s;

  if (!std::isfinite(def.min)) return Invalid("min", FormatNumber(def.min), "a finite number");
  if (!std::isfinite(def.max)) return Invalid("max", FormatNumber(def.max), "a finite number");
  if (def.min > def.max) {
    return Invalid("max", FormatNumber(def.max),
                   absl::StrCat("a maximum at least the minimum ", FormatNumber(def.min)));
  }
  if (!std::isfinite(def.step) || def.step < 0) {
    return Invalid("step", FormatNumber(def.step), "a finite step >= 0 (0 = any value)");
  }
  if (def.step > 0 && def.max > def.min) {
    const double k = (def.max - def.min) / def.step;
    if (!Nearly(k, std::nearbyint(k))) {
      return Invalid("step", FormatNumber(def.step),
                     absl::StrCat("a step that divides the range ", FormatNumber(def.min), " to ",
                                  FormatNumber(def.max)));
    }
  }
  if (def.integer && (!IsWhole(def.min) || !IsWhole(def.max))) {
    return Invalid(IsWhole(def.min) ? "max" : "min",
                   FormatNumber(IsWhole(def.min) ? def.max : def.min),
                   "a whole number for an integer measure");
  }
  if (!std::isfinite(def.change_threshold) || def.change_threshold < 0) {
    return Invalid("change_threshold", FormatNumber(def.change_threshold),
                   "a finite change threshold >= 0");
  }
  for (size_t i = 0; i < def.allowed_values.size(); ++i) {
    const double v = def.allowed_values[i];
    if (!std::isfinite(v) || v < def.min || v > def.max) {
      return Invalid(absl::StrCat("allowed_values[", i + 1, "]"), FormatNumber(v),
                     absl::StrCat("a finite value from ", FormatNumber(def.min), " to ",
                                  FormatNumber(def.max)));
    }
  }

  std::vector<std::string> unit_names = {def.unit};
  for (size_t i = 0; i < def.units.size(); ++i) {
    const UnitConversion& c = def.units[i];
    const std::string field = absl::StrCat("units[", i + 1, "]");
    s = check_text(absl::StrCat(field, ".unit"), c.unit, "unit");
    if (!s.ok()) return s;
    for (const std::string& seen : unit_names) {
      if (absl::EqualsIgnoreCase(seen, c.unit)) {
        return Invalid(absl::StrCat(field, ".unit"), c.unit,
                       absl::StrCat("a unit not already accepted (", seen, ")"));
      }
    }
    unit_names.push_back(c.unit);
    if (!std::isfinite(c.factor) || c.factor == 0) {
      return Invalid(absl::StrCat(field, ".factor"), FormatNumber(c.factor),
                     "a finite, non-zero conversion factor");
    }
    if (!std::isfinite(c.offset)) {
      return Invalid(absl::StrCat(field, ".offset"), FormatNumber(c.offset),
                     "a finite conversion offset");
    }
  }

  // Items: either item_count scored items sharing one range, or named items
  // with their own ranges.
  if (def.item_count < 0 || def.item_count > 65535) {
    return Invalid("item_count", absl::StrCat(def.item_count), "a number of items from 0 to 65535");
  }
  if (def.item_count > 0 && !def.named_items.empty() &&
      static_cast<size_t>(def.item_count) != def.named_items.size()) {
    return Invalid("item_count", absl::StrCat(def.item_count),
                   absl::StrCat(def.named_items.size(), ", the number of named items"));
  }
  if (def.named_items.size() > 65535) {
    return Invalid("named_items", absl::StrCat(def.named_items.size(), " items"),
                   "at most 65535 items");
  }
  if (def.item_count > 0) {
    if (!std::isfinite(def.item_min)) {
      return Invalid("item_min", FormatNumber(def.item_min), "a finite number");
    }
    if (!std::isfinite(def.item_max) || def.item_max < def.item_min) {
      return Invalid(
          "item_max", FormatNumber(def.item_max),
          absl::StrCat("a finite number at least item_min ", FormatNumber(def.item_min)));
    }
  }
  for (size_t i = 0; i < def.named_items.size(); ++i) {
    const ItemDefinition& item = def.named_items[i];
    const std::string field = absl::StrCat("named_items[", i + 1, "]");
    s = check_text(absl::StrCat(field, ".name"), item.name, "item name");
    if (!s.ok()) return s;
    if (!std::isfinite(item.min)) {
      return Invalid(absl::StrCat(field, ".min"), FormatNumber(item.min), "a finite number");
    }
    if (!std::isfinite(item.max) || item.max < item.min) {
      return Invalid(absl::StrCat(field, ".max"), FormatNumber(item.max),
                     absl::StrCat("a finite number at least its min ", FormatNumber(item.min)));
    }
  }
  const int items = ItemCount(def);
  if (def.items_sum_to_total && items == 0) {
    return Invalid("items_sum_to_total", "true", "false for a measure without items");
  }
  for (size_t i = 0; i < def.subscales.size(); ++i) {
    const Subscale& sub = def.subscales[i];
    const std::string field = absl::StrCat("subscales[", i + 1, "]");
    s = check_text(absl::StrCat(field, ".name"), sub.name, "subscale name");
    if (!s.ok()) return s;
    if (sub.items.empty()) {
      return Invalid(absl::StrCat(field, ".items"), "", "at least one item number");
    }
    std::vector<int> seen;
    for (size_t k = 0; k < sub.items.size(); ++k) {
      const int n = sub.items[k];
      const std::string item_field = absl::StrCat(field, ".items[", k + 1, "]");
      if (n < 1 || n > items) {
        return Invalid(item_field, absl::StrCat(n),
                       absl::StrCat("an item number from 1 to ", items));
      }
      if (std::find(seen.begin(), seen.end(), n) != seen.end()) {
        return Invalid(item_field, absl::StrCat(n), "each item at most once in a subscale");
      }
      seen.push_back(n);
    }
  }
  for (size_t i = 0; i < def.loinc.size(); ++i) {
    s = check_text(absl::StrCat("loinc[", i + 1, "]"), def.loinc[i], "LOINC code");
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ValidateAttribution(const Provenance& provenance) {
  // Bounds as for patient ids: a user name is an account or a person, never
  // a paragraph; a reason is free text, but a line of the audit log.
  constexpr size_t kMaxUserBytes = 128;
  constexpr size_t kMaxReasonBytes = 4096;
  const std::string& user = provenance.user;
  if (!user.empty()) {
    if (user.size() > kMaxUserBytes) {
      return Invalid(
          "user", user,
          absl::StrCat("a user name of at most ", kMaxUserBytes, " bytes, not ", user.size()));
    }
    if (user.find_first_not_of(" \t") == std::string::npos) {
      return Invalid("user", user, "a user name, not only spaces (or none, for the handle's user)");
    }
    for (size_t i = 0; i < user.size();) {
      uint32_t cp = 0;
      const size_t len = Utf8SequenceLength(user, i, &cp);
      if (len == 0 || IsControl(cp)) {
        return Invalid("user", user,
                       absl::StrCat("a user name in UTF-8 without control characters; byte ", i + 1,
                                    " is not"));
      }
      i += len;
    }
  }
  const std::string& reason = provenance.reason;
  if (reason.size() > kMaxReasonBytes) {
    return Invalid(
        "reason", reason,
        absl::StrCat("a reason of at most ", kMaxReasonBytes, " bytes, not ", reason.size()));
  }
  for (size_t i = 0; i < reason.size();) {
    uint32_t cp = 0;
    const size_t len = Utf8SequenceLength(reason, i, &cp);
    // Line breaks and tabs are free text; other controls would garble the
    // audit log's lines and terminals.
    if (len == 0 || (IsControl(cp) && cp != '\t' && cp != '\n' && cp != '\r')) {
      return Invalid("reason", reason,
                     absl::StrCat("a reason in UTF-8 without control characters other than tabs "
                                  "and line breaks; byte ",
                                  i + 1, " is not"));
    }
    i += len;
  }
  return absl::OkStatus();
}

}  // namespace cotrack

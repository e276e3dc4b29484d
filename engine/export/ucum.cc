#include "export/ucum.h"

#include <algorithm>
#include <cstddef>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace cotrack {
namespace {

// UCUM's metric atoms (they take prefixes) and the non-metric atoms of
// clinical use. Bracketed atoms ([iU], [arb'U], m[Hg]...) are recognised by
// shape instead: the set is long and a unit written in brackets is meant as
// UCUM.
constexpr absl::string_view kMetricAtoms[] = {
    "mol", "rad", "cd", "sr",  "Hz",  "Pa",  "Ohm", "Wb",  "Cel", "lm",  "lx", "Bq",  "Gy",  "Sv",
    "bar", "eV",  "pc", "gf",  "Ky",  "Gal", "dyn", "erg", "Bi",  "St",  "Mx", "Oe",  "Gb",  "sb",
    "Lmb", "ph",  "Ci", "RAD", "REM", "cal", "mho", "Np",  "eq",  "osm", "g%", "kat", "bit", "By",
    "Bd",  "ar",  "m",  "s",   "g",   "K",   "C",   "N",   "J",   "W",   "A",  "V",   "F",   "S",
    "T",   "H",   "l",  "L",   "t",   "u",   "P",   "G",   "R",   "B",   "U"};
constexpr absl::string_view kOtherAtoms[] = {"10*", "10^", "min", "mo_s", "mo_j", "mo_g", "mo",
                                             "wk",  "a_t", "a_j", "a_g",  "deg",  "gon",  "h",
                                             "d",   "a",   "%",   "''",   "'"};
constexpr absl::string_view kPrefixes[] = {"da", "Ki", "Mi", "Gi", "Ti", "Y", "Z", "E",
                                           "P",  "T",  "G",  "M",  "k",  "h", "d", "c",
                                           "m",  "u",  "n",  "p",  "f",  "a", "z", "y"};

bool IsExponent(absl::string_view s) {
  if (s.empty()) return true;
  if (s[0] == '+' || s[0] == '-') s.remove_prefix(1);
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return absl::ascii_isdigit(c); });
}

bool IsAnnotation(absl::string_view s) {
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') return false;
  s = s.substr(1, s.size() - 2);
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c >= 0x21 && c <= 0x7E && c != '{' && c != '}'; });
}

// A bracketed special unit with an optional prefix and letters before the
// bracket (mm[Hg]), then an optional exponent.
bool IsBracketed(absl::string_view s) {
  const size_t open = s.find('['), close = s.find(']');
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open + 2) {
    return false;
  }
  const absl::string_view before = s.substr(0, open);
  if (!std::all_of(before.begin(), before.end(),
                   [](char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)); })) {
    return false;
  }
  const absl::string_view inside = s.substr(open + 1, close - open - 1);
  if (!std::all_of(inside.begin(), inside.end(), [](char c) {
        return c >= 0x21 && c <= 0x7E && c != '[' && c != ']' && c != '{' && c != '}';
      })) {
    return false;
  }
  return IsExponent(s.substr(close + 1));
}

bool IsAtomWithExponent(absl::string_view s, absl::string_view atom) {
  return absl::StartsWith(s, atom) && IsExponent(s.substr(atom.size()));
}

bool IsComponent(absl::string_view c) {
  if (c.empty()) return false;
  // A trailing annotation qualifies the unit before it and changes nothing.
  if (c.back() == '}') {
    const size_t open = c.rfind('{');
    if (open == absl::string_view::npos || !IsAnnotation(c.substr(open))) return false;
    if (open == 0) return true;
    c = c.substr(0, open);
  }
  if (std::all_of(c.begin(), c.end(), [](char ch) { return absl::ascii_isdigit(ch); })) return true;
  if (c.find('[') != absl::string_view::npos) return IsBracketed(c);
  for (absl::string_view atom : kOtherAtoms) {
    if (IsAtomWithExponent(c, atom)) return true;
  }
  for (absl::string_view atom : kMetricAtoms) {
    if (IsAtomWithExponent(c, atom)) return true;
  }
  for (absl::string_view prefix : kPrefixes) {
    if (!absl::StartsWith(c, prefix)) continue;
    const absl::string_view rest = c.substr(prefix.size());
    for (absl::string_view atom : kMetricAtoms) {
      if (IsAtomWithExponent(rest, atom)) return true;
    }
  }
  return false;
}

}  // namespace

bool IsUcumUnit(absl::string_view unit) {
  if (unit.empty()) return false;
  if (unit.front() == '/') unit.remove_prefix(1);
  size_t start = 0;
  int depth = 0;  // inside {} or [], where '.' and '/' are not operators
  for (size_t i = 0; i <= unit.size(); ++i) {
    const char c = i < unit.size() ? unit[i] : '\0';
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
    if (depth < 0 || c == '(' || c == ')' || c == ' ') return false;
    if (i == unit.size() || (depth == 0 && (c == '.' || c == '/'))) {
      if (!IsComponent(unit.substr(start, i - start))) return false;
      start = i + 1;
    }
  }
  return depth == 0;
}

}  // namespace cotrack

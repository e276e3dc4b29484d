// ParseMeasureAddOptions (cotrack/measure_options.h).
#include "cotrack/measure_options.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cotrack {

absl::StatusOr<UnitConversion> ParseUnitConversion(absl::string_view text) {
  const std::string spaced(absl::StripAsciiWhitespace(text));
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--convert: bad value \"", spaced, "\" (", why,
        "; expected UNIT=FACTOR*x+OFFSET, the canonical value of a value x given in UNIT, "
        "e.g. mmol/mol=0.0915*x+2.15 or mg/dL=x/18)"));
  };
  const size_t eq = spaced.find('=');
  if (eq == std::string::npos) return bad("no \"=\"");
  UnitConversion c;
  c.unit = std::string(absl::StripAsciiWhitespace(absl::string_view(spaced).substr(0, eq)));
  if (c.unit.empty()) return bad("no unit before \"=\"");
  std::string e;  // the expression without spaces
  for (char ch : absl::string_view(spaced).substr(eq + 1)) {
    if (ch != ' ' && ch != '\t') e += ch;
  }
  const size_t x = e.find('x');
  if (x == std::string::npos || e.find('x', x + 1) != std::string::npos) {
    return bad("the expression must use x once");
  }
  auto number = [](absl::string_view t, double* out) {
    absl::StatusOr<double> v = ParseNumberOption("", t);
    if (!v.ok()) return false;
    *out = *v;
    return true;
  };
  // Before x: nothing, "-" or "FACTOR*".
  absl::string_view before = absl::string_view(e).substr(0, x);
  if (before == "-") {
    c.factor = -1;
  } else if (!before.empty()) {
    if (before.back() != '*' || !number(before.substr(0, before.size() - 1), &c.factor)) {
      return bad("expected a number and \"*\" before x");
    }
  }
  // After x: optionally "*FACTOR" or "/DIVISOR", then optionally +/-OFFSET.
  absl::string_view after = absl::string_view(e).substr(x + 1);
  if (!after.empty() && (after[0] == '*' || after[0] == '/')) {
    const char op = after[0];
    size_t end = 1;
    while (end < after.size() && !((after[end] == '+' || after[end] == '-') &&
                                   after[end - 1] != 'e' && after[end - 1] != 'E' && end > 1)) {
      ++end;
    }
    double k = 0;
    if (!before.empty() || !number(after.substr(1, end - 1), &k) || (op == '/' && k == 0)) {
      return bad(op == '/' ? "expected a non-zero number after \"/\""
                           : "expected one factor, either before or after x");
    }
    c.factor = op == '*' ? k : 1 / k;
    after.remove_prefix(end);
  }
  if (!after.empty()) {
    if (after[0] != '+' && after[0] != '-') return bad("expected + or - and an offset after x");
    if (!number(after.substr(1), &c.offset)) return bad("the offset is not a number");
    if (after[0] == '-') c.offset = -c.offset;
  }
  if (c.factor == 0) return bad("the factor must not be 0");
  return c;
}

std::string FormatUnitConversion(const UnitConversion& c) {
  std::string out = absl::StrCat(c.unit, "=");
  if (c.factor != 1) absl::StrAppend(&out, ShortestNumber(c.factor), "*");
  absl::StrAppend(&out, "x");
  if (c.offset > 0) absl::StrAppend(&out, "+", ShortestNumber(c.offset));
  if (c.offset < 0) absl::StrAppend(&out, "-", ShortestNumber(-c.offset));
  return out;
}

namespace {

// A LOINC code: 1 to 7 digits, "-", a check digit (e.g. 4548-4).
bool IsLoincCode(absl::string_view code) {
  const size_t dash = code.find('-');
  if (dash == absl::string_view::npos || dash == 0 || dash > 7 || dash + 2 != code.size()) {
    return false;
  }
  for (size_t i = 0; i < code.size(); ++i) {
    if (i != dash && !absl::ascii_isdigit(code[i])) return false;
  }
  return true;
}

// The comma-separated items of an option, trimmed, without empty ones.
std::vector<std::string> ListOption(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

// Applies --convert, --unit-synonym and --loinc of `args` to `m`: a unit
// given again replaces its conversion; a LOINC code given again is kept
// once.
absl::Status ApplyUnitAndCodeOptions(const OptionReader& args, MeasureDefinition& m) {
  std::vector<UnitConversion> added;
  if (auto text = args.Get("convert")) {
    for (const std::string& item : ListOption(*text)) {
      absl::StatusOr<UnitConversion> c = ParseUnitConversion(item);
      if (!c.ok()) return c.status();
      added.push_back(*std::move(c));
    }
  }
  if (auto text = args.Get("unit-synonym")) {
    for (const std::string& unit : ListOption(*text)) {
      UnitConversion c;
      c.unit = unit;
      added.push_back(std::move(c));
    }
  }
  for (UnitConversion& c : added) {
    if (absl::EqualsIgnoreCase(c.unit, m.unit)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unit \"", c.unit,
                       "\" is the canonical unit (--unit) itself; "
                       "--convert and --unit-synonym name the other units values may come in"));
    }
    bool replaced = false;
    for (UnitConversion& existing : m.units) {
      if (absl::EqualsIgnoreCase(existing.unit, c.unit)) {
        existing = c;
        replaced = true;
      }
    }
    if (!replaced) m.units.push_back(std::move(c));
  }
  if (auto text = args.Get("loinc")) {
    for (std::string& code : ListOption(*text)) {
      if (!IsLoincCode(code)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--loinc: bad value \"", code, "\" (expected a LOINC code such as 4548-4)"));
      }
      if (std::find(m.loinc.begin(), m.loinc.end(), code) == m.loinc.end()) {
        m.loinc.push_back(std::move(code));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

// The definition's fields among `args` applied to `m` (those not given keep
// their value): name, unit, description, integer, the numbers, direction,
// then --convert, --unit-synonym and --loinc; the result's range and numbers
// checked.
absl::Status ApplyDefinitionOptions(const OptionReader& args, MeasureDefinition& m) {
  if (auto v = args.Get("name")) m.name = *v;
  if (auto v = args.Get("unit")) m.unit = *v;
  if (auto v = args.Get("description")) m.description = *v;
  if (args.Get("integer")) {
    absl::StatusOr<bool> integer = args.Flag("integer");
    if (!integer.ok()) return integer.status();
    m.integer = *integer;
  }
  struct NumberFlag {
    const char* name;
    double* target;
  };
  for (NumberFlag flag :
       {NumberFlag{"min", &m.min}, NumberFlag{"max", &m.max}, NumberFlag{"step", &m.step},
        NumberFlag{"threshold", &m.change_threshold}}) {
    std::optional<std::string> text = args.Get(flag.name);
    if (!text) continue;
    absl::StatusOr<double> v = ParseNumberOption(absl::StrCat("--", flag.name), *text);
    if (!v.ok()) return v.status();
    *flag.target = *v;
  }
  if (m.min > m.max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--min ", ShortestNumber(m.min), " is above --max ", ShortestNumber(m.max)));
  }
  if (m.step < 0) return absl::InvalidArgumentError("--step: must not be negative");
  if (m.change_threshold < 0) {
    return absl::InvalidArgumentError("--threshold: must not be negative");
  }
  if (auto direction = args.Get("direction")) {
    if (*direction == "higher-is-worse") {
      m.direction = Direction::kHigherIsWorse;
    } else if (*direction == "higher-is-better") {
      m.direction = Direction::kHigherIsBetter;
    } else if (*direction == "none") {
      m.direction = Direction::kNone;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--direction: bad value \"", *direction,
                                                     "\" (expected higher-is-worse, "
                                                     "higher-is-better or none)"));
    }
  }
  return ApplyUnitAndCodeOptions(args, m);
}

absl::StatusOr<std::string> ReasonOption(const OptionReader& args) {
  auto reason = args.Get("reason");
  if (!reason) return std::string();
  if (reason->find_first_not_of(" \t") == std::string::npos) {
    return absl::InvalidArgumentError("--reason: empty value (say why, or leave the flag out)");
  }
  return *reason;
}

}  // namespace

absl::StatusOr<MeasureAddOptions> ParseMeasureAddOptions(const NamedOptions& named) {
  absl::StatusOr<OptionReader> read = OptionReader::Read(
      named, {"code", "name", "unit", "min", "max", "step", "direction", "threshold", "description",
              "reason", "integer", "convert", "unit-synonym", "loinc", "no-sync"});
  if (!read.ok()) return read.status();
  const OptionReader& args = *read;
  MeasureAddOptions request;
  MeasureDefinition& m = request.measure;
  for (const char* required : {"code", "name", "unit", "min", "max"}) {
    if (!args.Get(required)) {
      return absl::InvalidArgumentError(absl::StrCat("--", required, " is required"));
    }
  }
  m.code = *args.Get("code");
  if (absl::Status s = ApplyDefinitionOptions(args, m); !s.ok()) return s;
  absl::StatusOr<std::string> reason = ReasonOption(args);
  if (!reason.ok()) return reason.status();
  request.reason = *std::move(reason);
  absl::StatusOr<bool> no_sync = args.Flag("no-sync");
  if (!no_sync.ok()) return no_sync.status();
  request.sync = !*no_sync;
  return request;
}

absl::StatusOr<MeasureEditOptions> ParseMeasureEditOptions(const MeasureDefinition& current,
                                                           const NamedOptions& named) {
  absl::StatusOr<OptionReader> read =
      OptionReader::Read(named, {"name", "unit", "min", "max", "step", "direction", "threshold",
                                 "description", "integer", "convert", "unit-synonym", "loinc",
                                 "remove-unit", "remove-loinc", "reason", "dry-run", "no-sync"});
  if (!read.ok()) return read.status();
  const OptionReader& args = *read;
  MeasureEditOptions request;
  MeasureDefinition& m = request.measure;
  m = current;
  if (auto units = args.Get("remove-unit")) {
    for (const std::string& unit : ListOption(*units)) {
      auto it = std::find_if(m.units.begin(), m.units.end(), [&](const UnitConversion& c) {
        return absl::EqualsIgnoreCase(c.unit, unit);
      });
      if (it == m.units.end()) {
        std::vector<std::string> names;
        for (const UnitConversion& c : m.units) names.push_back(c.unit);
        return absl::InvalidArgumentError(absl::StrCat(
            "--remove-unit: ", m.code, " accepts no unit \"", unit, "\" besides its own (",
            names.empty() ? "it has none" : absl::StrCat("it has ", absl::StrJoin(names, ", ")),
            ")"));
      }
      m.units.erase(it);
    }
  }
  if (auto codes = args.Get("remove-loinc")) {
    for (const std::string& code : ListOption(*codes)) {
      auto it = std::find(m.loinc.begin(), m.loinc.end(), code);
      if (it == m.loinc.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--remove-loinc: ", m.code, " has no LOINC code \"", code, "\" (",
            m.loinc.empty() ? "it has none" : absl::StrCat("it has ", absl::StrJoin(m.loinc, ", ")),
            ")"));
      }
      m.loinc.erase(it);
    }
  }
  if (absl::Status s = ApplyDefinitionOptions(args, m); !s.ok()) return s;
  absl::StatusOr<std::string> reason = ReasonOption(args);
  if (!reason.ok()) return reason.status();
  request.reason = *std::move(reason);
  for (auto [flag, target] : {std::pair<const char*, bool*>{"dry-run", &request.dry_run}}) {
    absl::StatusOr<bool> v = args.Flag(flag);
    if (!v.ok()) return v.status();
    *target = *v;
  }
  absl::StatusOr<bool> no_sync = args.Flag("no-sync");
  if (!no_sync.ok()) return no_sync.status();
  request.sync = !*no_sync;
  return request;
}

}  // namespace cotrack

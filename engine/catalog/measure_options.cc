// ParseMeasureAddOptions (cotrack/measure_options.h).
#include "cotrack/measure_options.h"

#include <optional>

#include "absl/strings/str_cat.h"

namespace cotrack {

absl::StatusOr<MeasureAddOptions> ParseMeasureAddOptions(const NamedOptions& named) {
  absl::StatusOr<OptionReader> read =
      OptionReader::Read(named, {"code", "name", "unit", "min", "max", "step", "direction",
                                 "threshold", "description", "reason", "integer", "no-sync"});
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
  m.name = *args.Get("name");
  m.unit = *args.Get("unit");
  m.description = args.Get("description").value_or("");
  absl::StatusOr<bool> integer = args.Flag("integer");
  if (!integer.ok()) return integer.status();
  m.integer = *integer;
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
  std::string direction = args.Get("direction").value_or("none");
  if (direction == "higher-is-worse") {
    m.direction = Direction::kHigherIsWorse;
  } else if (direction == "higher-is-better") {
    m.direction = Direction::kHigherIsBetter;
  } else if (direction == "none") {
    m.direction = Direction::kNone;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("--direction: bad value \"", direction,
                                                   "\" (expected higher-is-worse, "
                                                   "higher-is-better or none)"));
  }
  if (auto reason = args.Get("reason")) {
    if (reason->find_first_not_of(" \t") == std::string::npos) {
      return absl::InvalidArgumentError("--reason: empty value (say why, or leave the flag out)");
    }
    request.reason = *reason;
  }
  absl::StatusOr<bool> no_sync = args.Flag("no-sync");
  if (!no_sync.ok()) return no_sync.status();
  request.sync = !*no_sync;
  return request;
}

}  // namespace cotrack

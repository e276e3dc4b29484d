// ParseExportOptions (cotrack/export.h): the options of `cotrack export`,
// shared by the command line and the C ABI.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cotrack/export.h"
#include "cotrack/named_options.h"

namespace cotrack {

absl::StatusOr<int64_t> ParseExportInstant(absl::string_view flag, absl::string_view text) {
  const std::string s(text);
  absl::Time t;
  std::string err;
  if (s.size() == 10 && absl::ParseTime("%Y-%m-%d", s, absl::UTCTimeZone(), &t, &err)) {
    return absl::ToUnixMicros(t);
  }
  if (absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return absl::ToUnixMicros(t);
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, ": bad value \"", s,
                   "\" (expected an instant with its zone, 2026-12-03T15:00:01.123456Z or "
                   "2026-12-03T16:00:01+01:00, or a date, 2026-12-03, meaning its midnight UTC)"));
}

absl::StatusOr<ExportCommandOptions> ParseExportOptions(const NamedOptions& named) {
  absl::StatusOr<OptionReader> read =
      OptionReader::Read(named, {"format", "measure", "patient", "with-patients", "deidentify",
                                 "deidentify-key", "since", "until"});
  if (!read.ok()) return read.status();
  const OptionReader& args = *read;
  ExportCommandOptions result;
  ExportOptions& options = result.options;
  const std::string format = args.Get("format").value_or("csv");
  if (format == "csv") {
    options.format = ExportFormat::kCsv;
  } else if (format == "ndjson" || format == "json") {
    options.format = ExportFormat::kNdjson;
  } else if (format == "fhir") {
    options.format = ExportFormat::kFhir;
  } else if (format == "omop") {
    options.format = ExportFormat::kOmop;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--format: bad value \"", format, "\" (expected csv, ndjson, fhir or omop)"));
  }
  if (auto measures = args.Get("measure")) {
    for (absl::string_view m : absl::StrSplit(*measures, ',', absl::SkipEmpty())) {
      options.measures.emplace_back(m);
    }
    if (options.measures.empty()) {
      return absl::InvalidArgumentError("--measure: no measure code given");
    }
  }
  options.patient = args.Get("patient");
  absl::StatusOr<bool> with_patients = args.Flag("with-patients");
  if (!with_patients.ok()) return with_patients.status();
  options.fhir_patients = *with_patients;
  if (options.fhir_patients && options.format != ExportFormat::kFhir) {
    return absl::InvalidArgumentError("--with-patients needs --format fhir");
  }
  absl::StatusOr<bool> deidentify = args.Flag("deidentify");
  if (!deidentify.ok()) return deidentify.status();
  std::optional<std::string> key_file = args.Get("deidentify-key");
  if (*deidentify) {
    if (!key_file || key_file->empty()) {
      return absl::InvalidArgumentError("--deidentify needs a key: --deidentify-key F");
    }
    result.deidentify_key_file = *key_file;
  } else if (key_file) {
    return absl::InvalidArgumentError("--deidentify-key needs --deidentify");
  }
  for (const char* flag : {"since", "until"}) {
    std::optional<std::string> text = args.Get(flag);
    if (!text) continue;
    absl::StatusOr<int64_t> us = ParseExportInstant(flag, *text);
    if (!us.ok()) return us.status();
    (flag == std::string("since") ? options.since_us : options.until_us) = *us;
  }
  if ((options.since_us || options.until_us) && options.format == ExportFormat::kOmop) {
    return absl::InvalidArgumentError(
        "--since/--until work with --format csv, ndjson or fhir; omop tables are a whole "
        "snapshot each time (measurement_id numbers the rows of one export)");
  }
  if (options.since_us && options.until_us && *options.until_us < *options.since_us) {
    return absl::InvalidArgumentError("--until is before --since");
  }
  return result;
}

}  // namespace cotrack

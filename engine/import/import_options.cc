// ParseImportOptions (cotrack/import.h): the options of `cotrack import`,
// shared by the command line and the C ABI.
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "cotrack/import.h"
#include "cotrack/named_options.h"

namespace cotrack {

absl::StatusOr<ImportOptions> ParseImportOptions(const NamedOptions& named) {
  absl::StatusOr<OptionReader> read =
      OptionReader::Read(named, {"format", "mapping", "ignore-columns", "hl7-patient-id-field",
                                 "hl7-patient-id-authority", "hl7-patient-id-type", "on-error",
                                 "duplicates", "reject-file", "reason", "timezone", "index-date",
                                 "replace-registration", "dry-run", "no-sync"});
  if (!read.ok()) return read.status();
  const OptionReader& args = *read;
  ImportOptions options;
  absl::StatusOr<ImportFormat> format = ParseImportFormat(args.Get("format").value_or("auto"));
  if (!format.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--format: ", format.status().message()));
  }
  options.format = *format;
  options.mapping_file = args.Get("mapping").value_or("");
  if (auto ignore = args.Get("ignore-columns")) {
    for (absl::string_view c : absl::StrSplit(*ignore, ',', absl::SkipEmpty())) {
      options.ignore_columns.push_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(c)));
    }
  }
  if (auto field = args.Get("hl7-patient-id-field")) {
    const std::string f = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(*field));
    if (f == "PID-2" || f == "2") {
      options.hl7_patient_id_field = 2;
    } else if (f == "PID-3" || f == "3") {
      options.hl7_patient_id_field = 3;
    } else if (f == "PID-4" || f == "4") {
      options.hl7_patient_id_field = 4;
    } else {
      return absl::InvalidArgumentError(absl::StrFormat(
          "--hl7-patient-id-field: bad value \"%s\" (expected PID-2, PID-3 or PID-4)", *field));
    }
  }
  options.hl7_patient_id_authority = args.Get("hl7-patient-id-authority").value_or("");
  options.hl7_patient_id_type = args.Get("hl7-patient-id-type").value_or("");
  const std::string on_error = args.Get("on-error").value_or("abort");
  if (on_error == "skip") {
    options.on_error = ImportOptions::OnError::kSkip;
  } else if (on_error != "abort") {
    return absl::InvalidArgumentError(
        absl::StrFormat("--on-error: bad value \"%s\" (expected abort or skip)", on_error));
  }
  if (auto policy = args.Get("duplicates")) {
    absl::StatusOr<ImportOptions::Duplicates> d = ParseDuplicatesPolicy(*policy);
    if (!d.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--duplicates: ", d.status().message()));
    }
    options.duplicates = *d;
  }
  options.reject_file = args.Get("reject-file").value_or("");
  if (auto zone = args.Get("timezone")) {
    if (zone->empty()) {
      return absl::InvalidArgumentError(
          "--timezone: empty value (an IANA name such as Europe/Berlin)");
    }
    options.timezone = *zone;
  }
  if (auto reason = args.Get("reason")) {
    if (reason->find_first_not_of(" \t") == std::string::npos) {
      return absl::InvalidArgumentError("--reason: empty value (say why, or leave the flag out)");
    }
    options.reason = *reason;
  }
  if (auto index_date = args.Get("index-date")) {
    if (absl::AsciiStrToLower(absl::StripAsciiWhitespace(*index_date)) != "first-visit") {
      return absl::InvalidArgumentError(absl::StrFormat(
          "--index-date: bad value \"%s\" (expected first-visit; to give patients an index date "
          "of your own, import a patients file with the columns patient,index_date)",
          *index_date));
    }
    options.index_date_first_visit = true;
  }
  absl::StatusOr<bool> replace = args.Flag("replace-registration");
  if (!replace.ok()) return replace.status();
  options.replace_registration = *replace;
  absl::StatusOr<bool> dry_run = args.Flag("dry-run");
  if (!dry_run.ok()) return dry_run.status();
  absl::StatusOr<bool> no_sync = args.Flag("no-sync");
  if (!no_sync.ok()) return no_sync.status();
  options.write.dry_run = *dry_run;
  options.write.sync = !*no_sync;
  return options;
}

}  // namespace cotrack

// `cotrack export --format csv|ndjson|fhir [--measure M] [--patient P]
//  [--out FILE] [--deidentify --key-file F]`
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "command.h"
#include "cotrack/export.h"
#include "flags.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "export";

int Run(const GlobalContext& ctx, const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, {{"format"},
                                                       {"measure"},
                                                       {"patient"},
                                                       {"out"},
                                                       {"deidentify", FlagSpec::kBool},
                                                       {"deidentify-key"},
                                                       {"with-patients", FlagSpec::kBool}});
  if (!parsed.ok()) return UsageError(kName, parsed.status().message());
  if (!parsed->positionals().empty()) return UsageError(kName, "expected no arguments");

  ExportOptions options;
  const std::string format = parsed->Get("format").value_or("csv");
  if (format == "csv") {
    options.format = ExportFormat::kCsv;
  } else if (format == "ndjson" || format == "json") {
    options.format = ExportFormat::kNdjson;
  } else if (format == "fhir") {
    options.format = ExportFormat::kFhir;
  } else {
    return UsageError(
        kName, absl::StrCat("--format: bad value \"", format, "\" (expected csv, ndjson or fhir)"));
  }
  if (auto measures = parsed->Get("measure")) {
    for (absl::string_view m : absl::StrSplit(*measures, ',', absl::SkipEmpty())) {
      options.measures.emplace_back(m);
    }
    if (options.measures.empty()) return UsageError(kName, "--measure: no measure code given");
  }
  options.patient = parsed->Get("patient");
  options.fhir_patients = parsed->Has("with-patients");
  if (options.fhir_patients && options.format != ExportFormat::kFhir) {
    return UsageError(kName, "--with-patients needs --format fhir");
  }

  // `--key-file` is a global flag (the database's encryption key). With
  // --deidentify and no --deidentify-key it names the de-identification key,
  // as the documented `export --deidentify --key-file F` says; the database
  // is then opened without an encryption key.
  GlobalContext db_ctx = ctx;
  if (parsed->Has("deidentify")) {
    std::string key_file = parsed->Get("deidentify-key").value_or("");
    if (key_file.empty()) {
      key_file = ctx.key_file;
      db_ctx.key_file.clear();
    }
    if (key_file.empty()) {
      return UsageError(kName, "--deidentify needs a key: --key-file F (or --deidentify-key F)");
    }
    absl::StatusOr<std::string> key = ReadDeidentifyKey(key_file);
    if (!key.ok()) return RuntimeError(key.status());
    options.deidentify_key = *std::move(key);
  } else if (parsed->Has("deidentify-key")) {
    return UsageError(kName, "--deidentify-key needs --deidentify");
  }

  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(db_ctx, OpenMode::kRead);
  if (!db.ok()) return RuntimeError(db.status());

  std::ofstream file;
  std::ostream* out = &std::cout;
  const std::optional<std::string> out_path = parsed->Get("out");
  if (out_path && *out_path != "-") {
    file.open(*out_path, std::ios::binary | std::ios::trunc);
    if (!file) return RuntimeError(absl::NotFoundError(absl::StrCat("cannot write ", *out_path)));
    out = &file;
  }
  absl::StatusOr<ExportSummary> summary = Export(**db, options, *out);
  if (!summary.ok()) {
    if (absl::IsNotFound(summary.status()) && options.patient) {
      if (absl::Status known = CheckPatientExists(**db, *options.patient); !known.ok()) {
        return RuntimeError(known);
      }
    }
    return RuntimeError(summary.status());
  }
  if (file.is_open()) {
    file.close();
    if (!file)
      return RuntimeError(absl::DataLossError(absl::StrCat("writing ", *out_path, " failed")));
  }
  std::fprintf(stderr, "cotrack: exported %lld values of %lld patients%s\n",
               static_cast<long long>(summary->observations),
               static_cast<long long>(summary->patients),
               options.deidentify_key ? " (de-identified)" : "");
  return 0;
}

const Command kExportCommand =
    LegacyCommand(kName, "Current values as CSV, JSON Lines or FHIR, optionally de-identified",
                  R"(Usage: cotrack export [--format csv|ndjson|fhir] [--measure M[,M...]]
                      [--patient P] [--out FILE] [--with-patients]
                      [--deidentify --key-file F]

Writes the current value of every observation (retracted values left out),
measure by measure, for other systems. Formats (docs/EXPORT.md):
  csv     (default) header row, then patient, measure, date, value, unit,
          comparator, visit, status, version, recorded_at - the columns of
          `trajectory --format csv`
  ndjson  one JSON object per line with those columns (also: json)
  fhir    FHIR R4 Bulk Data NDJSON: one Observation resource per line, coded
          with LOINC where the measure has a code and with
          https://cotrack.example/fhir/CodeSystem/measure

Options:
  --measure M        only these measures (comma-separated codes)
  --patient P        only this patient
  --out FILE         write to FILE instead of standard output
  --with-patients    fhir: also one Patient resource per patient, first
  --deidentify       replace patient ids by keyed pseudonyms, shift each
                     patient's dates by a per-patient offset, leave out
                     recorded_at, provenance and free-text attributes
  --key-file F       with --deidentify: the secret key (16 bytes or more).
                     Same key, same pseudonyms and shifts.
  --deidentify-key F the same, for when --key-file is the key of an
                     encrypted database
)",
                  Run);
COTRACK_REGISTER_COMMAND(kExportCommand);

}  // namespace
}  // namespace cotrack::tools

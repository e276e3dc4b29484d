// `cotrack export --format csv|ndjson|fhir|omop [--measure M] [--patient P]
//  [--out FILE] [--deidentify --key-file F]`
#include "cmd_export.h"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "command.h"
#include "cotrack/export.h"
#include "cotrack/text.h"
#include "flags.h"

namespace cotrack::tools {

// The options are the engine's (ParseExportOptions), shared with the C ABI;
// --out is where this command writes.
absl::StatusOr<ExportRequest> ParseExportRequest(const ParsedArgs& args, const GlobalContext& ctx) {
  ExportRequest request;
  NamedOptions named = args.Named({"out"});
  // `--key-file` is a global flag (the database's encryption key). With
  // --deidentify and no --deidentify-key it names the de-identification key,
  // as the documented `export --deidentify --key-file F` says; the database
  // is then opened without an encryption key.
  request.db_key_file = ctx.key_file;
  if (args.Has("deidentify") && args.Get("deidentify-key").value_or("").empty()) {
    NamedOptions without_key;
    for (const auto& pair : named) {
      if (pair.first != "deidentify-key") without_key.push_back(pair);
    }
    named = std::move(without_key);
    if (ctx.key_file.empty()) {
      // The other options' errors first, then this command's own key rule.
      named.erase(std::remove_if(named.begin(), named.end(),
                                 [](const auto& p) { return p.first == "deidentify"; }),
                  named.end());
      absl::StatusOr<ExportCommandOptions> rest = ParseExportOptions(named);
      if (!rest.ok()) return rest.status();
      return absl::InvalidArgumentError(
          "--deidentify needs a key: --key-file F (or --deidentify-key F)");
    }
    named.emplace_back("deidentify-key", ctx.key_file);
    request.db_key_file.clear();
  }
  absl::StatusOr<ExportCommandOptions> parsed = ParseExportOptions(named);
  if (!parsed.ok()) return parsed.status();
  request.options = parsed->options;
  request.deidentify_key_file = parsed->deidentify_key_file;
  request.out = args.Get("out");
  if (request.options.format == ExportFormat::kOmop && (!request.out || *request.out == "-")) {
    return absl::InvalidArgumentError(
        "--format omop writes a directory of tables (person.csv, observation_period.csv, "
        "measurement.csv, cdm_source.csv): give it as --out DIR");
  }
  return request;
}

namespace {

constexpr char kName[] = "export";

absl::StatusOr<ExportSummary> Execute(Database& db, const ExportOptions& options,
                                      const std::optional<std::string>& out_path) {
  absl::StatusOr<ExportSummary> summary = out_path && *out_path != "-"
                                              ? ExportToFile(db, options, *out_path)
                                              : Export(db, options, std::cout);
  if (absl::IsNotFound(summary.status()) && options.patient) {
    if (absl::Status known = CheckPatientExists(db, *options.patient); !known.ok()) return known;
  }
  return summary;
}

int Run(const GlobalContext& ctx, const ExportRequest& request) {
  ExportOptions options = request.options;
  if (request.deidentify_key_file) {
    absl::StatusOr<std::string> key = ReadDeidentifyKey(*request.deidentify_key_file);
    if (!key.ok()) return RuntimeError(key.status());
    options.deidentify_key = *std::move(key);
  }
  GlobalContext db_ctx = ctx;
  db_ctx.key_file = request.db_key_file;
  options.encryption_key_file = request.db_key_file;
  return RunOnDatabase(
      db_ctx, OpenMode::kRead, [&](Database& db) { return Execute(db, options, request.out); },
      [&](const ExportSummary& summary) {
        std::fprintf(stderr, "cotrack: exported %lld values of %lld patients%s\n",
                     static_cast<long long>(summary.observations),
                     static_cast<long long>(summary.patients),
                     options.deidentify_key ? " (de-identified)" : "");
        if (options.since_us || options.until_us) {
          // The instant to continue from: the next run's --since.
          const std::string up_to = FormatTimestampUs(summary.up_to_us);
          std::fprintf(stderr,
                       "cotrack: %lld of them retractions (status entered-in-error); exported "
                       "changes up to %s; next: --since %s\n",
                       static_cast<long long>(summary.retracted), up_to.c_str(), up_to.c_str());
        }
        return 0;
      });
}

const Command kExportCommand =
    MakeCommand({kName,
                 "Current values as CSV, JSON Lines, FHIR or OMOP, optionally de-identified",
                 R"(Usage: cotrack export [--format csv|ndjson|fhir|omop] [--measure M[,M...]]
                      [--patient P] [--out FILE] [--with-patients]
                      [--deidentify --key-file F] [--since T] [--until T]

Writes the current value of every observation (retracted values left out),
measure by measure, for other systems. Formats (docs/EXPORT.md):
  csv     (default) header row, then patient, measure, date, value, unit,
          comparator, visit, status, version, recorded_at - the columns of
          `trajectory --format csv`
  ndjson  one JSON object per line with those columns (also: json)
  fhir    FHIR R4 Bulk Data NDJSON: one Observation resource per line, coded
          with LOINC where the measure has a code and with
          https://cotrack.example/fhir/CodeSystem/measure
  omop    OMOP CDM 5.4 tables person.csv, observation_period.csv,
          measurement.csv and cdm_source.csv, written into --out DIR

Options:
  --measure M        only these measures (comma-separated codes)
  --patient P        only this patient
  --out FILE         write to FILE instead of standard output (omop: the
                     directory to write the tables into, required). When the
                     process serving the database to this one dies midway,
                     FILE is written again from the start
  --with-patients    fhir: also one Patient resource per patient, first
  --deidentify       replace patient ids by keyed pseudonyms, shift each
                     patient's dates by a per-patient offset, leave out
                     recorded_at, provenance and free-text attributes
  --key-file F       with --deidentify: the secret key (16 bytes or more).
                     Same key, same pseudonyms and shifts.
  --deidentify-key F the same, for when --key-file is the key of an
                     encrypted database
  --since T          only what changed after the instant T (csv, ndjson,
                     fhir): new and corrected values as their current value,
                     and values retracted since as a row / Observation with
                     status entered-in-error; with --with-patients the
                     patients whose registration changed. T is
                     2026-12-03T15:00:01.123456Z (any offset), or a date,
                     meaning its midnight UTC. From one snapshot; stderr
                     says up to when, and the --since of the next run
  --until T          only changes up to T (same forms; alone: the values
                     current at T)
)",
                 Arity::None(),
                 {{"format"},
                  {"measure"},
                  {"patient"},
                  {"out"},
                  {"deidentify", FlagSpec::kBool},
                  {"deidentify-key"},
                  {"with-patients", FlagSpec::kBool},
                  {"since"},
                  {"until"}}},
                ParseExportRequest, Run);
COTRACK_REGISTER_COMMAND(kExportCommand);

}  // namespace
}  // namespace cotrack::tools

// Getting data out of a cotrack database for other systems.
//
// Export writes the current values (what `trajectory` shows): CSV, JSON
// Lines or FHIR R4 Bulk Data NDJSON, and ExportOmop the tables of the OMOP
// CDM 5.4; all optionally de-identified. Formats: docs/EXPORT.md.
//
// Whole databases in and out (DumpDatabase, LoadDatabase) are maintenance,
// declared in cotrack/maintenance.h beside check and backup; it is included
// here so that code written when they were declared here still builds.
#ifndef COTRACK_EXPORT_H_
#define COTRACK_EXPORT_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/database.h"
#include "cotrack/maintenance.h"
#include "cotrack/named_options.h"
#include "cotrack/options.h"

namespace cotrack {

enum class ExportFormat {
  kCsv,     // header row, then the columns of `trajectory --format csv`
  kNdjson,  // one JSON object per line, those same columns
  kFhir,    // FHIR R4 Observation (and Patient) resources, one per line
  kOmop,    // OMOP CDM 5.4 tables, a directory of CSV files: ExportOmop only
};

// cotrack's own FHIR naming, written by export and read back by import so
// that export -> import -> export is identical (docs/EXPORT.md). The URIs
// identify; they do not resolve.
// The code system of the cotrack measure codes.
constexpr char kMeasureCodeSystem[] = "https://cotrack.example/fhir/CodeSystem/measure";
// The identifier system of the clinic's patient ids (Patient.identifier and
// Observation.subject.identifier).
constexpr char kPatientIdSystem[] = "https://cotrack.example/fhir/NamingSystem/patient-id";
// Extension URLs: kFhirExtensionBase + "visit" (Observation, valueString),
// "time-of-day" (Observation, valueTime: the clinic-local time of a
// date-time, since FHIR wants an offset with a time and cotrack keeps none),
// "arm" (Patient, valueString), "index-date" and "treatment-date" (Patient,
// valueDate), "attribute" (Patient; nested "name" and "value", valueString).
constexpr char kFhirExtensionBase[] = "https://cotrack.example/fhir/StructureDefinition/";

struct ExportOptions {
  ExportFormat format = ExportFormat::kCsv;
  // Only these measures (codes); empty: every measure, in ListMeasures order.
  std::vector<std::string> measures;
  // Only this patient; unset: every patient.
  std::optional<std::string> patient;
  // FHIR only: also write one Patient resource per exported patient, first.
  bool fhir_patients = false;
  // When set, de-identify with this secret key (raw bytes, at least 16):
  // pseudonymous ids, per-patient date shifts, no free text, no provenance.
  std::optional<std::string> deidentify_key;
  // Incremental export (csv, ndjson, fhir; docs/EXPORT.md, "Incremental
  // export"): only what was recorded after `since_us` and up to `until_us`
  // (microseconds since the Unix epoch, UTC; unset: no bound), read from one
  // snapshot of every stored version. New and corrected values are written
  // as their current value; a value that was current at `since_us` and has
  // been retracted since is written once with status entered-in-error (the
  // content it had), so that importing the file into a copy that was up to
  // date at `since_us` brings it up to date. With fhir_patients, the
  // Patient resources of the patients whose registration changed.
  // ExportSummary::up_to_us says up to when the file holds every change:
  // the next run's `since_us`.
  std::optional<int64_t> since_us;
  std::optional<int64_t> until_us;
  // The key file of an encrypted database (Options::encryption_key_file),
  // which an incremental export reads again by path (DumpDatabase).
  std::string encryption_key_file;
};

struct ExportSummary {
  int64_t observations = 0;  // rows or Observation resources written
  int64_t patients = 0;      // distinct patients with a written row
  // Incremental export only: how many of `observations` are retractions
  // (status entered-in-error), and the instant (microseconds since the Unix
  // epoch, UTC) up to which every change is in the file: the latest write
  // the snapshot holds, or until_us when that is earlier.
  int64_t retracted = 0;
  int64_t up_to_us = 0;
};

// Writes the current values selected by `options` to `out`, one pass over
// each measure's series. NotFound for an unknown measure or patient;
// InvalidArgument for kOmop, which writes a directory (ExportOmop).
absl::StatusOr<ExportSummary> Export(Database& db, const ExportOptions& options, std::ostream& out);

// The options of `cotrack export` but --out (NamedOptions,
// named_options.h): format (csv, ndjson or json, fhir, omop), measure
// (CODE[,CODE...]), patient, with-patients (fhir only), deidentify and
// deidentify-key (the file holding the key; needed with deidentify), since
// and until (ParseExportInstant; not with omop).
// Shared by the command line and cotrack_export (cotrack/c.h): the same
// options, and a bad one is InvalidArgument with the same message. Parsing
// reads no file: the key's file is returned for the caller to read
// (ReadDeidentifyKey) when it exports.
struct ExportCommandOptions {
  ExportOptions options;  // deidentify_key unset
  std::optional<std::string> deidentify_key_file;
};
absl::StatusOr<ExportCommandOptions> ParseExportOptions(const NamedOptions& options);

// An instant of --since / --until, in microseconds since the Unix epoch:
// an RFC 3339 date-time with a zone (`2026-12-03T15:00:01.123456Z`,
// `2026-12-03T16:00:01+01:00`; fractions of a second kept to the
// microsecond), or a bare date (`2026-12-03`), which means its midnight in
// UTC, the zone of every recorded time in cotrack. InvalidArgument naming
// `flag` otherwise (a date-time without a zone is ambiguous and refused).
absl::StatusOr<int64_t> ParseExportInstant(absl::string_view flag, absl::string_view text);
// Writes the current values selected by `options` (its format is not
// looked at) as OMOP CDM 5.4 tables into the directory `dir`, created when
// missing: person.csv, observation_period.csv, measurement.csv and
// cdm_source.csv, each with the CDM's column names in the CDM's order
// (docs/EXPORT.md). Existing tables of those names are replaced, each only
// once it is written whole. With `deidentify_key`, person_source_value is
// the pseudonym, dates are shifted as in Export, and birth and gender
// (attributes) are left out. NotFound for an unknown measure or patient, or
// a directory that cannot be created; InvalidArgument for an empty `dir` or
// a key shorter than 16 bytes; DataLoss when writing fails.
absl::StatusOr<ExportSummary> ExportOmop(Database& db, const ExportOptions& options,
                                         const std::string& dir);

// Export into the file `path`, or ExportOmop into the directory `path` for
// kOmop: what `cotrack export --out` and cotrack_export (cotrack/c.h) do.
// When the process serving the database went away midway
// (IsInterruptedRead), the file is written again from the start, up to 5
// times in all, so that it always holds one whole export. Errors as Export
// and ExportOmop; NotFound when the file cannot be created; DataLoss when
// writing it failed.
absl::StatusOr<ExportSummary> ExportToFile(Database& db, const ExportOptions& options,
                                           const std::string& path);

// The de-identification key in `path`: its bytes, with one trailing newline
// removed. InvalidArgument when shorter than 16 bytes; NotFound when missing.
absl::StatusOr<std::string> ReadDeidentifyKey(const std::string& path);

// The pseudonym of `patient` under `key`: "p-" and the first 16 hex digits
// of HMAC-SHA256(key, "patient-id:" + patient).
std::string PatientPseudonym(const std::string& key, const std::string& patient);
// The date shift of `patient` under `key`, in days: from HMAC-SHA256(key,
// "date-shift:" + patient), one of -180..-1 and 1..180, never 0.
int DateShiftDays(const std::string& key, const std::string& patient);

}  // namespace cotrack

#endif  // COTRACK_EXPORT_H_

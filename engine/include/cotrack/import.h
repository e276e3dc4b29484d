// Importing files into a cotrack database: observations and patients from
// the CSV, REDCap, Synthea, FHIR and HL7 v2 formats clinics have
// (docs/IMPORT_FORMATS.md). A file streams through bounded memory into one
// atomic write: after a bad row or a crash, either all of the file is visible
// or none of it.
//
// Example: import a file, then print its summary.
//
//   cotrack::ImportOptions options;  // the format is told from the content
//   options.user = "coordinator";
//   absl::StatusOr<cotrack::ImportReport> report =
//       cotrack::ImportFile(*db, "visits.csv", options);
//   if (!report.ok()) {
//     // Every bad row, as `visits.csv:12:3: field "value": bad value "6,5"
//     // (expected ...)`; nothing of the file was written.
//     std::cerr << report.status().message() << "\n";
//     return 1;
//   }
//   std::cout << report->path << " (" << cotrack::ImportFormatName(report->format)
//             << "): " << report->rows << " rows, " << report->summary.written
//             << " written, " << report->summary.unchanged << " unchanged\n";
//
// Thread safety: several threads (and processes) may import into one
// database at once; their writes are applied one at a time (see BulkWrite).
#ifndef COTRACK_IMPORT_H_
#define COTRACK_IMPORT_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/database.h"
#include "cotrack/named_options.h"

namespace cotrack {

// The formats a file may be in; docs/IMPORT_FORMATS.md describes each and
// how it is told apart from the others.
enum class ImportFormat {
  kAuto,                 // told apart by the content (import only; never reported)
  kObservationsCsv,      // patient,measure,date,value[,unit][,visit][,items]
  kPatientsCsv,          // patient[,arm][,index_date][,treatment_dates][,attr...]
  kWideCsv,              // patient,date[,visit],CODE[unit]...,CODE.N...
  kRedcapCsv,            // REDCap export + ImportOptions::mapping_file
  kSyntheaObservations,  // Synthea observations.csv
  kSyntheaPatients,      // Synthea patients.csv
  kFhirNdjson,           // FHIR R4 Bulk Data NDJSON (one resource per line)
  kFhirJson,             // FHIR R4 Bundle JSON or a single resource
  kHl7,                  // HL7 v2 result messages (ORU^R01), one or many, MLLP framing allowed
  kOmopMeasurement,      // OMOP CDM 5.4 MEASUREMENT table (measurement.csv)
  kOmopPerson,           // OMOP CDM 5.4 PERSON table (person.csv)
  kRelapsesCsv,          // patient|id,date[,end_date]: relapses into the measure "relapse"
};

// The format's name, as `cotrack import --format` takes it: "auto",
// "observations", "patients", "wide", "redcap", "synthea-observations",
// "synthea-patients", "fhir-ndjson", "fhir-json", "hl7", "omop-measurement",
// "omop-person" or "relapses".
const char* ImportFormatName(ImportFormat format);

// The inverse of ImportFormatName, case-insensitive and ignoring spaces
// around it; a "-csv" suffix is accepted, as are "ndjson" (fhir-ndjson),
// "fhir"/"fhir-bundle" (fhir-json), "hl7v2"/"oru" (hl7) and "omop"
// (omop-measurement). InvalidArgument listing the names
// otherwise.
absl::StatusOr<ImportFormat> ParseImportFormat(absl::string_view name);

// How far an import has come, for a progress display.
struct ImportProgress {
  int64_t rows = 0;         // source rows read so far
  int64_t bytes = 0;        // bytes of input read so far
  int64_t total_bytes = 0;  // size of the input, or 0 when unknown (a stream)
  bool done = false;        // every row is read; the write is being committed
};

struct ImportOptions {
  ImportFormat format = ImportFormat::kAuto;
  WriteOptions write;  // write.dry_run validates and counts without writing
  std::string user;    // provenance; empty = OS user
  // Why the file is imported ("monthly lab feed"), kept with every change it
  // writes and in the audit log; a retraction row's own reason comes first.
  // Checked as Provenance::reason is (types.h).
  std::string reason;
  // REDCap: the field/event mapping (required). Synthea/FHIR/HL7/OMOP: extra
  // code -> measure mappings added to (and overriding) the built-in table
  // (OMOP concepts are codes of system https://fhir-terminology.ohdsi.org). Formats
  // in docs/IMPORT_FORMATS.md.
  std::string mapping_file;
  // The IANA time zone (e.g. "Europe/Berlin") that instants are converted
  // to: a date-time written with a UTC offset or "Z" becomes that zone's
  // civil date and time, so that one visit given as 2017-12-10T06:21:43Z and
  // as 2017-12-09T22:21:43-08:00 lands on one day. Empty: the offset is
  // dropped and the clock time kept, and the report warns once per file.
  // An unknown zone is InvalidArgument naming it. Read from the system's
  // zone files (tzdata).
  std::string timezone;
  // Wide CSV: columns to leave out, by header name (case and spaces around
  // it do not matter), e.g. {"sdmt"}.
  std::vector<std::string> ignore_columns;
  // HL7 v2: which identifier of a PID segment is the patient. By default the
  // first identifier of PID-3. `hl7_patient_id_field` picks the field: 3
  // (PID-3, the patient identifier list), 2 (PID-2, the external id of v2.3
  // and earlier) or 4 (PID-4, the alternate id). `hl7_patient_id_authority`
  // picks the repetition whose assigning authority (CX-4) is this: its
  // namespace id, its universal id (an OID) or the whole component, case
  // ignored; `hl7_patient_id_type` the one whose identifier type code (CX-5)
  // is this, e.g. "MR". With either given, a PID with no such identifier is
  // an error, never a fall-back to another identifier.
  int hl7_patient_id_field = 3;
  std::string hl7_patient_id_authority;
  std::string hl7_patient_id_type;

  // kAbort: any bad row rejects the whole file (the default: a file is
  // atomic). kSkip: bad rows are written to `reject_file` with their reason
  // and the good ones are imported (still atomically, together).
  enum class OnError { kAbort, kSkip };
  OnError on_error = OnError::kAbort;
  // Where kSkip writes rejected rows (CSV: line,reason,row); empty =
  // "<file>.rejects.csv" next to the imported file.
  std::string reject_file;
  // What a file that gives one (patient, measure, date) on several rows
  // does (values already in the database are not duplicates: a different
  // value there is a correction, a new version). In every policy but kError,
  // a row identical to an earlier one (same value, unit, comparator and
  // items) is stored once and counted in skipped_by_reason ("identical
  // duplicate of an earlier row"), so a feed that repeats rows (Synthea
  // does) never fails.
  //   kIdenticalOk  a different value is an error naming both rows'
  //                 lines: which one is right is for the user to say;
  //   kError        any repeat is an error, identical or not (for feeds
  //                 where a repeated row means a broken export);
  //   kKeepFirst    the first row is kept, later ones are counted in
  //                 skipped_by_reason and left out;
  //   kKeepLast     the last row is kept, earlier ones are counted;
  //   kMean         the mean of the distinct values, in the measure's
  //                 canonical unit, rounded to the most decimals entered
  //                 (WriteOptions::Repeats::kMean), is stored with the first
  //                 row's line and visit; the other rows are counted. A
  //                 censored value (or item scores) in the group is an error
  //                 naming the rows: their mean is undefined.
  // write.repeats is set from this. Past 2^20 distinct identities in one
  // file the reader stops tracking them (memory stays bounded): the bulk
  // write's commit still applies the policy (kError and kIdenticalOk: a
  // different value is an error, an identical one stored once), but those
  // repeats are not counted in skipped_by_reason.
  enum class Duplicates { kIdenticalOk, kError, kKeepFirst, kKeepLast, kMean };
  Duplicates duplicates = Duplicates::kIdenticalOk;
  // Patients of the file (those it gives values or a registration of) that
  // have no index date once the file's own are in get their first visit's
  // day as index date: the earliest day with a value of any measure but
  // relapse, in the database or the file. In the same atomic write as the
  // file, so a rejected file sets none. A patient with no value keeps none.
  // Costs a read of each such patient's registration and, for one already
  // stored without an index date, of its series.
  bool index_date_first_visit = false;
  // REDCap: an arm or index date of the export (the mapping's arm and
  // index_date rows) that differs from the patient's stored one replaces it,
  // as a new version of the patient (the old one stays in its history).
  // Without it that is an error naming the patient, both values and this
  // option: an export must not silently move a patient to another arm.
  bool replace_registration = false;
  // Called every few thousand rows and at the end, on the thread that called
  // ImportFile; writes to the database wait for the import, so it must not
  // write.
  std::function<void(const ImportProgress&)> progress;
};

// The options of `cotrack import` (the flags of `cotrack import --help`,
// without "--" and without no-progress, see NamedOptions in named_options.h):
// format, mapping, ignore-columns, hl7-patient-id-field,
// hl7-patient-id-authority, hl7-patient-id-type, on-error, reject-file,
// duplicates, reason, timezone, index-date (only "first-visit"),
// replace-registration, dry-run and no-sync (flags: value "", "true" or "1").
// The command
// line and cotrack_import (cotrack/c.h) both parse them here, so they accept
// the same options and refuse a bad one with the same message, e.g.
// `--on-error: bad value "x" (expected abort or skip)`: InvalidArgument, as
// for an unknown name (listing the known ones) or a name given twice.
// `user` and `progress` are not options (the handle's user, the caller's
// display).
absl::StatusOr<ImportOptions> ParseImportOptions(const NamedOptions& options);
// The policy's name as `cotrack import --duplicates` takes it:
// "identical-ok", "error", "keep-first", "keep-last" or "mean".
const char* DuplicatesPolicyName(ImportOptions::Duplicates policy);
// The inverse, case-insensitive, ignoring spaces around it; InvalidArgument
// listing the names otherwise.
absl::StatusOr<ImportOptions::Duplicates> ParseDuplicatesPolicy(absl::string_view name);

// What an import did.
struct ImportReport {
  std::string path;
  ImportFormat format = ImportFormat::kAuto;         // the format used
  int64_t rows = 0;                                  // source rows read
  WriteSummary summary;                              // written, unchanged, corrected, ...
  int64_t rejected = 0;                              // rows rejected (kSkip only)
  int64_t skipped = 0;                               // rows deliberately not imported
  std::map<std::string, int64_t> skipped_by_reason;  // why, e.g. "unmapped code 8302-2"
  std::string reject_file;                           // where rejected rows went, when any were
  // Index dates set to the first visit (ImportOptions::index_date_first_visit);
  // with dry_run, those that would be.
  int64_t index_dates_set = 0;
  // Things the user should know that did not stop the import, one line
  // each (e.g. offsets dropped because no time zone was given).
  std::vector<std::string> warnings;
};

// Imports the file at `path` into `db`, streaming it through bounded memory
// into one atomic bulk write. With OnError::kAbort a file with any bad row is
// rejected whole; with kSkip its bad rows go to the reject file and the rest
// is written. When the process serving the database exits mid-import
// (IsInterruptedWrite), nothing was written and the file is read and
// imported again, up to three attempts in all.
//
// Errors, after which nothing of the file has been written:
//   InvalidArgument    the content: an unrecognised header, a missing or
//                      unknown column, bad rows (each listed as
//                      `FILE:LINE[:COL]: field "x": bad value "v" (expected
//                      ...)`, the first 20, then a count of the rest), a
//                      second value for one (patient, measure, date), input
//                      that cannot be read on (an unclosed quote, an I/O
//                      error); also `path` being a directory, and a mapping
//                      file that is not one;
//   NotFound           `path` or the mapping file does not exist; with
//                      kAbort, a FHIR entered-in-error Observation of a
//                      value the database does not hold;
//   PermissionDenied   `path` may not be read;
//   FailedPrecondition `path` cannot be opened for another reason;
//   Unavailable        a large import has no room to stage its changes on
//                      disk;
//   Aborted            the serving process exited during every attempt;
//   DataLoss           an I/O error before the file's first row (later
//                      ones are InvalidArgument, listed with the rows);
// and, as for every Database call (see Reader in database.h), Unavailable
// when the database does not answer, FailedPrecondition after Close and
// DataLoss when it is damaged.
// One error comes after the write: Unavailable when the kSkip reject file
// cannot be written; the good rows are then imported, the reject file is
// incomplete.
absl::StatusOr<ImportReport> ImportFile(Database& db, const std::string& path,
                                        const ImportOptions& options);

// The files `cotrack import PATH` imports, in order: for a directory holding
// an OMOP CDM export (a measurement.csv), its person.csv when there is one
// (so that persons are registered with their ids) and then its
// measurement.csv; for anything else `path` itself, for ImportFile to judge.
std::vector<std::string> ImportFilesOf(const std::string& path);

// Like ImportFile, reading `in`; `source` names it in messages and
// provenance (e.g. "-" or "<stdin>") and, with kSkip and no reject_file,
// gives the reject file's name. `in` is read on a thread of the import's own
// until ImportStream returns. A stream cannot be read twice, so an
// interrupted import (IsInterruptedWrite) is returned as Aborted for the
// caller to start again; ImportProgress::total_bytes stays 0.
absl::StatusOr<ImportReport> ImportStream(Database& db, std::istream& in, const std::string& source,
                                          const ImportOptions& options);

}  // namespace cotrack

#endif  // COTRACK_IMPORT_H_

// `cotrack import FILE... [--dry-run] [--format FMT] [--mapping FILE]
// [--on-error abort|skip] [--reject-file FILE] [--timezone ZONE] [--no-sync] [--no-progress]
// [--duplicates identical-ok|error|keep-first|keep-last|mean]
// [--index-date first-visit] [--replace-registration]
// [--hl7-patient-id-field PID-N] [--hl7-patient-id-authority NAME]
// [--hl7-patient-id-type CODE]`
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "command.h"
#include "cotrack/import.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "import";

// The importer's errors already read `FILE:LINE: field ...`, the form editors
// jump to; they are printed as they are. Anything else gets our prefix.
void PrintImportError(const std::string& path, const absl::Status& status) {
  std::string message(status.message());
  if (!absl::StartsWith(message, path + ":")) message = "cotrack: " + message;
  if (message.empty() || message.back() != '\n') message += '\n';
  std::fputs(message.c_str(), stderr);
}

void PrintReport(const ImportReport& r, bool dry_run) {
  const WriteSummary& s = r.summary;
  // Every count, always: a coordinator checks them against the source file.
  std::string counts =
      absl::StrFormat("%d written, %d unchanged, %d corrected, %d rejected, %d skipped", s.written,
                      s.unchanged, s.corrected, r.rejected, r.skipped);
  if (s.retracted > 0) absl::StrAppendFormat(&counts, ", %d retracted", s.retracted);
  if (s.patients > 0) {
    absl::StrAppendFormat(&counts, ", %d patient registration%s created or changed", s.patients,
                          s.patients == 1 ? "" : "s");
  }
  if (r.index_dates_set > 0) {
    absl::StrAppendFormat(&counts, ", %d index date%s set to the first visit", r.index_dates_set,
                          r.index_dates_set == 1 ? "" : "s");
  }
  for (const auto& [reason, n] : r.skipped_by_reason) {
    absl::StrAppendFormat(&counts, "\n  skipped %d: %s", n, reason);
  }
  if (!r.reject_file.empty()) {
    absl::StrAppendFormat(&counts, "\n  rejected rows and their reasons: %s", r.reject_file);
  }
  for (const std::string& warning : r.warnings) {
    absl::StrAppendFormat(&counts, "\n  warning: %s", warning);
  }
  if (dry_run) {
    absl::FPrintF(stderr,
                  "%s (%s): %d rows read, all valid; if imported: %s. Dry run: nothing "
                  "was written\n",
                  r.path, ImportFormatName(r.format), r.rows, counts);
  } else {
    absl::FPrintF(stderr, "%s (%s): %d rows read: %s\n", r.path, ImportFormatName(r.format), r.rows,
                  counts);
  }
}

// Why files[failed] was not imported, which files before it were and which
// after it were not attempted.
void PrintFailure(const std::vector<std::string>& files, size_t failed,
                  const std::vector<std::string>& done, const absl::Status& status, bool dry_run) {
  PrintImportError(files[failed], status);
  std::fprintf(stderr, "cotrack: %s: not imported; nothing from it was written\n",
               files[failed].c_str());
  const char* verb = dry_run ? "validated" : "imported";
  if (!done.empty()) {
    std::fprintf(stderr, "cotrack: %s before the failure: %s\n", verb,
                 absl::StrJoin(done, ", ").c_str());
  }
  if (failed + 1 < files.size()) {
    std::vector<std::string> rest(files.begin() + static_cast<std::ptrdiff_t>(failed) + 1,
                                  files.end());
    std::fprintf(stderr, "cotrack: not attempted: %s\n", absl::StrJoin(rest, ", ").c_str());
  }
}

// A one-line progress bar on a terminal: rows/s and, when the size of the
// input is known, percent done and time left.
class ProgressBar {
 public:
  void Start(const std::string& file) {
    file_ = file;
    start_ = absl::Now();
    shown_ = false;
  }
  void Show(const ImportProgress& p) {
    const double secs = absl::ToDoubleSeconds(absl::Now() - start_);
    if (secs < 0.5 && !p.done) return;  // short imports show nothing
    const double rate = secs > 0 ? static_cast<double>(p.rows) / secs : 0;
    std::string line = absl::StrFormat("\r%s: %d rows, %.0f rows/s", file_, p.rows, rate);
    if (p.total_bytes > 0 && p.bytes > 0) {
      const double done = static_cast<double>(p.bytes) / static_cast<double>(p.total_bytes);
      const double left = done > 0 ? secs * (1 - done) / done : 0;
      absl::StrAppendFormat(&line, ", %3.0f%%, %.0f s left", 100 * done, left);
    }
    if (p.done) line += ", committing";
    absl::FPrintF(stderr, "%s\x1b[K", line);
    shown_ = true;
  }
  void Clear() {
    if (shown_) std::fputs("\r\x1b[K", stderr);
    shown_ = false;
  }

 private:
  std::string file_;
  absl::Time start_;
  bool shown_ = false;
};

bool DirectoryExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A throwaway empty database, so that a dry run against a database that does
// not exist yet validates (and counts) without creating it.
class ScratchDatabase {
 public:
  ~ScratchDatabase() {
    if (!path_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
    }
  }
  absl::StatusOr<std::string> Create() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cotrack-dry-run-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      return absl::InternalError(
          absl::StrFormat("dry run: cannot create a scratch database in %s: %s",
                          std::filesystem::temp_directory_path().string(), std::strerror(errno)));
    }
    path_ = tmpl;
    return path_;
  }

 private:
  std::string path_;
};

struct ImportRequest {
  std::vector<std::string> files;
  ImportOptions options;  // without the progress callback and the user
  bool progress = true;   // a progress bar on a terminal (--no-progress clears it)
};

absl::StatusOr<ImportRequest> ParseImportRequest(const ParsedArgs& args) {
  ImportRequest request;
  request.files = args.positionals();
  // The options are the engine's (ParseImportOptions), shared with the C ABI;
  // --no-progress is the terminal's.
  absl::StatusOr<ImportOptions> options = ParseImportOptions(args.Named({"no-progress"}));
  if (!options.ok()) return options.status();
  request.options = *std::move(options);
  if (!request.options.reject_file.empty() && request.files.size() > 1) {
    return absl::InvalidArgumentError(
        "--reject-file names one file: import one FILE at a time with it");
  }
  request.progress = !args.Has("no-progress");
  return request;
}

// Each file is its own atomic import (execute: ImportFile), its summary
// printed as soon as it is done, so a long run shows its progress file by
// file and a failure stops before the next file.
// A directory holding an OMOP CDM export stands for its tables
// (ImportFilesOf).
std::vector<std::string> ExpandOmopDirectories(const std::vector<std::string>& given) {
  std::vector<std::string> files;
  for (const std::string& path : given) {
    for (std::string& file : ImportFilesOf(path)) files.push_back(std::move(file));
  }
  return files;
}

int Run(const GlobalContext& ctx, const ImportRequest& request) {
  const std::vector<std::string> files = ExpandOmopDirectories(request.files);
  ImportOptions options = request.options;
  ProgressBar progress;
  if (request.progress && ::isatty(STDERR_FILENO)) {
    options.progress = [&progress](const ImportProgress& p) { progress.Show(p); };
  }
  const bool dry_run = options.write.dry_run;
  options.user = ctx.user;

  // A missing file should not leave a fresh empty database behind.
  for (const std::string& file : files) {
    if (::access(file.c_str(), R_OK) != 0) {
      return RuntimeError(absl::NotFoundError(
          absl::StrFormat("%s: cannot read: %s (nothing imported)", file, std::strerror(errno))));
    }
  }

  GlobalContext db_ctx = ctx;
  ScratchDatabase scratch;
  if (dry_run && !DirectoryExists(ctx.db_path)) {
    absl::StatusOr<std::string> path = scratch.Create();
    if (!path.ok()) return RuntimeError(path.status());
    db_ctx.db_path = *path;
  }
  // A first import that fails should not leave an empty database behind.
  const bool created_here = !DirectoryExists(db_ctx.db_path);
  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(db_ctx, OpenMode::kCreate);
  if (!db.ok()) return RuntimeError(db.status());

  std::vector<std::string> done;
  for (size_t i = 0; i < files.size(); ++i) {
    progress.Start(files[i]);
    absl::StatusOr<ImportReport> report = ImportFile(**db, files[i], options);
    progress.Clear();
    if (!report.ok()) {
      PrintFailure(files, i, done, report.status(), dry_run);
      if (done.empty() && created_here && db_ctx.db_path == ctx.db_path) {
        db->reset();  // closes it, releasing the lock, before removal
        std::error_code ignored;
        std::filesystem::remove_all(db_ctx.db_path, ignored);
      }
      return 1;
    }
    PrintReport(*report, dry_run);
    done.push_back(files[i]);
  }
  return 0;
}

const Command kImportCommand =
    MakeCommand({kName,
                 "Import observations or patients from CSV, FHIR or HL7 v2 files",
                 R"(Usage: cotrack import FILE|DIR... [--dry-run] [--format FMT] [--mapping FILE]
                      [--on-error abort|skip] [--reject-file FILE] [--reason TEXT]
                      [--timezone ZONE] [--index-date first-visit]
                      [--replace-registration] [--no-sync]
                      [--duplicates identical-ok|error|keep-first|keep-last|mean]

Imports each FILE in turn, each one atomically: a file with any bad row is
rejected whole (every bad row is reported as FILE:LINE: field "x": bad value
"v" (expected ...)) and the database is left as it was; the files before it
stay imported and the files after it are not attempted. Files of any size
stream through bounded memory.

The format is told from the content (see docs/IMPORT_FORMATS.md):
  observations   patient,measure,date,value[,unit][,visit][,items]
                 one value per row; items are ;-separated item scores;
                 a censored lab value is written like <0.5
  patients       patient[,arm][,index_date][,treatment_dates][,ATTRIBUTE...]
                 any further column is a free attribute (sex, diagnosis, ...)
  wide           patient,date[,visit] then a column per measure (hba1c[mmol/mol],
                 ais.1 ... ais.8 item columns)
  relapses       patient|id,date[,end_date]: MS relapses into the built-in
                 measure relapse (value: days from onset to end_date), used by
                 progression, survival and report by default
  redcap         a REDCap export; --mapping says which fields are which measures
  synthea-observations, synthea-patients   Synthea CSV output
  fhir-ndjson, fhir-json                   FHIR R4 Observations (Bulk Data, Bundle)
  hl7            HL7 v2 lab results (ORU^R01, v2.3-2.8): one or many messages,
                 MLLP framing allowed; an OBX of type NM or SN is a value
                 (SN <^0.5 is censored), OBX-3 the code, OBX-14 (else OBR-7,
                 else OBR-14) the date, PID-3 the patient
  omop-measurement, omop-person   OMOP CDM 5.4 measurement.csv and person.csv;
                 a directory holding measurement.csv imports its person.csv,
                 then its measurement.csv; concepts map to measures through
                 the code table (--mapping adds rows), unmapped ones are
                 skipped and counted per concept

Importing the same row again changes nothing; a different value for the same
patient, measure and date is a correction: a new version, the old one kept.
Observations of unregistered patients register them.

Options:
  --dry-run           validate and count, write nothing
  --format FMT        a format above; auto (the default) tells it from the content
  --mapping FILE      REDCap field/event mapping; Synthea/FHIR/HL7/OMOP extra code mappings
  --ignore-columns A,B  wide CSV: columns to leave out (e.g. visit_day,sdmt)
  --hl7-patient-id-field PID-N  HL7: the field holding the patient id: PID-3
                      (the default), PID-2 or PID-4
  --hl7-patient-id-authority NAME  HL7: the identifier whose assigning authority
                      (CX-4: namespace id or OID) is NAME, not the first one
  --hl7-patient-id-type CODE  HL7: the identifier of type CODE (CX-5, e.g. MR)
  --on-error skip     import the good rows (still together, atomically) and write
                      each bad row with its reason to the reject file
  --reject-file FILE  where --on-error skip writes (default FILE.rejects.csv)
  --duplicates POLICY  rows of one file giving one patient, measure and date
                      twice (three blood pressures at a visit, REDCap repeat
                      instances): identical-ok (the default) stores an
                      identical row once and refuses a different value,
                      naming both lines; error refuses any repeat; keep-first
                      or keep-last keeps one row; mean stores the mean of the
                      distinct values (refused for censored values). Values
                      already in the database are not duplicates: a different
                      one is a correction. Left-out rows are counted as skipped
  --timezone ZONE     the clinic's IANA time zone (Europe/Berlin): a date-time
                      written with an offset or Z is an instant, converted to
                      ZONE's civil date and time; without it the offset is
                      dropped and the summary warns
  --index-date first-visit  patients of the file without an index date get
                      the day of their first value (any measure but relapse,
                      stored or in the file) as index date, in the same atomic
                      write; to give your own, import a patients file
                      (patient,index_date)
  --replace-registration  REDCap: an arm or index date of the export that
                      differs from the stored one replaces it (a new version
                      of the patient) instead of being an error
  --reason TEXT       why the files are imported ("monthly lab feed"): kept with
                      every change, shown by history and audit (who: --user)
  --no-sync           do not wait for the writes to reach the disk (faster; a
                      power loss may lose them, a crash does not)
  --no-progress       no progress bar (shown on a terminal for long imports)

A summary per file goes to stderr: rows read, written, unchanged, corrected,
rejected and skipped (with the reason for each kind of skipped row).
)",
                 Arity::AtLeast(1, "at least one FILE"),
                 {{"format"},
                  {"mapping"},
                  {"ignore-columns"},
                  {"hl7-patient-id-field"},
                  {"hl7-patient-id-authority"},
                  {"hl7-patient-id-type"},
                  {"on-error"},
                  {"reject-file"},
                  {"duplicates"},
                  {"reason"},
                  {"timezone"},
                  {"index-date"},
                  {"replace-registration", FlagSpec::kBool},
                  {"dry-run", FlagSpec::kBool},
                  {"no-sync", FlagSpec::kBool},
                  {"no-progress", FlagSpec::kBool}}},
                ParseImportRequest, Run);
COTRACK_REGISTER_COMMAND(kImportCommand);

}  // namespace
}  // namespace cotrack::tools

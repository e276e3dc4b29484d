// `cotrack import FILE... [--dry-run] [--format auto|observations|patients]
// [--no-sync]`
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "command.h"
#include "flags.h"
// import.h is not among the public headers and tools/CMakeLists.txt does not
// add engine/ to the include path, so it is reached relative to this file.
#include "import/import.h"
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
  std::string counts;
  if (r.format == ImportFormat::kPatientsCsv) {
    counts = absl::StrFormat("%d patients registered or updated", s.patients);
  } else {
    counts = absl::StrFormat("%d written, %d unchanged, %d corrected", s.written, s.unchanged,
                             s.corrected);
    if (s.retracted > 0) absl::StrAppendFormat(&counts, ", %d retracted", s.retracted);
    if (s.patients > 0) {
      absl::StrAppendFormat(&counts, ", %d new patient%s", s.patients, s.patients == 1 ? "" : "s");
    }
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

int Run(const GlobalContext& ctx, const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed =
      ParseArgs(args, {{"format"}, {"dry-run", FlagSpec::kBool}, {"no-sync", FlagSpec::kBool}});
  if (!parsed.ok()) return UsageError(kName, parsed.status().message());
  const std::vector<std::string>& files = parsed->positionals();
  if (files.empty()) return UsageError(kName, "expected at least one FILE");
  ImportOptions options;
  std::string format = parsed->Get("format").value_or("auto");
  if (format == "auto") {
    options.format = ImportFormat::kAuto;
  } else if (format == "observations") {
    options.format = ImportFormat::kObservationsCsv;
  } else if (format == "patients") {
    options.format = ImportFormat::kPatientsCsv;
  } else {
    return UsageError(kName,
                      absl::StrFormat("--format: bad value \"%s\" (expected auto, observations or "
                                      "patients)",
                                      format));
  }
  const bool dry_run = parsed->Has("dry-run");
  options.write.dry_run = dry_run;
  options.write.sync = !parsed->Has("no-sync");
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
    absl::StatusOr<ImportReport> report = ImportFile(**db, files[i], options);
    if (!report.ok()) {
      PrintImportError(files[i], report.status());
      std::fprintf(stderr, "cotrack: %s: not imported; nothing from it was written\n",
                   files[i].c_str());
      const char* verb = dry_run ? "validated" : "imported";
      if (!done.empty()) {
        std::fprintf(stderr, "cotrack: %s before the failure: %s\n", verb,
                     absl::StrJoin(done, ", ").c_str());
      }
      if (i + 1 < files.size()) {
        std::vector<std::string> rest(files.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                      files.end());
        std::fprintf(stderr, "cotrack: not attempted: %s\n", absl::StrJoin(rest, ", ").c_str());
      }
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

const Command kImportCommand = {
    kName,
    "Import observations or patients from CSV files",
    R"(Usage: cotrack import FILE... [--dry-run] [--format FMT] [--no-sync]

Imports each FILE in turn, each one atomically: a file with any bad row is
rejected whole (every bad row is reported as FILE:LINE: field "x": bad value
"v" (expected ...)) and the database is left as it was; the files before it
stay imported and the files after it are not attempted.

Two kinds of CSV file, told apart by their header:
  observations   patient,measure,date,value[,unit][,visit][,items]
                 one value per row; items are ;-separated item scores;
                 a censored lab value is written like <0.5
  patients       patient[,arm][,index_date][,treatment_dates][,ATTRIBUTE...]
                 any further column is a free attribute (sex, diagnosis, ...)

Importing the same row again changes nothing; a different value for the same
patient, measure and date is a correction: a new version, the old one kept.
Observations of unregistered patients register them.

Options:
  --dry-run      validate and count, write nothing
  --format FMT   auto (default: by the header), observations or patients
  --no-sync      do not wait for the writes to reach the disk (faster; a
                 power loss may lose them, a crash does not)

A one-line summary per file goes to stderr: rows read, written, unchanged,
corrected.
)",
    Run,
};
COTRACK_REGISTER_COMMAND(kImportCommand);

}  // namespace
}  // namespace cotrack::tools

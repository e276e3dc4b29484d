#include "import/import.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cotrack/status_macros.h"
#include "import/csv_reader.h"
#include "import/observations_csv.h"
#include "import/patients_csv.h"

namespace cotrack {

namespace {

constexpr char kExpectedHeaders[] =
    "expected an observations CSV with the columns patient,measure,date,value and optionally "
    "unit,visit,items, or a patients CSV whose first column is patient, optionally followed by "
    "arm,index_date,treatment_dates and attribute columns";

std::unique_ptr<CsvRowParser> MakeParser(ImportFormat format, const std::string& source,
                                         const std::string& user) {
  switch (format) {
    case ImportFormat::kObservationsCsv:
      return std::make_unique<ObservationsCsvParser>(source, user);
    case ImportFormat::kPatientsCsv:
      return std::make_unique<PatientsCsvParser>(source, user);
    case ImportFormat::kAuto:
      break;
  }
  return nullptr;
}

absl::Status OpenForReading(const std::string& path, std::ifstream& in) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, expected a file"));
  }
  in.open(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string message = absl::StrCat(path, ": cannot open: ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
    return absl::FailedPreconditionError(message);
  }
  return absl::OkStatus();
}

}  // namespace

const char* ImportFormatName(ImportFormat f) {
  switch (f) {
    case ImportFormat::kAuto:
      return "auto";
    case ImportFormat::kObservationsCsv:
      return "observations";
    case ImportFormat::kPatientsCsv:
      return "patients";
  }
  return "unknown";
}

absl::StatusOr<ImportFormat> ParseImportFormat(absl::string_view name) {
  for (ImportFormat f :
       {ImportFormat::kAuto, ImportFormat::kObservationsCsv, ImportFormat::kPatientsCsv}) {
    if (name == ImportFormatName(f) || name == absl::StrCat(ImportFormatName(f), "-csv")) {
      return f;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown import format \"", name,
                                                 "\" (expected auto, observations or patients)"));
}

ImportFormat DetectCsvFormat(const std::vector<std::string>& header_names) {
  bool has_measure = false, has_value = false;
  for (const std::string& name : header_names) {
    const std::string key = NormalizeHeaderName(name);
    has_measure |= key == "measure";
    has_value |= key == "value";
  }
  if (has_measure && has_value) return ImportFormat::kObservationsCsv;
  if (!header_names.empty() && NormalizeHeaderName(header_names[0]) == "patient") {
    // "patient,measure,date" is an observations file missing its value
    // column, not patients with a "measure" attribute: let the observations
    // parser say what is missing.
    return has_measure || has_value ? ImportFormat::kObservationsCsv : ImportFormat::kPatientsCsv;
  }
  return ImportFormat::kAuto;
}

absl::StatusOr<ParsedImport> ParseImport(std::istream& in, const std::string& source,
                                         const ImportOptions& options) {
  CsvReader reader(in, source);
  CsvRecord header;
  COTRACK_RETURN_IF_ERROR(reader.ReadHeader(header));
  ParsedImport parsed;
  parsed.format = options.format;
  if (parsed.format == ImportFormat::kAuto) {
    std::vector<std::string> names;
    for (size_t i = 0; i < header.size(); ++i) names.emplace_back(header[i]);
    parsed.format = DetectCsvFormat(names);
    if (parsed.format == ImportFormat::kAuto) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", header.first_line(),
                                                     ": unrecognised header \"", JoinHeader(header),
                                                     "\" (", kExpectedHeaders, ")"));
    }
  }
  std::unique_ptr<CsvRowParser> parser = MakeParser(parsed.format, source, options.user);
  COTRACK_ASSIGN_OR_RETURN(parsed.rows, ParseCsvRows(reader, header, *parser, parsed.batch));
  parsed.batch.SetAudit("import", source);
  return parsed;
}

absl::StatusOr<ParsedImport> ParseImportFile(const std::string& path,
                                             const ImportOptions& options) {
  std::ifstream in;
  COTRACK_RETURN_IF_ERROR(OpenForReading(path, in));
  return ParseImport(in, path, options);
}

absl::StatusOr<ImportReport> ImportStream(Database& db, std::istream& in, const std::string& source,
                                          const ImportOptions& options) {
  COTRACK_ASSIGN_OR_RETURN(ParsedImport parsed, ParseImport(in, source, options));
  ImportReport report;
  report.path = source;
  report.format = parsed.format;
  report.rows = parsed.rows;
  // One Apply per file: the file is atomic.
  COTRACK_ASSIGN_OR_RETURN(report.summary, db.Apply(parsed.batch, options.write));
  return report;
}

absl::StatusOr<ImportReport> ImportFile(Database& db, const std::string& path,
                                        const ImportOptions& options) {
  std::ifstream in;
  COTRACK_RETURN_IF_ERROR(OpenForReading(path, in));
  return ImportStream(db, in, path, options);
}

}  // namespace cotrack

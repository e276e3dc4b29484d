#include "import/format_registry.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cotrack/status_macros.h"
#include "import/csv_format_reader.h"
#include "import/import_errors.h"
#include "import/value_text.h"

namespace cotrack {

// Each format's entry, defined in its own file.
extern const FormatEntry kObservationsCsvFormat;      // observations_csv.cc
extern const FormatEntry kPatientsCsvFormat;          // patients_csv.cc
extern const FormatEntry kWideCsvFormat;              // wide_csv.cc
extern const FormatEntry kRedcapFormat;               // redcap.cc
extern const FormatEntry kSyntheaObservationsFormat;  // synthea.cc
extern const FormatEntry kSyntheaPatientsFormat;      // synthea.cc
extern const FormatEntry kFhirNdjsonFormat;           // fhir.cc
extern const FormatEntry kFhirJsonFormat;             // fhir.cc
extern const FormatEntry kHl7Format;                  // hl7.cc
extern const FormatEntry kOmopMeasurementFormat;      // omop.cc
extern const FormatEntry kOmopPersonFormat;           // omop.cc
extern const FormatEntry kRelapsesCsvFormat;          // relapse_csv.cc

namespace {

// The order auto-detection tries them: each CSV format's detector in turn
// (what it looks for on the right), so the dialects with the most specific
// headers come first and our own two CSV formats, whose headers are the most
// general, last. JSON input goes to the first format with an opener; an
// input that a format's detect_start claims (HL7 v2: "MSH|^~\&|") to that
// format, before CSV is tried.
const FormatEntry* const kFormats[] = {
    &kOmopMeasurementFormat,      // measurement_id, person_id, measurement_concept_id, _date
    &kOmopPersonFormat,           // person_id, gender_concept_id, year_of_birth
    &kSyntheaObservationsFormat,  // DATE, PATIENT, CODE, VALUE and UNITS
    &kSyntheaPatientsFormat,      // Id first, BIRTHDATE and GENDER
    &kRedcapFormat,               // redcap_event_name or ..._repeat_instrument, or record_id first
    &kRelapsesCsvFormat,          // patient (or id) first, date, only end_date/visit_day else
    &kWideCsvFormat,              // patient (or id) first, date, no measure or value
    &kObservationsCsvFormat,      // measure and value (or patient first and one of them)
    &kPatientsCsvFormat,          // patient first
    &kFhirNdjsonFormat,           // JSON: tells NDJSON from a document itself
    &kFhirJsonFormat,
    &kHl7Format,  // starts "MSH|^~\&|" (or a batch header), after MLLP, BOM or blank lines
};

// What an unrecognised header is answered with.
constexpr char kExpectedHeaders[] =
    "expected an observations CSV (patient,measure,date,value[,unit][,visit][,items]), a "
    "patients CSV (patient[,arm][,index_date]...), a wide visit CSV (patient,date[,visit],"
    "CODE...), a relapses CSV (patient,date[,end_date]), a REDCap export (record_id or "
    "redcap_event_name), a Synthea observations.csv or patients.csv, an OMOP CDM measurement.csv "
    "or person.csv, FHIR JSON/NDJSON, or HL7 v2 "
    "messages starting MSH|; --format names the format when detection cannot";

// White space before the first byte that format detection looks at; past it
// the input is handed to the CSV reader (which skips blank lines itself).
constexpr size_t kMaxLeadingBlankBytes = size_t{1} << 20;

const FormatEntry* DetectCsvEntry(const std::vector<std::string>& names) {
  for (const FormatEntry* f : kFormats) {
    if (f->detect_header != nullptr && f->detect_header(names)) return f;
  }
  return nullptr;
}

// Opens a CSV input: reads its header, picks the format (unless given) and
// has that format's parser check the header.
absl::StatusOr<std::unique_ptr<FormatReader>> OpenCsv(std::istream& in, std::string prefix,
                                                      const std::string& source,
                                                      const ImportOptions& options) {
  auto reader = std::make_unique<CsvFormatReader>(in, std::move(prefix), source, options.user,
                                                  options.reason);
  COTRACK_RETURN_IF_ERROR(reader->ReadHeader());
  const FormatEntry* entry = FindImportFormat(options.format);
  if (options.format == ImportFormat::kAuto) {
    std::vector<std::string> names;
    const CsvRecord& header = reader->header();
    for (size_t i = 0; i < header.size(); ++i) names.emplace_back(header[i]);
    entry = DetectCsvEntry(names);
    if (entry == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", header.first_line(),
                                                     ": unrecognised header \"", JoinHeader(header),
                                                     "\" (", kExpectedHeaders, ")"));
    }
  }
  if (entry == nullptr || entry->make_parser == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": format ", ImportFormatName(options.format), " is not a CSV format"));
  }
  COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<CsvRowParser> parser,
                           entry->make_parser(source, options));
  COTRACK_RETURN_IF_ERROR(reader->Start(entry->format, std::move(parser)));
  return std::unique_ptr<FormatReader>(std::move(reader));
}

}  // namespace

absl::Span<const FormatEntry* const> ImportFormats() { return kFormats; }

const FormatEntry* FindImportFormat(ImportFormat format) {
  for (const FormatEntry* f : kFormats) {
    if (f->format == format) return f;
  }
  return nullptr;
}

const char* ImportFormatName(ImportFormat format) {
  if (format == ImportFormat::kAuto) return "auto";
  const FormatEntry* f = FindImportFormat(format);
  return f != nullptr ? f->name : "unknown";
}

const char* DuplicatesPolicyName(ImportOptions::Duplicates policy) {
  switch (policy) {
    case ImportOptions::Duplicates::kIdenticalOk:
      return "identical-ok";
    case ImportOptions::Duplicates::kError:
      return "error";
    case ImportOptions::Duplicates::kKeepFirst:
      return "keep-first";
    case ImportOptions::Duplicates::kKeepLast:
      return "keep-last";
    case ImportOptions::Duplicates::kMean:
      return "mean";
  }
  return "identical-ok";
}

absl::StatusOr<ImportOptions::Duplicates> ParseDuplicatesPolicy(absl::string_view name) {
  const std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  for (ImportOptions::Duplicates p :
       {ImportOptions::Duplicates::kIdenticalOk, ImportOptions::Duplicates::kError,
        ImportOptions::Duplicates::kKeepFirst, ImportOptions::Duplicates::kKeepLast,
        ImportOptions::Duplicates::kMean}) {
    if (key == DuplicatesPolicyName(p)) return p;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("duplicates policy ", QuoteForMessage(name),
                   ": expected identical-ok, error, keep-first, keep-last or mean"));
}

absl::StatusOr<ImportFormat> ParseImportFormat(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  // Listed in the order of the enumeration, as --help lists them.
  std::vector<const FormatEntry*> formats(std::begin(kFormats), std::end(kFormats));
  std::stable_sort(formats.begin(), formats.end(), [](const FormatEntry* a, const FormatEntry* b) {
    return static_cast<int>(a->format) < static_cast<int>(b->format);
  });
  std::vector<std::string> names = {ImportFormatName(ImportFormat::kAuto)};
  if (n == names[0] || n == absl::StrCat(names[0], "-csv")) return ImportFormat::kAuto;
  for (const FormatEntry* f : formats) {
    if (n == f->name || n == absl::StrCat(f->name, "-csv")) return f->format;
    names.push_back(f->name);
  }
  for (const FormatEntry* f : formats) {
    for (const char* alias : f->aliases) {
      if (alias != nullptr && n == alias) return f->format;
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown import format \"", name, "\" (expected one of ", absl::StrJoin(names, ", "), ")"));
}

ImportFormat DetectCsvFormat(const std::vector<std::string>& header_names) {
  const FormatEntry* f = DetectCsvEntry(header_names);
  return f != nullptr ? f->format : ImportFormat::kAuto;
}

namespace {

absl::StatusOr<std::unique_ptr<FormatReader>> OpenAnyFormat(std::istream& in,
                                                            const std::string& source,
                                                            const ImportOptions& options);

}  // namespace

absl::StatusOr<std::unique_ptr<FormatReader>> OpenFormatReader(std::istream& in,
                                                               const std::string& source,
                                                               const ImportOptions& options) {
  // The zone first: an unknown one is refused before anything is read.
  COTRACK_ASSIGN_OR_RETURN(std::optional<absl::TimeZone> zone,
                           LoadImportTimeZone(options.timezone));
  COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<FormatReader> reader,
                           OpenAnyFormat(in, source, options));
  reader->SetTimeZone(std::move(zone));
  reader->SetDuplicates(options.duplicates);
  reader->SetOnError(options.on_error);
  return reader;
}

namespace {

absl::StatusOr<std::unique_ptr<FormatReader>> OpenAnyFormat(std::istream& in,
                                                            const std::string& source,
                                                            const ImportOptions& options) {
  const FormatEntry* given = FindImportFormat(options.format);
  const bool stream_format = given != nullptr && given->open != nullptr;
  // Take leading white space and the first other byte: '{' starts JSON.
  std::string prefix;
  StreamStart start;
  std::streambuf* sb = in.rdbuf();
  int c = std::char_traits<char>::eof();
  if (options.format == ImportFormat::kAuto || stream_format) {
    while ((c = sb->sbumpc()) != std::char_traits<char>::eof()) {
      prefix += static_cast<char>(c);
      if (c == '\n') ++start.blank_lines;
      // A UTF-8 byte order mark may precede JSON as well as CSV; an MLLP
      // start byte (0x0B) precedes an HL7 message.
      const bool in_bom = prefix.size() <= 3 &&
                          absl::string_view("\xEF\xBB\xBF", 3).substr(0, prefix.size()) == prefix;
      if (!in_bom && c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\x0B') break;
      if (prefix.size() >= kMaxLeadingBlankBytes) break;  // not JSON; replayed as CSV
    }
  }
  start.first_byte = c;
  if (options.format == ImportFormat::kAuto && c == '{') {
    for (const FormatEntry* f : kFormats) {
      if (f->open != nullptr) return f->open(in, source, options, start);
    }
  }
  if (options.format == ImportFormat::kAuto && c != std::char_traits<char>::eof()) {
    // A few more bytes for the formats told by how they start; CSV replays
    // them.
    const size_t first = prefix.size() - 1;
    while (prefix.size() - first < kMaxStartBytes &&
           (c = sb->sbumpc()) != std::char_traits<char>::eof()) {
      prefix += static_cast<char>(c);
    }
    for (const FormatEntry* f : kFormats) {
      if (f->detect_start != nullptr && f->open != nullptr &&
          f->detect_start(absl::string_view(prefix).substr(first))) {
        start.taken = std::move(prefix);
        return f->open(in, source, options, std::move(start));
      }
    }
  }
  if (stream_format) {
    start.taken = std::move(prefix);
    return given->open(in, source, options, std::move(start));
  }
  return OpenCsv(in, std::move(prefix), source, options);
}

}  // namespace
}  // namespace cotrack

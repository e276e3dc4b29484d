// The clinic-format readers (wide CSV, Synthea, FHIR NDJSON/JSON, HL7 v2, OMOP; REDCap
// needs a mapping file and only reaches its "mapping needed" error): the
// first byte picks auto detection or a forced format, the rest is the file.
// Every chunk is read; errors must name the source, counts must add up.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "cotrack/import.h"
#include "fuzz_util.h"
#include "import/format_registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const cotrack::ImportFormat kFormats[] = {cotrack::ImportFormat::kAuto,
                                                   cotrack::ImportFormat::kWideCsv,
                                                   cotrack::ImportFormat::kRedcapCsv,
                                                   cotrack::ImportFormat::kSyntheaObservations,
                                                   cotrack::ImportFormat::kSyntheaPatients,
                                                   cotrack::ImportFormat::kFhirNdjson,
                                                   cotrack::ImportFormat::kFhirJson,
                                                   cotrack::ImportFormat::kHl7,
                                                   cotrack::ImportFormat::kOmopMeasurement,
                                                   cotrack::ImportFormat::kOmopPerson,
                                                   cotrack::ImportFormat::kRelapsesCsv};
  cotrack::ImportOptions options;
  options.format = kFormats[data[0] % (sizeof kFormats / sizeof kFormats[0])];
  options.user = "fuzz";
  // Instants converted to a zone (one with a date line and daylight saving)
  // as well as offsets dropped.
  if (data[0] & 0x80) options.timezone = "Pacific/Auckland";
  std::istringstream in = cotrack::fuzz::AsStream(data + 1, size - 1);
  absl::StatusOr<std::unique_ptr<cotrack::FormatReader>> reader =
      cotrack::OpenFormatReader(in, "fuzz.in", options);
  if (!reader.ok()) {
    if (reader.status().message().find("fuzz.in") == absl::string_view::npos &&
        reader.status().message().find("mapping") == absl::string_view::npos) {
      __builtin_trap();
    }
    return 0;
  }
  cotrack::Batch batch;
  cotrack::ImportErrors errors("fuzz.in");
  if (!cotrack::fuzz::ReadAllChunks(**reader, batch, errors, "fuzz.in")) return 0;
  (void)errors.ToStatus();
  return 0;
}

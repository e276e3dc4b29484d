// `cotrack export`: its request and parse step, for tests/tools.
#ifndef COTRACK_TOOLS_CMD_EXPORT_H_
#define COTRACK_TOOLS_CMD_EXPORT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cotrack/export.h"
#include "flags.h"
#include "global_flags.h"

namespace cotrack::tools {

struct ExportRequest {
  // What to export; deidentify_key stays unset (the key is read when the
  // command runs, from deidentify_key_file).
  ExportOptions options;
  // --deidentify: the file holding the de-identification key.
  std::optional<std::string> deidentify_key_file;
  // The encryption key the database is opened with: the global --key-file,
  // unless --deidentify took it as its key.
  std::string db_key_file;
  std::optional<std::string> out;  // --out; "-" or absent is stdout
};

// `args` have passed the command's flags and arity (none). Reads the global
// context because --key-file names the de-identification key with
// --deidentify and no --deidentify-key. InvalidArgument naming the flag: a
// bad --format (csv, ndjson/json, fhir, omop), --format omop without --out
// DIR, an empty --measure list,
// --with-patients without fhir, --deidentify without a key,
// --deidentify-key without --deidentify.
absl::StatusOr<ExportRequest> ParseExportRequest(const ParsedArgs& args, const GlobalContext& ctx);

}  // namespace cotrack::tools

#endif  // COTRACK_TOOLS_CMD_EXPORT_H_

// Every CSV importer: ParseImport with each format (auto detection, and each
// format forced), then, for parses that succeed, validation against the
// catalog through a dry-run Apply on one scratch database (nothing is
// written, so the database stays empty and every input is judged alike).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "cotrack/database.h"
#include "fuzz_util.h"
#include "import/parse_import.h"

namespace {

cotrack::Database* ScratchDatabase() {
  static cotrack::Database* db = [] {
    std::string dir =
        (std::filesystem::temp_directory_path() / ("cotrack-fuzz-" + std::to_string(getpid())))
            .string();
    std::filesystem::remove_all(dir);
    auto opened = cotrack::Database::Open(dir);
    if (!opened.ok()) std::abort();
    static std::string cleanup_dir = dir;
    std::atexit([] { std::filesystem::remove_all(cleanup_dir); });
    return opened->release();
  }();
  return db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const cotrack::ImportFormat kFormats[] = {cotrack::ImportFormat::kAuto,
                                                   cotrack::ImportFormat::kObservationsCsv,
                                                   cotrack::ImportFormat::kPatientsCsv};
  cotrack::ImportOptions options;
  options.format = kFormats[data[0] % 3];
  options.user = "fuzz";
  options.write.dry_run = true;
  std::istringstream in = cotrack::fuzz::AsStream(data + 1, size - 1);
  absl::StatusOr<cotrack::ParsedImport> parsed = cotrack::ParseImport(in, "fuzz.csv", options);
  if (!parsed.ok()) {
    // Errors name the source so a user can find the file.
    if (parsed.status().message().find("fuzz.csv") == absl::string_view::npos) __builtin_trap();
    return 0;
  }
  if (parsed->batch.empty()) return 0;
  absl::StatusOr<cotrack::WriteSummary> summary =
      ScratchDatabase()->Apply(parsed->batch, options.write);
  if (summary.ok() && summary->unchanged + summary->corrected != 0) {
    // The scratch database is empty: a dry run cannot find earlier values.
    __builtin_trap();
  }
  return 0;
}

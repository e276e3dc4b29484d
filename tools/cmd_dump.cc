// `cotrack dump [--out FILE]` and `cotrack load FILE [--db NEWDB]`
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "command.h"
#include "cotrack/export.h"
#include "flags.h"

namespace cotrack::tools {
namespace {

Options DbOptions(const GlobalContext& ctx) {
  Options options;
  options.user = ctx.user;
  options.encryption_key_file = ctx.key_file;
  return options;
}

void PrintSummary(const char* verb, const DumpSummary& s, const std::string& where) {
  std::fprintf(stderr,
               "cotrack: %s %lld patients (%lld versions), %lld observation versions, %lld user "
               "measures, %lld audit entries %s\n",
               verb, static_cast<long long>(s.patients), static_cast<long long>(s.patient_versions),
               static_cast<long long>(s.observation_versions), static_cast<long long>(s.measures),
               static_cast<long long>(s.audit_entries), where.c_str());
}

struct DumpRequest {
  std::optional<std::string> out;  // --out; "-" or absent is stdout
};

absl::StatusOr<DumpRequest> ParseDumpRequest(const ParsedArgs& args) {
  return DumpRequest{args.Get("out")};
}

// Dump and load work on the database directory, not on an open Database:
// execute is DumpDatabase or LoadDatabase itself.
int RunDump(const GlobalContext& ctx, const DumpRequest& request) {
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (request.out && *request.out != "-") {
    file.open(*request.out, std::ios::binary | std::ios::trunc);
    if (!file) {
      return RuntimeError(absl::NotFoundError(absl::StrCat("cannot write ", *request.out)));
    }
    out = &file;
  }
  absl::StatusOr<DumpSummary> summary = DumpDatabase(ctx.db_path, DbOptions(ctx), *out);
  if (!summary.ok()) return RuntimeError(summary.status());
  if (file.is_open()) {
    file.close();
    if (!file) {
      return RuntimeError(absl::DataLossError(absl::StrCat("writing ", *request.out, " failed")));
    }
  }
  PrintSummary("dumped", *summary, absl::StrCat("from ", ctx.db_path));
  return 0;
}

struct LoadRequest {
  std::string path;  // a dump file, or - for standard input
};

absl::StatusOr<LoadRequest> ParseLoadRequest(const ParsedArgs& args) {
  return LoadRequest{args.positionals()[0]};
}

int RunLoad(const GlobalContext& ctx, const LoadRequest& request) {
  const std::string& path = request.path;
  std::ifstream file;
  std::istream* in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return RuntimeError(absl::NotFoundError(absl::StrCat("cannot read ", path)));
    in = &file;
  }
  absl::StatusOr<DumpSummary> summary =
      LoadDatabase(*in, path == "-" ? "<stdin>" : path, ctx.db_path, DbOptions(ctx));
  if (!summary.ok()) return RuntimeError(summary.status());
  PrintSummary("loaded", *summary, absl::StrCat("into ", ctx.db_path));
  return 0;
}

const Command kDumpCommand = MakeCommand({"dump",
                                          "The whole database, every version, as NDJSON",
                                          R"(Usage: cotrack dump [--out FILE]

Writes everything the database holds - every version of every patient and
observation with its status, version number, recorded time and provenance,
the user measure definitions and the audit log - as NDJSON (one record per
line, format in docs/EXPORT.md). `cotrack load` rebuilds the database from
it. Reads a snapshot: a writer may keep the database open meanwhile.

Options:
  --out FILE   write to FILE instead of standard output
)",
                                          Arity::None(),
                                          {{"out"}}},
                                         ParseDumpRequest, RunDump);
COTRACK_REGISTER_COMMAND(kDumpCommand);

const Command kLoadCommand =
    MakeCommand({"load",
                 "Rebuild a database from a `cotrack dump` file",
                 R"(Usage: cotrack load FILE [--db NEWDB]

Loads the dump in FILE (- for standard input) into the database of --db,
which must be new or empty: every version keeps its number, recorded time
and provenance, and the audit log is restored as it was. Exporting or
dumping the loaded database gives the same output as the original.
If the load fails half-way, delete NEWDB and load again.
)",
                 Arity::Exactly(1, "FILE (a dump, or - for standard input)"),
                 {}},
                ParseLoadRequest, RunLoad);
COTRACK_REGISTER_COMMAND(kLoadCommand);

}  // namespace
}  // namespace cotrack::tools

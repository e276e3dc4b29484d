// `cotrack check`
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "command.h"
#include "cotrack/maintenance.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "check";

struct CheckRequest {
  OutputFormat format = OutputFormat::kTable;
  std::optional<std::string> key_file;  // else the global --key-file
};

absl::StatusOr<CheckRequest> ParseCheckRequest(const ParsedArgs& args) {
  absl::StatusOr<OutputFormat> format = ParseFormatFlag(args);
  if (!format.ok()) return format.status();
  return CheckRequest{*format, args.Get("key-file")};
}

// The counts and problems; exit status 1 when the database is damaged.
int Print(const GlobalContext& ctx, const CheckRequest& request, const CheckReport& report) {
  const size_t problem_count = report.problems.size() + report.problems_not_listed;
  if (request.format == OutputFormat::kTable) {
    WriteRecord({"table files", "patients", "patient versions", "user measures", "series",
                 "observations", "versions", "audit entries", "problems"},
                {Cell::Integer(report.table_files), Cell::Integer(report.patients),
                 Cell::Integer(report.patient_versions), Cell::Integer(report.measures),
                 Cell::Integer(report.series), Cell::Integer(report.observations),
                 Cell::Integer(report.versions), Cell::Integer(report.audit_entries),
                 Cell::Integer(problem_count)},
                request.format, std::cout);
    if (!report.problems.empty()) std::cout << "\n";
  }
  // In csv and json the problems are the rows; the counts go to stderr.
  if (!report.problems.empty() || request.format != OutputFormat::kTable) {
    Table table;
    table.columns = {"family", "key", "patient", "problem"};
    for (const CheckProblem& p : report.problems) {
      table.rows.push_back({Cell::String(p.family), Cell::StringOrNull(p.key),
                            Cell::StringOrNull(p.patient), Cell::String(p.message)});
    }
    WriteTable(table, request.format, std::cout);
  }
  if (request.format != OutputFormat::kTable) {
    std::fprintf(stderr,
                 "cotrack: checked %zu table files, %zu patients, %zu series, %zu observations "
                 "(%zu versions), %zu audit entries\n",
                 report.table_files, report.patients, report.series, report.observations,
                 report.versions, report.audit_entries);
  }
  if (problem_count > 0) {
    std::fprintf(stderr, "cotrack: %s is DAMAGED: %zu problem%s%s\n", ctx.db_path.c_str(),
                 problem_count, problem_count == 1 ? "" : "s",
                 report.problems_not_listed > 0
                     ? absl::StrFormat(" (the first %zu listed)", report.problems.size()).c_str()
                     : "");
    return 1;
  }
  std::fprintf(stderr, "cotrack: %s is intact\n", ctx.db_path.c_str());
  return 0;
}

// CheckDatabase works on the directory (every table file on its own), not
// on an open Database, so there is no RunOnDatabase here.
int Run(const GlobalContext& ctx, const CheckRequest& request) {
  Options options;
  options.user = ctx.user;
  options.encryption_key_file = request.key_file.value_or(ctx.key_file);
  absl::StatusOr<CheckReport> report = CheckDatabase(ctx.db_path, options);
  if (!report.ok()) return RuntimeError(report.status());
  return Print(ctx, request, *report);
}

const Command kCheckCommand =
    MakeCommand({kName,
                 "Verify checksums, every stored record and every reference",
                 R"(Usage: cotrack check [--format FMT]

Checks the whole database without changing it:
  - the block checksums of every RocksDB table file, each file on its own;
  - every stored record: its CRC-32C and FlatBuffers verification;
  - every reference: each series' patient and measure exist, patient ids and
    patient records match one to one, the versions of each observation are
    numbered 1..n, audit entries are numbered 1..n without gaps.
It opens the database read-only, so it can run while a writer works (it
checks the state as of when it starts).

Prints the counts (patients, series, observations, versions, audit
entries...) and one line per problem: family, key, patient (when known) and
what is wrong.

Options:
  --format FMT    table (default: counts, then problems), csv or json (the
                  problems only, one per row; counts go to stderr)
  --key-file F    the key of an encrypted database

Exit status: 0 intact, 1 damaged (or the check could not run), 2 bad usage.
)",
                 Arity::None(),
                 {{"format"}, {"key-file"}}},
                ParseCheckRequest, Run);
COTRACK_REGISTER_COMMAND(kCheckCommand);

}  // namespace
}  // namespace cotrack::tools

// `cotrack audit [--patient P]`
#include <iostream>

#include "absl/strings/str_cat.h"
#include "command.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "audit";

struct AuditRequest {
  std::optional<std::string> patient;
  OutputFormat format = OutputFormat::kTable;
};

absl::StatusOr<AuditRequest> ParseAuditRequest(const ParsedArgs& args) {
  absl::StatusOr<OutputFormat> format = ParseFormatFlag(args);
  if (!format.ok()) return format.status();
  return AuditRequest{args.Get("patient"), *format};
}

absl::StatusOr<std::vector<AuditRecord>> Execute(Database& db, const AuditRequest& request) {
  absl::StatusOr<std::vector<AuditRecord>> log = db.AuditLog(request.patient);
  if (log.ok() && request.patient && log->empty()) {
    if (absl::Status known = CheckPatientExists(db, *request.patient); !known.ok()) return known;
  }
  return log;
}

Table AuditTable(const std::vector<AuditRecord>& log) {
  Table table;
  table.columns = {"seq",       "at",       "action",  "user",      "source",
                   "patient",   "patients", "written", "corrected", "unchanged",
                   "retracted", "detail",   "reason"};
  for (const AuditRecord& a : log) {
    table.rows.push_back({
        Cell::Integer(static_cast<int64_t>(a.sequence)),
        Cell::String(FormatTimestampUs(a.at_us)),
        Cell::String(a.action),
        Cell::StringOrNull(a.provenance.user),
        Cell::StringOrNull(a.provenance.source),
        Cell::StringOrNull(a.patient),
        Cell::Integer(static_cast<int64_t>(a.patients.size())),
        Cell::Integer(a.summary.written),
        Cell::Integer(a.summary.corrected),
        Cell::Integer(a.summary.unchanged),
        Cell::Integer(a.summary.retracted),
        Cell::StringOrNull(a.detail),
        Cell::StringOrNull(a.provenance.reason),
    });
  }
  return table;
}

int Run(const GlobalContext& ctx, const AuditRequest& request) {
  return RunOnDatabase(
      ctx, OpenMode::kRead, [&](Database& db) { return Execute(db, request); },
      [&](const std::vector<AuditRecord>& log) {
        WriteTable(AuditTable(log), request.format, std::cout);
        return 0;
      });
}

const Command kAuditCommand =
    MakeCommand({kName,
                 "List the audit log: every change, who made it, when and from where",
                 R"(Usage: cotrack audit [--patient P] [--format FMT]

Lists the append-only audit log, oldest first: one entry per change to the
database (import, record, correction, retraction, patient registration,
measure definition). Entries cannot be edited or deleted, by this tool or
the API.

Options:
  --patient P     only the changes that touched patient P (an import that
                  touched many patients is listed for each of them)
  --format FMT    table (default), csv or json (one object per line)
  --key-file F    the key of an encrypted database

Columns: seq (1, 2, ... without gaps), at (UTC), action, user (--user, else
the OS user), source (file, cli or api), patient (when the change concerns
one patient), patients (how many patients it concerned), written /
corrected / unchanged / retracted (observation counts), detail (e.g. the
imported file) and reason.
)",
                 Arity::None(),
                 {{"patient"}, {"format"}, {"key-file"}}},
                ParseAuditRequest, Run);
COTRACK_REGISTER_COMMAND(kAuditCommand);

}  // namespace
}  // namespace cotrack::tools

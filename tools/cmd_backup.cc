// `cotrack backup DIR`, `cotrack backup verify DIR`, `cotrack restore DIR --to NEWDB`
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "cotrack/maintenance.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

Table BackupTable(const std::vector<BackupInfo>& backups, bool with_status) {
  Table table;
  table.columns = {"backup", "created", "files", "bytes"};
  if (with_status) table.columns.push_back("status");
  for (const BackupInfo& b : backups) {
    std::vector<Cell> row = {
        Cell::Integer(b.id),
        b.created_unix_seconds == 0
            ? Cell()
            : Cell::String(FormatTimestampUs(b.created_unix_seconds * 1000000)),
        Cell::Integer(b.file_count), Cell::Integer(static_cast<int64_t>(b.size_bytes))};
    if (with_status) row.push_back(Cell::String(b.error.empty() ? "ok" : "BAD: " + b.error));
    table.rows.push_back(std::move(row));
  }
  return table;
}

// What backup, backup verify and restore are asked: a backup directory (and
// for restore, where to restore it).
struct BackupRequest {
  std::string dir;
  std::optional<std::string> to;  // restore --to NEWDB
  OutputFormat format = OutputFormat::kTable;
  std::optional<std::string> key_file;  // else the global --key-file
};

absl::StatusOr<BackupRequest> ParseBackupRequest(const ParsedArgs& args) {
  absl::StatusOr<OutputFormat> format = ParseFormatFlag(args);
  if (!format.ok()) return format.status();
  return BackupRequest{args.positionals()[0], std::nullopt, *format, args.Get("key-file")};
}

absl::StatusOr<BackupRequest> ParseRestoreRequest(const ParsedArgs& args) {
  std::optional<std::string> to = args.Get("to");
  if (!to || to->empty()) {
    return absl::InvalidArgumentError("--to NEWDB is required (a new or empty directory)");
  }
  absl::StatusOr<BackupRequest> request = ParseBackupRequest(args);
  if (request.ok()) request->to = to;
  return request;
}

Options MaintenanceOptions(const GlobalContext& ctx, const BackupRequest& request) {
  Options options;
  options.user = ctx.user;
  options.encryption_key_file = request.key_file.value_or(ctx.key_file);
  return options;
}

// Backups work on directories, not on an open Database: execute is the
// maintenance call itself.
int RunBackup(const GlobalContext& ctx, const BackupRequest& request) {
  absl::StatusOr<BackupInfo> made =
      BackupDatabase(ctx.db_path, request.dir, MaintenanceOptions(ctx, request));
  if (!made.ok()) return RuntimeError(made.status());
  WriteTable(BackupTable({*made}, false), request.format, std::cout);
  std::fprintf(stderr, "cotrack: backup %u of %s written to %s\n", made->id, ctx.db_path.c_str(),
               request.dir.c_str());
  return 0;
}

const Command kBackupCommand =
    MakeCommand({"backup",
                 "Add an incremental backup of the database to a directory",
                 R"(Usage: cotrack backup DIR [--format FMT]

Adds a backup of the database to DIR (created private, 0700, when missing).
Backups are incremental: table files DIR already holds from an earlier
backup are not copied again. Each backup is a consistent state of the whole
database, write-ahead log included.

Works while a writer (another process, or the application) has the database
open: the backup opens it read-only and captures the state as of that
moment. If the writer's compaction deletes a file while it is being copied,
the backup is retried a few times.

Options:
  --format FMT    table (default), csv or json
  --key-file F    the key of an encrypted database; the backup is encrypted
                  with it too

See also: cotrack backup verify DIR, cotrack restore DIR --to NEWDB.
)",
                 Arity::Exactly(1, "DIR"),
                 {{"format"}, {"key-file"}}},
                ParseBackupRequest, RunBackup);
COTRACK_REGISTER_COMMAND(kBackupCommand);

int RunVerify(const GlobalContext& ctx, const BackupRequest& request) {
  absl::StatusOr<std::vector<BackupInfo>> backups =
      VerifyBackups(request.dir, MaintenanceOptions(ctx, request));
  if (!backups.ok()) return RuntimeError(backups.status());
  WriteTable(BackupTable(*backups, true), request.format, std::cout);
  size_t bad = 0;
  for (const BackupInfo& b : *backups) bad += b.error.empty() ? 0 : 1;
  if (bad > 0) {
    std::fprintf(stderr, "cotrack: %zu of %zu backups in %s are DAMAGED\n", bad, backups->size(),
                 request.dir.c_str());
    return 1;
  }
  std::fprintf(stderr, "cotrack: all %zu backups in %s verified\n", backups->size(),
               request.dir.c_str());
  return 0;
}

const Command kVerifyCommand =
    MakeCommand({"backup verify",
                 "Verify every backup in a directory against its checksums",
                 R"(Usage: cotrack backup verify DIR [--format FMT]

Reads every file of every backup in DIR and compares its size and checksum
with those recorded when the backup was made. Lists the backups with their
status. Does not need (or touch) the database.

Options:
  --format FMT    table (default), csv or json
  --key-file F    the key of encrypted backups

Exit status: 0 all good, 1 a backup is damaged or DIR holds none.
)",
                 Arity::Exactly(1, "DIR"),
                 {{"format"}, {"key-file"}}},
                ParseBackupRequest, RunVerify);
COTRACK_REGISTER_COMMAND(kVerifyCommand);

int RunRestore(const GlobalContext& ctx, const BackupRequest& request) {
  absl::StatusOr<BackupInfo> restored =
      RestoreBackup(request.dir, *request.to, MaintenanceOptions(ctx, request));
  if (!restored.ok()) return RuntimeError(restored.status());
  WriteTable(BackupTable({*restored}, false), request.format, std::cout);
  std::fprintf(stderr, "cotrack: backup %u restored into %s and checked\n", restored->id,
               request.to->c_str());
  return 0;
}

const Command kRestoreCommand =
    MakeCommand({"restore",
                 "Restore the latest backup into a new database directory",
                 R"(Usage: cotrack restore DIR --to NEWDB [--format FMT]

Restores the latest good backup in DIR into NEWDB, which must not exist or
be an empty directory: restore never overwrites a database. The restored
database is then checked as `cotrack check` does; damage is an error.
To replace a database, restore next to it, check it, then swap directories
while no program has either open.

Options:
  --to NEWDB      where to restore (required)
  --format FMT    table (default), csv or json
  --key-file F    the key of encrypted backups; the restored database is
                  encrypted with it (a plain backup restored with a key file
                  becomes an encrypted database)
)",
                 Arity::Exactly(1, "DIR"),
                 {{"to"}, {"format"}, {"key-file"}}},
                ParseRestoreRequest, RunRestore);
COTRACK_REGISTER_COMMAND(kRestoreCommand);

}  // namespace
}  // namespace cotrack::tools

// The C ABI's maintenance calls (cotrack/c.h, "Command-line parity"):
// check, dump, load, backup, backup verify and restore, each the engine
// function the command line calls, on a database directory.
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "capi/handles.h"
#include "capi/table.h"
#include "cotrack/c.h"
#include "cotrack/maintenance.h"
#include "cotrack/text.h"

using cotrack::capi::AddColumn;
using cotrack::capi::AppendString;
using cotrack::capi::Fail;
using cotrack::capi::Guard;
using cotrack::capi::Ok;
using cotrack::capi::Report;

namespace {

cotrack::Options OptionsOf(const cotrack_options_t* options) {
  return options == nullptr ? cotrack::Options() : options->options;
}

void Give(cotrack_table_t&& table, cotrack_table_t** out) {
  if (out != nullptr) *out = new cotrack_table_t(std::move(table));
}

cotrack_table_t CountsTable(const cotrack::DumpSummary& s) {
  cotrack_table_t t;
  t.rows = 1;
  t.columns.reserve(5);
  AddColumn(t, "patients", COTRACK_COLUMN_INT64).ints.push_back(s.patients);
  AddColumn(t, "patient_versions", COTRACK_COLUMN_INT64).ints.push_back(s.patient_versions);
  AddColumn(t, "observation_versions", COTRACK_COLUMN_INT64).ints.push_back(s.observation_versions);
  AddColumn(t, "measures", COTRACK_COLUMN_INT64).ints.push_back(s.measures);
  AddColumn(t, "audit_entries", COTRACK_COLUMN_INT64).ints.push_back(s.audit_entries);
  return t;
}

// What `cotrack check` prints beside the problems: how much it verified, and
// how many problems it found (the problems table lists the first
// cotrack::kMaxCheckProblems of them; problems_not_listed is the rest).
cotrack_table_t CheckCounts(const cotrack::CheckReport& r) {
  cotrack_table_t t;
  t.rows = 1;
  t.columns.reserve(10);
  const std::pair<const char*, size_t> counts[] = {
      {"table_files", r.table_files},
      {"patients", r.patients},
      {"patient_versions", r.patient_versions},
      {"measures", r.measures},
      {"series", r.series},
      {"observations", r.observations},
      {"versions", r.versions},
      {"audit_entries", r.audit_entries},
      {"problems", r.problems.size() + r.problems_not_listed},
      {"problems_not_listed", r.problems_not_listed}};
  for (const auto& [name, n] : counts) {
    AddColumn(t, name, COTRACK_COLUMN_INT64).ints.push_back(static_cast<int64_t>(n));
  }
  return t;
}

// The columns of `cotrack backup` (and, with `with_error`, verify's).
cotrack_table_t BackupTable(const std::vector<cotrack::BackupInfo>& backups, bool with_error) {
  cotrack_table_t t;
  t.rows = backups.size();
  t.columns.reserve(5);
  auto& id = AddColumn(t, "backup", COTRACK_COLUMN_INT64);
  auto& created = AddColumn(t, "created", COTRACK_COLUMN_STRING);
  auto& files = AddColumn(t, "files", COTRACK_COLUMN_INT64);
  auto& bytes = AddColumn(t, "bytes", COTRACK_COLUMN_INT64);
  for (const auto& b : backups) {
    id.ints.push_back(b.id);
    AppendString(created, b.created_unix_seconds == 0
                              ? std::string()
                              : cotrack::FormatTimestampUs(b.created_unix_seconds * 1000000));
    files.ints.push_back(b.file_count);
    bytes.ints.push_back(static_cast<int64_t>(b.size_bytes));
  }
  if (with_error) {
    auto& error = AddColumn(t, "error", COTRACK_COLUMN_STRING);
    for (const auto& b : backups) AppendString(error, b.error);
  }
  return t;
}

int NullArg(char** err, const char* name) {
  return Fail(err, COTRACK_INVALID_ARGUMENT, std::string("argument \"") + name + "\" is NULL");
}

}  // namespace

extern "C" {

int cotrack_check(const char* path, const cotrack_options_t* options, cotrack_table_t** problems,
                  cotrack_table_t** counts, char** err) {
  return Guard(err, [&]() -> int {
    if (counts != nullptr) *counts = nullptr;  // also when the call fails
    if (path == nullptr) return NullArg(err, "path");
    if (problems == nullptr) return NullArg(err, "problems");
    auto report = cotrack::CheckDatabase(path, OptionsOf(options));
    if (!report.ok()) return Report(err, report.status());
    cotrack_table_t t;
    t.rows = report->problems.size();
    t.columns.reserve(4);
    auto& family = AddColumn(t, "family", COTRACK_COLUMN_STRING);
    auto& key = AddColumn(t, "key", COTRACK_COLUMN_STRING);
    auto& patient = AddColumn(t, "patient", COTRACK_COLUMN_STRING);
    auto& problem = AddColumn(t, "problem", COTRACK_COLUMN_STRING);
    for (const auto& p : report->problems) {
      AppendString(family, p.family);
      AppendString(key, p.key);
      AppendString(patient, p.patient);
      AppendString(problem, p.message);
    }
    Give(std::move(t), problems);
    Give(CheckCounts(*report), counts);
    return Ok(err);
  });
}

int cotrack_check_table(const char* path, const cotrack_options_t* options, cotrack_table_t** out,
                        char** err) {
  if (path == nullptr) return NullArg(err, "path");
  if (out == nullptr) return NullArg(err, "out");
  return cotrack_check(path, options, out, nullptr, err);
}

int cotrack_dump(const char* path, const cotrack_options_t* options, const char* out_file,
                 cotrack_table_t** counts, char** err) {
  return Guard(err, [&]() -> int {
    if (path == nullptr) return NullArg(err, "path");
    if (out_file == nullptr) return NullArg(err, "out_file");
    // The command line's messages for a file it cannot write.
    std::ofstream file(out_file, std::ios::binary | std::ios::trunc);
    if (!file) return Fail(err, COTRACK_NOT_FOUND, std::string("cannot write ") + out_file);
    auto summary = cotrack::DumpDatabase(path, OptionsOf(options), file);
    if (!summary.ok()) return Report(err, summary.status());
    file.close();
    if (!file) {
      return Fail(err, COTRACK_DATA_LOSS, std::string("writing ") + out_file + " failed");
    }
    Give(CountsTable(*summary), counts);
    return Ok(err);
  });
}

int cotrack_load(const char* dump_file, const char* path, const cotrack_options_t* options,
                 cotrack_table_t** counts, char** err) {
  return Guard(err, [&]() -> int {
    if (dump_file == nullptr) return NullArg(err, "dump_file");
    if (path == nullptr) return NullArg(err, "path");
    std::ifstream file(dump_file, std::ios::binary);
    if (!file) return Fail(err, COTRACK_NOT_FOUND, std::string("cannot read ") + dump_file);
    auto summary = cotrack::LoadDatabase(file, dump_file, path, OptionsOf(options));
    if (!summary.ok()) return Report(err, summary.status());
    Give(CountsTable(*summary), counts);
    return Ok(err);
  });
}

int cotrack_backup(const char* path, const cotrack_options_t* options, const char* backup_dir,
                   cotrack_table_t** out, char** err) {
  return Guard(err, [&]() -> int {
    if (path == nullptr) return NullArg(err, "path");
    if (backup_dir == nullptr) return NullArg(err, "backup_dir");
    auto made = cotrack::BackupDatabase(path, backup_dir, OptionsOf(options));
    if (!made.ok()) return Report(err, made.status());
    Give(BackupTable({*made}, false), out);
    return Ok(err);
  });
}

int cotrack_backup_verify(const char* backup_dir, const cotrack_options_t* options,
                          cotrack_table_t** out, char** err) {
  return Guard(err, [&]() -> int {
    if (backup_dir == nullptr) return NullArg(err, "backup_dir");
    auto backups = cotrack::VerifyBackups(backup_dir, OptionsOf(options));
    if (!backups.ok()) return Report(err, backups.status());
    Give(BackupTable(*backups, true), out);
    return Ok(err);
  });
}

int cotrack_restore(const char* backup_dir, const char* new_path, const cotrack_options_t* options,
                    cotrack_table_t** out, char** err) {
  return Guard(err, [&]() -> int {
    if (backup_dir == nullptr) return NullArg(err, "backup_dir");
    if (new_path == nullptr) return NullArg(err, "new_path");
    auto restored = cotrack::RestoreBackup(backup_dir, new_path, OptionsOf(options));
    if (!restored.ok()) return Report(err, restored.status());
    Give(BackupTable({*restored}, false), out);
    return Ok(err);
  });
}

}  // extern "C"

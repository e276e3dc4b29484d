// The C ABI's calls with command-line options (cotrack/c.h, "Command-line
// parity"): import and summary, parsed by the engine's option parsers the
// command line uses, and the encryption key option.
#include <fstream>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "capi/handles.h"
#include "capi/table.h"
#include "cotrack/c.h"
#include "cotrack/chart.h"
#include "cotrack/export.h"
#include "cotrack/import.h"
#include "cotrack/measure_options.h"
#include "cotrack/report.h"
#include "cotrack/summary.h"
#include "cotrack/text.h"

using cotrack::capi::AddColumn;
using cotrack::capi::AppendString;
using cotrack::capi::Fail;
using cotrack::capi::Guard;
using cotrack::capi::Ok;
using cotrack::capi::Report;
using cotrack::capi::WriteFile;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double OrNaN(const std::optional<double>& v) { return v.has_value() ? *v : kNaN; }

// `text` with its tabs and line breaks as spaces, for a column of lines.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

// A row per imported file: its counts, then what the command prints under
// them: why rows were skipped ("COUNT<TAB>REASON" lines) and the warnings
// (a line each).
cotrack_table_t ImportTable(const std::vector<cotrack::ImportReport>& reports) {
  cotrack_table_t t;
  t.rows = reports.size();
  t.columns.reserve(14);
  auto& path = AddColumn(t, "path", COTRACK_COLUMN_STRING);
  auto& format = AddColumn(t, "format", COTRACK_COLUMN_STRING);
  for (const cotrack::ImportReport& r : reports) {
    AppendString(path, r.path);
    AppendString(format, cotrack::ImportFormatName(r.format));
  }
  using File = cotrack::ImportReport;
  const std::pair<const char*, int64_t (*)(const File&)> counts[] = {
      {"rows", [](const File& r) { return r.rows; }},
      {"written", [](const File& r) { return r.summary.written; }},
      {"unchanged", [](const File& r) { return r.summary.unchanged; }},
      {"corrected", [](const File& r) { return r.summary.corrected; }},
      {"retracted", [](const File& r) { return r.summary.retracted; }},
      {"patients", [](const File& r) { return r.summary.patients; }},
      {"rejected", [](const File& r) { return r.rejected; }},
      {"skipped", [](const File& r) { return r.skipped; }}};
  for (const auto& [name, get] : counts) {
    auto& column = AddColumn(t, name, COTRACK_COLUMN_INT64);
    for (const File& r : reports) column.ints.push_back(get(r));
  }
  auto& reject_file = AddColumn(t, "reject_file", COTRACK_COLUMN_STRING);
  auto& index_dates = AddColumn(t, "index_dates_set", COTRACK_COLUMN_INT64);
  auto& skipped = AddColumn(t, "skipped_by_reason", COTRACK_COLUMN_STRING);
  auto& warnings = AddColumn(t, "warnings", COTRACK_COLUMN_STRING);
  for (const File& r : reports) {
    AppendString(reject_file, r.reject_file);
    index_dates.ints.push_back(r.index_dates_set);
    std::vector<std::string> reasons;
    for (const auto& [reason, n] : r.skipped_by_reason) {
      reasons.push_back(absl::StrCat(n, "\t", OneLine(reason)));
    }
    AppendString(skipped, absl::StrJoin(reasons, "\n"));
    std::vector<std::string> lines;
    for (const std::string& w : r.warnings) lines.push_back(OneLine(w));
    AppendString(warnings, absl::StrJoin(lines, "\n"));
  }
  return t;
}

// The option arrays as NamedOptions; InvalidArgument for bad arrays.
absl::Status Named(const char* const* names, const char* const* values, size_t count,
                   cotrack::NamedOptions* named) {
  return cotrack::capi::OptionPairs(names, values, count, named);
}

}  // namespace

namespace cotrack::capi {

absl::Status WriteFile(const std::string& path, const std::string& content, const char* what) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  f.close();
  if (!f) return absl::UnavailableError(absl::StrCat(path, ": cannot write the ", what));
  return absl::OkStatus();
}

}  // namespace cotrack::capi

extern "C" {

void cotrack_options_set_encryption_key_file(cotrack_options_t* options, const char* path) {
  if (options == nullptr) return;
  try {
    options->options.encryption_key_file = path == nullptr ? "" : path;
  } catch (...) {
    // Out of memory: keep the previous value rather than unwind into C.
  }
}

int cotrack_import(cotrack_db_t* db, const char* path, const char* const* option_names,
                   const char* const* option_values, size_t option_count, cotrack_table_t** out,
                   char** err) {
  return Guard(err, [&]() -> int {
    if (absl::Status s = cotrack::capi::RequireDb(db); !s.ok()) return Report(err, s);
    if (path == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"path\" is NULL");
    cotrack::NamedOptions named;
    if (absl::Status s =
            cotrack::capi::OptionPairs(option_names, option_values, option_count, &named);
        !s.ok()) {
      return Report(err, s);
    }
    auto options = cotrack::ParseImportOptions(named);
    if (!options.ok()) return Report(err, options.status());
    // The handle's user, as `cotrack --user U import` writes as U.
    options->user = db->options.user;
    // An OMOP directory is its person.csv and measurement.csv, each its own
    // atomic import, as on the command line.
    const std::vector<std::string> files = cotrack::ImportFilesOf(path);
    std::vector<cotrack::ImportReport> reports;
    for (size_t i = 0; i < files.size(); ++i) {
      auto report = cotrack::ImportFile(*db->db, files[i], *options);
      if (!report.ok()) {
        if (i == 0) return Report(err, report.status());
        return Report(
            err,
            absl::Status(report.status().code(),
                         absl::StrCat(report.status().message(), " (", files[i],
                                      " not imported; imported before it: ",
                                      absl::StrJoin(files.begin(), files.begin() + i, ", "), ")")));
      }
      reports.push_back(*std::move(report));
    }
    if (out != nullptr) *out = new cotrack_table_t(ImportTable(reports));
    return Ok(err);
  });
}

int cotrack_summary_table(cotrack_db_t* db, const char* measure, const char* const* option_names,
                          const char* const* option_values, size_t option_count,
                          cotrack_table_t** out, char** err) {
  return Guard(err, [&]() -> int {
    if (absl::Status s = cotrack::capi::RequireDb(db); !s.ok()) return Report(err, s);
    if (measure == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"measure\" is NULL");
    }
    if (out == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"out\" is NULL");
    cotrack::NamedOptions named;
    if (absl::Status s =
            cotrack::capi::OptionPairs(option_names, option_values, option_count, &named);
        !s.ok()) {
      return Report(err, s);
    }
    auto options = cotrack::ParseSummaryOptions(named);
    if (!options.ok()) return Report(err, options.status());
    auto summary = cotrack::SummarizeCohort(*db->db, measure, *options);
    if (!summary.ok()) return Report(err, summary.status());
    const auto& rows = summary->rows;
    cotrack_table_t t;
    t.rows = rows.size();
    t.columns.reserve(COTRACK_SUM_COLUMN_COUNT);
    auto& timepoint = AddColumn(t, "timepoint", COTRACK_COLUMN_STRING);
    auto& group = AddColumn(t, "group", COTRACK_COLUMN_STRING);
    for (const auto& r : rows) {
      AppendString(timepoint, r.timepoint);
      AppendString(group, r.group);
    }
    // The order of cotrack_summary_column.
    auto ints = [&](const char* name, auto get) {
      auto& c = AddColumn(t, name, COTRACK_COLUMN_INT64);
      for (const auto& r : rows) c.ints.push_back(get(r));
    };
    auto dbls = [&](const char* name, auto get) {
      auto& c = AddColumn(t, name, COTRACK_COLUMN_DOUBLE);
      for (const auto& r : rows) c.doubles.push_back(OrNaN(get(r)));
    };
    using Row = cotrack::SummaryRow;
    ints("patients", [](const Row& r) { return r.patients; });
    ints("missing", [](const Row& r) { return r.missing; });
    ints("censored", [](const Row& r) { return r.censored; });
    ints("n", [](const Row& r) { return static_cast<int64_t>(r.stats.n); });
    ints("change_n", [](const Row& r) { return r.change_n; });
    ints("improved", [](const Row& r) { return r.improved; });
    ints("stable", [](const Row& r) { return r.stable; });
    ints("worsened", [](const Row& r) { return r.worsened; });
    dbls("mean", [](const Row& r) { return r.stats.mean; });
    dbls("sd", [](const Row& r) { return r.stats.sd; });
    dbls("median", [](const Row& r) { return r.stats.median; });
    dbls("q1", [](const Row& r) { return r.stats.q1; });
    dbls("q3", [](const Row& r) { return r.stats.q3; });
    dbls("min", [](const Row& r) { return r.stats.min; });
    dbls("max", [](const Row& r) { return r.stats.max; });
    dbls("change_median", [](const Row& r) { return r.change_median; });
    dbls("change_mean", [](const Row& r) { return r.change_mean; });
    dbls("improved_pct", [](const Row& r) { return r.improved_pct; });
    dbls("stable_pct", [](const Row& r) { return r.stable_pct; });
    dbls("worsened_pct", [](const Row& r) { return r.worsened_pct; });
    // What `cotrack summary` prints above its table.
    const std::string parameters =
        absl::StrCat("measure=", measure, " ", cotrack::DescribeSummaryOptions(*options));
    auto& unit = AddColumn(t, "unit", COTRACK_COLUMN_STRING);
    auto& params = AddColumn(t, "parameters", COTRACK_COLUMN_STRING);
    for (size_t i = 0; i < rows.size(); ++i) {
      AppendString(unit, summary->unit);
      AppendString(params, parameters);
    }
    cotrack::capi::SetNotes(t, cotrack::SummaryNotes(*summary));
    *out = new cotrack_table_t(std::move(t));
    return Ok(err);
  });
}

int cotrack_export(cotrack_db_t* db, const char* out_file, const char* const* option_names,
                   const char* const* option_values, size_t option_count, cotrack_table_t** out,
                   char** err) {
  return Guard(err, [&]() -> int {
    if (absl::Status s = cotrack::capi::RequireDb(db); !s.ok()) return Report(err, s);
    if (out_file == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"out_file\" is NULL");
    }
    cotrack::NamedOptions named;
    if (absl::Status s = Named(option_names, option_values, option_count, &named); !s.ok()) {
      return Report(err, s);
    }
    auto parsed = cotrack::ParseExportOptions(named);
    if (!parsed.ok()) return Report(err, parsed.status());
    cotrack::ExportOptions options = parsed->options;
    options.encryption_key_file = db->options.encryption_key_file;  // since: read by path
    if (parsed->deidentify_key_file) {
      auto key = cotrack::ReadDeidentifyKey(*parsed->deidentify_key_file);
      if (!key.ok()) return Report(err, key.status());
      options.deidentify_key = *std::move(key);
    }
    // As the command: omop writes a directory of tables, the others one file.
    absl::StatusOr<cotrack::ExportSummary> summary =
        cotrack::ExportToFile(*db->db, options, out_file);
    if (!summary.ok()) {
      // As the command: an unknown patient is named as such.
      if (absl::IsNotFound(summary.status()) && options.patient &&
          absl::IsNotFound(db->db->GetPatient(*options.patient).status())) {
        return Fail(err, COTRACK_NOT_FOUND,
                    absl::StrCat("unknown patient \"", *options.patient,
                                 "\" (see 'cotrack patients' for the registered ones)"));
      }
      return Report(err, summary.status());
    }
    if (out != nullptr) {
      cotrack_table_t t;
      t.rows = 1;
      t.columns.reserve(4);
      AddColumn(t, "observations", COTRACK_COLUMN_INT64).ints.push_back(summary->observations);
      AddColumn(t, "patients", COTRACK_COLUMN_INT64).ints.push_back(summary->patients);
      AddColumn(t, "retracted", COTRACK_COLUMN_INT64).ints.push_back(summary->retracted);
      // The next run's since; empty for a full export.
      const bool since = options.since_us || options.until_us;
      AppendString(AddColumn(t, "up_to", COTRACK_COLUMN_STRING),
                   since ? cotrack::FormatTimestampUs(summary->up_to_us) : "");
      *out = new cotrack_table_t(std::move(t));
    }
    return Ok(err);
  });
}

int cotrack_report(cotrack_db_t* db, const char* out_file, const char* const* option_names,
                   const char* const* option_values, size_t option_count, char** err) {
  return Guard(err, [&]() -> int {
    if (absl::Status s = cotrack::capi::RequireDb(db); !s.ok()) return Report(err, s);
    if (out_file == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"out_file\" is NULL");
    }
    cotrack::NamedOptions named;
    if (absl::Status s = Named(option_names, option_values, option_count, &named); !s.ok()) {
      return Report(err, s);
    }
    auto options = cotrack::ParseReportOptions(named);
    if (!options.ok()) return Report(err, options.status());
    auto html = cotrack::BuildHtmlReport(*db->db, *options);
    if (!html.ok()) return Report(err, html.status());
    return Report(err, WriteFile(out_file, *html, "report"));
  });
}

int cotrack_plot(cotrack_db_t* db, const char* measure, const char* out_file,
                 const char* const* option_names, const char* const* option_values,
                 size_t option_count, char** err) {
  return Guard(err, [&]() -> int {
    if (absl::Status s = cotrack::capi::RequireDb(db); !s.ok()) return Report(err, s);
    if (measure == nullptr || out_file == nullptr) {
      return Fail(err, COTRACK_INVALID_ARGUMENT,
                  "arguments \"measure\" and \"out_file\" must not be NULL");
    }
    cotrack::NamedOptions named;
    if (absl::Status s = Named(option_names, option_values, option_count, &named); !s.ok()) {
      return Report(err, s);
    }
    auto options = cotrack::ParsePlotOptions(named);
    if (!options.ok()) return Report(err, options.status());
    auto svg = cotrack::PlotSvg(*db->db, measure, *options);
    if (!svg.ok()) return Report(err, svg.status());
    return Report(err, WriteFile(out_file, *svg, "chart"));
  });
}

int cotrack_measure_add(cotrack_db_t* db, const char* const* option_names,
                        const char* const* option_values, size_t option_count, char** err) {
  return Guard(err, [&]() -> int {
    if (absl::Status s = cotrack::capi::RequireDb(db); !s.ok()) return Report(err, s);
    cotrack::NamedOptions named;
    if (absl::Status s = Named(option_names, option_values, option_count, &named); !s.ok()) {
      return Report(err, s);
    }
    auto options = cotrack::ParseMeasureAddOptions(named);
    if (!options.ok()) return Report(err, options.status());
    cotrack::Provenance provenance;
    provenance.source = "api";
    provenance.reason = options->reason;
    cotrack::WriteOptions write = db->write;
    write.sync = write.sync && options->sync;
    return Report(err, db->db->RegisterMeasure(options->measure, provenance, write));
  });
}

int cotrack_measure_edit(cotrack_db_t* db, const char* code, const char* const* option_names,
                         const char* const* option_values, size_t option_count, char** err) {
  return Guard(err, [&]() -> int {
    if (absl::Status s = cotrack::capi::RequireDb(db); !s.ok()) return Report(err, s);
    if (code == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"code\" is NULL");
    cotrack::NamedOptions named;
    if (absl::Status s = Named(option_names, option_values, option_count, &named); !s.ok()) {
      return Report(err, s);
    }
    auto current = db->db->GetMeasure(code);
    if (!current.ok()) return Report(err, current.status());
    auto options = cotrack::ParseMeasureEditOptions(*current, named);
    if (!options.ok()) return Report(err, options.status());
    cotrack::Provenance provenance;
    provenance.source = "api";
    provenance.reason = options->reason;
    cotrack::WriteOptions write = db->write;
    write.sync = write.sync && options->sync;
    write.dry_run = options->dry_run;
    return Report(err, db->db->EditMeasure(options->measure, provenance, write));
  });
}

}  // extern "C"

// `cotrack measures`, `cotrack measure show CODE`, `cotrack measure add ...`
#include "cmd_measures.h"

#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "command.h"
#include "cotrack/measure_options.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

// ---- Printing ----

std::string JoinNumbers(const std::vector<double>& values) {
  return absl::StrJoin(values, ";",
                       [](std::string* out, double v) { out->append(FormatNumber(v)); });
}

// Accepted input units besides the canonical one, e.g. "mmol/mol".
std::string OtherUnits(const MeasureDefinition& m) {
  return absl::StrJoin(m.units, ";",
                       [](std::string* out, const UnitConversion& u) { out->append(u.unit); });
}

// Zero means "not set" for step and threshold.
Cell NumberOrNull(double v) { return v == 0 ? Cell() : Cell::Number(v); }

const std::vector<std::string>& SummaryColumns() {
  static const auto* columns = new std::vector<std::string>{
      "code",      "name",      "unit",        "min",   "max",        "step",   "integer",
      "direction", "threshold", "other_units", "items", "censorable", "builtin"};
  return *columns;
}

std::vector<Cell> SummaryRow(const MeasureDefinition& m) {
  return {
      Cell::String(m.code),
      Cell::String(m.name),
      Cell::StringOrNull(m.unit),
      Cell::Number(m.min),
      Cell::Number(m.max),
      NumberOrNull(m.step),
      Cell::Bool(m.integer),
      Cell::String(DirectionName(m.direction)),
      NumberOrNull(m.change_threshold),
      Cell::StringOrNull(OtherUnits(m)),
      m.item_count == 0 ? Cell() : Cell::Integer(m.item_count),
      Cell::Bool(m.censorable),
      Cell::Bool(m.builtin),
  };
}

Table MeasureListTable(const std::vector<MeasureDefinition>& measures) {
  Table table{SummaryColumns(), {}};
  for (const MeasureDefinition& m : measures) table.rows.push_back(SummaryRow(m));
  return table;
}

// Every field of one measure, as `measure show` prints it.
void WriteMeasureDetails(const MeasureDefinition& m, OutputFormat format) {
  std::vector<std::string> columns = SummaryColumns();
  std::vector<Cell> cells = SummaryRow(m);
  auto add = [&](const char* name, Cell cell) {
    columns.push_back(name);
    cells.push_back(std::move(cell));
  };
  add("allowed_values", Cell::StringOrNull(JoinNumbers(m.allowed_values)));
  std::vector<std::string> conversions;
  for (const UnitConversion& u : m.units) {
    std::string text = absl::StrCat(u.unit, ": x", FormatNumber(u.factor));
    if (u.offset != 0) {
      absl::StrAppend(&text, u.offset > 0 ? " + " : " - ",
                      FormatNumber(u.offset > 0 ? u.offset : -u.offset));
    }
    conversions.push_back(text);
  }
  add("conversions", Cell::StringOrNull(absl::StrJoin(conversions, "; ")));
  add("item_min", m.item_count == 0 ? Cell() : Cell::Number(m.item_min));
  add("item_max", m.item_count == 0 ? Cell() : Cell::Number(m.item_max));
  add("items_sum_to_total", Cell::Bool(m.items_sum_to_total));
  std::vector<std::string> named;
  for (const ItemDefinition& item : m.named_items) {
    named.push_back(
        absl::StrCat(item.name, " ", FormatNumber(item.min), "-", FormatNumber(item.max)));
  }
  add("named_items", Cell::StringOrNull(absl::StrJoin(named, "; ")));
  std::vector<std::string> subscales;
  for (const Subscale& s : m.subscales) {
    subscales.push_back(absl::StrCat(s.name, " (items ", absl::StrJoin(s.items, ","), ")"));
  }
  add("subscales", Cell::StringOrNull(absl::StrJoin(subscales, "; ")));
  add("loinc", Cell::StringOrNull(absl::StrJoin(m.loinc, ";")));
  add("description", Cell::StringOrNull(m.description));
  WriteRecord(columns, cells, format, std::cout);
}

}  // namespace

// ---- measure add: parse ----

// The options are the engine's (ParseMeasureAddOptions), shared with the C
// ABI.
absl::StatusOr<MeasureAddRequest> ParseMeasureAddRequest(const ParsedArgs& args) {
  absl::StatusOr<MeasureAddOptions> options = ParseMeasureAddOptions(args.Named());
  if (!options.ok()) return options.status();
  MeasureAddRequest request;
  request.measure = options->measure;
  request.reason = options->reason;
  request.sync = options->sync;
  return request;
}

namespace {

// ---- measures ----

int RunList(const GlobalContext& ctx, const OutputFormat& format) {
  return RunOnDatabase(
      ctx, OpenMode::kRead, [](Database& db) { return db.ListMeasures(); },
      [&](const std::vector<MeasureDefinition>& measures) {
        WriteTable(MeasureListTable(measures), format, std::cout);
        return 0;
      });
}

const Command kMeasuresCommand =
    MakeCommand({"measures",
                 "List the measures: built-in and registered",
                 R"(Usage: cotrack measures [--format FMT]

Prints the measure catalog: the built-in measures, then those registered with
`cotrack measure add`, each ordered by code. `cotrack measure show CODE` gives
every detail of one measure.

Options:
  --format FMT    table (default), csv or json (one object per line)
)",
                 Arity::None("for one measure: cotrack measure show CODE"),
                 {{"format"}}},
                ParseFormatFlag, RunList);
COTRACK_REGISTER_COMMAND(kMeasuresCommand);

// ---- measure show ----

struct MeasureShowRequest {
  std::string code;
  OutputFormat format = OutputFormat::kTable;
};

absl::StatusOr<MeasureShowRequest> ParseShowRequest(const ParsedArgs& args) {
  absl::StatusOr<OutputFormat> format = ParseFormatFlag(args);
  if (!format.ok()) return format.status();
  return MeasureShowRequest{args.positionals()[0], *format};
}

int RunShow(const GlobalContext& ctx, const MeasureShowRequest& request) {
  return RunOnDatabase(
      ctx, OpenMode::kRead, [&](Database& db) { return db.GetMeasure(request.code); },
      [&](const MeasureDefinition& m) {
        WriteMeasureDetails(m, request.format);
        return 0;
      });
}

const Command kMeasureShowCommand = MakeCommand({"measure show",
                                                 "Every detail of one measure",
                                                 R"(Usage: cotrack measure show CODE [--format FMT]

Prints the definition of measure CODE: unit and accepted input units with
their conversions, valid range, step or allowed values, items and subscales,
direction, the change that counts as meaningful, LOINC codes and where the
rules come from.

Options:
  --format FMT    table (default; one field per line), csv or json
)",
                                                 Arity::Exactly(1, "CODE"),
                                                 {{"format"}}},
                                                ParseShowRequest, RunShow);
COTRACK_REGISTER_COMMAND(kMeasureShowCommand);

// ---- measure add ----

int RunAdd(const GlobalContext& ctx, const MeasureAddRequest& request) {
  return RunOnDatabase(
      ctx, OpenMode::kCreate,
      [&](Database& db) -> absl::StatusOr<MeasureDefinition> {
        WriteOptions options;
        options.sync = request.sync;
        if (absl::Status s =
                db.RegisterMeasure(request.measure, CliProvenance(ctx, request.reason), options);
            !s.ok()) {
          return s;
        }
        return request.measure;
      },
      [](const MeasureDefinition& m) {
        std::fprintf(stderr, "registered measure %s (%s, %s)\n", m.code.c_str(), m.name.c_str(),
                     m.unit.c_str());
        return 0;
      });
}

const Command kMeasureAddCommand =
    MakeCommand({"measure add",
                 "Register a measure of your own",
                 R"(Usage: cotrack measure add --code CODE --name NAME --unit UNIT --min X --max Y
                           [--step S] [--integer] [--direction DIR]
                           [--threshold T] [--description TEXT] [--reason TEXT]

Registers a user-defined measure in the database; it persists and is then
accepted by import like the built-ins. Registering the identical definition
again does nothing; a different definition under a taken code is an error.

Options:
  --code CODE         lower-case identifier: [a-z][a-z0-9_]{0,31}, e.g. sdmt
  --name NAME         human-readable name
  --unit UNIT         canonical unit, e.g. score, mg/dL
  --min X, --max Y    the valid range (inclusive)
  --step S            values must be multiples of S above --min (default: any)
  --integer           only whole numbers
  --direction DIR     higher-is-worse, higher-is-better or none (default)
  --threshold T       the smallest change that counts as meaningful
  --description TEXT  where the rules come from
  --reason TEXT       why it is registered, for the audit log (who: --user)
  --no-sync           do not wait for the write to reach the disk
)",
                 Arity::None("every field is a flag, e.g. --code CODE"),
                 {{"code"},
                  {"name"},
                  {"unit"},
                  {"min"},
                  {"max"},
                  {"step"},
                  {"direction"},
                  {"threshold"},
                  {"description"},
                  {"reason"},
                  {"integer", FlagSpec::kBool},
                  {"no-sync", FlagSpec::kBool}}},
                ParseMeasureAddRequest, RunAdd);
COTRACK_REGISTER_COMMAND(kMeasureAddCommand);

}  // namespace
}  // namespace cotrack::tools

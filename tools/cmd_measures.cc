// `cotrack measures`, `cotrack measure show CODE`, `cotrack measure add ...`,
// `cotrack measure edit CODE ...`
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

// Every field of one measure, as `measure show` prints it: its columns and
// its cells.
void MeasureDetails(const MeasureDefinition& m, std::vector<std::string>& columns,
                    std::vector<Cell>& cells) {
  columns = SummaryColumns();
  cells = SummaryRow(m);
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
}

void WriteMeasureDetails(const MeasureDefinition& m, OutputFormat format) {
  std::vector<std::string> columns;
  std::vector<Cell> cells;
  MeasureDetails(m, columns, cells);
  WriteRecord(columns, cells, format, std::cout);
}

// Every version of a measure's definition, oldest first, numbered from 1.
void WriteMeasureHistory(const std::vector<MeasureDefinition>& versions, OutputFormat format) {
  Table table;
  for (size_t i = 0; i < versions.size(); ++i) {
    std::vector<std::string> columns;
    std::vector<Cell> cells;
    MeasureDetails(versions[i], columns, cells);
    columns.insert(columns.begin(), "version");
    cells.insert(cells.begin(), Cell::Integer(static_cast<int64_t>(i + 1)));
    table.columns = std::move(columns);
    table.rows.push_back(std::move(cells));
  }
  WriteTable(table, format, std::cout);
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
      ctx, OpenMode::kPointRead, [](Database& db) { return db.ListMeasures(); },
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
  bool history = false;
};

absl::StatusOr<MeasureShowRequest> ParseShowRequest(const ParsedArgs& args) {
  absl::StatusOr<OutputFormat> format = ParseFormatFlag(args);
  if (!format.ok()) return format.status();
  return MeasureShowRequest{args.positionals()[0], *format, args.Has("history")};
}

int RunShow(const GlobalContext& ctx, const MeasureShowRequest& request) {
  if (request.history) {
    return RunOnDatabase(
        ctx, OpenMode::kPointRead, [&](Database& db) { return db.MeasureHistory(request.code); },
        [&](const std::vector<MeasureDefinition>& versions) {
          WriteMeasureHistory(versions, request.format);
          return 0;
        });
  }
  return RunOnDatabase(
      ctx, OpenMode::kPointRead, [&](Database& db) { return db.GetMeasure(request.code); },
      [&](const MeasureDefinition& m) {
        WriteMeasureDetails(m, request.format);
        return 0;
      });
}

const Command kMeasureShowCommand =
    MakeCommand({"measure show",
                 "Every detail of one measure",
                 R"(Usage: cotrack measure show CODE [--history] [--format FMT]

Prints the definition of measure CODE: unit and accepted input units with
their conversions, valid range, step or allowed values, items and subscales,
direction, the change that counts as meaningful, LOINC codes and where the
rules come from.

Options:
  --history       every version of the definition, oldest first, one row
                  each with its number (`cotrack measure edit` adds one;
                  `cotrack audit` says who changed what, and when)
  --format FMT    table (default; one field per line), csv or json
)",
                 Arity::Exactly(1, "CODE"),
                 {{"format"}, {"history", FlagSpec::kBool}}},
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
                           [--threshold T] [--convert UNIT=EXPR,...]
                           [--unit-synonym UNIT,...] [--loinc CODE,...]
                           [--description TEXT] [--reason TEXT]

Registers a user-defined measure in the database; it persists and is then
accepted by import like the built-ins. Registering the identical definition
again does nothing; a different definition under a taken code is an error
(change a definition with `cotrack measure edit CODE`).

Options:
  --code CODE         lower-case identifier: [a-z][a-z0-9_]{0,31}, e.g. sdmt
  --name NAME         human-readable name
  --unit UNIT         canonical unit, e.g. score, mg/dL
  --min X, --max Y    the valid range (inclusive)
  --step S            values must be multiples of S above --min (default: any)
  --integer           only whole numbers
  --direction DIR     higher-is-worse, higher-is-better or none (default)
  --threshold T       the smallest change that counts as meaningful
  --convert UNIT=EXPR other units values may come in, and how each converts
                      to --unit: EXPR of the value x, as FACTOR*x+OFFSET,
                      x/DIVISOR or x*FACTOR-OFFSET, e.g.
                      --convert mmol/mol=0.0915*x+2.15,mg/dL=x/18
  --unit-synonym UNIT other spellings of --unit (converted by 1), e.g. kg/m2
  --loinc CODE        LOINC codes of the measure, e.g. 4548-4,17856-6: Synthea,
                      FHIR, HL7 v2 and OMOP imports into this database map
                      them to it (unless the built-in code table or the
                      import's mapping file maps that code)
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
                  {"convert"},
                  {"unit-synonym"},
                  {"loinc"},
                  {"description"},
                  {"reason"},
                  {"integer", FlagSpec::kBool},
                  {"no-sync", FlagSpec::kBool}}},
                ParseMeasureAddRequest, RunAdd);
COTRACK_REGISTER_COMMAND(kMeasureAddCommand);

// ---- measure edit ----

struct MeasureEditRequest {
  std::string code;
  NamedOptions options;  // ParseMeasureEditOptions's, applied to the current definition
};

absl::StatusOr<MeasureEditRequest> ParseMeasureEditRequest(const ParsedArgs& args) {
  // The options are checked against the current definition, once the
  // database is open (ParseMeasureEditOptions).
  return MeasureEditRequest{args.positionals()[0], args.Named()};
}

int RunEdit(const GlobalContext& ctx, const MeasureEditRequest& request) {
  return RunOnDatabase(
      ctx, OpenMode::kWrite,
      [&](Database& db) -> absl::StatusOr<MeasureEditOptions> {
        absl::StatusOr<MeasureDefinition> current = db.GetMeasure(request.code);
        if (!current.ok()) return current.status();
        absl::StatusOr<MeasureEditOptions> edit =
            ParseMeasureEditOptions(*current, request.options);
        if (!edit.ok()) return edit.status();
        WriteOptions options;
        options.sync = edit->sync;
        options.dry_run = edit->dry_run;
        if (absl::Status s =
                db.EditMeasure(edit->measure, CliProvenance(ctx, edit->reason), options);
            !s.ok()) {
          return s;
        }
        return edit;
      },
      [](const MeasureEditOptions& edit) {
        std::fprintf(stderr, "%s measure %s (%s, %s)\n",
                     edit.dry_run ? "every stored value fits the new definition of" : "changed",
                     edit.measure.code.c_str(), edit.measure.name.c_str(),
                     edit.measure.unit.c_str());
        return 0;
      });
}

const Command kMeasureEditCommand =
    MakeCommand({"measure edit",
                 "Change a registered measure, as a new version",
                 R"(Usage: cotrack measure edit CODE [--name NAME] [--unit UNIT] [--min X] [--max Y]
                           [--step S] [--integer] [--direction DIR] [--threshold T]
                           [--convert UNIT=EXPR,...] [--unit-synonym UNIT,...]
                           [--loinc CODE,...] [--remove-unit UNIT,...]
                           [--remove-loinc CODE,...] [--description TEXT]
                           [--reason TEXT] [--dry-run]

Changes the definition of measure CODE (one registered with `cotrack measure
add`; built-ins are fixed) as a new version: options not given keep their
value. Every stored value of the measure is checked against the new
definition first; if any fails, nothing changes and each is listed (patient,
date, value and the rule it breaks): correct or retract them, or keep the
definition wide enough. The earlier versions stay: `cotrack measure show`
lists them (its history flag), `cotrack audit` says who changed what and
when, and dump, load, backup and restore keep them.

Options:
  --name, --unit, --min, --max, --step, --integer, --direction, --threshold,
  --description   as for `cotrack measure add`; --unit (the canonical unit)
                  only while the measure holds no values
  --convert UNIT=EXPR  add an input unit, or change its conversion (as for
                  `cotrack measure add`)
  --unit-synonym UNIT  add another spelling of the canonical unit
  --loinc CODE    add LOINC codes
  --remove-unit UNIT, --remove-loinc CODE  drop input units or codes
  --reason TEXT   why, for the audit log (who: --user)
  --dry-run       check the stored values against the new definition only
  --no-sync       do not wait for the write to reach the disk
)",
                 Arity::Exactly(1, "CODE"),
                 {{"name"},
                  {"unit"},
                  {"min"},
                  {"max"},
                  {"step"},
                  {"direction"},
                  {"threshold"},
                  {"convert"},
                  {"unit-synonym"},
                  {"loinc"},
                  {"remove-unit"},
                  {"remove-loinc"},
                  {"description"},
                  {"reason"},
                  {"integer", FlagSpec::kBool},
                  {"dry-run", FlagSpec::kBool},
                  {"no-sync", FlagSpec::kBool}}},
                ParseMeasureEditRequest, RunEdit);
COTRACK_REGISTER_COMMAND(kMeasureEditCommand);

}  // namespace
}  // namespace cotrack::tools

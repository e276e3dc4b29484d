// REDCap exports (flat or longitudinal, with or without repeating
// instruments): one row per record, event and repeat instance. A mapping file
// (docs/IMPORT_FORMATS.md) says which fields are which measures and how a row
// gets its date. Blank cells change nothing, as in REDCap's own import.
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cotrack/civil_time.h"
#include "cotrack/status_macros.h"
#include "cotrack/text.h"
#include "import/csv_reader.h"
#include "import/csv_row_parser.h"
#include "import/format.h"
#include "import/format_common.h"
#include "import/value_text.h"

namespace cotrack {
namespace {

constexpr char kMappingHelp[] =
    "a REDCap mapping file has the header kind,name,value,unit,decimal and rows "
    "\"field,REDCAP_FIELD,MEASURE[,UNIT][,comma]\", "
    "\"date,EVENT_OR_INSTRUMENT_OR_*,DATE_FIELD_OR_YYYY-MM-DD\", "
    "\"offset,EVENT,DAYS\", \"index_date,DATE_FIELD\", \"arm,FIELD_OR_redcap_event_name\", "
    "\"arm_name,CODE_OR_ARM_NUMBER,NAME\" and \"id,ID_FIELD\"";

std::string Lower(absl::string_view s) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(s));
}

// The parsed mapping file.
struct RedcapMapping {
  struct Field {
    std::string field;    // REDCap variable name (lower case)
    std::string measure;  // catalog code
    std::string unit;
    bool decimal_comma = false;  // "1,54" means 1.54
  };
  // How the rows of one event (or repeat instrument, or "*" = any) are dated.
  struct DateRule {
    std::string date_field;              // a date field of the same row, or
    std::optional<CivilTime> fixed;      // one date for all its rows, or
    std::optional<int64_t> offset_days;  // days after the record's index date
  };
  std::string id_field;  // empty = the first column
  std::string index_date_field;
  // Where a record's arm is: a field of the export, or "redcap_event_name"
  // (the N of an event's "_arm_N" suffix); empty = not imported.
  std::string arm_field;
  // arm_name rows: a field's code or an event's arm number -> the arm's
  // name (REDCap's arm list); values without one are stored as they are.
  absl::flat_hash_map<std::string, std::string> arm_names;
  std::vector<Field> fields;
  absl::flat_hash_map<std::string, DateRule> dates;  // event / instrument / "*"

  // Parses the mapping CSV (header kind,name,value[,unit][,decimal]; '#'
  // lines are comments). Errors are InvalidArgument "SOURCE:LINE:COL: ...".
  static absl::StatusOr<RedcapMapping> Parse(absl::string_view text, const std::string& source);
  static absl::StatusOr<RedcapMapping> Load(const std::string& path);
};

class RedcapParser : public CsvRowParser {
 public:
  explicit RedcapParser(RedcapMapping mapping) : mapping_(std::move(mapping)) {}

  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) override;

  std::string SourceOf(absl::string_view measure) const override;

  // True when `names` have redcap_event_name or redcap_repeat_instrument, or
  // the first is record_id.
  static bool Detect(const std::vector<std::string>& names);

 private:
  struct Column {
    size_t index;
    const RedcapMapping::Field* field;
  };
  // `REDCap field "NAME" (column N, measure M)`.
  std::string Describe(const Column& c) const;
  // `REDCap field "NAME" (column N, measure M): bad value "TEXT" (` -- the
  // caller adds what was expected ("expected ...") and the closing
  // parenthesis.
  std::string BadCellMessage(const Column& c, absl::string_view text) const;
  RedcapMapping mapping_;
  std::vector<std::string> names_;
  size_t id_ = 0;
  std::optional<size_t> event_, instrument_, instance_, index_date_, arm_;
  bool arm_from_event_ = false;
  std::vector<Column> columns_;
  absl::flat_hash_map<std::string, size_t> date_columns_;  // date field -> column
  // record -> index date: the first non-blank index date field of its rows.
  absl::flat_hash_map<std::string, CivilTime> index_dates_;
  // record -> its arm and the line that gave it: it goes onto the patient
  // once, and a record that gives two is an error naming both lines.
  struct Given {
    std::string arm;
    int64_t arm_line = 0;
  };
  absl::flat_hash_map<std::string, Given> given_;

  // The row's arm and index date onto the patient (Database merges: what is
  // not given stays). False after an error.
  bool Register(const CsvRecord& row, const std::string& record, ImportErrors& errors,
                RowWriter& writer);
};

}  // namespace

absl::StatusOr<RedcapMapping> RedcapMapping::Parse(absl::string_view text,
                                                   const std::string& source) {
  std::istringstream in(StripCommentLines(text));
  CsvReader reader(in, source);
  CsvRecord header;
  absl::Status s = reader.ReadHeader(header);
  if (!s.ok()) return s;
  absl::StatusOr<CsvHeader> h = CsvHeader::Make(header, reader);
  if (!h.ok()) return h.status();
  const std::optional<size_t> kind = h->Find("kind"), name = h->Find("name"),
                              value = h->Find("value"), unit = h->Find("unit"),
                              decimal = h->Find("decimal");
  if (!kind || !name || !value) {
    return absl::InvalidArgumentError(absl::StrCat(source, ":", header.first_line(), ": header \"",
                                                   JoinHeader(header), "\" (", kMappingHelp, ")"));
  }
  RedcapMapping m;
  CsvRecord row;
  auto cell = [&row](std::optional<size_t> i) {
    return i && *i < row.size() ? absl::StripAsciiWhitespace(row[*i]) : absl::string_view();
  };
  while (true) {
    absl::StatusOr<bool> more = reader.Next(row);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (row.AllFieldsBlank()) continue;
    auto bad = [&](size_t i, absl::string_view why) {
      const size_t col = i < row.size() ? i : 0;
      return absl::InvalidArgumentError(absl::StrCat(
          reader.Position(row.line(col), row.column(col)), ": ", why, " (", kMappingHelp, ")"));
    };
    const std::string k = Lower(cell(kind));
    const std::string n = Lower(cell(name));
    const absl::string_view v = cell(value);
    if (n.empty()) return bad(*name, "name is empty");
    if (k == "field") {
      if (v.empty()) return bad(*value, "value (the measure) is empty");
      for (const Field& f : m.fields) {
        if (f.field == n) return bad(*name, absl::StrCat("field ", n, " is mapped twice"));
      }
      Field f;
      f.field = n;
      f.measure = Lower(v);
      f.unit = std::string(cell(unit));
      const std::string d = Lower(cell(decimal));
      if (d == "comma") {
        f.decimal_comma = true;
      } else if (!d.empty() && d != "dot") {
        return bad(*decimal, absl::StrCat("decimal is \"", d, "\", expected dot or comma"));
      }
      m.fields.push_back(std::move(f));
    } else if (k == "date" || k == "offset") {
      DateRule rule;
      if (k == "date") {
        if (v.empty()) return bad(*value, "value (the date field) is empty");
        // REDCap variable names start with a letter, so a date is a date.
        absl::StatusOr<CivilTime> fixed = ParseCivilTime(v);
        if (fixed.ok()) {
          rule.fixed = *fixed;
        } else {
          rule.date_field = Lower(v);
        }
      } else {
        int64_t days = 0;
        if (!absl::SimpleAtoi(v, &days)) {
          return bad(*value, absl::StrCat("offset \"", v, "\" is not a whole number of days"));
        }
        rule.offset_days = days;
      }
      if (!m.dates.emplace(n, rule).second) {
        return bad(*name, absl::StrCat("event ", n, " has two date rules"));
      }
    } else if (k == "index_date") {
      m.index_date_field = n;
    } else if (k == "arm") {
      if (!m.arm_field.empty()) return bad(*name, "two arm rows (a record has one arm)");
      m.arm_field = n;
    } else if (k == "arm_name") {
      if (v.empty()) return bad(*value, "value (the arm's name) is empty");
      if (!m.arm_names.emplace(n, std::string(v)).second) {
        return bad(*name, absl::StrCat("arm ", n, " is named twice"));
      }
    } else if (k == "id") {
      m.id_field = n;
    } else {
      return bad(*kind, absl::StrCat("unknown kind \"", k, "\""));
    }
  }
  // Arm names without an arm row name REDCap's arms: the events'.
  if (!m.arm_names.empty() && m.arm_field.empty()) m.arm_field = "redcap_event_name";
  if (m.fields.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": no field rows, so nothing would be imported (", kMappingHelp, ")"));
  }
  if (m.dates.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": no date or offset rows, so no row could be dated (", kMappingHelp, ")"));
  }
  for (const auto& [event, rule] : m.dates) {
    if (rule.offset_days && m.index_date_field.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": event ", event,
          " is dated by an offset from the index date, but no index_date row names the field "
          "holding the index date (the importer has no database to look it up in)"));
    }
  }
  return m;
}

absl::StatusOr<RedcapMapping> RedcapMapping::Load(const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(
        "a REDCap export needs a mapping file (--mapping FILE) saying which fields are which "
        "measures and how each event is dated; see docs/IMPORT_FORMATS.md");
  }
  std::string text;
  absl::Status s = ReadSmallFile(path, "REDCap mapping file", text);
  if (!s.ok()) return s;
  return Parse(text, path);
}

bool RedcapParser::Detect(const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string key = NormalizeHeaderName(names[i]);
    if (key == "redcap_event_name" || key == "redcap_repeat_instrument") return true;
    if (i == 0 && key == "record_id") return true;
  }
  return false;
}

absl::Status RedcapParser::ParseHeader(const CsvRecord& header, const CsvReader& reader) {
  absl::StatusOr<CsvHeader> h = CsvHeader::Make(header, reader);
  if (!h.ok()) return h.status();
  names_.clear();
  for (size_t i = 0; i < h->size(); ++i) names_.push_back(h->key(i));
  std::vector<std::string> missing;
  auto need = [&](const std::string& field) -> std::optional<size_t> {
    std::optional<size_t> i = h->Find(field);
    if (!i) missing.push_back(field);
    return i;
  };
  if (!mapping_.id_field.empty()) {
    id_ = need(mapping_.id_field).value_or(0);
  } else {
    id_ = 0;
  }
  event_ = h->Find("redcap_event_name");
  instrument_ = h->Find("redcap_repeat_instrument");
  instance_ = h->Find("redcap_repeat_instance");
  if (!mapping_.index_date_field.empty()) index_date_ = need(mapping_.index_date_field);
  arm_.reset();
  arm_from_event_ = mapping_.arm_field == "redcap_event_name";
  if (!mapping_.arm_field.empty()) arm_ = need(mapping_.arm_field);
  columns_.clear();
  for (const RedcapMapping::Field& f : mapping_.fields) {
    if (std::optional<size_t> i = need(f.field)) columns_.push_back({*i, &f});
  }
  date_columns_.clear();
  for (const auto& [event, rule] : mapping_.dates) {
    if (rule.date_field.empty() || date_columns_.contains(rule.date_field)) continue;
    if (std::optional<size_t> i = need(rule.date_field)) date_columns_[rule.date_field] = *i;
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) absl::StrAppend(&list, list.empty() ? "" : ",", m);
    return absl::InvalidArgumentError(
        absl::StrCat(reader.source(), ":", header.first_line(), ": the mapping file names field",
                     missing.size() > 1 ? "s " : " ", list, " that the header does not have"));
  }
  return absl::OkStatus();
}

std::string RedcapParser::Describe(const Column& c) const {
  return absl::StrCat("REDCap field \"", names_[c.index], "\" (column ", c.index + 1, ", measure ",
                      c.field->measure, ")");
}

std::string RedcapParser::BadCellMessage(const Column& c, absl::string_view text) const {
  return absl::StrCat(Describe(c), ": bad value ", QuoteForMessage(text), " (");
}

std::string RedcapParser::SourceOf(absl::string_view measure) const {
  std::string out;
  for (const Column& c : columns_) {
    if (c.field->measure == measure) absl::StrAppend(&out, out.empty() ? "" : " or ", Describe(c));
  }
  return out;
}

bool RedcapParser::Register(const CsvRecord& row, const std::string& record, ImportErrors& errors,
                            RowWriter& writer) {
  Patient p;
  if (index_date_) {
    const absl::string_view cell = absl::StripAsciiWhitespace(row[*index_date_]);
    if (!cell.empty()) {
      absl::StatusOr<CivilTime> t = writer.ParseDate(cell);
      if (!t.ok()) {
        errors.BadValue(row, *index_date_, names_[*index_date_], t.status().message());
        return false;
      }
      // The first non-blank one is the record's (as offsets read it); later
      // rows (a follow-up's copy of the field) change nothing.
      if (index_dates_.emplace(record, *t).second) p.index_date = *t;
    }
  }
  if (arm_) {
    const absl::string_view cell = absl::StripAsciiWhitespace(row[*arm_]);
    std::string code;
    if (arm_from_event_) {
      // REDCap names a longitudinal event "<event>_arm_<N>".
      const size_t at = cell.rfind("_arm_");
      code = at == absl::string_view::npos ? std::string() : std::string(cell.substr(at + 5));
      int n = 0;
      if (!absl::SimpleAtoi(code, &n) || n <= 0) {
        errors.BadValue(row, *arm_, names_[*arm_],
                        "expected a REDCap event name ending in _arm_N (the mapping's arm row "
                        "takes the arm from the events; name a field there instead)");
        return false;
      }
    } else {
      code = std::string(cell);
    }
    if (!code.empty()) {
      auto named = mapping_.arm_names.find(Lower(code));
      const std::string arm = named == mapping_.arm_names.end() ? code : named->second;
      Given& given = given_[record];
      if (given.arm_line == 0) {
        given.arm = arm;
        given.arm_line = row.first_line();
        p.arm = arm;
      } else if (given.arm != arm) {
        errors.Add(row.line(*arm_), row.column(*arm_),
                   absl::StrCat("record ", QuoteForMessage(record), ": arm ", QuoteForMessage(arm),
                                " (field ", names_[*arm_], ") differs from ",
                                QuoteForMessage(given.arm), " on line ", given.arm_line,
                                " (a patient has one arm; map the arm from a field that "
                                "holds it instead)"));
        return false;
      }
    }
  }
  if (!p.arm.empty() || p.index_date) {
    p.id = record;
    writer.PutPatient(std::move(p));
  }
  return true;
}

void RedcapParser::ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) {
  if (!CheckFieldCount(row, names_, errors)) return;
  const std::string record(row[id_]);
  if (!errors.PatientId(row, id_)) return;
  if (!Register(row, record, errors, writer)) return;
  const std::string event = event_ ? Lower(row[*event_]) : std::string();
  const std::string instrument = instrument_ ? Lower(row[*instrument_]) : std::string();
  const std::string instance =
      instance_ ? std::string(absl::StripAsciiWhitespace(row[*instance_])) : std::string();

  // Values first: a row with none (demographics, other instruments) needs no
  // date.
  std::vector<ObservationInput> values;
  // Cells that are no value, rejected alone with --on-error skip (the
  // record's other values at this event are still good), once the row's
  // date is known for the reject file's row.
  struct BadCell {
    const Column* column;
    std::string message;
  };
  std::vector<BadCell> bad_cells;
  for (const Column& c : columns_) {
    const absl::string_view cell = absl::StripAsciiWhitespace(row[c.index]);
    if (cell.empty()) continue;  // blank changes nothing
    std::string text(cell);
    if (c.field->decimal_comma) text = absl::StrReplaceAll(text, {{",", "."}});
    absl::StatusOr<ValueText> v = ParseValueText(text);
    if (!v.ok()) {
      std::string message = absl::StrCat(
          BadCellMessage(c, row[c.index]), v.status().message(),
          c.field->decimal_comma ? ""
                                 : "; for decimal commas put comma in the mapping's decimal "
                                   "column",
          ")");
      if (writer.RejectsValues()) {
        bad_cells.push_back({&c, std::move(message)});
      } else {
        errors.Add(row.line(c.index), row.column(c.index), message);
      }
      continue;
    }
    ObservationInput obs;
    obs.patient = record;
    obs.measure = c.field->measure;
    obs.value = v->value;
    obs.comparator = v->comparator;
    obs.original_value = std::string(cell);
    obs.unit = NormalizeUnit(c.field->unit);
    values.push_back(std::move(obs));
  }
  if (!writer.ok()) return;
  if (values.empty() && bad_cells.empty()) {
    writer.Skip("no mapped values");
    return;
  }
  // A row whose date cannot be found is bad whole: its bad cells are among
  // its reasons.
  auto fail_bad_cells = [&] {
    for (const BadCell& b : bad_cells) {
      errors.Add(row.line(b.column->index), row.column(b.column->index), b.message);
    }
  };

  const RedcapMapping::DateRule* rule = nullptr;
  for (const std::string& key : {event, instrument, std::string("*")}) {
    if (key.empty()) continue;
    auto it = mapping_.dates.find(key);
    if (it != mapping_.dates.end()) {
      rule = &it->second;
      break;
    }
  }
  const std::string what = !event.empty()        ? absl::StrCat("event ", event)
                           : !instrument.empty() ? absl::StrCat("instrument ", instrument)
                                                 : std::string("this row");
  CivilTime time;
  if (rule == nullptr) {
    errors.Add(row.first_line(), 0,
               absl::StrCat("the mapping file has no date or offset rule for ", what,
                            " (add \"date,", event.empty() ? instrument : event,
                            ",DATE_FIELD\" or \"date,*,DATE_FIELD\")"));
    fail_bad_cells();
    return;
  }
  if (rule->fixed) {
    time = *rule->fixed;
  } else if (!rule->date_field.empty()) {
    const size_t col = date_columns_.at(rule->date_field);
    const absl::string_view cell = absl::StripAsciiWhitespace(row[col]);
    if (cell.empty()) {
      errors.Empty(row, col, names_[col],
                   absl::StrCat(kExpectedDate, "; it dates the values of ", what));
      fail_bad_cells();
      return;
    }
    absl::StatusOr<CivilTime> t = writer.ParseDate(cell);
    if (!t.ok()) {
      errors.BadValue(row, col, names_[col], t.status().message());
      fail_bad_cells();
      return;
    }
    time = *t;
  } else {
    auto it = index_dates_.find(record);
    if (it == index_dates_.end()) {
      errors.Add(row.first_line(), 0,
                 absl::StrCat("record ", QuoteForMessage(record), ": ", what,
                              " is dated by an offset from the index date, but no earlier row "
                              "of the record gave ",
                              mapping_.index_date_field));
      fail_bad_cells();
      return;
    }
    time = CivilTime::FromDay(it->second.day() + *rule->offset_days);
  }

  std::string visit = event;
  if (!instance.empty()) {
    absl::StrAppend(&visit, visit.empty() ? "" : "/", instrument, "#", instance);
  }
  for (const BadCell& b : bad_cells) {
    writer.RejectValue(
        absl::StrCat(record, ",", b.column->field->measure, ",", FormatCivilTime(time), ",",
                     CsvField(row[b.column->index]), ",", b.column->field->unit),
        b.message);
  }
  for (ObservationInput& obs : values) {
    obs.time = time;
    obs.visit = visit;
    const int64_t first = writer.FirstSeen(obs, row.first_line());
    if (first != 0) {
      errors.Add(row.first_line(), 0,
                 absl::StrCat(obs.measure, " of record ", QuoteForMessage(record), " on ",
                              FormatCivilTime(time), ": ", DuplicateMessage(first)));
    }
    writer.Record(std::move(obs));
  }
}

namespace {

absl::StatusOr<std::unique_ptr<CsvRowParser>> MakeParser(const std::string& source,
                                                         const ImportOptions& options) {
  // The mapping file's own errors name it; this one is about the export.
  if (options.mapping_file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", RedcapMapping::Load("").status().message()));
  }
  COTRACK_ASSIGN_OR_RETURN(RedcapMapping mapping, RedcapMapping::Load(options.mapping_file));
  return std::make_unique<RedcapParser>(std::move(mapping));
}

}  // namespace

extern const FormatEntry kRedcapFormat = {ImportFormat::kRedcapCsv, "redcap",    {},
                                          &RedcapParser::Detect,    &MakeParser, nullptr};

}  // namespace cotrack

// The wide visit CSV: one row per visit, one column per measure.
//   patient,date[,visit],CODE,CODE[UNIT],CODE.N,...
// `patient` may also be called id or patient_id. CODE is a catalog measure
// code (case-insensitive); a unit may ride in the header (hba1c[mmol/mol]);
// CODE.N is item N of CODE (ais.1 ... ais.8). An empty cell is "not
// measured". Without a CODE column the total is computed from the items;
// with both, the engine checks that they agree.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "import/csv_reader.h"
#include "import/csv_row_parser.h"
#include "import/format.h"
#include "import/format_common.h"
#include "import/value_text.h"

namespace cotrack {
namespace {

constexpr char kWideColumns[] =
    "a wide visit CSV has the columns patient,date, optionally visit, then one column per "
    "measure: a measure code such as edss, a code with a unit such as hba1c[mmol/mol], or an "
    "item column such as ais.1";
constexpr size_t kNoColumn = static_cast<size_t>(-1);
constexpr int kMaxItems = 1000;

bool IsPatientName(absl::string_view key) {
  return key == "patient" || key == "id" || key == "patient_id";
}

// Catalog code syntax: [a-z][a-z0-9_]{0,31}.
bool IsMeasureCode(absl::string_view code) {
  if (code.empty() || code.size() > 32 || !absl::ascii_islower(code[0])) return false;
  for (char c : code) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '_') return false;
  }
  return true;
}

struct ColumnName {
  std::string code;
  std::string unit;
  int item = 0;  // 0 = the total
};

// Splits "code", "code[unit]" or "code.N"; nullopt when it is none of them.
std::optional<ColumnName> ParseColumnName(absl::string_view name) {
  ColumnName out;
  absl::string_view code = name;
  const size_t bracket = name.find('[');
  if (bracket != absl::string_view::npos) {
    if (name.back() != ']') return std::nullopt;
    out.unit = std::string(
        absl::StripAsciiWhitespace(name.substr(bracket + 1, name.size() - bracket - 2)));
    if (out.unit.empty()) return std::nullopt;
    code = absl::StripAsciiWhitespace(name.substr(0, bracket));
  } else {
    const size_t dot = name.find('.');
    if (dot != absl::string_view::npos) {
      int n = 0;
      if (!absl::SimpleAtoi(name.substr(dot + 1), &n) || n < 1 || n > kMaxItems) {
        return std::nullopt;
      }
      out.item = n;
      code = name.substr(0, dot);
    }
  }
  out.code = absl::AsciiStrToLower(code);
  if (!IsMeasureCode(out.code)) return std::nullopt;
  return out;
}

class WideCsvParser : public CsvRowParser {
 public:
  // `ignore` holds normalized column names to leave out.
  explicit WideCsvParser(std::vector<std::string> ignore) : ignore_(std::move(ignore)) {}

  absl::Status ParseHeader(const CsvRecord& header, const CsvReader& reader) override;
  void ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) override;
  // A column whose code is no measure of the database is refused here, once
  // per column, rather than as a rejected value on every row.
  absl::Status UseCatalog(const ImportCatalog& catalog) override;

  // True when `names` (as written) look like a wide visit CSV: the first is
  // patient/id/patient_id, one is date, and there is no measure or value
  // column.
  static bool Detect(const std::vector<std::string>& names);

 private:
  struct Measure {
    std::string code;
    std::string unit;
    std::optional<size_t> total;       // column of the total
    std::vector<size_t> items;         // column of item k+1, or npos
    std::vector<std::string> headers;  // its columns' names, as written
    int64_t line = 0, column = 0;      // where its first column's name is
  };
  std::string source_;
  std::vector<std::string> ignore_;
  std::vector<std::string> names_;  // as written, for messages and counts
  size_t patient_ = 0, date_ = 0;
  std::optional<size_t> visit_;
  std::vector<Measure> measures_;
};

}  // namespace

bool WideCsvParser::Detect(const std::vector<std::string>& names) {
  if (names.size() < 2 || !IsPatientName(NormalizeHeaderName(names[0]))) return false;
  bool has_date = false;
  for (const std::string& n : names) {
    const std::string key = NormalizeHeaderName(n);
    if (key == "measure" || key == "value") return false;
    has_date |= key == "date";
  }
  return has_date;
}

absl::Status WideCsvParser::ParseHeader(const CsvRecord& header, const CsvReader& reader) {
  absl::StatusOr<CsvHeader> h = CsvHeader::Make(header, reader);
  if (!h.ok()) return h.status();
  ImportErrors errors(reader.source());
  source_ = reader.source();
  names_.clear();
  measures_.clear();
  std::map<std::string, size_t> by_code;  // code -> index in measures_
  std::optional<size_t> patient, date;
  for (size_t i = 0; i < h->size(); ++i) {
    const std::string& key = h->key(i);
    names_.push_back(key);
    if (i == 0 && IsPatientName(key)) {
      patient = i;
      continue;
    }
    if (key == "date" && !date) {
      date = i;
      continue;
    }
    if (key == "visit" && !visit_) {
      visit_ = i;
      continue;
    }
    if (std::find(ignore_.begin(), ignore_.end(), key) != ignore_.end()) continue;
    std::optional<ColumnName> col = ParseColumnName(h->name(i));
    if (!col) {
      errors.Add(header.line(i), header.column(i),
                 absl::StrCat("header: unknown column ", QuoteForMessage(h->name(i)), " (",
                              kWideColumns, ")"));
      continue;
    }
    auto [it, inserted] = by_code.emplace(col->code, measures_.size());
    if (inserted) {
      measures_.emplace_back();
      measures_.back().code = col->code;
      measures_.back().line = header.line(i);
      measures_.back().column = header.column(i);
    }
    Measure& m = measures_[it->second];
    m.headers.push_back(h->name(i));
    if (col->item > 0) {
      if (m.items.size() < static_cast<size_t>(col->item)) m.items.resize(col->item, kNoColumn);
      if (m.items[col->item - 1] != kNoColumn) {
        errors.Add(header.line(i), header.column(i),
                   absl::StrCat("header: item ", col->item, " of ", col->code,
                                " is given by two columns"));
      }
      m.items[col->item - 1] = i;
    } else {
      if (m.total) {
        errors.Add(header.line(i), header.column(i),
                   absl::StrCat("header: measure ", col->code, " is given by two columns (",
                                QuoteForMessage(h->name(*m.total)), " and ",
                                QuoteForMessage(h->name(i)), ")"));
      }
      m.total = i;
      m.unit = col->unit;
    }
  }
  if (!patient || !date) {
    errors.Add(header.first_line(), 0,
               absl::StrCat("header \"", JoinHeader(header), "\": ",
                            !patient ? "the first column must be patient" : "missing column date",
                            " (", kWideColumns, ")"));
  }
  for (const Measure& m : measures_) {
    for (size_t k = 0; k < m.items.size(); ++k) {
      if (m.items[k] == kNoColumn) {
        errors.Add(header.first_line(), 0,
                   absl::StrCat("header: ", m.code, ".", k + 1, " is missing (", m.code,
                                " has item columns up to ", m.code, ".", m.items.size(), ")"));
      }
    }
  }
  if (!errors.empty()) return errors.ToStatus();
  patient_ = *patient;
  date_ = *date;
  return absl::OkStatus();
}

absl::Status WideCsvParser::UseCatalog(const ImportCatalog& catalog) {
  ImportErrors errors(source_);
  for (const Measure& m : measures_) {
    if (catalog.is_measure(m.code)) continue;
    errors.Add(
        m.line, m.column,
        absl::StrCat("header: column", m.headers.size() > 1 ? "s " : " ",
                     QuoteForMessage(absl::StrJoin(m.headers, ",")), ": no measure \"", m.code,
                     "\" in this database; register it with `cotrack measure add` or skip "
                     "it with `--ignore-columns` (--ignore-columns ",
                     absl::StrJoin(m.headers, ","), ")"));
  }
  return errors.ToStatus();
}

void WideCsvParser::ParseRow(const CsvRecord& row, ImportErrors& errors, RowWriter& writer) {
  if (!CheckFieldCount(row, names_, errors)) return;
  const std::string patient(row[patient_]);
  errors.PatientId(row, patient_);
  CivilTime time;
  bool have_time = false;
  if (absl::StripAsciiWhitespace(row[date_]).empty()) {
    errors.Empty(row, date_, "date", kExpectedDate);
  } else {
    absl::StatusOr<CivilTime> t = writer.ParseDate(row[date_]);
    if (t.ok()) {
      time = *t;
      have_time = true;
    } else {
      errors.BadValue(row, date_, "date", t.status().message());
    }
  }
  std::string visit;
  if (visit_) visit = std::string(absl::StripAsciiWhitespace(row[*visit_]));

  for (const Measure& m : measures_) {
    ObservationInput obs;
    bool any_item = false;
    for (size_t k = 0; k < m.items.size(); ++k) {
      const absl::string_view cell = absl::StripAsciiWhitespace(row[m.items[k]]);
      if (cell.empty()) {
        obs.items.push_back(std::numeric_limits<double>::quiet_NaN());  // unanswered
        continue;
      }
      any_item = true;
      absl::StatusOr<double> item = ParseNumber(cell);
      if (!item.ok()) {
        errors.BadValue(row, m.items[k], names_[m.items[k]], item.status().message());
        obs.items.push_back(std::numeric_limits<double>::quiet_NaN());
        continue;
      }
      obs.items.push_back(*item);
    }
    if (!any_item) obs.items.clear();
    const absl::string_view total =
        m.total ? absl::StripAsciiWhitespace(row[*m.total]) : absl::string_view();
    if (total.empty()) {
      if (!any_item) continue;  // not measured
      obs.value_from_items = true;
    } else {
      absl::StatusOr<ValueText> v = ParseValueText(total);
      if (!v.ok()) {
        errors.BadValue(row, *m.total, names_[*m.total], v.status().message());
        continue;
      }
      obs.value = v->value;
      obs.comparator = v->comparator;
      obs.original_value = std::string(total);
    }
    obs.patient = patient;
    obs.measure = m.code;
    obs.time = time;
    obs.unit = NormalizeUnit(m.unit);
    obs.visit = visit;
    if (have_time && !patient.empty()) {
      const int64_t first = writer.FirstSeen(obs, row.first_line());
      if (first != 0) {
        errors.Add(row.line(date_), row.column(date_), DuplicateMessage(first));
        break;
      }
    }
    writer.Record(std::move(obs));
  }
  if (writer.ok() && writer.size() == 0) writer.Skip("no values (every measure cell empty)");
}

namespace {

absl::StatusOr<std::unique_ptr<CsvRowParser>> MakeParser(const std::string& /*source*/,
                                                         const ImportOptions& options) {
  std::vector<std::string> ignore;
  for (const std::string& c : options.ignore_columns) ignore.push_back(NormalizeHeaderName(c));
  return std::make_unique<WideCsvParser>(std::move(ignore));
}

}  // namespace

extern const FormatEntry kWideCsvFormat = {ImportFormat::kWideCsv, "wide",      {},
                                           &WideCsvParser::Detect, &MakeParser, nullptr};

}  // namespace cotrack

#include "output.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "cotrack/named_options.h"
#include "cotrack/text.h"

namespace cotrack::tools {
namespace {

// A cell's text made safe for one line of an aligned table.
std::string TableSafe(absl::string_view s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7F) {
      absl::StrAppendFormat(&out, "\\x%02x", u);
    } else {
      out += c;
    }
  }
  return out;
}

// Display width: one column per code point (no wide-character tables here).
size_t DisplayWidth(absl::string_view s) {
  size_t width = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  }
  return width;
}

void WriteCsvRow(const std::vector<std::string>& fields, std::ostream& out) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out << ',';
    out << CsvField(fields[i]);
  }
  out << '\n';
}

void WriteJsonObject(const std::vector<std::string>& columns, const std::vector<Cell>& cells,
                     std::ostream& out) {
  out << '{';
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out << ',';
    out << JsonString(columns[i]) << ':' << cells[i].Json();
  }
  out << "}\n";
}

void WriteAligned(const Table& table, std::ostream& out) {
  const size_t n = table.columns.size();
  std::vector<std::vector<std::string>> texts;
  texts.reserve(table.rows.size());
  std::vector<size_t> widths(n);
  // Columns holding only numbers are right-aligned so that digits line up.
  std::vector<bool> numeric(n, false);
  for (size_t c = 0; c < n; ++c) {
    widths[c] = DisplayWidth(table.columns[c]);
    bool any = false;
    bool all = true;
    for (const auto& row : table.rows) {
      Cell::Kind k = row[c].kind();
      if (k == Cell::Kind::kNull) continue;
      any = true;
      all = all && (k == Cell::Kind::kNumber || k == Cell::Kind::kInteger);
    }
    numeric[c] = any && all;
  }
  for (const auto& row : table.rows) {
    std::vector<std::string> line;
    line.reserve(n);
    for (size_t c = 0; c < n; ++c) {
      line.push_back(TableSafe(row[c].TableText()));
      widths[c] = std::max(widths[c], DisplayWidth(line.back()));
    }
    texts.push_back(std::move(line));
  }
  auto write_line = [&](const std::vector<std::string>& line) {
    std::string text;
    for (size_t c = 0; c < n; ++c) {
      if (c > 0) text += "  ";
      std::string pad(widths[c] - DisplayWidth(line[c]), ' ');
      text += numeric[c] ? pad + line[c] : line[c] + pad;
    }
    text.erase(text.find_last_not_of(' ') + 1);
    out << text << '\n';
  };
  std::vector<std::string> header;
  for (const std::string& column : table.columns) header.push_back(TableSafe(column));
  write_line(header);
  for (const auto& line : texts) write_line(line);
}

}  // namespace

absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view text) {
  if (text == "table") return OutputFormat::kTable;
  if (text == "csv") return OutputFormat::kCsv;
  if (text == "json") return OutputFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrFormat("--format: bad value \"%s\" (expected table, csv or json)", text));
}

absl::StatusOr<OutputFormat> ParseFormatFlag(const ParsedArgs& args) {
  return ParseOutputFormat(args.Get("format").value_or("table"));
}

Cell Cell::String(std::string s) {
  Cell c;
  c.kind_ = Kind::kString;
  c.string_ = std::move(s);
  return c;
}

Cell Cell::StringOrNull(std::string s) { return s.empty() ? Cell() : String(std::move(s)); }

Cell Cell::Number(double v) {
  Cell c;
  if (!std::isfinite(v)) return c;
  c.kind_ = Kind::kNumber;
  c.number_ = v;
  return c;
}

Cell Cell::Integer(int64_t v) {
  Cell c;
  c.kind_ = Kind::kInteger;
  c.integer_ = v;
  return c;
}

Cell Cell::Bool(bool v) {
  Cell c;
  c.kind_ = Kind::kBool;
  c.bool_ = v;
  return c;
}

std::string Cell::Text() const {
  switch (kind_) {
    case Kind::kNull:
      return "";
    case Kind::kString:
      return string_;
    case Kind::kNumber:
      return FormatNumber(number_);
    case Kind::kInteger:
      return absl::StrCat(integer_);
    case Kind::kBool:
      return bool_ ? "true" : "false";
  }
  return "";
}

std::string Cell::Json() const {
  switch (kind_) {
    case Kind::kNull:
      return "null";
    case Kind::kString:
      return JsonString(string_);
    case Kind::kNumber:
    case Kind::kInteger:
    case Kind::kBool:
      return Text();
  }
  return "null";
}

Table FromResultTable(const ResultTable& result) {
  Table table;
  table.rows.assign(result.rows, {});
  for (const ResultColumn& c : result.columns) {
    table.columns.push_back(c.name);
    for (size_t i = 0; i < result.rows; ++i) {
      std::vector<Cell>& row = table.rows[i];
      switch (c.type) {
        case ResultColumn::Type::kString:
          row.push_back(Cell::String(c.strings[i]));
          break;
        case ResultColumn::Type::kStringOrNull:
          row.push_back(Cell::StringOrNull(c.strings[i]));
          break;
        case ResultColumn::Type::kInteger:
          row.push_back(c.HasValue(i) ? Cell::Integer(c.integers[i]) : Cell());
          break;
        case ResultColumn::Type::kNumber:
          row.push_back(Cell::Number(c.numbers[i]));
          break;
        case ResultColumn::Type::kBool:
          row.push_back(Cell::Bool(c.integers[i] != 0));
          break;
      }
    }
  }
  return table;
}

std::string FormatNumber(double v) { return cotrack::ShortestNumber(v); }

std::string JsonString(absl::string_view s) { return cotrack::JsonString(s); }

std::string CsvField(absl::string_view s) { return cotrack::CsvField(s); }

std::string FormatTimestampUs(int64_t us) { return cotrack::FormatTimestampUs(us); }

void WriteTable(const Table& table, OutputFormat format, std::ostream& out) {
  switch (format) {
    case OutputFormat::kTable:
      WriteAligned(table, out);
      break;
    case OutputFormat::kCsv: {
      WriteCsvRow(table.columns, out);
      for (const auto& row : table.rows) {
        std::vector<std::string> fields;
        fields.reserve(row.size());
        for (const Cell& cell : row) fields.push_back(cell.Text());
        WriteCsvRow(fields, out);
      }
      break;
    }
    case OutputFormat::kJson:
      for (const auto& row : table.rows) WriteJsonObject(table.columns, row, out);
      break;
  }
}

void WriteRecord(const std::vector<std::string>& columns, const std::vector<Cell>& cells,
                 OutputFormat format, std::ostream& out) {
  if (format != OutputFormat::kTable) {
    WriteTable(Table{columns, {cells}}, format, out);
    return;
  }
  Table vertical{{"field", "value"}, {}};
  for (size_t i = 0; i < columns.size(); ++i) {
    vertical.rows.push_back({Cell::String(columns[i]), Cell::String(cells[i].TableText())});
  }
  WriteAligned(vertical, out);
}

absl::Status WriteDocument(const std::string& path, const std::string& content,
                           absl::string_view what) {
  if (path == "-") {
    std::cout << content;
    return absl::OkStatus();
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  f.close();
  if (!f) return absl::UnavailableError(absl::StrCat(path, ": cannot write the ", what));
  std::cerr << "cotrack: wrote " << path << " (" << content.size() << " bytes)\n";
  return absl::OkStatus();
}

Table ObservationTable(const std::vector<Observation>& observations, ObservationColumns columns) {
  Table table;
  table.columns = {"patient",    "measure", "date",   "value",   "unit",
                   "comparator", "visit",   "status", "version", "recorded_at"};
  const bool history = columns == ObservationColumns::kHistory;
  if (history) {
    for (const char* c : {"original_value", "original_unit", "items", "source", "user", "reason"}) {
      table.columns.push_back(c);
    }
  }
  for (const Observation& o : observations) {
    Cell value = Cell::Number(o.value);
    if (o.comparator != Comparator::kNone) {
      value.WithTableText(absl::StrCat(ComparatorSymbol(o.comparator), FormatNumber(o.value)));
    }
    std::vector<Cell> row = {
        Cell::String(o.patient),
        Cell::String(o.measure),
        Cell::String(FormatCivilTime(o.time)),
        value,
        Cell::StringOrNull(o.unit),
        Cell::StringOrNull(ComparatorSymbol(o.comparator)),
        Cell::StringOrNull(o.visit),
        Cell::String(StatusName(o.status)),
        Cell::Integer(o.version),
        o.recorded_at_us == 0 ? Cell() : Cell::String(FormatTimestampUs(o.recorded_at_us)),
    };
    if (history) {
      std::string source = o.provenance.source;
      if (o.provenance.line > 0) absl::StrAppend(&source, ":", o.provenance.line);
      row.push_back(Cell::StringOrNull(o.original_value));
      row.push_back(Cell::StringOrNull(o.original_unit));
      // ;-separated as import takes them; an unanswered item stays empty.
      std::string items;
      for (size_t i = 0; i < o.items.size(); ++i) {
        if (i > 0) items += ';';
        if (!std::isnan(o.items[i])) items += FormatNumber(o.items[i]);
      }
      row.push_back(Cell::StringOrNull(items));
      row.push_back(Cell::StringOrNull(source));
      row.push_back(Cell::StringOrNull(o.provenance.user));
      row.push_back(Cell::StringOrNull(o.provenance.reason));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

}  // namespace cotrack::tools

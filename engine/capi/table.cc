#include "capi/table.h"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "cotrack/c.h"
#include "cotrack/civil_time.h"

namespace cotrack::capi {

cotrack_table_t::Column& AddColumn(cotrack_table_t& table, std::string name, int type) {
  cotrack_table_t::Column& c = table.columns.emplace_back();
  c.name = std::move(name);
  c.type = type;
  // Reserving at least one entry keeps every array pointer non-NULL, even for
  // a table without rows, so callers never special-case empty results.
  switch (type) {
    case COTRACK_COLUMN_INT64:
      c.ints.reserve(table.rows + 1);
      break;
    case COTRACK_COLUMN_DOUBLE:
      c.doubles.reserve(table.rows + 1);
      break;
    case COTRACK_COLUMN_STRING:
      c.offsets.reserve(table.rows + 1);
      c.offsets.push_back(0);
      c.bytes.reserve(table.rows * 8);
      break;
    case COTRACK_COLUMN_DOUBLE_LIST:
      c.offsets.reserve(table.rows + 1);
      c.offsets.push_back(0);
      c.doubles.reserve(1);
      break;
  }
  return c;
}

void SetNotes(cotrack_table_t& table, const std::vector<std::string>& lines) {
  table.notes = absl::StrJoin(lines, "\n");
}

cotrack_table_t FromResultTable(const ResultTable& result) {
  cotrack_table_t t;
  t.rows = result.rows;
  t.columns.reserve(result.columns.size());
  for (const ResultColumn& c : result.columns) {
    switch (c.type) {
      case ResultColumn::Type::kString:
      case ResultColumn::Type::kStringOrNull: {
        cotrack_table_t::Column& out = AddColumn(t, c.name, COTRACK_COLUMN_STRING);
        for (const std::string& s : c.strings) AppendString(out, s);
        break;
      }
      case ResultColumn::Type::kInteger:
      case ResultColumn::Type::kBool:
        // assign keeps AddColumn's reserved, non-NULL array for no rows.
        AddColumn(t, c.name, COTRACK_COLUMN_INT64)
            .ints.assign(c.integers.begin(), c.integers.end());
        break;
      case ResultColumn::Type::kNumber:
        AddColumn(t, c.name, COTRACK_COLUMN_DOUBLE)
            .doubles.assign(c.numbers.begin(), c.numbers.end());
        break;
    }
  }
  SetNotes(t, result.notes);
  return t;
}

void AppendString(cotrack_table_t::Column& column, const char* value) {
  column.bytes.append(value, std::strlen(value));
  column.bytes.push_back('\0');
  column.offsets.push_back(static_cast<int64_t>(column.bytes.size()));
}

void AppendString(cotrack_table_t::Column& column, const std::string& value) {
  column.bytes.append(value);
  column.bytes.push_back('\0');
  column.offsets.push_back(static_cast<int64_t>(column.bytes.size()));
}

namespace {

void Digits(char* out, int64_t value, int width) {
  for (int i = width - 1; i >= 0; --i, value /= 10) out[i] = static_cast<char>('0' + value % 10);
}

}  // namespace

void AppendTime(cotrack_table_t::Column& column, const CivilTime& t) {
  // FormatCivilTime's text, written by hand: absl::StrFormat was ~130 ns a
  // row, a quarter of a trajectory's table (tests/embed/c_api_test.c checks
  // the two agree). The date is Howard Hinnant's civil_from_days.
  const int64_t day = t.day();
  int64_t z = day + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  if (y < 1 || y > 9999) {  // never parsed, but stored data is not ours to trust
    AppendString(column, FormatCivilTime(t));
    return;
  }
  char text[20] = {'0', '0', '0', '0', '-', '0', '0', '-', '0', '0',
                   'T', '0', '0', ':', '0', '0', ':', '0', '0', '\0'};
  Digits(text, y, 4);
  Digits(text + 5, m, 2);
  Digits(text + 8, d, 2);
  size_t size = 10;
  if (t.precision != TimePrecision::kDate) {
    const int64_t sod = t.seconds - day * kSecondsPerDay;
    Digits(text + 11, sod / 3600, 2);
    Digits(text + 14, (sod / 60) % 60, 2);
    Digits(text + 17, sod % 60, 2);
    size = 19;
  }
  column.bytes.append(text, size);
  column.bytes.push_back('\0');
  column.offsets.push_back(static_cast<int64_t>(column.bytes.size()));
}

cotrack_table_t ObservationTable(const std::vector<Observation>& rows) {
  cotrack_table_t t;
  t.rows = rows.size();
  t.columns.reserve(COTRACK_OBS_COLUMN_COUNT);  // references below must survive AddColumn
  // The order is the ABI (enum cotrack_observation_column): columns may be
  // appended in later versions, never moved.
  auto& patient = AddColumn(t, "patient", COTRACK_COLUMN_STRING);
  auto& measure = AddColumn(t, "measure", COTRACK_COLUMN_STRING);
  auto& time = AddColumn(t, "time", COTRACK_COLUMN_STRING);
  auto& seconds = AddColumn(t, "seconds", COTRACK_COLUMN_INT64);
  auto& is_date = AddColumn(t, "is_date", COTRACK_COLUMN_INT64);
  auto& value = AddColumn(t, "value", COTRACK_COLUMN_DOUBLE);
  auto& comparator = AddColumn(t, "comparator", COTRACK_COLUMN_STRING);
  auto& unit = AddColumn(t, "unit", COTRACK_COLUMN_STRING);
  auto& original_value = AddColumn(t, "original_value", COTRACK_COLUMN_STRING);
  auto& original_unit = AddColumn(t, "original_unit", COTRACK_COLUMN_STRING);
  auto& visit = AddColumn(t, "visit", COTRACK_COLUMN_STRING);
  auto& status = AddColumn(t, "status", COTRACK_COLUMN_STRING);
  auto& version = AddColumn(t, "version", COTRACK_COLUMN_INT64);
  auto& recorded = AddColumn(t, "recorded_at_us", COTRACK_COLUMN_INT64);
  auto& items = AddColumn(t, "items", COTRACK_COLUMN_DOUBLE_LIST);
  auto& source = AddColumn(t, "source", COTRACK_COLUMN_STRING);
  auto& user = AddColumn(t, "user", COTRACK_COLUMN_STRING);
  auto& reason = AddColumn(t, "reason", COTRACK_COLUMN_STRING);
  for (const Observation& o : rows) {
    AppendString(patient, o.patient);
    AppendString(measure, o.measure);
    AppendTime(time, o.time);
    seconds.ints.push_back(o.time.seconds);
    is_date.ints.push_back(o.time.precision == TimePrecision::kDate ? 1 : 0);
    value.doubles.push_back(o.value);
    AppendString(comparator, ComparatorSymbol(o.comparator));
    AppendString(unit, o.unit);
    AppendString(original_value, o.original_value);
    AppendString(original_unit, o.original_unit);
    AppendString(visit, o.visit);
    AppendString(status, StatusName(o.status));
    version.ints.push_back(o.version);
    recorded.ints.push_back(o.recorded_at_us);
    items.doubles.insert(items.doubles.end(), o.items.begin(), o.items.end());
    items.offsets.push_back(static_cast<int64_t>(items.doubles.size()));
    AppendString(source, o.provenance.source);
    AppendString(user, o.provenance.user);
    AppendString(reason, o.provenance.reason);
  }
  return t;
}

}  // namespace cotrack::capi

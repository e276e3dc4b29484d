// The result table of the C ABI (cotrack_table_t in cotrack/c.h): whole
// results as column arrays, so that a caller crossing a foreign-function
// boundary pays a handful of calls per result instead of one per field per
// row. Every command returning rows builds one of these.
#ifndef COTRACK_CAPI_TABLE_H_
#define COTRACK_CAPI_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "cotrack/result_table.h"
#include "cotrack/types.h"

struct cotrack_table_t {
  struct Column {
    std::string name;
    int type = 0;  // cotrack_column_type
    std::vector<int64_t> ints;
    std::vector<double> doubles;  // DOUBLE values, or the flattened DOUBLE_LIST
    // STRING: every row's bytes followed by a NUL, back to back, so that
    // data + offsets[i] is also a C string.
    std::string bytes;
    // STRING and DOUBLE_LIST: row i is [offsets[i], offsets[i+1]).
    std::vector<int64_t> offsets;
  };
  size_t rows = 0;
  std::vector<Column> columns;
  // What the command prints on stderr beside the table, a line each
  // (cotrack_table_notes).
  std::string notes;
};

namespace cotrack::capi {

// Sets `table`'s notes to `lines`, one per line.
void SetNotes(cotrack_table_t& table, const std::vector<std::string>& lines);

// Appends a column of `type` named `name` and returns it; the caller fills
// it with exactly `table.rows` entries (plus the leading offset 0, which this
// adds for STRING and DOUBLE_LIST columns). The reference is invalidated by
// the next AddColumn unless table.columns has reserved room for it.
cotrack_table_t::Column& AddColumn(cotrack_table_t& table, std::string name, int type);
void AppendString(cotrack_table_t::Column& column, const std::string& value);
void AppendString(cotrack_table_t::Column& column, const char* value);
// Appends FormatCivilTime(t) to a STRING column.
void AppendTime(cotrack_table_t::Column& column, const CivilTime& t);

// The engine's result table, notes included: kString and kStringOrNull as
// STRING columns, kInteger and kBool (0/1) as INT64 (the integer stored, 0,
// where a kInteger has no value), kNumber as DOUBLE.
cotrack_table_t FromResultTable(const ResultTable& result);

// The observation table (columns as enum cotrack_observation_column).
cotrack_table_t ObservationTable(const std::vector<Observation>& rows);

}  // namespace cotrack::capi

#endif  // COTRACK_CAPI_TABLE_H_

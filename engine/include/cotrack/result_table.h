// A command's result as typed columns: what `cotrack COMMAND --format csv`
// prints and the C ABI returns (cotrack_table_t), built once in the engine so
// that the two cannot drift apart. The command line renders it as a table,
// csv or json; the C ABI copies it into its column arrays.
#ifndef COTRACK_RESULT_TABLE_H_
#define COTRACK_RESULT_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cotrack {

struct ResultColumn {
  enum class Type {
    kString,        // text; "" is an empty string
    kStringOrNull,  // text; "" is no value (json null)
    kInteger,
    kNumber,  // NaN is no value
    kBool,    // 0 or 1 in `integers`; the C ABI returns it as an INT64 column
  };
  std::string name;
  Type type = Type::kString;
  std::vector<std::string> strings;  // kString, kStringOrNull
  std::vector<int64_t> integers;     // kInteger, kBool
  std::vector<double> numbers;       // kNumber
  // kInteger: true where a row has no value (json null, an empty csv
  // field); the C ABI returns 0 there. Empty when every row has one.
  std::vector<bool> no_value;

  bool HasValue(size_t row) const { return no_value.empty() || !no_value[row]; }
};

// Every column holds exactly `rows` values of its type.
struct ResultTable {
  size_t rows = 0;
  std::vector<ResultColumn> columns;
  // What the command prints on stderr beside the table, a line each
  // (without the "cotrack: " prefix).
  std::vector<std::string> notes;

  // Appends an empty column; the reference stays valid until the next
  // AddColumn.
  ResultColumn& AddColumn(std::string name, ResultColumn::Type type) {
    columns.push_back(ResultColumn{std::move(name), type, {}, {}, {}, {}});
    return columns.back();
  }
};

}  // namespace cotrack

#endif  // COTRACK_RESULT_TABLE_H_

// A small JSON writer and reader for export, dump and load: the engine has
// no JSON library among its dependencies, and the dump format needs only
// objects, arrays, strings, numbers, booleans and null. Strings are written
// by JsonString (cotrack/text.h).
#ifndef COTRACK_TEXT_JSON_H_
#define COTRACK_TEXT_JSON_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cotrack::json {

// Shortest decimal text that reads back to exactly `v`; "null" for NaN and
// infinities (JSON has no such numbers).
std::string Number(double v);

// Builds one JSON object, keys in the order they are added.
class ObjectWriter {
 public:
  ObjectWriter& Str(absl::string_view key, absl::string_view value);
  // Omitted when `value` is empty.
  ObjectWriter& StrIfSet(absl::string_view key, absl::string_view value);
  ObjectWriter& Num(absl::string_view key, double value);
  ObjectWriter& Int(absl::string_view key, int64_t value);
  ObjectWriter& Bool(absl::string_view key, bool value);
  ObjectWriter& Null(absl::string_view key);
  // `json` must already be valid JSON text (an object, array, ...).
  ObjectWriter& Raw(absl::string_view key, absl::string_view json);
  // The object's text, "{...}".
  std::string Finish() const { return text_ + "}"; }

 private:
  void Key(absl::string_view key);
  std::string text_ = "{";
};

// A parsed JSON value.
struct Value {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  std::string text;  // kString: the decoded string; kNumber: the number as written
  std::vector<Value> items;
  std::vector<std::pair<std::string, Value>> members;

  // The member `key` of an object, or nullptr.
  const Value* Find(absl::string_view key) const;
};

// Parses one JSON text (surrounding whitespace allowed). InvalidArgument
// giving the column (1-based) and what was expected.
absl::StatusOr<Value> Parse(absl::string_view text);

// Typed access to an object's members. Errors say `field "key": ...` so that
// callers only add the file and line.
absl::StatusOr<std::string> GetString(const Value& obj, absl::string_view key);
// "" when absent or null.
absl::StatusOr<std::string> GetOptionalString(const Value& obj, absl::string_view key);
absl::StatusOr<double> GetNumber(const Value& obj, absl::string_view key);
absl::StatusOr<int64_t> GetInt(const Value& obj, absl::string_view key, int64_t min, int64_t max);
// `fallback` when absent.
absl::StatusOr<bool> GetOptionalBool(const Value& obj, absl::string_view key, bool fallback);
// A number of an array element or member: NaN for null.
absl::StatusOr<double> NumberOrNull(const Value& v, absl::string_view what);

}  // namespace cotrack::json

#endif  // COTRACK_TEXT_JSON_H_

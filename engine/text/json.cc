#include "text/json.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cotrack/text.h"

namespace cotrack::json {
namespace {

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Parser {
 public:
  explicit Parser(absl::string_view text) : s_(text) {}

  absl::StatusOr<Value> ParseDocument() {
    Value v;
    absl::Status st = ParseValue(&v, 0);
    if (!st.ok()) return st;
    SkipSpace();
    if (pos_ != s_.size()) return Error("end of the line after the JSON value");
    return v;
  }

 private:
  static constexpr int kMaxDepth = 32;

  absl::Status Error(absl::string_view expected) const {
    return absl::InvalidArgumentError(
        absl::StrCat("column ", pos_ + 1, ": bad JSON (expected ", expected, ")"));
  }
  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\r' || s_[pos_] == '\n')) {
      ++pos_;
    }
  }
  bool Consume(absl::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  absl::Status ParseValue(Value* v, int depth) {
    if (depth > kMaxDepth) return Error("less deeply nested data");
    SkipSpace();
    if (pos_ >= s_.size()) return Error("a value");
    const char c = s_[pos_];
    if (c == '{') return ParseObject(v, depth);
    if (c == '[') return ParseArray(v, depth);
    if (c == '"') {
      v->type = Value::Type::kString;
      return ParseString(&v->text);
    }
    if (Consume("null")) {
      v->type = Value::Type::kNull;
      return absl::OkStatus();
    }
    if (Consume("true")) {
      v->type = Value::Type::kBool;
      v->boolean = true;
      return absl::OkStatus();
    }
    if (Consume("false")) {
      v->type = Value::Type::kBool;
      v->boolean = false;
      return absl::OkStatus();
    }
    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(v);
    return Error("a value");
  }

  absl::Status ParseNumber(Value* v) {
    const size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    const auto digits = [&] {
      size_t n = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        ++pos_;
        ++n;
      }
      return n;
    };
    if (digits() == 0) return Error("a digit");
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return Error("a digit after '.'");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (digits() == 0) return Error("a digit in the exponent");
    }
    v->type = Value::Type::kNumber;
    v->text = std::string(s_.substr(start, pos_ - start));
    return absl::OkStatus();
  }

  absl::Status ParseHex4(uint32_t* out) {
    if (pos_ + 4 > s_.size()) return Error("4 hex digits after \\u");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v |= c - 'A' + 10;
      } else {
        --pos_;
        return Error("a hex digit");
      }
    }
    *out = v;
    return absl::OkStatus();
  }

  absl::Status ParseString(std::string* out) {
    ++pos_;  // the opening quote
    out->clear();
    while (true) {
      if (pos_ >= s_.size()) return Error("a closing '\"'");
      const unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c < 0x20) return Error("no control character inside a string");
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= s_.size()) return Error("an escape after '\\'");
      const char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (absl::Status s = ParseHex4(&cp); !s.ok()) return s;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low = 0;
            if (!Consume("\\u")) return Error("the second half of a surrogate pair");
            if (absl::Status s = ParseHex4(&low); !s.ok()) return s;
            if (low < 0xDC00 || low > 0xDFFF) return Error("a low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Error("a high surrogate before a low one");
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          --pos_;
          return Error("one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
      }
    }
  }

  absl::Status ParseArray(Value* v, int depth) {
    ++pos_;
    v->type = Value::Type::kArray;
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      v->items.emplace_back();
      if (absl::Status s = ParseValue(&v->items.back(), depth + 1); !s.ok()) return s;
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error("',' or ']'");
    }
  }

  absl::Status ParseObject(Value* v, int depth) {
    ++pos_;
    v->type = Value::Type::kObject;
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Error("a member name in quotes");
      std::string key;
      if (absl::Status s = ParseString(&key); !s.ok()) return s;
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Error("':'");
      ++pos_;
      v->members.emplace_back(std::move(key), Value());
      if (absl::Status s = ParseValue(&v->members.back().second, depth + 1); !s.ok()) return s;
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error("',' or '}'");
    }
  }

  absl::string_view s_;
  size_t pos_ = 0;
};

absl::Status FieldError(absl::string_view key, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat("field \"", key, "\": ", message));
}

}  // namespace

std::string Number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return absl::StrFormat("%.17g", v);
  return std::string(buf, end);
}

void ObjectWriter::Key(absl::string_view key) {
  if (text_.size() > 1) text_ += ',';
  text_ += JsonString(key);
  text_ += ':';
}
ObjectWriter& ObjectWriter::Str(absl::string_view key, absl::string_view value) {
  Key(key);
  text_ += JsonString(value);
  return *this;
}
ObjectWriter& ObjectWriter::StrIfSet(absl::string_view key, absl::string_view value) {
  if (!value.empty()) Str(key, value);
  return *this;
}
ObjectWriter& ObjectWriter::Num(absl::string_view key, double value) {
  Key(key);
  text_ += Number(value);
  return *this;
}
ObjectWriter& ObjectWriter::Int(absl::string_view key, int64_t value) {
  Key(key);
  absl::StrAppend(&text_, value);
  return *this;
}
ObjectWriter& ObjectWriter::Bool(absl::string_view key, bool value) {
  Key(key);
  text_ += value ? "true" : "false";
  return *this;
}
ObjectWriter& ObjectWriter::Null(absl::string_view key) {
  Key(key);
  text_ += "null";
  return *this;
}
ObjectWriter& ObjectWriter::Raw(absl::string_view key, absl::string_view json) {
  Key(key);
  text_.append(json.data(), json.size());
  return *this;
}

const Value* Value::Find(absl::string_view key) const {
  for (const auto& [k, v] : members) {
    if (k == key) return &v;
  }
  return nullptr;
}

absl::StatusOr<Value> Parse(absl::string_view text) { return Parser(text).ParseDocument(); }

absl::StatusOr<std::string> GetString(const Value& obj, absl::string_view key) {
  const Value* v = obj.Find(key);
  if (v == nullptr) return FieldError(key, "missing (expected a string)");
  if (v->type != Value::Type::kString) return FieldError(key, "expected a string");
  return v->text;
}

absl::StatusOr<std::string> GetOptionalString(const Value& obj, absl::string_view key) {
  const Value* v = obj.Find(key);
  if (v == nullptr || v->type == Value::Type::kNull) return std::string();
  if (v->type != Value::Type::kString) return FieldError(key, "expected a string or null");
  return v->text;
}

absl::StatusOr<double> NumberOrNull(const Value& v, absl::string_view what) {
  if (v.type == Value::Type::kNull) return std::numeric_limits<double>::quiet_NaN();
  double d;
  if (v.type != Value::Type::kNumber || !absl::SimpleAtod(v.text, &d) || !std::isfinite(d)) {
    return FieldError(what, "expected a finite number or null");
  }
  return d;
}

absl::StatusOr<double> GetNumber(const Value& obj, absl::string_view key) {
  const Value* v = obj.Find(key);
  double d;
  if (v == nullptr || v->type != Value::Type::kNumber || !absl::SimpleAtod(v->text, &d) ||
      !std::isfinite(d)) {
    return FieldError(key,
                      v == nullptr ? "missing (expected a number)" : "expected a finite number");
  }
  return d;
}

absl::StatusOr<int64_t> GetInt(const Value& obj, absl::string_view key, int64_t min, int64_t max) {
  const Value* v = obj.Find(key);
  int64_t i;
  if (v == nullptr) return FieldError(key, "missing (expected an integer)");
  if (v->type != Value::Type::kNumber || !absl::SimpleAtoi(v->text, &i) || i < min || i > max) {
    return FieldError(key,
                      absl::StrCat("bad value ", v->type == Value::Type::kNumber ? v->text : "",
                                   " (expected an integer in ", min, "..", max, ")"));
  }
  return i;
}

absl::StatusOr<bool> GetOptionalBool(const Value& obj, absl::string_view key, bool fallback) {
  const Value* v = obj.Find(key);
  if (v == nullptr) return fallback;
  if (v->type != Value::Type::kBool) return FieldError(key, "expected true or false");
  return v->boolean;
}

}  // namespace cotrack::json

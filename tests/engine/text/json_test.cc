// The JSON reader and writer of export, dump and load (text/json.h).
#include "text/json.h"

#include <cmath>
#include <string>

#include "cotrack/text.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::HasSubstr;

TEST(Json, QuoteAndParseRoundTrip) {
  const std::string text = "a\"b\\c\nd\t\x01 é 😀";
  absl::StatusOr<json::Value> v = json::Parse(JsonString(text));
  ASSERT_OK(v);
  EXPECT_EQ(v->text, text);
  ASSERT_OK_AND_ASSIGN(json::Value esc, json::Parse(R"("\u00e9\ud83d\ude00")"));
  EXPECT_EQ(esc.text, "é😀");
  EXPECT_EQ(json::Number(0.1), "0.1");
  EXPECT_EQ(json::Number(7), "7");
  EXPECT_EQ(json::Number(NAN), "null");
}

TEST(Json, RejectsMalformedTextWithColumn) {
  EXPECT_THAT(json::Parse(R"({"a":1,})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("column 8")));
  EXPECT_THAT(json::Parse(R"({"a":1} x)"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("end of the line")));
  EXPECT_THAT(json::Parse(R"("abc)"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("closing")));
}

}  // namespace
}  // namespace cotrack

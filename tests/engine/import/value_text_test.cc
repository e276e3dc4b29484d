#include "import/value_text.h"

#include <charconv>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Valid {
  std::string text;
  double value;
  Comparator comparator;
};

TEST(ValueTextTest, ValidValues) {
  for (const Valid& c : std::vector<Valid>{
           {"6.5", 6.5, Comparator::kNone},
           {".34", 0.34, Comparator::kNone},
           {"-1", -1, Comparator::kNone},
           {"1e3", 1000, Comparator::kNone},
           {"1E-2", 0.01, Comparator::kNone},
           {"2.5e+1", 25, Comparator::kNone},
           {"+4", 4, Comparator::kNone},
           {"6.", 6, Comparator::kNone},
           {"0", 0, Comparator::kNone},
           {"007", 7, Comparator::kNone},
           {" 48 ", 48, Comparator::kNone},
           {"<0.5", 0.5, Comparator::kLess},
           {"<=0.5", 0.5, Comparator::kLessEqual},
           {">=60", 60, Comparator::kGreaterEqual},
           {">60", 60, Comparator::kGreater},
           {"< 0.06", 0.06, Comparator::kLess},
           {"<-1", -1, Comparator::kLess},
           {"1.0e-245", 1.0e-245, Comparator::kNone},
           {"-1.0e+245", -1.0e+245, Comparator::kNone},
           {"1000000000000000000", 1e18, Comparator::kNone},
       }) {
    absl::StatusOr<ValueText> v = ParseValueText(c.text);
    ASSERT_OK(v) << c.text;
    EXPECT_EQ(v->value, c.value) << c.text;
    EXPECT_EQ(v->comparator, c.comparator) << c.text;
  }
}

// Plain decimals take a shortcut (mantissa / power of ten): it must give the
// very double the general parser (std::from_chars) gives, for every length
// and scale it handles.
TEST(ValueTextTest, PlainDecimalsAreTheCorrectlyRoundedDouble) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    const int digits = 1 + static_cast<int>(rng() % 15);
    std::string text;
    for (int d = 0; d < digits; ++d) text += static_cast<char>('0' + rng() % 10);
    if (digits < 15 && rng() % 4 != 0) text.insert(rng() % (digits + 1), ".");
    if (text == ".") continue;
    double expected = 0;
    std::from_chars(text.data(), text.data() + text.size(), expected);
    absl::StatusOr<ValueText> v = ParseValueText(text);
    ASSERT_OK(v) << text;
    ASSERT_EQ(v->value, expected) << text;
  }
  for (const char* text : {"0.1", "0.3", "2.675", "999999999999999", "0.00000000000001", "6.54"}) {
    double expected = 0;
    std::from_chars(text, text + std::strlen(text), expected);
    ASSERT_OK_AND_ASSIGN(ValueText v, ParseValueText(text));
    EXPECT_EQ(v.value, expected) << text;
  }
}

TEST(ValueTextTest, NegativeZeroIsZero) {
  absl::StatusOr<double> v = ParseNumber("-0.0");
  ASSERT_OK(v);
  EXPECT_FALSE(std::signbit(*v));
}

struct Invalid {
  std::string text;
  std::string why;  // must appear in the message
};

TEST(ValueTextTest, InvalidValuesSayWhy) {
  for (const Invalid& c : std::vector<Invalid>{
           {"", "the number is missing"},
           {"   ", "the number is missing"},
           {"<", "a comparator needs a number after it"},
           {"NaN", "NaN and infinity are not values"},
           {"nan", "NaN and infinity are not values"},
           {"-nan(0x7ff)", "NaN and infinity are not values"},
           {"Inf", "NaN and infinity are not values"},
           {"-INFINITY", "NaN and infinity are not values"},
           {"+inf", "NaN and infinity are not values"},
           {"1,234",
            "thousands separators are not accepted; write 1234, or 1.234 if the comma "
            "is a decimal comma"},
           {"12,345,678.5", "thousands separators are not accepted; write 12345678.5"},
           {"1,54", "this looks like a decimal comma; write 1.54"},
           {"-0,25", "this looks like a decimal comma; write -0.25"},
           {",5", "this looks like a decimal comma; write .5"},
           {"1.234,5", "a number may not contain commas"},
           {"6.5 mg", "unexpected \" mg\" after the number 6.5"},
           {"6.5%", "unexpected \"%\" after the number 6.5"},
           {"1.2.3", "unexpected \".3\" after the number 1.2"},
           {"0x1A", "hexadecimal numbers are not accepted"},
           {"-0X10", "hexadecimal numbers are not accepted"},
           {"abc", "this is not a number"},
           {".", "this is not a number"},
           {"--1", "this is not a number"},
           {"1e", "the exponent has no digits"},
           {"1e400", "too large or too small"},
           {"1e-400", "too large or too small"},
           {"=<5", "write <= instead of =<"},
           {"\xE2\x89\xA4"
            "5",
            "write <= instead of \xE2\x89\xA4"},
           {"<<5", "this is not a number"},
       }) {
    EXPECT_THAT(ParseValueText(c.text),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(StartsWith("expected a number such as 6.5, .34, -1 or 1e3, "
                                          "optionally after <, <=, >= or >; "),
                               HasSubstr(c.why))))
        << "text: \"" << c.text << "\"";
  }
}

TEST(ValueTextTest, PlainNumbersTakeNoComparator) {
  EXPECT_THAT(ParseNumber("<0.5"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "expected a number such as 6.5, .34, -1 or 1e3; this is not a number"));
  EXPECT_THAT(ParseNumber("3,5"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("this looks like a decimal comma; write 3.5")));
  ASSERT_OK_AND_ASSIGN(double v, ParseNumber(" 3 "));
  EXPECT_EQ(v, 3);
}

}  // namespace
}  // namespace cotrack

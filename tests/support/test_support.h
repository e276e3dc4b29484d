// Shared helpers for every test area: a fresh temporary directory per test,
// Status matchers (Debian's Abseil has none), and running the built binary.
#ifndef COTRACK_TESTS_SUPPORT_TEST_SUPPORT_H_
#define COTRACK_TESTS_SUPPORT_TEST_SUPPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cotrack::testing {

// A directory removed with everything in it at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // path()/name
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes `contents` to `path` (replacing it); fails the test on error.
void WriteFile(const std::string& path, const std::string& contents);
// Damages the byte at `offset` of the file `path` (XOR 0x5a, so it always
// changes); fails the test when the file cannot be read or written there.
void FlipByte(const std::string& path, int64_t offset);
std::string ReadFile(const std::string& path);

// ../shared/data/<relative>
std::string SharedData(const std::string& relative);
// <source tree>/<relative>
std::string SourcePath(const std::string& relative);

// msprog's toy visits (../shared/data/msprog_toydata/MSprog_toydata_visits.csv:
// "id",date,visit_day,EDSS,SDMT) as an observations CSV of EDSS values:
// patient,measure,date,value with a header. Fails the test when the file
// cannot be read.
std::string MsprogToyEdssObservations();

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs the built `cotrack` binary with `args` (no shell), optionally feeding
// `stdin_text`; extra environment entries "K=V" are added.
CommandResult RunCotrack(const std::vector<std::string>& args,
                         const std::vector<std::string>& env = {},
                         const std::string& stdin_text = "");

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status: " << s;
  return s.ok();
}

MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status: " << s;
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(s.message()), result_listener);
}

}  // namespace cotrack::testing

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::cotrack::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::cotrack::testing::IsOk())

#define COTRACK_TEST_CONCAT_INNER_(a, b) a##b
#define COTRACK_TEST_CONCAT_(a, b) COTRACK_TEST_CONCAT_INNER_(a, b)
// ASSERT_OK_AND_ASSIGN(auto x, StatusOrExpr());
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                                \
  auto COTRACK_TEST_CONCAT_(status_or_, __LINE__) = (expr);                            \
  ASSERT_THAT(COTRACK_TEST_CONCAT_(status_or_, __LINE__), ::cotrack::testing::IsOk()); \
  lhs = std::move(COTRACK_TEST_CONCAT_(status_or_, __LINE__)).value()

#endif  // COTRACK_TESTS_SUPPORT_TEST_SUPPORT_H_

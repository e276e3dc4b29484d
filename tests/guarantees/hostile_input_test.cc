// DESIGN.md §3.3 against hostile and broken files: each gives a clear error
// naming the file, line and problem, leaves the database exactly as it was,
// and none crashes the process or reads a huge line whole into memory. Every
// case runs twice: through ImportFile and through the built `cotrack import`.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <istream>
#include <ostream>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cotrack/database.h"
#include "cotrack/import.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::RunCotrack;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr char kObsHeader[] = "patient,measure,date,value\n";

struct HostileCase {
  std::string name;      // also the file name: NAME.csv
  std::string contents;  // the file
  // What the error must say (besides "NAME.csv:", which every error names).
  std::vector<std::string> expected;
};

// Test names and failure messages show the case's name, not its bytes.
void PrintTo(const HostileCase& c, std::ostream* os) { *os << c.name; }

std::string Obs(const std::string& row) { return absl::StrCat(kObsHeader, row, "\n"); }

// An HL7 v2 result message: MSH, `pid`, an OBR dated 2024-03-05, `obx`.
std::string Hl7(const std::string& pid, const std::string& obx) {
  return absl::StrCat("MSH|^~\\&|LAB|CLINIC|||20240305||ORU^R01|1|P|2.5.1\r", pid,
                      "\rOBR|1|||x|||20240305\r", obx, "\r");
}

std::vector<HostileCase> Cases() {
  std::string many_fields = "P1,edss,2024-01-01,2.0";
  for (int i = 0; i < 100001; ++i) many_fields += ",x";
  std::string good_then_bad = kObsHeader;
  for (int i = 0; i < 200; ++i) absl::StrAppend(&good_then_bad, "N", i, ",edss,2024-01-01,2.0\n");
  good_then_bad += "N999,edss,2024-01-01,0.5\n";  // EDSS has no 0.5
  return {
      {"over_long_field",
       Obs(absl::StrCat("P1,edss,2024-01-01,", std::string(2 << 20, '9'))),
       {"over_long_field.csv:2:20", "field longer than 1 MiB"}},
      {"too_many_fields", Obs(many_fields), {"too_many_fields.csv:2", "more than 100000 fields"}},
      {"over_long_id",
       Obs(absl::StrCat(std::string(200, 'P'), ",edss,2024-01-01,2.0")),
       {"over_long_id.csv:2", "it has 200 bytes, more than 128"}},
      {"invalid_utf8_in_id",
       Obs("P\xff"
           "1,edss,2024-01-01,2.0"),
       {"invalid_utf8_in_id.csv:2:2", "invalid UTF-8 (byte 0xFF)"}},
      {"latin1_in_id", Obs("Jos\xe9,edss,2024-01-01,2.0"), {"invalid UTF-8 (byte 0xE9)"}},
      {"overlong_utf8_in_id", Obs("P\xc0\xaf,edss,2024-01-01,2.0"), {"invalid UTF-8"}},
      {"control_char_in_id",
       Obs("P\x1b"
           "2,edss,2024-01-01,2.0"),
       {"control_char_in_id.csv:2", "control character"}},
      {"nan", Obs("P1,hba1c,2024-01-01,NaN"), {"nan.csv:2", "\"NaN\"", "NaN and infinity"}},
      {"infinity", Obs("P1,hba1c,2024-01-01,inf"), {"\"inf\"", "NaN and infinity"}},
      {"overflow", Obs("P1,hba1c,2024-01-01,1e999"), {"\"1e999\"", "too large"}},
      {"thousands_separator",
       Obs("P1,hypo,2024-01-01,\"1,000\""),
       {"\"1,000\"", "thousands separators"}},
      {"decimal_comma", Obs("P1,hba1c,2024-01-01,\"6,5\""), {"\"6,5\"", "decimal comma"}},
      {"february_30",
       Obs("P1,edss,2024-02-30,2.0"),
       {"february_30.csv:2", "field \"date\"", "\"2024-02-30\"", "29 days"}},
      {"year_20240", Obs("P1,edss,20240-01-01,2.0"), {"field \"date\"", "\"20240-01-01\""}},
      {"unclosed_quote",
       absl::StrCat(kObsHeader, "P1,edss,\"2024-01-01,2.0\nP2,edss,2024-01-01,2.0\n"),
       {"unclosed_quote.csv:2:9", "never closed"}},
      {"empty_file", "", {"empty file"}},
      {"nul_bytes", std::string(4096, '\0'), {"nul_bytes.csv:1:1", "NUL byte"}},
      {"utf16", std::string("\xff\xfep\0a\0t\0", 8), {"UTF-16"}},
      {"one_bad_row_among_good", good_then_bad, {"one_bad_row_among_good.csv:202", "0.5"}},
      {"patients_bad_dates",
       "patient,arm,index_date,treatment_dates\nQ1,A,2024-02-30,2024-01-01;20240-01-01\n",
       {"patients_bad_dates.csv:2", "\"2024-02-30\"", "\"20240-01-01\""}},
      {"patients_invalid_utf8",
       "patient,arm\nQ\xe9"
       "1,A\n",
       {"invalid UTF-8"}},
      // HL7 v2, told from CSV by its content.
      {"hl7_invalid_utf8_patient",
       Hl7("PID|1||P\xff"
           "1",
           "OBX|1|NM|4548-4^HbA1c^LN||6.5|%|||||F"),
       {"hl7_invalid_utf8_patient.csv:4", "field \"patient\"", "not valid UTF-8"}},
      {"hl7_out_of_range",
       Hl7("PID|1||P1", "OBX|1|NM|4548-4^HbA1c^LN||65|%|||||F"),
       {"hl7_out_of_range.csv:4", "\"65 %\"", "from 2 to 25 %"}},
      {"hl7_duplicate_delimiter",
       "MSH|^~^&|LAB\rPID|1||P1\rOBX|1|NM|4548-4^HbA1c^LN||6.5|%|||||F|||20240305\r",
       {"hl7_duplicate_delimiter.csv:3: message 1, OBX 1: MSH on line 1", "twice"}},
      {"hl7_nul_bytes",
       Hl7(std::string("PID|1||P\0"
                       "1",
                       10),
           "OBX|1|NM|4548-4^HbA1c^LN||6.5|%|||||F"),
       {"hl7_nul_bytes.csv:4", "control character"}},
  };
}

// Everything a user could read from the database, as text, to compare
// before and after a rejected import.
std::string Dump(Database& db) {
  std::string out;
  auto patients = db.ListPatients();
  if (!patients.ok()) return patients.status().ToString();
  for (const Patient& p : *patients) {
    absl::StrAppend(&out, "patient ", p.id, " v", p.version, " arm=", p.arm, "\n");
    auto latest = db.LatestAll(p.id);
    if (!latest.ok()) return latest.status().ToString();
    for (const Observation& l : *latest) {
      auto t = db.Trajectory(p.id, l.measure);
      if (!t.ok()) return t.status().ToString();
      for (const Observation& o : *t) {
        absl::StrAppend(&out, "  ", o.measure, " ", FormatCivilTime(o.time), " ", o.value, " v",
                        o.version, "\n");
      }
    }
  }
  auto audit = db.AuditLog();
  if (!audit.ok()) return audit.status().ToString();
  absl::StrAppend(&out, audit->size(), " audit entries\n");
  return out;
}

class HostileInputTest : public ::testing::TestWithParam<HostileCase> {
 protected:
  void SetUp() override {
    db_path_ = dir_.File("db");
    auto db = Database::Open(db_path_);
    ASSERT_OK(db);
    db_ = std::move(*db);
    testing::WriteFile(dir_.File("seed.csv"),
                       absl::StrCat(kObsHeader,
                                    "P1,edss,2023-01-01,3.5\nP1,hba1c,2023-01-01,6.1\n"
                                    "P2,edss,2023-02-01,2.0\n"));
    ASSERT_OK(ImportFile(*db_, dir_.File("seed.csv"), ImportOptions()));
    before_ = Dump(*db_);
    path_ = dir_.File(GetParam().name + ".csv");
    testing::WriteFile(path_, GetParam().contents);
  }

  TempDir dir_;
  std::string db_path_;
  std::unique_ptr<Database> db_;
  std::string before_;
  std::string path_;
};

TEST_P(HostileInputTest, ImportFileRejectsItClearlyAndChangesNothing) {
  absl::StatusOr<ImportReport> report = ImportFile(*db_, path_, ImportOptions());
  ASSERT_THAT(report,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(GetParam().name + ".csv:")));
  for (const std::string& e : GetParam().expected) {
    EXPECT_THAT(std::string(report.status().message()), HasSubstr(e));
  }
  EXPECT_EQ(Dump(*db_), before_);
}

TEST_P(HostileInputTest, CommandLineRejectsItClearlyAndChangesNothing) {
  db_.reset();  // the command needs the write lock
  auto result = RunCotrack({"--db", db_path_, "import", path_});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, AllOf(HasSubstr(GetParam().name + ".csv:"), HasSubstr("not imported")));
  for (const std::string& e : GetParam().expected) EXPECT_THAT(result.err, HasSubstr(e));
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(db_path_));
  EXPECT_EQ(Dump(*db), before_);
}

INSTANTIATE_TEST_SUITE_P(Cases, HostileInputTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<HostileCase>& info) {
                           return info.param.name;
                         });

// An endless-looking input: `head`, then `unit` repeated up to `total` bytes,
// generated as it is read, counting what the reader consumed.
class GeneratedInput : public std::streambuf {
 public:
  GeneratedInput(std::string head, std::string unit, size_t total)
      : head_(std::move(head)), unit_(std::move(unit)), total_(total) {}
  size_t served() const { return served_; }

 protected:
  int_type underflow() override {
    if (served_ >= total_) return traits_type::eof();
    buf_.clear();
    while (buf_.size() < 65536 && served_ + buf_.size() < total_) {
      const size_t at = served_ + buf_.size();
      if (at < head_.size()) {
        buf_.push_back(head_[at]);
      } else {
        buf_.push_back(unit_[(at - head_.size()) % unit_.size()]);
      }
    }
    served_ += buf_.size();
    setg(buf_.data(), buf_.data(), buf_.data() + buf_.size());
    return traits_type::to_int_type(buf_[0]);
  }

 private:
  std::string head_, unit_;
  size_t total_;
  size_t served_ = 0;
  std::string buf_;
};

constexpr size_t k200MB = size_t{200} << 20;
// The reader's own limits (csv_reader.h) are 1 MiB per field and 16 MiB per
// record: it must give up well before reading 200 MB.
constexpr size_t kReadBound = size_t{20} << 20;

TEST(HostileStreamTest, A200MegabyteLineIsRejectedWithoutReadingItAll) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.File("db")));
  GeneratedInput gen(absl::StrCat(kObsHeader, "P1,edss,2024-01-01,"), "9", k200MB);
  std::istream in(&gen);
  auto report = ImportStream(*db, in, "huge.csv", ImportOptions());
  EXPECT_THAT(report, StatusIs(absl::StatusCode::kInvalidArgument,
                               AllOf(HasSubstr("huge.csv:2:20"), HasSubstr("longer than"))));
  EXPECT_LT(gen.served(), kReadBound);
  ASSERT_OK_AND_ASSIGN(auto patients, db->ListPatients());
  EXPECT_TRUE(patients.empty());
}

TEST(HostileStreamTest, A200MegabyteRecordOfQuotedFieldsIsRejectedWithoutReadingItAll) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.File("db")));
  // 512 KiB fields (each under the field limit) whose record never ends.
  GeneratedInput gen(absl::StrCat(kObsHeader, "P1,edss,2024-01-01,2.0,"),
                     absl::StrCat("\"", std::string(512 << 10, 'y'), "\","), k200MB);
  std::istream in(&gen);
  auto report = ImportStream(*db, in, "wide.csv", ImportOptions());
  EXPECT_THAT(report, StatusIs(absl::StatusCode::kInvalidArgument,
                               AllOf(HasSubstr("wide.csv:2"), HasSubstr("record longer than"))));
  EXPECT_LT(gen.served(), kReadBound);
}

// Peak resident memory of this process (VmHWM), in bytes.
size_t PeakRss() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoul(line.substr(6)) << 10;
  }
  return 0;
}

TEST(HostileStreamTest, A200MegabyteHl7SegmentIsHeldToItsLimit) {
  // HL7 reads on past a long segment (an embedded report is skipped, the
  // next OBX read), keeping at most 16 MiB of it.
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.File("db")));
  GeneratedInput gen(
      "MSH|^~\\&|LAB|CLINIC|||20240305||ORU^R01|1|P|2.5.1\rPID|1||P1\r"
      "OBX|1|NM|4548-4^HbA1c^LN||6",
      "5", k200MB);
  std::istream in(&gen);
  const size_t before = PeakRss();
  auto report = ImportStream(*db, in, "huge.hl7", ImportOptions());
  EXPECT_THAT(report, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("huge.hl7:3: message 1, OBX 1: the segment is longer "
                                         "than 16 MiB (a numeric result never is)")));
  EXPECT_EQ(gen.served(), k200MB);
  EXPECT_LT(PeakRss() - before, size_t{100} << 20);
  ASSERT_OK_AND_ASSIGN(auto patients, db->ListPatients());
  EXPECT_TRUE(patients.empty());
}

TEST(HostileStreamTest, CommandLineStopsReadingA200MegabyteLine) {
  // Fed through a FIFO, so the test knows how much `cotrack import` read
  // (at most what was written into the pipe) without a 200 MB file.
  TempDir dir;
  const std::string fifo = dir.File("huge.csv");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::atomic<size_t> written{0};
  std::thread feeder([&] {
    // Non-blocking open until the importer opens its end, so a failure
    // before that cannot hang the test.
    int fd = -1;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while ((fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK)) < 0 && errno == ENXIO &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (fd < 0) return;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    std::string chunk = absl::StrCat(kObsHeader, "P1,edss,2024-01-01,");
    while (written.load() < k200MB) {
      ssize_t n = write(fd, chunk.data(), chunk.size());
      if (n <= 0) break;  // EPIPE: the importer closed its end
      written.fetch_add(static_cast<size_t>(n));
      chunk.assign(64 << 10, '9');
    }
    close(fd);
  });
  // A write to a closed FIFO must fail with EPIPE, not kill the test.
  struct sigaction ignore = {}, old = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old);
  auto result = RunCotrack({"--db", dir.File("db"), "import", fifo});
  feeder.join();
  sigaction(SIGPIPE, &old, nullptr);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, AllOf(HasSubstr("huge.csv:2:20"), HasSubstr("longer than")));
  EXPECT_LT(written.load(), kReadBound);
}

TEST(HostileStreamTest, CommandLineRejectsA200MegabyteFileOfNulBytesAtOnce) {
  TempDir dir;
  const std::string path = dir.File("zeros.csv");
  // Sparse: 200 MB of NUL bytes without using the disk.
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(k200MB)), 0);
  close(fd);
  auto result = RunCotrack({"--db", dir.File("db"), "import", path});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("zeros.csv:1:1: NUL byte"));
}

}  // namespace
}  // namespace cotrack

// Issue 5 item 9: the database directory is private to its owner (0700) and
// so is every file in it (0600), whatever the umask; so are backups and
// restored databases.
#include <sys/stat.h>

#include <filesystem>

#include "cotrack/database.h"
#include "cotrack/maintenance.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

namespace fs = std::filesystem;
using ::cotrack::testing::TempDir;

// A permissive umask for the test's duration: privacy must not depend on it.
class PermissiveUmask {
 public:
  PermissiveUmask() : old_(::umask(0)) {}
  ~PermissiveUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

// Every path under `root` (and root) whose mode lets anyone but the owner in.
std::vector<std::string> NotPrivate(const std::string& root) {
  std::vector<std::string> out;
  auto check = [&](const fs::path& p) {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) return;
    const mode_t perms = st.st_mode & 07777;
    const mode_t want = S_ISDIR(st.st_mode) ? 0700 : 0600;
    if ((perms & 077) != 0 || (perms & ~want) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof(mode), "%04o", perms);
      out.push_back(p.string() + " " + mode);
    }
  };
  check(root);
  for (const auto& e : fs::recursive_directory_iterator(root)) check(e.path());
  return out;
}

size_t CountFiles(const std::string& root) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(root)) n += e.is_regular_file();
  return n;
}

TEST(AtRestTest, EveryFileIsPrivateToItsOwner) {
  PermissiveUmask umask_0;
  TempDir dir;
  const std::string db_path = dir.File("db");
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(db_path));
    Batch batch;
    for (int i = 0; i < 200; ++i) {
      ObservationInput in;
      in.patient = "P" + std::to_string(i);
      in.measure = "edss";
      in.time = CivilTime::FromDay(19000);
      in.value = 2.0;
      batch.Record(in);
    }
    ASSERT_OK(db->Apply(batch));
    ASSERT_OK(db->Compact());  // table files, a new manifest, options files
    ObservationInput in;
    in.patient = "P1";
    in.measure = "edss";
    in.time = CivilTime::FromDay(19001);
    in.value = 2.5;
    ASSERT_OK(db->Record(in));  // and a write-ahead log
  }
  EXPECT_GT(CountFiles(db_path), 5u);
  EXPECT_THAT(NotPrivate(db_path), ::testing::IsEmpty());

  // Reopening (a recovery, new log and manifest) keeps it so.
  { ASSERT_OK(Database::Open(db_path)); }
  EXPECT_THAT(NotPrivate(db_path), ::testing::IsEmpty());

  const std::string backups = dir.File("backups");
  ASSERT_OK(BackupDatabase(db_path, backups));
  EXPECT_GT(CountFiles(backups), 2u);
  EXPECT_THAT(NotPrivate(backups), ::testing::IsEmpty());

  const std::string restored = dir.File("restored");
  ASSERT_OK(RestoreBackup(backups, restored));
  EXPECT_THAT(NotPrivate(restored), ::testing::IsEmpty());
}

}  // namespace
}  // namespace cotrack

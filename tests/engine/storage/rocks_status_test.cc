// The one RocksDB -> absl::Status converter (storage/rocks_status.h) and the
// held-lock error Store::Open gives, which callers retry on (IsHeldElsewhere).
#include "storage/rocks_status.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::IsOk;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(FromRocksTest, MapsEachKindAsStoreHPromises) {
  EXPECT_OK(FromRocks(rocksdb::Status::OK(), "read series"));
  EXPECT_THAT(FromRocks(rocksdb::Status::Corruption("block checksum mismatch", "/d/000012.sst"),
                        "read series"),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("read series: "), HasSubstr("/d/000012.sst"),
                             HasSubstr("damaged data"))));
  EXPECT_THAT(FromRocks(rocksdb::Status::NotFound("no backup"), "restore"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("restore: ")));
  EXPECT_THAT(FromRocks(rocksdb::Status::InvalidArgument("bad"), "open"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("open: ")));
  const absl::Status io = FromRocks(
      rocksdb::Status::IOError("While appending to file", "No space left on device"), "write");
  EXPECT_THAT(io, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("No space left on device")));
  EXPECT_FALSE(IsHeldElsewhere(io));
  EXPECT_THAT(FromRocks(rocksdb::Status::Aborted("stopped"), "compact"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("compact: ")));
}

// A read that meets a damaged block stops there; check finds the rest.
TEST(FromRocksTest, DamageMetByReadingTheDatabasePointsToCheck) {
  const rocksdb::Status bad = rocksdb::Status::Corruption("block checksum mismatch", "/d/7.sst");
  EXPECT_THAT(FromRocksRead(bad, "scan series"),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("scan series: "), HasSubstr("/d/7.sst"),
                             HasSubstr("damaged data"), HasSubstr("`cotrack check`"))));
  // Backups are checked with `cotrack backup verify`, not this.
  EXPECT_THAT(FromRocks(bad, "restore backup 1"),
              StatusIs(absl::StatusCode::kDataLoss, Not(HasSubstr("cotrack check"))));
  // Anything but damage reads as FromRocks has it.
  const rocksdb::Status io = rocksdb::Status::IOError("Input/output error");
  EXPECT_EQ(FromRocksRead(io, "read series"), FromRocks(io, "read series"));
}

// The same through the real store: a table file damaged on disk.
TEST(FromRocksTest, ADamagedTableFileReadThroughTheStorePointsToCheck) {
  TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto store, Store::Open(dir.path(), StoreOptions()));
    auto batch = store->NewBatch();
    uint64_t x = 88172645463325252u;  // xorshift: values LZ4 cannot shrink
    for (int i = 0; i < 2000; ++i) {
      std::string value(200, '\0');
      for (char& c : value) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c = static_cast<char>(x);
      }
      batch->Put(Family::kAudit, absl::StrCat("key", 10000 + i), value);
    }
    ASSERT_OK(store->Write(*batch, true));
    ASSERT_OK(store->CompactAll());
  }
  std::string table;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().extension() == ".sst" &&
        (table.empty() ||
         std::filesystem::file_size(e.path()) > std::filesystem::file_size(table))) {
      table = e.path().string();
    }
  }
  ASSERT_FALSE(table.empty());
  {
    // A third of the way in: inside a data block, far from index and footer.
    std::fstream f(table, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(table) / 3));
    f.put('\x5a');
    f.put('\xa5');
  }
  absl::Status read;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.path(), StoreOptions());
  if (store.ok()) {
    read = (*store)->Scan(nullptr, Family::kAudit, "", "", [](auto, auto) { return true; });
  } else {
    read = store.status();
  }
  EXPECT_THAT(read, StatusIs(absl::StatusCode::kDataLoss,
                             AllOf(HasSubstr(".sst"), HasSubstr("`cotrack check`"))));
}

// The store and the backup tools report a lock alike: there used to be a
// converter for each, and only the store's marked the lock.
TEST(FromRocksTest, ALockErrorIsHeldElsewhere) {
  const absl::Status held = FromRocks(
      rocksdb::Status::IOError("While lock file", "/d/LOCK: Resource temporarily unavailable"),
      "open /d");
  EXPECT_THAT(held, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("locked")));
  EXPECT_TRUE(IsHeldElsewhere(held));
  // The mark is the payload, not the words: a message alone is not a lock.
  EXPECT_FALSE(IsHeldElsewhere(absl::UnavailableError(held.message())));
}

TEST(StoreLockTest, ASecondWriterInThisProcessIsHeldElsewhere) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto first, Store::Open(dir.path(), StoreOptions()));
  absl::StatusOr<std::unique_ptr<Store>> second = Store::Open(dir.path(), StoreOptions());
  EXPECT_THAT(second, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("locked")));
  EXPECT_TRUE(IsHeldElsewhere(second.status()));
  // A reader is not kept out.
  StoreOptions ro;
  ro.read_only = true;
  ro.create_if_missing = false;
  EXPECT_OK(Store::Open(dir.path(), ro));
}

// RocksDB locks DIR/LOCK with fcntl(F_SETLK); a child process holding that
// lock is what another cotrack process holding the database looks like.
TEST(StoreLockTest, AWriterInAnotherProcessIsHeldElsewhere) {
  TempDir dir;
  { ASSERT_OK(Store::Open(dir.path(), StoreOptions())); }
  int ready[2], release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  const std::string lock_file = dir.File("LOCK");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0) << std::strerror(errno);
  if (child == 0) {
    // Only async-signal-safe calls in the child of a threaded process.
    const int fd = ::open(lock_file.c_str(), O_RDWR);
    struct flock f = {};
    f.l_type = F_WRLCK;
    f.l_whence = SEEK_SET;
    const char ok = fd >= 0 && ::fcntl(fd, F_SETLK, &f) == 0 ? 'y' : 'n';
    (void)!::write(ready[1], &ok, 1);
    char c;
    (void)!::read(release[0], &c, 1);
    ::_exit(0);
  }
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  absl::StatusOr<std::unique_ptr<Store>> held = Store::Open(dir.path(), StoreOptions());
  (void)!::write(release[1], "x", 1);
  int status = 0;
  ::waitpid(child, &status, 0);
  for (int fd : {ready[0], ready[1], release[0], release[1]}) ::close(fd);
  ASSERT_EQ(ok, 'y') << "the child could not lock " << lock_file;
  EXPECT_THAT(held, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("locked")));
  EXPECT_TRUE(IsHeldElsewhere(held.status()));
  // Once the holder is gone the database opens.
  EXPECT_THAT(Store::Open(dir.path(), StoreOptions()), IsOk());
}

}  // namespace
}  // namespace cotrack

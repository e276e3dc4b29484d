// Errors of the ingested bulk write (storage/rocks_ingest.h) keep the store's
// mapping: damage is DataLoss and a full disk Unavailable, not Internal.
#include "storage/rocks_ingest.h"

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;

bool IsStaged(const std::string& path) { return path.find("/.ingest-") != std::string::npos; }

// Reads of a staged table file return every byte inverted: the file was
// damaged between being written and being ingested.
class InvertingFile : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  using FSRandomAccessFileOwnerWrapper::FSRandomAccessFileOwnerWrapper;
  rocksdb::IOStatus Read(uint64_t offset, size_t n, const rocksdb::IOOptions& options,
                         rocksdb::Slice* result, char* scratch,
                         rocksdb::IODebugContext* dbg) const override {
    rocksdb::IOStatus s = target()->Read(offset, n, options, result, scratch, dbg);
    if (!s.ok()) return s;
    if (result->data() != scratch) std::memmove(scratch, result->data(), result->size());
    for (size_t i = 0; i < result->size(); ++i) scratch[i] = static_cast<char>(~scratch[i]);
    *result = rocksdb::Slice(scratch, result->size());
    return s;
  }
};

// Staged table files: damaged when read back, or not creatable at all.
class StagingFaults : public rocksdb::FileSystemWrapper {
 public:
  enum class Fault { kNone, kDamageReads, kNoSpace };
  StagingFaults(Fault fault)
      : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()), fault_(fault) {}
  const char* Name() const override { return "StagingFaults"; }

  rocksdb::IOStatus NewRandomAccessFile(const std::string& f, const rocksdb::FileOptions& o,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* r,
                                        rocksdb::IODebugContext* d) override {
    rocksdb::IOStatus s = target()->NewRandomAccessFile(f, o, r, d);
    if (s.ok() && fault_ == Fault::kDamageReads && IsStaged(f)) {
      *r = std::make_unique<InvertingFile>(std::move(*r));
    }
    return s;
  }
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* d) override {
    if (fault_ == Fault::kNoSpace && IsStaged(f)) {
      return rocksdb::IOStatus::NoSpace(f, "No space left on device");
    }
    return target()->NewWritableFile(f, o, r, d);
  }

 private:
  const Fault fault_;
};

// Stages `keys` in the default family through RocksIngestBatch and ingests
// them into a database whose files go through `fault`; returns Ingest's
// status and whether the database holds anything afterwards.
absl::Status IngestWith(StagingFaults::Fault fault, const std::string& dir, bool* any_visible,
                        const std::vector<std::string>& keys = {"a", "b"}) {
  std::unique_ptr<rocksdb::Env> env =
      rocksdb::NewCompositeEnv(std::make_shared<StagingFaults>(fault));
  rocksdb::Options options;
  options.create_if_missing = true;
  options.env = env.get();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status opened = rocksdb::DB::Open(options, dir, &raw);
  if (!opened.ok()) return absl::InternalError(opened.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  absl::Status ingested;
  {
    auto batch = RocksIngestBatch::Create(db.get(), {db->DefaultColumnFamily()}, dir);
    if (!batch.ok()) return batch.status();
    for (const std::string& key : keys) (*batch)->Put(Family::kMeta, key, "1");
    ingested = (*batch)->Ingest();
  }
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  it->SeekToFirst();
  *any_visible = it->Valid();
  it.reset();
  db->Close().PermitUncheckedError();
  return ingested;
}

TEST(RocksIngestTest, DamagedStagedFilesAreDataLoss) {
  TempDir dir;
  bool visible = true;
  EXPECT_THAT(IngestWith(StagingFaults::Fault::kDamageReads, dir.path(), &visible),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("ingesting table files"), HasSubstr("damaged data"))));
  EXPECT_FALSE(visible) << "a failed ingestion left data behind";
}

TEST(RocksIngestTest, AFullDiskWhileStagingIsUnavailable) {
  TempDir dir;
  bool visible = true;
  EXPECT_THAT(IngestWith(StagingFaults::Fault::kNoSpace, dir.path(), &visible),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("staging table files"), HasSubstr("No space left"))));
  EXPECT_FALSE(visible);
}

TEST(RocksIngestTest, KeysOutOfOrderAreInternal) {
  TempDir dir;
  bool visible = true;
  EXPECT_THAT(IngestWith(StagingFaults::Fault::kNone, dir.path(), &visible, {"b", "a"}),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("staging table files")));
  EXPECT_FALSE(visible);
  EXPECT_OK(IngestWith(StagingFaults::Fault::kNone, dir.path(), &visible, {"a", "b"}));
  EXPECT_TRUE(visible);
}

TEST(RocksIngestTest, NothingIsLeftInTheStagingDirectory) {
  TempDir dir;
  bool visible = true;
  (void)IngestWith(StagingFaults::Fault::kDamageReads, dir.path(), &visible);
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_FALSE(IsStaged(e.path().string())) << e.path() << " was left behind";
  }
}

}  // namespace
}  // namespace cotrack

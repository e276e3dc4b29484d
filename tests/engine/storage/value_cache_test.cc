// The store's value cache (storage/rocks_store.cc, ValueCache) keeps series
// values across writes to other keys, so every way a key can change must
// reach it: a logged write, a delete, an ingestion of table files, and a
// write racing a read of the same key on another thread. A read after any of
// them sees the new value, never the cached one.
#include "storage/value_cache.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "storage/store.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::TempDir;

TEST(ValueCacheTest, AValueReadBeforeAnInvalidationOfItsShardIsNotKept) {
  ValueCache cache(1 << 20);
  std::string value;
  cache.Insert("k", 5, "v5");
  cache.Insert("other", 5, "o5");
  ASSERT_TRUE(cache.Lookup("k", &value));
  EXPECT_EQ(value, "v5");
  // A write of "k" ends at sequence number 7; a reader that took 6 before
  // reading may hold the value from before it.
  cache.Invalidate("k", 7);
  EXPECT_FALSE(cache.Lookup("k", &value));
  cache.Insert("k", 6, "v5");
  EXPECT_FALSE(cache.Lookup("k", &value));
  cache.Insert("k", 7, "v7");
  ASSERT_TRUE(cache.Lookup("k", &value));
  EXPECT_EQ(value, "v7");
  ASSERT_TRUE(cache.Lookup("other", &value));  // untouched by the write
  EXPECT_EQ(value, "o5");
  cache.InvalidateAll(9);
  EXPECT_FALSE(cache.Lookup("other", &value));
  cache.Insert("other", 8, "o5");
  EXPECT_FALSE(cache.Lookup("other", &value));
}

TEST(ValueCacheTest, AKeyWrittenAndReadAgainAndAgainKeepsOnePlace) {
  ValueCache cache(1 << 20);
  for (uint64_t seq = 1; seq <= 1000; ++seq) {
    cache.Insert("hot", seq, std::string(100, 'x'));
    cache.Invalidate("hot", seq + 1);
  }
  cache.Insert("hot", 1001, std::string(100, 'x'));
  EXPECT_EQ(cache.keys(), 1u);
  EXPECT_LT(cache.bytes(), 400u);
}

absl::Status PutSeries(Store& store, const std::string& key, const std::string& value) {
  std::unique_ptr<Store::Batch> batch = store.NewBatch();
  batch->Put(Family::kSeries, key, value);
  return store.Write(*batch, /*sync=*/false);
}

// The value of `key` ("" when absent).
std::string Read(Store& store, const std::string& key) {
  std::string value;
  absl::StatusOr<bool> found = store.Get(nullptr, Family::kSeries, key, &value);
  EXPECT_TRUE(found.ok()) << found.status();
  return found.ok() && *found ? value : "";
}

TEST(ValueCacheTest, ReadsSeeEveryChangeOfTheirKeyAndKeepTheOthers) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(dir.File("db"), StoreOptions()));
  ASSERT_OK(PutSeries(*store, "a", "a1"));
  ASSERT_OK(PutSeries(*store, "b", "b1"));
  // Twice each: the second read is the cached value.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Read(*store, "a"), "a1");
    EXPECT_EQ(Read(*store, "b"), "b1");
  }

  ASSERT_OK(PutSeries(*store, "b", "b2"));
  EXPECT_EQ(Read(*store, "a"), "a1");
  EXPECT_EQ(Read(*store, "b"), "b2");

  // An append (a merge: how a recorded visit adds to a series), in a batch
  // that also writes the same key in another family.
  {
    std::unique_ptr<Store::Batch> batch = store->NewBatch();
    batch->Put(Family::kPatients, "a", "not a series");
    batch->Append(Family::kSeries, "a", "+2");
    ASSERT_OK(store->Write(*batch, false));
  }
  EXPECT_EQ(Read(*store, "a"), "a1+2");
  EXPECT_EQ(Read(*store, "b"), "b2");

  ASSERT_OK(store->Delete(Family::kSeries, {"a"}, false));
  EXPECT_EQ(Read(*store, "a"), "");
  EXPECT_EQ(Read(*store, "b"), "b2");

  // Table files ingested over a cached key (an import).
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store::Batch> ingest, store->NewIngestBatch());
  ingest->Put(Family::kSeries, "b", "b3");
  ASSERT_OK(store->Write(*ingest, false));
  EXPECT_EQ(Read(*store, "b"), "b3");

  // The same answers from RocksDB itself, after a reopen.
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, Store::Open(dir.File("db"), StoreOptions()));
  EXPECT_EQ(Read(*store, "a"), "");
  EXPECT_EQ(Read(*store, "b"), "b3");
}

// A reader that read the old value just before a write must not leave it in
// the cache after the write: the writer reads its own write back at once,
// while another thread keeps reading the same key.
TEST(ValueCacheTest, AWriterReadsItsOwnWriteWhileAnotherThreadReadsTheKey) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(dir.File("db"), StoreOptions()));
  ASSERT_OK(PutSeries(*store, "k", "0"));
  std::atomic<bool> done{false};
  std::thread reader([&] {
    std::string value;
    while (!done.load()) {
      if (!store->Get(nullptr, Family::kSeries, "k", &value).ok()) break;
    }
  });
  int stale = 0;
  constexpr int kWrites = 3000;
  for (int i = 1; i <= kWrites; ++i) {
    const std::string value = std::to_string(i);
    if (!PutSeries(*store, "k", value).ok()) {
      ADD_FAILURE() << "write " << i << " failed";
      break;
    }
    if (Read(*store, "k") != value) ++stale;
  }
  done = true;
  reader.join();
  EXPECT_EQ(stale, 0) << "reads of the writer's own write that returned an older value, of "
                      << kWrites;
}

}  // namespace
}  // namespace cotrack

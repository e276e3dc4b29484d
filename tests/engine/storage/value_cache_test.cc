// The store's value cache (storage/rocks_store.cc, ValueCache) keeps series
// values across writes to other keys, so every way a key can change must
// reach it: a logged write, a delete, an ingestion of table files, and a
// write racing a read of the same key on another thread. A read after any of
// them sees the new value, never the cached one.
#include "storage/value_cache.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "storage/store.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::TempDir;

TEST(ValueCacheTest, NoOldValueIsFoundOrKeptFromBeforeAWriteCommitsToAfter) {
  ValueCache cache(1 << 20);
  std::string value;
  cache.Insert("k", 5, "v5");
  cache.Insert("other", 5, "o5");
  ASSERT_TRUE(cache.Lookup("k", &value));
  EXPECT_EQ(value, "v5");
  // A write of "k" begins (it commits at sequence number 7).
  cache.BeginWrite({"k"}, false);
  EXPECT_FALSE(cache.Lookup("k", &value));
  // A reader that read before the commit, inserting before or after it.
  cache.Insert("k", 5, "v5");
  EXPECT_FALSE(cache.Lookup("k", &value));
  cache.EndWrite({"k"}, false, 7);
  EXPECT_FALSE(cache.Lookup("k", &value));
  cache.Insert("k", 6, "v5");
  EXPECT_FALSE(cache.Lookup("k", &value));
  // A read after the commit is kept.
  cache.Insert("k", 7, "v7");
  ASSERT_TRUE(cache.Lookup("k", &value));
  EXPECT_EQ(value, "v7");
  ASSERT_TRUE(cache.Lookup("other", &value));  // untouched by the write
  EXPECT_EQ(value, "o5");
  // An ingestion: every key.
  cache.BeginWrite({}, true);
  EXPECT_FALSE(cache.Lookup("other", &value));
  cache.Insert("other", 9, "o9");
  EXPECT_FALSE(cache.Lookup("other", &value));
  cache.EndWrite({}, true, 9);
  cache.Insert("other", 8, "o5");
  EXPECT_FALSE(cache.Lookup("other", &value));
  cache.Insert("other", 9, "o9");
  EXPECT_TRUE(cache.Lookup("other", &value));
}

TEST(ValueCacheTest, TwoWritesOfOneKeyKeepItPendingUntilBothEnd) {
  ValueCache cache(1 << 20);
  std::string value;
  cache.BeginWrite({"k"}, false);
  cache.BeginWrite({"k"}, false);
  cache.EndWrite({"k"}, false, 3);
  cache.Insert("k", 3, "v3");  // the second write may commit after this read
  EXPECT_FALSE(cache.Lookup("k", &value));
  cache.EndWrite({"k"}, false, 4);
  cache.Insert("k", 4, "v4");
  EXPECT_TRUE(cache.Lookup("k", &value));
}

TEST(ValueCacheTest, TheGenerationTellsAReaderThatAWriteBegan) {
  ValueCache cache(1 << 20);
  std::optional<uint64_t> g = cache.QuietGeneration();
  ASSERT_TRUE(g.has_value());
  EXPECT_TRUE(cache.Unchanged(*g));
  cache.BeginWrite({"k"}, false);
  EXPECT_FALSE(cache.Unchanged(*g));
  EXPECT_FALSE(cache.QuietGeneration().has_value());  // a write in progress
  cache.EndWrite({"k"}, false, 2);
  std::optional<uint64_t> after = cache.QuietGeneration();
  ASSERT_TRUE(after.has_value());
  EXPECT_NE(*after, *g);
}

TEST(ValueCacheTest, AKeyWrittenAndReadAgainAndAgainKeepsOnePlace) {
  ValueCache cache(1 << 20);
  for (uint64_t seq = 1; seq <= 1000; ++seq) {
    cache.Insert("hot", seq, std::string(100, 'x'));
    cache.BeginWrite({"hot"}, false);
    cache.EndWrite({"hot"}, false, seq + 1);
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

// Values written together are read together: a MultiGet racing a write
// returns all of them from before it or all from after it, never some of
// each, although some may come from the cache and the rest from RocksDB.
TEST(ValueCacheTest, AMultiGetRacingAWriteOfItsKeysSeesAllOrNoneOfIt) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store, Store::Open(dir.File("db"), StoreOptions()));
  const std::vector<std::string> keys = {"a", "b", "c", "d"};
  auto write_all = [&](int i) {
    std::unique_ptr<Store::Batch> batch = store->NewBatch();
    for (const std::string& k : keys) batch->Put(Family::kSeries, k, std::to_string(i));
    return store->Write(*batch, false);
  };
  ASSERT_OK(write_all(0));
  std::atomic<bool> done{false};
  std::atomic<int> mixed{0}, reads{0};
  std::thread reader([&] {
    std::vector<std::string> values;
    std::vector<bool> found;
    while (!done.load()) {
      if (!store->MultiGet(nullptr, Family::kSeries, keys, &values, &found).ok()) break;
      reads.fetch_add(1);
      for (const std::string& v : values) {
        if (v != values[0]) {
          mixed.fetch_add(1);
          break;
        }
      }
    }
  });
  for (int i = 1; i <= 20000; ++i) {
    if (!write_all(i).ok()) {
      ADD_FAILURE() << "write " << i << " failed";
      break;
    }
  }
  done = true;
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(mixed.load(), 0) << "of " << reads.load() << " reads";
}

}  // namespace
}  // namespace cotrack

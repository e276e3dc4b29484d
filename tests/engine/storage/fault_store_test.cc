// The fault-injecting store (tests/support/fault_store.h) does what the
// guarantee tests rely on: each fault strikes the chosen call, and nothing
// else differs from the real store.
#include "support/fault_store.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::Faults;
using ::cotrack::testing::FaultStores;
using ::cotrack::testing::NewFaultStore;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::StoreCorruption;
using ::cotrack::testing::StoreIoError;
using ::cotrack::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FaultStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path(), StoreOptions());
    ASSERT_OK(store);
    store_ = NewFaultStore(*std::move(store), faults_);
  }

  absl::Status Put(const std::string& key, const std::string& value) {
    auto batch = store_->NewBatch();
    batch->Put(Family::kMeta, key, value);
    return store_->Write(*batch, false);
  }

  // The value at `key` ("-" when absent), read past the faults.
  std::string Value(const std::string& key) {
    std::string v;
    absl::StatusOr<bool> found = store_->Get(nullptr, Family::kMeta, key, &v);
    EXPECT_OK(found);
    return found.ok() && *found ? v : "-";
  }

  // Every key a scan delivers, then the scan's error, if any.
  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    absl::Status s = store_->Scan(nullptr, Family::kMeta, "", "", [&](auto k, auto) {
      keys.emplace_back(k);
      return true;
    });
    if (!s.ok()) keys.push_back(std::string(s.message()));
    return keys;
  }

  TempDir dir_;
  std::shared_ptr<Faults> faults_ = std::make_shared<Faults>();
  std::unique_ptr<Store> store_;
};

TEST_F(FaultStoreTest, TheNthWriteFailsAndAppliesNothing) {
  ASSERT_OK(Put("a", "1"));
  faults_->FailWrite(2, StoreIoError("write", "No space left on device"));
  ASSERT_OK(Put("b", "1"));
  EXPECT_THAT(Put("c", "1"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("No space left on device")));
  ASSERT_OK(Put("d", "1"));  // fires once
  EXPECT_EQ(Value("c"), "-");
  EXPECT_EQ(Value("d"), "1");
  EXPECT_EQ(faults_->fired(), 1);
  EXPECT_EQ(faults_->writes(), 4);
}

TEST_F(FaultStoreTest, ATornWriteKeepsItsFirstChanges) {
  faults_->TearWrite(1, 2, absl::OkStatus());
  auto batch = store_->NewBatch();
  for (const char* k : {"a", "b", "c"}) batch->Put(Family::kMeta, k, "1");
  ASSERT_OK(store_->Write(*batch, false));
  EXPECT_EQ(Value("a"), "1");
  EXPECT_EQ(Value("b"), "1");
  EXPECT_EQ(Value("c"), "-");
}

TEST_F(FaultStoreTest, AShortWriteCutsTheValuesOfOneFamily) {
  faults_->ShortWrite(1, Family::kMeta, 3, absl::OkStatus());
  auto batch = store_->NewBatch();
  batch->Put(Family::kMeta, "a", "123456");
  batch->Put(Family::kAudit, "a", "123456");
  ASSERT_OK(store_->Write(*batch, false));
  EXPECT_EQ(Value("a"), "123");
  std::string audit;
  ASSERT_OK_AND_ASSIGN(bool found, store_->Get(nullptr, Family::kAudit, "a", &audit));
  EXPECT_TRUE(found);
  EXPECT_EQ(audit, "123456");
}

TEST_F(FaultStoreTest, KeyFaultsStrikeOnlyTheirKeysInEveryKindOfRead) {
  for (const char* k : {"a1", "b1", "b2", "c1"}) ASSERT_OK(Put(k, "value"));
  faults_->FailReads(Family::kMeta, "b", StoreCorruption("read default", "bad block in 1.sst"));
  EXPECT_EQ(Value("a1"), "value");
  std::string v;
  EXPECT_THAT(store_->Get(nullptr, Family::kMeta, "b2", &v),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("1.sst")));
  std::vector<std::string> values;
  std::vector<bool> found;
  EXPECT_THAT(store_->MultiGet(nullptr, Family::kMeta, {"a1", "b1"}, &values, &found),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("1.sst")));
  // A scan delivers what comes before the bad key, then fails.
  EXPECT_THAT(Keys(), ElementsAre("a1", HasSubstr("1.sst")));

  faults_->Clear();
  faults_->DamageReads(Family::kMeta, "c");
  EXPECT_NE(Value("c1"), "value");
  EXPECT_EQ(Value("c1").size(), 5u);
  EXPECT_EQ(Value("a1"), "value");
}

TEST_F(FaultStoreTest, TheNthReadFailsAfterSomeScanEntries) {
  for (const char* k : {"a", "b", "c"}) ASSERT_OK(Put(k, "1"));
  faults_->FailRead(2, StoreIoError("scan default", "Input/output error"), 2);
  EXPECT_EQ(Value("a"), "1");
  EXPECT_THAT(Keys(), ElementsAre("a", "b", HasSubstr("Input/output error")));
  EXPECT_THAT(Keys(), ElementsAre("a", "b", "c"));
  // Fewer entries than asked for: the scan fails at its end.
  faults_->FailRead(1, StoreIoError("scan default", "Input/output error"), 10);
  EXPECT_THAT(Keys(), ElementsAre("a", "b", "c", HasSubstr("Input/output error")));
}

TEST_F(FaultStoreTest, StoresOpenedWhileInstalledAreWrapped) {
  store_.reset();
  auto faults = std::make_shared<Faults>();
  {
    FaultStores scope(faults, /*writable_only=*/true);
    ASSERT_OK_AND_ASSIGN(auto writer, Store::Open(dir_.path(), StoreOptions()));
    faults->FailWrite(1, StoreIoError("write", "No space left on device"));
    auto batch = writer->NewBatch();
    batch->Put(Family::kMeta, "x", "1");
    EXPECT_THAT(writer->Write(*batch, false),
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr("space")));
    StoreOptions ro;
    ro.read_only = true;
    ro.create_if_missing = false;
    ASSERT_OK_AND_ASSIGN(auto reader, Store::Open(dir_.path(), ro));
    faults->FailRead(1, StoreIoError("read", "Input/output error"));
    std::string v;
    EXPECT_OK(reader->Get(nullptr, Family::kMeta, "x", &v));  // read-only: not wrapped
  }
  // Uninstalled: a new store is the real one.
  ASSERT_OK_AND_ASSIGN(auto plain, Store::Open(dir_.path(), StoreOptions()));
  faults->FailWrite(1, StoreIoError("write", "No space left on device"));
  auto batch = plain->NewBatch();
  batch->Put(Family::kMeta, "y", "1");
  EXPECT_OK(plain->Write(*batch, false));
}

}  // namespace
}  // namespace cotrack

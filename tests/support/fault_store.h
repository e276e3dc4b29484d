// A Store that injects faults, for tests of the error paths that otherwise
// only the crash campaign and fuzzing reach: failed, torn and short writes,
// and reads that fail or return damaged bytes, at chosen calls or keys.
//
//   auto faults = std::make_shared<Faults>();
//   FaultStores scope(faults);               // stores opened from now on
//   auto db = Database::Open(dir.path());    // ... sit behind a FaultStore
//   faults->FailWrite(1, StoreIoError("write", "No space left on device"));
//   EXPECT_THAT(db->Record(obs), StatusIs(absl::StatusCode::kUnavailable, _));
//
// The store underneath is the real one (storage/store.h), reached through
// storage/store_testing.h: everything that is not a fault behaves exactly as
// in production.
#ifndef COTRACK_TESTS_SUPPORT_FAULT_STORE_H_
#define COTRACK_TESTS_SUPPORT_FAULT_STORE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "storage/store.h"
#include "storage/store_testing.h"

namespace cotrack::testing {

// The errors the real store returns for RocksDB's I/O errors and, when
// reading, corruption (made by the storage layer's own converter, so a fault
// reads exactly as the real failure would): `context` is what was being done
// ("write", "read series"), `detail` RocksDB's text ("No space left on
// device", "block checksum mismatch in /db/000012.sst").
absl::Status StoreIoError(absl::string_view context, absl::string_view detail);
absl::Status StoreCorruption(absl::string_view context, absl::string_view detail);

// What goes wrong, and when. Shared by a test and every FaultStore it
// installed; thread-safe (the engine calls its store from several threads).
// "nth" counts calls of that kind from the moment the fault is set: 1 is the
// next one. Each nth-call fault fires once; key faults stay until Clear.
class Faults {
 public:
  // ---- Writes (Store::Write; Delete counts as a write too, and is failed or
  // torn, never shortened). ----
  // The nth write applies nothing and returns `error`.
  void FailWrite(int nth, absl::Status error);
  // The nth write applies only its first `kept` changes (in the order they
  // were added) and returns `result`: a store that broke its promise of
  // atomicity. With `result` OK, it claims success.
  void TearWrite(int nth, size_t kept, absl::Status result);
  // The nth write applies every change, but each value of family `f` keeps
  // only its first `kept_bytes` bytes, and returns `result`: a short write
  // (a disk that lost the end of what it was given). With `result` OK, it
  // claims success.
  void ShortWrite(int nth, Family f, size_t kept_bytes, absl::Status result);
  // Store::NewIngestBatch fails with `error` (every time, until Clear).
  void FailIngestBatches(absl::Status error);

  // ---- Reads (Get, MultiGet and Scan; a MultiGet or a Scan is one call). ----
  // The nth read call returns `error`; a Scan first delivers up to
  // `after_entries` entries (all there are, when fewer).
  void FailRead(int nth, absl::Status error, int after_entries = 0);
  // Every read reaching a key of family `f` that starts with `prefix` returns
  // `error`; a Scan delivers the keys before it first.
  void FailReads(Family f, std::string prefix, absl::Status error);
  // Every read of a key of family `f` that starts with `prefix` returns its
  // value with one bit flipped in the middle: damage the store's own
  // checksums did not catch.
  void DamageReads(Family f, std::string prefix);

  // Removes every fault (counts go on).
  void Clear();

  // Calls seen so far, by every FaultStore sharing these faults.
  int64_t writes() const;
  int64_t reads() const;
  // Faults that struck a call so far (a key fault, once per read it hit).
  int64_t fired() const;

 private:
  friend class FaultStore;

  // What a Write should do.
  struct WritePlan {
    enum Kind { kApply, kFail, kTear, kShort } kind = kApply;
    absl::Status status;            // returned instead of the store's (kFail, kTear, kShort)
    size_t kept = 0;                // kTear: changes kept; kShort: bytes kept per value
    Family family = Family::kMeta;  // kShort
  };
  // What a read call should do.
  struct ReadPlan {
    std::optional<absl::Status> fail;  // the whole call fails...
    int after_entries = 0;             // ...after this many Scan entries
  };
  struct KeyFault {
    Family family;
    std::string prefix;
    std::optional<absl::Status> error;  // none: damage instead
  };

  WritePlan NextWrite();
  ReadPlan NextRead();
  // The key fault for (f, key), if any.
  std::optional<KeyFault> ForKey(Family f, absl::string_view key);
  std::optional<absl::Status> IngestBatchError();

  mutable std::mutex mu_;
  int64_t writes_ = 0;
  int64_t reads_ = 0;
  int64_t fired_ = 0;
  struct NthWrite {
    int64_t at;
    WritePlan plan;
  };
  std::vector<NthWrite> nth_writes_;
  struct NthRead {
    int64_t at;
    ReadPlan plan;
  };
  std::vector<NthRead> nth_reads_;
  std::vector<KeyFault> key_faults_;
  std::optional<absl::Status> ingest_error_;
};

// Puts every Store opened in this process while it lives behind a
// FaultStore driven by `faults` (read-only opens too, unless
// `writable_only`), and restores the previous wrapper when destroyed. Stores
// opened meanwhile keep their FaultStore after it.
class FaultStores {
 public:
  explicit FaultStores(std::shared_ptr<Faults> faults, bool writable_only = false);
  ~FaultStores();
  FaultStores(const FaultStores&) = delete;
  FaultStores& operator=(const FaultStores&) = delete;

 private:
  StoreWrapper previous_;
};

// The wrapper itself, for tests that build their own seam.
std::unique_ptr<Store> NewFaultStore(std::unique_ptr<Store> store, std::shared_ptr<Faults> faults);

}  // namespace cotrack::testing

#endif  // COTRACK_TESTS_SUPPORT_FAULT_STORE_H_

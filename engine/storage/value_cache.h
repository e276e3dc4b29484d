// A cache of whole series values in front of RocksDB, for RocksStore.
#ifndef COTRACK_STORAGE_VALUE_CACHE_H_
#define COTRACK_STORAGE_VALUE_CACHE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace cotrack {

// Whole series values of point reads, by key, in front of RocksDB's own
// lookup (super version, file picking, index and block lookups, replay
// log): a hit costs one hash lookup and a copy. Only this process writes
// the database while the store is writable (RocksDB's lock), and every write
// goes through RocksStore's Write, Delete or an ingestion, which invalidate
// what they touch: the keys of a batch, or everything after an ingestion. An entry
// therefore stays good across writes to other keys, as a trajectory read
// between recorded visits needs (a read-only store sees no writes at all).
// A hit is exactly what RocksDB would answer. Reads through a snapshot
// bypass it.
//
// A read races a write to its key: it may have read the value before the
// write and insert it after the write's invalidation. Each shard therefore
// remembers the sequence number after its last invalidation, and a value
// read at an older sequence number is not inserted.
//
// Until 2026-12 entries were tagged with the sequence number and dropped by
// every write, so RocksDB's row cache (64 MiB) had to keep hot reads fast
// across writes; its miss and insert cost about 2 us of each first visit to
// a patient. Issue 13's store, 8,000 first visits of 2 measures from Python
// (p50, three runs each, alternating): 34.0-35.5 us with the row cache and
// per-write tags, 30.8-33.1 without the row cache and with invalidation;
// the same visits each followed by a trajectory read of one of 1,000 hot
// patients: trajectory p50 34.4-40.4 -> 26.4-27.6 us, visit 47.3-56.3 ->
// 43.7-45.2 us.
class ValueCache {
 public:
  // No entries at all with a capacity of 0.
  explicit ValueCache(size_t capacity_bytes);

  bool enabled() const { return enabled_; }

  // True, with *value set, when `key` is cached.
  bool Lookup(absl::string_view key, std::string* value);

  // Remembers `value` as the value of `key`, read from RocksDB at sequence
  // number `read_seq` (taken before the read), unless a change of a key of
  // the same shard was invalidated at a later sequence number. A value
  // larger than a quarter of a shard is not kept.
  void Insert(absl::string_view key, uint64_t read_seq, absl::string_view value);

  // Forgets `key`'s value: a write to it was applied, and `seq` is the
  // database's sequence number after that write. The entry keeps its place
  // in the eviction order (one place per key, however often it is written).
  void Invalidate(absl::string_view key, uint64_t seq);

  // Forgets every value (after an ingestion of table files); `seq` as for
  // Invalidate.
  void InvalidateAll(uint64_t seq);

  // Bytes held, and keys with a place in the eviction order (valid or not).
  size_t bytes() const;
  size_t keys() const;

 private:
  static constexpr size_t kShards = 16;
  static constexpr size_t kEntryOverhead = 96;  // map slot, queue slot, string headers

  struct Entry {
    bool valid = false;
    std::string value;
  };
  struct Shard {
    mutable std::mutex mu;
    absl::flat_hash_map<std::string, Entry> entries;
    std::deque<std::string> order;  // keys of `entries`, oldest first
    size_t bytes = 0;
    uint64_t invalidated_at = 0;  // sequence number after the last invalidation
  };

  static size_t Cost(size_t key_size, size_t value_size) {
    return 2 * key_size + value_size + kEntryOverhead;
  }
  Shard& ShardOf(absl::string_view key);

  const bool enabled_;
  const size_t shard_capacity_;
  std::array<Shard, kShards> shards_;
};

}  // namespace cotrack

#endif  // COTRACK_STORAGE_VALUE_CACHE_H_

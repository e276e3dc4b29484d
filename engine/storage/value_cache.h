// A cache of whole series values in front of RocksDB, for RocksStore.
#ifndef COTRACK_STORAGE_VALUE_CACHE_H_
#define COTRACK_STORAGE_VALUE_CACHE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace cotrack {

// Whole series values of point reads, by key, in front of RocksDB's own
// lookup (super version, file picking, index and block lookups, replay
// log): a hit costs one hash lookup and a copy. Only this process writes the
// database while the store is writable (RocksDB's lock), and every write goes
// through RocksStore's Write, Delete or an ingestion, which drop exactly what
// they touch: the series keys of a batch, or everything for an ingestion. An
// entry therefore stays good across writes to other keys, as trajectory reads
// between recorded visits need (a read-only store sees no writes at all). A
// hit is exactly what RocksDB would answer. Reads through a snapshot bypass
// it.
//
// Until 2026-12-04 every write dropped every entry, and RocksDB's row cache
// (64 MiB) kept hot reads fast across writes, at the cost of a lookup and an
// insert per table file a missing read visits. Issue 13's store, Python,
// p50, alternating builds: 8,000 visits of 2 measures, each followed by a
// trajectory read of one of 1,000 hot patients, trajectory 28.0-31.9 ->
// 23.7-26.1 us; first visits to patients of a store that earlier visits had
// left with several table files per family 33.4-36.9 -> 31.4-32.7 us (the
// same on a freshly imported store: one file per family, one probe).
//
// Writes bracket their commit with BeginWrite and EndWrite. BeginWrite drops
// the values of the keys the write touches and marks their shards pending, so
// that from before the commit until after it no old value is found or kept; a
// read that raced the write (read before the commit, inserting after it) is
// refused by EndWrite's sequence number. At any moment, then, every value the
// cache holds is the database's current value of its key.
//
// A read of several keys that must be one moment's values (Store::MultiGet:
// a visit written together is read together) takes some values from here
// and the rest from RocksDB a little later. A write may begin in between:
// QuietGeneration and Unchanged tell whether one did, and the reader then
// reads everything from RocksDB instead.
class ValueCache {
 public:
  // No entries at all with a capacity of 0.
  explicit ValueCache(size_t capacity_bytes);

  bool enabled() const { return enabled_; }

  // True, with *value set, when `key` is cached.
  bool Lookup(absl::string_view key, std::string* value);

  // Remembers `value` as the value of `key`, read from RocksDB at sequence
  // number `read_seq` (taken before the read), unless a write of a key of
  // the same shard is in progress or ended at a later sequence number. A
  // value larger than a quarter of a shard is not kept.
  void Insert(absl::string_view key, uint64_t read_seq, absl::string_view value);

  // Called before a write of `keys` is committed (views valid until
  // EndWrite returns): drops their values and refuses new values of any key
  // of their shards until EndWrite. With `all`, every key (an ingestion of
  // table files): the cache is emptied. Entries keep their place in the
  // eviction order (one place per key, however often it is written).
  void BeginWrite(absl::Span<const absl::string_view> keys, bool all);
  // Called after the write is committed or has failed; `seq` is the
  // database's sequence number after it. Values read at an older sequence
  // number are refused from then on.
  void EndWrite(absl::Span<const absl::string_view> keys, bool all, uint64_t seq);

  // The number of writes begun so far when none is in progress (nullopt
  // while one is). A reader that saw generation G and finds it unchanged
  // after reading knows that no write started in between.
  std::optional<uint64_t> QuietGeneration() const;
  bool Unchanged(uint64_t generation) const { return begun_.load() == generation; }

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
    uint64_t invalidated_at = 0;  // sequence number after the last write ended
    // Keys of the shard in writes in progress (counted once per key), and
    // ingestions in progress. A counter rather than the keys themselves:
    // while any write of the shard is in progress no value is kept, which
    // costs a few misses and spares every write an allocation per key.
    int pending = 0;
    int pending_all = 0;
  };

  static size_t Cost(size_t key_size, size_t value_size) {
    return 2 * key_size + value_size + kEntryOverhead;
  }
  Shard& ShardOf(absl::string_view key);

  const bool enabled_;
  const size_t shard_capacity_;
  std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> begun_{0};  // writes begun
  std::atomic<uint64_t> ended_{0};  // writes ended
};

}  // namespace cotrack

#endif  // COTRACK_STORAGE_VALUE_CACHE_H_

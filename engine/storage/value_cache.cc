#include "storage/value_cache.h"

#include <algorithm>

#include "absl/hash/hash.h"

namespace cotrack {

ValueCache::ValueCache(size_t capacity_bytes)
    : enabled_(capacity_bytes > 0),
      shard_capacity_(std::max<size_t>(capacity_bytes / kShards, 1)) {}

ValueCache::Shard& ValueCache::ShardOf(absl::string_view key) {
  return shards_[absl::Hash<absl::string_view>()(key) % kShards];
}

bool ValueCache::Lookup(absl::string_view key, std::string* value) {
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.entries.find(key);
  if (it == shard.entries.end() || !it->second.valid) return false;
  value->assign(it->second.value);
  return true;
}

void ValueCache::Insert(absl::string_view key, uint64_t read_seq, absl::string_view value) {
  const size_t cost = Cost(key.size(), value.size());
  if (cost > shard_capacity_ / 4) return;  // one huge series must not flush the rest
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  // Maybe read before a write that has ended, or one still in progress.
  if (read_seq < shard.invalidated_at || shard.pending > 0 || shard.pending_all > 0) return;
  auto [it, inserted] = shard.entries.try_emplace(key);
  if (inserted) {
    shard.order.emplace_back(key);
  } else {
    shard.bytes -= Cost(key.size(), it->second.value.size());
  }
  it->second.valid = true;
  it->second.value.assign(value.data(), value.size());
  shard.bytes += cost;
  // Oldest first out: no bookkeeping on a hit, one erase per insert once
  // full. Never the entry just inserted (it is last in `order`).
  while (shard.bytes > shard_capacity_ && shard.order.size() > 1) {
    auto old = shard.entries.find(shard.order.front());
    if (old != shard.entries.end()) {
      shard.bytes -= Cost(old->first.size(), old->second.value.size());
      shard.entries.erase(old);
    }
    shard.order.pop_front();
  }
}

void ValueCache::BeginWrite(absl::Span<const absl::string_view> keys, bool all) {
  begun_.fetch_add(1);
  if (all) {
    for (Shard& shard : shards_) {
      std::lock_guard<std::mutex> lock(shard.mu);
      ++shard.pending_all;
      shard.entries.clear();
      shard.order.clear();
      shard.bytes = 0;
    }
    return;
  }
  for (absl::string_view key : keys) {
    Shard& shard = ShardOf(key);
    std::lock_guard<std::mutex> lock(shard.mu);
    ++shard.pending;
    auto it = shard.entries.find(key);
    if (it == shard.entries.end() || !it->second.valid) continue;
    shard.bytes -= it->second.value.size();
    it->second.valid = false;
    std::string().swap(it->second.value);
  }
}

void ValueCache::EndWrite(absl::Span<const absl::string_view> keys, bool all, uint64_t seq) {
  if (all) {
    for (Shard& shard : shards_) {
      std::lock_guard<std::mutex> lock(shard.mu);
      --shard.pending_all;
      shard.invalidated_at = std::max(shard.invalidated_at, seq);
    }
  } else {
    for (absl::string_view key : keys) {
      Shard& shard = ShardOf(key);
      std::lock_guard<std::mutex> lock(shard.mu);
      shard.invalidated_at = std::max(shard.invalidated_at, seq);
      --shard.pending;
    }
  }
  ended_.fetch_add(1);
}

std::optional<uint64_t> ValueCache::QuietGeneration() const {
  // Ended first: a write that begins between the two loads makes them
  // differ.
  const uint64_t ended = ended_.load();
  const uint64_t begun = begun_.load();
  if (begun != ended) return std::nullopt;
  return begun;
}

size_t ValueCache::bytes() const {
  size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    total += shard.bytes;
  }
  return total;
}

size_t ValueCache::keys() const {
  size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    total += shard.order.size();
  }
  return total;
}

}  // namespace cotrack

#include "db/staging.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <queue>

#include "absl/strings/str_cat.h"
#include "codec/crc32c.h"
#include "cotrack/status_macros.h"

namespace cotrack {
namespace {

// Spill to a run past this much text or items even under the memory limit:
// packed offsets are 32-bit.
constexpr size_t kMaxArena = size_t{1} << 31;
// Changes between a prefetch and their use while draining.
constexpr size_t kPrefetchAhead = 16;

void Append(std::string& out, const void* data, size_t n) {
  if (n > 0) out.append(static_cast<const char*>(data), n);  // data may be null when n is 0
}

}  // namespace

// A run file holds changes in sorted order, each as
// [u32 masked CRC-32C of the rest][Packed][text][items]; the packed offsets
// are meaningless on disk (the reader's own buffers hold text and items).
class ChangeSorter::RunReader {
 public:
  explicit RunReader(const std::string& path) : in_(path, std::ios::binary), path_(path) {}

  // Reads the next change into cur(), text() and items(); false at the end.
  absl::StatusOr<bool> Next() {
    uint32_t crc;
    if (!in_.read(reinterpret_cast<char*>(&crc), 4)) return false;
    body_.resize(sizeof cur_);
    if (!in_.read(body_.data(), sizeof cur_)) return Broken();
    std::memcpy(&cur_, body_.data(), sizeof cur_);
    const size_t text_size = size_t{cur_.value_len} + cur_.unit_len + cur_.visit_len;
    const size_t items_size = size_t{cur_.item_count} * sizeof(double);
    body_.resize(sizeof cur_ + text_size + items_size);
    if (!in_.read(body_.data() + sizeof cur_,
                  static_cast<std::streamsize>(text_size + items_size))) {
      return Broken();
    }
    if (crc32c::Mask(crc32c::Value(body_.data(), body_.size())) != crc) {
      return absl::DataLossError(absl::StrCat("staging run ", path_, " is damaged"));
    }
    items_.resize(cur_.item_count);  // aligned for doubles, unlike body_
    if (items_size > 0) {            // memcpy wants real pointers even for 0 bytes
      std::memcpy(items_.data(), body_.data() + sizeof cur_ + text_size, items_size);
    }
    return true;
  }
  const Packed& cur() const { return cur_; }
  const char* text() const { return body_.data() + sizeof cur_; }
  const double* items() const { return items_.data(); }

 private:
  absl::Status Broken() {
    return absl::DataLossError(absl::StrCat("staging run ", path_, " is truncated"));
  }
  std::ifstream in_;
  std::string path_;
  Packed cur_;
  std::string body_;  // the record after its CRC
  std::vector<double> items_;
};

ChangeSorter::ChangeSorter(std::string parent_dir, size_t memory_limit_bytes)
    : parent_dir_(std::move(parent_dir)), memory_limit_(memory_limit_bytes) {}

ChangeSorter::~ChangeSorter() {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

uint32_t ChangeSorter::InternProvenance(const Provenance& p) {
  // A write's changes nearly always share one provenance (a file, a user):
  // comparing with the last one is enough to store it once.
  if (!provenances_.empty()) {
    const Provenance& last = provenances_.back();
    if (last.source == p.source && last.user == p.user && last.reason == p.reason) {
      return static_cast<uint32_t>(provenances_.size() - 1);
    }
  }
  Provenance& added = provenances_.emplace_back(p);
  added.line = 0;
  provenance_bytes_ += sizeof(Provenance) + p.source.size() + p.user.size() + p.reason.size();
  return static_cast<uint32_t>(provenances_.size() - 1);
}

absl::Status ChangeSorter::Add(const StagedChange& change) {
  const Observation& o = change.obs;
  Packed p;
  std::memset(&p, 0, sizeof p);  // padding too: runs are written as bytes
  p.measure_id = change.measure_id;
  p.patient_num = change.patient_num;
  p.seconds = o.time.seconds;
  p.precision = static_cast<uint8_t>(o.time.precision);
  p.value = o.value;
  p.comparator = static_cast<uint8_t>(o.comparator);
  p.retraction = change.retraction ? 1 : 0;
  p.line = o.provenance.line;
  p.text = static_cast<uint32_t>(text_.size());
  p.value_len = static_cast<uint32_t>(o.original_value.size());
  p.unit_len = static_cast<uint32_t>(o.original_unit.size());
  p.visit_len = static_cast<uint32_t>(o.visit.size());
  text_ += o.original_value;
  text_ += o.original_unit;
  text_ += o.visit;
  p.items = static_cast<uint32_t>(items_.size());
  p.item_count = static_cast<uint32_t>(o.items.size());
  items_.insert(items_.end(), o.items.begin(), o.items.end());
  p.provenance = InternProvenance(o.provenance);
  packed_.push_back(p);
  order_.emplace_back();  // filled by SortBuffer; growing it here keeps its page faults off Drain
  ++count_;
  const size_t used = packed_.size() * (sizeof(Packed) + sizeof(SortKey)) + text_.size() +
                      items_.size() * sizeof(double) + provenance_bytes_;
  if (used > memory_limit_ || text_.size() > kMaxArena || items_.size() > kMaxArena / 8 ||
      packed_.size() == UINT32_MAX) {
    return Spill();
  }
  return absl::OkStatus();
}

void ChangeSorter::Unpack(const Packed& p, const char* text, const double* items,
                          StagedChange* out) const {
  out->measure_id = p.measure_id;
  out->patient_num = p.patient_num;
  out->retraction = p.retraction != 0;
  Observation& o = out->obs;
  o.time = CivilTime{p.seconds, static_cast<TimePrecision>(p.precision)};
  o.value = p.value;
  o.comparator = static_cast<Comparator>(p.comparator);
  o.original_value.assign(text, p.value_len);
  o.original_unit.assign(text + p.value_len, p.unit_len);
  o.visit.assign(text + p.value_len + p.unit_len, p.visit_len);
  o.items.assign(items, items + p.item_count);
  const Provenance& provenance = provenances_[p.provenance];
  o.provenance.source = provenance.source;
  o.provenance.user = provenance.user;
  o.provenance.reason = provenance.reason;
  o.provenance.line = p.line;
  o.status = ObservationStatus::kFinal;
  o.version = 1;
  o.recorded_at_us = 0;
}

void ChangeSorter::ClearBuffer() {
  packed_.clear();
  order_.clear();
  order_.shrink_to_fit();
  text_.clear();
  text_.shrink_to_fit();
  items_.clear();
  items_.shrink_to_fit();
}

absl::Status ChangeSorter::Spill() {
  if (dir_.empty()) {
    std::string tmpl = absl::StrCat(parent_dir_, "/.staging-XXXXXX");
    if (mkdtemp(tmpl.data()) == nullptr) {
      return absl::UnavailableError(absl::StrCat("cannot create a staging directory in ",
                                                 parent_dir_, ": ", std::strerror(errno)));
    }
    dir_ = tmpl;
  }
  SortBuffer();
  const std::string path = absl::StrCat(dir_, "/run-", runs_.size());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::string record;
  for (const SortKey& k : order_) {
    const Packed& p = packed_[k.index];
    record.clear();
    Append(record, &p, sizeof p);
    Append(record, text_.data() + p.text, size_t{p.value_len} + p.unit_len + p.visit_len);
    Append(record, items_.data() + p.items, p.item_count * sizeof(double));
    const uint32_t crc = crc32c::Mask(crc32c::Value(record.data(), record.size()));
    out.write(reinterpret_cast<const char*>(&crc), 4);
    out.write(record.data(), static_cast<std::streamsize>(record.size()));
  }
  out.flush();
  if (!out) {
    return absl::UnavailableError(
        absl::StrCat("cannot write staging run ", path, " (disk full?): ", std::strerror(errno)));
  }
  runs_.push_back(path);
  ClearBuffer();
  return absl::OkStatus();
}

void ChangeSorter::SortBuffer() {
  auto less = [](const SortKey& a, const SortKey& b) {
    if (a.series != b.series) return a.series < b.series;
    if (a.time != b.time) return a.time < b.time;
    return a.index < b.index;  // within the buffer, index order is arrival order
  };
  // Files list a patient's rows together with the measures interleaved, so
  // the changes of one measure usually arrive already in (patient, time)
  // order: a stable split by measure, then a sort only of measures that need
  // one, is several times cheaper than sorting everything.
  constexpr size_t kMaxBuckets = 64;
  std::vector<std::pair<uint32_t, size_t>> buckets;  // measure id, count; then start
  size_t last = 0;
  for (size_t i = 0; i < packed_.size(); ++i) {
    const Packed& p = packed_[i];
    if (last < buckets.size() && buckets[last].first == p.measure_id) {
      ++buckets[last].second;
      continue;
    }
    last = 0;
    while (last < buckets.size() && buckets[last].first != p.measure_id) ++last;
    if (last == buckets.size()) {
      if (buckets.size() == kMaxBuckets) break;
      buckets.emplace_back(p.measure_id, 0);
    }
    ++buckets[last].second;
  }
  if (buckets.size() == kMaxBuckets) {
    for (uint32_t i = 0; i < order_.size(); ++i) {
      const Packed& p = packed_[i];
      order_[i] = {uint64_t{p.measure_id} << 32 | p.patient_num, p.seconds, i};
    }
    std::sort(order_.begin(), order_.end(), less);
    return;
  }
  std::sort(buckets.begin(), buckets.end());
  std::vector<size_t> bounds;  // bucket b is [bounds[b], bounds[b + 1])
  bounds.push_back(0);
  for (auto& [measure, count] : buckets) {
    bounds.push_back(bounds.back() + count);
    count = bounds[bounds.size() - 2];  // now the next free slot
  }
  last = 0;
  for (uint32_t i = 0; i < packed_.size(); ++i) {
    const Packed& p = packed_[i];
    if (buckets[last].first != p.measure_id) {
      last = 0;
      while (buckets[last].first != p.measure_id) ++last;
    }
    order_[buckets[last].second++] = {uint64_t{p.measure_id} << 32 | p.patient_num, p.seconds, i};
  }
  for (size_t b = 0; b + 1 < bounds.size(); ++b) {
    const auto first = order_.begin() + static_cast<ptrdiff_t>(bounds[b]);
    const auto end = order_.begin() + static_cast<ptrdiff_t>(bounds[b + 1]);
    if (!std::is_sorted(first, end, less)) std::sort(first, end, less);
  }
}

absl::Status ChangeSorter::Drain(const SeriesFn& fn) {
  SortBuffer();
  if (!runs_.empty()) return DrainRuns(fn);
  std::vector<StagedChange> group;  // one series; reused, strings keep their capacity
  for (size_t i = 0; i < order_.size();) {
    const uint64_t series = order_[i].series;
    size_t n = 0;
    for (; i < order_.size() && order_[i].series == series; ++i, ++n) {
      if (group.size() == n) group.emplace_back();
      // The buffer is read in sorted order, not in the order it was filled:
      // without a prefetch nearly every change is a cache miss.
      // The text's offset is in the change: prefetch that first.
      if (i + 2 * kPrefetchAhead < order_.size()) {
        __builtin_prefetch(&packed_[order_[i + 2 * kPrefetchAhead].index]);
      }
      if (i + kPrefetchAhead < order_.size()) {
        __builtin_prefetch(text_.data() + packed_[order_[i + kPrefetchAhead].index].text);
      }
      const Packed& p = packed_[order_[i].index];
      Unpack(p, text_.data() + p.text, items_.data() + p.items, &group[n]);
    }
    COTRACK_RETURN_IF_ERROR(fn(absl::MakeSpan(group.data(), n)));
  }
  ClearBuffer();
  return absl::OkStatus();
}

absl::Status ChangeSorter::DrainRuns(const SeriesFn& fn) {
  // K-way merge of the runs (oldest first) and the sorted buffer (newest):
  // on equal (series, time), the lower source arrived first.
  const size_t memory = runs_.size();
  struct Head {
    uint64_t series;
    int64_t time;
    size_t source;
  };
  auto later = [](const Head& a, const Head& b) {
    if (a.series != b.series) return a.series > b.series;
    if (a.time != b.time) return a.time > b.time;
    return a.source > b.source;
  };
  std::priority_queue<Head, std::vector<Head>, decltype(later)> heap(later);
  std::vector<std::unique_ptr<RunReader>> readers;
  size_t next_buffered = 0;
  auto refill = [&](size_t source) -> absl::Status {
    const Packed* p;
    if (source == memory) {
      if (next_buffered == order_.size()) return absl::OkStatus();
      p = &packed_[order_[next_buffered].index];
    } else {
      COTRACK_ASSIGN_OR_RETURN(bool more, readers[source]->Next());
      if (!more) return absl::OkStatus();
      p = &readers[source]->cur();
    }
    heap.push(Head{uint64_t{p->measure_id} << 32 | p->patient_num, p->seconds, source});
    return absl::OkStatus();
  };
  for (const std::string& run : runs_) readers.push_back(std::make_unique<RunReader>(run));
  for (size_t i = 0; i <= memory; ++i) COTRACK_RETURN_IF_ERROR(refill(i));
  std::vector<StagedChange> group;
  size_t n = 0;
  uint64_t group_series = 0;
  while (!heap.empty()) {
    const Head h = heap.top();
    heap.pop();
    if (n > 0 && h.series != group_series) {
      COTRACK_RETURN_IF_ERROR(fn(absl::MakeSpan(group.data(), n)));
      n = 0;
    }
    group_series = h.series;
    if (group.size() == n) group.emplace_back();
    if (h.source == memory) {
      const Packed& p = packed_[order_[next_buffered++].index];
      Unpack(p, text_.data() + p.text, items_.data() + p.items, &group[n++]);
    } else {
      const RunReader& r = *readers[h.source];
      Unpack(r.cur(), r.text(), r.items(), &group[n++]);
    }
    COTRACK_RETURN_IF_ERROR(refill(h.source));
  }
  if (n > 0) COTRACK_RETURN_IF_ERROR(fn(absl::MakeSpan(group.data(), n)));
  ClearBuffer();
  return absl::OkStatus();
}

}  // namespace cotrack

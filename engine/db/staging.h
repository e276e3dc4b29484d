// Staged changes of a bulk write, sorted by (series, time, arrival) with
// bounded memory: changes are kept in a compact form (88 bytes each with
// their sort key, strings in one arena, provenance stored once per source), and past a limit
// sorted runs spill to files inside the database directory and are merged
// back when the write commits.
#ifndef COTRACK_DB_STAGING_H_
#define COTRACK_DB_STAGING_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "cotrack/types.h"

namespace cotrack {

struct StagedChange {
  uint32_t measure_id = 0;
  uint32_t patient_num = 0;
  bool retraction = false;
  // The new version's content (version, status and recording time are
  // decided at commit); for a retraction, the time and the provenance with
  // its reason.
  Observation obs;
};

class ChangeSorter {
 public:
  // Runs go to a private directory created inside `parent_dir` on the first
  // spill and removed with the sorter.
  ChangeSorter(std::string parent_dir, size_t memory_limit_bytes);
  ~ChangeSorter();
  ChangeSorter(const ChangeSorter&) = delete;
  ChangeSorter& operator=(const ChangeSorter&) = delete;

  // Copies what the change holds (obs.patient, obs.measure, obs.unit, status,
  // version and recorded_at are not kept).
  absl::Status Add(const StagedChange& change);
  size_t size() const { return count_; }
  bool spilled() const { return !runs_.empty(); }

  // Calls fn once per series, in (measure, patient) order, with that
  // series' changes in (time, arrival) order; fn may move from them. The
  // sorter is spent afterwards.
  using SeriesFn = std::function<absl::Status(absl::Span<StagedChange>)>;
  absl::Status Drain(const SeriesFn& fn);

 private:
  // One staged change, without its strings and items (in text_ and items_).
  struct Packed {
    uint32_t measure_id;
    uint32_t patient_num;
    int64_t seconds;
    double value;
    int64_t line;
    uint32_t text;  // offset of original value, original unit and visit in text_
    uint32_t value_len;
    uint32_t unit_len;
    uint32_t visit_len;
    uint32_t items;  // offset in items_
    uint32_t item_count;
    uint32_t provenance;  // index in provenances_
    uint8_t precision;
    uint8_t comparator;
    uint8_t retraction;
  };
  // The buffer's sort order as small keys: sorting the changes themselves
  // was the largest cost of an import.
  struct SortKey {
    uint64_t series;  // measure id << 32 | patient number
    int64_t time;
    uint32_t index;  // into packed_; arrival order within the buffer
  };
  class RunReader;
  // The packed changes in fixed blocks: a growing vector copied them at
  // every doubling and touched twice their memory (page faults were a third
  // of staging an import).
  class PackedBlocks {
   public:
    void push_back(const Packed& p) {
      if ((size_ & (kPerBlock - 1)) == 0) blocks_.emplace_back(new Packed[kPerBlock]);
      blocks_.back()[size_ & (kPerBlock - 1)] = p;
      ++size_;
    }
    const Packed& operator[](size_t i) const { return blocks_[i >> kShift][i & (kPerBlock - 1)]; }
    size_t size() const { return size_; }
    void clear() {
      blocks_.clear();
      blocks_.shrink_to_fit();
      size_ = 0;
    }

   private:
    static constexpr size_t kShift = 14;  // 1 MiB blocks
    static constexpr size_t kPerBlock = size_t{1} << kShift;
    std::vector<std::unique_ptr<Packed[]>> blocks_;
    size_t size_ = 0;
  };

  uint32_t InternProvenance(const Provenance& p);
  // Fills `out` from a packed change whose strings and items are at `text`
  // and `items`.
  void Unpack(const Packed& p, const char* text, const double* items, StagedChange* out) const;
  void SortBuffer();
  void ClearBuffer();
  absl::Status Spill();
  absl::Status DrainRuns(const SeriesFn& fn);

  std::string parent_dir_;
  std::string dir_;
  size_t memory_limit_;
  size_t count_ = 0;
  PackedBlocks packed_;
  std::string text_;
  std::vector<double> items_;
  std::vector<SortKey> order_;
  // Kept across spills: runs refer to it by index.
  std::vector<Provenance> provenances_;
  size_t provenance_bytes_ = 0;
  std::vector<std::string> runs_;
};

}  // namespace cotrack

#endif  // COTRACK_DB_STAGING_H_

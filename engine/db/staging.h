// Staged changes of a bulk write, sorted by (series, time, arrival) with
// bounded memory: past a limit, sorted runs spill to files inside the
// database directory and are merged back when the write commits.
#ifndef COTRACK_DB_STAGING_H_
#define COTRACK_DB_STAGING_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cotrack/types.h"

namespace cotrack {

struct StagedChange {
  uint32_t measure_id = 0;
  uint32_t patient_num = 0;
  uint64_t sequence = 0;  // arrival order: ties on time keep it
  bool retraction = false;
  // The new version's content (version and status are decided at commit);
  // for a retraction, the time and the provenance with its reason.
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

  absl::Status Add(StagedChange change);
  size_t size() const { return count_; }
  bool spilled() const { return !runs_.empty(); }

  // Calls fn with every change in (measure, patient, time, sequence) order;
  // the sorter is spent afterwards.
  absl::Status Drain(const std::function<absl::Status(StagedChange&)>& fn);

 private:
  absl::Status Spill();

  std::string parent_dir_;
  std::string dir_;
  size_t memory_limit_;
  size_t memory_used_ = 0;
  size_t count_ = 0;
  std::vector<StagedChange> buffer_;
  std::vector<std::string> runs_;
};

}  // namespace cotrack

#endif  // COTRACK_DB_STAGING_H_

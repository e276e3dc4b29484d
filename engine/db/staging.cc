#include "db/staging.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <queue>

#include "absl/strings/str_cat.h"
#include "codec/value_codec.h"
#include "cotrack/status_macros.h"

namespace cotrack {
namespace {

bool Before(const StagedChange& a, const StagedChange& b) {
  if (a.measure_id != b.measure_id) return a.measure_id < b.measure_id;
  if (a.patient_num != b.patient_num) return a.patient_num < b.patient_num;
  if (a.obs.time.seconds != b.obs.time.seconds) return a.obs.time.seconds < b.obs.time.seconds;
  return a.sequence < b.sequence;
}

size_t Footprint(const StagedChange& c) {
  const Observation& o = c.obs;
  return sizeof(StagedChange) + o.original_value.capacity() + o.original_unit.capacity() +
         o.visit.capacity() + o.provenance.source.capacity() + o.provenance.user.capacity() +
         o.provenance.reason.capacity() + o.items.capacity() * sizeof(double);
}

void PutU32(std::ostream& out, uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); }
void PutU64(std::ostream& out, uint64_t v) { out.write(reinterpret_cast<const char*>(&v), 8); }
bool GetU32(std::istream& in, uint32_t* v) { return bool(in.read(reinterpret_cast<char*>(v), 4)); }
bool GetU64(std::istream& in, uint64_t* v) { return bool(in.read(reinterpret_cast<char*>(v), 8)); }

// A run file: per change, ids, sequence, a retraction flag and the content
// as a one-entry observation record (the codec's own framing and CRC).
void WriteChange(std::ostream& out, const StagedChange& c) {
  PutU32(out, c.measure_id);
  PutU32(out, c.patient_num);
  PutU64(out, c.sequence);
  out.put(c.retraction ? 1 : 0);
  std::string log;
  codec::AppendObservations(&log, absl::MakeConstSpan(&c.obs, 1));
  PutU32(out, static_cast<uint32_t>(log.size()));
  out.write(log.data(), static_cast<std::streamsize>(log.size()));
}

class RunReader {
 public:
  explicit RunReader(const std::string& path) : in_(path, std::ios::binary), path_(path) {}
  // False at the end of the run.
  absl::StatusOr<bool> Next(StagedChange* c) {
    uint32_t size;
    if (!GetU32(in_, &c->measure_id)) return false;
    char flag;
    if (!GetU32(in_, &c->patient_num) || !GetU64(in_, &c->sequence) || !in_.get(flag) ||
        !GetU32(in_, &size)) {
      return Broken();
    }
    c->retraction = flag != 0;
    log_.resize(size);
    if (!in_.read(log_.data(), size)) return Broken();
    codec::ObservationLogView view;
    COTRACK_RETURN_IF_ERROR(view.Parse(log_, path_));
    if (view.entries().size() != 1) return Broken();
    view.Materialize(view.entries()[0], &c->obs);
    return true;
  }

 private:
  absl::Status Broken() {
    return absl::DataLossError(absl::StrCat("staging run ", path_, " is truncated"));
  }
  std::ifstream in_;
  std::string path_;
  std::string log_;
};

}  // namespace

ChangeSorter::ChangeSorter(std::string parent_dir, size_t memory_limit_bytes)
    : parent_dir_(std::move(parent_dir)), memory_limit_(memory_limit_bytes) {}

ChangeSorter::~ChangeSorter() {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

absl::Status ChangeSorter::Add(StagedChange change) {
  memory_used_ += Footprint(change);
  buffer_.push_back(std::move(change));
  ++count_;
  if (memory_used_ > memory_limit_) return Spill();
  return absl::OkStatus();
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
  std::sort(buffer_.begin(), buffer_.end(), Before);
  const std::string path = absl::StrCat(dir_, "/run-", runs_.size());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const StagedChange& c : buffer_) WriteChange(out, c);
  out.flush();
  if (!out) {
    return absl::UnavailableError(
        absl::StrCat("cannot write staging run ", path, " (disk full?): ", std::strerror(errno)));
  }
  runs_.push_back(path);
  buffer_.clear();
  buffer_.shrink_to_fit();
  memory_used_ = 0;
  return absl::OkStatus();
}

absl::Status ChangeSorter::Drain(const std::function<absl::Status(StagedChange&)>& fn) {
  std::sort(buffer_.begin(), buffer_.end(), Before);
  if (runs_.empty()) {
    for (StagedChange& c : buffer_) COTRACK_RETURN_IF_ERROR(fn(c));
    buffer_.clear();
    return absl::OkStatus();
  }
  // K-way merge of the runs and what is still in memory.
  struct Head {
    StagedChange change;
    size_t source;  // runs_.size() = the in-memory buffer
  };
  auto later = [](const Head& a, const Head& b) { return Before(b.change, a.change); };
  std::priority_queue<Head, std::vector<Head>, decltype(later)> heap(later);
  std::vector<std::unique_ptr<RunReader>> readers;
  size_t next_buffered = 0;
  auto refill = [&](size_t source) -> absl::Status {
    Head h;
    h.source = source;
    if (source == runs_.size()) {
      if (next_buffered == buffer_.size()) return absl::OkStatus();
      h.change = std::move(buffer_[next_buffered++]);
    } else {
      COTRACK_ASSIGN_OR_RETURN(bool more, readers[source]->Next(&h.change));
      if (!more) return absl::OkStatus();
    }
    heap.push(std::move(h));
    return absl::OkStatus();
  };
  for (const std::string& run : runs_) readers.push_back(std::make_unique<RunReader>(run));
  for (size_t i = 0; i <= runs_.size(); ++i) COTRACK_RETURN_IF_ERROR(refill(i));
  while (!heap.empty()) {
    Head h = std::move(const_cast<Head&>(heap.top()));
    heap.pop();
    COTRACK_RETURN_IF_ERROR(fn(h.change));
    COTRACK_RETURN_IF_ERROR(refill(h.source));
  }
  buffer_.clear();
  return absl::OkStatus();
}

}  // namespace cotrack

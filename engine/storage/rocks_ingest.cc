#include "storage/rocks_ingest.h"

#include <stdlib.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/rocks_status.h"

namespace cotrack {
namespace {

constexpr char kDirPrefix[] = ".ingest-";
// Values handed to the writer thread at a time, and groups that may wait:
// enough to keep both threads busy, little enough to bound memory (a few MB).
constexpr size_t kGroupBytes = 1 << 20;
constexpr size_t kQueuedGroups = 4;

}  // namespace

absl::StatusOr<std::unique_ptr<RocksIngestBatch>> RocksIngestBatch::Create(
    rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
    const std::string& db_path) {
  std::string tmpl = absl::StrCat(db_path, "/", kDirPrefix, "XXXXXX");
  if (mkdtemp(tmpl.data()) == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot create a staging directory in ", db_path, ": ", strerror(errno)));
  }
  return std::unique_ptr<RocksIngestBatch>(new RocksIngestBatch(db, handles, tmpl));
}

RocksIngestBatch::RocksIngestBatch(rocksdb::DB* db,
                                   std::vector<rocksdb::ColumnFamilyHandle*> handles,
                                   std::string dir)
    : db_(db), handles_(std::move(handles)), dir_(std::move(dir)) {
  writers_.resize(handles_.size());
  files_.resize(handles_.size());
  writer_ = std::thread([this] { WriteLoop(); });
}

RocksIngestBatch::~RocksIngestBatch() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.clear();  // not ingested: nothing left is worth writing
  }
  StopWriter();
  writers_.clear();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

rocksdb::SstFileWriter* RocksIngestBatch::WriterFor(Family f) {
  const int i = static_cast<int>(f);
  if (writers_[i] == nullptr) {
    // The family's own options: same table format, compression and, through
    // the DB's Env, the same encryption as files RocksDB writes itself.
    rocksdb::Options options = db_->GetOptions(handles_[i]);
    // The compression of a memtable flush (LZ4), not the bottom level's
    // (LZ4HC, rocks_store.cc): an import's files go in at the bottom level,
    // and compressing them there harder cost 12 % more CPU per import
    // (issue 13's file, `cotrack import`, user+sys 2.34 s against 2.08 s,
    // medians of 5); in wall time 10-20 % (0.97-1.20 s against 0.87-0.98).
    // But with the bottom level's dictionary (16 KiB sampled per file):
    // what repeats across blocks is found in it at LZ4's speed. Issue 13's
    // two files: 9.73 -> 9.01 MB on disk straight after `cotrack import`
    // (LZ4HC with it: 7.69), wall time unchanged (0.83-0.92 s against
    // 0.86-1.01, four runs each). A compaction that rewrites them
    // (Database::Compact, or RocksDB's own when later writes overlap them)
    // writes LZ4HC. The families whose every level is alike (audit: ZSTD)
    // keep theirs.
    options.bottommost_compression = options.compression;
    if (!options.bottommost_compression_opts.enabled) {
      options.bottommost_compression_opts = options.compression_opts;
    }
    writers_[i] = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(options), options,
                                                           handles_[i]);
    files_[i] = absl::StrCat(dir_, "/", i, ".sst");
    rocksdb::Status s = writers_[i]->Open(files_[i]);
    if (!s.ok() && first_error_.ok()) first_error_ = s;
  }
  return first_error_.ok() ? writers_[i].get() : nullptr;
}

void RocksIngestBatch::Put(Family f, absl::string_view key, absl::string_view value) {
  Enqueue(f, /*merge=*/false, key, value);
}

void RocksIngestBatch::Append(Family f, absl::string_view key, absl::string_view records) {
  Enqueue(f, /*merge=*/true, key, records);
}

void RocksIngestBatch::Enqueue(Family f, bool merge, absl::string_view key,
                               absl::string_view value) {
  pending_.ops.push_back(
      Op{f, merge, static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size())});
  pending_.bytes.append(key.data(), key.size());
  pending_.bytes.append(value.data(), value.size());
  bytes_ += key.size() + value.size();
  if (pending_.bytes.size() >= kGroupBytes) HandOver();
}

void RocksIngestBatch::HandOver() {
  if (pending_.ops.empty()) return;
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return queue_.size() < kQueuedGroups; });
  queue_.push_back(std::move(pending_));
  pending_ = Group();
  if (!spent_.empty()) {
    pending_ = std::move(spent_.back());
    spent_.pop_back();
  }
  changed_.notify_all();
}

void RocksIngestBatch::WriteLoop() {
  for (;;) {
    Group group;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [this] { return done_ || !queue_.empty(); });
      if (queue_.empty()) return;  // done_ and drained
      group = std::move(queue_.front());
      queue_.pop_front();
      changed_.notify_all();
    }
    size_t pos = 0;
    for (const Op& op : group.ops) {
      if (!first_error_.ok()) break;  // keep draining, so the caller never blocks
      rocksdb::SstFileWriter* w = WriterFor(op.family);
      if (w == nullptr) break;
      const rocksdb::Slice key(group.bytes.data() + pos, op.key_size);
      const rocksdb::Slice value(group.bytes.data() + pos + op.key_size, op.value_size);
      pos += size_t{op.key_size} + op.value_size;
      rocksdb::Status s = op.merge ? w->Merge(key, value) : w->Put(key, value);
      if (!s.ok()) first_error_ = s;
    }
    group.ops.clear();
    group.bytes.clear();
    if (group.bytes.capacity() > 4 * kGroupBytes) group = Group();  // after one huge value
    std::lock_guard<std::mutex> lock(mu_);
    if (spent_.size() < kQueuedGroups) spent_.push_back(std::move(group));
  }
}

void RocksIngestBatch::StopWriter() {
  if (!writer_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  changed_.notify_all();
  writer_.join();
}

absl::Status RocksIngestBatch::Ingest() {
  HandOver();
  StopWriter();
  // Keys out of order break Store::Batch's contract: cotrack's mistake, not
  // the user's input, whatever RocksDB calls it.
  if (first_error_.IsInvalidArgument()) {
    return absl::InternalError(absl::StrCat("staging table files: ", first_error_.ToString()));
  }
  if (!first_error_.ok()) return FromRocks(first_error_, "staging table files");
  std::vector<rocksdb::IngestExternalFileArg> args;
  for (size_t i = 0; i < writers_.size(); ++i) {
    if (writers_[i] == nullptr) continue;
    rocksdb::Status s = writers_[i]->Finish();
    if (!s.ok()) return FromRocks(s, "finishing table file");
    rocksdb::IngestExternalFileArg arg;
    arg.column_family = handles_[i];
    arg.external_files = {files_[i]};
    arg.options.move_files = true;
    args.push_back(std::move(arg));
  }
  if (args.empty()) return absl::OkStatus();
  rocksdb::Status s = db_->IngestExternalFiles(args);
  return FromRocks(s, "ingesting table files");
}

void RemoveStaleIngestDirs(const std::string& db_path) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(db_path, ec)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, kDirPrefix) || absl::StartsWith(name, ".staging-")) {
      std::filesystem::remove_all(entry.path(), ec);
    }
  }
}

}  // namespace cotrack

#include "support/fault_store.h"

#include <utility>

#include "absl/strings/match.h"
#include "rocksdb/status.h"
#include "storage/rocks_status.h"

namespace cotrack::testing {

absl::Status StoreIoError(absl::string_view context, absl::string_view detail) {
  return FromRocks(rocksdb::Status::IOError(rocksdb::Slice(detail.data(), detail.size())), context);
}

absl::Status StoreCorruption(absl::string_view context, absl::string_view detail) {
  return FromRocksRead(rocksdb::Status::Corruption(rocksdb::Slice(detail.data(), detail.size())),
                       context);
}

// ---- Faults ----

void Faults::FailWrite(int nth, absl::Status error) {
  std::lock_guard<std::mutex> lock(mu_);
  WritePlan plan;
  plan.kind = WritePlan::kFail;
  plan.status = std::move(error);
  nth_writes_.push_back({writes_ + nth, std::move(plan)});
}

void Faults::TearWrite(int nth, size_t kept, absl::Status result) {
  std::lock_guard<std::mutex> lock(mu_);
  WritePlan plan;
  plan.kind = WritePlan::kTear;
  plan.status = std::move(result);
  plan.kept = kept;
  nth_writes_.push_back({writes_ + nth, std::move(plan)});
}

void Faults::ShortWrite(int nth, Family f, size_t kept_bytes, absl::Status result) {
  std::lock_guard<std::mutex> lock(mu_);
  WritePlan plan;
  plan.kind = WritePlan::kShort;
  plan.status = std::move(result);
  plan.kept = kept_bytes;
  plan.family = f;
  nth_writes_.push_back({writes_ + nth, std::move(plan)});
}

void Faults::FailIngestBatches(absl::Status error) {
  std::lock_guard<std::mutex> lock(mu_);
  ingest_error_ = std::move(error);
}

void Faults::FailRead(int nth, absl::Status error, int after_entries) {
  std::lock_guard<std::mutex> lock(mu_);
  ReadPlan plan;
  plan.fail = std::move(error);
  plan.after_entries = after_entries;
  nth_reads_.push_back({reads_ + nth, std::move(plan)});
}

void Faults::FailReads(Family f, std::string prefix, absl::Status error) {
  std::lock_guard<std::mutex> lock(mu_);
  key_faults_.push_back({f, std::move(prefix), std::move(error)});
}

void Faults::DamageReads(Family f, std::string prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  key_faults_.push_back({f, std::move(prefix), std::nullopt});
}

void Faults::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  nth_writes_.clear();
  nth_reads_.clear();
  key_faults_.clear();
  ingest_error_.reset();
}

int64_t Faults::writes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return writes_;
}

int64_t Faults::reads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reads_;
}

int64_t Faults::fired() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fired_;
}

Faults::WritePlan Faults::NextWrite() {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t call = ++writes_;
  for (auto it = nth_writes_.begin(); it != nth_writes_.end(); ++it) {
    if (it->at == call) {
      WritePlan plan = std::move(it->plan);
      nth_writes_.erase(it);
      ++fired_;
      return plan;
    }
  }
  return WritePlan();
}

Faults::ReadPlan Faults::NextRead() {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t call = ++reads_;
  for (auto it = nth_reads_.begin(); it != nth_reads_.end(); ++it) {
    if (it->at == call) {
      ReadPlan plan = std::move(it->plan);
      nth_reads_.erase(it);
      ++fired_;
      return plan;
    }
  }
  return ReadPlan();
}

std::optional<Faults::KeyFault> Faults::ForKey(Family f, absl::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const KeyFault& k : key_faults_) {
    if (k.family == f && absl::StartsWith(key, k.prefix)) {
      ++fired_;
      return k;
    }
  }
  return std::nullopt;
}

std::optional<absl::Status> Faults::IngestBatchError() {
  std::lock_guard<std::mutex> lock(mu_);
  if (ingest_error_.has_value()) ++fired_;
  return ingest_error_;
}

// ---- FaultStore ----

namespace {

// One bit in the middle: what a bad sector or a stray write leaves.
std::string Damaged(absl::string_view value) {
  std::string out(value);
  if (!out.empty()) out[out.size() / 2] ^= 0x10;
  return out;
}

// A change as added to a batch, kept so that a torn or short write can
// replay part of it.
struct Change {
  Family family;
  bool append;
  std::string key;
  std::string value;
};

// A batch of the store underneath, remembering its changes.
class FaultBatch : public Store::Batch {
 public:
  explicit FaultBatch(std::unique_ptr<Store::Batch> inner) : inner_(std::move(inner)) {}
  void Put(Family f, absl::string_view key, absl::string_view value) override {
    inner_->Put(f, key, value);
    changes_.push_back({f, false, std::string(key), std::string(value)});
  }
  void Append(Family f, absl::string_view key, absl::string_view records) override {
    inner_->Append(f, key, records);
    changes_.push_back({f, true, std::string(key), std::string(records)});
  }
  size_t ApproximateBytes() const override { return inner_->ApproximateBytes(); }

  Store::Batch& inner() { return *inner_; }
  const std::vector<Change>& changes() const { return changes_; }

 private:
  std::unique_ptr<Store::Batch> inner_;
  std::vector<Change> changes_;
};

}  // namespace

class FaultStore : public Store {
 public:
  FaultStore(std::unique_ptr<Store> inner, std::shared_ptr<Faults> faults)
      : inner_(std::move(inner)), faults_(std::move(faults)) {}

  // Views pass through untouched: the store underneath recognises its own.
  std::unique_ptr<ReadView> NewReadView() override { return inner_->NewReadView(); }

  std::unique_ptr<Batch> NewBatch() override {
    return std::make_unique<FaultBatch>(inner_->NewBatch());
  }

  absl::StatusOr<std::unique_ptr<Batch>> NewIngestBatch() override {
    if (std::optional<absl::Status> error = faults_->IngestBatchError()) return *error;
    absl::StatusOr<std::unique_ptr<Batch>> inner = inner_->NewIngestBatch();
    if (!inner.ok()) return inner.status();
    return std::unique_ptr<Batch>(std::make_unique<FaultBatch>(*std::move(inner)));
  }

  absl::Status Write(Batch& batch, bool sync) override {
    auto& fb = static_cast<FaultBatch&>(batch);
    const Faults::WritePlan plan = faults_->NextWrite();
    switch (plan.kind) {
      case Faults::WritePlan::kApply:
        return inner_->Write(fb.inner(), sync);
      case Faults::WritePlan::kFail:
        return plan.status;
      case Faults::WritePlan::kTear:
      case Faults::WritePlan::kShort: {
        // Replayed as a plain batch, whatever the original was: what matters
        // is what reaches the disk.
        std::unique_ptr<Batch> part = inner_->NewBatch();
        const std::vector<Change>& changes = fb.changes();
        const size_t n = plan.kind == Faults::WritePlan::kTear ? std::min(plan.kept, changes.size())
                                                               : changes.size();
        for (size_t i = 0; i < n; ++i) {
          const Change& c = changes[i];
          absl::string_view value = c.value;
          if (plan.kind == Faults::WritePlan::kShort && c.family == plan.family) {
            value = value.substr(0, plan.kept);
          }
          if (c.append) {
            part->Append(c.family, c.key, value);
          } else {
            part->Put(c.family, c.key, value);
          }
        }
        absl::Status written = inner_->Write(*part, sync);
        if (!written.ok()) return written;
        return plan.status;
      }
    }
    return absl::InternalError("unreachable");
  }

  absl::Status Delete(Family f, const std::vector<std::string>& keys, bool sync) override {
    const Faults::WritePlan plan = faults_->NextWrite();
    if (plan.kind == Faults::WritePlan::kFail) return plan.status;
    if (plan.kind == Faults::WritePlan::kTear) {
      std::vector<std::string> part(keys.begin(), keys.begin() + std::min(plan.kept, keys.size()));
      absl::Status deleted = inner_->Delete(f, part, sync);
      return deleted.ok() ? plan.status : deleted;
    }
    return inner_->Delete(f, keys, sync);
  }

  absl::StatusOr<bool> Get(const ReadView* view, Family f, absl::string_view key,
                           std::string* value) override {
    const Faults::ReadPlan plan = faults_->NextRead();
    if (plan.fail) return *plan.fail;
    const std::optional<Faults::KeyFault> fault = faults_->ForKey(f, key);
    if (fault && fault->error) return *fault->error;
    absl::StatusOr<bool> found = inner_->Get(view, f, key, value);
    if (fault && found.ok() && *found) *value = Damaged(*value);
    return found;
  }

  absl::Status MultiGet(const ReadView* view, Family f, const std::vector<std::string>& keys,
                        std::vector<std::string>* values, std::vector<bool>* found) override {
    const Faults::ReadPlan plan = faults_->NextRead();
    if (plan.fail) return *plan.fail;
    std::vector<bool> damage(keys.size(), false);
    for (size_t i = 0; i < keys.size(); ++i) {
      const std::optional<Faults::KeyFault> fault = faults_->ForKey(f, keys[i]);
      if (fault && fault->error) return *fault->error;
      damage[i] = fault.has_value();
    }
    absl::Status s = inner_->MultiGet(view, f, keys, values, found);
    if (!s.ok()) return s;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (damage[i] && (*found)[i]) (*values)[i] = Damaged((*values)[i]);
    }
    return absl::OkStatus();
  }

  absl::Status Scan(const ReadView* view, Family f, absl::string_view start, absl::string_view end,
                    const ScanFn& fn) override {
    const Faults::ReadPlan plan = faults_->NextRead();
    if (plan.fail && plan.after_entries <= 0) return *plan.fail;
    int delivered = 0;
    absl::Status injected;
    absl::Status s =
        inner_->Scan(view, f, start, end, [&](absl::string_view key, absl::string_view value) {
          // As an iterator that hits an unreadable block: the entries before
          // it were delivered, then the scan ends with the error.
          if (plan.fail && delivered == plan.after_entries) {
            injected = *plan.fail;
            return false;
          }
          const std::optional<Faults::KeyFault> fault = faults_->ForKey(f, key);
          if (fault && fault->error) {
            injected = *fault->error;
            return false;
          }
          ++delivered;
          if (fault) return fn(key, Damaged(value));
          return fn(key, value);
        });
    if (!injected.ok()) return injected;
    // A scan that ended before the chosen entry fails at its end.
    if (plan.fail && s.ok()) return *plan.fail;
    return s;
  }

  absl::Status CompactAll() override { return inner_->CompactAll(); }
  const std::string& path() const override { return inner_->path(); }
  absl::Status VerifyTableFiles(std::vector<TableFileDamage>* damaged,
                                size_t* files_checked) override {
    return inner_->VerifyTableFiles(damaged, files_checked);
  }
  absl::StatusOr<BackupSummary> CreateBackup(const std::string& backup_dir,
                                             const std::string& key_file) override {
    return inner_->CreateBackup(backup_dir, key_file);
  }

 private:
  std::unique_ptr<Store> inner_;
  std::shared_ptr<Faults> faults_;
};

std::unique_ptr<Store> NewFaultStore(std::unique_ptr<Store> store, std::shared_ptr<Faults> faults) {
  return std::make_unique<FaultStore>(std::move(store), std::move(faults));
}

FaultStores::FaultStores(std::shared_ptr<Faults> faults, bool writable_only) {
  previous_ = SetStoreWrapperForTesting(
      [faults, writable_only](std::unique_ptr<Store> opened,
                              const StoreOptions& options) -> std::unique_ptr<Store> {
        if (writable_only && options.read_only) return opened;
        return NewFaultStore(std::move(opened), faults);
      });
}

FaultStores::~FaultStores() { SetStoreWrapperForTesting(std::move(previous_)); }

}  // namespace cotrack::testing

#include "db/restore.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "catalog/catalog.h"
#include "codec/key_codec.h"
#include "cotrack/status_macros.h"
#include "db/commit_batch.h"
#include "storage/store.h"

namespace cotrack {
namespace {

// A restore's batch is written once past this: a dump may be larger than
// memory.
constexpr size_t kBatchBytes = 4 << 20;

}  // namespace

RestoreWrite::RestoreWrite(std::unique_ptr<Store> store)
    : store_(std::move(store)),
      batch_(CommitBatch::Logged(*store_)),
      next_measure_id_(kFirstUserMeasureId) {}

RestoreWrite::~RestoreWrite() = default;

absl::StatusOr<std::unique_ptr<RestoreWrite>> RestoreWrite::Open(const std::string& path,
                                                                 const Options& options) {
  StoreOptions so;
  so.create_if_missing = true;
  so.encryption_key_file = options.encryption_key_file;
  COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(path, so));

  // Only an empty database (new, or opened but never written) is restored into.
  std::string format;
  COTRACK_ASSIGN_OR_RETURN(bool has_format,
                           store->Get(nullptr, Family::kMeta, keys::kFormatVersionKey, &format));
  if (has_format && (format.size() != 4 || keys::DecodeU32(format) > kFormatVersion)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " holds a database of another format; load into a new directory"));
  }
  for (Family f : {Family::kPatientIds, Family::kPatients, Family::kMeasures, Family::kSeries,
                   Family::kAudit}) {
    bool any = false;
    COTRACK_RETURN_IF_ERROR(
        store->Scan(nullptr, f, "", "", [&](absl::string_view, absl::string_view) {
          any = true;
          return false;
        }));
    if (any) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, " already holds data; load only into a new or empty database (e.g. --db NEWDIR)"));
    }
  }
  std::unique_ptr<RestoreWrite> restore(new RestoreWrite(std::move(store)));
  if (!has_format || keys::DecodeU32(format) < kFormatVersion) {
    // Stamped first, as Database::Open does, so that the directory is a
    // cotrack database (of the format about to be written) from the start.
    std::unique_ptr<CommitBatch> stamp = CommitBatch::Logged(*restore->store_);
    stamp->PutFormatVersion();
    COTRACK_RETURN_IF_ERROR(stamp->Write(/*sync=*/true));
  }
  return restore;
}

absl::Status RestoreWrite::MaybeWrite() {
  if (batch_->ApproximateBytes() < kBatchBytes) return absl::OkStatus();
  COTRACK_RETURN_IF_ERROR(batch_->Write(/*sync=*/false));
  batch_ = CommitBatch::Logged(*store_);
  return absl::OkStatus();
}

absl::Status RestoreWrite::AddMeasure(uint32_t id, const MeasureDefinition& def) {
  batch_->AppendMeasure(id, def);
  next_measure_id_ = std::max(next_measure_id_, id + 1);
  return MaybeWrite();
}

uint32_t RestoreWrite::AddPatient(absl::string_view id) {
  const uint32_t num = next_patient_num_++;
  batch_->PutPatientId(id, num);
  ends_.emplace_back().MarkComplete();
  return num;
}

absl::Status RestoreWrite::AddPatientVersions(uint32_t patient_num,
                                              absl::Span<const Patient> versions) {
  batch_->AppendPatient(patient_num, versions);
  return MaybeWrite();
}

absl::Status RestoreWrite::AddSeries(uint32_t measure_id, uint32_t patient_num,
                                     absl::Span<const Observation> versions) {
  batch_->AppendSeries(measure_id, patient_num, versions);
  if (patient_num >= 1 && patient_num <= ends_.size() && !versions.empty()) {
    int64_t end = versions.front().time.seconds;
    for (const Observation& o : versions) end = std::max(end, o.time.seconds);
    ends_[patient_num - 1].Set(measure_id, end);
  }
  return MaybeWrite();
}

absl::Status RestoreWrite::AddAudit(const AuditRecord& entry) {
  batch_->PutAudit(entry);
  next_audit_seq_ = std::max(next_audit_seq_, entry.sequence + 1);
  return MaybeWrite();
}

absl::Status RestoreWrite::SetTimeZone(absl::string_view zone) {
  batch_->PutTimeZone(zone);
  return MaybeWrite();
}

absl::Status RestoreWrite::Finish() {
  for (uint32_t num = 1; num <= ends_.size(); ++num) {
    batch_->PutSeriesEnds(num, ends_[num - 1]);
    COTRACK_RETURN_IF_ERROR(MaybeWrite());
  }
  CommitBatch::Counters counters;
  counters.next_patient_num = next_patient_num_;
  counters.next_measure_id = next_measure_id_;
  counters.next_audit_seq = next_audit_seq_;
  batch_->PutCounters(counters);
  COTRACK_RETURN_IF_ERROR(batch_->Write(/*sync=*/true));
  batch_ = CommitBatch::Logged(*store_);
  return absl::OkStatus();
}

}  // namespace cotrack

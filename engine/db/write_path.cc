// Registering user measures. Observations and patients are written by the
// bulk write (bulk_write.cc).
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "catalog/validation.h"
#include "codec/key_codec.h"
#include "codec/value_codec.h"
#include "cotrack/status_macros.h"
#include "db/database_impl.h"

namespace cotrack {

absl::Status DatabaseImpl::RegisterMeasure(const MeasureDefinition& measure,
                                           const Provenance& provenance,
                                           const WriteOptions& options,
                                           const WriteContext& context) {
  COTRACK_RETURN_IF_ERROR(CheckWritable());
  COTRACK_RETURN_IF_ERROR(ValidateMeasureDefinition(measure));
  std::lock_guard<std::mutex> write_lock(write_mu_);
  MeasureDefinition def = measure;
  def.builtin = false;
  {
    std::shared_lock lock(mu_);
    if (const CatalogEntry* existing = catalog_.Find(def.code)) {
      if (!existing->def.builtin && codec::EncodeMeasure(existing->id, existing->def) ==
                                        codec::EncodeMeasure(existing->id, def)) {
        return absl::OkStatus();
      }
      return absl::AlreadyExistsError(
          absl::StrCat("measure \"", def.code, "\" already exists",
                       existing->def.builtin ? " as a built-in" : " with a different definition",
                       "; choose another code"));
    }
  }
  if (options.dry_run) return absl::OkStatus();
  const uint32_t id = next_measure_id_;
  auto out = store_->NewBatch();
  std::string log;
  codec::AppendRecord(&log, codec::EncodeMeasure(id, def));
  out->Append(Family::kMeasures, keys::MeasureKey(id), log);
  out->Put(Family::kMeta, keys::kNextMeasureIdKey, keys::EncodeCounter(id + 1, 4));

  AuditRecord audit;
  audit.sequence = next_audit_seq_;
  audit.at_us = absl::ToUnixMicros(absl::Now());
  audit.action = "measure";
  audit.detail = absl::StrCat("registered measure ", def.code, " (", def.name, ", ", def.unit, ")");
  audit.provenance = DefaultProvenance(provenance, context);
  std::string audit_log;
  codec::AppendRecord(&audit_log, codec::EncodeAudit(audit));
  out->Put(Family::kAudit, keys::AuditKey(audit.sequence), audit_log);
  out->Put(Family::kMeta, keys::kNextAuditSeqKey, keys::EncodeCounter(next_audit_seq_ + 1, 8));
  PutReceipt(context, WriteSummary(), audit.at_us, *out);

  COTRACK_RETURN_IF_ERROR(store_->Write(*out, options.sync));
  next_measure_id_ = id + 1;
  next_audit_seq_++;
  std::unique_lock lock(mu_);
  return catalog_.Add(id, std::move(def));
}

}  // namespace cotrack

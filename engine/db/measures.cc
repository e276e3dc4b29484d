// The measures of an open database: looking them up in its catalog (built-ins
// and the user measures loaded at open) and registering a user measure.
// Observations and patients are written by the bulk write (bulk_write.cc).
#include <algorithm>
#include <mutex>
#include <shared_mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "catalog/validation.h"
#include "codec/key_codec.h"
#include "codec/value_codec.h"
#include "cotrack/status_macros.h"
#include "db/commit_batch.h"
#include "db/database_impl.h"

namespace cotrack {

absl::StatusOr<const CatalogEntry*> DatabaseImpl::FindMeasure(absl::string_view code) const {
  std::shared_lock lock(mu_);
  if (const CatalogEntry* e = catalog_.Find(code)) return e;
  std::vector<std::string> codes;
  for (const CatalogEntry* e : catalog_.All()) codes.push_back(e->def.code);
  return absl::NotFoundError(absl::StrCat("unknown measure \"", code,
                                          "\" (known: ", absl::StrJoin(codes, ", "),
                                          "; a new one is registered with `cotrack measure add`)"));
}

const CatalogEntry* DatabaseImpl::MeasureById(uint32_t id) const {
  std::shared_lock lock(mu_);
  return catalog_.FindById(id);
}

std::vector<const CatalogEntry*> DatabaseImpl::MeasuresByCode() const {
  std::vector<const CatalogEntry*> measures;
  {
    std::shared_lock lock(mu_);
    measures = catalog_.All();
  }
  std::sort(measures.begin(), measures.end(),
            [](const CatalogEntry* a, const CatalogEntry* b) { return a->def.code < b->def.code; });
  return measures;
}

absl::StatusOr<MeasureDefinition> DatabaseImpl::GetMeasure(absl::string_view code) {
  COTRACK_ASSIGN_OR_RETURN(const CatalogEntry* e, FindMeasure(code));
  return e->def;
}

absl::StatusOr<std::vector<MeasureDefinition>> DatabaseImpl::ListMeasures() {
  std::shared_lock lock(mu_);
  std::vector<MeasureDefinition> out;
  for (const CatalogEntry* e : catalog_.All()) out.push_back(e->def);
  return out;
}

absl::Status DatabaseImpl::RegisterMeasure(const MeasureDefinition& measure,
                                           const Provenance& provenance,
                                           const WriteOptions& options,
                                           const WriteContext& context) {
  COTRACK_RETURN_IF_ERROR(CheckWritable());
  COTRACK_RETURN_IF_ERROR(ValidateMeasureDefinition(measure));
  COTRACK_RETURN_IF_ERROR(ValidateAttribution(provenance));
  std::lock_guard<std::mutex> write_lock(write_mu_);
  MeasureDefinition def = measure;
  def.builtin = false;
  bool replaces_builtin = false;
  {
    std::shared_lock lock(mu_);
    if (const CatalogEntry* existing = catalog_.Find(def.code)) {
      if (!existing->def.builtin && codec::EncodeMeasure(existing->id, existing->def) ==
                                        codec::EncodeMeasure(existing->id, def)) {
        return absl::OkStatus();
      }
      // A built-in that earlier engines let a database define itself (sdmt,
      // relapse, ...) may still be defined by a database that holds no value
      // of the built-in: scripts written for those engines keep working, and
      // the database's own definition wins there (catalog.h, AddStored).
      bool has_values = true;
      if (existing->def.builtin && existing->id >= kFirstReplaceableBuiltinId) {
        has_values = false;
        const std::string begin = keys::SeriesKey(existing->id, 0);
        const std::string end = keys::SeriesKey(existing->id + 1, 0);
        COTRACK_RETURN_IF_ERROR(store_->Scan(nullptr, Family::kSeries, begin, end,
                                             [&](absl::string_view, absl::string_view) {
                                               has_values = true;
                                               return false;
                                             }));
        replaces_builtin = !has_values;
      }
      if (!replaces_builtin) {
        return absl::AlreadyExistsError(absl::StrCat(
            "measure \"", def.code, "\" already exists",
            existing->def.builtin ? (existing->id >= kFirstReplaceableBuiltinId
                                         ? " as a built-in and this database holds values of it"
                                         : " as a built-in")
                                  : " with a different definition",
            "; choose another code"));
      }
    }
  }
  if (options.dry_run) return absl::OkStatus();
  const uint32_t id = next_measure_id_;
  std::unique_ptr<CommitBatch> out = CommitBatch::Logged(*store_);
  out->AppendMeasure(id, def);

  AuditRecord audit;
  audit.sequence = next_audit_seq_;
  audit.at_us = absl::ToUnixMicros(absl::Now());
  audit.action = "measure";
  audit.detail = absl::StrCat("registered measure ", def.code, " (", def.name, ", ", def.unit, ")",
                              replaces_builtin ? " in place of the built-in" : "");
  audit.provenance = DefaultProvenance(provenance, context);
  out->PutAudit(audit);
  CommitBatch::Counters counters;
  counters.next_measure_id = id + 1;
  counters.next_audit_seq = next_audit_seq_ + 1;
  out->PutCounters(counters);
  PutReceipt(context, WriteSummary(), audit.at_us, *out);

  COTRACK_RETURN_IF_ERROR(out->Write(options.sync));
  next_measure_id_ = id + 1;
  next_audit_seq_++;
  std::unique_lock lock(mu_);
  return catalog_.AddStored(id, std::move(def));
}

}  // namespace cotrack

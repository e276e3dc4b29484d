#include "db/commit_batch.h"

#include <utility>

#include "codec/key_codec.h"
#include "codec/value_codec.h"
#include "cotrack/status_macros.h"

namespace cotrack {

CommitBatch::CommitBatch(Store& store, std::unique_ptr<Store::Batch> batch)
    : store_(store), batch_(std::move(batch)) {}

std::unique_ptr<CommitBatch> CommitBatch::Logged(Store& store) {
  return std::unique_ptr<CommitBatch>(new CommitBatch(store, store.NewBatch()));
}

absl::StatusOr<std::unique_ptr<CommitBatch>> CommitBatch::Ingested(Store& store) {
  COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<Store::Batch> batch, store.NewIngestBatch());
  return std::unique_ptr<CommitBatch>(new CommitBatch(store, std::move(batch)));
}

void CommitBatch::AppendSeries(uint32_t measure_id, uint32_t patient_num,
                               absl::Span<const Observation* const> versions) {
  log_.clear();
  codec::AppendObservations(&log_, versions);
  batch_->Append(Family::kSeries, keys::SeriesKey(measure_id, patient_num), log_);
}

void CommitBatch::AppendSeries(uint32_t measure_id, uint32_t patient_num,
                               absl::Span<const Observation> versions) {
  log_.clear();
  codec::AppendObservations(&log_, versions);
  batch_->Append(Family::kSeries, keys::SeriesKey(measure_id, patient_num), log_);
}

void CommitBatch::AppendPatient(uint32_t patient_num, absl::Span<const Patient> versions) {
  std::string log;
  for (const Patient& p : versions) codec::AppendRecord(&log, codec::EncodePatient(p));
  batch_->Append(Family::kPatients, keys::PatientKey(patient_num), log);
}

void CommitBatch::PutPatientId(absl::string_view id, uint32_t patient_num) {
  batch_->Put(Family::kPatientIds, id, keys::PatientKey(patient_num));
}

void CommitBatch::AppendMeasure(uint32_t id, const MeasureDefinition& def) {
  std::string log;
  codec::AppendRecord(&log, codec::EncodeMeasure(id, def));
  batch_->Append(Family::kMeasures, keys::MeasureKey(id), log);
}

void CommitBatch::PutAudit(const AuditRecord& entry) {
  std::string log;
  codec::AppendRecord(&log, codec::EncodeAudit(entry));
  batch_->Put(Family::kAudit, keys::AuditKey(entry.sequence), log);
}

void CommitBatch::PutFormatVersion() {
  batch_->Put(Family::kMeta, keys::kFormatVersionKey, keys::EncodeCounter(kFormatVersion, 4));
}

void CommitBatch::PutSeriesEnds(uint32_t patient_num, const SeriesEnds& ends) {
  batch_->Put(Family::kMeta, keys::SeriesEndsKey(patient_num), ends.Encode());
}

void CommitBatch::PutCounters(const Counters& c) {
  // In key order: next_audit_seq < next_measure_id < next_patient_num.
  if (c.next_audit_seq) {
    batch_->Put(Family::kMeta, keys::kNextAuditSeqKey, keys::EncodeCounter(*c.next_audit_seq, 8));
  }
  if (c.next_measure_id) {
    batch_->Put(Family::kMeta, keys::kNextMeasureIdKey, keys::EncodeCounter(*c.next_measure_id, 4));
  }
  if (c.next_patient_num) {
    batch_->Put(Family::kMeta, keys::kNextPatientNumKey,
                keys::EncodeCounter(*c.next_patient_num, 4));
  }
}

void CommitBatch::PutReceipt(uint64_t client, absl::string_view receipt) {
  batch_->Put(Family::kMeta, keys::ReceiptKey(client), receipt);
}

void CommitBatch::PutTimeZone(absl::string_view zone) {
  batch_->Put(Family::kMeta, keys::kTimeZoneKey, zone);
}

absl::Status CommitBatch::Write(bool sync) { return store_.Write(*batch_, sync); }

}  // namespace cotrack

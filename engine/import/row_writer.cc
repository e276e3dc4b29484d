#include "import/row_writer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "import/value_text.h"

namespace cotrack {

uint32_t IdentitySet::Intern(absl::flat_hash_map<std::string, uint32_t>& ids,
                             absl::string_view text) {
  auto it = ids.find(text);
  if (it != ids.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(ids.size());
  ids.emplace(std::string(text), id);
  return id;
}

int64_t IdentitySet::Insert(absl::string_view patient, absl::string_view measure, int64_t seconds,
                            int64_t position) {
  if (size_ >= kMaxTrackedIdentities) return 0;
  if (tables_.empty() || patient != last_patient_) {
    last_patient_.assign(patient.data(), patient.size());
    last_table_ = Intern(patients_, patient);
    if (last_table_ == tables_.size()) tables_.emplace_back();
  }
  auto [it, inserted] =
      tables_[last_table_].try_emplace(Key{seconds, Intern(measures_, measure)}, position);
  if (!inserted) return it->second;
  ++size_;
  return 0;
}

std::string DuplicateMessage(int64_t first, absl::string_view where) {
  return absl::StrCat("same patient, measure and date as ", where, " ", first,
                      " (each observation may appear only once in a file)");
}

void RowWriter::BeginRow(int64_t line, ImportErrors& errors) {
  ++counts_.rows;
  line_ = line;
  errors.BeginRow();
  errors_ = &errors;
  errors_before_ = errors.count();
  observations_.clear();
  patients_.clear();
  retractions_.clear();
}

void RowWriter::Retract(std::string patient, std::string measure, CivilTime time,
                        std::string reason) {
  retractions_.push_back({std::move(patient), std::move(measure), time, std::move(reason)});
}

void RowWriter::Skip(const std::string& reason) {
  ++counts_.skipped;
  ++counts_.skipped_by_reason[reason];
}

absl::StatusOr<CivilTime> RowWriter::ParseDate(absl::string_view text) {
  bool had_offset = false;
  absl::StatusOr<CivilTime> t = ParseDateTimeCell(text, zone_ ? &*zone_ : nullptr, &had_offset);
  if (t.ok() && had_offset && !zone_) ++counts_.offsets_dropped;
  return t;
}

CivilTime RowWriter::Instant(CivilTime written, int offset_seconds) {
  if (!zone_) ++counts_.offsets_dropped;
  return CivilTimeOfInstant(written, offset_seconds, zone_ ? &*zone_ : nullptr);
}

void RowWriter::Stamp(Provenance& p) const {
  p.source = source_;
  p.line = line_;
  p.user = user_;
  p.reason = reason_;
}

bool RowWriter::EndRow(Batch& batch) {
  if (!ok()) return false;
  for (Patient& p : patients_) {
    Stamp(p.provenance);
    batch.PutPatient(std::move(p));
  }
  for (ObservationInput& obs : observations_) {
    Stamp(obs.provenance);
    batch.Record(std::move(obs));
  }
  for (PendingRetraction& r : retractions_) {
    Provenance p;
    Stamp(p);
    if (!r.reason.empty()) p.reason = std::move(r.reason);
    batch.Retract(std::move(r.patient), std::move(r.measure), r.time, std::move(p));
  }
  return true;
}

}  // namespace cotrack

// The non-virtual conveniences of the public API: each builds a Batch.
#include "cotrack/database.h"

namespace cotrack {

#ifndef COTRACK_VERSION
#define COTRACK_VERSION "0.0.0"
#endif

const char* Version() { return COTRACK_VERSION; }

Reader::~Reader() = default;
ReadSnapshot::~ReadSnapshot() = default;
Database::~Database() = default;

absl::StatusOr<WriteSummary> Database::Record(const ObservationInput& obs,
                                              const WriteOptions& options) {
  Batch batch;
  batch.Record(obs);
  return Apply(batch, options);
}

absl::StatusOr<WriteSummary> Database::RecordVisit(const std::vector<ObservationInput>& visit,
                                                   const WriteOptions& options) {
  Batch batch;
  for (const ObservationInput& obs : visit) batch.Record(obs);
  batch.SetAudit("record", "visit");
  return Apply(batch, options);
}

absl::StatusOr<WriteSummary> Database::Retract(const std::string& patient,
                                               const std::string& measure, CivilTime time,
                                               const Provenance& provenance,
                                               const WriteOptions& options) {
  Batch batch;
  batch.Retract(patient, measure, time, provenance);
  batch.SetAudit("retract", provenance.reason);
  return Apply(batch, options);
}

absl::StatusOr<WriteSummary> Database::PutPatient(const Patient& patient,
                                                  const WriteOptions& options) {
  Batch batch;
  batch.PutPatient(patient);
  batch.SetAudit("patient", patient.id);
  return Apply(batch, options);
}

const char* ComparatorSymbol(Comparator c) {
  switch (c) {
    case Comparator::kNone:
      return "";
    case Comparator::kLess:
      return "<";
    case Comparator::kLessEqual:
      return "<=";
    case Comparator::kGreaterEqual:
      return ">=";
    case Comparator::kGreater:
      return ">";
  }
  return "";
}

const char* StatusName(ObservationStatus s) {
  switch (s) {
    case ObservationStatus::kFinal:
      return "final";
    case ObservationStatus::kAmended:
      return "amended";
    case ObservationStatus::kEnteredInError:
      return "entered-in-error";
  }
  return "final";
}

const char* DirectionName(Direction d) {
  switch (d) {
    case Direction::kNone:
      return "none";
    case Direction::kHigherIsWorse:
      return "higher-is-worse";
    case Direction::kHigherIsBetter:
      return "higher-is-better";
  }
  return "none";
}

}  // namespace cotrack

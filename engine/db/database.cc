// The public API's out-of-line parts: Version(), the interfaces' destructors
// and the non-virtual conveniences of Database (each builds a Batch).
#include "cotrack/database.h"

#include "absl/strings/str_cat.h"
#include "codec/series.h"

namespace cotrack {

#ifndef COTRACK_VERSION
#define COTRACK_VERSION "0.0.0"
#endif

const char* Version() { return COTRACK_VERSION; }

Reader::~Reader() = default;

absl::Status Reader::ScanSeries(absl::string_view measure, const SeriesScanOptions& options,
                                const SeriesPartVisitor& fn) {
  if (options.parts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("series scan: parts must be at least 1, got ", options.parts));
  }
  // A reader without a scan of its own: the full scan, in one part.
  std::vector<SeriesValue> values;
  return ForEachSeries(measure,
                       [&](const Patient& patient, const std::vector<Observation>& trajectory) {
                         ToSeriesValues(trajectory, &values);
                         return fn(0, ToSeriesPatient(patient, options.attribute), values);
                       });
}
ReadSnapshot::~ReadSnapshot() = default;
Database::~Database() = default;

absl::StatusOr<WriteSummary> Database::Record(const ObservationInput& obs,
                                              const WriteOptions& options) {
  Batch batch;
  batch.Record(obs);
  return Apply(batch, options);
}

absl::StatusOr<WriteSummary> Database::RecordVisit(std::vector<ObservationInput> visit,
                                                   const WriteOptions& options) {
  Batch batch;
  batch.Reserve(visit.size());
  for (ObservationInput& obs : visit) batch.Record(std::move(obs));
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

}  // namespace cotrack

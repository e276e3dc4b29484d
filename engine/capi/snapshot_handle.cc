#include "capi/snapshot_handle.h"

#include <mutex>

#include "absl/strings/str_cat.h"

namespace cotrack {
namespace {

class SnapshotDatabase : public Database {
 public:
  SnapshotDatabase(std::unique_ptr<ReadSnapshot> snapshot, std::string path)
      : snapshot_(std::move(snapshot)), path_(std::move(path)) {}

  absl::StatusOr<std::vector<Observation>> Trajectory(absl::string_view patient,
                                                      absl::string_view measure,
                                                      const TimeRange& range) override {
    return snapshot_->Trajectory(patient, measure, range);
  }
  absl::StatusOr<std::vector<Observation>> Latest(absl::string_view patient,
                                                  absl::string_view measure,
                                                  std::optional<CivilTime> as_of, int n) override {
    return snapshot_->Latest(patient, measure, as_of, n);
  }
  absl::StatusOr<std::vector<Observation>> LatestAll(absl::string_view patient,
                                                     std::optional<CivilTime> as_of) override {
    return snapshot_->LatestAll(patient, as_of);
  }
  absl::StatusOr<std::vector<Observation>> Visit(absl::string_view patient,
                                                 CivilTime date) override {
    return snapshot_->Visit(patient, date);
  }
  absl::StatusOr<std::vector<Observation>> History(absl::string_view patient,
                                                   absl::string_view measure,
                                                   CivilTime time) override {
    return snapshot_->History(patient, measure, time);
  }
  absl::StatusOr<Patient> GetPatient(absl::string_view id) override {
    return snapshot_->GetPatient(id);
  }
  absl::StatusOr<std::vector<Patient>> PatientHistory(absl::string_view id) override {
    return snapshot_->PatientHistory(id);
  }
  absl::StatusOr<std::vector<Patient>> ListPatients() override { return snapshot_->ListPatients(); }
  absl::StatusOr<MeasureDefinition> GetMeasure(absl::string_view code) override {
    return snapshot_->GetMeasure(code);
  }
  absl::StatusOr<std::vector<MeasureDefinition>> ListMeasures() override {
    return snapshot_->ListMeasures();
  }
  absl::Status ForEachSeries(absl::string_view measure, const SeriesVisitor& fn) override {
    return snapshot_->ForEachSeries(measure, fn);
  }
  absl::Status ScanSeries(absl::string_view measure, const SeriesScanOptions& options,
                          const SeriesPartVisitor& fn) override {
    return snapshot_->ScanSeries(measure, options, fn);
  }
  absl::StatusOr<std::vector<AuditRecord>> AuditLog(std::optional<std::string> patient) override {
    return snapshot_->AuditLog(std::move(patient));
  }

  absl::StatusOr<WriteSummary> Apply(const Batch&, const WriteOptions&) override {
    return ReadOnly();
  }
  absl::StatusOr<std::unique_ptr<BulkWrite>> BeginBulkWrite(const WriteOptions&, std::string,
                                                            std::string) override {
    return ReadOnly();
  }
  absl::Status RegisterMeasure(const MeasureDefinition&, const Provenance&,
                               const WriteOptions&) override {
    return ReadOnly();
  }
  absl::Status EditMeasure(const MeasureDefinition&, const Provenance&,
                           const WriteOptions&) override {
    return ReadOnly();
  }
  absl::StatusOr<std::vector<MeasureDefinition>> MeasureHistory(absl::string_view) override {
    return absl::FailedPreconditionError(
        "a read snapshot holds the current measure definitions only; ask the database handle for "
        "a measure's history");
  }
  absl::StatusOr<std::unique_ptr<ReadSnapshot>> NewSnapshot() override {
    return absl::FailedPreconditionError(
        "this handle is a read snapshot already; take new snapshots from the database handle");
  }
  absl::Status Compact() override { return ReadOnly(); }
  void Close() override {}
  const std::string& path() const override { return path_; }

 private:
  absl::Status ReadOnly() const {
    return absl::FailedPreconditionError(
        absl::StrCat("this handle of ", path_,
                     " is a read snapshot: it only reads; write through the "
                     "database handle"));
  }

  std::unique_ptr<ReadSnapshot> snapshot_;
  const std::string path_;
};

}  // namespace

std::unique_ptr<Database> SnapshotAsDatabase(std::unique_ptr<ReadSnapshot> snapshot,
                                             std::string path) {
  return std::make_unique<SnapshotDatabase>(std::move(snapshot), std::move(path));
}

}  // namespace cotrack

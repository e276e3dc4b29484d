// Writes: validate a whole batch, compare each observation with the current
// version of its identity, append new versions, and commit everything (data,
// counters, audit entry) in one RocksDB write.
#include <algorithm>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "catalog/validation.h"
#include "codec/key_codec.h"
#include "codec/value_codec.h"
#include "cotrack/status_macros.h"
#include "db/database_impl.h"
#include "query/series.h"

namespace cotrack {
namespace {

constexpr size_t kMaxListedErrors = 20;

std::string Where(const Provenance& p) {
  if (p.source.empty() || p.source == "api") return p.line > 0 ? absl::StrCat("api:", p.line) : "api";
  return absl::StrCat(p.source, ":", p.line);
}

// Collects validation errors of a batch; the first kMaxListedErrors are
// listed, the rest counted.
class ErrorList {
 public:
  void Add(const Provenance& p, absl::string_view message) {
    if (lines_.size() < kMaxListedErrors) lines_.push_back(absl::StrCat(Where(p), ": ", message));
    ++count_;
  }
  bool empty() const { return count_ == 0; }
  absl::Status ToStatus() const {
    std::string msg = absl::StrJoin(lines_, "\n");
    if (count_ > lines_.size()) {
      absl::StrAppend(&msg, "\n... and ", count_ - lines_.size(), " more errors");
    }
    absl::StrAppend(&msg, "\nnothing was written");
    return absl::InvalidArgumentError(msg);
  }

 private:
  std::vector<std::string> lines_;
  size_t count_ = 0;
};

// The state of one series while a batch is built: its stored versions plus
// those this batch adds.
struct PendingSeries {
  std::vector<Observation> versions;            // stored, then added by this batch
  absl::flat_hash_map<int64_t, size_t> latest;  // time -> index of its highest version
  size_t first_added = 0;                       // versions[first_added..] are new

  void IndexStored() {
    for (size_t i = 0; i < versions.size(); ++i) {
      auto [it, inserted] = latest.try_emplace(versions[i].time.seconds, i);
      if (!inserted && versions[it->second].version < versions[i].version) it->second = i;
    }
  }
  // The latest version at `seconds`, or nullptr. Valid until the next Add.
  const Observation* LatestAt(int64_t seconds) const {
    auto it = latest.find(seconds);
    return it == latest.end() ? nullptr : &versions[it->second];
  }
  void Add(Observation o) {
    latest[o.time.seconds] = versions.size();
    versions.push_back(std::move(o));
  }
  absl::Span<const Observation> added() const {
    return absl::MakeConstSpan(versions).subspan(first_added);
  }
};

struct PendingPatient {
  uint32_t num = 0;
  bool is_new = false;
  std::optional<Patient> current;  // latest version, stored or added here
  std::string appended;
};

// Two registrations say the same thing (ignoring version and provenance).
bool SamePatient(const Patient& a, const Patient& b) {
  return a.arm == b.arm && a.index_date == b.index_date &&
         a.treatment_dates == b.treatment_dates && a.attributes == b.attributes;
}

// An update merges: what the update leaves empty keeps its current value.
Patient MergePatient(const Patient& current, const Patient& update) {
  Patient p = current;
  if (!update.arm.empty()) p.arm = update.arm;
  if (update.index_date) p.index_date = update.index_date;
  if (!update.treatment_dates.empty()) p.treatment_dates = update.treatment_dates;
  for (const auto& [k, v] : update.attributes) p.attributes[k] = v;
  return p;
}

void AddCount(Store::Batch& b, const char* key, uint64_t v, size_t width) {
  std::string s;
  if (width == 4) {
    keys::AppendU32(&s, static_cast<uint32_t>(v));
  } else {
    keys::AppendU64(&s, v);
  }
  b.Put(Family::kMeta, key, s);
}

}  // namespace

absl::StatusOr<WriteSummary> DatabaseImpl::Apply(const Batch& batch, const WriteOptions& options) {
  COTRACK_RETURN_IF_ERROR(CheckWritable());
  std::lock_guard<std::mutex> write_lock(write_mu_);
  const int64_t now_us = absl::ToUnixMicros(absl::Now());

  // 1. Validate everything before touching anything.
  ErrorList errors;
  struct Prepared {
    const ObservationInput* in;
    const CatalogEntry* measure;
    ValidatedValue value;
  };
  // Each distinct measure is looked up once; rows point at the copy here.
  std::map<std::string, absl::StatusOr<const CatalogEntry*>, std::less<>> measures;
  auto measure_of = [&](const std::string& code) -> const absl::StatusOr<const CatalogEntry*>& {
    auto it = measures.find(code);
    if (it == measures.end()) it = measures.emplace(code, FindMeasure(code)).first;
    return it->second;
  };
  std::vector<Prepared> prepared;
  prepared.reserve(batch.observations().size());
  for (const ObservationInput& in : batch.observations()) {
    bool ok = true;
    if (absl::Status s = ValidatePatientId(in.patient); !s.ok()) {
      errors.Add(in.provenance, s.message());
      ok = false;
    }
    const absl::StatusOr<const CatalogEntry*>& measure = measure_of(in.measure);
    if (!measure.ok()) {
      errors.Add(in.provenance, FieldError("measure", in.measure, measure.status().message()));
      continue;
    }
    auto value = ValidateObservation((*measure)->def, in);
    if (!value.ok()) {
      errors.Add(in.provenance, value.status().message());
      continue;
    }
    if (ok) prepared.push_back({&in, *measure, *std::move(value)});
  }
  for (const Patient& p : batch.patients()) {
    if (absl::Status s = ValidatePatientId(p.id); !s.ok()) errors.Add(p.provenance, s.message());
  }
  for (const Batch::Retraction& r : batch.retractions()) {
    if (r.provenance.reason.empty()) {
      errors.Add(r.provenance, FieldError("reason", "", "why the value is retracted"));
    }
    const absl::StatusOr<const CatalogEntry*>& measure = measure_of(r.measure);
    if (!measure.ok()) errors.Add(r.provenance, measure.status().message());
  }
  if (!errors.empty()) return errors.ToStatus();

  // 2. Build the changes against one snapshot.
  auto view = store_->NewReadView();
  auto out = store_->NewBatch();
  WriteSummary summary;
  uint32_t next_patient = next_patient_num_;
  std::map<std::string, PendingPatient> patients;  // by id
  std::map<std::string, PendingSeries> series;     // by series key

  auto patient_state = [&](const std::string& id) -> absl::StatusOr<PendingPatient*> {
    auto it = patients.find(id);
    if (it != patients.end()) return &it->second;
    PendingPatient& pp = patients[id];
    pp.num = PatientNum(id);
    if (pp.num == 0) {
      pp.num = next_patient++;
      pp.is_new = true;
    } else {
      std::vector<Patient> versions;
      COTRACK_RETURN_IF_ERROR(ReadPatientVersions(view.get(), pp.num, &versions));
      if (!versions.empty()) pp.current = std::move(versions.back());
    }
    return &pp;
  };
  auto put_patient_version = [&](PendingPatient& pp, Patient p, const Provenance& prov) {
    p.version = pp.current ? pp.current->version + 1 : 1;
    p.recorded_at_us = now_us;
    p.provenance = DefaultProvenance(prov);
    codec::AppendRecord(&pp.appended, codec::EncodePatient(p));
    pp.current = std::move(p);
    ++summary.patients;
  };

  for (const Patient& update : batch.patients()) {
    COTRACK_ASSIGN_OR_RETURN(PendingPatient * pp, patient_state(update.id));
    Patient merged = pp->current ? MergePatient(*pp->current, update) : update;
    merged.id = update.id;
    if (pp->current && SamePatient(*pp->current, merged)) continue;
    put_patient_version(*pp, std::move(merged), update.provenance);
  }

  auto series_state = [&](PendingPatient& pp, const std::string& patient,
                          const CatalogEntry& m) -> absl::StatusOr<PendingSeries*> {
    std::string key = keys::SeriesKey(m.id, pp.num);
    auto it = series.find(key);
    if (it != series.end()) return &it->second;
    PendingSeries& ps = series[key];
    if (!pp.is_new) {
      COTRACK_RETURN_IF_ERROR(ReadSeries(view.get(), pp.num, patient, m, &ps.versions));
      ps.IndexStored();
      ps.first_added = ps.versions.size();
    }
    return &ps;
  };

  for (Prepared& p : prepared) {
    const ObservationInput& in = *p.in;
    COTRACK_ASSIGN_OR_RETURN(PendingPatient * pp, patient_state(in.patient));
    if (!pp->current) {
      Patient fresh;
      fresh.id = in.patient;
      put_patient_version(*pp, std::move(fresh), in.provenance);
    }
    COTRACK_ASSIGN_OR_RETURN(PendingSeries * ps, series_state(*pp, in.patient, *p.measure));
    Observation obs;
    obs.time = in.time;
    obs.value = p.value.value;
    obs.comparator = p.value.comparator;
    obs.original_value = std::move(p.value.original_value);
    obs.original_unit = std::move(p.value.original_unit);
    obs.items = std::move(p.value.items);
    obs.visit = in.visit;
    obs.recorded_at_us = now_us;
    obs.provenance = DefaultProvenance(in.provenance);

    const Observation* latest = ps->LatestAt(in.time.seconds);
    if (latest != nullptr) {
      // Re-importing the value a retraction withdrew must not bring it back:
      // compare content with the status of the latest version.
      obs.status = latest->status;
      if (codec::SameContent(*latest, obs)) {
        ++summary.unchanged;
        continue;
      }
      obs.status = ObservationStatus::kAmended;
      obs.version = latest->version + 1;
      ++summary.corrected;
    } else {
      obs.status = ObservationStatus::kFinal;
      obs.version = 1;
      ++summary.written;
    }
    ps->Add(std::move(obs));
  }

  for (const Batch::Retraction& r : batch.retractions()) {
    const uint32_t num = patients.count(r.patient) ? patients[r.patient].num : PatientNum(r.patient);
    if (num == 0) {
      return absl::NotFoundError(absl::StrCat(Where(r.provenance), ": unknown patient \"",
                                              r.patient, "\"; nothing was written"));
    }
    COTRACK_ASSIGN_OR_RETURN(PendingPatient * pp, patient_state(r.patient));
    COTRACK_ASSIGN_OR_RETURN(PendingSeries * ps, series_state(*pp, r.patient, **measure_of(r.measure)));
    const Observation* latest = ps->LatestAt(r.time.seconds);
    if (latest == nullptr) {
      return absl::NotFoundError(absl::StrCat(Where(r.provenance), ": no ", r.measure,
                                              " value of patient \"", r.patient, "\" at ",
                                              FormatCivilTime(r.time), "; nothing was written"));
    }
    if (latest->status == ObservationStatus::kEnteredInError) {
      ++summary.unchanged;
      continue;
    }
    Observation obs = *latest;
    obs.status = ObservationStatus::kEnteredInError;
    obs.version = latest->version + 1;
    obs.recorded_at_us = now_us;
    obs.provenance = DefaultProvenance(r.provenance);
    ps->Add(std::move(obs));
    ++summary.retracted;
  }

  if (options.dry_run) return summary;

  // 3. Commit data, id index, counters and the audit entry together.
  for (auto& [id, pp] : patients) {
    if (pp.is_new) {
      out->Put(Family::kPatientIds, id, keys::PatientKey(pp.num));
    }
    if (!pp.appended.empty()) out->Append(Family::kPatients, keys::PatientKey(pp.num), pp.appended);
  }
  std::string log;
  for (auto& [key, ps] : series) {
    if (ps.added().empty()) continue;
    log.clear();
    codec::AppendObservations(&log, ps.added());
    out->Append(Family::kSeries, key, log);
  }
  if (next_patient != next_patient_num_) AddCount(*out, "next_patient_num", next_patient, 4);

  AuditRecord audit;
  audit.sequence = next_audit_seq_;
  audit.at_us = now_us;
  audit.action = batch.audit_action();
  audit.detail = batch.audit_detail();
  audit.summary = summary;
  if (patients.size() == 1) audit.patient = patients.begin()->first;
  for (const auto& entry : patients) audit.patients.push_back(entry.first);  // sorted: a std::map
  Provenance first;
  if (!batch.observations().empty()) {
    first = batch.observations().front().provenance;
  } else if (!batch.patients().empty()) {
    first = batch.patients().front().provenance;
  } else if (!batch.retractions().empty()) {
    first = batch.retractions().front().provenance;
  }
  first.line = 0;
  audit.provenance = DefaultProvenance(first);
  std::string audit_log;
  codec::AppendRecord(&audit_log, codec::EncodeAudit(audit));
  out->Put(Family::kAudit, keys::AuditKey(audit.sequence), audit_log);
  AddCount(*out, "next_audit_seq", next_audit_seq_ + 1, 8);

  COTRACK_RETURN_IF_ERROR(store_->Write(*out, options.sync));

  // Only now that the write is durable do the in-memory indexes move on.
  next_audit_seq_++;
  next_patient_num_ = next_patient;
  {
    std::unique_lock lock(mu_);
    for (auto& [id, pp] : patients) {
      if (pp.is_new) patient_nums_[id] = pp.num;
    }
  }
  return summary;
}

absl::Status DatabaseImpl::RegisterMeasure(const MeasureDefinition& measure,
                                           const Provenance& provenance,
                                           const WriteOptions& options) {
  COTRACK_RETURN_IF_ERROR(CheckWritable());
  COTRACK_RETURN_IF_ERROR(ValidateMeasureDefinition(measure));
  std::lock_guard<std::mutex> write_lock(write_mu_);
  MeasureDefinition def = measure;
  def.builtin = false;
  {
    std::shared_lock lock(mu_);
    if (const CatalogEntry* existing = catalog_.Find(def.code)) {
      if (!existing->def.builtin &&
          codec::EncodeMeasure(existing->id, existing->def) == codec::EncodeMeasure(existing->id, def)) {
        return absl::OkStatus();
      }
      return absl::AlreadyExistsError(absl::StrCat(
          "measure \"", def.code, "\" already exists",
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
  AddCount(*out, "next_measure_id", id + 1, 4);

  AuditRecord audit;
  audit.sequence = next_audit_seq_;
  audit.at_us = absl::ToUnixMicros(absl::Now());
  audit.action = "measure";
  audit.detail = absl::StrCat("registered measure ", def.code, " (", def.name, ", ", def.unit, ")");
  audit.provenance = DefaultProvenance(provenance);
  std::string audit_log;
  codec::AppendRecord(&audit_log, codec::EncodeAudit(audit));
  out->Put(Family::kAudit, keys::AuditKey(audit.sequence), audit_log);
  AddCount(*out, "next_audit_seq", next_audit_seq_ + 1, 8);

  COTRACK_RETURN_IF_ERROR(store_->Write(*out, options.sync));
  next_measure_id_ = id + 1;
  next_audit_seq_++;
  std::unique_lock lock(mu_);
  return catalog_.Add(id, std::move(def));
}

}  // namespace cotrack

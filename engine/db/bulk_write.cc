// Every write goes through here (Apply is a one-batch bulk write):
// 1. Add validates each change and stages it, sorted by series, spilling to
//    disk past a memory limit, so that a file of any size fits;
// 2. Commit walks the staged changes one series at a time, compares each with
//    the stored versions of its identity (same content: no-op; different: a
//    new version; none to read when the series' recorded end is earlier, or
//    when the patient's complete ends do not list it, see series_ends.h), and
//    writes data, series ends, id index, counters and the
//    audit entry in one atomic step through a CommitBatch (commit_batch.h): a
//    logged write batch, or, for large writes, table files ingested across
//    column families at once.
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "catalog/validation.h"
#include "codec/key_codec.h"
#include "codec/series.h"
#include "codec/value_codec.h"
#include "cotrack/status_macros.h"
#include "cotrack/text.h"
#include "db/commit_batch.h"
#include "db/database_impl.h"
#include "db/series_ends.h"
#include "db/staging.h"

namespace cotrack {
namespace {

constexpr size_t kMaxListedErrors = 20;

std::string Where(const Provenance& p) {
  if (p.source.empty() || p.source == "api") {
    return p.line > 0 ? absl::StrCat("api:", p.line) : "api";
  }
  return absl::StrCat(p.source, ":", p.line);
}

// All rejections as one error: the first kMaxListedErrors, then a count.
absl::Status RejectionsStatus(absl::Span<const Rejection> rejected) {
  std::vector<absl::string_view> lines;
  for (size_t i = 0; i < rejected.size() && i < kMaxListedErrors; ++i) {
    lines.push_back(rejected[i].message);
  }
  const bool all_not_found = std::all_of(rejected.begin(), rejected.end(), [](const Rejection& r) {
    return r.code == absl::StatusCode::kNotFound;
  });
  std::string msg = absl::StrJoin(lines, "\n");
  if (rejected.size() > lines.size()) {
    absl::StrAppend(&msg, "\n... and ", rejected.size() - lines.size(), " more errors");
  }
  absl::StrAppend(&msg, "\nnothing was written");
  return all_not_found ? absl::NotFoundError(msg) : absl::InvalidArgumentError(msg);
}

// One series while Commit walks it: the stored versions at the times the
// write touches, then those added. Added versions are the staged changes
// themselves, completed in place, so nothing is copied per change; reused
// from series to series, so its buffers keep their capacity.
class PendingSeries {
 public:
  // Takes the stored versions (already in `stored()`) as the starting point.
  void Load() {
    stored_latest_.clear();
    for (const Observation& o : stored_) {
      auto [it, inserted] = stored_latest_.try_emplace(o.time.seconds, &o);
      if (!inserted && it->second->version < o.version) it->second = &o;
    }
    made_.clear();
    added_.clear();
  }
  std::vector<Observation>& stored() { return stored_; }
  // Valid until the next Load; times must not go back between calls.
  const Observation* LatestAt(int64_t seconds) const {
    // Changes arrive in time order: the latest added version at a time is
    // the last one added.
    if (!added_.empty() && added_.back()->time.seconds == seconds) return added_.back();
    if (stored_latest_.empty()) return nullptr;
    auto it = stored_latest_.find(seconds);
    return it == stored_latest_.end() ? nullptr : it->second;
  }
  // `o` must stay put until the series is encoded.
  void Add(const Observation& o) { added_.push_back(&o); }
  // A version built here rather than staged (a retraction's).
  void AddMade(Observation&& o) { added_.push_back(&made_.emplace_back(std::move(o))); }
  absl::Span<const Observation* const> added() const { return added_; }

 private:
  std::vector<Observation> stored_;
  absl::flat_hash_map<int64_t, const Observation*> stored_latest_;
  std::deque<Observation> made_;  // stable addresses
  std::vector<const Observation*> added_;
};

// Two registrations say the same thing (ignoring version and provenance).
bool SamePatient(const Patient& a, const Patient& b) {
  return a.arm == b.arm && a.index_date == b.index_date && a.treatment_dates == b.treatment_dates &&
         a.attributes == b.attributes;
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

}  // namespace

class BulkWriteImpl : public EngineBulkWrite {
 public:
  BulkWriteImpl(DatabaseImpl* db, std::unique_lock<std::mutex> lock, const WriteOptions& options,
                std::string action, std::string detail, WriteContext context)
      : db_(db),
        lock_(std::move(lock)),
        options_(options),
        context_(std::move(context)),
        action_(std::move(action)),
        detail_(std::move(detail)),
        sorter_(db->path(), db->options_.bulk_memory_bytes),
        next_patient_(db->next_patient_num_) {}

  absl::Status Add(const Batch& batch, std::vector<Rejection>* rejected) override;
  absl::StatusOr<WriteSummary> Commit(std::vector<Rejection>* rejected) override;
  void SetReceipt(uint64_t client, uint64_t sequence) override {
    context_.client = client;
    context_.sequence = sequence;
  }

 private:
  struct Touched {
    uint32_t num = 0;
    bool is_new = false;
    std::vector<Patient> updates;  // registrations in this write, in order
    size_t attribution = 0;        // of the patient's first change
    bool noted = false;            // `attribution` is set
  };
  // Who made changes of this write, and why: each distinct (user, reason)
  // gets its own audit entry, with the counts and patients of its changes,
  // so that a batch written for several people names each of them. Nearly
  // every write has one (a visit, an import): then nothing is tracked per
  // change.
  struct Attribution {
    std::string user, reason;  // as stored (the user defaulted)
    Provenance first;          // as given, of its first change
    WriteSummary summary;
    std::vector<uint32_t> patient_nums;
  };
  // The index of the attribution `stored` (a change's provenance as stored;
  // `given` as the caller gave it), added when new.
  size_t NoteAttribution(const Provenance& stored, const Provenance& given);
  // The index of an attribution NoteAttribution has seen.
  size_t AttributionOf(const Provenance& stored);

  // The patient's entry; a new number (not yet visible) for an unknown id.
  absl::StatusOr<Touched*> Touch(const std::string& id);
  // The id of a touched patient's number (for messages; built on first use).
  const std::string& IdOf(uint32_t num);
  absl::StatusOr<const CatalogEntry*> Measure(const std::string& code);
  // ValidateAttribution, skipping the user and reason the last valid change
  // had: an import repeats them on every row.
  absl::Status CheckAttribution(const Provenance& p);
  // The patient's series ends, read on first use.
  struct PatientEnds;
  absl::StatusOr<PatientEnds*> EndsOf(uint32_t num, const ReadView* view);
  // Reads the series ends of many touched patients in one scan.
  absl::Status LoadEnds(const ReadView* view);
  // When `num` is numbered by this write (never used before, so no series
  // is stored under it), marks `ends` complete and to be written; true then.
  bool CompleteIfNumberedHere(uint32_t num, PatientEnds& ends) const {
    if (num < db_->next_patient_num_) return false;
    ends.ends.MarkComplete();
    ends.changed = true;
    return true;
  }
  // After a successful write: the handle's cache of series ends
  // (DatabaseImpl::series_ends_) takes the records this write read or
  // wrote, or, for a large write, forgets its patients. Spends end_records_.
  void RememberEnds(bool ingested);
  absl::Status CommitSeries(absl::Span<StagedChange> changes, const ReadView* view, int64_t now_us,
                            CommitBatch& out, WriteSummary& summary,
                            std::vector<Rejection>& duplicates);
  // Applies WriteOptions::repeats to the series' values that share a time:
  // sets drop_[i] for each change CommitSeries leaves out, combines a mean
  // into the first, and adds a rejection for each value the policy refuses.
  void ResolveRepeats(absl::Span<StagedChange> changes, const CatalogEntry& measure, uint32_t num,
                      std::vector<Rejection>& duplicates);

  DatabaseImpl* db_;
  std::unique_lock<std::mutex> lock_;
  WriteOptions options_;
  WriteContext context_;
  std::string action_;
  std::string detail_;
  ChangeSorter sorter_;
  StagedChange scratch_;
  PendingSeries pending_;   // Commit's, reused for every series
  std::vector<char> drop_;  // ResolveRepeats', likewise
  std::string series_log_;  // likewise: a stored series as read
  // Series ends of the patients whose series this write touched, in number
  // order; written after the series pass, in key order (table files want it).
  struct PatientEnds {
    SeriesEnds ends;
    bool changed = false;
  };
  std::vector<uint32_t> end_nums_;
  std::vector<PatientEnds> end_records_;  // end_records_[i] is end_nums_[i]'s
  size_t end_cursor_ = 0;                 // the last one looked up
  uint32_t next_patient_;
  std::map<std::string, Touched> touched_;  // by id: sorted for the audit entry
  const std::string* last_touched_id_ = nullptr;
  // The id of the previous observation that passed ValidatePatientId, so a
  // patient's rows (files list them together) check it once. Empty until one
  // has: "" itself breaks the rule and must not pass as already checked.
  std::string last_valid_patient_;
  std::string last_valid_user_, last_valid_reason_;  // empty: valid (the defaults)
  Touched* last_touched_ = nullptr;
  absl::flat_hash_map<uint32_t, const std::string*> ids_by_num_;
  std::map<std::string, absl::StatusOr<const CatalogEntry*>, std::less<>> measures_;
  decltype(measures_)::const_iterator last_measure_ = measures_.end();
  std::optional<Provenance> first_provenance_;
  std::vector<Attribution> attributions_;
  size_t last_attribution_ = 0;
  bool finished_ = false;
};

size_t BulkWriteImpl::NoteAttribution(const Provenance& stored, const Provenance& given) {
  if (!attributions_.empty()) {
    const Attribution& last = attributions_[last_attribution_];
    if (last.user == stored.user && last.reason == stored.reason) return last_attribution_;
    for (size_t i = 0; i < attributions_.size(); ++i) {
      if (attributions_[i].user == stored.user && attributions_[i].reason == stored.reason) {
        return last_attribution_ = i;
      }
    }
  }
  Attribution& a = attributions_.emplace_back();
  a.user = stored.user;
  a.reason = stored.reason;
  a.first = given;
  return last_attribution_ = attributions_.size() - 1;
}

size_t BulkWriteImpl::AttributionOf(const Provenance& stored) {
  for (size_t i = 0; i < attributions_.size(); ++i) {
    if (attributions_[i].user == stored.user && attributions_[i].reason == stored.reason) return i;
  }
  return 0;  // not reached: every staged change was noted
}

absl::StatusOr<BulkWriteImpl::Touched*> BulkWriteImpl::Touch(const std::string& id) {
  // Files list a patient's rows together: skip the map for a repeat.
  if (last_touched_ != nullptr && *last_touched_id_ == id) return last_touched_;
  auto it = touched_.find(id);
  if (it == touched_.end()) {
    COTRACK_ASSIGN_OR_RETURN(uint32_t num, db_->PatientNum(nullptr, id));
    it = touched_.try_emplace(id).first;
    it->second.num = num;
    if (num == 0) {
      it->second.num = next_patient_++;
      it->second.is_new = true;
    }
  }
  last_touched_id_ = &it->first;
  last_touched_ = &it->second;
  return last_touched_;
}

const std::string& BulkWriteImpl::IdOf(uint32_t num) {
  if (ids_by_num_.empty()) {
    for (const auto& [id, t] : touched_) ids_by_num_[t.num] = &id;
  }
  return *ids_by_num_.at(num);
}

absl::StatusOr<BulkWriteImpl::PatientEnds*> BulkWriteImpl::EndsOf(uint32_t num,
                                                                  const ReadView* view) {
  // Series come measure by measure, each in patient order: the patient is
  // usually the one after the last.
  for (size_t i = end_cursor_; i < end_cursor_ + 2 && i < end_nums_.size(); ++i) {
    if (end_nums_[i] == num) {
      end_cursor_ = i;
      return &end_records_[i];
    }
  }
  auto it = std::lower_bound(end_nums_.begin(), end_nums_.end(), num);
  const size_t i = static_cast<size_t>(it - end_nums_.begin());
  if (it == end_nums_.end() || *it != num) {
    PatientEnds loaded;
    if (CompleteIfNumberedHere(num, loaded)) {
      // Nothing is stored under its number yet.
    } else if (auto cached = db_->series_ends_.find(num); cached != db_->series_ends_.end()) {
      loaded.ends = cached->second;  // as stored: the write lock is held
    } else {
      std::string value;
      COTRACK_ASSIGN_OR_RETURN(
          bool found, db_->store_->Get(view, Family::kMeta, keys::SeriesEndsKey(num), &value));
      if (found) COTRACK_RETURN_IF_ERROR(SeriesEnds::Decode(value, num, &loaded.ends));
      db_->NoteEndsRead();
    }
    end_nums_.insert(it, num);
    end_records_.insert(end_records_.begin() + static_cast<ptrdiff_t>(i), std::move(loaded));
  }
  end_cursor_ = i;
  return &end_records_[i];
}

absl::Status BulkWriteImpl::LoadEnds(const ReadView* view) {
  // A visit touches one patient: EndsOf's lookup is enough. An import
  // touches thousands, usually numbered close together, and one scan over
  // their keys costs a fraction of a lookup each.
  constexpr size_t kScanFrom = 64;
  if (touched_.size() < kScanFrom) return absl::OkStatus();
  for (const auto& [id, t] : touched_) end_nums_.push_back(t.num);
  std::sort(end_nums_.begin(), end_nums_.end());
  end_records_.resize(end_nums_.size());
  const uint32_t high = end_nums_.back();
  const std::string end = high == UINT32_MAX ? keys::kSeriesEndsEnd : keys::SeriesEndsKey(high + 1);
  absl::Status decoded;
  COTRACK_RETURN_IF_ERROR(db_->store_->Scan(
      view, Family::kMeta, keys::SeriesEndsKey(end_nums_.front()), end,
      [&](absl::string_view key, absl::string_view value) {
        uint32_t num;
        if (!keys::ParseSeriesEndsKey(key, &num)) return true;  // `cotrack check` names it
        auto it = std::lower_bound(end_nums_.begin(), end_nums_.end(), num);
        if (it != end_nums_.end() && *it == num) {
          decoded = SeriesEnds::Decode(value, num, &end_records_[it - end_nums_.begin()].ends);
        }
        return decoded.ok();
      }));
  COTRACK_RETURN_IF_ERROR(decoded);
  for (size_t i = 0; i < end_nums_.size(); ++i) {
    CompleteIfNumberedHere(end_nums_[i], end_records_[i]);
  }
  return absl::OkStatus();
}

void BulkWriteImpl::RememberEnds(bool ingested) {
  // The records of a write of more than a quarter of this many patients (an
  // import) would only push out those of the patients a clinic's
  // application is recording visits for: it makes the cache forget its
  // patients instead.
  constexpr size_t kMax = DatabaseImpl::kMaxCachedSeriesEnds;
  auto& cache = db_->series_ends_;
  if (ingested || end_nums_.size() > kMax / 4) {
    for (uint32_t num : end_nums_) cache.erase(num);
    return;
  }
  if (cache.size() + end_nums_.size() > kMax) cache.clear();
  for (size_t i = 0; i < end_nums_.size(); ++i) {
    cache.insert_or_assign(end_nums_[i], std::move(end_records_[i].ends));
  }
}

absl::StatusOr<const CatalogEntry*> BulkWriteImpl::Measure(const std::string& code) {
  // Files often repeat a measure row after row.
  if (last_measure_ != measures_.end() && last_measure_->first == code) {
    return last_measure_->second;
  }
  auto it = measures_.find(code);
  if (it == measures_.end()) it = measures_.emplace(code, db_->FindMeasure(code)).first;
  last_measure_ = it;
  return it->second;
}

absl::Status BulkWriteImpl::CheckAttribution(const Provenance& p) {
  if (p.user == last_valid_user_ && p.reason == last_valid_reason_) return absl::OkStatus();
  COTRACK_RETURN_IF_ERROR(ValidateAttribution(p));
  last_valid_user_ = p.user;
  last_valid_reason_ = p.reason;
  return absl::OkStatus();
}

absl::Status BulkWriteImpl::Add(const Batch& batch, std::vector<Rejection>* rejected) {
  if (finished_) return absl::FailedPreconditionError("bulk write already committed");
  std::vector<Rejection> local;
  std::vector<Rejection>& out = rejected != nullptr ? *rejected : local;
  const size_t rejected_before = out.size();
  auto reject = [&](const Provenance& p, absl::string_view message, std::string change,
                    absl::StatusCode code = absl::StatusCode::kInvalidArgument) {
    out.push_back(Rejection{p, absl::StrCat(Where(p), ": ", message), std::move(change), code, ""});
  };
  // Fields quoted as CSV needs: an id "Smith, J" or a value entered as
  // "6,5" must come back as one field when the reject file is read.
  auto as_row = [](const ObservationInput& in) {
    return absl::StrCat(
        CsvField(in.patient), ",", CsvField(in.measure), ",", FormatCivilTime(in.time), ",",
        CsvField(in.original_value.empty() ? absl::StrCat(in.value) : in.original_value), ",",
        CsvField(in.unit));
  };

  // Validate everything first, so that a rejected batch stages nothing.
  struct Valid {
    const ObservationInput* in;
    const CatalogEntry* measure;
    ValidatedValue value;
  };
  std::vector<Valid> valid;
  valid.reserve(batch.observations().size());
  for (const ObservationInput& in : batch.observations()) {
    const size_t rejected_here = out.size();
    // Every rejection below is of this observation: it names its measure.
    struct NameMeasure {
      std::vector<Rejection>& out;
      size_t from;
      const std::string& measure;
      ~NameMeasure() {
        for (size_t i = from; i < out.size(); ++i) out[i].measure = measure;
      }
    } name_measure{out, rejected_here, in.measure};
    if (in.patient.empty() || in.patient != last_valid_patient_) {
      if (absl::Status s = ValidatePatientId(in.patient); !s.ok()) {
        reject(in.provenance, s.message(), as_row(in));
        continue;
      }
      last_valid_patient_ = in.patient;
    }
    if (absl::Status s = CheckAttribution(in.provenance); !s.ok()) {
      reject(in.provenance, s.message(), as_row(in));
      continue;
    }
    const absl::StatusOr<const CatalogEntry*>& measure = Measure(in.measure);
    if (!measure.ok()) {
      reject(in.provenance, FieldError("measure", in.measure, measure.status().message()),
             as_row(in));
      continue;
    }
    auto value = ValidateObservation((*measure)->def, in);
    if (!value.ok()) {
      // Without a file line, say which value of the visit was wrong.
      reject(in.provenance,
             in.provenance.line > 0
                 ? std::string(value.status().message())
                 : absl::StrCat("patient \"", in.patient, "\", ", in.measure, " at ",
                                FormatCivilTime(in.time), ": ", value.status().message()),
             as_row(in));
      continue;
    }
    valid.push_back({&in, *measure, *std::move(value)});
  }
  std::vector<const cotrack::Patient*> valid_patients;
  for (const cotrack::Patient& p : batch.patients()) {
    if (absl::Status s = ValidatePatientId(p.id); !s.ok()) {
      reject(p.provenance, s.message(), CsvField(p.id));
    } else if (absl::Status a = CheckAttribution(p.provenance); !a.ok()) {
      reject(p.provenance, a.message(), CsvField(p.id));
    } else {
      valid_patients.push_back(&p);
    }
  }
  std::vector<std::pair<const Batch::Retraction*, const CatalogEntry*>> valid_retractions;
  for (const Batch::Retraction& r : batch.retractions()) {
    const absl::StatusOr<const CatalogEntry*>& measure = Measure(r.measure);
    const std::string change = absl::StrCat(CsvField(r.patient), ",", CsvField(r.measure), ",",
                                            FormatCivilTime(r.time), ",,");
    if (r.provenance.reason.empty()) {
      reject(r.provenance, FieldError("reason", "", "why the value is retracted"), change);
    } else if (absl::Status a = CheckAttribution(r.provenance); !a.ok()) {
      reject(r.provenance, a.message(), change);
    } else if (!measure.ok()) {
      reject(r.provenance, measure.status().message(), change);
    } else {
      uint32_t num = 1;  // any non-zero: a patient this write registers is known
      if (touched_.count(r.patient) == 0) {
        COTRACK_ASSIGN_OR_RETURN(num, db_->PatientNum(nullptr, r.patient));
      }
      if (num == 0) {
        reject(r.provenance, absl::StrCat("unknown patient \"", r.patient, "\""), change,
               absl::StatusCode::kNotFound);
      } else {
        valid_retractions.emplace_back(&r, *measure);
      }
    }
  }
  if (rejected == nullptr && out.size() > rejected_before) return RejectionsStatus(out);

  // Stage.
  for (const cotrack::Patient* p : valid_patients) {
    COTRACK_ASSIGN_OR_RETURN(Touched * t, Touch(p->id));
    t->updates.push_back(*p);
    const size_t a =
        NoteAttribution(db_->DefaultProvenance(p->provenance, context_), p->provenance);
    if (!t->noted) {
      t->attribution = a;
      t->noted = true;
    }
    if (!first_provenance_) first_provenance_ = p->provenance;
  }
  // One scratch change, refilled per value: its strings keep their capacity.
  StagedChange& c = scratch_;
  for (Valid& v : valid) {
    const ObservationInput& in = *v.in;
    c.measure_id = v.measure->id;
    COTRACK_ASSIGN_OR_RETURN(Touched * t, Touch(in.patient));
    c.patient_num = t->num;
    c.retraction = false;
    c.obs.time = in.time;
    c.obs.value = v.value.value;
    c.obs.comparator = v.value.comparator;
    c.obs.original_value = std::move(v.value.original_value);
    c.obs.original_unit = std::move(v.value.original_unit);
    c.obs.items = std::move(v.value.items);
    c.obs.visit = in.visit;
    db_->DefaultProvenance(in.provenance, context_, &c.obs.provenance);
    const size_t a = NoteAttribution(c.obs.provenance, in.provenance);
    if (!t->noted) {
      t->attribution = a;
      t->noted = true;
    }
    if (!first_provenance_) first_provenance_ = in.provenance;
    COTRACK_RETURN_IF_ERROR(sorter_.Add(c));
  }
  for (const auto& [r, measure] : valid_retractions) {
    c.measure_id = measure->id;
    COTRACK_ASSIGN_OR_RETURN(Touched * t, Touch(r->patient));
    c.patient_num = t->num;
    c.retraction = true;
    c.obs = Observation();
    c.obs.time = r->time;
    db_->DefaultProvenance(r->provenance, context_, &c.obs.provenance);
    NoteAttribution(c.obs.provenance, r->provenance);
    if (!first_provenance_) first_provenance_ = r->provenance;
    COTRACK_RETURN_IF_ERROR(sorter_.Add(c));
  }
  return absl::OkStatus();
}

namespace {

// The same observation given again: what the identity holds, as entered.
bool SameValue(const Observation& a, const Observation& b) {
  return a.value == b.value && a.comparator == b.comparator && a.original_unit == b.original_unit &&
         a.items.size() == b.items.size() &&
         std::equal(a.items.begin(), a.items.end(), b.items.begin(),
                    [](double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); });
}

// Digits after the decimal mark of a value as entered ("6.50" -> 2).
int DecimalsOf(absl::string_view text) {
  const size_t mark = text.find_last_of(".,");
  if (mark == absl::string_view::npos) return 0;
  int n = 0;
  for (size_t i = mark + 1; i < text.size() && absl::ascii_isdigit(text[i]); ++i) ++n;
  return n;
}

}  // namespace

void BulkWriteImpl::ResolveRepeats(absl::Span<StagedChange> changes, const CatalogEntry& measure,
                                   uint32_t num, std::vector<Rejection>& duplicates) {
  drop_.assign(changes.size(), 0);
  std::vector<size_t> values;  // of one time, in arrival order
  std::vector<size_t> distinct;
  for (size_t i = 0; i < changes.size();) {
    const int64_t t = changes[i].obs.time.seconds;
    size_t j = i;
    values.clear();
    for (; j < changes.size() && changes[j].obs.time.seconds == t; ++j) {
      if (!changes[j].retraction) values.push_back(j);
    }
    i = j;
    if (values.size() < 2) continue;
    const size_t first = values[0];
    distinct.assign(1, first);
    for (size_t k = 1; k < values.size(); ++k) {
      const Observation& o = changes[values[k]].obs;
      if (std::any_of(distinct.begin(), distinct.end(),
                      [&](size_t d) { return SameValue(changes[d].obs, o); })) {
        drop_[values[k]] = 1;  // the same observation again
      } else {
        distinct.push_back(values[k]);
      }
    }
    if (distinct.size() < 2) continue;
    auto refuse = [&](size_t k, std::string message) {
      const Observation& o = changes[k].obs;
      duplicates.push_back(Rejection{
          o.provenance, absl::StrCat(Where(o.provenance), ": ", message),
          absl::StrCat(CsvField(IdOf(num)), ",", measure.def.code, ",", FormatCivilTime(o.time),
                       ",", CsvField(o.original_value), ",", CsvField(o.original_unit)),
          absl::StatusCode::kInvalidArgument, measure.def.code});
      drop_[k] = 1;
    };
    const int64_t first_line = changes[first].obs.provenance.line;
    switch (options_.repeats) {
      case WriteOptions::Repeats::kReject:
        for (size_t k = 1; k < distinct.size(); ++k) {
          refuse(distinct[k], absl::StrCat("same patient, measure and date as line ", first_line,
                                           " (each observation may appear only once in a write)"));
        }
        break;
      case WriteOptions::Repeats::kKeepFirst:
        for (size_t k = 1; k < distinct.size(); ++k) drop_[distinct[k]] = 1;
        break;
      case WriteOptions::Repeats::kKeepLast:
        for (size_t k : values) drop_[k] = 1;
        drop_[values.back()] = 0;
        break;
      case WriteOptions::Repeats::kMean: {
        bool averageable = true;
        for (size_t k : distinct) {
          const Observation& o = changes[k].obs;
          averageable &= o.comparator == Comparator::kNone && o.items.empty();
        }
        if (!averageable) {
          std::vector<int64_t> lines;
          for (size_t k : distinct) lines.push_back(changes[k].obs.provenance.line);
          const std::string others = absl::StrJoin(lines, ", ");
          for (size_t k : distinct) {
            refuse(k, absl::StrCat("same patient, measure and date on lines ", others,
                                   ": their mean is undefined, as one of them is censored (<, >) "
                                   "or has item scores; import one of them, or pick one with "
                                   "--duplicates keep-first or keep-last"));
          }
          break;
        }
        double sum = 0;
        int decimals = 0;
        bool converted = false;
        for (size_t k : distinct) {
          const Observation& o = changes[k].obs;
          sum += o.value;
          decimals = std::max(decimals, DecimalsOf(o.original_value));
          converted |= !o.original_unit.empty();
          if (k != first) drop_[k] = 1;
        }
        double mean = sum / static_cast<double>(distinct.size());
        if (measure.def.integer) decimals = 0;
        if (measure.def.step > 0) mean = std::round(mean / measure.def.step) * measure.def.step;
        // A scale of listed values (EDSS) keeps to them: the nearest one.
        const std::vector<double>& scale = measure.def.allowed_values;
        if (!scale.empty()) {
          double nearest = scale.front();
          for (double v : scale) {
            if (std::fabs(v - mean) < std::fabs(nearest - mean)) nearest = v;
          }
          mean = nearest;
          converted = true;  // its precision is the scale's
        }
        Observation& kept = changes[first].obs;
        if (converted || measure.def.step > 0) {
          // Decimals entered in another unit say nothing of the canonical
          // unit's: the mean keeps the conversions' precision. A stepped
          // measure's precision is its step.
          kept.original_value = absl::StrCat(mean);
        } else {
          const double scale = std::pow(10.0, decimals);
          mean = std::round(mean * scale) / scale;
          kept.original_value = absl::StrFormat("%.*f", decimals, mean);
        }
        kept.value = mean;
        kept.original_unit.clear();
        break;
      }
    }
  }
}

absl::Status BulkWriteImpl::CommitSeries(absl::Span<StagedChange> changes, const ReadView* view,
                                         int64_t now_us, CommitBatch& out, WriteSummary& summary,
                                         std::vector<Rejection>& duplicates) {
  const uint32_t measure_id = changes.front().measure_id;
  const uint32_t num = changes.front().patient_num;
  const CatalogEntry* measure = db_->MeasureById(measure_id);
  if (measure == nullptr) return absl::InternalError("staged change of an unknown measure id");
  // Only the stored versions at the times this write touches matter, and
  // there are none when every change is later than the series' end (a
  // visit at a new date): the read, a cold block of the series family, was
  // most of the cost of recording a visit.
  PendingSeries& ps = pending_;
  ps.stored().clear();
  std::string& log = series_log_;
  COTRACK_ASSIGN_OR_RETURN(PatientEnds * ends, EndsOf(num, view));
  std::optional<int64_t> end = ends->ends.Find(measure_id);  // no stored version is later
  // Changes arrive in time order. A complete record that does not list the
  // measure says the series is empty.
  if (end ? changes.front().obs.time.seconds <= *end : !ends->ends.complete()) {
    COTRACK_ASSIGN_OR_RETURN(bool found, db_->store_->Get(view, Family::kSeries,
                                                          keys::SeriesKey(measure_id, num), &log));
    if (found) {
      absl::flat_hash_set<int64_t> times;
      for (const StagedChange& c : changes) times.insert(c.obs.time.seconds);
      const std::string patient = absl::StrCat("#", num);
      int64_t log_end;
      COTRACK_RETURN_IF_ERROR(
          ReadLatestAt(log, SeriesNames{patient, measure->def.code, measure->def.unit}, times,
                       &ps.stored(), &log_end));
      end = std::max(end.value_or(log_end), log_end);
    }
  }
  ps.Load();
  // Changes arrive by (time, arrival): several values for one time in the
  // same write show here, side by side, at no memory cost.
  ResolveRepeats(changes, *measure, num, duplicates);
  WriteSummary* attributed = nullptr;  // the change's attribution's counts, when several
  auto count = [&](int64_t WriteSummary::*field) {
    ++(summary.*field);
    if (attributed != nullptr) ++(attributed->*field);
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    if (drop_[i]) continue;
    StagedChange& c = changes[i];
    Observation& obs = c.obs;
    obs.recorded_at_us = now_us;
    if (attributions_.size() > 1) {
      Attribution& a = attributions_[AttributionOf(obs.provenance)];
      a.patient_nums.push_back(num);
      attributed = &a.summary;
    }
    const Observation* latest = ps.LatestAt(obs.time.seconds);
    if (c.retraction) {
      if (latest == nullptr) {
        return absl::NotFoundError(absl::StrCat(Where(obs.provenance), ": no ", measure->def.code,
                                                " value at ", FormatCivilTime(obs.time),
                                                " to retract; nothing was written"));
      }
      if (latest->status == ObservationStatus::kEnteredInError) {
        count(&WriteSummary::unchanged);
        continue;
      }
      Observation retracted = *latest;
      retracted.status = ObservationStatus::kEnteredInError;
      retracted.version = latest->version + 1;
      retracted.recorded_at_us = now_us;
      retracted.provenance = obs.provenance;
      ps.AddMade(std::move(retracted));
      count(&WriteSummary::retracted);
      continue;
    }
    if (latest != nullptr) {
      // Re-importing the value a retraction withdrew must not bring it back:
      // compare content with the status of the latest version.
      obs.status = latest->status;
      if (codec::SameContent(*latest, obs)) {
        count(&WriteSummary::unchanged);
        continue;
      }
      obs.status = ObservationStatus::kAmended;
      obs.version = latest->version + 1;
      count(&WriteSummary::corrected);
    } else {
      obs.status = ObservationStatus::kFinal;
      obs.version = 1;
      count(&WriteSummary::written);
    }
    ps.Add(obs);
  }
  if (!ps.added().empty()) {
    out.AppendSeries(measure_id, num, ps.added());
    int64_t added_end = std::numeric_limits<int64_t>::min();
    for (const Observation* o : ps.added()) added_end = std::max(added_end, o->time.seconds);
    // Unlisted (a series older than ends, now read) or later: list it.
    if (!ends->ends.Find(measure_id) || added_end > *end) {
      ends->ends.Set(measure_id, end ? std::max(*end, added_end) : added_end);
      ends->changed = true;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<WriteSummary> BulkWriteImpl::Commit(std::vector<Rejection>* rejected) {
  if (finished_) return absl::FailedPreconditionError("bulk write already committed");
  finished_ = true;
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  auto view = db_->store_->NewReadView();
  // Small writes go through the write-ahead log; large ones are table files
  // ingested at once, sparing the log and the memtable. Registrations count
  // as changes: a patients file of 30,000 rows went through the log, the
  // memtable and a flush at close, a fifth of a registry's import time.
  size_t changes = sorter_.size();
  for (const auto& entry : touched_) {
    changes += (entry.second.is_new ? 1 : 0) + entry.second.updates.size();
  }
  const bool ingest =
      !options_.dry_run && (sorter_.spilled() || changes >= db_->options_.bulk_ingest_threshold);
  std::unique_ptr<CommitBatch> out;
  if (ingest) {
    COTRACK_ASSIGN_OR_RETURN(out, CommitBatch::Ingested(*db_->store_));
  } else {
    out = CommitBatch::Logged(*db_->store_);
  }
  WriteSummary summary;

  COTRACK_RETURN_IF_ERROR(LoadEnds(view.get()));
  // Series, in key order: one stored read and one append per series.
  std::vector<Rejection> duplicates;
  COTRACK_RETURN_IF_ERROR(sorter_.Drain([&](absl::Span<StagedChange> series) {
    return CommitSeries(series, view.get(), now_us, *out, summary, duplicates);
  }));
  if (!duplicates.empty()) {
    if (rejected == nullptr) return RejectionsStatus(duplicates);
    rejected->insert(rejected->end(), duplicates.begin(), duplicates.end());
  }
  // A new patient gets a complete record even without observations (a
  // registration), so that its first visit reads no series.
  for (const auto& entry : touched_) {
    if (entry.second.is_new) COTRACK_RETURN_IF_ERROR(EndsOf(entry.second.num, view.get()).status());
  }
  for (size_t i = 0; i < end_nums_.size(); ++i) {
    if (end_records_[i].changed) out->PutSeriesEnds(end_nums_[i], end_records_[i].ends);
  }

  // Patients, in number order; new ones get a first registration.
  std::map<uint32_t, std::pair<const std::string*, Touched*>> by_num;
  for (auto& [id, t] : touched_) by_num[t.num] = {&id, &t};
  for (auto& [num, entry] : by_num) {
    const std::string& id = *entry.first;
    Touched& t = *entry.second;
    if (!t.is_new && t.updates.empty()) continue;  // only observations: registration unchanged
    std::optional<cotrack::Patient> current;
    if (!t.is_new) {
      std::vector<cotrack::Patient> versions;
      COTRACK_RETURN_IF_ERROR(db_->ReadPatientVersions(view.get(), num, &versions));
      if (!versions.empty()) current = std::move(versions.back());
    }
    std::vector<cotrack::Patient> updates = std::move(t.updates);
    const bool implicit = !current && updates.empty();
    if (implicit) updates.emplace_back();  // registered by its observations
    std::vector<cotrack::Patient> added;
    for (cotrack::Patient& update : updates) {
      cotrack::Patient merged = current ? MergePatient(*current, update) : update;
      merged.id = id;
      if (current && SamePatient(*current, merged)) continue;
      merged.version = current ? current->version + 1 : 1;
      merged.recorded_at_us = now_us;
      merged.provenance = db_->DefaultProvenance(update.provenance, context_);
      ++summary.patients;
      if (attributions_.size() > 1) {
        // A registration made by observations counts with the first of them.
        Attribution& a = attributions_[implicit ? t.attribution : AttributionOf(merged.provenance)];
        ++a.summary.patients;
        a.patient_nums.push_back(num);
      }
      current = added.emplace_back(std::move(merged));
    }
    if (!added.empty()) out->AppendPatient(num, added);
  }
  for (const auto& [id, t] : touched_) {  // ids in byte order, as the family sorts them
    if (t.is_new) out->PutPatientId(id, t.num);
  }
  // Nothing more is read. The snapshot goes before the write: RocksDB gives
  // every table file ingested while a snapshot is held a sequence number,
  // and a bottom-level file with one is rewritten by the next compaction
  // that looks at it, which came right after every import (the series of
  // issue 13's file: 7.3 MB recompressed on the next writer's background
  // thread, doubling the CPU time of its visits meanwhile on this 2-core
  // machine). Without it only files that overlap stored keys get one. The
  // write lock keeps what was read true until the write.
  view.reset();

  // Counters and the audit entries: one, or one per attribution.
  std::vector<AuditRecord> audits(std::max<size_t>(attributions_.size(), 1));
  for (size_t i = 0; i < audits.size(); ++i) {
    AuditRecord& audit = audits[i];
    audit.sequence = db_->next_audit_seq_ + i;
    audit.at_us = now_us;
    audit.action = action_;
    audit.detail = detail_;
    Provenance first;
    if (audits.size() == 1) {
      audit.summary = summary;
      for (const auto& entry : touched_) audit.patients.push_back(entry.first);
      first = first_provenance_.value_or(Provenance());
    } else {
      Attribution& a = attributions_[i];
      audit.summary = a.summary;
      std::sort(a.patient_nums.begin(), a.patient_nums.end());
      a.patient_nums.erase(std::unique(a.patient_nums.begin(), a.patient_nums.end()),
                           a.patient_nums.end());
      for (uint32_t num : a.patient_nums) audit.patients.push_back(IdOf(num));
      std::sort(audit.patients.begin(), audit.patients.end());
      first = a.first;
    }
    if (audit.patients.size() == 1) audit.patient = audit.patients.front();
    first.line = 0;
    audit.provenance = db_->DefaultProvenance(first, context_);
  }
  if (ingest) {
    // Every ingested write adds a table file to the meta family whose keys
    // span the format version's, so a lookup of it (every open makes one)
    // looked through each such file down to the first one. A copy in the
    // newest file ends it there: a one-shot open, which has no bloom
    // filters, read 4 files of a 100,000-patient registry for it. The value
    // is the one this handle's open has stamped, so it never changes it.
    out->PutFormatVersion();
  }
  CommitBatch::Counters counters;
  counters.next_audit_seq = db_->next_audit_seq_ + audits.size();
  if (next_patient_ != db_->next_patient_num_) counters.next_patient_num = next_patient_;
  out->PutCounters(counters);
  for (const AuditRecord& audit : audits) out->PutAudit(audit);
  // Last in the meta family's key order, as table files want it.
  db_->PutReceipt(context_, summary, now_us, *out);

  if (options_.dry_run) return summary;
  COTRACK_RETURN_IF_ERROR(out->Write(options_.sync));

  // Only now that the write is durable do the in-memory indexes move on.
  db_->next_audit_seq_ += audits.size();
  db_->next_patient_num_ = next_patient_;
  for (const auto& [id, t] : touched_) {
    if (t.is_new) db_->CachePatientNum(id, t.num);
  }
  RememberEnds(ingest);
  return summary;
}

absl::StatusOr<std::unique_ptr<EngineBulkWrite>> DatabaseImpl::BeginBulkWrite(
    const WriteOptions& options, std::string audit_action, std::string audit_detail,
    const WriteContext& context) {
  COTRACK_RETURN_IF_ERROR(CheckWritable());
  std::unique_lock<std::mutex> lock(write_mu_);
  return std::unique_ptr<EngineBulkWrite>(new BulkWriteImpl(
      this, std::move(lock), options, std::move(audit_action), std::move(audit_detail), context));
}

absl::StatusOr<WriteSummary> DatabaseImpl::Apply(const Batch& batch, const WriteOptions& options,
                                                 const WriteContext& context) {
  COTRACK_ASSIGN_OR_RETURN(
      std::unique_ptr<EngineBulkWrite> bulk,
      BeginBulkWrite(options, batch.audit_action(), batch.audit_detail(), context));
  COTRACK_RETURN_IF_ERROR(bulk->Add(batch, nullptr));
  return bulk->Commit(nullptr);
}

}  // namespace cotrack

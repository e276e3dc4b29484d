#include "import/row_writer.h"

#include <cstring>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "import/format.h"
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

IdentitySet::Seen IdentitySet::Insert(absl::string_view patient, absl::string_view measure,
                                      int64_t seconds, uint64_t content, int64_t position) {
  if (size_ >= kMaxTrackedIdentities) return {};
  if (tables_.empty() || patient != last_patient_) {
    last_patient_.assign(patient.data(), patient.size());
    last_table_ = Intern(patients_, patient);
    if (last_table_ == tables_.size()) tables_.emplace_back();
  }
  auto [it, inserted] = tables_[last_table_].try_emplace(Key{seconds, Intern(measures_, measure)},
                                                         First{position, content});
  if (!inserted) return {it->second.position, it->second.content == content};
  ++size_;
  return {};
}

uint64_t ContentHash(const ObservationInput& obs) {
  // Bit patterns, so that NaN items (not answered) compare equal.
  auto bits = [](double d) {
    uint64_t b;
    std::memcpy(&b, &d, sizeof b);
    return b;
  };
  std::vector<uint64_t> items;
  items.reserve(obs.items.size());
  for (double d : obs.items) items.push_back(bits(d));
  return absl::HashOf(obs.value_from_items ? uint64_t{0} : bits(obs.value), obs.value_from_items,
                      static_cast<int>(obs.comparator), obs.unit, items);
}

int64_t RowWriter::FirstSeen(const ObservationInput& obs, int64_t position) {
  // A bad row's content is no value: nothing is identical to it.
  constexpr uint64_t kBadRow = 0x62616420726f7721u;
  const uint64_t content = errors_ == nullptr || ok() ? ContentHash(obs) : kBadRow;
  IdentitySet::Seen seen =
      identities_.Insert(obs.patient, obs.measure, obs.time.seconds, content, position);
  if (content == kBadRow) seen.identical = false;
  if (seen.first == 0) return 0;
  using D = ImportOptions::Duplicates;
  constexpr char kIdentical[] = "identical duplicate of an earlier row (stored once)";
  if (duplicates_ == D::kKeepLast || duplicates_ == D::kMean) {
    // The bulk write's commit, which meets the repeats side by side, keeps
    // the last or averages the distinct values (WriteOptions::repeats): the
    // rows go on, counted here.
    if (seen.identical) {
      Skip(kIdentical);
    } else {
      Skip(duplicates_ == D::kKeepLast
               ? "repeated patient, measure and date (--duplicates keep-last kept the last row)"
               : "repeated patient, measure and date (--duplicates mean stored the mean with the "
                 "first row)");
    }
    return 0;
  }
  if (seen.identical && duplicates_ != D::kError) {
    Skip(kIdentical);
  } else if (duplicates_ == D::kKeepFirst) {
    Skip("repeated patient, measure and date (--duplicates keep-first kept the first row)");
  } else {
    return seen.first;
  }
  dropped_.push_back({obs.patient, obs.measure, obs.time.seconds});
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
  dropped_.clear();
}

void RowWriter::Retract(std::string patient, std::string measure, CivilTime time,
                        std::string reason) {
  retractions_.push_back({std::move(patient), std::move(measure), time, std::move(reason)});
}

void RowWriter::RetractLast(std::string reason) {
  if (observations_.empty()) return;
  ObservationInput& o = observations_.back();
  Retract(std::move(o.patient), std::move(o.measure), o.time, std::move(reason));
  observations_.pop_back();
}

void RowWriter::RejectValue(absl::string_view change, absl::string_view reason) {
  if (value_rejects_ != nullptr) value_rejects_->RejectValue(line_, change, reason);
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
  // A row rarely gives one identity twice; when it does, the later one is
  // the one FirstSeen left out.
  for (const Dropped& d : dropped_) {
    for (size_t i = observations_.size(); i-- > 0;) {
      const ObservationInput& o = observations_[i];
      if (o.time.seconds == d.seconds && o.measure == d.measure && o.patient == d.patient) {
        observations_.erase(observations_.begin() + static_cast<ptrdiff_t>(i));
        break;
      }
    }
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

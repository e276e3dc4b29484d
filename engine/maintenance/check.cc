// The integrity check, as phases run in order by StoreCheck::Run. Each phase
// reads one part of the store and adds what it finds to the report; later
// phases rely on what earlier ones learnt (the counters, which patient
// numbers and measure ids exist), so the order matters.
#include "maintenance/check.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catalog/catalog.h"
#include "codec/key_codec.h"
#include "codec/series.h"
#include "codec/value_codec.h"
#include "cotrack/database.h"
#include "cotrack/patient_id.h"
#include "cotrack/status_macros.h"
#include "db/series_ends.h"
#include "maintenance/open_store.h"

namespace cotrack {
namespace {

// Printable form of arbitrary key bytes: text as is, other bytes as \xNN.
std::string Printable(absl::string_view key) {
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

// Collects problems, keeping the first kMaxCheckProblems.
class Problems {
 public:
  explicit Problems(CheckReport* report) : report_(report) {}
  void Add(std::string family, std::string key, std::string patient, std::string message) {
    if (report_->problems.size() >= kMaxCheckProblems) {
      ++report_->problems_not_listed;
      return;
    }
    report_->problems.push_back(
        {std::move(family), std::move(key), std::move(patient), std::move(message)});
  }

 private:
  CheckReport* report_;
};

class StoreCheck {
 public:
  StoreCheck(Store& store, CheckReport* report)
      : store_(store), report_(report), problems_(report) {}

  // The phases in order. An error means the check could not go on (a read
  // failed for a reason other than damage); damage is only reported.
  absl::Status Run() {
    COTRACK_RETURN_IF_ERROR(CheckTableFiles());
    // Everything below reads one snapshot: a writer may go on meanwhile.
    view_holder_ = store_.NewReadView();
    view_ = view_holder_.get();
    COTRACK_RETURN_IF_ERROR(CheckMeta());
    COTRACK_RETURN_IF_ERROR(CheckPatientIds());
    COTRACK_RETURN_IF_ERROR(CheckPatients());
    COTRACK_RETURN_IF_ERROR(CheckMeasures());
    COTRACK_RETURN_IF_ERROR(CheckSeries());
    return CheckAudit();
  }

 private:
  // Every table file's block checksums, each file on its own: proves the
  // bytes on disk are those RocksDB wrote, and names each damaged file.
  absl::Status CheckTableFiles();
  // The format version and the counters (meta): proves the database is one
  // this engine reads, and learns the counters the later phases hold numbers
  // against.
  absl::Status CheckMeta();
  // patient_ids: proves each id is well formed and maps to its own patient
  // number, below the patient counter (one to one, id to number).
  absl::Status CheckPatientIds();
  // patients: proves every record has an id in the index and the index no
  // id without a record, that each version verifies, names the indexed id
  // and that versions run 1..n.
  absl::Status CheckPatients();
  // measures: proves each user measure's id is in the user range and below
  // the measure counter, each version verifies and says its own id, and no
  // code is taken twice (built-ins included).
  absl::Status CheckMeasures();
  // series: proves each series refers to an existing measure and patient,
  // every version verifies, each observation's versions run 1..n, and no
  // version is later than its series' recorded end (meta), which would let
  // a write at a later date miss it.
  absl::Status CheckSeries();
  // audit: proves there is one verifying entry per sequence number 1..n, no
  // gaps, and the audit counter is just past the last: no entry beyond it
  // (the next write would overwrite it), none missing below it.
  absl::Status CheckAudit();

  // Reads the series ends that CheckSeries holds versions against.
  absl::Status ReadSeriesEnds();

  // Scans family `f` (named `family` in problems) with `fn`. A scan that
  // stops on an unreadable block is damage of that family, reported after
  // the last key read; any other failure (an I/O error, a file gone) means
  // the check could not run.
  absl::Status ScanOrReport(Family f, const char* family, const Store::ScanFn& fn) {
    absl::Status s = store_.Scan(view_, f, "", "", fn);
    if (absl::IsDataLoss(s)) {
      problems_.Add(family, last_.empty() ? "" : absl::StrCat("after ", last_), "",
                    absl::StrCat("the rest of this family is unreadable: ", s.message()));
      return absl::OkStatus();
    }
    return s;
  }

  Store& store_;
  CheckReport* report_;
  Problems problems_;
  std::unique_ptr<ReadView> view_holder_;
  const ReadView* view_ = nullptr;

  // Learnt by the phases, for those after them.
  uint64_t next_patient_num_ = 1;
  uint64_t next_measure_id_ = kFirstUserMeasureId;
  uint64_t next_audit_seq_ = 1;
  std::map<uint32_t, std::string> id_of_num_;  // the patient id index
  std::set<uint32_t> patient_nums_;            // numbers with a patient record
  std::map<uint32_t, CatalogEntry> measures_;  // built-in and user measures by id
  std::map<uint32_t, SeriesEnds> ends_;        // by patient number

  // The printable key the current scan read last: where an unreadable rest
  // of the family starts.
  std::string last_;
  std::vector<absl::string_view> records_;  // reused by each record log
};

absl::Status StoreCheck::CheckTableFiles() {
  std::vector<TableFileDamage> damaged;
  COTRACK_RETURN_IF_ERROR(store_.VerifyTableFiles(&damaged, &report_->table_files));
  for (const TableFileDamage& d : damaged) {
    problems_.Add("table file", d.file, "",
                  absl::StrCat("checksum verification failed (family ", d.family, "): ", d.error));
  }
  return absl::OkStatus();
}

absl::Status StoreCheck::CheckMeta() {
  struct Field {
    const char* key;
    size_t width;
    uint64_t* target;
  };
  uint64_t format = 0;
  const Field fields[] = {{keys::kFormatVersionKey, 4, &format},
                          {keys::kNextPatientNumKey, 4, &next_patient_num_},
                          {keys::kNextMeasureIdKey, 4, &next_measure_id_},
                          {keys::kNextAuditSeqKey, 8, &next_audit_seq_}};
  for (const Field& f : fields) {
    std::string value;
    absl::StatusOr<bool> found = store_.Get(view_, Family::kMeta, f.key, &value);
    if (absl::IsDataLoss(found.status())) {
      problems_.Add("meta", f.key, "", std::string(found.status().message()));
      continue;
    }
    COTRACK_RETURN_IF_ERROR(found.status());
    if (!*found) {
      if (std::string(f.key) == keys::kFormatVersionKey) {
        problems_.Add("meta", f.key, "",
                      "missing: this is not a cotrack database, or it is damaged");
      }
      continue;  // a counter not written yet keeps its initial value
    }
    if (value.size() != f.width) {
      problems_.Add("meta", f.key, "",
                    absl::StrCat("has ", value.size(), " bytes, expected ", f.width));
      continue;
    }
    *f.target = f.width == 4 ? keys::DecodeU32(value) : keys::DecodeU64(value);
  }
  if (format > kFormatVersion) {
    problems_.Add("meta", keys::kFormatVersionKey, "",
                  absl::StrCat("format ", format, " is newer than this cotrack understands (",
                               kFormatVersion, ")"));
  }
  return absl::OkStatus();
}

absl::Status StoreCheck::CheckPatientIds() {
  last_.clear();
  return ScanOrReport(
      Family::kPatientIds, "patient_ids", [&](absl::string_view key, absl::string_view value) {
        last_ = Printable(key);
        const std::string id(key);
        // Ids stored before the rule covered whitespace, or through the
        // empty-id defect of the C ABI, still read; but `load` refuses them,
        // so a dump of this database would not load until they are fixed.
        if (absl::Status s = ValidatePatientId(key); !s.ok()) {
          problems_.Add("patient_ids", last_, id,
                        absl::StrCat(s.message(),
                                     ". Reads of this patient work, but `cotrack load` refuses "
                                     "the id: fix it with `cotrack dump`, editing the id in the "
                                     "dump, and `cotrack load` into a new database"));
        }
        if (value.size() != 4) {
          problems_.Add("patient_ids", last_, id,
                        absl::StrCat("value has ", value.size(), " bytes, expected 4"));
          return true;
        }
        const uint32_t num = keys::DecodeU32(value);
        if (num == 0 || num >= next_patient_num_) {
          problems_.Add(
              "patient_ids", last_, id,
              absl::StrCat("patient number ", num, " outside 1..", next_patient_num_ - 1));
        }
        auto [it, inserted] = id_of_num_.emplace(num, id);
        if (!inserted) {
          problems_.Add(
              "patient_ids", last_, id,
              absl::StrCat("patient number ", num, " is also that of \"", it->second, "\""));
        }
        return true;
      });
}

absl::Status StoreCheck::CheckPatients() {
  last_.clear();
  COTRACK_RETURN_IF_ERROR(ScanOrReport(
      Family::kPatients, "patients", [&](absl::string_view key, absl::string_view log) {
        last_ = Printable(key);
        if (key.size() != 4) {
          problems_.Add("patients", last_, "", "malformed key (expected a 4-byte patient number)");
          return true;
        }
        const uint32_t num = keys::DecodeU32(key);
        const std::string pkey = absl::StrCat("patient ", num);
        auto known = id_of_num_.find(num);
        const std::string id = known == id_of_num_.end() ? "" : known->second;
        patient_nums_.insert(num);
        ++report_->patients;
        if (known == id_of_num_.end()) {
          problems_.Add("patients", pkey, "",
                        "no patient id refers to this record (missing from patient_ids)");
        }
        absl::Status s = codec::SplitRecords(log, pkey, &records_);
        if (!s.ok()) {
          problems_.Add("patients", pkey, id, std::string(s.message()));
          return true;
        }
        uint32_t expected_version = 1;
        for (size_t i = 0; i < records_.size(); ++i) {
          Patient p;
          s = codec::DecodePatient(records_[i], &p);
          if (!s.ok()) {
            problems_.Add("patients", pkey, id,
                          absl::StrCat("version record ", i + 1, ": ", s.message()));
            continue;
          }
          ++report_->patient_versions;
          if (p.version != expected_version) {
            problems_.Add("patients", pkey, id,
                          absl::StrCat("record ", i + 1, " has version ", p.version, ", expected ",
                                       expected_version));
          }
          expected_version = p.version + 1;
          if (!id.empty() && p.id != id) {
            problems_.Add("patients", pkey, id,
                          absl::StrCat("record ", i + 1, " names patient \"", p.id,
                                       "\", but the index says \"", id, "\""));
          }
        }
        return true;
      }));
  for (const auto& [num, id] : id_of_num_) {
    if (!patient_nums_.count(num)) {
      problems_.Add("patient_ids", Printable(id), id,
                    absl::StrCat("refers to patient record ", num, ", which does not exist"));
    }
  }
  return absl::OkStatus();
}

absl::Status StoreCheck::CheckMeasures() {
  for (const CatalogEntry& e : BuiltinMeasures()) measures_[e.id] = e;
  std::set<std::string> codes;
  // A database's own definition of a later built-in (sdmt, relapse, ...)
  // replaces it there (catalog.h): that code is not a clash, and values
  // stored under the replaced built-in's id would be unreachable, so the
  // built-in leaves the map and such values are reported below.
  std::map<std::string, uint32_t> replaceable;
  for (const auto& [id, e] : measures_) {
    if (id >= kFirstReplaceableBuiltinId) {
      replaceable[e.def.code] = id;
    } else {
      codes.insert(e.def.code);
    }
  }
  last_.clear();
  return ScanOrReport(
      Family::kMeasures, "measures", [&](absl::string_view key, absl::string_view log) {
        last_ = Printable(key);
        if (key.size() != 4) {
          problems_.Add("measures", last_, "", "malformed key (expected a 4-byte measure id)");
          return true;
        }
        const uint32_t id = keys::DecodeU32(key);
        const std::string mkey = absl::StrCat("measure ", id);
        ++report_->measures;
        if (id < kFirstUserMeasureId || id >= next_measure_id_) {
          problems_.Add(
              "measures", mkey, "",
              absl::StrCat("measure id outside ", kFirstUserMeasureId, "..", next_measure_id_ - 1));
        }
        absl::Status s = codec::SplitRecords(log, mkey, &records_);
        if (!s.ok()) {
          problems_.Add("measures", mkey, "", std::string(s.message()));
          return true;
        }
        for (size_t i = 0; i < records_.size(); ++i) {
          CatalogEntry entry;
          s = codec::DecodeMeasure(records_[i], &entry);
          if (!s.ok()) {
            problems_.Add("measures", mkey, "", absl::StrCat("record ", i + 1, ": ", s.message()));
            continue;
          }
          if (entry.id != id) {
            problems_.Add("measures", mkey, "",
                          absl::StrCat("record ", i + 1, " says measure id ", entry.id));
          }
          if (i + 1 == records_.size()) {
            if (!codes.insert(entry.def.code).second) {
              problems_.Add("measures", mkey, "",
                            absl::StrCat("code \"", entry.def.code, "\" is used twice"));
            }
            auto replaced = replaceable.find(entry.def.code);
            if (replaced != replaceable.end()) measures_.erase(replaced->second);
            measures_[id] = std::move(entry);
          }
        }
        return true;
      });
}

absl::Status StoreCheck::ReadSeriesEnds() {
  absl::Status ends_read =
      store_.Scan(view_, Family::kMeta, keys::kSeriesEndsBegin, keys::kSeriesEndsEnd,
                  [&](absl::string_view key, absl::string_view value) {
                    uint32_t num;
                    if (!keys::ParseSeriesEndsKey(key, &num)) {
                      problems_.Add("meta", Printable(key), "", "malformed series ends key");
                      return true;
                    }
                    absl::Status s = SeriesEnds::Decode(value, num, &ends_[num]);
                    if (!s.ok()) {
                      problems_.Add("meta", Printable(key), "", std::string(s.message()));
                    }
                    return true;
                  });
  if (absl::IsDataLoss(ends_read)) {
    problems_.Add("meta", "series ends", "", absl::StrCat("unreadable: ", ends_read.message()));
    return absl::OkStatus();
  }
  return ends_read;
}

absl::Status StoreCheck::CheckSeries() {
  last_.clear();
  COTRACK_RETURN_IF_ERROR(ReadSeriesEnds());
  std::vector<Observation> versions;
  return ScanOrReport(Family::kSeries, "series", [&](absl::string_view key, absl::string_view log) {
    last_ = Printable(key);
    uint32_t mid = 0, num = 0;
    if (!keys::ParseSeriesKey(key, &mid, &num)) {
      problems_.Add("series", last_, "", "malformed key (expected measure id | patient number)");
      return true;
    }
    ++report_->series;
    auto m = measures_.find(mid);
    auto p = id_of_num_.find(num);
    const std::string patient = p == id_of_num_.end() ? "" : p->second;
    const std::string code = m == measures_.end() ? absl::StrCat("#", mid) : m->second.def.code;
    const std::string skey = absl::StrCat("series ", code, "/patient ", num);
    if (m == measures_.end()) {
      problems_.Add("series", skey, patient,
                    absl::StrCat("refers to measure id ", mid, ", which does not exist"));
    }
    if (!patient_nums_.count(num)) {
      problems_.Add("series", skey, patient,
                    absl::StrCat("refers to patient record ", num, ", which does not exist"));
    }
    static const std::string kNoUnit;
    absl::Status s = DecodeSeries(log, SeriesNames{patient, code, kNoUnit}, &versions);
    if (!s.ok()) {
      problems_.Add("series", skey, patient, std::string(s.message()));
      return true;
    }
    report_->versions += versions.size();
    if (auto e = ends_.find(num); e != ends_.end() && !versions.empty()) {
      const std::optional<int64_t> end = e->second.Find(mid);
      if (end && versions.back().time.seconds > *end) {
        problems_.Add(
            "series", skey, patient,
            absl::StrCat("holds an observation at ", FormatCivilTime(versions.back().time),
                         ", later than its recorded end (meta): a write at a later "
                         "date would not compare with it"));
      }
      if (!end && e->second.complete()) {
        problems_.Add("series", skey, patient,
                      "is missing from the patient's series ends (meta), which say they list "
                      "every series: a write of this measure would not compare with it");
      }
    }
    // Sorted by (time, version): each time's versions must be 1..n.
    for (size_t i = 0; i < versions.size();) {
      size_t j = i;
      uint32_t expected = 1;
      while (j < versions.size() && versions[j].time.seconds == versions[i].time.seconds) {
        if (versions[j].version != expected) {
          problems_.Add("series", skey, patient,
                        absl::StrCat("observation at ", FormatCivilTime(versions[i].time),
                                     ": version ", versions[j].version, " where ", expected,
                                     " was expected (versions must be 1..n)"));
          break;
        }
        ++expected;
        ++j;
      }
      while (j < versions.size() && versions[j].time.seconds == versions[i].time.seconds) ++j;
      ++report_->observations;
      i = j;
    }
    return true;
  });
}

absl::Status StoreCheck::CheckAudit() {
  uint64_t expected_seq = 1;
  last_.clear();
  COTRACK_RETURN_IF_ERROR(
      ScanOrReport(Family::kAudit, "audit", [&](absl::string_view key, absl::string_view log) {
        last_ = Printable(key);
        if (key.size() != 8) {
          problems_.Add("audit", last_, "", "malformed key (expected an 8-byte sequence number)");
          return true;
        }
        const uint64_t seq = keys::DecodeU64(key);
        const std::string akey = absl::StrCat("audit entry ", seq);
        if (seq != expected_seq) {
          problems_.Add("audit", akey, "",
                        seq > expected_seq
                            ? absl::StrCat("entries ", expected_seq, "..", seq - 1, " are missing")
                            : absl::StrCat("out of order after entry ", expected_seq - 1));
        }
        expected_seq = seq + 1;
        ++report_->audit_entries;
        absl::Status s = codec::SplitRecords(log, akey, &records_);
        if (s.ok() && records_.size() != 1) {
          s = absl::DataLossError(absl::StrCat(records_.size(), " records, expected 1"));
        }
        AuditRecord a;
        if (s.ok()) s = codec::DecodeAudit(records_[0], &a);
        if (!s.ok()) problems_.Add("audit", akey, "", std::string(s.message()));
        return true;
      }));
  if (expected_seq > next_audit_seq_) {
    problems_.Add(
        "meta", keys::kNextAuditSeqKey, "",
        absl::StrCat("is ", next_audit_seq_, " but audit entry ", expected_seq - 1, " exists"));
  } else if (expected_seq < next_audit_seq_) {
    problems_.Add("audit", "", "",
                  absl::StrCat("entries ", expected_seq, "..", next_audit_seq_ - 1,
                               " are missing (the log ends early)"));
  }
  return absl::OkStatus();
}

// Damage kept the database from opening: report that, and check what can
// be checked without opening it (each table file's checksums).
absl::StatusOr<CheckReport> CheckUnopenable(const std::string& path, const Options& options,
                                            const absl::Status& open_error) {
  CheckReport report;
  Problems problems(&report);
  problems.Add(
      "database", path, "",
      absl::StrCat("cannot be opened, so its records were not checked: ", open_error.message()));
  std::vector<TableFileDamage> damaged;
  COTRACK_RETURN_IF_ERROR(VerifyTableFilesInDirectory(path, options.encryption_key_file, &damaged,
                                                      &report.table_files));
  for (const TableFileDamage& d : damaged) {
    problems.Add("table file", d.file, "",
                 absl::StrCat("checksum verification failed (family ", d.family, "): ", d.error));
  }
  return report;
}

}  // namespace

absl::Status CheckStore(Store& store, CheckReport* report) {
  return StoreCheck(store, report).Run();
}

absl::StatusOr<CheckReport> CheckClosedDatabase(const std::string& path, const Options& options) {
  absl::Status last_error;
  for (int attempt = 0; attempt < kMaintenanceAttempts; ++attempt) {
    absl::StatusOr<std::unique_ptr<Store>> opened = OpenStoreReadOnly(path, options);
    if (absl::IsDataLoss(opened.status())) return CheckUnopenable(path, options, opened.status());
    if (!opened.ok()) return opened.status();
    std::unique_ptr<Store> store = *std::move(opened);
    CheckReport report;
    last_error = CheckStore(*store, &report);
    if (last_error.ok()) return report;
    if (!IsVanishedFile(last_error)) return last_error;
  }
  return absl::AbortedError(absl::StrCat(
      "check of ", path, " gave up: a writer kept removing files while they were read (",
      last_error.message(), "); try again when it is less busy"));
}

}  // namespace cotrack

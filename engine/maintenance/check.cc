#include "maintenance/check.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "catalog/catalog.h"
#include "codec/key_codec.h"
#include "codec/value_codec.h"
#include "cotrack/database.h"
#include "cotrack/status_macros.h"
#include "db/series_ends.h"
#include "maintenance/open_store.h"
#include "query/series.h"

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

// A scan that stopped on an unreadable block is damage of that family; any
// other failure (an I/O error, a file gone) means the check could not run.
absl::Status ScanOrReport(Store& store, const ReadView* view, Family f, const char* family,
                          const Store::ScanFn& fn, const std::string* last_key,
                          Problems& problems) {
  absl::Status s = store.Scan(view, f, "", "", fn);
  if (absl::IsDataLoss(s)) {
    problems.Add(family, last_key->empty() ? "" : absl::StrCat("after ", *last_key), "",
                 absl::StrCat("the rest of this family is unreadable: ", s.message()));
    return absl::OkStatus();
  }
  return s;
}

struct MetaCounters {
  uint64_t next_patient_num = 1;
  uint64_t next_measure_id = kFirstUserMeasureId;
  uint64_t next_audit_seq = 1;
};

absl::Status CheckMeta(Store& store, const ReadView* view, Problems& problems,
                       MetaCounters* counters) {
  struct Field {
    const char* key;
    size_t width;
    uint64_t* target;
  };
  uint64_t format = 0;
  const Field fields[] = {{keys::kFormatVersionKey, 4, &format},
                          {keys::kNextPatientNumKey, 4, &counters->next_patient_num},
                          {keys::kNextMeasureIdKey, 4, &counters->next_measure_id},
                          {keys::kNextAuditSeqKey, 8, &counters->next_audit_seq}};
  for (const Field& f : fields) {
    std::string value;
    absl::StatusOr<bool> found = store.Get(view, Family::kMeta, f.key, &value);
    if (absl::IsDataLoss(found.status())) {
      problems.Add("meta", f.key, "", std::string(found.status().message()));
      continue;
    }
    COTRACK_RETURN_IF_ERROR(found.status());
    if (!*found) {
      if (std::string(f.key) == keys::kFormatVersionKey) {
        problems.Add("meta", f.key, "",
                     "missing: this is not a cotrack database, or it is damaged");
      }
      continue;  // a counter not written yet keeps its initial value
    }
    if (value.size() != f.width) {
      problems.Add("meta", f.key, "",
                   absl::StrCat("has ", value.size(), " bytes, expected ", f.width));
      continue;
    }
    *f.target = f.width == 4 ? keys::DecodeU32(value) : keys::DecodeU64(value);
  }
  if (format > kFormatVersion) {
    problems.Add("meta", keys::kFormatVersionKey, "",
                 absl::StrCat("format ", format, " is newer than this cotrack understands (",
                              kFormatVersion, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckStore(Store& store, CheckReport* report) {
  Problems problems(report);

  // 1. Checksums of every table file, each on its own.
  std::vector<TableFileDamage> damaged;
  COTRACK_RETURN_IF_ERROR(store.VerifyTableFiles(&damaged, &report->table_files));
  for (const TableFileDamage& d : damaged) {
    problems.Add("table file", d.file, "",
                 absl::StrCat("checksum verification failed (family ", d.family, "): ", d.error));
  }

  // Everything below reads one snapshot: a writer may go on meanwhile.
  auto view_holder = store.NewReadView();
  const ReadView* view = view_holder.get();

  MetaCounters counters;
  COTRACK_RETURN_IF_ERROR(CheckMeta(store, view, problems, &counters));

  // 2. patient_ids: id -> number, one to one.
  std::map<uint32_t, std::string> id_of_num;
  std::string last;
  COTRACK_RETURN_IF_ERROR(ScanOrReport(
      store, view, Family::kPatientIds, "patient_ids",
      [&](absl::string_view key, absl::string_view value) {
        last = Printable(key);
        const std::string id(key);
        if (key.empty() || key.size() > 128) {
          problems.Add("patient_ids", last, "",
                       absl::StrCat("patient id of ", key.size(), " bytes (expected 1-128)"));
        }
        if (value.size() != 4) {
          problems.Add("patient_ids", last, id,
                       absl::StrCat("value has ", value.size(), " bytes, expected 4"));
          return true;
        }
        const uint32_t num = keys::DecodeU32(value);
        if (num == 0 || num >= counters.next_patient_num) {
          problems.Add(
              "patient_ids", last, id,
              absl::StrCat("patient number ", num, " outside 1..", counters.next_patient_num - 1));
        }
        auto [it, inserted] = id_of_num.emplace(num, id);
        if (!inserted) {
          problems.Add(
              "patient_ids", last, id,
              absl::StrCat("patient number ", num, " is also that of \"", it->second, "\""));
        }
        return true;
      },
      &last, problems));

  // 3. patients: every number known, versions 1..n, ids matching the index.
  std::set<uint32_t> patient_nums;
  std::vector<absl::string_view> records;
  last.clear();
  COTRACK_RETURN_IF_ERROR(ScanOrReport(
      store, view, Family::kPatients, "patients",
      [&](absl::string_view key, absl::string_view log) {
        last = Printable(key);
        if (key.size() != 4) {
          problems.Add("patients", last, "", "malformed key (expected a 4-byte patient number)");
          return true;
        }
        const uint32_t num = keys::DecodeU32(key);
        const std::string pkey = absl::StrCat("patient ", num);
        auto known = id_of_num.find(num);
        const std::string id = known == id_of_num.end() ? "" : known->second;
        patient_nums.insert(num);
        ++report->patients;
        if (known == id_of_num.end()) {
          problems.Add("patients", pkey, "",
                       "no patient id refers to this record (missing from patient_ids)");
        }
        absl::Status s = codec::SplitRecords(log, pkey, &records);
        if (!s.ok()) {
          problems.Add("patients", pkey, id, std::string(s.message()));
          return true;
        }
        uint32_t expected_version = 1;
        for (size_t i = 0; i < records.size(); ++i) {
          Patient p;
          s = codec::DecodePatient(records[i], &p);
          if (!s.ok()) {
            problems.Add("patients", pkey, id,
                         absl::StrCat("version record ", i + 1, ": ", s.message()));
            continue;
          }
          ++report->patient_versions;
          if (p.version != expected_version) {
            problems.Add("patients", pkey, id,
                         absl::StrCat("record ", i + 1, " has version ", p.version, ", expected ",
                                      expected_version));
          }
          expected_version = p.version + 1;
          if (!id.empty() && p.id != id) {
            problems.Add("patients", pkey, id,
                         absl::StrCat("record ", i + 1, " names patient \"", p.id,
                                      "\", but the index says \"", id, "\""));
          }
        }
        return true;
      },
      &last, problems));
  for (const auto& [num, id] : id_of_num) {
    if (!patient_nums.count(num)) {
      problems.Add("patient_ids", Printable(id), id,
                   absl::StrCat("refers to patient record ", num, ", which does not exist"));
    }
  }

  // 4. measures: the built-ins plus registered ones.
  std::map<uint32_t, CatalogEntry> measures;
  for (const CatalogEntry& e : BuiltinMeasures()) measures[e.id] = e;
  std::set<std::string> codes;
  for (const auto& [id, e] : measures) codes.insert(e.def.code);
  last.clear();
  COTRACK_RETURN_IF_ERROR(ScanOrReport(
      store, view, Family::kMeasures, "measures",
      [&](absl::string_view key, absl::string_view log) {
        last = Printable(key);
        if (key.size() != 4) {
          problems.Add("measures", last, "", "malformed key (expected a 4-byte measure id)");
          return true;
        }
        const uint32_t id = keys::DecodeU32(key);
        const std::string mkey = absl::StrCat("measure ", id);
        ++report->measures;
        if (id < kFirstUserMeasureId || id >= counters.next_measure_id) {
          problems.Add("measures", mkey, "",
                       absl::StrCat("measure id outside ", kFirstUserMeasureId, "..",
                                    counters.next_measure_id - 1));
        }
        absl::Status s = codec::SplitRecords(log, mkey, &records);
        if (!s.ok()) {
          problems.Add("measures", mkey, "", std::string(s.message()));
          return true;
        }
        for (size_t i = 0; i < records.size(); ++i) {
          CatalogEntry entry;
          s = codec::DecodeMeasure(records[i], &entry);
          if (!s.ok()) {
            problems.Add("measures", mkey, "", absl::StrCat("record ", i + 1, ": ", s.message()));
            continue;
          }
          if (entry.id != id) {
            problems.Add("measures", mkey, "",
                         absl::StrCat("record ", i + 1, " says measure id ", entry.id));
          }
          if (i + 1 == records.size()) {
            if (!codes.insert(entry.def.code).second) {
              problems.Add("measures", mkey, "",
                           absl::StrCat("code \"", entry.def.code, "\" is used twice"));
            }
            measures[id] = std::move(entry);
          }
        }
        return true;
      },
      &last, problems));

  // 5. series: key references, records, version chains, and the series ends
  // (meta) that let writes at later dates skip reading a series: an end
  // earlier than a stored version would let a write miss it.
  std::map<uint32_t, SeriesEnds> ends;
  last.clear();
  absl::Status ends_read =
      store.Scan(view, Family::kMeta, keys::kSeriesEndsBegin, keys::kSeriesEndsEnd,
                 [&](absl::string_view key, absl::string_view value) {
                   uint32_t num;
                   if (!keys::ParseSeriesEndsKey(key, &num)) {
                     problems.Add("meta", Printable(key), "", "malformed series ends key");
                     return true;
                   }
                   absl::Status s = SeriesEnds::Decode(value, num, &ends[num]);
                   if (!s.ok()) problems.Add("meta", Printable(key), "", std::string(s.message()));
                   return true;
                 });
  if (absl::IsDataLoss(ends_read)) {
    problems.Add("meta", "series ends", "", absl::StrCat("unreadable: ", ends_read.message()));
  } else {
    COTRACK_RETURN_IF_ERROR(ends_read);
  }
  std::vector<Observation> versions;
  COTRACK_RETURN_IF_ERROR(ScanOrReport(
      store, view, Family::kSeries, "series",
      [&](absl::string_view key, absl::string_view log) {
        last = Printable(key);
        uint32_t mid = 0, num = 0;
        if (!keys::ParseSeriesKey(key, &mid, &num)) {
          problems.Add("series", last, "", "malformed key (expected measure id | patient number)");
          return true;
        }
        ++report->series;
        auto m = measures.find(mid);
        auto p = id_of_num.find(num);
        const std::string patient = p == id_of_num.end() ? "" : p->second;
        const std::string code = m == measures.end() ? absl::StrCat("#", mid) : m->second.def.code;
        const std::string skey = absl::StrCat("series ", code, "/patient ", num);
        if (m == measures.end()) {
          problems.Add("series", skey, patient,
                       absl::StrCat("refers to measure id ", mid, ", which does not exist"));
        }
        if (!patient_nums.count(num)) {
          problems.Add("series", skey, patient,
                       absl::StrCat("refers to patient record ", num, ", which does not exist"));
        }
        static const std::string kNoUnit;
        absl::Status s = DecodeSeries(log, SeriesNames{patient, code, kNoUnit}, &versions);
        if (!s.ok()) {
          problems.Add("series", skey, patient, std::string(s.message()));
          return true;
        }
        report->versions += versions.size();
        if (auto e = ends.find(num); e != ends.end() && !versions.empty()) {
          const std::optional<int64_t> end = e->second.Find(mid);
          if (end && versions.back().time.seconds > *end) {
            problems.Add(
                "series", skey, patient,
                absl::StrCat("holds an observation at ", FormatCivilTime(versions.back().time),
                             ", later than its recorded end (meta): a write at a later "
                             "date would not compare with it"));
          }
        }
        // Sorted by (time, version): each time's versions must be 1..n.
        for (size_t i = 0; i < versions.size();) {
          size_t j = i;
          uint32_t expected = 1;
          while (j < versions.size() && versions[j].time.seconds == versions[i].time.seconds) {
            if (versions[j].version != expected) {
              problems.Add("series", skey, patient,
                           absl::StrCat("observation at ", FormatCivilTime(versions[i].time),
                                        ": version ", versions[j].version, " where ", expected,
                                        " was expected (versions must be 1..n)"));
              break;
            }
            ++expected;
            ++j;
          }
          while (j < versions.size() && versions[j].time.seconds == versions[i].time.seconds) ++j;
          ++report->observations;
          i = j;
        }
        return true;
      },
      &last, problems));

  // 6. audit: one entry per sequence number 1..n, no gaps.
  uint64_t expected_seq = 1;
  last.clear();
  COTRACK_RETURN_IF_ERROR(ScanOrReport(
      store, view, Family::kAudit, "audit",
      [&](absl::string_view key, absl::string_view log) {
        last = Printable(key);
        if (key.size() != 8) {
          problems.Add("audit", last, "", "malformed key (expected an 8-byte sequence number)");
          return true;
        }
        const uint64_t seq = keys::DecodeU64(key);
        const std::string akey = absl::StrCat("audit entry ", seq);
        if (seq != expected_seq) {
          problems.Add("audit", akey, "",
                       seq > expected_seq
                           ? absl::StrCat("entries ", expected_seq, "..", seq - 1, " are missing")
                           : absl::StrCat("out of order after entry ", expected_seq - 1));
        }
        expected_seq = seq + 1;
        ++report->audit_entries;
        absl::Status s = codec::SplitRecords(log, akey, &records);
        if (s.ok() && records.size() != 1) {
          s = absl::DataLossError(absl::StrCat(records.size(), " records, expected 1"));
        }
        AuditRecord a;
        if (s.ok()) s = codec::DecodeAudit(records[0], &a);
        if (!s.ok()) problems.Add("audit", akey, "", std::string(s.message()));
        return true;
      },
      &last, problems));
  if (expected_seq > counters.next_audit_seq) {
    problems.Add("meta", keys::kNextAuditSeqKey, "",
                 absl::StrCat("is ", counters.next_audit_seq, " but audit entry ", expected_seq - 1,
                              " exists"));
  } else if (expected_seq < counters.next_audit_seq) {
    problems.Add("audit", "", "",
                 absl::StrCat("entries ", expected_seq, "..", counters.next_audit_seq - 1,
                              " are missing (the log ends early)"));
  }
  return absl::OkStatus();
}

}  // namespace cotrack

namespace cotrack {

namespace {

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

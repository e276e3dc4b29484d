// The lean cohort scan (Reader::ScanSeries) and the cohort summary built on
// it: the scan gives what ForEachSeries gives, reduced to what analytics use;
// a scan split into parts on threads reads one snapshot and, merged in part
// order, gives the single-pass summary to the last bit; a handle served by
// another process gives the same summary. Named ConcurrencyTest and
// MultiProcessTest so that CI's ThreadSanitizer stage (.ci/run) runs them.
#include <atomic>
#include <cstdio>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "codec/key_codec.h"
#include "cotrack/database.h"
#include "cotrack/summary.h"
#include "cotrack/timepoint.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "multiprocess/processes.h"
#include "rpc/wire.h"
#include "serve/client.h"
#include "storage/store.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;
using testing::TempDir;

CivilTime Day(int64_t day) { return CivilTime::FromDay(day); }

ObservationInput Value(const std::string& patient, const std::string& measure, CivilTime time,
                       double value, Comparator comparator = Comparator::kNone) {
  ObservationInput o;
  o.patient = patient;
  o.measure = measure;
  o.time = time;
  o.value = value;
  o.comparator = comparator;
  if (comparator == Comparator::kLess) o.original_value = absl::StrCat("<", value);
  if (comparator == Comparator::kGreaterEqual) o.original_value = absl::StrCat(">=", value);
  return o;
}

Patient MakePatient(const std::string& id, std::optional<int64_t> index_day, std::string arm,
                    std::optional<std::string> site) {
  Patient p;
  p.id = id;
  p.arm = std::move(arm);
  if (index_day) p.index_date = Day(*index_day);
  if (site) p.attributes["site"] = *site;
  p.attributes["sex"] = "F";
  return p;
}

// One patient and its values, as text: what a scan gave.
std::string Line(const SeriesPatient& p, const std::vector<SeriesValue>& values) {
  std::string out = absl::StrCat(
      p.id, " arm=", p.arm, " index=",
      p.index_date
          ? absl::StrCat(p.index_date->seconds, "/", static_cast<int>(p.index_date->precision))
          : std::string("none"),
      " site=", p.attribute ? *p.attribute : std::string("(unset)"), ":");
  for (const SeriesValue& v : values) {
    char value[40];
    std::snprintf(value, sizeof value, "%.17g", v.value);
    absl::StrAppend(&out, " ", v.time.seconds, "/", static_cast<int>(v.time.precision), "=",
                    static_cast<int>(v.comparator), value);
  }
  return out;
}

// What the lean scan must give, from the full scan.
std::vector<std::string> FromForEachSeries(Reader& db, const std::string& measure) {
  std::vector<std::string> out;
  absl::Status s =
      db.ForEachSeries(measure, [&](const Patient& p, const std::vector<Observation>& t) {
        SeriesPatient lean;
        lean.id = p.id;
        lean.arm = p.arm;
        lean.index_date = p.index_date;
        auto it = p.attributes.find("site");
        if (it != p.attributes.end()) lean.attribute = it->second;
        std::vector<SeriesValue> values;
        for (const Observation& o : t) values.push_back({o.time, o.value, o.comparator});
        out.push_back(Line(lean, values));
        return absl::OkStatus();
      });
  EXPECT_OK(s);
  return out;
}

// The lean scan in `parts` parts, concatenated in part order; `used` gets
// how many parts gave patients.
std::vector<std::string> FromScanSeries(Reader& db, const std::string& measure, int parts,
                                        int64_t min_patients_per_part, int* used = nullptr) {
  std::vector<std::vector<std::string>> by_part(parts);
  std::vector<std::thread::id> threads(parts);
  Reader::SeriesScanOptions options;
  options.attribute = "site";
  options.parts = parts;
  options.min_patients_per_part = min_patients_per_part;
  absl::Status s = db.ScanSeries(
      measure, options, [&](int part, const SeriesPatient& p, const std::vector<SeriesValue>& v) {
        EXPECT_GE(part, 0);
        EXPECT_LT(part, parts);
        // Calls of one part come from one thread.
        if (by_part[part].empty()) threads[part] = std::this_thread::get_id();
        EXPECT_EQ(threads[part], std::this_thread::get_id());
        by_part[part].push_back(Line(p, v));
        return absl::OkStatus();
      });
  EXPECT_OK(s);
  std::vector<std::string> out;
  int nonempty = 0;
  for (const auto& lines : by_part) {
    nonempty += !lines.empty();
    out.insert(out.end(), lines.begin(), lines.end());
  }
  if (used != nullptr) *used = nonempty;
  return out;
}

// A small registry with every case the scan must handle.
void WriteCases(Database& db) {
  Batch b;
  b.PutPatient(MakePatient("A", 100, "x", "north"));
  b.PutPatient(MakePatient("B", std::nullopt, "", std::nullopt));  // no index date, no site
  b.PutPatient(MakePatient("C", 120, "y", ""));                    // empty site
  b.PutPatient(MakePatient("D", 90, "x", "south"));                // no values at all
  b.PutPatient(MakePatient("E", 100, "y", "north"));
  for (const char* p : {"A", "B", "C", "E"}) {
    for (int v = 0; v < 4; ++v) b.Record(Value(p, "il4", Day(95 + 60 * v), 1.25 + v));
  }
  b.Record(Value("A", "il4", Day(400), 0.5, Comparator::kLess));
  b.Record(Value("C", "il4", Day(401), 900, Comparator::kGreaterEqual));
  ObservationInput timed =
      Value("E", "il4", CivilTime{500 * 86400 + 3600, TimePrecision::kDateTime}, 7.5);
  b.Record(timed);
  b.Record(Value("A", "edss", Day(100), 2.0));  // another measure: not in il4's scan
  ASSERT_OK(db.Apply(b));
  // A correction (a second version) and a retraction.
  ASSERT_OK(db.Record(Value("A", "il4", Day(155), 3.75)));
  ASSERT_OK(db.Retract("C", "il4", Day(215), Provenance{"", 0, "", "entered in error"}));
}

TEST(ConcurrencyTest, TheLeanScanGivesWhatForEachSeriesGives) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.File("db")));
  WriteCases(*db);
  const std::vector<std::string> full = FromForEachSeries(*db, "il4");
  ASSERT_EQ(full.size(), 4u);  // D has no values: not visited
  EXPECT_EQ(FromScanSeries(*db, "il4", 1, 4096), full);
  int used = 0;
  EXPECT_EQ(FromScanSeries(*db, "il4", 3, 1, &used), full);
  EXPECT_GE(used, 2);  // the parts did split the patients
  // The cases themselves, so that the comparison is not of two wrongs.
  const std::string a = full[0];
  EXPECT_THAT(a, ::testing::HasSubstr("A arm=x index=8640000/0 site=north:"));
  EXPECT_THAT(a, ::testing::HasSubstr(absl::StrCat(155 * 86400, "/0=03.75")));  // corrected
  EXPECT_THAT(a, ::testing::Not(::testing::HasSubstr("=02.25")));               // old version
  EXPECT_THAT(a, ::testing::HasSubstr(absl::StrCat(400 * 86400, "/0=10.5")));   // "<0.5"
  EXPECT_THAT(full[1], ::testing::HasSubstr("B arm= index=none site=(unset):"));
  EXPECT_THAT(full[2], ::testing::HasSubstr("C arm=y index=10368000/0 site=:"));
  EXPECT_THAT(full[2], ::testing::Not(::testing::HasSubstr(absl::StrCat(215 * 86400, "/"))));
  EXPECT_THAT(full[2], ::testing::HasSubstr("=3900"));  // ">=900"
  EXPECT_THAT(full[3], ::testing::HasSubstr(absl::StrCat(500 * 86400 + 3600, "/1=07.5")));

  Reader::SeriesScanOptions bad;
  bad.parts = 0;
  auto ignore = [](int, const SeriesPatient&, const std::vector<SeriesValue>&) {
    return absl::OkStatus();
  };
  EXPECT_EQ(db->ScanSeries("il4", bad, ignore).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(db->ScanSeries("nosuch", {}, ignore).code(), absl::StatusCode::kNotFound);
  // The visitor's error stops the scan and is returned, from any part.
  Reader::SeriesScanOptions split;
  split.parts = 3;
  split.min_patients_per_part = 1;
  EXPECT_EQ(db->ScanSeries("il4", split,
                           [](int, const SeriesPatient& p, const std::vector<SeriesValue>&) {
                             return p.id == "E" ? absl::CancelledError("stop at E")
                                                : absl::OkStatus();
                           })
                .message(),
            "stop at E");
}

// `n` patients with site and arm attributes; some without index date, some
// without baseline, some with nothing near any timepoint; lab-like values
// whose sums depend on their order.
void WriteCohort(Database& db, int n) {
  Batch b;
  for (int i = 0; i < n; ++i) {
    const std::string id = absl::StrCat("P", 100000 + i);
    const int64_t index = 19000 + i % 400;
    b.PutPatient(MakePatient(
        id, i % 97 == 5 ? std::nullopt : std::optional<int64_t>(index),
        i % 3 ? "treated" : "control",
        i % 11 == 0 ? std::nullopt : std::optional<std::string>(absl::StrCat("s", i % 5))));
    const int64_t first = i % 89 == 7 ? index + 5 : index - 10;  // no baseline
    const int64_t step = i % 83 == 3 ? 400 : 91;                 // nothing near 3m, 6m
    for (int v = 0; v < 4; ++v) {
      const double value = 0.5 + 0.1 * ((i * 7919 + v * 104729) % 100000) / 7.0;
      const Comparator c = (i + v) % 53 == 0 ? Comparator::kLess : Comparator::kNone;
      b.Record(Value(id, "il4", Day(first + step * v), value, c));
    }
  }
  ASSERT_OK(db.Apply(b));
}

std::string Text(const std::optional<double>& d) {
  if (!d) return "-";
  char out[40];
  std::snprintf(out, sizeof out, "%.17g", *d);
  return out;
}

// Every field of a summary, doubles to the last bit.
std::string Text(const CohortSummary& s) {
  std::string out = absl::StrCat(s.measure, " ", s.unit, " ", s.patients, "\n");
  for (const SummaryRow& r : s.rows) {
    absl::StrAppend(&out, r.group, " ", r.timepoint, " ", r.patients, " ", r.missing, " ",
                    r.censored, " n=", r.stats.n, " ", Text(r.stats.mean), " ", Text(r.stats.sd),
                    " ", Text(r.stats.median), " ", Text(r.stats.q1), " ", Text(r.stats.q3), " ",
                    Text(r.stats.min), " ", Text(r.stats.max), " change ", r.change_n, " ",
                    Text(r.change_median), " ", Text(r.change_mean), " ", r.improved, " ", r.stable,
                    " ", r.worsened, " ", Text(r.improved_pct), "\n");
  }
  absl::StrAppend(&out, "no index: ", absl::StrJoin(s.no_index_date, ","), "\n");
  absl::StrAppend(&out, "no baseline: ", absl::StrJoin(s.no_baseline, ","), "\n");
  absl::StrAppend(&out, "no value: ", absl::StrJoin(s.no_timepoint_value, ","), "\n");
  return out;
}

SummaryOptions Options(const std::string& by, CensoredRule censored) {
  SummaryOptions o;
  o.timepoints = *ParseTimepointList("0,3m,6m,12m");
  o.group_by = by;
  o.censored = censored;
  return o;
}

TEST(ConcurrencyTest, ACohortSummaryInPartsIsTheOnePassSummary) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.File("db")));
  // Enough patients for SummarizeCohort to split (4096 per part at least).
  constexpr int kPatients = 9000;
  WriteCohort(*db, kPatients);
  // The scan does split them.
  int used = 0;
  Reader::SeriesScanOptions scan;
  scan.parts = 2;
  std::vector<std::atomic<int>> per_part(2);
  ASSERT_OK(db->ScanSeries("il4", scan,
                           [&](int part, const SeriesPatient&, const std::vector<SeriesValue>&) {
                             ++per_part[part];
                             return absl::OkStatus();
                           }));
  for (auto& n : per_part) used += n.load() > 0;
  EXPECT_EQ(used, 2);
  EXPECT_EQ(per_part[0] + per_part[1], kPatients);

  for (const std::string by : {"", "arm", "site"}) {
    for (CensoredRule rule : {CensoredRule::kExclude, CensoredRule::kHalfLimit}) {
      ASSERT_OK_AND_ASSIGN(CohortSummary one, SummarizeCohort(*db, "il4", Options(by, rule), 1));
      ASSERT_OK_AND_ASSIGN(CohortSummary two, SummarizeCohort(*db, "il4", Options(by, rule), 2));
      ASSERT_OK_AND_ASSIGN(CohortSummary four, SummarizeCohort(*db, "il4", Options(by, rule), 4));
      EXPECT_EQ(one.patients, kPatients);
      EXPECT_FALSE(one.no_index_date.empty());
      EXPECT_FALSE(one.no_baseline.empty());
      EXPECT_FALSE(one.no_timepoint_value.empty());
      EXPECT_EQ(Text(two), Text(one)) << "by=" << by;
      EXPECT_EQ(Text(four), Text(one)) << "by=" << by;
      // And the builder fed the full trajectories (the report's way).
      CohortSummaryBuilder full(*db->GetMeasure("il4"), Options(by, rule));
      ASSERT_OK(db->ForEachSeries("il4", [&](const Patient& p, const std::vector<Observation>& t) {
        full.Add(p, t);
        return absl::OkStatus();
      }));
      EXPECT_EQ(Text(full.Finish()), Text(one)) << "by=" << by;
    }
  }
  // A typo in the attribute is still an error with every thread count.
  EXPECT_EQ(
      SummarizeCohort(*db, "il4", Options("sitex", CensoredRule::kExclude), 2).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SummarizeCohort(*db, "il4", Options("", CensoredRule::kExclude), -1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Every part reads one snapshot: while a writer adds a value to the first and
// the last patient in one write, a scan in parts sees both or neither.
TEST(ConcurrencyTest, ThePartsOfAScanReadOneSnapshot) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto db, Database::Open(dir.File("db")));
  constexpr int kPatients = 40;
  Batch b;
  for (int i = 0; i < kPatients; ++i) {
    b.PutPatient(MakePatient(absl::StrCat("Q", 100 + i), 1000, "", std::nullopt));
    b.Record(Value(absl::StrCat("Q", 100 + i), "il4", Day(1000), 1.0));
  }
  ASSERT_OK(db->Apply(b));
  const std::string first = "Q100", last = absl::StrCat("Q", 100 + kPatients - 1);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int k = 1; k <= 150; ++k) {
      Batch w;
      w.Record(Value(first, "il4", Day(1000 + k), k));
      w.Record(Value(last, "il4", Day(1000 + k), k));
      EXPECT_OK(db->Apply(w));
    }
    done = true;
  });
  Reader::SeriesScanOptions scan;
  scan.parts = 4;
  scan.min_patients_per_part = 1;
  int scans = 0;
  while (!done || scans < 3) {
    std::vector<size_t> counts(2);
    std::vector<int> parts(2, -1);
    ASSERT_OK(db->ScanSeries(
        "il4", scan, [&](int part, const SeriesPatient& p, const std::vector<SeriesValue>& v) {
          const int which = p.id == first ? 0 : p.id == last ? 1 : -1;
          if (which >= 0) {
            counts[which] = v.size();
            parts[which] = part;
          }
          return absl::OkStatus();
        }));
    EXPECT_EQ(counts[0], counts[1]) << "a scan mixed two states of the database";
    EXPECT_NE(parts[0], parts[1]);  // the two patients were in different parts
    ++scans;
  }
  writer.join();
}

// Through a handle served by another process (cotrack_mp_worker --hold), the
// summary and the lean scan are the same as in the process holding it.
TEST(MultiProcessTest, ACohortSummaryThroughAServedHandleIsTheSame) {
  TempDir dir;
  const std::string path = dir.File("db");
  std::string local_text, local_site;
  std::vector<std::string> local_scan;
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path));
    WriteCases(*db);
    WriteCohort(*db, 300);
    ASSERT_OK_AND_ASSIGN(CohortSummary s,
                         SummarizeCohort(*db, "il4", Options("site", CensoredRule::kLimit)));
    local_text = Text(s);
    local_scan = FromScanSeries(*db, "il4", 2, 1);
  }
  mp::Child holder = mp::Spawn({COTRACK_MP_WORKER, "--db", path, "--hold"}, dir.File("holder.out"));
  ASSERT_TRUE(mp::AwaitLines(holder, "ready", 1)) << mp::Output(holder);
  ASSERT_EQ(mp::Holder(path), holder.pid);
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path));
    ASSERT_OK_AND_ASSIGN(CohortSummary s,
                         SummarizeCohort(*db, "il4", Options("site", CensoredRule::kLimit)));
    EXPECT_EQ(Text(s), local_text);
    EXPECT_EQ(FromScanSeries(*db, "il4", 2, 1), local_scan);
    EXPECT_EQ(FromScanSeries(*db, "il4", 1, 1), local_scan);
    // And through a read snapshot the serving process holds.
    ASSERT_OK_AND_ASSIGN(auto snapshot, db->NewSnapshot());
    EXPECT_EQ(FromScanSeries(*snapshot, "il4", 2, 1), local_scan);
  }
  EXPECT_EQ(mp::Wait(holder), 0);
}

// What a served handle's scans and summary must give: the holder's own.
struct Expected {
  std::vector<std::string> scan;  // FromScanSeries, one part
  std::string summary;            // by site, censored values at their limit
  int patients = 0;               // with il4 values
};

// WriteCases and a cohort of `n` (several thousand: several frames), read
// in this process before anyone serves the database.
Expected WriteLargeCohort(const std::string& path, int n) {
  Expected e;
  auto db = Database::Open(path);
  EXPECT_OK(db.status());
  if (!db.ok()) return e;
  WriteCases(**db);
  WriteCohort(**db, n);
  e.scan = FromScanSeries(**db, "il4", 1, 1);
  e.patients = static_cast<int>(e.scan.size());
  absl::StatusOr<CohortSummary> s =
      SummarizeCohort(**db, "il4", Options("site", CensoredRule::kLimit));
  EXPECT_OK(s.status());
  if (s.ok()) e.summary = Text(*s);
  return e;
}

// The lean op on the wire: several frames of many patients each, giving
// exactly the holder's scan (corrections, retractions, censored values,
// date-times, no index date or attribute) in one part or several, at the
// latest data and through a read snapshot, and the same summary.
TEST(MultiProcessTest, TheLeanScanOfAServedHandleIsTheLocalScan) {
  TempDir dir;
  const std::string path = dir.File("db");
  const Expected want = WriteLargeCohort(path, 5000);
  ASSERT_EQ(want.patients, 5004);
  mp::Child holder = mp::Spawn({COTRACK_MP_WORKER, "--db", path, "--hold"}, dir.File("holder.out"));
  ASSERT_TRUE(mp::AwaitLines(holder, "ready", 1)) << mp::Output(holder);
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path));
    ASSERT_EQ(mp::Holder(path), holder.pid);
    const uint64_t before = StreamFramesReceived();
    EXPECT_EQ(FromScanSeries(*db, "il4", 1, 1), want.scan);
    const uint64_t frames = StreamFramesReceived() - before;
    EXPECT_GT(frames, 1u);                    // several frames...
    EXPECT_LT(frames, want.patients / 100u);  // ...of many patients each: the lean op
    int used = 0;
    EXPECT_EQ(FromScanSeries(*db, "il4", 3, 1000, &used), want.scan);
    EXPECT_GE(used, 2);  // the holder scanned in parts (on a machine with 2+ threads)
    ASSERT_OK_AND_ASSIGN(CohortSummary s,
                         SummarizeCohort(*db, "il4", Options("site", CensoredRule::kLimit)));
    EXPECT_EQ(Text(s), want.summary);
    ASSERT_OK_AND_ASSIGN(auto snapshot, db->NewSnapshot());
    EXPECT_EQ(FromScanSeries(*snapshot, "il4", 2, 1000), want.scan);
    // The visitor's error ends the scan and is returned.
    Reader::SeriesScanOptions options;
    int seen = 0;
    EXPECT_THAT(db->ScanSeries("il4", options,
                               [&](int, const SeriesPatient&, const std::vector<SeriesValue>&) {
                                 return ++seen == 10 ? absl::CancelledError("enough")
                                                     : absl::OkStatus();
                               }),
                StatusIs(absl::StatusCode::kCancelled, "enough"));
    EXPECT_EQ(seen, 10);
  }
  EXPECT_EQ(mp::Wait(holder), 0);
}

// A newer client and an older server (a holder speaking protocol 3, as the
// cotrack before the lean op did): the client offers 4, is refused, speaks 3
// and scans through the full stream, one patient per frame: same result.
TEST(MultiProcessTest, AServerOfTheOlderProtocolIsScannedTheOldWay) {
  TempDir dir;
  const std::string path = dir.File("db");
  const Expected want = WriteLargeCohort(path, 3000);
  mp::Child holder = mp::Spawn({COTRACK_MP_WORKER, "--db", path, "--hold", "--protocol", "3"},
                               dir.File("holder.out"));
  ASSERT_TRUE(mp::AwaitLines(holder, "ready", 1)) << mp::Output(holder);
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path));
    ASSERT_EQ(mp::Holder(path), holder.pid);
    const uint64_t before = StreamFramesReceived();
    EXPECT_EQ(FromScanSeries(*db, "il4", 2, 1000), want.scan);
    EXPECT_EQ(StreamFramesReceived() - before, static_cast<uint64_t>(want.patients));
    ASSERT_OK_AND_ASSIGN(CohortSummary s,
                         SummarizeCohort(*db, "il4", Options("site", CensoredRule::kLimit)));
    EXPECT_EQ(Text(s), want.summary);
    ASSERT_OK_AND_ASSIGN(auto snapshot, db->NewSnapshot());
    EXPECT_EQ(FromScanSeries(*snapshot, "il4", 1, 1), want.scan);
  }
  EXPECT_EQ(mp::Wait(holder), 0);
}

// An older client (this process speaking protocol 3) and a newer server:
// served in protocol 3, with the full stream.
TEST(MultiProcessTest, AClientOfTheOlderProtocolIsServedInIt) {
  TempDir dir;
  const std::string path = dir.File("db");
  const Expected want = WriteLargeCohort(path, 3000);
  mp::Child holder = mp::Spawn({COTRACK_MP_WORKER, "--db", path, "--hold"}, dir.File("holder.out"));
  ASSERT_TRUE(mp::AwaitLines(holder, "ready", 1)) << mp::Output(holder);
  rpc::SetNewestProtocolForTesting(3);
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path));
    ASSERT_EQ(mp::Holder(path), holder.pid);
    const uint64_t before = StreamFramesReceived();
    EXPECT_EQ(FromScanSeries(*db, "il4", 2, 1000), want.scan);
    EXPECT_EQ(StreamFramesReceived() - before, static_cast<uint64_t>(want.patients));
    ASSERT_OK_AND_ASSIGN(CohortSummary s,
                         SummarizeCohort(*db, "il4", Options("site", CensoredRule::kLimit)));
    EXPECT_EQ(Text(s), want.summary);
  }
  rpc::SetNewestProtocolForTesting(0);
  EXPECT_EQ(mp::Wait(holder), 0);
}

// Damage met mid-stream, after frames were delivered: DataLoss naming the
// series, as in the holder itself.
TEST(MultiProcessTest, DamageMidwayThroughAServedLeanScanIsDataLoss) {
  TempDir dir;
  const std::string path = dir.File("db");
  constexpr int kPatients = 5000;
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path));
    WriteCohort(*db, kPatients);
    ASSERT_OK(db->Compact());
  }
  // il4's series of the patient numbered 4901 (P104900, late in the scan):
  // one bit flipped.
  const std::string damaged = "P104900";
  {
    ASSERT_OK_AND_ASSIGN(auto store, Store::Open(path, StoreOptions()));
    std::string key, value;
    // Every series is il4's: the one of patient number 4901.
    ASSERT_OK(store->Scan(nullptr, Family::kSeries, "", "",
                          [&](absl::string_view k, absl::string_view v) {
                            uint32_t mid, num;
                            if (keys::ParseSeriesKey(k, &mid, &num) && num == 4901) {
                              key = std::string(k);
                              value = std::string(v);
                              return false;
                            }
                            return true;
                          }));
    ASSERT_FALSE(key.empty());
    value[value.size() / 2] ^= 0x01;
    auto batch = store->NewBatch();
    batch->Put(Family::kSeries, key, value);
    ASSERT_OK(store->Write(*batch, true));
  }
  mp::Child holder = mp::Spawn({COTRACK_MP_WORKER, "--db", path, "--hold"}, dir.File("holder.out"));
  ASSERT_TRUE(mp::AwaitLines(holder, "ready", 1)) << mp::Output(holder);
  {
    ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path));
    ASSERT_EQ(mp::Holder(path), holder.pid);
    ASSERT_THAT(db->Trajectory(damaged, "il4").status(),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr(damaged)))
        << "the planted damage is not where the test meant it";
    const std::string names = "series il4 of patient \"" + damaged + "\"";
    int seen = 0;
    const uint64_t before = StreamFramesReceived();
    EXPECT_THAT(db->ScanSeries("il4", {},
                               [&](int, const SeriesPatient&, const std::vector<SeriesValue>&) {
                                 ++seen;
                                 return absl::OkStatus();
                               }),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr(names)));
    // Mid-stream: frames of the patients before it had arrived.
    EXPECT_GT(StreamFramesReceived() - before, 1u);
    EXPECT_GT(seen, 2000);
    EXPECT_LE(seen, 4900);
    EXPECT_THAT(SummarizeCohort(*db, "il4", Options("", CensoredRule::kExclude)).status(),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr(names)));
    // The connection is still good for the next call.
    ASSERT_OK_AND_ASSIGN(auto p, db->GetPatient("P100000"));
    EXPECT_EQ(p.id, "P100000");
  }
  EXPECT_EQ(mp::Wait(holder), 0);
}

}  // namespace
}  // namespace cotrack

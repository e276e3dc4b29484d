// A process of a clinic, for the multi-process tests and campaign: it opens
// a database that other processes use too and records visits, printing each
// acknowledged one, or just holds the database open.
//
//   cotrack_mp_worker --db DIR --name W --visits N
//       records N visits (edss and hba1c, one day apart) for patients W-0 ..
//       W-4, printing "ack PATIENT DAY" after each acknowledged write; every
//       few visits reads an earlier one back, alone and through a read
//       snapshot, and exits 3 ("lost ...") when it is missing or half there.
//   cotrack_mp_worker --db DIR --hold
//       opens the database, prints "ready", and keeps it open until its
//       standard input closes (the test's way to make it the serving process).
//   --protocol V (with either)
//       speaks the RPC protocol no newer than V, as an older cotrack would
//       (rpc::SetNewestProtocolForTesting).
// Exit status: 0 done, 1 a call failed (printed as "err ..."), 2 bad usage.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cotrack/database.h"
#include "rpc/wire.h"

namespace {

using cotrack::CivilTime;
using cotrack::Database;
using cotrack::ObservationInput;

constexpr int64_t kFirstDay = 10957;  // 2000-01-01
constexpr int kPatients = 5;

int Fail(const std::string& what, const absl::Status& s) {
  std::printf("err %s: %s\n", what.c_str(), std::string(s.message()).c_str());
  std::fflush(stdout);
  return 1;
}

std::vector<ObservationInput> VisitOf(const std::string& patient, int64_t day, int i) {
  std::vector<ObservationInput> visit(2);
  for (ObservationInput& o : visit) {
    o.patient = patient;
    o.time = CivilTime::FromDay(day);
  }
  visit[0].measure = "edss";
  visit[0].value = 1.0 + 0.5 * (i % 10);
  visit[1].measure = "hba1c";
  visit[1].value = 5.0 + 0.1 * (i % 30);
  return visit;
}

// The visit is there, whole: both of its measures.
bool Whole(const std::vector<cotrack::Observation>& got) {
  return got.size() == 2 && got[0].measure == "edss" && got[1].measure == "hba1c";
}

int Work(Database& db, const std::string& name, int visits) {
  cotrack::WriteOptions wo;
  wo.sync = false;  // a process kill loses nothing acknowledged either way
  std::mt19937 rng(static_cast<unsigned>(getpid()));
  std::vector<std::pair<std::string, int64_t>> acked;
  for (int i = 0; i < visits; ++i) {
    const std::string patient = absl::StrCat(name, "-", i % kPatients);
    const int64_t day = kFirstDay + i;
    absl::StatusOr<cotrack::WriteSummary> w = db.RecordVisit(VisitOf(patient, day, i), wo);
    if (!w.ok()) return Fail(absl::StrCat("visit ", patient, " ", day), w.status());
    std::printf("ack %s %lld\n", patient.c_str(), static_cast<long long>(day));
    std::fflush(stdout);
    acked.emplace_back(patient, day);
    if (i % 4 != 3) continue;
    const auto& [p, d] = acked[rng() % acked.size()];
    absl::StatusOr<std::vector<cotrack::Observation>> got = db.Visit(p, CivilTime::FromDay(d));
    if (!got.ok()) return Fail(absl::StrCat("read ", p, " ", d), got.status());
    if (!Whole(*got)) {
      std::printf("lost %s %lld: %zu values\n", p.c_str(), static_cast<long long>(d), got->size());
      return 3;
    }
    absl::StatusOr<std::unique_ptr<cotrack::ReadSnapshot>> snap = db.NewSnapshot();
    if (!snap.ok()) return Fail("snapshot", snap.status());
    got = (*snap)->Visit(p, CivilTime::FromDay(d));
    absl::StatusOr<std::vector<cotrack::Observation>> edss = (*snap)->Trajectory(p, "edss");
    absl::StatusOr<std::vector<cotrack::Observation>> hba1c = (*snap)->Trajectory(p, "hba1c");
    if (!got.ok() || !edss.ok() || !hba1c.ok()) {
      // A hand-over ends snapshots: that is reported, and is not a loss.
      const absl::Status s = !got.ok() ? got.status() : !edss.ok() ? edss.status() : hba1c.status();
      if (absl::IsUnavailable(s)) continue;
      return Fail("snapshot read", s);
    }
    // One point in time: never a visit's edss without its hba1c.
    if (!Whole(*got) || edss->size() != hba1c->size()) {
      std::printf("lost %s: snapshot saw %zu edss and %zu hba1c values\n", p.c_str(), edss->size(),
                  hba1c->size());
      return 3;
    }
  }
  std::printf("done %d\n", visits);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string db_path, name = "W";
  int visits = 0;
  bool hold = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--db" && i + 1 < argc) {
      db_path = argv[++i];
    } else if (a == "--name" && i + 1 < argc) {
      name = argv[++i];
    } else if (a == "--visits" && i + 1 < argc) {
      visits = std::atoi(argv[++i]);
    } else if (a == "--hold") {
      hold = true;
    } else if (a == "--protocol" && i + 1 < argc) {
      cotrack::rpc::SetNewestProtocolForTesting(static_cast<uint32_t>(std::atoi(argv[++i])));
    } else {
      std::fprintf(stderr,
                   "usage: cotrack_mp_worker --db DIR (--name W --visits N | --hold) "
                   "[--protocol V]\n");
      return 2;
    }
  }
  if (db_path.empty()) return 2;
  cotrack::Options options;
  options.user = name;
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(db_path, options);
  if (!db.ok()) return Fail("open", db.status());
  if (hold) {
    std::printf("ready\n");
    std::fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0) {
    }
    return 0;
  }
  return Work(**db, name, visits);
}

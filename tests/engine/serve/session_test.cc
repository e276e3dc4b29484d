// A session of the server (serve/server.h) run in-process: the rules a
// serving process applies to what other processes send it.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "serve/server.h"
#include "support/test_support.h"

namespace cotrack {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;
using testing::TempDir;

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = DatabaseImpl::Open(dir_.path(), Options());
    ASSERT_OK(db);
    db_ = *std::move(db);
    session_ = std::make_unique<Session>(db_.get());
    rpc::Request hello;
    hello.op = rpc::Op::kHello;
    hello.user = "nurse";
    ASSERT_OK(Call(hello).status);
  }

  // Runs `request`; the last response (streams' frames are counted).
  rpc::Response Call(const rpc::Request& request) {
    rpc::Response last;
    frames_ = 0;
    EXPECT_OK(session_->Handle(request, rpc::UniqueFd(), [&](const rpc::Response& r) {
      if (r.more) ++frames_;
      last = r;
      return absl::OkStatus();
    }));
    return last;
  }

  static rpc::Request Visit(const std::string& patient, double edss, uint64_t sequence,
                            bool retry) {
    rpc::Request r;
    r.op = rpc::Op::kApply;
    ObservationInput in;
    in.patient = patient;
    in.measure = "edss";
    in.time = CivilTime::FromDay(19000);
    in.value = edss;
    r.batch.Record(in);
    r.write_options.sync = false;
    r.tag = {77, sequence, retry};
    return r;
  }

  TempDir dir_;
  std::unique_ptr<DatabaseImpl> db_;
  std::unique_ptr<Session> session_;
  int frames_ = 0;
};

TEST_F(SessionTest, ARetriedWriteThatHappenedIsNotAppliedAgain) {
  rpc::Response first = Call(Visit("P1", 2.0, 1, false));
  ASSERT_OK(first.status);
  EXPECT_EQ(first.summary.written, 1);
  // Its reply was lost; the client sends it again, marked as a retry: the
  // receipt answers with the first summary, and nothing is written twice.
  rpc::Response again = Call(Visit("P1", 2.0, 1, true));
  ASSERT_OK(again.status);
  EXPECT_EQ(again.summary.written, 1);
  EXPECT_EQ(again.summary.unchanged, 0);
  ASSERT_OK_AND_ASSIGN(auto audit, db_->AuditLog(nullptr, std::nullopt));
  EXPECT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].provenance.user, "nurse");
}

TEST_F(SessionTest, ARetriedWriteThatDidNotHappenIsApplied) {
  ASSERT_OK(Call(Visit("P1", 2.0, 1, false)).status);
  // Sequence 2 never arrived before the server went away: applied now.
  rpc::Response retried = Call(Visit("P1", 3.0, 2, true));
  ASSERT_OK(retried.status);
  EXPECT_EQ(retried.summary.corrected, 1);
  ASSERT_OK_AND_ASSIGN(auto t, db_->Trajectory(nullptr, "P1", "edss", TimeRange()));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].value, 3.0);
}

TEST_F(SessionTest, ReceiptsOutliveTheEngine) {
  ASSERT_OK(Call(Visit("P1", 2.0, 5, false)).status);
  session_.reset();
  db_.reset();
  auto reopened = DatabaseImpl::Open(dir_.path(), Options());
  ASSERT_OK(reopened);
  ASSERT_OK_AND_ASSIGN(std::optional<Receipt> receipt, (*reopened)->FindReceipt(77));
  ASSERT_TRUE(receipt.has_value());
  EXPECT_EQ(receipt->sequence, 5u);
  EXPECT_EQ(receipt->summary.written, 1);
}

TEST_F(SessionTest, SnapshotsBelongToTheirSession) {
  ASSERT_OK(Call(Visit("P1", 2.0, 1, false)).status);
  rpc::Request begin;
  begin.op = rpc::Op::kSnapshotBegin;
  rpc::Response snap = Call(begin);
  ASSERT_OK(snap.status);
  ASSERT_OK(Call(Visit("P2", 2.0, 2, false)).status);
  rpc::Request list;
  list.op = rpc::Op::kListPatients;
  list.snapshot = snap.snapshot;
  EXPECT_EQ(Call(list).patients.size(), 1u);
  list.snapshot = 0;
  EXPECT_EQ(Call(list).patients.size(), 2u);
  list.snapshot = snap.snapshot + 1;
  EXPECT_THAT(Call(list).status,
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no read snapshot")));
}

TEST_F(SessionTest, AReadOnlySessionCannotWrite) {
  Session reader(db_.get());
  rpc::Request hello;
  hello.op = rpc::Op::kHello;
  hello.read_only = true;
  rpc::Response last;
  auto keep = [&](const rpc::Response& r) {
    last = r;
    return absl::OkStatus();
  };
  ASSERT_OK(reader.Handle(hello, rpc::UniqueFd(), keep));
  ASSERT_OK(reader.Handle(Visit("P1", 2.0, 1, false), rpc::UniqueFd(), keep));
  EXPECT_THAT(last.status, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("read-only")));
}

TEST_F(SessionTest, ASessionStartsWithHello) {
  Session fresh(db_.get());
  rpc::Request list;
  list.op = rpc::Op::kListPatients;
  EXPECT_THAT(
      fresh.Handle(list, rpc::UniqueFd(), [](const rpc::Response&) { return absl::OkStatus(); }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hello")));
  rpc::Request hello;
  hello.op = rpc::Op::kHello;
  hello.protocol = rpc::kProtocolVersion + 1;
  rpc::Response last;
  ASSERT_OK(fresh.Handle(hello, rpc::UniqueFd(), [&](const rpc::Response& r) {
    last = r;
    return absl::OkStatus();
  }));
  EXPECT_THAT(last.status, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("protocol")));
}

TEST_F(SessionTest, ForEachSeriesStreamsOneFramePerPatient) {
  for (int i = 0; i < 5; ++i)
    ASSERT_OK(Call(Visit(absl::StrCat("P", i), 2.0, i + 1, false)).status);
  rpc::Request scan;
  scan.op = rpc::Op::kForEachSeries;
  scan.measure = "edss";
  rpc::Response end = Call(scan);
  ASSERT_OK(end.status);
  EXPECT_FALSE(end.more);
  EXPECT_EQ(frames_, 5);
}

// The protocols a server accepts: its own and older ones down to
// kMinProtocolVersion (their ops are encoded alike); a session keeps to the
// ops of the protocol its hello named.
TEST_F(SessionTest, AnOlderProtocolIsSpokenWithItsOwnOps) {
  Session older(db_.get());
  rpc::Response last;
  auto keep = [&](const rpc::Response& r) {
    last = r;
    return absl::OkStatus();
  };
  rpc::Request hello;
  hello.op = rpc::Op::kHello;
  hello.protocol = rpc::kMinProtocolVersion - 1;
  ASSERT_OK(older.Handle(hello, rpc::UniqueFd(), keep));
  EXPECT_THAT(last.status,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat("speaks protocol ", rpc::kMinProtocolVersion, " to ",
                                              rpc::kProtocolVersion))));
  hello.protocol = rpc::kMinProtocolVersion;
  ASSERT_OK(older.Handle(hello, rpc::UniqueFd(), keep));
  ASSERT_OK(last.status);
  rpc::Request scan;
  scan.op = rpc::Op::kScanSeries;
  scan.measure = "edss";
  ASSERT_OK(older.Handle(scan, rpc::UniqueFd(), keep));
  EXPECT_THAT(last.status, StatusIs(absl::StatusCode::kInvalidArgument,
                                    HasSubstr("scan-series needs protocol 4; this session said "
                                              "hello with protocol 3")));
  rpc::Request full;
  full.op = rpc::Op::kForEachSeries;
  full.measure = "edss";
  ASSERT_OK(older.Handle(full, rpc::UniqueFd(), keep));
  EXPECT_OK(last.status);

  // A process speaking as protocol 3's cotrack (a test's stand-in for one)
  // refuses protocol 4 as that cotrack did.
  rpc::SetNewestProtocolForTesting(3);
  Session old_server(db_.get());
  hello.protocol = rpc::kProtocolVersion;
  ASSERT_OK(old_server.Handle(hello, rpc::UniqueFd(), keep));
  rpc::SetNewestProtocolForTesting(0);
  EXPECT_THAT(last.status,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("speaks protocol 3, this cotrack speaks 4; run one cotrack")));
}

// The lean scan's frames carry many patients each, tagged with their part,
// and together give exactly the local scan, part by part.
TEST_F(SessionTest, ScanSeriesSendsManyPatientsPerFrame) {
  constexpr int kPatients = 6000;
  Batch b;
  for (int i = 0; i < kPatients; ++i) {
    Patient p;
    p.id = absl::StrCat("P", 10000 + i);
    p.arm = i % 2 ? "a" : "b";
    if (i % 7) p.index_date = CivilTime::FromDay(19000 + i % 300);
    if (i % 5) p.attributes["site"] = absl::StrCat("s", i % 3);
    b.PutPatient(p);
    for (int v = 0; v < 5; ++v) {
      ObservationInput in;
      in.patient = p.id;
      in.measure = "hba1c";
      in.time = CivilTime::FromDay(19000 + 90 * v);
      in.value = 5 + 0.1 * ((i + v) % 30);
      b.Record(in);
    }
  }
  ASSERT_OK(db_->Apply(b, WriteOptions(), WriteContext()).status());
  Reader::SeriesScanOptions options;
  options.attribute = "site";
  options.parts = 2;
  options.min_patients_per_part = 1000;
  // The local scan, part by part.
  std::vector<std::vector<std::string>> want(2);
  auto line = [](const SeriesPatient& p, const std::vector<SeriesValue>& values) {
    std::string out = absl::StrCat(p.id, "|", p.arm, "|", p.index_date ? p.index_date->seconds : -1,
                                   "|", p.attribute ? *p.attribute : "(none)");
    for (const SeriesValue& v : values) {
      absl::StrAppend(&out, " ", v.time.seconds, "=", v.value, "/", static_cast<int>(v.comparator));
    }
    return out;
  };
  ASSERT_OK(
      db_->ScanSeries(nullptr, "hba1c", options,
                      [&](int part, const SeriesPatient& p, const std::vector<SeriesValue>& v) {
                        want[part].push_back(line(p, v));
                        return absl::OkStatus();
                      }));
  ASSERT_FALSE(want[0].empty());
  ASSERT_FALSE(want[1].empty());

  rpc::Request scan;
  scan.op = rpc::Op::kScanSeries;
  scan.measure = "hba1c";
  scan.scan = options;
  std::vector<std::vector<std::string>> got(2);
  int frames = 0;
  rpc::Response last;
  ASSERT_OK(session_->Handle(scan, rpc::UniqueFd(), [&](const rpc::Response& r) {
    last = r;
    if (!r.more) return absl::OkStatus();
    ++frames;
    // Through the codec, as a client gets it.
    absl::StatusOr<rpc::Response> decoded =
        rpc::DecodeResponse(rpc::Op::kScanSeries, rpc::EncodeResponse(rpc::Op::kScanSeries, r));
    EXPECT_OK(decoded.status());
    const rpc::SeriesFrame& f = decoded->series;
    EXPECT_GE(f.part, 0);
    EXPECT_LT(f.part, 2);
    uint32_t begin = 0;
    for (size_t i = 0; i < f.patients.size(); ++i) {
      got[f.part].push_back(
          line(f.patients[i],
               std::vector<SeriesValue>(f.values.begin() + begin, f.values.begin() + f.ends[i])));
      begin = f.ends[i];
    }
    return absl::OkStatus();
  }));
  ASSERT_OK(last.status);
  EXPECT_FALSE(last.more);
  EXPECT_EQ(got, want);
  EXPECT_GT(frames, 2);                // several frames...
  EXPECT_LT(frames, kPatients / 100);  // ...of many patients each

  // Errors end the stream as for every op: an unknown measure, bad parts.
  scan.measure = "nosuch";
  EXPECT_THAT(Call(scan).status, StatusIs(absl::StatusCode::kNotFound, HasSubstr("nosuch")));
  scan.measure = "hba1c";
  scan.scan.parts = 0;
  EXPECT_THAT(Call(scan).status,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("parts must be at least 1")));
}

}  // namespace
}  // namespace cotrack

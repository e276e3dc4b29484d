#include "codec/value_codec.h"

#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_support.h"

namespace cotrack::codec {
namespace {

using ::cotrack::testing::StatusIs;
using ::testing::HasSubstr;

Observation Sample() {
  Observation o;
  o.time = CivilTime{-86400 * 365, TimePrecision::kDate};  // 1969: before the epoch
  o.version = 3;
  o.status = ObservationStatus::kAmended;
  o.value = 0.5;
  o.comparator = Comparator::kLess;
  o.original_value = "<0.5";
  o.original_unit = "ng/L";
  o.items = {1, std::nan(""), 3};
  o.visit = "M6";
  o.recorded_at_us = 1700000000123456;
  o.provenance = {"visits.csv", 42, "alice", "typo"};
  return o;
}

// Decodes every entry of a log in log order.
std::vector<Observation> DecodeAll(absl::string_view log) {
  ObservationLogView view;
  EXPECT_OK(view.Parse(log, "test"));
  std::vector<Observation> out(view.entries().size());
  for (size_t i = 0; i < out.size(); ++i) view.Materialize(view.entries()[i], &out[i]);
  return out;
}

TEST(ValueCodecTest, ObservationRoundTripsEveryField) {
  std::string log;
  AppendObservations(&log, {Sample()});
  std::vector<Observation> got = DecodeAll(log);
  ASSERT_EQ(got.size(), 1u);
  const Observation want = Sample();
  EXPECT_TRUE(SameContent(got[0], want));
  EXPECT_EQ(got[0].time, want.time);
  EXPECT_EQ(got[0].version, 3u);
  EXPECT_EQ(got[0].comparator, Comparator::kLess);
  EXPECT_EQ(got[0].original_value, "<0.5");
  EXPECT_EQ(got[0].original_unit, "ng/L");
  EXPECT_EQ(got[0].visit, "M6");
  EXPECT_EQ(got[0].recorded_at_us, want.recorded_at_us);
  EXPECT_EQ(got[0].provenance.source, "visits.csv");
  EXPECT_EQ(got[0].provenance.line, 42);
  EXPECT_EQ(got[0].provenance.user, "alice");
  EXPECT_EQ(got[0].provenance.reason, "typo");
  ASSERT_EQ(got[0].items.size(), 3u);
  EXPECT_TRUE(std::isnan(got[0].items[1]));
}

TEST(ValueCodecTest, OneWriteOfManyVersionsIsOneChunkAndKeepsEachEntrysOwnFields) {
  std::vector<Observation> versions;
  for (int i = 0; i < 5; ++i) {
    Observation o = Sample();
    o.time.seconds = 86400 * i;
    o.time.precision = i % 2 ? TimePrecision::kDateTime : TimePrecision::kDate;
    o.value = i;
    o.comparator = i == 3 ? Comparator::kGreaterEqual : Comparator::kNone;
    o.original_value = std::to_string(i * 10);
    o.original_unit = i % 2 ? "mmol/mol" : "";
    o.visit = i == 2 ? "" : "V" + std::to_string(i);
    o.items = i == 4 ? std::vector<double>{} : std::vector<double>(i, 1.0);
    o.provenance.line = 100 + i;
    o.version = 1;
    o.status = ObservationStatus::kFinal;
    versions.push_back(o);
  }
  std::string one_chunk;
  AppendObservations(&one_chunk, versions);
  versions[4].provenance.source = "other.csv";  // new provenance: a second chunk
  std::string two_chunks;
  AppendObservations(&two_chunks, versions);
  ObservationLogView view;
  ASSERT_OK(view.Parse(two_chunks, "x"));
  EXPECT_EQ(view.entries().back().chunk, 1u);
  EXPECT_LT(one_chunk.size(), two_chunks.size());

  std::vector<Observation> got = DecodeAll(two_chunks);
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(SameContent(got[i], versions[i])) << i;
    EXPECT_EQ(got[i].provenance.line, 100 + i);
    EXPECT_EQ(got[i].provenance.source, versions[i].provenance.source);
  }
}

// The encoder reuses its buffers from chunk to chunk and drops them after a
// chunk of over a megabyte: chunks before and after must not mix.
TEST(ValueCodecTest, ChunksOfAnySizeInTurnRoundTrip) {
  for (const size_t n : {size_t{3}, size_t{40000}, size_t{2}, size_t{1}}) {
    std::vector<Observation> versions;
    for (size_t i = 0; i < n; ++i) {
      Observation o = Sample();
      o.time.seconds += static_cast<int64_t>(i) * 86400;
      o.value = static_cast<double>(i % 97);
      o.original_value = std::to_string(i % 97);
      o.visit = i % 2 ? "" : "V" + std::to_string(n);
      o.items.clear();
      versions.push_back(o);
    }
    std::string log;
    AppendObservations(&log, versions);
    std::vector<Observation> got = DecodeAll(log);
    ASSERT_EQ(got.size(), n);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(SameContent(got[i], versions[i])) << n << " versions, entry " << i;
    }
  }
}

bool SameBitsOrBothNan(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

// Every stored field, the value to the bit: what a reader gets back must be
// what was written, whichever form the encoder chose for it.
void ExpectSameEverything(const Observation& got, const Observation& want, const std::string& at) {
  SCOPED_TRACE(at);
  uint64_t got_bits, want_bits;
  std::memcpy(&got_bits, &got.value, 8);
  std::memcpy(&want_bits, &want.value, 8);
  EXPECT_EQ(got_bits, want_bits) << got.value << " vs " << want.value;
  EXPECT_EQ(got.original_value, want.original_value);
  EXPECT_EQ(got.time, want.time);
  EXPECT_EQ(got.comparator, want.comparator);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.version, want.version);
  EXPECT_EQ(got.visit, want.visit);
  EXPECT_EQ(got.original_unit, want.original_unit);
  EXPECT_EQ(got.provenance.line, want.provenance.line);
  EXPECT_EQ(got.provenance.source, want.provenance.source);
  EXPECT_EQ(got.provenance.user, want.provenance.user);
  EXPECT_EQ(got.provenance.reason, want.provenance.reason);
  EXPECT_EQ(got.recorded_at_us, want.recorded_at_us);
  ASSERT_EQ(got.items.size(), want.items.size());
}

// Values are stored as their digits when the text as entered is a plain
// decimal that gives exactly the value, and as the value and its text
// otherwise. Each row is a text a user or a feed may send, with the value
// (and comparator) the importers make of it.
TEST(ValueCodecTest, EveryTextAndValueComesBackExactly) {
  struct Case {
    const char* text;
    double value;
    Comparator comparator;
  };
  const Case cases[] = {
      {"4.5", 4.5, Comparator::kNone},
      {"0", 0, Comparator::kNone},
      {"10", 10, Comparator::kNone},
      {"0.05", 0.05, Comparator::kNone},
      {"-3.25", -3.25, Comparator::kNone},
      {"6.50", 6.5, Comparator::kNone},  // trailing zero kept
      {"07", 7, Comparator::kNone},      // leading zero kept
      {"-0", -0.0, Comparator::kNone},   // negative zero
      {"0", -0.0, Comparator::kNone},    // a value that is not the text's
      {"3.", 3, Comparator::kNone},
      {".5", 0.5, Comparator::kNone},
      {"+2", 2, Comparator::kNone},
      {"1e3", 1000, Comparator::kNone},
      {"6,5", 6.5, Comparator::kNone},     // decimal comma
      {"51", 6.81748, Comparator::kNone},  // converted from mmol/mol
      {"", 2.5, Comparator::kNone},        // written through the API
      {"<0.5", 0.5, Comparator::kLess},
      {"<=3", 3, Comparator::kLessEqual},
      {">=0", 0, Comparator::kGreaterEqual},
      {">100", 100, Comparator::kGreater},
      {"\xe2\x89\xa4"
       "3",
       3, Comparator::kLessEqual},  // "≤3"
      {"< 0.5", 0.5, Comparator::kLess},
      {"<0.5", 0.5, Comparator::kNone},  // a sign the comparator does not say
      {"0.1", 0.1, Comparator::kNone},
      {"0.3", 0.1 + 0.2, Comparator::kNone},  // binary noise: not 0.3
      {"123456789012345", 123456789012345.0, Comparator::kNone},
      {"1234567890123456", 1234567890123456.0, Comparator::kNone},  // 16 digits
      {"0.000000000000001", 1e-15, Comparator::kNone},
      {"0.0000000000000001", 1e-16, Comparator::kNone},  // scale 16
      {"-99999.99999", -99999.99999, Comparator::kNone},
      {"1e400", std::numeric_limits<double>::infinity(), Comparator::kNone},
  };
  std::vector<Observation> versions;
  int64_t line = 5;
  for (size_t i = 0; i < std::size(cases); ++i) {
    Observation o = Sample();
    o.status = ObservationStatus::kFinal;
    o.version = 1;
    o.items.clear();
    o.original_unit.clear();
    o.original_value = cases[i].text;
    o.value = cases[i].value;
    o.comparator = cases[i].comparator;
    // Dates, date-times, steps back and far jumps; lines up, down and zero.
    o.time =
        i % 3 == 1
            ? CivilTime{253402300799 - static_cast<int64_t>(i), TimePrecision::kDateTime}
            : CivilTime{-62135596800 + 86400 * static_cast<int64_t>(i * i), TimePrecision::kDate};
    o.provenance.line = i % 4 == 3 ? 0 : (line = line * 7 % 4294967291);
    // Labels sharing no start, a short one, and more than 15 bytes of one.
    o.visit = i % 5 == 0   ? ""
              : i % 2 == 0 ? "V" + std::to_string(i)
                           : "unscheduled, after relapse " + std::to_string(i % 3);
    versions.push_back(o);
  }
  versions[7].provenance.line = 4294967295;
  std::string log;
  AppendObservations(&log, versions);
  std::vector<Observation> got = DecodeAll(log);
  ASSERT_EQ(got.size(), versions.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ExpectSameEverything(got[i], versions[i],
                         absl::StrCat("entry ", i, " text \"", cases[i].text, "\""));
  }
}

// What makes format 2 worth a format: the entries of one import's series
// take a few bytes each, not the 44 they took as fixed-width columns.
TEST(ValueCodecTest, AnImportedSeriesTakesAFewBytesPerValue) {
  std::vector<Observation> versions;
  for (int i = 0; i < 20; ++i) {
    Observation o;
    o.time = CivilTime{(19000 + 91 * i) * int64_t{86400}, TimePrecision::kDate};
    o.value = 1.5 + 0.5 * (i % 7);
    o.original_value = absl::StrCat(o.value);
    if (o.original_value.find('.') == std::string::npos) o.original_value += ".0";
    o.visit = absl::StrCat("M", 3 * i);
    o.recorded_at_us = 1700000000123456;
    o.provenance = {"/data/registry/visits-2026.csv", 1000 + 2 * i, "coordinator", ""};
    versions.push_back(o);
  }
  std::string log;
  AppendObservations(&log, versions);
  // 888 bytes in format 1 (44 a value); 264 now, 150 of them the chunk's
  // FlatBuffers table, frame and provenance.
  EXPECT_LE(log.size(), 280u);
  std::vector<Observation> got = DecodeAll(log);
  ASSERT_EQ(got.size(), versions.size());
  for (size_t i = 0; i < got.size(); ++i)
    ExpectSameEverything(got[i], versions[i], absl::StrCat(i));
}

// Parse only checks a packed chunk; Materialize decodes what it returns, and
// decodes a chunk's visit labels (each may start with its predecessor's
// bytes) on the first entry that needs one. Whichever entries a query asks
// for, in whichever order, from a log mixing packed chunks with and without
// visits and lines and a chunk in format 1's columns, and from a view that
// read another log before: every entry reads as written.
TEST(ValueCodecTest, EntriesReadInAnyOrderFromMixedChunksReadAsWritten) {
  const char* const labels[] = {
      "M3", "M6", "M12", "M12", "", "unscheduled, relapse 1", "M12", "M", "unscheduled, relapse 2"};
  std::vector<std::vector<Observation>> writes;
  for (int w = 0; w < 5; ++w) {
    std::vector<Observation> chunk;
    for (int i = 0; i < 9; ++i) {
      Observation o = Sample();
      o.version = 1;
      o.status = i == 4 ? ObservationStatus::kEnteredInError : ObservationStatus::kFinal;
      o.time = CivilTime{(18000 + 30 * (9 * w + i)) * int64_t{86400}, TimePrecision::kDate};
      o.value = i % 3 == 0 ? 0.5 : 4 + 0.5 * i;
      o.comparator = i % 3 == 0 ? Comparator::kLess : Comparator::kNone;
      o.original_value = i % 3 == 0 ? "<0.5" : absl::StrCat(o.value);
      if (i == 5) o.original_value = "4,5 (approx.)";  // stored as written
      o.original_unit = i == 2 ? "mmol/mol" : "";
      o.items = i == 7 ? std::vector<double>{1, 2} : std::vector<double>{};
      // Write 1 has no visits, write 3 no lines.
      o.visit = w == 1 ? "" : labels[(i + w) % 9];
      o.provenance = {absl::StrCat("write", w, ".csv"), w == 3 ? 0 : 100 - 7 * i, "alice", ""};
      o.recorded_at_us = 1700000000000000 + w;
      chunk.push_back(o);
    }
    writes.push_back(chunk);
  }
  // Write 2 cannot be packed (a time step beyond the varint form): it is
  // stored in format 1's columns.
  writes[2][0].time = CivilTime{-(int64_t{1} << 62) - 1, TimePrecision::kDateTime};
  std::string log;
  std::vector<Observation> want;
  for (const auto& chunk : writes) {
    AppendObservations(&log, chunk);
    want.insert(want.end(), chunk.begin(), chunk.end());
  }
  std::vector<absl::string_view> records;
  ASSERT_OK(SplitRecords(log, "x", &records));
  ASSERT_EQ(records.size(), 5u);

  std::string other;  // a view that read this first must forget it
  AppendObservations(&other, {Sample(), Sample()});
  std::vector<std::vector<size_t>> orders;
  std::vector<size_t> order(want.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  orders.push_back(order);                           // log order
  orders.push_back({order.rbegin(), order.rend()});  // backwards
  orders.push_back({want.size() - 1});               // the last entry alone (latest)
  orders.push_back({22, 5, 40, 13, 0, 31, 3});       // here and there, across chunks
  for (size_t k = 0; k < orders.size(); ++k) {
    ObservationLogView view;
    ASSERT_OK(view.Parse(other, "other"));
    Observation o;
    for (const auto& e : view.entries()) view.Materialize(e, &o);
    ASSERT_OK(view.Parse(log, "x"));
    ASSERT_EQ(view.entries().size(), want.size());
    for (size_t i : orders[k]) {
      const ObservationLogView::Entry e = view.entries()[i];
      const std::string at = absl::StrCat("order ", k, ", entry ", i);
      EXPECT_EQ(e.time, want[i].time.seconds) << at;
      EXPECT_EQ(e.status, want[i].status) << at;
      SeriesValue v;
      view.MaterializeValue(e, &v);
      EXPECT_EQ(v.time, want[i].time) << at;
      EXPECT_TRUE(SameBitsOrBothNan(v.value, want[i].value)) << at;
      EXPECT_EQ(v.comparator, want[i].comparator) << at;
      view.Materialize(e, &o);
      ExpectSameEverything(o, want[i], at);
      EXPECT_EQ(o.items, want[i].items) << at;
    }
  }
}

// The checksum catches damage on disk; a record damaged before its checksum
// was taken (or crafted) must still never be read out of bounds or turned
// into values: every byte of a packed record, replaced by each of a few
// values and framed with a valid checksum, parses or is DataLoss (ASan runs
// this too).
//
// Parse checks a packed record and Materialize decodes its values, texts and
// visit labels later, from the same bytes: whatever order the entries are
// asked for in (visit labels are decoded per chunk on first need), an
// accepted record reads the same, and nothing is read past it.
TEST(ValueCodecTest, ARecordWithAValidChecksumButBadContentIsNeverReadPastItsEnd) {
  std::vector<Observation> versions;
  const char* const visits[] = {"M6", "M12", "", "unscheduled"};
  for (int i = 0; i < 4; ++i) {
    Observation o = Sample();
    o.time.seconds += 86400 * i;
    o.version = 1 + i;
    o.original_value = i % 2 ? "<0.5" : i == 2 ? "0.5e1" : "12.25";
    o.value = i % 2 ? 0.5 : i == 2 ? 5 : 12.25;
    o.comparator = i % 2 ? Comparator::kLess : Comparator::kNone;
    o.visit = visits[i];
    o.provenance.line = 42 + 3 * i;
    versions.push_back(o);
  }
  std::string log;
  AppendObservations(&log, versions);
  std::vector<absl::string_view> records;
  ASSERT_OK(SplitRecords(log, "x", &records));
  ASSERT_EQ(records.size(), 1u);
  const std::string body(records[0]);
  int parsed = 0, refused = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    for (const uint8_t b : {0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xff}) {
      std::string crafted = body;
      crafted[i] = static_cast<char>(b);
      std::string framed;
      AppendRecord(&framed, crafted);
      ObservationLogView view;
      absl::Status s = view.Parse(framed, "x");
      if (s.ok()) {
        ++parsed;
        const std::vector<ObservationLogView::Entry> entries = view.entries();
        std::vector<Observation> forward(entries.size());
        for (size_t j = 0; j < entries.size(); ++j) view.Materialize(entries[j], &forward[j]);
        ObservationLogView backward_view;
        ASSERT_OK(backward_view.Parse(framed, "x"));
        for (size_t j = entries.size(); j-- > 0;) {
          Observation o;
          backward_view.Materialize(entries[j], &o);
          ExpectSameEverything(o, forward[j], absl::StrCat("byte ", i, " = ", b, ", entry ", j));
          SeriesValue v;
          backward_view.MaterializeValue(entries[j], &v);
          EXPECT_EQ(v.time, o.time);
          EXPECT_TRUE(SameBitsOrBothNan(v.value, o.value));
          EXPECT_EQ(v.comparator, o.comparator);
        }
      } else {
        ++refused;
        EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
      }
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(parsed, 0);
}

TEST(ValueCodecTest, SameContentIgnoresVersionTimeOfRecordingAndProvenance) {
  Observation a = Sample(), b = Sample();
  b.version = 9;
  b.recorded_at_us = 1;
  b.provenance.source = "other.csv";
  EXPECT_TRUE(SameContent(a, b));
  b.value = 0.6;
  EXPECT_FALSE(SameContent(a, b));
}

TEST(ValueCodecTest, AFlippedBitAnywhereInALogIsDataLossNotData) {
  std::string log;
  AppendObservations(&log, {Sample()});
  Observation later = Sample();
  later.provenance.source = "later.csv";
  AppendObservations(&log, {later});
  for (size_t i = 0; i < log.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = log;
      damaged[i] ^= static_cast<char>(1 << bit);
      ObservationLogView view;
      EXPECT_THAT(view.Parse(damaged, "series edss of patient \"P1\""),
                  StatusIs(absl::StatusCode::kDataLoss, HasSubstr("P1")))
          << "flip of bit " << bit << " at byte " << i << " went unnoticed";
    }
  }
}

TEST(ValueCodecTest, TruncatedLogIsDataLoss) {
  std::string log;
  AppendObservations(&log, {Sample()});
  std::vector<absl::string_view> records;
  for (size_t n = 1; n < log.size(); ++n) {
    EXPECT_THAT(SplitRecords(log.substr(0, n), "x", &records),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("damaged")));
  }
}

TEST(ValueCodecTest, GarbageWithAValidFrameFailsVerification) {
  std::string log;
  AppendRecord(&log, std::string(24, '\x7f'));
  ObservationLogView view;
  EXPECT_THAT(view.Parse(log, "x"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("verification")));
}

TEST(ValueCodecTest, PatientRoundTrips) {
  Patient p;
  p.id = "P-001";
  p.arm = "treated";
  p.index_date = CivilTime{-86400, TimePrecision::kDate};
  p.treatment_dates = {CivilTime{0, TimePrecision::kDate}};
  p.attributes = {{"sex", "F"}, {"cell_source", "bone marrow"}};
  p.version = 2;
  std::string log;
  AppendRecord(&log, EncodePatient(p));
  std::vector<absl::string_view> records;
  ASSERT_OK(SplitRecords(log, "x", &records));
  Patient got;
  ASSERT_OK(DecodePatient(records[0], &got));
  EXPECT_EQ(got.id, "P-001");
  EXPECT_EQ(got.arm, "treated");
  EXPECT_EQ(got.index_date, p.index_date);
  EXPECT_EQ(got.treatment_dates, p.treatment_dates);
  EXPECT_EQ(got.attributes, p.attributes);
  EXPECT_EQ(got.version, 2u);
}

TEST(ValueCodecTest, MeasureRoundTrips) {
  MeasureDefinition m;
  m.code = "sdmt";
  m.name = "Symbol Digit Modalities Test";
  m.unit = "score";
  m.min = 0;
  m.max = 110;
  m.step = 1;
  m.integer = true;
  m.direction = Direction::kHigherIsBetter;
  m.change_threshold = 4;
  m.units = {{"points", 1, 0}};
  std::string log;
  AppendRecord(&log, EncodeMeasure(300, m));
  std::vector<absl::string_view> records;
  ASSERT_OK(SplitRecords(log, "x", &records));
  CatalogEntry e;
  ASSERT_OK(DecodeMeasure(records[0], &e));
  EXPECT_EQ(e.id, 300u);
  EXPECT_EQ(e.def.code, "sdmt");
  EXPECT_EQ(e.def.max, 110);
  EXPECT_EQ(e.def.direction, Direction::kHigherIsBetter);
  ASSERT_EQ(e.def.units.size(), 1u);
  EXPECT_EQ(e.def.units[0].unit, "points");
}

// Issue 16: conversions are now rounded to their exact decimal result, so a
// version stored before holds the same entry a few ulps off. Re-recording
// that entry must stay a no-op, not become a correction; a value entered in
// the canonical unit is compared exactly as before.
TEST(SameContentTest, AConversionStoredWithBinaryNoiseIsTheSameEntry) {
  Observation old_version;
  old_version.value = 51 * 0.09148 + 2.152;  // 6.817480000000001
  old_version.original_value = "51";
  old_version.original_unit = "mmol/mol";
  Observation now = old_version;
  now.value = 6.81748;
  ASSERT_NE(old_version.value, now.value);
  EXPECT_TRUE(SameContent(old_version, now));
  now.value = 6.8175;
  EXPECT_FALSE(SameContent(old_version, now));
  Observation canonical = old_version;
  canonical.original_value = "6.817480000000001";
  canonical.original_unit = "";
  Observation other = canonical;
  other.value = 6.81748;
  EXPECT_FALSE(SameContent(canonical, other));
}

}  // namespace
}  // namespace cotrack::codec

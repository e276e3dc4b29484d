// Instants vs clinical dates (issue 15, item 4): a date-time written with a
// UTC offset or Z is converted to the import's time zone, in every format
// through one function, so that one visit written as Synthea CSV's
// 2023-10-26T05:20:38Z and as FHIR's 2023-10-25T22:20:38-07:00 lands on one
// day. The shared Synthea CSV and FHIR files are of different patients (the
// CSV's 27 are not the FHIR file's one), so the FHIR side is written here
// from the CSV's own instants, as an EHR in Los Angeles would send them.
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cotrack/maintenance.h"
#include "cotrack/time_zone.h"
#include "formats_test_util.h"
#include "import/value_text.h"

namespace cotrack::formats_test {
namespace {

using ::cotrack::testing::SharedData;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::WriteFile;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSyntheaCsv[] = "synthea_csv_dbt_ohdsi/observations.csv";
constexpr char kLosAngeles[] = "America/Los_Angeles";

using Identity = std::tuple<std::string, std::string, std::string>;  // patient, measure, time

std::set<Identity> Identities(const ReadResult& r) {
  std::set<Identity> out;
  for (const ObservationInput& o : r.batch.observations()) {
    out.emplace(o.patient, o.measure, FormatCivilTime(o.time));
  }
  return out;
}

// The CSV's HbA1c rows as FHIR Observations of the same instants, written
// with Los Angeles's offset of that day (-08:00 or -07:00).
std::string AsLosAngelesFhir(const ReadResult& utc) {
  absl::TimeZone la;
  EXPECT_TRUE(absl::LoadTimeZone(kLosAngeles, &la));
  std::string ndjson;
  for (const ObservationInput& o : utc.batch.observations()) {
    const absl::Time instant = absl::FromUnixSeconds(o.time.seconds);
    ndjson += absl::StrCat(
        R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":)"
        R"("http://loinc.org","code":"4548-4"}]},"subject":{"reference":"Patient/)",
        o.patient, R"("},"effectiveDateTime":")",
        absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", instant, la), R"(","valueQuantity":{"value":)",
        o.original_value, R"(,"unit":"%","system":"http://unitsofmeasure.org","code":"%"}})", "\n");
  }
  return ndjson;
}

class TimeZoneTest : public DbFixture {};

TEST_F(TimeZoneTest, OneVisitInSyntheaCsvAndFhirLandsOnOneDayOnceAZoneIsSet) {
  ImportOptions utc;
  utc.timezone = "UTC";
  ASSERT_OK_AND_ASSIGN(ReadResult csv_utc, ReadPath(SharedData(kSyntheaCsv), utc));
  ASSERT_EQ(csv_utc.batch.observations().size(), 7u);  // README: 7 HbA1c rows
  const std::string fhir = dir_.File("la.ndjson");
  WriteFile(fhir, AsLosAngelesFhir(csv_utc));

  // Without a zone: the clock times as written, so the same visits are
  // other identities (and some other days); the report would warn.
  ASSERT_OK_AND_ASSIGN(ReadResult csv_raw, ReadPath(SharedData(kSyntheaCsv)));
  ASSERT_OK_AND_ASSIGN(ReadResult fhir_raw, ReadPath(fhir));
  EXPECT_EQ(csv_raw.counts.offsets_dropped, 7);
  EXPECT_EQ(fhir_raw.counts.offsets_dropped, 7);
  std::set<Identity> both;
  for (const Identity& i : Identities(csv_raw)) {
    if (Identities(fhir_raw).count(i)) both.insert(i);
  }
  EXPECT_TRUE(both.empty());

  // With the clinic's zone: the same identities, day and time.
  ImportOptions la;
  la.timezone = kLosAngeles;
  ASSERT_OK_AND_ASSIGN(ReadResult csv, ReadPath(SharedData(kSyntheaCsv), la));
  ASSERT_OK_AND_ASSIGN(ReadResult fhir_la, ReadPath(fhir, la));
  EXPECT_EQ(csv.counts.offsets_dropped, 0);
  EXPECT_EQ(Identities(csv), Identities(fhir_la));
  EXPECT_EQ(Identities(csv).size(), 7u);
  // 2023-10-26T05:20:38Z was the evening before in Los Angeles.
  EXPECT_TRUE(Identities(csv).count(
      {"1cd7cc0a-2e2a-c167-1207-cad02d69328e", "hba1c", "2023-10-25T22:20:38"}));

  // Into one database: the second file changes nothing.
  ASSERT_OK_AND_ASSIGN(ImportReport first, ImportFile(*db_, SharedData(kSyntheaCsv), la));
  EXPECT_TRUE(first.warnings.empty());
  ASSERT_OK_AND_ASSIGN(ImportReport second, ImportFile(*db_, fhir, la));
  EXPECT_EQ(second.summary.written, 0);
  EXPECT_EQ(second.summary.unchanged, 7);
}

TEST_F(TimeZoneTest, RealFhirInItsOwnZoneKeepsItsClockTimes) {
  // The Synthea FHIR file writes New Zealand offsets (+12:00/+13:00).
  const std::string mapping = dir_.File("height.csv");
  WriteFile(mapping, "system,code,measure,unit\nhttp://loinc.org,8302-2,height,cm\n");
  ImportOptions plain;
  plain.mapping_file = mapping;
  ImportOptions nz = plain;
  nz.timezone = "Pacific/Auckland";
  ImportOptions utc = plain;
  utc.timezone = "UTC";
  const std::string path = SharedData("synthea_fhir_ndjson/Observation.ndjson");
  ASSERT_OK_AND_ASSIGN(ReadResult raw, ReadPath(path, plain));
  ASSERT_OK_AND_ASSIGN(ReadResult local, ReadPath(path, nz));
  ASSERT_OK_AND_ASSIGN(ReadResult in_utc, ReadPath(path, utc));
  ASSERT_EQ(raw.batch.observations().size(), 10u);
  EXPECT_EQ(Identities(local), Identities(raw));
  for (size_t i = 0; i < raw.batch.observations().size(); ++i) {
    EXPECT_EQ(in_utc.batch.observations()[i].time.seconds + 12 * 3600,
              raw.batch.observations()[i].time.seconds)
        << "+12:00 in the winter months of these visits";
  }
}

TEST_F(TimeZoneTest, ImportReportWarnsOncePerFileWithoutAZone) {
  ASSERT_OK_AND_ASSIGN(ImportReport report,
                       ImportFile(*db_, SharedData(kSyntheaCsv), ImportOptions()));
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_THAT(report.warnings[0], HasSubstr("with a UTC offset or Z"));
  EXPECT_THAT(report.warnings[0], HasSubstr("--timezone"));
}

TEST_F(TimeZoneTest, AnUnknownZoneIsAnErrorNamingItAndHowToListZones) {
  ImportOptions o;
  o.timezone = "Mars/Olympus_Mons";
  EXPECT_THAT(ReadPath(SharedData(kSyntheaCsv), o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("unknown time zone \"Mars/Olympus_Mons\""),
                             HasSubstr("timedatectl list-timezones"))));
  EXPECT_THAT(ImportFile(*db_, SharedData(kSyntheaCsv), o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Mars/Olympus_Mons")));
}

// The database's own zone (Database::SetTimeZone): set once, stored, and
// used by every import that names no zone of its own.
TEST_F(TimeZoneTest, TheDatabaseZoneIsStoredAndImportsWithoutAZoneUseIt) {
  ASSERT_OK_AND_ASSIGN(std::string none, DatabaseTimeZone(*db_));
  EXPECT_EQ(none, "");
  ASSERT_OK(SetDatabaseTimeZone(*db_, kLosAngeles, /*force=*/false, Provenance{}));
  db_.reset();
  ASSERT_OK_AND_ASSIGN(db_, Database::Open(dir_.File("db")));
  ASSERT_OK_AND_ASSIGN(std::string zone, DatabaseTimeZone(*db_));
  EXPECT_EQ(zone, kLosAngeles);

  ImportOptions utc;
  utc.timezone = "UTC";
  ASSERT_OK_AND_ASSIGN(ReadResult csv_utc, ReadPath(SharedData(kSyntheaCsv), utc));
  const std::string fhir = dir_.File("la.ndjson");
  WriteFile(fhir, AsLosAngelesFhir(csv_utc));
  ASSERT_OK_AND_ASSIGN(ImportReport first,
                       ImportFile(*db_, SharedData(kSyntheaCsv), ImportOptions()));
  EXPECT_TRUE(first.warnings.empty()) << first.warnings[0];
  EXPECT_EQ(first.summary.written, 7);
  ASSERT_OK_AND_ASSIGN(ImportReport second, ImportFile(*db_, fhir, ImportOptions()));
  EXPECT_EQ(second.summary.written, 0);
  EXPECT_EQ(second.summary.unchanged, 7);
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> t,
                       db_->Trajectory("1cd7cc0a-2e2a-c167-1207-cad02d69328e", "hba1c"));
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(FormatCivilTime(t[0].time), "2023-10-25T22:20:38");
  // A zone given to one import still wins over the database's.
  ImportOptions berlin;
  berlin.timezone = "Europe/Berlin";
  ASSERT_OK_AND_ASSIGN(ReadResult in_berlin, ReadPath(SharedData(kSyntheaCsv), berlin));
  EXPECT_FALSE(Identities(in_berlin).count(
      {"1cd7cc0a-2e2a-c167-1207-cad02d69328e", "hba1c", "2023-10-25T22:20:38"}));
}

TEST_F(TimeZoneTest, ADatabaseZoneChangeIsRefusedOnceValuesAreStoredUnlessForced) {
  ASSERT_OK(SetDatabaseTimeZone(*db_, "Europe/Berlin", false, Provenance{}));
  ASSERT_OK(SetDatabaseTimeZone(*db_, "Europe/Paris", false, Provenance{}));  // no values yet
  ASSERT_OK_AND_ASSIGN(ImportReport r, ImportFile(*db_, SharedData(kSyntheaCsv), ImportOptions()));
  EXPECT_EQ(r.summary.written, 7);
  ASSERT_OK(SetDatabaseTimeZone(*db_, "Europe/Paris", false, Provenance{}));  // the same: a no-op
  EXPECT_THAT(SetDatabaseTimeZone(*db_, kLosAngeles, false, Provenance{}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("time zone Europe/Paris"),
                             HasSubstr("never converted again"), HasSubstr("--force"))));
  ASSERT_OK_AND_ASSIGN(std::string kept, DatabaseTimeZone(*db_));
  EXPECT_EQ(kept, "Europe/Paris");
  Provenance why;
  why.reason = "the clinic moved";
  ASSERT_OK(SetDatabaseTimeZone(*db_, kLosAngeles, /*force=*/true, why));
  ASSERT_OK_AND_ASSIGN(std::string forced, DatabaseTimeZone(*db_));
  EXPECT_EQ(forced, kLosAngeles);
  ASSERT_OK_AND_ASSIGN(std::vector<AuditRecord> audit, db_->AuditLog());
  int zone_entries = 0;
  for (const AuditRecord& a : audit) {
    if (a.action != "timezone") continue;
    ++zone_entries;
    if (a.provenance.reason == "the clinic moved") {
      EXPECT_THAT(a.detail, HasSubstr("America/Los_Angeles (was Europe/Paris)"));
    }
  }
  EXPECT_EQ(zone_entries, 3);  // Berlin, Paris, Los Angeles
}

TEST_F(TimeZoneTest, AnUnknownDatabaseZoneIsRefusedNamingIt) {
  EXPECT_THAT(SetDatabaseTimeZone(*db_, "Mars/Olympus_Mons", false, Provenance{}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("unknown time zone \"Mars/Olympus_Mons\""),
                             HasSubstr("Europe/Berlin"))));
  ASSERT_OK_AND_ASSIGN(std::string zone, DatabaseTimeZone(*db_));
  EXPECT_EQ(zone, "");
}

TEST_F(TimeZoneTest, DumpAndLoadKeepTheDatabaseZoneAndDumpsWithoutOneDoNotChange) {
  std::stringstream without;
  db_.reset();
  ASSERT_OK(DumpDatabase(dir_.File("db"), Options(), without).status());
  EXPECT_THAT(without.str(), Not(HasSubstr("setting")));
  ASSERT_OK_AND_ASSIGN(db_, Database::Open(dir_.File("db")));
  ASSERT_OK(SetDatabaseTimeZone(*db_, kLosAngeles, false, Provenance{}));
  db_.reset();
  std::stringstream with;
  ASSERT_OK(DumpDatabase(dir_.File("db"), Options(), with).status());
  EXPECT_THAT(with.str(),
              HasSubstr(R"({"type":"setting","name":"time_zone","value":"America/Los_Angeles"})"));
  ASSERT_OK(LoadDatabase(with, "dump.ndjson", dir_.File("copy"), Options()).status());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> copy, Database::Open(dir_.File("copy")));
  ASSERT_OK_AND_ASSIGN(std::string zone, DatabaseTimeZone(*copy));
  EXPECT_EQ(zone, kLosAngeles);
}

TEST(CivilTimeOfInstant, ConvertsEveryOffsetFormAndKeepsDates) {
  absl::TimeZone berlin;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin));
  bool had = false;
  for (const char* text : {"2024-03-05T23:30:00Z", "2024-03-06T00:30:00+01:00",
                           "2024-03-05T18:30:00-05:00", "2024-03-05T23:30:00.250Z"}) {
    ASSERT_OK_AND_ASSIGN(CivilTime t, ParseDateTimeCell(text, &berlin, &had));
    EXPECT_TRUE(had) << text;
    EXPECT_EQ(FormatCivilTime(t), "2024-03-06T00:30:00") << text;
  }
  ASSERT_OK_AND_ASSIGN(CivilTime date, ParseDateTimeCell("2024-03-05", &berlin, &had));
  EXPECT_FALSE(had);
  EXPECT_EQ(FormatCivilTime(date), "2024-03-05");
  ASSERT_OK_AND_ASSIGN(CivilTime local, ParseDateTimeCell("2024-03-05T23:30", &berlin, &had));
  EXPECT_FALSE(had);
  EXPECT_EQ(FormatCivilTime(local), "2024-03-05T23:30:00");
  ASSERT_OK_AND_ASSIGN(CivilTime kept, ParseDateTimeCell("2024-03-05T23:30:00Z", nullptr, &had));
  EXPECT_TRUE(had);
  EXPECT_EQ(FormatCivilTime(kept), "2024-03-05T23:30:00");
}

}  // namespace
}  // namespace cotrack::formats_test

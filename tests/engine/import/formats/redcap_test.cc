// REDCap exports with a mapping file, read as published.
#include <string>

#include "formats_test_util.h"

namespace cotrack::formats_test {
namespace {

using ::cotrack::testing::IsOk;
using ::cotrack::testing::ReadFile;
using ::cotrack::testing::SharedData;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::cotrack::testing::WriteFile;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

class RedcapTest : public DbFixture {
 protected:
  // Options naming a mapping file with `rows` after the header.
  ImportOptions Mapping(const std::string& rows) {
    const std::string path = dir_.File("mapping" + std::to_string(++mappings_) + ".csv");
    WriteFile(path, "kind,name,value,unit,decimal\n" + rows);
    ImportOptions o;
    o.mapping_file = path;
    return o;
  }
  static std::string Data(const std::string& file) { return SharedData("redcap_redcapr/" + file); }
  // Data rows of a file and how many have `field` filled, counted here.
  static std::pair<int64_t, int64_t> Rows(const std::string& path, const std::string& field) {
    const auto records = NaiveCsv(ReadFile(path));
    const size_t col = Column(records[0], field);
    int64_t filled = 0;
    for (size_t i = 1; i < records.size(); ++i) filled += !records[i][col].empty();
    return {static_cast<int64_t>(records.size()) - 1, filled};
  }
  int mappings_ = 0;
};

TEST_F(RedcapTest, LongitudinalEventsDatedByAFieldOfTheEvent) {
  const std::string path = Data("arm-single-longitudinal_data.csv");
  ASSERT_OK_AND_ASSIGN(ReadResult r,
                       ReadPath(path, Mapping("field,weight,weight,kg\ndate,*,interview_date\n")));
  EXPECT_EQ(r.format, ImportFormat::kRedcapCsv);
  ASSERT_OK(r.errors);
  const auto [rows, filled] = Rows(path, "weight");
  EXPECT_EQ(r.counts.rows, rows);
  EXPECT_EQ(r.counts.rows, 9);
  EXPECT_EQ(static_cast<int64_t>(r.batch.observations().size()), filled);
  EXPECT_EQ(r.batch.observations()[2].visit, "follow_up_arm_1");
  Register("weight", "kg", 0, 500);
  ASSERT_OK(db_->Apply(r.batch));
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> t, db_->Trajectory("1", "weight"));
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(FormatCivilTime(t[2].time), "2001-01-03");
  EXPECT_EQ(t[2].value, 13);
}

TEST_F(RedcapTest, EventsDatedByOffsetsFromTheIndexDate) {
  ASSERT_OK_AND_ASSIGN(ReadResult r,
                       ReadPath(Data("arm-single-longitudinal_data.csv"),
                                Mapping("field,weight,weight,kg\nindex_date,interview_date\n"
                                        "offset,intake_arm_1,0\noffset,dischage_arm_1,7\n"
                                        "offset,follow_up_arm_1,180\n")));
  ASSERT_OK(r.errors);
  ASSERT_EQ(r.batch.observations().size(), 9u);
  // Record 2's index date is its intake date, 2001-02-01.
  EXPECT_EQ(FormatCivilTime(r.batch.observations()[4].time), "2001-02-08");
  EXPECT_EQ(FormatCivilTime(r.batch.observations()[5].time), "2001-07-31");

  EXPECT_THAT(ReadPath(Data("arm-single-longitudinal_data.csv"),
                       Mapping("field,weight,weight,kg\noffset,intake_arm_1,0\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no index_date row names the field holding the index date")));
}

TEST_F(RedcapTest, ClassicLongitudinalDemoWithStudyId) {
  // study_id, not record_id, is the id column; most event rows are empty.
  const std::string path = Data("longitudinal_data.csv");
  ASSERT_OK_AND_ASSIGN(ReadResult r,
                       ReadPath(path, Mapping("field,weight,weight,kg\nfield,height,height,cm\n"
                                              "date,enrollment_arm_1,date_enrolled\n"
                                              "date,enrollment_arm_2,date_enrolled\n")));
  ASSERT_OK(r.errors);
  const auto [rows, filled] = Rows(path, "weight");
  EXPECT_EQ(rows, 18);
  EXPECT_EQ(r.counts.rows, rows);
  EXPECT_EQ(r.counts.skipped, rows - filled);
  EXPECT_THAT(r.counts.skipped_by_reason, ElementsAre(Pair("no mapped values", rows - filled)));
  ASSERT_EQ(static_cast<int64_t>(r.batch.observations().size()), 2 * filled);
  EXPECT_EQ(r.batch.observations()[0].patient, "100");
  Register("weight", "kg", 0, 500);
  Register("height", "cm", 0, 300);
  ASSERT_OK_AND_ASSIGN(WriteSummary s, db_->Apply(r.batch));
  EXPECT_EQ(s.written, 2 * filled);
}

TEST_F(RedcapTest, RepeatingInstrumentRows) {
  const std::string path = Data("multilevel-model-1_data.csv");
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadPath(path, Mapping("field,cog_1,cog,\nfield,phys_1,phys,\n"
                                                            "date,appointment,date_at_visit\n")));
  ASSERT_OK(r.errors);
  const auto [rows, filled] = Rows(path, "cog_1");
  EXPECT_EQ(rows, 220);
  EXPECT_EQ(r.counts.rows, rows);
  EXPECT_EQ(r.counts.skipped, rows - filled);  // the patient rows
  EXPECT_EQ(static_cast<int64_t>(r.batch.observations().size()), 2 * filled);
  EXPECT_EQ(r.batch.observations()[0].visit, "appointment#1");
  Register("cog", "score", 0, 100);
  Register("phys", "score", 0, 100);
  ASSERT_OK(db_->Apply(r.batch));
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> t, db_->Trajectory("1001", "cog"));
  ASSERT_GE(t.size(), 2u);
  EXPECT_EQ(FormatCivilTime(t[0].time), "2002-02-06");
  EXPECT_EQ(t[0].value, 5.4);
}

TEST_F(RedcapTest, SparseRepeatsOnTheSameDayAreDuplicates) {
  // Record 1 has three bp instances on 2019-10-14: one value per patient,
  // measure and date, so instances 2 and 3 are errors, not silent versions.
  ASSERT_OK_AND_ASSIGN(ReadResult r,
                       ReadPath(Data("repeating-instruments-sparse_data.csv"),
                                Mapping("field,bp_systolic,sbp,mm[Hg]\ndate,bp,date_bp\n")));
  EXPECT_EQ(r.counts.rows, 9);
  EXPECT_EQ(r.counts.skipped, 5);  // the non-repeating rows
  EXPECT_THAT(r.errors, StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr(":4: sbp of record \"1\" on 2019-10-14: same patient, "
                                           "measure and date as line 3")));
  ASSERT_EQ(r.rejects.size(), 2u);
  EXPECT_EQ(r.rejects[0].first, 4);
  EXPECT_EQ(r.rejects[1].first, 5);
  ASSERT_EQ(r.batch.observations().size(), 2u);
  EXPECT_EQ(r.batch.observations()[1].visit, "bp#1");
}

TEST_F(RedcapTest, DecimalCommasNeedToBeDeclared) {
  const std::string path = Data("decimal-comma_data.csv");
  ASSERT_OK_AND_ASSIGN(ReadResult plain,
                       ReadPath(path, Mapping("field,height,height,m\ndate,*,2020-01-01\n")));
  EXPECT_THAT(
      plain.errors,
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("decimal-comma_data.csv:2:10: REDCap field \"height\" (column 3, "
                               "measure height): bad value \"1,54\""),
                     HasSubstr("put comma in the mapping's decimal column"))));
  ASSERT_OK_AND_ASSIGN(
      ReadResult comma,
      ReadPath(path, Mapping("field,height,height,m,comma\nfield,weight,weight,kg,comma\n"
                             "date,*,2020-01-01\n")));
  ASSERT_OK(comma.errors);
  EXPECT_EQ(comma.counts.rows, 4);
  ASSERT_EQ(comma.batch.observations().size(), 8u);
  EXPECT_EQ(comma.batch.observations()[0].value, 1.54);
  EXPECT_EQ(comma.batch.observations()[1].value, 52.3);
  EXPECT_EQ(comma.batch.observations()[0].original_value, "1,54");
  EXPECT_EQ(FormatCivilTime(comma.batch.observations()[0].time), "2020-01-01");

  ASSERT_OK_AND_ASSIGN(
      ReadResult mixed,
      ReadPath(Data("decimal-comma-and-dot_data.csv"),
               Mapping("field,height_dot,height_a,m\nfield,height_comma,height_b,m,comma\n"
                       "date,*,2020-01-01\n")));
  ASSERT_OK(mixed.errors);
  ASSERT_EQ(mixed.batch.observations().size(), 8u);
  for (size_t i = 0; i < 8; i += 2) {
    EXPECT_EQ(mixed.batch.observations()[i].value, mixed.batch.observations()[i + 1].value);
  }
}

TEST_F(RedcapTest, ProblematicValuesAreErrorsWithPositions) {
  ASSERT_OK_AND_ASSIGN(ReadResult r,
                       ReadPath(Data("potentially-problematic-values_data.csv"),
                                Mapping("field,integer_before_validation,n,\ndate,*,time_1\n")));
  EXPECT_EQ(r.counts.rows, 2);
  EXPECT_THAT(r.errors,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("potentially-problematic-values_data.csv:2:36: REDCap "
                                       "field \"integer_before_validation\" (column 4, measure "
                                       "n): bad value \"before validation 1\""),
                             HasSubstr(":3:31: REDCap field \"integer_before_validation\""))));
  EXPECT_EQ(r.rejects.size(), 2u);
  EXPECT_TRUE(r.batch.empty());
}

TEST_F(RedcapTest, ABadCellRejectsThatValueNotTheRecordsOthers) {
  // Mapped without its decimal comma, every height cell ("1,54") is no
  // number; record 3's weight 123,4 is above the measure's 100 kg.
  const std::string path = Data("decimal-comma_data.csv");
  Register("height", "m", 0, 3);
  Register("weight", "kg", 0, 100);
  Register("bmi", "kg/m2", 0, 100);
  ImportOptions o = Mapping(
      "field,height,height,m\nfield,weight,weight,kg,comma\nfield,bmi,bmi,kg/m2\n"
      "date,*,2020-01-01\n");
  // By default a bad value rejects the file, naming the REDCap field, its
  // column, the measure, the value and what was expected ...
  EXPECT_THAT(ImportFile(*db_, path, o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("decimal-comma_data.csv:2:10: REDCap field \"height\" "
                                       "(column 3, measure height): bad value \"1,54\" (expected "
                                       "a number"),
                             HasSubstr("nothing was written"))));
  ASSERT_OK_AND_ASSIGN(std::vector<Patient> none, db_->ListPatients());
  EXPECT_TRUE(none.empty());
  // ... also for a number its measure refuses.
  EXPECT_THAT(ImportFile(*db_, path,
                         Mapping("field,height,height,m,comma\nfield,weight,weight,kg,comma\n"
                                 "date,*,2020-01-01\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("decimal-comma_data.csv:4: REDCap field \"weight\" (column 4, "
                                 "measure weight): field \"value\": bad value \"123,4 kg\" "
                                 "(expected a value from 0 to 100 kg)")));

  // With --on-error skip only the bad cells are rejected: every record keeps
  // its good weight and bmi.
  o.on_error = ImportOptions::OnError::kSkip;
  o.reject_file = dir_.File("rejects.csv");
  ASSERT_OK_AND_ASSIGN(ImportReport report, ImportFile(*db_, path, o));
  EXPECT_EQ(report.rows, 4);
  EXPECT_EQ(report.summary.written, 7);  // 4 bmi, 3 weights
  EXPECT_EQ(report.rejected, 4);         // rows with a rejected value
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> weight, db_->Trajectory("1", "weight"));
  ASSERT_EQ(weight.size(), 1u);
  EXPECT_EQ(weight[0].value, 52.3);
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> bmi, db_->Trajectory("3", "bmi"));
  ASSERT_EQ(bmi.size(), 1u);
  EXPECT_EQ(bmi[0].value, 32.5);
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> height, db_->Trajectory("1", "height"));
  EXPECT_TRUE(height.empty());
  // The reject file has one line per rejected value, as an observations row
  // to correct and import again.
  const auto rejects = NaiveCsv(ReadFile(o.reject_file));
  ASSERT_EQ(rejects.size(), 6u);  // header, 4 heights, 1 weight
  EXPECT_EQ(rejects[1][0], "2");
  EXPECT_THAT(rejects[1][1], HasSubstr("REDCap field \"height\" (column 3, measure height): "
                                       "bad value \"1,54\""));
  EXPECT_EQ(rejects[1][2], "1,height,2020-01-01,\"1,54\",m");
  EXPECT_EQ(rejects[5][0], "4");
  EXPECT_THAT(rejects[5][1], HasSubstr("REDCap field \"weight\" (column 4, measure weight)"));
}

TEST_F(RedcapTest, MappingProblemsAreClear) {
  const std::string path = Data("arm-single-longitudinal_data.csv");
  EXPECT_THAT(ReadPath(path), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("needs a mapping file (--mapping FILE)")));
  EXPECT_THAT(ReadPath(path, Mapping("field,wieght,weight,kg\ndate,*,interview_date\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("names field wieght that the header does not have")));
  EXPECT_THAT(ReadPath(path, Mapping("field,weight,weight,kg\ndate,intake_arm_1,interview_date\n")),
              IsOk());
  ASSERT_OK_AND_ASSIGN(
      ReadResult r,
      ReadPath(path, Mapping("field,weight,weight,kg\ndate,intake_arm_1,interview_date\n")));
  EXPECT_THAT(r.errors, StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr(":3: the mapping file has no date or offset rule for "
                                           "event dischage_arm_1")));
  EXPECT_THAT(ReadPath(path, Mapping("fields,weight,weight,kg\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown kind \"fields\"")));
}

// The classic demo's two arms, named as its arm.csv names them, and its
// enrollment date as every record's index date, onto the patients.
constexpr char kDemoRegistration[] =
    "field,weight,weight,kg\nfield,height,height,cm\n"
    "date,enrollment_arm_1,date_enrolled\ndate,enrollment_arm_2,date_enrolled\n"
    "index_date,date_enrolled\narm_name,1,Drug A\narm_name,2,Drug B\n";

TEST_F(RedcapTest, ArmsAndIndexDatesGoOntoThePatients) {
  // longitudinal_arm.csv: 1 "Drug A", 2 "Drug B"; records 100 and 220 are in
  // arm 1, 304 in arm 2; each was enrolled on 2015-04-02.
  Register("weight", "kg", 0, 500);
  Register("height", "cm", 0, 300);
  const std::string path = Data("longitudinal_data.csv");
  ASSERT_OK_AND_ASSIGN(ImportReport r, ImportFile(*db_, path, Mapping(kDemoRegistration)));
  EXPECT_EQ(r.summary.patients, 3);
  ASSERT_OK_AND_ASSIGN(std::vector<Patient> patients, db_->ListPatients());
  ASSERT_EQ(patients.size(), 3u);
  for (const Patient& p : patients) {
    EXPECT_EQ(p.arm, p.id == "304" ? "Drug B" : "Drug A") << p.id;
    ASSERT_TRUE(p.index_date.has_value()) << p.id;
    EXPECT_EQ(FormatCivilTime(*p.index_date), "2015-04-02");
    EXPECT_EQ(p.provenance.source, path);
  }
  // Again: the same registrations, so no new versions.
  ASSERT_OK_AND_ASSIGN(r, ImportFile(*db_, path, Mapping(kDemoRegistration)));
  EXPECT_EQ(r.summary.patients, 0);
  ASSERT_OK_AND_ASSIGN(std::vector<Patient> history, db_->PatientHistory("304"));
  EXPECT_EQ(history.size(), 1u);

  // Without arm names, the arm is REDCap's arm number.
  ASSERT_OK_AND_ASSIGN(r, ImportFile(*db_, Data("arm-single-longitudinal_data.csv"),
                                     Mapping("field,weight,weight,kg\ndate,*,interview_date\n"
                                             "arm,redcap_event_name\n")));
  ASSERT_OK_AND_ASSIGN(Patient one, db_->GetPatient("1"));
  EXPECT_EQ(one.arm, "1");
  EXPECT_FALSE(one.index_date.has_value());
}

TEST_F(RedcapTest, AnExportDoesNotSilentlyReplaceARegistration) {
  Register("weight", "kg", 0, 500);
  Register("height", "cm", 0, 300);
  Patient placebo;
  placebo.id = "304";
  placebo.arm = "Placebo";
  placebo.index_date = *ParseCivilTime("2015-03-30");
  placebo.attributes["site"] = "Leeds";
  ASSERT_OK(db_->PutPatient(placebo));
  const std::string path = Data("longitudinal_data.csv");
  // Line 14 is record 304's enrollment row.
  EXPECT_THAT(ImportFile(*db_, path, Mapping(kDemoRegistration)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("longitudinal_data.csv:14: patient \"304\": arm \"Drug B\" "
                                       "differs from the stored \"Placebo\"; import with "
                                       "--replace-registration"),
                             HasSubstr(":14: patient \"304\": index date \"2015-04-02\" differs "
                                       "from the stored \"2015-03-30\""),
                             HasSubstr("nothing was written"))));
  ASSERT_OK_AND_ASSIGN(std::vector<Patient> patients, db_->ListPatients());
  EXPECT_EQ(patients.size(), 1u);  // the file was rejected whole

  // --on-error skip: the values go in, the conflicting registration goes to
  // the reject file and the stored one stays.
  ImportOptions skip = Mapping(kDemoRegistration);
  skip.on_error = ImportOptions::OnError::kSkip;
  skip.reject_file = dir_.File("rejects.csv");
  ASSERT_OK_AND_ASSIGN(ImportReport skipped, ImportFile(*db_, path, skip));
  EXPECT_EQ(skipped.summary.written, 6);
  EXPECT_THAT(ReadFile(skip.reject_file),
              AllOf(HasSubstr("14,\"patient \"\"304\"\": arm \"\"Drug B\"\" differs from the "
                              "stored \"\"Placebo\"\""),
                    HasSubstr("304,arm,Placebo,Drug B")));
  ASSERT_OK_AND_ASSIGN(Patient kept, db_->GetPatient("304"));
  EXPECT_EQ(kept.arm, "Placebo");
  EXPECT_EQ(FormatCivilTime(*kept.index_date), "2015-03-30");

  ImportOptions replace = Mapping(kDemoRegistration);
  replace.replace_registration = true;
  ASSERT_OK(ImportFile(*db_, path, replace));
  ASSERT_OK_AND_ASSIGN(std::vector<Patient> history, db_->PatientHistory("304"));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].arm, "Placebo");  // kept in the history
  EXPECT_EQ(history[1].arm, "Drug B");
  EXPECT_EQ(FormatCivilTime(*history[1].index_date), "2015-04-02");
  EXPECT_EQ(history[1].attributes.at("site"), "Leeds");  // what the export does not give stays
}

TEST_F(RedcapTest, ARecordInTwoArmsIsAnError) {
  // A small export: REDCap lets a record be in two arms, a patient has one.
  const std::string path = dir_.File("two_arms.csv");
  WriteFile(path,
            "record_id,redcap_event_name,visit_date,weight\n"
            "7,baseline_arm_1,2020-01-01,70\n"
            "7,month_6_arm_2,2020-07-01,71\n");
  Register("weight", "kg", 0, 500);
  EXPECT_THAT(
      ImportFile(*db_, path,
                 Mapping("field,weight,weight,kg\ndate,*,visit_date\narm_name,1,Drug A\n")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("two_arms.csv:3:3: record \"7\": arm \"2\" (field redcap_event_name) "
                         "differs from \"Drug A\" on line 2")));
}

}  // namespace
}  // namespace cotrack::formats_test

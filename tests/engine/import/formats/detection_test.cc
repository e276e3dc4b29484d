// Format detection from content, and --format overriding it.
#include <string>

#include "formats_test_util.h"

namespace cotrack::formats_test {
namespace {

using ::cotrack::testing::SharedData;
using ::cotrack::testing::StatusIs;
using ::testing::HasSubstr;

TEST(DetectionTest, EveryCoveredSharedFileIsRecognised) {
  const std::pair<const char*, ImportFormat> files[] = {
      {"synthea_heart_health/observations.csv", ImportFormat::kSyntheaObservations},
      {"synthea_csv_dbt_ohdsi/observations.csv", ImportFormat::kSyntheaObservations},
      {"synthea_heart_health/patients.csv", ImportFormat::kSyntheaPatients},
      {"synthea_csv_dbt_ohdsi/patients.csv", ImportFormat::kSyntheaPatients},
      {"synthea_fhir_ndjson/Observation.ndjson", ImportFormat::kFhirNdjson},
      {"synthea_fhir_ndjson/Patient1.ndjson", ImportFormat::kFhirNdjson},
      {"synthea_heart_health/"
       "Krishna674_Treutel973_2bfebc58-f094-c9e9-7545-4d1edce8306b.json",
       ImportFormat::kFhirJson},
      {"fhir_r4_examples/diagnosticreport-example-ghp.json", ImportFormat::kFhirJson},
      {"fhir_r4_examples/observation-example.json", ImportFormat::kFhirJson},
      {"msprog_toydata/MSprog_toydata_visits.csv", ImportFormat::kWideCsv},
      {"hl7v2_samples/ORU_R01_2.5.1_SampleTestCase1.hl7", ImportFormat::kHl7},
      {"hl7v2_samples/ORU_R01_2.5.1_SampleTestCase2.hl7", ImportFormat::kHl7},
      {"hl7v2_samples/ORU_R01_2.5.1_SampleTestCase3.hl7", ImportFormat::kHl7},
      {"hl7v2_samples/cerner_lead.hl7", ImportFormat::kHl7},
      {"hl7v2_samples/hl7-v2.3-oru-r01-1.hl7", ImportFormat::kHl7},
      {"hl7v2_samples/hl7-v2.3-oru-r01-2.hl7", ImportFormat::kHl7},
      {"hl7v2_samples/hl7-v2.3.1-oru-r01-1.hl7", ImportFormat::kHl7},
      {"hl7v2_samples/hl7-v2.5.1-oru-r01-1.hl7", ImportFormat::kHl7},
      {"hl7v2_samples/hl7-v2.8-oru-r01-1.hl7", ImportFormat::kHl7},
      {"hl7v2_samples/oru-example.hl7", ImportFormat::kHl7},
      {"omop_sahohime/measurement.csv", ImportFormat::kOmopMeasurement},
      {"omop_sahohime/person.csv", ImportFormat::kOmopPerson},
      {"msprog_toydata/MSprog_toydata_relapses.csv", ImportFormat::kRelapsesCsv},
  };
  for (const auto& [file, format] : files) {
    SCOPED_TRACE(file);
    std::ifstream in(SharedData(file), std::ios::binary);
    ASSERT_TRUE(in);
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<FormatReader> r,
                         OpenFormatReader(in, file, ImportOptions()));
    EXPECT_EQ(r->format(), format);
  }
}

TEST(DetectionTest, RedcapNeedsItsMappingEvenToBeOpened) {
  std::ifstream in(SharedData("redcap_redcapr/longitudinal_data.csv"), std::ios::binary);
  EXPECT_THAT(OpenFormatReader(in, "x.csv", ImportOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("REDCap export needs")));
}

TEST(DetectionTest, MetadataFilesAreNotMistakenForData) {
  // REDCap event, arm and dictionary exports describe a project; they hold
  // no observations and must not be read as one of our formats.
  for (const char* file :
       {"redcap_redcapr/arm-single-longitudinal_event.csv", "redcap_redcapr/longitudinal_event.csv",
        "redcap_redcapr/longitudinal_arm.csv", "redcap_redcapr/longitudinal_dictionary.csv",
        "redcap_redcapr/multilevel-model-1_dictionary.csv"}) {
    SCOPED_TRACE(file);
    EXPECT_THAT(ReadPath(SharedData(file)),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unrecognised header")));
  }
}

TEST(DetectionTest, ExplicitFormatOverridesDetection) {
  // A wide visit CSV read as a patients CSV: every other column becomes an
  // attribute.
  ImportOptions o;
  o.format = ImportFormat::kPatientsCsv;
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText("patient,date,edss\nP1,2020-01-01,3\n", o));
  EXPECT_EQ(r.format, ImportFormat::kPatientsCsv);
  ASSERT_EQ(r.batch.patients().size(), 1u);
  EXPECT_EQ(r.batch.patients()[0].attributes.at("edss"), "3");
  ASSERT_OK_AND_ASSIGN(ReadResult wide, ReadText("patient,date,edss\nP1,2020-01-01,3\n"));
  EXPECT_EQ(wide.format, ImportFormat::kWideCsv);
  // NDJSON forced to be read as one JSON document fails clearly.
  o.format = ImportFormat::kFhirJson;
  EXPECT_THAT(
      ReadText("{\"resourceType\":\"Patient\",\"id\":\"a\"}\n{\"resourceType\":\"Patient\","
               "\"id\":\"b\"}\n",
               o, "p.ndjson"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("p.ndjson:2:1: invalid JSON")));
  o.format = ImportFormat::kFhirNdjson;
  EXPECT_THAT(ReadText("patient,date\n", o, "x.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("x.csv:1: expected FHIR JSON starting with '{'")));
}

TEST(DetectionTest, BytesTakenByDetectionAreReplayed) {
  // Leading blank lines: CSV line numbers and NDJSON line numbers stay true.
  ASSERT_OK_AND_ASSIGN(ReadResult csv, ReadText("\n\npatient,date,edss\nP1,2020-01-01,x\n"));
  EXPECT_THAT(csv.errors, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("test.csv:4:")));
  ASSERT_OK_AND_ASSIGN(ReadResult nd, ReadText("\n \n{\"resourceType\":\"Patient\"}\n"));
  EXPECT_EQ(nd.format, ImportFormat::kFhirNdjson);
  EXPECT_THAT(nd.errors, StatusIs(absl::StatusCode::kInvalidArgument,
                                  HasSubstr("test.csv:3: Patient: no id")));
}

TEST(DetectionTest, ByteOrderMarkBeforeJsonAndNonObjectLines) {
  ASSERT_OK_AND_ASSIGN(ReadResult r,
                       ReadText("\xEF\xBB\xBF{\"resourceType\":\"Patient\",\"id\":\"a\"}\n[1,2]\n",
                                ImportOptions(), "p.ndjson"));
  EXPECT_EQ(r.format, ImportFormat::kFhirNdjson);
  EXPECT_EQ(r.counts.rows, 2);
  ASSERT_EQ(r.batch.patients().size(), 1u);
  EXPECT_THAT(r.errors, StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr("p.ndjson:2:1: expected a FHIR resource")));
  ASSERT_OK_AND_ASSIGN(ReadResult csv,
                       ReadText("\xEF\xBB\xBFpatient,date,edss\nP1,2020-01-01,3\n"));
  EXPECT_EQ(csv.format, ImportFormat::kWideCsv);
  EXPECT_EQ(csv.batch.observations().size(), 1u);
}

TEST(DetectionTest, Hl7IsToldByHowItStarts) {
  const std::string message =
      "MSH|^~\\&|LAB|C|||20240305||ORU^R01|1|P|2.5.1\rPID|1||P1\r"
      "OBX|1|NM|4548-4^HbA1c^LN||6.5|%|||||F|||20240305\r";
  // After MLLP start bytes, a byte order mark, blank lines; any delimiters.
  for (const std::string& text :
       {message, "\x0b" + message + "\x1c\r", "\xEF\xBB\xBF\r\n \n" + message,
        std::string("MSH#@*!%#LAB#C###20240305##ORU@R01#1#P#2.5.1\rPID#1##P1\r"
                    "OBX#1#NM#4548-4@HbA1c@LN##6.5#%#####F###20240305\r")}) {
    SCOPED_TRACE(text);
    ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(text, ImportOptions(), "lab.hl7"));
    EXPECT_EQ(r.format, ImportFormat::kHl7);
    ASSERT_OK(r.errors);
    ASSERT_EQ(r.batch.observations().size(), 1u);
    EXPECT_EQ(r.batch.observations()[0].value, 6.5);
  }
  // A CSV whose first column is named MSH stays a CSV; so does a short file.
  EXPECT_THAT(ReadText("MSH,PID,OBX\n1,2,3\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unrecognised header")));
  EXPECT_THAT(ReadText("MSH_ID,date\n1,2020-01-01\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unrecognised header")));
  // HL7 with broken delimiters is HL7, and says what is wrong with them.
  ASSERT_OK_AND_ASSIGN(ReadResult broken,
                       ReadText("MSH|^~^&|LAB\rPID|1||P1\rOBX|1|NM|4548-4^A1c^LN||6|%\r",
                                ImportOptions(), "lab.hl7"));
  EXPECT_EQ(broken.format, ImportFormat::kHl7);
  EXPECT_THAT(broken.errors,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("lab.hl7:3: message 1, OBX 1: MSH on line 1: "
                                 "MSH-2, the encoding characters, uses \"^\" twice")));
  ASSERT_OK_AND_ASSIGN(ReadResult wide, ReadText("patient,date,edss\nMSH|^~\\&|,2020-01-01,3\n"));
  EXPECT_EQ(wide.format, ImportFormat::kWideCsv);
  // --format hl7 reads it whatever its start, and says what it expected.
  ImportOptions o;
  o.format = ImportFormat::kHl7;
  ASSERT_OK_AND_ASSIGN(ReadResult forced, ReadText(message, o, "lab.txt"));
  EXPECT_EQ(forced.batch.observations().size(), 1u);
  EXPECT_THAT(ReadText("{\"resourceType\":\"Patient\"}\n", o, "p.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("p.json:1: expected an HL7 v2 message starting with MSH")));
}

TEST(DetectionTest, FormatNamesRoundTrip) {
  for (ImportFormat f :
       {ImportFormat::kAuto, ImportFormat::kObservationsCsv, ImportFormat::kPatientsCsv,
        ImportFormat::kWideCsv, ImportFormat::kRedcapCsv, ImportFormat::kSyntheaObservations,
        ImportFormat::kSyntheaPatients, ImportFormat::kFhirNdjson, ImportFormat::kFhirJson,
        ImportFormat::kHl7}) {
    ASSERT_OK_AND_ASSIGN(ImportFormat back, ParseImportFormat(ImportFormatName(f)));
    EXPECT_EQ(back, f);
  }
  EXPECT_EQ(*ParseImportFormat("NDJSON"), ImportFormat::kFhirNdjson);
  EXPECT_EQ(*ParseImportFormat("HL7v2"), ImportFormat::kHl7);
  EXPECT_EQ(*ParseImportFormat("oru"), ImportFormat::kHl7);
  EXPECT_THAT(ParseImportFormat("xml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("fhir-ndjson")));
}

}  // namespace
}  // namespace cotrack::formats_test

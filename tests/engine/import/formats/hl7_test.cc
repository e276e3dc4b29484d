// HL7 v2 lab results (ORU^R01): the published sample files as they are, and
// small messages for each rule (delimiters, line ends, MLLP, escapes, SN,
// statuses, dates, patient identifiers, corrections, errors).
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "formats_test_util.h"
#include "import/hl7_parser.h"
#include "import/value_text.h"

namespace cotrack::formats_test {
namespace {

using ::cotrack::testing::ReadFile;
using ::cotrack::testing::SharedData;
using ::cotrack::testing::StatusIs;
using ::cotrack::testing::TempDir;
using ::cotrack::testing::WriteFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

std::string Sample(const std::string& name) { return SharedData("hl7v2_samples/" + name); }

// Segments joined by `eol` (CR, as HL7 sends them, unless told otherwise).
std::string Hl7(const std::vector<std::string>& segments, const std::string& eol = "\r") {
  return absl::StrJoin(segments, eol) + eol;
}

const std::string kMsh = "MSH|^~\\&|LAB|CLINIC|||20240305093000||ORU^R01|MSG1|P|2.5.1";
const std::string kPid = "PID|1||P1^^^HOSP^MR||Doe^Jane";
const std::string kObr = "OBR|1|||4548-4^HbA1c^LN|||20240305083000";

// An OBX: value type, OBX-3, OBX-5, OBX-6, OBX-11 and OBX-14.
std::string Obx(int n, const std::string& type, const std::string& code, const std::string& value,
                const std::string& unit, const std::string& status = "F",
                const std::string& time = "") {
  return absl::StrCat("OBX|", n, "|", type, "|", code, "||", value, "|", unit, "|||||", status,
                      "|||", time);
}

// The mapping file of the sample tests: lead, blood counts, glucose and age
// are labs (and an age) the catalog has no measure for, so the tests
// register them as user measures.
constexpr char kSampleMapping[] =
    "system,code,measure,unit\n"
    "http://loinc.org,10368-9,lead,ug/dL\n"
    "http://loinc.org,6690-2,wbc,10^9/L\n"
    "http://loinc.org,777-3,plt,10^9/L\n"
    "http://loinc.org,718-7,hgb,g/L\n"
    "http://loinc.org,1554-5,glucose,mg/dL\n"
    "http://loinc.org,30525-0,age,a\n";

class Hl7Test : public DbFixture {
 protected:
  ImportOptions Mapped(const std::string& rows = kSampleMapping) {
    WriteFile(dir_.File("map.csv"), rows);
    ImportOptions o;
    o.mapping_file = dir_.File("map.csv");
    return o;
  }
  void RegisterSampleMeasures() {
    Register("lead", "ug/dL", 0, 1000);
    Register("wbc", "10^9/L", 0, 1000);
    Register("plt", "10^9/L", 0, 5000);
    Register("hgb", "g/L", 0, 500);
    Register("glucose", "mg/dL", 0, 2000);
    Register("age", "a", 0, 150);
  }
  // Writes `text` to lab.hl7 and imports it.
  absl::StatusOr<ImportReport> Import(const std::string& text,
                                      ImportOptions options = ImportOptions()) {
    WriteFile(dir_.File("lab.hl7"), text);
    return ImportFile(*db_, dir_.File("lab.hl7"), options);
  }
};

// Every sample file as it is, with the built-in mapping: how many OBX rows,
// and why each was skipped (none of them is HbA1c, C-peptide or IL-4).
TEST_F(Hl7Test, SampleFilesAreReadWholeAndEverySkipCounted) {
  struct Expected {
    const char* file;
    int64_t rows;
    std::map<std::string, int64_t> reasons;
  };
  const Expected samples[] = {
      {"ORU_R01_2.5.1_SampleTestCase1.hl7", 1, {{"unmapped code 10368-9", 1}}},
      {"ORU_R01_2.5.1_SampleTestCase2.hl7", 1, {{"unmapped code 10368-9", 1}}},
      {"ORU_R01_2.5.1_SampleTestCase3.hl7", 1, {{"unmapped code 10368-9", 1}}},
      {"cerner_lead.hl7", 1, {{"unmapped code 10368-9", 1}}},
      // Immunisations as text results, not verified yet.
      {"hl7-v2.3-oru-r01-1.hl7", 9, {{"status R (not verified)", 9}}},
      // A blood count: local codes (LOINC as the alternate code), none mapped.
      {"hl7-v2.3-oru-r01-2.hl7",
       14,
       {{"unmapped code 301.0500", 1},
        {"unmapped code 301.0600", 1},
        {"unmapped code 301.0700", 1},
        {"unmapped code 301.0900", 1},
        {"unmapped code 301.1100", 1},
        {"unmapped code 301.1300", 1},
        {"unmapped code 301.1500", 1},
        {"unmapped code 301.1700", 1},
        {"unmapped code 301.1900", 1},
        {"unmapped code 301.2100", 1},
        {"unmapped code 301.2300", 1},
        {"unmapped code 301.2500", 1},
        {"unmapped code 301.2700", 1},
        {"unmapped code 301.2900", 1}}},
      // MSH and PID only.
      {"hl7-v2.3.1-oru-r01-1.hl7", 0, {}},
      // A SARS-CoV-2 test and its ask-at-order-entry answers, coded; the age
      // is SN ^15^.
      {"hl7-v2.5.1-oru-r01-1.hl7",
       13,
       {{"value type CWE, code 94316-7", 1},
        {"value type CWE, code 95417-2", 1},
        {"value type CWE, code 95418-0", 1},
        {"value type CWE, code 85658-3", 1},
        {"value type CWE, code 95419-8", 1},
        {"value type DT, code 65222-2", 1},
        {"value type CWE, code 75325-1", 1},
        {"value type CWE, code 77974-4", 1},
        {"value type CWE, code 95420-6", 1},
        {"value type CWE, code 95421-4", 1},
        {"value type CWE, code 75617-1", 1},
        {"value type CWE, code 82810-3", 1},
        {"unmapped code 30525-0", 1}}},
      {"hl7-v2.8-oru-r01-1.hl7", 1, {{"unmapped code 1554-5", 1}}},
      // An order with its timing, no result yet.
      {"oru-example.hl7", 0, {}},
  };
  for (const Expected& e : samples) {
    SCOPED_TRACE(e.file);
    const std::string text = ReadFile(Sample(e.file));
    ASSERT_OK_AND_ASSIGN(ReadResult r, ReadPath(Sample(e.file)));
    EXPECT_EQ(r.format, ImportFormat::kHl7);
    ASSERT_OK(r.errors);
    // Rows are the OBX segments (each starts a line: after CR or LF).
    EXPECT_EQ(Occurrences(text, "\rOBX|") + Occurrences(text, "\nOBX|"), e.rows);
    EXPECT_EQ(r.counts.rows, e.rows);
    EXPECT_EQ(r.counts.skipped, e.rows);
    EXPECT_EQ(r.counts.skipped_by_reason, e.reasons);
    EXPECT_TRUE(r.batch.empty());
    // Imported for real: nothing written, nothing wrong.
    ASSERT_OK_AND_ASSIGN(ImportReport report, ImportFile(*db_, Sample(e.file), ImportOptions()));
    EXPECT_EQ(report.format, ImportFormat::kHl7);
    EXPECT_EQ(report.rows, e.rows);
    EXPECT_EQ(report.skipped, e.rows);
    EXPECT_EQ(report.summary.written, 0);
  }
}

// With a mapping for their codes (and measures registered for them) the
// samples give their values: dates with the offset dropped, units decoded.
TEST_F(Hl7Test, SampleValuesDatesAndUnits) {
  RegisterSampleMeasures();
  const ImportOptions o = Mapped();

  ASSERT_OK_AND_ASSIGN(ReadResult lead, ReadPath(Sample("ORU_R01_2.5.1_SampleTestCase1.hl7"), o));
  ASSERT_OK(lead.errors);
  ASSERT_EQ(lead.batch.observations().size(), 1u);
  const ObservationInput& l = lead.batch.observations()[0];
  EXPECT_EQ(l.patient, "9817566735");
  EXPECT_EQ(l.measure, "lead");
  EXPECT_EQ(l.value, 50);
  EXPECT_EQ(l.original_value, "50");
  EXPECT_EQ(l.unit, "ug/dL");
  EXPECT_EQ(l.comparator, Comparator::kNone);
  // OBX-14 200808151030-0700: the clinic's clock, not UTC.
  EXPECT_EQ(FormatCivilTime(l.time), "2008-08-15T10:30:00");
  EXPECT_EQ(l.provenance.line, 6);

  ASSERT_OK_AND_ASSIGN(ReadResult cerner, ReadPath(Sample("cerner_lead.hl7"), o));
  ASSERT_OK(cerner.errors);
  ASSERT_EQ(cerner.batch.observations().size(), 1u);
  EXPECT_EQ(cerner.batch.observations()[0].patient, "9339683996");
  EXPECT_EQ(FormatCivilTime(cerner.batch.observations()[0].time), "2010-11-04T16:40:00");
  EXPECT_EQ(cerner.batch.observations()[0].provenance.line, 7);

  // The blood count: OBX-3 is a local code with LOINC as the alternate
  // (pCLOCD, the pan-Canadian LOINC subset), units 10\S\9/L.
  ASSERT_OK_AND_ASSIGN(ReadResult cbc, ReadPath(Sample("hl7-v2.3-oru-r01-2.hl7"), o));
  ASSERT_OK(cbc.errors);
  EXPECT_EQ(cbc.counts.rows, 14);
  EXPECT_EQ(cbc.counts.skipped, 11);
  EXPECT_EQ(cbc.counts.skipped_by_reason.count("unmapped code 301.0500"), 0u);
  ASSERT_EQ(cbc.batch.observations().size(), 3u);
  const auto& wbc = cbc.batch.observations()[0];
  EXPECT_EQ(wbc.measure, "wbc");
  EXPECT_EQ(wbc.patient, "AND234DA_PID3");
  EXPECT_EQ(wbc.value, 10.1);
  EXPECT_EQ(wbc.unit, "10^9/L");
  // OBX-14 (09:16) wins over OBR-7 (09:14).
  EXPECT_EQ(FormatCivilTime(wbc.time), "2014-11-13T09:16:00");
  EXPECT_EQ(wbc.provenance.line, 6);
  EXPECT_EQ(cbc.batch.observations()[1].measure, "hgb");
  EXPECT_EQ(cbc.batch.observations()[1].value, 140);
  EXPECT_EQ(cbc.batch.observations()[1].unit, "g/L");
  EXPECT_EQ(cbc.batch.observations()[2].measure, "plt");
  EXPECT_EQ(cbc.batch.observations()[2].value, 125);
  EXPECT_EQ(cbc.batch.observations()[2].provenance.line, 14);

  // The age, SN ^15^: one number, no comparator.
  ASSERT_OK_AND_ASSIGN(ReadResult covid, ReadPath(Sample("hl7-v2.5.1-oru-r01-1.hl7"), o));
  ASSERT_OK(covid.errors);
  ASSERT_EQ(covid.batch.observations().size(), 1u);
  const auto& age = covid.batch.observations()[0];
  EXPECT_EQ(age.patient, "36363636");
  EXPECT_EQ(age.measure, "age");
  EXPECT_EQ(age.value, 15);
  EXPECT_EQ(age.original_value, "15");
  EXPECT_EQ(age.unit, "a");
  EXPECT_EQ(FormatCivilTime(age.time), "2020-07-10T10:30:00");
  EXPECT_EQ(covid.counts.skipped, 12);

  for (const char* file : {"ORU_R01_2.5.1_SampleTestCase1.hl7", "cerner_lead.hl7",
                           "hl7-v2.3-oru-r01-2.hl7", "hl7-v2.5.1-oru-r01-1.hl7"}) {
    SCOPED_TRACE(file);
    ASSERT_OK_AND_ASSIGN(ImportReport r, ImportFile(*db_, Sample(file), o));
    EXPECT_GT(r.summary.written, 0);
  }
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> wbcs, db_->Trajectory("AND234DA_PID3", "wbc"));
  ASSERT_EQ(wbcs.size(), 1u);
  EXPECT_EQ(wbcs[0].value, 10.1);
  EXPECT_EQ(wbcs[0].unit, "10^9/L");
  EXPECT_EQ(wbcs[0].provenance.line, 6);
}

// The v2.8 sample's OBR is broken across two lines ("...^GHH" CR
// "LAB|1554-5^GLUCOSE..."), so its OBR-7 is lost and its OBX has no date.
TEST_F(Hl7Test, SampleWithBrokenObrIsAnErrorSayingSo) {
  RegisterSampleMeasures();
  const std::string path = Sample("hl7-v2.8-oru-r01-1.hl7");
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadPath(path, Mapped()));
  EXPECT_THAT(r.errors,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       absl::StrCat(path,
                                    ":5: message 1, OBX 1: no date: OBX-14, OBR-7 and OBR-14 are "
                                    "empty (the observation needs a date); the OBR on line 3 has "
                                    "only 3 fields: is it broken across lines?")));
  EXPECT_TRUE(r.batch.empty());
  EXPECT_THAT(ImportFile(*db_, path, Mapped()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(":5: message 1, OBX 1:")));
  // Its value is read (SN ^182), and kept out with the row.
  ImportOptions skip = Mapped();
  skip.on_error = ImportOptions::OnError::kSkip;
  skip.reject_file = dir_.File("rejects.csv");
  ASSERT_OK_AND_ASSIGN(ImportReport report, ImportFile(*db_, path, skip));
  EXPECT_EQ(report.rejected, 1);
  EXPECT_EQ(report.summary.written, 0);
  EXPECT_THAT(ReadFile(dir_.File("rejects.csv")),
              HasSubstr("5,\"message 1, OBX 1: no date: OBX-14, OBR-7 and OBR-14 are empty"));
}

// Test cases 1 and 2 are the same result; case 3 corrects it (OBX-11 C,
// 50 -> 25 ug/dl): a new version of the same identity.
TEST_F(Hl7Test, CorrectedResultIsANewVersion) {
  RegisterSampleMeasures();
  const ImportOptions o = Mapped();
  ASSERT_OK_AND_ASSIGN(ImportReport first,
                       ImportFile(*db_, Sample("ORU_R01_2.5.1_SampleTestCase1.hl7"), o));
  EXPECT_EQ(first.summary.written, 1);
  ASSERT_OK_AND_ASSIGN(ImportReport same,
                       ImportFile(*db_, Sample("ORU_R01_2.5.1_SampleTestCase2.hl7"), o));
  EXPECT_EQ(same.summary.unchanged, 1);
  EXPECT_EQ(same.summary.written, 0);
  ASSERT_OK_AND_ASSIGN(ImportReport fix,
                       ImportFile(*db_, Sample("ORU_R01_2.5.1_SampleTestCase3.hl7"), o));
  EXPECT_EQ(fix.summary.corrected, 1);
  ASSERT_OK_AND_ASSIGN(CivilTime t, ParseCivilTime("2008-08-15T10:30:00"));
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> history, db_->History("9817566735", "lead", t));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].value, 50);
  EXPECT_EQ(history[0].status, ObservationStatus::kFinal);
  EXPECT_EQ(history[1].value, 25);
  EXPECT_EQ(history[1].unit, "ug/dL");  // the file says ug/dl: units ignore case
  EXPECT_EQ(history[1].status, ObservationStatus::kAmended);
  EXPECT_EQ(history[1].version, 2u);
  EXPECT_EQ(history[1].provenance.source, Sample("ORU_R01_2.5.1_SampleTestCase3.hl7"));
}

TEST_F(Hl7Test, PatientIdentifierOptions) {
  RegisterSampleMeasures();
  const auto patient = [&](const char* file, ImportOptions o) -> std::string {
    absl::StatusOr<ReadResult> r = ReadPath(Sample(file), o);
    if (!r.ok()) return std::string(r.status().message());
    if (!r->errors.ok()) return std::string(r->errors.message());
    return r->batch.observations().empty() ? "(none)" : r->batch.observations()[0].patient;
  };
  ImportOptions o = Mapped();
  // cerner: 9339683996^^^Baseline West MC&33D1234567&L^MR^...
  o.hl7_patient_id_authority = "33D1234567";
  EXPECT_EQ(patient("cerner_lead.hl7", o), "9339683996");
  o.hl7_patient_id_authority = "baseline west mc";  // the namespace id, case ignored
  EXPECT_EQ(patient("cerner_lead.hl7", o), "9339683996");
  o.hl7_patient_id_type = "MR";
  EXPECT_EQ(patient("cerner_lead.hl7", o), "9339683996");
  o.hl7_patient_id_authority = "MPI";
  o.hl7_patient_id_type = "";
  EXPECT_EQ(patient("cerner_lead.hl7", o),
            absl::StrCat(Sample("cerner_lead.hl7"),
                         ":7: message 1, OBX 1: PID on line 3: field \"PID-3\": no identifier of "
                         "assigning authority \"MPI\" (it has \"9339683996\" (authority "
                         "\"Baseline West MC\", type \"MR\"))"));

  // v2.5.1: two repetitions, an MPI medical record number and a social
  // security number whose authority is an OID.
  o = Mapped();
  EXPECT_EQ(patient("hl7-v2.5.1-oru-r01-1.hl7", o), "36363636");  // the first
  o.hl7_patient_id_authority = "2.16.840.1.113883.4.1";
  EXPECT_EQ(patient("hl7-v2.5.1-oru-r01-1.hl7", o), "444333333");
  o.hl7_patient_id_authority = "MPI";
  EXPECT_EQ(patient("hl7-v2.5.1-oru-r01-1.hl7", o), "36363636");
  o.hl7_patient_id_authority = "";
  o.hl7_patient_id_type = "mr";
  EXPECT_EQ(patient("hl7-v2.5.1-oru-r01-1.hl7", o), "36363636");
  // Its second identifier puts ISO where the type belongs: no SS there.
  o.hl7_patient_id_type = "SS";
  EXPECT_THAT(patient("hl7-v2.5.1-oru-r01-1.hl7", o),
              HasSubstr(":18: message 1, OBX 13: PID on line 3: field \"PID-3\": no identifier "
                        "of identifier type \"SS\" (it has \"36363636\" (authority \"MPI\", type "
                        "\"MR\"), \"444333333\" (authority \"2.16.840.1.113883.4.1\", type "
                        "\"ISO\"))"));

  // v2.3: PID-2 (external) and PID-4 (alternate) ids.
  o = Mapped();
  EXPECT_EQ(patient("hl7-v2.3-oru-r01-2.hl7", o), "AND234DA_PID3");
  o.hl7_patient_id_field = 2;
  EXPECT_EQ(patient("hl7-v2.3-oru-r01-2.hl7", o), "ABC123DF");
  o.hl7_patient_id_field = 4;
  EXPECT_EQ(patient("hl7-v2.3-oru-r01-2.hl7", o), "PID_4_ALTID");
  o.hl7_patient_id_field = 5;
  EXPECT_EQ(patient("hl7-v2.3-oru-r01-2.hl7", o),
            "HL7 patient id field: bad value 5 (expected PID-2, PID-3 or PID-4)");
}

TEST_F(Hl7Test, BuiltInLabsWithConversionsAndCensoring) {
  const std::string text =
      Hl7({kMsh, kPid, kObr, Obx(1, "NM", "4548-4^Hemoglobin A1c^LN", "6.5", "%^percent^UCUM"),
           Obx(2, "NM", "59261-8^HbA1c IFCC^LN", "48", "mmol/mol", "F", "20240401"),
           Obx(3, "SN", "27290-3^IL-4^LN", "<^0.5", "pg/mL"),
           Obx(4, "NM", "1986-9^C-peptide^LN", "1.2", "ng/mL")});
  ASSERT_OK_AND_ASSIGN(ImportReport report, Import(text));
  EXPECT_EQ(report.rows, 4);
  EXPECT_EQ(report.summary.written, 4);
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> a1c, db_->Trajectory("P1", "hba1c"));
  ASSERT_EQ(a1c.size(), 2u);
  EXPECT_EQ(FormatCivilTime(a1c[0].time), "2024-03-05T08:30:00");  // OBR-7
  EXPECT_EQ(a1c[0].value, 6.5);
  EXPECT_EQ(FormatCivilTime(a1c[1].time), "2024-04-01");  // OBX-14, a date
  EXPECT_EQ(a1c[1].time.precision, TimePrecision::kDate);
  EXPECT_NEAR(a1c[1].value, 0.09148 * 48 + 2.152, 1e-9);
  EXPECT_EQ(a1c[1].original_value, "48");
  EXPECT_EQ(a1c[1].original_unit, "mmol/mol");
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> il4, db_->Trajectory("P1", "il4"));
  ASSERT_EQ(il4.size(), 1u);
  EXPECT_EQ(il4[0].comparator, Comparator::kLess);
  EXPECT_EQ(il4[0].value, 0.5);
  EXPECT_EQ(il4[0].original_value, "<0.5");
  ASSERT_OK_AND_ASSIGN(std::vector<Observation> cp, db_->Trajectory("P1", "cpeptide"));
  ASSERT_EQ(cp.size(), 1u);
  EXPECT_NEAR(cp[0].value, 1.2 * 0.3311, 1e-12);
  // Importing the same messages again changes nothing.
  ASSERT_OK_AND_ASSIGN(ImportReport again, Import(text));
  EXPECT_EQ(again.summary.unchanged, 4);
}

// The example of docs/IMPORT_FORMATS.md, as it is there.
TEST_F(Hl7Test, DocumentationExample) {
  const std::string doc = ReadFile(::cotrack::testing::SourcePath("docs/IMPORT_FORMATS.md"));
  const size_t start = doc.find("```\nMSH|^~\\&|LAB|CLINIC");
  ASSERT_NE(start, std::string::npos);
  const size_t end = doc.find("```", start + 4);
  std::string text = doc.substr(start + 4, end - start - 4);  // LF line ends
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(text, ImportOptions(), "lab.hl7"));
  ASSERT_OK(r.errors);
  EXPECT_EQ(r.counts.rows, 4);
  EXPECT_THAT(r.counts.skipped_by_reason,
              UnorderedElementsAre(Pair("status P (preliminary)", 1),
                                   Pair("value type ST, code 8251-1", 1)));
  ASSERT_EQ(r.batch.observations().size(), 2u);
  const ObservationInput& a1c = r.batch.observations()[0];
  EXPECT_EQ(a1c.patient, "12345");
  EXPECT_EQ(a1c.measure, "hba1c");
  EXPECT_EQ(a1c.value, 6.5);
  EXPECT_EQ(FormatCivilTime(a1c.time), "2024-03-05T08:30:00");
  const ObservationInput& il4 = r.batch.observations()[1];
  EXPECT_EQ(il4.measure, "il4");
  EXPECT_EQ(il4.comparator, Comparator::kLess);
  EXPECT_EQ(il4.original_value, "<0.5");
  EXPECT_EQ(il4.unit, "pg/mL");
  EXPECT_EQ(FormatCivilTime(il4.time), "2024-03-05T08:30:00");
}

TEST_F(Hl7Test, StructuredNumericComparatorsRangesAndRatios) {
  const std::vector<std::pair<std::string, std::string>> values = {
      {"<^0.5", "<0.5"}, {">=^1000", ">=1000"}, {"^182", "182"}, {"=^5", "5"},
      {">^3", ">3"},     {"<=^2", "<=2"},       {"^7^", "7"},
  };
  std::vector<std::string> segments = {kMsh, kPid, kObr};
  int n = 0;
  for (const auto& [sn, original] : values) {
    ++n;
    segments.push_back(
        Obx(n, "SN", "27290-3^IL-4^LN", sn, "pg/mL", "F", absl::StrCat("2024030510", 10 + n)));
  }
  // Not one value: skipped, counted per code.
  for (const char* sn : {"^1^-^5", "^1^:^128", "^1^/^2", "^2^+", "<>^5", "^", "^3^.^5"}) {
    ++n;
    segments.push_back(
        Obx(n, "SN", "27290-3^IL-4^LN", sn, "pg/mL", "F", absl::StrCat("2024030510", 10 + n)));
  }
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(Hl7(segments), ImportOptions(), "lab.hl7"));
  ASSERT_OK(r.errors);
  EXPECT_EQ(r.counts.rows, n);
  EXPECT_THAT(
      r.counts.skipped_by_reason,
      UnorderedElementsAre(Pair("SN range, code 27290-3", 1), Pair("SN ratio, code 27290-3", 2),
                           Pair("SN categorical (N+), code 27290-3", 1),
                           Pair("SN comparator <> (not equal), code 27290-3", 1),
                           Pair("SN with separator \".\", code 27290-3", 1), Pair("no value", 1)));
  ASSERT_EQ(r.batch.observations().size(), values.size());
  const Comparator expected[] = {
      Comparator::kLess,    Comparator::kGreaterEqual, Comparator::kNone, Comparator::kNone,
      Comparator::kGreater, Comparator::kLessEqual,    Comparator::kNone};
  const double numbers[] = {0.5, 1000, 182, 5, 3, 2, 7};
  for (size_t i = 0; i < values.size(); ++i) {
    SCOPED_TRACE(values[i].first);
    EXPECT_EQ(r.batch.observations()[i].comparator, expected[i]);
    EXPECT_EQ(r.batch.observations()[i].value, numbers[i]);
    EXPECT_EQ(r.batch.observations()[i].original_value, values[i].second);
  }
  // Not SN at all.
  for (const char* bad : {"<^", "!^5", "^5^^7", "^abc", "<^1,5"}) {
    SCOPED_TRACE(bad);
    ASSERT_OK_AND_ASSIGN(
        ReadResult b,
        ReadText(Hl7({kMsh, kPid, kObr, Obx(1, "SN", "27290-3^IL-4^LN", bad, "pg/mL")}),
                 ImportOptions(), "lab.hl7"));
    EXPECT_THAT(b.errors, StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("lab.hl7:4: message 1, OBX 1: field \"OBX-5\": bad "
                                             "value")));
    EXPECT_TRUE(b.batch.empty());
  }
}

TEST_F(Hl7Test, ResultStatuses) {
  std::vector<std::string> segments = {kMsh, kPid, kObr};
  const char* statuses[] = {"F", "C", "A", "U", "f", "P", "R", "S", "I",
                            "O", "N", "X", "D", "W", "",  "Q", "FX"};
  int n = 0;
  for (const char* s : statuses) {
    ++n;
    segments.push_back(
        Obx(n, "NM", "4548-4^HbA1c^LN", "6.5", "%", s, absl::StrCat("2024030510", 10 + n)));
  }
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(Hl7(segments), ImportOptions(), "lab.hl7"));
  ASSERT_OK(r.errors);
  EXPECT_EQ(r.counts.rows, n);
  EXPECT_EQ(r.batch.observations().size(), 5u);  // F, C, A, U, f
  EXPECT_THAT(
      r.counts.skipped_by_reason,
      UnorderedElementsAre(
          Pair("status P (preliminary)", 1), Pair("status R (not verified)", 1),
          Pair("status S (partial)", 1), Pair("status I (pending)", 1),
          Pair("status O (order detail, no result)", 1), Pair("status N (not asked)", 1),
          Pair("status X (no result: cannot be obtained)", 1), Pair("status D (deleted)", 1),
          Pair("status W (posted in error)", 1), Pair("status missing", 1),
          Pair("status Q (unknown)", 1), Pair("status FX (unknown)", 1)));
}

TEST_F(Hl7Test, EffectiveTimeFromObx14ElseObr7ElseObr14) {
  const std::string code = "4548-4^HbA1c^LN";
  const std::string text = Hl7({
      kMsh, kPid, "OBR|1|||x|||20240305083000",
      Obx(1, "NM", code, "6.1", "%", "F", "20240306091500.25+0100"),           // OBX-14
      Obx(2, "NM", code, "6.2", "%", "F", ""),                                 // OBR-7
      "OBR|2|||x||||||||||20240310", Obx(3, "NM", code, "6.3", "%", "F", ""),  // OBR-14, a date
      "OBR|3|||x|||20240312233000-0500|||||||20240310",
      Obx(4, "NM", code, "6.4", "%", "F", ""),  // OBR-7 first; offset dropped
  });
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(text, ImportOptions(), "lab.hl7"));
  ASSERT_OK(r.errors);
  ASSERT_EQ(r.batch.observations().size(), 4u);
  EXPECT_EQ(FormatCivilTime(r.batch.observations()[0].time), "2024-03-06T09:15:00");
  EXPECT_EQ(FormatCivilTime(r.batch.observations()[1].time), "2024-03-05T08:30:00");
  EXPECT_EQ(FormatCivilTime(r.batch.observations()[2].time), "2024-03-10");
  EXPECT_EQ(r.batch.observations()[2].time.precision, TimePrecision::kDate);
  EXPECT_EQ(FormatCivilTime(r.batch.observations()[3].time), "2024-03-12T23:30:00");

  // No date anywhere; a bad one; an OBR of the previous patient does not count.
  const std::string bad = Hl7({
      kMsh,
      kPid,
      "OBR|1|||x",
      Obx(1, "NM", code, "6.1", "%", "F", ""),
      Obx(2, "NM", code, "6.2", "%", "F", "2024-03-05"),
      "OBR|2|||x|||2020071010300700",
      Obx(3, "NM", code, "6.3", "%", "F", ""),
      "PID|2||P2",
      Obx(4, "NM", code, "6.4", "%", "F", ""),
  });
  ASSERT_OK_AND_ASSIGN(ReadResult b, ReadText(bad, ImportOptions(), "lab.hl7"));
  EXPECT_THAT(
      b.errors,
      StatusIs(absl::StatusCode::kInvalidArgument,
               absl::StrCat(
                   "lab.hl7:4: message 1, OBX 1: no date: OBX-14, OBR-7 and OBR-14 are empty (the "
                   "observation needs a date); the OBR on line 3 has only 4 fields: is it broken "
                   "across lines?\n"
                   "lab.hl7:5: message 1, OBX 2: field \"OBX-14\": bad value \"2024-03-05\" (",
                   kExpectedHl7DateTime,
                   "; an HL7 date has no dashes (20240305, not 2024-03-05))\n"
                   "lab.hl7:7: message 1, OBX 3: OBR on line 6: field \"OBR-7\": bad value "
                   "\"2020071010300700\" (",
                   kExpectedHl7DateTime,
                   "; 16 digits (a date has 8, a time adds 2, 4 or 6))\n"
                   "lab.hl7:9: message 1, OBX 4: no date: OBX-14 is empty and no OBR segment "
                   "comes before it (the observation needs a date)")));
  EXPECT_TRUE(b.batch.empty());
}

TEST_F(Hl7Test, LineEndsAndMllpFramingGiveTheSameRowsAndTrueLines) {
  const std::vector<std::string> m1 = {kMsh, kPid, kObr,
                                       Obx(1, "NM", "4548-4^HbA1c^LN", "6.5", "%")};
  const std::vector<std::string> m2 = {
      "MSH|^~\\&|LAB|CLINIC|||20240306||ORU^R01|MSG2|P|2.3", "PID|1||P2", kObr,
      Obx(1, "NM", "4548-4^HbA1c^LN", "7.1", "%"), Obx(2, "NM", "1986-9^C-peptide^LN", "x", "")};
  struct Case {
    const char* name;
    std::string text;
    int64_t bad_line;  // of message 2's OBX 2
  };
  const Case cases[] = {
      {"CR", Hl7(m1) + Hl7(m2), 9},
      {"LF", Hl7(m1, "\n") + Hl7(m2, "\n"), 9},
      {"CRLF", Hl7(m1, "\r\n") + Hl7(m2, "\r\n"), 9},
      {"CR segments, CRLF between messages", Hl7(m1) + "\n" + Hl7(m2), 9},
      {"a blank line between messages", Hl7(m1) + "\r" + Hl7(m2), 10},
      {"MLLP", "\x0b" + Hl7(m1) + "\x1c\r\x0b" + Hl7(m2) + "\x1c\r", 10},
      {"MLLP, no CR before the end byte",
       "\x0b" + absl::StrJoin(m1, "\r") + "\x1c\r\x0b" + absl::StrJoin(m2, "\r") + "\x1c\r", 9},
      {"BOM and blank lines first", "\xEF\xBB\xBF\r\n\r\n" + Hl7(m1, "\r\n") + Hl7(m2, "\r\n"), 11},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(c.text, ImportOptions(), "lab.hl7"));
    EXPECT_EQ(r.format, ImportFormat::kHl7);
    EXPECT_EQ(r.counts.rows, 3);
    EXPECT_THAT(r.errors,
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("lab.hl7:", c.bad_line,
                                      ": message 2, OBX 2: field \"OBX-5\": bad value \"x\" (",
                                      kExpectedNumber, "; this is not a number)")));
    ASSERT_EQ(r.batch.observations().size(), 2u);
    EXPECT_EQ(r.batch.observations()[0].patient, "P1");
    EXPECT_EQ(r.batch.observations()[0].value, 6.5);
    EXPECT_EQ(r.batch.observations()[1].patient, "P2");
    EXPECT_EQ(r.batch.observations()[1].value, 7.1);
    EXPECT_EQ(r.batch.observations()[1].provenance.line, c.bad_line - 1);
  }
}

TEST_F(Hl7Test, DelimitersAreTheMessagesOwn) {
  Register("wbc", "10^9/L", 0, 1000);
  const ImportOptions o = Mapped(
      "system,code,measure,unit\n"
      "http://loinc.org,6690-2,wbc,10^9/L\n");
  // Message 1: the usual delimiters, the unit escaped. Message 2: ! @ # $ %,
  // where ^ and \S\ are plain text and $S$ is the component separator.
  const std::string text =
      Hl7({kMsh, "PID|1||A\\T\\B^^^HOSP", "OBR|1|||x|||20240305",
           "OBX|1|NM|6690-2^WBC^LN||5.5|10\\S\\9/L^ten to the ninth per litre^UCUM|||||F"}) +
      Hl7({"MSH!@#$%!LAB!CLINIC!!!20240306!!ORU@R01!2!P!2.5.1", "PID!1!!P$F$2@@@HOSP#P9",
           "OBR!1!!!x!!!20240306", "OBX!1!NM!6690-2@WBC@LN!!6.5!10^9/L@x!!!!!F",
           "OBX!2!NM!6690-2@WBC@LN!!7.5!10$S$9/L!!!!!F!!!20240307"});
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(text, o, "lab.hl7"));
  ASSERT_OK(r.errors);
  ASSERT_EQ(r.batch.observations().size(), 3u);
  EXPECT_EQ(r.batch.observations()[0].patient, "A&B");
  EXPECT_EQ(r.batch.observations()[0].unit, "10^9/L");
  EXPECT_EQ(r.batch.observations()[1].patient, "P!2");  // $F$: its field separator
  EXPECT_EQ(r.batch.observations()[1].unit, "10^9/L");
  EXPECT_EQ(r.batch.observations()[1].value, 6.5);
  EXPECT_EQ(r.batch.observations()[2].unit, "10@9/L");
  EXPECT_EQ(FormatCivilTime(r.batch.observations()[2].time), "2024-03-07");
  // The engine takes 10^9/L and refuses 10@9/L, naming the line.
  ImportOptions skip = o;
  skip.on_error = ImportOptions::OnError::kSkip;
  skip.reject_file = dir_.File("rejects.csv");
  ASSERT_OK_AND_ASSIGN(ImportReport partial, Import(text, skip));
  EXPECT_EQ(partial.summary.written, 2);
  EXPECT_EQ(partial.rejected, 1);
  EXPECT_THAT(ReadFile(dir_.File("rejects.csv")), HasSubstr("\n9,"));
}

TEST_F(Hl7Test, CodesTriedInBothCodingsAndAnySystem) {
  Register("local", "mg/L", 0, 100);
  const ImportOptions o = Mapped(
      "system,code,measure,unit\n"
      "99USI,LOC1,local,mg/L\n"        // a local system, as written in OBX-3
      ",LOC2,local,mg/L\n"             // any system
      "http://loinc.org,X-9,local,\n"  // LOINC: LN in OBX-3
  );
  const std::string text = Hl7({
      kMsh, kPid, kObr, Obx(1, "NM", "LOC1^local one^99USI", "1", ""),  // unit from the mapping
      Obx(2, "NM", "LOC1^local one^L", "2", "mg/L"),                    // another system: unmapped
      Obx(3, "NM", "LOC2^two^ANY", "3", "mg/L", "F", "20240301"),
      Obx(4, "NM", "L7^seven^L^X-9^nine^LN", "4", "mg/L", "F", "20240302"),  // the alternate
      Obx(5, "NM", "^^^X-9^nine^LN", "5", "mg/L", "F", "20240303"),          // only the alternate
      Obx(6, "NM", "\\X4C\\OC1^escaped^99USI", "6", "mg/L", "F", "20240304"),
      Obx(7, "NM", "", "7", "mg/L", "F", "20240305"),  // no code at all
  });
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(text, o, "lab.hl7"));
  ASSERT_OK(r.errors);
  EXPECT_THAT(r.counts.skipped_by_reason,
              UnorderedElementsAre(Pair("unmapped code LOC1", 1), Pair("unmapped code (none)", 1)));
  ASSERT_EQ(r.batch.observations().size(), 5u);
  EXPECT_EQ(r.batch.observations()[0].value, 1);
  EXPECT_EQ(r.batch.observations()[0].unit, "mg/L");
  EXPECT_EQ(r.batch.observations()[1].value, 3);
  EXPECT_EQ(r.batch.observations()[2].value, 4);
  EXPECT_EQ(r.batch.observations()[3].value, 5);
  EXPECT_EQ(r.batch.observations()[4].value, 6);
}

TEST_F(Hl7Test, NonNumericResultsAndOtherMessagesAreCountedNotImported) {
  const std::string text =
      Hl7({kMsh, kPid, kObr, Obx(1, "ST", "4548-4^HbA1c^LN", "6.5", "%"),
           Obx(2, "TX", "4548-4^HbA1c^LN", "see report", ""),
           Obx(3, "CE", "X1^coded^L", "POS^positive", ""),
           Obx(4, "FT", "X2^text^L", "a\\.br\\b", ""), Obx(5, "CWE", "X1^coded^L", "NEG", ""),
           Obx(6, "", "X3^nothing^L", "", ""), Obx(7, "", "X4^untyped^L", "5", ""),
           Obx(8, "NM", "X5^number^L", "5", ""), Obx(9, "NM", "4548-4^HbA1c^LN", "", "%")}) +
      Hl7({"MSH|^~\\&|ADT|CLINIC|||20240305||ADT^A08|3|P|2.5.1", kPid,
           Obx(1, "NM", "4548-4^HbA1c^LN", "6.5", "%")});
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(text, ImportOptions(), "lab.hl7"));
  ASSERT_OK(r.errors);
  EXPECT_EQ(r.counts.rows, 10);
  EXPECT_EQ(r.counts.skipped, 10);
  EXPECT_THAT(
      r.counts.skipped_by_reason,
      UnorderedElementsAre(Pair("value type ST, code 4548-4", 1),
                           Pair("value type TX, code 4548-4", 1), Pair("value type CE, code X1", 1),
                           Pair("value type FT, code X2", 1), Pair("value type CWE, code X1", 1),
                           Pair("no value", 2), Pair("value type missing, code X4", 1),
                           Pair("unmapped code X5", 1), Pair("message type ADT^A08", 1)));
  EXPECT_TRUE(r.batch.empty());
}

TEST_F(Hl7Test, ErrorsNameFileLineMessageAndObx) {
  const std::string text =
      Hl7({kMsh, kPid, kObr, Obx(1, "NM", "4548-4^HbA1c^LN", "6.5", "%")}) +
      Hl7({"MSH|^~\\&|LAB|CLINIC|||20240306||ORU^R01|2|P|2.5.1", kPid, kObr,
           Obx(1, "NM", "4548-4^HbA1c^LN", "6.6", "%", "F", "20240306"),
           Obx(2, "NM", "4548-4^HbA1c^LN", "6.7", "%", "F", "20240307"),
           Obx(3, "NM", "4548-4^HbA1c^LN", "6,5", "%", "F", "20240308"),
           Obx(4, "NM", "27290-3^IL-4^LN", "<0.5", "pg/mL", "F", "20240308"),
           Obx(5, "NM", "4548-4^HbA1c^LN", "6.5~6.6", "%", "F", "20240309"),
           Obx(6, "NM", "4548-4^HbA1c^LN", "6.8", "%", "F", "20240306"),
           Obx(7, "NM", "4548-4^HbA1c^LN", "6.9", "%", "C", "20240307")}) +
      Hl7({"MSH|^~\\&|LAB|CLINIC|||20240306||ORU^R01|3|P|2.5.1", kObr,
           Obx(1, "NM", "4548-4^HbA1c^LN", "6.5", "%")}) +
      Hl7({"MSH|^~\\&|LAB|CLINIC|||20240306||ORU^R01|4|P|2.5.1", "PID|1||^^^HOSP~", kObr,
           Obx(1, "NM", "4548-4^HbA1c^LN", "6.5", "%")}) +
      Hl7({"MSH|^~^&|LAB", kPid, Obx(1, "NM", "4548-4^HbA1c^LN", "6.5", "%")}) +
      Hl7({"MSH|^~\\&|LAB|CLINIC|||20240306||", kPid, Obx(1, "NM", "4548-4^HbA1c^LN", "6.5", "%")});
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(text, ImportOptions(), "lab.hl7"));
  EXPECT_THAT(
      r.errors,
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          absl::StrCat(
              "lab.hl7:10: message 2, OBX 3: field \"OBX-5\": bad value \"6,5\" (", kExpectedNumber,
              "; this looks like a decimal comma; write 6.5)\n"
              "lab.hl7:11: message 2, OBX 4: field \"OBX-5\": bad value \"<0.5\" (",
              kExpectedNumber,
              "; this is not a number; type NM is a plain number: a censored value is sent as "
              "type SN, e.g. <^0.5)\n"
              "lab.hl7:12: message 2, OBX 5: field \"OBX-5\": bad value \"6.5~6.6\" (2 values; "
              "expected one NM value)\n"
              "lab.hl7:13: message 2, OBX 6: same patient, measure and date as line 8 (each "
              "observation may appear only once in a file)\n"
              "lab.hl7:14: message 2, OBX 7: same patient, measure and date as line 9 (each "
              "observation may appear only once in a file); a correction (OBX-11 C) of a result "
              "earlier in the same file is imported from a file of its own, after the one with "
              "the original\n"
              "lab.hl7:17: message 3, OBX 1: no PID segment before it in the message (the "
              "observation needs a patient)\n"
              "lab.hl7:21: message 4, OBX 1: PID on line 19: field \"PID-3\": empty (expected the "
              "patient's identifier, a patient id of 1 to 128 bytes of UTF-8, without control "
              "characters and without leading or trailing whitespace)\n"
              "lab.hl7:24: message 5, OBX 1: MSH on line 22: MSH-2, the encoding characters, uses "
              "\"^\" twice (each delimiter must differ from the others and from MSH-1)\n"
              "lab.hl7:27: message 6, OBX 1: MSH on line 25: field \"MSH-9\": empty (expected the "
              "message type, such as ORU^R01)")));
  EXPECT_EQ(r.counts.rows, 12);
  ASSERT_EQ(r.batch.observations().size(), 3u);  // the good rows, for --on-error skip
  EXPECT_THAT(r.rejects, ElementsAre(Pair(10, HasSubstr("6,5")), Pair(11, HasSubstr("<0.5")),
                                     Pair(12, HasSubstr("6.5~6.6")), Pair(13, HasSubstr("line 8")),
                                     Pair(14, HasSubstr("OBX-11 C")), Pair(17, HasSubstr("PID")),
                                     Pair(21, HasSubstr("PID-3")), Pair(24, HasSubstr("MSH-2")),
                                     Pair(27, HasSubstr("MSH-9"))));
  // Atomic: the file is rejected whole.
  EXPECT_THAT(Import(text), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lab.hl7:10:")));
  ASSERT_OK_AND_ASSIGN(std::vector<Patient> patients, db_->ListPatients());
  EXPECT_TRUE(patients.empty());
}

TEST_F(Hl7Test, FormatErrorsBeforeTheFirstMessage) {
  ImportOptions o;
  o.format = ImportFormat::kHl7;
  EXPECT_THAT(ReadText("patient,date\nP1,2024-01-01\n", o, "x.csv"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "x.csv:1: expected an HL7 v2 message starting with MSH (such as "
                       "MSH|^~\\&|...), found \"patient,date\""));
  EXPECT_THAT(ReadText("\n\n", o, "e.hl7"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "e.hl7: expected HL7 v2 messages starting with MSH (the file is empty)"));
  // A batch header may come first; an OBX outside any message is an error.
  ASSERT_OK_AND_ASSIGN(
      ReadResult batch,
      ReadText(
          Hl7({"FHS|^~\\&|LAB", "BHS|^~\\&|LAB", Obx(1, "NM", "4548-4^HbA1c^LN", "6", "%"), kMsh,
               kPid, kObr, Obx(1, "NM", "4548-4^HbA1c^LN", "6.5", "%"), "BTS|1", "FTS|1"}),
          ImportOptions(), "b.hl7"));
  EXPECT_EQ(batch.format, ImportFormat::kHl7);
  EXPECT_THAT(
      batch.errors,
      StatusIs(absl::StatusCode::kInvalidArgument,
               "b.hl7:3: OBX before any MSH segment (an observation must be in a message)"));
  EXPECT_EQ(batch.batch.observations().size(), 1u);
}

TEST_F(Hl7Test, LongSegmentsStayBounded) {
  const std::string payload(kMaxHl7SegmentBytes + 10, 'A');
  const std::string text =
      Hl7({kMsh, kPid, kObr, "OBX|1|ED|11502-2^Report^LN||^application^pdf^Base64^" + payload,
           Obx(2, "NM", "4548-4^HbA1c^LN", "6" + payload, "%"), "NTE|1||" + payload,
           Obx(3, "NM", "4548-4^HbA1c^LN", "6.5", "%")});
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(text, ImportOptions(), "big.hl7"));
  EXPECT_THAT(r.errors, StatusIs(absl::StatusCode::kInvalidArgument,
                                 "big.hl7:5: message 1, OBX 2: the segment is longer than 16 MiB "
                                 "(a numeric result never is)"));
  EXPECT_THAT(r.counts.skipped_by_reason, ElementsAre(Pair("value type ED, code 11502-2", 1)));
  ASSERT_EQ(r.batch.observations().size(), 1u);
  EXPECT_EQ(r.batch.observations()[0].provenance.line, 7);
}

TEST_F(Hl7Test, PerCodeReasonsAreBounded) {
  std::vector<std::string> segments = {kMsh, kPid, kObr};
  for (int i = 0; i < 1005; ++i) {
    segments.push_back(Obx(i + 1, "NM", absl::StrCat("C", i, "^x^L"), "1", ""));
  }
  segments.push_back(Obx(1006, "NM", std::string(100, 'L') + "^x^L", "1", ""));
  ASSERT_OK_AND_ASSIGN(ReadResult r, ReadText(Hl7(segments), ImportOptions(), "many.hl7"));
  ASSERT_OK(r.errors);
  EXPECT_EQ(r.counts.skipped, 1006);
  EXPECT_EQ(r.counts.skipped_by_reason.size(), 1001u);
  EXPECT_EQ(r.counts.skipped_by_reason.at("unmapped code (one of more than 1000 codes)"), 6);
  EXPECT_EQ(r.counts.skipped_by_reason.count("unmapped code C999"), 1u);
  EXPECT_EQ(r.counts.skipped_by_reason.count("unmapped code C1000"), 0u);
}

}  // namespace
}  // namespace cotrack::formats_test

// The registry of import formats: every format registered once, with names
// of its own, and auto-detection trying the specific dialects before the
// general ones.
#include "import/format_registry.h"

#include <set>
#include <string>

#include "support/test_support.h"

namespace cotrack {
namespace {

using ::cotrack::testing::StatusIs;

TEST(FormatRegistryTest, EveryFormatOnceWithNamesOfItsOwn) {
  std::set<int> formats;
  std::set<std::string> names = {"auto"};
  for (const FormatEntry* f : ImportFormats()) {
    SCOPED_TRACE(f->name);
    EXPECT_TRUE(formats.insert(static_cast<int>(f->format)).second);
    EXPECT_EQ(FindImportFormat(f->format), f);
    EXPECT_STREQ(ImportFormatName(f->format), f->name);
    EXPECT_TRUE(names.insert(f->name).second);
    for (const char* alias : f->aliases) {
      if (alias == nullptr) continue;
      EXPECT_TRUE(names.insert(alias).second) << alias;
      EXPECT_EQ(*ParseImportFormat(alias), f->format);
    }
    // A CSV dialect (a parser), or a format that reads the input itself.
    EXPECT_NE(f->make_parser == nullptr, f->open == nullptr);
    if (f->detect_header != nullptr) {
      EXPECT_NE(f->make_parser, nullptr);
    }
  }
  // Every enumerator after kAuto is registered: a gap would be a format
  // added to ImportFormat and not to the registry.
  EXPECT_EQ(*formats.begin(), static_cast<int>(ImportFormat::kAuto) + 1);
  EXPECT_EQ(*formats.rbegin(), static_cast<int>(formats.size()));
  EXPECT_EQ(FindImportFormat(ImportFormat::kAuto), nullptr);
}

TEST(FormatRegistryTest, UnknownNameListsEveryFormatInOrder) {
  EXPECT_THAT(ParseImportFormat("xml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "unknown import format \"xml\" (expected one of auto, observations, "
                       "patients, wide, redcap, synthea-observations, synthea-patients, "
                       "fhir-ndjson, fhir-json, hl7, omop-measurement, omop-person, relapses)"));
  EXPECT_EQ(*ParseImportFormat("omop"), ImportFormat::kOmopMeasurement);
  EXPECT_EQ(*ParseImportFormat(" Wide-CSV "), ImportFormat::kWideCsv);
  EXPECT_EQ(*ParseImportFormat("auto-csv"), ImportFormat::kAuto);
}

TEST(FormatRegistryTest, SpecificDialectsAreTriedBeforeGeneralOnes) {
  // Each header below is claimed by two formats; the more specific wins.
  // Synthea before our observations CSV (it has VALUE, and may have MEASURE).
  EXPECT_EQ(DetectCsvFormat({"DATE", "PATIENT", "CODE", "VALUE", "UNITS", "MEASURE"}),
            ImportFormat::kSyntheaObservations);
  // REDCap before our observations CSV.
  EXPECT_EQ(DetectCsvFormat({"record_id", "measure", "value"}), ImportFormat::kRedcapCsv);
  // A wide visit CSV before our patients CSV (which takes any first column
  // patient).
  EXPECT_EQ(DetectCsvFormat({"patient", "date", "edss"}), ImportFormat::kWideCsv);
  EXPECT_EQ(DetectCsvFormat({"patient", "arm", "sex"}), ImportFormat::kPatientsCsv);
  EXPECT_EQ(DetectCsvFormat({"Id", "BIRTHDATE", "GENDER"}), ImportFormat::kSyntheaPatients);
}

}  // namespace
}  // namespace cotrack

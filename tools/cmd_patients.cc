// `cotrack patients`
#include <iostream>
#include <set>

#include "absl/strings/str_join.h"
#include "command.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "patients";

Table PatientTable(const std::vector<Patient>& patients) {
  Table table;
  table.columns = {"patient", "arm", "index_date", "treatment_dates", "version", "recorded_at"};
  const size_t fixed = table.columns.size();
  // Free attributes become columns of their own (the union over patients),
  // so that csv and json stay flat; a name clashing with a fixed column is
  // prefixed.
  std::set<std::string> attribute_names;
  for (const Patient& p : patients) {
    for (const auto& [key, value] : p.attributes) attribute_names.insert(key);
  }
  std::vector<std::string> attributes(attribute_names.begin(), attribute_names.end());
  for (const std::string& name : attributes) {
    bool clash = false;
    for (size_t i = 0; i < fixed; ++i) clash = clash || table.columns[i] == name;
    table.columns.push_back(clash ? "attr_" + name : name);
  }
  for (const Patient& p : patients) {
    std::vector<std::string> treatments;
    for (const CivilTime& t : p.treatment_dates) treatments.push_back(FormatCivilTime(t));
    std::vector<Cell> row = {
        Cell::String(p.id),
        Cell::StringOrNull(p.arm),
        p.index_date ? Cell::String(FormatCivilTime(*p.index_date)) : Cell(),
        Cell::StringOrNull(absl::StrJoin(treatments, ";")),
        Cell::Integer(p.version),
        p.recorded_at_us == 0 ? Cell() : Cell::String(FormatTimestampUs(p.recorded_at_us)),
    };
    for (const std::string& name : attributes) {
      auto it = p.attributes.find(name);
      row.push_back(it == p.attributes.end() ? Cell() : Cell::String(it->second));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

int Run(const GlobalContext& ctx, const OutputFormat& format) {
  return RunOnDatabase(
      ctx, OpenMode::kRead, [](Database& db) { return db.ListPatients(); },
      [&](const std::vector<Patient>& patients) {
        WriteTable(PatientTable(patients), format, std::cout);
        return 0;
      });
}

const Command kPatientsCommand = MakeCommand({kName,
                                              "List the registered patients",
                                              R"(Usage: cotrack patients [--format FMT]

Prints every registered patient, ordered by id: arm, index date, further
treatment dates (;-separated), the registration's version and when it was
recorded, then one column per free attribute (sex, diagnosis, ...).

Options:
  --format FMT    table (default), csv or json (one object per line)
)",
                                              Arity::None("patients takes none"),
                                              {{"format"}}},
                                             ParseFormatFlag, Run);
COTRACK_REGISTER_COMMAND(kPatientsCommand);

}  // namespace
}  // namespace cotrack::tools

// Embedding cotrack from C++: record two visits, read them back.
#include <cstdio>
#include <string>
#include <vector>

#include "cotrack/database.h"

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "clinic.cotrack";
  auto db = cotrack::Database::Open(path);  // creates it when missing
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().ToString().c_str());
    return 1;
  }

  cotrack::Patient patient;
  patient.id = "P01";
  patient.arm = "HSCT";
  patient.index_date = cotrack::CivilTime::FromDay(cotrack::DaysFromCivil(2024, 1, 10));
  if (auto s = (*db)->PutPatient(patient); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
    return 1;
  }

  // One visit = several measures at one date, written atomically.
  auto measure = [](const char* date, const char* code, double value, const char* unit) {
    cotrack::ObservationInput obs;
    obs.patient = "P01";
    obs.measure = code;
    obs.time = cotrack::ParseCivilTime(date).value();
    obs.value = value;
    obs.unit = unit;  // "" = the measure's canonical unit
    return obs;
  };
  std::vector<std::vector<cotrack::ObservationInput>> visits = {
      {measure("2024-01-05", "edss", 4.0, "")},
      {measure("2024-07-09", "edss", 3.5, ""), measure("2024-07-09", "hba1c", 48, "mmol/mol")},
  };
  for (const auto& visit : visits) {
    if (auto s = (*db)->RecordVisit(visit); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
      return 1;
    }
  }

  auto edss = (*db)->Trajectory("P01", "edss");
  if (!edss.ok()) {
    std::fprintf(stderr, "%s\n", edss.status().ToString().c_str());
    return 1;
  }
  for (const cotrack::Observation& obs : *edss) {
    std::printf("P01 edss %s %g\n", cotrack::FormatCivilTime(obs.time).c_str(), obs.value);
  }

  auto hba1c = (*db)->Latest("P01", "hba1c");
  if (hba1c.ok() && !hba1c->empty()) {
    const cotrack::Observation& obs = hba1c->front();
    std::printf("P01 hba1c latest %s %.2f %s (entered %s %s)\n",
                cotrack::FormatCivilTime(obs.time).c_str(), obs.value, obs.unit.c_str(),
                obs.original_value.c_str(), obs.original_unit.c_str());
  }
  return 0;
}

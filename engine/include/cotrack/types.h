// Plain value types of the public API. None of them exposes RocksDB or
// FlatBuffers; they are what callers build and what queries return.
#ifndef COTRACK_TYPES_H_
#define COTRACK_TYPES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cotrack/civil_time.h"

namespace cotrack {

// Censoring of a lab value: "<0.5" is {kLess, 0.5}. A censored value is a
// detection limit, never an exact number.
enum class Comparator { kNone, kLess, kLessEqual, kGreaterEqual, kGreater };

enum class ObservationStatus { kFinal, kAmended, kEnteredInError };

enum class Direction { kNone, kHigherIsWorse, kHigherIsBetter };

// "<", "<=", ">=", ">" or "" for kNone.
const char* ComparatorSymbol(Comparator c);
// "final", "amended", "entered-in-error".
const char* StatusName(ObservationStatus s);
// "none", "higher-is-worse", "higher-is-better".
const char* DirectionName(Direction d);

// Who made a change, from where, and why: the attribution every write takes
// per change (ObservationInput::provenance, Patient::provenance, the
// Provenance of Database::Retract and RegisterMeasure, ImportOptions::user
// and ::reason), so that one handle shared by many people (a web app's)
// records each change as the person who made it. Stored with each version:
// History and PatientHistory return every version's own; AuditLog returns
// each write's (that of its first change).
//
// Checked by every write, wherever the database is served; a bad value is an
// InvalidArgument naming the field ("user", "reason"):
//   user    empty = not given: the handle's Options::user, else the OS user.
//           Else UTF-8, at most 128 bytes, no control characters, not only
//           spaces.
//   reason  optional, but required for retractions. UTF-8, at most 4096
//           bytes, no control characters other than tabs and line breaks.
struct Provenance {
  std::string source;  // file path, or "api" (the default when empty)
  int64_t line = 0;    // 1-based line in `source`; 0 when not from a file
  std::string user;    // who; empty means the handle's user (see above)
  std::string reason;  // why; required for retractions
};

// One observation as a caller supplies it, before validation.
struct ObservationInput {
  std::string patient;
  std::string measure;  // catalog code, e.g. "edss"
  // Identity is (patient, measure, time.seconds): a date is its midnight, so
  // a date and a 00:00 time of the same day are one observation (precision is
  // part of the content).
  CivilTime time;
  // The value in `unit`. For censored values, the detection limit.
  double value = 0;
  // True when no total was given and the total is to be computed from items.
  bool value_from_items = false;
  std::string unit;  // empty = the measure's canonical unit
  Comparator comparator = Comparator::kNone;
  // Item responses (1-based item k at index k-1); NaN = not answered. Empty =
  // no items given.
  std::vector<double> items;
  std::string visit;  // visit label, e.g. "M6"; optional
  // The value as the user typed it, e.g. "<0.5" or "48"; kept verbatim. When
  // empty the engine formats `value`.
  std::string original_value;
  Provenance provenance;
};

// One stored version of an observation, as queries return it.
struct Observation {
  std::string patient;
  std::string measure;
  CivilTime time;
  double value = 0;  // canonical unit
  std::string unit;  // the measure's canonical unit
  Comparator comparator = Comparator::kNone;
  std::string original_value;
  std::string original_unit;
  std::vector<double> items;
  std::string visit;
  ObservationStatus status = ObservationStatus::kFinal;
  uint32_t version = 1;
  int64_t recorded_at_us = 0;  // wall clock, microseconds since the Unix epoch
  Provenance provenance;
};

// A patient's registration. Updates create a new version; history is kept.
struct Patient {
  std::string id;  // the clinic's id: UTF-8, 1-128 bytes, no control chars
  std::string arm;
  std::optional<CivilTime> index_date;     // first treatment, e.g. transplant
  std::vector<CivilTime> treatment_dates;  // further treatments
  std::map<std::string, std::string> attributes;
  // Filled in on reads.
  uint32_t version = 0;
  int64_t recorded_at_us = 0;
  Provenance provenance;
};

// The lean form of a patient that cohort scans (Reader::ScanSeries) give:
// only what analytics group and anchor on, no version or provenance.
struct SeriesPatient {
  std::string id;
  std::string arm;
  std::optional<CivilTime> index_date;
  // The value of the attribute the scan asked for (SeriesScanOptions::
  // attribute); unset when the patient has no such attribute or none was
  // asked for.
  std::optional<std::string> attribute;
};

// The lean form of one current value in a cohort scan: no strings.
struct SeriesValue {
  CivilTime time;
  double value = 0;  // canonical unit; for a censored value, the limit
  Comparator comparator = Comparator::kNone;
};

// canonical = value * factor + offset.
struct UnitConversion {
  std::string unit;
  double factor = 1.0;
  double offset = 0.0;
};

struct ItemDefinition {
  std::string name;
  double min = 0;
  double max = 0;
};

struct Subscale {
  std::string name;
  std::vector<int> items;  // 1-based item numbers
};

// A catalog entry. Built-ins come with the engine; users register their own,
// which persist in the database.
struct MeasureDefinition {
  std::string code;  // [a-z][a-z0-9_]{0,31}
  std::string name;
  std::string unit;  // canonical unit
  double min = 0;
  double max = 0;
  double step = 0;  // 0 = any value in [min, max]
  bool integer = false;
  std::vector<double> allowed_values;  // when non-empty, the only valid values
  Direction direction = Direction::kNone;
  double change_threshold = 0;        // smallest meaningful change, canonical unit
  std::vector<UnitConversion> units;  // accepted input units besides `unit`
  int item_count = 0;                 // scored items, each in [item_min, item_max]
  double item_min = 0;
  double item_max = 0;
  bool items_sum_to_total = false;
  std::vector<ItemDefinition> named_items;  // e.g. EDSS functional systems
  std::vector<Subscale> subscales;
  bool censorable = false;  // accepts <, <=, >=, > values
  std::vector<std::string> loinc;
  bool builtin = false;
  std::string description;  // where the rules and thresholds come from
};

// Inclusive civil-time range; unset ends are open.
struct TimeRange {
  std::optional<CivilTime> from;
  std::optional<CivilTime> to;  // a date-only `to` includes that whole day
};

// What a write did, per observation identity.
struct WriteSummary {
  int64_t written = 0;    // new identities
  int64_t corrected = 0;  // new versions of existing identities
  int64_t unchanged = 0;  // same content again: no-op
  int64_t retracted = 0;
  int64_t patients = 0;  // patient registrations created or changed
};

// One entry of the append-only audit log.
struct AuditRecord {
  uint64_t sequence = 0;
  int64_t at_us = 0;
  std::string action;
  std::string patient;                // set when the change concerns one patient
  std::vector<std::string> patients;  // every patient the change concerned, sorted
  std::string detail;
  Provenance provenance;
  WriteSummary summary;
};

}  // namespace cotrack

#endif  // COTRACK_TYPES_H_

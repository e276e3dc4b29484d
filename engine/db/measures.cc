// The measures of an open database: looking them up in its catalog (built-ins
// and the user measures loaded at open) and registering a user measure.
// Observations and patients are written by the bulk write (bulk_write.cc).
#include <algorithm>
#include <mutex>
#include <shared_mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "catalog/validation.h"
#include "codec/key_codec.h"
#include "codec/value_codec.h"
#include "cotrack/measure_options.h"
#include "cotrack/status_macros.h"
#include "db/commit_batch.h"
#include "db/database_impl.h"

namespace cotrack {

absl::StatusOr<const CatalogEntry*> DatabaseImpl::FindMeasure(absl::string_view code) const {
  std::shared_lock lock(mu_);
  if (const CatalogEntry* e = catalog_.Find(code)) return e;
  std::vector<std::string> codes;
  for (const CatalogEntry* e : catalog_.All()) codes.push_back(e->def.code);
  return absl::NotFoundError(absl::StrCat("unknown measure \"", code,
                                          "\" (known: ", absl::StrJoin(codes, ", "),
                                          "; a new one is registered with `cotrack measure add`)"));
}

const CatalogEntry* DatabaseImpl::MeasureById(uint32_t id) const {
  std::shared_lock lock(mu_);
  return catalog_.FindById(id);
}

std::vector<const CatalogEntry*> DatabaseImpl::MeasuresByCode() const {
  std::vector<const CatalogEntry*> measures;
  {
    std::shared_lock lock(mu_);
    measures = catalog_.All();
  }
  std::sort(measures.begin(), measures.end(),
            [](const CatalogEntry* a, const CatalogEntry* b) { return a->def.code < b->def.code; });
  return measures;
}

absl::StatusOr<MeasureDefinition> DatabaseImpl::GetMeasure(absl::string_view code) {
  COTRACK_ASSIGN_OR_RETURN(const CatalogEntry* e, FindMeasure(code));
  return e->def;
}

absl::StatusOr<std::vector<MeasureDefinition>> DatabaseImpl::ListMeasures() {
  std::shared_lock lock(mu_);
  std::vector<MeasureDefinition> out;
  for (const CatalogEntry* e : catalog_.All()) out.push_back(e->def);
  return out;
}

absl::Status DatabaseImpl::RegisterMeasure(const MeasureDefinition& measure,
                                           const Provenance& provenance,
                                           const WriteOptions& options,
                                           const WriteContext& context) {
  COTRACK_RETURN_IF_ERROR(CheckWritable());
  COTRACK_RETURN_IF_ERROR(ValidateMeasureDefinition(measure));
  COTRACK_RETURN_IF_ERROR(ValidateAttribution(provenance));
  std::lock_guard<std::mutex> write_lock(write_mu_);
  MeasureDefinition def = measure;
  def.builtin = false;
  bool replaces_builtin = false;
  {
    std::shared_lock lock(mu_);
    if (const CatalogEntry* existing = catalog_.Find(def.code)) {
      if (!existing->def.builtin && codec::EncodeMeasure(existing->id, existing->def) ==
                                        codec::EncodeMeasure(existing->id, def)) {
        return absl::OkStatus();
      }
      // A built-in that earlier engines let a database define itself (sdmt,
      // relapse, ...) may still be defined by a database that holds no value
      // of the built-in: scripts written for those engines keep working, and
      // the database's own definition wins there (catalog.h, AddStored).
      bool has_values = true;
      if (existing->def.builtin && existing->id >= kFirstReplaceableBuiltinId) {
        has_values = false;
        const std::string begin = keys::SeriesKey(existing->id, 0);
        const std::string end = keys::SeriesKey(existing->id + 1, 0);
        COTRACK_RETURN_IF_ERROR(store_->Scan(nullptr, Family::kSeries, begin, end,
                                             [&](absl::string_view, absl::string_view) {
                                               has_values = true;
                                               return false;
                                             }));
        replaces_builtin = !has_values;
      }
      if (!replaces_builtin) {
        return absl::AlreadyExistsError(absl::StrCat(
            "measure \"", def.code, "\" already exists",
            existing->def.builtin ? (existing->id >= kFirstReplaceableBuiltinId
                                         ? " as a built-in and this database holds values of it"
                                         : " as a built-in")
                                  : " with a different definition",
            existing->def.builtin ? "; choose another code"
                                  : absl::StrCat("; choose another code, or change it with "
                                                 "`cotrack measure edit ",
                                                 def.code, "`")));
      }
    }
  }
  if (options.dry_run) return absl::OkStatus();
  const uint32_t id = next_measure_id_;
  std::unique_ptr<CommitBatch> out = CommitBatch::Logged(*store_);
  out->AppendMeasure(id, def);

  COTRACK_RETURN_IF_ERROR(WriteAdministrativeChange(
      *out, "measure",
      absl::StrCat("registered measure ", def.code, " (", def.name, ", ", def.unit, ")",
                   replaces_builtin ? " in place of the built-in" : ""),
      provenance, context, options.sync, id + 1));
  next_measure_id_ = id + 1;
  std::unique_lock lock(mu_);
  return catalog_.AddStored(id, std::move(def));
}

namespace {

// What an edit changes, for the audit log: "max 10 -> 12; units +mmol/mol".
std::string DescribeEdit(const MeasureDefinition& a, const MeasureDefinition& b) {
  std::vector<std::string> changes;
  auto text = [&](const char* field, const std::string& x, const std::string& y) {
    if (x != y) changes.push_back(absl::StrCat(field, " \"", x, "\" -> \"", y, "\""));
  };
  auto number = [&](const char* field, double x, double y) {
    if (x != y) {
      changes.push_back(absl::StrCat(field, " ", ShortestNumber(x), " -> ", ShortestNumber(y)));
    }
  };
  text("name", a.name, b.name);
  text("unit", a.unit, b.unit);
  number("min", a.min, b.min);
  number("max", a.max, b.max);
  number("step", a.step, b.step);
  if (a.integer != b.integer) changes.push_back(b.integer ? "integer" : "not integer");
  text("direction", DirectionName(a.direction), DirectionName(b.direction));
  number("threshold", a.change_threshold, b.change_threshold);
  auto units = [](const MeasureDefinition& m) {
    std::vector<std::string> out;
    for (const UnitConversion& c : m.units) out.push_back(FormatUnitConversion(c));
    return absl::StrJoin(out, ",");
  };
  text("units", units(a), units(b));
  text("loinc", absl::StrJoin(a.loinc, ","), absl::StrJoin(b.loinc, ","));
  if (a.description != b.description) changes.push_back("description");
  if (changes.empty()) changes.push_back("items or subscales");
  return absl::StrJoin(changes, "; ");
}

constexpr size_t kMaxListedFailures = 20;

}  // namespace

absl::Status DatabaseImpl::EditMeasure(const MeasureDefinition& measure,
                                       const Provenance& provenance, const WriteOptions& options,
                                       const WriteContext& context) {
  COTRACK_RETURN_IF_ERROR(CheckWritable());
  // Writes wait: no value can arrive between the check and the new version.
  std::lock_guard<std::mutex> write_lock(write_mu_);
  COTRACK_ASSIGN_OR_RETURN(const CatalogEntry* existing, FindMeasure(measure.code));
  if (existing->def.builtin) {
    return absl::FailedPreconditionError(
        absl::StrCat("measure \"", measure.code,
                     "\" is a built-in: its definition comes with cotrack and cannot be edited "
                     "(register a measure of your own with `cotrack measure add`)"));
  }
  COTRACK_RETURN_IF_ERROR(ValidateMeasureDefinition(measure));
  COTRACK_RETURN_IF_ERROR(ValidateAttribution(provenance));
  const uint32_t id = existing->id;
  MeasureDefinition def = measure;
  def.builtin = false;
  if (codec::EncodeMeasure(id, existing->def) == codec::EncodeMeasure(id, def)) {
    return absl::OkStatus();
  }

  // Every current value must be valid under the new definition.
  int64_t failures = 0, values = 0;
  std::vector<std::string> listed;
  COTRACK_RETURN_IF_ERROR(ForEachSeries(
      nullptr, measure.code,
      [&](const Patient& patient, const std::vector<Observation>& trajectory) {
        for (const Observation& o : trajectory) {
          ++values;
          ObservationInput in;
          in.patient = patient.id;
          in.measure = def.code;
          in.time = o.time;
          in.value = o.value;
          in.comparator = o.comparator;
          in.items = o.items;
          in.unit = existing->def.unit;
          absl::Status s;
          if (!absl::EqualsIgnoreCase(def.unit, existing->def.unit)) {
            s = absl::InvalidArgumentError(absl::StrCat(
                "stored in ", existing->def.unit, ", which the new unit ", def.unit,
                " would reinterpret (the canonical unit cannot change while values are "
                "stored; accept ",
                def.unit, " as an input unit with --convert instead)"));
          } else {
            s = ValidateObservation(def, in).status();
          }
          if (s.ok()) continue;
          if (++failures <= static_cast<int64_t>(kMaxListedFailures)) {
            listed.push_back(
                absl::StrCat("patient \"", patient.id, "\", ", FormatCivilTime(o.time), ", value ",
                             o.original_value.empty() ? ShortestNumber(o.value) : o.original_value,
                             ": ", s.message()));
          }
        }
        return absl::OkStatus();
      }));
  if (failures > 0) {
    std::string message = absl::StrCat(
        "measure ", def.code, " not changed: ", failures, " of its ", values, " stored value",
        values == 1 ? "" : "s", failures == 1 ? " fails" : " fail",
        " the new definition; correct or retract them (`cotrack retract`) first, or keep the "
        "definition wide enough for them:\n",
        absl::StrJoin(listed, "\n"));
    if (failures > static_cast<int64_t>(listed.size())) {
      absl::StrAppend(&message, "\n... and ", failures - static_cast<int64_t>(listed.size()),
                      " more");
    }
    return absl::FailedPreconditionError(message);
  }
  if (options.dry_run) return absl::OkStatus();

  std::unique_ptr<CommitBatch> out = CommitBatch::Logged(*store_);
  out->AppendMeasure(id, def);  // a new version; the log keeps the old ones
  COTRACK_RETURN_IF_ERROR(WriteAdministrativeChange(
      *out, "measure",
      absl::StrCat("edited measure ", def.code, ": ", DescribeEdit(existing->def, def)), provenance,
      context, options.sync));
  std::unique_lock lock(mu_);
  return catalog_.Replace(id, std::move(def));
}

absl::StatusOr<std::vector<MeasureDefinition>> DatabaseImpl::MeasureHistory(
    absl::string_view code) {
  COTRACK_ASSIGN_OR_RETURN(const CatalogEntry* e, FindMeasure(code));
  if (e->def.builtin) return std::vector<MeasureDefinition>{e->def};
  std::string log;
  COTRACK_ASSIGN_OR_RETURN(bool found,
                           store_->Get(nullptr, Family::kMeasures, keys::MeasureKey(e->id), &log));
  std::vector<MeasureDefinition> out;
  if (!found) return out;
  std::vector<absl::string_view> records;
  COTRACK_RETURN_IF_ERROR(codec::SplitRecords(log, absl::StrCat("measure ", e->id), &records));
  for (absl::string_view r : records) {
    CatalogEntry version;
    COTRACK_RETURN_IF_ERROR(codec::DecodeMeasure(r, &version));
    out.push_back(std::move(version.def));
  }
  return out;
}

}  // namespace cotrack

// Attributed variants of the array writes (cotrack/c.h): who makes each
// visit and batch written in one call, and why.
#include <memory>
#include <string>
#include <vector>

#include "capi/handles.h"
#include "cotrack/c.h"

using cotrack::capi::Fail;
using cotrack::capi::Guard;
using cotrack::capi::Ok;
using cotrack::capi::Report;

namespace {

// Adds what `add` puts into a scratch batch to `batch`, attributed to
// `user` and `reason`, so that the unattributed call's checks and messages
// apply unchanged and a failed call leaves `batch` as it was.
template <typename Add>
int AddAttributed(cotrack_batch_t* batch, const char* user, const char* reason, char** err,
                  Add add) {
  if (batch == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"batch\" is NULL");
  auto by = cotrack::capi::Attribution(user, reason);
  if (!by.ok()) return Report(err, by.status());
  cotrack_batch_t scratch;
  if (int c = add(&scratch); c != COTRACK_OK) return c;
  auto attribute = [&](cotrack::Provenance& p) {
    p.user = by->user;
    if (!by->reason.empty()) p.reason = by->reason;
  };
  for (cotrack::Patient p : scratch.batch.patients()) {
    attribute(p.provenance);
    batch->batch.PutPatient(std::move(p));
  }
  batch->batch.Reserve(batch->batch.observations().size() + scratch.batch.observations().size());
  for (cotrack::ObservationInput o : scratch.batch.observations()) {
    attribute(o.provenance);
    batch->batch.Record(std::move(o));
  }
  for (cotrack::Batch::Retraction r : scratch.batch.retractions()) {
    attribute(r.provenance);
    batch->batch.Retract(std::move(r.patient), std::move(r.measure), r.time,
                         std::move(r.provenance));
  }
  return Ok(err);
}

}  // namespace

extern "C" {

int cotrack_record_visit_as(cotrack_db_t* db, const char* patient, const char* time,
                            const char* label, size_t count, const char* const* measures,
                            const double* values, const char* const* units,
                            const char* const* comparators, const char* user, const char* reason,
                            cotrack_write_summary* summary, char** err) {
  return Guard(err, [&]() -> int {
    if (count > 0 && (measures == nullptr || values == nullptr)) {
      return Fail(err, COTRACK_INVALID_ARGUMENT,
                  "arguments \"measures\" and \"values\" must not be NULL");
    }
    // The builder's checks and messages, then its attributed commit.
    cotrack_visit_t* visit = nullptr;
    if (int c = cotrack_visit_create(patient, time, label, &visit, err); c != COTRACK_OK) return c;
    std::unique_ptr<cotrack_visit_t, void (*)(cotrack_visit_t*)> owned(visit,
                                                                       cotrack_visit_destroy);
    for (size_t k = 0; k < count; ++k) {
      const char* unit = units == nullptr ? nullptr : units[k];
      if (int c = cotrack_visit_add(visit, measures[k], values[k], unit, err); c != COTRACK_OK) {
        return c;
      }
      const char* comparator = comparators == nullptr ? nullptr : comparators[k];
      if (comparator != nullptr && *comparator != '\0') {
        if (int c = cotrack_visit_set_comparator(visit, comparator, err); c != COTRACK_OK) return c;
      }
    }
    return cotrack_visit_commit_as(db, visit, user, reason, summary, err);
  });
}

int cotrack_batch_register_patient_as(cotrack_batch_t* batch, const char* id, const char* arm,
                                      const char* index_date, const char* const* attribute_keys,
                                      const char* const* attribute_values, size_t attribute_count,
                                      const char* user, const char* reason, char** err) {
  return Guard(err, [&]() -> int {
    return AddAttributed(batch, user, reason, err, [&](cotrack_batch_t* to) {
      return cotrack_batch_register_patient(to, id, arm, index_date, attribute_keys,
                                            attribute_values, attribute_count, err);
    });
  });
}

int cotrack_batch_record_visit_as(cotrack_batch_t* batch, const char* patient, const char* time,
                                  const char* label, size_t count, const char* const* measures,
                                  const double* values, const char* const* units,
                                  const char* const* comparators, const char* user,
                                  const char* reason, char** err) {
  return Guard(err, [&]() -> int {
    return AddAttributed(batch, user, reason, err, [&](cotrack_batch_t* to) {
      return cotrack_batch_record_visit(to, patient, time, label, count, measures, values, units,
                                        comparators, err);
    });
  });
}

int cotrack_batch_add_visit_as(cotrack_batch_t* batch, const cotrack_visit_t* visit,
                               const char* user, const char* reason, char** err) {
  return Guard(err, [&]() -> int {
    return AddAttributed(batch, user, reason, err, [&](cotrack_batch_t* to) {
      return cotrack_batch_add_visit(to, visit, err);
    });
  });
}

int cotrack_batch_retract_as(cotrack_batch_t* batch, const char* patient, const char* measure,
                             const char* time, const char* user, const char* reason, char** err) {
  return Guard(err, [&]() -> int {
    return AddAttributed(batch, user, reason, err, [&](cotrack_batch_t* to) {
      return cotrack_batch_retract(to, patient, measure, time, reason, err);
    });
  });
}

int cotrack_batch_commit_as(cotrack_db_t* db, const cotrack_batch_t* batch, const char* user,
                            const char* reason, cotrack_write_summary* summary, char** err) {
  return Guard(err, [&]() -> int {
    if (batch == nullptr) return Fail(err, COTRACK_INVALID_ARGUMENT, "argument \"batch\" is NULL");
    if (user != nullptr && *user == '\0') {
      // As every attributed write: "" is refused, never the handle's user.
      return Fail(err, COTRACK_INVALID_ARGUMENT,
                  "field \"user\": bad value \"\" (expected a user name, or NULL to write as the "
                  "handle's user)");
    }
    const std::string by = user == nullptr ? "" : user;
    const std::string why = reason == nullptr ? "" : reason;
    // Defaults: a change added with its own user or reason (the *_as calls
    // of the batch) keeps it.
    auto attribute = [&](cotrack::Provenance& p) {
      if (p.user.empty()) p.user = by;
      if (p.reason.empty()) p.reason = why;
    };
    // A copy: the batch stays the caller's, unchanged.
    cotrack_batch_t copy;
    for (cotrack::Patient p : batch->batch.patients()) {
      attribute(p.provenance);
      copy.batch.PutPatient(std::move(p));
    }
    copy.batch.Reserve(batch->batch.observations().size());
    for (cotrack::ObservationInput o : batch->batch.observations()) {
      attribute(o.provenance);
      copy.batch.Record(std::move(o));
    }
    for (cotrack::Batch::Retraction r : batch->batch.retractions()) {
      attribute(r.provenance);
      copy.batch.Retract(r.patient, r.measure, r.time, r.provenance);
    }
    copy.batch.SetAudit(batch->batch.audit_action(), batch->batch.audit_detail());
    return cotrack_batch_commit(db, &copy, summary, err);
  });
}

}  // extern "C"

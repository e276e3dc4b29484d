// The handles of the C ABI shared by its source files (c_api.cc and the
// c_*.cc files of each area: c_progression.cc, c_catalog.cc, ...), and the boundary helpers those
// files use: every entry point turns statuses and exceptions into a code and a message.
#ifndef COTRACK_CAPI_HANDLES_H_
#define COTRACK_CAPI_HANDLES_H_

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cotrack/c.h"
#include "cotrack/database.h"
#include "cotrack/options.h"

struct cotrack_options_t {
  cotrack::Options options;
  cotrack::WriteOptions write;
};

struct cotrack_db_t {
  std::unique_ptr<cotrack::Database> db;
  cotrack::WriteOptions write;
  // The options it was opened with (path-based calls made through the
  // handle, e.g. check, reuse its key file and user).
  cotrack::Options options;
};

struct cotrack_batch_t {
  cotrack::Batch batch;
};

namespace cotrack::capi {

// The database behind `db`; nullptr when `db` is NULL or closed (defined in
// c_api.cc).
Database* DatabaseOf(cotrack_db_t* db);

// A malloc'ed copy of `message` the caller frees with cotrack_free.
inline char* CopyMessage(const std::string& message) {
  char* copy = static_cast<char*>(std::malloc(message.size() + 1));
  if (copy != nullptr) std::memcpy(copy, message.c_str(), message.size() + 1);
  return copy;
}

inline int Fail(char** err, int code, const std::string& message) {
  if (err != nullptr) *err = CopyMessage(message);
  return code;
}

inline int Ok(char** err) {
  if (err != nullptr) *err = nullptr;
  return COTRACK_OK;
}

inline int Report(char** err, const absl::Status& status) {
  if (status.ok()) return Ok(err);
  // absl::StatusCode uses the same numbers as cotrack_code.
  return Fail(err, static_cast<int>(status.code()), std::string(status.message()));
}

// Runs `fn` (returning an int code) and turns any exception into a code.
template <typename Fn>
int Guard(char** err, Fn&& fn) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return Fail(err, COTRACK_RESOURCE_EXHAUSTED, "cotrack: out of memory");
  } catch (const std::exception& e) {
    return Fail(err, COTRACK_INTERNAL, absl::StrCat("cotrack: internal error: ", e.what()));
  } catch (...) {
    return Fail(err, COTRACK_INTERNAL, "cotrack: internal error: unknown exception");
  }
}

// InvalidArgument naming `name` when `value` is NULL.
inline absl::Status Required(const void* value, const char* name) {
  if (value == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("argument \"", name, "\" must not be NULL"));
  }
  return absl::OkStatus();
}

// Writes `content` to `path` as the command line writes its documents (the
// same message when it cannot: Unavailable "PATH: cannot write the WHAT").
absl::Status WriteFile(const std::string& path, const std::string& content, const char* what);

inline absl::Status RequireDb(const cotrack_db_t* db) {
  if (db == nullptr || db->db == nullptr) {
    return absl::InvalidArgumentError("argument \"db\" must not be NULL");
  }
  return absl::OkStatus();
}

// The provenance of an attributed write (the *_as calls). NULL user: the
// handle's. "" is refused rather than defaulted: a web session that lost its
// user must not write as the application's account. The engine checks the
// rest (cotrack::Provenance).
inline absl::StatusOr<cotrack::Provenance> Attribution(const char* user, const char* reason) {
  cotrack::Provenance p;
  if (user != nullptr) {
    if (*user == '\0') {
      return absl::InvalidArgumentError(
          "field \"user\": bad value \"\" (expected a user name, or NULL to write as the "
          "handle's user)");
    }
    p.user = user;
  }
  p.reason = reason == nullptr ? "" : reason;
  return p;
}

// The option arrays of cotrack/c.h ("C ABI convention") as the name/value
// pairs the engine's option parsers take. InvalidArgument for a NULL array
// (with count > 0) or a NULL name; a NULL value is "" (a flag).
inline absl::Status OptionPairs(const char* const* names, const char* const* values, size_t count,
                                std::vector<std::pair<std::string, std::string>>* out) {
  out->clear();
  if (count == 0) return absl::OkStatus();
  if (names == nullptr || values == nullptr) {
    return absl::InvalidArgumentError(
        "argument \"option_names\" / \"option_values\" must not be NULL when option_count > 0");
  }
  for (size_t i = 0; i < count; ++i) {
    if (names[i] == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("option_names[", i, "] is NULL"));
    }
    out->emplace_back(names[i], values[i] == nullptr ? "" : values[i]);
  }
  return absl::OkStatus();
}

}  // namespace cotrack::capi

#endif  // COTRACK_CAPI_HANDLES_H_

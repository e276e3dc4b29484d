// Early-return helpers for absl::Status (Debian's Abseil 20220623 has none).
#ifndef COTRACK_STATUS_MACROS_H_
#define COTRACK_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define COTRACK_CONCAT_INNER_(a, b) a##b
#define COTRACK_CONCAT_(a, b) COTRACK_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define COTRACK_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::absl::Status cotrack_status_ = (expr);           \
    if (!cotrack_status_.ok()) return cotrack_status_; \
  } while (0)

// `COTRACK_ASSIGN_OR_RETURN(auto x, StatusOrExpr());` binds the value or
// returns the error.
#define COTRACK_ASSIGN_OR_RETURN(lhs, expr) \
  COTRACK_ASSIGN_OR_RETURN_IMPL_(COTRACK_CONCAT_(cotrack_or_, __LINE__), lhs, expr)

#define COTRACK_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return std::move(tmp).status();       \
  lhs = std::move(tmp).value()

#endif  // COTRACK_STATUS_MACROS_H_

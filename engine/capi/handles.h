// Access to the C ABI's database handle for C ABI sources outside c_api.cc
// (e.g. c_progression.cc), so each command family can live in its own file.
#ifndef COTRACK_CAPI_HANDLES_H_
#define COTRACK_CAPI_HANDLES_H_

#include "cotrack/c.h"
#include "cotrack/database.h"

namespace cotrack::capi {

// The database behind `db`; nullptr when `db` is NULL or closed.
Database* DatabaseOf(cotrack_db_t* db);

}  // namespace cotrack::capi

#endif  // COTRACK_CAPI_HANDLES_H_

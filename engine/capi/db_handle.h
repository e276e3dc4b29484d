// The C ABI's database handle (cotrack_db_t in cotrack/c.h), shared by the
// files that implement entry points (c_api.cc, c_survival.cc).
#ifndef COTRACK_CAPI_DB_HANDLE_H_
#define COTRACK_CAPI_DB_HANDLE_H_

#include <memory>

#include "cotrack/database.h"
#include "cotrack/options.h"

struct cotrack_db_t {
  std::unique_ptr<cotrack::Database> db;
  cotrack::WriteOptions write;
};

#endif  // COTRACK_CAPI_DB_HANDLE_H_

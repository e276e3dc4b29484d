// Files private to their owner: the file system every cotrack database and
// backup is written through, encrypted or not (storage/encryption.h stacks
// its cipher on top of it). Only the storage layer includes this header.
#ifndef COTRACK_STORAGE_PRIVATE_FILES_H_
#define COTRACK_STORAGE_PRIVATE_FILES_H_

#include "rocksdb/env.h"

namespace cotrack {

// An Env whose files are created private to their owner: every file RocksDB
// creates is chmod-ed 0600 and every directory it creates 0700, whatever the
// process umask. Lives as long as the process.
rocksdb::Env* PrivateFileEnv();

}  // namespace cotrack

#endif  // COTRACK_STORAGE_PRIVATE_FILES_H_

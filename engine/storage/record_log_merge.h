// The merge operator of every record-log family: a new version is appended
// to the key's value as a RocksDB merge operand instead of rewriting the
// whole log, so a write costs the size of what it adds, and old versions are
// physically never rewritten in place by a write.
#ifndef COTRACK_STORAGE_RECORD_LOG_MERGE_H_
#define COTRACK_STORAGE_RECORD_LOG_MERGE_H_

#include <memory>

#include "rocksdb/merge_operator.h"

namespace cotrack {

// Concatenation: the result is existing value then operands in write order.
// It never parses the records, so damaged data cannot make a compaction fail;
// readers verify every record instead.
std::shared_ptr<rocksdb::MergeOperator> NewRecordLogMergeOperator();

}  // namespace cotrack

#endif  // COTRACK_STORAGE_RECORD_LOG_MERGE_H_

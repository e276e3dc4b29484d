// A Store::Batch written as sorted table files and ingested into RocksDB in
// one atomic step across column families: a large import costs neither a
// write-ahead log nor a memtable, and a crash before the MANIFEST records
// the ingestion leaves no trace of it.
#ifndef COTRACK_STORAGE_ROCKS_INGEST_H_
#define COTRACK_STORAGE_ROCKS_INGEST_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "rocksdb/sst_file_writer.h"
#include "storage/store.h"

namespace cotrack {

class RocksIngestBatch : public Store::Batch {
 public:
  // Table files go to a fresh directory inside `db_path` (so that moving them
  // into the database is a rename), removed again when the batch ends.
  static absl::StatusOr<std::unique_ptr<RocksIngestBatch>> Create(
      rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
      const std::string& db_path);
  ~RocksIngestBatch() override;

  // Keys of one family must arrive in strictly increasing order; the first
  // violation or I/O error is kept and returned by Ingest. The table files
  // are built (and compressed) on a thread of the batch's own, so the caller
  // can prepare the next values meanwhile.
  void Put(Family f, absl::string_view key, absl::string_view value) override;
  void Append(Family f, absl::string_view key, absl::string_view records) override;
  size_t ApproximateBytes() const override { return bytes_; }

  // Finishes the files and ingests them all at once. Errors as the store's
  // (storage/rocks_status.h): DataLoss when a staged file reads back
  // damaged, Unavailable for an I/O error (a full disk); Internal for keys
  // out of order. Nothing is ingested unless everything is.
  absl::Status Ingest();

 private:
  RocksIngestBatch(rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles,
                   std::string dir);
  // Ops travel in groups whose keys and values sit back to back in one
  // buffer, and spent groups come back to be refilled: a string per op was
  // a malloc on the caller's thread and a free on the writer's, and the two
  // threads then contended for the allocator's lock.
  struct Op {
    Family family;
    bool merge;
    uint32_t key_size;
    uint32_t value_size;
  };
  struct Group {
    std::string bytes;  // each op's key then value, in op order
    std::vector<Op> ops;
  };
  rocksdb::SstFileWriter* WriterFor(Family f);
  void Enqueue(Family f, bool merge, absl::string_view key, absl::string_view value);
  void HandOver();  // pending_ to the writer thread
  void WriteLoop();
  void StopWriter();

  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::string dir_;
  std::vector<std::unique_ptr<rocksdb::SstFileWriter>> writers_;  // by family
  std::vector<std::string> files_;                                // by family
  rocksdb::Status first_error_;  // the writer thread's, read after StopWriter
  size_t bytes_ = 0;

  Group pending_;  // filled by the caller, then handed over
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Group> queue_;   // guarded by mu_
  std::vector<Group> spent_;  // written groups to refill; guarded by mu_
  bool done_ = false;         // guarded by mu_
  std::thread writer_;
};

// Removes staging directories a killed process left inside `db_path`.
void RemoveStaleIngestDirs(const std::string& db_path);

}  // namespace cotrack

#endif  // COTRACK_STORAGE_ROCKS_INGEST_H_

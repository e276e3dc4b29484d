// A Store::Batch written as sorted table files and ingested into RocksDB in
// one atomic step across column families: a large import costs neither a
// write-ahead log nor a memtable, and a crash before the MANIFEST records
// the ingestion leaves no trace of it.
#ifndef COTRACK_STORAGE_ROCKS_INGEST_H_
#define COTRACK_STORAGE_ROCKS_INGEST_H_

#include <memory>
#include <string>
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
  // violation or I/O error is kept and returned by Ingest.
  void Put(Family f, absl::string_view key, absl::string_view value) override;
  void Append(Family f, absl::string_view key, absl::string_view records) override;
  size_t ApproximateBytes() const override { return bytes_; }

  // Finishes the files and ingests them all at once.
  absl::Status Ingest();

 private:
  RocksIngestBatch(rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> handles,
                   std::string dir);
  rocksdb::SstFileWriter* WriterFor(Family f);

  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::string dir_;
  std::vector<std::unique_ptr<rocksdb::SstFileWriter>> writers_;  // by family
  std::vector<std::string> files_;                                // by family
  rocksdb::Status first_error_;
  size_t bytes_ = 0;
};

// Removes staging directories a killed process left inside `db_path`.
void RemoveStaleIngestDirs(const std::string& db_path);

}  // namespace cotrack

#endif  // COTRACK_STORAGE_ROCKS_INGEST_H_

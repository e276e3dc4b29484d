// The storage layer: RocksDB behind a small interface of column families,
// snapshots, point reads, range scans and atomic batches. Only this layer
// includes RocksDB; RocksDB errors become absl::Status in one place
// (storage/rocks_status.h): corruption is DataLoss, a held lock is
// Unavailable "locked" (IsHeldElsewhere), other I/O errors Unavailable.
#ifndef COTRACK_STORAGE_STORE_H_
#define COTRACK_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cotrack {

// One column family per record kind (layout in codec/key_codec.h).
enum class Family { kMeta, kPatientIds, kPatients, kMeasures, kSeries, kAudit };
constexpr int kFamilyCount = 6;

struct StoreOptions {
  bool create_if_missing = true;
  bool read_only = false;
  // With read_only: the store is closed after a few reads (a one-shot read,
  // Options::one_shot_read), so table files are opened as reads need them
  // instead of up to 16 per family at open.
  bool few_reads = false;
  size_t block_cache_bytes = 96 << 20;
  size_t row_cache_bytes = 0;
  size_t value_cache_bytes = 64 << 20;
  // Key file for encryption at rest (storage/encryption.h); empty: none.
  std::string encryption_key_file;
};

// A table file whose checksums do not verify (Store::VerifyTableFiles).
struct TableFileDamage {
  std::string file;    // path of the .sst file
  std::string family;  // column family name
  std::string error;   // what RocksDB reported
};

// One backup in a backup directory.
struct BackupSummary {
  uint32_t id = 0;
  int64_t timestamp = 0;  // seconds since the Unix epoch
  uint64_t size_bytes = 0;
  uint32_t file_count = 0;
  std::string error;  // VerifyBackups: why this backup is bad; empty when good
};

// A consistent point-in-time view; reads through it never see a later write.
class ReadView {
 public:
  virtual ~ReadView() = default;
};

class Store {
 public:
  // Changes applied together by Write; values of record-log families
  // (patients, measures, series) are appended with Append, never replaced.
  class Batch {
   public:
    virtual ~Batch() = default;
    virtual void Put(Family f, absl::string_view key, absl::string_view value) = 0;
    // Appends `records` (framed record-log bytes) to the value at `key`.
    virtual void Append(Family f, absl::string_view key, absl::string_view records) = 0;
    virtual size_t ApproximateBytes() const = 0;
  };

  // Opens or creates the RocksDB database in directory `path`.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                                     const StoreOptions& options);
  virtual ~Store() = default;

  virtual std::unique_ptr<ReadView> NewReadView() = 0;
  virtual std::unique_ptr<Batch> NewBatch() = 0;
  // A batch for large writes: kept as sorted table files and ingested
  // atomically by Write (no write-ahead log, no memtable). Keys of each family
  // must be added in strictly increasing order.
  virtual absl::StatusOr<std::unique_ptr<Batch>> NewIngestBatch() = 0;

  // Applies `batch` atomically; with `sync` the write-ahead log is fsynced
  // before returning.
  virtual absl::Status Write(Batch& batch, bool sync) = 0;

  // Deletes `keys` of family `f` atomically (meta bookkeeping only: records
  // are never deleted).
  virtual absl::Status Delete(Family f, const std::vector<std::string>& keys, bool sync) = 0;

  // Reads `key`; false when absent. `view` may be null (latest data).
  virtual absl::StatusOr<bool> Get(const ReadView* view, Family f, absl::string_view key,
                                   std::string* value) = 0;

  // Reads several keys of one family in one batched lookup; (*found)[i] is
  // false when keys[i] is absent.
  virtual absl::Status MultiGet(const ReadView* view, Family f,
                                const std::vector<std::string>& keys,
                                std::vector<std::string>* values, std::vector<bool>* found) = 0;

  // Calls fn(key, value) for each key in [start, end) in order (empty `end`:
  // to the end of the family) until fn returns false.
  using ScanFn = std::function<bool(absl::string_view key, absl::string_view value)>;
  virtual absl::Status Scan(const ReadView* view, Family f, absl::string_view start,
                            absl::string_view end, const ScanFn& fn) = 0;

  // Flushes memtables and compacts every family fully.
  virtual absl::Status CompactAll() = 0;

  virtual const std::string& path() const = 0;

  // ---- Maintenance (engine/maintenance uses these). ----

  // Verifies the block checksums of every live table file, each on its own,
  // so that every damaged file is reported, not just the first. Adds one
  // entry per damaged file to `damaged`; `files_checked` counts all files.
  // A non-OK return means the check itself could not run.
  virtual absl::Status VerifyTableFiles(std::vector<TableFileDamage>* damaged,
                                        size_t* files_checked) = 0;

  // Adds an incremental backup of this database to `backup_dir` (created 0700
  // when missing) with RocksDB's BackupEngine. From a writer, files are
  // pinned while they are copied; from a read-only store (another process
  // writes) a file that the writer deletes mid-copy makes the attempt fail
  // with Aborted, and the caller may retry.
  // `key_file` must be the database's own key file when it is encrypted (the
  // backup is then encrypted with the same key); empty otherwise.
  virtual absl::StatusOr<BackupSummary> CreateBackup(const std::string& backup_dir,
                                                     const std::string& key_file) = 0;
};

// True when `s` is Store::Open's error for a database another process (or
// another Store of this process) holds open for writing.
bool IsHeldElsewhere(const absl::Status& s);

// The file in database directory `dir` that RocksDB locks (a whole-file
// fcntl write lock) while a process has the database open for writing.
std::string StoreLockFile(const std::string& dir);

// Checks `key_file` (empty: none) against the encryption marker of database
// directory `dir`, with the errors of Store::Open: FailedPrecondition when
// `dir` is encrypted and no key is given, PermissionDenied for another key.
absl::Status CheckEncryptionKey(const std::string& dir, const std::string& key_file);

// Verifies the checksums of every table file (*.sst) in database directory
// `db_dir` without opening the database: for when damage keeps it from
// opening. Same reporting as Store::VerifyTableFiles.
absl::Status VerifyTableFilesInDirectory(const std::string& db_dir, const std::string& key_file,
                                         std::vector<TableFileDamage>* damaged,
                                         size_t* files_checked);

// Checks every backup in `backup_dir`: file sizes and checksums against those
// recorded when each backup was made. NotFound when there is no backup there.
absl::StatusOr<std::vector<BackupSummary>> VerifyStoreBackups(const std::string& backup_dir,
                                                              const std::string& key_file);

// Deletes backup `id` from `backup_dir` (and the files only it used).
absl::Status DeleteStoreBackup(const std::string& backup_dir, uint32_t id,
                               const std::string& key_file);

// Restores the latest good backup of `backup_dir` into `db_dir`, which must
// not exist or be an empty directory (it is created 0700). With `key_file`
// the restored database is encrypted with it (an unencrypted backup is
// encrypted on the way; an encrypted one needs that key).
absl::StatusOr<BackupSummary> RestoreStoreBackup(const std::string& backup_dir,
                                                 const std::string& db_dir,
                                                 const std::string& key_file);

}  // namespace cotrack

#endif  // COTRACK_STORAGE_STORE_H_

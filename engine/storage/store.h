// The storage layer: RocksDB behind a small interface of column families,
// snapshots, point reads, range scans and atomic batches. Only this layer
// includes RocksDB; RocksDB errors become absl::Status here (corruption is
// DataLoss, a held lock is Unavailable "locked").
#ifndef COTRACK_STORAGE_STORE_H_
#define COTRACK_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

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
  size_t block_cache_bytes = 64 << 20;
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

  // Applies `batch` atomically; with `sync` the write-ahead log is fsynced
  // before returning.
  virtual absl::Status Write(Batch& batch, bool sync) = 0;

  // Reads `key`; false when absent. `view` may be null (latest data).
  virtual absl::StatusOr<bool> Get(const ReadView* view, Family f, absl::string_view key,
                                   std::string* value) = 0;

  // Calls fn(key, value) for each key in [start, end) in order (empty `end`:
  // to the end of the family) until fn returns false.
  using ScanFn = std::function<bool(absl::string_view key, absl::string_view value)>;
  virtual absl::Status Scan(const ReadView* view, Family f, absl::string_view start,
                            absl::string_view end, const ScanFn& fn) = 0;

  // Flushes memtables and compacts every family fully.
  virtual absl::Status CompactAll() = 0;

  virtual const std::string& path() const = 0;
};

}  // namespace cotrack

#endif  // COTRACK_STORAGE_STORE_H_

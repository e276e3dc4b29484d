#include "maintenance/open_store.h"

#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cotrack {

absl::StatusOr<std::unique_ptr<Store>> OpenStoreReadOnly(const std::string& path,
                                                         const Options& options) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(absl::StrCat("no cotrack database at ", path));
  }
  StoreOptions so;
  so.create_if_missing = false;
  so.read_only = true;
  so.block_cache_bytes = 8 << 20;  // a check reads everything once
  so.row_cache_bytes = 0;
  so.encryption_key_file = options.encryption_key_file;
  // Opening lists the writer's current files, then opens each: a compaction
  // in between removes one, and RocksDB calls that corruption. Only a file
  // missing time after time is damage.
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path, so);
  for (int attempt = 1; attempt < kMaintenanceAttempts && !store.ok() &&
                        absl::StrContains(store.status().message(), "No such file or directory");
       ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20 << attempt));
    store = Store::Open(path, so);
  }
  return store;
}

bool IsVanishedFile(const absl::Status& s) {
  return !s.ok() && !absl::IsDataLoss(s) &&
         absl::StrContains(s.message(), "No such file or directory");
}

}  // namespace cotrack

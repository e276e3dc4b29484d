// The seam that lets a test put its own Store (a fault-injecting one:
// tests/support/fault_store.h) under a whole database: Database::Open,
// maintenance and every other caller reach storage through Store::Open, so
// wrapping what it opens reaches every store call without a hook in any layer
// above. Never used outside tests; not part of the public API.
#ifndef COTRACK_STORAGE_STORE_TESTING_H_
#define COTRACK_STORAGE_STORE_TESTING_H_

#include <functional>
#include <memory>

#include "storage/store.h"

namespace cotrack {

// Given the store Store::Open just opened (and the options it was opened
// with), returns the store its caller gets instead; it may return `opened`
// itself, e.g. for read-only opens.
using StoreWrapper = std::function<std::unique_ptr<Store>(std::unique_ptr<Store> opened,
                                                          const StoreOptions& options)>;

// Makes every later Store::Open of this process hand its store to `wrapper`
// (empty: no wrapping) and returns the wrapper it replaces. Stores already
// open are not affected. Thread-safe.
StoreWrapper SetStoreWrapperForTesting(StoreWrapper wrapper);

}  // namespace cotrack

#endif  // COTRACK_STORAGE_STORE_TESTING_H_

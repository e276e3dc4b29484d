// The measure catalog: built-ins compiled into the engine plus the measures a
// user registered (loaded from the database). Each measure has a stable
// numeric id that keys its stored series.
#ifndef COTRACK_CATALOG_CATALOG_H_
#define COTRACK_CATALOG_CATALOG_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "codec/catalog_entry.h"
#include "cotrack/types.h"

namespace cotrack {

// Built-in ids are 1-255 (fixed in schema/builtin_measures.json); user
// measures get ids from here on.
constexpr uint32_t kFirstUserMeasureId = 256;

// The built-in measures, decoded once from the compiled-in catalog, ordered
// by code.
const std::vector<CatalogEntry>& BuiltinMeasures();

// Not thread-safe for writes; the database guards it.
class Catalog {
 public:
  // Starts with the built-ins.
  Catalog();

  // nullptr when unknown. Entries are never removed or moved: a returned
  // pointer stays valid for the catalog's lifetime.
  const CatalogEntry* Find(absl::string_view code) const;
  const CatalogEntry* FindById(uint32_t id) const;

  // Adds a user measure. AlreadyExists when `code` or `id` is taken.
  absl::Status Add(uint32_t id, MeasureDefinition def);

  // Built-ins then user measures, each ordered by code.
  std::vector<const CatalogEntry*> All() const;

 private:
  std::map<std::string, CatalogEntry, std::less<>> by_code_;
  std::map<uint32_t, std::string> code_by_id_;
};

}  // namespace cotrack

#endif  // COTRACK_CATALOG_CATALOG_H_

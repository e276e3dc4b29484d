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

// Built-ins from this id on (relapse, sdmt, nhpt, t25fw) came after
// databases could register those codes themselves: a database's own
// definition of one wins over the built-in (AddStored), and a database that
// holds no value of the built-in may still register one.
constexpr uint32_t kFirstReplaceableBuiltinId = 9;

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

  // Adds a user measure read back from a database (or registered in place of
  // a replaceable built-in). A database may have registered a code before a
  // later engine made it a built-in (sdmt, nhpt, t25fw, relapse): its own
  // definition wins for that database, because its stored values were
  // validated by it and keyed by its id; the built-in of that code is then
  // unreachable there. Only before pointers to entries are handed out (open)
  // or for a built-in without values. AlreadyExists when `id` is taken or
  // `code` is another user measure's.
  absl::Status AddStored(uint32_t id, MeasureDefinition def);

  // Replaces user measure `def.code` (of id `id`) by a new version of its
  // definition. The old entry is kept alive, so a pointer to it handed out
  // earlier stays valid (and keeps the old definition). NotFound when no
  // user measure of that code and id exists.
  absl::Status Replace(uint32_t id, MeasureDefinition def);

  // Built-ins then user measures, each ordered by code.
  std::vector<const CatalogEntry*> All() const;

 private:
  std::map<std::string, CatalogEntry, std::less<>> by_code_;
  std::map<uint32_t, std::string> code_by_id_;
  // Built-ins a database's own definition replaced (AddStored), and
  // definitions an edit replaced (Replace).
  std::vector<std::map<std::string, CatalogEntry, std::less<>>::node_type> replaced_;
};

}  // namespace cotrack

#endif  // COTRACK_CATALOG_CATALOG_H_

#include "catalog/catalog.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "codec/value_codec.h"

namespace cotrack {

// Generated from schema/builtin_measures.json by the build (schema/CMakeLists.txt).
extern const uint8_t kBuiltinCatalogData[];
extern const size_t kBuiltinCatalogData_size;

const std::vector<CatalogEntry>& BuiltinMeasures() {
  static const std::vector<CatalogEntry>* const builtins = [] {
    auto decoded = codec::DecodeCatalog(kBuiltinCatalogData, kBuiltinCatalogData_size);
    // The buffer is produced by flatc from a file in this repository and
    // verified above; a failure here is a broken build, not bad user input.
    auto* v = new std::vector<CatalogEntry>(decoded.ok() ? *std::move(decoded)
                                                         : std::vector<CatalogEntry>());
    std::sort(v->begin(), v->end(),
              [](const CatalogEntry& a, const CatalogEntry& b) { return a.def.code < b.def.code; });
    return v;
  }();
  return *builtins;
}

Catalog::Catalog() {
  for (const CatalogEntry& e : BuiltinMeasures()) {
    by_code_[e.def.code] = e;
    code_by_id_[e.id] = e.def.code;
  }
}

const CatalogEntry* Catalog::Find(absl::string_view code) const {
  auto it = by_code_.find(code);
  return it == by_code_.end() ? nullptr : &it->second;
}

const CatalogEntry* Catalog::FindById(uint32_t id) const {
  auto it = code_by_id_.find(id);
  return it == code_by_id_.end() ? nullptr : Find(it->second);
}

absl::Status Catalog::Add(uint32_t id, MeasureDefinition def) {
  if (by_code_.count(def.code) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("measure \"", def.code, "\" already exists"));
  }
  if (code_by_id_.count(id) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("measure id ", id, " already in use"));
  }
  code_by_id_[id] = def.code;
  std::string code = def.code;
  by_code_[code] = CatalogEntry{id, std::move(def)};
  return absl::OkStatus();
}

absl::Status Catalog::AddStored(uint32_t id, MeasureDefinition def) {
  auto it = by_code_.find(def.code);
  if (it != by_code_.end() && it->second.def.builtin && code_by_id_.count(id) == 0) {
    code_by_id_.erase(it->second.id);
    // Kept alive, not destroyed: a pointer to it handed out earlier stays
    // valid (Find's contract).
    replaced_.push_back(by_code_.extract(it));
  }
  return Add(id, std::move(def));
}

absl::Status Catalog::Replace(uint32_t id, MeasureDefinition def) {
  auto it = by_code_.find(def.code);
  if (it == by_code_.end() || it->second.id != id || it->second.def.builtin) {
    return absl::NotFoundError(absl::StrCat("no user measure \"", def.code, "\" of id ", id));
  }
  replaced_.push_back(by_code_.extract(it));
  std::string code = def.code;
  by_code_[code] = CatalogEntry{id, std::move(def)};
  return absl::OkStatus();
}

std::vector<const CatalogEntry*> Catalog::All() const {
  std::vector<const CatalogEntry*> out;
  for (const auto& [code, e] : by_code_) out.push_back(&e);
  std::stable_sort(out.begin(), out.end(), [](const CatalogEntry* a, const CatalogEntry* b) {
    return a->def.builtin > b->def.builtin;
  });
  return out;
}

}  // namespace cotrack

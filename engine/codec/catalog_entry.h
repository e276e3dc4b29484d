// A measure as it is stored: the numeric id that keys its series, and its
// definition. The catalog (catalog/catalog.h) holds these; the struct lives
// here, below the catalog, because the value codec decodes stored user
// measures and the compiled-in catalog into it.
#ifndef COTRACK_CODEC_CATALOG_ENTRY_H_
#define COTRACK_CODEC_CATALOG_ENTRY_H_

#include <cstdint>

#include "cotrack/types.h"

namespace cotrack {

struct CatalogEntry {
  uint32_t id = 0;
  MeasureDefinition def;
};

}  // namespace cotrack

#endif  // COTRACK_CODEC_CATALOG_ENTRY_H_

#include "import/code_mapping.h"

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "import/csv_reader.h"
#include "import/format_common.h"

namespace cotrack {

// schema/code_mappings.csv, embedded by engine/CMakeLists.txt.
extern const uint8_t kBuiltinCodeMappingsCsv[];
extern const size_t kBuiltinCodeMappingsCsv_size;

namespace {

constexpr char kMappingColumns[] =
    "a code mapping CSV has the header system,code,measure,unit (and optionally display)";

}  // namespace

const CodeMapping& CodeMapping::Builtin() {
  static const CodeMapping* const builtin = [] {
    absl::StatusOr<CodeMapping> m =
        Parse(absl::string_view(reinterpret_cast<const char*>(kBuiltinCodeMappingsCsv),
                                kBuiltinCodeMappingsCsv_size),
              "schema/code_mappings.csv");
    // The table is part of the build and tested; an error here is a build
    // mistake, so an empty table (every code unmapped, counted) is the safe
    // degradation rather than a crash.
    return new CodeMapping(m.ok() ? *std::move(m) : CodeMapping());
  }();
  return *builtin;
}

absl::StatusOr<CodeMapping> CodeMapping::Parse(absl::string_view text, const std::string& source) {
  std::istringstream in(StripCommentLines(text));
  CsvReader reader(in, source);
  CsvRecord header;
  absl::Status s = reader.ReadHeader(header);
  if (!s.ok()) return s;
  absl::StatusOr<CsvHeader> h = CsvHeader::Make(header, reader);
  if (!h.ok()) return h.status();
  const std::optional<size_t> system = h->Find("system"), code = h->Find("code"),
                              measure = h->Find("measure"), unit = h->Find("unit");
  if (!system || !code || !measure || !unit) {
    return absl::InvalidArgumentError(absl::StrCat(source, ":", header.first_line(), ": header \"",
                                                   JoinHeader(header), "\" (", kMappingColumns,
                                                   ")"));
  }
  CodeMapping mapping;
  CsvRecord row;
  while (true) {
    absl::StatusOr<bool> more = reader.Next(row);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (row.AllFieldsBlank()) continue;
    if (row.size() < h->size()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", row.first_line(), ": row has ",
                                                     row.size(), " fields but the header has ",
                                                     h->size()));
    }
    CodeMappingEntry e;
    e.system = std::string(absl::StripAsciiWhitespace(row[*system]));
    e.code = std::string(absl::StripAsciiWhitespace(row[*code]));
    e.measure = absl::AsciiStrToLower(absl::StripAsciiWhitespace(row[*measure]));
    e.unit = std::string(absl::StripAsciiWhitespace(row[*unit]));
    if (e.code.empty() || e.measure.empty()) {
      const size_t i = e.code.empty() ? *code : *measure;
      return absl::InvalidArgumentError(
          absl::StrCat(reader.Position(row.line(i), row.column(i)), ": field \"",
                       e.code.empty() ? "code" : "measure", "\": empty (", kMappingColumns, ")"));
    }
    mapping.Add(std::move(e));
  }
  return mapping;
}

absl::StatusOr<CodeMapping> CodeMapping::Load(const std::string& path) {
  CodeMapping mapping = Builtin();
  if (path.empty()) return mapping;
  std::string text;
  absl::Status read = ReadSmallFile(path, "code mapping file", text);
  if (!read.ok()) return read;
  absl::StatusOr<CodeMapping> extra = Parse(text, path);
  if (!extra.ok()) return extra.status();
  for (const CodeMappingEntry& e : extra->entries_) mapping.Add(e);
  return mapping;
}

void CodeMapping::Add(CodeMappingEntry entry) {
  std::vector<size_t>& slots = by_code_[entry.code];
  for (size_t i : slots) {
    if (entries_[i].system == entry.system) {
      entries_[i] = std::move(entry);
      return;
    }
  }
  slots.push_back(entries_.size());
  entries_.push_back(std::move(entry));
}

void CodeMapping::AddUnmapped(const std::vector<CodeMappingEntry>& entries) {
  for (const CodeMappingEntry& e : entries) {
    if (Find(e.system, e.code) == nullptr) Add(e);
  }
}

const CodeMappingEntry* CodeMapping::Find(absl::string_view system, absl::string_view code) const {
  auto it = by_code_.find(code);
  if (it == by_code_.end()) return nullptr;
  const CodeMappingEntry* any = nullptr;
  for (size_t i : it->second) {
    const CodeMappingEntry& e = entries_[i];
    if (e.system == system) return &e;
    if (e.system.empty() || system.empty()) any = &e;
  }
  return any;
}

const CodeMappingEntry* CodeMapping::FindForMeasure(absl::string_view system,
                                                    absl::string_view measure,
                                                    absl::string_view unit) const {
  for (const CodeMappingEntry& e : entries_) {
    if (e.system == system && e.measure == measure && e.unit == unit) return &e;
  }
  return nullptr;
}

bool CodeMapping::MapsMeasure(absl::string_view measure) const {
  for (const CodeMappingEntry& e : entries_) {
    if (e.measure == measure) return true;
  }
  return false;
}

}  // namespace cotrack

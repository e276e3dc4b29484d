#include "import/format_common.h"

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cotrack {

std::string NormalizeUnit(absl::string_view unit) {
  unit = absl::StripAsciiWhitespace(unit);
  // UCUM annotations are case-insensitive ("{Score}"); the catalog spells
  // score units "{score}".
  if (absl::EqualsIgnoreCase(unit, "{score}")) return "{score}";
  return std::string(unit);
}

std::string StripCommentLines(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == absl::string_view::npos) end = text.size();
    absl::string_view line = text.substr(pos, end - pos);
    if (!absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "#")) {
      out.append(line.data(), line.size());
    }
    if (end < text.size()) out += '\n';
    pos = end + 1;
  }
  return out;
}

absl::Status ReadSmallFile(const std::string& path, const char* what, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the ", what));
  // Mapping files are a few lines; a multi-megabyte one is a wrong path.
  constexpr size_t kMaxBytes = size_t{16} << 20;
  out.clear();
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > kMaxBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": the ", what, " is larger than 16 MiB; is it the right file?"));
    }
  }
  return absl::OkStatus();
}

}  // namespace cotrack

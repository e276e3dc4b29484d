#include "import/import_errors.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cotrack/patient_id.h"

namespace cotrack {

void ImportErrors::Add(int64_t line, int64_t column, absl::string_view message) {
  ++count_;
  absl::StrAppend(&row_messages_, row_messages_.empty() ? "" : "; ", message);
  if (listed_.size() >= max_listed_) return;
  if (column > 0) {
    listed_.push_back({line, column, absl::StrCat(source_, ":", line, ":", column, ": ", message)});
  } else {
    listed_.push_back({line, column, absl::StrCat(source_, ":", line, ": ", message)});
  }
}

void ImportErrors::BadValue(const CsvRecord& row, size_t i, absl::string_view field,
                            absl::string_view expected) {
  Add(row.line(i), row.column(i),
      absl::StrCat("field \"", field, "\": bad value ", QuoteForMessage(row[i]), " (", expected,
                   ")"));
}

void ImportErrors::Empty(const CsvRecord& row, size_t i, absl::string_view field,
                         absl::string_view expected) {
  Add(row.line(i), row.column(i), absl::StrCat("field \"", field, "\": empty (", expected, ")"));
}

bool ImportErrors::PatientId(absl::string_view id, int64_t line, int64_t column) {
  if (!id.empty() && id == last_valid_patient_) return true;
  absl::Status s = ValidatePatientId(id);
  if (!s.ok()) {
    Add(line, column, s.message());
    return false;
  }
  last_valid_patient_ = std::string(id);
  return true;
}

void ImportErrors::AddStatus(const absl::Status& status) {
  // Always listed: it is why reading stopped.
  ++count_;
  fatal_.push_back(std::string(status.message()));
}

absl::Status ImportErrors::ToStatus() const {
  if (count_ == 0) return absl::OkStatus();
  // Rows arrive in order, but the fields of one row are checked in the order
  // their values depend on each other; list them as they appear in the file.
  std::vector<const Listed*> sorted;
  for (const Listed& l : listed_) sorted.push_back(&l);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Listed* a, const Listed* b) {
    return a->line != b->line ? a->line < b->line : a->column < b->column;
  });
  std::vector<absl::string_view> lines;
  for (const Listed* l : sorted) lines.push_back(l->text);
  for (const std::string& f : fatal_) lines.push_back(f);
  std::string message = absl::StrJoin(lines, "\n");
  if (count_ > lines.size()) {
    const size_t more = count_ - lines.size();
    absl::StrAppend(&message, "\n... and ", more, more == 1 ? " more error" : " more errors");
  }
  return absl::InvalidArgumentError(message);
}

std::string QuoteForMessage(absl::string_view value) {
  constexpr size_t kMax = 80;
  std::string shown;
  if (value.size() > kMax) {
    size_t cut = 60;
    // Do not cut a UTF-8 sequence in half.
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
    shown = absl::StrCat(absl::Utf8SafeCEscape(value.substr(0, cut)), "...");
  } else {
    shown = absl::Utf8SafeCEscape(value);
  }
  return absl::StrCat("\"", shown, "\"");
}

}  // namespace cotrack

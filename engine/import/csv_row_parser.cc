#include "import/csv_row_parser.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cotrack {

bool CheckFieldCount(const CsvRecord& row, const std::vector<std::string>& names,
                     ImportErrors& errors) {
  if (row.size() == names.size()) return true;
  if (row.size() > names.size()) {
    const size_t first_extra = names.size();
    errors.Add(row.line(first_extra), row.column(first_extra),
               absl::StrCat("row has ", row.size(), " fields but the header has ", names.size(),
                            " (a value containing a comma must be quoted)"));
  } else {
    std::vector<absl::string_view> missing;
    for (size_t i = row.size(); i < names.size(); ++i) missing.push_back(names[i]);
    const size_t last = row.size() - 1;  // a record has at least one field
    errors.Add(row.line(last), row.column(last),
               absl::StrCat("row has ", row.size(), " fields but the header has ", names.size(),
                            " (nothing for ", absl::StrJoin(missing, ","), ")"));
  }
  return false;
}

}  // namespace cotrack

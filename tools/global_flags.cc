#include "global_flags.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace cotrack::tools {
namespace {

std::string DefaultDatabase() {
  const char* env = std::getenv("COTRACK_DB");
  return env != nullptr && *env != '\0' ? env : "./cotrack-data";
}

// The default of --user and --key-file. An empty user is the OS user's,
// looked up by the engine only when a command writes (Options::user): a read
// does not pay for the lookup.
std::string Unset() { return ""; }

// "--db DIR"
std::string Spelled(const GlobalFlag& flag) {
  return absl::StrCat("--", flag.name, " ", flag.value_name);
}

// The width of the flag column in help: the longest global flag.
size_t FlagColumnWidth() {
  size_t width = 0;
  for (const GlobalFlag& flag : GlobalFlags()) width = std::max(width, Spelled(flag).size());
  return width;
}

// The flag that `word` names ("--db" or "--db=..."), or null.
const GlobalFlag* Find(absl::string_view word) {
  for (const GlobalFlag& flag : GlobalFlags()) {
    const std::string dashed = absl::StrCat("--", flag.name);
    if (word == dashed || absl::StartsWith(word, dashed + "=")) return &flag;
  }
  return nullptr;
}

}  // namespace

const std::vector<GlobalFlag>& GlobalFlags() {
  static const auto* flags = new std::vector<GlobalFlag>{
      {"db", "DIR", "the database directory (default: $COTRACK_DB, else ./cotrack-data)", true,
       &GlobalContext::db_path, DefaultDatabase},
      {"user", "NAME",
       "who makes the changes, for provenance and the audit log\n(default: the OS user)", true,
       &GlobalContext::user, Unset},
      {"key-file", "F", "the key file of an encrypted database (docs/OPERATIONS.md)", false,
       &GlobalContext::key_file, Unset},
  };
  return *flags;
}

absl::StatusOr<GivenGlobalFlags> ExtractGlobalFlags(std::vector<std::string>& words) {
  GivenGlobalFlags given;
  std::vector<std::string> rest;
  bool after_dashes = false;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (after_dashes || w == "--") {
      after_dashes = true;
      rest.push_back(w);
      continue;
    }
    const GlobalFlag* flag = Find(w);
    if (flag == nullptr) {
      rest.push_back(w);
      continue;
    }
    const std::string dashed = absl::StrCat("--", flag->name);
    std::string value;
    if (w.size() > dashed.size()) {
      value = w.substr(dashed.size() + 1);
    } else if (i + 1 < words.size() && !absl::StartsWith(words[i + 1], "--")) {
      value = words[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(dashed, " needs a value"));
    }
    if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(dashed, ": empty value"));
    if (!given.emplace(flag->name, std::move(value)).second) {
      return absl::InvalidArgumentError(absl::StrCat(dashed, " given more than once"));
    }
  }
  words = std::move(rest);
  return given;
}

bool IsGlobalFlag(absl::string_view word, bool* separate_value) {
  if (Find(word) == nullptr) return false;
  *separate_value = word.find('=') == absl::string_view::npos;
  return true;
}

GlobalContext ResolveGlobalContext(const GivenGlobalFlags& given) {
  GlobalContext ctx;
  for (const GlobalFlag& flag : GlobalFlags()) {
    auto it = given.find(flag.name);
    ctx.*flag.field = it != given.end() ? it->second : flag.default_value();
  }
  return ctx;
}

std::string GlobalSynopsis() {
  std::vector<std::string> parts;
  for (const GlobalFlag& flag : GlobalFlags()) {
    if (flag.in_synopsis) parts.push_back(absl::StrCat("[", Spelled(flag), "]"));
  }
  return absl::StrJoin(parts, " ");
}

std::string OptionHelpLine(absl::string_view flag, absl::string_view help) {
  const size_t width = FlagColumnWidth();
  std::string out;
  bool first = true;
  for (absl::string_view line : absl::StrSplit(help, '\n')) {
    const absl::string_view left = first ? flag : "";
    absl::StrAppend(&out, "  ", left, std::string(width - std::min(width, left.size()), ' '), "  ",
                    line, "\n");
    first = false;
  }
  return out;
}

std::string GlobalOptionsHelp() {
  std::string out = "Global options (before or after the command):\n";
  for (const GlobalFlag& flag : GlobalFlags()) {
    absl::StrAppend(&out, OptionHelpLine(Spelled(flag), flag.help));
  }
  return out;
}

}  // namespace cotrack::tools

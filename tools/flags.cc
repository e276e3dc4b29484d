#include "flags.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cotrack/named_options.h"

namespace cotrack::tools {
namespace {

const FlagSpec* FindSpec(const std::vector<FlagSpec>& specs, absl::string_view name) {
  for (const FlagSpec& spec : specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// A typo such as --form for --from deserves a hint; unrelated words do not.
std::string Suggestion(const std::vector<FlagSpec>& specs, absl::string_view name) {
  const FlagSpec* best = nullptr;
  size_t best_distance = 3;
  for (const FlagSpec& spec : specs) {
    size_t d = EditDistance(name, spec.name);
    if (d < best_distance && d < spec.name.size()) {
      best = &spec;
      best_distance = d;
    }
  }
  if (best == nullptr) return "";
  return absl::StrCat(" (did you mean ", FlagDisplayName(best->name), "?)");
}

// "-5" and "-0.5" are negative numbers, not flags.
bool LooksLikeNegativeNumber(absl::string_view word) {
  return word.size() >= 2 && word[0] == '-' &&
         ((word[1] >= '0' && word[1] <= '9') || word[1] == '.');
}

}  // namespace

bool ParsedArgs::Has(absl::string_view name) const { return values_.find(name) != values_.end(); }

std::optional<std::string> ParsedArgs::Get(absl::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string FlagDisplayName(absl::string_view name) {
  return absl::StrCat(name.size() == 1 ? "-" : "--", name);
}

absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::vector<FlagSpec>& specs) {
  ParsedArgs parsed;
  bool only_positionals = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (only_positionals || word.size() < 2 || word[0] != '-' || LooksLikeNegativeNumber(word)) {
      parsed.positionals_.push_back(word);
      continue;
    }
    if (word == "--") {
      only_positionals = true;
      continue;
    }
    // `given` is the flag as typed (without any "=value"), for messages.
    absl::string_view given = word;
    std::optional<std::string> inline_value;
    if (absl::StartsWith(given, "--")) {
      size_t eq = given.find('=');
      if (eq != absl::string_view::npos) {
        inline_value = std::string(given.substr(eq + 1));
        given = given.substr(0, eq);
      }
    }
    if (given == "--help" || given == "-h") {
      parsed.values_["help"] = "";
      continue;
    }
    // Long names take two dashes, one-letter names one: "-from" and "--n"
    // are typos, not flags.
    std::string name;
    if (absl::StartsWith(given, "--") && given.size() > 3) {
      name = std::string(given.substr(2));
    } else if (!absl::StartsWith(given, "--")) {
      // "-n 5", or "-n5" for a one-letter value flag.
      const FlagSpec* letter = FindSpec(specs, given.substr(1, 1));
      if (given.size() == 2) {
        name = std::string(given.substr(1));
      } else if (letter != nullptr && letter->kind == FlagSpec::kValue) {
        name = letter->name;
        inline_value = std::string(given.substr(2));
        given = given.substr(0, 2);
      }
    }
    const FlagSpec* spec = name.empty() ? nullptr : FindSpec(specs, name);
    if (spec == nullptr) {
      absl::string_view bare = given;
      while (!bare.empty() && bare[0] == '-') bare.remove_prefix(1);
      return absl::InvalidArgumentError(
          absl::StrFormat("unknown flag \"%s\"%s", given, Suggestion(specs, bare)));
    }
    const std::string display = FlagDisplayName(spec->name);
    if (spec->kind == FlagSpec::kBool) {
      if (inline_value.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s takes no value (got \"%s\")", display, *inline_value));
      }
      parsed.values_[spec->name] = "";
      continue;
    }
    std::string value;
    if (inline_value.has_value()) {
      value = *inline_value;
    } else {
      if (i + 1 >= args.size() || absl::StartsWith(args[i + 1], "--")) {
        return absl::InvalidArgumentError(absl::StrFormat("%s needs a value", display));
      }
      value = args[++i];
    }
    if (parsed.values_.count(spec->name) > 0) {
      return absl::InvalidArgumentError(absl::StrFormat("%s given more than once", display));
    }
    parsed.values_[spec->name] = std::move(value);
  }
  return parsed;
}

absl::StatusOr<CivilTime> ParseDateArg(absl::string_view what, absl::string_view text) {
  absl::StatusOr<CivilTime> t = ParseCivilTime(text);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: bad value \"%s\" (expected a date YYYY-MM-DD)", what, text));
  }
  return *t;
}

// The engine's parsers (cotrack/named_options.h) read the same values for
// the C ABI: one definition, so the CLI and C say the same thing.
absl::StatusOr<double> ParseNumberArg(absl::string_view what, absl::string_view text) {
  return ParseNumberOption(what, text);
}

absl::StatusOr<int64_t> ParseIntArg(absl::string_view what, absl::string_view text, int64_t min,
                                    int64_t max) {
  return ParseIntOption(what, text, min, max);
}

std::vector<std::pair<std::string, std::string>> ParsedArgs::Named(
    const std::vector<std::string>& except) const {
  std::vector<std::pair<std::string, std::string>> named;
  for (const auto& [name, value] : values_) {
    if (name == "help" || std::find(except.begin(), except.end(), name) != except.end()) continue;
    named.emplace_back(name, value);
  }
  return named;
}

int UsageError(absl::string_view command, absl::string_view message) {
  std::fprintf(stderr, "cotrack: %.*s\nTry 'cotrack %.*s --help'.\n",
               static_cast<int>(message.size()), message.data(), static_cast<int>(command.size()),
               command.data());
  return 2;
}

int RuntimeError(const absl::Status& status) {
  std::string message(status.message());
  if (message.empty()) message = status.ToString();
  std::fprintf(stderr, "cotrack: %s\n", message.c_str());
  return 1;
}

absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(const GlobalContext& ctx, OpenMode mode) {
  if (mode != OpenMode::kCreate) {
    struct stat st;
    if (::stat(ctx.db_path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::NotFoundError(absl::StrFormat(
          "no database at \"%s\" (import data first, or choose one with --db DIR or "
          "$COTRACK_DB)",
          ctx.db_path));
    }
  }
  Options options;
  options.create_if_missing = mode == OpenMode::kCreate;
  options.read_only = mode == OpenMode::kRead || mode == OpenMode::kPointRead;
  options.one_shot_read = mode == OpenMode::kPointRead;
  options.user = ctx.user;
  options.encryption_key_file = ctx.key_file;
  return Database::Open(ctx.db_path, options);
}

absl::Status CheckPatientExists(Database& db, absl::string_view patient) {
  absl::StatusOr<Patient> found = db.GetPatient(patient);
  if (absl::IsNotFound(found.status())) {
    return absl::NotFoundError(absl::StrFormat(
        "unknown patient \"%s\" (see 'cotrack patients' for the registered ones)", patient));
  }
  return found.status();
}

Provenance CliProvenance(const GlobalContext& ctx, std::string reason) {
  Provenance p;
  p.source = "cli";
  p.user = ctx.user;
  p.reason = std::move(reason);
  return p;
}

}  // namespace cotrack::tools

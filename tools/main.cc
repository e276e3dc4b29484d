// `cotrack [--db DIR] [--user NAME] COMMAND ...`: resolves the global flags
// and the command, answers --help and --version, and hands over to the
// command's own file. Commands register themselves (see command.h).
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "command.h"

#ifndef COTRACK_VERSION
#define COTRACK_VERSION "unknown"
#endif

namespace cotrack::tools {
namespace {

constexpr char kGlobalOptions[] =
    "Global options (before or after the command):\n"
    "  --db DIR      the database directory (default: $COTRACK_DB, else ./cotrack-data)\n"
    "  --user NAME   who makes the changes, for provenance and the audit log\n"
    "                (default: the OS user)\n"
    "  --key-file F  the key file of an encrypted database (docs/OPERATIONS.md)\n";

void PrintCommandList(const std::vector<Command>& commands, FILE* out) {
  size_t width = 0;
  for (const Command& c : commands) width = std::max(width, std::strlen(c.name));
  for (const Command& c : commands) {
    std::fprintf(out, "  %-*s  %s\n", static_cast<int>(width), c.name, c.summary);
  }
}

void PrintMainHelp(FILE* out) {
  std::fprintf(out,
               "Usage: cotrack [--db DIR] [--user NAME] COMMAND [ARGS...]\n"
               "\n"
               "Per-patient, per-measure clinical outcome tracking with full version history.\n"
               "\n"
               "Commands:\n");
  PrintCommandList(RegisteredCommands(), out);
  std::fprintf(out,
               "\n%s"
               "  --help        this text; `cotrack COMMAND --help` for one command\n"
               "  --version     print the version\n"
               "\n"
               "stdout carries data, stderr messages. Exit status: 0 success, 1 error,\n"
               "2 bad usage.\n",
               kGlobalOptions);
}

void PrintCommandHelp(const Command& command) {
  std::string usage = command.usage;
  if (!usage.empty() && usage.back() != '\n') usage += '\n';
  std::fprintf(stdout, "%s\n%s", usage.c_str(), kGlobalOptions);
}

std::string OsUser() {
  struct passwd pw;
  struct passwd* result = nullptr;
  char buf[4096];
  if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &result) == 0 && result != nullptr &&
      result->pw_name != nullptr) {
    return result->pw_name;
  }
  const char* env = std::getenv("USER");
  return env != nullptr ? env : "";
}

// Global flags, wherever they stand before a `--`.
struct Globals {
  std::optional<std::string> db;
  std::optional<std::string> user;
  std::optional<std::string> key_file;
};

// Takes `--db`/`--user` (either form) out of `words`, leaving the rest in
// order. Returns an error message, or "" on success.
std::string ExtractGlobals(std::vector<std::string>& words, Globals& globals) {
  std::vector<std::string> rest;
  bool after_dashes = false;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (after_dashes || w == "--") {
      after_dashes = true;
      rest.push_back(w);
      continue;
    }
    std::optional<std::string>* target = nullptr;
    std::string name;
    for (const char* flag : {"db", "user", "key-file"}) {
      std::string dashed = absl::StrCat("--", flag);
      if (w == dashed || absl::StartsWith(w, dashed + "=")) {
        target = std::strcmp(flag, "db") == 0     ? &globals.db
                 : std::strcmp(flag, "user") == 0 ? &globals.user
                                                  : &globals.key_file;
        name = dashed;
      }
    }
    if (target == nullptr) {
      rest.push_back(w);
      continue;
    }
    std::string value;
    if (w.size() > name.size()) {
      value = w.substr(name.size() + 1);
    } else if (i + 1 < words.size() && !absl::StartsWith(words[i + 1], "--")) {
      value = words[++i];
    } else {
      return name + " needs a value";
    }
    if (value.empty()) return name + ": empty value";
    if (target->has_value()) return name + " given more than once";
    *target = value;
  }
  words = std::move(rest);
  return "";
}

bool WantsHelp(const std::vector<std::string>& words) {
  for (const std::string& w : words) {
    if (w == "--") return false;
    if (w == "--help" || w == "-h") return true;
  }
  return false;
}

int Main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  Globals globals;
  // Leading flags belong to cotrack itself.
  size_t first = 0;
  bool help = false;
  while (first < words.size() && absl::StartsWith(words[first], "-")) {
    const std::string& w = words[first];
    if (w == "--version") {
      std::printf("cotrack %s\n", COTRACK_VERSION);
      return 0;
    }
    if (w == "--help" || w == "-h") {
      help = true;
      ++first;
    } else if (w == "--db" || w == "--user" || w == "--key-file" || absl::StartsWith(w, "--db=") ||
               absl::StartsWith(w, "--user=") || absl::StartsWith(w, "--key-file=")) {
      // Handled below with the rest; skip the flag and its separate value.
      bool separate = w == "--db" || w == "--user" || w == "--key-file";
      first += separate ? 2 : 1;
    } else {
      std::fprintf(stderr, "cotrack: unknown flag \"%s\"\nTry 'cotrack --help'.\n", w.c_str());
      return 2;
    }
  }
  if (std::string error = ExtractGlobals(words, globals); !error.empty()) {
    std::fprintf(stderr, "cotrack: %s\nTry 'cotrack --help'.\n", error.c_str());
    return 2;
  }
  // Re-find the command word now that the global flags are gone.
  size_t index = 0;
  while (index < words.size() && (words[index] == "--help" || words[index] == "-h")) ++index;
  if (index >= words.size()) {
    PrintMainHelp(help ? stdout : stderr);
    return help ? 0 : 2;
  }
  std::vector<Command> commands = RegisteredCommands();
  // `cotrack help [COMMAND]` is `cotrack [COMMAND] --help`.
  if (words[index] == "help") {
    help = true;
    ++index;
    if (index >= words.size()) {
      PrintMainHelp(stdout);
      return 0;
    }
  }

  // Longest match first: "measure add" before "measure".
  const Command* command = nullptr;
  size_t arg_start = index + 1;
  if (index + 1 < words.size()) {
    std::string two = words[index] + " " + words[index + 1];
    for (const Command& c : commands) {
      if (two == c.name) {
        command = &c;
        arg_start = index + 2;
      }
    }
  }
  if (command == nullptr) {
    for (const Command& c : commands) {
      if (words[index] == c.name) command = &c;
    }
  }
  if (command == nullptr) {
    // A group such as "measure": list its subcommands.
    std::vector<Command> group;
    for (const Command& c : commands) {
      if (absl::StartsWith(c.name, words[index] + " ")) group.push_back(c);
    }
    if (!group.empty()) {
      bool ok = help || WantsHelp(words);
      FILE* out = ok ? stdout : stderr;
      if (!ok) {
        if (index + 1 < words.size()) {
          std::fprintf(out, "cotrack: unknown command \"%s %s\"\n", words[index].c_str(),
                       words[index + 1].c_str());
        } else {
          std::fprintf(out, "cotrack: \"%s\" needs a subcommand\n", words[index].c_str());
        }
      }
      std::fprintf(out, "Usage: cotrack %s SUBCOMMAND ...\n\nSubcommands:\n", words[index].c_str());
      PrintCommandList(group, out);
      return ok ? 0 : 2;
    }
    std::fprintf(stderr, "cotrack: unknown command \"%s\"\n\nCommands:\n", words[index].c_str());
    PrintCommandList(commands, stderr);
    std::fprintf(stderr, "\nTry 'cotrack --help'.\n");
    return 2;
  }

  std::vector<std::string> args(words.begin() + static_cast<std::ptrdiff_t>(arg_start),
                                words.end());
  if (help || WantsHelp(args)) {
    PrintCommandHelp(*command);
    return 0;
  }

  GlobalContext ctx;
  if (globals.db.has_value()) {
    ctx.db_path = *globals.db;
  } else if (const char* env = std::getenv("COTRACK_DB"); env != nullptr && *env != '\0') {
    ctx.db_path = env;
  } else {
    ctx.db_path = "./cotrack-data";
  }
  ctx.user = globals.user.has_value() ? *globals.user : OsUser();
  ctx.key_file = globals.key_file.value_or("");

  int status = command->run(ctx, args);
  // Data that never reached stdout (a full disk, a closed pipe) is an error.
  std::cout.flush();
  if (!std::cout || std::fflush(stdout) != 0) {
    std::fprintf(stderr, "cotrack: writing to stdout failed\n");
    return status == 0 ? 1 : status;
  }
  return status;
}

}  // namespace
}  // namespace cotrack::tools

int main(int argc, char** argv) { return cotrack::tools::Main(argc, argv); }

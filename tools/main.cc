// `cotrack [--db DIR] [--user NAME] COMMAND ...`: resolves the global flags
// (one table, in global_flags.h) and the command, answers --help and
// --version, and hands over to the command's own file. Commands register
// themselves (see command.h).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "command.h"
#include "global_flags.h"

#ifndef COTRACK_VERSION
#define COTRACK_VERSION "unknown"
#endif

namespace cotrack::tools {
namespace {

void PrintCommandList(const std::vector<Command>& commands, FILE* out) {
  size_t width = 0;
  for (const Command& c : commands) width = std::max(width, std::strlen(c.name));
  for (const Command& c : commands) {
    std::fprintf(out, "  %-*s  %s\n", static_cast<int>(width), c.name, c.summary);
  }
}

void PrintMainHelp(FILE* out) {
  std::fprintf(out,
               "Usage: cotrack %s COMMAND [ARGS...]\n"
               "\n"
               "Per-patient, per-measure clinical outcome tracking with full version history.\n"
               "\n"
               "Commands:\n",
               GlobalSynopsis().c_str());
  PrintCommandList(RegisteredCommands(), out);
  std::fprintf(
      out,
      "\n%s%s%s"
      "\n"
      "stdout carries data, stderr messages. Exit status: 0 success, 1 error,\n"
      "2 bad usage.\n",
      GlobalOptionsHelp().c_str(),
      OptionHelpLine("--help", "this text; `cotrack COMMAND --help` for one command").c_str(),
      OptionHelpLine("--version", "print the version").c_str());
}

void PrintCommandHelp(const Command& command) {
  std::string usage = command.usage;
  if (!usage.empty() && usage.back() != '\n') usage += '\n';
  std::fprintf(stdout, "%s\n%s", usage.c_str(), GlobalOptionsHelp().c_str());
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
    } else if (bool separate; IsGlobalFlag(w, &separate)) {
      // Handled below with the rest; skip the flag and its separate value.
      first += separate ? 2 : 1;
    } else {
      std::fprintf(stderr, "cotrack: unknown flag \"%s\"\nTry 'cotrack --help'.\n", w.c_str());
      return 2;
    }
  }
  absl::StatusOr<GivenGlobalFlags> globals = ExtractGlobalFlags(words);
  if (!globals.ok()) {
    std::fprintf(stderr, "cotrack: %s\nTry 'cotrack --help'.\n",
                 std::string(globals.status().message()).c_str());
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

  const GlobalContext ctx = ResolveGlobalContext(*globals);
  int status = RunCommand(*command, ctx, args);
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

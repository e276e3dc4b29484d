#include "command.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cotrack::tools {
namespace {

// A function-local static, so that registration from other files' static
// initialisers never runs before the registry exists.
std::vector<Command>& Registry() {
  static auto* commands = new std::vector<Command>();
  return *commands;
}

}  // namespace

Arity Arity::None(std::string hint) {
  return Arity{0, 0, hint.empty() ? "no arguments" : "", std::move(hint)};
}

Arity Arity::Exactly(size_t n, std::string expected) {
  return Arity{n, n, std::move(expected), ""};
}

Arity Arity::Between(size_t min, size_t max, std::string expected) {
  return Arity{min, max, std::move(expected), ""};
}

Arity Arity::AtLeast(size_t min, std::string expected) {
  return Arity{min, std::numeric_limits<size_t>::max(), std::move(expected), ""};
}

absl::Status Arity::Check(const std::vector<std::string>& positionals) const {
  if (positionals.size() >= min && positionals.size() <= max) return absl::OkStatus();
  if (positionals.size() > max && !unexpected_hint.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument \"", positionals[max], "\" (", unexpected_hint, ")"));
  }
  return absl::InvalidArgumentError(absl::StrCat("expected ", expected));
}

absl::StatusOr<ParsedArgs> ParseCommandArgs(const CommandSpec& command,
                                            const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, command.flags);
  if (!parsed.ok()) return parsed.status();
  if (absl::Status s = command.arity.Check(parsed->positionals()); !s.ok()) return s;
  return parsed;
}

int RunCommand(const Command& command, const GlobalContext& ctx,
               const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed = ParseCommandArgs(command, args);
  if (!parsed.ok()) return UsageError(command.name, parsed.status().message());
  return command.run(ctx, *parsed);
}

bool RegisterCommand(const Command& command) {
  std::vector<Command>& commands = Registry();
  for (const Command& existing : commands) {
    if (std::strcmp(existing.name, command.name) == 0) {
      // Two files claiming one name is a build mistake; keep the first so
      // the tool still works and say so loudly.
      std::fprintf(stderr, "cotrack: internal error: command \"%s\" registered twice\n",
                   command.name);
      return false;
    }
  }
  commands.push_back(command);
  return true;
}

std::vector<Command> RegisteredCommands() {
  std::vector<Command> commands = Registry();
  std::sort(commands.begin(), commands.end(),
            [](const Command& a, const Command& b) { return std::strcmp(a.name, b.name) < 0; });
  return commands;
}

const Command* FindCommand(absl::string_view name) {
  for (const Command& command : Registry()) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

}  // namespace cotrack::tools

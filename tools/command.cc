#include "command.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace cotrack::tools {
namespace {

// A function-local static, so that registration from other files' static
// initialisers never runs before the registry exists.
std::vector<Command>& Registry() {
  static auto* commands = new std::vector<Command>();
  return *commands;
}

}  // namespace

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

}  // namespace cotrack::tools

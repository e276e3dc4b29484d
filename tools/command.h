// Every `cotrack` command lives in its own tools/cmd_*.cc and registers itself
// here, so adding a command never touches main.cc.
#ifndef COTRACK_TOOLS_COMMAND_H_
#define COTRACK_TOOLS_COMMAND_H_

#include <string>
#include <vector>

#include "global_flags.h"

namespace cotrack::tools {

struct Command {
  const char* name;     // e.g. "trajectory", or "measure add" for a subcommand
  const char* summary;  // one line for `cotrack --help`
  const char* usage;    // full text for `cotrack NAME --help`
  // `args` are the words after the command name. Returns the exit status:
  // 0 success, 1 a runtime error (message already on stderr), 2 bad usage.
  int (*run)(const GlobalContext& ctx, const std::vector<std::string>& args);
};

// Registers a command at static-initialisation time; returns true.
bool RegisterCommand(const Command& command);

// All registered commands, ordered by name.
std::vector<Command> RegisteredCommands();

}  // namespace cotrack::tools

// In a cmd_*.cc:  COTRACK_REGISTER_COMMAND(kTrajectoryCommand);
#define COTRACK_REGISTER_COMMAND(cmd) \
  static const bool cotrack_registered_##cmd = ::cotrack::tools::RegisterCommand(cmd)

#endif  // COTRACK_TOOLS_COMMAND_H_

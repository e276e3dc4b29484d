// Every `cotrack` command lives in its own tools/cmd_*.cc and registers itself
// here, so adding a command never touches main.cc.
//
// A command is described by data - its name, help, how many arguments it
// takes and which flags - and runs in three steps, each its own function:
//
//   parse    the checked words -> a typed, validated request; a usage error
//            (exit 2) names the flag or argument, the bad value and what was
//            expected. Nothing is opened or read yet.
//   execute  the open database (or the paths it works on) and the request ->
//            a result; a failure is a runtime error (exit 1).
//   print    the result -> stdout (data) and stderr (messages).
//
// A new command, in tools/cmd_NAME.cc:
//
//   struct NameRequest { ... };
//   absl::StatusOr<NameRequest> ParseName(const ParsedArgs& args);
//   int RunName(const GlobalContext& ctx, const NameRequest& request) {
//     return RunOnDatabase(ctx, OpenMode::kRead, [&](Database& db) { ...execute... },
//                          [&](const Result& result) { ...print...; return 0; });
//   }
//   const Command kNameCommand = MakeCommand(
//       {"name", "one line for cotrack --help", "full usage text", Arity::Exactly(1, "CODE"),
//        {{"format"}, {"derived", FlagSpec::kBool}}},
//       ParseName, RunName);
//   COTRACK_REGISTER_COMMAND(kNameCommand);
//
// and its flags and options in the usage text (tests/tools checks that every
// flag is documented), docs and an e2e test in tests/e2e/cli_test.cc.
#ifndef COTRACK_TOOLS_COMMAND_H_
#define COTRACK_TOOLS_COMMAND_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/database.h"
#include "flags.h"
#include "global_flags.h"

namespace cotrack::tools {

// How many positional arguments a command takes, and what its usage error
// says otherwise.
struct Arity {
  size_t min = 0;
  size_t max = 0;
  // The error for a wrong count is "expected " + this: "expected PATIENT MEASURE".
  std::string expected;
  // When set, too many arguments is instead `unexpected argument "X" (HINT)`.
  std::string unexpected_hint;

  // None: "expected no arguments", or with a hint the `unexpected argument` form.
  static Arity None(std::string hint = "");
  static Arity Exactly(size_t n, std::string expected);
  static Arity Between(size_t min, size_t max, std::string expected);
  static Arity AtLeast(size_t min, std::string expected);

  // OK, or InvalidArgument with the usage error for `positionals`.
  absl::Status Check(const std::vector<std::string>& positionals) const;
};

// What the registry knows about a command, as data: `cotrack --help`,
// `cotrack NAME --help` and the usage errors of arity and flags all come
// from it.
struct CommandSpec {
  const char* name;     // e.g. "trajectory", or "measure add" for a subcommand
  const char* summary;  // one line for `cotrack --help`
  const char* usage;    // full text for `cotrack NAME --help`
  Arity arity;
  std::vector<FlagSpec> flags;  // the flags it accepts, besides --help and the global ones
};

struct Command : CommandSpec {
  // Parses the words, already checked against `arity` and `flags`, into the
  // command's request and runs it (see MakeCommand). Returns the exit status:
  // 0 success, 1 a runtime error (message already on stderr), 2 bad usage.
  std::function<int(const GlobalContext& ctx, const ParsedArgs& args)> run;
};

// `args` (the words after the command's name) checked against the command's
// flags and arity. InvalidArgument with the usage error, e.g. `unknown flag
// "--form" (did you mean --from?)` or "expected PATIENT MEASURE".
absl::StatusOr<ParsedArgs> ParseCommandArgs(const CommandSpec& command,
                                            const std::vector<std::string>& args);

// Runs `command` on the words after its name; a usage error is printed (see
// UsageError). Returns the exit status.
int RunCommand(const Command& command, const GlobalContext& ctx,
               const std::vector<std::string>& args);

template <typename Request>
using ParseFn = absl::StatusOr<Request> (*)(const ParsedArgs& args);
// For the few commands whose flags interact with the global ones (export's
// --key-file).
template <typename Request>
using ParseInContextFn = absl::StatusOr<Request> (*)(const ParsedArgs& args,
                                                     const GlobalContext& ctx);
template <typename Request>
using RunFn = int (*)(const GlobalContext& ctx, const Request& request);

// A command whose `parse` turns the words into a Request (its errors are
// usage errors: InvalidArgument, the message shown as it is) and whose `run`
// executes it and prints the result.
template <typename Request>
Command MakeCommand(CommandSpec spec, ParseFn<Request> parse, RunFn<Request> run) {
  Command command;
  static_cast<CommandSpec&>(command) = std::move(spec);
  const char* name = command.name;
  command.run = [name, parse, run](const GlobalContext& ctx, const ParsedArgs& args) {
    absl::StatusOr<Request> request = parse(args);
    if (!request.ok()) return UsageError(name, request.status().message());
    return run(ctx, *request);
  };
  return command;
}

template <typename Request>
Command MakeCommand(CommandSpec spec, ParseInContextFn<Request> parse, RunFn<Request> run) {
  Command command;
  static_cast<CommandSpec&>(command) = std::move(spec);
  const char* name = command.name;
  command.run = [name, parse, run](const GlobalContext& ctx, const ParsedArgs& args) {
    absl::StatusOr<Request> request = parse(args, ctx);
    if (!request.ok()) return UsageError(name, request.status().message());
    return run(ctx, *request);
  };
  return command;
}

// The execute and print steps of a command that works on the database of
// `ctx`: opens it in `mode`, runs `execute` (Database& -> absl::StatusOr<R>)
// and hands the result to `print` (const R& -> exit status). A database that
// does not open or an execution error is printed as a runtime error (1).
template <typename Execute, typename Print>
int RunOnDatabase(const GlobalContext& ctx, OpenMode mode, Execute&& execute, Print&& print) {
  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(ctx, mode);
  if (!db.ok()) return RuntimeError(db.status());
  auto result = execute(**db);
  if (!result.ok()) return RuntimeError(result.status());
  return print(*result);
}

// Registers a command at static-initialisation time; returns true.
bool RegisterCommand(const Command& command);

// All registered commands, ordered by name.
std::vector<Command> RegisteredCommands();

// The registered command called `name` ("measure add"), or null.
const Command* FindCommand(absl::string_view name);

}  // namespace cotrack::tools

// In a cmd_*.cc:  COTRACK_REGISTER_COMMAND(kTrajectoryCommand);
#define COTRACK_REGISTER_COMMAND(cmd) \
  static const bool cotrack_registered_##cmd = ::cotrack::tools::RegisterCommand(cmd)

#endif  // COTRACK_TOOLS_COMMAND_H_

// `cotrack retract PATIENT MEASURE DATE --reason TEXT`
#include <cstdio>

#include "command.h"
#include "flags.h"
#include "output.h"

namespace cotrack::tools {
namespace {

constexpr char kName[] = "retract";

struct RetractRequest {
  std::string patient;
  std::string measure;
  CivilTime date;
  std::string reason;
  bool sync = true;
};

absl::StatusOr<RetractRequest> ParseRetractRequest(const ParsedArgs& args) {
  RetractRequest request;
  request.patient = args.positionals()[0];
  request.measure = args.positionals()[1];
  absl::StatusOr<CivilTime> date = ParseDateArg("DATE", args.positionals()[2]);
  if (!date.ok()) return date.status();
  request.date = *date;
  request.reason = args.Get("reason").value_or("");
  // The audit trail must say why a value was withdrawn.
  if (request.reason.find_first_not_of(" \t") == std::string::npos) {
    return absl::InvalidArgumentError(
        "--reason TEXT is required (why the value is entered-in-error)");
  }
  request.sync = !args.Has("no-sync");
  return request;
}

absl::StatusOr<WriteSummary> Execute(Database& db, const RetractRequest& request,
                                     const Provenance& provenance) {
  WriteOptions options;
  options.sync = request.sync;
  absl::StatusOr<WriteSummary> done =
      db.Retract(request.patient, request.measure, request.date, provenance, options);
  // "Nothing to retract" most often means a mistyped patient: say which.
  if (absl::IsNotFound(done.status())) {
    if (absl::Status known = CheckPatientExists(db, request.patient); !known.ok()) return known;
  }
  return done;
}

int Run(const GlobalContext& ctx, const RetractRequest& request) {
  return RunOnDatabase(
      ctx, OpenMode::kWrite,
      [&](Database& db) { return Execute(db, request, CliProvenance(ctx, request.reason)); },
      [&](const WriteSummary&) {
        std::fprintf(stderr,
                     "retracted %s %s %s: now entered-in-error (history keeps every version)\n",
                     request.patient.c_str(), request.measure.c_str(),
                     FormatCivilTime(request.date).c_str());
        return 0;
      });
}

const Command kRetractCommand =
    MakeCommand({kName,
                 "Mark a value entered-in-error (nothing is deleted)",
                 R"(Usage: cotrack retract PATIENT MEASURE DATE --reason TEXT

Marks the current version of the observation (PATIENT, MEASURE, DATE) as
entered-in-error. It leaves trajectories, latest values and visits, and stays
visible in `cotrack history` with who retracted it, when and why.

Options:
  --reason TEXT   why the value is wrong (required; kept in the audit trail)
  --no-sync       do not wait for the write to reach the disk (faster; a
                  power loss may lose it)
)",
                 Arity::Exactly(3, "PATIENT MEASURE DATE"),
                 {{"reason"}, {"no-sync", FlagSpec::kBool}}},
                ParseRetractRequest, Run);
COTRACK_REGISTER_COMMAND(kRetractCommand);

}  // namespace
}  // namespace cotrack::tools

// The message codec of cotrack's local RPC protocol: the process holding the
// database serves other processes over a Unix domain socket, one frame per
// message (framing: rpc/channel.h). This file turns requests and
// responses into frame payloads and back.
//
// Layout: a request is the op byte followed by the fields its op uses (listed
// per field below), in the order they are declared; a response is its status
// (code byte, message) followed, when OK, by the fields of the request's op.
// Integers are little-endian fixed width; doubles are their IEEE bits (NaN
// payloads and -0.0 survive); bools and enums are one byte, validated;
// strings are a u32 length and the bytes; vectors and maps a u32 count and
// the elements (map keys strictly ascending); optionals a presence byte and
// the value. Nested structs encode every field in declaration order.
//
// The encoding is canonical: a payload decodes only when encoding what it
// decodes to gives the same bytes back.
//
// Every payload is untrusted: decoding never crashes, never allocates for a
// length or count the remaining bytes cannot hold, and fails with
// InvalidArgument "malformed request: ..." / "malformed response: ...",
// naming the field and its byte offset.
#ifndef COTRACK_RPC_WIRE_H_
#define COTRACK_RPC_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cotrack/civil_time.h"
#include "cotrack/database.h"
#include "cotrack/export.h"
#include "cotrack/maintenance.h"
#include "cotrack/options.h"
#include "cotrack/types.h"

namespace cotrack::rpc {

// Raised whenever an encoding changes, so that processes of two cotrack
// versions on one database are told so at hello instead of misreading each
// other's frames. 2: WriteOptions::repeats (import --duplicates). 3: measure
// edit and history (kEditMeasure, kMeasureHistory) and the database's time zone
// (kGetTimeZone, kSetTimeZone).
constexpr uint32_t kProtocolVersion = 3;
// Largest payload either side accepts (a frame header bigger is an error).
constexpr size_t kMaxPayloadBytes = 64u << 20;

enum class Op : uint8_t {
  kHello = 1,
  kApply,
  kRegisterMeasure,
  kBulkBegin,
  kBulkAdd,
  kBulkCommit,
  kBulkAbort,
  kTrajectory,
  kLatest,
  kLatestAll,
  kVisit,
  kHistory,
  kGetPatient,
  kPatientHistory,
  kListPatients,
  kGetMeasure,
  kListMeasures,
  kForEachSeries,
  kAuditLog,
  kCompact,
  kSnapshotBegin,
  kSnapshotEnd,
  kCheck,
  kBackup,
  kDump,
  kEditMeasure,
  kMeasureHistory,
  kGetTimeZone,
  kSetTimeZone,
};
// The highest op this build knows; ops are 1..kLastOp.
constexpr Op kLastOp = Op::kSetTimeZone;

// "hello", "apply", "register-measure", ... for messages; "unknown" for a
// value outside the enum.
const char* OpName(Op op);

// True for the ops whose response is a stream of frames (kForEachSeries,
// kDump): see Response::more.
bool IsStreamingOp(Op op);

// Identifies one write of one client so that a write whose reply was lost
// (server died) can be retried exactly once. client == 0: no tag.
struct WriteTag {
  uint64_t client = 0;
  uint64_t sequence = 0;
  bool retry = false;
};

// One request. Only the fields the op uses are encoded (listed per field);
// decoding leaves the others at their defaults.
struct Request {
  Op op = Op::kHello;
  // kHello
  uint32_t protocol = kProtocolVersion;
  std::string user;             // client's default provenance user
  std::string key_fingerprint;  // hex digest of the encryption key, "" for none
  int64_t pid = 0;
  bool read_only = false;
  // reads: 0 = latest data, else an id from kSnapshotBegin.
  // Used by kTrajectory kLatest kLatestAll kVisit kHistory kGetPatient kPatientHistory
  // kListPatients kForEachSeries kAuditLog kSnapshotEnd
  uint64_t snapshot = 0;
  std::string
      patient;  // kTrajectory kLatest kLatestAll kVisit kHistory kGetPatient kPatientHistory
  std::string measure;  // kTrajectory kLatest kHistory kGetMeasure kForEachSeries
  TimeRange range;      // kTrajectory
  // kLatest, kLatestAll (as-of, optional); kVisit, kHistory (must be set:
  // decoding fails when absent).
  std::optional<CivilTime> time;
  int32_t n = 1;                             // kLatest
  std::optional<std::string> audit_patient;  // kAuditLog
  // writes
  Batch batch;                             // kApply, kBulkAdd (rebuilt with Batch's mutators)
  WriteOptions write_options;              // kApply kRegisterMeasure kBulkBegin
  WriteTag tag;                            // kApply kRegisterMeasure kBulkCommit kSetTimeZone
  MeasureDefinition measure_def;           // kRegisterMeasure kEditMeasure
  Provenance provenance;                   // kRegisterMeasure kEditMeasure kSetTimeZone
  std::string time_zone;                   // kSetTimeZone
  bool force = false;                      // kSetTimeZone
  std::string audit_action, audit_detail;  // kBulkBegin
  bool collect_rejections = false;         // kBulkAdd kBulkCommit
};

// One response (or, for streams, one frame of it).
struct Response {
  absl::Status status;     // always encoded (code + message); other fields only when ok, per op
  int64_t server_pid = 0;  // kHello
  bool server_read_only = false;      // kHello
  WriteSummary summary;               // kApply kBulkCommit
  std::vector<Rejection> rejections;  // kBulkAdd kBulkCommit
  // kTrajectory kLatest kLatestAll kVisit kHistory; kForEachSeries (one
  // patient's trajectory per frame)
  std::vector<Observation> observations;
  Patient patient;                          // kGetPatient; kForEachSeries (per frame)
  std::vector<Patient> patients;            // kPatientHistory kListPatients
  MeasureDefinition measure;                // kGetMeasure
  std::vector<MeasureDefinition> measures;  // kListMeasures
  std::vector<AuditRecord> audit;           // kAuditLog
  uint64_t snapshot = 0;                    // kSnapshotBegin
  CheckReport check;                        // kCheck
  BackupInfo backup;                        // kBackup
  DumpSummary dump;                         // kDump (sent in the last frame)
  std::string chunk;                        // kDump: a piece of the dump text (per frame)
  std::string time_zone;                    // kGetTimeZone
  // Streams (kForEachSeries, kDump): true on every frame but the last, which
  // carries the final status (and, for kDump, the summary); the per-frame
  // fields are encoded only when more == true. Not encoded for other ops, nor
  // when the status is an error (an error ends the stream).
  bool more = false;
};

std::string EncodeRequest(const Request& r);
absl::StatusOr<Request> DecodeRequest(absl::string_view payload);
// The response's layout depends on the request's op.
std::string EncodeResponse(Op op, const Response& r);
absl::StatusOr<Response> DecodeResponse(Op op, absl::string_view payload);

}  // namespace cotrack::rpc

#endif  // COTRACK_RPC_WIRE_H_

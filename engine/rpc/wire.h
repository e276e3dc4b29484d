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
// (kGetTimeZone, kSetTimeZone). 4: the lean cohort scan (kScanSeries).
constexpr uint32_t kProtocolVersion = 4;
// The oldest protocol this build still speaks. Protocols from this one to
// kProtocolVersion differ only by the ops each added (OpSince), never by the
// encoding of an op they share, so a server accepts a hello of any of them
// and a client offers them newest first (serve/client.cc): a client and a
// server of neighbouring cotrack versions talk in the older one's protocol.
// Raise it to kProtocolVersion when an existing op's encoding changes.
constexpr uint32_t kMinProtocolVersion = 3;
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
  kScanSeries,
};
// The highest op this build knows; ops are 1..kLastOp.
constexpr Op kLastOp = Op::kScanSeries;

// The protocol version that introduced `op`: a session that said hello with
// an older one neither sends nor accepts it.
uint32_t OpSince(Op op);

// The newest protocol this process speaks: kProtocolVersion, unless a test
// made it speak as an older cotrack (SetNewestProtocolForTesting), both as a
// client (the newest it offers) and as a server (the newest it accepts).
uint32_t NewestProtocol();
// Tests only: `version` in [kMinProtocolVersion, kProtocolVersion], or 0 to
// go back to kProtocolVersion.
void SetNewestProtocolForTesting(uint32_t version);

// "hello", "apply", "register-measure", ... for messages; "unknown" for a
// value outside the enum.
const char* OpName(Op op);

// True for the ops whose response is a stream of frames (kForEachSeries,
// kScanSeries, kDump): see Response::more.
bool IsStreamingOp(Op op);

// Identifies one write of one client so that a write whose reply was lost
// (server died) can be retried exactly once. client == 0: no tag.
struct WriteTag {
  uint64_t client = 0;
  uint64_t sequence = 0;
  bool retry = false;
};

// One frame of a lean cohort scan (kScanSeries): consecutive patients of
// one part of the scan (Reader::ScanSeries), in scan order, each with its
// values. On the wire: part (i32, >= 0); the patient count; per patient its
// id, arm, index date (optional), attribute (optional string) and value
// count, then its values, 18 bytes each: time (i64 seconds, precision
// byte), value (IEEE bits), comparator byte.
struct SeriesFrame {
  int32_t part = 0;
  std::vector<SeriesPatient> patients;
  // The values of patients[i] are values[i == 0 ? 0 : ends[i - 1], ends[i]).
  std::vector<uint32_t> ends;
  std::vector<SeriesValue> values;
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
  // kListPatients kForEachSeries kScanSeries kAuditLog kSnapshotEnd
  uint64_t snapshot = 0;
  std::string
      patient;  // kTrajectory kLatest kLatestAll kVisit kHistory kGetPatient kPatientHistory
  std::string measure;  // kTrajectory kLatest kHistory kGetMeasure kForEachSeries kScanSeries
  // kScanSeries: attribute (string), parts (i32), min_patients_per_part (i64).
  Reader::SeriesScanOptions scan;
  TimeRange range;  // kTrajectory
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
  SeriesFrame series;                       // kScanSeries (per frame)
  // Streams (kForEachSeries, kScanSeries, kDump): true on every frame but the last, which
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

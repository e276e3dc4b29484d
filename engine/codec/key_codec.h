// Key layout. Every key is fixed-width big-endian so that byte order is
// numeric order; signed values have their sign bit flipped so that negative
// numbers (dates before 1970) sort before positive ones.
//
//   column family  key                               value
//   default        "format_version"                  u32 BE
//                  "next_patient_num", "next_measure_id" u32 BE
//                  "next_audit_seq"                  u64 BE
//                  "end/" u32 BE patient             (u32 BE measure, i64 BE latest time
//                                                    in its series)... by measure
//                  "rcpt/" u64 BE client             u64 BE sequence, i64 BE time (us),
//                                                    5 x i64 BE write summary: the last
//                                                    write of a client of another process
//   patient_ids    patient id bytes (UTF-8)          u32 BE patient number
//   patients       u32 BE patient number             record log of PatientVersion
//   measures       u32 BE measure id                 record log of MeasureDef (user measures)
//   series         u32 BE measure id | u32 BE patient  record log of ObservationVersion
//   audit          u64 BE sequence                   record log of one AuditEntry
//
// A (measure, patient) series is one key: a trajectory is one point lookup,
// and a cohort scan of one measure is one contiguous range, in patient order
// (the same order as the patients family, so the two merge-join in a pass).
// Within a series value, versions are ordered by (time, version); see
// value_codec.h.
#ifndef COTRACK_CODEC_KEY_CODEC_H_
#define COTRACK_CODEC_KEY_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace cotrack::keys {

constexpr size_t kSeriesKeySize = 8;

// Keys of the default (meta) family.
inline constexpr char kFormatVersionKey[] = "format_version";     // u32
inline constexpr char kNextPatientNumKey[] = "next_patient_num";  // u32
inline constexpr char kNextMeasureIdKey[] = "next_measure_id";    // u32
inline constexpr char kNextAuditSeqKey[] = "next_audit_seq";      // u64
// The database's IANA time zone name (cotrack/time_zone.h); absent: none.
inline constexpr char kTimeZoneKey[] = "time_zone";

// A meta value: `v` big-endian in `width` (4 or 8) bytes.
std::string EncodeCounter(uint64_t v, size_t width);

void AppendU32(std::string* out, uint32_t v);
void AppendU64(std::string* out, uint64_t v);
// Sign bit flipped: INT64_MIN encodes as all zero bytes, -1 < 0 < 1.
void AppendI64(std::string* out, int64_t v);

// The caller guarantees `in` holds at least 4 / 8 bytes.
uint32_t DecodeU32(absl::string_view in);
uint64_t DecodeU64(absl::string_view in);
int64_t DecodeI64(absl::string_view in);

std::string SeriesKey(uint32_t measure_id, uint32_t patient_num);
// The meta key of a patient's series ends: for each measure listed, no
// version of that series is at a later time, so a write at later times alone
// needs no read of the series. A measure not listed (a series written before
// these keys existed) is read, and listed by its next write. One key per
// patient: a visit reads and writes one, and the keys an import writes do
// not overlap those of earlier files. Sorts before every counter key.
std::string SeriesEndsKey(uint32_t patient_num);
// Every series-ends key is in [kSeriesEndsBegin, kSeriesEndsEnd).
inline constexpr char kSeriesEndsBegin[] = "end/";
inline constexpr char kSeriesEndsEnd[] = "end0";
// false when `key` is not a well-formed series-ends key.
bool ParseSeriesEndsKey(absl::string_view key, uint32_t* patient_num);
// The meta key of a client's receipt (db/database_impl.h, WriteContext).
// Sorts after every counter key.
std::string ReceiptKey(uint64_t client);
inline constexpr char kReceiptsBegin[] = "rcpt/";
inline constexpr char kReceiptsEnd[] = "rcpt0";
// The 4-byte prefix shared by every series of one measure.
std::string MeasurePrefix(uint32_t measure_id);
// false when `key` is not a well-formed series key.
bool ParseSeriesKey(absl::string_view key, uint32_t* measure_id, uint32_t* patient_num);

std::string PatientKey(uint32_t patient_num);
std::string MeasureKey(uint32_t measure_id);
std::string AuditKey(uint64_t sequence);

// Sort key of one stored version inside a series value: (time, version).
std::string VersionSortKey(int64_t time, uint32_t version);

}  // namespace cotrack::keys

#endif  // COTRACK_CODEC_KEY_CODEC_H_

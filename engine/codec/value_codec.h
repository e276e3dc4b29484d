// Value encoding. Every stored value is a *record log*: a sequence of
// records, each
//
//   u32 LE length N | N bytes: a FlatBuffer (schema/*.fbs) | u32 LE masked CRC-32C of those N bytes
//
// A series, a patient or a user measure is one key whose value is the log of
// all its versions; a new version is appended (RocksDB merge), never written
// over an old one. Every record is CRC-checked and FlatBuffers-verified when
// read; damage is DataLoss, never data.
//
// This is the only place that includes the generated FlatBuffers headers.
#ifndef COTRACK_CODEC_VALUE_CODEC_H_
#define COTRACK_CODEC_VALUE_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "codec/catalog_entry.h"
#include "cotrack/types.h"

namespace cotrack::codec {

// Splits a record log into its records' FlatBuffer bytes, checking lengths and
// CRCs. DataLoss names `what` (e.g. the key) and the byte offset of damage.
absl::Status SplitRecords(absl::string_view log, absl::string_view what,
                          std::vector<absl::string_view>* records);

// Frames one FlatBuffer as a record and appends it to `log`.
void AppendRecord(std::string* log, absl::string_view flatbuffer);

// ---- Observations (series logs). ----

// Appends `versions` (of one series) to `log` as framed ObservationChunk
// records, one per run of versions sharing recorded time and provenance
// (source, user, reason). patient, measure and unit are not stored: the key
// and the catalog hold them.
void AppendObservations(std::string* log, absl::Span<const Observation> versions);
// The same for versions held elsewhere.
void AppendObservations(std::string* log, absl::Span<const Observation* const> versions);

// A verified series log whose entries are read in place: parsing checks every
// frame, CRC and FlatBuffer and indexes the entries; only the entries a query
// returns are copied out. A view may be reused for many logs: its buffers
// keep their capacity, so a hot read path parses without allocating.
class ObservationLogView {
 public:
  struct Entry {
    int64_t time;
    uint32_t version;
    ObservationStatus status;
    uint32_t chunk;  // which record
    uint32_t index;  // which entry in it
  };

  // DataLoss (naming `what`) on any damage. `log` must outlive the view.
  absl::Status Parse(absl::string_view log, absl::string_view what);
  // In log order (write order), not necessarily by time.
  const std::vector<Entry>& entries() const { return entries_; }
  // The same entries, for a caller that orders or filters them in place
  // (Materialize takes any entry of the last Parse, in any order).
  std::vector<Entry>* mutable_entries() { return &entries_; }
  // Copies every stored field of `e` into `out`; patient, measure and unit
  // are left as they were.
  void Materialize(const Entry& e, Observation* out) const;
  // Copies only the fields that differ between entries of one chunk (all
  // but recorded time and provenance source, user and reason), for an `out`
  // that already holds another entry of e's chunk: a run of entries is then
  // a copy of the previous one plus a few fields, not a dozen string copies.
  void MaterializeEntryFields(const Entry& e, Observation* out) const;
  // Copies only time, value and comparator of `e`: what cohort scans use.
  void MaterializeValue(const Entry& e, SeriesValue* out) const;
  // Drops buffers grown past a few thousand entries, so that a long-lived
  // view does not hold on to the largest log it ever read.
  void ShrinkIfLarge();

 private:
  // The columns of one verified chunk (an ObservationChunk FlatBuffer),
  // resolved once at Parse so that Materialize reads them without FlatBuffers
  // vtable lookups. Optional columns are nullptr when absent.
  struct Chunk {
    const int64_t* time;
    const uint32_t* version;
    const double* value;
    const uint8_t* flags;
    const uint32_t* line;
    const char* original_text;
    const uint32_t* original_end;
    const char* visit_text;
    const uint32_t* visit_end;
    const uint8_t* unit_index;
    const uint8_t* units;  // a verified vector of string offsets
    const double* items;
    const uint32_t* item_end;
    absl::string_view source, user, reason;
    int64_t recorded_at;
    // Packed chunks (format 2): the text of entry i is made from
    // text_mantissa[i] and text_form[i] unless text_form[i] is kLiteralText.
    // nullptr for format 1's columns.
    const int64_t* text_mantissa;
    const uint8_t* text_form;
    // Where a packed chunk's columns start in packed_ (pointers are set when
    // the whole log is parsed: the arenas grow until then).
    bool packed;
    bool packed_lines, packed_visits;
    size_t packed_base, packed_text_base, packed_visit_base;
  };

  // The columns of every packed chunk of the last Parse, decoded.
  struct PackedColumns {
    std::vector<int64_t> time, mantissa;
    std::vector<double> value;
    std::vector<uint8_t> flags, form;
    std::vector<uint32_t> line, original_end, visit_end;
    std::vector<char> original_text, visit_text;
    void Clear();
  };

  // Decodes a packed chunk's entries (ObservationChunk.packed) into packed_
  // and entries_; false on anything a packed chunk cannot hold.
  bool Unpack(const uint8_t* p, const uint8_t* end, uint32_t chunk, uint32_t* count);

  std::vector<Chunk> chunks_;
  std::vector<Entry> entries_;
  std::vector<std::vector<uint64_t>> aligned_copies_;
  PackedColumns packed_;
};

// True when two versions say the same thing (value, comparator, items,
// original value and unit, visit, status, precision): re-recording it is a
// no-op. Version, recorded time and provenance do not count.
bool SameContent(const Observation& a, const Observation& b);

// ---- Patients, measures, audit. ----

std::string EncodePatient(const Patient& p);
absl::Status DecodePatient(absl::string_view record, Patient* p);
// Only id, arm, index date and the attribute `attribute` (unset when the
// patient has none, or `attribute` is empty), for cohort scans; the record is
// verified as DecodePatient verifies it.
absl::Status DecodeSeriesPatient(absl::string_view record, absl::string_view attribute,
                                 SeriesPatient* p);

std::string EncodeMeasure(uint32_t id, const MeasureDefinition& m);
absl::Status DecodeMeasure(absl::string_view record, CatalogEntry* entry);
// The compiled-in catalog: a MeasureCatalog FlatBuffer (not a record log).
absl::StatusOr<std::vector<CatalogEntry>> DecodeCatalog(const uint8_t* data, size_t size);

std::string EncodeAudit(const AuditRecord& a);
absl::Status DecodeAudit(absl::string_view record, AuditRecord* a);

}  // namespace cotrack::codec

#endif  // COTRACK_CODEC_VALUE_CODEC_H_

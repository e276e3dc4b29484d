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
  // view does not hold on to the largest log it ever read. Call it after
  // the last Materialize of a Parse: it may drop what they read.
  void ShrinkIfLarge();
  //
  // Parse verifies every byte of the log but copies nothing out of a packed
  // (format 2) chunk: Materialize* decode an entry's value, text and visit
  // from the log's bytes when asked, re-reading only bytes Parse checked
  // (and checking bounds again). A packed chunk's visit labels (each may
  // start with its predecessor's bytes) are decoded all at once on the
  // second Materialize that needs one (the first finds its own alone) and
  // kept until the next Parse, so Materialize* fill a cache: one view is
  // for one thread at a time.

 private:
  // The columns of one verified chunk (an ObservationChunk FlatBuffer),
  // resolved once at Parse so that Materialize reads them without FlatBuffers
  // vtable lookups. Optional columns are nullptr when absent.
  struct Chunk {
    // Format 1's columns; time, value, flags, line, texts are nullptr for a
    // packed chunk.
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
    // Packed chunks (format 2): ObservationChunk.packed, verified by Parse.
    bool packed;
    bool packed_lines, packed_visits, one_scale, unsigned_m;
    uint8_t shared_scale;
    const uint8_t* packed_data;
    const uint8_t* packed_end;
    uint32_t packed_count;
    // The chunk's entries in packed_entries_ start here.
    size_t packed_base;
    // Bytes of all the chunk's visit labels together.
    uint64_t visit_bytes;
    // Where the chunk's decoded visit labels start in visit_ends_;
    // kNotDecoded until a Materialize needs a label, kOneDecoded after the
    // first (found on its own, which a point read needs alone).
    mutable size_t visit_base;
  };

  // What Parse keeps of a packed entry: where its value is, and what it
  // needed to decode to check the entry anyway.
  struct PackedEntry {
    uint32_t value_at;   // offset of the value field in the packed bytes
    uint32_t line;       // 0 when the chunk has no lines
    uint8_t head;        // bits 0-5 flags, 6 decimal, 7 text starts with the sign
    uint8_t visit_at;    // the visit field is this many bytes past the value
                         // field; kFarVisit: further (found by decoding)
    uint8_t from_first;  // the visit label's first from_first bytes are
                         // the chunk's first label's
  };
  static constexpr uint8_t kFarVisit = 0xff;
  static constexpr size_t kNotDecoded = ~size_t{0};
  static constexpr size_t kOneDecoded = ~size_t{0} - 1;

  // Checks a packed chunk's entries (ObservationChunk.packed) and appends
  // them to entries_ and packed_entries_; false on anything a packed chunk
  // cannot hold.
  bool Unpack(uint32_t chunk, uint32_t* count);
  // The value and (when `text` is not nullptr) the text as entered of a
  // packed entry.
  void PackedValue(const Chunk& c, const PackedEntry& pe, double* value, std::string* text) const;
  // The visit label of entry i of packed chunk c: the first label asked of
  // a chunk is found on its own, walking back through the labels it shares
  // a start with; the second decodes all the chunk's labels.
  absl::string_view PackedVisit(const Chunk& c, uint32_t i) const;
  // Where entry j's visit field is: its shared-start length, own bytes and
  // their count; false if it is not there (Parse refuses such a record).
  bool PackedVisitField(const Chunk& c, uint32_t j, uint64_t* shared, const uint8_t** rest,
                        uint64_t* rest_n) const;

  std::vector<Chunk> chunks_;
  std::vector<Entry> entries_;
  std::vector<std::vector<uint64_t>> aligned_copies_;
  std::vector<PackedEntry> packed_entries_;
  // Visit labels of packed chunks, decoded on first need: label j of a
  // chunk with visit_base b is visit_text_[visit_ends_[b + j] ..
  // visit_ends_[b + j + 1]) (a chunk's run starts with its start offset).
  mutable std::vector<size_t> visit_ends_;
  mutable std::vector<char> visit_text_;
  mutable std::string visit_scratch_;  // the label found on its own
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

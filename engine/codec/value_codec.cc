#include "codec/value_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "codec/crc32c.h"
#include "cotrack/fb/audit_generated.h"
#include "cotrack/fb/catalog_generated.h"
#include "cotrack/fb/measure_generated.h"
#include "cotrack/fb/observation_generated.h"
#include "cotrack/fb/patient_generated.h"
#include "flatbuffers/flatbuffers.h"

namespace cotrack::codec {
namespace {

// Frame header: u32 length, u32 masked CRC. Payloads are padded to 8 bytes so
// that, in an 8-aligned log, every FlatBuffer starts 8-aligned.
constexpr size_t kHeader = 8;

uint32_t LoadLE32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | (uint32_t{u[1]} << 8) | (uint32_t{u[2]} << 16) | (uint32_t{u[3]} << 24);
}

void StoreLE32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  out->append(b, 4);
}

size_t Padded(size_t n) { return (n + 7) & ~size_t{7}; }

// "WHAT: " in messages, or nothing for an empty name. Called on errors only.
std::string Named(absl::string_view what) {
  return what.empty() ? std::string() : absl::StrCat(what, ": ");
}

// FlatBuffers reads scalars in place, so a record that sits at a misaligned
// address (block cache data has no alignment promise) is copied first.
class Aligned {
 public:
  explicit Aligned(absl::string_view record) {
    if (reinterpret_cast<uintptr_t>(record.data()) % 8 == 0) {
      data_ = reinterpret_cast<const uint8_t*>(record.data());
    } else {
      copy_.resize((record.size() + 7) / 8);
      std::memcpy(copy_.data(), record.data(), record.size());
      data_ = reinterpret_cast<const uint8_t*>(copy_.data());
    }
    size_ = record.size();
  }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_;
  size_t size_;
  std::vector<uint64_t> copy_;
};

absl::Status Damaged(absl::string_view kind) {
  return absl::DataLossError(
      absl::StrCat("stored ", kind, " record failed FlatBuffers verification (damaged data)"));
}

std::string Str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

// FlatBuffers 2.0.8's verifier checks a vector's length prefix, not that its
// 8-byte elements are 8-aligned; a crafted record (with a valid CRC) could
// otherwise make us read misaligned doubles (found by fuzz_record_decoder).
template <typename T>
bool ElementsAligned(const flatbuffers::Vector<T>* v) {
  return v == nullptr || reinterpret_cast<uintptr_t>(v->Data()) % alignof(T) == 0;
}

std::string Finish(flatbuffers::FlatBufferBuilder& b) {
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

flatbuffers::Offset<fb::Provenance> BuildProvenance(flatbuffers::FlatBufferBuilder& b,
                                                    const Provenance& p) {
  return fb::CreateProvenanceDirect(b, p.source.c_str(), p.line, p.user.c_str(),
                                    p.reason.empty() ? nullptr : p.reason.c_str());
}

void ReadProvenance(const fb::Provenance* p, Provenance* out) {
  if (p == nullptr) return;
  out->source = Str(p->source());
  out->line = p->line();
  out->user = Str(p->user());
  out->reason = Str(p->reason());
}

template <typename T>
const T* Verified(const Aligned& a) {
  flatbuffers::Verifier v(a.data(), a.size(), /*max_depth=*/16, /*max_tables=*/100000);
  if (!v.VerifyBuffer<T>(nullptr)) return nullptr;
  return flatbuffers::GetRoot<T>(a.data());
}

}  // namespace

absl::Status SplitRecords(absl::string_view log, absl::string_view what,
                          std::vector<absl::string_view>* records) {
  // Messages read "WHAT: problem", or just the problem when the caller names
  // the record itself (hot paths build that name only on error).
  records->clear();
  size_t pos = 0;
  while (pos < log.size()) {
    if (log.size() - pos < kHeader) {
      return absl::DataLossError(
          absl::StrCat(Named(what), "truncated record header at byte ", pos, " (damaged data)"));
    }
    const uint32_t n = LoadLE32(log.data() + pos);
    const uint32_t crc = LoadLE32(log.data() + pos + 4);
    if (n == 0 || log.size() - pos - kHeader < Padded(n)) {
      return absl::DataLossError(
          absl::StrCat(Named(what), "bad record length ", n, " at byte ", pos, " (damaged data)"));
    }
    absl::string_view body = log.substr(pos + kHeader, n);
    if (crc32c::Mask(crc32c::Value(body.data(), body.size())) != crc) {
      return absl::DataLossError(absl::StrCat(Named(what), "checksum mismatch in record at byte ",
                                              pos, " (damaged data)"));
    }
    for (size_t i = pos + kHeader + n; i < pos + kHeader + Padded(n); ++i) {
      if (log[i] != '\0') {
        return absl::DataLossError(absl::StrCat(
            Named(what), "non-zero padding after record at byte ", pos, " (damaged data)"));
      }
    }
    records->push_back(body);
    pos += kHeader + Padded(n);
  }
  return absl::OkStatus();
}

void AppendRecord(std::string* log, absl::string_view flatbuffer) {
  StoreLE32(log, static_cast<uint32_t>(flatbuffer.size()));
  StoreLE32(log, crc32c::Mask(crc32c::Value(flatbuffer.data(), flatbuffer.size())));
  log->append(flatbuffer.data(), flatbuffer.size());
  log->append(Padded(flatbuffer.size()) - flatbuffer.size(), '\0');
}

namespace {

constexpr uint8_t kStatusMask = 0x03;
constexpr int kComparatorShift = 2;
constexpr uint8_t kComparatorMask = 0x07;
constexpr uint8_t kDateTimeBit = 0x20;

uint8_t Flags(const Observation& o) {
  return static_cast<uint8_t>(static_cast<uint8_t>(o.status) |
                              (static_cast<uint8_t>(o.comparator) << kComparatorShift) |
                              (o.time.precision == TimePrecision::kDateTime ? kDateTimeBit : 0));
}

bool SameChunk(const Observation& a, const Observation& b) {
  return a.recorded_at_us == b.recorded_at_us && a.provenance.source == b.provenance.source &&
         a.provenance.user == b.provenance.user && a.provenance.reason == b.provenance.reason;
}

// Encodes versions[begin, end), which share recorded time and provenance.
std::string EncodeChunk(absl::Span<const Observation> v, size_t begin, size_t end) {
  const size_t n = end - begin;
  std::vector<int64_t> time;
  std::vector<uint32_t> version, line, original_end, visit_end, item_end;
  std::vector<double> value, items;
  std::vector<uint8_t> flags, unit_index;
  std::vector<std::string> units;
  std::string original_text, visit_text;
  bool any_line = false, any_visit = false, any_unit = false, any_items = false;
  bool any_correction = false;
  time.reserve(n);
  version.reserve(n);
  value.reserve(n);
  flags.reserve(n);
  for (size_t i = begin; i < end; ++i) {
    const Observation& o = v[i];
    time.push_back(o.time.seconds);
    version.push_back(o.version);
    any_correction |= o.version != 1;
    value.push_back(o.value);
    flags.push_back(Flags(o));
    // Lines past 4 billion do not occur in files we can import; saturate.
    line.push_back(static_cast<uint32_t>(std::min<int64_t>(o.provenance.line, UINT32_MAX)));
    any_line |= o.provenance.line != 0;
    original_text += o.original_value;
    original_end.push_back(static_cast<uint32_t>(original_text.size()));
    visit_text += o.visit;
    visit_end.push_back(static_cast<uint32_t>(visit_text.size()));
    any_visit |= !o.visit.empty();
    uint8_t u = 0;
    if (!o.original_unit.empty()) {
      auto it = std::find(units.begin(), units.end(), o.original_unit);
      if (it == units.end()) it = units.insert(units.end(), o.original_unit);
      u = static_cast<uint8_t>(1 + (it - units.begin()));
      any_unit = true;
    }
    unit_index.push_back(u);
    items.insert(items.end(), o.items.begin(), o.items.end());
    item_end.push_back(static_cast<uint32_t>(items.size()));
    any_items |= !o.items.empty();
  }
  const Observation& first = v[begin];
  flatbuffers::FlatBufferBuilder b(64 + 40 * n + original_text.size() + visit_text.size());
  auto source = b.CreateString(first.provenance.source);
  auto user = b.CreateString(first.provenance.user);
  auto reason = first.provenance.reason.empty() ? 0 : b.CreateString(first.provenance.reason);
  auto time_v = b.CreateVector(time);
  auto version_v = any_correction ? b.CreateVector(version) : 0;
  auto value_v = b.CreateVector(value);
  auto flags_v = b.CreateVector(flags);
  auto line_v = any_line ? b.CreateVector(line) : 0;
  auto original_text_s = b.CreateString(original_text);
  auto original_end_v = b.CreateVector(original_end);
  auto visit_text_s = any_visit ? b.CreateString(visit_text) : 0;
  auto visit_end_v = any_visit ? b.CreateVector(visit_end) : 0;
  auto unit_index_v = any_unit ? b.CreateVector(unit_index) : 0;
  auto units_v = any_unit ? b.CreateVectorOfStrings(units) : 0;
  auto items_v = any_items ? b.CreateVector(items) : 0;
  auto item_end_v = any_items ? b.CreateVector(item_end) : 0;
  fb::ObservationChunkBuilder cb(b);
  cb.add_recorded_at(first.recorded_at_us);
  cb.add_source(source);
  cb.add_user(user);
  if (!first.provenance.reason.empty()) cb.add_reason(reason);
  cb.add_time(time_v);
  if (any_correction) cb.add_version(version_v);
  cb.add_value(value_v);
  cb.add_flags(flags_v);
  if (any_line) cb.add_line(line_v);
  cb.add_original_text(original_text_s);
  cb.add_original_end(original_end_v);
  if (any_visit) {
    cb.add_visit_text(visit_text_s);
    cb.add_visit_end(visit_end_v);
  }
  if (any_unit) {
    cb.add_unit_index(unit_index_v);
    cb.add_units(units_v);
  }
  if (any_items) {
    cb.add_items(items_v);
    cb.add_item_end(item_end_v);
  }
  b.Finish(cb.Finish());
  return Finish(b);
}

// Offsets into a concatenated text must rise and stay inside it.
template <typename V>
bool ValidEnds(const V* ends, size_t n, size_t limit) {
  if (ends == nullptr) return true;
  if (ends->size() != n) return false;
  uint32_t prev = 0;
  for (uint32_t e : *ends) {
    if (e < prev || e > limit) return false;
    prev = e;
  }
  return true;
}

// The chunk's vectors agree in length and every index points inside.
bool ConsistentChunk(const fb::ObservationChunk* c) {
  if (c->time() == nullptr || c->value() == nullptr || c->flags() == nullptr ||
      c->original_end() == nullptr) {
    return false;
  }
  if (!ElementsAligned(c->time()) || !ElementsAligned(c->value()) || !ElementsAligned(c->items())) {
    return false;
  }
  const size_t n = c->time()->size();
  if (c->value()->size() != n || c->flags()->size() != n) return false;
  if (c->version() != nullptr && c->version()->size() != n) return false;
  if (c->line() != nullptr && c->line()->size() != n) return false;
  const size_t text = c->original_text() ? c->original_text()->size() : 0;
  if (!ValidEnds(c->original_end(), n, text)) return false;
  if ((c->visit_end() == nullptr) != (c->visit_text() == nullptr)) return false;
  if (c->visit_text() && !ValidEnds(c->visit_end(), n, c->visit_text()->size())) return false;
  if ((c->item_end() == nullptr) != (c->items() == nullptr)) return false;
  if (c->items() && !ValidEnds(c->item_end(), n, c->items()->size())) return false;
  if ((c->unit_index() == nullptr) != (c->units() == nullptr)) return false;
  if (c->unit_index() != nullptr) {
    if (c->unit_index()->size() != n) return false;
    for (uint8_t u : *c->unit_index()) {
      if (u > c->units()->size()) return false;
    }
  }
  for (uint8_t f : *c->flags()) {
    if ((f & kStatusMask) > 2 || ((f >> kComparatorShift) & kComparatorMask) > 4 || (f & 0xc0)) {
      return false;
    }
  }
  return true;
}

absl::string_view Slice(const flatbuffers::String* text, const flatbuffers::Vector<uint32_t>* ends,
                        uint32_t i) {
  if (text == nullptr || ends == nullptr) return {};
  const uint32_t begin = i == 0 ? 0 : ends->Get(i - 1);
  return absl::string_view(text->data() + begin, ends->Get(i) - begin);
}

}  // namespace

void AppendObservations(std::string* log, absl::Span<const Observation> versions) {
  size_t begin = 0;
  for (size_t i = 1; i <= versions.size(); ++i) {
    if (i == versions.size() || !SameChunk(versions[begin], versions[i])) {
      AppendRecord(log, EncodeChunk(versions, begin, i));
      begin = i;
    }
  }
}

absl::Status ObservationLogView::Parse(absl::string_view log, absl::string_view what) {
  chunks_.clear();
  entries_.clear();
  aligned_copies_.clear();
  std::vector<absl::string_view> records;
  absl::Status s = SplitRecords(log, what, &records);
  if (!s.ok()) return s;
  chunks_.reserve(records.size());
  for (absl::string_view record : records) {
    const uint8_t* data = reinterpret_cast<const uint8_t*>(record.data());
    if (reinterpret_cast<uintptr_t>(data) % 8 != 0) {
      aligned_copies_.emplace_back((record.size() + 7) / 8);
      std::memcpy(aligned_copies_.back().data(), record.data(), record.size());
      data = reinterpret_cast<const uint8_t*>(aligned_copies_.back().data());
    }
    flatbuffers::Verifier v(data, record.size(), /*max_depth=*/8, /*max_tables=*/64);
    if (!v.VerifyBuffer<fb::ObservationChunk>(nullptr)) {
      return absl::DataLossError(absl::StrCat(
          Named(what), "stored observation record failed FlatBuffers verification (damaged data)"));
    }
    const auto* c = flatbuffers::GetRoot<fb::ObservationChunk>(data);
    if (!ConsistentChunk(c)) {
      return absl::DataLossError(
          absl::StrCat(Named(what), "stored observation record is inconsistent (damaged data)"));
    }
    const uint32_t chunk = static_cast<uint32_t>(chunks_.size());
    chunks_.push_back(c);
    const uint32_t n = c->time()->size();
    entries_.reserve(entries_.size() + n);
    for (uint32_t i = 0; i < n; ++i) {
      entries_.push_back(Entry{c->time()->Get(i), c->version() ? c->version()->Get(i) : 1u,
                               static_cast<ObservationStatus>(c->flags()->Get(i) & kStatusMask),
                               chunk, i});
    }
  }
  return absl::OkStatus();
}

void ObservationLogView::Materialize(const Entry& e, Observation* o) const {
  const auto* c = static_cast<const fb::ObservationChunk*>(chunks_[e.chunk]);
  const uint32_t i = e.index;
  const uint8_t f = c->flags()->Get(i);
  o->time.seconds = e.time;
  o->time.precision = (f & kDateTimeBit) ? TimePrecision::kDateTime : TimePrecision::kDate;
  o->version = e.version;
  o->status = e.status;
  o->value = c->value()->Get(i);
  o->comparator = static_cast<Comparator>((f >> kComparatorShift) & kComparatorMask);
  absl::string_view text = Slice(c->original_text(), c->original_end(), i);
  o->original_value.assign(text.data(), text.size());
  absl::string_view visit = Slice(c->visit_text(), c->visit_end(), i);
  o->visit.assign(visit.data(), visit.size());
  const uint8_t u = c->unit_index() ? c->unit_index()->Get(i) : 0;
  if (u == 0) {
    o->original_unit.clear();
  } else {
    o->original_unit = c->units()->Get(u - 1)->str();
  }
  o->items.clear();
  if (c->items() != nullptr) {
    const uint32_t begin = i == 0 ? 0 : c->item_end()->Get(i - 1);
    const uint32_t end = c->item_end()->Get(i);
    o->items.assign(c->items()->begin() + begin, c->items()->begin() + end);
  }
  o->recorded_at_us = c->recorded_at();
  o->provenance.source = Str(c->source());
  o->provenance.user = Str(c->user());
  o->provenance.reason = Str(c->reason());
  o->provenance.line = c->line() ? c->line()->Get(i) : 0;
}

bool SameContent(const Observation& a, const Observation& b) {
  if (a.items.size() != b.items.size()) return false;
  for (size_t i = 0; i < a.items.size(); ++i) {
    const bool both_nan = std::isnan(a.items[i]) && std::isnan(b.items[i]);
    if (!both_nan && a.items[i] != b.items[i]) return false;
  }
  return a.time == b.time && a.value == b.value && a.comparator == b.comparator &&
         a.status == b.status && a.original_value == b.original_value &&
         a.original_unit == b.original_unit && a.visit == b.visit;
}

std::string EncodePatient(const Patient& p) {
  flatbuffers::FlatBufferBuilder b(256);
  auto prov = BuildProvenance(b, p.provenance);
  std::vector<flatbuffers::Offset<fb::Attribute>> attrs;
  for (const auto& [k, v] : p.attributes) {  // std::map: already sorted by key
    attrs.push_back(fb::CreateAttributeDirect(b, k.c_str(), v.c_str()));
  }
  std::vector<int64_t> treatments;
  for (const auto& t : p.treatment_dates) treatments.push_back(t.seconds);
  auto off = fb::CreatePatientVersionDirect(
      b, p.id.c_str(), p.version, p.arm.empty() ? nullptr : p.arm.c_str(), p.index_date.has_value(),
      p.index_date ? p.index_date->seconds : 0, treatments.empty() ? nullptr : &treatments,
      attrs.empty() ? nullptr : &attrs, p.recorded_at_us, prov);
  b.Finish(off);
  return Finish(b);
}

absl::Status DecodePatient(absl::string_view record, Patient* p) {
  Aligned a(record);
  const auto* r = Verified<fb::PatientVersion>(a);
  if (r == nullptr || !ElementsAligned(r->treatment_dates())) return Damaged("patient");
  *p = Patient();
  p->id = Str(r->id());
  p->version = r->version();
  p->arm = Str(r->arm());
  // Index and treatment dates are days: they carry date precision.
  if (r->has_index_date()) p->index_date = CivilTime{r->index_date(), TimePrecision::kDate};
  if (r->treatment_dates() != nullptr) {
    for (int64_t t : *r->treatment_dates()) {
      p->treatment_dates.push_back(CivilTime{t, TimePrecision::kDate});
    }
  }
  if (r->attributes() != nullptr) {
    for (const auto* attr : *r->attributes()) {
      p->attributes[Str(attr->key())] = Str(attr->value());
    }
  }
  p->recorded_at_us = r->recorded_at();
  ReadProvenance(r->provenance(), &p->provenance);
  return absl::OkStatus();
}

namespace {

flatbuffers::Offset<fb::MeasureDef> BuildMeasure(flatbuffers::FlatBufferBuilder& b, uint32_t id,
                                                 const MeasureDefinition& m) {
  std::vector<flatbuffers::Offset<fb::UnitConversion>> units;
  for (const auto& u : m.units) {
    units.push_back(fb::CreateUnitConversionDirect(b, u.unit.c_str(), u.factor, u.offset));
  }
  std::vector<flatbuffers::Offset<fb::ItemDef>> named;
  for (const auto& i : m.named_items) {
    named.push_back(fb::CreateItemDefDirect(b, i.name.c_str(), i.min, i.max));
  }
  std::vector<flatbuffers::Offset<fb::Subscale>> subscales;
  for (const auto& s : m.subscales) {
    std::vector<uint16_t> items(s.items.begin(), s.items.end());
    subscales.push_back(fb::CreateSubscaleDirect(b, s.name.c_str(), &items));
  }
  std::vector<flatbuffers::Offset<flatbuffers::String>> loinc;
  for (const auto& l : m.loinc) loinc.push_back(b.CreateString(l));
  return fb::CreateMeasureDefDirect(
      b, m.code.c_str(), m.name.c_str(), m.unit.c_str(), m.min, m.max, m.step, m.integer,
      m.allowed_values.empty() ? nullptr : &m.allowed_values,
      static_cast<fb::Direction>(m.direction), m.change_threshold, units.empty() ? nullptr : &units,
      static_cast<uint16_t>(m.item_count), m.item_min, m.item_max, m.items_sum_to_total,
      named.empty() ? nullptr : &named, subscales.empty() ? nullptr : &subscales, m.censorable,
      loinc.empty() ? nullptr : &loinc, m.builtin, m.description.c_str(), id);
}

absl::Status ReadMeasure(const fb::MeasureDef* r, CatalogEntry* e) {
  const auto direction = static_cast<int>(r->direction());
  if (direction < 0 || direction > 2 || !ElementsAligned(r->allowed_values())) {
    return Damaged("measure");
  }
  MeasureDefinition& m = e->def;
  m = MeasureDefinition();
  e->id = r->id();
  m.code = Str(r->code());
  m.name = Str(r->name());
  m.unit = Str(r->unit());
  m.min = r->min();
  m.max = r->max();
  m.step = r->step();
  m.integer = r->integer();
  if (r->allowed_values())
    m.allowed_values.assign(r->allowed_values()->begin(), r->allowed_values()->end());
  m.direction = static_cast<Direction>(direction);
  m.change_threshold = r->change_threshold();
  if (r->units()) {
    for (const auto* u : *r->units()) m.units.push_back({Str(u->unit()), u->factor(), u->offset()});
  }
  m.item_count = r->item_count();
  m.item_min = r->item_min();
  m.item_max = r->item_max();
  m.items_sum_to_total = r->items_sum_to_total();
  if (r->named_items()) {
    for (const auto* i : *r->named_items())
      m.named_items.push_back({Str(i->name()), i->min(), i->max()});
  }
  if (r->subscales()) {
    for (const auto* s : *r->subscales()) {
      Subscale sub;
      sub.name = Str(s->name());
      if (s->items()) sub.items.assign(s->items()->begin(), s->items()->end());
      m.subscales.push_back(std::move(sub));
    }
  }
  m.censorable = r->censorable();
  if (r->loinc()) {
    for (const auto* l : *r->loinc()) m.loinc.push_back(l->str());
  }
  m.builtin = r->builtin();
  m.description = Str(r->description());
  return absl::OkStatus();
}

}  // namespace

std::string EncodeMeasure(uint32_t id, const MeasureDefinition& m) {
  flatbuffers::FlatBufferBuilder b(512);
  b.Finish(BuildMeasure(b, id, m));
  return Finish(b);
}

absl::Status DecodeMeasure(absl::string_view record, CatalogEntry* entry) {
  Aligned a(record);
  const auto* r = Verified<fb::MeasureDef>(a);
  if (r == nullptr) return Damaged("measure");
  return ReadMeasure(r, entry);
}

absl::StatusOr<std::vector<CatalogEntry>> DecodeCatalog(const uint8_t* data, size_t size) {
  Aligned a(absl::string_view(reinterpret_cast<const char*>(data), size));
  const auto* r = Verified<fb::MeasureCatalog>(a);
  if (r == nullptr) return Damaged("built-in catalog");
  std::vector<CatalogEntry> out;
  if (r->measures() == nullptr) return out;
  for (const auto* m : *r->measures()) {
    CatalogEntry e;
    absl::Status s = ReadMeasure(m, &e);
    if (!s.ok()) return s;
    out.push_back(std::move(e));
  }
  return out;
}

std::string EncodeAudit(const AuditRecord& a) {
  flatbuffers::FlatBufferBuilder b(256);
  auto prov = BuildProvenance(b, a.provenance);
  std::vector<flatbuffers::Offset<flatbuffers::String>> patients;
  for (const std::string& p : a.patients) patients.push_back(b.CreateString(p));
  auto off = fb::CreateAuditEntryDirect(
      b, a.at_us, a.action.c_str(), a.patient.empty() ? nullptr : a.patient.c_str(), prov,
      a.summary.written, a.summary.corrected, a.summary.unchanged,
      a.detail.empty() ? nullptr : a.detail.c_str(), patients.empty() ? nullptr : &patients,
      a.summary.retracted, a.summary.patients);
  b.Finish(off);
  return Finish(b);
}

absl::Status DecodeAudit(absl::string_view record, AuditRecord* a) {
  Aligned al(record);
  const auto* r = Verified<fb::AuditEntry>(al);
  if (r == nullptr) return Damaged("audit");
  a->at_us = r->at();
  a->action = Str(r->action());
  a->patient = Str(r->patient());
  a->detail = Str(r->detail());
  a->provenance = Provenance();
  ReadProvenance(r->provenance(), &a->provenance);
  a->summary = WriteSummary();
  a->summary.written = r->written();
  a->summary.corrected = r->corrected();
  a->summary.unchanged = r->unchanged();
  a->summary.retracted = r->retracted();
  a->summary.patients = r->patients_changed();
  a->patients.clear();
  if (r->patients() != nullptr) {
    for (const flatbuffers::String* p : *r->patients()) a->patients.push_back(Str(p));
  }
  return absl::OkStatus();
}

}  // namespace cotrack::codec

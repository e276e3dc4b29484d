#include "codec/value_codec.h"

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
  records->clear();
  size_t pos = 0;
  while (pos < log.size()) {
    if (log.size() - pos < kHeader) {
      return absl::DataLossError(
          absl::StrCat(what, ": truncated record header at byte ", pos, " (damaged data)"));
    }
    const uint32_t n = LoadLE32(log.data() + pos);
    const uint32_t crc = LoadLE32(log.data() + pos + 4);
    if (n == 0 || log.size() - pos - kHeader < Padded(n)) {
      return absl::DataLossError(
          absl::StrCat(what, ": bad record length ", n, " at byte ", pos, " (damaged data)"));
    }
    absl::string_view body = log.substr(pos + kHeader, n);
    if (crc32c::Mask(crc32c::Value(body.data(), body.size())) != crc) {
      return absl::DataLossError(
          absl::StrCat(what, ": checksum mismatch in record at byte ", pos, " (damaged data)"));
    }
    for (size_t i = pos + kHeader + n; i < pos + kHeader + Padded(n); ++i) {
      if (log[i] != '\0') {
        return absl::DataLossError(
            absl::StrCat(what, ": non-zero padding after record at byte ", pos, " (damaged data)"));
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

std::string EncodeObservation(const Observation& o) {
  flatbuffers::FlatBufferBuilder b(256);
  auto prov = BuildProvenance(b, o.provenance);
  auto items = o.items.empty() ? 0 : b.CreateVector(o.items);
  auto original_value = b.CreateString(o.original_value);
  auto original_unit = o.original_unit.empty() ? 0 : b.CreateString(o.original_unit);
  auto visit = o.visit.empty() ? 0 : b.CreateString(o.visit);
  fb::ObservationVersionBuilder ob(b);
  ob.add_time(o.time.seconds);
  ob.add_precision(o.time.precision == TimePrecision::kDate ? fb::TimePrecision::Date
                                                            : fb::TimePrecision::DateTime);
  ob.add_version(o.version);
  ob.add_status(static_cast<fb::ObservationStatus>(o.status));
  ob.add_value(o.value);
  ob.add_comparator(static_cast<fb::Comparator>(o.comparator));
  ob.add_original_value(original_value);
  if (!o.original_unit.empty()) ob.add_original_unit(original_unit);
  if (!o.items.empty()) ob.add_items(items);
  if (!o.visit.empty()) ob.add_visit(visit);
  ob.add_recorded_at(o.recorded_at_us);
  ob.add_provenance(prov);
  b.Finish(ob.Finish());
  return Finish(b);
}

absl::Status DecodeObservation(absl::string_view record, Observation* o) {
  Aligned a(record);
  const auto* r = Verified<fb::ObservationVersion>(a);
  if (r == nullptr) return Damaged("observation");
  const auto status = static_cast<int>(r->status());
  const auto comparator = static_cast<int>(r->comparator());
  if (status < 0 || status > 2 || comparator < 0 || comparator > 4) return Damaged("observation");
  o->time.seconds = r->time();
  o->time.precision = r->precision() == fb::TimePrecision::Date ? TimePrecision::kDate
                                                                : TimePrecision::kDateTime;
  o->version = r->version();
  o->status = static_cast<ObservationStatus>(status);
  o->value = r->value();
  o->comparator = static_cast<Comparator>(comparator);
  o->original_value = Str(r->original_value());
  o->original_unit = Str(r->original_unit());
  o->items.clear();
  if (r->items() != nullptr) o->items.assign(r->items()->begin(), r->items()->end());
  o->visit = Str(r->visit());
  o->recorded_at_us = r->recorded_at();
  o->provenance = Provenance();
  ReadProvenance(r->provenance(), &o->provenance);
  return absl::OkStatus();
}

absl::Status PeekObservationOrder(absl::string_view record, int64_t* time, uint32_t* version) {
  Aligned a(record);
  const auto* r = Verified<fb::ObservationVersion>(a);
  if (r == nullptr) return Damaged("observation");
  *time = r->time();
  *version = r->version();
  return absl::OkStatus();
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
      b, p.id.c_str(), p.version, p.arm.empty() ? nullptr : p.arm.c_str(),
      p.index_date.has_value(), p.index_date ? p.index_date->seconds : 0,
      treatments.empty() ? nullptr : &treatments, attrs.empty() ? nullptr : &attrs,
      p.recorded_at_us, prov);
  b.Finish(off);
  return Finish(b);
}

absl::Status DecodePatient(absl::string_view record, Patient* p) {
  Aligned a(record);
  const auto* r = Verified<fb::PatientVersion>(a);
  if (r == nullptr) return Damaged("patient");
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
      static_cast<fb::Direction>(m.direction), m.change_threshold,
      units.empty() ? nullptr : &units, static_cast<uint16_t>(m.item_count), m.item_min,
      m.item_max, m.items_sum_to_total, named.empty() ? nullptr : &named,
      subscales.empty() ? nullptr : &subscales, m.censorable, loinc.empty() ? nullptr : &loinc,
      m.builtin, m.description.c_str(), id);
}

absl::Status ReadMeasure(const fb::MeasureDef* r, CatalogEntry* e) {
  const auto direction = static_cast<int>(r->direction());
  if (direction < 0 || direction > 2) return Damaged("measure");
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
  if (r->allowed_values()) m.allowed_values.assign(r->allowed_values()->begin(), r->allowed_values()->end());
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
    for (const auto* i : *r->named_items()) m.named_items.push_back({Str(i->name()), i->min(), i->max()});
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
  auto off = fb::CreateAuditEntryDirect(
      b, a.at_us, a.action.c_str(), a.patient.empty() ? nullptr : a.patient.c_str(), prov,
      a.summary.written, a.summary.corrected, a.summary.unchanged,
      a.detail.empty() ? nullptr : a.detail.c_str());
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
  return absl::OkStatus();
}

}  // namespace cotrack::codec

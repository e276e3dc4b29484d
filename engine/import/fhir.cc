#include "import/fhir.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cotrack/export.h"
#include "cotrack/patient_id.h"
#include "cotrack/status_macros.h"
#include "import/code_mapping.h"
#include "import/format.h"
#include "import/format_common.h"
#include "import/value_text.h"

// RapidJSON 1.1.0 (the Debian release) computes `stack + n` on its internal
// stack before the first allocation, when the pointer is still null; clang's
// UBSan reports that on every parse (-fsanitize=pointer-overflow). It is
// harmless in practice and fixed upstream after the release, so that one
// check is left out for RapidJSON's own functions only.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include "rapidjson/document.h"
#include "rapidjson/encodedstream.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"
#if defined(__clang__)
#pragma clang attribute pop
#endif

namespace cotrack {
namespace {

using JsonValue = rapidjson::Value;

// Iterative parsing keeps deep nesting off the call stack; numbers stay text
// so that "6.20" keeps its digits and 1e-245 its exponent for ParseNumber.
constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseNumbersAsStringsFlag |
                                 rapidjson::kParseValidateEncodingFlag;

// Forwards SAX events to the document, refusing nesting deeper than
// kMaxFhirJsonDepth (no FHIR resource comes close; such input is hostile).
struct DepthLimiter {
  rapidjson::Document& d;
  int depth = 0;
  bool too_deep = false;

  bool Null() { return d.Null(); }
  bool Bool(bool b) { return d.Bool(b); }
  bool Int(int i) { return d.Int(i); }
  bool Uint(unsigned i) { return d.Uint(i); }
  bool Int64(int64_t i) { return d.Int64(i); }
  bool Uint64(uint64_t i) { return d.Uint64(i); }
  bool Double(double x) { return d.Double(x); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return d.RawNumber(s, n, copy);
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return d.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return d.Key(s, n, copy); }
  bool Enter() {
    if (++depth > kMaxFhirJsonDepth) {
      too_deep = true;
      return false;
    }
    return true;
  }
  bool StartObject() { return Enter() && d.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth;
    return d.EndObject(n);
  }
  bool StartArray() { return Enter() && d.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth;
    return d.EndArray(n);
  }
};

struct JsonParse {
  const std::string* text = nullptr;
  rapidjson::ParseResult result;
  bool too_deep = false;
  bool operator()(rapidjson::Document& d) {
    rapidjson::MemoryStream ms(text->data(), text->size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
    DepthLimiter limiter{d};
    rapidjson::Reader reader;
    result = reader.Parse<kParseFlags>(is, limiter);
    too_deep = limiter.too_deep;
    return !result.IsError();
  }
};

// Parses `text` into `doc`; on failure fills `offset` and returns the reason.
std::optional<std::string> ParseJson(const std::string& text, rapidjson::Document& doc,
                                     size_t& offset) {
  JsonParse parse;
  parse.text = &text;
  doc.Populate(parse);
  if (!parse.result.IsError()) return std::nullopt;
  offset = parse.result.Offset();
  if (parse.too_deep) {
    return absl::StrCat("JSON nested deeper than ", kMaxFhirJsonDepth,
                        " levels (no FHIR resource is; refusing it)");
  }
  return absl::StrCat("invalid JSON: ", rapidjson::GetParseError_En(parse.result.Code()));
}

const JsonValue* Member(const JsonValue* v, const char* name) {
  if (v == nullptr || !v->IsObject()) return nullptr;
  auto it = v->FindMember(name);
  return it == v->MemberEnd() ? nullptr : &it->value;
}

absl::string_view Str(const JsonValue* v) {
  return v != nullptr && v->IsString() ? absl::string_view(v->GetString(), v->GetStringLength())
                                       : absl::string_view();
}

constexpr const char* kValueKinds[] = {"valueCodeableConcept", "valueString",    "valueBoolean",
                                       "valueInteger",         "valueRange",     "valueRatio",
                                       "valueSampledData",     "valueTime",      "valueDateTime",
                                       "valuePeriod",          "valueAttachment"};

// The id is kept as given, never trimmed: " P1" is refused by the identity
// rule (cotrack/patient_id.h), not imported as "P1".
std::string PatientId(absl::string_view ref) {
  const size_t slash = ref.rfind("Patient/");
  if (slash != absl::string_view::npos) {
    ref.remove_prefix(slash + 8);
    // A versioned reference "Patient/1/_history/2" names patient 1.
    const size_t h = ref.find('/');
    if (h != absl::string_view::npos) ref = ref.substr(0, h);
  } else if (absl::StartsWith(ref, "urn:uuid:")) {
    ref.remove_prefix(9);
  }
  return std::string(ref);
}

// The cotrack extension `name` (kFhirExtensionBase + name) among the
// extensions of `r`, or nullptr.
const JsonValue* CotrackExtension(const JsonValue* r, absl::string_view name) {
  const JsonValue* ext = Member(r, "extension");
  if (ext == nullptr || !ext->IsArray()) return nullptr;
  for (const JsonValue& e : ext->GetArray()) {
    const absl::string_view url = Str(Member(&e, "url"));
    if (absl::StartsWith(url, kFhirExtensionBase) &&
        url.substr(sizeof(kFhirExtensionBase) - 1) == name) {
      return &e;
    }
  }
  return nullptr;
}

// The value of `identifier` (one Identifier or an array of them) in cotrack's
// patient-id system; empty when there is none.
absl::string_view CotrackPatientId(const JsonValue* identifier) {
  if (identifier == nullptr) return {};
  if (identifier->IsObject()) {
    return Str(Member(identifier, "system")) == kPatientIdSystem ? Str(Member(identifier, "value"))
                                                                 : absl::string_view();
  }
  if (!identifier->IsArray()) return {};
  for (const JsonValue& i : identifier->GetArray()) {
    if (Str(Member(&i, "system")) == kPatientIdSystem) return Str(Member(&i, "value"));
  }
  return {};
}

class FhirReader : public FormatReader {
 public:
  FhirReader(std::istream& in, std::string source, ImportFormat format, std::string user,
             std::string reason, CodeMapping mapping, std::string first_line, int64_t lines_before)
      : in_(in),
        source_(std::move(source)),
        format_(format),
        mapping_(std::move(mapping)),
        pending_(std::move(first_line)),
        has_pending_(!pending_.empty()),
        line_(lines_before),
        writer_(source_, std::move(user), std::move(reason)) {}

  ImportFormat format() const override { return format_; }
  const ImportCounts& counts() const override { return writer_.counts(); }
  void SetTimeZone(std::optional<absl::TimeZone> zone) override {
    writer_.SetTimeZone(std::move(zone));
  }
  void SetDuplicates(ImportOptions::Duplicates policy) override { writer_.SetDuplicates(policy); }
  absl::Status UseCatalog(const ImportCatalog& catalog) override {
    mapping_.AddUnmapped(catalog.codes);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> ReadChunk(size_t max_rows, Batch& batch, ImportErrors& errors,
                                 RejectSink* rejects) override {
    if (format_ == ImportFormat::kFhirNdjson) return ReadNdjson(max_rows, batch, errors, rejects);
    return ReadDocument(max_rows, batch, errors, rejects);
  }

 private:
  absl::StatusOr<bool> ReadNdjson(size_t max_rows, Batch& batch, ImportErrors& errors,
                                  RejectSink* rejects) {
    std::string line;
    for (size_t n = 0; n < max_rows;) {
      bool too_long = false;
      if (has_pending_) {
        line = std::move(pending_);
        has_pending_ = false;
      } else if (!ReadLineCapped(in_, kMaxFhirLineBytes, line, too_long)) {
        if (in_.bad()) return absl::DataLossError(absl::StrCat(source_, ": read error"));
        return false;
      }
      ++line_;
      if (!too_long && absl::StripAsciiWhitespace(line).empty()) continue;
      ++n;
      writer_.BeginRow(line_, errors);
      if (too_long) {
        errors.Add(line_, 0,
                   absl::StrCat("line is longer than ", kMaxFhirLineBytes >> 20,
                                " MiB (NDJSON has one resource per line; is this NDJSON?)"));
        line = "(line too long to keep)";
      } else {
        rapidjson::Document doc;
        size_t offset = 0;
        if (std::optional<std::string> why = ParseJson(line, doc, offset)) {
          errors.Add(line_, static_cast<int64_t>(offset) + 1, *why);
        } else if (!doc.IsObject()) {
          errors.Add(line_, 1, "expected a FHIR resource (a JSON object)");
        } else {
          Resource(doc, line_, "", errors);
        }
      }
      if (!writer_.EndRow(batch) && rejects != nullptr) {
        rejects->Reject(line_, line, errors.row_messages());
      }
    }
    return true;
  }

  absl::Status LoadDocument() {
    std::string text = std::move(pending_);
    if (has_pending_) text += '\n';
    has_pending_ = false;
    char buf[1 << 16];
    while (in_.read(buf, sizeof buf) || in_.gcount() > 0) {
      text.append(buf, static_cast<size_t>(in_.gcount()));
      if (text.size() > kMaxFhirDocumentBytes) {
        return absl::InvalidArgumentError(absl::StrCat(
            source_, ": FHIR JSON document larger than ", kMaxFhirDocumentBytes >> 20,
            " MiB; a document must be read whole, so export it as Bulk Data NDJSON (one "
            "resource per line, streamed) instead"));
      }
    }
    if (in_.bad()) return absl::DataLossError(absl::StrCat(source_, ": read error"));
    size_t offset = 0;
    if (std::optional<std::string> why = ParseJson(text, doc_, offset)) {
      int64_t line = 1, column = 1;
      for (size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
          ++line;
          column = 1;
        } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
          ++column;
        }
      }
      return absl::InvalidArgumentError(absl::StrCat(source_, ":", line, ":", column, ": ", *why));
    }
    if (!doc_.IsObject()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_, ": expected a FHIR resource (a JSON object)"));
    }
    if (Str(Member(&doc_, "resourceType")) == "Bundle") {
      const JsonValue* entry = Member(&doc_, "entry");
      if (entry != nullptr && entry->IsArray()) {
        for (const JsonValue& e : entry->GetArray()) entries_.push_back(&e);
      }
      bundle_ = true;
    } else {
      entries_.push_back(&doc_);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<bool> ReadDocument(size_t max_rows, Batch& batch, ImportErrors& errors,
                                    RejectSink* rejects) {
    if (!loaded_) {
      loaded_ = true;
      absl::Status s = LoadDocument();
      if (!s.ok()) return s;
    }
    for (size_t n = 0; n < max_rows; ++n) {
      if (next_ >= entries_.size()) return false;
      const JsonValue* e = entries_[next_++];
      writer_.BeginRow(0, errors);
      const std::string where = bundle_ ? absl::StrCat("entry ", next_, ": ") : std::string();
      const JsonValue* resource = bundle_ ? Member(e, "resource") : e;
      if (resource == nullptr || !resource->IsObject()) {
        writer_.Skip("entry without a resource");
      } else {
        Resource(*resource, 0, where, errors);
      }
      if (!writer_.EndRow(batch) && rejects != nullptr) {
        rejects->Reject(0,
                        absl::StrCat(where, Str(Member(resource, "resourceType")), "/",
                                     Str(Member(resource, "id"))),
                        errors.row_messages());
      }
    }
    return true;
  }

  // One resource: registers a patient, records/retracts an observation, or
  // counts why it was skipped.
  void Resource(const JsonValue& r, int64_t line, const std::string& where, ImportErrors& errors) {
    const absl::string_view type = Str(Member(&r, "resourceType"));
    if (type == "Patient") return PatientResource(r, line, where, errors);
    if (type.empty() && Member(&r, "measure") != nullptr && Member(&r, "patient") != nullptr) {
      return ExportRow(r, line, errors);
    }
    if (type != "Observation") {
      writer_.Skip(type.empty() ? std::string("no resourceType") : absl::StrCat("resource ", type));
      return;
    }
    const std::string prefix = absl::StrCat(where, "Observation/", Str(Member(&r, "id")), ": ");
    const absl::string_view status = Str(Member(&r, "status"));
    const bool retract = status == "entered-in-error";
    if (!retract && status != "final" && status != "amended" && status != "corrected") {
      writer_.Skip(absl::StrCat("status ", status.empty() ? "missing" : status));
      return;
    }
    const JsonValue* quantity = Member(&r, "valueQuantity");
    if (!retract && quantity == nullptr) {
      for (const char* kind : kValueKinds) {
        if (Member(&r, kind) != nullptr) {
          writer_.Skip(kind);
          return;
        }
      }
      writer_.Skip(Member(&r, "component") != nullptr ? "no value (components only)" : "no value");
      return;
    }
    // Code -> measure: cotrack's own code names the measure itself (what
    // export writes); otherwise the first coding the table maps.
    const CodeMappingEntry* m = nullptr;
    CodeMappingEntry own;
    std::string first_code;
    const JsonValue* coding = Member(Member(&r, "code"), "coding");
    if (coding != nullptr && coding->IsArray()) {
      for (const JsonValue& c : coding->GetArray()) {
        if (Str(Member(&c, "system")) == kMeasureCodeSystem && !Str(Member(&c, "code")).empty()) {
          own.measure = std::string(Str(Member(&c, "code")));
          m = &own;
          break;
        }
      }
      for (const JsonValue& c : coding->GetArray()) {
        if (m != nullptr) break;
        const absl::string_view code = Str(Member(&c, "code"));
        if (first_code.empty()) first_code = std::string(code);
        m = mapping_.Find(Str(Member(&c, "system")), code);
      }
    }
    if (m == nullptr) {
      writer_.Skip(absl::StrCat("unmapped code ", first_code.empty() ? "(none)" : first_code));
      return;
    }
    const absl::string_view value = Str(Member(quantity, "value"));
    if (!retract && value.empty()) {
      writer_.Skip("no value");
      return;
    }
    ObservationInput obs;
    obs.measure = m->measure;
    const JsonValue* subject = Member(&r, "subject");
    obs.patient = SubjectPatient(subject);
    if (Str(Member(subject, "reference")).empty() &&
        CotrackPatientId(Member(subject, "identifier")).empty()) {
      errors.Add(line, 0,
                 absl::StrCat(prefix,
                              "field \"subject.reference\": empty (expected a "
                              "reference such as Patient/123)"));
    } else if (absl::Status s = ValidatePatientId(obs.patient); !s.ok()) {
      errors.Add(line, 0, absl::StrCat(prefix, s.message()));
      obs.patient.clear();
    }
    absl::string_view when = Str(Member(&r, "effectiveDateTime"));
    const char* when_field = "effectiveDateTime";
    if (when.empty()) {
      when = Str(Member(&r, "effectiveInstant"));
      when_field = "effectiveInstant";
    }
    if (when.empty()) {
      when = Str(Member(Member(&r, "effectivePeriod"), "start"));
      when_field = "effectivePeriod.start";
    }
    bool have_time = false;
    if (when.empty()) {
      errors.Add(line, 0,
                 absl::StrCat(prefix,
                              "no effectiveDateTime, effectiveInstant or "
                              "effectivePeriod.start (the observation needs a date)"));
    } else {
      absl::StatusOr<CivilTime> t = writer_.ParseDate(when);
      const absl::string_view time_of_day =
          Str(Member(CotrackExtension(&r, "time-of-day"), "valueTime"));
      if (t.ok() && !time_of_day.empty() && t->precision == TimePrecision::kDate) {
        // cotrack's own export: the date, and the clinic-local time beside it.
        t = writer_.ParseDate(absl::StrCat(when, "T", time_of_day));
        when_field = "effectiveDateTime with the time-of-day extension";
      }
      if (t.ok()) {
        obs.time = *t;
        have_time = true;
      } else {
        errors.Add(line, 0,
                   absl::StrCat(prefix, "field \"", when_field, "\": bad value ",
                                QuoteForMessage(when), " (", t.status().message(), ")"));
      }
    }
    if (retract) {
      writer_.Retract(
          obs.patient, obs.measure, obs.time,
          absl::StrCat("FHIR Observation/", Str(Member(&r, "id")), " status entered-in-error"));
      return;
    }
    absl::StatusOr<double> number = ParseNumber(value);
    if (!number.ok()) {
      errors.Add(line, 0,
                 absl::StrCat(prefix, "field \"valueQuantity.value\": bad value ",
                              QuoteForMessage(value), " (", number.status().message(), ")"));
    } else {
      obs.value = *number;
    }
    const absl::string_view comparator = Str(Member(quantity, "comparator"));
    if (comparator == "<") {
      obs.comparator = Comparator::kLess;
    } else if (comparator == "<=") {
      obs.comparator = Comparator::kLessEqual;
    } else if (comparator == ">=") {
      obs.comparator = Comparator::kGreaterEqual;
    } else if (comparator == ">") {
      obs.comparator = Comparator::kGreater;
    } else if (!comparator.empty()) {
      errors.Add(line, 0,
                 absl::StrCat(prefix, "field \"valueQuantity.comparator\": bad value ",
                              QuoteForMessage(comparator), " (expected <, <=, >= or >)"));
    }
    obs.original_value = absl::StrCat(comparator, value);
    obs.visit = std::string(Str(Member(CotrackExtension(&r, "visit"), "valueString")));
    const absl::string_view code = Str(Member(quantity, "code"));
    const absl::string_view unit_system = Str(Member(quantity, "system"));
    obs.unit = NormalizeUnit(!code.empty() && unit_system == "http://unitsofmeasure.org"
                                 ? code
                                 : Str(Member(quantity, "unit")));
    if (obs.unit.empty()) obs.unit = m->unit;
    if (have_time && !obs.patient.empty()) {
      // Bundles have no line numbers; their entries are numbered instead.
      const int64_t position = line > 0 ? line : static_cast<int64_t>(next_);
      const int64_t first = writer_.FirstSeen(obs, position);
      if (first != 0) {
        errors.Add(line, 0,
                   absl::StrCat(prefix, DuplicateMessage(first, line > 0 ? "line" : "entry")));
      }
    }
    writer_.Record(std::move(obs));
  }

  // A line of `cotrack export --format ndjson`: the columns of the CSV
  // export as members. version and recorded_at are the exporting database's
  // bookkeeping and are read past.
  void ExportRow(const JsonValue& r, int64_t line, ImportErrors& errors) {
    ObservationInput obs;
    auto field = [&](const char* name, bool required) -> absl::string_view {
      const JsonValue* v = Member(&r, name);
      if (v != nullptr && v->IsString() && v->GetStringLength() > 0) return Str(v);
      if (required || (v != nullptr && !v->IsNull() && !v->IsString())) {
        errors.Add(line, 0,
                   absl::StrCat("field \"", name, "\": ",
                                v == nullptr || v->IsNull() ? "missing" : "not a string or number",
                                " (a line of `cotrack export --format ndjson` has patient, "
                                "measure, date and value)"));
      }
      return {};
    };
    obs.patient = std::string(field("patient", true));
    if (absl::Status s = ValidatePatientId(obs.patient); !obs.patient.empty() && !s.ok()) {
      errors.Add(line, 0, std::string(s.message()));
      obs.patient.clear();
    }
    obs.measure = std::string(field("measure", true));
    const absl::string_view date = field("date", true);
    const absl::string_view value = field("value", true);
    const absl::string_view comparator = field("comparator", false);
    obs.unit = std::string(field("unit", false));
    obs.visit = std::string(field("visit", false));
    const absl::string_view status = field("status", false);
    if (!status.empty() && status != "final" && status != "amended" &&
        status != "entered-in-error") {
      errors.Add(line, 0,
                 absl::StrCat("field \"status\": bad value ", QuoteForMessage(status),
                              " (expected final, amended or entered-in-error, a retraction as "
                              "`cotrack export --since` writes it)"));
    }
    bool have_time = false;
    if (!date.empty()) {
      absl::StatusOr<CivilTime> t = writer_.ParseDate(date);
      if (t.ok()) {
        obs.time = *t;
        have_time = true;
      } else {
        errors.Add(line, 0,
                   absl::StrCat("field \"date\": bad value ", QuoteForMessage(date), " (",
                                t.status().message(), ")"));
      }
    }
    if (!value.empty()) {
      const std::string text = absl::StrCat(comparator, value);
      absl::StatusOr<ValueText> v = ParseValueText(text);
      if (v.ok()) {
        obs.value = v->value;
        obs.comparator = v->comparator;
        obs.original_value = text;
      } else {
        errors.Add(line, 0,
                   absl::StrCat("fields \"comparator\" and \"value\": bad value ",
                                QuoteForMessage(text), " (", v.status().message(), ")"));
      }
    }
    if (have_time && !obs.patient.empty() && !obs.measure.empty()) {
      const int64_t first = writer_.FirstSeen(obs, line);
      if (first != 0) errors.Add(line, 0, DuplicateMessage(first));
    }
    if (status == "entered-in-error") {
      writer_.Retract(std::move(obs.patient), std::move(obs.measure), obs.time,
                      "status entered-in-error");
      return;
    }
    writer_.Record(std::move(obs));
  }

  // The patient an Observation.subject names: the clinic's id when the
  // reference carries cotrack's identifier, or names a Patient of this file
  // that did; else the id of the reference.
  std::string SubjectPatient(const JsonValue* subject) const {
    const absl::string_view own = CotrackPatientId(Member(subject, "identifier"));
    if (!own.empty()) return std::string(own);
    std::string id = PatientId(Str(Member(subject, "reference")));
    auto it = patient_ids_.find(id);
    return it == patient_ids_.end() ? id : it->second;
  }

  void PatientResource(const JsonValue& r, int64_t line, const std::string& where,
                       ImportErrors& errors) {
    Patient p;
    const std::string fhir_id(Str(Member(&r, "id")));
    p.id = std::string(CotrackPatientId(Member(&r, "identifier")));
    if (p.id.empty()) {
      p.id = fhir_id;
    } else if (!fhir_id.empty() && fhir_id != p.id) {
      patient_ids_[fhir_id] = p.id;
    }
    if (p.id.empty()) {
      errors.Add(line, 0, absl::StrCat(where, "Patient: no id"));
      return;
    }
    const std::string prefix = absl::StrCat(where, "Patient/", fhir_id, ": ");
    // cotrack's own extensions: what `export --with-patients` wrote.
    auto date = [&](const JsonValue& e, absl::string_view name) -> std::optional<CivilTime> {
      const absl::string_view v = Str(Member(&e, "valueDate"));
      absl::StatusOr<CivilTime> t = writer_.ParseDate(v);
      if (t.ok()) return *t;
      errors.Add(line, 0,
                 absl::StrCat(prefix, "extension ", name, ": bad valueDate ", QuoteForMessage(v),
                              " (", t.status().message(), ")"));
      return std::nullopt;
    };
    const JsonValue* ext = Member(&r, "extension");
    if (ext != nullptr && ext->IsArray()) {
      for (const JsonValue& e : ext->GetArray()) {
        const absl::string_view url = Str(Member(&e, "url"));
        if (!absl::StartsWith(url, kFhirExtensionBase)) continue;
        const absl::string_view name = url.substr(sizeof(kFhirExtensionBase) - 1);
        if (name == "arm") {
          p.arm = std::string(Str(Member(&e, "valueString")));
        } else if (name == "index-date") {
          p.index_date = date(e, name);
        } else if (name == "treatment-date") {
          if (std::optional<CivilTime> t = date(e, name)) p.treatment_dates.push_back(*t);
        } else if (name == "attribute") {
          std::string key, value;
          const JsonValue* parts = Member(&e, "extension");
          if (parts != nullptr && parts->IsArray()) {
            for (const JsonValue& part : parts->GetArray()) {
              const absl::string_view part_url = Str(Member(&part, "url"));
              if (part_url == "name") key = std::string(Str(Member(&part, "valueString")));
              if (part_url == "value") value = std::string(Str(Member(&part, "valueString")));
            }
          }
          if (!key.empty()) p.attributes[key] = value;
        }
      }
    }
    auto attribute = [&](const char* field, const char* name) {
      const absl::string_view v = Str(Member(&r, field));
      if (!v.empty()) p.attributes[name] = std::string(v);
    };
    attribute("birthDate", "birthdate");
    attribute("gender", "gender");
    attribute("deceasedDateTime", "deathdate");
    writer_.PutPatient(std::move(p));
  }

  std::istream& in_;
  std::string source_;
  ImportFormat format_;
  CodeMapping mapping_;
  std::string pending_;
  bool has_pending_ = false;
  int64_t line_ = 0;
  bool loaded_ = false;
  bool bundle_ = false;
  rapidjson::Document doc_;
  std::vector<const JsonValue*> entries_;
  size_t next_ = 0;
  // FHIR Patient id -> the clinic's id, for Patients of this file whose id
  // differs from their cotrack identifier (export hashes ids FHIR refuses).
  absl::flat_hash_map<std::string, std::string> patient_ids_;
  RowWriter writer_;
};

}  // namespace

bool ReadLineCapped(std::istream& in, size_t max_bytes, std::string& line, bool& too_long) {
  line.clear();
  too_long = false;
  std::streambuf* sb = in.rdbuf();
  bool any = false;
  while (true) {
    const int c = sb->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in.setstate(std::ios::eofbit);
      return any;
    }
    any = true;
    if (c == '\n') break;
    if (line.size() < max_bytes) {
      line += static_cast<char>(c);
    } else {
      too_long = true;
    }
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (too_long) line.clear();
  return true;
}

bool LooksLikeNdjson(const std::string& first_line) {
  rapidjson::Document doc;
  size_t offset = 0;
  if (ParseJson(first_line, doc, offset).has_value()) return false;
  return doc.IsObject() && Str(Member(&doc, "resourceType")) != "Bundle";
}

namespace {

absl::StatusOr<std::unique_ptr<FormatReader>> OpenFhir(std::istream& in, const std::string& source,
                                                       const ImportOptions& options,
                                                       StreamStart start) {
  if (start.first_byte != '{') {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ":", start.blank_lines + 1, ": expected FHIR JSON starting with '{'",
        start.first_byte == std::char_traits<char>::eof() ? " (the file is empty)" : ""));
  }
  COTRACK_ASSIGN_OR_RETURN(CodeMapping mapping, CodeMapping::Load(options.mapping_file));
  // The rest of the first line tells NDJSON (a whole resource per line)
  // from a pretty-printed document.
  std::string rest;
  bool too_long = false;
  ReadLineCapped(in, kMaxFhirLineBytes, rest, too_long);
  if (too_long) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ":", start.blank_lines + 1, ": the first line is longer than ",
        kMaxFhirLineBytes >> 20, " MiB; give --format fhir-json for a one-line document"));
  }
  std::string first_line = absl::StrCat("{", rest);
  ImportFormat format = options.format;
  if (format == ImportFormat::kAuto) {
    format = LooksLikeNdjson(first_line) ? ImportFormat::kFhirNdjson : ImportFormat::kFhirJson;
  }
  return std::make_unique<FhirReader>(in, source, format, options.user, options.reason,
                                      std::move(mapping), std::move(first_line), start.blank_lines);
}

}  // namespace

extern const FormatEntry kFhirNdjsonFormat = {
    ImportFormat::kFhirNdjson, "fhir-ndjson", {"ndjson", nullptr}, nullptr, nullptr, &OpenFhir};
extern const FormatEntry kFhirJsonFormat = {
    ImportFormat::kFhirJson, "fhir-json", {"fhir", "fhir-bundle"}, nullptr, nullptr, &OpenFhir};

}  // namespace cotrack

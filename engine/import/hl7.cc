// HL7 v2 lab feeds: result messages (ORU^R01, v2.3 to v2.8; other ORU and
// OUL messages alike), one or many per file, segments ending in CR, LF or
// CRLF, with or without MLLP framing (0x0B ... 0x1C 0x0D).
//
//   MSH|^~\&|LAB|CLINIC|||20240305093000||ORU^R01|MSG1|P|2.5.1
//   PID|1||12345^^^HOSP^MR||Doe^Jane
//   OBR|1|||4548-4^HbA1c^LN|||20240305083000
//   OBX|1|NM|4548-4^Hemoglobin A1c^LN||6.5|%^percent^UCUM|||||F|||20240305083000
//   OBX|2|SN|27290-3^IL-4^LN||<^0.5|pg/mL|||||F
//
// A row is an OBX segment. Each message's delimiters are its own (MSH-1,
// MSH-2); the syntax is hl7_parser.h's. The OBX becomes an observation:
//   OBX-3 (identifier^text^system, then the alternate identifier^text^system
//   in components 4-6) the measure, through the CodeMapping (LN and pCLOCD
//   are LOINC, http://loinc.org); the patient the PID before it (PID-3's
//   first identifier, or the one ImportOptions::hl7_patient_id_* choose);
//   the date OBX-14, else OBR-7, else OBR-14 of the OBR before it (offset
//   dropped); the value OBX-5 of type NM, or SN with a comparator (<^0.5 is
//   censored); the unit OBX-6 (identifier, else text), escapes decoded.
// OBX-11 F, C, A, B and U are recorded (a correction is a new version of the
// same identity); P, R, S, I, O, N, X, D and W are not results yet or any
// more, and are counted and skipped, as are non-numeric values (per code),
// SN ranges and ratios, unmapped codes (per code) and the OBX segments of
// other messages (ADT, ORM, ...). Errors name the message and the OBX:
// "lab.hl7:14: message 2, OBX 3: field "OBX-5": bad value ...".
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cotrack/patient_id.h"
#include "cotrack/status_macros.h"
#include "import/code_mapping.h"
#include "import/format.h"
#include "import/format_common.h"
#include "import/hl7_parser.h"
#include "import/value_text.h"

namespace cotrack {
namespace {

// Distinct per-code skip reasons kept; codes beyond them share one reason,
// so that a file of absurdly many codes cannot grow the report without bound.
constexpr size_t kMaxCodeReasons = 1000;
// A code longer than this is shortened in reasons and messages.
constexpr size_t kMaxShownCode = 64;

constexpr char kLoinc[] = "http://loinc.org";

// The coding system of a CE/CWE (HL7 table 0396) as the mapping table names
// it: LOINC and SNOMED by their FHIR URIs, anything else (local systems
// such as 99USI or L) as written.
std::string SystemUri(absl::string_view hl7_system) {
  const std::string s = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(hl7_system));
  if (s == "LN" || s == "LOINC" || s == "PCLOCD") return kLoinc;
  if (s == "SCT" || s == "SNM" || s == "SNM3" || s == "SNOMED") return "http://snomed.info/sct";
  return std::string(absl::StripAsciiWhitespace(hl7_system));
}

std::string ShownCode(absl::string_view code) {
  if (code.empty()) return "(none)";
  if (code.size() <= kMaxShownCode) return std::string(code);
  size_t cut = kMaxShownCode - 4;
  while (cut > 0 && (static_cast<unsigned char>(code[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(code.substr(0, cut), "...");
}

// OBX-11, result status (HL7 table 0085): whether the value is recorded,
// and what the skip reason says otherwise.
struct ResultStatus {
  char code;
  bool recorded;
  const char* meaning;
};
constexpr ResultStatus kStatuses[] = {
    {'F', true, "final"},
    {'C', true, "corrected"},
    {'A', true, "amended"},
    {'B', true, "appended report"},
    {'U', true, "changed to final"},
    {'P', false, "preliminary"},
    {'R', false, "not verified"},
    {'S', false, "partial"},
    {'I', false, "pending"},
    {'O', false, "order detail, no result"},
    {'N', false, "not asked"},
    {'X', false, "no result: cannot be obtained"},
    {'D', false, "deleted"},
    {'W', false, "posted in error"},
};

// Which identifier of a PID is the patient (ImportOptions::hl7_patient_id_*).
struct PatientChoice {
  int field = 3;
  std::string authority;
  std::string type;
};

// The patient of a PID segment; false with `problem` set when it has none.
bool PatientOf(const Hl7Segment& pid, const PatientChoice& choice, std::string& id,
               std::string& problem) {
  const Hl7Encoding& e = pid.encoding();
  const std::string name = absl::StrCat("PID-", choice.field);
  const bool filtered = !choice.authority.empty() || !choice.type.empty();
  std::vector<std::string> found;  // for the message, at most a few
  int repetitions = 0;
  ForEachHl7Part(pid.Field(choice.field), e.repetition, [&](absl::string_view rep) {
    ++repetitions;
    // Kept as given: " P1" is refused by the identity rule, not read as "P1".
    std::string cx1(DecodeHl7Escapes(Hl7Part(rep, e.component, 1), e));
    if (cx1.empty()) return true;
    const absl::string_view cx4 = Hl7Part(rep, e.component, 4);
    const std::string ns = DecodeHl7Escapes(Hl7Part(cx4, e.subcomponent, 1), e);
    const std::string uid = DecodeHl7Escapes(Hl7Part(cx4, e.subcomponent, 2), e);
    const std::string whole = DecodeHl7Escapes(cx4, e);
    const std::string type = DecodeHl7Escapes(Hl7Part(rep, e.component, 5), e);
    const auto is = [](absl::string_view have, const std::string& want) {
      return absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(have), want);
    };
    const bool authority_ok = choice.authority.empty() || is(ns, choice.authority) ||
                              is(uid, choice.authority) || is(whole, choice.authority);
    const bool type_ok = choice.type.empty() || is(type, choice.type);
    if (authority_ok && type_ok) {
      id = std::move(cx1);
      return false;
    }
    if (found.size() < 5) {
      const std::string authority = !ns.empty() ? ns : uid;
      found.push_back(absl::StrCat(QuoteForMessage(cx1), " (authority ",
                                   authority.empty() ? "none" : QuoteForMessage(authority),
                                   ", type ", type.empty() ? "none" : QuoteForMessage(type), ")"));
    } else if (found.size() == 5) {
      found.push_back("...");
    }
    return true;
  });
  if (!id.empty()) return true;
  if (!filtered || found.empty()) {
    problem = absl::StrCat("field \"", name, "\": empty (expected the patient's identifier, ",
                           kPatientIdRule);
    if (choice.field == 3 && !absl::StripAsciiWhitespace(pid.Field(2)).empty()) {
      absl::StrAppend(&problem, "; PID-2 holds one: --hl7-patient-id-field PID-2 reads it");
    }
    absl::StrAppend(&problem, ")");
    return false;
  }
  std::vector<std::string> wanted;
  if (!choice.authority.empty()) {
    wanted.push_back(absl::StrCat("assigning authority ", QuoteForMessage(choice.authority)));
  }
  if (!choice.type.empty()) {
    wanted.push_back(absl::StrCat("identifier type ", QuoteForMessage(choice.type)));
  }
  problem = absl::StrCat("field \"", name, "\": no identifier of ", absl::StrJoin(wanted, " and "),
                         " (it has ", absl::StrJoin(found, ", "), ")");
  return false;
}

class Hl7Reader : public FormatReader {
 public:
  Hl7Reader(std::istream& in, std::string source, std::string user, std::string reason,
            CodeMapping mapping, PatientChoice choice, std::string taken)
      : segments_(in, std::move(taken)),
        source_(std::move(source)),
        mapping_(std::move(mapping)),
        choice_(std::move(choice)),
        writer_(source_, std::move(user), std::move(reason)) {}

  ImportFormat format() const override { return ImportFormat::kHl7; }
  const ImportCounts& counts() const override { return writer_.counts(); }
  void SetTimeZone(std::optional<absl::TimeZone> zone) override {
    writer_.SetTimeZone(std::move(zone));
  }
  void SetDuplicates(ImportOptions::Duplicates policy) override { writer_.SetDuplicates(policy); }
  absl::Status UseCatalog(const ImportCatalog& catalog) override {
    mapping_.AddUnmapped(catalog.codes);
    return absl::OkStatus();
  }
  int64_t bytes_consumed() const override { return segments_.bytes(); }

  // Reads the first segment: the input must start with a message (or a
  // batch header).
  absl::Status Start() {
    if (!segments_.Next(pending_)) {
      if (segments_.read_error()) return absl::DataLossError(absl::StrCat(source_, ": read error"));
      return absl::InvalidArgumentError(absl::StrCat(
          source_, ": expected HL7 v2 messages starting with MSH (the file is empty)"));
    }
    has_pending_ = true;
    const absl::string_view id = absl::string_view(pending_.text).substr(0, 3);
    if (id != "MSH" && id != "FHS" && id != "BHS") {
      return absl::InvalidArgumentError(
          absl::StrCat(source_, ":", pending_.line,
                       ": expected an HL7 v2 message starting with MSH (such as MSH|^~\\&|...), "
                       "found ",
                       QuoteForMessage(pending_.text)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<bool> ReadChunk(size_t max_rows, Batch& batch, ImportErrors& errors,
                                 RejectSink* rejects) override {
    Hl7SegmentReader::Segment& s = segment_;
    for (size_t n = 0; n < max_rows;) {
      if (has_pending_) {
        std::swap(s, pending_);
        has_pending_ = false;
      } else if (!segments_.Next(s)) {
        if (segments_.read_error()) {
          return absl::DataLossError(absl::StrCat(source_, ": read error"));
        }
        return false;
      }
      const absl::string_view id = absl::string_view(s.text).substr(0, 3);
      if (id == "MSH") {
        StartMessage(s);
        continue;
      }
      if (!Is(s, "OBX")) {
        if (Is(s, "PID")) ReadPid(s);
        if (Is(s, "OBR")) ReadObr(s);
        continue;
      }
      ++n;
      writer_.BeginRow(s.line, errors);
      Observation(s, errors);
      if (!writer_.EndRow(batch) && rejects != nullptr) {
        rejects->Reject(s.line, s.text, errors.row_messages());
      }
    }
    return true;
  }

 private:
  // The state of the message being read.
  struct Message {
    int64_t number = 0;  // 1-based, in the file; 0 before the first MSH
    Hl7Encoding encoding;
    std::string problem;   // when not empty, its OBX segments cannot be read
    bool results = false;  // ORU or OUL
    std::string type;      // MSH-9, e.g. "ORU^R01"
    int obx = 0;           // OBX segments so far
    // The PID before the current OBX.
    bool have_pid = false;
    std::string patient;
    std::string patient_problem;
    // The OBR before the current OBX (in the same PID group).
    bool have_obr = false;
    int64_t obr_line = 0;
    int obr_fields = 0;
    std::string obr7, obr14;
    std::string obr_problem;
  };

  // Whether segment `s` is a `name` segment of the current message.
  bool Is(const Hl7SegmentReader::Segment& s, absl::string_view name) const {
    const absl::string_view t = s.text;
    if (!absl::StartsWith(t, name)) return false;
    if (t.size() == name.size()) return true;
    // A message whose delimiters are unknown still has its OBX rows counted.
    if (message_.number == 0 || !message_.problem.empty()) {
      return !absl::ascii_isalnum(static_cast<unsigned char>(t[name.size()]));
    }
    return t[name.size()] == message_.encoding.field;
  }

  void StartMessage(const Hl7SegmentReader::Segment& s) {
    const int64_t number = message_.number + 1;
    message_ = Message();
    message_.number = number;
    const std::string where = absl::StrCat("MSH on line ", s.line, ": ");
    if (s.too_long) {
      message_.problem =
          absl::StrCat(where, "the segment is longer than ", kMaxHl7SegmentBytes >> 20, " MiB");
      return;
    }
    absl::StatusOr<Hl7Encoding> encoding = ParseHl7Encoding(s.text);
    if (!encoding.ok()) {
      message_.problem = absl::StrCat(where, encoding.status().message());
      return;
    }
    message_.encoding = *encoding;
    const Hl7Segment msh(s.text, message_.encoding);
    const std::string code = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(msh.Component(9, 1)));
    const std::string event =
        absl::AsciiStrToUpper(absl::StripAsciiWhitespace(msh.Component(9, 2)));
    if (code.empty()) {
      message_.problem = absl::StrCat(
          where, "field \"MSH-9\": empty (expected the message type, such as ORU^R01)");
      return;
    }
    message_.type = event.empty() ? code : absl::StrCat(code, "^", event);
    message_.results = code == "ORU" || code == "OUL";
  }

  void ReadPid(const Hl7SegmentReader::Segment& s) {
    message_.have_pid = true;
    message_.patient.clear();
    message_.patient_problem.clear();
    message_.have_obr = false;  // a new patient's orders follow
    const std::string where = absl::StrCat("PID on line ", s.line, ": ");
    if (s.too_long) {
      message_.patient_problem =
          absl::StrCat(where, "the segment is longer than ", kMaxHl7SegmentBytes >> 20, " MiB");
      return;
    }
    std::string problem;
    if (!PatientOf(Hl7Segment(s.text, message_.encoding), choice_, message_.patient, problem)) {
      message_.patient_problem = absl::StrCat(where, problem);
    } else if (absl::Status id = ValidatePatientId(message_.patient); !id.ok()) {
      message_.patient_problem = absl::StrCat(where, id.message());
    }
  }

  void ReadObr(const Hl7SegmentReader::Segment& s) {
    message_.have_obr = true;
    message_.obr_line = s.line;
    message_.obr_problem.clear();
    const Hl7Segment obr(s.text, message_.encoding);
    message_.obr7 = std::string(absl::StripAsciiWhitespace(obr.Component(7, 1)));
    message_.obr14 = std::string(absl::StripAsciiWhitespace(obr.Component(14, 1)));
    message_.obr_fields = obr.field_count();
    if (s.too_long) {
      message_.obr_problem = absl::StrCat("OBR on line ", s.line, ": the segment is longer than ",
                                          kMaxHl7SegmentBytes >> 20, " MiB");
    }
  }

  // Counts the row as skipped for a reason naming `code`.
  void SkipForCode(const std::string& what, absl::string_view code) {
    std::string reason = absl::StrCat(what, ShownCode(code));
    if (!code_reasons_.contains(reason)) {
      if (code_reasons_.size() >= kMaxCodeReasons) {
        reason = absl::StrCat(what, "(one of more than ", kMaxCodeReasons, " codes)");
      } else {
        code_reasons_.insert(reason);
      }
    }
    writer_.Skip(reason);
  }

  // The effective time: OBX-14, else OBR-7, else OBR-14. False (after adding
  // the error) when there is none or it is bad.
  bool EffectiveTime(const Hl7Segment& obx, int64_t line, const std::string& prefix,
                     ImportErrors& errors, CivilTime& time) {
    std::string text(absl::StripAsciiWhitespace(obx.Component(14, 1)));
    std::string field = "OBX-14";
    std::string where;
    if (text.empty() && message_.have_obr) {
      where = absl::StrCat("OBR on line ", message_.obr_line, ": ");
      if (!message_.obr_problem.empty()) {
        errors.Add(line, 0, absl::StrCat(prefix, "OBX-14 is empty and ", message_.obr_problem));
        return false;
      }
      text = !message_.obr7.empty() ? message_.obr7 : message_.obr14;
      field = !message_.obr7.empty() ? "OBR-7" : "OBR-14";
    }
    if (text.empty()) {
      std::string why =
          message_.have_obr
              ? "no date: OBX-14, OBR-7 and OBR-14 are empty (the observation needs a date)"
              : "no date: OBX-14 is empty and no OBR segment comes before it (the observation "
                "needs a date)";
      if (message_.have_obr && message_.obr_fields < 7) {
        absl::StrAppend(&why, "; the OBR on line ", message_.obr_line, " has only ",
                        message_.obr_fields, " fields: is it broken across lines?");
      }
      errors.Add(line, 0, absl::StrCat(prefix, why));
      return false;
    }
    std::optional<int> offset;
    absl::StatusOr<CivilTime> t = ParseHl7DateTime(text, &offset);
    if (!t.ok()) {
      errors.Add(line, 0,
                 absl::StrCat(prefix, where, "field \"", field, "\": bad value ",
                              QuoteForMessage(text), " (", t.status().message(), ")"));
      return false;
    }
    time = offset ? writer_.Instant(*t, *offset) : *t;
    return true;
  }

  // Reads OBX-5 of type NM or SN into `obs`. Returns false when the row is
  // done: skipped (with its reason) or bad (with its error).
  bool Value(const Hl7Segment& obx, absl::string_view type, absl::string_view code, int64_t line,
             const std::string& prefix, ImportErrors& errors, ObservationInput& obs) {
    const Hl7Encoding& e = obx.encoding();
    const auto bad = [&](absl::string_view shown, absl::string_view expected) {
      errors.Add(line, 0,
                 absl::StrCat(prefix, "field \"OBX-5\": bad value ", QuoteForMessage(shown), " (",
                              expected, ")"));
      return false;
    };
    // One value: a second repetition would be a second result.
    absl::string_view value;
    int values = 0;
    ForEachHl7Part(obx.Field(5), e.repetition, [&](absl::string_view rep) {
      if (absl::StripAsciiWhitespace(rep).empty()) return true;
      if (++values == 1) value = rep;
      return true;
    });
    if (values == 0) {
      writer_.Skip("no value");
      return false;
    }
    if (values > 1) {
      return bad(obx.Field(5), absl::StrCat(values, " values; expected one ", type, " value"));
    }
    if (type == "NM") {
      const std::string text(absl::StripAsciiWhitespace(DecodeHl7Escapes(value, e)));
      absl::StatusOr<double> number = ParseNumber(text);
      if (!number.ok()) {
        std::string expected(number.status().message());
        if (ParseValueText(text).ok()) {
          absl::StrAppend(&expected,
                          "; type NM is a plain number: a censored value is sent as "
                          "type SN, e.g. <^0.5");
        }
        return bad(text, expected);
      }
      obs.value = *number;
      obs.original_value = text;
      return true;
    }
    // SN: comparator ^ number ^ separator/suffix ^ number.
    const auto part = [&](int i) {
      return std::string(
          absl::StripAsciiWhitespace(DecodeHl7Escapes(Hl7Part(value, e.component, i), e)));
    };
    const std::string comparator = part(1), number = part(2), separator = part(3), second = part(4);
    constexpr char kExpectedSn[] =
        "expected SN: [comparator]^number, comparator <, <=, >, >= or =, e.g. <^0.5 or ^182";
    if (!separator.empty()) {
      if (separator == "-") {
        SkipForCode("SN range, code ", code);
      } else if (separator == ":" || separator == "/") {
        SkipForCode("SN ratio, code ", code);
      } else if (separator == "+" && second.empty()) {
        SkipForCode("SN categorical (N+), code ", code);
      } else {
        SkipForCode(absl::StrCat("SN with separator ", QuoteForMessage(separator), ", code "),
                    code);
      }
      return false;
    }
    if (!second.empty()) return bad(DecodeHl7Escapes(value, e), kExpectedSn);
    if (comparator == "<>") {
      SkipForCode("SN comparator <> (not equal), code ", code);
      return false;
    }
    if (comparator == "<") {
      obs.comparator = Comparator::kLess;
    } else if (comparator == "<=") {
      obs.comparator = Comparator::kLessEqual;
    } else if (comparator == ">") {
      obs.comparator = Comparator::kGreater;
    } else if (comparator == ">=") {
      obs.comparator = Comparator::kGreaterEqual;
    } else if (!comparator.empty() && comparator != "=") {
      return bad(DecodeHl7Escapes(value, e), kExpectedSn);
    }
    if (number.empty()) {
      if (comparator.empty()) {
        writer_.Skip("no value");
        return false;
      }
      return bad(DecodeHl7Escapes(value, e), absl::StrCat(kExpectedSn, "; the number is missing"));
    }
    absl::StatusOr<double> n = ParseNumber(number);
    if (!n.ok()) return bad(DecodeHl7Escapes(value, e), n.status().message());
    obs.value = *n;
    obs.original_value = absl::StrCat(comparator == "=" ? "" : comparator, number);
    return true;
  }

  // One OBX segment: an observation, a skip with its reason, or errors.
  void Observation(const Hl7SegmentReader::Segment& s, ImportErrors& errors) {
    const int64_t line = s.line;
    if (message_.number == 0) {
      errors.Add(line, 0, "OBX before any MSH segment (an observation must be in a message)");
      return;
    }
    const int obx_number = ++message_.obx;
    const std::string prefix =
        absl::StrCat("message ", message_.number, ", OBX ", obx_number, ": ");
    if (!message_.problem.empty()) {
      errors.Add(line, 0, absl::StrCat(prefix, message_.problem));
      return;
    }
    if (!message_.results) {
      writer_.Skip(absl::StrCat("message type ", ShownCode(message_.type)));
      return;
    }
    const Hl7Segment obx(s.text, message_.encoding);
    // OBX-3: identifier^text^system^alternate identifier^text^system.
    const std::string code(absl::StripAsciiWhitespace(obx.Component(3, 1)));
    const std::string system = obx.Component(3, 3);
    const std::string alt_code(absl::StripAsciiWhitespace(obx.Component(3, 4)));
    const std::string alt_system = obx.Component(3, 6);
    const absl::string_view shown = !code.empty() ? absl::string_view(code) : alt_code;
    const std::string type = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(obx.Field(2)));
    const bool numeric = type == "NM" || type == "SN";
    if (s.too_long) {
      // Only its start is kept, and OBX-11 comes after the long OBX-5 (an
      // embedded report, type ED): the type decides.
      if (numeric) {
        errors.Add(line, 0,
                   absl::StrCat(prefix, "the segment is longer than ", kMaxHl7SegmentBytes >> 20,
                                " MiB (a numeric result never is)"));
      } else {
        SkipForCode(
            absl::StrCat("value type ", type.empty() ? "missing" : ShownCode(type), ", code "),
            shown);
      }
      return;
    }
    // Status first: a preliminary or deleted result is not one, whatever it
    // holds.
    const std::string status =
        absl::AsciiStrToUpper(absl::StripAsciiWhitespace(obx.Component(11, 1)));
    const ResultStatus* rule = nullptr;
    for (const ResultStatus& r : kStatuses) {
      if (status.size() == 1 && status[0] == r.code) rule = &r;
    }
    if (rule == nullptr) {
      writer_.Skip(status.empty() ? std::string("status missing")
                                  : absl::StrCat("status ", ShownCode(status), " (unknown)"));
      return;
    }
    if (!rule->recorded) {
      writer_.Skip(absl::StrCat("status ", status, " (", rule->meaning, ")"));
      return;
    }
    if (!numeric) {
      if (type.empty() && absl::StripAsciiWhitespace(obx.Field(5)).empty()) {
        writer_.Skip("no value");
      } else {
        SkipForCode(
            absl::StrCat("value type ", type.empty() ? "missing" : ShownCode(type), ", code "),
            shown);
      }
      return;
    }
    const CodeMappingEntry* m = Find(system, code);
    if (m == nullptr) m = Find(alt_system, alt_code);
    if (m == nullptr) {
      SkipForCode("unmapped code ", shown);
      return;
    }
    ObservationInput obs;
    if (!Value(obx, type, shown, line, prefix, errors, obs)) return;
    obs.measure = m->measure;
    bool have_patient = false;
    if (!message_.have_pid) {
      errors.Add(line, 0,
                 absl::StrCat(prefix,
                              "no PID segment before it in the message (the observation needs "
                              "a patient)"));
    } else if (!message_.patient_problem.empty()) {
      errors.Add(line, 0, absl::StrCat(prefix, message_.patient_problem));
    } else {
      obs.patient = message_.patient;
      have_patient = true;
    }
    const bool have_time = EffectiveTime(obx, line, prefix, errors, obs.time);
    std::string unit(absl::StripAsciiWhitespace(obx.Component(6, 1)));
    if (unit.empty()) unit = std::string(absl::StripAsciiWhitespace(obx.Component(6, 2)));
    obs.unit = NormalizeUnit(unit);
    if (obs.unit.empty()) obs.unit = m->unit;
    if (have_time && have_patient) {
      const int64_t first = writer_.FirstSeen(obs, line);
      if (first != 0) {
        std::string message = absl::StrCat(prefix, DuplicateMessage(first));
        if (status == "C") {
          absl::StrAppend(&message,
                          "; a correction (OBX-11 C) of a result earlier in the same file is "
                          "imported from a file of its own, after the one with the original");
        }
        errors.Add(line, 0, message);
      }
    }
    writer_.Record(std::move(obs));
  }

  // The mapping of `code` in the HL7 coding system `system`: by its URI
  // (LN is http://loinc.org), else by the name as written.
  const CodeMappingEntry* Find(const std::string& system, absl::string_view code) const {
    if (code.empty()) return nullptr;
    const std::string uri = SystemUri(system);
    const CodeMappingEntry* m = mapping_.Find(uri, code);
    if (m == nullptr && uri != system) m = mapping_.Find(system, code);
    return m;
  }

  Hl7SegmentReader segments_;
  std::string source_;
  CodeMapping mapping_;
  PatientChoice choice_;
  RowWriter writer_;
  Hl7SegmentReader::Segment segment_;
  Hl7SegmentReader::Segment pending_;
  bool has_pending_ = false;
  Message message_;
  absl::flat_hash_set<std::string> code_reasons_;
};

absl::StatusOr<std::unique_ptr<FormatReader>> OpenHl7(std::istream& in, const std::string& source,
                                                      const ImportOptions& options,
                                                      StreamStart start) {
  PatientChoice choice;
  choice.field = options.hl7_patient_id_field;
  if (choice.field < 2 || choice.field > 4) {
    return absl::InvalidArgumentError(absl::StrCat("HL7 patient id field: bad value ", choice.field,
                                                   " (expected PID-2, PID-3 or PID-4)"));
  }
  choice.authority = std::string(absl::StripAsciiWhitespace(options.hl7_patient_id_authority));
  choice.type = std::string(absl::StripAsciiWhitespace(options.hl7_patient_id_type));
  COTRACK_ASSIGN_OR_RETURN(CodeMapping mapping, CodeMapping::Load(options.mapping_file));
  auto reader =
      std::make_unique<Hl7Reader>(in, source, options.user, options.reason, std::move(mapping),
                                  std::move(choice), std::move(start.taken));
  COTRACK_RETURN_IF_ERROR(reader->Start());
  return std::unique_ptr<FormatReader>(std::move(reader));
}

bool DetectHl7(absl::string_view start) { return LooksLikeHl7(start); }

}  // namespace

extern const FormatEntry kHl7Format = {
    ImportFormat::kHl7, "hl7", {"hl7v2", "oru"}, nullptr, nullptr, &OpenHl7, &DetectHl7};

}  // namespace cotrack

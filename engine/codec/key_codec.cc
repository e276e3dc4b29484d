#include "codec/key_codec.h"

namespace cotrack::keys {

void AppendU32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out->append(b, 4);
}

void AppendU64(std::string* out, uint64_t v) {
  AppendU32(out, static_cast<uint32_t>(v >> 32));
  AppendU32(out, static_cast<uint32_t>(v));
}

void AppendI64(std::string* out, int64_t v) {
  AppendU64(out, static_cast<uint64_t>(v) ^ (uint64_t{1} << 63));
}

uint32_t DecodeU32(absl::string_view in) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

uint64_t DecodeU64(absl::string_view in) {
  return (uint64_t{DecodeU32(in)} << 32) | DecodeU32(in.substr(4));
}

int64_t DecodeI64(absl::string_view in) {
  return static_cast<int64_t>(DecodeU64(in) ^ (uint64_t{1} << 63));
}

std::string EncodeCounter(uint64_t v, size_t width) {
  std::string s;
  if (width == 4) {
    AppendU32(&s, static_cast<uint32_t>(v));
  } else {
    AppendU64(&s, v);
  }
  return s;
}

std::string SeriesKey(uint32_t measure_id, uint32_t patient_num) {
  std::string k;
  k.reserve(kSeriesKeySize);
  AppendU32(&k, measure_id);
  AppendU32(&k, patient_num);
  return k;
}

std::string SeriesEndsKey(uint32_t patient_num) {
  std::string k = kSeriesEndsBegin;
  AppendU32(&k, patient_num);
  return k;
}

std::string ReceiptKey(uint64_t client) {
  std::string k = kReceiptsBegin;
  AppendU64(&k, client);
  return k;
}

bool ParseSeriesEndsKey(absl::string_view key, uint32_t* patient_num) {
  constexpr size_t kPrefix = sizeof(kSeriesEndsBegin) - 1;
  if (key.size() != kPrefix + 4 || key.substr(0, kPrefix) != kSeriesEndsBegin) return false;
  *patient_num = DecodeU32(key.substr(kPrefix));
  return true;
}

std::string MeasurePrefix(uint32_t measure_id) {
  std::string k;
  AppendU32(&k, measure_id);
  return k;
}

bool ParseSeriesKey(absl::string_view key, uint32_t* measure_id, uint32_t* patient_num) {
  if (key.size() != kSeriesKeySize) return false;
  *measure_id = DecodeU32(key);
  *patient_num = DecodeU32(key.substr(4));
  return true;
}

std::string PatientKey(uint32_t patient_num) {
  std::string k;
  AppendU32(&k, patient_num);
  return k;
}

std::string MeasureKey(uint32_t measure_id) {
  std::string k;
  AppendU32(&k, measure_id);
  return k;
}

std::string AuditKey(uint64_t sequence) {
  std::string k;
  AppendU64(&k, sequence);
  return k;
}

std::string VersionSortKey(int64_t time, uint32_t version) {
  std::string k;
  k.reserve(12);
  AppendI64(&k, time);
  AppendU32(&k, version);
  return k;
}

}  // namespace cotrack::keys

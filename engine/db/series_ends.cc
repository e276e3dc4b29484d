#include "db/series_ends.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "codec/key_codec.h"

namespace cotrack {
namespace {

constexpr size_t kPairBytes = 12;
// The pair that marks a complete record (series_ends.h).
constexpr uint32_t kCompleteMeasure = 0;
constexpr int64_t kCompleteValue = 1;

bool ByMeasure(const std::pair<uint32_t, int64_t>& a, uint32_t measure_id) {
  return a.first < measure_id;
}

}  // namespace

absl::Status SeriesEnds::Decode(absl::string_view value, uint32_t patient_num, SeriesEnds* out) {
  out->ends_.clear();
  out->complete_ = false;
  if (value.size() % kPairBytes != 0) {
    return absl::DataLossError(absl::StrCat("series ends of patient #", patient_num,
                                            " are damaged (", value.size(),
                                            " bytes, not a multiple of 12)"));
  }
  for (size_t pos = 0; pos < value.size(); pos += kPairBytes) {
    const uint32_t measure = keys::DecodeU32(value.substr(pos, 4));
    // By measure id, the marker (0) first.
    if (pos > 0 && keys::DecodeU32(value.substr(pos - kPairBytes, 4)) >= measure) {
      return absl::DataLossError(
          absl::StrCat("series ends of patient #", patient_num, " are damaged (out of order)"));
    }
    const int64_t end = keys::DecodeI64(value.substr(pos + 4, 8));
    if (measure == kCompleteMeasure) {
      // First, by the order check above; its value is fixed.
      if (end != kCompleteValue) {
        return absl::DataLossError(absl::StrCat("series ends of patient #", patient_num,
                                                " are damaged (completeness marker ", end,
                                                ", expected ", kCompleteValue, ")"));
      }
      out->complete_ = true;
      continue;
    }
    out->ends_.emplace_back(measure, end);
  }
  return absl::OkStatus();
}

std::string SeriesEnds::Encode() const {
  std::string out;
  out.reserve((ends_.size() + 1) * kPairBytes);
  if (complete_) {
    keys::AppendU32(&out, kCompleteMeasure);
    keys::AppendI64(&out, kCompleteValue);
  }
  for (const auto& [measure, end] : ends_) {
    keys::AppendU32(&out, measure);
    keys::AppendI64(&out, end);
  }
  return out;
}

std::optional<int64_t> SeriesEnds::Find(uint32_t measure_id) const {
  auto it = std::lower_bound(ends_.begin(), ends_.end(), measure_id, ByMeasure);
  if (it == ends_.end() || it->first != measure_id) return std::nullopt;
  return it->second;
}

void SeriesEnds::Set(uint32_t measure_id, int64_t end) {
  auto it = std::lower_bound(ends_.begin(), ends_.end(), measure_id, ByMeasure);
  if (it != ends_.end() && it->first == measure_id) {
    it->second = end;
  } else {
    ends_.insert(it, {measure_id, end});
  }
}

}  // namespace cotrack

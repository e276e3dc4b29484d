#include "registry_generator.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench_util.h"

namespace cotrack::bench {
namespace {

constexpr int kMaxVisit = 20;  // month 120
constexpr int kIssue13Visits = 20;  // months 0 to 114
constexpr double kDaysPerMonth = 30.4375;
constexpr double kDropoutShare = 0.15;  // patients who leave early
constexpr double kMissedVisit = 0.05;   // a scheduled visit that did not happen
constexpr double kMissingLab = 0.05;    // a lab sample not taken at a visit
constexpr double kIl4Median = 1.1;      // pg/mL; ~10% fall below 0.5
constexpr double kIl4Limit = 0.5;

const char* const kCodes[kMeasureCount] = {"edss", "ais", "fis", "hba1c", "il4"};
const char* const kUnits[kMeasureCount] = {"", "", "", "%", "pg/mL"};

double Clamp(double v, double lo, double hi) { return std::min(hi, std::max(lo, v)); }

// EDSS takes 0, 1.0, 1.5, ..., 10: 0.5 does not exist.
double SnapEdss(double latent) {
  double s = std::round(Clamp(latent, 0, 10) * 2) / 2;
  if (s == 0.5) s = latent < 0.5 ? 0.0 : 1.0;
  return s;
}

// Per-patient latent state of every measure, moved a little each visit.
struct Latent {
  double edss, edss_drift, ais, fis, hba1c, il4_log;
};

void DrawValues(Rng& rng, Latent& s, bool first, Shape shape, std::vector<GenValue>* out) {
  if (!first) {
    s.edss += s.edss_drift + 0.25 * rng.Normal();
    s.ais = Clamp(s.ais + 1.0 * rng.Normal(), 0, 24);
    s.fis = Clamp(s.fis + 5.0 * rng.Normal(), 0, 160);
    s.hba1c = Clamp(s.hba1c + 0.2 * rng.Normal(), 4.5, 13.0);
  }
  if (shape == Shape::kIssue13) {  // EDSS and HbA1c at every visit
    out->push_back({kEdss, SnapEdss(s.edss), false});
    double h = std::round(Clamp(s.hba1c + 0.3 * rng.Normal(), 4.0, 14.0) * 10) / 10;
    out->push_back({kHba1c, h, false});
    return;
  }
  out->push_back({kEdss, SnapEdss(s.edss), false});
  out->push_back({kAis, Clamp(std::round(s.ais + 1.5 * rng.Normal()), 0, 24), false});
  out->push_back({kFis, Clamp(std::round(s.fis + 6.0 * rng.Normal()), 0, 160), false});
  if (!rng.Bernoulli(kMissingLab)) {
    double h = std::round(Clamp(s.hba1c + 0.3 * rng.Normal(), 4.0, 14.0) * 10) / 10;
    out->push_back({kHba1c, h, false});
  }
  if (!rng.Bernoulli(kMissingLab)) {
    double il4 = std::round(std::exp(s.il4_log + 0.6 * rng.Normal()) * 100) / 100;
    if (il4 < kIl4Limit) {
      out->push_back({kIl4, kIl4Limit, true});
    } else {
      out->push_back({kIl4, std::min(il4, 500.0), false});
    }
  }
}

Latent DrawLatent(Rng& rng, bool treatment) {
  Latent s;
  s.edss = 1.0 + 0.5 * static_cast<double>(rng.Range(0, 11));  // 1.0 .. 6.5
  s.edss_drift = treatment ? -0.04 : 0.05;
  s.ais = Clamp(8 + 4 * rng.Normal(), 0, 24);
  s.fis = Clamp(60 + 25 * rng.Normal(), 0, 160);
  s.hba1c = Clamp(6.5 + 1.2 * rng.Normal(), 4.5, 13.0);
  s.il4_log = std::log(kIl4Median) + 0.2 * rng.Normal();
  return s;
}

class CsvOut {
 public:
  CsvOut(std::string dir, std::string stem, std::string header, int64_t rows_per_file)
      : dir_(std::move(dir)),
        stem_(std::move(stem)),
        header_(std::move(header)),
        rows_per_file_(rows_per_file) {}
  ~CsvOut() {
    if (file_ != nullptr) std::fclose(file_);
  }

  // Appends one row (without newline) to the current file.
  absl::Status Row(const std::string& row) {
    if (file_ == nullptr || rows_in_file_ >= rows_per_file_) {
      absl::Status s = Rotate();
      if (!s.ok()) return s;
    }
    buf_.append(row);
    buf_.push_back('\n');
    ++rows_in_file_;
    ++rows_;
    if (buf_.size() >= (1 << 20)) return Flush();
    return absl::OkStatus();
  }

  absl::Status Finish() {
    if (file_ == nullptr) return absl::OkStatus();
    absl::Status s = Flush();
    if (std::fclose(file_) != 0 && s.ok()) {
      s = absl::InternalError(
          absl::StrCat("cannot write ", files_.back(), ": ", std::strerror(errno)));
    }
    file_ = nullptr;
    return s;
  }

  const std::vector<std::string>& files() const { return files_; }
  int64_t rows() const { return rows_; }

 private:
  absl::Status Flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size()) {
      return absl::InternalError(
          absl::StrCat("cannot write ", files_.back(), ": ", std::strerror(errno)));
    }
    buf_.clear();
    return absl::OkStatus();
  }
  absl::Status Rotate() {
    absl::Status s = Finish();
    if (!s.ok()) return s;
    std::string path = absl::StrFormat("%s/%s-%04d.csv", dir_, stem_, files_.size());
    file_ = std::fopen(path.c_str(), "w");
    if (file_ == nullptr) {
      return absl::InternalError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
    }
    files_.push_back(path);
    rows_in_file_ = 0;
    buf_ = header_ + "\n";
    return absl::OkStatus();
  }

  std::string dir_, stem_, header_;
  int64_t rows_per_file_;
  std::FILE* file_ = nullptr;
  std::string buf_;
  int64_t rows_in_file_ = 0;
  int64_t rows_ = 0;
  std::vector<std::string> files_;
};

}  // namespace

bool ParseShape(const std::string& name, Shape* shape) {
  if (name == "registry") {
    *shape = Shape::kRegistry;
  } else if (name == "issue13") {
    *shape = Shape::kIssue13;
  } else {
    return false;
  }
  return true;
}

const char* ShapeName(Shape shape) { return shape == Shape::kIssue13 ? "issue13" : "registry"; }

const std::vector<int>& ShapeMeasures(Shape shape) {
  static const std::vector<int> registry = {kEdss, kAis, kFis, kHba1c, kIl4};
  static const std::vector<int> issue13 = {kEdss, kHba1c};
  return shape == Shape::kIssue13 ? issue13 : registry;
}

const char* MeasureCode(int measure) { return kCodes[measure]; }
const char* MeasureUnit(int measure) { return kUnits[measure]; }
int MeasureFromCode(const std::string& code) {
  for (int m = 0; m < kMeasureCount; ++m) {
    if (code == kCodes[m]) return m;
  }
  return -1;
}

std::string PatientId(int64_t number) { return absl::StrFormat("P%07d", number); }

std::string VisitLabel(int month) { return absl::StrCat("M", month); }

GenPatient GeneratePatient(uint64_t seed, int64_t number, Shape shape) {
  Rng rng(MixSeed(seed, static_cast<uint64_t>(number)));
  GenPatient p;
  p.number = number;
  p.id = PatientId(number);
  bool treatment = rng.Bernoulli(0.5);
  p.arm = treatment ? "treatment" : "control";
  p.index_day = DaysFromYmd(2010, 1, 1) + rng.Range(0, 3652 - 1);
  const bool issue13 = shape == Shape::kIssue13;
  // Issue 13's file: 20 visits for everyone (months 0 to 114).
  int last_visit = issue13 ? kIssue13Visits - 1 : kMaxVisit;
  if (!issue13 && rng.Bernoulli(kDropoutShare)) {
    last_visit = static_cast<int>(rng.Range(0, kMaxVisit - 1));
  }
  Latent s = DrawLatent(rng, treatment);
  for (int v = 0; v <= last_visit; ++v) {
    // The baseline visit always happens; later ones are sometimes missed.
    if (!issue13 && v > 0 && rng.Bernoulli(kMissedVisit)) continue;
    GenVisit visit;
    visit.month = 6 * v;
    int64_t jitter = v == 0 ? 0 : rng.Range(-14, 14);
    visit.day =
        p.index_day + static_cast<int64_t>(std::lround(kDaysPerMonth * visit.month)) + jitter;
    DrawValues(rng, s, v == 0, shape, &visit.values);
    p.visits.push_back(std::move(visit));
  }
  return p;
}

void AppendValueText(const GenValue& v, std::string* out) {
  switch (v.measure) {
    case kEdss:
    case kHba1c:
      absl::StrAppendFormat(out, "%.1f", v.value);
      break;
    case kAis:
    case kFis:
      absl::StrAppendFormat(out, "%d", static_cast<int>(v.value));
      break;
    default:
      if (v.censored) out->push_back('<');
      absl::StrAppendFormat(out, "%.2f", v.value);
      break;
  }
}

IngestVisit GenerateIngestVisit(uint64_t seed, int64_t patients, int64_t j, Shape shape) {
  Rng rng(MixSeed(seed ^ 0x1A6E57ULL, static_cast<uint64_t>(j)));
  // A stride coprime with most sizes spreads the visits over the registry.
  int64_t number = (j * 7919 + 13) % patients;
  int64_t index_day = GeneratePatient(seed, number, shape).index_day;
  IngestVisit v;
  v.patient = PatientId(number);
  // After month 120 (+14 days of jitter); one week apart when a patient gets
  // several.
  v.day = index_day + 3700 + 7 * (j / patients);
  v.label = "X" + std::to_string(j / patients + 1);
  Latent s = DrawLatent(rng, rng.Bernoulli(0.5));
  DrawValues(rng, s, true, shape, &v.values);
  return v;
}

absl::StatusOr<GeneratedFiles> WriteRegistry(const std::string& dir, uint64_t seed,
                                             int64_t patients, int64_t rows_per_file,
                                             Shape shape) {
  if (patients <= 0) return absl::InvalidArgumentError("--patients must be at least 1");
  if (rows_per_file <= 0) return absl::InvalidArgumentError("--rows-per-file must be at least 1");
  CsvOut pat(dir, "patients", "patient,arm,index_date", rows_per_file);
  CsvOut obs(dir, "observations", "patient,measure,date,value,unit,visit", rows_per_file);
  std::string row;
  for (int64_t i = 0; i < patients; ++i) {
    GenPatient p = GeneratePatient(seed, i, shape);
    row.clear();
    absl::StrAppend(&row, p.id, ",", p.arm, ",");
    AppendDay(p.index_day, &row);
    absl::Status s = pat.Row(row);
    if (!s.ok()) return s;
    for (const GenVisit& v : p.visits) {
      for (const GenValue& val : v.values) {
        row.clear();
        absl::StrAppend(&row, p.id, ",", kCodes[val.measure], ",");
        AppendDay(v.day, &row);
        row.push_back(',');
        AppendValueText(val, &row);
        absl::StrAppend(&row, ",", kUnits[val.measure], ",M", v.month);
        s = obs.Row(row);
        if (!s.ok()) return s;
      }
    }
  }
  absl::Status s = pat.Finish();
  if (s.ok()) s = obs.Finish();
  if (!s.ok()) return s;
  GeneratedFiles files;
  files.patient_files = pat.files();
  files.observation_files = obs.files();
  files.patients = pat.rows();
  files.observations = obs.rows();
  return files;
}

}  // namespace cotrack::bench

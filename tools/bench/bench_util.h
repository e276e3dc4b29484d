// Small helpers shared by every part of cotrack_bench: timing, latency
// statistics, civil-date arithmetic, value formatting and process/disk
// measurements. Nothing here knows about any storage engine.
#ifndef COTRACK_TOOLS_BENCH_BENCH_UTIL_H_
#define COTRACK_TOOLS_BENCH_BENCH_UTIL_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cotrack::bench {

// Monotonic nanoseconds since an arbitrary origin.
inline int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Wall clock, microseconds since the Unix epoch (the "recorded_at" stamp).
int64_t WallMicros();

// p-th percentile (0 <= p <= 1, nearest rank) of `nanos`; 0 when empty.
// Reorders `nanos`.
int64_t Percentile(std::vector<int64_t>& nanos, double p);

// Median of `v` (mean of the two middle values for an even count); 0 when
// empty. Reorders `v`.
double Median(std::vector<double>& v);

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromYmd(int64_t y, unsigned m, unsigned d);
// Appends "YYYY-MM-DD" for `day` (days since 1970-01-01) to `out`.
void AppendDay(int64_t day, std::string* out);
std::string FormatDay(int64_t day);
// Parses exactly "YYYY-MM-DD" into days since 1970-01-01; false when the
// text is not such a date.
bool ParseDay(absl::string_view text, int64_t* day);

// Appends the shortest decimal text that reads back as `v`.
void AppendDouble(double v, std::string* out);

// Peak resident set size of this process in bytes (VmHWM); 0 when unknown.
uint64_t PeakRssBytes();
// Resets the peak to the current RSS (Linux clear_refs "5"), so a forked
// child's peak does not include what its parent once used. Best effort.
void ResetPeakRss();

// Total size in bytes of the regular files below `dir`, skipping RocksDB's
// informational logs (LOG, LOG.old.*), which are not data.
absl::StatusOr<uint64_t> DataBytesInDir(const std::string& dir);

// Removes `dir` and everything in it; OK when it does not exist.
absl::Status RemoveDir(const std::string& dir);

// A deterministic 64-bit generator (SplitMix64): same seed, same stream on
// every platform, unlike the <random> distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  // Standard normal (Box-Muller).
  double Normal();
  bool Bernoulli(double p) { return Uniform() < p; }

 private:
  uint64_t state_;
};

// Mixes two values into a seed for an independent stream.
uint64_t MixSeed(uint64_t a, uint64_t b);

}  // namespace cotrack::bench

#endif  // COTRACK_TOOLS_BENCH_BENCH_UTIL_H_

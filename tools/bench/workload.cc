#include "workload.h"

#include "bench_util.h"

namespace cotrack::bench {

Keys DrawKeys(uint64_t seed, uint64_t stream, int64_t patients, int64_t n, Shape shape) {
  Keys k;
  const std::vector<int>& measures = ShapeMeasures(shape);
  const int64_t last_measure = static_cast<int64_t>(measures.size()) - 1;
  Rng rng(MixSeed(seed ^ 0x9E7E5ULL, stream));
  for (int64_t i = 0; i < n; ++i) {
    GenPatient p = GeneratePatient(seed, rng.Range(0, patients - 1), shape);
    k.trajectory.push_back({p.id, measures[static_cast<size_t>(rng.Range(0, last_measure))], 0});
    p = GeneratePatient(seed, rng.Range(0, patients - 1), shape);
    k.latest.push_back({p.id, measures[static_cast<size_t>(rng.Range(0, last_measure))],
                        p.index_day + rng.Range(-30, 3700)});
    p = GeneratePatient(seed, rng.Range(0, patients - 1), shape);
    const GenVisit& v =
        p.visits[static_cast<size_t>(rng.Range(0, static_cast<int64_t>(p.visits.size()) - 1))];
    k.visit.push_back({p.id, 0, v.day});
  }
  return k;
}

}  // namespace cotrack::bench

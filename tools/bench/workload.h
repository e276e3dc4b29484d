// The query keys of the point-query workloads, shared by the engines that run
// in this process (bench_engine.h) and the ones that run the workloads in a
// program of their own (the DuckDB driver, duckdb_runner.h).
#ifndef COTRACK_TOOLS_BENCH_WORKLOAD_H_
#define COTRACK_TOOLS_BENCH_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "registry_generator.h"

namespace cotrack::bench {

struct PointKey {
  std::string patient;
  int measure = 0;
  int64_t day = 0;
};

struct Keys {
  std::vector<PointKey> trajectory, latest, visit;
};

// The same keys for every engine: drawn from `seed` and `stream` only. The
// measures are those of `shape`.
Keys DrawKeys(uint64_t seed, uint64_t stream, int64_t patients, int64_t n,
              Shape shape = Shape::kRegistry);

}  // namespace cotrack::bench

#endif  // COTRACK_TOOLS_BENCH_WORKLOAD_H_

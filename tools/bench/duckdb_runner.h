// DuckDB in cotrack_bench: not a BenchEngine in this process but a node
// program (tools/bench/duckdb/driver.js, over the npm package
// @duckdb/node-api) that runs every workload itself. The bench writes the
// whole workload (files, visits to record, the same query keys as every other
// engine, the cohort query) into one JSON file and starts `node driver.js
// FILE` with its stdout on the pipe a forked engine child would write to; the
// driver times each operation with its own clock (no process start, no pipe
// round trip in DuckDB's figures) and answers in the same line protocol,
// plus "qcheck" and "cohort" lines whose numbers the parent formats exactly
// as the other engines' checks are formatted (see main.cc).
#ifndef COTRACK_TOOLS_BENCH_DUCKDB_RUNNER_H_
#define COTRACK_TOOLS_BENCH_DUCKDB_RUNNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench_engine.h"
#include "registry_generator.h"
#include "workload.h"

namespace cotrack::bench {

// Where node, the driver and its npm modules are, and how to run DuckDB.
struct DuckDbSetup {
  std::string node = "node";  // a path, or a name looked up on PATH
  std::string script;         // driver.js
  std::string modules;        // the directory `npm ci` installed node_modules into
  bool key = false;           // PRIMARY KEY (patient, measure, date): an ART index
  bool resort = false;        // compaction rewrites the table in key order
  std::string ingest_mode = "appender";  // or "insert"
};

// The built-in defaults: the driver in the source tree, the modules in the
// build tree (COTRACK_BENCH_DUCKDB_SCRIPT / _MODULES, set by CMake).
DuckDbSetup DefaultDuckDbSetup();

// Why DuckDB cannot run here (node or the npm package missing), or "" when
// it can. The text says what to install or run.
std::string DuckDbUnavailable(const DuckDbSetup& setup);

// Everything the driver runs, in the order it runs it.
struct DuckDbWorkload {
  std::string store_dir;
  std::vector<std::string> patient_files, observation_files;
  int64_t patients = 0;
  int64_t observations = 0;
  int reps = 3;
  std::vector<IngestVisit> ingest;  // empty: no ingest workload
  bool trajectory = true, latest = true, visit = true, cohort = true, export_all = true;
  Keys keys, warm;
  CohortQuery cohort_query;
};

// Writes the workload as the JSON file driver.js reads.
absl::Status WriteDuckDbWorkload(const DuckDbSetup& setup, const DuckDbWorkload& w,
                                 const std::string& path);

// In a forked child: makes `fd` the standard output and replaces the process
// with `node driver.js workload`. Returns only when exec failed (errno set).
void ExecDuckDbDriver(const DuckDbSetup& setup, const std::string& workload_path, int fd);

// The full path of `program` (as given when it contains a '/', else looked
// up on PATH); "" when there is no such executable.
std::string FindExecutable(const std::string& program);

}  // namespace cotrack::bench

#endif  // COTRACK_TOOLS_BENCH_DUCKDB_RUNNER_H_

#include "duckdb_runner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

#ifndef COTRACK_BENCH_DUCKDB_SCRIPT
#define COTRACK_BENCH_DUCKDB_SCRIPT ""
#endif
#ifndef COTRACK_BENCH_DUCKDB_MODULES
#define COTRACK_BENCH_DUCKDB_MODULES ""
#endif

namespace cotrack::bench {
namespace {

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// A JSON string literal.
std::string Json(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

// A number that reads back as the same double.
std::string Num(double v) { return absl::StrFormat("%.17g", v); }

std::string JsonList(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  quoted.reserve(items.size());
  for (const std::string& s : items) quoted.push_back(Json(s));
  return absl::StrCat("[", absl::StrJoin(quoted, ","), "]");
}

// [patient, measure] (trajectory), [patient, measure, day] (latest) or
// [patient, day] (visit).
std::string KeyList(const std::vector<PointKey>& keys, int kind) {
  std::string out = "[";
  for (size_t i = 0; i < keys.size(); ++i) {
    const PointKey& k = keys[i];
    if (i > 0) out.push_back(',');
    if (kind == 0) {
      absl::StrAppend(&out, "[", Json(k.patient), ",", Json(MeasureCode(k.measure)), "]");
    } else if (kind == 1) {
      absl::StrAppend(&out, "[", Json(k.patient), ",", Json(MeasureCode(k.measure)), ",", k.day,
                      "]");
    } else {
      absl::StrAppend(&out, "[", Json(k.patient), ",", k.day, "]");
    }
  }
  out.push_back(']');
  return out;
}

}  // namespace

DuckDbSetup DefaultDuckDbSetup() {
  DuckDbSetup s;
  s.script = COTRACK_BENCH_DUCKDB_SCRIPT;
  s.modules = COTRACK_BENCH_DUCKDB_MODULES;
  return s;
}

std::string FindExecutable(const std::string& program) {
  if (program.empty()) return "";
  if (program.find('/') != std::string::npos) {
    return ::access(program.c_str(), X_OK) == 0 ? program : "";
  }
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", program);
    if (IsFile(candidate) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string DuckDbUnavailable(const DuckDbSetup& setup) {
  if (FindExecutable(setup.node).empty()) {
    return absl::StrCat("node (\"", setup.node,
                        "\") not found; install Node.js 18 or later (Debian: apt install nodejs "
                        "npm) or pass --node PATH");
  }
  if (setup.script.empty() || !IsFile(setup.script)) {
    return absl::StrCat("the driver script \"", setup.script,
                        "\" is missing; pass --duckdb-script PATH (tools/bench/duckdb/driver.js)");
  }
  if (setup.modules.empty() ||
      !IsFile(absl::StrCat(setup.modules, "/node_modules/@duckdb/node-api/package.json"))) {
    return absl::StrCat(
        "the npm package @duckdb/node-api is not installed in \"", setup.modules,
        "\"; run `ninja cotrack_bench_duckdb` in the build directory (npm ci of "
        "tools/bench/duckdb/package-lock.json there), or pass --duckdb-modules DIR");
  }
  return "";
}

absl::Status WriteDuckDbWorkload(const DuckDbSetup& setup, const DuckDbWorkload& w,
                                 const std::string& path) {
  std::string j = "{\n";
  absl::StrAppend(&j, "\"modules\": ", Json(setup.modules), ",\n");
  absl::StrAppend(&j, "\"storeDir\": ", Json(w.store_dir), ",\n");
  absl::StrAppend(&j, "\"key\": ", setup.key ? "true" : "false", ",\n");
  absl::StrAppend(&j, "\"resort\": ", setup.resort ? "true" : "false", ",\n");
  absl::StrAppend(&j, "\"ingestMode\": ", Json(setup.ingest_mode), ",\n");
  absl::StrAppend(&j, "\"patientFiles\": ", JsonList(w.patient_files), ",\n");
  absl::StrAppend(&j, "\"observationFiles\": ", JsonList(w.observation_files), ",\n");
  absl::StrAppend(&j, "\"patients\": ", w.patients, ",\n");
  absl::StrAppend(&j, "\"observations\": ", w.observations, ",\n");
  absl::StrAppend(&j, "\"reps\": ", w.reps, ",\n");
  std::vector<std::string> codes(std::begin(kCatalogCodes), std::end(kCatalogCodes));
  absl::StrAppend(&j, "\"catalogCodes\": ", JsonList(codes), ",\n");
  j += "\"units\": {";
  for (int m = 0; m < kMeasureCount; ++m) {
    absl::StrAppend(&j, m > 0 ? ", " : "", Json(MeasureCode(m)), ": ", Json(MeasureUnit(m)));
  }
  j += "},\n";
  if (!w.ingest.empty()) {
    j += "\"ingest\": [\n";
    for (size_t i = 0; i < w.ingest.size(); ++i) {
      const IngestVisit& v = w.ingest[i];
      absl::StrAppend(&j, i > 0 ? ",\n" : "", "{\"patient\": ", Json(v.patient),
                      ", \"day\": ", v.day, ", \"label\": ", Json(v.label), ", \"values\": [");
      for (size_t k = 0; k < v.values.size(); ++k) {
        const GenValue& g = v.values[k];
        absl::StrAppend(&j, k > 0 ? "," : "", "[", Json(MeasureCode(g.measure)), ",", Num(g.value),
                        ",", g.censored ? "true" : "false", "]");
      }
      j += "]}";
    }
    j += "],\n";
  }
  auto keys = [&](const char* name, bool want, const std::vector<PointKey>& k,
                  const std::vector<PointKey>& warm, int kind) {
    if (!want) return;
    absl::StrAppend(&j, "\"", name, "\": {\"keys\": ", KeyList(k, kind),
                    ",\n  \"warm\": ", KeyList(warm, kind), "},\n");
  };
  keys("trajectory", w.trajectory, w.keys.trajectory, w.warm.trajectory, 0);
  keys("latest", w.latest, w.keys.latest, w.warm.latest, 1);
  keys("visit", w.visit, w.keys.visit, w.warm.visit, 2);
  if (w.cohort) {
    std::vector<std::string> offsets;
    for (int64_t o : w.cohort_query.offsets) offsets.push_back(absl::StrCat(o));
    absl::StrAppend(&j, "\"cohort\": {\"measure\": ", Json(MeasureCode(w.cohort_query.measure)),
                    ", \"offsets\": [", absl::StrJoin(offsets, ","),
                    "], \"window\": ", w.cohort_query.window, "},\n");
  }
  absl::StrAppend(&j, "\"export\": ", w.export_all ? "true" : "false", "\n}\n");

  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
  }
  bool ok = std::fwrite(j.data(), 1, j.size(), f) == j.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

void ExecDuckDbDriver(const DuckDbSetup& setup, const std::string& workload_path, int fd) {
  if (fd != STDOUT_FILENO) {
    if (::dup2(fd, STDOUT_FILENO) < 0) return;
    ::close(fd);
  }
  std::string node = FindExecutable(setup.node);
  std::vector<char*> argv = {const_cast<char*>(node.c_str()),
                             const_cast<char*>(setup.script.c_str()),
                             const_cast<char*>(workload_path.c_str()), nullptr};
  ::execv(node.c_str(), argv.data());
}

}  // namespace cotrack::bench

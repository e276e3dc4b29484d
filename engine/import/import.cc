// The import driver: a file streams through its format's reader, a chunk of
// rows at a time, into one bulk write that commits all of it or none of it.
#include "cotrack/import.h"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cotrack/status_macros.h"
#include "cotrack/text.h"
#include "cotrack/time_zone.h"
#include "import/format_registry.h"
#include "import/import_errors.h"
#include "import/parse_import.h"

namespace cotrack {

namespace {

// Rows parsed between two hand-overs to the bulk write: large enough to
// amortise the hand-over, small enough that a chunk's Batch stays a few MB.
constexpr size_t kChunkRows = 10000;

absl::Status OpenForReading(const std::string& path, std::ifstream& in) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, expected a file"));
  }
  in.open(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string message = absl::StrCat(path, ": cannot open: ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
    return absl::FailedPreconditionError(message);
  }
  return absl::OkStatus();
}

// The write options with the repeats policy of options.duplicates: the
// reader has already left out what kError, kIdenticalOk and kKeepFirst drop
// while it tracks identities, and the commit does the same past that.
WriteOptions RepeatsFor(const ImportOptions& options) {
  WriteOptions write = options.write;
  switch (options.duplicates) {
    case ImportOptions::Duplicates::kIdenticalOk:
    case ImportOptions::Duplicates::kError:
      write.repeats = WriteOptions::Repeats::kReject;
      break;
    case ImportOptions::Duplicates::kKeepFirst:
      write.repeats = WriteOptions::Repeats::kKeepFirst;
      break;
    case ImportOptions::Duplicates::kKeepLast:
      write.repeats = WriteOptions::Repeats::kKeepLast;
      break;
    case ImportOptions::Duplicates::kMean:
      write.repeats = WriteOptions::Repeats::kMean;
      break;
  }
  return write;
}

// A REDCap export's arms and index dates (the mapping's arm and index_date
// rows) against the stored registrations: one that differs is a conflict
// unless ImportOptions::replace_registration. Each is (line, message, the
// change as a row for the reject file). The bulk write holds the database's
// writer lock, so what is read here is what the commit merges into.
absl::Status FindRegistrationConflicts(Database& db, const Batch& batch,
                                       std::vector<Rejection>* conflicts) {
  for (const Patient& update : batch.patients()) {
    absl::StatusOr<Patient> stored = db.GetPatient(update.id);
    if (absl::IsNotFound(stored.status())) continue;  // registered by this file
    if (!stored.ok()) return stored.status();
    auto conflict = [&](absl::string_view field, const std::string& was, const std::string& is) {
      Rejection r;
      r.provenance = update.provenance;
      r.message = absl::StrCat(
          "patient ", QuoteForMessage(update.id), ": ", field, " ", QuoteForMessage(is),
          " differs from the stored ", QuoteForMessage(was),
          "; import with --replace-registration to replace it (a new version of the patient; "
          "the old one stays in its history), or correct the export");
      r.change =
          absl::StrCat(CsvField(update.id), ",", field, ",", CsvField(was), ",", CsvField(is));
      conflicts->push_back(std::move(r));
    };
    if (!update.arm.empty() && !stored->arm.empty() && update.arm != stored->arm) {
      conflict("arm", stored->arm, update.arm);
    }
    if (update.index_date && stored->index_date && *update.index_date != *stored->index_date) {
      conflict("index date", FormatCivilTime(*stored->index_date),
               FormatCivilTime(*update.index_date));
    }
  }
  return absl::OkStatus();
}

// The batch without the patient updates at `lines` (their conflicts are
// rejected; the rows' values stay).
Batch WithoutPatientUpdates(const Batch& batch, const absl::flat_hash_set<int64_t>& lines) {
  Batch out;
  for (const Patient& p : batch.patients()) {
    if (!lines.contains(p.provenance.line)) out.PutPatient(p);
  }
  out.Reserve(batch.observations().size());
  for (const ObservationInput& o : batch.observations()) out.Record(o);
  for (const Batch::Retraction& r : batch.retractions()) {
    out.Retract(r.patient, r.measure, r.time, r.provenance);
  }
  out.SetAudit(batch.audit_action(), batch.audit_detail());
  return out;
}

// --index-date first-visit: the patients a file touches, with the first day
// of each one's values in it (the built-in relapse is an event, not a visit).
class FirstVisits {
 public:
  // A chunk as the bulk write took it; values it rejected (`rejected`, by
  // line) are no visit.
  void Add(const Batch& batch, const std::vector<Rejection>& rejected) {
    absl::flat_hash_set<int64_t> bad;
    for (const Rejection& r : rejected) bad.insert(r.provenance.line);
    for (const Patient& p : batch.patients()) {
      if (bad.contains(p.provenance.line)) continue;
      Entry& e = patients_[p.id];
      if (p.index_date) e.has_index_date = true;
    }
    const std::string* last = nullptr;
    Entry* entry = nullptr;
    for (const ObservationInput& o : batch.observations()) {
      if (o.measure == "relapse" || (!bad.empty() && bad.contains(o.provenance.line))) continue;
      if (last == nullptr || *last != o.patient) {  // files list a patient's rows together
        entry = &patients_[o.patient];
        last = &o.patient;
      }
      entry->first_day = std::min(entry->first_day, o.time.day());
    }
  }

  // The registrations that give each patient without an index date (stored
  // or in the file) its first visit, stored or in the file. Patients with no
  // value at all are listed in `no_visits`.
  absl::StatusOr<Batch> IndexDates(Database& db, const Provenance& provenance,
                                   std::vector<std::string>* no_visits) const {
    Batch out;
    std::vector<MeasureDefinition> measures;
    for (const auto& [id, e] : patients_) {
      if (e.has_index_date) continue;
      int64_t first = e.first_day;
      absl::StatusOr<Patient> stored = db.GetPatient(id);
      if (stored.ok()) {
        if (stored->index_date) continue;
        if (measures.empty()) {
          COTRACK_ASSIGN_OR_RETURN(measures, db.ListMeasures());
        }
        for (const MeasureDefinition& m : measures) {
          if (m.code == "relapse") continue;
          COTRACK_ASSIGN_OR_RETURN(std::vector<Observation> t, db.Trajectory(id, m.code));
          if (!t.empty()) first = std::min(first, t.front().time.day());
        }
      } else if (!absl::IsNotFound(stored.status())) {
        return stored.status();
      }
      if (first == kNone) {
        no_visits->push_back(id);
        continue;
      }
      Patient p;
      p.id = id;
      p.index_date = CivilTime::FromDay(first);
      p.provenance = provenance;
      out.PutPatient(std::move(p));
    }
    return out;
  }

 private:
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
  struct Entry {
    int64_t first_day = kNone;
    bool has_index_date = false;
  };
  std::map<std::string, Entry> patients_;  // by id: registrations in id order
};

}  // namespace

absl::StatusOr<ParsedImport> ParseImport(std::istream& in, const std::string& source,
                                         const ImportOptions& options) {
  COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<FormatReader> reader,
                           OpenFormatReader(in, source, options));
  ParsedImport parsed;
  ImportErrors errors(source);
  for (;;) {
    absl::StatusOr<bool> more = reader->ReadChunk(kChunkRows, parsed.batch, errors, nullptr);
    if (!more.ok()) {
      errors.AddStatus(more.status());  // listed after the row errors before it
      break;
    }
    if (!*more) break;
  }
  COTRACK_RETURN_IF_ERROR(errors.ToStatus());
  parsed.format = reader->format();
  parsed.rows = reader->counts().rows;
  parsed.batch.SetAudit("import", source);
  return parsed;
}

absl::StatusOr<ParsedImport> ParseImportFile(const std::string& path,
                                             const ImportOptions& options) {
  std::ifstream in;
  COTRACK_RETURN_IF_ERROR(OpenForReading(path, in));
  return ParseImport(in, path, options);
}

namespace {

// The reject file of --on-error skip: CSV "line,reason,row", created on the
// first rejected row.
class RejectFile : public RejectSink {
 public:
  explicit RejectFile(std::string path) : path_(std::move(path)) {}

  void Reject(int64_t line, absl::string_view raw_row, absl::string_view reason) override {
    if (!status_.ok()) return;
    if (!out_.is_open()) {
      out_.open(path_, std::ios::binary | std::ios::trunc);
      out_ << "line,reason,row\n";
    }
    out_ << line << ',' << CsvField(reason) << ',' << CsvField(raw_row) << '\n';
    if (!out_) status_ = absl::UnavailableError(absl::StrCat("cannot write ", path_));
    ++rows_;
  }
  absl::Status Close() {
    if (out_.is_open()) out_.close();
    if (!out_ && status_.ok())
      status_ = absl::UnavailableError(absl::StrCat("cannot write ", path_));
    return status_;
  }
  void RejectValue(int64_t line, absl::string_view change, absl::string_view reason) override {
    Reject(line, change, reason);
    ++value_rows_;
    value_lines_.insert(line);
  }
  int64_t rows() const { return rows_; }
  // Of rows(), those of single values the reader rejected, and their lines.
  int64_t value_rows() const { return value_rows_; }
  const absl::flat_hash_set<int64_t>& value_lines() const { return value_lines_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
  absl::Status status_;
  int64_t rows_ = 0;
  int64_t value_rows_ = 0;
  absl::flat_hash_set<int64_t> value_lines_;
};

// "FILE:LINE: message" -> "message", so engine rejections can join the
// reader's errors (which add the position themselves) in line order.
absl::string_view WithoutPosition(const Rejection& r) {
  const std::string prefix = absl::StrCat(r.provenance.source, ":", r.provenance.line, ": ");
  absl::string_view m = r.message;
  if (absl::StartsWith(m, prefix)) m.remove_prefix(prefix.size());
  return m;
}

// What the reader may know of `db` (ImportCatalog): its measures, and the
// LOINC codes of those registered with `measure add --loinc`.
absl::StatusOr<ImportCatalog> CatalogOf(Database& db) {
  COTRACK_ASSIGN_OR_RETURN(std::vector<MeasureDefinition> measures, db.ListMeasures());
  auto codes = std::make_shared<absl::flat_hash_set<std::string>>();
  ImportCatalog catalog;
  for (const MeasureDefinition& m : measures) {
    codes->insert(m.code);
    if (m.builtin) continue;  // the built-in code table maps those
    for (const std::string& loinc : m.loinc) {
      catalog.codes.push_back(CodeMappingEntry{"http://loinc.org", loinc, m.code, m.unit});
    }
  }
  catalog.is_measure = [codes](absl::string_view code) { return codes->contains(code); };
  return catalog;
}

// An engine rejection's message, with where the reader took the value from
// when that says more than the measure (a REDCap field and column).
std::string RejectionMessage(const Rejection& r, const FormatReader& reader) {
  const std::string from = r.measure.empty() ? std::string() : reader.SourceOf(r.measure);
  if (from.empty()) return std::string(WithoutPosition(r));
  return absl::StrCat(from, ": ", WithoutPosition(r));
}

// Parses chunks on a thread of its own while the caller validates and
// stages the previous ones: on two cores the import then costs about the
// larger of the two instead of their sum. At most kQueuedChunks parsed chunks
// wait, so memory stays bounded whatever the file size.
class ChunkPipeline {
 public:
  struct Chunk {
    absl::Status status;  // not ok: the file cannot be read on
    bool more = true;     // false: the last chunk
    Batch batch;
    int64_t rows = 0;   // rows read so far, for progress
    int64_t bytes = 0;  // input position after the chunk, for progress
  };

  // `mu` guards `errors` and `rejects`, which the caller also writes to.
  ChunkPipeline(FormatReader& reader, std::istream& in, ImportErrors& errors, RejectSink* rejects,
                std::mutex& mu)
      : reader_(reader), in_(in), errors_(errors), rejects_(rejects), mu_(mu) {
    thread_ = std::thread([this] { Run(); });
  }
  ~ChunkPipeline() {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  // The next chunk, in file order; after one with !more or a bad status
  // there are no more.
  Chunk Next() {
    std::unique_lock<std::mutex> lock(queue_mu_);
    changed_.wait(lock, [this] { return !queue_.empty(); });
    Chunk c = std::move(queue_.front());
    queue_.pop_front();
    changed_.notify_all();
    return c;
  }

 private:
  static constexpr size_t kQueuedChunks = 2;

  void Run() {
    for (bool more = true; more;) {
      Chunk c;
      c.batch.Reserve(kChunkRows);
      {
        std::lock_guard<std::mutex> lock(mu_);
        absl::StatusOr<bool> read = reader_.ReadChunk(kChunkRows, c.batch, errors_, rejects_);
        c.status = read.status();
        c.more = read.ok() && *read;
        c.rows = reader_.counts().rows;
      }
      c.bytes = reader_.bytes_consumed();
      if (c.bytes < 0) {
        const std::streamoff pos = in_.tellg();
        c.bytes = pos >= 0 ? static_cast<int64_t>(pos) : -1;
      }
      more = c.more;
      std::unique_lock<std::mutex> lock(queue_mu_);
      changed_.wait(lock, [this] { return stop_ || queue_.size() < kQueuedChunks; });
      if (stop_) return;
      queue_.push_back(std::move(c));
      changed_.notify_all();
    }
  }

  FormatReader& reader_;
  std::istream& in_;
  ImportErrors& errors_;
  RejectSink* rejects_;
  std::mutex& mu_;
  std::mutex queue_mu_;
  std::condition_variable changed_;
  std::deque<Chunk> queue_;
  bool stop_ = false;
  std::thread thread_;
};

absl::StatusOr<ImportReport> Import(Database& db, std::istream& in, const std::string& source,
                                    const ImportOptions& given, int64_t total_bytes) {
  // An import naming no zone converts instants to the database's zone
  // (cotrack/time_zone.h), when it has one.
  ImportOptions options = given;
  if (options.timezone.empty()) {
    COTRACK_ASSIGN_OR_RETURN(options.timezone, DatabaseTimeZone(db));
  }
  COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<FormatReader> reader,
                           OpenFormatReader(in, source, options));
  {
    COTRACK_ASSIGN_OR_RETURN(ImportCatalog catalog, CatalogOf(db));
    if (absl::Status s = reader->UseCatalog(catalog); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(s.message(), "\nnothing was written"));
    }
  }
  COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<BulkWrite> bulk,
                           db.BeginBulkWrite(RepeatsFor(options), "import", source));
  const bool skip = options.on_error == ImportOptions::OnError::kSkip;
  std::unique_ptr<RejectFile> rejects;
  if (skip) {
    rejects = std::make_unique<RejectFile>(
        options.reject_file.empty() ? absl::StrCat(source, ".rejects.csv") : options.reject_file);
  }
  // A REDCap export's registrations come from its data, not from a
  // registration file: they must not silently replace a stored one.
  const bool check_registrations =
      reader->format() == ImportFormat::kRedcapCsv && !options.replace_registration;
  std::optional<FirstVisits> first_visits;
  if (options.index_date_first_visit) first_visits.emplace();
  ImportErrors errors(source);
  std::vector<Rejection> rejected;
  absl::flat_hash_set<int64_t> rejected_lines;  // engine rejections, by source line
  int64_t engine_rejections = 0;
  ImportProgress progress;
  progress.total_bytes = total_bytes;
  {
    std::mutex errors_mu;  // errors and rejects, shared with the parsing thread
    ChunkPipeline chunks(*reader, in, errors, rejects.get(), errors_mu);
    for (bool more = true; more;) {
      ChunkPipeline::Chunk chunk = chunks.Next();
      if (!chunk.status.ok()) {
        // The file cannot be read on (e.g. a quote never closed): whatever the
        // error mode, it is not imported.
        std::lock_guard<std::mutex> lock(errors_mu);
        errors.AddStatus(chunk.status);
        return absl::InvalidArgumentError(
            absl::StrCat(errors.ToStatus().message(), "\nnothing was written"));
      }
      more = chunk.more;
      rejected.clear();
      if (check_registrations && !chunk.batch.patients().empty()) {
        std::vector<Rejection> conflicts;
        COTRACK_RETURN_IF_ERROR(FindRegistrationConflicts(db, chunk.batch, &conflicts));
        if (!conflicts.empty()) {
          std::lock_guard<std::mutex> lock(errors_mu);
          absl::flat_hash_set<int64_t> lines;
          for (const Rejection& r : conflicts) {
            lines.insert(r.provenance.line);
            if (skip) {
              rejected_lines.insert(r.provenance.line);
              ++engine_rejections;
              rejects->Reject(r.provenance.line, r.change, r.message);
            } else {
              errors.Add(r.provenance.line, 0, r.message);
            }
          }
          if (skip) chunk.batch = WithoutPatientUpdates(chunk.batch, lines);
        }
      }
      COTRACK_RETURN_IF_ERROR(bulk->Add(chunk.batch, &rejected));
      if (first_visits) first_visits->Add(chunk.batch, rejected);
      if (!rejected.empty()) {
        std::lock_guard<std::mutex> lock(errors_mu);
        for (const Rejection& r : rejected) {
          if (skip) {
            // One row may hold several rejected values (a wide CSV visit): it
            // counts once, and each value gets its own line in the reject file.
            rejected_lines.insert(r.provenance.line);
            ++engine_rejections;
            rejects->Reject(r.provenance.line, r.change, RejectionMessage(r, *reader));
          } else {
            errors.Add(r.provenance.line, 0, RejectionMessage(r, *reader));
          }
        }
      }
      if (options.progress) {
        progress.rows = chunk.rows;
        if (chunk.bytes >= 0) progress.bytes = chunk.bytes;
        progress.done = !more;
        options.progress(progress);
      }
    }
  }  // the parsing thread has finished
  if (!skip && !errors.empty()) {
    // Nothing is committed: the file is rejected whole.
    absl::Status s = errors.ToStatus();
    return absl::InvalidArgumentError(absl::StrCat(s.message(), "\nnothing was written"));
  }
  ImportReport report;
  if (first_visits) {
    Provenance p;
    p.source = source;
    p.user = options.user;
    p.reason = options.reason.empty() ? "index date: the first visit (--index-date first-visit)"
                                      : options.reason;
    std::vector<std::string> no_visits;
    COTRACK_ASSIGN_OR_RETURN(Batch dates, first_visits->IndexDates(db, p, &no_visits));
    report.index_dates_set = static_cast<int64_t>(dates.patients().size());
    if (!dates.empty()) {
      rejected.clear();
      COTRACK_RETURN_IF_ERROR(bulk->Add(dates, skip ? &rejected : nullptr));
      for (const Rejection& r : rejected) report.warnings.push_back(r.message);
    }
    if (!no_visits.empty()) {
      report.warnings.push_back(
          absl::StrCat(no_visits.size(), " patient", no_visits.size() == 1 ? " has" : "s have",
                       " no value to take a first visit from and still no index date: ",
                       NamesForMessage(no_visits)));
    }
  }
  report.path = source;
  report.format = reader->format();
  report.rows = reader->counts().rows;
  report.skipped = reader->counts().skipped;
  report.skipped_by_reason = reader->counts().skipped_by_reason;
  if (const int64_t dropped = reader->counts().offsets_dropped; dropped > 0) {
    report.warnings.push_back(absl::StrCat(
        dropped, " date-time", dropped == 1 ? "" : "s",
        " with a UTC offset or Z: no time zone is set, so the offset was dropped and the clock "
        "time kept (the same instant written in two zones lands on two days); set the database's "
        "zone once with `cotrack timezone ZONE` (e.g. Europe/Berlin), or give --timezone ZONE, "
        "to convert instants to the clinic's civil time"));
  }
  rejected.clear();
  COTRACK_ASSIGN_OR_RETURN(report.summary, bulk->Commit(skip ? &rejected : nullptr));
  for (const Rejection& r : rejected) {  // a second value for one identity
    rejected_lines.insert(r.provenance.line);
    ++engine_rejections;
    rejects->Reject(r.provenance.line, r.change, WithoutPosition(r));
  }
  if (rejects != nullptr) {
    COTRACK_RETURN_IF_ERROR(rejects->Close());
    // The reader reports each bad row once; the engine may reject several
    // values of one row, which counts once.
    // Values the reader rejected alone count the same way.
    for (int64_t line : rejects->value_lines()) rejected_lines.insert(line);
    report.rejected = rejects->rows() - engine_rejections - rejects->value_rows() +
                      static_cast<int64_t>(rejected_lines.size());
    if (rejects->rows() > 0) report.reject_file = rejects->path();
  }
  return report;
}

}  // namespace

absl::StatusOr<ImportReport> ImportStream(Database& db, std::istream& in, const std::string& source,
                                          const ImportOptions& options) {
  return Import(db, in, source, options, 0);
}

std::vector<std::string> ImportFilesOf(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path dir(path);
  if (!std::filesystem::is_directory(dir, ec) ||
      !std::filesystem::is_regular_file(dir / "measurement.csv", ec)) {
    return {path};
  }
  std::vector<std::string> files;
  if (std::filesystem::is_regular_file(dir / "person.csv", ec)) {
    files.push_back((dir / "person.csv").string());
  }
  files.push_back((dir / "measurement.csv").string());
  return files;
}

absl::StatusOr<ImportReport> ImportFile(Database& db, const std::string& path,
                                        const ImportOptions& options) {
  // The process serving the database may exit mid-import (another process
  // takes over): nothing was written, so the file is simply read again.
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    std::ifstream in;
    COTRACK_RETURN_IF_ERROR(OpenForReading(path, in));
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    absl::StatusOr<ImportReport> report =
        Import(db, in, path, options, ec ? 0 : static_cast<int64_t>(size));
    if (report.ok() || !IsInterruptedWrite(report.status()) || attempt == kAttempts) {
      return report;
    }
  }
}

}  // namespace cotrack

// cotrack::Database::Open and the handle it returns. A handle forwards each
// call to where the database is held (serve/engine.h): this process's engine,
// called directly, or the serving process, over its socket. When the serving
// process goes away mid-call, the handle attaches again (to the successor,
// or by taking the database itself) and repeats the call: reads simply, a
// write only if its receipt says it did not happen (WriteContext), so that
// callers see neither the hand-over nor a write applied twice.
#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "catalog/validation.h"
#include "codec/series.h"
#include "cotrack/database.h"
#include "cotrack/status_macros.h"
#include "cotrack/time_zone.h"
#include "serve/engine.h"

namespace cotrack {
namespace {

using LocalRead = std::function<absl::Status(DatabaseImpl&, const ReadView*)>;
using BuildRequest = std::function<void(rpc::Request&)>;
using TakeResponse = std::function<absl::Status(rpc::Response&)>;

// Counts fork()s: a handle opened before a fork belongs to the parent (its
// engine's threads and its connections do not exist in the child).
std::atomic<uint64_t> fork_generation{0};
void CountFork() { fork_generation.fetch_add(1, std::memory_order_relaxed); }
uint64_t ForkGeneration() {
  static const bool registered = [] { return pthread_atfork(nullptr, nullptr, CountFork) == 0; }();
  (void)registered;
  return fork_generation.load(std::memory_order_relaxed);
}

// Marks the error of a bulk write its serving process abandoned.
constexpr char kInterruptedUrl[] = "cotrack.interrupted-write";
// Marks the error of a streamed read cut off after part of its answer was
// delivered.
constexpr char kInterruptedReadUrl[] = "cotrack.interrupted-read";

// Changes per request when a batch travels to another process in parts.
constexpr size_t kItemsPerMessage = 20000;

template <typename T>
absl::Status Assign(absl::StatusOr<T> value, T* out) {
  if (!value.ok()) return value.status();
  *out = *std::move(value);
  return absl::OkStatus();
}

absl::Status ReadOnlyError(const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat(path, " is open read-only; open it for writing to change it"));
}

absl::Status ClosedError(const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat("the handle of ", path, " is closed; open the database again"));
}

// `batch` in parts of at most kItemsPerMessage changes, in order: patients
// first, then observations, then retractions, as Apply stages them.
std::vector<Batch> SplitBatch(const Batch& batch) {
  std::vector<Batch> parts(1);
  auto room = [&] {
    if (parts.back().size() >= kItemsPerMessage) parts.emplace_back();
    return &parts.back();
  };
  for (const Patient& p : batch.patients()) room()->PutPatient(p);
  for (const ObservationInput& o : batch.observations()) room()->Record(o);
  for (const Batch::Retraction& r : batch.retractions()) {
    room()->Retract(r.patient, r.measure, r.time, r.provenance);
  }
  for (Batch& part : parts) part.SetAudit(batch.audit_action(), batch.audit_detail());
  return parts;
}

// The reads of the Reader interface, written once for handles and
// snapshots: each says how to run locally and what to send otherwise.
template <class Base>
class Reads : public Base {
 public:
  absl::StatusOr<std::vector<Observation>> Trajectory(absl::string_view patient,
                                                      absl::string_view measure,
                                                      const TimeRange& range) override {
    std::vector<Observation> out;
    COTRACK_RETURN_IF_ERROR(Read(
        [&](DatabaseImpl& db, const ReadView* v) {
          return Assign(db.Trajectory(v, patient, measure, range), &out);
        },
        [&](rpc::Request& r) {
          r.op = rpc::Op::kTrajectory;
          r.patient = std::string(patient);
          r.measure = std::string(measure);
          r.range = range;
        },
        [&](rpc::Response& r) { return Take(r.observations, &out); }));
    return out;
  }

  absl::StatusOr<std::vector<Observation>> Latest(absl::string_view patient,
                                                  absl::string_view measure,
                                                  std::optional<CivilTime> as_of, int n) override {
    std::vector<Observation> out;
    COTRACK_RETURN_IF_ERROR(Read(
        [&](DatabaseImpl& db, const ReadView* v) {
          return Assign(db.Latest(v, patient, measure, as_of, n), &out);
        },
        [&](rpc::Request& r) {
          r.op = rpc::Op::kLatest;
          r.patient = std::string(patient);
          r.measure = std::string(measure);
          r.time = as_of;
          r.n = n;
        },
        [&](rpc::Response& r) { return Take(r.observations, &out); }));
    return out;
  }

  absl::StatusOr<std::vector<Observation>> LatestAll(absl::string_view patient,
                                                     std::optional<CivilTime> as_of) override {
    std::vector<Observation> out;
    COTRACK_RETURN_IF_ERROR(
        Read([&](DatabaseImpl& db,
                 const ReadView* v) { return Assign(db.LatestAll(v, patient, as_of), &out); },
             [&](rpc::Request& r) {
               r.op = rpc::Op::kLatestAll;
               r.patient = std::string(patient);
               r.time = as_of;
             },
             [&](rpc::Response& r) { return Take(r.observations, &out); }));
    return out;
  }

  absl::StatusOr<std::vector<Observation>> Visit(absl::string_view patient,
                                                 CivilTime date) override {
    std::vector<Observation> out;
    COTRACK_RETURN_IF_ERROR(
        Read([&](DatabaseImpl& db,
                 const ReadView* v) { return Assign(db.Visit(v, patient, date), &out); },
             [&](rpc::Request& r) {
               r.op = rpc::Op::kVisit;
               r.patient = std::string(patient);
               r.time = date;
             },
             [&](rpc::Response& r) { return Take(r.observations, &out); }));
    return out;
  }

  absl::StatusOr<std::vector<Observation>> History(absl::string_view patient,
                                                   absl::string_view measure,
                                                   CivilTime time) override {
    std::vector<Observation> out;
    COTRACK_RETURN_IF_ERROR(
        Read([&](DatabaseImpl& db,
                 const ReadView* v) { return Assign(db.History(v, patient, measure, time), &out); },
             [&](rpc::Request& r) {
               r.op = rpc::Op::kHistory;
               r.patient = std::string(patient);
               r.measure = std::string(measure);
               r.time = time;
             },
             [&](rpc::Response& r) { return Take(r.observations, &out); }));
    return out;
  }

  absl::StatusOr<Patient> GetPatient(absl::string_view id) override {
    Patient out;
    COTRACK_RETURN_IF_ERROR(Read(
        [&](DatabaseImpl& db, const ReadView* v) { return Assign(db.GetPatient(v, id), &out); },
        [&](rpc::Request& r) {
          r.op = rpc::Op::kGetPatient;
          r.patient = std::string(id);
        },
        [&](rpc::Response& r) { return Take(r.patient, &out); }));
    return out;
  }

  absl::StatusOr<std::vector<Patient>> PatientHistory(absl::string_view id) override {
    std::vector<Patient> out;
    COTRACK_RETURN_IF_ERROR(Read(
        [&](DatabaseImpl& db, const ReadView* v) { return Assign(db.PatientHistory(v, id), &out); },
        [&](rpc::Request& r) {
          r.op = rpc::Op::kPatientHistory;
          r.patient = std::string(id);
        },
        [&](rpc::Response& r) { return Take(r.patients, &out); }));
    return out;
  }

  absl::StatusOr<std::vector<Patient>> ListPatients() override {
    std::vector<Patient> out;
    COTRACK_RETURN_IF_ERROR(
        Read([&](DatabaseImpl& db, const ReadView* v) { return Assign(db.ListPatients(v), &out); },
             [&](rpc::Request& r) { r.op = rpc::Op::kListPatients; },
             [&](rpc::Response& r) { return Take(r.patients, &out); }));
    return out;
  }

  absl::StatusOr<MeasureDefinition> GetMeasure(absl::string_view code) override {
    MeasureDefinition out;
    COTRACK_RETURN_IF_ERROR(
        Read([&](DatabaseImpl& db, const ReadView*) { return Assign(db.GetMeasure(code), &out); },
             [&](rpc::Request& r) {
               r.op = rpc::Op::kGetMeasure;
               r.measure = std::string(code);
             },
             [&](rpc::Response& r) { return Take(r.measure, &out); }));
    return out;
  }

  absl::StatusOr<std::vector<MeasureDefinition>> ListMeasures() override {
    std::vector<MeasureDefinition> out;
    COTRACK_RETURN_IF_ERROR(
        Read([&](DatabaseImpl& db, const ReadView*) { return Assign(db.ListMeasures(), &out); },
             [&](rpc::Request& r) { r.op = rpc::Op::kListMeasures; },
             [&](rpc::Response& r) { return Take(r.measures, &out); }));
    return out;
  }

  absl::Status ForEachSeries(absl::string_view measure,
                             const Database::SeriesVisitor& fn) override {
    return Read(
        [&](DatabaseImpl& db, const ReadView* v) { return db.ForEachSeries(v, measure, fn); },
        [&](rpc::Request& r) {
          r.op = rpc::Op::kForEachSeries;
          r.measure = std::string(measure);
        },
        [](rpc::Response&) { return absl::OkStatus(); },
        [&](rpc::Response& r) { return fn(r.patient, r.observations); });
  }

  absl::Status ScanSeries(absl::string_view measure, const Reader::SeriesScanOptions& options,
                          const Reader::SeriesPartVisitor& fn) override {
    if (options.parts < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("series scan: parts must be at least 1, got ", options.parts));
    }
    auto local = [&](DatabaseImpl& db, const ReadView* v) {
      return db.ScanSeries(v, measure, options, fn);
    };
    // Served by another process: the lean scan runs there, in parts on its
    // threads, and its frames (many patients each) come back tagged with
    // their part, each part's in order; `fn` sees them on this thread.
    std::vector<SeriesValue> values;
    absl::Status s = Read(
        local,
        [&](rpc::Request& r) {
          r.op = rpc::Op::kScanSeries;
          r.measure = std::string(measure);
          r.scan = options;
        },
        [](rpc::Response&) { return absl::OkStatus(); },
        [&](rpc::Response& r) -> absl::Status {
          const rpc::SeriesFrame& f = r.series;
          if (f.part >= options.parts) {
            return absl::InternalError(absl::StrCat("the process serving the database sent part ",
                                                    f.part, " of a series scan in at most ",
                                                    options.parts, " parts"));
          }
          uint32_t begin = 0;
          for (size_t i = 0; i < f.patients.size(); ++i) {
            values.assign(f.values.begin() + begin, f.values.begin() + f.ends[i]);
            COTRACK_RETURN_IF_ERROR(fn(f.part, f.patients[i], values));
            begin = f.ends[i];
          }
          return absl::OkStatus();
        });
    if (!IsServerTooOld(s)) return s;
    // An older cotrack serves the database: its ForEachSeries stream, made
    // lean here, in one part (whole patients and trajectories cross the
    // socket, one patient per frame).
    return Read(
        local,
        [&](rpc::Request& r) {
          r.op = rpc::Op::kForEachSeries;
          r.measure = std::string(measure);
        },
        [](rpc::Response&) { return absl::OkStatus(); },
        [&](rpc::Response& r) {
          ToSeriesValues(r.observations, &values);
          return fn(0, ToSeriesPatient(r.patient, options.attribute), values);
        });
  }

  absl::StatusOr<std::vector<AuditRecord>> AuditLog(std::optional<std::string> patient) override {
    std::vector<AuditRecord> out;
    COTRACK_RETURN_IF_ERROR(Read(
        [&](DatabaseImpl& db, const ReadView* v) { return Assign(db.AuditLog(v, patient), &out); },
        [&](rpc::Request& r) {
          r.op = rpc::Op::kAuditLog;
          r.audit_patient = patient;
        },
        [&](rpc::Response& r) { return Take(r.audit, &out); }));
    return out;
  }

 protected:
  // Runs one read: `local` where this process holds the database, else the
  // request `build` makes, whose response goes to `take` (and, for streams,
  // each frame to `on_frame`).
  virtual absl::Status Read(const LocalRead& local, const BuildRequest& build,
                            const TakeResponse& take, const TakeResponse& on_frame = nullptr) = 0;

 private:
  template <typename T>
  static absl::Status Take(T& from, T* to) {
    *to = std::move(from);
    return absl::OkStatus();
  }
};

// A read snapshot: a ReadView of this process's engine, or a snapshot held by
// a session (its own connection) in the serving process.
class SnapshotHandle : public Reads<ReadSnapshot> {
 public:
  SnapshotHandle(std::shared_ptr<Engine> engine)
      : engine_(std::move(engine)), view_(engine_->db().NewReadView()) {}
  SnapshotHandle(std::unique_ptr<Connection> connection, uint64_t id)
      : connection_(std::move(connection)), id_(id) {}

  ~SnapshotHandle() override {
    view_.reset();  // before the engine it belongs to
    if (connection_ != nullptr && !connection_->broken()) {
      rpc::Request r;
      r.op = rpc::Op::kSnapshotEnd;
      r.snapshot = id_;
      rpc::Response response;
      (void)connection_->Call(r, &response);
    }
  }

 protected:
  absl::Status Read(const LocalRead& local, const BuildRequest& build, const TakeResponse& take,
                    const TakeResponse& on_frame) override {
    if (engine_ != nullptr) return local(engine_->db(), view_.get());
    // One request at a time on the snapshot's connection.
    if (owner_ == std::this_thread::get_id()) {
      return absl::FailedPreconditionError(
          "a read snapshot served by another process cannot be read from inside its own "
          "ForEachSeries visitor; collect what the visitor needs and read after it returns");
    }
    std::lock_guard<std::mutex> lock(mu_);
    owner_ = std::this_thread::get_id();
    rpc::Request request;
    build(request);
    request.snapshot = id_;
    rpc::Response response;
    absl::Status s = connection_->Call(request, &response, on_frame);
    owner_ = std::thread::id();
    if (rpc::IsTransportLost(s)) {
      return absl::UnavailableError(
          absl::StrCat("read snapshot ended: the process serving the database (pid ",
                       connection_->server_pid(), ") exited; take a new snapshot"));
    }
    COTRACK_RETURN_IF_ERROR(s);
    return take(response);
  }

 private:
  std::shared_ptr<Engine> engine_;
  std::unique_ptr<ReadView> view_;
  std::unique_ptr<Connection> connection_;
  uint64_t id_ = 0;
  std::mutex mu_;
  std::atomic<std::thread::id> owner_{};
};

// A bulk write of this process's engine; keeps the engine open until it ends.
class LocalBulkWrite : public BulkWrite {
 public:
  LocalBulkWrite(std::shared_ptr<Engine> engine, std::unique_ptr<EngineBulkWrite> inner)
      : engine_(std::move(engine)), inner_(std::move(inner)) {}
  ~LocalBulkWrite() override { inner_.reset(); }
  absl::Status Add(const Batch& batch, std::vector<Rejection>* rejected) override {
    return inner_->Add(batch, rejected);
  }
  absl::StatusOr<WriteSummary> Commit(std::vector<Rejection>* rejected) override {
    return inner_->Commit(rejected);
  }

 private:
  std::shared_ptr<Engine> engine_;
  std::unique_ptr<EngineBulkWrite> inner_;
};

// A bulk write staged in the serving process, in a session of its own.
class RemoteBulkWrite : public BulkWrite {
 public:
  RemoteBulkWrite(std::unique_ptr<Connection> connection, std::string path, Options options)
      : connection_(std::move(connection)), path_(std::move(path)), options_(std::move(options)) {}
  ~RemoteBulkWrite() override {
    if (!finished_ && !connection_->broken()) {
      rpc::Request r;
      r.op = rpc::Op::kBulkAbort;
      rpc::Response response;
      (void)connection_->Call(r, &response);
    }
  }

  absl::Status Add(const Batch& batch, std::vector<Rejection>* rejected) override {
    if (finished_) return absl::FailedPreconditionError("bulk write already committed");
    COTRACK_RETURN_IF_ERROR(failed_);
    for (const Batch& part : SplitBatch(batch)) {
      rpc::Request r;
      r.op = rpc::Op::kBulkAdd;
      r.batch = part;
      r.collect_rejections = rejected != nullptr;
      rpc::Response response;
      absl::Status s = connection_->Call(r, &response);
      if (rpc::IsTransportLost(s)) s = Lost();
      if (!s.ok()) {
        // Parts already staged cannot be taken back: the whole write fails.
        failed_ = s;
        return s;
      }
      if (rejected != nullptr) {
        rejected->insert(rejected->end(), std::make_move_iterator(response.rejections.begin()),
                         std::make_move_iterator(response.rejections.end()));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<WriteSummary> Commit(std::vector<Rejection>* rejected) override {
    if (finished_) return absl::FailedPreconditionError("bulk write already committed");
    finished_ = true;
    COTRACK_RETURN_IF_ERROR(failed_);
    rpc::Request r;
    r.op = rpc::Op::kBulkCommit;
    r.collect_rejections = rejected != nullptr;
    rpc::Response response;
    absl::Status s = connection_->Call(r, &response);
    if (rpc::IsTransportLost(s)) {
      // The serving process went away during the commit: whether it happened
      // is in its receipt, which the successor reads.
      rpc::WriteTag tag = r.tag;
      tag.retry = true;
      COTRACK_ASSIGN_OR_RETURN(Attachment a, Attach(path_, options_));
      if (a.engine != nullptr) {
        COTRACK_ASSIGN_OR_RETURN(std::optional<Receipt> receipt,
                                 a.engine->db().FindReceipt(tag.client));
        if (receipt && receipt->sequence == tag.sequence) return receipt->summary;
        return Lost();
      }
      rpc::Request again;
      again.op = rpc::Op::kBulkCommit;
      again.tag = tag;
      s = a.client->Call(again, &response);
      if (absl::IsAborted(s)) return Lost();  // no receipt: it did not happen
    }
    COTRACK_RETURN_IF_ERROR(s);
    if (rejected != nullptr) {
      rejected->insert(rejected->end(), std::make_move_iterator(response.rejections.begin()),
                       std::make_move_iterator(response.rejections.end()));
    }
    return response.summary;
  }

 private:
  absl::Status Lost() const {
    absl::Status s = absl::AbortedError(
        absl::StrCat("the process serving ", path_, " (pid ", connection_->server_pid(),
                     ") exited during this bulk write; nothing of it was written: run it again"));
    s.SetPayload(kInterruptedUrl, absl::Cord("1"));
    return s;
  }

  std::unique_ptr<Connection> connection_;
  const std::string path_;
  const Options options_;
  absl::Status failed_;
  bool finished_ = false;
};

class Handle : public Reads<Database> {
 public:
  Handle(std::string path, Options options, Attachment attachment)
      : path_(std::move(path)),
        options_(std::move(options)),
        fork_generation_(ForkGeneration()),
        attachment_(std::move(attachment)) {}
  ~Handle() override { Close(); }

  absl::StatusOr<WriteSummary> Apply(const Batch& batch, const WriteOptions& options) override {
    if (batch.size() > kItemsPerMessage && Current().client != nullptr) {
      // Too large for one message: the same all-or-nothing write, in parts.
      COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<BulkWrite> bulk,
                               BeginBulkWrite(options, batch.audit_action(), batch.audit_detail()));
      COTRACK_RETURN_IF_ERROR(bulk->Add(batch, nullptr));
      return bulk->Commit(nullptr);
    }
    return Write(
        [&](DatabaseImpl& db, const WriteContext& c) { return db.Apply(batch, options, c); },
        [&](rpc::Request& r) {
          r.op = rpc::Op::kApply;
          r.batch = batch;
          r.write_options = options;
        });
  }

  absl::Status RegisterMeasure(const MeasureDefinition& measure, const Provenance& provenance,
                               const WriteOptions& options) override {
    return Write(
               [&](DatabaseImpl& db, const WriteContext& c) -> absl::StatusOr<WriteSummary> {
                 COTRACK_RETURN_IF_ERROR(db.RegisterMeasure(measure, provenance, options, c));
                 return WriteSummary();
               },
               [&](rpc::Request& r) {
                 r.op = rpc::Op::kRegisterMeasure;
                 r.measure_def = measure;
                 r.provenance = provenance;
                 r.write_options = options;
               })
        .status();
  }

  absl::Status EditMeasure(const MeasureDefinition& measure, const Provenance& provenance,
                           const WriteOptions& options) override {
    return Write(
               [&](DatabaseImpl& db, const WriteContext& c) -> absl::StatusOr<WriteSummary> {
                 COTRACK_RETURN_IF_ERROR(db.EditMeasure(measure, provenance, options, c));
                 return WriteSummary();
               },
               [&](rpc::Request& r) {
                 r.op = rpc::Op::kEditMeasure;
                 r.measure_def = measure;
                 r.provenance = provenance;
                 r.write_options = options;
               })
        .status();
  }

  // cotrack/time_zone.h
  absl::StatusOr<std::string> TimeZone() {
    std::string out;
    COTRACK_RETURN_IF_ERROR(
        Read([&](DatabaseImpl& db, const ReadView*) { return Assign(db.TimeZone(), &out); },
             [&](rpc::Request& r) { r.op = rpc::Op::kGetTimeZone; },
             [&](rpc::Response& r) {
               out = std::move(r.time_zone);
               return absl::OkStatus();
             },
             nullptr));
    return out;
  }

  absl::Status SetTimeZone(const std::string& zone, bool force, const Provenance& provenance) {
    return Write(
               [&](DatabaseImpl& db, const WriteContext& c) -> absl::StatusOr<WriteSummary> {
                 COTRACK_RETURN_IF_ERROR(db.SetTimeZone(zone, force, provenance, c));
                 return WriteSummary();
               },
               [&](rpc::Request& r) {
                 r.op = rpc::Op::kSetTimeZone;
                 r.time_zone = zone;
                 r.force = force;
                 r.provenance = provenance;
               })
        .status();
  }

  absl::StatusOr<std::vector<MeasureDefinition>> MeasureHistory(absl::string_view code) override {
    std::vector<MeasureDefinition> out;
    COTRACK_RETURN_IF_ERROR(Read(
        [&](DatabaseImpl& db, const ReadView*) { return Assign(db.MeasureHistory(code), &out); },
        [&](rpc::Request& r) {
          r.op = rpc::Op::kMeasureHistory;
          r.measure = std::string(code);
        },
        [&](rpc::Response& r) {
          out = std::move(r.measures);
          return absl::OkStatus();
        },
        nullptr));
    return out;
  }

  absl::StatusOr<std::unique_ptr<BulkWrite>> BeginBulkWrite(const WriteOptions& options,
                                                            std::string audit_action,
                                                            std::string audit_detail) override {
    COTRACK_ASSIGN_OR_RETURN(Call call, Enter());
    if (options_.read_only) return ReadOnlyError(path_);
    for (HandOverBudget hand_overs(options_);;) {
      Attachment a = Current();
      if (a.engine != nullptr) {
        WriteContext c;
        c.user = options_.user;
        COTRACK_ASSIGN_OR_RETURN(
            std::unique_ptr<EngineBulkWrite> inner,
            a.engine->db().BeginBulkWrite(options, audit_action, audit_detail, c));
        return std::unique_ptr<BulkWrite>(new LocalBulkWrite(a.engine, std::move(inner)));
      }
      absl::StatusOr<std::unique_ptr<Connection>> connection = a.client->Dedicated();
      absl::Status s = connection.status();
      if (s.ok()) {
        rpc::Request r;
        r.op = rpc::Op::kBulkBegin;
        r.write_options = options;
        r.audit_action = audit_action;
        r.audit_detail = audit_detail;
        rpc::Response response;
        s = (*connection)->Call(r, &response);
        if (s.ok()) {
          return std::unique_ptr<BulkWrite>(
              new RemoteBulkWrite(*std::move(connection), path_, options_));
        }
      }
      if (!rpc::IsTransportLost(s) || !hand_overs.Another()) return s;
      COTRACK_RETURN_IF_ERROR(Reattach(a));
    }
  }

  absl::StatusOr<std::unique_ptr<ReadSnapshot>> NewSnapshot() override {
    COTRACK_ASSIGN_OR_RETURN(Call call, Enter());
    for (HandOverBudget hand_overs(options_);;) {
      Attachment a = Current();
      if (a.engine != nullptr) {
        return std::unique_ptr<ReadSnapshot>(new SnapshotHandle(a.engine));
      }
      absl::StatusOr<std::unique_ptr<Connection>> connection = a.client->Dedicated();
      absl::Status s = connection.status();
      if (s.ok()) {
        rpc::Request r;
        r.op = rpc::Op::kSnapshotBegin;
        rpc::Response response;
        s = (*connection)->Call(r, &response);
        if (s.ok()) {
          return std::unique_ptr<ReadSnapshot>(
              new SnapshotHandle(*std::move(connection), response.snapshot));
        }
      }
      if (!rpc::IsTransportLost(s) || !hand_overs.Another()) return s;
      COTRACK_RETURN_IF_ERROR(Reattach(a));
    }
  }

  absl::Status Compact() override {
    if (options_.read_only) return ReadOnlyError(path_);
    return Read([](DatabaseImpl& db, const ReadView*) { return db.Compact(); },
                [](rpc::Request& r) { r.op = rpc::Op::kCompact; },
                [](rpc::Response&) { return absl::OkStatus(); }, nullptr);
  }

  void Close() override {
    Attachment released;
    {
      std::unique_lock<std::mutex> lock(mu_);
      closed_ = true;
      idle_.wait(lock, [&] { return active_ == 0; });
      released = std::move(attachment_);
      attachment_ = Attachment();
    }
    if (ForkGeneration() != fork_generation_) {
      // A child of the process that opened it: the engine's threads are the
      // parent's, and stopping them here would hang. Left to the parent.
      new Attachment(std::move(released));
    }
    // Dropping the last reference to this process's engine closes the
    // database (after its server stops): outside the lock.
  }

  const std::string& path() const override { return path_; }

  // This handle's attachment, for maintenance calls (serve/maintenance.cc).
  Attachment Current() {
    std::lock_guard<std::mutex> lock(mu_);
    return attachment_;
  }

 protected:
  absl::Status Read(const LocalRead& local, const BuildRequest& build, const TakeResponse& take,
                    const TakeResponse& on_frame) override {
    Engine* engine = nullptr;
    COTRACK_ASSIGN_OR_RETURN(Call call, Enter(&engine));
    if (engine != nullptr) return local(engine->db(), nullptr);
    for (HandOverBudget hand_overs(options_);;) {
      Attachment a = Current();
      if (a.engine != nullptr) return local(a.engine->db(), nullptr);
      rpc::Request request;
      build(request);
      rpc::Response response;
      bool delivered = false;  // frames already handed to the caller cannot be taken back
      TakeResponse frames;
      if (on_frame != nullptr) {
        frames = [&](rpc::Response& r) {
          delivered = true;
          return on_frame(r);
        };
      }
      absl::Status s = a.client->Call(request, &response, frames);
      if (rpc::IsTransportLost(s) && !delivered && hand_overs.Another()) {
        COTRACK_RETURN_IF_ERROR(Reattach(a));
        continue;
      }
      if (rpc::IsTransportLost(s) && delivered) {
        // A process closing the database finishes its streams (Server::Stop):
        // this one died, or this process stopped reading.
        absl::Status interrupted = absl::UnavailableError(absl::StrCat(
            "the process serving ", path_, " (pid ", a.client->server_pid(),
            ") went away in the middle of this read, after part of the answer was handed "
            "over (",
            s.message(), "); nothing is wrong with the database: run the read again"));
        interrupted.SetPayload(kInterruptedReadUrl, absl::Cord("1"));
        return interrupted;
      }
      COTRACK_RETURN_IF_ERROR(s);
      return take(response);
    }
  }

 private:
  // Counts a call in progress, so that Close waits for it.
  class Call {
   public:
    explicit Call(Handle* h) : h_(h) {}
    Call(Call&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    Call(const Call&) = delete;
    ~Call() {
      if (h_ == nullptr) return;
      std::lock_guard<std::mutex> lock(h_->mu_);
      if (--h_->active_ == 0) h_->idle_.notify_all();
    }

   private:
    Handle* h_;
  };

  // Starts a call. When this process holds the database, `*engine` is set
  // to its engine: it stays while the call lasts (Close waits for calls,
  // and only an attachment to another process is ever replaced).
  absl::StatusOr<Call> Enter(Engine** engine = nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return ClosedError(path_);
    if (ForkGeneration() != fork_generation_) {
      return absl::FailedPreconditionError(
          absl::StrCat("this handle of ", path_,
                       " was opened before fork(); open the database again in each "
                       "process after forking (e.g. in each web worker)"));
    }
    ++active_;
    if (engine != nullptr) *engine = attachment_.engine.get();
    return Call(this);
  }

  // Replaces `failed` (whose serving process went away) by a new attachment,
  // unless another call did so already.
  absl::Status Reattach(const Attachment& failed) {
    std::lock_guard<std::mutex> reattaching(reattach_mu_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (attachment_.client != failed.client) return absl::OkStatus();
    }
    COTRACK_ASSIGN_OR_RETURN(Attachment fresh, Attach(path_, options_));
    std::lock_guard<std::mutex> lock(mu_);
    attachment_ = std::move(fresh);
    return absl::OkStatus();
  }

  // Runs one write, exactly once across hand-overs: a repeat after a lost
  // reply is skipped when the write's receipt shows it happened.
  absl::StatusOr<WriteSummary> Write(
      const std::function<absl::StatusOr<WriteSummary>(DatabaseImpl&, const WriteContext&)>& local,
      const BuildRequest& build) {
    COTRACK_ASSIGN_OR_RETURN(Call call, Enter());
    if (options_.read_only) return ReadOnlyError(path_);
    rpc::WriteTag tag;  // set once the write was sent
    for (HandOverBudget hand_overs(options_);;) {
      Attachment a = Current();
      if (a.engine != nullptr) {
        WriteContext c;
        c.user = options_.user;
        if (tag.client != 0) {
          COTRACK_ASSIGN_OR_RETURN(std::optional<Receipt> receipt,
                                   a.engine->db().FindReceipt(tag.client));
          if (receipt && receipt->sequence == tag.sequence) return receipt->summary;
          c.client = tag.client;
          c.sequence = tag.sequence;
        }
        return local(a.engine->db(), c);
      }
      rpc::Request request;
      build(request);
      request.tag = tag;
      rpc::Response response;
      absl::Status s = a.client->Call(request, &response);
      if (rpc::IsTransportLost(s) && hand_overs.Another()) {
        tag = request.tag;
        tag.retry = true;
        COTRACK_RETURN_IF_ERROR(Reattach(a));
        continue;
      }
      COTRACK_RETURN_IF_ERROR(s);
      return response.summary;
    }
  }

  const std::string path_;
  Options options_;
  const uint64_t fork_generation_;
  std::mutex reattach_mu_;
  std::mutex mu_;
  std::condition_variable idle_;
  bool closed_ = false;
  int active_ = 0;
  Attachment attachment_;
};

// The handle `db` is, or FailedPrecondition (e.g. a read snapshot as a
// Database, capi/snapshot_handle.h).
absl::StatusOr<Handle*> AsHandle(Database& db) {
  if (auto* handle = dynamic_cast<Handle*>(&db)) return handle;
  return absl::FailedPreconditionError(
      absl::StrCat("this handle of ", db.path(),
                   " is not one of the database (a read snapshot?); use the database handle"));
}

}  // namespace

absl::StatusOr<std::string> DatabaseTimeZone(Database& db) {
  COTRACK_ASSIGN_OR_RETURN(Handle * handle, AsHandle(db));
  return handle->TimeZone();
}

absl::Status SetDatabaseTimeZone(Database& db, const std::string& zone, bool force,
                                 const Provenance& provenance) {
  COTRACK_ASSIGN_OR_RETURN(Handle * handle, AsHandle(db));
  return handle->SetTimeZone(zone, force, provenance);
}

bool IsInterruptedWrite(const absl::Status& status) {
  return absl::IsAborted(status) && status.GetPayload(kInterruptedUrl).has_value();
}

bool IsInterruptedRead(const absl::Status& status) {
  return absl::IsUnavailable(status) && status.GetPayload(kInterruptedReadUrl).has_value();
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                         const Options& options) {
  // The default user of every write: a bad one is better refused now than
  // on each write.
  Provenance default_user;
  default_user.user = options.user;
  if (absl::Status s = ValidateAttribution(default_user); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("Options::user: ", s.message()));
  }
  // A writer that names no user writes as its OS user. Resolved before the
  // attach, which names the user to a process serving the database: that
  // process stores the writes with the session's user, and an empty one
  // would be its own.
  Options resolved = options;
  if (resolved.user.empty() && !resolved.read_only) resolved.user = OsUserName();
  COTRACK_ASSIGN_OR_RETURN(Attachment a, Attach(path, resolved));
  return std::unique_ptr<Database>(new Handle(path, std::move(resolved), std::move(a)));
}

}  // namespace cotrack

#include "serve/server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ostream>
#include <streambuf>

#include "absl/strings/str_cat.h"
#include "cotrack/status_macros.h"
#include "maintenance/backup.h"
#include "maintenance/check.h"
#include "maintenance/dump.h"

namespace cotrack {
namespace {

using rpc::Op;

// Snapshots one connection may hold at once: each pins data on disk.
constexpr size_t kMaxSnapshotsPerSession = 256;
// Dump text travels in frames of about this size.
constexpr size_t kDumpChunkBytes = 1 << 20;
// A lean scan's frames carry patients until they hold about this many bytes
// (some 14,000 values): few enough frames that their cost is nothing, small
// enough that the client works while the server still reads.
constexpr size_t kScanFrameBytes = 256 << 10;

// "3" or "3 to 4": the protocols this process accepts.
std::string Protocols() {
  const uint32_t newest = rpc::NewestProtocol();
  if (newest == rpc::kMinProtocolVersion) return absl::StrCat(newest);
  return absl::StrCat(rpc::kMinProtocolVersion, " to ", newest);
}

bool IsWrite(Op op) {
  switch (op) {
    case Op::kApply:
    case Op::kRegisterMeasure:
    case Op::kEditMeasure:
    case Op::kSetTimeZone:
    case Op::kBulkBegin:
    case Op::kBulkAdd:
    case Op::kBulkCommit:
    case Op::kCompact:
      return true;
    default:
      return false;
  }
}

// An ostream whose text is sent as dump frames.
class FrameBuf : public std::streambuf {
 public:
  explicit FrameBuf(const std::function<absl::Status(const rpc::Response&)>& send) : send_(send) {}
  const absl::Status& status() const { return status_; }
  int sync() override { return Flush() ? 0 : -1; }

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return 0;
    frame_.chunk.push_back(static_cast<char>(c));
    if (frame_.chunk.size() >= kDumpChunkBytes && !Flush()) return traits_type::eof();
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    frame_.chunk.append(s, static_cast<size_t>(n));
    if (frame_.chunk.size() >= kDumpChunkBytes && !Flush()) return 0;
    return n;
  }

 private:
  bool Flush() {
    if (!status_.ok()) return false;
    if (frame_.chunk.empty()) return true;
    frame_.more = true;
    status_ = send_(frame_);
    frame_.chunk.clear();
    return status_.ok();
  }
  const std::function<absl::Status(const rpc::Response&)>& send_;
  rpc::Response frame_;
  absl::Status status_;
};

}  // namespace

Session::~Session() = default;

absl::StatusOr<const ReadView*> Session::ViewOf(uint64_t snapshot) const {
  if (snapshot == 0) return nullptr;
  auto it = snapshots_.find(snapshot);
  if (it == snapshots_.end()) {
    return absl::NotFoundError(absl::StrCat("no read snapshot ", snapshot, " in this session"));
  }
  return it->second.get();
}

absl::StatusOr<WriteSummary> Session::Write(
    const rpc::WriteTag& tag,
    const std::function<absl::StatusOr<WriteSummary>(const WriteContext&)>& write) {
  // A retry of a write whose reply was lost: it happened when the receipt
  // stored with it says so, and must not happen twice.
  if (tag.retry && tag.client != 0) {
    COTRACK_ASSIGN_OR_RETURN(std::optional<Receipt> receipt, db_->FindReceipt(tag.client));
    if (receipt && receipt->sequence == tag.sequence) return receipt->summary;
  }
  WriteContext context;
  context.user = user_;
  context.client = tag.client;
  context.sequence = tag.sequence;
  return write(context);
}

absl::Status Session::Handle(const rpc::Request& request, rpc::UniqueFd passed_fd,
                             const std::function<absl::Status(const rpc::Response&)>& send) {
  if (!greeted_ && request.op != Op::kHello) {
    rpc::Response r;
    r.status = absl::InvalidArgumentError("a session must start with hello");
    (void)send(r);
    return r.status;
  }
  bool send_failed = false;
  auto tracked_send = [&](const rpc::Response& r) {
    absl::Status s = send(r);
    if (!s.ok()) send_failed = true;
    return s;
  };
  rpc::Response response;
  response.status = Run(request, std::move(passed_fd), &response, tracked_send);
  if (send_failed) return absl::UnavailableError("the client went away");
  response.more = false;
  return send(response);
}

absl::Status Session::Run(const rpc::Request& r, rpc::UniqueFd passed_fd, rpc::Response* out,
                          const std::function<absl::Status(const rpc::Response&)>& send) {
  if (IsWrite(r.op) && (read_only_ || db_->read_only())) {
    return absl::FailedPreconditionError(
        absl::StrCat(db_->path(), " is open read-only; open it for writing to change it"));
  }
  if (r.op != Op::kHello && rpc::OpSince(r.op) > protocol_) {
    return absl::InvalidArgumentError(
        absl::StrCat(rpc::OpName(r.op), " needs protocol ", rpc::OpSince(r.op),
                     "; this session said hello with protocol ", protocol_));
  }
  switch (r.op) {
    case Op::kHello:
      // A client offers its newest protocol first and older ones after a
      // refusal (serve/client.cc): FailedPrecondition, connection kept.
      if (r.protocol < rpc::kMinProtocolVersion || r.protocol > rpc::NewestProtocol()) {
        return absl::FailedPreconditionError(
            absl::StrCat("the process serving ", db_->path(), " (pid ", getpid(),
                         ") speaks protocol ", Protocols(), ", this cotrack speaks ", r.protocol,
                         "; run one cotrack version against a database at a time"));
      }
      greeted_ = true;
      protocol_ = r.protocol;
      user_ = r.user;
      read_only_ = r.read_only;
      out->server_pid = getpid();
      out->server_read_only = db_->read_only();
      return absl::OkStatus();

    case Op::kApply: {
      COTRACK_ASSIGN_OR_RETURN(out->summary, Write(r.tag, [&](const WriteContext& c) {
                                 return db_->Apply(r.batch, r.write_options, c);
                               }));
      return absl::OkStatus();
    }
    case Op::kRegisterMeasure: {
      auto result = Write(r.tag, [&](const WriteContext& c) -> absl::StatusOr<WriteSummary> {
        COTRACK_RETURN_IF_ERROR(
            db_->RegisterMeasure(r.measure_def, r.provenance, r.write_options, c));
        return WriteSummary();
      });
      return result.status();
    }
    case Op::kEditMeasure: {
      auto result = Write(r.tag, [&](const WriteContext& c) -> absl::StatusOr<WriteSummary> {
        COTRACK_RETURN_IF_ERROR(db_->EditMeasure(r.measure_def, r.provenance, r.write_options, c));
        return WriteSummary();
      });
      return result.status();
    }
    case Op::kGetTimeZone: {
      COTRACK_ASSIGN_OR_RETURN(out->time_zone, db_->TimeZone());
      return absl::OkStatus();
    }
    case Op::kSetTimeZone: {
      auto result = Write(r.tag, [&](const WriteContext& c) -> absl::StatusOr<WriteSummary> {
        COTRACK_RETURN_IF_ERROR(db_->SetTimeZone(r.time_zone, r.force, r.provenance, c));
        return WriteSummary();
      });
      return result.status();
    }
    case Op::kBulkBegin: {
      if (bulk_ != nullptr) {
        return absl::FailedPreconditionError("a bulk write is already open in this session");
      }
      WriteContext c;
      c.user = user_;
      COTRACK_ASSIGN_OR_RETURN(
          bulk_, db_->BeginBulkWrite(r.write_options, r.audit_action, r.audit_detail, c));
      return absl::OkStatus();
    }
    case Op::kBulkAdd:
      if (bulk_ == nullptr) return absl::FailedPreconditionError("no bulk write is open");
      return bulk_->Add(r.batch, r.collect_rejections ? &out->rejections : nullptr);
    case Op::kBulkCommit: {
      if (bulk_ == nullptr) {
        // The commit of a bulk write whose server exited: done only if its
        // receipt says so.
        if (r.tag.retry && r.tag.client != 0) {
          COTRACK_ASSIGN_OR_RETURN(std::optional<Receipt> receipt, db_->FindReceipt(r.tag.client));
          if (receipt && receipt->sequence == r.tag.sequence) {
            out->summary = receipt->summary;
            return absl::OkStatus();
          }
          // The client reports it as an interrupted write (IsInterruptedWrite).
          return absl::AbortedError(
              "the process serving the database exited before this bulk write was committed; "
              "nothing of it was written: run it again");
        }
        return absl::FailedPreconditionError("no bulk write is open");
      }
      std::unique_ptr<EngineBulkWrite> bulk = std::move(bulk_);
      bulk->SetReceipt(r.tag.client, r.tag.sequence);
      COTRACK_ASSIGN_OR_RETURN(out->summary,
                               bulk->Commit(r.collect_rejections ? &out->rejections : nullptr));
      return absl::OkStatus();
    }
    case Op::kBulkAbort:
      bulk_.reset();
      return absl::OkStatus();

    case Op::kTrajectory: {
      COTRACK_ASSIGN_OR_RETURN(const ReadView* view, ViewOf(r.snapshot));
      COTRACK_ASSIGN_OR_RETURN(out->observations,
                               db_->Trajectory(view, r.patient, r.measure, r.range));
      return absl::OkStatus();
    }
    case Op::kLatest: {
      COTRACK_ASSIGN_OR_RETURN(const ReadView* view, ViewOf(r.snapshot));
      COTRACK_ASSIGN_OR_RETURN(out->observations,
                               db_->Latest(view, r.patient, r.measure, r.time, r.n));
      return absl::OkStatus();
    }
    case Op::kLatestAll: {
      COTRACK_ASSIGN_OR_RETURN(const ReadView* view, ViewOf(r.snapshot));
      COTRACK_ASSIGN_OR_RETURN(out->observations, db_->LatestAll(view, r.patient, r.time));
      return absl::OkStatus();
    }
    case Op::kVisit: {
      COTRACK_ASSIGN_OR_RETURN(const ReadView* view, ViewOf(r.snapshot));
      COTRACK_ASSIGN_OR_RETURN(out->observations, db_->Visit(view, r.patient, *r.time));
      return absl::OkStatus();
    }
    case Op::kHistory: {
      COTRACK_ASSIGN_OR_RETURN(const ReadView* view, ViewOf(r.snapshot));
      COTRACK_ASSIGN_OR_RETURN(out->observations,
                               db_->History(view, r.patient, r.measure, *r.time));
      return absl::OkStatus();
    }
    case Op::kGetPatient: {
      COTRACK_ASSIGN_OR_RETURN(const ReadView* view, ViewOf(r.snapshot));
      COTRACK_ASSIGN_OR_RETURN(out->patient, db_->GetPatient(view, r.patient));
      return absl::OkStatus();
    }
    case Op::kPatientHistory: {
      COTRACK_ASSIGN_OR_RETURN(const ReadView* view, ViewOf(r.snapshot));
      COTRACK_ASSIGN_OR_RETURN(out->patients, db_->PatientHistory(view, r.patient));
      return absl::OkStatus();
    }
    case Op::kListPatients: {
      COTRACK_ASSIGN_OR_RETURN(const ReadView* view, ViewOf(r.snapshot));
      COTRACK_ASSIGN_OR_RETURN(out->patients, db_->ListPatients(view));
      return absl::OkStatus();
    }
    case Op::kGetMeasure: {
      COTRACK_ASSIGN_OR_RETURN(out->measure, db_->GetMeasure(r.measure));
      return absl::OkStatus();
    }
    case Op::kListMeasures: {
      COTRACK_ASSIGN_OR_RETURN(out->measures, db_->ListMeasures());
      return absl::OkStatus();
    }
    case Op::kMeasureHistory: {
      COTRACK_ASSIGN_OR_RETURN(out->measures, db_->MeasureHistory(r.measure));
      return absl::OkStatus();
    }
    case Op::kForEachSeries: {
      COTRACK_ASSIGN_OR_RETURN(const ReadView* view, ViewOf(r.snapshot));
      rpc::Response frame;
      frame.more = true;
      return db_->ForEachSeries(view, r.measure,
                                [&](const Patient& p, const std::vector<Observation>& t) {
                                  frame.patient = p;
                                  frame.observations = t;
                                  return send(frame);
                                });
    }
    case Op::kScanSeries: {
      COTRACK_ASSIGN_OR_RETURN(const ReadView* view, ViewOf(r.snapshot));
      // The local scan over the same snapshot, in parts on this process's
      // threads (no more than it has: it serves everyone). Each part fills
      // frames of its own, sent whole, one at a time: the client gets every
      // part's patients in the part's order, which is all the result's
      // order depends on (parts concatenated in order are the one pass).
      Reader::SeriesScanOptions options = r.scan;
      if (options.parts > 1) {
        options.parts = static_cast<int>(
            std::min<unsigned>(options.parts, std::max(1u, std::thread::hardware_concurrency())));
      }
      std::vector<rpc::Response> frames(std::max(1, options.parts));
      std::vector<size_t> frame_bytes(frames.size());
      for (size_t k = 0; k < frames.size(); ++k) {
        frames[k].more = true;
        frames[k].series.part = static_cast<int32_t>(k);
      }
      std::mutex send_mu;
      auto flush = [&](size_t k) {
        rpc::SeriesFrame& f = frames[k].series;
        absl::Status sent;
        {
          std::lock_guard<std::mutex> lock(send_mu);
          sent = send(frames[k]);
        }
        f.patients.clear();
        f.ends.clear();
        f.values.clear();
        frame_bytes[k] = 0;
        return sent;
      };
      COTRACK_RETURN_IF_ERROR(db_->ScanSeries(
          view, r.measure, options,
          [&](int part, const SeriesPatient& p, const std::vector<SeriesValue>& values) {
            rpc::SeriesFrame& f = frames[part].series;
            f.patients.push_back(p);
            f.values.insert(f.values.end(), values.begin(), values.end());
            f.ends.push_back(static_cast<uint32_t>(f.values.size()));
            frame_bytes[part] += 32 + p.id.size() + p.arm.size() +
                                 (p.attribute ? p.attribute->size() : 0) + 18 * values.size();
            return frame_bytes[part] >= kScanFrameBytes ? flush(part) : absl::OkStatus();
          }));
      for (size_t k = 0; k < frames.size(); ++k) {
        if (!frames[k].series.patients.empty()) COTRACK_RETURN_IF_ERROR(flush(k));
      }
      return absl::OkStatus();
    }
    case Op::kAuditLog: {
      COTRACK_ASSIGN_OR_RETURN(const ReadView* view, ViewOf(r.snapshot));
      COTRACK_ASSIGN_OR_RETURN(out->audit, db_->AuditLog(view, r.audit_patient));
      return absl::OkStatus();
    }
    case Op::kCompact:
      return db_->Compact();

    case Op::kSnapshotBegin:
      if (snapshots_.size() >= kMaxSnapshotsPerSession) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "a connection may hold ", kMaxSnapshotsPerSession, " read snapshots at once"));
      }
      out->snapshot = next_snapshot_++;
      snapshots_[out->snapshot] = db_->NewReadView();
      return absl::OkStatus();
    case Op::kSnapshotEnd:
      if (snapshots_.erase(r.snapshot) == 0) {
        return absl::NotFoundError(absl::StrCat("no read snapshot ", r.snapshot));
      }
      return absl::OkStatus();

    case Op::kCheck:
      return CheckStore(db_->store(), &out->check);
    case Op::kBackup: {
      if (!passed_fd.valid()) {
        return absl::InvalidArgumentError("backup needs the backup directory's descriptor");
      }
      // The directory the client opened, whatever its path means here.
      const std::string dir = absl::StrCat("/proc/self/fd/", passed_fd.get());
      COTRACK_ASSIGN_OR_RETURN(out->backup,
                               BackupStore(db_->store(), dir, db_->options().encryption_key_file));
      return absl::OkStatus();
    }
    case Op::kDump: {
      FrameBuf buf(send);
      std::ostream stream(&buf);
      absl::StatusOr<DumpSummary> dumped = DumpStore(db_->store(), stream);
      stream.flush();
      COTRACK_RETURN_IF_ERROR(buf.status());
      COTRACK_RETURN_IF_ERROR(dumped.status());
      out->dump = *dumped;
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError("unknown request");
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(DatabaseImpl* db) {
  COTRACK_ASSIGN_OR_RETURN(rpc::UniqueFd listener, rpc::Listen(db->path()));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::UnavailableError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  std::unique_ptr<Server> server(
      new Server(db, std::move(listener), rpc::UniqueFd(pipe_fds[0]), rpc::UniqueFd(pipe_fds[1])));
  server->accept_thread_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

void Server::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  // The socket file goes first, while this process still holds the lock: no
  // new client finds it, and a successor's file is never removed.
  rpc::Unlisten(db_->path());
  const char wake = 1;
  while (::write(wake_write_.get(), &wake, 1) < 0 && errno == EINTR) {
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  std::list<std::unique_ptr<Connection>> connections;
  {
    std::unique_lock<std::mutex> lock(mu_);
    // No new request; the one running on each connection goes on.
    for (auto& c : connections_) c->channel.StopReceiving();
    auto all_done = [&] {
      return std::all_of(connections_.begin(), connections_.end(),
                         [](const std::unique_ptr<Connection>& c) { return c->done; });
    };
    if (!ended_.wait_for(lock, kDrainLimit, all_done)) {
      for (auto& c : connections_) {
        if (!c->done) c->channel.Shutdown();  // its sends fail; the request ends
      }
    }
    connections.swap(connections_);
  }
  for (auto& c : connections) {
    if (c->thread.joinable()) c->thread.join();
  }
}

void Server::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    rpc::UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd.valid()) continue;  // the client gave up already, or out of descriptors for now
    Reap();
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    auto c = std::make_unique<Connection>(std::move(fd));
    Connection* raw = c.get();
    connections_.push_back(std::move(c));
    raw->thread = std::thread([this, raw] { Serve(raw); });
  }
}

void Server::Reap() {
  std::list<std::unique_ptr<Connection>> ended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if ((*it)->done) {
        ended.push_back(std::move(*it));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : ended) c->thread.join();
}

void Server::Serve(Connection* c) {
  // Only the database's owner may use it (the directory already keeps others
  // out; this holds even if its mode was loosened).
  absl::StatusOr<int> peer = rpc::CheckPeer(c->channel.fd());
  if (peer.ok()) {
    Session session(db_);
    std::string payload;
    for (;;) {
      rpc::UniqueFd passed;
      if (!c->channel.Receive(&payload, &passed).ok()) break;
      absl::StatusOr<rpc::Request> request = rpc::DecodeRequest(payload);
      if (!request.ok()) {
        // Nothing more can be trusted on this connection: answer and end it.
        rpc::Response r;
        r.status = request.status();
        // A hello this build cannot read comes from another cotrack version.
        if (!payload.empty() && payload[0] == static_cast<char>(rpc::Op::kHello)) {
          r.status = absl::FailedPreconditionError(
              absl::StrCat("the process serving ", db_->path(), " (pid ", getpid(),
                           ") runs another cotrack version (protocol ", Protocols(),
                           "); run one cotrack version against a database at a time"));
        }
        (void)c->channel.Send(rpc::EncodeResponse(rpc::Op::kHello, r));
        break;
      }
      const rpc::Op op = request->op;
      absl::Status handled =
          session.Handle(*request, std::move(passed), [&](const rpc::Response& r) {
            std::string encoded = rpc::EncodeResponse(op, r);
            if (encoded.size() > rpc::kMaxPayloadBytes) {
              // Too large for one message: a clear error, not a lost connection.
              rpc::Response too_large;
              too_large.status = absl::ResourceExhaustedError(
                  absl::StrCat("the answer to ", rpc::OpName(op), " is ", encoded.size(),
                               " bytes, more than one message between processes carries (",
                               rpc::kMaxPayloadBytes, "); narrow the query"));
              encoded = rpc::EncodeResponse(op, too_large);
            }
            return c->channel.Send(encoded);
          });
      if (!handled.ok()) break;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  c->done = true;
  ended_.notify_all();
}

}  // namespace cotrack

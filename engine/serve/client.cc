#include "serve/client.h"

#include <unistd.h>

#include <atomic>
#include <random>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "cotrack/status_macros.h"

namespace cotrack {
namespace {

// Idle connections a client keeps for the next call.
constexpr size_t kMaxIdleConnections = 8;

bool IsTaggedWrite(rpc::Op op) {
  return op == rpc::Op::kApply || op == rpc::Op::kRegisterMeasure || op == rpc::Op::kEditMeasure ||
         op == rpc::Op::kBulkCommit || op == rpc::Op::kSetTimeZone;
}

// Marks Call's refusal of an op the server's protocol lacks.
constexpr char kServerTooOldUrl[] = "cotrack.server-too-old";

uint64_t RandomId() {
  std::random_device rd;
  uint64_t id = 0;
  while (id == 0) id = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return id;
}

}  // namespace

namespace {
std::atomic<uint64_t> stream_frames{0};
}  // namespace

uint64_t StreamFramesReceived() { return stream_frames.load(std::memory_order_relaxed); }

bool IsServerTooOld(const absl::Status& status) {
  return absl::IsUnimplemented(status) && status.GetPayload(kServerTooOldUrl).has_value();
}

Connection::Connection(rpc::UniqueFd fd) : channel_(std::move(fd)), id_(RandomId()) {}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& dir,
                                                             const std::string& user,
                                                             bool read_only) {
  COTRACK_ASSIGN_OR_RETURN(rpc::UniqueFd fd, rpc::Connect(dir));
  std::unique_ptr<Connection> c(new Connection(std::move(fd)));
  rpc::Request hello;
  hello.op = rpc::Op::kHello;
  hello.user = user;
  hello.pid = getpid();
  hello.read_only = read_only;
  rpc::Response response;
  // Newest first. A server refuses a protocol it does not speak with
  // FailedPrecondition and keeps the connection; every version from
  // kMinProtocolVersion on encodes the hello (and every op both sides know)
  // alike, so an older server reads each offer.
  absl::Status refused;
  for (uint32_t v = rpc::NewestProtocol();; --v) {
    hello.protocol = v;
    c->protocol_ = v;
    absl::Status s = c->Call(hello, &response);
    if (s.ok()) break;
    if (refused.ok()) refused = s;
    if (!absl::IsFailedPrecondition(s) || c->broken() || v <= rpc::kMinProtocolVersion) {
      return refused;
    }
  }
  c->server_pid_ = static_cast<int>(response.server_pid);
  return c;
}

absl::Status Connection::Call(rpc::Request& request, rpc::Response* response,
                              const std::function<absl::Status(rpc::Response&)>& on_frame,
                              int pass_fd) {
  if (broken_) return rpc::TransportLost("the connection to the serving process was lost");
  if (rpc::OpSince(request.op) > protocol_) {
    absl::Status s = absl::UnimplementedError(
        absl::StrCat("the process serving the database (pid ", server_pid_, ") speaks protocol ",
                     protocol_, ", which has no ", rpc::OpName(request.op), " (protocol ",
                     rpc::OpSince(request.op), "); run the same cotrack version in every process"));
    s.SetPayload(kServerTooOldUrl, absl::Cord("1"));
    return s;
  }
  if (IsTaggedWrite(request.op) && request.tag.client == 0) {
    request.tag.client = id_;
    request.tag.sequence = ++sequence_;
  }
  absl::Status sent = channel_.Send(rpc::EncodeRequest(request), pass_fd);
  if (!sent.ok()) {
    broken_ = true;
    return absl::IsInvalidArgument(sent) ? sent : rpc::TransportLost(sent.message());
  }
  absl::Status frame_error;
  std::string payload;
  for (;;) {
    absl::Status received = channel_.Receive(&payload);
    if (!received.ok()) {
      broken_ = true;
      return rpc::IsTransportLost(received) ? received : rpc::TransportLost(received.message());
    }
    absl::StatusOr<rpc::Response> decoded = rpc::DecodeResponse(request.op, payload);
    if (!decoded.ok()) {
      broken_ = true;
      return absl::InternalError(absl::StrCat("the process serving the database (pid ", server_pid_,
                                              ") sent a bad reply to ", rpc::OpName(request.op),
                                              ": ", decoded.status().message()));
    }
    if (decoded->more && decoded->status.ok()) {
      stream_frames.fetch_add(1, std::memory_order_relaxed);
      if (on_frame != nullptr && frame_error.ok()) frame_error = on_frame(*decoded);
      continue;
    }
    *response = *std::move(decoded);
    break;
  }
  COTRACK_RETURN_IF_ERROR(frame_error);
  return response->status;
}

absl::StatusOr<std::shared_ptr<Client>> Client::Connect(const std::string& dir,
                                                        const std::string& user, bool read_only) {
  std::shared_ptr<Client> client(new Client(dir, user, read_only));
  COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<Connection> first,
                           Connection::Open(dir, user, read_only));
  client->server_pid_ = first->server_pid();
  client->idle_.push_back(std::move(first));
  return client;
}

absl::StatusOr<std::unique_ptr<Connection>> Client::Dedicated() {
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(dir_, user_, read_only_);
  // The server went away between calls: the caller reconnects elsewhere.
  if (absl::IsNotFound(c.status())) return rpc::TransportLost(c.status().message());
  return c;
}

absl::Status Client::Call(rpc::Request& request, rpc::Response* response,
                          const std::function<absl::Status(rpc::Response&)>& on_frame,
                          int pass_fd) {
  std::unique_ptr<Connection> c;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      c = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (c == nullptr) {
    COTRACK_ASSIGN_OR_RETURN(c, Dedicated());
  }
  absl::Status s = c->Call(request, response, on_frame, pass_fd);
  if (!c->broken()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(c));
  }
  return s;
}

}  // namespace cotrack

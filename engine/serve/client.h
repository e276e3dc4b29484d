// The client side of a database shared between processes: connections to the
// process that serves it (server.h), each a session that starts with a hello.
// Calls borrow a pooled connection, so that threads sharing one handle run
// their requests side by side; read snapshots and bulk writes hold a
// connection of their own, since their state lives in its session.
#ifndef COTRACK_SERVE_CLIENT_H_
#define COTRACK_SERVE_CLIENT_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cotrack/options.h"
#include "rpc/channel.h"
#include "rpc/wire.h"

namespace cotrack {

// True when `status` is Connection::Call's refusal of an op that the
// serving process's protocol does not have (an older cotrack serves the
// database): nothing was sent, and the caller may ask in an older way.
bool IsServerTooOld(const absl::Status& status);

// Stream frames (Response::more) this process has received, over all
// connections: for tests, which tell a lean scan (many patients per frame)
// from a full one (one per frame) by it.
uint64_t StreamFramesReceived();

// One session with the server.
class Connection {
 public:
  // Connects to the server of `dir` and says hello, offering the newest
  // protocol this build speaks and, when the server refuses it (an older
  // cotrack), each older one down to rpc::kMinProtocolVersion. NotFound
  // when nobody serves it (see rpc::Connect); FailedPrecondition (the
  // refusal of the newest protocol) when the server speaks none of them.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& dir,
                                                          const std::string& user, bool read_only);

  // Sends `request` and receives its response into `response`. Writes
  // (kApply, kRegisterMeasure, kBulkCommit) without a tag get one from this
  // connection: the tag sent is left in request.tag, for a retry. Streams call
  // `on_frame` for each frame but the last (a failing on_frame stops calling
  // it; the stream is still read to its end, and the first such error is
  // returned). Errors: the response's status, or TransportLost when the
  // server went away; Unimplemented (IsServerTooOld), sending nothing, for
  // an op newer than the protocol the session speaks.
  absl::Status Call(rpc::Request& request, rpc::Response* response,
                    const std::function<absl::Status(rpc::Response&)>& on_frame = nullptr,
                    int pass_fd = -1);

  int server_pid() const { return server_pid_; }
  // The protocol version the server accepted at hello.
  uint32_t protocol() const { return protocol_; }
  bool broken() const { return broken_; }

 private:
  explicit Connection(rpc::UniqueFd fd);

  rpc::Channel channel_;
  uint64_t id_;  // random: names this connection's write receipts
  uint64_t sequence_ = 0;
  int server_pid_ = 0;
  uint32_t protocol_ = 0;
  bool broken_ = false;
};

// The connections of one handle to one server.
class Client {
 public:
  // Connects (one connection, kept in the pool) and checks that the server
  // answers. Errors as Connection::Open.
  static absl::StatusOr<std::shared_ptr<Client>> Connect(const std::string& dir,
                                                         const std::string& user, bool read_only);

  // Connection::Call on a pooled connection.
  absl::Status Call(rpc::Request& request, rpc::Response* response,
                    const std::function<absl::Status(rpc::Response&)>& on_frame = nullptr,
                    int pass_fd = -1);
  // A new connection for a snapshot or a bulk write.
  absl::StatusOr<std::unique_ptr<Connection>> Dedicated();

  int server_pid() const { return server_pid_; }

 private:
  Client(std::string dir, std::string user, bool read_only)
      : dir_(std::move(dir)), user_(std::move(user)), read_only_(read_only) {}

  const std::string dir_;
  const std::string user_;
  const bool read_only_;
  int server_pid_ = 0;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace cotrack

#endif  // COTRACK_SERVE_CLIENT_H_

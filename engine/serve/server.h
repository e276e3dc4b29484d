// The server side of a database shared between processes: the process that
// holds a database (its Engine) accepts the other processes' connections on
// the database's socket and runs their requests against its DatabaseImpl, one
// thread per connection. A connection is a session: its first request is a
// hello (protocol version, the client's user), and it may hold read
// snapshots and one bulk write, which end with it.
#ifndef COTRACK_SERVE_SERVER_H_
#define COTRACK_SERVE_SERVER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "db/database_impl.h"
#include "rpc/channel.h"
#include "rpc/wire.h"

namespace cotrack {

// Runs one request of a session against `db`; shared by the server and by
// tests. `send` is called once per response frame (several for streams).
class Session {
 public:
  explicit Session(DatabaseImpl* db) : db_(db) {}
  ~Session();

  // Handles `request`; `passed_fd` is a descriptor that came with it (the
  // backup directory). Returns an error only when the connection must end
  // (a failed send, a protocol violation); request errors are responses.
  absl::Status Handle(const rpc::Request& request, rpc::UniqueFd passed_fd,
                      const std::function<absl::Status(const rpc::Response&)>& send);

 private:
  absl::Status Run(const rpc::Request& request, rpc::UniqueFd passed_fd, rpc::Response* response,
                   const std::function<absl::Status(const rpc::Response&)>& send);
  absl::StatusOr<const ReadView*> ViewOf(uint64_t snapshot) const;
  absl::StatusOr<WriteSummary> Write(
      const rpc::WriteTag& tag,
      const std::function<absl::StatusOr<WriteSummary>(const WriteContext&)>& write);

  DatabaseImpl* db_;
  bool greeted_ = false;
  uint32_t protocol_ = 0;  // the one its hello named
  bool read_only_ = false;
  std::string user_;
  std::map<uint64_t, std::unique_ptr<ReadView>> snapshots_;
  uint64_t next_snapshot_ = 1;
  std::unique_ptr<EngineBulkWrite> bulk_;
  rpc::WriteTag bulk_tag_;
};

class Server {
 public:
  // Listens on `db`'s socket (the caller holds the database's lock) and
  // serves each connection on a thread of its own until Stop.
  static absl::StatusOr<std::unique_ptr<Server>> Start(DatabaseImpl* db);
  ~Server() { Stop(); }

  // Stops accepting, removes the socket file and ends every connection.
  // Idle connections end at once: their clients see them close and go on
  // with whoever holds the database next. A request already running
  // finishes first, a stream to its last frame, so that a process closing
  // the database never cuts off another's read midway; but only for
  // kDrainLimit, since until the database closes every other process's
  // next call waits (up to its Options::busy_timeout_ms). After that the
  // requests still running are cut off, their clients told to run them
  // again. Idempotent.
  void Stop();

  // How long Stop lets running requests finish.
  static constexpr std::chrono::seconds kDrainLimit{2};

 private:
  struct Connection {
    explicit Connection(rpc::UniqueFd fd) : channel(std::move(fd)) {}
    rpc::Channel channel;
    std::thread thread;
    bool done = false;  // guarded by Server::mu_
  };

  Server(DatabaseImpl* db, rpc::UniqueFd listener, rpc::UniqueFd wake_read,
         rpc::UniqueFd wake_write)
      : db_(db),
        listener_(std::move(listener)),
        wake_read_(std::move(wake_read)),
        wake_write_(std::move(wake_write)) {}
  void AcceptLoop();
  void Serve(Connection* c);
  // Joins the threads of connections that ended.
  void Reap();

  DatabaseImpl* db_;
  rpc::UniqueFd listener_;
  rpc::UniqueFd wake_read_, wake_write_;  // a pipe that wakes the accept loop on Stop
  std::thread accept_thread_;
  std::mutex mu_;
  std::condition_variable ended_;  // a connection's thread is done
  bool stopping_ = false;
  std::list<std::unique_ptr<Connection>> connections_;
};

}  // namespace cotrack

#endif  // COTRACK_SERVE_SERVER_H_

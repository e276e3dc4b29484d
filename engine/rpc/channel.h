// The private channel between the process that holds a database and the other
// processes that use it: a Unix domain stream socket, `cotrack.sock`, inside
// the database directory (0700, so only its owner reaches it; the socket
// itself is 0600 and each side checks that the peer runs as the same user).
// Messages travel as frames: a 4-byte little-endian length, then the payload
// (wire.h); a frame may carry one open file descriptor (SCM_RIGHTS), so that
// a server acts on exactly the file or directory the client could open.
#ifndef COTRACK_RPC_CHANNEL_H_
#define COTRACK_RPC_CHANNEL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cotrack::rpc {

// The socket's file name inside the database directory.
inline constexpr char kSocketName[] = "cotrack.sock";

// True when `s` says the other end went away (it closed the connection or
// exited) rather than that a request failed: the caller may reconnect.
bool IsTransportLost(const absl::Status& s);
// An Unavailable error marked as a lost transport.
absl::Status TransportLost(absl::string_view what);

// A descriptor that is closed when it goes out of scope.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// One connected socket. Send and Receive may run on different threads, but
// each on one thread at a time.
class Channel {
 public:
  explicit Channel(UniqueFd fd) : fd_(std::move(fd)) {}

  // Sends one frame; `pass_fd` (when >= 0) travels with it. A closed peer is
  // TransportLost (never SIGPIPE).
  absl::Status Send(absl::string_view payload, int pass_fd = -1);
  // Receives one frame into `payload`; a descriptor sent with it is stored
  // in `received_fd` (or closed when that is null). A peer that closed is
  // TransportLost; a frame over kMaxPayloadBytes is InvalidArgument.
  absl::Status Receive(std::string* payload, UniqueFd* received_fd = nullptr);
  // Makes a Receive blocked on another thread return TransportLost, and a
  // Send blocked there fail.
  void Shutdown();
  // Ends receiving only: a blocked Receive returns TransportLost once the
  // frames already queued are read, the peer's later sends fail, and this
  // side may still send (the answer to a request already received).
  void StopReceiving();
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

// Binds and listens on the socket of database directory `dir`, replacing a
// stale socket file left by a process that died. Only the process holding
// the database's lock may call it. The socket file is 0600.
absl::StatusOr<UniqueFd> Listen(const std::string& dir);

// Removes the socket file of `dir`. Call it while still holding the lock:
// only then is the file surely ours, not a successor's.
void Unlisten(const std::string& dir);

// Connects to the socket of `dir` and checks the server runs as this user.
// NotFound when no process serves the database (no socket, or a stale one);
// PermissionDenied when the peer is another user.
absl::StatusOr<UniqueFd> Connect(const std::string& dir);

// The process id of the peer of a connected socket, after checking it runs
// as this process's user (PermissionDenied otherwise).
absl::StatusOr<int> CheckPeer(int fd);

}  // namespace cotrack::rpc

#endif  // COTRACK_RPC_CHANNEL_H_

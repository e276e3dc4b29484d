#include "rpc/channel.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "rpc/wire.h"

namespace cotrack::rpc {
namespace {

constexpr char kTransportLostUrl[] = "cotrack.transport-lost";

std::string SocketPath(const std::string& dir) { return absl::StrCat(dir, "/", kSocketName); }

// A socket address for `dir`'s socket. Paths longer than sun_path (108 bytes)
// go through the directory's descriptor (/proc/self/fd/N/cotrack.sock),
// which `dir_fd` keeps open while the address is used.
absl::Status AddressOf(const std::string& dir, sockaddr_un* addr, UniqueFd* dir_fd) {
  std::memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  std::string path = SocketPath(dir);
  if (path.size() >= sizeof(addr->sun_path)) {
    dir_fd->reset(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd->valid()) {
      return absl::NotFoundError(absl::StrCat("cannot open ", dir, ": ", std::strerror(errno)));
    }
    path = absl::StrCat("/proc/self/fd/", dir_fd->get(), "/", kSocketName);
  }
  std::memcpy(addr->sun_path, path.c_str(), path.size() + 1);
  return absl::OkStatus();
}

absl::Status Errno(absl::string_view what) {
  const int e = errno;
  if (e == EPIPE || e == ECONNRESET || e == ENOTCONN || e == ESHUTDOWN) {
    return TransportLost(absl::StrCat(what, ": ", std::strerror(e)));
  }
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(e)));
}

}  // namespace

bool IsTransportLost(const absl::Status& s) {
  return absl::IsUnavailable(s) && s.GetPayload(kTransportLostUrl).has_value();
}

absl::Status TransportLost(absl::string_view what) {
  absl::Status s = absl::UnavailableError(what);
  s.SetPayload(kTransportLostUrl, absl::Cord("1"));
  return s;
}

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

absl::Status Channel::Send(absl::string_view payload, int pass_fd) {
  if (payload.size() > kMaxPayloadBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "message of ", payload.size(), " bytes is over the limit of ", kMaxPayloadBytes));
  }
  unsigned char header[4];
  const uint32_t n = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) header[i] = static_cast<unsigned char>(n >> (8 * i));
  size_t sent = 0;
  const size_t total = 4 + payload.size();
  bool fd_sent = pass_fd < 0;
  while (sent < total) {
    iovec iov[2];
    int iovcnt = 0;
    if (sent < 4) {
      iov[iovcnt++] = {header + sent, 4 - sent};
      iov[iovcnt++] = {const_cast<char*>(payload.data()), payload.size()};
    } else {
      iov[iovcnt++] = {const_cast<char*>(payload.data()) + (sent - 4), total - sent};
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(iovcnt);
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    if (!fd_sent) {
      std::memset(control, 0, sizeof(control));
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    const ssize_t r = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Errno("send");
    }
    fd_sent = true;
    sent += static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

absl::Status Channel::Receive(std::string* payload, UniqueFd* received_fd) {
  unsigned char header[4];
  size_t got = 0;
  UniqueFd passed;
  // The header, with any descriptor that came with the frame's first byte.
  while (got < 4) {
    iovec iov{header + got, 4 - got};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t r = ::recvmsg(fd_.get(), &msg, MSG_CMSG_CLOEXEC);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Errno("receive");
    }
    if (r == 0) return TransportLost("the other process closed the connection");
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
          int fd;
          std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
          if (!passed.valid()) {
            passed.reset(fd);
          } else {
            ::close(fd);  // one descriptor per frame; extras are not ours to keep
          }
        }
      }
    }
    got += static_cast<size_t>(r);
  }
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(header[i]) << (8 * i);
  if (n > kMaxPayloadBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed frame: ", n, " bytes is over the limit of ", kMaxPayloadBytes));
  }
  payload->resize(n);
  got = 0;
  while (got < n) {
    const ssize_t r = ::recv(fd_.get(), payload->data() + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Errno("receive");
    }
    if (r == 0) return TransportLost("the other process closed the connection mid-message");
    got += static_cast<size_t>(r);
  }
  if (received_fd != nullptr) *received_fd = std::move(passed);
  return absl::OkStatus();
}

void Channel::Shutdown() { ::shutdown(fd_.get(), SHUT_RDWR); }

void Channel::StopReceiving() { ::shutdown(fd_.get(), SHUT_RD); }

absl::StatusOr<UniqueFd> Listen(const std::string& dir) {
  sockaddr_un addr;
  UniqueFd dir_fd;
  if (absl::Status s = AddressOf(dir, &addr, &dir_fd); !s.ok()) return s;
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Errno("socket");
  // A socket file left by a process that died: the lock we hold says nobody
  // serves it any more.
  ::unlink(addr.sun_path);
  // Created private: the directory is 0700 already, the socket 0600 too.
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot create ", SocketPath(dir), ": ", std::strerror(errno)));
  }
  ::chmod(addr.sun_path, 0600);
  if (::listen(fd.get(), 128) != 0) return Errno("listen");
  return fd;
}

void Unlisten(const std::string& dir) {
  sockaddr_un addr;
  UniqueFd dir_fd;
  if (AddressOf(dir, &addr, &dir_fd).ok()) ::unlink(addr.sun_path);
}

absl::StatusOr<int> CheckPeer(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return Errno("SO_PEERCRED");
  if (cred.uid != ::geteuid()) {
    return absl::PermissionDeniedError(
        absl::StrCat("the process at the other end of the database socket (pid ", cred.pid,
                     ") runs as user ", cred.uid, ", not as this process's user ", ::geteuid(),
                     "; only the database's owner may use it"));
  }
  return static_cast<int>(cred.pid);
}

absl::StatusOr<UniqueFd> Connect(const std::string& dir) {
  sockaddr_un addr;
  UniqueFd dir_fd;
  if (absl::Status s = AddressOf(dir, &addr, &dir_fd); !s.ok()) return s;
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Errno("socket");
  while (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno == EINTR) continue;
    if (errno == ENOENT || errno == ECONNREFUSED) {
      return absl::NotFoundError(absl::StrCat("no process serves ", dir));
    }
    if (errno == EACCES) {
      return absl::PermissionDeniedError(absl::StrCat("cannot reach ", SocketPath(dir), ": ",
                                                      std::strerror(errno),
                                                      " (the database belongs to another user)"));
    }
    return Errno(absl::StrCat("connect to ", SocketPath(dir)));
  }
  if (absl::StatusOr<int> peer = CheckPeer(fd.get()); !peer.ok()) return peer.status();
  return fd;
}

}  // namespace cotrack::rpc

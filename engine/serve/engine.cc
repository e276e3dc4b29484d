#include "serve/engine.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cotrack/status_macros.h"

namespace cotrack {
namespace {

// Engines of this process by directory (device, inode): two paths to one
// directory share one engine, as they must share one RocksDB instance.
using DirId = std::pair<dev_t, ino_t>;

std::mutex& RegistryMutex() {
  static auto* mu = new std::mutex;
  return *mu;
}
std::map<DirId, std::weak_ptr<Engine>>& Registry() {
  static auto* engines = new std::map<DirId, std::weak_ptr<Engine>>;
  return *engines;
}

// The engine of `id` in this process, when one is open.
std::shared_ptr<Engine> FindEngine(const DirId& id) {
  auto& registry = Registry();
  auto it = registry.find(id);
  if (it == registry.end()) return nullptr;
  std::shared_ptr<Engine> engine = it->second.lock();
  if (engine == nullptr) registry.erase(it);
  return engine;
}

// True when a writable open failed only because the directory cannot be
// written (read-only media, another user's copy): a read-only copy may still
// be read.
bool NotWritable(const absl::Status& s) {
  return absl::StrContains(s.message(), "Permission denied") ||
         absl::StrContains(s.message(), "Read-only file system");
}

// Lets one process at a time try to take a database nobody serves. Without
// it, every waiting process calls RocksDB's open when a holder exits, and
// RocksDB rotates the info LOG before it asks for the lock: the losers rename
// the winner's LOG under it. flock on the directory itself needs no extra
// file and works on read-only media; the kernel drops it when its holder
// dies, so a killed contender never blocks the others.
class TakeOverGate {
 public:
  // Busy when another process is taking the database right now.
  static TakeOverGate TryEnter(const std::string& path) {
    TakeOverGate gate;
    gate.fd_ = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    // A directory we cannot open cannot be opened by RocksDB either; the
    // open below reports why.
    if (gate.fd_ < 0) return gate;
    if (::flock(gate.fd_, LOCK_EX | LOCK_NB) != 0) {
      gate.busy_ = errno == EWOULDBLOCK;
      ::close(gate.fd_);
      gate.fd_ = -1;
    }
    return gate;
  }
  TakeOverGate(TakeOverGate&& o) noexcept : fd_(o.fd_), busy_(o.busy_) { o.fd_ = -1; }
  TakeOverGate(const TakeOverGate&) = delete;
  TakeOverGate& operator=(const TakeOverGate&) = delete;
  ~TakeOverGate() {
    if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
  }
  bool busy() const { return busy_; }

 private:
  TakeOverGate() = default;
  int fd_ = -1;
  bool busy_ = false;
};

// Reaches the process serving `path`, after checking the key as opening the
// files would. Empty when nobody serves it (no socket, or the server went away
// during the hello): a successor is needed either way.
absl::StatusOr<std::optional<Attachment>> ConnectToServer(const std::string& path,
                                                          const Options& options) {
  absl::StatusOr<std::shared_ptr<Client>> client =
      Client::Connect(path, options.user, options.read_only);
  if (client.ok()) {
    COTRACK_RETURN_IF_ERROR(CheckEncryptionKey(path, options.encryption_key_file));
    return Attachment{nullptr, *std::move(client)};
  }
  if (absl::IsNotFound(client.status()) || rpc::IsTransportLost(client.status())) {
    return std::nullopt;
  }
  return client.status();
}

}  // namespace

Engine::~Engine() {
  // The server goes first, while the lock is still held (see rpc::Unlisten);
  // the database closes after, releasing the lock for a successor.
  server_.reset();
  db_.reset();
}

absl::StatusOr<Attachment> Attach(const std::string& path, const Options& options) {
  const bool create = options.create_if_missing && !options.read_only;
  if (create && ::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    // The cause decides what the user must do, so it decides the code too:
    // retrying (Unavailable) cannot help a missing parent or a denied write.
    const int err = errno;
    const std::string what =
        absl::StrCat("cannot create database directory ", path, ": ", std::strerror(err));
    if (err == ENOENT || err == ENOTDIR) {
      return absl::NotFoundError(
          absl::StrCat(what, " (its parent directory does not exist: create it with mkdir -p)"));
    }
    if (err == EACCES || err == EPERM || err == EROFS) {
      return absl::PermissionDeniedError(
          absl::StrCat(what, " (choose a directory you may write to)"));
    }
    return absl::UnavailableError(what);
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(absl::StrCat("no cotrack database at ", path));
  }
  const DirId id{st.st_dev, st.st_ino};

  // The engine writes for every process, whatever this handle may do.
  Options engine_options = options;
  engine_options.read_only = false;
  engine_options.create_if_missing = create;

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
  absl::Status last = absl::OkStatus();
  for (int attempt = 0;; ++attempt) {
    {
      std::lock_guard<std::mutex> lock(RegistryMutex());
      if (std::shared_ptr<Engine> engine = FindEngine(id)) {
        if (engine->key_file() != options.encryption_key_file) {
          COTRACK_RETURN_IF_ERROR(CheckEncryptionKey(path, options.encryption_key_file));
        }
        return Attachment{engine, nullptr};
      }
    }
    COTRACK_ASSIGN_OR_RETURN(std::optional<Attachment> served, ConnectToServer(path, options));
    if (served.has_value()) return *std::move(served);

    // Nobody serves it: take it, one contender at a time. Whoever held the
    // gate before us may have just started serving, so ask once more.
    TakeOverGate gate = TakeOverGate::TryEnter(path);
    if (gate.busy()) {
      last = absl::UnavailableError("another process is taking it over");
    } else {
      COTRACK_ASSIGN_OR_RETURN(served, ConnectToServer(path, options));
      if (served.has_value()) return *std::move(served);
      std::lock_guard<std::mutex> lock(RegistryMutex());
      if (std::shared_ptr<Engine> engine = FindEngine(id)) return Attachment{engine, nullptr};
      absl::StatusOr<std::unique_ptr<DatabaseImpl>> db = DatabaseImpl::Open(path, engine_options);
      if (db.ok()) {
        COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<Server> server, Server::Start(db->get()));
        std::shared_ptr<Engine> engine(
            new Engine(*std::move(db), std::move(server), options.encryption_key_file));
        Registry()[id] = engine;
        return Attachment{engine, nullptr};
      }
      if (options.read_only && NotWritable(db.status())) {
        Options frozen = options;
        frozen.create_if_missing = false;
        COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<DatabaseImpl> copy,
                                 DatabaseImpl::Open(path, frozen));
        return Attachment{std::shared_ptr<Engine>(
                              new Engine(std::move(copy), nullptr, options.encryption_key_file)),
                          nullptr};
      }
      if (!IsHeldElsewhere(db.status())) return db.status();
      last = db.status();
    }
    // Held, but not served yet: its holder is opening it, or handing it
    // over as it exits.
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::UnavailableError(absl::StrCat(
          path, " is held by another process that did not answer within ", options.busy_timeout_ms,
          " ms (a cotrack older than this one, or a process that hangs); "
          "try again, or raise Options::busy_timeout_ms [",
          last.message(), "]"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 << std::min(attempt, 6), 50)));
  }
}

}  // namespace cotrack

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
#include <vector>

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

// RocksDB's LOCK file carries an fcntl lock while a process has the database
// open for writing, and POSIX drops every fcntl lock a process holds on a
// file when the process closes any descriptor of that file. The one-shot
// reads below open LOCK (to test its lock and to flock it as a turnstile),
// so their descriptors are closed only while no writable engine of this
// process is open or opening; until then they wait in `deferred`.
struct LockFileState {
  std::mutex mu;
  int writable_engines = 0;
  std::vector<int> deferred;
};
LockFileState& LockFiles() {
  static auto* state = new LockFileState;
  return *state;
}
void WritableEngineOpening() {
  std::lock_guard<std::mutex> lock(LockFiles().mu);
  ++LockFiles().writable_engines;
}
void WritableEngineClosed() {
  LockFileState& s = LockFiles();
  std::lock_guard<std::mutex> lock(s.mu);
  if (--s.writable_engines > 0) return;
  for (int fd : s.deferred) ::close(fd);
  s.deferred.clear();
}
bool AnyWritableEngine() {
  std::lock_guard<std::mutex> lock(LockFiles().mu);
  return LockFiles().writable_engines > 0;
}
// Releases the flock of `fd`, a descriptor of LOCK, and closes it.
void CloseLockFile(int fd) {
  if (fd < 0) return;
  ::flock(fd, LOCK_UN);
  LockFileState& s = LockFiles();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.writable_engines == 0) {
    ::close(fd);
  } else {
    s.deferred.push_back(fd);
  }
}

// A process about to take the database over for writing, held off by
// one-shot readers (their shared flock on the directory), says so with an
// exclusive flock on LOCK (independent of RocksDB's fcntl lock on it): new
// one-shot readers then open the usual way, so that a stream of overlapping
// short reads cannot keep a writer out for ever. Released when Attach
// returns.
class WriterWaiting {
 public:
  WriterWaiting() = default;
  WriterWaiting(const WriterWaiting&) = delete;
  WriterWaiting& operator=(const WriterWaiting&) = delete;
  ~WriterWaiting() { CloseLockFile(fd_); }
  // Best effort: another waiting writer's flock serves as well.
  void Announce(const std::string& path) {
    if (fd_ >= 0 || AnyWritableEngine()) return;
    fd_ = ::open(StoreLockFile(path).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      CloseLockFile(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_ = -1;
};

// Opens the database for a one-shot read (Options::one_shot_read) when
// nobody holds it: read-only, writing nothing, holding a shared flock on the
// directory until the engine closes. Takers of the database flock it
// exclusively (TakeOverGate), so none can open it for writing, and then
// compact or delete files under this read, while the flock is held. Empty
// when the database must be opened the usual way: a writable engine of this
// process exists, a writer waits, another process holds the database (its
// RocksDB lock: it serves, opens, or closes) or is taking it over, or the
// read-only open fails (e.g. a database whose creation must be finished).
struct OneRead {
  std::unique_ptr<DatabaseImpl> db;
  int gate = -1;  // the directory's descriptor with the shared flock
};
std::optional<OneRead> OpenForOneRead(const std::string& path, const Options& options) {
  if (AnyWritableEngine()) return std::nullopt;
  int lock_file = ::open(StoreLockFile(path).c_str(), O_RDONLY | O_CLOEXEC);
  if (lock_file < 0) return std::nullopt;  // never opened for writing
  int gate = -1;
  bool free = ::flock(lock_file, LOCK_SH | LOCK_NB) == 0;  // no writer waiting
  if (free) {
    gate = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free = gate >= 0 && ::flock(gate, LOCK_SH | LOCK_NB) == 0;
  }
  if (free) {
    // Nobody may start writing now; is anybody writing still?
    struct flock probe = {};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    probe.l_start = 0;
    probe.l_len = 0;
    free = ::fcntl(lock_file, F_GETLK, &probe) == 0 && probe.l_type == F_UNLCK;
  }
  CloseLockFile(lock_file);
  if (!free) {
    if (gate >= 0) ::close(gate);
    return std::nullopt;
  }
  Options read = options;
  read.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<DatabaseImpl>> db = DatabaseImpl::Open(path, read);
  if (!db.ok()) {
    ::close(gate);
    return std::nullopt;
  }
  return OneRead{*std::move(db), gate};
}

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
  if (writable_) WritableEngineClosed();
  if (gate_fd_ >= 0) ::close(gate_fd_);  // a one-shot read's flock, after the database closed
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

  if (options.read_only && options.one_shot_read) {
    std::lock_guard<std::mutex> lock(RegistryMutex());
    if (FindEngine(id) == nullptr) {
      if (std::optional<OneRead> read = OpenForOneRead(path, options)) {
        return Attachment{std::shared_ptr<Engine>(new Engine(std::move(read->db), nullptr,
                                                             options.encryption_key_file,
                                                             /*writable=*/false, read->gate)),
                          nullptr};
      }
    }
  }

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
  absl::Status last = absl::OkStatus();
  WriterWaiting waiting;
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
      waiting.Announce(path);
    } else {
      COTRACK_ASSIGN_OR_RETURN(served, ConnectToServer(path, options));
      if (served.has_value()) return *std::move(served);
      std::lock_guard<std::mutex> lock(RegistryMutex());
      if (std::shared_ptr<Engine> engine = FindEngine(id)) return Attachment{engine, nullptr};
      WritableEngineOpening();
      absl::StatusOr<std::unique_ptr<DatabaseImpl>> db = DatabaseImpl::Open(path, engine_options);
      if (db.ok()) {
        absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(db->get());
        if (!server.ok()) {
          db->reset();
          WritableEngineClosed();
          return server.status();
        }
        std::shared_ptr<Engine> engine(new Engine(*std::move(db), *std::move(server),
                                                  options.encryption_key_file, /*writable=*/true));
        Registry()[id] = engine;
        return Attachment{engine, nullptr};
      }
      WritableEngineClosed();
      if (options.read_only && NotWritable(db.status())) {
        Options frozen = options;
        frozen.create_if_missing = false;
        COTRACK_ASSIGN_OR_RETURN(std::unique_ptr<DatabaseImpl> copy,
                                 DatabaseImpl::Open(path, frozen));
        return Attachment{std::shared_ptr<Engine>(new Engine(std::move(copy), nullptr,
                                                             options.encryption_key_file,
                                                             /*writable=*/false)),
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

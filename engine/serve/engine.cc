#include "serve/engine.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
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
    return absl::UnavailableError(
        absl::StrCat("cannot create database directory ", path, ": ", std::strerror(errno)));
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
    // Another process serves it: this process reaches it through its socket,
    // after checking the key as opening the files would.
    absl::StatusOr<std::shared_ptr<Client>> client =
        Client::Connect(path, options.user, options.read_only);
    if (client.ok()) {
      COTRACK_RETURN_IF_ERROR(CheckEncryptionKey(path, options.encryption_key_file));
      return Attachment{nullptr, *std::move(client)};
    }
    // Not served (NotFound), or the server went away during the hello: a
    // successor is needed either way.
    if (!absl::IsNotFound(client.status()) && !rpc::IsTransportLost(client.status())) {
      return client.status();
    }

    // Nobody serves it: take it.
    {
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

// Which process holds a database, and how every other one reaches it.
//
// A database directory is held by at most one process at a time (RocksDB's
// lock). That process has one Engine for it, shared by all its handles, and
// serves the other processes over the directory's socket (server.h). Attach
// finds the engine of this process, else the serving process, else takes the
// lock itself, retrying for Options::busy_timeout_ms while another process is
// opening or handing the database over.
#ifndef COTRACK_SERVE_ENGINE_H_
#define COTRACK_SERVE_ENGINE_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cotrack/options.h"
#include "db/database_impl.h"
#include "serve/client.h"
#include "serve/server.h"

namespace cotrack {

// A database held by this process.
class Engine {
 public:
  ~Engine();
  DatabaseImpl& db() { return *db_; }
  // A read-only copy that could not be locked (the directory is not
  // writable), or one opened for a one-shot read (Options::one_shot_read):
  // it serves nobody and sees no later writes.
  bool frozen() const { return server_ == nullptr; }
  const std::string& key_file() const { return key_file_; }

 private:
  friend absl::StatusOr<struct Attachment> Attach(const std::string& path, const Options& options);
  // `writable`: `db` holds RocksDB's lock (see engine.cc, LockFiles).
  // `gate_fd`: the directory's descriptor whose shared flock keeps others
  // from taking the database over while a one-shot read has it; -1: none.
  Engine(std::unique_ptr<DatabaseImpl> db, std::unique_ptr<Server> server, std::string key_file,
         bool writable, int gate_fd = -1)
      : db_(std::move(db)),
        server_(std::move(server)),
        key_file_(std::move(key_file)),
        writable_(writable),
        gate_fd_(gate_fd) {}

  std::unique_ptr<DatabaseImpl> db_;
  std::unique_ptr<Server> server_;
  std::string key_file_;
  const bool writable_;
  const int gate_fd_;
};

// Where a handle's calls go: exactly one of the two is set.
struct Attachment {
  std::shared_ptr<Engine> engine;  // this process holds the database
  std::shared_ptr<Client> client;  // another process serves it
};

// Attaches to the database in directory `path` (created when
// options.create_if_missing and it is missing). Errors as Database::Open.
absl::StatusOr<Attachment> Attach(const std::string& path, const Options& options);

// How many hand-overs one call rides out before it reports the lost
// connection: at least three, and any number while the call is younger than
// the busy timeout. A count alone failed calls longer than the time between
// two hand-overs (a dump while holders come and go); a time alone would give
// up on a slow call after its first hand-over.
class HandOverBudget {
 public:
  explicit HandOverBudget(const Options& options)
      : deadline_(std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(options.busy_timeout_ms)) {}
  // True when the call may reattach and try once more.
  bool Another() { return ++used_ <= kAtLeast || std::chrono::steady_clock::now() < deadline_; }

 private:
  static constexpr int kAtLeast = 3;
  std::chrono::steady_clock::time_point deadline_;
  int used_ = 0;
};

}  // namespace cotrack

#endif  // COTRACK_SERVE_ENGINE_H_

#include "storage/private_files.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "rocksdb/file_system.h"

namespace cotrack {
namespace {

// Makes a newly created path private; failure to do so fails the creation,
// because a clinical file others can read is worse than no file.
rocksdb::IOStatus MakePrivate(const rocksdb::IOStatus& created, const std::string& path,
                              mode_t mode) {
  if (!created.ok()) return created;
  if (::chmod(path.c_str(), mode) != 0) {
    return rocksdb::IOStatus::IOError(absl::StrCat("cannot make ", path, " private (chmod ",
                                                   mode == 0700 ? "0700" : "0600",
                                                   "): ", strerror(errno)));
  }
  return created;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Every creation path of FileSystem that can make a new file or directory.
// Between open(2) and chmod(2) a file has the umask's mode, but it sits in a
// 0700 directory, so nobody else can reach it in that window.
class PrivateFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit PrivateFileSystem(const std::shared_ptr<rocksdb::FileSystem>& base)
      : rocksdb::FileSystemWrapper(base) {}
  static const char* kClassName() { return "CotrackPrivateFileSystem"; }
  const char* Name() const override { return kClassName(); }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* d) override {
    return MakePrivate(target()->NewWritableFile(f, o, r, d), f, 0600);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* d) override {
    return MakePrivate(target()->ReopenWritableFile(f, o, r, d), f, 0600);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* d) override {
    return MakePrivate(target()->ReuseWritableFile(f, old, o, r, d), f, 0600);
  }
  rocksdb::IOStatus NewRandomRWFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* r,
                                    rocksdb::IODebugContext* d) override {
    return MakePrivate(target()->NewRandomRWFile(f, o, r, d), f, 0600);
  }
  rocksdb::IOStatus NewLogger(const std::string& f, const rocksdb::IOOptions& o,
                              std::shared_ptr<rocksdb::Logger>* r,
                              rocksdb::IODebugContext* d) override {
    rocksdb::IOStatus created = target()->NewLogger(f, o, r, d);
    // RocksDB rotates LOG before it asks for the database lock, so another
    // process opening the same database (and then finding it held) can rename
    // our new LOG before we chmod it. The renamed file stays inside the 0700
    // directory; failing the open over it would turn a hand-over into an error.
    if (created.ok() && ::chmod(f.c_str(), 0600) != 0 && errno == ENOENT) return created;
    return MakePrivate(created, f, 0600);
  }
  rocksdb::IOStatus LockFile(const std::string& f, const rocksdb::IOOptions& o,
                             rocksdb::FileLock** l, rocksdb::IODebugContext* d) override {
    return MakePrivate(target()->LockFile(f, o, l, d), f, 0600);
  }
  rocksdb::IOStatus CreateDir(const std::string& dir, const rocksdb::IOOptions& o,
                              rocksdb::IODebugContext* d) override {
    return MakePrivate(target()->CreateDir(dir, o, d), dir, 0700);
  }
  rocksdb::IOStatus CreateDirIfMissing(const std::string& dir, const rocksdb::IOOptions& o,
                                       rocksdb::IODebugContext* d) override {
    // An existing directory keeps the mode its owner gave it.
    if (Exists(dir)) return target()->CreateDirIfMissing(dir, o, d);
    return MakePrivate(target()->CreateDirIfMissing(dir, o, d), dir, 0700);
  }
};

}  // namespace

rocksdb::Env* PrivateFileEnv() {
  static rocksdb::Env* env =
      rocksdb::NewCompositeEnv(std::make_shared<PrivateFileSystem>(rocksdb::FileSystem::Default()))
          .release();
  return env;
}

}  // namespace cotrack

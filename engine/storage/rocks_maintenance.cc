#include "storage/rocks_maintenance.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/env.h"
#include "rocksdb/options.h"
#include "rocksdb/sst_file_reader.h"
#include "rocksdb/table_properties.h"
#include "rocksdb/utilities/backup_engine.h"
#include "storage/encryption.h"
#include "storage/rocks_status.h"

namespace cotrack {
namespace {

// A missing file: the writer (another process) compacted it away while we
// were reading from a read-only open. Not damage; the caller may retry.
bool IsVanishedFile(const rocksdb::Status& s) {
  return s.IsPathNotFound() || absl::StrContains(s.ToString(), "No such file or directory");
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Creates `dir` 0700 when missing.
absl::Status MakePrivateDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(
        absl::StrCat("cannot create directory ", dir, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

// Holds a flock on a backup directory. RocksDB's BackupEngine assumes it is
// the only writer of its directory: opening one removes the files of any
// backup in progress, so two backups into one directory (two commands, or a
// backup retried by the process that took over a database) would delete each
// other's copies. Writers (create, delete) take the lock exclusively, readers
// (verify, restore) shared; the kernel drops it when a holder dies.
class BackupDirLock {
 public:
  static absl::StatusOr<BackupDirLock> Take(const std::string& dir, bool exclusive) {
    BackupDirLock lock;
    lock.fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock.fd_ < 0 && errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("no cotrack backup in ", dir));
    }
    if (lock.fd_ < 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot open backup directory ", dir, ": ", strerror(errno)));
    }
    while (::flock(lock.fd_, exclusive ? LOCK_EX : LOCK_SH) != 0) {
      if (errno != EINTR) {
        return absl::UnavailableError(
            absl::StrCat("cannot lock backup directory ", dir, ": ", strerror(errno)));
      }
    }
    return lock;
  }
  BackupDirLock(BackupDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  BackupDirLock& operator=(BackupDirLock&&) = delete;
  ~BackupDirLock() {
    if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
  }

 private:
  BackupDirLock() = default;
  int fd_ = -1;
};

BackupSummary Summarize(const rocksdb::BackupInfo& info) {
  BackupSummary b;
  b.id = info.backup_id;
  b.timestamp = info.timestamp;
  b.size_bytes = info.size;
  b.file_count = info.number_files;
  return b;
}

// Opens the backup directory read-only; NotFound when it holds no backups.
// Backup files are read through `backup_env`, restored files written through
// `db_env`.
absl::StatusOr<std::unique_ptr<rocksdb::BackupEngineReadOnly>> OpenBackupDir(
    const std::string& backup_dir, rocksdb::Env* backup_env, rocksdb::Env* db_env) {
  struct stat st;
  if (::stat(backup_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
      !Exists(backup_dir + "/meta")) {
    return absl::NotFoundError(absl::StrCat("no cotrack backup in ", backup_dir));
  }
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  rocksdb::BackupEngineOptions options(backup_dir);
  options.backup_env = backup_env;
  rocksdb::IOStatus s = rocksdb::BackupEngineReadOnly::Open(db_env, options, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open backup directory ", backup_dir));
  return std::unique_ptr<rocksdb::BackupEngineReadOnly>(raw);
}

}  // namespace

absl::Status VerifyRocksTableFiles(rocksdb::DB* db,
                                   const std::vector<rocksdb::ColumnFamilyHandle*>& handles,
                                   std::vector<TableFileDamage>* damaged, size_t* files_checked) {
  *files_checked = 0;
  std::vector<rocksdb::LiveFileMetaData> files;
  db->GetLiveFilesMetaData(&files);
  for (const rocksdb::LiveFileMetaData& f : files) {
    rocksdb::ColumnFamilyOptions cf_options;
    for (rocksdb::ColumnFamilyHandle* h : handles) {
      if (h->GetName() == f.column_family_name) {
        rocksdb::ColumnFamilyDescriptor desc;
        if (h->GetDescriptor(&desc).ok()) cf_options = desc.options;
      }
    }
    const std::string path = f.db_path + f.name;
    rocksdb::Options options(db->GetDBOptions(), cf_options);
    rocksdb::SstFileReader reader(options);
    rocksdb::Status s = reader.Open(path);
    if (s.ok()) {
      rocksdb::ReadOptions ro;
      ro.verify_checksums = true;
      ro.fill_cache = false;
      s = reader.VerifyChecksum(ro);
    }
    if (!s.ok() && IsVanishedFile(s)) continue;  // compacted away by a writer
    ++*files_checked;
    if (!s.ok()) damaged->push_back({path, f.column_family_name, s.ToString()});
  }
  return absl::OkStatus();
}

absl::Status VerifyTableFilesInDirectory(const std::string& db_dir, const std::string& key_file,
                                         std::vector<TableFileDamage>* damaged,
                                         size_t* files_checked) {
  *files_checked = 0;
  absl::StatusOr<rocksdb::Env*> env = FileEnvForDirectory(db_dir, key_file, /*create=*/false);
  if (!env.ok()) return env.status();
  DIR* d = ::opendir(db_dir.c_str());
  if (d == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot read directory ", db_dir, ": ", strerror(errno)));
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (absl::EndsWith(name, ".sst")) names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  rocksdb::Options options;
  options.env = *env;
  for (const std::string& name : names) {
    const std::string path = absl::StrCat(db_dir, "/", name);
    rocksdb::SstFileReader reader(options);
    rocksdb::Status s = reader.Open(path);
    std::string family = "?";
    if (s.ok()) {
      if (auto props = reader.GetTableProperties(); props != nullptr) {
        family = props->column_family_name;
      }
      rocksdb::ReadOptions ro;
      ro.verify_checksums = true;
      ro.fill_cache = false;
      s = reader.VerifyChecksum(ro);
    }
    ++*files_checked;
    if (!s.ok()) damaged->push_back({path, family, s.ToString()});
  }
  return absl::OkStatus();
}

absl::StatusOr<BackupSummary> CreateRocksBackup(rocksdb::DB* db, const std::string& backup_dir,
                                                const std::string& key_file) {
  if (absl::Status s = MakePrivateDir(backup_dir); !s.ok()) return s;
  absl::StatusOr<BackupDirLock> lock = BackupDirLock::Take(backup_dir, /*exclusive=*/true);
  if (!lock.ok()) return lock.status();
  // An encrypted database makes encrypted backups, with its own key.
  absl::StatusOr<rocksdb::Env*> backup_env =
      FileEnvForDirectory(backup_dir, key_file, /*create=*/true);
  if (!backup_env.ok()) return backup_env.status();
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::BackupEngineOptions options(backup_dir);
  options.backup_env = *backup_env;
  rocksdb::IOStatus s = rocksdb::BackupEngine::Open(db->GetEnv(), options, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open backup directory ", backup_dir));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  rocksdb::CreateBackupOptions create;
  // The write-ahead log is backed up with the table files: no flush needed,
  // and a read-only open could not flush anyway.
  create.flush_before_backup = false;
  rocksdb::BackupID id = 0;
  s = engine->CreateNewBackup(create, db, &id);
  if (!s.ok()) {
    // Drop the partial copy; the next backup starts clean.
    engine->GarbageCollect().PermitUncheckedError();
    if (IsVanishedFile(s)) {
      return absl::AbortedError(absl::StrCat(
          "backup to ", backup_dir,
          ": the writer removed a file while it was being copied (try again): ", s.ToString()));
    }
    return FromRocks(s, absl::StrCat("backup to ", backup_dir));
  }
  rocksdb::BackupInfo info;
  rocksdb::Status got = engine->GetBackupInfo(id, &info);
  if (!got.ok()) return FromRocks(got, absl::StrCat("backup to ", backup_dir));
  return Summarize(info);
}

absl::Status DeleteStoreBackup(const std::string& backup_dir, uint32_t id,
                               const std::string& key_file) {
  absl::StatusOr<rocksdb::Env*> env = FileEnvForDirectory(backup_dir, key_file, /*create=*/false);
  if (!env.ok()) return env.status();
  absl::StatusOr<BackupDirLock> lock = BackupDirLock::Take(backup_dir, /*exclusive=*/true);
  if (!lock.ok()) return lock.status();
  rocksdb::BackupEngineOptions options(backup_dir);
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::IOStatus s = rocksdb::BackupEngine::Open(*env, options, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open backup directory ", backup_dir));
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  return FromRocks(engine->DeleteBackup(id),
                   absl::StrCat("delete backup ", id, " of ", backup_dir));
}

absl::StatusOr<std::vector<BackupSummary>> VerifyStoreBackups(const std::string& backup_dir,
                                                              const std::string& key_file) {
  absl::StatusOr<rocksdb::Env*> env = FileEnvForDirectory(backup_dir, key_file, /*create=*/false);
  if (!env.ok()) return env.status();
  absl::StatusOr<BackupDirLock> lock = BackupDirLock::Take(backup_dir, /*exclusive=*/false);
  if (!lock.ok()) return lock.status();
  auto engine = OpenBackupDir(backup_dir, *env, *env);
  if (!engine.ok()) return engine.status();
  std::vector<rocksdb::BackupInfo> infos;
  (*engine)->GetBackupInfo(&infos);
  std::vector<rocksdb::BackupID> corrupt;
  (*engine)->GetCorruptedBackups(&corrupt);
  if (infos.empty() && corrupt.empty()) {
    return absl::NotFoundError(absl::StrCat("no cotrack backup in ", backup_dir));
  }
  std::vector<BackupSummary> out;
  for (const rocksdb::BackupInfo& info : infos) {
    BackupSummary b = Summarize(info);
    rocksdb::IOStatus s = (*engine)->VerifyBackup(info.backup_id, /*verify_with_checksum=*/true);
    if (!s.ok()) b.error = s.ToString();
    out.push_back(b);
  }
  for (rocksdb::BackupID id : corrupt) {
    BackupSummary b;
    b.id = id;
    b.error = "its description (meta file) is unreadable or refers to missing files";
    out.push_back(b);
  }
  return out;
}

absl::StatusOr<BackupSummary> RestoreStoreBackup(const std::string& backup_dir,
                                                 const std::string& db_dir,
                                                 const std::string& key_file) {
  if (DIR* d = ::opendir(db_dir.c_str()); d != nullptr) {
    bool empty = true;
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) empty = false;
    }
    ::closedir(d);
    if (!empty) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing to restore into ", db_dir,
          ": the directory is not empty (restore into a new directory, then move it)"));
    }
  } else if (Exists(db_dir)) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to restore into ", db_dir, ": it is not a directory"));
  }
  // An unencrypted backup restored with a key is encrypted on the way.
  const bool backup_encrypted = Exists(absl::StrCat(backup_dir, "/", kEncryptionMarker));
  absl::StatusOr<rocksdb::Env*> backup_env =
      FileEnvForDirectory(backup_dir, backup_encrypted ? key_file : "", /*create=*/false);
  if (!backup_env.ok()) return backup_env.status();
  auto engine_or = OpenBackupDir(backup_dir, *backup_env, *backup_env);
  if (!engine_or.ok()) return engine_or.status();
  absl::StatusOr<BackupDirLock> lock = BackupDirLock::Take(backup_dir, /*exclusive=*/false);
  if (!lock.ok()) return lock.status();
  rocksdb::BackupInfo info;
  rocksdb::Status latest = (*engine_or)->GetLatestBackupInfo(&info);
  if (!latest.ok()) {
    return absl::NotFoundError(
        absl::StrCat("no good backup in ", backup_dir, ": ", latest.ToString()));
  }
  if (absl::Status s = MakePrivateDir(db_dir); !s.ok()) return s;
  absl::StatusOr<rocksdb::Env*> db_env = FileEnvForDirectory(db_dir, key_file, /*create=*/true);
  if (!db_env.ok()) {
    ::rmdir(db_dir.c_str());  // only succeeds when we left it empty
    return db_env.status();
  }
  engine_or->reset();
  auto engine = OpenBackupDir(backup_dir, *backup_env, *db_env);
  if (!engine.ok()) return engine.status();
  rocksdb::IOStatus s =
      (*engine)->RestoreDBFromBackup(rocksdb::RestoreOptions(), info.backup_id, db_dir, db_dir);
  if (!s.ok()) {
    return FromRocks(
        s, absl::StrCat("restore backup ", info.backup_id, " of ", backup_dir, " into ", db_dir));
  }
  if (!key_file.empty()) {
    if (absl::Status m = EnsureEncryptionMarker(db_dir, key_file); !m.ok()) return m;
  }
  return Summarize(info);
}

}  // namespace cotrack

// Encryption at rest: AES-256 in CTR mode (OpenSSL) under RocksDB's
// encrypted file system, keyed by a key file. Every file RocksDB writes
// (tables, write-ahead logs, manifests, options) is encrypted; the
// directory holds a plain marker file, COTRACK-ENCRYPTED, so that opening
// without the key (or with another key) fails with a clear error instead of
// "damaged data". Only the storage layer includes this header.
#ifndef COTRACK_STORAGE_ENCRYPTION_H_
#define COTRACK_STORAGE_ENCRYPTION_H_

#include <string>

#include "absl/status/statusor.h"
#include "rocksdb/env.h"

namespace cotrack {

// The name of the marker file in an encrypted database or backup directory.
constexpr char kEncryptionMarker[] = "COTRACK-ENCRYPTED";

// The Env to open the database (or backup) directory `dir` with. Without a
// key file: the private-files Env, or FailedPrecondition when `dir` is
// encrypted. With one: the key is read and checked (32 raw bytes or 64 hex
// digits, not readable by group or others), then matched against the
// directory's marker: PermissionDenied for a different key,
// FailedPrecondition when `dir` holds unencrypted data. When `dir` holds
// nothing yet and `create` is set, the marker is written. Unimplemented when
// this build has no OpenSSL. The Env lives as long as the process.
absl::StatusOr<rocksdb::Env*> FileEnvForDirectory(const std::string& dir,
                                                  const std::string& key_file, bool create);

// Writes the marker of key `key_file` into `dir` when it has none (restore
// empties the directory it restores into, marker included).
absl::Status EnsureEncryptionMarker(const std::string& dir, const std::string& key_file);

// True when this build can encrypt (it was built with OpenSSL).
bool EncryptionAvailable();

}  // namespace cotrack

#endif  // COTRACK_STORAGE_ENCRYPTION_H_

#include "storage/encryption.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rocksdb/env_encryption.h"
#include "rocksdb/file_system.h"
#include "storage/private_files.h"

#ifdef COTRACK_HAVE_OPENSSL
#include <dlfcn.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#endif

namespace cotrack {
namespace {

constexpr size_t kKeySize = 32;       // AES-256
constexpr size_t kBlockSize = 16;     // AES block
constexpr size_t kPrefixSize = 4096;  // one page per file, RocksDB's advice
// File prefix: magic | IV | key check | zeros.
constexpr char kMagic[] = "cotrack-aes256c1";  // 16 bytes
static_assert(sizeof(kMagic) - 1 == 16);

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// True when `dir` already holds RocksDB files (or backups).
[[maybe_unused]] bool HoldsData(const std::string& dir) {
  return Exists(dir + "/CURRENT") || Exists(dir + "/meta");
}

[[maybe_unused]] std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Reads and validates the key file.
[[maybe_unused]] absl::StatusOr<std::string> LoadKey(const std::string& key_file) {
  struct stat st;
  if (::stat(key_file.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("key file ", key_file, ": cannot read: ", strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("key file ", key_file, " is not a file"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "key file ", key_file, " can be read by others (mode ",
        absl::StrFormat("%04o", st.st_mode & 07777), "); make it private: chmod 600 ", key_file));
  }
  if (st.st_size > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", key_file, " has ", st.st_size,
                     " bytes (expected 32 random bytes, or 64 hexadecimal digits)"));
  }
  std::string raw = ReadSmallFile(key_file);
  if (raw.size() == kKeySize) return raw;
  std::string text(absl::StripAsciiWhitespace(raw));
  bool hex = text.size() == 2 * kKeySize;
  for (char c : text) hex = hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  if (!hex) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key file ", key_file, " holds ", raw.size(),
        " bytes that are not a key (expected 32 random bytes, or 64 hexadecimal digits; "
        "make one with: openssl rand -hex 32 > ",
        key_file, ")"));
  }
  return absl::HexStringToBytes(text);
}

#ifdef COTRACK_HAVE_OPENSSL

// OpenSSL's libcrypto is loaded when a key file is first used, not linked:
// only encrypted databases need it, and loading it cost every process that
// starts the engine about 1 ms of CPU (mapping 4.7 MB and resolving its
// relocations; issue 13: a cold `cotrack latest` of a plaintext database).
// It stays Debian's shared library, so security fixes still arrive with the
// libssl3 package, and its functions keep their declared types.
#define COTRACK_STRINGIFY2(x) #x
#define COTRACK_STRINGIFY(x) COTRACK_STRINGIFY2(x)
#if OPENSSL_VERSION_MAJOR >= 3
constexpr char kLibCrypto[] = "libcrypto.so." COTRACK_STRINGIFY(OPENSSL_SHLIB_VERSION);
#else
constexpr char kLibCrypto[] = "libcrypto.so." SHLIB_VERSION_NUMBER;
#endif

struct Crypto {
  decltype(&::EVP_Digest) Digest = nullptr;
  decltype(&::EVP_sha256) Sha256 = nullptr;
  decltype(&::EVP_CIPHER_CTX_new) CipherCtxNew = nullptr;
  decltype(&::EVP_CIPHER_CTX_free) CipherCtxFree = nullptr;
  decltype(&::EVP_EncryptInit_ex) EncryptInit = nullptr;
  decltype(&::EVP_EncryptUpdate) EncryptUpdate = nullptr;
  decltype(&::EVP_aes_256_ctr) Aes256Ctr = nullptr;
  decltype(&::RAND_bytes) RandBytes = nullptr;
};

// Loads libcrypto once per process; never unloaded (RocksDB keeps the Envs
// that call it for the life of the process).
const absl::StatusOr<Crypto>& LoadCrypto() {
  static const auto* loaded = new absl::StatusOr<Crypto>([]() -> absl::StatusOr<Crypto> {
    void* lib = ::dlopen(kLibCrypto, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* why = ::dlerror();
      return absl::UnavailableError(absl::StrCat(
          "encryption at rest needs OpenSSL's ", kLibCrypto, ", which cannot be loaded (",
          why != nullptr ? why : "unknown error", "); install OpenSSL 3 (Debian: libssl3)"));
    }
    Crypto c;
    absl::Status missing;
    auto bind = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
      if (fn == nullptr && missing.ok()) {
        missing = absl::UnavailableError(
            absl::StrCat(kLibCrypto, " has no ", name, ": not a usable OpenSSL 3 libcrypto"));
      }
    };
    bind(c.Digest, "EVP_Digest");
    bind(c.Sha256, "EVP_sha256");
    bind(c.CipherCtxNew, "EVP_CIPHER_CTX_new");
    bind(c.CipherCtxFree, "EVP_CIPHER_CTX_free");
    bind(c.EncryptInit, "EVP_EncryptInit_ex");
    bind(c.EncryptUpdate, "EVP_EncryptUpdate");
    bind(c.Aes256Ctr, "EVP_aes_256_ctr");
    bind(c.RandBytes, "RAND_bytes");
    if (!missing.ok()) return missing;
    return c;
  }());
  return *loaded;
}

// The loaded functions; only after LoadCrypto() succeeded (every path to
// them checks it first: FileEnvForDirectory, EnsureEncryptionMarker).
const Crypto& Fn() { return *LoadCrypto(); }

// SHA-256("cotrack key check v1" | key): identifies a key without revealing
// it, so a wrong key is told apart from damage.
std::string KeyCheck(const std::string& key) {
  const std::string input = absl::StrCat("cotrack key check v1", key);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  Fn().Digest(input.data(), input.size(), md, &len, Fn().Sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(md), 16);
}

// AES-256-CTR over a whole file body: the counter of byte `offset` is
// IV + offset / 16 (128-bit big-endian), so any range can be processed on
// its own, as RocksDB's random reads need.
class AesCtrStream : public rocksdb::BlockAccessCipherStream {
 public:
  AesCtrStream(std::string key, std::string iv) : key_(std::move(key)), iv_(std::move(iv)) {}

  size_t BlockSize() override { return kBlockSize; }

  rocksdb::Status Encrypt(uint64_t offset, char* data, size_t size) override {
    return Crypt(offset, data, size);
  }
  rocksdb::Status Decrypt(uint64_t offset, char* data, size_t size) override {
    return Crypt(offset, data, size);
  }

 protected:
  void AllocateScratch(std::string&) override {}
  rocksdb::Status EncryptBlock(uint64_t index, char* data, char*) override {
    return Crypt(index * kBlockSize, data, kBlockSize);
  }
  rocksdb::Status DecryptBlock(uint64_t index, char* data, char*) override {
    return Crypt(index * kBlockSize, data, kBlockSize);
  }

 private:
  rocksdb::Status Crypt(uint64_t offset, char* data, size_t size) {
    if (size == 0) return rocksdb::Status::OK();
    unsigned char counter[kBlockSize];
    std::memcpy(counter, iv_.data(), kBlockSize);
    uint64_t add = offset / kBlockSize;
    for (int i = kBlockSize - 1; i >= 0 && add != 0; --i) {
      const uint64_t sum = counter[i] + (add & 0xff);
      counter[i] = static_cast<unsigned char>(sum);
      add = (add >> 8) + (sum >> 8);
    }
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(Fn().CipherCtxNew(),
                                                                        Fn().CipherCtxFree);
    if (ctx == nullptr ||
        Fn().EncryptInit(ctx.get(), Fn().Aes256Ctr(), nullptr,
                         reinterpret_cast<const unsigned char*>(key_.data()), counter) != 1) {
      return rocksdb::Status::IOError("AES-256-CTR: cannot initialise OpenSSL");
    }
    int out_len = 0;
    // Skip to the byte within the first block.
    if (const size_t skip = offset % kBlockSize; skip != 0) {
      unsigned char scratch[kBlockSize] = {};
      if (Fn().EncryptUpdate(ctx.get(), scratch, &out_len, scratch, static_cast<int>(skip)) != 1) {
        return rocksdb::Status::IOError("AES-256-CTR: OpenSSL failed");
      }
    }
    auto* bytes = reinterpret_cast<unsigned char*>(data);
    while (size > 0) {
      const int chunk = static_cast<int>(std::min<size_t>(size, 1 << 30));
      if (Fn().EncryptUpdate(ctx.get(), bytes, &out_len, bytes, chunk) != 1) {
        return rocksdb::Status::IOError("AES-256-CTR: OpenSSL failed");
      }
      bytes += chunk;
      size -= static_cast<size_t>(chunk);
    }
    return rocksdb::Status::OK();
  }

  const std::string key_;
  const std::string iv_;
};

class AesCtrProvider : public rocksdb::EncryptionProvider {
 public:
  explicit AesCtrProvider(std::string key) : key_(std::move(key)), check_(KeyCheck(key_)) {}
  static const char* kClassName() { return "CotrackAes256Ctr"; }
  const char* Name() const override { return kClassName(); }

  size_t GetPrefixLength() const override { return kPrefixSize; }

  rocksdb::Status CreateNewPrefix(const std::string& /*fname*/, char* prefix,
                                  size_t length) const override {
    if (length < 3 * kBlockSize) return rocksdb::Status::InvalidArgument("prefix too short");
    std::memset(prefix, 0, length);
    std::memcpy(prefix, kMagic, kBlockSize);
    // A fresh random IV per file: CTR must never reuse a key stream.
    if (Fn().RandBytes(reinterpret_cast<unsigned char*>(prefix + kBlockSize), kBlockSize) != 1) {
      return rocksdb::Status::IOError("cannot get random bytes from OpenSSL for the file IV");
    }
    std::memcpy(prefix + 2 * kBlockSize, check_.data(), kBlockSize);
    return rocksdb::Status::OK();
  }

  rocksdb::Status AddCipher(const std::string&, const char*, size_t, bool) override {
    return rocksdb::Status::NotSupported("cotrack keys come from the key file");
  }

  rocksdb::Status CreateCipherStream(
      const std::string& fname, const rocksdb::EnvOptions& /*options*/, rocksdb::Slice& prefix,
      std::unique_ptr<rocksdb::BlockAccessCipherStream>* result) override {
    if (prefix.size() < 3 * kBlockSize || std::memcmp(prefix.data(), kMagic, kBlockSize) != 0) {
      return rocksdb::Status::Corruption(
          absl::StrCat(fname, " is not a cotrack-encrypted file (or its header is damaged)"));
    }
    if (std::memcmp(prefix.data() + 2 * kBlockSize, check_.data(), kBlockSize) != 0) {
      return rocksdb::Status::InvalidArgument(
          absl::StrCat(fname, " was encrypted with a different key"));
    }
    *result =
        std::make_unique<AesCtrStream>(key_, std::string(prefix.data() + kBlockSize, kBlockSize));
    return rocksdb::Status::OK();
  }

 private:
  const std::string key_;
  const std::string check_;
};

// One Env per key for the life of the process: RocksDB keeps raw pointers.
rocksdb::Env* EncryptedEnv(const std::string& key) {
  static std::mutex mu;
  static auto* envs = new std::map<std::string, rocksdb::Env*>();
  std::lock_guard<std::mutex> lock(mu);
  rocksdb::Env*& env = (*envs)[KeyCheck(key)];
  if (env == nullptr) {
    auto private_fs = PrivateFileEnv()->GetFileSystem();
    env = rocksdb::NewCompositeEnv(
              rocksdb::NewEncryptedFS(private_fs, std::make_shared<AesCtrProvider>(key)))
              .release();
  }
  return env;
}

std::string MarkerText(const std::string& key) {
  return absl::StrCat("cotrack encrypted directory: every other file is AES-256-CTR encrypted\n",
                      "cipher: aes-256-ctr\nkey-check: ", absl::BytesToHexString(KeyCheck(key)),
                      "\n");
}

#endif  // COTRACK_HAVE_OPENSSL

[[maybe_unused]] absl::Status WriteMarker(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot create ", path, ": ", strerror(errno)));
  }
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

absl::Status EnsureEncryptionMarker(const std::string& dir, const std::string& key_file) {
  const std::string marker = absl::StrCat(dir, "/", kEncryptionMarker);
  if (Exists(marker)) return absl::OkStatus();
#ifndef COTRACK_HAVE_OPENSSL
  (void)key_file;
  return absl::UnimplementedError(
      "encryption at rest is not available: this cotrack was built without OpenSSL");
#else
  absl::StatusOr<std::string> key = LoadKey(key_file);
  if (!key.ok()) return key.status();
  if (!LoadCrypto().ok()) return LoadCrypto().status();
  return WriteMarker(marker, MarkerText(*key));
#endif
}

bool EncryptionAvailable() {
#ifdef COTRACK_HAVE_OPENSSL
  return LoadCrypto().ok();
#else
  return false;
#endif
}

absl::StatusOr<rocksdb::Env*> FileEnvForDirectory(const std::string& dir,
                                                  const std::string& key_file, bool create) {
  const std::string marker = absl::StrCat(dir, "/", kEncryptionMarker);
  const bool encrypted = Exists(marker);
  if (key_file.empty()) {
    if (encrypted) {
      return absl::FailedPreconditionError(
          absl::StrCat(dir,
                       " is encrypted: give its key file (cotrack --key-file FILE, or "
                       "Options::encryption_key_file)"));
    }
    return PrivateFileEnv();
  }
#ifndef COTRACK_HAVE_OPENSSL
  (void)create;
  return absl::UnimplementedError(
      "encryption at rest is not available: this cotrack was built without OpenSSL");
#else
  absl::StatusOr<std::string> key = LoadKey(key_file);
  if (!key.ok()) return key.status();
  if (!LoadCrypto().ok()) return LoadCrypto().status();
  if (encrypted) {
    const std::string text = ReadSmallFile(marker);
    if (!absl::StrContains(text,
                           absl::StrCat("key-check: ", absl::BytesToHexString(KeyCheck(*key))))) {
      return absl::PermissionDeniedError(
          absl::StrCat(dir, " was encrypted with a different key than the one in ", key_file));
    }
  } else if (HoldsData(dir)) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir,
                     " is not encrypted; open it without a key file (to encrypt it, back it up and "
                     "restore the backup with a key file)"));
  } else if (create) {
    if (absl::Status s = WriteMarker(marker, MarkerText(*key)); !s.ok()) return s;
  }
  return EncryptedEnv(*key);
#endif
}

}  // namespace cotrack

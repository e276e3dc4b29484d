#ifndef COTRACK_OPTIONS_H_
#define COTRACK_OPTIONS_H_

#include <cstddef>
#include <string>

namespace cotrack {

struct Options {
  // Create the database when the directory holds none.
  bool create_if_missing = true;
  // This handle only reads: writes through it fail with FailedPrecondition.
  // It sees every write other handles and processes make, as any handle does.
  // When the directory is not writable (a copy on read-only media), the
  // database is opened as a frozen read-only copy instead.
  bool read_only = false;
  // How long an open or a call waits for the database when another process
  // holds it but is not answering yet (it is opening it, or handing it over
  // as it exits) before failing with Unavailable, in milliseconds.
  int busy_timeout_ms = 5000;
  // With read_only, for a process that opens the database, reads a little
  // and closes it at once (the command line's point queries: `cotrack
  // latest`, `trajectory`, `visit`, `history`, `measures`): when no process
  // holds the database, it is opened read-only in this process, writing
  // nothing to the directory, instead of being taken over for writing
  // (which writes a new MANIFEST and OPTIONS file and syncs five times) and
  // served to others. It sees every write acknowledged before the open,
  // including those of a writer that was killed (its log is replayed in
  // memory), and none after; there is none after, because while this
  // handle is open no other process can take the database over: a process
  // that wants to write waits for it to close, up to its own
  // busy_timeout_ms, and then fails with Unavailable (a handle of this same
  // process that writes too: open it first). So close the handle
  // quickly, and never set this on a long-lived handle (an application's, a
  // Python session's) or for a read that scales with the database (an
  // export, a cohort summary). When the database is held or being taken
  // over, when a writer is waiting, or when the read-only open fails (a
  // database that must be written at open: one never completed, or one
  // whose format must be stamped), the open proceeds as without it. Ignored
  // without read_only. Such a handle does not open the audit log: AuditLog
  // (and Check) return FailedPrecondition; open without it to read them.
  bool one_shot_read = false;
  // The caches below take 160 MiB together by default. They belong to the
  // process serving the database: the first handle opened there sets them;
  // handles served from another process use none.
  // Cache of uncompressed table blocks, in bytes.
  size_t block_cache_bytes = 96 << 20;
  // RocksDB's row cache of whole values, in bytes (0, the default: none),
  // for handles that can write. The value cache below does its job for
  // series; a row cache adds a lookup and an insert to every read that
  // misses it, as each first visit to a patient does.
  size_t row_cache_bytes = 0;
  // Cache of series values (0: none): a hit skips RocksDB altogether. A
  // write drops the values of the series it changes and keeps the others,
  // so repeated reads of the same patients stay fast between recorded
  // visits; snapshot reads bypass it.
  size_t value_cache_bytes = 64 << 20;
  // Memory a bulk write (an import) may use to stage changes before it spills
  // sorted runs to disk inside the database directory.
  size_t bulk_memory_bytes = 256 << 20;
  // Writes of at least this many changes (values and registrations alike) are
  // committed as table files ingested at once instead of through the
  // write-ahead log: faster for large imports, and the same all-or-nothing
  // guarantee.
  size_t bulk_ingest_threshold = 20000;
  // Who is writing, for provenance and the audit log; empty = the OS user.
  // The default of every write that names no user of its own
  // (Provenance::user), so a handle shared by several people (a web app's)
  // names each write's instead. Checked as Provenance::user is: Open fails
  // with InvalidArgument "Options::user: ..." for a bad one.
  std::string user;
  // Encryption at rest (AES-256-CTR, see docs/OPERATIONS.md): the file
  // holding the key (32 random bytes or 64 hex digits, mode 0600). A new
  // database is created encrypted with it; an encrypted one cannot be opened
  // without it. Empty: no encryption.
  std::string encryption_key_file;
};

struct WriteOptions {
  // fsync the write-ahead log before acknowledging: the write survives power
  // loss. Without it a write survives a process crash (kill -9) but may be
  // lost if the machine loses power.
  bool sync = true;
  // Validate and count but write nothing.
  bool dry_run = false;
  // Several values for one (patient, measure, time) in one write (a bulk
  // write or Apply). One identical to the first (same value, comparator,
  // unit as entered and items) is the same observation, stored once, under
  // every policy. For a different one:
  //   kReject     InvalidArgument naming both values' positions (the
  //               default: which one is right is for the user to say);
  //   kKeepFirst  the first in arrival order is stored, the others dropped;
  //   kKeepLast   the last in arrival order is stored;
  //   kMean       their mean in the measure's canonical unit is stored,
  //               rounded to the most decimals entered (an integer measure
  //               to an integer, a stepped one to its step), with the first
  //               value's position and visit; InvalidArgument naming the
  //               values when one is censored or has items (a mean of them
  //               is undefined).
  enum class Repeats { kReject, kKeepFirst, kKeepLast, kMean };
  Repeats repeats = Repeats::kReject;
};

}  // namespace cotrack

#endif  // COTRACK_OPTIONS_H_

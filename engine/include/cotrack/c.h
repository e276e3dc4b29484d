/* The cotrack C ABI: embed the engine from C, or from any language with a C
 * foreign-function interface (Python ctypes, C# P/Invoke, Java FFM/JNA, Go
 * cgo, Rust). Link with -lcotrack (libcotrack.so.0; see docs/EMBEDDING.md).
 *
 * Conventions (as in rocksdb/c.h and sqlite3.h):
 *
 * Handles. Every object is an opaque pointer made by a cotrack_* function and
 * released by the matching *_destroy / cotrack_close. No C++ type, exception
 * or allocator crosses this header.
 *
 * Status. Functions that can fail return an int status code (cotrack_code,
 * the same numbers as absl::StatusCode / gRPC codes) and take a last argument
 * `char** err`:
 *   - on success they return COTRACK_OK and, when err is not NULL, set *err to
 *     NULL;
 *   - on failure they return the code and, when err is not NULL, set *err to a
 *     NUL-terminated UTF-8 message a user can act on (file, field, value,
 *     what was expected). The caller owns it and frees it with cotrack_free().
 *     Out-parameters other than err are left untouched on failure.
 *   The previous value of *err is overwritten, never freed: free each message
 *   before reusing the variable. err may be NULL when only the code matters.
 *
 * Strings. Every `const char*` argument is NUL-terminated UTF-8, read during
 * the call only (never retained). Optional arguments are marked "or NULL".
 * Strings RETURNED as `const char*` are owned by the object they come from
 * and stay valid until that object is destroyed; never free them.
 *
 * Times. Clinical civil time as text: "YYYY-MM-DD" or "YYYY-MM-DDThh:mm[:ss]"
 * (a trailing "Z" or "+hh:mm" is dropped, not applied: a visit date never
 * shifts with the time zone). Returned times are "YYYY-MM-DD" for dates and
 * "YYYY-MM-DDThh:mm:ss" for date-times.
 *
 * Thread safety. A cotrack_db_t may be used by any number of threads at once.
 * Reads each see one consistent snapshot (never half a visit); writes are
 * serialised. Builders (cotrack_visit_t, cotrack_batch_t) and results
 * (cotrack_observations_t, cotrack_summary_t) are plain objects: use each
 * from one thread at a time; distinct objects may be used on distinct
 * threads. A cotrack_table_t is immutable once returned: any number of
 * threads may read it at once (destroying it must wait for all of them).
 *
 * Many processes. Any number of processes may open one database at once,
 * each reading and writing: the first serves the others over a private
 * socket in the database directory, and when it exits another takes over
 * (see docs/EMBEDDING.md, "Many processes").
 *
 * Durability. Every write call (cotrack_register_patient, cotrack_record,
 * cotrack_visit_commit, cotrack_record_visit, cotrack_retract, the *_as variants
 * and cotrack_batch_commit) is atomic: all of it is visible, or none of it.
 * With sync on (the default) the write-ahead log is fsync'ed
 * before the call returns COTRACK_OK, so an acknowledged write survives a
 * process crash and power loss. cotrack_options_set_sync(opts, 0) keeps
 * process-crash safety but may lose the last writes on power loss.
 *
 * Errors never abort the process; a C++ exception inside the engine (e.g. out
 * of memory) is caught at this boundary and returned as a code.
 */
#ifndef COTRACK_C_H_
#define COTRACK_C_H_

#include <stddef.h>
#include <stdint.h>

/* Marks the exported API (the library also uses a linker version script). */
#if defined(__GNUC__) || defined(__clang__)
#define COTRACK_EXPORT __attribute__((visibility("default")))
#else
#define COTRACK_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. The numbers are part of the ABI and never change. */
typedef enum cotrack_code {
  COTRACK_OK = 0,
  COTRACK_CANCELLED = 1,
  COTRACK_UNKNOWN = 2,
  /* Bad input: an invalid value, unit, date, id, or a NULL argument. */
  COTRACK_INVALID_ARGUMENT = 3,
  COTRACK_DEADLINE_EXCEEDED = 4,
  /* Unknown measure, patient or observation; no database at the path (with
   * create_if_missing off). */
  COTRACK_NOT_FOUND = 5,
  COTRACK_ALREADY_EXISTS = 6,
  COTRACK_PERMISSION_DENIED = 7,
  /* Out of memory or disk space. */
  COTRACK_RESOURCE_EXHAUSTED = 8,
  /* e.g. writing through a read-only handle, or a database format newer
   * than this library. */
  COTRACK_FAILED_PRECONDITION = 9,
  COTRACK_ABORTED = 10,
  COTRACK_OUT_OF_RANGE = 11,
  COTRACK_UNIMPLEMENTED = 12,
  /* A bug in cotrack (including an unexpected C++ exception). */
  COTRACK_INTERNAL = 13,
  /* The process holding the database did not answer in time, or the disk
   * is unavailable. */
  COTRACK_UNAVAILABLE = 14,
  /* Stored data is damaged; it is reported, never returned as data. */
  COTRACK_DATA_LOSS = 15,
  COTRACK_UNAUTHENTICATED = 16
} cotrack_code;

typedef struct cotrack_db_t cotrack_db_t;
typedef struct cotrack_options_t cotrack_options_t;
typedef struct cotrack_visit_t cotrack_visit_t;
typedef struct cotrack_observations_t cotrack_observations_t;
typedef struct cotrack_summary_t cotrack_summary_t;
typedef struct cotrack_audit_t cotrack_audit_t;
typedef struct cotrack_table_t cotrack_table_t;
typedef struct cotrack_batch_t cotrack_batch_t;

/* What one write did, per observation identity (patient, measure, time).
 * Filled by write calls that take a `cotrack_write_summary*` (or NULL). */
typedef struct cotrack_write_summary {
  int64_t written;   /* new identities */
  int64_t corrected; /* new versions of existing identities */
  int64_t unchanged; /* same content again: a no-op */
  int64_t retracted;
  int64_t patients; /* patient registrations created or changed */
} cotrack_write_summary;

/* ---- Library ---------------------------------------------------------- */

/* The library version, e.g. "0.1.0". Static storage; never free. */
COTRACK_EXPORT const char* cotrack_version(void);

/* A short name of a code, e.g. "INVALID_ARGUMENT" ("UNKNOWN_CODE" for
 * numbers outside the enum). Static storage; never free. */
COTRACK_EXPORT const char* cotrack_code_name(int code);

/* Frees memory this library handed to the caller: error messages (*err).
 * NULL is a no-op. Never use it on strings returned as `const char*`. */
COTRACK_EXPORT void cotrack_free(void* ptr);

/* ---- Options ---------------------------------------------------------- */

/* Default options: create_if_missing on, read_only off, sync on, user = the
 * OS user. Returns NULL only when out of memory. Free with
 * cotrack_options_destroy; cotrack_open copies what it needs, so the options
 * may be destroyed right after it. */
COTRACK_EXPORT cotrack_options_t* cotrack_options_create(void);
COTRACK_EXPORT void cotrack_options_destroy(cotrack_options_t* options);
/* Create the database when the directory holds none (default 1). */
COTRACK_EXPORT void cotrack_options_set_create_if_missing(cotrack_options_t* options, int value);
/* Open for reading only (default 0); several read-only handles may coexist
 * with one writer process and see the data as of their open. */
COTRACK_EXPORT void cotrack_options_set_read_only(cotrack_options_t* options, int value);
/* fsync every write before acknowledging it (default 1); see Durability. */
COTRACK_EXPORT void cotrack_options_set_sync(cotrack_options_t* options, int value);
/* Who is writing, recorded in provenance and the audit log (NULL or "" =
 * the OS user). The string is copied. */
COTRACK_EXPORT void cotrack_options_set_user(cotrack_options_t* options, const char* user);

/* ---- Database --------------------------------------------------------- */

/* Opens (or creates, see options) the database in directory `path`.
 * `options` may be NULL for the defaults. On success *db is a handle the
 * caller closes with cotrack_close. Other processes and handles may have it
 * open too. Fails with COTRACK_UNAVAILABLE when the process holding it does
 * not answer within the busy timeout (5 s), COTRACK_NOT_FOUND when
 * there is none and create_if_missing is off, COTRACK_FAILED_PRECONDITION
 * when its format is newer than this library, COTRACK_DATA_LOSS when its files
 * are damaged. */
COTRACK_EXPORT int cotrack_open(const char* path, const cotrack_options_t* options,
                                cotrack_db_t** db, char** err);

/* Closes the database and frees the handle. Every acknowledged write is
 * already durable (see Durability); closing only releases memory, files and
 * the lock (another process then serves the database). Calls other threads
 * are making through `db` finish first; no call may start on `db` after
 * cotrack_close returns. Results and builders made from it stay valid (they
 * hold copies). NULL is a no-op. */
COTRACK_EXPORT void cotrack_close(cotrack_db_t* db);

/* A read snapshot (read transaction) of `db`: *snapshot is a handle on
 * which every read call (cotrack_trajectory, cotrack_latest,
 * cotrack_latest_all, cotrack_history, cotrack_summarize, ...) sees the
 * database as of this call, so several reads agree with each other while
 * other threads and processes write. Writes through it fail with
 * COTRACK_FAILED_PRECONDITION. Close it with cotrack_close (it may outlive
 * `db`). When the process serving the database exits, reads through it fail
 * with COTRACK_UNAVAILABLE ("snapshot ended"): take a new one. */
COTRACK_EXPORT int cotrack_snapshot(cotrack_db_t* db, cotrack_db_t** snapshot, char** err);

/* ---- Writes (atomic; durable when sync is on) ------------------------- */

/* Registers patient `id` or replaces its registration (a new version when it
 * differs; earlier versions are kept). `arm` and `index_date` may be NULL
 * (none). `attribute_keys` / `attribute_values` are `attribute_count`
 * parallel strings (may be NULL when the count is 0); the registration holds
 * exactly these attributes afterwards. `summary` may be NULL. */
COTRACK_EXPORT int cotrack_register_patient(cotrack_db_t* db, const char* id, const char* arm,
                                            const char* index_date,
                                            const char* const* attribute_keys,
                                            const char* const* attribute_values,
                                            size_t attribute_count, cotrack_write_summary* summary,
                                            char** err);

/* Records one observation: `value` of `measure` (a catalog code such as
 * "edss") in `unit` (NULL or "" = the measure's canonical unit, e.g. "%" for
 * hba1c; "mmol/mol" is converted) for `patient` at `time`. Recording the same
 * content again is a no-op; a different value for the same (patient,
 * measure, time) is a correction that keeps the earlier version. Unknown
 * patients are registered (no arm, no index date). Censored values, item
 * responses and visit labels: use a cotrack_visit_t. `summary` may be NULL.
 * Every write call refuses a patient id that breaks the rule of
 * cotrack/patient_id.h (1-128 bytes of UTF-8, no control characters, no
 * leading or trailing whitespace) with COTRACK_INVALID_ARGUMENT. */
COTRACK_EXPORT int cotrack_record(cotrack_db_t* db, const char* patient, const char* measure,
                                  const char* time, double value, const char* unit,
                                  cotrack_write_summary* summary, char** err);

/* Marks the current version of (patient, measure, time) entered-in-error:
 * it leaves trajectories but stays in the history. `reason` is required.
 * COTRACK_NOT_FOUND when there is no such observation. */
COTRACK_EXPORT int cotrack_retract(cotrack_db_t* db, const char* patient, const char* measure,
                                   const char* time, const char* reason,
                                   cotrack_write_summary* summary, char** err);

/* ---- Attributed writes: who makes each one, and why -------------------
 *
 * The calls above write as the handle's user (cotrack_options_set_user, else
 * the OS user) and give no reason. A handle shared by several people (a web
 * application's) names the user and reason of each write with these
 * variants, which otherwise behave exactly as the call they extend. Both are
 * stored with every version the write makes (cotrack_observations_user,
 * cotrack_observations_reason) and in its audit entry (cotrack_audit).
 *
 *   user    NULL = the handle's user. Otherwise UTF-8, 1-128 bytes, no
 *           control characters, not only spaces. "" is refused, not taken as
 *           the handle's user, so that a session that lost its user cannot
 *           write as the application.
 *   reason  NULL or "" = none (required by cotrack_retract_as). Otherwise
 *           UTF-8, at most 4096 bytes, no control characters but tabs and
 *           line breaks.
 *
 * A bad user or reason is COTRACK_INVALID_ARGUMENT naming the field ("user"
 * or "reason"), and nothing is written. Other errors as the call extended. */

/* cotrack_register_patient, attributed. */
COTRACK_EXPORT int cotrack_register_patient_as(
    cotrack_db_t* db, const char* id, const char* arm, const char* index_date,
    const char* const* attribute_keys, const char* const* attribute_values, size_t attribute_count,
    const char* user, const char* reason, cotrack_write_summary* summary, char** err);

/* cotrack_record, attributed. */
COTRACK_EXPORT int cotrack_record_as(cotrack_db_t* db, const char* patient, const char* measure,
                                     const char* time, double value, const char* unit,
                                     const char* user, const char* reason,
                                     cotrack_write_summary* summary, char** err);

/* cotrack_retract, attributed; `reason` is required. */
COTRACK_EXPORT int cotrack_retract_as(cotrack_db_t* db, const char* patient, const char* measure,
                                      const char* time, const char* user, const char* reason,
                                      cotrack_write_summary* summary, char** err);

/* cotrack_visit_commit, attributed: every measure of the visit. */
COTRACK_EXPORT int cotrack_visit_commit_as(cotrack_db_t* db, const cotrack_visit_t* visit,
                                           const char* user, const char* reason,
                                           cotrack_write_summary* summary, char** err);

/* ---- Visit builder: several measures of one patient at one time, -------
 * ---- committed all-or-nothing. --------------------------------------- */

/* Starts a visit of `patient` at `time` with an optional label (`label`,
 * e.g. "M6", or NULL). Checks the time's syntax now (COTRACK_INVALID_ARGUMENT
 * otherwise); everything else is validated by cotrack_visit_commit. On
 * success *visit is a builder the caller frees with cotrack_visit_destroy. */
COTRACK_EXPORT int cotrack_visit_create(const char* patient, const char* time, const char* label,
                                        cotrack_visit_t** visit, char** err);
COTRACK_EXPORT void cotrack_visit_destroy(cotrack_visit_t* visit);

/* Adds `value` of `measure` in `unit` (NULL or "" = canonical). */
COTRACK_EXPORT int cotrack_visit_add(cotrack_visit_t* visit, const char* measure, double value,
                                     const char* unit, char** err);

/* Adds `measure` scored from its item responses: `items[k-1]` is item k
 * (NaN = not answered); the total is computed from them. */
COTRACK_EXPORT int cotrack_visit_add_items(cotrack_visit_t* visit, const char* measure,
                                           const double* items, size_t item_count, char** err);

/* Modifiers of the measure added last (COTRACK_FAILED_PRECONDITION when none
 * was added). set_comparator makes the value a censored one: "<", "<=", ">="
 * or ">" (e.g. IL-4 "<0.5" is cotrack_visit_add(v, "il4", 0.5, NULL, ...)
 * then set_comparator "<"); "" clears it. set_items stores item responses
 * next to an explicitly given total (which must then equal their sum for
 * measures whose items sum to the total). The array is copied. */
COTRACK_EXPORT int cotrack_visit_set_comparator(cotrack_visit_t* visit, const char* comparator,
                                                char** err);
COTRACK_EXPORT int cotrack_visit_set_items(cotrack_visit_t* visit, const double* items,
                                           size_t item_count, char** err);

/* The number of measures added so far. */
COTRACK_EXPORT size_t cotrack_visit_size(const cotrack_visit_t* visit);

/* Validates every measure of the visit and writes them together: on any
 * invalid one nothing is written and *err lists each problem. The builder is
 * not consumed (commit again is a no-op write); destroy it when done.
 * `summary` may be NULL. */
COTRACK_EXPORT int cotrack_visit_commit(cotrack_db_t* db, const cotrack_visit_t* visit,
                                        cotrack_write_summary* summary, char** err);

/* ---- Reads (each one consistent snapshot) ----------------------------- */

/* Current values of `measure` for `patient`, oldest first, retracted ones
 * left out, optionally within [from, to] (each NULL = open; a date-only `to`
 * includes that whole day). Empty (count 0) when there are none;
 * COTRACK_NOT_FOUND for an unknown patient or measure. On success *out is a
 * result the caller frees with cotrack_observations_destroy. */
COTRACK_EXPORT int cotrack_trajectory(cotrack_db_t* db, const char* patient, const char* measure,
                                      const char* from, const char* to,
                                      cotrack_observations_t** out, char** err);

/* The last `n` (>= 1) current values on or before `as_of` (NULL = any time),
 * newest first. Otherwise as cotrack_trajectory. */
COTRACK_EXPORT int cotrack_latest(cotrack_db_t* db, const char* patient, const char* measure,
                                  const char* as_of, int n, cotrack_observations_t** out,
                                  char** err);

/* The latest current value of every measure `patient` has (as of `as_of`,
 * NULL = any time), ordered by measure code. */
COTRACK_EXPORT int cotrack_latest_all(cotrack_db_t* db, const char* patient, const char* as_of,
                                      cotrack_observations_t** out, char** err);

/* Every version of one observation, oldest first, retractions included.
 * COTRACK_NOT_FOUND when it was never recorded. */
COTRACK_EXPORT int cotrack_history(cotrack_db_t* db, const char* patient, const char* measure,
                                   const char* time, cotrack_observations_t** out, char** err);

/* ---- Observation results ---------------------------------------------- */

/* Frees a result and every string it returned. NULL is a no-op. */
COTRACK_EXPORT void cotrack_observations_destroy(cotrack_observations_t* result);
/* The number of rows; rows are 0 .. count-1. */
COTRACK_EXPORT size_t cotrack_observations_count(const cotrack_observations_t* result);
/* Row accessors. For an index out of range string accessors return NULL and
 * numeric ones NaN (value, item) or 0. Strings belong to `result`. */
COTRACK_EXPORT const char* cotrack_observations_patient(const cotrack_observations_t* result,
                                                        size_t i);
COTRACK_EXPORT const char* cotrack_observations_measure(const cotrack_observations_t* result,
                                                        size_t i);
/* The effective (clinical) time, formatted as described under Times. */
COTRACK_EXPORT const char* cotrack_observations_time(const cotrack_observations_t* result,
                                                     size_t i);
/* 1 when the time is a date without time of day, 0 when it has one. */
COTRACK_EXPORT int cotrack_observations_is_date(const cotrack_observations_t* result, size_t i);
/* The value in the measure's canonical unit. For a censored value (see
 * comparator) this is the detection limit, never an exact number. */
COTRACK_EXPORT double cotrack_observations_value(const cotrack_observations_t* result, size_t i);
/* The canonical unit, e.g. "%". */
COTRACK_EXPORT const char* cotrack_observations_unit(const cotrack_observations_t* result,
                                                     size_t i);
/* "" for an exact value, else "<", "<=", ">=" or ">". */
COTRACK_EXPORT const char* cotrack_observations_comparator(const cotrack_observations_t* result,
                                                           size_t i);
/* The value and unit as entered, e.g. "48" and "mmol/mol". */
COTRACK_EXPORT const char* cotrack_observations_original_value(const cotrack_observations_t* result,
                                                               size_t i);
COTRACK_EXPORT const char* cotrack_observations_original_unit(const cotrack_observations_t* result,
                                                              size_t i);
/* The visit label ("" when none). */
COTRACK_EXPORT const char* cotrack_observations_visit(const cotrack_observations_t* result,
                                                      size_t i);
/* "final", "amended" or "entered-in-error". */
COTRACK_EXPORT const char* cotrack_observations_status(const cotrack_observations_t* result,
                                                       size_t i);
/* 1 for the first version of the identity, 2 after one correction, ... */
COTRACK_EXPORT uint32_t cotrack_observations_version(const cotrack_observations_t* result,
                                                     size_t i);
/* When this version was recorded: microseconds since the Unix epoch (UTC). */
COTRACK_EXPORT int64_t cotrack_observations_recorded_at_us(const cotrack_observations_t* result,
                                                           size_t i);
/* Item responses stored with the value (0 when none); item k is at k-1,
 * NaN = not answered. */
COTRACK_EXPORT size_t cotrack_observations_item_count(const cotrack_observations_t* result,
                                                      size_t i);
COTRACK_EXPORT double cotrack_observations_item(const cotrack_observations_t* result, size_t i,
                                                size_t k);
/* Provenance of the version: who wrote it (the write's user, else the
 * writing handle's), why ("" when no reason was given; a retraction's
 * reason), and from where ("api", "cli", or an imported file's path). */
COTRACK_EXPORT const char* cotrack_observations_user(const cotrack_observations_t* result,
                                                     size_t i);
COTRACK_EXPORT const char* cotrack_observations_reason(const cotrack_observations_t* result,
                                                       size_t i);
COTRACK_EXPORT const char* cotrack_observations_source(const cotrack_observations_t* result,
                                                       size_t i);

/* ---- Audit log -------------------------------------------------------- */

/* The audit log, oldest first: one entry per write (a visit, a correction, a
 * retraction, a registration, an imported file), with who made it and why.
 * `patient` NULL or "" = every entry, else only those concerning that
 * patient (an unknown patient has none: count 0). On success *out is a
 * result the caller frees with cotrack_audit_destroy. */
COTRACK_EXPORT int cotrack_audit(cotrack_db_t* db, const char* patient, cotrack_audit_t** out,
                                 char** err);
/* Frees a result and every string it returned. NULL is a no-op. */
COTRACK_EXPORT void cotrack_audit_destroy(cotrack_audit_t* audit);
/* The number of entries; entries are 0 .. count-1. */
COTRACK_EXPORT size_t cotrack_audit_count(const cotrack_audit_t* audit);
/* Entry accessors. For an index out of range string accessors return NULL
 * and numeric ones 0. Strings belong to `audit`. */
/* 1, 2, ... without gaps. */
COTRACK_EXPORT uint64_t cotrack_audit_sequence(const cotrack_audit_t* audit, size_t i);
/* When it was written: microseconds since the Unix epoch (UTC). */
COTRACK_EXPORT int64_t cotrack_audit_at_us(const cotrack_audit_t* audit, size_t i);
/* "record", "retract", "patient", "import", "measure", ... */
COTRACK_EXPORT const char* cotrack_audit_action(const cotrack_audit_t* audit, size_t i);
/* The patient the write concerned ("" when it concerned several or none). */
COTRACK_EXPORT const char* cotrack_audit_patient(const cotrack_audit_t* audit, size_t i);
/* Free text, e.g. the imported file or the registered measure. */
COTRACK_EXPORT const char* cotrack_audit_detail(const cotrack_audit_t* audit, size_t i);
/* Who made the write and why (that of its first change; see Attributed
 * writes), and from where ("api", "cli" or a file). */
COTRACK_EXPORT const char* cotrack_audit_user(const cotrack_audit_t* audit, size_t i);
COTRACK_EXPORT const char* cotrack_audit_reason(const cotrack_audit_t* audit, size_t i);
COTRACK_EXPORT const char* cotrack_audit_source(const cotrack_audit_t* audit, size_t i);
/* What the write did; all zero for an index out of range. `summary` must
 * not be NULL. */
COTRACK_EXPORT void cotrack_audit_summary(const cotrack_audit_t* audit, size_t i,
                                          cotrack_write_summary* summary);

/* ---- Cohort summary --------------------------------------------------- */

/* Summarises `measure` over every patient in one pass: per timepoint and
 * group, descriptive statistics of the values and of the change from
 * baseline. `timepoints` is a comma-separated list relative to each
 * patient's index date, e.g. "0,6m,12m" ("0" = baseline; "Nd", "Nw", "Nm",
 * "Ny"); values count within +-30 days of the target. `group_by` is NULL or
 * "" (one group "all"), "arm", or a patient attribute name that at least one
 * patient has (another name is COTRACK_INVALID_ARGUMENT naming the known
 * ones). Censored values
 * are excluded from statistics and counted. On success *out is a result the
 * caller frees with cotrack_summary_destroy. */
COTRACK_EXPORT int cotrack_summarize(cotrack_db_t* db, const char* measure, const char* timepoints,
                                     const char* group_by, cotrack_summary_t** out, char** err);
COTRACK_EXPORT void cotrack_summary_destroy(cotrack_summary_t* summary);
/* The canonical unit of the measure summarised. */
COTRACK_EXPORT const char* cotrack_summary_unit(const cotrack_summary_t* summary);
/* Every option used, on one line (print it next to the numbers). */
COTRACK_EXPORT const char* cotrack_summary_options(const cotrack_summary_t* summary);
/* Patients with values of the measure. */
COTRACK_EXPORT int64_t cotrack_summary_patients(const cotrack_summary_t* summary);
/* Rows, ordered by timepoint (as given) then group name. */
COTRACK_EXPORT size_t cotrack_summary_row_count(const cotrack_summary_t* summary);
COTRACK_EXPORT const char* cotrack_summary_row_group(const cotrack_summary_t* summary, size_t i);
COTRACK_EXPORT const char* cotrack_summary_row_timepoint(const cotrack_summary_t* summary,
                                                         size_t i);

/* Counts of a row (0 for an index out of range). */
typedef enum cotrack_summary_count {
  COTRACK_COUNT_PATIENTS = 0, /* patients in the group */
  COTRACK_COUNT_MISSING = 1,  /* no value at this timepoint */
  COTRACK_COUNT_CENSORED = 2, /* censored values found (not in statistics) */
  COTRACK_COUNT_N = 3,        /* values in the statistics */
  COTRACK_COUNT_CHANGE_N = 4, /* patients with a change from baseline */
  COTRACK_COUNT_IMPROVED = 5,
  COTRACK_COUNT_STABLE = 6,
  COTRACK_COUNT_WORSENED = 7
} cotrack_summary_count;
COTRACK_EXPORT int64_t cotrack_summary_row_count_of(const cotrack_summary_t* summary, size_t i,
                                                    int which);

/* Statistics of a row; NaN when undefined (e.g. sd of one value, change at
 * baseline) or for an index out of range. Quartiles are type 7 (R, NumPy). */
typedef enum cotrack_summary_stat {
  COTRACK_STAT_MEAN = 0,
  COTRACK_STAT_SD = 1,
  COTRACK_STAT_MEDIAN = 2,
  COTRACK_STAT_Q1 = 3,
  COTRACK_STAT_Q3 = 4,
  COTRACK_STAT_MIN = 5,
  COTRACK_STAT_MAX = 6,
  COTRACK_STAT_CHANGE_MEDIAN = 7,
  COTRACK_STAT_CHANGE_MEAN = 8,
  COTRACK_STAT_IMPROVED_PCT = 9,
  COTRACK_STAT_STABLE_PCT = 10,
  COTRACK_STAT_WORSENED_PCT = 11
} cotrack_summary_stat;
COTRACK_EXPORT double cotrack_summary_row_stat(const cotrack_summary_t* summary, size_t i,
                                               int which);

/* ---- Result tables: whole results as column arrays -------------------- *
 *
 * For callers that pay per call across a foreign-function boundary (Python
 * ctypes, JNA, cgo, P/Invoke): a cotrack_table_t carries a whole result in
 * columns, so reading N rows costs a handful of calls, not one per field per
 * row. Every command that returns rows can return one (the *_table calls
 * below); each documents its columns.
 *
 * Ownership and lifetime. A table is made by a *_table call (*out, owned by
 * the caller) and freed with cotrack_table_destroy. Every pointer a table
 * returns (names, column arrays, offsets) belongs to it, stays valid and
 * unchanged until it is destroyed, and must never be freed. A table holds
 * copies: it stays valid after the database handle it came from is closed.
 *
 * Shape. A table has cotrack_table_row_count rows and
 * cotrack_table_column_count columns, each with a name and a type. The
 * columns of each kind of result are listed, in order, by an enum
 * (cotrack_observation_column, ...): callers may use those indices
 * directly. Later versions may append columns, never remove or reorder them.
 *
 * Column types:
 *   COTRACK_COLUMN_INT64   cotrack_table_int64: row_count int64_t values;
 *   COTRACK_COLUMN_DOUBLE  cotrack_table_double: row_count doubles (NaN where
 *                          a column documents "undefined");
 *   COTRACK_COLUMN_STRING  cotrack_table_strings: one buffer of UTF-8 bytes
 *                          and row_count + 1 offsets; row i is the bytes
 *                          [offsets[i], offsets[i+1] - 1) and a NUL follows
 *                          each row, so data + offsets[i] is also a C string
 *                          and offsets[row_count] is the buffer's size. (A
 *                          caller may turn the whole column into strings at
 *                          once by splitting the buffer at NULs: strings
 *                          given to this ABI never contain one.)
 *   COTRACK_COLUMN_DOUBLE_LIST  cotrack_table_double_list: a list of doubles
 *                          per row: row_count + 1 offsets into one array;
 *                          row i is [offsets[i], offsets[i+1]).
 * Array pointers are never NULL for a column of the requested type, even
 * with 0 rows (then they must not be read).
 *
 * Errors. A *_table call fails like its row-by-row counterpart (code and
 * *err; *out untouched). Accessors never fail: a NULL table, a column index
 * out of range or a column of another type gives NULL (or 0, -1 as each
 * says), which is a bug of the caller, never of the data.
 *
 * Thread safety. A table is immutable: any number of threads may read it. */

typedef enum cotrack_column_type {
  COTRACK_COLUMN_INT64 = 1,
  COTRACK_COLUMN_DOUBLE = 2,
  COTRACK_COLUMN_STRING = 3,
  COTRACK_COLUMN_DOUBLE_LIST = 4
} cotrack_column_type;

/* Frees the table and everything it returned. NULL is a no-op. */
COTRACK_EXPORT void cotrack_table_destroy(cotrack_table_t* table);
/* Rows and columns (0 for NULL). */
COTRACK_EXPORT size_t cotrack_table_row_count(const cotrack_table_t* table);
COTRACK_EXPORT size_t cotrack_table_column_count(const cotrack_table_t* table);
/* What the command prints on stderr beside this table (without its
 * "cotrack: " prefix), a line each, "\n" between lines; "" when it prints
 * nothing or for NULL. Tables of cotrack_summary_table,
 * cotrack_progression and cotrack_survival have them: the patients counted
 * and those not analysed, with why and what fixes it. Valid until the table
 * is destroyed. */
COTRACK_EXPORT const char* cotrack_table_notes(const cotrack_table_t* table);
/* The column's name, e.g. "value" (NULL out of range). */
COTRACK_EXPORT const char* cotrack_table_column_name(const cotrack_table_t* table, size_t column);
/* The column's cotrack_column_type (0 out of range). */
COTRACK_EXPORT int cotrack_table_column_type(const cotrack_table_t* table, size_t column);
/* The index of the column named `name`, or -1 when there is none. */
COTRACK_EXPORT int64_t cotrack_table_column_index(const cotrack_table_t* table, const char* name);
/* The whole column as an array of row_count values (NULL when the column is
 * out of range or not of that type). */
COTRACK_EXPORT const int64_t* cotrack_table_int64(const cotrack_table_t* table, size_t column);
COTRACK_EXPORT const double* cotrack_table_double(const cotrack_table_t* table, size_t column);
/* A STRING column: returns its buffer and sets *offsets (when not NULL) to
 * its row_count + 1 offsets; see "Column types". */
COTRACK_EXPORT const char* cotrack_table_strings(const cotrack_table_t* table, size_t column,
                                                 const int64_t** offsets);
/* A DOUBLE_LIST column: returns the values of all rows and sets *offsets
 * (when not NULL) to its row_count + 1 offsets. */
COTRACK_EXPORT const double* cotrack_table_double_list(const cotrack_table_t* table, size_t column,
                                                       const int64_t** offsets);

/* The columns of an observation table, in order: one row per observation
 * (version), the fields of the cotrack_observations_* accessors. */
typedef enum cotrack_observation_column {
  COTRACK_OBS_PATIENT = 0,         /* STRING */
  COTRACK_OBS_MEASURE = 1,         /* STRING */
  COTRACK_OBS_TIME = 2,            /* STRING, formatted as under Times */
  COTRACK_OBS_SECONDS = 3,         /* INT64: the time as seconds since
                                      1970-01-01T00:00:00 civil time (no zone);
                                      a date is its midnight. Days since
                                      1970-01-01: floor(seconds / 86400). */
  COTRACK_OBS_IS_DATE = 4,         /* INT64: 1 for a date, 0 with a time of day */
  COTRACK_OBS_VALUE = 5,           /* DOUBLE, canonical unit; for a censored
                                      value the detection limit */
  COTRACK_OBS_COMPARATOR = 6,      /* STRING: "" exact, else "<", "<=", ">=", ">" */
  COTRACK_OBS_UNIT = 7,            /* STRING: the canonical unit */
  COTRACK_OBS_ORIGINAL_VALUE = 8,  /* STRING: as entered */
  COTRACK_OBS_ORIGINAL_UNIT = 9,   /* STRING: as entered */
  COTRACK_OBS_VISIT = 10,          /* STRING: the visit label, "" when none */
  COTRACK_OBS_STATUS = 11,         /* STRING: "final", "amended", "entered-in-error" */
  COTRACK_OBS_VERSION = 12,        /* INT64: 1, 2, ... */
  COTRACK_OBS_RECORDED_AT_US = 13, /* INT64: microseconds since the Unix epoch, UTC */
  COTRACK_OBS_ITEMS = 14,          /* DOUBLE_LIST: item responses, NaN = not
                                      answered; empty when none */
  COTRACK_OBS_SOURCE = 15,         /* STRING: where the version came from:
                                      "api", "cli" or a file */
  COTRACK_OBS_USER = 16,           /* STRING: who wrote it */
  COTRACK_OBS_REASON = 17,         /* STRING: why, "" when no reason was given */
  COTRACK_OBS_COLUMN_COUNT = 18
} cotrack_observation_column;

/* cotrack_trajectory, cotrack_latest, cotrack_latest_all and cotrack_history
 * returning an observation table: the same rows, order and errors. */
COTRACK_EXPORT int cotrack_trajectory_table(cotrack_db_t* db, const char* patient,
                                            const char* measure, const char* from, const char* to,
                                            cotrack_table_t** out, char** err);
COTRACK_EXPORT int cotrack_latest_table(cotrack_db_t* db, const char* patient, const char* measure,
                                        const char* as_of, int n, cotrack_table_t** out,
                                        char** err);
COTRACK_EXPORT int cotrack_latest_all_table(cotrack_db_t* db, const char* patient,
                                            const char* as_of, cotrack_table_t** out, char** err);
COTRACK_EXPORT int cotrack_history_table(cotrack_db_t* db, const char* patient, const char* measure,
                                         const char* time, cotrack_table_t** out, char** err);

/* The columns of a summary table (cotrack_summarize_table), in order: one
 * row per timepoint and group, ordered as cotrack_summarize's rows. */
typedef enum cotrack_summary_column {
  COTRACK_SUM_TIMEPOINT = 0, /* STRING */
  COTRACK_SUM_GROUP = 1,     /* STRING */
  /* INT64, as cotrack_summary_count */
  COTRACK_SUM_PATIENTS = 2,
  COTRACK_SUM_MISSING = 3,
  COTRACK_SUM_CENSORED = 4,
  COTRACK_SUM_N = 5,
  COTRACK_SUM_CHANGE_N = 6,
  COTRACK_SUM_IMPROVED = 7,
  COTRACK_SUM_STABLE = 8,
  COTRACK_SUM_WORSENED = 9,
  /* DOUBLE, NaN when undefined, as cotrack_summary_stat */
  COTRACK_SUM_MEAN = 10,
  COTRACK_SUM_SD = 11,
  COTRACK_SUM_MEDIAN = 12,
  COTRACK_SUM_Q1 = 13,
  COTRACK_SUM_Q3 = 14,
  COTRACK_SUM_MIN = 15,
  COTRACK_SUM_MAX = 16,
  COTRACK_SUM_CHANGE_MEDIAN = 17,
  COTRACK_SUM_CHANGE_MEAN = 18,
  COTRACK_SUM_IMPROVED_PCT = 19,
  COTRACK_SUM_STABLE_PCT = 20,
  COTRACK_SUM_WORSENED_PCT = 21,
  /* STRING, the same on every row: the measure's canonical unit, and the
   * line of every option used as `cotrack summary` prints it
   * ("measure=edss at=0,6m window=30d ...") */
  COTRACK_SUM_UNIT = 22,
  COTRACK_SUM_PARAMETERS = 23,
  COTRACK_SUM_COLUMN_COUNT = 24
} cotrack_summary_column;

/* cotrack_summarize as a summary table; the same arguments and errors.
 * Every option of `cotrack summary`: cotrack_summary_table. */
COTRACK_EXPORT int cotrack_summarize_table(cotrack_db_t* db, const char* measure,
                                           const char* timepoints, const char* group_by,
                                           cotrack_table_t** out, char** err);

/* ---- Writes as arrays: one call per visit, and batches ---------------- */

/* Records `count` (>= 1) measures of one visit of `patient` at `time`, all or
 * nothing, in one call (cotrack_visit_create + _add + _set_comparator +
 * _commit without a builder): measures[k] in units[k] (NULL or "" =
 * canonical) with comparators[k] (NULL or "" = exact; else "<", "<=", ">=",
 * ">", making values[k] a detection limit). `units` and `comparators` may be
 * NULL (all canonical / all exact). `label` is the visit label or NULL.
 * Errors as cotrack_visit_commit; COTRACK_INVALID_ARGUMENT for count 0, a
 * NULL array or measure, a bad time or comparator. `summary` may be NULL. */
COTRACK_EXPORT int cotrack_record_visit(cotrack_db_t* db, const char* patient, const char* time,
                                        const char* label, size_t count,
                                        const char* const* measures, const double* values,
                                        const char* const* units, const char* const* comparators,
                                        cotrack_write_summary* summary, char** err);

/* A batch: registrations, visits and retractions collected in memory, then
 * written by cotrack_batch_commit in one atomic write (the engine's bulk
 * write: all of it is visible, or none of it). Adding checks argument syntax
 * only (NULLs, times, comparators: COTRACK_INVALID_ARGUMENT, and the batch is
 * unchanged); everything else is validated by the commit. Destroying a batch
 * that was never committed writes nothing. Returns NULL only when out of
 * memory. */
COTRACK_EXPORT cotrack_batch_t* cotrack_batch_create(void);
COTRACK_EXPORT void cotrack_batch_destroy(cotrack_batch_t* batch);
/* As cotrack_register_patient. */
COTRACK_EXPORT int cotrack_batch_register_patient(cotrack_batch_t* batch, const char* id,
                                                  const char* arm, const char* index_date,
                                                  const char* const* attribute_keys,
                                                  const char* const* attribute_values,
                                                  size_t attribute_count, char** err);
/* As cotrack_record_visit (count may be 0: nothing is added). */
COTRACK_EXPORT int cotrack_batch_record_visit(cotrack_batch_t* batch, const char* patient,
                                              const char* time, const char* label, size_t count,
                                              const char* const* measures, const double* values,
                                              const char* const* units,
                                              const char* const* comparators, char** err);
/* Adds every measure of a visit builder (item responses included); the
 * builder is copied and stays the caller's. */
COTRACK_EXPORT int cotrack_batch_add_visit(cotrack_batch_t* batch, const cotrack_visit_t* visit,
                                           char** err);
/* As cotrack_retract. */
COTRACK_EXPORT int cotrack_batch_retract(cotrack_batch_t* batch, const char* patient,
                                         const char* measure, const char* time, const char* reason,
                                         char** err);
/* Registrations, observations and retractions added so far. */
COTRACK_EXPORT size_t cotrack_batch_size(const cotrack_batch_t* batch);
/* Writes the whole batch in one atomic step; on any invalid change nothing
 * is written and *err lists each problem. The batch is not consumed
 * (committing it again is a no-op write). An empty batch writes nothing and
 * succeeds. `summary` may be NULL. */
COTRACK_EXPORT int cotrack_batch_commit(cotrack_db_t* db, const cotrack_batch_t* batch,
                                        cotrack_write_summary* summary, char** err);

/* ---- Command-line parity: what each `cotrack` command does ------------
 *
 * Each command of the command line has a call here (the table in
 * docs/EMBEDDING.md maps them; the test Embed.Parity checks it). Commands
 * with many flags take them as options: `option_names` / `option_values`,
 * `option_count` parallel strings, each name the flag without its leading
 * "--" ("window", "dry-run") and each value its text ("30"; "" for a flag
 * without a value). The command line parses them with the same engine
 * function, so a bad option is COTRACK_INVALID_ARGUMENT with the command
 * line's message (`--window: bad value "x" (expected an integer from 0 to
 * 3650)`), as is an unknown name (the message lists the known ones) or a name
 * given twice. The arrays may be NULL when option_count is 0. */

/* The key file of an encrypted database (the global --key-file): a new
 * database is created encrypted with it, an encrypted one needs it. NULL or
 * "" = none. The string is copied. */
COTRACK_EXPORT void cotrack_options_set_encryption_key_file(cotrack_options_t* options,
                                                            const char* path);

/* `cotrack import FILE`: imports one file atomically (any bad row rejects it
 * whole unless on-error is "skip"), as the handle's user. Options: format,
 * mapping, ignore-columns, hl7-patient-id-field, hl7-patient-id-authority,
 * hl7-patient-id-type, on-error, duplicates, reject-file, reason, timezone,
 * index-date, replace-registration, dry-run, no-sync (see `cotrack import
 * --help`). A directory holding an OMOP CDM export (measurement.csv) is
 * imported as the command does: its person.csv, if any, then its
 * measurement.csv, each atomically; when the second fails, the first stays
 * imported and the message says so. *out (when `out` is not NULL) has a row
 * per file imported: path, format,
 * rows, written, unchanged, corrected, retracted, patients, rejected, skipped
 * (INT64 but path, format), reject_file, index_dates_set (INT64: index
 * dates index-date first-visit set), skipped_by_reason (why rows were
 * skipped, a line "COUNT<TAB>REASON" per reason, e.g. "2320\tunmapped
 * concept 3011505 (FEV1/FVC)") and warnings (what the user should know that
 * did not stop the import, e.g. offsets dropped for want of a time zone, a
 * line each; "" when none): the lines `cotrack import` prints under its
 * counts. Errors as the
 * command's: bad rows are COTRACK_INVALID_ARGUMENT listing each as
 * FILE:LINE: field "x": bad value "v" (expected ...); COTRACK_NOT_FOUND for a
 * missing file. */
COTRACK_EXPORT int cotrack_import(cotrack_db_t* db, const char* path,
                                  const char* const* option_names, const char* const* option_values,
                                  size_t option_count, cotrack_table_t** out, char** err);

/* `cotrack patients`: every registered patient, ordered by id. Columns:
 * patient, arm, index_date ("" when none), treatment_dates (";"-separated),
 * version (INT64), recorded_at (UTC "YYYY-MM-DDThh:mm:ssZ", "" when
 * unknown), then one STRING column per patient attribute any patient has
 * (sorted; "" where a patient lacks it; a name clashing with a fixed
 * column is prefixed "attr_"). */
COTRACK_EXPORT int cotrack_patients_table(cotrack_db_t* db, cotrack_table_t** out, char** err);

/* `cotrack measures`: the catalog, built-in and registered measures. Columns:
 * code, name, unit, min, max (DOUBLE), step, threshold (DOUBLE, NaN when not
 * set), integer (INT64 0/1), direction, other_units (";"-separated), items
 * (INT64, 0 when none), censorable, builtin (INT64 0/1), in the command's
 * order: code name unit min max step integer direction threshold
 * other_units items censorable builtin. */
COTRACK_EXPORT int cotrack_measures_table(cotrack_db_t* db, cotrack_table_t** out, char** err);

/* `cotrack measure show CODE`: one row, the columns of
 * cotrack_measures_table then allowed_values, conversions, item_min,
 * item_max (DOUBLE, NaN without items), items_sum_to_total (INT64),
 * named_items, subscales, loinc, description. COTRACK_NOT_FOUND for an
 * unknown code. */
COTRACK_EXPORT int cotrack_measure_table(cotrack_db_t* db, const char* code, cotrack_table_t** out,
                                         char** err);

/* `cotrack visit PATIENT DATE`: every current value of `patient` on the
 * civil day `date` (times of day on it included), by measure code then
 * time: an observation table. COTRACK_NOT_FOUND for an unknown patient. */
COTRACK_EXPORT int cotrack_visit_table(cotrack_db_t* db, const char* patient, const char* date,
                                       cotrack_table_t** out, char** err);

/* `cotrack audit [--patient P]`: the audit log as a table, oldest first,
 * one row per write. Columns: sequence, at_us (INT64: microseconds since
 * the Unix epoch, UTC), action, patient, detail, source, user, reason, then
 * the write's counts written, corrected, unchanged, retracted,
 * registrations (patient registrations created or changed) and
 * patient_count (patients it concerned), all INT64. `patient` NULL or "" =
 * every entry. Unlike cotrack_audit, and as the command, a patient that was
 * never registered is COTRACK_NOT_FOUND. */
COTRACK_EXPORT int cotrack_audit_table(cotrack_db_t* db, const char* patient, cotrack_table_t** out,
                                       char** err);

/* The --derived column of `cotrack trajectory`, `latest` and `visit`: for
 * an observation table (from any call returning one), a table of one STRING
 * column "derived" with a row per observation: its derived values as the
 * command prints them (AIS severity band, FIS/MFIS subscales, HbA1c in both
 * units and eAG, C-peptide in both units; "" for measures without any).
 * COTRACK_INVALID_ARGUMENT for a table without the observation columns. */
COTRACK_EXPORT int cotrack_derived_table(cotrack_db_t* db, const cotrack_table_t* observations,
                                         cotrack_table_t** out, char** err);

/* `cotrack summary MEASURE` with its options: at, window, lookback, by,
 * censored, rule (see `cotrack summary --help`; defaults as there). The
 * columns of cotrack_summarize_table (cotrack_summary_column, unit and
 * parameters included). */
COTRACK_EXPORT int cotrack_summary_table(cotrack_db_t* db, const char* measure,
                                         const char* const* option_names,
                                         const char* const* option_values, size_t option_count,
                                         cotrack_table_t** out, char** err);

/* cotrack_record_visit, attributed (see "Attributed writes"): every measure
 * of the visit is written by `user` (NULL = the handle's) for `reason`. */
COTRACK_EXPORT int cotrack_record_visit_as(cotrack_db_t* db, const char* patient, const char* time,
                                           const char* label, size_t count,
                                           const char* const* measures, const double* values,
                                           const char* const* units, const char* const* comparators,
                                           const char* user, const char* reason,
                                           cotrack_write_summary* summary, char** err);

/* cotrack_batch_commit, attributed: every change of the batch is written by
 * `user` (NULL = the handle's) for `reason` (NULL or "" = none; a
 * retraction keeps its own reason), as `cotrack --user U import --reason R`
 * attributes a file. A change added with its own user or reason (the
 * cotrack_batch_*_as calls below) keeps it: `user` and `reason` are the
 * batch's defaults. The batch itself is not changed. */
COTRACK_EXPORT int cotrack_batch_commit_as(cotrack_db_t* db, const cotrack_batch_t* batch,
                                           const char* user, const char* reason,
                                           cotrack_write_summary* summary, char** err);

/* The batch calls, attributed per change: this registration, visit or
 * retraction is written by `user` (NULL = the batch's default: the user of
 * cotrack_batch_commit_as, else the handle's) for `reason` (NULL or "" =
 * the batch's default; a retraction's reason is required). One batch may
 * hold changes of several people: `cotrack history` shows each version's
 * user and reason, and the audit log has one entry per distinct (user,
 * reason) of the write, with its counts and patients (all in the same
 * atomic write). "" as user is COTRACK_INVALID_ARGUMENT and the batch is
 * unchanged; other errors as the call extended (the rest of the user and
 * reason rules are checked by the commit, see "Attributed writes"). */
COTRACK_EXPORT int cotrack_batch_register_patient_as(cotrack_batch_t* batch, const char* id,
                                                     const char* arm, const char* index_date,
                                                     const char* const* attribute_keys,
                                                     const char* const* attribute_values,
                                                     size_t attribute_count, const char* user,
                                                     const char* reason, char** err);
COTRACK_EXPORT int cotrack_batch_record_visit_as(cotrack_batch_t* batch, const char* patient,
                                                 const char* time, const char* label, size_t count,
                                                 const char* const* measures, const double* values,
                                                 const char* const* units,
                                                 const char* const* comparators, const char* user,
                                                 const char* reason, char** err);
COTRACK_EXPORT int cotrack_batch_add_visit_as(cotrack_batch_t* batch, const cotrack_visit_t* visit,
                                              const char* user, const char* reason, char** err);
COTRACK_EXPORT int cotrack_batch_retract_as(cotrack_batch_t* batch, const char* patient,
                                            const char* measure, const char* time, const char* user,
                                            const char* reason, char** err);

/* `cotrack export --out FILE`: the current values selected by the options
 * written to `out_file` (for format omop a directory of OMOP CDM tables).
 * Options: format (csv, ndjson or json, fhir, omop; default csv), measure (CODE[,CODE...]),
 * patient, with-patients (fhir), deidentify with deidentify-key (the key's file), since and
 * until (only what changed in that interval: docs/EXPORT.md). *out (when not NULL) is a one-row
 * table: observations, patients, retracted (INT64), up_to (STRING: with since/until, the instant
 * the file holds every change up to, the next run's since; else ""). */
COTRACK_EXPORT int cotrack_export(cotrack_db_t* db, const char* out_file,
                                  const char* const* option_names, const char* const* option_values,
                                  size_t option_count, cotrack_table_t** out, char** err);

/* `cotrack report --out FILE`: the self-contained HTML follow-up report
 * written to `out_file`. Options: the summary options (at, window, lookback,
 * by (default arm), censored, rule), measure (CODE[,CODE...]), title,
 * per-patient. */
COTRACK_EXPORT int cotrack_report(cotrack_db_t* db, const char* out_file,
                                  const char* const* option_names, const char* const* option_values,
                                  size_t option_count, char** err);

/* `cotrack plot MEASURE --out FILE`: the SVG cohort chart of `measure`
 * written to `out_file`. Options: the summary options (by defaults to arm),
 * patient (ID[,ID...]: whose lines to draw), title. */
COTRACK_EXPORT int cotrack_plot(cotrack_db_t* db, const char* measure, const char* out_file,
                                const char* const* option_names, const char* const* option_values,
                                size_t option_count, char** err);

/* `cotrack measure add`: registers a measure, as the handle's user. Options:
 * code, name, unit, min, max (required), step, threshold, direction
 * (higher-is-worse, higher-is-better, none), convert (UNIT=EXPR,...),
 * unit-synonym, loinc, description, reason, integer, no-sync
 * (ParseMeasureAddOptions in cotrack/measure_options.h).
 * COTRACK_ALREADY_EXISTS for a code in use. */
COTRACK_EXPORT int cotrack_measure_add(cotrack_db_t* db, const char* const* option_names,
                                       const char* const* option_values, size_t option_count,
                                       char** err);

/* `cotrack measure edit CODE`: changes the definition of the registered
 * measure `code` as a new version, as the handle's user. Options (those not
 * given keep their value): name, unit, min, max, step, threshold,
 * direction, convert, unit-synonym, loinc, remove-unit, remove-loinc,
 * description, integer, reason, dry-run, no-sync
 * (ParseMeasureEditOptions). COTRACK_FAILED_PRECONDITION naming the stored
 * values the new definition would refuse (nothing changes), or for a
 * built-in; COTRACK_NOT_FOUND for an unknown code. */
COTRACK_EXPORT int cotrack_measure_edit(cotrack_db_t* db, const char* code,
                                        const char* const* option_names,
                                        const char* const* option_values, size_t option_count,
                                        char** err);

/* `cotrack measure show CODE --history`: one row per version of the
 * definition, oldest first: version (INT64, from 1), then the columns of
 * cotrack_measure_table. COTRACK_NOT_FOUND for an unknown code. */
COTRACK_EXPORT int cotrack_measure_history_table(cotrack_db_t* db, const char* code,
                                                 cotrack_table_t** out, char** err);

/* Maintenance works on the database directory `path` (as `cotrack --db PATH
 * ...` does), not on a handle: it may be open elsewhere. `options` may be
 * NULL; its key file opens an encrypted database, its user is recorded. */

/* `cotrack check`: verifies every table file and every record. *problems
 * lists the problems found (columns family, key, patient, problem), at most
 * the first 1,000: 0 rows = the database is intact. *counts (when not NULL)
 * is a one-row table of what the command prints beside them (INT64):
 * table_files, patients, patient_versions, measures (user-registered),
 * series, observations, versions, audit_entries, problems (all found) and
 * problems_not_listed (found beyond the rows of *problems). The call fails
 * only when it cannot check (e.g. COTRACK_NOT_FOUND: no database there);
 * COTRACK_INVALID_ARGUMENT when `path` or `problems` is NULL. */
COTRACK_EXPORT int cotrack_check(const char* path, const cotrack_options_t* options,
                                 cotrack_table_t** problems, cotrack_table_t** counts, char** err);

/* cotrack_check without the counts (*out is its *problems). */
COTRACK_EXPORT int cotrack_check_table(const char* path, const cotrack_options_t* options,
                                       cotrack_table_t** out, char** err);

/* `cotrack dump --out FILE`: writes the whole database (every version, the
 * audit log, registered measures) as a dump file `out_file`; `cotrack load`
 * / cotrack_load reads it into a new database. *counts (when not NULL) is a
 * one-row table: patients, patient_versions, observation_versions, measures,
 * audit_entries (INT64). */
COTRACK_EXPORT int cotrack_dump(const char* path, const cotrack_options_t* options,
                                const char* out_file, cotrack_table_t** counts, char** err);

/* `cotrack load FILE`: a new database at `path` from the dump `dump_file`.
 * *counts as for cotrack_dump. COTRACK_FAILED_PRECONDITION when `path`
 * already holds data (load only into a new or empty database). */
COTRACK_EXPORT int cotrack_load(const char* dump_file, const char* path,
                                const cotrack_options_t* options, cotrack_table_t** counts,
                                char** err);

/* `cotrack backup DIR`, `cotrack backup verify DIR`, `cotrack restore DIR
 * --to NEWDB`. Each *out (when not NULL) has the columns backup (INT64 id),
 * created (UTC text), files, bytes (INT64) and, for verify, error ("" when
 * the backup is good): one row for backup and restore (the backup made or
 * restored), one per backup for verify. Verify succeeds with the list even
 * when a backup is bad (its error says why). */
COTRACK_EXPORT int cotrack_backup(const char* path, const cotrack_options_t* options,
                                  const char* backup_dir, cotrack_table_t** out, char** err);
COTRACK_EXPORT int cotrack_backup_verify(const char* backup_dir, const cotrack_options_t* options,
                                         cotrack_table_t** out, char** err);
COTRACK_EXPORT int cotrack_restore(const char* backup_dir, const char* new_path,
                                   const cotrack_options_t* options, cotrack_table_t** out,
                                   char** err);

/* ---- Confirmed disability worsening (cotrack progression) ----------------
 *
 * Runs `cotrack progression` (msprog's algorithm, docs/PROGRESSION.md) on one
 * patient (`patient`) or everyone (NULL). The options are the command's flags
 * without "--" as parallel arrays (e.g. "event" = "multiple", "confirm" =
 * "12w,24w", "raw-pira" = ""; a NULL value is "", a flag), parsed by the same
 * engine function as the command line (ParseProgressionQuery), which also
 * builds the table, so names, defaults, messages and rows are the same;
 * "measure" (default "edss"), "relapses" (a CSV file) and
 * "relapse-measure" are accepted as well; without either, the relapses
 * stored in the built-in measure "relapse" (with end dates) are used; "first" (one event per
 * patient), "counts" and the older "event" spellings "worsening", "improvement" and "all" as
 * on the command line. `*out` has the rows and columns of `cotrack progression --format csv`
 * with the same options, in its order: one row per event with patient, nevent, event
 * ("CDW"/"CDI"), type ("RAW", "PIRA", "undefined", "" for CDI), date, value, baseline_date,
 * baseline_value, last_delta_date, last_delta_value, confirmed_date, confirmed_value ("" and NaN
 * for an unconfirmed event imputed at the last visit), then per confirmation period
 * confDAYS_date, confDAYS_value, PIRA_confDAYS_date, PIRA_confDAYS_value ("" and NaN when that
 * period did not confirm), then time2event, bl2event, sust_days, sust_last, confirmed,
 * relapse_associated (INT64, 0/1 for the flags), threshold, parameters (the settings, ending
 * with "measure=M relapses=SOURCE"). With "counts": one row per patient with patient,
 * event_sequence, CDW, CDI, RAW, PIRA, total_fu, parameters. Dates are STRING, values DOUBLE.
 * Errors:
 * COTRACK_INVALID_ARGUMENT for a bad option (the command's message),
 * COTRACK_NOT_FOUND for an unknown patient, measure or relapse file. */
COTRACK_EXPORT int cotrack_progression(cotrack_db_t* db, const char* patient,
                                       const char* const* option_names,
                                       const char* const* option_values, size_t option_count,
                                       cotrack_table_t** out, char** err);

/* ---- Time to event (cotrack survival) -------------------------------- */

/* Kaplan-Meier time to the first confirmed EDSS event of every patient with
 * EDSS values, by group, and the log-rank test: `cotrack survival` (see its
 * --help and docs/PROGRESSION.md). Options as parallel arrays of `option_count`
 * names and values, the names spelled as the command's flags without "--"
 * ("by", "at", and every option of cotrack_progression: "event" (default
 * "firstCDW"; "firstPIRA", "firstRAW", ...), "confirm", "baseline",
 * "relapses", ...; a flag without a value takes ""), parsed by the same
 * engine parser as the command's, so values and messages are the same.
 * option_names/option_values may be NULL when option_count is 0. "plot" =
 * FILE.svg also writes the step curves there, as the command's --plot does
 * (COTRACK_UNAVAILABLE "FILE: cannot write the chart" when it cannot).
 *
 * *out: one row per group (by name) and a last row whose group is
 * "log-rank": group STRING, n INT64, events INT64, median, lower, upper
 * DOUBLE (days; NaN when the curve or band never reaches 0.5); for each "at"
 * time T (as the command labels it, e.g. "365d"): survival_T,
 * survival_lower_T, survival_upper_T DOUBLE (NaN after the last follow-up
 * time), at_risk_T INT64; chisq DOUBLE, df INT64, p DOUBLE (NaN on group
 * rows, and p NaN when df is 0); parameters STRING (the settings line).
 * Group rows have 0 in df; the log-rank row has n and events over all groups
 * and NaN medians. Errors: COTRACK_INVALID_ARGUMENT for an unknown option or
 * bad value (naming it) or an attribute no patient has (naming the known
 * ones); COTRACK_NOT_FOUND for a relapse file or measure that does not
 * exist. */
COTRACK_EXPORT int cotrack_survival(cotrack_db_t* db, const char* const* option_names,
                                    const char* const* option_values, size_t option_count,
                                    cotrack_table_t** out, char** err);

/* `cotrack timezone`: the database's IANA time zone (cotrack/time_zone.h)
 * in *zone, a malloc'ed string the caller frees with cotrack_free; "" when
 * none is set. COTRACK_FAILED_PRECONDITION on a read snapshot's handle. */
COTRACK_EXPORT int cotrack_timezone(cotrack_db_t* db, char** zone, char** err);

/* `cotrack timezone ZONE [--force] [--reason R]`: sets the database's time
 * zone, as the handle's user, with `reason` (may be NULL) in the audit log;
 * imports without a timezone option then convert instants to its civil
 * time. Setting the zone already set does nothing. Errors:
 * COTRACK_INVALID_ARGUMENT for an unknown zone (naming it);
 * COTRACK_FAILED_PRECONDITION when the database holds values and `force` is
 * 0 (stored dates are never converted again), or the handle is read-only. */
COTRACK_EXPORT int cotrack_set_timezone(cotrack_db_t* db, const char* zone, int force,
                                        const char* reason, char** err);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COTRACK_C_H_ */

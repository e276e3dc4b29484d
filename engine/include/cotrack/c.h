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
 * serialised. Builders (cotrack_visit_t) and results (cotrack_observations_t,
 * cotrack_summary_t) are plain objects: use each from one thread at a time;
 * distinct objects may be used on distinct threads.
 *
 * Many processes. Any number of processes may open one database at once,
 * each reading and writing: the first serves the others over a private
 * socket in the database directory, and when it exits another takes over
 * (see docs/EMBEDDING.md, "Many processes").
 *
 * Durability. Every write call (cotrack_register_patient, cotrack_record,
 * cotrack_visit_commit, cotrack_retract and their *_as variants) is atomic: all of it is visible, or
 * none of it. With sync on (the default) the write-ahead log is fsync'ed
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
COTRACK_EXPORT int cotrack_register_patient_as(cotrack_db_t* db, const char* id, const char* arm,
                                               const char* index_date,
                                               const char* const* attribute_keys,
                                               const char* const* attribute_values,
                                               size_t attribute_count, const char* user,
                                               const char* reason, cotrack_write_summary* summary,
                                               char** err);

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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COTRACK_C_H_ */

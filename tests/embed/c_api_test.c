/* Exercises every function of the C ABI (cotrack/c.h) from plain C. Built
 * and run with AddressSanitizer: every result, builder, handle and error
 * message is released, so a leak, double free or overflow at the boundary
 * fails the test. Exit status 0 = all checks passed. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cotrack/c.h"

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                              \
    }                                                                          \
  } while (0)

/* Runs `call` (whose last argument must be `&err`), expects `want` and a
 * message containing `needle`; frees the message. */
static void expect_error(int got, char* err, int want, const char* needle, const char* what,
                         int line) {
  if (got != want) {
    fprintf(stderr, "c_api_test.c:%d: %s: got %s, want %s (%s)\n", line, what,
            cotrack_code_name(got), cotrack_code_name(want), err ? err : "no message");
    failures++;
  } else if (err == NULL || strstr(err, needle) == NULL) {
    fprintf(stderr, "c_api_test.c:%d: %s: message \"%s\" lacks \"%s\"\n", line, what,
            err ? err : "(null)", needle);
    failures++;
  }
  cotrack_free(err);
}
#define EXPECT_ERROR(want, needle, call)                    \
  do {                                                      \
    char* err = NULL;                                       \
    int got_ = (call);                                      \
    expect_error(got_, err, want, needle, #call, __LINE__); \
  } while (0)

/* Calls `call` with `&err` in scope and expects success. */
#define OK(call)                                                                                 \
  do {                                                                                           \
    char* err = (char*)"not reset";                                                              \
    int got_ = (call);                                                                           \
    if (got_ != COTRACK_OK || err != NULL) {                                                     \
      fprintf(stderr, "c_api_test.c:%d: %s: %s: %s\n", __LINE__, #call, cotrack_code_name(got_), \
              got_ != COTRACK_OK ? err : "err not NULL");                                        \
      failures++;                                                                                \
      if (got_ != COTRACK_OK) cotrack_free(err);                                                 \
    }                                                                                            \
  } while (0)

static int remove_entry(const char* path, const struct stat* st, int flag, struct FTW* ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static int near(double a, double b) { return fabs(a - b) < 1e-9; }

static void test_library(void) {
  CHECK(strcmp(cotrack_version(), "0.1.0") == 0);
  CHECK(strcmp(cotrack_code_name(COTRACK_DATA_LOSS), "DATA_LOSS") == 0);
  CHECK(strcmp(cotrack_code_name(999), "UNKNOWN_CODE") == 0);
  cotrack_free(NULL);
  cotrack_close(NULL);
  cotrack_visit_destroy(NULL);
  cotrack_observations_destroy(NULL);
  cotrack_summary_destroy(NULL);
  cotrack_options_destroy(NULL);
  CHECK(cotrack_observations_count(NULL) == 0);
  CHECK(cotrack_observations_time(NULL, 0) == NULL);
}

static void test_open_errors(const char* dir) {
  char path[4096];
  cotrack_db_t* db = NULL;
  snprintf(path, sizeof path, "%s/missing", dir);
  cotrack_options_t* options = cotrack_options_create();
  CHECK(options != NULL);
  cotrack_options_set_create_if_missing(options, 0);
  {
    char* err = NULL;
    int code = cotrack_open(path, options, &db, &err);
    CHECK(code != COTRACK_OK);
    CHECK(err != NULL && strstr(err, "missing") != NULL);
    CHECK(db == NULL); /* untouched on failure */
    cotrack_free(err);
  }
  /* err may be NULL when only the code matters. */
  CHECK(cotrack_open(path, options, &db, NULL) != COTRACK_OK);
  cotrack_options_destroy(options);
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "path", cotrack_open(NULL, NULL, &db, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "db", cotrack_open(path, NULL, NULL, &err));
}

/* Two handles on one directory (as two processes would have): both write,
   and each sees the other's writes. */
static void test_two_handles(const char* path) {
  cotrack_db_t* first = NULL;
  cotrack_db_t* second = NULL;
  cotrack_write_summary ws;
  cotrack_observations_t* seen = NULL;
  OK(cotrack_open(path, NULL, &first, &err));
  OK(cotrack_open(path, NULL, &second, &err));
  if (first == NULL || second == NULL) return;
  OK(cotrack_record(second, "P00", "edss", "2023-12-01", 2.0, NULL, &ws, &err));
  CHECK(ws.written == 1);
  OK(cotrack_trajectory(first, "P00", "edss", NULL, NULL, &seen, &err));
  CHECK(cotrack_observations_count(seen) == 1);
  cotrack_observations_destroy(seen);

  /* A read snapshot sees the database as of when it was taken. */
  cotrack_db_t* snap = NULL;
  OK(cotrack_snapshot(first, &snap, &err));
  OK(cotrack_record(second, "P00", "edss", "2024-06-01", 3.0, NULL, &ws, &err));
  OK(cotrack_trajectory(snap, "P00", "edss", NULL, NULL, &seen, &err));
  CHECK(cotrack_observations_count(seen) == 1);
  cotrack_observations_destroy(seen);
  OK(cotrack_trajectory(first, "P00", "edss", NULL, NULL, &seen, &err));
  CHECK(cotrack_observations_count(seen) == 2);
  cotrack_observations_destroy(seen);
  EXPECT_ERROR(COTRACK_FAILED_PRECONDITION, "read snapshot",
               cotrack_record(snap, "P00", "edss", "2024-08-01", 3.0, NULL, &ws, &err));

  cotrack_close(first);
  OK(cotrack_record(second, "P00", "edss", "2024-12-01", 2.5, NULL, &ws, &err));
  /* The snapshot outlives the handle it was taken from. */
  OK(cotrack_trajectory(snap, "P00", "edss", NULL, NULL, &seen, &err));
  CHECK(cotrack_observations_count(seen) == 1);
  cotrack_observations_destroy(seen);
  cotrack_close(snap);
  cotrack_close(second);
}

static void test_writes_and_reads(const char* path) {
  cotrack_db_t* db = NULL;
  cotrack_options_t* options = cotrack_options_create();
  cotrack_options_set_user(options, "c-test");
  cotrack_options_set_sync(options, 1);
  OK(cotrack_open(path, options, &db, &err));
  cotrack_options_destroy(options); /* open copied what it needs */
  if (db == NULL) return;

  /* Patients. */
  const char* keys[] = {"sex", "birth_year"};
  const char* values[] = {"F", "1980"};
  cotrack_write_summary ws;
  memset(&ws, 0xff, sizeof ws);
  OK(cotrack_register_patient(db, "P01", "HSCT", "2024-01-10", keys, values, 2, &ws, &err));
  CHECK(ws.patients == 1 && ws.written == 0);
  OK(cotrack_register_patient(db, "P02", "control", "2024-02-01", NULL, NULL, 0, NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "index_date",
               cotrack_register_patient(db, "P03", NULL, "2024-02-30", NULL, NULL, 0, NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "attribute",
               cotrack_register_patient(db, "P03", NULL, NULL, NULL, NULL, 1, NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "db",
               cotrack_register_patient(NULL, "P03", NULL, NULL, NULL, NULL, 0, NULL, &err));

  /* One observation: new, same again (no-op), then a correction. */
  OK(cotrack_record(db, "P01", "edss", "2024-01-05", 4.0, NULL, &ws, &err));
  CHECK(ws.written == 1 && ws.corrected == 0);
  OK(cotrack_record(db, "P01", "edss", "2024-01-05", 4.0, "", &ws, &err));
  CHECK(ws.unchanged == 1 && ws.written == 0);
  OK(cotrack_record(db, "P01", "edss", "2024-01-05", 4.5, NULL, &ws, &err));
  CHECK(ws.corrected == 1);
  OK(cotrack_record(db, "P02", "edss", "2024-01-20", 2.0, NULL, NULL, &err));
  OK(cotrack_record(db, "P02", "edss", "2024-08-01", 3.0, NULL, NULL, &err));
  /* EDSS 0.5 does not exist; the message names the bad value. */
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "0.5",
               cotrack_record(db, "P01", "edss", "2024-02-01", 0.5, NULL, NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "time",
               cotrack_record(db, "P01", "edss", "yesterday", 1.0, NULL, NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "measure",
               cotrack_record(db, "P01", NULL, "2024-02-01", 1.0, NULL, NULL, &err));

  /* A visit: several measures, censored value, items, label. */
  cotrack_visit_t* visit = NULL;
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "2024-13-01",
               cotrack_visit_create("P01", "2024-13-01", "M6", &visit, &err));
  CHECK(visit == NULL);
  OK(cotrack_visit_create("P01", "2024-07-09", "M6", &visit, &err));
  EXPECT_ERROR(COTRACK_FAILED_PRECONDITION, "no measure",
               cotrack_visit_set_comparator(visit, "<", &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "has no measures",
               cotrack_visit_commit(db, visit, NULL, &err));
  OK(cotrack_visit_add(visit, "edss", 3.5, NULL, &err));
  OK(cotrack_visit_add(visit, "hba1c", 48, "mmol/mol", &err));
  OK(cotrack_visit_add(visit, "il4", 0.5, NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "=<", cotrack_visit_set_comparator(visit, "=<", &err));
  OK(cotrack_visit_set_comparator(visit, "<", &err));
  const double ais_items[8] = {1, 2, 1, 0, 3, 2, 1, 1};
  OK(cotrack_visit_add_items(visit, "ais", ais_items, 8, &err));
  CHECK(cotrack_visit_size(visit) == 4);
  OK(cotrack_visit_commit(db, visit, &ws, &err));
  CHECK(ws.written == 4);
  OK(cotrack_visit_commit(db, visit, &ws, &err)); /* not consumed: same content */
  CHECK(ws.unchanged == 4 && ws.written == 0);
  cotrack_visit_destroy(visit);

  /* All or nothing: one bad measure keeps the good one out too. */
  OK(cotrack_visit_create("P01", "2024-08-01", NULL, &visit, &err));
  OK(cotrack_visit_add(visit, "hypo", 2, NULL, &err));
  OK(cotrack_visit_add(visit, "edss", 0.5, NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "\"0.5\"", cotrack_visit_commit(db, visit, NULL, &err));
  cotrack_visit_destroy(visit);

  /* Explicit total plus items that do not add up: rejected. */
  OK(cotrack_visit_create("P01", "2024-08-02", NULL, &visit, &err));
  OK(cotrack_visit_add(visit, "ais", 5, NULL, &err));
  OK(cotrack_visit_set_items(visit, ais_items, 8, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "sum of the 8 items",
               cotrack_visit_commit(db, visit, NULL, &err));
  cotrack_visit_destroy(visit);

  cotrack_observations_t* rows = NULL;
  OK(cotrack_trajectory(db, "P01", "hypo", NULL, NULL, &rows, &err));
  CHECK(cotrack_observations_count(rows) == 0);
  cotrack_observations_destroy(rows);

  /* Trajectory: oldest first, current versions only. */
  rows = NULL;
  OK(cotrack_trajectory(db, "P01", "edss", NULL, NULL, &rows, &err));
  CHECK(cotrack_observations_count(rows) == 2);
  if (cotrack_observations_count(rows) == 2) {
    CHECK(strcmp(cotrack_observations_time(rows, 0), "2024-01-05") == 0);
    CHECK(cotrack_observations_is_date(rows, 0) == 1);
    CHECK(near(cotrack_observations_value(rows, 0), 4.5));
    CHECK(cotrack_observations_version(rows, 0) == 2);
    CHECK(strcmp(cotrack_observations_status(rows, 0), "amended") == 0);
    CHECK(strcmp(cotrack_observations_time(rows, 1), "2024-07-09") == 0);
    CHECK(near(cotrack_observations_value(rows, 1), 3.5));
    CHECK(strcmp(cotrack_observations_visit(rows, 1), "M6") == 0);
    CHECK(strcmp(cotrack_observations_patient(rows, 1), "P01") == 0);
    CHECK(strcmp(cotrack_observations_measure(rows, 1), "edss") == 0);
    CHECK(strcmp(cotrack_observations_comparator(rows, 1), "") == 0);
    CHECK(strcmp(cotrack_observations_status(rows, 1), "final") == 0);
    CHECK(cotrack_observations_recorded_at_us(rows, 1) > 1600000000000000LL);
    /* Out of range: NULL / NaN / 0, never a crash. */
    CHECK(cotrack_observations_time(rows, 2) == NULL);
    CHECK(cotrack_observations_patient(rows, 99) == NULL);
    CHECK(isnan(cotrack_observations_value(rows, 2)));
    CHECK(cotrack_observations_version(rows, 2) == 0);
    CHECK(isnan(cotrack_observations_item(rows, 0, 0)));
  }
  cotrack_observations_destroy(rows);

  /* Range: only the July value. */
  OK(cotrack_trajectory(db, "P01", "edss", "2024-02-01", "2024-12-31", &rows, &err));
  CHECK(cotrack_observations_count(rows) == 1);
  cotrack_observations_destroy(rows);
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "from",
               cotrack_trajectory(db, "P01", "edss", "2024-99", NULL, &rows, &err));
  EXPECT_ERROR(COTRACK_NOT_FOUND, "nosuch",
               cotrack_trajectory(db, "P01", "nosuch", NULL, NULL, &rows, &err));
  EXPECT_ERROR(COTRACK_NOT_FOUND, "P99",
               cotrack_trajectory(db, "P99", "edss", NULL, NULL, &rows, &err));

  /* Latest: converted HbA1c keeps what was entered. */
  OK(cotrack_latest(db, "P01", "hba1c", NULL, 1, &rows, &err));
  CHECK(cotrack_observations_count(rows) == 1);
  if (cotrack_observations_count(rows) == 1) {
    CHECK(fabs(cotrack_observations_value(rows, 0) - (0.09148 * 48 + 2.152)) < 1e-6);
    CHECK(strcmp(cotrack_observations_unit(rows, 0), "%") == 0);
    CHECK(strcmp(cotrack_observations_original_value(rows, 0), "48") == 0);
    CHECK(strcmp(cotrack_observations_original_unit(rows, 0), "mmol/mol") == 0);
  }
  cotrack_observations_destroy(rows);
  OK(cotrack_latest(db, "P01", "edss", "2024-03-01", 5, &rows, &err));
  CHECK(cotrack_observations_count(rows) == 1);
  cotrack_observations_destroy(rows);
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "n",
               cotrack_latest(db, "P01", "edss", NULL, 0, &rows, &err));

  /* Censored IL-4 and AIS items come back as stored. */
  OK(cotrack_latest_all(db, "P01", NULL, &rows, &err));
  CHECK(cotrack_observations_count(rows) == 4); /* ais, edss, hba1c, il4 */
  for (size_t i = 0; i < cotrack_observations_count(rows); i++) {
    const char* m = cotrack_observations_measure(rows, i);
    if (strcmp(m, "il4") == 0) {
      CHECK(strcmp(cotrack_observations_comparator(rows, i), "<") == 0);
      CHECK(near(cotrack_observations_value(rows, i), 0.5));
    } else if (strcmp(m, "ais") == 0) {
      CHECK(near(cotrack_observations_value(rows, i), 11));
      CHECK(cotrack_observations_item_count(rows, i) == 8);
      CHECK(near(cotrack_observations_item(rows, i, 4), 3));
      CHECK(isnan(cotrack_observations_item(rows, i, 8)));
    }
  }
  cotrack_observations_destroy(rows);

  /* Retraction leaves the trajectory, stays in the history. */
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "reason",
               cotrack_retract(db, "P01", "edss", "2024-07-09", NULL, NULL, &err));
  OK(cotrack_retract(db, "P01", "edss", "2024-07-09", "wrong patient", &ws, &err));
  CHECK(ws.retracted == 1);
  EXPECT_ERROR(COTRACK_NOT_FOUND, "",
               cotrack_retract(db, "P01", "edss", "2020-01-01", "typo", NULL, &err));
  OK(cotrack_trajectory(db, "P01", "edss", NULL, NULL, &rows, &err));
  CHECK(cotrack_observations_count(rows) == 1);
  cotrack_observations_destroy(rows);
  OK(cotrack_history(db, "P01", "edss", "2024-07-09", &rows, &err));
  CHECK(cotrack_observations_count(rows) == 2);
  if (cotrack_observations_count(rows) == 2) {
    CHECK(strcmp(cotrack_observations_status(rows, 1), "entered-in-error") == 0);
  }
  cotrack_observations_destroy(rows);
  EXPECT_ERROR(COTRACK_NOT_FOUND, "",
               cotrack_history(db, "P01", "edss", "2019-01-01", &rows, &err));

  /* Cohort summary: baseline and 6 months by arm. */
  OK(cotrack_record(db, "P01", "edss", "2024-07-10", 3.0, NULL, NULL, &err));
  cotrack_summary_t* summary = NULL;
  OK(cotrack_summarize(db, "edss", "0,6m", "arm", &summary, &err));
  if (summary != NULL) {
    CHECK(cotrack_summary_patients(summary) == 2);
    CHECK(cotrack_summary_unit(summary) != NULL);
    CHECK(strstr(cotrack_summary_options(summary), "by=arm") != NULL);
    CHECK(cotrack_summary_row_count(summary) == 4); /* 2 timepoints x 2 arms */
    int seen = 0;
    for (size_t i = 0; i < cotrack_summary_row_count(summary); i++) {
      const char* group = cotrack_summary_row_group(summary, i);
      const char* tp = cotrack_summary_row_timepoint(summary, i);
      if (strcmp(group, "HSCT") == 0 && strcmp(tp, "6m") == 0) {
        seen++;
        CHECK(cotrack_summary_row_count_of(summary, i, COTRACK_COUNT_N) == 1);
        CHECK(near(cotrack_summary_row_stat(summary, i, COTRACK_STAT_MEDIAN), 3.0));
        CHECK(near(cotrack_summary_row_stat(summary, i, COTRACK_STAT_CHANGE_MEAN), -1.5));
        CHECK(isnan(cotrack_summary_row_stat(summary, i, COTRACK_STAT_SD)));
      }
    }
    CHECK(seen == 1);
    CHECK(cotrack_summary_row_group(summary, 99) == NULL);
    CHECK(isnan(cotrack_summary_row_stat(summary, 99, COTRACK_STAT_MEAN)));
    CHECK(cotrack_summary_row_count_of(summary, 0, 999) == 0);
    cotrack_summary_destroy(summary);
  }
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "6x",
               cotrack_summarize(db, "edss", "0,6x", NULL, &summary, &err));
  EXPECT_ERROR(COTRACK_NOT_FOUND, "nosuch",
               cotrack_summarize(db, "nosuch", "0", NULL, &summary, &err));

  cotrack_close(db);

  /* Reopened read-only: the data is there (durable), writes are refused. */
  options = cotrack_options_create();
  cotrack_options_set_read_only(options, 1);
  db = NULL;
  OK(cotrack_open(path, options, &db, &err));
  cotrack_options_destroy(options);
  if (db == NULL) return;
  OK(cotrack_latest(db, "P02", "edss", NULL, 1, &rows, &err));
  CHECK(cotrack_observations_count(rows) == 1);
  cotrack_observations_destroy(rows);
  {
    char* err = NULL;
    CHECK(cotrack_record(db, "P02", "edss", "2024-09-01", 2.0, NULL, NULL, &err) != COTRACK_OK);
    CHECK(err != NULL);
    cotrack_free(err);
  }
  cotrack_close(db);
}

/* One handle shared by several threads: concurrent writes and reads. */
struct thread_arg {
  cotrack_db_t* db;
  int index;
  int failures;
};

static void* writer_thread(void* p) {
  struct thread_arg* arg = (struct thread_arg*)p;
  char patient[16];
  char date[16];
  snprintf(patient, sizeof patient, "T%d", arg->index);
  for (int day = 1; day <= 20; day++) {
    snprintf(date, sizeof date, "2024-03-%02d", day);
    char* err = NULL;
    if (cotrack_record(arg->db, patient, "edss", date, 1.0 + (day % 10) * 0.5, NULL, NULL, &err) !=
        COTRACK_OK) {
      fprintf(stderr, "thread %d: %s\n", arg->index, err);
      cotrack_free(err);
      arg->failures++;
    }
    cotrack_observations_t* rows = NULL;
    if (cotrack_trajectory(arg->db, patient, "edss", NULL, NULL, &rows, &err) != COTRACK_OK) {
      cotrack_free(err);
      arg->failures++;
    } else {
      if (cotrack_observations_count(rows) != (size_t)day) arg->failures++;
      cotrack_observations_destroy(rows);
    }
  }
  return NULL;
}

static void test_threads(const char* path) {
  cotrack_options_t* options = cotrack_options_create();
  cotrack_options_set_sync(options, 0); /* keeps the test fast; crash-safe still */
  cotrack_db_t* db = NULL;
  OK(cotrack_open(path, options, &db, &err));
  cotrack_options_destroy(options);
  if (db == NULL) return;
  enum { kThreads = 4 };
  pthread_t threads[kThreads];
  struct thread_arg args[kThreads];
  for (int i = 0; i < kThreads; i++) {
    args[i].db = db;
    args[i].index = i;
    args[i].failures = 0;
    CHECK(pthread_create(&threads[i], NULL, writer_thread, &args[i]) == 0);
  }
  for (int i = 0; i < kThreads; i++) {
    pthread_join(threads[i], NULL);
    CHECK(args[i].failures == 0);
  }
  cotrack_close(db);
}

/* A web application's one handle, shared by two clinicians: each write names
 * its user and reason; history and the audit log show them. */
static void test_attribution(const char* path) {
  cotrack_db_t* db = NULL;
  cotrack_options_t* options = cotrack_options_create();
  cotrack_options_set_user(options, "webapp");
  OK(cotrack_open(path, options, &db, &err));
  cotrack_options_destroy(options);
  if (db == NULL) return;

  cotrack_write_summary ws;
  OK(cotrack_register_patient_as(db, "P01", "HSCT", NULL, NULL, NULL, 0, "dr.ada", "screening",
                                 &ws, &err));
  CHECK(ws.patients == 1);
  cotrack_visit_t* visit = NULL;
  OK(cotrack_visit_create("P01", "2024-01-05", "M0", &visit, &err));
  OK(cotrack_visit_add(visit, "edss", 3.0, NULL, &err));
  OK(cotrack_visit_add(visit, "hba1c", 48, "mmol/mol", &err));
  OK(cotrack_visit_commit_as(db, visit, "dr.ada", "baseline visit", &ws, &err));
  CHECK(ws.written == 2);
  cotrack_visit_destroy(visit);
  OK(cotrack_record_as(db, "P01", "edss", "2024-01-05", 3.5, NULL, "dr.bo", "re-scored the FS",
                       &ws, &err));
  CHECK(ws.corrected == 1);
  OK(cotrack_retract_as(db, "P01", "hba1c", "2024-01-05", "dr.bo", "sample of another patient",
                        &ws, &err));
  CHECK(ws.retracted == 1);
  OK(cotrack_record_as(db, "P01", "edss", "2024-07-05", 4.0, NULL, NULL, NULL, NULL, &err));

  /* Refused, naming the field; nothing written. */
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "user",
               cotrack_record_as(db, "P01", "edss", "2024-08-01", 4.0, NULL, "", NULL, NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "user",
               cotrack_record_as(db, "P01", "edss", "2024-08-01", 4.0, NULL, "dr.\x1b", NULL, NULL,
                                 &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "reason",
               cotrack_record_as(db, "P01", "edss", "2024-08-01", 4.0, NULL, NULL, "a\x01", NULL,
                                 &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "reason",
               cotrack_retract_as(db, "P01", "edss", "2024-07-05", "dr.bo", NULL, NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "user",
               cotrack_register_patient_as(db, "P02", NULL, NULL, NULL, NULL, 0, " ", NULL, NULL,
                                           &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "visit",
               cotrack_visit_commit_as(db, NULL, "dr.ada", NULL, NULL, &err));

  cotrack_observations_t* rows = NULL;
  OK(cotrack_history(db, "P01", "edss", "2024-01-05", &rows, &err));
  CHECK(cotrack_observations_count(rows) == 2);
  if (cotrack_observations_count(rows) == 2) {
    CHECK(strcmp(cotrack_observations_user(rows, 0), "dr.ada") == 0);
    CHECK(strcmp(cotrack_observations_reason(rows, 0), "baseline visit") == 0);
    CHECK(strcmp(cotrack_observations_source(rows, 0), "api") == 0);
    CHECK(strcmp(cotrack_observations_user(rows, 1), "dr.bo") == 0);
    CHECK(strcmp(cotrack_observations_reason(rows, 1), "re-scored the FS") == 0);
  }
  CHECK(cotrack_observations_user(rows, 2) == NULL);
  CHECK(cotrack_observations_reason(rows, 2) == NULL);
  CHECK(cotrack_observations_source(rows, 2) == NULL);
  cotrack_observations_destroy(rows);
  rows = NULL;
  OK(cotrack_history(db, "P01", "hba1c", "2024-01-05", &rows, &err));
  CHECK(cotrack_observations_count(rows) == 2);
  if (cotrack_observations_count(rows) == 2) {
    CHECK(strcmp(cotrack_observations_status(rows, 1), "entered-in-error") == 0);
    CHECK(strcmp(cotrack_observations_user(rows, 1), "dr.bo") == 0);
    CHECK(strcmp(cotrack_observations_reason(rows, 1), "sample of another patient") == 0);
  }
  cotrack_observations_destroy(rows);
  rows = NULL;
  OK(cotrack_history(db, "P01", "edss", "2024-07-05", &rows, &err));
  CHECK(cotrack_observations_count(rows) == 1);
  if (cotrack_observations_count(rows) == 1) {
    CHECK(strcmp(cotrack_observations_user(rows, 0), "webapp") == 0);
    CHECK(strcmp(cotrack_observations_reason(rows, 0), "") == 0);
  }
  cotrack_observations_destroy(rows);

  cotrack_audit_t* audit = NULL;
  OK(cotrack_audit(db, "P01", &audit, &err));
  static const char* const want[][3] = {
      {"patient", "dr.ada", "screening"},
      {"record", "dr.ada", "baseline visit"},
      {"record", "dr.bo", "re-scored the FS"},
      {"retract", "dr.bo", "sample of another patient"},
      {"record", "webapp", ""},
  };
  const size_t n = sizeof want / sizeof want[0];
  CHECK(cotrack_audit_count(audit) == n);
  for (size_t i = 0; i < n && i < cotrack_audit_count(audit); i++) {
    CHECK(strcmp(cotrack_audit_action(audit, i), want[i][0]) == 0);
    CHECK(strcmp(cotrack_audit_user(audit, i), want[i][1]) == 0);
    CHECK(strcmp(cotrack_audit_reason(audit, i), want[i][2]) == 0);
    CHECK(strcmp(cotrack_audit_patient(audit, i), "P01") == 0);
    CHECK(strcmp(cotrack_audit_source(audit, i), "api") == 0);
    CHECK(cotrack_audit_sequence(audit, i) == i + 1);
    CHECK(cotrack_audit_at_us(audit, i) > 0);
  }
  if (cotrack_audit_count(audit) == n) {
    cotrack_audit_summary(audit, 3, &ws);
    CHECK(ws.retracted == 1 && ws.written == 0);
    CHECK(strcmp(cotrack_audit_detail(audit, 0), "P01") == 0);
  }
  CHECK(cotrack_audit_action(audit, n) == NULL);
  CHECK(cotrack_audit_user(audit, n) == NULL);
  CHECK(cotrack_audit_sequence(audit, n) == 0);
  memset(&ws, 0xff, sizeof ws);
  cotrack_audit_summary(audit, n, &ws);
  CHECK(ws.written == 0 && ws.retracted == 0);
  cotrack_audit_destroy(audit);
  audit = NULL;
  OK(cotrack_audit(db, "nobody", &audit, &err));
  CHECK(cotrack_audit_count(audit) == 0);
  cotrack_audit_destroy(audit);
  audit = NULL;
  OK(cotrack_audit(db, NULL, &audit, &err));
  CHECK(cotrack_audit_count(audit) == n);
  cotrack_audit_destroy(audit);
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "out", cotrack_audit(db, NULL, NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "db", cotrack_audit(NULL, NULL, &audit, &err));
  cotrack_audit_destroy(NULL);
  CHECK(cotrack_audit_count(NULL) == 0);

  /* One batch, two clinicians: each change keeps its user and reason (the
   * commit's are the defaults), and the audit log has an entry for each. */
  cotrack_batch_t* round = cotrack_batch_create();
  const char* const edss[] = {"edss"};
  OK(cotrack_batch_record_visit_as(round, "A01", "2024-03-01", NULL, 1, edss, (const double[]){2.0},
                                   NULL, NULL, "dr.x", "ward round", &err));
  OK(cotrack_batch_record_visit_as(round, "A02", "2024-03-01", NULL, 1, edss, (const double[]){3.0},
                                   NULL, NULL, "dr.y", NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "user",
               cotrack_batch_record_visit_as(round, "A03", "2024-03-01", NULL, 1, edss,
                                             (const double[]){3.0}, NULL, NULL, "", NULL, &err));
  CHECK(cotrack_batch_size(round) == 2);
  OK(cotrack_batch_commit_as(db, round, "ward", "from the round", &ws, &err));
  CHECK(ws.written == 2 && ws.patients == 2);
  cotrack_batch_destroy(round);
  audit = NULL;
  OK(cotrack_audit(db, NULL, &audit, &err));
  CHECK(cotrack_audit_count(audit) == n + 2);
  if (cotrack_audit_count(audit) == n + 2) {
    CHECK(strcmp(cotrack_audit_user(audit, n), "dr.x") == 0);
    CHECK(strcmp(cotrack_audit_reason(audit, n), "ward round") == 0);
    CHECK(strcmp(cotrack_audit_patient(audit, n), "A01") == 0);
    CHECK(strcmp(cotrack_audit_user(audit, n + 1), "dr.y") == 0);
    CHECK(strcmp(cotrack_audit_reason(audit, n + 1), "from the round") == 0);
    CHECK(strcmp(cotrack_audit_patient(audit, n + 1), "A02") == 0);
    cotrack_audit_summary(audit, n + 1, &ws);
    CHECK(ws.written == 1 && ws.patients == 1);
  }
  cotrack_audit_destroy(audit);
  OK(cotrack_history(db, "A02", "edss", "2024-03-01", &rows, &err));
  CHECK(cotrack_observations_count(rows) == 1);
  if (cotrack_observations_count(rows) == 1) {
    CHECK(strcmp(cotrack_observations_user(rows, 0), "dr.y") == 0);
    CHECK(strcmp(cotrack_observations_reason(rows, 0), "from the round") == 0);
  }
  cotrack_observations_destroy(rows);
  cotrack_close(db);
}

/* Issue 16: one identity rule for patient ids (cotrack/patient_id.h) on
 * every write call. Each bad id is refused with the rule named, and nothing
 * is written: the id stays unknown. */
static void test_patient_id_rule(const char* path) {
  cotrack_db_t* db = NULL;
  OK(cotrack_open(path, NULL, &db, &err));
  if (db == NULL) return;
  char long_id[130];
  memset(long_id, 'x', 129);
  long_id[129] = '\0';
  const char* bad[] = {"", " ", " P1", "P1 ", "P\t1", "P\n1", "P\x01", long_id};
  const char* broke[] = {"it is empty",
                         "starts with whitespace",
                         "starts with whitespace",
                         "ends with whitespace",
                         "control character U+0009",
                         "control character U+000A",
                         "control character U+0001",
                         "it has 129 bytes"};
  const char* rule = "a patient id of 1 to 128 bytes of UTF-8";
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, broke[i],
                 cotrack_record(db, bad[i], "edss", "2024-01-05", 4.0, NULL, NULL, &err));
    EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, rule,
                 cotrack_record(db, bad[i], "edss", "2024-01-05", 4.0, NULL, NULL, &err));
    EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, broke[i],
                 cotrack_register_patient(db, bad[i], "A", NULL, NULL, NULL, 0, NULL, &err));
    cotrack_visit_t* visit = NULL;
    char* err = NULL;
    if (cotrack_visit_create(bad[i], "2024-01-05", "M0", &visit, &err) == COTRACK_OK) {
      OK(cotrack_visit_add(visit, "edss", 4.0, NULL, &err));
      OK(cotrack_visit_add(visit, "hba1c", 6.5, NULL, &err));
      EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, broke[i], cotrack_visit_commit(db, visit, NULL, &err));
      cotrack_visit_destroy(visit);
    } else {
      /* Refusing it at create is as good, if the rule is named. */
      CHECK(err != NULL && strstr(err, rule) != NULL);
      cotrack_free(err);
    }
    /* Nothing written: the id is not a patient. */
    cotrack_observations_t* rows = NULL;
    err = NULL;
    CHECK(cotrack_trajectory(db, bad[i], "edss", NULL, NULL, &rows, &err) != COTRACK_OK);
    cotrack_free(err);
    cotrack_observations_destroy(rows);
  }
  char max_id[129];
  memset(max_id, 'y', 128);
  max_id[128] = '\0';
  const char* good[] = {"P-001", "\xC3\xBCn\xC3\xAF" "code-1", max_id};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; ++i) {
    OK(cotrack_record(db, good[i], "edss", "2024-01-05", 4.0, NULL, NULL, &err));
    OK(cotrack_register_patient(db, good[i], "A", NULL, NULL, NULL, 0, NULL, &err));
  }
  /* An attribute no patient has is an error naming the known ones, not one
   * group "(none)" holding everyone. */
  const char* keys[] = {"sex"};
  const char* values[] = {"F"};
  OK(cotrack_register_patient(db, "P-001", "A", "2024-01-01", keys, values, 1, NULL, &err));
  cotrack_summary_t* summary = NULL;
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "group_by \"nonexistent\": no patient has this attribute",
               cotrack_summarize(db, "edss", "0", "nonexistent", &summary, &err));
  CHECK(summary == NULL);
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "\"arm\" or a patient attribute: \"sex\"",
               cotrack_summarize(db, "edss", "0", "nonexistent", &summary, &err));
  OK(cotrack_summarize(db, "edss", "0", "sex", &summary, &err));
  cotrack_summary_destroy(summary);
  cotrack_close(db);
}

/* Result tables, a visit as arrays, and batches. */
static void test_tables_and_batches(const char* path) {
  cotrack_db_t* db = NULL;
  cotrack_options_t* options = cotrack_options_create();
  cotrack_options_set_sync(options, 0);
  OK(cotrack_open(path, options, &db, &err));
  cotrack_options_destroy(options);
  if (db == NULL) return;

  /* A visit in one call: canonical and converted units, a censored value. */
  const char* measures[] = {"edss", "hba1c", "il4"};
  const double values[] = {4.0, 48, 0.5};
  const char* units[] = {NULL, "mmol/mol", ""};
  const char* comparators[] = {"", NULL, "<"};
  cotrack_write_summary ws;
  OK(cotrack_record_visit(db, "P01", "2024-01-05", "BL", 3, measures, values, units, comparators,
                          &ws, &err));
  CHECK(ws.written == 3);
  OK(cotrack_record_visit(db, "P01", "2024-07-09T14:30", NULL, 1, measures,
                          (const double[]){3.5}, NULL, NULL, NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "has no measures",
               cotrack_record_visit(db, "P01", "2024-01-05", NULL, 0, measures, values, NULL,
                                    NULL, NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "=<",
               cotrack_record_visit(db, "P01", "2024-02-05", NULL, 1, measures, values, NULL,
                                    (const char* const[]){"=<"}, NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "measures[1]",
               cotrack_record_visit(db, "P01", "2024-02-05", NULL, 2,
                                    (const char* const[]){"edss", NULL}, values, NULL, NULL, NULL,
                                    &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "time",
               cotrack_record_visit(db, "P01", "2024-02-30", NULL, 1, measures, values, NULL,
                                    NULL, NULL, &err));

  /* The trajectory as a table. */
  cotrack_table_t* t = NULL;
  OK(cotrack_trajectory_table(db, "P01", "edss", NULL, NULL, &t, &err));
  CHECK(cotrack_table_row_count(t) == 2);
  CHECK(cotrack_table_column_count(t) == COTRACK_OBS_COLUMN_COUNT);
  CHECK(strcmp(cotrack_table_column_name(t, COTRACK_OBS_VALUE), "value") == 0);
  CHECK(cotrack_table_column_index(t, "comparator") == COTRACK_OBS_COMPARATOR);
  CHECK(cotrack_table_column_index(t, "nosuch") == -1);
  CHECK(cotrack_table_column_type(t, COTRACK_OBS_SECONDS) == COTRACK_COLUMN_INT64);
  CHECK(cotrack_table_column_type(t, 99) == 0);
  CHECK(cotrack_table_column_name(t, 99) == NULL);
  const double* v = cotrack_table_double(t, COTRACK_OBS_VALUE);
  CHECK(v != NULL && v[0] == 4.0 && v[1] == 3.5);
  CHECK(cotrack_table_double(t, COTRACK_OBS_PATIENT) == NULL); /* wrong type */
  CHECK(cotrack_table_int64(t, COTRACK_OBS_VALUE) == NULL);
  const int64_t* secs = cotrack_table_int64(t, COTRACK_OBS_SECONDS);
  const int64_t* is_date = cotrack_table_int64(t, COTRACK_OBS_IS_DATE);
  CHECK(secs[0] == 19727LL * 86400 && is_date[0] == 1); /* 2024-01-05 */
  CHECK(secs[1] == 19913LL * 86400 + 14 * 3600 + 30 * 60 && is_date[1] == 0);
  const int64_t* off = NULL;
  const char* times = cotrack_table_strings(t, COTRACK_OBS_TIME, &off);
  CHECK(strcmp(times + off[0], "2024-01-05") == 0);
  CHECK(strcmp(times + off[1], "2024-07-09T14:30:00") == 0);
  CHECK(off[2] == (int64_t)(strlen("2024-01-05") + strlen("2024-07-09T14:30:00") + 2));
  const char* visits = cotrack_table_strings(t, COTRACK_OBS_VISIT, &off);
  CHECK(strcmp(visits + off[0], "BL") == 0 && strcmp(visits + off[1], "") == 0);
  CHECK(cotrack_table_strings(t, COTRACK_OBS_VALUE, &off) == NULL);
  const double* items = cotrack_table_double_list(t, COTRACK_OBS_ITEMS, &off);
  CHECK(items != NULL && off[0] == 0 && off[2] == 0);
  cotrack_table_destroy(t);

  /* Censored values stay a number plus a comparator. */
  t = NULL;
  OK(cotrack_latest_all_table(db, "P01", NULL, &t, &err));
  CHECK(cotrack_table_row_count(t) == 3);
  const char* m = cotrack_table_strings(t, COTRACK_OBS_MEASURE, &off);
  CHECK(strcmp(m + off[2], "il4") == 0);
  const char* cmp = cotrack_table_strings(t, COTRACK_OBS_COMPARATOR, &off);
  CHECK(strcmp(cmp + off[2], "<") == 0 && strcmp(cmp + off[0], "") == 0);
  CHECK(near(cotrack_table_double(t, COTRACK_OBS_VALUE)[2], 0.5));
  const char* unit = cotrack_table_strings(t, COTRACK_OBS_UNIT, &off);
  CHECK(strcmp(unit + off[1], "%") == 0);
  cotrack_table_destroy(t);

  /* Errors are those of the row-by-row calls; *out is untouched. */
  t = NULL;
  EXPECT_ERROR(COTRACK_NOT_FOUND, "nosuch",
               cotrack_trajectory_table(db, "P01", "nosuch", NULL, NULL, &t, &err));
  CHECK(t == NULL);
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "out",
               cotrack_trajectory_table(db, "P01", "edss", NULL, NULL, NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "n", cotrack_latest_table(db, "P01", "edss", NULL, 0,
                                                                    &t, &err));
  OK(cotrack_latest_table(db, "P01", "edss", "2024-03-01", 5, &t, &err));
  CHECK(cotrack_table_row_count(t) == 1);
  cotrack_table_destroy(t);
  t = NULL;
  OK(cotrack_history_table(db, "P01", "edss", "2024-01-05", &t, &err));
  CHECK(cotrack_table_row_count(t) == 1 && cotrack_table_int64(t, COTRACK_OBS_VERSION)[0] == 1);
  cotrack_table_destroy(t);

  /* The time column is the row-by-row call's text, at the edges of the
   * calendar too (the table formats it by hand). */
  const char* edges[] = {"0001-01-01", "1969-12-31T23:59:59", "1970-01-01T00:00",
                         "2000-02-29", "2100-03-01T12:05:09", "9999-12-31"};
  for (size_t k = 0; k < sizeof edges / sizeof *edges; ++k) {
    OK(cotrack_record(db, "E01", "hba1c", edges[k], 6.0, NULL, NULL, &err));
  }
  cotrack_observations_t* edge_rows = NULL;
  OK(cotrack_trajectory(db, "E01", "hba1c", NULL, NULL, &edge_rows, &err));
  OK(cotrack_trajectory_table(db, "E01", "hba1c", NULL, NULL, &t, &err));
  CHECK(cotrack_table_row_count(t) == 6 && cotrack_observations_count(edge_rows) == 6);
  times = cotrack_table_strings(t, COTRACK_OBS_TIME, &off);
  for (size_t i = 0; i < cotrack_observations_count(edge_rows) && i < 6; ++i) {
    CHECK(strcmp(times + off[i], cotrack_observations_time(edge_rows, i)) == 0);
  }
  cotrack_observations_destroy(edge_rows);
  cotrack_table_destroy(t);

  /* An empty result: arrays are not NULL. */
  OK(cotrack_trajectory_table(db, "P01", "edss", "2030-01-01", NULL, &t, &err));
  CHECK(cotrack_table_row_count(t) == 0);
  CHECK(cotrack_table_double(t, COTRACK_OBS_VALUE) != NULL);
  CHECK(cotrack_table_strings(t, COTRACK_OBS_PATIENT, &off) != NULL && off[0] == 0);
  cotrack_table_destroy(t);
  cotrack_table_destroy(NULL);
  CHECK(cotrack_table_row_count(NULL) == 0 && cotrack_table_column_index(NULL, "x") == -1);

  /* Batches: nothing is written until the commit; an invalid change writes
   * nothing at all. */
  cotrack_batch_t* b = cotrack_batch_create();
  CHECK(b != NULL && cotrack_batch_size(b) == 0);
  OK(cotrack_batch_register_patient(b, "B01", "HSCT", "2024-01-10", NULL, NULL, 0, &err));
  OK(cotrack_batch_record_visit(b, "B01", "2024-01-05", "BL", 2, measures, values, units, NULL,
                                &err));
  cotrack_visit_t* visit = NULL;
  OK(cotrack_visit_create("B01", "2024-07-05", NULL, &visit, &err));
  const double ais[] = {1, 2, 1, 0, 3, 2, 1, 1};
  OK(cotrack_visit_add_items(visit, "ais", ais, 8, &err));
  OK(cotrack_batch_add_visit(b, visit, &err));
  cotrack_visit_destroy(visit);
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "time",
               cotrack_batch_record_visit(b, "B01", "never", NULL, 1, measures, values, NULL,
                                          NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "reason",
               cotrack_batch_retract(b, "B01", "edss", "2024-01-05", NULL, &err));
  CHECK(cotrack_batch_size(b) == 4);
  EXPECT_ERROR(COTRACK_NOT_FOUND, "B01",
               cotrack_trajectory_table(db, "B01", "edss", NULL, NULL, &t, &err));
  OK(cotrack_batch_commit(db, b, &ws, &err));
  CHECK(ws.written == 3 && ws.patients == 1);
  OK(cotrack_trajectory_table(db, "B01", "ais", NULL, NULL, &t, &err));
  CHECK(cotrack_table_row_count(t) == 1 && cotrack_table_double(t, COTRACK_OBS_VALUE)[0] == 11);
  items = cotrack_table_double_list(t, COTRACK_OBS_ITEMS, &off);
  CHECK(off[1] == 8 && items[4] == 3);
  cotrack_table_destroy(t);
  cotrack_batch_destroy(b);

  b = cotrack_batch_create();
  OK(cotrack_batch_record_visit(b, "B02", "2024-01-05", NULL, 1, measures, values, NULL, NULL,
                                &err));
  OK(cotrack_batch_record_visit(b, "B02", "2024-02-05", NULL, 1, measures, (const double[]){0.5},
                                NULL, NULL, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "0.5", cotrack_batch_commit(db, b, NULL, &err));
  EXPECT_ERROR(COTRACK_NOT_FOUND, "B02",
               cotrack_trajectory_table(db, "B02", "edss", NULL, NULL, &t, &err));
  cotrack_batch_destroy(b);
  b = cotrack_batch_create();
  OK(cotrack_batch_commit(db, b, &ws, &err)); /* empty: nothing to do */
  CHECK(ws.written == 0);
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "batch", cotrack_batch_commit(db, NULL, NULL, &err));
  cotrack_batch_destroy(b);
  cotrack_batch_destroy(NULL);

  /* A summary table. */
  OK(cotrack_register_patient(db, "P01", "HSCT", "2024-01-10", NULL, NULL, 0, NULL, &err));
  OK(cotrack_summarize_table(db, "edss", "0", "arm", &t, &err));
  CHECK(cotrack_table_row_count(t) == 1 && cotrack_table_column_count(t) == COTRACK_SUM_COLUMN_COUNT);
  CHECK(cotrack_table_column_index(t, "n") == COTRACK_SUM_N);
  CHECK(cotrack_table_column_index(t, "worsened_pct") == COTRACK_SUM_WORSENED_PCT);
  CHECK(cotrack_table_int64(t, COTRACK_SUM_N)[0] == 2);
  /* Every count and statistic is the row-by-row call's (NaN where it is). */
  cotrack_summary_t* rows = NULL;
  OK(cotrack_summarize(db, "edss", "0", "arm", &rows, &err));
  for (int k = 0; k < 8; ++k) {
    CHECK(cotrack_table_int64(t, COTRACK_SUM_PATIENTS + k)[0] ==
          cotrack_summary_row_count_of(rows, 0, k));
  }
  for (int k = 0; k < 12; ++k) {
    double want = cotrack_summary_row_stat(rows, 0, k);
    double got = cotrack_table_double(t, COTRACK_SUM_MEAN + k)[0];
    CHECK((isnan(want) && isnan(got)) || want == got);
  }
  cotrack_summary_destroy(rows);
  const char* group = cotrack_table_strings(t, COTRACK_SUM_GROUP, &off);
  CHECK(strcmp(group, "HSCT") == 0);
  cotrack_table_destroy(t);
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "6x",
               cotrack_summarize_table(db, "edss", "0,6x", NULL, &t, &err));
  cotrack_close(db);
}

/* cotrack_progression: the options of `cotrack progression` as name/value
 * arrays, an event table back. */
static void test_progression(const char* path) {
  cotrack_db_t* db = NULL;
  cotrack_options_t* options = cotrack_options_create();
  cotrack_options_set_sync(options, 0);
  OK(cotrack_open(path, options, &db, &err));
  cotrack_options_destroy(options);
  if (db == NULL) return;
  const char* dates[] = {"2024-01-01", "2024-04-01", "2024-07-01", "2024-10-01", "2025-01-01"};
  const double edss[] = {4.0, 3.0, 3.0, 4.0, 4.0};
  const char* measure[] = {"edss"};
  for (int i = 0; i < 5; ++i) {
    OK(cotrack_record_visit(db, "P1", dates[i], NULL, 1, measure, &edss[i], NULL, NULL, NULL,
                            &err));
  }
  /* msprog's default, the first CDW from a fixed baseline: none. */
  cotrack_table_t* t = NULL;
  OK(cotrack_progression(db, NULL, NULL, NULL, 0, &t, &err));
  CHECK(cotrack_table_row_count(t) == 0);
  cotrack_table_destroy(t);
  /* Every event, roving baseline: a CDI, then a CDW from the new baseline. */
  const char* names[] = {"event", "baseline", "confirm", "raw-pira"};
  const char* values[] = {"multiple", "roving", "12w", ""};
  t = NULL;
  OK(cotrack_progression(db, "P1", names, values, 4, &t, &err));
  CHECK(cotrack_table_row_count(t) == 2);
  const int64_t* off = NULL;
  int col = cotrack_table_column_index(t, "event");
  const char* ev = col < 0 ? NULL : cotrack_table_strings(t, col, &off);
  CHECK(ev != NULL && strcmp(ev + off[0], "CDI") == 0 && strcmp(ev + off[1], "CDW") == 0);
  col = cotrack_table_column_index(t, "date");
  const char* d = col < 0 ? NULL : cotrack_table_strings(t, col, &off);
  CHECK(d != NULL && strcmp(d + off[1], "2024-10-01") == 0);
  col = cotrack_table_column_index(t, "baseline_value");
  const double* bl = col < 0 ? NULL : cotrack_table_double(t, col);
  CHECK(bl != NULL && bl[0] == 4.0 && bl[1] == 3.0);
  col = cotrack_table_column_index(t, "nevent");
  const int64_t* nevent = col < 0 ? NULL : cotrack_table_int64(t, col);
  CHECK(nevent != NULL && nevent[0] == 1 && nevent[1] == 2);
  col = cotrack_table_column_index(t, "parameters");
  const char* params = col < 0 ? NULL : cotrack_table_strings(t, col, &off);
  CHECK(params != NULL && strstr(params, "event=multiple raw-pira=yes baseline=roving") != NULL);
  CHECK(cotrack_table_column_index(t, "conf84_date") >= 0);
  cotrack_table_destroy(t);
  /* The command line's messages. */
  const char* bad[] = {"bogus"};
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "--event: bad value \"bogus\"",
               cotrack_progression(db, NULL, names, bad, 1, &t, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "unknown progression option \"nosuch\"",
               cotrack_progression(db, NULL, (const char* const[]){"nosuch"}, bad, 1, &t, &err));
  EXPECT_ERROR(COTRACK_NOT_FOUND, "P9", cotrack_progression(db, "P9", NULL, NULL, 0, &t, &err));
  cotrack_close(db);
}

/* ---- cotrack_survival (time to event) ---- */

/* Two arms of two patients: A1 worsens at day 100 (confirmed at 200), A2 is
 * censored at 300, B1 worsens at day 50, B2 is censored at 400. R:
 * survfit medians A 100 (95% CI 100-NA), B 50 (50-NA); survdiff chisq
 * 0.058823529411764761, df 1, p 0.80836515591451019. */
static void test_survival(const char* path) {
  cotrack_db_t* db = NULL;
  OK(cotrack_open(path, NULL, &db, &err));
  static const char* const ids[] = {"A1", "A2", "B1", "B2"};
  static const char* const arms[] = {"A", "A", "B", "B"};
  for (int i = 0; i < 4; ++i) {
    OK(cotrack_register_patient(db, ids[i], arms[i], NULL, NULL, NULL, 0, NULL, &err));
  }
  OK(cotrack_record(db, "A1", "edss", "2025-01-01", 2.0, NULL, NULL, &err));
  OK(cotrack_record(db, "A1", "edss", "2025-04-11", 3.5, NULL, NULL, &err)); /* day 100 */
  OK(cotrack_record(db, "A1", "edss", "2025-07-20", 3.5, NULL, NULL, &err)); /* day 200 */
  OK(cotrack_record(db, "A2", "edss", "2025-01-01", 2.0, NULL, NULL, &err));
  OK(cotrack_record(db, "A2", "edss", "2025-10-28", 2.0, NULL, NULL, &err)); /* day 300 */
  OK(cotrack_record(db, "B1", "edss", "2025-01-01", 2.0, NULL, NULL, &err));
  OK(cotrack_record(db, "B1", "edss", "2025-02-20", 3.5, NULL, NULL, &err)); /* day 50 */
  OK(cotrack_record(db, "B1", "edss", "2025-05-31", 3.5, NULL, NULL, &err)); /* day 150 */
  OK(cotrack_record(db, "B2", "edss", "2025-01-01", 2.0, NULL, NULL, &err));
  OK(cotrack_record(db, "B2", "edss", "2026-02-05", 2.0, NULL, NULL, &err)); /* day 400 */

  static const char* const names[] = {"by", "at", "confirm"};
  static const char* const values[] = {"arm", "60d", "12w"};
  cotrack_table_t* t = NULL;
  OK(cotrack_survival(db, names, values, 3, &t, &err));
  CHECK(cotrack_table_row_count(t) == 3);
  int64_t off_group = cotrack_table_column_index(t, "group");
  int64_t off_median = cotrack_table_column_index(t, "median");
  int64_t off_lower = cotrack_table_column_index(t, "lower");
  int64_t off_upper = cotrack_table_column_index(t, "upper");
  int64_t off_events = cotrack_table_column_index(t, "events");
  int64_t off_chisq = cotrack_table_column_index(t, "chisq");
  int64_t off_df = cotrack_table_column_index(t, "df");
  int64_t off_p = cotrack_table_column_index(t, "p");
  int64_t off_s60 = cotrack_table_column_index(t, "survival_60d");
  int64_t off_r60 = cotrack_table_column_index(t, "at_risk_60d");
  CHECK(off_group >= 0 && off_median >= 0 && off_lower >= 0 && off_upper >= 0 && off_chisq >= 0 &&
        off_df >= 0 && off_p >= 0 && off_s60 >= 0 && off_r60 >= 0 && off_events >= 0);
  if (off_group >= 0 && off_median >= 0 && off_chisq >= 0 && off_s60 >= 0 && off_r60 >= 0 &&
      off_lower >= 0 && off_upper >= 0 && off_df >= 0 && off_p >= 0 && off_events >= 0) {
    const int64_t* offsets = NULL;
    const char* groups = cotrack_table_strings(t, (size_t)off_group, &offsets);
    CHECK(strcmp(groups + offsets[0], "A") == 0 && strcmp(groups + offsets[1], "B") == 0 &&
          strcmp(groups + offsets[2], "log-rank") == 0);
    const double* median = cotrack_table_double(t, (size_t)off_median);
    const double* lower = cotrack_table_double(t, (size_t)off_lower);
    const double* upper = cotrack_table_double(t, (size_t)off_upper);
    CHECK(median[0] == 100 && lower[0] == 100 && isnan(upper[0]));
    CHECK(median[1] == 50 && lower[1] == 50 && isnan(upper[1]));
    CHECK(cotrack_table_int64(t, (size_t)off_events)[2] == 2);
    const double* s60 = cotrack_table_double(t, (size_t)off_s60);
    CHECK(s60[0] == 1 && s60[1] == 0.5);
    CHECK(cotrack_table_int64(t, (size_t)off_r60)[1] == 1);
    const double* chisq = cotrack_table_double(t, (size_t)off_chisq);
    const double* p = cotrack_table_double(t, (size_t)off_p);
    CHECK(isnan(chisq[0]) && fabs(chisq[2] - 0.058823529411764761) < 1e-12);
    CHECK(cotrack_table_int64(t, (size_t)off_df)[2] == 1);
    CHECK(fabs(p[2] - 0.80836515591451019) < 1e-12);
  }
  cotrack_table_destroy(t);
  /* No options: one group "all". */
  OK(cotrack_survival(db, NULL, NULL, 0, &t, &err));
  CHECK(cotrack_table_row_count(t) == 2);
  cotrack_table_destroy(t);
  /* The command's messages. */
  static const char* const bad_names[] = {"confirm"};
  static const char* const bad_values[] = {"3m"};
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "--confirm: bad value \"3m\"",
               cotrack_survival(db, bad_names, bad_values, 1, &t, &err));
  static const char* const by_names[] = {"by"};
  static const char* const by_values[] = {"site"};
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "no patient has this attribute",
               cotrack_survival(db, by_names, by_values, 1, &t, &err));
  static const char* const typo[] = {"confrim"};
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "unknown option \"confrim\"",
               cotrack_survival(db, typo, bad_values, 1, &t, &err));
  EXPECT_ERROR(COTRACK_INVALID_ARGUMENT, "db", cotrack_survival(NULL, NULL, NULL, 0, &t, &err));
  cotrack_close(db);
}

int main(void) {
  char dir[] = "/tmp/cotrack-c-api-XXXXXX";
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 2;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/db", dir);
  test_library();
  test_open_errors(dir);
  test_writes_and_reads(path);
  snprintf(path, sizeof path, "%s/threads", dir);
  test_threads(path);
  snprintf(path, sizeof path, "%s/two", dir);
  test_two_handles(path);
  snprintf(path, sizeof path, "%s/attribution", dir);
  test_attribution(path);
  snprintf(path, sizeof path, "%s/ids", dir);
  test_patient_id_rule(path);
  snprintf(path, sizeof path, "%s/tables", dir);
  test_tables_and_batches(path);
  snprintf(path, sizeof path, "%s/progression", dir);
  test_progression(path);

  snprintf(path, sizeof path, "%s/survival", dir);
  test_survival(path);
  nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  if (failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c_api_test: all checks passed\n");
  return 0;
}

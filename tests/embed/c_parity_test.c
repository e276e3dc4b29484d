/* Embed.CParity: the C calls added for command-line parity (issue 16, item
 * 1) from plain C, built with AddressSanitizer as Embed.CApi is. Each call
 * is run on a database the command line also reads, its result checked
 * against the command's, and one bad option's message against the
 * command's own (run through popen).
 *
 * Usage: embed_c_parity_test COTRACK_CLI MSPROG_VISITS_CSV
 * Exit status 0 = all checks passed. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

#define OK(call)                                                                                 \
  do {                                                                                           \
    char* err = NULL;                                                                            \
    int got_ = (call);                                                                           \
    if (got_ != COTRACK_OK) {                                                                    \
      fprintf(stderr, "%s:%d: %s: %s: %s\n", __FILE__, __LINE__, #call, cotrack_code_name(got_), \
              err ? err : "");                                                                   \
      failures++;                                                                                \
      cotrack_free(err);                                                                         \
    }                                                                                            \
  } while (0)

static const char* cli;
static char dir[] = "/tmp/cotrack-cparity-XXXXXX";

/* The command's output (stdout, and stderr unless `stderr_to` redirects it)
 * in a malloc'ed string. */
static char* run_with(const char* args, const char* stderr_to) {
  char command[4096];
  snprintf(command, sizeof command, "'%s' %s %s", cli, args, stderr_to);
  FILE* p = popen(command, "r");
  if (p == NULL) return strdup("");
  size_t size = 0, cap = 4096;
  char* out = malloc(cap);
  size_t n;
  while ((n = fread(out + size, 1, cap - size - 1, p)) > 0) {
    size += n;
    if (cap - size < 2) out = realloc(out, cap *= 2);
  }
  out[size] = '\0';
  pclose(p);
  return out;
}

static char* run(const char* args) { return run_with(args, "2>&1"); }

/* Expects `code` with an error message that the command's output (a usage
 * error `cotrack: MESSAGE`) contains verbatim. */
static void same_error(int code, char* err, int want, const char* cli_args, int line) {
  char* out = run(cli_args);
  if (code != want || err == NULL || strstr(out, err) == NULL) {
    fprintf(stderr, "c_parity_test.c:%d: got %s \"%s\", the command said: %s\n", line,
            cotrack_code_name(code), err ? err : "(null)", out);
    failures++;
  }
  free(out);
  cotrack_free(err);
}

/* The lines the command prints (a csv's header included). */
static size_t line_count(const char* args) {
  char* out = run_with(args, "2>/dev/null");
  size_t n = 0;
  for (const char* c = out; *c; ++c) n += *c == '\n';
  free(out);
  return n;
}

static const char* string_at(const cotrack_table_t* t, const char* column, size_t row) {
  int64_t c = cotrack_table_column_index(t, column);
  if (c < 0) return "(no column)";
  const int64_t* offsets = NULL;
  const char* data = cotrack_table_strings(t, (size_t)c, &offsets);
  return data == NULL ? "(not a string)" : data + offsets[row];
}

static int64_t int_at(const cotrack_table_t* t, const char* column, size_t row) {
  int64_t c = cotrack_table_column_index(t, column);
  const int64_t* v = c < 0 ? NULL : cotrack_table_int64(t, (size_t)c);
  return v == NULL ? -1 : v[row];
}

static int remove_one(const char* path, const struct stat* sb, int flag, struct FTW* ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s COTRACK_CLI VISITS_CSV\n", argv[0]);
    return 2;
  }
  cli = argv[1];
  const char* visits = argv[2];
  if (mkdtemp(dir) == NULL) return 2;
  char db_path[512], path[512], args[2048];
  snprintf(db_path, sizeof db_path, "%s/db", dir);

  cotrack_options_t* options = cotrack_options_create();
  cotrack_options_set_sync(options, 0);
  cotrack_options_set_user(options, "c-test");
  cotrack_db_t* db = NULL;
  OK(cotrack_open(db_path, options, &db, &err));

  /* import, with the CLI's options */
  const char* names[] = {"ignore-columns", "reason"};
  const char* values[] = {"visit_day,SDMT", "toy data"};
  cotrack_table_t* t = NULL;
  OK(cotrack_import(db, visits, names, values, 2, &t, &err));
  CHECK(t != NULL && int_at(t, "rows", 0) == 57);
  CHECK(t != NULL && strcmp(string_at(t, "format", 0), "wide") == 0);
  int64_t written = t ? int_at(t, "written", 0) : 0;
  CHECK(written > 0);
  cotrack_table_destroy(t);
  {
    const char* bad_names[] = {"on-error"};
    const char* bad_values[] = {"later"};
    char* err = NULL;
    int code = cotrack_import(db, visits, bad_names, bad_values, 1, NULL, &err);
    snprintf(args, sizeof args, "--db '%s' import '%s' --on-error later", db_path, visits);
    same_error(code, err, COTRACK_INVALID_ARGUMENT, args, __LINE__);
  }
  snprintf(path, sizeof path, "%s/patients.csv", dir);
  FILE* f = fopen(path, "w");
  fputs("patient,arm,index_date\n1,A,2021-09-23\n2,B,2020-11-26\n", f);
  fclose(f);
  OK(cotrack_import(db, path, NULL, NULL, 0, NULL, &err));

  /* patients, measures, measure show, visit */
  t = NULL;
  OK(cotrack_patients_table(db, &t, &err));
  CHECK(t != NULL && cotrack_table_row_count(t) >= 2);
  CHECK(t != NULL && strcmp(string_at(t, "patient", 0), "1") == 0);
  CHECK(t != NULL && strcmp(string_at(t, "arm", 0), "A") == 0);
  CHECK(t != NULL && strcmp(string_at(t, "index_date", 0), "2021-09-23") == 0);
  cotrack_table_destroy(t);
  t = NULL;
  OK(cotrack_measures_table(db, &t, &err));
  size_t measure_count = t ? cotrack_table_row_count(t) : 0;
  cotrack_table_destroy(t);
  t = NULL;
  OK(cotrack_measure_table(db, "edss", &t, &err));
  CHECK(t != NULL && strcmp(string_at(t, "code", 0), "edss") == 0);
  cotrack_table_destroy(t);
  t = NULL;
  OK(cotrack_visit_table(db, "1", "2021-09-23", &t, &err));
  CHECK(t != NULL && cotrack_table_row_count(t) == 1);
  CHECK(t != NULL && strcmp(string_at(t, "reason", 0), "toy data") == 0);
  CHECK(t != NULL && strcmp(string_at(t, "user", 0), "c-test") == 0);
  cotrack_table_destroy(t);

  /* summary with options: the parameters line the command prints */
  {
    const char* s_names[] = {"at", "window", "by"};
    const char* s_values[] = {"0,6m", "60", "arm"};
    t = NULL;
    OK(cotrack_summary_table(db, "edss", s_names, s_values, 3, &t, &err));
    CHECK(t != NULL && cotrack_table_column_count(t) == COTRACK_SUM_COLUMN_COUNT);
    {
      /* The older call gives the unit and options line too. */
      cotrack_table_t* plain = NULL;
      OK(cotrack_summarize_table(db, "edss", "0,6m", "arm", &plain, &err));
      CHECK(plain != NULL && cotrack_table_column_count(plain) == COTRACK_SUM_COLUMN_COUNT);
      CHECK(plain != NULL && t != NULL &&
            strcmp(string_at(plain, "unit", 0), string_at(t, "unit", 0)) == 0);
      CHECK(plain != NULL && strncmp(string_at(plain, "parameters", 0), "measure=edss at=0,6m",
                                     strlen("measure=edss at=0,6m")) == 0);
      cotrack_table_destroy(plain);
    }
    cotrack_close(db); /* the command line reads it too */
    db = NULL;
    snprintf(args, sizeof args, "--db '%s' measures --format csv", db_path);
    CHECK(measure_count > 0 && measure_count + 1 == line_count(args));
    snprintf(args, sizeof args,
             "--db '%s' summary edss --at 0,6m --window 60 --by arm --format csv", db_path);
    CHECK(t != NULL && cotrack_table_row_count(t) > 0 &&
          cotrack_table_row_count(t) + 1 == line_count(args));
    snprintf(args, sizeof args, "--db '%s' summary edss --at 0,6m --window 60 --by arm", db_path);
    char* out = run(args);
    CHECK(t != NULL && strstr(out, string_at(t, "parameters", 0)) != NULL);
    CHECK(t != NULL && strstr(out, string_at(t, "unit", 0)) != NULL);
    {
      /* The notes are the command's stderr lines: the first one here. */
      char first[256];
      snprintf(first, sizeof first, "%s", cotrack_table_notes(t));
      char* end = strchr(first, '\n');
      if (end != NULL) *end = '\0';
      CHECK(strstr(first, "patient(s) with edss values") != NULL && strstr(out, first) != NULL);
    }
    free(out);
    cotrack_table_destroy(t);
    OK(cotrack_open(db_path, options, &db, &err));
    const char* bad_names[] = {"window"};
    const char* bad_values[] = {"x"};
    char* err = NULL;
    int code = cotrack_summary_table(db, "edss", bad_names, bad_values, 1, &t, &err);
    snprintf(args, sizeof args, "--db '%s' summary edss --window x", db_path);
    cotrack_close(db);
    db = NULL;
    same_error(code, err, COTRACK_INVALID_ARGUMENT, args, __LINE__);
    OK(cotrack_open(db_path, options, &db, &err));
  }

  /* export, report, plot, measure add */
  {
    const char* e_names[] = {"format", "measure"};
    const char* e_values[] = {"ndjson", "edss"};
    snprintf(path, sizeof path, "%s/export.ndjson", dir);
    t = NULL;
    OK(cotrack_export(db, path, e_names, e_values, 2, &t, &err));
    CHECK(t != NULL && int_at(t, "observations", 0) == written);
    cotrack_table_destroy(t);
    snprintf(path, sizeof path, "%s/report.html", dir);
    OK(cotrack_report(db, path, NULL, NULL, 0, &err));
    CHECK(access(path, R_OK) == 0);
    snprintf(path, sizeof path, "%s/plot.svg", dir);
    OK(cotrack_plot(db, "edss", path, NULL, NULL, 0, &err));
    CHECK(access(path, R_OK) == 0);
    const char* m_names[] = {"code", "name", "unit", "min", "max", "integer"};
    const char* m_values[] = {"sdmt", "SDMT", "points", "0", "110", ""};
    OK(cotrack_measure_add(db, m_names, m_values, 6, &err));
    OK(cotrack_record(db, "1", "sdmt", "2021-09-23", 54, NULL, NULL, &err));
    const char* bad_values[] = {"sdmt2", "SDMT", "points", "0", "x", ""};
    char* err = NULL;
    int code = cotrack_measure_add(db, m_names, bad_values, 6, &err);
    snprintf(args, sizeof args,
             "--db '%s/other' measure add --code sdmt2 --name SDMT --unit points --min 0 "
             "--max x --integer",
             dir);
    same_error(code, err, COTRACK_INVALID_ARGUMENT, args, __LINE__);
  }

  /* attributed array writes */
  {
    const char* measures[] = {"edss"};
    double v[] = {6.0};
    OK(cotrack_record_visit_as(db, "9", "2024-01-01", NULL, 1, measures, v, NULL, NULL, "dr.b",
                               "clinic", NULL, &err));
    cotrack_batch_t* batch = cotrack_batch_create();
    double v2[] = {6.5};
    OK(cotrack_batch_record_visit(batch, "9", "2024-02-01", NULL, 1, measures, v2, NULL, NULL,
                                  &err));
    OK(cotrack_batch_commit_as(db, batch, "dr.c", "backfill", NULL, &err));
    cotrack_batch_destroy(batch);
    t = NULL;
    OK(cotrack_trajectory_table(db, "9", "edss", NULL, NULL, &t, &err));
    CHECK(t != NULL && cotrack_table_row_count(t) == 2);
    CHECK(t != NULL && strcmp(string_at(t, "user", 0), "dr.b") == 0);
    CHECK(t != NULL && strcmp(string_at(t, "reason", 0), "clinic") == 0);
    CHECK(t != NULL && strcmp(string_at(t, "user", 1), "dr.c") == 0);
    CHECK(t != NULL && strcmp(string_at(t, "reason", 1), "backfill") == 0);
    cotrack_table_destroy(t);
    /* --derived: a column per observation table */
    OK(cotrack_record(db, "9", "hba1c", "2024-01-01", 48, "mmol/mol", NULL, &err));
    t = NULL;
    OK(cotrack_visit_table(db, "9", "2024-01-01", &t, &err));
    cotrack_table_t* derived = NULL;
    OK(cotrack_derived_table(db, t, &derived, &err));
    CHECK(derived != NULL && t != NULL &&
          cotrack_table_row_count(derived) == cotrack_table_row_count(t) &&
          cotrack_table_row_count(t) == 2);
    /* rows by measure code: edss has none, hba1c its IFCC value and eAG */
    CHECK(derived != NULL && strcmp(string_at(derived, "derived", 0), "") == 0);
    CHECK(derived != NULL && strstr(string_at(derived, "derived", 1), "eag") != NULL);
    cotrack_table_destroy(derived);
    {
      char* err = NULL;
      CHECK(cotrack_derived_table(db, derived = NULL, &derived, &err) == COTRACK_INVALID_ARGUMENT);
      cotrack_free(err);
    }
    cotrack_table_destroy(t);
    t = NULL;
    OK(cotrack_audit_table(db, "9", &t, &err));
    CHECK(t != NULL && cotrack_table_row_count(t) == 3);
    CHECK(t != NULL && strcmp(string_at(t, "user", 2), "c-test") == 0);
    CHECK(t != NULL && strcmp(string_at(t, "user", 1), "dr.c") == 0);
    CHECK(t != NULL && int_at(t, "written", 0) == 1);
    cotrack_table_destroy(t);
  }
  cotrack_close(db);
  db = NULL;
  {
    cotrack_options_t* read_only = cotrack_options_create();
    cotrack_options_set_read_only(read_only, 1);
    OK(cotrack_open(db_path, read_only, &db, &err));
    char* err = NULL;
    int code = cotrack_audit_table(db, "nobody", &t, &err);
    snprintf(args, sizeof args, "--db '%s' audit --patient nobody", db_path);
    same_error(code, err, COTRACK_NOT_FOUND, args, __LINE__);
    cotrack_close(db);
    db = NULL;
    cotrack_options_destroy(read_only);
  }

  /* timezone: what the command prints, and its refusals */
  {
    char tz_path[512];
    snprintf(tz_path, sizeof tz_path, "%s/tz", dir);
    cotrack_db_t* tz = NULL;
    OK(cotrack_open(tz_path, options, &tz, &err));
    char* zone = NULL;
    OK(cotrack_timezone(tz, &zone, &err));
    CHECK(zone != NULL && strcmp(zone, "") == 0);
    cotrack_free(zone);
    OK(cotrack_set_timezone(tz, "America/Los_Angeles", 0, "clinic", &err));
    snprintf(args, sizeof args, "--db '%s' timezone", tz_path);
    char* out = run_with(args, "2>/dev/null"); /* through this process's handle */
    CHECK(strcmp(out, "America/Los_Angeles\n") == 0);
    free(out);
    zone = NULL;
    OK(cotrack_timezone(tz, &zone, &err));
    CHECK(zone != NULL && strcmp(zone, "America/Los_Angeles") == 0);
    cotrack_free(zone);
    char* err = NULL;
    int code = cotrack_set_timezone(tz, "Mars/Olympus", 0, NULL, &err);
    snprintf(args, sizeof args, "--db '%s' timezone Mars/Olympus", tz_path);
    same_error(code, err, COTRACK_INVALID_ARGUMENT, args, __LINE__);
    OK(cotrack_record(tz, "1", "edss", "2024-01-01", 2.0, NULL, NULL, &err));
    err = NULL;
    code = cotrack_set_timezone(tz, "Europe/Berlin", 0, NULL, &err);
    snprintf(args, sizeof args, "--db '%s' timezone Europe/Berlin", tz_path);
    same_error(code, err, COTRACK_FAILED_PRECONDITION, args, __LINE__);
    OK(cotrack_set_timezone(tz, "Europe/Berlin", 1, "moved", &err));
    cotrack_close(tz);
  }

  /* check, dump, load, backup, verify, restore */
  t = NULL;
  OK(cotrack_check_table(db_path, options, &t, &err));
  CHECK(t != NULL && cotrack_table_row_count(t) == 0);
  cotrack_table_destroy(t);
  cotrack_table_t* check_counts = NULL;
  t = NULL;
  OK(cotrack_check(db_path, options, &t, &check_counts, &err));
  CHECK(t != NULL && cotrack_table_row_count(t) == 0);
  CHECK(check_counts != NULL && cotrack_table_row_count(check_counts) == 1);
  CHECK(int_at(check_counts, "problems", 0) == 0);
  CHECK(int_at(check_counts, "problems_not_listed", 0) == 0);
  CHECK(int_at(check_counts, "table_files", 0) > 0);
  cotrack_table_destroy(t);
  snprintf(path, sizeof path, "%s/dump", dir);
  t = NULL;
  OK(cotrack_dump(db_path, options, path, &t, &err));
  int64_t versions = t ? int_at(t, "observation_versions", 0) : -1;
  CHECK(versions >= written + 3);
  /* check counts what dump writes */
  CHECK(int_at(check_counts, "versions", 0) == versions);
  CHECK(int_at(check_counts, "patients", 0) == int_at(t, "patients", 0));
  CHECK(int_at(check_counts, "audit_entries", 0) == int_at(t, "audit_entries", 0));
  cotrack_table_destroy(check_counts);
  cotrack_table_destroy(t);
  char loaded[512];
  snprintf(loaded, sizeof loaded, "%s/loaded", dir);
  t = NULL;
  OK(cotrack_load(path, loaded, options, &t, &err));
  CHECK(t != NULL && int_at(t, "observation_versions", 0) == versions);
  cotrack_table_destroy(t);
  {
    char* err = NULL;
    CHECK(cotrack_load(path, loaded, options, NULL, &err) == COTRACK_FAILED_PRECONDITION);
    cotrack_free(err);
  }
  char backups[512], restored[512];
  snprintf(backups, sizeof backups, "%s/backups", dir);
  snprintf(restored, sizeof restored, "%s/restored", dir);
  t = NULL;
  OK(cotrack_backup(db_path, options, backups, &t, &err));
  int64_t id = t ? int_at(t, "backup", 0) : -1;
  CHECK(id >= 1);
  cotrack_table_destroy(t);
  t = NULL;
  OK(cotrack_backup_verify(backups, options, &t, &err));
  CHECK(t != NULL && cotrack_table_row_count(t) == 1 && int_at(t, "backup", 0) == id);
  CHECK(t != NULL && strcmp(string_at(t, "error", 0), "") == 0);
  cotrack_table_destroy(t);
  t = NULL;
  OK(cotrack_restore(backups, restored, options, &t, &err));
  CHECK(t != NULL && int_at(t, "backup", 0) == id);
  cotrack_table_destroy(t);
  snprintf(args, sizeof args, "--db '%s' trajectory 1 sdmt", restored);
  char* out = run(args);
  CHECK(strstr(out, "54") != NULL);
  free(out);

  /* an encrypted database */
  {
    char key[512], enc[512];
    snprintf(key, sizeof key, "%s/key", dir);
    snprintf(enc, sizeof enc, "%s/encrypted", dir);
    f = fopen(key, "w");
    fputs("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", f);
    fclose(f);
    chmod(key, 0600);
    cotrack_options_t* with_key = cotrack_options_create();
    cotrack_options_set_encryption_key_file(with_key, key);
    OK(cotrack_open(enc, with_key, &db, &err));
    OK(cotrack_record(db, "P1", "edss", "2024-01-01", 3.0, NULL, NULL, &err));
    cotrack_close(db);
    db = NULL;
    char* err = NULL;
    cotrack_options_t* create_off = cotrack_options_create();
    cotrack_options_set_create_if_missing(create_off, 0);
    CHECK(cotrack_open(enc, create_off, &db, &err) != COTRACK_OK);
    cotrack_free(err);
    cotrack_options_destroy(create_off);
    snprintf(args, sizeof args, "--db '%s' --key-file '%s' trajectory P1 edss", enc, key);
    out = run(args);
    CHECK(strstr(out, "2024-01-01") != NULL);
    free(out);
    cotrack_options_destroy(with_key);
  }

  cotrack_options_destroy(options);
  nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
  if (failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c_parity_test: all checks passed\n");
  return 0;
}

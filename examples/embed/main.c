/* Embedding cotrack from C: record two visits, read them back. */
#include <stdio.h>

#include "cotrack/c.h"

/* Prints and frees the message of a failed call; returns 1 when it failed. */
static int failed(int code, char* err) {
  if (code == COTRACK_OK) return 0;
  fprintf(stderr, "%s: %s\n", cotrack_code_name(code), err);
  cotrack_free(err);
  return 1;
}

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "clinic.cotrack";
  cotrack_db_t* db = NULL;
  char* err = NULL;
  if (failed(cotrack_open(path, NULL, &db, &err), err)) return 1;

  const char* keys[] = {"sex"};
  const char* values[] = {"F"};
  if (failed(cotrack_register_patient(db, "P01", "HSCT", "2024-01-10", keys, values, 1, NULL, &err),
             err)) {
    cotrack_close(db);
    return 1;
  }

  /* A single observation, then a whole visit committed atomically. */
  int code = cotrack_record(db, "P01", "edss", "2024-01-05", 4.0, NULL, NULL, &err);
  cotrack_visit_t* visit = NULL;
  if (code == COTRACK_OK) code = cotrack_visit_create("P01", "2024-07-09", "M6", &visit, &err);
  if (code == COTRACK_OK) code = cotrack_visit_add(visit, "edss", 3.5, NULL, &err);
  if (code == COTRACK_OK) code = cotrack_visit_add(visit, "hba1c", 48, "mmol/mol", &err);
  if (code == COTRACK_OK) code = cotrack_visit_commit(db, visit, NULL, &err);
  cotrack_visit_destroy(visit);
  if (failed(code, err)) {
    cotrack_close(db);
    return 1;
  }

  cotrack_observations_t* rows = NULL;
  if (!failed(cotrack_trajectory(db, "P01", "edss", NULL, NULL, &rows, &err), err)) {
    for (size_t i = 0; i < cotrack_observations_count(rows); i++) {
      printf("P01 edss %s %g\n", cotrack_observations_time(rows, i),
             cotrack_observations_value(rows, i));
    }
    cotrack_observations_destroy(rows);
  }
  if (!failed(cotrack_latest(db, "P01", "hba1c", NULL, 1, &rows, &err), err)) {
    if (cotrack_observations_count(rows) == 1) {
      printf("P01 hba1c latest %s %.2f %s (entered %s %s)\n", cotrack_observations_time(rows, 0),
             cotrack_observations_value(rows, 0), cotrack_observations_unit(rows, 0),
             cotrack_observations_original_value(rows, 0),
             cotrack_observations_original_unit(rows, 0));
    }
    cotrack_observations_destroy(rows);
  }
  cotrack_close(db);
  return 0;
}

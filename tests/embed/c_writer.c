/* A writer process for the many-processes test of Embed.Python: records N
 * EDSS values for one patient through the C ABI, one call each, and prints
 * "ack DATE VALUE" after each call that returned COTRACK_OK, so the test can
 * check that every acknowledged write is in the database afterwards.
 *
 *   embed_c_writer DB PATIENT N
 *
 * Exit 0 when all N were acknowledged; 1 with the error on stderr otherwise. */
#include <stdio.h>
#include <stdlib.h>

#include "cotrack/c.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: embed_c_writer DB PATIENT N\n");
    return 2;
  }
  const int n = atoi(argv[3]);
  cotrack_options_t* options = cotrack_options_create();
  cotrack_options_set_sync(options, 0);
  cotrack_db_t* db = NULL;
  char* err = NULL;
  int code = cotrack_open(argv[1], options, &db, &err);
  cotrack_options_destroy(options);
  if (code != COTRACK_OK) {
    fprintf(stderr, "open: %s\n", err);
    cotrack_free(err);
    return 1;
  }
  for (int i = 0; i < n; ++i) {
    /* Distinct days, 28 a month: always a valid date. */
    char date[16];
    snprintf(date, sizeof date, "%04d-%02d-%02d", 2000 + i / 336, 1 + (i / 28) % 12, 1 + i % 28);
    const double value = 1 + (double)(i % 19) / 2; /* a valid EDSS */
    code = cotrack_record(db, argv[2], "edss", date, value, NULL, NULL, &err);
    if (code != COTRACK_OK) {
      fprintf(stderr, "record %s %s: %s\n", argv[2], date, err);
      cotrack_free(err);
      cotrack_close(db);
      return 1;
    }
    printf("ack %s %g\n", date, value);
    fflush(stdout);
  }
  cotrack_close(db);
  return 0;
}

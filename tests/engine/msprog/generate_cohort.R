# Deterministic synthetic cohorts for the msprog differential tests
# (msprog_differential_test.cc). Writes, next to this script:
#   cohort_visits.csv    id,date,EDSS,SDMT,T25FW  (irregular visits, 1-2 weeks
#                        to 9 months apart, EDSS on its 0.5 grid, SDMT
#                        0-110, T25FW in seconds)
#   cohort_relapses.csv  id,date,end_date   (0-4 relapses a patient, some
#                        before the first visit, each 7-120 days long)
# Run from the repository root:  Rscript tests/engine/msprog/generate_cohort.R
# (base R only; the same seed gives the same files on R >= 3.6).
set.seed(20261203, kind = "Mersenne-Twister", normal.kind = "Inversion",
         sample.kind = "Rejection")
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
if (length(here) == 0 || here == "") here <- "."

npat <- 120
start <- as.Date("2018-01-01")
visits <- list()
relapses <- list()
for (p in seq_len(npat)) {
  id <- sprintf("P%03d", p)
  first <- start + sample(0:700, 1)
  nvis <- sample(4:16, 1)
  gaps <- sample(c(7:30, 60:120, 80:100, 150:270), nvis - 1, replace = TRUE)
  days <- c(0, cumsum(gaps))
  # Relapses: some before the first visit, most during follow-up.
  nrel <- sample(0:4, 1, prob = c(0.3, 0.3, 0.2, 0.12, 0.08))
  rel <- sort(sample(-90:(max(days) + 60), nrel))
  rel <- unique(rel)
  dur <- sample(7:120, length(rel), replace = TRUE)
  # EDSS: a random walk on the scale's grid, with a bump after relapses.
  edss <- numeric(nvis)
  level <- sample(c(0, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5), 1)
  sdmt_level <- sample(25:75, 1)
  sdmt <- numeric(nvis)
  for (i in seq_len(nvis)) {
    step <- sample(c(0, 0, 0, 0.5, -0.5, 1, -1, 1.5), 1)
    level <- min(9.5, max(0, level + step))
    if (level == 0.5) level <- 1
    since <- days[i] - rel
    bump <- if (any(since >= 0 & since <= 60)) sample(c(0.5, 1, 1.5), 1) else 0
    edss[i] <- min(9.5, level + bump)
    sdmt_level <- min(110, max(0, sdmt_level + sample(c(-6, -4, -3, -1, 0, 0, 1, 2, 3, 5), 1)))
    sdmt[i] <- max(0, sdmt_level - (if (bump > 0) sample(3:8, 1) else 0))
  }
  visits[[p]] <- data.frame(id = id, date = format(first + days), EDSS = edss, SDMT = sdmt)
  if (length(rel) > 0) {
    relapses[[p]] <- data.frame(id = id, date = format(first + rel),
                                end_date = format(first + rel + dur))
  }
}
visits <- do.call(rbind, visits)
# T25FW (seconds, higher is worse), drawn afterwards from its own seed so the
# columns above stay as they were: a multiplicative walk from 4-12 s.
set.seed(25, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
visits$T25FW <- unlist(lapply(split(seq_len(nrow(visits)), factor(visits$id, unique(visits$id))),
  function(rows) {
    level <- runif(1, 4, 12)
    round(sapply(rows, function(r) {
      level <<- min(170, level * sample(c(0.8, 0.9, 1, 1, 1, 1.1, 1.25, 1.3), 1))
      level
    }), 1)
  }))
relapses <- do.call(rbind, relapses)
write.csv(visits, file.path(here, "cohort_visits.csv"), row.names = FALSE, quote = FALSE)
write.csv(relapses, file.path(here, "cohort_relapses.csv"), row.names = FALSE, quote = FALSE)

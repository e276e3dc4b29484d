# Regenerates the expected values of survival_test.cc from R's survival
# package (the reference implementation the estimator is checked against):
#   Rscript tests/engine/analytics/survival_data/km_expected.R \
#     > tests/engine/analytics/survival_data/km_expected.txt
# Data sets: `aml` (Miller 1981, shipped with survival) and `ties`, a small
# set with tied event times, censoring at event times and a censored last
# time. KM with Greenwood variance and conf.type = "log-log"; survdiff rho=0.
suppressPackageStartupMessages(library(survival))
ties <- data.frame(
  time   = c(1, 1, 2, 2, 2, 3, 4, 4, 5, 6,   1, 2, 2, 3, 3, 3, 5, 7, 7, 8),
  status = c(1, 0, 1, 1, 0, 1, 0, 1, 1, 0,   1, 1, 0, 1, 1, 0, 1, 1, 0, 0),
  group  = c(rep("a", 10), rep("b", 10)))
aml2 <- data.frame(time = aml$time, status = aml$status, group = as.character(aml$x))
emit <- function(name, d) {
  for (i in seq_len(nrow(d))) {
    cat(sprintf("data %s %s %.17g %d\n", name, d$group[i], d$time[i], d$status[i]))
  }
  fit <- survfit(Surv(time, status) ~ group, data = d, conf.type = "log-log")
  s <- summary(fit, censored = TRUE)
  strata <- sub("group=", "", as.character(s$strata))
  for (i in seq_along(s$time)) {
    cat(sprintf("step %s %s %.17g %d %d %d %.17g %.17g %.17g %.17g\n", name, strata[i],
                s$time[i], s$n.risk[i], s$n.event[i], s$n.censor[i], s$surv[i], s$std.err[i],
                ifelse(is.na(s$lower[i]), NaN, s$lower[i]), ifelse(is.na(s$upper[i]), NaN, s$upper[i])))
  }
  t <- summary(fit)$table
  for (i in seq_len(nrow(t))) {
    g <- sub("group=", "", rownames(t)[i])
    cat(sprintf("median %s %s %d %d %.17g %.17g %.17g\n", name, g, t[i, "records"], t[i, "events"],
                t[i, "median"], t[i, "0.95LCL"], t[i, "0.95UCL"]))
  }
  sd <- survdiff(Surv(time, status) ~ group, data = d)
  df <- length(sd$n) - 1
  cat(sprintf("logrank %s %.17g %d %.17g\n", name, sd$chisq, df, pchisq(sd$chisq, df, lower.tail = FALSE)))
}
emit("aml", aml2)
emit("ties", ties)

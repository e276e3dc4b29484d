# Regenerates the expected outputs of the msprog differential tests
# (tests/engine/msprog/msprog_differential_test.cc) by running msprog, the
# reference implementation of confirmed disability worsening (R package,
# Montobbio et al., Mult Scler 2024; github.com/noemimontobbio/msprog, CRAN).
#
# Run from the repository root, with msprog and dplyr installed (msprog from
# CRAN or its public source; dplyr/rlang from Debian's r-cran-* packages):
#   Rscript tests/engine/msprog/regenerate.R [LIBDIR]
# LIBDIR, when given, is searched first for the msprog package.
# Inputs: cohort_visits.csv and cohort_relapses.csv (generate_cohort.R).
# Outputs: settings.csv (one line per setting: its name, the measure, which
# relapse data it uses and the equivalent cotrack options as name=value pairs
# separated by ";") and expected/<setting>.csv (msprog's events, one line
# each; dates ISO, missing as empty).
args <- commandArgs(trailingOnly = TRUE)
if (length(args) > 0) .libPaths(c(args[1], .libPaths()))
suppressPackageStartupMessages(library(msprog))
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
if (length(here) == 0 || here == "") here <- "."
dir.create(file.path(here, "expected"), showWarnings = FALSE)

visits <- read.csv(file.path(here, "cohort_visits.csv"), stringsAsFactors = FALSE)
relapses_all <- read.csv(file.path(here, "cohort_relapses.csv"), stringsAsFactors = FALSE)
relapses_onset <- relapses_all[, c("id", "date")]

# name, measure, relapses ("onsets" or "ends"), cotrack options, msprog args.
S <- function(name, measure, rel, cotrack, ...) {
  list(name = name, measure = measure, rel = rel, cotrack = cotrack, args = list(...))
}
E <- "rule=msprog"  # msprog's compute_delta for EDSS
settings <- list(
  S("default", "EDSS", "onsets", E),
  S("multiple_fixed", "EDSS", "onsets", paste0(E, ";event=multiple"), event = "multiple"),
  S("multiple_roving", "EDSS", "onsets", paste0(E, ";event=multiple;baseline=roving"),
    event = "multiple", baseline = "roving"),
  S("multiple_roving_rawpira", "EDSS", "onsets",
    paste0(E, ";event=multiple;baseline=roving;raw-pira="),
    event = "multiple", baseline = "roving", RAW_PIRA = TRUE),
  S("firstcdw_rawpira", "EDSS", "onsets", paste0(E, ";raw-pira="), RAW_PIRA = TRUE),
  S("firstpira_fixed", "EDSS", "onsets", paste0(E, ";event=firstPIRA"), event = "firstPIRA"),
  S("firstpira_roving_wors", "EDSS", "onsets", paste0(E, ";event=firstPIRA;baseline=roving_wors"),
    event = "firstPIRA", baseline = "roving_wors"),
  S("firstraw_fixed", "EDSS", "onsets", paste0(E, ";event=firstRAW"), event = "firstRAW"),
  S("firstraw_roving", "EDSS", "onsets", paste0(E, ";event=firstRAW;baseline=roving"),
    event = "firstRAW", baseline = "roving"),
  S("firstcdi_roving_impr", "EDSS", "onsets", paste0(E, ";event=firstCDI;baseline=roving_impr"),
    event = "firstCDI", baseline = "roving_impr"),
  S("firstcdi_fixed", "EDSS", "onsets", paste0(E, ";event=firstCDI"), event = "firstCDI"),
  S("first_roving", "EDSS", "onsets", paste0(E, ";event=first;baseline=roving"),
    event = "first", baseline = "roving"),
  S("firstcdw_roving_impr", "EDSS", "onsets", paste0(E, ";baseline=roving_impr"),
    baseline = "roving_impr"),
  S("proceed_event", "EDSS", "onsets",
    paste0(E, ";event=multiple;baseline=roving;proceed-from=event"),
    event = "multiple", baseline = "roving", proceed_from = "event"),
  S("subthreshold_change", "EDSS", "onsets",
    paste0(E, ";event=multiple;baseline=roving;sub-threshold-rebl=change"),
    event = "multiple", baseline = "roving", sub_threshold_rebl = "change"),
  S("subthreshold_impr", "EDSS", "onsets",
    paste0(E, ";event=multiple;baseline=roving;sub-threshold-rebl=improvement"),
    event = "multiple", baseline = "roving", sub_threshold_rebl = "improvement"),
  S("subthreshold_wors_rovwors", "EDSS", "onsets",
    paste0(E, ";baseline=roving_wors;sub-threshold-rebl=worsening"),
    baseline = "roving_wors", sub_threshold_rebl = "worsening"),
  S("relapse_rebl", "EDSS", "onsets",
    paste0(E, ";event=multiple;raw-pira=;relapse-rebl="),
    event = "multiple", RAW_PIRA = TRUE, relapse_rebl = TRUE),
  S("relapse_rebl_blgeq", "EDSS", "onsets",
    paste0(E, ";event=multiple;raw-pira=;relapse-rebl=;bl-geq="),
    event = "multiple", RAW_PIRA = TRUE, relapse_rebl = TRUE, bl_geq = TRUE),
  S("relapse_rebl_firstpira", "EDSS", "onsets", paste0(E, ";event=firstPIRA;relapse-rebl="),
    event = "firstPIRA", relapse_rebl = TRUE),
  S("skip_extrema_strict", "EDSS", "onsets",
    paste0(E, ";event=multiple;baseline=roving;skip-local-extrema=strict"),
    event = "multiple", baseline = "roving", skip_local_extrema = "strict"),
  S("skip_extrema_all", "EDSS", "onsets",
    paste0(E, ";event=multiple;baseline=roving;skip-local-extrema=all;raw-pira="),
    event = "multiple", baseline = "roving", skip_local_extrema = "all", RAW_PIRA = TRUE),
  S("confirm_12_24", "EDSS", "onsets",
    paste0(E, ";event=multiple;baseline=roving;raw-pira=;confirm=12w,24w"),
    event = "multiple", baseline = "roving", RAW_PIRA = TRUE, conf_days = c(84, 168)),
  S("confirm_24_tol30", "EDSS", "onsets", paste0(E, ";event=multiple;confirm=24w;tolerance=30"),
    event = "multiple", conf_days = 168, conf_tol_days = 30),
  S("tolerance_inf", "EDSS", "onsets",
    paste0(E, ";event=multiple;baseline=roving;tolerance=14,inf"),
    event = "multiple", baseline = "roving", conf_tol_days = c(14, Inf)),
  S("sust_168", "EDSS", "onsets", paste0(E, ";event=multiple;require-sust-days=168"),
    event = "multiple", require_sust_days = 168),
  S("sust_inf", "EDSS", "onsets", paste0(E, ";event=multiple;baseline=roving;require-sust-days=inf"),
    event = "multiple", baseline = "roving", require_sust_days = Inf),
  S("sust_168_nointermediate", "EDSS", "onsets",
    paste0(E, ";event=multiple;require-sust-days=168;no-intermediate="),
    event = "multiple", require_sust_days = 168, check_intermediate = FALSE),
  S("no_intermediate", "EDSS", "onsets",
    paste0(E, ";event=multiple;baseline=roving;no-intermediate="),
    event = "multiple", baseline = "roving", check_intermediate = FALSE),
  S("relapse_windows", "EDSS", "onsets",
    paste0(E, ";event=multiple;raw-pira=;relapse-to-bl=30,30;relapse-to-event=30;",
           "relapse-to-conf=60,15;relapse-assoc=90,30"),
    event = "multiple", RAW_PIRA = TRUE, relapse_to_bl = c(30, 30), relapse_to_event = 30,
    relapse_to_conf = c(60, 15), relapse_assoc = c(90, 30)),
  S("relapse_off", "EDSS", "onsets",
    paste0(E, ";event=multiple;relapse-to-bl=0;relapse-to-conf=0"),
    event = "multiple", relapse_to_bl = 0, relapse_to_conf = 0),
  S("pira_high_specificity", "EDSS", "onsets",
    paste0(E, ";event=multiple;baseline=roving;raw-pira=;relapse-indep=0,null,null,null,null,0"),
    event = "multiple", baseline = "roving", RAW_PIRA = TRUE,
    relapse_indep = relapse_indep_from_bounds(0, NULL, NULL, NULL, NULL, 0)),
  S("pira_kappos_lastdelta", "EDSS", "onsets",
    paste0(E, ";event=multiple;baseline=roving;raw-pira=;",
           "relapse-indep=0,null,null,30,30,30,last_delta"),
    event = "multiple", baseline = "roving", RAW_PIRA = TRUE,
    relapse_indep = relapse_indep_from_bounds(0, NULL, NULL, 30, 30, 30, prec_type = "last_delta")),
  S("pira_last", "EDSS", "onsets",
    paste0(E, ";event=multiple;raw-pira=;relapse-indep=30,30,90,30,90,30,last"),
    event = "multiple", RAW_PIRA = TRUE,
    relapse_indep = relapse_indep_from_bounds(30, 30, 90, 30, 90, 30, prec_type = "last")),
  S("impute_last", "EDSS", "onsets", paste0(E, ";event=multiple;raw-pira=;impute-last-visit=1"),
    event = "multiple", RAW_PIRA = TRUE, impute_last_visit = 1),
  S("impute_last_730", "EDSS", "onsets", paste0(E, ";impute-last-visit=730"),
    impute_last_visit = 730),
  S("enddates_multiple", "EDSS", "ends", paste0(E, ";event=multiple;baseline=roving;raw-pira="),
    event = "multiple", baseline = "roving", RAW_PIRA = TRUE),
  # (event="firstPIRA" with end dates stops msprog 1.0 with "undefined columns selected".)
  S("enddates_firstcdw_rawpira", "EDSS", "ends", paste0(E, ";raw-pira="), RAW_PIRA = TRUE),
  S("enddates_event0", "EDSS", "ends",
    paste0(E, ";event=multiple;raw-pira=;relapse-to-bl=0;relapse-to-event=20"),
    event = "multiple", RAW_PIRA = TRUE, relapse_to_bl = 0, relapse_to_event = 20),
  S("sdmt_default", "SDMT", "onsets", "", outcome = "sdmt"),
  S("sdmt_multiple_roving", "SDMT", "onsets", "event=multiple;baseline=roving;raw-pira=",
    outcome = "sdmt", event = "multiple", baseline = "roving", RAW_PIRA = TRUE),
  S("sdmt_subthreshold", "SDMT", "onsets",
    "event=multiple;baseline=roving;sub-threshold-rebl=change;skip-local-extrema=strict",
    outcome = "sdmt", event = "multiple", baseline = "roving", sub_threshold_rebl = "change",
    skip_local_extrema = "strict"),
  # T25FW has one decimal: steps like 6.5 -> 5.2 (20 %) are a hair short in
  # binary floating point, where msprog compares exactly; cotrack's default
  # counts them (--threshold-slack, docs/PROGRESSION.md), so these settings
  # use --threshold-slack 0 to be msprog's bit for bit.
  S("t25fw_multiple_roving", "T25FW", "onsets",
    "event=multiple;baseline=roving;raw-pira=;threshold-slack=0",
    outcome = "t25fw", event = "multiple", baseline = "roving", RAW_PIRA = TRUE),
  S("t25fw_confirm_24w", "T25FW", "onsets",
    "event=multiple;confirm=24w;require-sust-days=90;threshold-slack=0",
    outcome = "t25fw", event = "multiple", conf_days = 168, require_sust_days = 90),
  S("custom_absolute", "EDSS", "onsets",
    "outcome=custom;delta=absolute:1;worsening=increase;event=multiple;baseline=roving",
    outcome = "custom", delta_fun = function(x) 1, worsening = "increase",
    event = "multiple", baseline = "roving"),
  S("custom_relative_decrease", "SDMT", "onsets",
    "outcome=custom;delta=relative:10:3;worsening=decrease;event=multiple",
    outcome = "custom", delta_fun = function(x) min(x / 10, 3), worsening = "decrease",
    event = "multiple")
)

fmt <- function(x) ifelse(is.na(x), "", format(x))
rows <- list()
for (s in settings) {
  rel <- if (s$rel == "ends") relapses_all else relapses_onset
  call_args <- c(list(data = visits, subj_col = "id", value_col = s$measure, date_col = "date",
                      relapse = rel, include_dates = TRUE, include_values = TRUE,
                      include_stable = FALSE, verbose = 0),
                 if (s$rel == "ends") list(renddate_col = "end_date") else list(),
                 s$args)
  if (is.null(call_args$outcome)) call_args$outcome <- "edss"
  out <- suppressWarnings(do.call(MSprog, call_args))
  r <- out$results
  conf_days <- if (is.null(s$args$conf_days)) 84 else s$args$conf_days
  res <- data.frame(
    id = r$id, nevent = r$nevent, event = r$event_type,
    type = if ("CDW_type" %in% names(r)) r$CDW_type else ifelse(r$event_type == "CDW", "undefined", ""),
    date = fmt(r$date), value = r$value, bl_date = fmt(r$bl_date), bl_value = r$bl_value,
    last_delta_date = fmt(r$last_delta_date),
    conf_dates = if (nrow(r) == 0) character(0) else
      apply(sapply(conf_days, function(cd) fmt(r[[paste0("conf", cd, "_date")]])), 1,
            paste, collapse = "|"),
    pira_conf_dates = if (nrow(r) == 0) character(0) else
      apply(sapply(conf_days, function(cd) {
        col <- paste0("PIRA_conf", cd, "_date")
        if (col %in% names(r)) fmt(r[[col]]) else rep("", nrow(r))
      }), 1, paste, collapse = "|"),
    time2event = r$time2event, bl2event = r$bl2event, sust_days = r$sust_days,
    sust_last = as.integer(r$sust_last), stringsAsFactors = FALSE)
  write.csv(res, file.path(here, "expected", paste0(s$name, ".csv")), row.names = FALSE,
            quote = FALSE)
  rows[[length(rows) + 1]] <- data.frame(setting = s$name, measure = s$measure,
                                         relapses = s$rel, options = s$cotrack)
}
write.csv(do.call(rbind, rows), file.path(here, "settings.csv"), row.names = FALSE, quote = FALSE)

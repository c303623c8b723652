# Reference values for yim.stats.meta.ml_influence: Cook's distance, DFBETAS and hat values of
# multilevel (rma.mv) fits, per effect size and per cluster, on dat.konstantopoulos2011 and
# dat.assink2016.
#
# Run from the repository root:
#   Rscript tests/stats/meta/reference/make_reference_ml_influence.R
# Produced with metafor 3.8-1 (Debian r-cran-metafor) and jsonlite; writes
# ml_influence_reference.json next to this script. Data: the CSV fixtures written by
# make_reference_multilevel.R.
#
# metafor: cooks.distance.rma.mv(), dfbetas.rma.mv() (both with reestimate = TRUE, the
# default, and reestimate = FALSE) and hatvalues.rma.mv(). metafor has no hat value per
# cluster; the per-cluster value stored here is the sum of the hat values of the cluster's
# effect sizes (the trace of the cluster's block of the hat matrix), computed with tapply().
#
# Optimiser precision: deletion statistics are differences b - b(-i) in the 3rd-4th
# significant digit of b, so they magnify optimiser error (see make_reference_bias.R). As
# there, the fits use BFGS at reltol = 1e-15, and the same statistics from nlm
# (gradtol = 1e-12) are stored too, to show the spread of metafor's own values.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "."
num <- function(x) if (is.null(x)) NULL else unname(as.numeric(x))

mv_bfgs <- list(optimizer = "optim", optmethod = "BFGS", reltol = 1e-15, maxit = 10000)
mv_nlm <- list(optimizer = "nlm", gradtol = 1e-12, steptol = 1e-14, iterlim = 1000)

kon <- read.csv(file.path(out_dir, "konstantopoulos2011.csv"))
ass <- read.csv(file.path(out_dir, "assink2016.csv"))

kfit <- function(control, year = FALSE) {
  if (year) {
    rma.mv(yi, vi, mods = ~ year, random = ~ 1 | district/school, data = kon, control = control)
  } else {
    rma.mv(yi, vi, random = ~ 1 | district/school, data = kon, control = control)
  }
}
afit <- function(control) {
  rma.mv(yi, vi, random = list(~ 1 | id, ~ 1 | study), data = ass, test = "t",
         control = control)
}

one_case <- function(fitter, cluster = NULL) {
  stats_for <- function(ctrl, reestimate = TRUE) {
    f <- fitter(ctrl)
    if (is.null(cluster)) {
      cd <- cooks.distance(f, reestimate = reestimate)
      db <- dfbetas(f, reestimate = reestimate)
    } else {
      cd <- cooks.distance(f, cluster = cluster, reestimate = reestimate)
      db <- dfbetas(f, cluster = cluster, reestimate = reestimate)
    }
    list(cook = num(cd), dfbetas = lapply(seq_len(ncol(db)), function(j) num(db[[j]])),
         ids = rownames(db))
  }
  f <- fitter(mv_bfgs)
  hat <- hatvalues(f)
  list(
    bfgs = stats_for(mv_bfgs), nlm = stats_for(mv_nlm),
    fixed = stats_for(mv_bfgs, reestimate = FALSE),
    hat = if (is.null(cluster)) num(hat) else num(tapply(hat, cluster, sum)),
    coef_names = rownames(f$beta), sigma2 = num(f$sigma2), beta = num(f$beta)
  )
}

ref <- list(
  metafor_version = as.character(packageVersion("metafor")),
  kon = one_case(function(ctrl) kfit(ctrl)),
  kon_district = one_case(function(ctrl) kfit(ctrl), kon$district),
  kon_year = one_case(function(ctrl) kfit(ctrl, year = TRUE)),
  kon_year_district = one_case(function(ctrl) kfit(ctrl, year = TRUE), kon$district),
  ass = one_case(afit),
  ass_study = one_case(afit, ass$study)
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path(out_dir, "ml_influence_reference.json"))

# Reference values for the trim-and-fill Q0 estimator (yim.stats.meta.trimfill) and for
# Fisher's fail-safe N as the installed metafor 3.8 computes it (fsn(test = "Fisher"), an
# undocumented option there; metafor >= 4 calls it pool = "fisher", see
# make_reference_failsafe.R).
#
# Run from the repository root with the installed (Debian) metafor:
#   Rscript tests/stats/meta/reference/make_reference_bias_extra.R
# Produced with metafor 3.8-1 and jsonlite; writes bias_extra_reference.json next to this
# script. Data and controls exactly as make_reference_bias.R (tight rma() controls, which
# trimfill() passes on to its refits through `...`).

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "."
tight <- list(threshold = 1e-12, maxiter = 1000)
num <- function(x) if (is.null(x)) NULL else unname(as.numeric(x))

molloy <- read.csv(file.path(out_dir, "molloy2014.csv"))
molloy <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = molloy)
bcg <- read.csv(file.path(out_dir, "bcg.csv"))
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
hack <- dat.hackshaw1998
hack <- data.frame(yi = as.numeric(hack$yi), vi = as.numeric(hack$vi))
datasets <- list(molloy2014 = molloy, bcg = bcg, hackshaw1998 = hack,
                 molloy2014_neg = data.frame(yi = -molloy$yi, vi = molloy$vi))

# ---- trim and fill, Q0 -------------------------------------------------------------------
tf_summary <- function(tf) {
  list(k0 = num(tf$k0), se_k0 = num(tf$se.k0), side = tf$side, p_k0 = num(tf$p.k0),
       yi = num(tf$yi), vi = num(tf$vi), fill = as.logical(tf$fill),
       beta = num(tf$beta), se = num(tf$se), zval = num(tf$zval), pval = num(tf$pval),
       ci_lb = num(tf$ci.lb), ci_ub = num(tf$ci.ub), tau2 = num(tf$tau2),
       QE = num(tf$QE), I2 = num(tf$I2), test = tf$test)
}
tf_case <- function(data, method, side = NULL, test = "z") {
  fit <- rma(yi, vi, data = datasets[[data]], method = method, test = test, control = tight)
  tf <- if (is.null(side)) {
    trimfill(fit, estimator = "Q0", control = tight)
  } else {
    trimfill(fit, estimator = "Q0", side = side, control = tight)
  }
  c(list(id = paste(data, method, test, "Q0", if (is.null(side)) "auto" else side, sep = "-"),
         data = data, method = method, test_in = test, estimator = "Q0",
         side_in = if (is.null(side)) NULL else side),
    tf_summary(tf))
}
trimfills <- list()
for (d in c("molloy2014", "molloy2014_neg", "bcg", "hackshaw1998")) {
  trimfills[[length(trimfills) + 1]] <- tf_case(d, "REML")
}
trimfills[[length(trimfills) + 1]] <- tf_case("molloy2014", "REML", side = "right")
trimfills[[length(trimfills) + 1]] <- tf_case("hackshaw1998", "EE")
trimfills[[length(trimfills) + 1]] <- tf_case("hackshaw1998", "DL")
trimfills[[length(trimfills) + 1]] <- tf_case("hackshaw1998", "REML", test = "knha")
trimfills[[length(trimfills) + 1]] <- tf_case("bcg", "DL", side = "left")

# ---- Fisher's fail-safe N, metafor 3.8 form -----------------------------------------------
fisher <- list()
for (d in c("molloy2014", "bcg", "hackshaw1998")) {
  for (alpha in c(0.05, 0.01, 0.1)) {
    r <- fsn(yi, vi, data = datasets[[d]], type = "Rosenthal", test = "Fisher", alpha = alpha)
    fisher[[length(fisher) + 1]] <- list(data = d, alpha = alpha, fsnum = num(r$fsnum),
                                         pval = num(r$pval))
  }
}

ref <- list(metafor_version = as.character(packageVersion("metafor")),
            trimfill_q0 = trimfills, fsn_fisher = fisher)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path(out_dir, "bias_extra_reference.json"))

# Reference values for yim.stats.meta.failsafe: fail-safe N with Fisher's method and the
# General approach (metafor >= 4), on dat.molloy2014, dat.bcg and dat.hackshaw1998.
#
# Needs metafor >= 4.0 (type = "General" and pool = "fisher" do not exist in 3.8; the Debian
# package is 3.8-1). The values in failsafe_reference.json were produced with metafor 5.1-12,
# installed from the upstream source into a private library and loaded from there:
#   R CMD INSTALL -l /tmp/Rlib-metafor5 <metafor source>
#   METAFOR_LIB=/tmp/Rlib-metafor5 Rscript tests/stats/meta/reference/make_reference_failsafe.R
# (METAFOR_LIB may be left unset when the default library already has metafor >= 4.)
# The data are the CSV fixtures of make_reference_twolevel.R; hackshaw1998 (no CSV) is taken
# from metadat, exactly as make_reference_bias.R stores it in bias_reference.json.
#
# Convergence: fsn() fits its rma() models with metafor's default controls (Fisher scoring
# stops when tau^2 moves by less than 1e-5), which leaves REML tau^2 on dat.molloy2014 about
# 1e-4 (relative) from the optimum — too far for a 1e-6 comparison, and enough to move N by
# one in some cases. fsn() has no control argument, so `fsn_tight` below is fsn() evaluated
# with an `rma` that adds the tight controls used by every other reference script
# (threshold 1e-12), nothing else changed; fsn() with its default controls is stored as well
# (`*_default_control`), to show what metafor prints out of the box. For the refitted
# ("exact") General approach metafor adds standardised random normal values; the fits depend
# on them only through their sum and sum of squares, which are fixed, so set.seed() merely
# makes the script repeatable.

lib <- Sys.getenv("METAFOR_LIB")
suppressPackageStartupMessages({
  if (nzchar(lib)) library(metafor, lib.loc = lib) else library(metafor)
  library(jsonlite)
})
if (packageVersion("metafor") < "4.0") stop("metafor >= 4.0 is needed (type='General')")

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "."
num <- function(x) if (is.null(x)) NULL else unname(as.numeric(x))

# fsn() and its helper .fsn.gen() with `rma` bound to a tightly controlled rma()
tight_env <- new.env(parent = asNamespace("metafor"))
tight_env$rma <- function(...) metafor::rma(..., control = list(threshold = 1e-12, maxiter = 1000))
fsn_tight <- fsn
environment(fsn_tight) <- tight_env
tight_env$.fsn.gen <- get(".fsn.gen", asNamespace("metafor"))
environment(tight_env$.fsn.gen) <- tight_env

molloy <- read.csv(file.path(out_dir, "molloy2014.csv"))
molloy <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = molloy)
bcg <- read.csv(file.path(out_dir, "bcg.csv"))
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
hack <- dat.hackshaw1998
hack <- data.frame(yi = as.numeric(hack$yi), vi = as.numeric(hack$vi))
datasets <- list(molloy2014 = molloy, bcg = bcg, hackshaw1998 = hack)

pick <- function(r) {
  list(fsnum = num(r$fsnum), pval = num(r$pval), est = num(r$est), tau2 = num(r$tau2),
       target = num(r$target), est_fsn = num(r$est.fsn), tau2_fsn = num(r$tau2.fsn),
       pval_fsn = num(r$pval.fsn), ub_sign = r$ub.sign)
}

# ---- Fisher -------------------------------------------------------------------------------------
fisher <- list()
for (d in names(datasets)) {
  for (alpha in c(0.05, 0.01, 0.1)) {
    dd <- datasets[[d]]
    r <- fsn(dd$yi, dd$vi, pool = "fisher", alpha = alpha)
    # metafor 3.8's fsn(test = "Fisher") searched the interval (0, 1000)
    r38 <- fsn(dd$yi, dd$vi, pool = "fisher", alpha = alpha, interval = c(0, 1000))
    fisher[[length(fisher) + 1]] <- c(list(data = d, alpha = alpha), pick(r),
                                      list(fsnum_interval_1000 = num(r38$fsnum)))
  }
}

# ---- General -------------------------------------------------------------------------------------
general <- list()
gen_case <- function(data, method = "REML", test = "z", target = NULL, alpha = 0.05,
                     exact = FALSE, tau2 = NULL, mumiss = 0) {
  dd <- datasets[[data]]
  fit <- if (is.null(tau2)) {
    rma(yi, vi, data = dd, method = method, test = test)
  } else {
    rma(yi, vi, data = dd, method = method, test = test, tau2 = tau2)
  }
  run <- function(f) {
    set.seed(1234)
    tryCatch(if (is.null(target)) {
      f(fit, alpha = alpha, exact = exact, mumiss = mumiss)
    } else {
      f(fit, alpha = alpha, exact = exact, target = target, mumiss = mumiss)
    }, error = function(e) e)
  }
  r <- run(fsn_tight)
  r_default <- run(fsn)
  # a case metafor cannot compute is kept with its error message (yim must refuse it too)
  out <- if (inherits(r, "error")) {
    list(error = conditionMessage(r))
  } else {
    c(pick(r), list(fsnum_default_control = num(r_default$fsnum),
                    est_fsn_default_control = num(r_default$est.fsn)))
  }
  c(list(id = paste(data, method, test, if (is.null(target)) "p" else target, alpha,
                    if (exact) "exact" else "approx", if (is.null(tau2)) "free" else tau2,
                    mumiss, sep = "-"),
         data = data, method = method, test = test, target_in = target, alpha = alpha,
         exact = exact, tau2_in = tau2, mumiss = mumiss),
    out)
}
for (d in names(datasets)) {
  general[[length(general) + 1]] <- gen_case(d)
  general[[length(general) + 1]] <- gen_case(d, alpha = 0.01)
  general[[length(general) + 1]] <- gen_case(d, exact = TRUE)
  general[[length(general) + 1]] <- gen_case(d, test = "knha")
  general[[length(general) + 1]] <- gen_case(d, method = "DL")
  general[[length(general) + 1]] <- gen_case(d, method = "EE")
}
general[[length(general) + 1]] <- gen_case("molloy2014", target = 0.05)
general[[length(general) + 1]] <- gen_case("molloy2014", target = 0.1, exact = TRUE)
general[[length(general) + 1]] <- gen_case("molloy2014", target = -0.05)
general[[length(general) + 1]] <- gen_case("bcg", target = -0.2)
general[[length(general) + 1]] <- gen_case("bcg", target = 0.3, method = "DL")
general[[length(general) + 1]] <- gen_case("hackshaw1998", target = 0.1)
general[[length(general) + 1]] <- gen_case("hackshaw1998", target = 0.1, test = "knha")
general[[length(general) + 1]] <- gen_case("molloy2014", tau2 = 0.01)
general[[length(general) + 1]] <- gen_case("bcg", mumiss = -0.1)
general[[length(general) + 1]] <- gen_case("molloy2014", target = 0)
general[[length(general) + 1]] <- gen_case("hackshaw1998", target = 0.5)

ref <- list(metafor_version = as.character(packageVersion("metafor")),
            fisher = fisher, general = general)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path(out_dir, "failsafe_reference.json"))

# Reference values for yim.stats.meta.bias and yim.stats.meta.diagnostics
# (publication-bias tests, trim-and-fill, fail-safe N, leave-one-out, influence, Cook's distance).
#
# Run from the repository root:
#   Rscript tests/stats/meta/reference/make_reference_bias.R
# Produced with metafor 3.8-1 (Debian r-cran-metafor) and jsonlite. Writes bias_reference.json
# next to this script. The data sets are the CSV fixtures written by make_reference_twolevel.R
# and make_reference_multilevel.R, read back here so R and Python see the same numbers;
# dat.hackshaw1998 (no CSV fixture) is stored in the JSON itself (yi, vi).
#
# Convergence: as in make_reference_twolevel.R, every rma() fit uses tight controls
# (threshold 1e-12) so that tau^2 is accurate far beyond the 1e-6 comparison tolerance;
# regtest(), trimfill(), leave1out() and influence() reuse the fit's control list (trimfill()
# receives it through `...`). rma.mv() fits (multilevel Egger) use the default nlminb controls
# (tighter rel.tol makes nlminb report non-convergence on these data); see test_diagnostics.py.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "."

tight <- list(threshold = 1e-12, maxiter = 1000)
mv_default <- list()  # default nlminb controls (see header)
# Cook's distances differ from the full fit only in the 3rd-4th significant digit of beta, so they
# magnify optimiser error: with default nlminb controls metafor's own values move by up to 1e-3
# (relative) between optimisers. They are therefore computed with BFGS at reltol = 1e-15, and
# the same deletions with nlm (gradtol 1e-12) are stored too, to show the reference's own spread.
mv_bfgs <- list(optimizer = "optim", optmethod = "BFGS", reltol = 1e-15, maxit = 10000)
mv_nlm <- list(optimizer = "nlm", gradtol = 1e-12, steptol = 1e-14, iterlim = 1000)
num <- function(x) if (is.null(x)) NULL else unname(as.numeric(x))

# ---- data --------------------------------------------------------------------------------
molloy <- read.csv(file.path(out_dir, "molloy2014.csv"))
molloy <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = molloy)
bcg <- read.csv(file.path(out_dir, "bcg.csv"))
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
hack <- dat.hackshaw1998
hack <- data.frame(yi = as.numeric(hack$yi), vi = as.numeric(hack$vi))
kon <- read.csv(file.path(out_dir, "konstantopoulos2011.csv"))
ass <- read.csv(file.path(out_dir, "assink2016.csv"))

datasets <- list(molloy2014 = molloy, bcg = bcg, hackshaw1998 = hack,
                 molloy2014_neg = data.frame(yi = -molloy$yi, vi = molloy$vi))

fit_uni <- function(data, method = "REML", test = "z", mods = NULL) {
  if (is.null(mods)) {
    rma(yi, vi, data = data, method = method, test = test, control = tight)
  } else {
    rma(yi, vi, mods = mods, data = data, method = method, test = test, control = tight)
  }
}

# ---- regression tests (Egger) ------------------------------------------------------------
reg_summary <- function(r) {
  list(stat = num(r$zval), pval = num(r$pval), ddf = if (all(is.na(r$ddf))) NULL else num(r$ddf)[1],
       est = num(r$est), ci_lb = num(r$ci.lb), ci_ub = num(r$ci.ub))
}
regtests <- list()
reg_case <- function(id, data, method, test, mods = NULL, model = "rma", predictor = "sei") {
  fit <- fit_uni(datasets[[data]], method, test, mods)
  r <- regtest(fit, model = model, predictor = predictor)
  c(list(id = id, data = data, method = method, test = test,
         mods = if (is.null(mods)) NULL else deparse(mods), model = model, predictor = predictor),
    reg_summary(r))
}
regtests[[1]] <- reg_case("molloy-REML-z-rma-sei", "molloy2014", "REML", "z")
regtests[[2]] <- reg_case("molloy-REML-z-lm-sei", "molloy2014", "REML", "z", model = "lm")
regtests[[3]] <- reg_case("molloy-REML-z-rma-vi", "molloy2014", "REML", "z", predictor = "vi")
regtests[[4]] <- reg_case("molloy-REML-knha-rma-sei", "molloy2014", "REML", "knha")
regtests[[5]] <- reg_case("molloy-DL-t-rma-sei", "molloy2014", "DL", "t")
regtests[[6]] <- reg_case("molloy-EE-z-rma-sei", "molloy2014", "EE", "z")
regtests[[7]] <- reg_case("bcg-REML-z-rma-sei", "bcg", "REML", "z")
regtests[[8]] <- reg_case("bcg-REML-z-lm-sei", "bcg", "REML", "z", model = "lm")
regtests[[9]] <- reg_case("bcg-ablat-REML-z-rma-sei", "bcg", "REML", "z", mods = ~ ablat)
regtests[[10]] <- reg_case("bcg-ablat-REML-z-lm-sei", "bcg", "REML", "z", mods = ~ ablat,
                           model = "lm")
regtests[[11]] <- reg_case("bcg-ablat-REML-knha-rma-sei", "bcg", "REML", "knha", mods = ~ ablat)
regtests[[12]] <- reg_case("hackshaw-REML-z-rma-sei", "hackshaw1998", "REML", "z")

# ---- rank correlation test ---------------------------------------------------------------
ranktests <- list()
for (d in c("molloy2014", "bcg", "hackshaw1998")) {
  r <- suppressWarnings(ranktest(fit_uni(datasets[[d]])))
  ranktests[[d]] <- list(tau = num(r$tau), pval = num(r$pval))
}

# ---- trim and fill -----------------------------------------------------------------------
tf_summary <- function(tf) {
  list(k0 = num(tf$k0), se_k0 = num(tf$se.k0), side = tf$side, p_k0 = num(tf$p.k0),
       yi = num(tf$yi), vi = num(tf$vi), fill = as.logical(tf$fill),
       beta = num(tf$beta), se = num(tf$se), zval = num(tf$zval), pval = num(tf$pval),
       ci_lb = num(tf$ci.lb), ci_ub = num(tf$ci.ub), tau2 = num(tf$tau2),
       QE = num(tf$QE), I2 = num(tf$I2), test = tf$test)
}
trimfills <- list()
tf_case <- function(data, method, estimator, side = NULL, test = "z") {
  fit <- fit_uni(datasets[[data]], method, test)
  tf <- if (is.null(side)) {
    trimfill(fit, estimator = estimator, control = tight)
  } else {
    trimfill(fit, estimator = estimator, side = side, control = tight)
  }
  c(list(id = paste(data, method, test, estimator, if (is.null(side)) "auto" else side, sep = "-"),
         data = data, method = method, test_in = test, estimator = estimator,
         side_in = if (is.null(side)) NULL else side),
    tf_summary(tf))
}
for (d in c("molloy2014", "molloy2014_neg", "bcg", "hackshaw1998")) {
  for (est in c("L0", "R0")) {
    trimfills[[length(trimfills) + 1]] <- tf_case(d, "REML", est)
  }
}
trimfills[[length(trimfills) + 1]] <- tf_case("molloy2014", "REML", "L0", side = "right")
trimfills[[length(trimfills) + 1]] <- tf_case("hackshaw1998", "EE", "L0")
trimfills[[length(trimfills) + 1]] <- tf_case("hackshaw1998", "DL", "R0")
trimfills[[length(trimfills) + 1]] <- tf_case("hackshaw1998", "REML", "L0", test = "knha")

# ---- fail-safe N -------------------------------------------------------------------------
fsns <- list()
fsn_case <- function(data, type, target = NULL, weighted = FALSE, alpha = 0.05) {
  dd <- datasets[[data]]
  r <- if (is.null(target)) {
    fsn(yi, vi, data = dd, type = type, weighted = weighted, alpha = alpha)
  } else {
    fsn(yi, vi, data = dd, type = type, target = target, weighted = weighted, alpha = alpha)
  }
  list(data = data, type = type, target_in = target, weighted = weighted, alpha = alpha,
       fsnum = num(r$fsnum), pval = num(r$pval), meanes = num(r$meanes), target = num(r$target))
}
for (d in c("molloy2014", "bcg", "hackshaw1998")) {
  fsns[[length(fsns) + 1]] <- fsn_case(d, "Rosenthal")
  fsns[[length(fsns) + 1]] <- fsn_case(d, "Orwin")
  fsns[[length(fsns) + 1]] <- fsn_case(d, "Rosenberg")
}
fsns[[length(fsns) + 1]] <- fsn_case("molloy2014", "Orwin", target = 0.05)
fsns[[length(fsns) + 1]] <- fsn_case("molloy2014", "Orwin", target = 0.05, weighted = TRUE)
fsns[[length(fsns) + 1]] <- fsn_case("bcg", "Orwin", target = 0.2)
fsns[[length(fsns) + 1]] <- fsn_case("molloy2014", "Rosenthal", alpha = 0.01)

# ---- leave-one-out -----------------------------------------------------------------------
l1o <- list()
l1o_case <- function(data, method, test) {
  r <- leave1out(fit_uni(datasets[[data]], method, test))
  list(id = paste(data, method, test, sep = "-"), data = data, method = method, test = test,
       estimate = num(r$estimate), se = num(r$se), stat = num(r[[3]]), pval = num(r$pval),
       ci_lb = num(r$ci.lb), ci_ub = num(r$ci.ub), Q = num(r$Q), Qp = num(r$Qp),
       tau2 = num(r$tau2), I2 = num(r$I2), H2 = num(r$H2))
}
l1o[[1]] <- l1o_case("molloy2014", "REML", "z")
l1o[[2]] <- l1o_case("bcg", "REML", "z")
l1o[[3]] <- l1o_case("bcg", "DL", "knha")
l1o[[4]] <- l1o_case("molloy2014", "EE", "z")

# ---- influence ---------------------------------------------------------------------------
infl <- list()
infl_case <- function(data, method, test, mods = NULL) {
  r <- influence(fit_uni(datasets[[data]], method, test, mods))
  c(list(id = paste(data, if (is.null(mods)) "1" else deparse(mods), method, test, sep = "-"),
         data = data, method = method, test = test,
         mods = if (is.null(mods)) NULL else deparse(mods)),
    sapply(c("rstudent", "dffits", "cook.d", "cov.r", "tau2.del", "QE.del", "hat", "weight"),
           function(n) num(r$inf[[n]]), simplify = FALSE),
    list(inf = r$inf[["inf"]] == "*",
         dfbs = lapply(seq_len(r$p), function(j) num(r$dfbs[[j]]))))
}
infl[[1]] <- infl_case("molloy2014", "REML", "z")
infl[[2]] <- infl_case("bcg", "REML", "z")
infl[[3]] <- infl_case("bcg", "REML", "z", mods = ~ ablat)
infl[[4]] <- infl_case("bcg", "REML", "knha", mods = ~ ablat)
infl[[5]] <- infl_case("molloy2014", "EE", "z")

# ---- PET and PEESE -----------------------------------------------------------------------
pp <- list()
for (d in c("molloy2014", "bcg", "hackshaw1998")) {
  for (test in c("z", "knha")) {
    pet <- rma(yi, vi, mods = ~ sqrt(vi), data = datasets[[d]], test = test, control = tight)
    peese <- rma(yi, vi, mods = ~ vi, data = datasets[[d]], test = test, control = tight)
    pick <- function(f) list(beta = num(f$beta), se = num(f$se), stat = num(f$zval),
                             pval = num(f$pval), ci_lb = num(f$ci.lb), ci_ub = num(f$ci.ub),
                             tau2 = num(f$tau2))
    pp[[length(pp) + 1]] <- list(data = d, test = test, pet = pick(pet), peese = pick(peese))
  }
}

# ---- multilevel: Egger-type test and Cook's distance -------------------------------------
kfit <- function(mods = NULL, test = "z", control = mv_default) {
  if (is.null(mods)) {
    rma.mv(yi, vi, random = ~ 1 | district/school, data = kon, test = test, control = control)
  } else {
    rma.mv(yi, vi, mods = mods, random = ~ 1 | district/school, data = kon, test = test,
           control = control)
  }
}
afit <- function(mods = NULL, test = "t", control = mv_default) {
  if (is.null(mods)) {
    rma.mv(yi, vi, random = list(~ 1 | id, ~ 1 | study), data = ass, test = test,
           control = control)
  } else {
    rma.mv(yi, vi, mods = mods, random = list(~ 1 | id, ~ 1 | study), data = ass,
           test = test, control = control)
  }
}
coef_row <- function(f, j) {
  list(name = rownames(f$beta)[j], beta = num(f$beta[j]), se = num(f$se[j]),
       stat = num(f$zval[j]), pval = num(f$pval[j]), ci_lb = num(f$ci.lb[j]),
       ci_ub = num(f$ci.ub[j]), ddf = if (all(is.na(f$ddf))) NULL else num(f$ddf[j]),
       intercept = num(f$beta[1]), intercept_ci_lb = num(f$ci.lb[1]),
       intercept_ci_ub = num(f$ci.ub[1]), sigma2 = num(f$sigma2))
}
ml_egger <- list(
  kon_z = coef_row(kfit(~ sqrt(vi), "z"), 2),
  kon_t = coef_row(kfit(~ sqrt(vi), "t"), 2),
  kon_year_z = coef_row(kfit(~ year + sqrt(vi), "z"), 3),
  ass_t = coef_row(afit(~ sqrt(vi), "t"), 2)
)

cook_pair <- function(fitter, cluster = NULL) {
  one <- function(ctrl) {
    f <- fitter(ctrl)
    num(if (is.null(cluster)) cooks.distance(f) else cooks.distance(f, cluster = cluster))
  }
  list(bfgs = one(mv_bfgs), nlm = one(mv_nlm))
}
cooks <- list(
  kon = cook_pair(function(ctrl) kfit(control = ctrl)),
  kon_district = cook_pair(function(ctrl) kfit(control = ctrl), kon$district),
  kon_district_ids = sort(unique(kon$district)),
  kon_year = cook_pair(function(ctrl) kfit(~ year, control = ctrl)),
  ass = cook_pair(function(ctrl) afit(control = ctrl)),
  ass_study = cook_pair(function(ctrl) afit(control = ctrl), ass$study),
  ass_study_ids = sort(unique(ass$study))
)

ref <- list(
  metafor_version = as.character(packageVersion("metafor")),
  hackshaw1998 = list(yi = hack$yi, vi = hack$vi),
  regtest = regtests, ranktest = ranktests, trimfill = trimfills, fsn = fsns,
  leave1out = l1o, influence = infl, pet_peese = pp, ml_egger = ml_egger, cooks = cooks
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path(out_dir, "bias_reference.json"))

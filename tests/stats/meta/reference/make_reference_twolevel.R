# Reference values for yim.stats.meta part A (effect sizes, design matrices, two-level models).
#
# Run from the repository root:
#   Rscript tests/stats/meta/reference/make_reference_twolevel.R
# Produced with metafor 3.8-1 (Debian r-cran-metafor) and jsonlite.
#
# Writes, next to this script:
#   molloy2014.csv, bcg.csv, normand1999.csv   the data sets, so tests run without R
#   homogeneous.csv                            a made-up homogeneous set (tau^2 on the boundary)
#   escalc_reference.json                      effect sizes (ZCOR, COR, SMD, MD, RR, OR, RD)
#   twolevel_reference.json                    rma() fits, confint(), predict(), R^2
#
# Convergence: metafor's defaults stop Fisher scoring when tau^2 changes by < 1e-5 and
# uniroot() (PM, Q-profile and PL CIs) at tol = .Machine$double.eps^0.25 (~1.2e-4). Those
# tolerances are too loose to compare at 1e-6, so every fit here is run with tight controls
# (threshold 1e-12, uniroot tol 1e-12). The default-control tau^2 is stored too
# ("tau2_default_control") so the size of metafor's own convergence error can be seen.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "."

tight <- list(threshold = 1e-12, maxiter = 1000, tol = 1e-12)
ci_tight <- list(tol = 1e-12, maxiter = 10000)

num <- function(x) if (is.null(x)) NULL else unname(as.numeric(x))

# ---- data fixtures ----------------------------------------------------------------------
write.csv(dat.molloy2014, file.path(out_dir, "molloy2014.csv"), row.names = FALSE)
write.csv(dat.bcg, file.path(out_dir, "bcg.csv"), row.names = FALSE)
write.csv(dat.normand1999, file.path(out_dir, "normand1999.csv"), row.names = FALSE)

# ---- effect sizes -----------------------------------------------------------------------
es <- list()
z <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
es$ZCOR <- list(yi = num(z$yi), vi = num(z$vi))
r <- escalc(measure = "COR", ri = ri, ni = ni, data = dat.molloy2014)
es$COR <- list(yi = num(r$yi), vi = num(r$vi))
s <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i,
            n2i = n2i, data = dat.normand1999)
es$SMD <- list(yi = num(s$yi), vi = num(s$vi))
m <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i,
            n2i = n2i, data = dat.normand1999)
es$MD <- list(yi = num(m$yi), vi = num(m$vi))
for (meas in c("RR", "OR", "RD")) {
  e <- escalc(measure = meas, ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
  es[[meas]] <- list(yi = num(e$yi), vi = num(e$vi))
}
# 2x2 tables with zero cells: the 0.5 correction goes only to rows with a zero (to="only0")
zero_tab <- data.frame(ai = c(0, 5, 12, 3), bi = c(20, 15, 30, 0),
                       ci = c(4, 0, 10, 6), di = c(16, 25, 32, 14))
es$zero_cells <- list(ai = zero_tab$ai, bi = zero_tab$bi, ci = zero_tab$ci, di = zero_tab$di)
for (meas in c("RR", "OR", "RD")) {
  e <- escalc(measure = meas, ai = ai, bi = bi, ci = ci, di = di, data = zero_tab)
  es$zero_cells[[meas]] <- list(yi = num(e$yi), vi = num(e$vi))
}
write_json(es, file.path(out_dir, "escalc_reference.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE)

# ---- two-level models -------------------------------------------------------------------
molloy <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)

fit_record <- function(res, data_name, mods_label, method, test) {
  out <- list(
    data = data_name, mods = mods_label, method = method, test = test,
    coef_names = rownames(res$beta),
    X = unname(lapply(seq_len(nrow(res$X)), function(i) num(res$X[i, ]))),
    b = num(res$beta), se = num(res$se), zval = num(res$zval), pval = num(res$pval),
    ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub),
    tau2 = num(res$tau2), se_tau2 = num(res$se.tau2),
    QE = num(res$QE), QEp = num(res$QEp), k = res$k, p = res$p,
    I2 = num(res$I2), H2 = num(res$H2),
    QM = num(res$QM), QMp = num(res$QMp), QMdf = num(res$QMdf),
    s2w = num(res$s2w),
    ll_ML = num(res$fit.stats["ll", "ML"]), ll_REML = num(res$fit.stats["ll", "REML"]),
    R2 = if (is.null(res$R2)) NULL else num(res$R2)
  )
  out
}

fits <- list()
add_fit <- function(rec) fits[[length(fits) + 1]] <<- rec

methods_all <- c("EE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
for (meth in methods_all) {
  for (tst in c("z", "t", "knha", "adhoc")) {
    res <- suppressWarnings(rma(yi, vi, data = molloy, method = meth, test = tst,
                                control = tight))
    rec <- fit_record(res, "molloy2014", NULL, meth, tst)
    res_def <- suppressWarnings(rma(yi, vi, data = molloy, method = meth, test = tst))
    rec$tau2_default_control <- num(res_def$tau2)
    if (meth != "EE") {
      qp <- confint(res, type = "QP", control = ci_tight)
      rec$tau2_ci_QP <- num(qp$random["tau^2", c("ci.lb", "ci.ub")])
      rec$I2_ci_QP <- num(qp$random["I^2(%)", c("ci.lb", "ci.ub")])
      if (meth %in% c("ML", "REML")) {
        pl <- confint(res, type = "PL", control = ci_tight)
        rec$tau2_ci_PL <- num(pl$random["tau^2", c("ci.lb", "ci.ub")])
      }
    }
    pr <- predict(res)
    rec$pred <- list(pred = num(pr$pred), se = num(pr$se), ci_lb = num(pr$ci.lb),
                     ci_ub = num(pr$ci.ub), pi_lb = num(pr$pi.lb), pi_ub = num(pr$pi.ub))
    prt <- predict(res, transf = transf.ztor)
    rec$pred_ztor <- list(pred = num(prt$pred), ci_lb = num(prt$ci.lb), ci_ub = num(prt$ci.ub),
                          pi_lb = num(prt$pi.lb), pi_ub = num(prt$pi.ub))
    add_fit(rec)
  }
}

bcg_mods <- list(
  "ablat" = ~ablat,
  "factor(alloc)" = ~factor(alloc),
  "ablat + year" = ~ablat + year,
  "factor(alloc) - 1" = ~factor(alloc) - 1
)
for (lab in names(bcg_mods)) {
  for (meth in c("REML", "DL", "ML", "EE")) {
    for (tst in c("z", "t", "knha", "adhoc")) {
      res <- suppressWarnings(rma(yi, vi, mods = bcg_mods[[lab]], data = bcg, method = meth,
                                  test = tst, control = tight))
      rec <- fit_record(res, "bcg", lab, meth, tst)
      if (meth != "EE") {
        qp <- confint(res, type = "QP", control = ci_tight)
        rec$tau2_ci_QP <- num(qp$random["tau^2", c("ci.lb", "ci.ub")])
        if (meth %in% c("ML", "REML")) {
          pl <- confint(res, type = "PL", control = ci_tight)
          rec$tau2_ci_PL <- num(pl$random["tau^2", c("ci.lb", "ci.ub")])
        }
      }
      add_fit(rec)
    }
  }
}
# intercept-only bcg fits (the null models behind pseudo-R^2)
for (meth in c("REML", "DL", "ML")) {
  res <- rma(yi, vi, data = bcg, method = meth, control = tight)
  rec <- fit_record(res, "bcg", NULL, meth, "z")
  qp <- confint(res, type = "QP", control = ci_tight)
  rec$tau2_ci_QP <- num(qp$random["tau^2", c("ci.lb", "ci.ub")])
  add_fit(rec)
}

# a homogeneous toy data set: tau^2 estimates sit on the boundary 0
homog <- data.frame(yi = c(0.10, 0.12, 0.09, 0.11, 0.14, 0.08),
                    vi = c(0.010, 0.020, 0.015, 0.012, 0.030, 0.011))
for (meth in c("DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")) {
  res <- rma(yi, vi, data = homog, method = meth, control = tight)
  rec <- fit_record(res, "homogeneous", NULL, meth, "z")
  qp <- confint(res, type = "QP", control = ci_tight)
  rec$tau2_ci_QP <- num(qp$random["tau^2", c("ci.lb", "ci.ub")])
  add_fit(rec)
}
write.csv(homog, file.path(out_dir, "homogeneous.csv"), row.names = FALSE)

write_json(list(metafor_version = as.character(packageVersion("metafor")), fits = fits),
           file.path(out_dir, "twolevel_reference.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE, null = "null", na = "null")
cat("wrote", length(fits), "fits to", out_dir, "\n")

# Reference values for yim.stats.meta.multilevel / robust (three-level and nested models).
#
# Run from the repository root:
#   Rscript tests/stats/meta/reference/make_reference_multilevel.R
# Needs metafor (3.8-1 used), clubSandwich (0.5.8) and jsonlite (Debian: r-cran-metafor,
# r-cran-clubsandwich, r-cran-jsonlite). Writes multilevel_reference.json and the CSV fixtures
# konstantopoulos2011.csv / assink2016.csv next to this script, so the tests never need R.
suppressMessages({
  library(metafor)
  library(clubSandwich)
  library(jsonlite)
})

out_dir <- "tests/stats/meta/reference"

kon <- dat.konstantopoulos2011
ass <- dat.assink2016
write.csv(data.frame(kon), file.path(out_dir, "konstantopoulos2011.csv"), row.names = FALSE)
write.csv(ass, file.path(out_dir, "assink2016.csv"), row.names = FALSE)

# Profile-likelihood CIs: metafor's default uniroot tolerance is eps^0.25 (~1.2e-4), far too
# coarse for 1e-6 comparisons, so tighten it (the optimiser inside the profile is tightened too).
ci_control <- list(tol = 1e-10)
opt_control <- list()

i2_pmatrix <- function(fit) {
  W <- diag(1 / fit$vi)
  X <- model.matrix(fit)
  P <- W - W %*% X %*% solve(t(X) %*% W %*% X) %*% t(X) %*% W
  100 * fit$sigma2 / (sum(fit$sigma2) + (fit$k - fit$p) / sum(diag(P)))
}

i2_aw <- function(fit) {
  w <- 1 / fit$vi
  k <- fit$k
  s2 <- (k - 1) * sum(w) / (sum(w)^2 - sum(w^2))
  total <- sum(fit$sigma2) + s2
  list(level1 = 100 * s2 / total, levels = 100 * fit$sigma2 / total, typical_v = s2)
}

lrts <- function(fit, refit) {
  res <- list()
  for (j in seq_along(fit$sigma2)) {
    fixed <- rep(NA, length(fit$sigma2))
    fixed[j] <- 0
    red <- refit(fixed)
    a <- anova(fit, red)
    res[[j]] <- list(LRT = a$LRT, pval = a$pval, pval_half = a$pval / 2,
                     ll_reduced = as.numeric(logLik(red)))
  }
  res
}

summarise <- function(fit, refit = NULL, ci = TRUE) {
  r <- list(
    beta = as.numeric(fit$beta), se = fit$se, zval = fit$zval, pval = fit$pval,
    ci_lb = fit$ci.lb, ci_ub = fit$ci.ub, names = rownames(fit$beta),
    ddf = if (is.null(fit$ddf) || all(is.na(fit$ddf))) NULL else as.numeric(fit$ddf),
    sigma2 = fit$sigma2, k = fit$k, p = fit$p,
    QE = fit$QE, QEp = fit$QEp, QM = fit$QM, QMp = fit$QMp, QMdf = as.numeric(fit$QMdf),
    ll = as.numeric(fit$fit.stats["ll", fit$method]),
    dev = as.numeric(fit$fit.stats["dev", fit$method]),
    AIC = as.numeric(fit$fit.stats["AIC", fit$method]),
    BIC = as.numeric(fit$fit.stats["BIC", fit$method]),
    AICc = as.numeric(fit$fit.stats["AICc", fit$method]),
    I2_pmatrix = i2_pmatrix(fit), I2_aw = i2_aw(fit)
  )
  if (ci) {
    cis <- confint(fit, control = ci_control)
    cis <- if (length(fit$sigma2) == 1) list(cis) else cis[seq_along(fit$sigma2)]
    r$sigma2_ci <- lapply(cis, function(x) list(lb = x$random[1, 2], ub = x$random[1, 3]))
  }
  if (!is.null(refit)) r$lrt <- lrts(fit, refit)
  r
}

cr1 <- function(fit, cluster) {
  rb <- robust(fit, cluster = cluster)
  list(beta = as.numeric(rb$beta), se = rb$se, tval = rb$zval, pval = rb$pval,
       ci_lb = rb$ci.lb, ci_ub = rb$ci.ub, df = as.numeric(rb$ddf[1]),
       QM = rb$QM, QMdf = as.numeric(rb$QMdf), QMp = rb$QMp,
       vcov = unname(as.matrix(rb$vb)))
}

cr2 <- function(fit, cluster, wald = list()) {
  V <- vcovCR(fit, cluster = cluster, type = "CR2")
  ct <- coef_test(fit, vcov = V, test = "Satterthwaite")
  r <- list(vcov = unname(as.matrix(V)), beta = ct$beta, se = ct$SE, tstat = ct$tstat,
            df = ct$df_Satt, pval = ct$p_Satt)
  r$wald <- lapply(wald, function(idx) {
    w <- Wald_test(fit, constraints = constrain_zero(idx), vcov = V, test = "HTZ")
    list(index = idx, Fstat = w$Fstat, delta = w$delta, df_num = w$df_num,
         df_denom = w$df_denom, pval = w$p_val)
  })
  r
}

# nlminb with rel.tol = 1e-12 occasionally reports "false convergence" near a boundary;
# then fall back to metafor's default optimiser settings (and say so on stderr).
fit_tight <- function(args) {
  tryCatch(do.call(rma.mv, args), error = function(e) {
    message("falling back to default control: ", conditionMessage(e))
    args$control <- NULL
    do.call(rma.mv, args)
  })
}

ref <- list(metafor = as.character(packageVersion("metafor")),
            clubSandwich = as.character(packageVersion("clubSandwich")))

# ---- dat.konstantopoulos2011: districts / schools ----------------------------------------
kfit <- function(method = "REML", mods = NULL, test = "z", dfs = "residual", sigma2 = NULL) {
  args <- list(yi = kon$yi, V = kon$vi, random = ~ 1 | district/school, data = kon,
               method = method, test = test, dfs = dfs, control = opt_control)
  if (!is.null(mods)) args$mods <- mods
  if (!is.null(sigma2)) args$sigma2 <- sigma2
  fit_tight(args)
}
k_refit <- function(method, mods) function(fixed) kfit(method, mods, sigma2 = fixed)

kon_models <- list()
for (method in c("REML", "ML")) {
  for (modname in c("intercept", "year")) {
    mods <- if (modname == "year") ~ year else NULL
    fz <- kfit(method, mods)
    ft <- kfit(method, mods, test = "t")
    fc <- kfit(method, mods, test = "t", dfs = "contain")
    key <- paste(method, modname, sep = "_")
    kon_models[[key]] <- list(
      z = summarise(fz, k_refit(method, mods)),
      t = summarise(ft, ci = FALSE),
      contain = summarise(fc, ci = FALSE)
    )
    if (method == "REML") {
      kon_models[[key]]$cr1 <- cr1(fz, kon$district)
      kon_models[[key]]$cr2 <- cr2(fz, kon$district,
                                   if (modname == "year") list(2, c(1, 2)) else list(1))
      newmods <- if (modname == "year") c(1985, 1995) else NULL
      pz <- predict(fz, newmods = newmods)
      pt <- predict(ft, newmods = newmods)
      kon_models[[key]]$predict_z <- list(pred = pz$pred, se = pz$se, ci_lb = pz$ci.lb,
                                          ci_ub = pz$ci.ub, pi_lb = pz$pi.lb, pi_ub = pz$pi.ub)
      kon_models[[key]]$predict_t <- list(pred = pt$pred, se = pt$se, ci_lb = pt$ci.lb,
                                          ci_ub = pt$ci.ub, pi_lb = pt$pi.lb, pi_ub = pt$pi.ub)
    }
  }
}
ref$konstantopoulos2011 <- kon_models

# ---- dat.assink2016: the three-level tutorial workflow -----------------------------------
# `esid` is numbered within study, so the list form needs the unique `id` column; the nested
# form `~ 1 | study/esid` is the same model with the sigma^2 order reversed.
afit <- function(mods = NULL, sigma2 = NULL, test = "t", random = list(~ 1 | id, ~ 1 | study)) {
  args <- list(yi = ass$yi, V = ass$vi, random = random, data = ass, method = "REML",
               test = test, control = opt_control)
  if (!is.null(mods)) args$mods <- mods
  if (!is.null(sigma2)) args$sigma2 <- sigma2
  fit_tight(args)
}
a_refit <- function(mods) function(fixed) afit(mods, sigma2 = fixed)

ass_models <- list()
ass_models$intercept <- summarise(afit(), a_refit(NULL))
ass_models$intercept_nested <- summarise(afit(random = ~ 1 | study/esid), ci = FALSE)
ass_models$deltype <- summarise(afit(~ factor(deltype)), a_refit(~ factor(deltype)))
ass_models$deltype_means <- summarise(afit(~ factor(deltype) - 1), ci = FALSE)
ass_models$pubstatus <- summarise(afit(~ pubstatus), ci = FALSE)
ass_models$year <- summarise(afit(~ year), ci = FALSE)
ass_models$deltype_z <- summarise(afit(~ factor(deltype), test = "z"), ci = FALSE)
ass_models$deltype_cr1 <- cr1(afit(~ factor(deltype)), ass$study)
ass_models$deltype_cr2 <- cr2(afit(~ factor(deltype)), ass$study, list(c(2, 3)))
ass_models$intercept_cr2 <- cr2(afit(), ass$study, list(1))
ref$assink2016 <- ass_models

# ---- four-level nesting (region/centre/study/es) on simulated data -----------------------
set.seed(20261129)
deep <- expand.grid(es = 1:3, study = 1:3, centre = 1:3, region = 1:6)
deep <- deep[sample(nrow(deep), 120), c("region", "centre", "study", "es")]
deep$vi <- round(runif(nrow(deep), 0.01, 0.08), 4)
deep$x <- round(rnorm(nrow(deep)), 4)
deep$yi <- round(0.3 + 0.1 * deep$x + rnorm(6, sd = 0.2)[deep$region] +
  rnorm(nrow(deep), sd = 0.15) + rnorm(nrow(deep), sd = sqrt(deep$vi)), 4)
write.csv(deep, file.path(out_dir, "nested4.csv"), row.names = FALSE)
dfit <- rma.mv(yi, vi, mods = ~ x, random = ~ 1 | region/centre/study, data = deep,
               method = "REML", test = "t", dfs = "contain")
ref$nested4 <- summarise(dfit, ci = FALSE)

writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path(out_dir, "multilevel_reference.json"))
cat("wrote", file.path(out_dir, "multilevel_reference.json"), "\n")

# Reference figures for tests/research/evidence/test_estimators.py, from R's survival and
# cmprsk (Debian: apt-get install -y r-base-core r-cran-survival r-cran-cmprsk).
#
#   Rscript tests/research/evidence/reference/make_cuminc_fixture.R \
#       > tests/research/evidence/reference/cuminc_reference.json
#
# The tests read the JSON and never need R. The data are a synthetic search for a JIM with
# ties: status 1 = JIM found, 2 = "no JIM found" (competing), 0 = censored.
#   cmprsk::cuminc(ftime, fstatus, cencode = 0) -> timepoints(fit, c(30, 60, 90))
#   survival::survfit(Surv(ftime, fstatus == 1) ~ 1, conf.type = "log-log")  (no JIM censored)
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})
set.seed(20260617)
n <- 60
jim <- round(1 + rgamma(n, shape = 2, scale = 17.5))
no_jim <- round(runif(n, 20, 120))
censor <- round(runif(n, 30, 200))
ftime <- pmin(jim, no_jim, censor)
fstatus <- ifelse(ftime == jim, 1, ifelse(ftime == no_jim, 2, 0))

ci <- cuminc(ftime, fstatus, cencode = 0)
points <- timepoints(ci, c(30, 60, 90))
km <- survfit(Surv(ftime, fstatus == 1) ~ 1, conf.type = "log-log")
q <- quantile(km, probs = 0.5)

num <- function(x) if (is.na(x)) "null" else format(x, digits = 15)
vec <- function(x) paste0("[", paste(sapply(x, num), collapse = ", "), "]")
cat("{\n")
cat(sprintf('  "r_version": "%s",\n', R.version.string))
cat(sprintf('  "survival_version": "%s",\n', as.character(packageVersion("survival"))))
cat(sprintf('  "cmprsk_version": "%s",\n', as.character(packageVersion("cmprsk"))))
cat(sprintf('  "time": %s,\n', vec(ftime)))
cat(sprintf('  "status": %s,\n', vec(fstatus)))
cat('  "days": [30, 60, 90],\n')
cat(sprintf('  "cif_jim": %s,\n', vec(points$est["1 1", ])))
cat(sprintf('  "cif_jim_var": %s,\n', vec(points$var["1 1", ])))
cat(sprintf('  "cif_no_jim": %s,\n', vec(points$est["1 2", ])))
cat(sprintf('  "km_median": %s,\n', num(q$quantile)))
cat(sprintf('  "km_median_ci": [%s, %s]\n', num(q$lower), num(q$upper)))
cat("}\n")

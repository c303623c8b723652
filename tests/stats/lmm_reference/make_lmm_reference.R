# Reference fits for tests/stats/test_lmm.py from R's lme4 (Debian: r-base-core r-cran-lme4).
#
#   Rscript tests/stats/lmm_reference/make_lmm_reference.R > tests/stats/lmm_reference/lmm_reference.json
#
# risk: tests/research/fixtures/risk_sim.csv, score ~ time * jim + (time | unit), REML and ML.
# boundary: boundary.csv (written by make_boundary.py; true slope variance 0),
#   y ~ time + x + (time | unit), REML: a singular fit.
# The tests read the JSON and never need R.
suppressPackageStartupMessages(library(lme4))
here <- function() {
  args <- commandArgs(trailingOnly = FALSE)
  file <- sub("^--file=", "", args[grep("^--file=", args)])
  dirname(normalizePath(file))
}
num <- function(x) formatC(x, digits = 15, format = "g")
vec <- function(x) paste0("{", paste0('"', names(x), '": ', num(x), collapse = ", "), "}")
describe <- function(m) {
  vc <- as.data.frame(VarCorr(m))
  paste0(
    '{"estimate": ', vec(fixef(m)),
    ', "se": ', vec(setNames(sqrt(diag(as.matrix(vcov(m)))), names(fixef(m)))),
    ', "sd": ', vec(setNames(vc$sdcor[1:2], c("Intercept", "time"))),
    ', "corr": ', num(vc$sdcor[3]), ', "sigma": ', num(sigma(m)),
    ', "loglik": ', num(as.numeric(logLik(m))),
    ', "theta": [', paste(num(getME(m, "theta")), collapse = ", "), "]",
    ', "singular": ', tolower(isSingular(m)), "}"
  )
}
risk <- read.csv(file.path(here(), "..", "..", "research", "fixtures", "risk_sim.csv"))
boundary <- read.csv(file.path(here(), "boundary.csv"))
ctrl <- lmerControl(check.conv.singular = "ignore")
reml <- lmer(score ~ time * jim + (time | unit), data = risk, REML = TRUE)
ml <- lmer(score ~ time * jim + (time | unit), data = risk, REML = FALSE)
sing <- lmer(y ~ time + x + (time | unit), data = boundary, REML = TRUE, control = ctrl)
cat("{\n")
cat('  "source": "', R.version.string, ", lme4 ", as.character(packageVersion("lme4")), '",\n', sep = "")
cat('  "risk_reml": ', describe(reml), ",\n", sep = "")
cat('  "risk_ml": ', describe(ml), ",\n", sep = "")
cat('  "boundary_reml": ', describe(sing), "\n", sep = "")
cat("}\n")

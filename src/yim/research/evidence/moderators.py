"""What works for whom: moderator analyses of the main outcomes (docs/evidence.md).

Moderators, one at a time: age band at referral, gender, programme model, the JIM's relation
to the youth, and the risk level at intake (the mean of the domain scores of the first risk
assessment, banded by the risk instrument's cut-offs). Outcomes:

* **ambulatory at closure** — among trajectories closed by ``as_of``: no realised out-of-home
  placement between referral and closure (the definitions module). The effect is a JIM found
  by closure vs none (odds ratio; descriptive, biased by immortal time — see
  docs/evidence.md). The moderator test is the likelihood-ratio test of the interaction
  ``jim × moderator`` (logistic regression, statsmodels ``Logit``); the estimate per subgroup
  is the odds ratio of a JIM within that subgroup. The JIM's relation exists only with a
  JIM: for it, the test compares the levels among youth with a JIM, and the estimate per
  level is its odds ratio against the first level.
* **time to JIM** — days from referral to the first acceptance, "no JIM found" and closure
  censored (the cause-specific hazard; statsmodels ``PHReg``, Breslow ties). The test is the
  likelihood-ratio test of the moderator; the estimate per level is its hazard ratio against
  the first level. The JIM's relation is not a moderator of finding one.
* **risk change** (when the risk frame is given) — per level, the slope difference of the
  overall risk score (the mean of an assessment's domain scores) from the risk model of
  :mod:`~yim.research.evidence.risk` fitted on that level's youth; the test is the Wald test
  that the levels' (independent) estimates are equal (Cochran's Q).

Every test's p value is corrected over the moderators of its outcome by Holm and by
Benjamini–Hochberg (statsmodels ``multipletests``). A subgroup estimate resting on a cell
below the threshold (a 2×2 cell of the subgroup, or fewer events than the threshold) is
withheld whole. A moderator with one level says so and is not tested.

:func:`fit_moderator_frame` is pure (one row per trajectory in, an immutable
:class:`ModeratorResult` out); :func:`moderator_frame` builds that frame from the registry;
:func:`fit_moderators` does both; :func:`forest_plot_svg` draws the estimates.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from yim.research.evidence import DEFAULT_THRESHOLD
from yim.research.evidence.estimators import cell, is_small
from yim.research.evidence.summary import EvidenceError

#: The moderators, in the order of the report; each is a column of the frame (missing:
#: not recorded, left out of that moderator's analysis).
MODERATORS = ("age_band", "gender", "programme", "jim_relation", "intake_risk")
AMBULATORY, TIME_TO_JIM, RISK_CHANGE = "ambulatory_at_closure", "time_to_jim", "risk_change"
#: Moderators defined only for youth with a JIM (not a moderator of finding one).
ONLY_WITH_JIM = frozenset({"jim_relation"})
Z_95 = 1.959963984540054
#: Age bands at referral (years): the approach is for 12 to 23.
AGE_BANDS = ((0, 12, "under_12"), (12, 16, "12_15"), (16, 18, "16_17"), (18, 24, "18_23"))


class ModeratorError(EvidenceError):
    """A moderator analysis that cannot run (no data, too few trajectories): a message for
    the user, never a traceback."""


@dataclass(frozen=True)
class Subgroup:
    """One level of a moderator: its n and its estimate (odds or hazard ratio) with 95% CI;
    estimate and CI None when withheld or not estimable (``note`` says which)."""

    level: str
    n: int | None
    estimate: float | None
    ci: tuple[float, float] | None
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "n": self.n,
            "estimate": self.estimate,
            "ci": list(self.ci) if self.ci else None,
            "note": self.note,
        }


@dataclass(frozen=True)
class ModeratorTest:
    """The test of one moderator on one outcome; ``error`` set when it was not tested."""

    moderator: str
    levels: tuple[str, ...]
    test: str
    statistic: float | None
    df: int | None
    p: float | None
    p_holm: float | None
    p_bh: float | None
    subgroups: tuple[Subgroup, ...]
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "moderator": self.moderator,
            "levels": list(self.levels),
            "test": self.test,
            "statistic": self.statistic,
            "df": self.df,
            "p": self.p,
            "p_holm": self.p_holm,
            "p_bh": self.p_bh,
            "subgroups": [s.as_dict() for s in self.subgroups],
            "error": self.error,
        }


@dataclass(frozen=True)
class OutcomeModerators:
    outcome: str
    title: str
    model: str
    effect: str
    n: int
    moderators: tuple[ModeratorTest, ...]
    #: The value of "no effect": 1 for a ratio (log axis), 0 for a difference.
    null: float = 1.0

    def moderator(self, code: str) -> ModeratorTest:
        return next(m for m in self.moderators if m.moderator == code)

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "title": self.title,
            "model": self.model,
            "effect": self.effect,
            "n": self.n,
            "null": self.null,
            "moderators": [m.as_dict() for m in self.moderators],
        }


@dataclass(frozen=True)
class ModeratorResult:
    as_of: dt.date | None
    threshold: int
    outcomes: tuple[OutcomeModerators, ...]

    def outcome(self, code: str) -> OutcomeModerators:
        return next(o for o in self.outcomes if o.outcome == code)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "threshold": self.threshold,
            "corrections": "Holm and Benjamini-Hochberg over the moderators of each outcome",
            "outcomes": [o.as_dict() for o in self.outcomes],
        }


# --- the pure part ------------------------------------------------------------------------


#: Levels with an order of their own (the first is the reference); others sort by name.
ORDER = {
    "age_band": (*(code for _low, _high, code in AGE_BANDS), "24_plus"),
    "intake_risk": ("low", "elevated", "high"),
}


def _levels(values: pd.Series, moderator: str = "") -> list[str]:
    order = ORDER.get(moderator, ())
    present = {str(v) for v in values.dropna().unique()}
    return [v for v in order if v in present] + sorted(present - set(order))


def _quiet(fit: Any) -> Any:
    """Run a statsmodels fit with its warnings turned into a refusal (never a traceback)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(divide="raise", over="raise", invalid="raise", under="ignore"):
            return fit()


def _ratio(beta: float, se: float) -> tuple[float, tuple[float, float]] | None:
    if not (math.isfinite(beta) and math.isfinite(se)) or abs(beta) > 20:
        return None
    return math.exp(beta), (math.exp(beta - Z_95 * se), math.exp(beta + Z_95 * se))


def _design(data: pd.DataFrame, moderator: str, levels: list[str], jim: bool) -> np.ndarray:
    """Intercept, dummies of the levels after the first, and (``jim``) the JIM column with
    its products with the dummies (the interaction)."""
    columns = [np.ones(len(data))]
    dummies = [(data[moderator].astype(str) == level).to_numpy(float) for level in levels[1:]]
    columns += dummies
    if jim:
        exposure = data["jim"].to_numpy(float)
        columns.append(exposure)
        columns += [exposure * d for d in dummies]
    return np.column_stack(columns)


def _logit_llf(y: np.ndarray, x: np.ndarray) -> tuple[float, Any]:
    from statsmodels.discrete.discrete_model import Logit

    result = _quiet(lambda: Logit(y, x).fit(disp=0, method="newton", maxiter=100))
    if not result.mle_retvals.get("converged", False):
        raise ValueError("no convergence")
    return float(result.llf), result


def _lr(full: float, reduced: float, df: int) -> tuple[float, float]:
    from scipy.stats import chi2

    statistic = max(0.0, 2 * (full - reduced))
    return statistic, float(chi2.sf(statistic, df))


def _not_tested(moderator: str, levels: list[str], test: str, message: str) -> ModeratorTest:
    return ModeratorTest(
        moderator, tuple(levels), test, None, None, None, None, None, (), message
    )  # fmt: skip


def _one_level(moderator: str, levels: list[str], test: str) -> ModeratorTest | None:
    if len(levels) >= 2:
        return None
    if not levels:
        message = _("Not recorded for anyone in this selection: nothing to compare.")
    else:
        message = _(
            "Only one level (%(level)s) in this selection: a moderator needs at least two "
            "levels to compare. Widen the selection or record this characteristic."
        ) % {"level": levels[0]}
    return _not_tested(moderator, levels, test, message)


def _withheld(level: str, n: int, threshold: int) -> Subgroup:
    return Subgroup(
        level,
        None if is_small(n, threshold) else n,
        None,
        None,
        _("withheld: a cell below %(threshold)s") % {"threshold": threshold},
    )


def _small_levels_out(
    rows: pd.DataFrame, moderator: str, threshold: int
) -> tuple[pd.DataFrame, list[str], list[Subgroup], list[str]]:
    """Levels with fewer trajectories than the threshold are left out of the test (their
    estimate would be withheld anyway, and a tiny level makes the model inestimable).
    Returns the rows and levels kept, the left-out subgroups and every level in order."""
    every = _levels(rows[moderator], moderator)
    sizes = rows[moderator].astype(str).value_counts()
    small = [level for level in every if int(sizes.get(level, 0)) < threshold]
    left_out = [
        Subgroup(
            level,
            None,
            None,
            None,
            _("left out of the test: fewer than %(threshold)s trajectories")
            % {"threshold": threshold},
        )
        for level in small
    ]
    kept = rows.loc[~rows[moderator].astype(str).isin(small)]
    return kept, [v for v in every if v not in small], left_out, every


def _in_order(subgroups: list[Subgroup], every: list[str]) -> tuple[Subgroup, ...]:
    return tuple(sorted(subgroups, key=lambda s: every.index(s.level)))


def _ambulatory_test(data: pd.DataFrame, moderator: str, threshold: int) -> ModeratorTest:
    test = _("likelihood ratio, interaction JIM × moderator")
    only_jim = moderator in ONLY_WITH_JIM
    rows = data.loc[data[moderator].notna()]
    if only_jim:
        rows = rows.loc[rows["jim"] == 1]
        test = _("likelihood ratio, levels among youth with a JIM")
    rows, levels, left_out, every = _small_levels_out(rows, moderator, threshold)
    refused = _one_level(moderator, levels, test)
    if refused:
        return replace(refused, subgroups=_in_order(left_out, every))
    y = rows["ambulatory"].to_numpy(float)
    try:
        if only_jim:
            full, result = _logit_llf(y, _design(rows, moderator, levels, jim=False))
            reduced, _r = _logit_llf(y, np.ones((len(rows), 1)))
            df = len(levels) - 1
        else:
            full, _r = _logit_llf(y, _design(rows, moderator, levels, jim=True))
            x = _design(rows, moderator, levels, jim=True)[:, : len(levels) + 1]
            reduced, _r = _logit_llf(y, x)
            df = len(levels) - 1
    except (ValueError, ArithmeticError, np.linalg.LinAlgError, Warning):
        return _not_tested(
            moderator,
            levels,
            test,
            _(
                "The logistic model cannot be estimated: in some subgroup everyone (or no one) "
                "stayed ambulatory, or had a JIM. More trajectories are needed."
            ),
        )
    statistic, p = _lr(full, reduced, df)
    subgroups = list(left_out)
    for index, level in enumerate(levels):
        group = rows.loc[rows[moderator].astype(str) == level]
        if only_jim:
            subgroups.append(_relation_level(group, level, index, result, threshold))
            continue
        cells = pd.crosstab(group["jim"], group["ambulatory"]).reindex(
            index=[0, 1], columns=[0, 1], fill_value=0
        )
        if any(c < threshold for c in cells.to_numpy().ravel()):
            subgroups.append(_withheld(level, len(group), threshold))
            continue
        x = np.column_stack([np.ones(len(group)), group["jim"].to_numpy(float)])
        try:
            _llf, fit = _logit_llf(group["ambulatory"].to_numpy(float), x)
            ratio = _ratio(float(fit.params[1]), float(fit.bse[1]))
        except (ValueError, ArithmeticError, np.linalg.LinAlgError, Warning):
            ratio = None
        subgroups.append(
            Subgroup(level, len(group), ratio[0], ratio[1], "")
            if ratio
            else Subgroup(level, len(group), None, None, _("not estimable"))
        )
    return ModeratorTest(
        moderator, tuple(levels), test, statistic, df, p, None, None,
        _in_order(subgroups, every), None,
    )  # fmt: skip


def _relation_level(
    group: pd.DataFrame, level: str, index: int, result: Any, threshold: int
) -> Subgroup:
    staying = int(group["ambulatory"].sum())
    if any(c < threshold for c in (staying, len(group) - staying)):
        return _withheld(level, len(group), threshold)
    if index == 0:
        return Subgroup(level, len(group), 1.0, None, _("reference"))
    ratio = _ratio(float(result.params[index]), float(result.bse[index]))
    if ratio is None:
        return Subgroup(level, len(group), None, None, _("not estimable"))
    return Subgroup(level, len(group), ratio[0], ratio[1], "")


def _time_to_jim_test(data: pd.DataFrame, moderator: str, threshold: int) -> ModeratorTest:
    from statsmodels.duration.hazard_regression import PHReg

    test = _("likelihood ratio (Cox partial likelihood)")
    rows = data.loc[data[moderator].notna() & data["days"].notna()]
    rows, levels, left_out, every = _small_levels_out(rows, moderator, threshold)
    refused = _one_level(moderator, levels, test)
    if refused:
        return replace(refused, subgroups=_in_order(left_out, every))
    x = _design(rows, moderator, levels, jim=False)[:, 1:]
    event = (rows["status"] == 1).to_numpy(int)
    days = rows["days"].to_numpy(float)
    try:
        model = PHReg(days, x, status=event, ties="breslow")
        result = _quiet(model.fit)
        null = float(model.loglike(np.zeros(x.shape[1])))
        if not all(math.isfinite(float(v)) for v in (*result.params, *result.bse)):
            raise ValueError("not finite")
    except (ValueError, ArithmeticError, np.linalg.LinAlgError, Warning):
        return _not_tested(
            moderator,
            levels,
            test,
            _(
                "The Cox model cannot be estimated: some level has no JIM found at all. More "
                "trajectories are needed."
            ),
        )
    statistic, p = _lr(float(result.llf), null, len(levels) - 1)
    subgroups = list(left_out)
    events_in = {
        level: int((rows.loc[rows[moderator].astype(str) == level, "status"] == 1).sum())
        for level in levels
    }
    # Every hazard ratio rests on the reference level's events too.
    reference_small = events_in[levels[0]] < threshold
    for index, level in enumerate(levels):
        group = rows.loc[rows[moderator].astype(str) == level]
        events = events_in[level]
        if events < threshold or reference_small:
            subgroups.append(_withheld(level, len(group), threshold))
        elif index == 0:
            subgroups.append(Subgroup(level, len(group), 1.0, None, _("reference")))
        else:
            ratio = _ratio(float(result.params[index - 1]), float(result.bse[index - 1]))
            subgroups.append(
                Subgroup(level, len(group), ratio[0], ratio[1], "")
                if ratio
                else Subgroup(level, len(group), None, None, _("not estimable"))
            )
    return ModeratorTest(
        moderator, tuple(levels), test, statistic, len(levels) - 1, p, None, None,
        _in_order(subgroups, every), None,
    )  # fmt: skip


def _risk_change_test(
    frame: pd.DataFrame, risk: pd.DataFrame, moderator: str, threshold: int
) -> ModeratorTest:
    """The slope difference of the overall risk score per level (the mixed model of
    :mod:`~yim.research.evidence.risk` fitted within the level), and the Wald test that they
    are equal: the levels hold different youth, so their estimates are independent and
    ``Q = Σ w (b − b̄)²`` with ``w = 1/SE²`` is chi-squared with (levels − 1) df."""
    from scipy.stats import chi2

    from yim.research.evidence.risk import fit_domain

    test = _("Wald test of equal slope differences (independent subgroups)")
    levels_of = frame.loc[frame[moderator].notna(), ["unit", moderator]]
    levels = _levels(levels_of[moderator], moderator)
    refused = _one_level(moderator, levels, test)
    if refused:
        return refused
    subgroups, estimates = [], []
    for level in levels:
        units = set(levels_of.loc[levels_of[moderator].astype(str) == level, "unit"])
        rows = risk.loc[risk["unit"].isin(units)]
        fit = fit_domain(rows, "overall", threshold=threshold)
        n = int(rows["unit"].nunique())
        diff = fit.slope_difference
        if diff is None:
            # The model's own message may count a few youth: a fixed note instead.
            note = (
                _("too few youth with two or more risk assessments for the model")
                if fit.reason == "too_few_youth"
                else _("not estimable")
            )
            subgroups.append(Subgroup(level, cell(n, threshold), None, None, note))
            continue
        subgroups.append(Subgroup(level, n, diff.estimate, diff.ci, ""))
        estimates.append((diff.estimate, diff.se))
    if len(estimates) < 2:
        return ModeratorTest(
            moderator, tuple(levels), test, None, None, None, None, None, tuple(subgroups),
            _("Fewer than two subgroups have a slope difference: nothing to compare."),
        )  # fmt: skip
    b = np.array([e for e, _se in estimates])
    w = 1 / np.array([se for _e, se in estimates]) ** 2
    pooled = float((w * b).sum() / w.sum())
    statistic = float((w * (b - pooled) ** 2).sum())
    df = len(estimates) - 1
    return ModeratorTest(
        moderator, tuple(levels), test, statistic, df, float(chi2.sf(statistic, df)), None,
        None, tuple(subgroups), None,
    )  # fmt: skip


def overall_risk(risk: pd.DataFrame) -> pd.DataFrame:
    """The long risk frame reduced to one score per assessment: the mean of its domain
    scores (domain ``"overall"``)."""
    keys = (
        ["assessment", "unit", "time", "jim"]
        if "assessment" in risk.columns
        else ["unit", "time", "jim"]
    )
    overall = risk.groupby(keys)["score"].mean().reset_index()
    return overall.assign(domain="overall")


def _corrected(tests: list[ModeratorTest]) -> tuple[ModeratorTest, ...]:
    from dataclasses import replace

    from statsmodels.stats.multitest import multipletests

    tested = [i for i, t in enumerate(tests) if t.p is not None]
    if not tested:
        return tuple(tests)
    p = [tests[i].p for i in tested]
    holm = multipletests(p, method="holm")[1]
    bh = multipletests(p, method="fdr_bh")[1]
    out = list(tests)
    for k, i in enumerate(tested):
        out[i] = replace(tests[i], p_holm=float(holm[k]), p_bh=float(bh[k]))
    return tuple(out)


def fit_moderator_frame(
    frame: pd.DataFrame,
    *,
    moderators: Sequence[str] = MODERATORS,
    as_of: dt.date | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    risk: pd.DataFrame | None = None,
) -> ModeratorResult:
    """Moderator analyses on one row per trajectory: columns ``jim`` (0/1, a JIM by closure
    or by ``as_of``), ``closed`` (0/1), ``ambulatory`` (0/1, for closed ones), ``days`` and
    ``status`` (time to JIM: 1 JIM, 2 no JIM, 0 censored), and one column per moderator.
    With ``risk`` (the long frame of :func:`~yim.research.evidence.risk.risk_frame`), risk
    change is a third outcome."""
    needed = ["jim", "closed", "ambulatory", "days", "status", *moderators]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"the moderator frame lacks the columns {', '.join(missing)}")
    if len(frame) == 0:
        raise ModeratorError(
            _("No JIM-approach trajectory in this selection: there is nothing to analyse.")
        )
    closed = frame.loc[frame["closed"] == 1]
    ambulatory = [_ambulatory_test(closed, m, threshold) for m in moderators] if len(closed) else [
        _not_tested(m, [], "", _("No trajectory in this selection has been closed yet."))
        for m in moderators
    ]  # fmt: skip
    timed = [_time_to_jim_test(frame, m, threshold) for m in moderators if m not in ONLY_WITH_JIM]
    return ModeratorResult(
        as_of=as_of,
        threshold=threshold,
        outcomes=(
            OutcomeModerators(
                AMBULATORY,
                *outcome_texts()[AMBULATORY],
                len(closed),
                _corrected(ambulatory),
            ),
            OutcomeModerators(
                TIME_TO_JIM,
                *outcome_texts()[TIME_TO_JIM],
                len(frame),
                _corrected(timed),
            ),
            *_risk_outcome(frame, risk, moderators, threshold),
        ),
    )


class Wording(NamedTuple):
    """How an outcome is named in the active language."""

    title: str
    model: str
    effect: str


def outcome_texts() -> dict[str, Wording]:
    """Per outcome its title, model and effect in the active language: a kept fit has them
    in the language it ran in, so pages and reports word them anew from the outcome's code."""
    return {
        AMBULATORY: Wording(
            _("Ambulatory at closure"),
            _("logistic regression"),
            _("odds ratio of staying ambulatory, JIM found vs none, per subgroup"),
        ),
        TIME_TO_JIM: Wording(
            _("Time to JIM"),
            _("Cox regression; 'no JIM found' and closure censored"),
            _("hazard ratio of finding a JIM against the first level"),
        ),
        RISK_CHANGE: Wording(
            _("Risk change"),
            _("linear mixed model of the overall risk score within each subgroup"),
            _("slope difference per year, with vs without a JIM, per subgroup"),
        ),
    }


def _risk_outcome(
    frame: pd.DataFrame, risk: pd.DataFrame | None, moderators: Sequence[str], threshold: int
) -> tuple[OutcomeModerators, ...]:
    if risk is None:
        return ()
    overall = overall_risk(risk) if len(risk) else risk.assign(domain="overall")
    tests = [
        _risk_change_test(frame, overall, m, threshold)
        for m in moderators
        if m not in ONLY_WITH_JIM
    ]
    return (
        OutcomeModerators(
            RISK_CHANGE,
            *outcome_texts()[RISK_CHANGE],
            int(overall["unit"].nunique()) if len(overall) else 0,
            _corrected(tests),
            null=0.0,
        ),
    )

"""From validated data and the researcher's options to a fitted meta-analysis.

:func:`fit_from_options` picks the model: a multilevel model (metafor's ``rma.mv``) when a
nesting is given (``random="study/es_id"``), otherwise a two-level random-effects or
equal-effects model (``rma.uni``). Options that the chosen model does not have are refused
with a message rather than silently ignored. The result, :class:`MetaFit`, keeps the data and
the options with the model, so the JSON (:mod:`yim.stats.meta.report_json`) and the HTML
report (:mod:`yim.stats.meta.report_html`) can say exactly what was done.

:func:`run_bias_tests` runs the publication-bias analyses of a fit, each as a
:class:`BiasOutcome` that says whether it applies to the model.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from yim.stats.meta.dataset import DataError, PreparedData, Problem, nesting_columns
from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.multilevel import MultilevelModel
from yim.stats.meta.multilevel_result import MultilevelResult
from yim.stats.meta.twolevel import TESTS, RandomEffectsModel
from yim.stats.meta.twolevel_result import TwoLevelResult

Result = TwoLevelResult | MultilevelResult


@dataclass(frozen=True, eq=False)
class MetaFit:
    """A fitted model together with its data and the options that produced it.

    ``overall`` is the intercept-only companion of a meta-regression (same model family and
    estimator), used for the pooled forest plot and the publication-bias tests; for an
    intercept-only model it is the model itself. ``groups`` are the grouping labels of a
    multilevel model (outer to inner), keyed by column.
    """

    result: Result
    overall: Result
    prepared: PreparedData
    kind: str  # "two-level" or "multilevel"
    options: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def has_moderators(self) -> bool:
        return self.result is not self.overall


def _groups_for(prepared: PreparedData, random: str) -> tuple[str, dict[str, tuple[str, ...]]]:
    cols = nesting_columns(random)
    spec = "/".join(cols)
    if spec == prepared.random:
        return spec, prepared.groups
    problems: list[Problem] = []
    groups: dict[str, tuple[str, ...]] = {}
    frame = prepared.frame
    for col in cols:
        if col not in frame.columns:
            present = ", ".join(map(str, frame.columns))
            problems.append(
                Problem(None, col, f"column {col!r} is not in the data; columns: {present}")
            )
            continue
        values = tuple("" if pd.isna(v) else str(v).strip() for v in frame[col])
        for i, v in enumerate(values):
            if v == "":
                problems.append(
                    Problem(prepared.rows[i], col, "empty cell; a group label is needed")
                )
        groups[col] = values
    if problems:
        raise DataError(problems)
    return spec, groups


def fit_from_options(
    prepared: PreparedData,
    *,
    method: str = "REML",
    test: str = "z",
    random: str | None = None,
    dfs: str = "residual",
    level: float = 0.95,
    tau2_ci: str | None = "QP",
    max_iter: int | None = None,
) -> MetaFit:
    """Fit the model the options describe.

    ``random`` (or the nesting stored in ``prepared``) selects a multilevel model with REML
    or ML, ``test`` "z" or "t" and ``dfs`` "residual" (k − p) or "contain"; without it a
    two-level model is fitted with any tau² estimator (or "EE"), ``test`` "z", "t", "knha" or
    "knha-truncated", and a Q-profile ("QP") or profile-likelihood ("PL") CI for tau².
    ``max_iter`` caps the iterations of the estimator (default: the models' own defaults,
    200 for the multilevel optimiser and 1000 for the two-level estimators).
    Raises :class:`MetaAnalysisError` for options the model does not offer and
    :class:`~yim.stats.meta.errors.ConvergenceError` when the estimator does not converge.
    """
    spec = random or prepared.random
    method_u = method.upper()
    options: dict[str, Any] = {"method": method_u, "test": test, "level": level}
    groups: dict[str, tuple[str, ...]] = {}
    if spec:
        if method_u not in ("REML", "ML"):
            raise MetaAnalysisError(
                f"method {method!r} is not available for multilevel models; use REML or ML"
            )
        if test not in ("z", "t"):
            raise MetaAnalysisError(
                f"test {test!r} is not available for multilevel models: metafor's rma.mv has "
                "only z and t (t uses df = k − p or containment, without Knapp–Hartung "
                "rescaling); use --test t"
            )
        if dfs not in ("residual", "contain"):
            raise MetaAnalysisError(f"dfs {dfs!r}; use 'residual' or 'contain'")
        spec, groups = _groups_for(prepared, spec)
        model = MultilevelModel(
            "REML" if method_u == "REML" else "ML",
            test="t" if test == "t" else "z",
            dfs="contain" if dfs == "contain" else "residual",
            level=level,
            max_iter=200 if max_iter is None else max_iter,
        )
        result: Result = model.fit(
            prepared.yi, prepared.vi, groups, prepared.X, prepared.coef_names
        )
        overall: Result = result
        if prepared.X.shape[1] > 1 or prepared.coef_names != ("intrcpt",):
            companion = MultilevelModel(
                model.method,
                test=model.test,
                dfs=model.dfs,
                level=level,
                profile_cis=False,
                lrt=False,
            )
            overall = companion.fit(prepared.yi, prepared.vi, groups)
        options |= {"random": spec, "dfs": dfs}
        kind = "multilevel"
    else:
        if test not in TESTS and test != "adhoc":
            raise MetaAnalysisError(f"test {test!r}; use one of {', '.join(TESTS)}")
        if dfs != "residual":
            raise MetaAnalysisError(
                f"dfs {dfs!r} applies to multilevel models only (give --random); a two-level "
                "model uses df = k − p"
            )
        two = RandomEffectsModel(
            method_u,
            test,
            level=level,
            tau2_ci=None if method_u == "EE" else tau2_ci,
            max_iter=1000 if max_iter is None else max_iter,
        )
        result = two.fit(prepared.yi, prepared.vi, prepared.X, prepared.coef_names)
        overall = result
        if not result.intercept_only:
            companion2 = RandomEffectsModel(method_u, test, level=level, tau2_ci=None)
            overall = companion2.fit(prepared.yi, prepared.vi)
        options |= {"tau2_ci": None if method_u == "EE" else tau2_ci}
        kind = "two-level"
    options |= {"measure": prepared.measure, "mods": prepared.mods}
    return MetaFit(
        result=result,
        overall=overall,
        prepared=prepared,
        kind=kind,
        options=options,
        groups=dict(groups),
    )


# --- publication bias ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BiasOutcome:
    """One publication-bias analysis: ``status`` "ok", "not applicable" or "not available"."""

    name: str
    status: str
    value: Any = None  # the bias module's result object when status is "ok"
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "result": None if self.value is None else self.value.to_dict(),
            "message": self.message,
        }


def run_bias_tests(fit: MetaFit) -> list[BiasOutcome]:
    """Egger-type regression test (metafor's ``regtest`` default; the multilevel variant for
    multilevel fits), classical Egger, Begg–Mazumdar rank correlation, trim-and-fill (L0),
    Rosenthal's fail-safe N and metafor's General fail-safe N for the fitted two-level
    model. A test the model does not support is reported as "not
    applicable" with the reason; without the bias module everything is "not available".
    """
    try:
        # imported lazily: the rest of the report does not depend on it
        bias = importlib.import_module("yim.stats.meta.bias")
    except ImportError:
        return [
            BiasOutcome(
                "Publication-bias tests",
                "not available",
                message="the publication-bias module is not available in this version",
            )
        ]
    runs: list[tuple[str, Callable[[], Any]]] = [
        ("Egger regression test (sei as moderator)", lambda: bias.egger_test(fit.result)),
        (
            "Egger regression test (classical, weighted least squares)",
            lambda: bias.egger_test(fit.overall, variant="classical"),
        ),
        ("Begg–Mazumdar rank correlation test", lambda: bias.rank_correlation_test(fit.overall)),
        ("Trim-and-fill (L0)", lambda: bias.trim_and_fill(fit.overall, estimator="L0")),
        (
            "Fail-safe N (Rosenthal)",
            lambda: bias.fail_safe_n(fit.prepared.yi, fit.prepared.vi, type="Rosenthal"),
        ),
        ("Fail-safe N (General, the fitted model)", lambda: bias.fail_safe_n(fit.overall)),
    ]
    out: list[BiasOutcome] = []
    for name, run in runs:
        try:
            value = run()
        except (MetaAnalysisError, NotImplementedError) as exc:
            out.append(BiasOutcome(name, "not applicable", message=str(exc)))
            continue
        out.append(BiasOutcome(name, "ok", value=value))
    return out


def bias_tests(fit: MetaFit) -> list[dict[str, Any]]:
    """:func:`run_bias_tests` as JSON-ready dicts {name, status, result, message}."""
    return [outcome.to_dict() for outcome in run_bias_tests(fit)]


__all__ = [
    "BiasOutcome",
    "MetaFit",
    "Result",
    "bias_tests",
    "fit_from_options",
    "run_bias_tests",
]

"""Fit a meta-analysis from validated data and report it as HTML or as JSON.

* :func:`fit_from_options` picks the model: a multilevel model (metafor's ``rma.mv``) when a
  nesting is given (``random="study/es_id"``), otherwise a two-level random-effects or
  equal-effects model (``rma.uni``). Options that the chosen model does not have are refused
  with a message rather than silently ignored.
* :func:`to_json_dict` gives the fit for scripts and pipelines: ``coefficients``,
  ``variance_components``, ``heterogeneity`` (I² per level for multilevel models),
  ``moderator_test``, ``method`` (every choice that changes numbers) and more. Floats are
  plain numbers; NaN and infinity become ``null``.
* :func:`render_html` writes one self-contained HTML file: inline CSS, inline SVG plots, no
  JavaScript and no external URLs, with every text taken from the data HTML-escaped.

The report and the JSON keys are in English on purpose: they are meant for the research
community and for manuscripts, unlike the platform's Dutch user interface.
"""

from __future__ import annotations

import html
import importlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from yim.stats.meta import plots, tables
from yim.stats.meta._ml_result import MultilevelResult
from yim.stats.meta.conversions import z_to_r
from yim.stats.meta.dataset import DataError, PreparedData, Problem, moderator_columns
from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.multilevel import MultilevelModel
from yim.stats.meta.twolevel import TESTS, RandomEffectsModel
from yim.stats.meta.twolevel_result import TwoLevelResult

Result = TwoLevelResult | MultilevelResult

MEASURE_NAMES = {
    "ZCOR": "Fisher's z-transformed correlation (ZCOR), v = 1/(n − 3)",
    "COR": "raw correlation (COR), v = (1 − r²)²/(n − 1)",
    "GEN": "effect sizes and sampling variances as given (yi, vi)",
}


@dataclass(frozen=True, eq=False)
class MetaFit:
    """A fitted model together with its data and the options that produced it.

    ``overall`` is the intercept-only companion of a meta-regression (same model family and
    estimator), used for the pooled forest plot and the publication-bias tests; for an
    intercept-only model it is the model itself.
    """

    result: Result
    overall: Result
    prepared: PreparedData
    kind: str  # "two-level" or "multilevel"
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def has_moderators(self) -> bool:
        return self.result is not self.overall


def _groups_for(prepared: PreparedData, random: str) -> tuple[str, dict[str, tuple[str, ...]]]:
    text = random.split("|", 1)[1] if "|" in random else random
    cols = [c.strip() for c in text.split("/")]
    if any(not c for c in cols):
        raise DataError([Problem(None, None, f"cannot read the nesting {random!r}")])
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
    return MetaFit(result=result, overall=overall, prepared=prepared, kind=kind, options=options)


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


# --- JSON ---------------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        x = float(value)
        return x if math.isfinite(x) else None
    return value


def _pooled(fit: MetaFit) -> dict[str, Any] | None:
    if not plots.intercept_only(fit.overall):
        return None
    pool = plots.pooled(fit.overall)
    out: dict[str, Any] = {
        "estimate": pool["pred"],
        "ci_lb": pool["ci_lb"],
        "ci_ub": pool["ci_ub"],
        "pi_lb": pool["pi_lb"],
        "pi_ub": pool["pi_ub"],
        "from_model": "intercept-only companion" if fit.has_moderators else "this model",
    }
    if fit.prepared.measure == "ZCOR":
        vals = z_to_r(np.array([pool[k] for k in ("pred", "ci_lb", "ci_ub", "pi_lb", "pi_ub")]))
        out["r"] = dict(
            zip(("estimate", "ci_lb", "ci_ub", "pi_lb", "pi_ub"), vals.tolist(), strict=True)
        )
    return out


def to_json_dict(fit: MetaFit, *, include_bias: bool = True) -> dict[str, Any]:
    """The fit as a JSON-ready dict (keys in English; see the module docstring)."""
    res = fit.result
    prep = fit.prepared
    method = res.method.to_dict()
    method.update(
        {k: v for k, v in fit.options.items() if v is not None and k not in ("method", "test")}
    )
    method["model_family"] = fit.kind
    method["level"] = res.level
    comps = []
    if isinstance(res, MultilevelResult):
        h = res.heterogeneity
        for i, vc in enumerate(res.variance_components):
            comps.append(vc.to_dict() | {"n_groups": res.n_groups[i]})
        heterogeneity: dict[str, Any] = {
            "QE": h.QE,
            "QE_df": h.QE_df,
            "QE_pval": h.QE_pval,
            "I2": h.i2_pmatrix_total,
            "I2_formula": "P-matrix (metafor): sigma2_l / (sum sigma2 + (k - p)/tr(P))",
            "I2_per_level": [
                {"level": name, "I2_pmatrix": h.i2_pmatrix[i], "I2_aw": h.i2_aw[i]}
                for i, name in enumerate(h.levels)
            ],
            "I2_sampling_aw": h.i2_aw_sampling,
            "typical_v_pmatrix": h.typical_v_pmatrix,
            "typical_v_aw": h.typical_v_aw,
        }
        extra: dict[str, Any] = {
            "lrt": [t.to_dict() for t in res.lrt],
            "fit_statistics": {
                "loglik": res.log_likelihood,
                "aic": res.aic,
                "bic": res.bic,
                "aicc": res.aicc,
            },
            "iterations": res.iterations,
        }
    else:
        comps = [vc.to_dict() for vc in res.variance_components]
        heterogeneity = res.heterogeneity.to_dict() | {
            "tau2": None if res.equal_effects else res.tau2,
            "I2_formula": res.method.i2_formula,
        }
        extra = {
            "pseudo_r2": res.pseudo_r2,
            "s2w": res.s2w,
            "fit_statistics": {"loglik_ml": res.ll_ml, "loglik_reml": res.ll_reml},
            "iterations": res.iterations,
        }
    mt = res.moderator_test
    out: dict[str, Any] = {
        "model": fit.kind,
        "k": res.k,
        "p": res.p,
        "n_studies": prep.n_studies,
        "measure": prep.measure,
        "coefficients": [c.to_dict() for c in res.coefficients],
        "variance_components": comps,
        "heterogeneity": heterogeneity,
        "moderator_test": None if mt is None else mt.to_dict(),
        "method": method,
        "pooled": _pooled(fit),
        **extra,
        "notes": list(prep.notes),
    }
    if include_bias:
        out["publication_bias"] = bias_tests(fit)
    cleaned: dict[str, Any] = _clean(out)
    return cleaned


# --- HTML ---------------------------------------------------------------------------------------

_CSS = """
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1a1a1a;
       max-width: 64rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
table.apa { border-collapse: collapse; margin: 1rem 0 .3rem; font-size: .92rem; }
table.apa caption { text-align: left; padding-bottom: .4rem; }
table.apa thead th { border-top: 2px solid #000; border-bottom: 1px solid #000;
                     padding: .25rem .6rem; text-align: left; font-weight: normal; }
table.apa td { padding: .2rem .6rem; }
table.apa td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.apa tbody tr:last-child td { border-bottom: 2px solid #000; }
.table-note { font-size: .85rem; margin-top: 0; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: .15rem 1rem; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
.figure svg { max-width: 100%; height: auto; }
.notice { background: #fff6db; border-left: 4px solid #d9a400; padding: .4rem .8rem; }
footer { margin-top: 3rem; font-size: .8rem; color: #555; }
"""

_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)


def _svg_inline(fig: Any, prefix: str) -> str:
    svg = plots.figure_to_svg(fig, id_prefix=prefix, standalone=False)
    return _METADATA.sub("", svg)


def _facts(items: list[tuple[str, str]]) -> str:
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in items)
    return f'<dl class="facts">{rows}</dl>'


def _num(x: float | None, digits: int = 4) -> str:
    return tables.format_number(x, digits)


def _subgroups(prep: PreparedData) -> tuple[str, list[str]] | None:
    """A single categorical moderator gives the forest plot's subgroups."""
    if prep.mods is None:
        return None
    cols = moderator_columns(prep.mods)
    if len(cols) != 1:
        return None
    col = cols[0]
    series = prep.frame[col]
    forced = re.search(rf"(factor|C)\(\s*{re.escape(col)}\s*\)", prep.mods) is not None
    if (
        not forced
        and pd.api.types.is_numeric_dtype(series)
        and not pd.api.types.is_bool_dtype(series)
    ):
        return None
    return col, [str(v) for v in series]


def _data_section(prep: PreparedData) -> str:
    items = [
        ("Effect sizes (k)", str(prep.k)),
        ("Studies", "—" if prep.n_studies is None else str(prep.n_studies)),
        ("Effect-size measure", MEASURE_NAMES.get(prep.measure, prep.measure)),
        ("Spreadsheet rows", f"{min(prep.rows)}–{max(prep.rows)}"),
    ]
    items += [(f"Column for {role}", col) for role, col in prep.columns.items()]
    if prep.random:
        items.append(("Nesting (random effects)", prep.random))
    if prep.mods:
        items.append(("Moderators", prep.mods))
    yi, vi = np.asarray(prep.yi), np.asarray(prep.vi)
    summary = pd.DataFrame(
        [
            {
                "Quantity": "Effect size (yi)",
                "Min": yi.min(),
                "Median": float(np.median(yi)),
                "Max": yi.max(),
            },
            {
                "Quantity": "Sampling variance (vi)",
                "Min": vi.min(),
                "Median": float(np.median(vi)),
                "Max": vi.max(),
            },
        ]
    )
    notes = "".join(f'<p class="notice">{html.escape(n)}</p>' for n in prep.notes)
    return (
        _facts(items)
        + tables.table_to_html(summary, number=1, title="Distribution of the input", digits=4)
        + notes
    )


def _bias_value(key: str, value: Any) -> str | None:
    if isinstance(value, dict) and "estimate" in value and "ci_lb" in value:
        return f"{_num(value['estimate'])} [{_num(value['ci_lb'])}, {_num(value['ci_ub'])}]" + (
            "" if value.get("pval") is None else f", p = {tables.format_p(value['pval'])}"
        )
    if isinstance(value, (dict, list)):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "pval" in key or key.startswith("p_"):
            return tables.format_p(float(value))
        if key in ("df", "k", "k0", "fsnum", "k_observed"):
            return tables.format_df(float(value))
        return _num(float(value))
    return str(value)


_BIAS_HIDDEN = ("name", "statistic_label", "coefficient", "heterogeneity", "notes")


def _bias_section(outcomes: list[BiasOutcome]) -> str:
    parts = []
    for outcome in outcomes:
        name = html.escape(outcome.name)
        if outcome.status != "ok":
            parts.append(
                f"<li><strong>{name}</strong>: {html.escape(outcome.status)}"
                + (f" — {html.escape(outcome.message)}" if outcome.message else "")
                + "</li>"
            )
            continue
        result = _clean(outcome.value.to_dict())
        shown = []
        for key, value in result.items():
            if value is None or key in _BIAS_HIDDEN:
                continue
            if key == "statistic" and "statistic_label" in result:
                key = str(result["statistic_label"])
            text = _bias_value(str(key), value)
            if text is not None:
                shown.append(f"{html.escape(str(key))} = {html.escape(text)}")
        parts.append(f"<li><strong>{name}</strong>: {'; '.join(shown)}</li>")
    return '<ul class="bias">' + "".join(parts) + "</ul>"


def _imputed(outcomes: list[BiasOutcome]) -> tuple[list[float], list[float]] | None:
    """The studies filled in by trim-and-fill, for the funnel plot."""
    for outcome in outcomes:
        value = outcome.value
        if outcome.status == "ok" and hasattr(value, "filled") and int(value.k0) > 0:
            mask = np.asarray(value.filled, dtype=bool)
            return (
                np.asarray(value.yi)[mask].tolist(),
                np.asarray(value.vi)[mask].tolist(),
            )
    return None


def render_html(fit: MetaFit, *, title: str = "Meta-analysis report") -> str:
    """The full report as one self-contained HTML document (English; see module docstring)."""
    from yim import __version__

    res = fit.result
    prep = fit.prepared
    esc = html.escape
    table_no = 2
    sections: list[str] = []

    sections.append("<h2>1. Data</h2>" + _data_section(prep))

    # model and method choices
    choices = [(line.split(": ", 1)[0], line.split(": ", 1)[-1]) for line in res.method.lines()]
    choices.insert(0, ("Model family", fit.kind))
    choices.append(("Confidence level", f"{res.level:g}"))
    if isinstance(res, MultilevelResult):
        choices.append(("Optimiser iterations", str(res.iterations)))
    sections.append("<h2>2. Model and method choices</h2>" + _facts(choices))

    # coefficients
    coef = tables.coefficient_table(res)
    note = (
        "Estimates on the analysis scale"
        + (" (Fisher's z)." if prep.measure == "ZCOR" else ".")
        + (
            " Tests use the t distribution."
            if res.coefficients[0].df is not None
            else " Tests use the normal distribution."
        )
    )
    coef_html = tables.table_to_html(
        coef, number=table_no, title="Model coefficients", note=note, digits=4
    )
    table_no += 1
    pooled = _pooled(fit)
    pooled_html = ""
    if pooled is not None:
        lvl = f"{100 * res.level:g}%"
        text = (
            f"Pooled estimate{' (intercept-only model)' if fit.has_moderators else ''}: "
            f"{_num(pooled['estimate'])}, {lvl} CI [{_num(pooled['ci_lb'])}, "
            f"{_num(pooled['ci_ub'])}], {lvl} prediction interval [{_num(pooled['pi_lb'])}, "
            f"{_num(pooled['pi_ub'])}]."
        )
        if "r" in pooled:
            r = pooled["r"]
            text += (
                f" Back-transformed to r: {_num(r['estimate'])}, CI [{_num(r['ci_lb'])}, "
                f"{_num(r['ci_ub'])}], prediction interval [{_num(r['pi_lb'])}, "
                f"{_num(r['pi_ub'])}]."
            )
        pooled_html = f'<p class="pooled">{esc(text)}</p>'
    sections.append("<h2>3. Coefficients</h2>" + coef_html + pooled_html)

    # heterogeneity and variance per level
    het_html = tables.table_to_html(
        tables.heterogeneity_table(res),
        number=table_no,
        title="Residual heterogeneity",
        digits=4,
    )
    table_no += 1
    var_note = (
        "AW: share of the total variance by the Assink & Wibbelink (2016) / Cheung (2014) "
        "formula with the typical within-study variance; P-matrix: metafor's I² per level, "
        "σ²/(Σσ² + (k − p)/tr(P)). The two agree for intercept-only models. LRT: likelihood-"
        "ratio test of σ² = 0; the χ²(1) p-value and the halved (one-sided) p-value."
        if isinstance(res, MultilevelResult)
        else "I² = τ²/(τ² + s²) with the typical sampling variance s² = (k − p)/tr(P), as "
        "metafor; it depends on the τ² estimator."
    )
    var_html = tables.table_to_html(
        tables.variance_table(res),
        number=table_no,
        title="Variance per level",
        note=var_note,
        digits=4,
    )
    table_no += 1
    sections.append("<h2>4. Heterogeneity and variance per level</h2>" + het_html + var_html)

    # moderators
    if res.moderator_test is None:
        mod_html = "<p>No moderators: the model is intercept-only.</p>"
    else:
        mod_html = tables.table_to_html(
            tables.moderator_table(res),
            number=table_no,
            title="Omnibus test of moderators",
            note=f"Moderators: {prep.mods}.",
            digits=4,
        )
        table_no += 1
    sections.append("<h2>5. Moderator test</h2>" + mod_html)

    # plots
    transform = z_to_r if prep.measure == "ZCOR" else None
    xlabel = "Correlation (r)" if prep.measure in ("ZCOR", "COR") else "Effect size"
    figures = []
    if prep.k <= plots.MAX_FOREST_ROWS:
        sub = _subgroups(prep)
        forest = plots.forest_plot(
            fit.overall,
            labels=prep.labels,
            subgroups=None if sub is None else sub[1],
            transform=transform,
            xlabel=xlabel,
        )
        caption = "Forest plot"
        if fit.has_moderators:
            caption += " of the intercept-only model"
        if sub is not None:
            caption += f", grouped by {sub[0]}"
        if transform is not None:
            caption += " (estimates back-transformed from Fisher's z to r)"
        figures.append(
            f'<figure class="figure" id="forest">{_svg_inline(forest, "forest-")}'
            f"<figcaption>{esc(caption)}.</figcaption></figure>"
        )
    else:
        figures.append(
            f"<p>The forest plot is left out: {prep.k} effect sizes exceed the readable "
            f"maximum of {plots.MAX_FOREST_ROWS}.</p>"
        )
    outcomes = run_bias_tests(fit)
    imputed = _imputed(outcomes) if plots.intercept_only(res) else None
    funnel = plots.funnel_plot(res, imputed=imputed)
    funnel_caption = (
        "Contour-enhanced funnel plot (analysis scale"
        + ("; residuals of the meta-regression" if not plots.intercept_only(res) else "")
        + "). Shaded bands: two-sided p-value regions against 0; dashed lines: pseudo 95% "
        "confidence region around the model estimate"
        + ("; open circles: studies filled in by trim-and-fill" if imputed else "")
        + "."
    )
    figures.append(
        f'<figure class="figure" id="funnel">{_svg_inline(funnel, "funnel-")}'
        f"<figcaption>{esc(funnel_caption)}</figcaption></figure>"
    )
    sections.append("<h2>6. Plots</h2>" + "".join(figures))

    sections.append("<h2>7. Publication bias</h2>" + _bias_section(outcomes))

    body = "\n".join(f"<section>{s}</section>" for s in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{esc(title)}</h1>\n"
        f"<p>{esc(fit.kind.capitalize())} meta-analysis of {prep.k} effect sizes"
        + ("" if prep.n_studies is None else f" from {prep.n_studies} studies")
        + ".</p>\n"
        + body
        + f"\n<footer>Generated by yim {esc(__version__)} (yim.stats.meta). Method choices "
        "are listed in section 2 so the analysis can be reproduced, e.g. with R metafor."
        "</footer>\n</body>\n</html>\n"
    )


__all__ = [
    "BiasOutcome",
    "MetaFit",
    "bias_tests",
    "fit_from_options",
    "render_html",
    "run_bias_tests",
    "to_json_dict",
]

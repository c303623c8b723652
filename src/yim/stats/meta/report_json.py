"""A fitted meta-analysis as JSON, for scripts and pipelines.

:func:`to_json_dict` gives ``coefficients``, ``variance_components``, ``heterogeneity`` (I² per
level for multilevel models), ``moderator_test``, ``method`` (every choice that changes
numbers), the pooled estimate, the publication-bias analyses and ``dropped_rows`` (rows left
out because of their problems, each with row, column and message). Floats are plain numbers;
NaN and infinity become ``null``. Keys are in English, like the HTML report.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from yim.stats.meta.conversions import z_to_r
from yim.stats.meta.fitted import intercept_only
from yim.stats.meta.fitted import pooled as pooled_values
from yim.stats.meta.fitting import MetaFit, bias_tests
from yim.stats.meta.multilevel_result import MultilevelResult


def clean(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [clean(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        x = float(value)
        return x if math.isfinite(x) else None
    return value


def pooled(fit: MetaFit) -> dict[str, Any] | None:
    """The pooled estimate of the (companion) intercept-only model, with r for ZCOR."""
    if not intercept_only(fit.overall):
        return None
    pool = pooled_values(fit.overall)
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
        "pooled": pooled(fit),
        **extra,
        "notes": list(prep.notes),
        "dropped_rows": [p.to_dict() for p in prep.dropped],
    }
    if include_bias:
        out["publication_bias"] = bias_tests(fit)
    cleaned: dict[str, Any] = clean(out)
    return cleaned


__all__ = ["clean", "pooled", "to_json_dict"]

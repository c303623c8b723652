"""Meta-analysis for yim: effect sizes, two-level and multilevel models, robust inference,
publication bias, diagnostics, plots and reports — checked against R's metafor.

Estimator, then fit, then an immutable result::

    from yim.stats.meta import RandomEffectsModel, escalc
    es = escalc("ZCOR", ri=r, ni=n)
    result = RandomEffectsModel("REML", test="t").fit(es.yi, es.vi)
    print(result.summary())

The submodules hold the details; the names below are the stable public API.
"""

from yim.stats.meta.bias import (
    egger_test,
    fail_safe_n,
    pet_peese,
    rank_correlation_test,
    trim_and_fill,
)
from yim.stats.meta.diagnostics import cooks_distance, influence, leave_one_out
from yim.stats.meta.effect_sizes import EffectSizes, escalc
from yim.stats.meta.errors import ConvergenceError, MetaAnalysisError
from yim.stats.meta.ml_influence import multilevel_influence
from yim.stats.meta.multilevel import MultilevelModel
from yim.stats.meta.robust import cluster_robust
from yim.stats.meta.twolevel import EqualEffectsModel, RandomEffectsModel

__all__ = [
    "ConvergenceError",
    "EffectSizes",
    "EqualEffectsModel",
    "MetaAnalysisError",
    "MultilevelModel",
    "RandomEffectsModel",
    "cluster_robust",
    "cooks_distance",
    "egger_test",
    "escalc",
    "fail_safe_n",
    "influence",
    "leave_one_out",
    "multilevel_influence",
    "pet_peese",
    "rank_correlation_test",
    "trim_and_fill",
]

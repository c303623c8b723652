"""Meta-analysis for yim: effect sizes, two-level and multilevel models, robust inference,
publication bias, diagnostics, plots and reports — checked against R's metafor.

Estimator, then fit, then an immutable result::

    from yim.stats.meta import RandomEffectsModel, escalc
    es = escalc("ZCOR", ri=r, ni=n)
    result = RandomEffectsModel("REML", test="t").fit(es.yi, es.vi)
    print(result.summary())

From a researcher's file to a report, as ``yim meta fit`` does::

    from yim.stats.meta import fit_from_options, load_table, prepare, render_html
    data = prepare(load_table("studies.csv"), r="ri", n="ni", study="study", es_id="es")
    html = render_html(fit_from_options(data, method="REML", test="t"))

The submodules hold the details; the names below are the stable public API, the result
types included (each lives in a public module: ``results``, ``twolevel_result``,
``multilevel_result``, ``bias``, ``trimfill``, ``failsafe``, ``robust``, ``ml_influence``,
``dataset``, ``fitting``). Importing the package does not import matplotlib: the plots are
drawn when a report is rendered.
"""

from yim.stats.meta.bias import (
    BiasTest,
    PetPeeseResult,
    egger_test,
    fail_safe_n,
    pet_peese,
    rank_correlation_test,
    trim_and_fill,
)
from yim.stats.meta.dataset import DataError, PreparedData, Problem, load_table, prepare
from yim.stats.meta.diagnostics import cooks_distance, influence, leave_one_out
from yim.stats.meta.effect_sizes import EffectSizes, escalc
from yim.stats.meta.errors import ConvergenceError, MetaAnalysisError
from yim.stats.meta.failsafe import FailSafeN
from yim.stats.meta.fitting import BiasOutcome, MetaFit, fit_from_options, run_bias_tests
from yim.stats.meta.heterogeneity import Heterogeneity
from yim.stats.meta.ml_influence import MultilevelInfluence, multilevel_influence
from yim.stats.meta.multilevel import MultilevelModel
from yim.stats.meta.multilevel_result import (
    MultilevelHeterogeneity,
    MultilevelResult,
    VarianceComponentLRT,
)
from yim.stats.meta.report_html import render_html
from yim.stats.meta.report_json import to_json_dict
from yim.stats.meta.results import Coefficient, MethodChoices, ModeratorTest, VarianceComponent
from yim.stats.meta.robust import RobustResult, WaldTest, cluster_robust
from yim.stats.meta.trimfill import TrimAndFillResult
from yim.stats.meta.twolevel import EqualEffectsModel, RandomEffectsModel
from yim.stats.meta.twolevel_result import Prediction, TwoLevelResult

__all__ = [
    "BiasOutcome",
    "BiasTest",
    "Coefficient",
    "ConvergenceError",
    "DataError",
    "EffectSizes",
    "EqualEffectsModel",
    "FailSafeN",
    "Heterogeneity",
    "MetaAnalysisError",
    "MetaFit",
    "MethodChoices",
    "ModeratorTest",
    "MultilevelHeterogeneity",
    "MultilevelInfluence",
    "MultilevelModel",
    "MultilevelResult",
    "PetPeeseResult",
    "Prediction",
    "PreparedData",
    "Problem",
    "RandomEffectsModel",
    "RobustResult",
    "TrimAndFillResult",
    "TwoLevelResult",
    "VarianceComponent",
    "VarianceComponentLRT",
    "WaldTest",
    "cluster_robust",
    "cooks_distance",
    "egger_test",
    "escalc",
    "fail_safe_n",
    "fit_from_options",
    "influence",
    "leave_one_out",
    "load_table",
    "multilevel_influence",
    "pet_peese",
    "prepare",
    "rank_correlation_test",
    "render_html",
    "run_bias_tests",
    "to_json_dict",
    "trim_and_fill",
]

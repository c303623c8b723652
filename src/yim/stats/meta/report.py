"""Fit a meta-analysis from validated data and report it as HTML or as JSON.

The work is split over three modules; this one gathers their names, so code written against
``yim.stats.meta.report`` keeps working:

* :mod:`yim.stats.meta.fitting` — :func:`fit_from_options` turns the researcher's options into
  a fitted model (:class:`MetaFit`); :func:`run_bias_tests` runs the publication-bias analyses.
* :mod:`yim.stats.meta.report_json` — :func:`to_json_dict`, the fit for scripts and pipelines.
* :mod:`yim.stats.meta.report_html` — :func:`render_html`, one self-contained HTML report.
"""

from __future__ import annotations

from yim.stats.meta.fitting import (
    BiasOutcome,
    MetaFit,
    Result,
    bias_tests,
    fit_from_options,
    run_bias_tests,
)
from yim.stats.meta.report_html import MEASURE_NAMES, render_html
from yim.stats.meta.report_json import to_json_dict

__all__ = [
    "MEASURE_NAMES",
    "BiasOutcome",
    "MetaFit",
    "Result",
    "bias_tests",
    "fit_from_options",
    "render_html",
    "run_bias_tests",
    "to_json_dict",
]

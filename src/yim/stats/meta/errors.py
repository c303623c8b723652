"""Exceptions of the meta-analysis package.

Every error names the problem and where it is (row, column or parameter), so a researcher can
fix the input without reading code.
"""

from __future__ import annotations


class MetaAnalysisError(ValueError):
    """Base class: the input or the options cannot give a meta-analytic result."""


class EffectSizeError(MetaAnalysisError):
    """An effect size or its sampling variance cannot be computed from the given row."""


class DesignError(MetaAnalysisError):
    """The moderator formula or the moderator data cannot form a design matrix."""


class ConvergenceError(MetaAnalysisError):
    """An iterative estimator stopped before meeting its convergence criterion."""

    def __init__(self, message: str, *, iterations: int, last_step: float) -> None:
        super().__init__(message)
        self.iterations = iterations
        self.last_step = last_step

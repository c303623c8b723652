"""Evidence from practice: the registry's outcome definitions and their estimates.

:mod:`~yim.research.evidence.definitions` holds every definition (one module, each with an
``as_of`` day), :mod:`~yim.research.evidence.estimators` the statsmodels wrappers and the
small-cell rule, :mod:`~yim.research.evidence.summary` the figures for scripts and pages,
:mod:`~yim.research.evidence.risk` the risk trajectories (mixed model and GEE per risk domain)
:mod:`~yim.research.evidence.moderators` what works for whom (moderator analyses),
:mod:`~yim.research.evidence.comparison_study` comparison studies (their frames from
:mod:`~yim.research.evidence.comparison_sources`), and evidence across organisations: the
signed aggregate file (:mod:`~yim.research.evidence.file`), its verification
(:mod:`~yim.research.evidence.verification`), the pooling of organisations or teams
(:mod:`~yim.research.evidence.pooling`) and its reports
(:mod:`~yim.research.evidence.pooling_report`). docs/evidence.md describes them.
"""

#: Smallest count shown: a count from 1 to this minus one is withheld (docs/evidence.md).
DEFAULT_THRESHOLD = 5

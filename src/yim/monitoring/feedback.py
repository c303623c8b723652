"""The feedback loop: what youth, JIMs and parents say after meetings.

Per youth the professional reads every answer (scores and the free text). For the team and
for research the answers are aggregated per respondent role: how many, and the mean of each
scored question. Research aggregates leave out groups smaller than
:data:`MIN_RESEARCH_GROUP` so that no single family can be recognised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, QuerySet

from yim.monitoring.models import (
    FEEDBACK_INSTRUMENT,
    SCORED_ITEMS,
    Answer,
    Assessment,
    RespondentRole,
)

TEXT_ITEMS = ("what_helped", "what_should_change")
MIN_RESEARCH_GROUP = 5


@dataclass(frozen=True)
class RoleSummary:
    role: str
    label: Any
    count: int
    means: dict[str, float | None]
    suppressed: bool = False


def submitted_feedback(assessments: QuerySet[Assessment]) -> QuerySet[Assessment]:
    return assessments.filter(instrument=FEEDBACK_INSTRUMENT, status="submitted")


def summarise(assessments: QuerySet[Assessment], *, min_group: int = 1) -> list[RoleSummary]:
    """Count and mean answer per role (two queries, whatever the number of rows)."""
    feedback = submitted_feedback(assessments)
    counts = dict(
        feedback.values_list("respondent_role")
        .annotate(n=Count("pk"))
        .values_list("respondent_role", "n")
    )
    means: dict[str, dict[str, float | None]] = {}
    rows = (
        Answer.objects.filter(assessment__in=feedback.values("pk"), item__in=SCORED_ITEMS)
        .values_list("assessment__respondent_role", "item")
        .annotate(mean=Avg("value"))
    )
    for role, item, mean in rows:
        means.setdefault(role, {})[item] = None if mean is None else round(float(mean), 2)
    summaries = []
    for role in RespondentRole:
        n = counts.get(role.value, 0)
        if role == RespondentRole.PROFESSIONAL and not n:
            continue
        hidden = 0 < n < min_group
        summaries.append(
            RoleSummary(
                role=role.value,
                label=role.label,
                count=0 if hidden else n,
                means={} if hidden else {i: means.get(role.value, {}).get(i) for i in SCORED_ITEMS},
                suppressed=hidden,
            )
        )
    return summaries


def for_youth(youth: Any) -> QuerySet[Assessment]:
    """A youth's submitted feedback, newest first, with what a list needs in few queries."""
    return (
        submitted_feedback(Assessment.objects.filter(youth=youth))
        .select_related("meeting", "respondent")
        .prefetch_related("answers")
        .order_by("-submitted_at", "-pk")
    )


def answers_of(assessment: Assessment) -> dict[str, Any]:
    """The answers of a prefetched assessment (no query)."""
    return {a.item: (a.value if a.value is not None else a.text) for a in assessment.answers.all()}

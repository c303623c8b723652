"""Gate compliance (out-of-home decisions and the emergency path) and meeting feedback."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Min, OuterRef, Subquery, Sum

from yim.monitoring.models import FEEDBACK_INSTRUMENT, SCORED_ITEMS, Answer, Assessment, Status
from yim.research.evidence.definitions.base import Scope, amsterdam_day, cohort, ends_of_day
from yim.trajectories.models import (
    OUT_OF_HOME,
    DecisionStatus,
    JimConsultation,
    PlacementDecision,
)

# --- gate compliance ---------------------------------------------------------------------


def gate(scope: Scope) -> dict[str, dict[str, int]]:
    """The placement gate (see :func:`gate_and_not_recorded`). One query."""
    return gate_and_not_recorded(scope)[0]


def gate_and_not_recorded(scope: Scope) -> tuple[dict[str, dict[str, int]], int]:
    """The placement gate, over out-of-home decisions of the cohort finalised by ``as_of``.

    Regular decisions: a JIM consultation on or before the (Amsterdam) day of finalising, or
    the recorded reason why there was no JIM, or neither (a breach: the gate is enforced in
    the application, so neither only appears in imported or older data).
    Emergency decisions: the consultation on time (by the 7-day due date), late (after it),
    overdue (none by ``as_of`` and due before it), not yet due, or settled by a no-JIM
    reason; and confirmed by a team lead by ``as_of`` or not.

    From the same query (the same decisions), the second value: how many of them were
    decided by ``as_of`` without a recorded outcome — :func:`placements_not_recorded`.
    One query.
    """
    as_of = scope.as_of
    # The first consultation by as_of as MIN() per decision (a subquery on the decision's
    # index, rather than grouping the decisions with all their columns).
    first_consulted = (
        JimConsultation.objects.filter(decision=OuterRef("pk"), consulted_on__lte=as_of)
        .order_by()
        .values("decision")
        .annotate(first=Min("consulted_on"))
        .values("first")
    )
    rows = (
        PlacementDecision.objects.filter(
            trajectory__in=cohort(scope),
            status=DecisionStatus.FINALISED,
            placement_type__in=OUT_OF_HOME,
            finalised_at__lt=ends_of_day(as_of),  # finalised on an Amsterdam day <= as_of
        )
        .annotate(
            finalised_on=amsterdam_day("finalised_at"),
            confirmed_on=amsterdam_day("confirmed_at"),
            consulted_on=Subquery(first_consulted),
        )
        .order_by("pk")
        .values_list(
            "is_emergency", "no_jim_reason", "consultation_due", "finalised_on", "confirmed_on",
            "consulted_on", "decided_on", "episode",
        )
    )  # fmt: skip
    regular = {"n": 0, "consulted_before": 0, "no_jim_reason": 0, "neither": 0}
    emergency = {
        "n": 0, "on_time": 0, "late": 0, "overdue": 0, "not_yet_due": 0, "no_jim_reason": 0,
        "confirmed": 0, "awaiting_confirmation": 0,
    }  # fmt: skip
    not_recorded = 0
    for row in rows:
        is_emergency, reason, due, finalised_on, confirmed_on, consulted_on = row[:6]
        decided_on, episode = row[6], row[7]
        if episode is None and decided_on <= as_of:
            not_recorded += 1
        if not is_emergency:
            regular["n"] += 1
            if consulted_on is not None and consulted_on <= finalised_on:
                regular["consulted_before"] += 1
            elif reason.strip():
                regular["no_jim_reason"] += 1
            else:
                regular["neither"] += 1
            continue
        emergency["n"] += 1
        if confirmed_on is not None and confirmed_on <= as_of:
            emergency["confirmed"] += 1
        else:
            emergency["awaiting_confirmation"] += 1
        if consulted_on is not None:
            emergency["on_time" if due is None or consulted_on <= due else "late"] += 1
        elif reason.strip():
            emergency["no_jim_reason"] += 1
        elif due is not None and as_of > due:
            emergency["overdue"] += 1
        else:
            emergency["not_yet_due"] += 1
    return {"regular": regular, "emergency": emergency}, not_recorded


# --- feedback ----------------------------------------------------------------------------


def feedback(scope: Scope) -> dict[str, dict[str, Any]]:
    """Meeting feedback per respondent role, aggregated in the database (two queries).

    Per role: ``n`` submitted feedback forms (by ``as_of``, Amsterdam day of submission) and,
    per scored item answered by at least one of them, ``(sum, answers, sum of squares)``
    behind its mean and the mean's interval.

    The forms are counted in one query and their scores summed in another, each through a
    partial index of its own (``assessment_feedback_forms``, ``answer_feedback_scores``):
    one query joining every form to all its answers had to look the answers up form by form
    (at 100,000 youth 0.53 s; the two take 0.23 s). Within a summary on PostgreSQL both see
    one snapshot (:func:`~yim.research.evidence.definitions.base.one_snapshot`). Elsewhere
    each read sees the registry of its own moment: a form submitted between the two may add
    its answers to a role's means without being in that role's count, and a role first seen
    in the second read waits for the next summary.
    """
    forms = {
        "trajectory__in": cohort(scope),
        "instrument": FEEDBACK_INSTRUMENT,
        "status": Status.SUBMITTED,
        "submitted_at__lt": ends_of_day(scope.as_of),
    }
    counts = (
        Assessment.objects.filter(**forms)
        .order_by()
        .values("respondent_role")
        .annotate(n=Count("pk"))
        .values_list("respondent_role", "n")
    )
    result: dict[str, dict[str, Any]] = {role: {"n": n, "items": {}} for role, n in counts}
    scores = (
        Answer.objects.filter(
            item__in=SCORED_ITEMS,
            value__isnull=False,
            **{f"assessment__{name}": value for name, value in forms.items()},
        )
        .order_by()
        .values("assessment__respondent_role", "item")
        .annotate(total=Sum("value"), answers=Count("value"), squares=Sum(F("value") * F("value")))
        .values_list("assessment__respondent_role", "item", "total", "answers", "squares")
    )
    for role, item, total, answers, squares in scores:
        if role in result:  # else a form of a new role, submitted after the count: next time
            result[role]["items"][item] = (int(total), int(answers), int(squares))
    # The items in the order of SCORED_ITEMS, as the forms list them.
    for entry in result.values():
        entry["items"] = {i: entry["items"][i] for i in SCORED_ITEMS if i in entry["items"]}
    return result

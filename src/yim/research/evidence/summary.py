"""The evidence summary: every outcome definition estimated, with n, denominators, CIs and
small cells withheld. Used by ``yim evidence summary`` (and, later, the /evidence/ pages).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from scipy.stats import t as student_t

from yim.accounts.models import Organisation, Team
from yim.research.evidence import DEFAULT_THRESHOLD
from yim.research.evidence import definitions as d
from yim.research.evidence.estimators import (
    Curves,
    cell,
    cumulative_incidence,
    curves,
    km_median,
    share,
)
from yim.trajectories.rules import FOLLOW_UP_MONTHS

CIF_DAYS = (30, 60, 90)

#: The top-level keys of the summary, in order (scripts rely on them).
KEYS = (
    "as_of",
    "n_trajectories",
    "jim_found",
    "time_to_jim",
    "ambulatory",
    "gate",
    "continuation",
    "feedback",
)


class EvidenceError(Exception):
    """Input the summary cannot answer (a future day, an unknown team, no data): a message
    for the user, never a traceback."""


class TooManyToWait(Exception):
    """More trajectories in scope than :func:`dashboard` was asked to calculate while a page
    waits (its ``inline_limit``): the caller offers the work in the background instead."""

    def __init__(self, n_trajectories: int) -> None:
        super().__init__(n_trajectories)
        self.n_trajectories = n_trajectories


def resolve_scope(
    as_of: dt.date | None = None, team: str | None = None, organisation: str | None = None
) -> d.Scope:
    """A :class:`~definitions.Scope` from names as a user types them (case-insensitive)."""
    today = timezone.localdate()
    as_of = as_of or today
    if as_of > today:
        raise EvidenceError(
            _(
                "The day %(as_of)s lies in the future (today is %(today)s): choose a day up "
                "to today."
            )
            % {"as_of": as_of.isoformat(), "today": today.isoformat()}
        )
    if team and organisation:
        raise EvidenceError(_("Choose a team or an organisation, not both."))
    if organisation:
        org = Organisation.objects.filter(name__iexact=organisation.strip()).first()
        if org is None:
            raise EvidenceError(
                _("There is no organisation named '%(name)s'.") % {"name": organisation}
            )
        return d.Scope(as_of=as_of, organisation_id=org.pk)
    if team:
        teams = list(Team.objects.filter(name__iexact=team.strip()).select_related("organisation"))
        if not teams:
            raise EvidenceError(_("There is no team named '%(name)s'.") % {"name": team})
        if len(teams) > 1:
            raise EvidenceError(
                _("Several organisations have a team named '%(name)s' (%(organisations)s).")
                % {"name": team, "organisations": ", ".join(t.organisation.name for t in teams)}
            )
        return d.Scope(as_of=as_of, team_id=teams[0].pk)
    return d.Scope(as_of=as_of)


@d.one_snapshot()
def summarise(
    scope: d.Scope,
    threshold: int = DEFAULT_THRESHOLD,
    *,
    found: list[d.Search] | None = None,
    feedback: dict[str, dict[str, Any]] | None = None,
    closures: dict[int, str] | None = None,
) -> dict[str, Any]:
    """Every figure as of ``scope.as_of``; raises :class:`EvidenceError` without data.

    ``found`` and ``closures`` (:func:`definitions.searches_and_closures`) and ``feedback``
    (:func:`definitions.feedback`) are read here unless the caller has them already
    (:func:`dashboard`). Every table is read once, shared between the definitions that
    need it, and on PostgreSQL all from one snapshot of the registry
    (:func:`definitions.one_snapshot`).
    """
    if threshold < 1:
        raise EvidenceError(_("The small-cell threshold must be at least 1."))
    if found is None:
        found, closures = d.searches_and_closures(scope)
    if not found:
        raise EvidenceError(
            _(
                "No JIM-approach trajectory was referred on or before %(as_of)s in this "
                "selection: there is nothing to report."
            )
            % {"as_of": scope.as_of.isoformat()}
        )
    follow_ups = d.due_follow_ups(scope)  # for ambulatory and continuation alike
    gate, not_recorded = d.gate_and_not_recorded(scope)  # the same decisions
    return {
        "as_of": scope.as_of.isoformat(),
        "n_trajectories": len(found),
        "jim_found": _jim_found(scope, found, threshold),
        "time_to_jim": _time_to_jim(found, threshold),
        "ambulatory": _ambulatory(scope, found, threshold, follow_ups, not_recorded),
        "gate": _gate(gate, threshold),
        "continuation": _continuation(scope, threshold, follow_ups, closures),
        "feedback": _feedback(d.feedback(scope) if feedback is None else feedback, threshold),
    }


def _share(tally: d.Tally, threshold: int) -> dict[str, Any]:
    return share(tally.count, tally.n, threshold).as_dict()


def _jim_found(scope: d.Scope, found: list[d.Search], threshold: int) -> dict[str, Any]:
    n = len(found)
    jim = sum(s.status == d.JIM_FOUND for s in found)
    no_jim = sum(s.status == d.NO_JIM for s in found)
    searching = sum(s.status == d.CENSORED and s.closed_on is None for s in found)
    closed_without = n - jim - no_jim - searching
    later = sum(s.status == d.NO_JIM and s.jim_on is not None for s in found)
    positioned = {s.trajectory_id for s in found if s.positioned_on is not None}
    with_jim = {s.trajectory_id for s in found if s.jim_on is not None}
    return {
        "n": n,
        "found": cell(jim, threshold),
        "no_jim": cell(no_jim, threshold),
        "searching": cell(searching, threshold),
        "closed_without_outcome": cell(closed_without, threshold),
        "jim_after_no_jim": cell(later, threshold),
        # Intention to treat: every trajectory of the cohort is the denominator.
        "share_of_all": _share(d.Tally(jim, n), threshold),
        # The plain share of finished searches (found or "no JIM found"): the literature's 83%.
        "share_of_finished": _share(d.Tally(jim, jim + no_jim), threshold),
        "positioned": _share(d.Tally(len(positioned & with_jim), len(with_jim)), threshold),
    }


def _time_to_jim(found: list[d.Search], threshold: int) -> dict[str, Any]:
    times = [s.days for s in found]
    status = [s.status for s in found]
    n_found = status.count(d.JIM_FOUND)
    n_no_jim = status.count(d.NO_JIM)
    n_censored = status.count(d.CENSORED)
    withheld = len(found) < threshold or n_found < threshold
    result: dict[str, Any] = {
        "index_date": "referred_on",
        "no_jim_in_kaplan_meier": "censored",
        "km_median_days": None,
        "km_median_ci": None,
        "cif_30": None,
        "cif_60": None,
        "cif_90": None,
        "cif_ci": None,
        "mean_days_found": None,
        "n_found": cell(n_found, threshold),
        "n_no_jim": cell(n_no_jim, threshold),
        "n_censored": cell(n_censored, threshold),
        "suppressed": withheld,
    }
    if withheld:
        return result
    # Kaplan–Meier: "no JIM found" is censored (it overstates the share with a JIM; the
    # cumulative incidence below treats it as the competing event it is).
    median = km_median(times, [1 if st == d.JIM_FOUND else 0 for st in status])
    result["km_median_days"] = median.median
    result["km_median_ci"] = list(median.ci)
    points = cumulative_incidence(times, status, CIF_DAYS, cause=d.JIM_FOUND)
    for point in points:
        result[f"cif_{point.day}"] = point.estimate
    result["cif_ci"] = {str(p.day): list(p.ci) if p.ci else None for p in points}
    found_days = [s.days for s in found if s.status == d.JIM_FOUND]
    result["mean_days_found"] = sum(found_days) / len(found_days)
    return result


def _ambulatory(
    scope: d.Scope,
    found: list[d.Search],
    threshold: int,
    follow_ups: list[d.FollowUpRow],
    not_recorded: int,
) -> dict[str, Any]:
    raw = d.ambulatory(scope, found, follow_ups, not_recorded)
    after = {}
    for months in FOLLOW_UP_MONTHS:
        row = raw["after_closure"][months]
        after[str(months)] = {
            **_share(d.Tally(row["ambulatory"], row["answered"]), threshold),
            "not_reached": cell(row["not_reached"], threshold),
        }
    return {
        "placement_source": "placement episode (began by as_of)",
        # Finalised out-of-home decisions whose outcome is not recorded: not counted as a
        # placement, shown so a reader knows how complete the placement figures are.
        "placements_not_recorded": cell(raw["placements_not_recorded"], threshold),
        "itt": _share(raw["itt"], threshold),
        "closed": _share(raw["closed"], threshold),
        "by_jim_found": {
            "descriptive_only": True,
            "jim_found": _share(raw["jim_found"], threshold),
            "no_jim_found": _share(raw["no_jim_found"], threshold),
        },
        f"landmark_{d.LANDMARK_DAYS}_days": {
            key: _share(value, threshold) for key, value in raw["landmark"].items()
        },
        "after_closure": after,
    }


def _gate(raw: dict[str, dict[str, int]], threshold: int) -> dict[str, Any]:
    regular, emergency = raw["regular"], raw["emergency"]
    settled = emergency["on_time"] + emergency["late"] + emergency["no_jim_reason"]
    return {
        "regular": {
            **{key: cell(value, threshold) for key, value in regular.items()},
            "compliant": _share(
                d.Tally(regular["consulted_before"] + regular["no_jim_reason"], regular["n"]),
                threshold,
            ),
            "consulted": _share(d.Tally(regular["consulted_before"], regular["n"]), threshold),
        },
        "emergency": {
            **{key: cell(value, threshold) for key, value in emergency.items()},
            "on_time_share": _share(d.Tally(emergency["on_time"], emergency["n"]), threshold),
            "settled_share": _share(d.Tally(settled, emergency["n"]), threshold),
            "confirmed_share": _share(d.Tally(emergency["confirmed"], emergency["n"]), threshold),
        },
    }


def _continuation(
    scope: d.Scope,
    threshold: int,
    follow_ups: list[d.FollowUpRow],
    closures: dict[int, str] | None,
) -> dict[str, Any]:
    raw = d.continuation(scope, follow_ups, closures)
    closure = raw["at_closure"]
    follow_up = {}
    for months, row in sorted(raw["follow_up"].items()):
        follow_up[str(months)] = {
            **_share(d.Tally(row["continues"], row["answered"]), threshold),
            "not_reached": cell(row["not_reached"], threshold),
            "without_jim": cell(row["without_jim"], threshold),
        }
    return {
        "at_closure": {
            "relationship": {k: cell(v, threshold) for k, v in closure["relationship"].items()},
            "continuing": _share(closure["continuing"], threshold),
        },
        "follow_up": follow_up,
    }


def _feedback(raw: dict[str, dict[str, Any]], threshold: int) -> dict[str, Any]:
    by_role: dict[str, Any] = {}
    for role, entry in sorted(raw.items()):
        n = entry["n"]
        if n < threshold:
            by_role[role] = {"n": cell(n, threshold), "mean": None, "items": {}, "suppressed": True}
            continue
        items = {
            item: round(total / count, 3) for item, (total, count, _sq) in entry["items"].items()
        }
        totals = entry["items"].values()
        answers = sum(count for _total, count, _sq in totals)
        mean = round(sum(total for total, _count, _sq in totals) / answers, 3) if answers else None
        by_role[role] = {"n": n, "mean": mean, "items": items, "suppressed": False}
    return {"n": cell(sum(entry["n"] for entry in raw.values()), threshold), "by_role": by_role}


def time_to_jim_curves(
    scope: d.Scope, threshold: int = DEFAULT_THRESHOLD, *, found: list[d.Search] | None = None
) -> Curves | None:
    """The curves behind the time-to-JIM figures, or None when those are withheld."""
    found = d.searches(scope) if found is None else found
    n_found = sum(s.status == d.JIM_FOUND for s in found)
    if len(found) < threshold or n_found < max(threshold, 1):
        return None
    return curves([s.days for s in found], [s.status for s in found], cause=d.JIM_FOUND)


@dataclass(frozen=True)
class FeedbackItem:
    """The mean score of one scored feedback item for one respondent role, with its 95%
    interval (Student's t); withheld when the role has fewer forms than the threshold."""

    role: str
    item: str
    forms: int | None
    answers: int | None
    mean: float | None
    ci: tuple[float, float] | None
    suppressed: bool


def feedback_items(raw: dict[str, dict[str, Any]], threshold: int) -> list[FeedbackItem]:
    """Per role and scored item, from :func:`definitions.feedback` (sums, counts, squares)."""
    result = []
    for role, entry in sorted(raw.items()):
        forms = entry["n"]
        for item, (total, count, squares) in sorted(entry["items"].items()):
            if forms < threshold:
                result.append(
                    FeedbackItem(role, item, cell(forms, threshold), None, None, None, True)
                )
                continue
            mean = total / count
            ci = None
            if count > 1:
                variance = max(squares - total * total / count, 0) / (count - 1)
                half = float(student_t.ppf(0.975, count - 1)) * math.sqrt(variance / count)
                ci = (mean - half, mean + half)
            result.append(FeedbackItem(role, item, forms, count, mean, ci, False))
    return result


@dataclass(frozen=True)
class Dashboard:
    """What the /evidence/ page shows: the summary, the time-to-JIM curves (None when
    withheld) and the feedback items with their intervals — each definition read once."""

    figures: dict[str, Any]
    curves: Curves | None
    feedback: list[FeedbackItem]


@d.one_snapshot()
def dashboard(
    scope: d.Scope, threshold: int = DEFAULT_THRESHOLD, *, inline_limit: int | None = None
) -> Dashboard:
    """The page's figures; raises :class:`EvidenceError` like :func:`summarise`. Read, like
    the summary's, from one snapshot of the registry (:func:`definitions.one_snapshot`).

    With ``inline_limit``, raises :class:`TooManyToWait` when the cohort has more
    trajectories than that, before reading anything else: the first read (the searches,
    one row per trajectory) counts them, so a page needs no count of its own.
    """
    found, closures = d.searches_and_closures(scope)
    if inline_limit is not None and len(found) > inline_limit:
        raise TooManyToWait(len(found))
    raw_feedback = d.feedback(scope)
    figures = summarise(scope, threshold, found=found, feedback=raw_feedback, closures=closures)
    return Dashboard(
        figures=figures,
        curves=time_to_jim_curves(scope, threshold, found=found),
        feedback=feedback_items(raw_feedback, threshold),
    )

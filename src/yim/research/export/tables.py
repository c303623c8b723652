"""The research export's tables, built from the registry as of a day (docs/evidence.md,
"Research export").

Every identifier becomes a keyed pseudonym (:mod:`~yim.research.export.keys`); ages and
durations are computed from the exact dates first, then calendar dates are coarsened to their
month and every other moment is given as days since the trajectory's referral date. Free text
comes in only for the columns chosen (:data:`~yim.research.export.codebook.FREE_TEXT`); names
are never read at all. Time to JIM, JIM positioned and the first realised placement come
from the evidence definitions (:mod:`yim.research.evidence.definitions`), not rewritten here.

Each table is read in one query (or a fixed few), whatever the number of youth.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yim.monitoring.models import Answer, Assessment, AssessmentRevision, Status, Wave
from yim.research.evidence import DEFAULT_THRESHOLD
from yim.research.evidence import definitions as d
from yim.research.evidence.estimators import cell, is_small
from yim.research.export.codebook import FREE_TEXT, Variable, exported
from yim.research.export.errors import ExportError
from yim.research.export.keys import pseudonym
from yim.trajectories.models import (
    Cohort,
    FollowUp,
    LivingSituationRecord,
    PlacementEpisode,
    Trajectory,
    Youth,
)
from yim.trajectories.rules import age_on

Row = dict[str, Any]


@dataclass(frozen=True)
class Table:
    name: str
    variables: tuple[Variable, ...]
    rows: list[Row]

    @property
    def columns(self) -> list[str]:
        return [v.name for v in self.variables]


@dataclass(frozen=True)
class ExportTables:
    """A finished export in memory: its tables and what it covers."""

    as_of: dt.date
    include: tuple[str, ...]
    threshold: int
    organisation_id: int | None = None
    team_id: int | None = None
    tables: dict[str, Table] = field(default_factory=dict)

    def scope_text(self) -> str:
        """What the export covers, for the audit log and the manifest (no names)."""
        where = (
            f"team {self.team_id}"
            if self.team_id is not None
            else f"organisation {self.organisation_id}"
            if self.organisation_id is not None
            else "all organisations"
        )
        free = ",".join(self.include) or "none"
        youth = len(self.tables["youth"].rows) if "youth" in self.tables else 0
        trajectories = len(self.tables["trajectory"].rows) if "trajectory" in self.tables else 0
        return (
            f"research export as of {self.as_of.isoformat()}; {where}; {youth} youth, "
            f"{trajectories} trajectories; free text: {free}; threshold {self.threshold}"
        )


def check_include(include: Iterable[str]) -> tuple[str, ...]:
    """The chosen free-text columns, refused with the list of choices when one is unknown."""
    chosen = tuple(dict.fromkeys(c.strip() for c in include if c.strip()))
    unknown = [c for c in chosen if c not in FREE_TEXT]
    if unknown:
        raise ExportError(
            _("Unknown free-text column: %(columns)s. Choose from: %(choices)s.")
            % {"columns": ", ".join(unknown), "choices": ", ".join(FREE_TEXT)}
        )
    return chosen


def _month(day: dt.date | None) -> str | None:
    return None if day is None else f"{day.year:04d}-{day.month:02d}"


def _days(day: dt.date | None, referred_on: dt.date) -> int | None:
    return None if day is None else (day - referred_on).days


def _age(born: dt.date, day: dt.date | None) -> int | None:
    if day is None or day < born:
        return None
    return age_on(born, day)


def _known(day: dt.date | None, as_of: dt.date) -> dt.date | None:
    """A day recorded for after ``as_of`` is not known yet."""
    return day if day is not None and day <= as_of else None


def build_export(
    *,
    as_of: dt.date,
    include: Iterable[str] = (),
    key: bytes,
    organisation_id: int | None = None,
    team_id: int | None = None,
    threshold: int = DEFAULT_THRESHOLD,
) -> ExportTables:
    """Every table of the research export, as of ``as_of`` (a day up to today).

    Covers the trajectories of both cohorts referred by ``as_of`` — of one organisation, one
    team, or all — and their youth. ``include`` names the free-text columns to add (see
    :data:`FREE_TEXT`); ``key`` is the pseudonym key (:func:`keys.export_key`).
    """
    chosen = check_include(include)
    today = timezone.localdate()
    if as_of > today:
        raise ExportError(
            _(
                "The day %(as_of)s lies in the future (today is %(today)s): choose a day up to "
                "today."
            )
            % {"as_of": as_of.isoformat(), "today": today.isoformat()}
        )
    if threshold < 1:
        raise ExportError(_("The threshold is a whole number from 1 up."))
    if len(key) < 16:
        raise ExportError(_("The pseudonym key is too short."))
    trajectories = Trajectory.objects.filter(referred_on__lte=as_of)
    if team_id is not None:
        trajectories = trajectories.filter(team_id=team_id)
    if organisation_id is not None:
        trajectories = trajectories.filter(team__organisation_id=organisation_id)
    scope = d.Scope(as_of=as_of, team_id=team_id, organisation_id=organisation_id)
    builder = _Builder(as_of, chosen, key, trajectories, scope)
    columns = exported(chosen)
    rows = {
        "trajectory": builder.trajectory_rows(),
    }
    rows["youth"] = builder.youth_rows()
    rows["wave"] = builder.wave_rows()
    assessments, scores, answers = builder.assessment_rows()
    rows["assessment"], rows["assessment_score"], rows["assessment_answer"] = (
        assessments,
        scores,
        answers,
    )
    rows["placement_episode"] = builder.episode_rows()
    rows["follow_up"] = builder.follow_up_rows()
    rows["aggregate_referrals"] = builder.aggregate_rows(threshold)
    tables = {
        name: Table(name, variables, [_only(row, variables) for row in rows[name]])
        for name, variables in columns.items()
    }
    return ExportTables(
        as_of=as_of,
        include=chosen,
        threshold=threshold,
        organisation_id=organisation_id,
        team_id=team_id,
        tables=tables,
    )


def _only(row: Row, variables: tuple[Variable, ...]) -> Row:
    """The row with exactly the exported columns (a free-text column not chosen is dropped)."""
    return {v.name: row.get(v.name) for v in variables}


class _Builder:
    def __init__(
        self,
        as_of: dt.date,
        include: tuple[str, ...],
        key: bytes,
        trajectories: QuerySet[Trajectory],
        scope: d.Scope,
    ) -> None:
        self.as_of = as_of
        self.include = include
        self.key = key
        self.trajectories = trajectories
        self.scope = scope
        #: trajectory pk → (referral date, youth's date of birth)
        self.referral: dict[int, tuple[dt.date, dt.date]] = {}
        self.youth_of: dict[int, int] = {}
        self.closed_on: dict[int, dt.date | None] = {}
        self.cohort_of: dict[int, str] = {}

    def id(self, kind: str, pk: int | None) -> str | None:
        return None if pk is None else pseudonym(self.key, kind, pk)

    # --- trajectory ----------------------------------------------------------------------

    def trajectory_rows(self) -> list[Row]:
        as_of = self.as_of
        rows = self.trajectories.order_by("pk").values_list(
            "pk", "youth_id", "team__organisation_id", "team_id", "programme_id", "cohort",
            "referred_on", "referral_source", "requested_placement", "placement_basis",
            "youth__date_of_birth", "closure__closed_on", "closure__reason",
            "closure__jim_relationship",
        )  # fmt: skip
        free = self._trajectory_free_text()
        searches = {s.trajectory_id: s for s in d.searches(self.scope)}
        positioned = d.positioned_on(self.scope)
        placed = d.first_placement_in_care(
            list(searches.values()), d.realised_placements(self.scope), as_of
        )
        result = []
        for (
            pk, youth_id, organisation_id, team_id, programme_id, cohort, referred_on, source,
            requested, basis, born, closure_on, reason, relationship,
        ) in rows:  # fmt: skip
            closed_on = _known(closure_on, as_of)
            self.referral[pk] = (referred_on, born)
            self.youth_of[pk] = youth_id
            self.closed_on[pk] = closed_on
            self.cohort_of[pk] = cohort
            search = searches.get(pk)
            row: Row = {
                "trajectory_id": self.id("trajectory", pk),
                "youth_id": self.id("youth", youth_id),
                "organisation_id": self.id("organisation", organisation_id),
                "team_id": self.id("team", team_id),
                "programme_id": self.id("programme", programme_id),
                "cohort": cohort,
                "referral_month": _month(referred_on),
                "referral_source": source,
                "requested_placement": requested,
                "placement_basis": basis,
                "age_at_referral": _age(born, referred_on),
                "closed": closed_on is not None,
                "closure_days": _days(closed_on, referred_on),
                "closure_reason": reason if closed_on else None,
                "jim_relationship_at_closure": relationship if closed_on else None,
                "first_placement_days": _days(placed.get(pk), referred_on),
                "positioned_days": _days(positioned.get(pk), referred_on),
                **free.get(pk, {}),
            }
            if search is not None:
                row.update(
                    search_status={d.JIM_FOUND: "jim_found", d.NO_JIM: "no_jim"}.get(
                        search.status, "censored"
                    ),
                    search_days=search.days,
                    jim_found_days=_days(search.jim_on, referred_on),
                    no_jim_days=_days(search.no_jim_on, referred_on),
                )
            result.append(row)
        return result

    def _trajectory_free_text(self) -> dict[int, Row]:
        fields = []
        if "referral_reason" in self.include:
            fields.append(("referral_reason", "referral_reason"))
        if "notes" in self.include:
            fields.append(("notes", "closure__note"))
        if not fields:
            return {}
        values = self.trajectories.values_list("pk", "closure__closed_on", *(f for _n, f in fields))
        result = {}
        for pk, closed_on, *texts in values:
            row = dict(zip((n for n, _f in fields), texts, strict=True))
            if "notes" in row and _known(closed_on, self.as_of) is None:
                row["notes"] = None  # a closure after as_of is not known yet
            result[pk] = row
        return result

    # --- youth ---------------------------------------------------------------------------

    def youth_rows(self) -> list[Row]:
        first: dict[int, dt.date] = {}
        count: Counter[int] = Counter()
        for pk, youth_id in self.youth_of.items():
            referred_on = self.referral[pk][0]
            count[youth_id] += 1
            if youth_id not in first or referred_on < first[youth_id]:
                first[youth_id] = referred_on
        living: dict[int, str] = {}
        for youth_id, situation in (
            LivingSituationRecord.objects.filter(
                youth__in=self.trajectories.values("youth_id"), since__lte=self.as_of
            )
            .order_by("youth_id", "since", "pk")
            .values_list("youth_id", "situation")
        ):
            living[youth_id] = situation  # the latest that began by as_of
        youth = (
            Youth.objects.filter(pk__in=self.trajectories.values("youth_id"))
            .order_by("pk")
            .values_list(
                "pk", "organisation_id", "team_id", "gender", "date_of_birth",
                "school_work_status",
            )
        )  # fmt: skip
        return [
            {
                "youth_id": self.id("youth", pk),
                "organisation_id": self.id("organisation", organisation_id),
                "team_id": self.id("team", team_id),
                "gender": gender,
                "birth_month": _month(born),
                "age_at_first_referral": _age(born, first.get(pk)),
                "living_situation": living.get(pk),
                "school_work_status": school_work,
                "n_trajectories": count[pk],
            }
            for pk, organisation_id, team_id, gender, born, school_work in youth
        ]

    # --- waves and assessments -----------------------------------------------------------

    def wave_rows(self) -> list[Row]:
        waves = (
            Wave.objects.filter(trajectory__in=self.trajectories, on__lte=self.as_of)
            .order_by("trajectory_id", "on", "pk")
            .values_list("pk", "trajectory_id", "kind", "number", "on")
        )
        rows = []
        for pk, trajectory_id, kind, number, on in waves:
            referred_on, born = self.referral[trajectory_id]
            rows.append(
                {
                    "wave_id": self.id("wave", pk),
                    "trajectory_id": self.id("trajectory", trajectory_id),
                    "youth_id": self.id("youth", self.youth_of[trajectory_id]),
                    "kind": kind,
                    "number": number,
                    "wave_month": _month(on),
                    "wave_days": _days(on, referred_on),
                    "age_at_wave": _age(born, on),
                }
            )
        return rows

    def assessment_rows(self) -> tuple[list[Row], list[Row], list[Row]]:
        submitted = (
            Assessment.objects.filter(trajectory__in=self.trajectories, status=Status.SUBMITTED)
            .annotate(day=d.amsterdam_day("submitted_at"))
            .filter(day__lte=self.as_of)
        )
        rows = submitted.order_by("trajectory_id", "pk").values_list(
            "pk", "trajectory_id", "wave_id", "meeting__kind", "instrument",
            "instrument_version", "respondent_role", "mode", "assessed_on", "day", "scores",
        )  # fmt: skip
        history: dict[int, list[dict[str, Any]]] = defaultdict(list)
        if "revision_history" in self.include:
            for assessment_id, action, changes in (
                AssessmentRevision.objects.filter(assessment__in=submitted.values("pk"))
                .order_by("assessment_id", "at", "pk")
                .values_list("assessment_id", "action", "changes")
            ):
                history[assessment_id].append({"action": action, "changes": changes})
        assessments, scores = [], []
        instrument_of: dict[int, str] = {}
        for (
            pk, trajectory_id, wave_id, meeting_kind, instrument, version, role, mode,
            assessed_on, submitted_on, subscale_scores,
        ) in rows:  # fmt: skip
            referred_on, born = self.referral[trajectory_id]
            on = assessed_on or submitted_on
            instrument_of[pk] = instrument
            assessments.append(
                {
                    "assessment_id": self.id("assessment", pk),
                    "trajectory_id": self.id("trajectory", trajectory_id),
                    "youth_id": self.id("youth", self.youth_of[trajectory_id]),
                    "wave_id": self.id("wave", wave_id),
                    "meeting_kind": meeting_kind,
                    "instrument": instrument,
                    "instrument_version": version,
                    "respondent_role": role,
                    "mode": mode,
                    "assessed_month": _month(on),
                    "assessed_days": _days(on, referred_on),
                    "age_at_assessment": _age(born, on),
                    "revision_history": json.dumps(history.get(pk, []), ensure_ascii=False),
                }
            )
            for subscale, score in sorted((subscale_scores or {}).items()):
                scores.append(
                    {
                        "assessment_id": self.id("assessment", pk),
                        "instrument": instrument,
                        "subscale": subscale,
                        "score": None if score is None else float(score),
                    }
                )
        answers = []
        with_text = "open_answer" in self.include
        for assessment_id, item, value, text in (
            Answer.objects.filter(assessment__in=submitted.values("pk"))
            .order_by("assessment_id", "item")
            .values_list("assessment_id", "item", "value", "text")
        ):
            if value is None and not (with_text and text):
                continue  # an open answer: left out unless chosen
            answers.append(
                {
                    "assessment_id": self.id("assessment", assessment_id),
                    "instrument": instrument_of.get(assessment_id),
                    "item": item,
                    "value": value,
                    "open_answer": text or None,
                }
            )
        return assessments, scores, answers

    # --- placement episodes and follow-ups -----------------------------------------------

    def episode_rows(self) -> list[Row]:
        as_of = self.as_of
        episodes = (
            PlacementEpisode.objects.filter(trajectory__in=self.trajectories)
            .annotate(recorded_on=d.amsterdam_day("recorded_at"))
            .order_by("trajectory_id", "started_on", "pk")
            .values_list(
                "pk", "trajectory_id", "source", "carried_out", "placement_type", "started_on",
                "ended_on", "recorded_on", "note",
            )
        )  # fmt: skip
        rows = []
        for (
            pk,
            trajectory_id,
            source,
            carried_out,
            kind,
            started,
            ended,
            recorded,
            note,
        ) in episodes:
            if started is not None and started > as_of:
                continue  # begins after as_of: not known yet
            if started is None and (recorded is None or recorded > as_of):
                continue  # "not carried out", recorded after as_of
            referred_on = self.referral[trajectory_id][0]
            ended = _known(ended, as_of)
            rows.append(
                {
                    "episode_id": self.id("episode", pk),
                    "trajectory_id": self.id("trajectory", trajectory_id),
                    "youth_id": self.id("youth", self.youth_of[trajectory_id]),
                    "source": source,
                    "carried_out": carried_out,
                    "placement_type": kind,
                    "started_month": _month(started),
                    "started_days": _days(started, referred_on),
                    "ended_month": _month(ended),
                    "ended_days": _days(ended, referred_on),
                    "notes": note or None,
                }
            )
        return rows

    def follow_up_rows(self) -> list[Row]:
        as_of = self.as_of
        follow_ups = (
            FollowUp.objects.filter(
                trajectory__in=self.trajectories,
                trajectory__closure__closed_on__lte=as_of,
                due_on__lte=as_of,
            )
            .order_by("trajectory_id", "months")
            .values_list(
                "pk", "trajectory_id", "months", "due_on", "done_on", "outcome", "reported_by",
                "jim_contact_continues", "contact_frequency", "placement_after_all",
                "placement_type", "note",
            )
        )  # fmt: skip
        rows = []
        for (
            pk, trajectory_id, months, due_on, done_on, outcome, reported_by, continues,
            frequency, after_all, kind, note,
        ) in follow_ups:  # fmt: skip
            referred_on = self.referral[trajectory_id][0]
            done_on = _known(done_on, as_of)
            answered = done_on is not None
            rows.append(
                {
                    "follow_up_id": self.id("follow_up", pk),
                    "trajectory_id": self.id("trajectory", trajectory_id),
                    "youth_id": self.id("youth", self.youth_of[trajectory_id]),
                    "months": months,
                    "due_month": _month(due_on),
                    "due_days": _days(due_on, referred_on),
                    "outcome": outcome if answered else None,
                    "done_month": _month(done_on),
                    "done_days": _days(done_on, referred_on),
                    "reported_by": reported_by if answered else None,
                    "jim_contact_continues": continues if answered else None,
                    "contact_frequency": frequency if answered else None,
                    "placement_after_all": after_all if answered else None,
                    "placement_type": kind if answered else None,
                    "notes": (note or None) if answered else None,
                }
            )
        return rows

    # --- aggregate -----------------------------------------------------------------------

    def aggregate_rows(self, threshold: int) -> list[Row]:
        """Trajectories per referral month and cohort, small cells withheld (empty)."""
        placed = set(
            PlacementEpisode.objects.realised()
            .filter(trajectory__in=self.trajectories, started_on__lte=self.as_of)
            .values_list("trajectory_id", flat=True)
        )
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for pk, (referred_on, _born) in self.referral.items():
            groups[(_month(referred_on) or "", self.cohort_of[pk])].append(pk)
        order = {value: i for i, value in enumerate(Cohort.values)}
        rows = []
        for (month, cohort), pks in sorted(groups.items(), key=lambda g: (g[0][0], order[g[0][1]])):
            n = len(pks)
            closed = sum(self.closed_on[pk] is not None for pk in pks)
            placed_n = sum(pk in placed for pk in pks)
            rows.append(
                {
                    "referral_month": month,
                    "cohort": cohort,
                    "trajectories": cell(n, threshold),
                    "closed": _part(closed, n, threshold),
                    "placed": _part(placed_n, n, threshold),
                }
            )
        return rows


def _part(count: int, n: int, threshold: int) -> int | None:
    """A count out of ``n``, withheld when it, the rest (``n - count``) or ``n`` is a small
    cell: the rest would otherwise follow from the total (docs/evidence.md)."""
    if is_small(n, threshold) or is_small(count, threshold) or is_small(n - count, threshold):
        return None
    return count

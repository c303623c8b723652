"""The codebook of the research export: every variable of every table, its meaning, type and
allowed values. The writer writes exactly these columns, in this order; a column without an
entry here cannot be exported (docs/evidence.md, "Research export").

Types: ``id`` (a keyed pseudonym, 32 hexadecimal characters; the same record has the same
pseudonym in every table of exports made with the same key), ``integer``, ``number``,
``boolean``, ``month`` (``YYYY-MM``: calendar dates are coarsened to their month),
``category`` (one of the allowed values) and ``text`` (free text, only exported when the
column is chosen explicitly). An empty cell means "not recorded", "not (yet) happened by
``as_of``" or, in the aggregate table, a withheld small cell.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils import translation

from yim.monitoring.models import RespondentRole
from yim.monitoring.rules import EntryMode
from yim.monitoring.waves import WaveKind
from yim.research.export.free_text import FREE_TEXT
from yim.trajectories.models import (
    ClosureReason,
    Cohort,
    ContactFrequency,
    EpisodeSource,
    FollowUpOutcome,
    Gender,
    JimRelationship,
    LivingSituation,
    MeetingKind,
    PlacementBasis,
    PlacementType,
    ReferralSource,
    Reporter,
    SchoolWorkStatus,
)

ID, INTEGER, NUMBER, BOOLEAN, MONTH, CATEGORY, TEXT = (
    "id", "integer", "number", "boolean", "month", "category", "text",
)  # fmt: skip

SEARCH_STATUSES = (
    ("jim_found", "a JIM accepted first (the event)"),
    ("no_jim", "'no JIM found' was recorded first (the competing event)"),
    ("censored", "neither by closure or as_of"),
)


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    meaning: str
    allowed: tuple[tuple[str, str], ...] = ()
    #: The free-text option that brings this column in (``FREE_TEXT``); "" for the rest.
    free_text: str = ""

    def allowed_text(self) -> str:
        if self.allowed:
            return "; ".join(f"{value or '(empty)'} = {label}" for value, label in self.allowed)
        return {
            ID: "pseudonym (32 hexadecimal characters)",
            INTEGER: "whole number",
            NUMBER: "number",
            BOOLEAN: "true; false; (empty) = not recorded",
            MONTH: "YYYY-MM",
            TEXT: "free text",
            CATEGORY: "a code of the questionnaire definitions (src/yim/monitoring/instruments)",
        }.get(self.type, "")


def choices(cls: type[models.TextChoices]) -> tuple[tuple[str, str], ...]:
    """The allowed values of a category from the model's choices, labelled in English."""
    with translation.override("en"):
        return tuple((str(value), str(label)) for value, label in cls.choices)


def _id(name: str, what: str) -> Variable:
    return Variable(name, ID, f"pseudonym of the {what}")


YOUTH_ID = _id("youth_id", "youth")
TRAJECTORY_ID = _id("trajectory_id", "trajectory")
DAYS = "days since the referral date of the trajectory"


def tables() -> dict[str, tuple[Variable, ...]]:
    """Table name → its variables, in column order."""
    return {
        "youth": (
            YOUTH_ID,
            _id("organisation_id", "organisation"),
            _id("team_id", "team the youth belongs to"),
            Variable("gender", CATEGORY, "gender", choices(Gender)),
            Variable("birth_month", MONTH, "month of birth (the day is never exported)"),
            Variable(
                "age_at_first_referral",
                INTEGER,
                "age in completed years on the referral date of the youth's first exported "
                "trajectory",
            ),
            Variable(
                "living_situation",
                CATEGORY,
                "living situation on as_of (the latest recorded situation that began by then)",
                choices(LivingSituation),
            ),
            Variable(
                "school_work_status",
                CATEGORY,
                "school or work as recorded at the time of the export (no history is kept)",
                choices(SchoolWorkStatus),
            ),
            Variable("n_trajectories", INTEGER, "number of the youth's exported trajectories"),
        ),
        "trajectory": (
            TRAJECTORY_ID,
            YOUTH_ID,
            _id("organisation_id", "organisation"),
            _id("team_id", "team"),
            _id("programme_id", "programme model"),
            Variable("cohort", CATEGORY, "JIM cohort or comparison group", choices(Cohort)),
            Variable("referral_month", MONTH, "month of the referral date (the index date)"),
            Variable("referral_source", CATEGORY, "who referred", choices(ReferralSource)),
            Variable(
                "requested_placement",
                CATEGORY,
                "placement requested or indicated at referral",
                choices(PlacementType),
            ),
            Variable(
                "placement_basis", CATEGORY, "requested or indicated", choices(PlacementBasis)
            ),
            Variable("age_at_referral", INTEGER, "age in completed years on the referral date"),
            Variable("closed", BOOLEAN, "closed by as_of"),
            Variable("closure_days", INTEGER, f"closure: {DAYS}"),
            Variable("closure_reason", CATEGORY, "why care ended", choices(ClosureReason)),
            Variable(
                "jim_relationship_at_closure",
                CATEGORY,
                "the JIM relationship at closure",
                choices(JimRelationship),
            ),
            Variable(
                "search_status",
                CATEGORY,
                "the search for a JIM as of as_of (JIM cohort only; docs/evidence.md, time to JIM)",
                SEARCH_STATUSES,
            ),
            Variable(
                "search_days",
                INTEGER,
                "days from referral to the search's event, or to censoring (closure or as_of)",
            ),
            Variable("jim_found_days", INTEGER, f"the first JIM's acceptance: {DAYS}"),
            Variable("no_jim_days", INTEGER, f"'no JIM found' first recorded: {DAYS}"),
            Variable(
                "positioned_days",
                INTEGER,
                f"the JIM positioned (docs/evidence.md, JIM positioned): {DAYS}",
            ),
            Variable(
                "first_placement_days",
                INTEGER,
                "the first realised out-of-home placement between referral and closure (or "
                f"as_of): {DAYS} (JIM cohort; every episode is in placement_episode)",
            ),
            Variable(
                "referral_reason",
                TEXT,
                FREE_TEXT["referral_reason"],
                free_text="referral_reason",
            ),
            Variable("notes", TEXT, "the note of the closure", free_text="notes"),
        ),
        "wave": (
            _id("wave_id", "wave"),
            TRAJECTORY_ID,
            YOUTH_ID,
            Variable("kind", CATEGORY, "measurement moment", choices(WaveKind)),
            Variable(
                "number",
                INTEGER,
                "evaluation: 1, 2, …; follow-up: months after closure; intake and closure: 0",
            ),
            Variable("wave_month", MONTH, "month of the wave's date"),
            Variable("wave_days", INTEGER, f"the wave's date: {DAYS}"),
            Variable("age_at_wave", INTEGER, "age in completed years on the wave's date"),
        ),
        "assessment": (
            _id("assessment_id", "assessment"),
            TRAJECTORY_ID,
            YOUTH_ID,
            _id("wave_id", "wave (empty for feedback after a meeting)"),
            Variable(
                "meeting_kind",
                CATEGORY,
                "the meeting a feedback form is about",
                choices(MeetingKind),
            ),
            Variable("instrument", CATEGORY, "code of the questionnaire (see instrument docs)"),
            Variable("instrument_version", INTEGER, "version of the questionnaire"),
            Variable("respondent_role", CATEGORY, "whose answers", choices(RespondentRole)),
            Variable("mode", CATEGORY, "how the answers were given", choices(EntryMode)),
            Variable("assessed_month", MONTH, "month the questionnaire was answered"),
            Variable("assessed_days", INTEGER, f"the day it was answered: {DAYS}"),
            Variable("age_at_assessment", INTEGER, "age in completed years on that day"),
            Variable(
                "revision_history",
                TEXT,
                FREE_TEXT["revision_history"],
                free_text="revision_history",
            ),
        ),
        "assessment_score": (
            _id("assessment_id", "assessment"),
            Variable("instrument", CATEGORY, "code of the questionnaire"),
            Variable("subscale", CATEGORY, "code of the subscale (see the instrument)"),
            Variable("score", NUMBER, "the subscale's score (empty: too few items answered)"),
        ),
        "assessment_answer": (
            _id("assessment_id", "assessment"),
            Variable("instrument", CATEGORY, "code of the questionnaire"),
            Variable("item", CATEGORY, "code of the question (see the instrument)"),
            Variable("value", INTEGER, "the answer on the item's scale (empty: open question)"),
            Variable("open_answer", TEXT, FREE_TEXT["open_answer"], free_text="open_answer"),
        ),
        "placement_episode": (
            _id("episode_id", "placement episode"),
            TRAJECTORY_ID,
            YOUTH_ID,
            Variable("source", CATEGORY, "where the episode comes from", choices(EpisodeSource)),
            Variable("carried_out", BOOLEAN, "the placement was carried out"),
            Variable("placement_type", CATEGORY, "kind of placement", choices(PlacementType)),
            Variable("started_month", MONTH, "month the placement began"),
            Variable("started_days", INTEGER, f"the placement began: {DAYS}"),
            Variable("ended_month", MONTH, "month it ended (empty: open on as_of)"),
            Variable("ended_days", INTEGER, f"the placement ended: {DAYS}"),
            Variable("notes", TEXT, "the note of the episode", free_text="notes"),
        ),
        "follow_up": (
            _id("follow_up_id", "follow-up"),
            TRAJECTORY_ID,
            YOUTH_ID,
            Variable("months", INTEGER, "months after closure"),
            Variable("due_month", MONTH, "month the follow-up was due"),
            Variable("due_days", INTEGER, f"due: {DAYS}"),
            Variable(
                "outcome",
                CATEGORY,
                "answered or not reached (empty: no answer by as_of)",
                choices(FollowUpOutcome),
            ),
            Variable("done_month", MONTH, "month it was done"),
            Variable("done_days", INTEGER, f"done: {DAYS}"),
            Variable("reported_by", CATEGORY, "who reported", choices(Reporter)),
            Variable("jim_contact_continues", BOOLEAN, "contact with the JIM continues"),
            Variable("contact_frequency", CATEGORY, "how often", choices(ContactFrequency)),
            Variable("placement_after_all", BOOLEAN, "placed out of home after all"),
            Variable("placement_type", CATEGORY, "which placement", choices(PlacementType)),
            Variable("notes", TEXT, "the note of the follow-up", free_text="notes"),
        ),
        "aggregate_referrals": (
            Variable("referral_month", MONTH, "month of referral"),
            Variable("cohort", CATEGORY, "JIM cohort or comparison group", choices(Cohort)),
            Variable(
                "trajectories",
                INTEGER,
                "trajectories referred that month (empty: fewer than the threshold, withheld)",
            ),
            Variable(
                "closed",
                INTEGER,
                "of them closed by as_of (empty: fewer than the threshold, withheld)",
            ),
            Variable(
                "placed",
                INTEGER,
                "of them with a realised placement that began by as_of (empty: fewer than the "
                "threshold, withheld)",
            ),
        ),
    }


def exported(include: Iterable[str]) -> dict[str, tuple[Variable, ...]]:
    """The tables with the columns an export with these free-text choices writes."""
    chosen = set(include)
    return {
        name: tuple(v for v in variables if not v.free_text or v.free_text in chosen)
        for name, variables in tables().items()
    }

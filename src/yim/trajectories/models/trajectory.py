"""A youth's JIM trajectory: referral, programme, responsible professional and its phases.

The phase history is a list of :class:`PhaseTransition` rows, one per move, each with its
timestamp. Time in phase and time to mentor are derived from those timestamps and from the
candidates' responses; nobody types them in.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from yim.accounts.models import Role, Team
from yim.core.errors import DomainError
from yim.core.models import Errors, VersionedModel, prefetched
from yim.programmes.phases import (
    CLOSED_PHASES,
    PHASE_ORDER,
    SEARCH_PHASES,
    Phase,
    phase_index,
)
from yim.trajectories import rules
from yim.trajectories.errors import TrajectoryClosed
from yim.trajectories.models.base import check_event_date, today
from yim.trajectories.models.choices import OUT_OF_HOME as OUT_OF_HOME  # re-exported
from yim.trajectories.models.choices import (
    Cohort,
    MeetingKind,
    PlacementBasis,
    PlacementType,
    ReferralSource,
)
from yim.trajectories.models.queries import TrajectoryQuerySet as TrajectoryQuerySet
from yim.trajectories.models.transitions import PhaseTransition

#: Phases reached by recording something, never picked by hand (see ``choose_phase``).
RECORDED_PHASES: frozenset[str] = frozenset({Phase.REFERRAL, Phase.CLOSURE, Phase.FOLLOW_UP})

if TYPE_CHECKING:
    from yim.accounts.models import User
    from yim.trajectories.models.closure import Closure
    from yim.trajectories.models.nomination import Candidate, NoJimOutcome, NominationRound


class Trajectory(VersionedModel):
    """One JIM trajectory of a youth; a youth has at most one open trajectory at a time.

    Create with :meth:`start`; move with :meth:`advance_to`; end with :meth:`close`.
    ``phase``, ``phase_entered_at``, ``started_at`` and ``closed_at`` are kept by those
    methods and are not editable in forms.
    """

    youth = models.ForeignKey(
        "trajectories.Youth", on_delete=models.PROTECT, related_name="trajectories"
    )
    programme = models.ForeignKey(
        "programmes.ProgrammeModel",
        on_delete=models.PROTECT,
        related_name="trajectories",
        verbose_name=_("programme model"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="trajectories", verbose_name=_("team")
    )
    professional = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="trajectories",
        verbose_name=_("responsible professional"),
    )
    cohort = models.CharField(
        _("cohort"), max_length=20, choices=Cohort.choices, default=Cohort.JIM
    )
    referred_on = models.DateField(_("referral date"))
    referral_source = models.CharField(
        _("referred by"), max_length=30, choices=ReferralSource.choices
    )
    referral_reason = models.TextField(_("reason for referral"))
    age_exception_reason = models.TextField(
        _("reason for an age outside 12–23"),
        blank=True,
        default="",
        help_text=_(
            "Only when the youth was younger than 12 or older than 23 on the referral date."
        ),
    )
    requested_placement = models.CharField(
        _("placement requested or indicated"),
        max_length=20,
        choices=PlacementType.choices,
        default=PlacementType.NONE,
    )
    placement_basis = models.CharField(
        _("requested or indicated"),
        max_length=20,
        choices=PlacementBasis.choices,
        blank=True,
        default="",
    )
    phase = models.CharField(
        _("phase"), max_length=30, choices=Phase.choices, default=Phase.REFERRAL, editable=False
    )
    started_at = models.DateTimeField(_("started"), editable=False)
    phase_entered_at = models.DateTimeField(_("in this phase since"), editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TrajectoryQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "pk"]
        verbose_name = _("trajectory")
        verbose_name_plural = _("trajectories")
        constraints = [
            models.UniqueConstraint(
                fields=["youth"],
                condition=Q(closed_at__isnull=True),
                name="one_open_trajectory_per_youth",
                violation_error_message=_("This youth already has an open trajectory."),
            )
        ]
        indexes = [
            models.Index(fields=["team", "phase"]),
            # The open JIM-cohort trajectories by youth, with their ids: what the team overview
            # and the start page join to the team's youth (PostgreSQL reads the index alone).
            models.Index(
                fields=["youth"], include=["id"], name="open_jim_trajectory_by_youth",
                condition=Q(closed_at__isnull=True, cohort=Cohort.JIM),
            ),
            # PostgreSQL also has jim_cohort_by_team, made by migration 0018 alone (see there).
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.youth} ({self.get_phase_display()})"

    # --- validation -------------------------------------------------------------------

    def clean(self) -> None:
        super().clean()
        if (
            not self._state.adding
            and self.closed_in_database()
            and not getattr(self, "_closing", False)
        ):
            raise TrajectoryClosed()
        errors = Errors()
        youth = self.youth if self.youth_id else None
        dob = youth.date_of_birth if youth else None
        check_event_date(errors, "referred_on", self.referred_on, date_of_birth=dob)
        if (
            self.started_at
            and self.referred_on
            and rules.amsterdam_day(self.started_at) < (self.referred_on)
        ):
            errors.add(
                "referred_on",
                _("The referral date lies after the day the trajectory was registered (%(day)s).")
                % {"day": date_format(self.started_on, "SHORT_DATE_FORMAT")},
            )
        if dob is not None and "referred_on" not in errors:
            self._check_age_at_referral(errors, dob)
        if youth and self.team_id and self.team.organisation_id != youth.organisation_id:
            errors.add("team", _("The team belongs to another organisation than the youth."))
        if self.professional_id:
            prof = self.professional
            if prof.role not in (Role.PROFESSIONAL, Role.TEAM_LEAD):
                errors.add(
                    "professional", _("The responsible professional must be a professional.")
                )
            elif youth and prof.organisation_id != youth.organisation_id:
                errors.add("professional", _("This professional works for another organisation."))
        if self.programme_id and self.programme.organisation_id not in (
            None,
            youth.organisation_id if youth else None,
        ):
            errors.add("programme", _("This programme model belongs to another organisation."))
        if self.requested_placement != PlacementType.NONE and not self.placement_basis:
            errors.add(
                "placement_basis", _("Say whether the placement was requested or indicated.")
            )
        errors.raise_if_any()

    def _check_age_at_referral(self, errors: Errors, dob: dt.date) -> None:
        """The JIM approach is for youth of 12 to 23 on the referral date; outside that range
        a JIM trajectory needs a reason. Judged when the trajectory is opened and when its
        referral date or the reason changes, so an older record is not blocked later."""
        if self.cohort == Cohort.COMPARISON or self.age_exception_reason.strip():
            return
        if not isinstance(self.referred_on, dt.date) or self.referred_on < dob:
            return
        unchanged = Trajectory._base_manager.filter(
            pk=self.pk, referred_on=self.referred_on, age_exception_reason=self.age_exception_reason
        )
        if not self._state.adding and unchanged.exists():
            return
        age = rules.age_on(dob, self.referred_on)
        if not rules.APPROACH_AGE_FROM <= age <= rules.APPROACH_AGE_TO:
            errors.add(
                "age_exception_reason",
                _(
                    "The JIM approach is for youth aged 12 to 23; give a reason to register "
                    "a youth who was %(age)s on the referral date."
                )
                % {"age": age},
            )

    def closed_in_database(self) -> bool:
        if self.pk is None:
            return False
        return Trajectory._base_manager.filter(pk=self.pk, closed_at__isnull=False).exists()

    # --- life cycle ---------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        *,
        youth: Any,
        programme: Any,
        professional: User,
        referred_on: dt.date,
        referral_source: str,
        referral_reason: str,
        team: Team | None = None,
        at: dt.datetime | None = None,
        by: User | None = None,
        **fields: Any,
    ) -> Trajectory:
        """Open a trajectory in the referral phase; its first transition is timestamped ``at``."""
        at = at or timezone.now()
        with transaction.atomic():
            trajectory = cls(
                youth=youth,
                programme=programme,
                professional=professional,
                team=team or youth.team,
                referred_on=referred_on,
                referral_source=referral_source,
                referral_reason=referral_reason,
                phase=Phase.REFERRAL,
                started_at=at,
                phase_entered_at=at,
                **fields,
            )
            errors = Errors()
            check_event_date(errors, "started_at", at, date_of_birth=youth.date_of_birth)
            try:
                trajectory.full_clean()
            except ValidationError as invalid:
                for name, problems in invalid.message_dict.items():
                    for problem in problems:
                        errors.add(name, problem)
            errors.raise_if_any()
            trajectory.save(validate=False)
            PhaseTransition.objects.create(
                trajectory=trajectory, phase=Phase.REFERRAL, entered_at=at, by=by
            )
        return trajectory

    def advance_to(
        self, phase: str, at: dt.datetime | None = None, by: User | None = None, note: str = ""
    ) -> PhaseTransition:
        """Move to ``phase`` at ``at`` (default now), checking the rules of the approach.

        Forward moves may skip phases; going back is only to network exploration or
        candidates (a new search after a JIM stopped). Consent needs an accepted candidate,
        positioning a JIM with complete consent, and collaboration either that or a recorded
        "no JIM found" outcome — which never blocks care.
        """
        at = at or timezone.now()
        phase = Phase(phase)
        if self.closed_in_database() and not (
            self.phase == Phase.CLOSURE and phase == Phase.FOLLOW_UP
        ):
            raise TrajectoryClosed()
        errors = Errors()
        check_event_date(
            errors,
            "entered_at",
            at,
            date_of_birth=self.youth.date_of_birth,
        )
        if not errors and at < self.phase_entered_at:
            errors.add(
                "entered_at",
                _("A phase cannot start before the current phase did (%(when)s).")
                % {"when": timezone.localtime(self.phase_entered_at).strftime("%Y-%m-%d %H:%M")},
            )
        errors.raise_if_any()
        self._check_move(phase)
        with transaction.atomic():
            transition = PhaseTransition.objects.create(
                trajectory=self, phase=phase, entered_at=at, by=by, note=note
            )
            self.phase = phase
            self.phase_entered_at = at
            if phase == Phase.CLOSURE:
                self.closed_at = at
            self._closing = phase in CLOSED_PHASES
            try:
                self.save()
            finally:
                self._closing = False
        return transition

    def choosable_phases(self) -> list[Phase]:
        """The phases a professional may pick by hand now (the move is still judged)."""
        return [
            p
            for p in Phase
            if self.programme.uses_phase(p) and p not in RECORDED_PHASES and p != self.phase
        ]

    def choose_phase(
        self, phase: str, *, by: User | None = None, note: str = "", at: dt.datetime | None = None
    ) -> PhaseTransition:
        """A professional moves the trajectory by hand (the phase form, the API).

        Referral, closure and follow-up are never chosen: a trajectory starts in referral,
        closes by recording its closure and enters follow-up when a follow-up is recorded.
        A closed trajectory refuses every move.
        """
        if self.closed_in_database():
            raise TrajectoryClosed()
        try:
            target = Phase(phase)
        except ValueError:
            raise DomainError(_("Choose a phase of the JIM approach."), field="phase") from None
        if target == Phase.REFERRAL:
            raise DomainError(_("A trajectory cannot go back to referral."), field="phase")
        if target == Phase.CLOSURE:
            raise DomainError(
                _("Close a trajectory by recording its closure (reason and JIM relationship)."),
                field="phase",
            )
        if target == Phase.FOLLOW_UP:
            raise DomainError(_("Follow-up comes after closure."), field="phase")
        return self.advance_to(target, at=at, by=by, note=note)

    def move_refusal(self, phase: str) -> DomainError | None:
        """Why a move to ``phase`` would be refused now, or None: the rules of
        :meth:`advance_to`, asked without moving (the phase stepper shows them)."""
        try:
            self._check_move(Phase(phase))
        except DomainError as refusal:
            return refusal
        return None

    def _check_move(self, phase: Phase) -> None:
        if phase == self.phase:
            raise DomainError(_("The trajectory is already in this phase."), field="phase")
        if not self.programme.uses_phase(phase):
            raise DomainError(
                _("The programme model '%(programme)s' does not use the phase '%(phase)s'.")
                % {"programme": self.programme.display_name, "phase": phase.label},
                field="phase",
            )
        if phase == Phase.REFERRAL:
            raise DomainError(_("A trajectory cannot go back to referral."), field="phase")
        backwards = phase_index(phase) < phase_index(self.phase)
        if backwards and phase not in SEARCH_PHASES:
            raise DomainError(
                _("A trajectory only goes back to start a new search for a JIM."), field="phase"
            )
        if phase == Phase.FOLLOW_UP and self.phase != Phase.CLOSURE:
            raise DomainError(_("Follow-up comes after closure."), field="phase")
        if phase == Phase.CLOSURE and not hasattr(self, "_closure_pending"):
            raise DomainError(
                _("Close a trajectory by recording its closure (reason and JIM relationship)."),
                field="phase",
            )
        jim = self.active_jim
        if phase == Phase.CONSENT and jim is None:
            raise DomainError(
                _("Consent comes after a candidate has accepted to be the JIM."), field="phase"
            )
        if phase == Phase.POSITIONING and (jim is None or not jim.consent_status().complete):
            raise DomainError(_("Positioning needs a JIM with complete consent."), field="phase")
        if phase == Phase.COLLABORATION:
            has_jim = jim is not None and jim.consent_status().complete
            if not has_jim and not self.no_jim_outcomes.exists():
                raise DomainError(
                    _(
                        "Collaboration starts with a JIM whose consent is complete, or after "
                        "'no JIM found' has been recorded."
                    ),
                    field="phase",
                )

    def close(
        self,
        *,
        reason: str,
        jim_relationship: str,
        at: dt.datetime | None = None,
        on: dt.date | None = None,
        by: User | None = None,
        note: str = "",
    ) -> Closure:
        """Close professional care and plan the follow-ups at 6, 12 and 24 months.

        ``at`` is the moment of closure (default now); or give the day, ``on``, and the
        moment is :meth:`closing_moment` of that day.
        """
        if on is not None:
            at = self.closing_moment(on)
        # The closure module sits above this one (it imports the choices this one does):
        # reach its models through the app registry and the reverse relation.
        closure_model = apps.get_model("trajectories", "Closure")
        at = at or timezone.now()
        with transaction.atomic():
            self._closure_pending = True
            try:
                if self.closed_in_database():
                    raise TrajectoryClosed()
                closure = closure_model(
                    trajectory=self,
                    closed_on=rules.amsterdam_day(at),
                    reason=reason,
                    jim_relationship=jim_relationship,
                    note=note,
                    closed_by=by,
                )
                closure.full_clean()
                self.advance_to(Phase.CLOSURE, at=at, by=by, note=note)
                closure.save(validate=False)
            finally:
                del self._closure_pending
            for months, due_on in self.follow_up_plan(closure.closed_on):
                self.follow_ups.create(months=months, due_on=due_on)
        return closure

    @staticmethod
    def follow_up_plan(closed_on: dt.date) -> list[tuple[int, dt.date]]:
        """The follow-ups a closure on ``closed_on`` plans: (months after, due day)."""
        return [(months, rules.add_months(closed_on, months)) for months in rules.FOLLOW_UP_MONTHS]

    @staticmethod
    def closing_moment(closed_on: dt.date) -> dt.datetime:
        """When a closure recorded for ``closed_on`` happened: a closure today happens now;
        one recorded for an earlier (or a later, refused) day at noon of that day in
        Amsterdam."""
        if closed_on == today():
            return timezone.now()
        return dt.datetime.combine(closed_on, dt.time(12), tzinfo=rules.AMSTERDAM)

    # --- derived ------------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def started_on(self) -> dt.date:
        """The day of registration (Amsterdam); the records' dates, the time to a JIM and
        the evaluation schedule count from the earlier referral date (``referred_on``)."""
        return rules.amsterdam_day(self.started_at)

    def prefetched(self, relation: str) -> list[Any] | None:
        """The records of ``relation`` a page prefetched onto this trajectory
        (``prefetch_related``), or None: the derived values below read them instead of
        asking the database again (one rule for both paths)."""
        return prefetched(self, relation)

    @property
    def active_jim(self) -> Candidate | None:
        candidates = self.prefetched("candidates")
        if candidates is not None:
            return next((c for c in candidates if c.is_active_jim), None)
        return self.candidates.filter(response="accepted", jim_ended_on__isnull=True).first()

    def jims(self) -> models.QuerySet[Candidate]:
        """Everyone who has been this youth's JIM in this trajectory, first first."""
        return self.candidates.filter(response="accepted").order_by("response_on", "pk")

    def open_round(self) -> NominationRound | None:
        return self.nomination_rounds.filter(closed_on__isnull=True).first()

    def start_round(self, on: dt.date | None = None, by: User | None = None) -> NominationRound:
        return self.nomination_rounds.create(started_on=on or today(), by=by)

    def name_candidate(
        self,
        person: Any,
        *,
        named_on: dt.date | None = None,
        by: User | None = None,
        **fields: Any,
    ) -> Candidate:
        """The youth names ``person`` as a candidate JIM in the open round; when no round is
        open, one is started on ``named_on`` first (the page and the API both name
        candidates through here)."""
        named_on = named_on or today()
        with transaction.atomic():
            round_ = self.open_round() or self.start_round(on=named_on, by=by)
            return round_.add_candidate(person, named_on=named_on, **fields)

    def record_no_jim(self, **fields: Any) -> NoJimOutcome:
        """Record 'no JIM found' (reason, alternatives tried); closes the open round."""
        return self.no_jim_outcomes.model.record(trajectory=self, **fields)

    @property
    def jim_found_on(self) -> dt.date | None:
        """The day the first JIM accepted (derived from the candidates' responses)."""
        if hasattr(self, "first_jim_on"):
            return self.first_jim_on
        candidates = self.prefetched("candidates")
        if candidates is not None:  # the earliest acceptance, as with_mentor_dates() reads it
            accepted = [c.response_on for c in candidates if c.is_jim and c.response_on]
            return min(accepted, default=None)
        first = self.jims().values_list("response_on", flat=True).first()
        return first

    @property
    def time_to_mentor(self) -> dt.timedelta | None:
        """From the referral date to the first JIM's acceptance; None while searching."""
        found = self.jim_found_on
        if found is None:
            return None
        return dt.timedelta(days=max((found - self.referred_on).days, 0))

    def mentor_search(self, as_of: dt.date | None = None) -> rules.MentorSearch:
        """A Kaplan–Meier row: days to the first JIM, or censored at closure / ``as_of``."""
        as_of = as_of or today()
        censored = rules.amsterdam_day(self.closed_at) if self.closed_at else as_of
        return rules.mentor_search(self.referred_on, self.jim_found_on, min(censored, as_of))

    def phase_history(self) -> list[PhaseTransition]:
        prefetched = self.prefetched("transitions")
        if prefetched is not None:
            return sorted(prefetched, key=lambda t: (t.entered_at, t.pk))
        return list(self.transitions.order_by("entered_at", "pk"))

    def time_in_phase(self, as_of: dt.datetime | None = None) -> dict[str, dt.timedelta]:
        """Total time spent in each phase, the current one counted up to ``as_of`` (now).

        A closed trajectory's time stops at closure: closure and follow-up are not care time.
        """
        as_of = as_of or timezone.now()
        history = self.phase_history()
        spent: dict[str, dt.timedelta] = defaultdict(dt.timedelta)
        for current, following in zip(history, [*history[1:], None], strict=True):
            if current.phase in CLOSED_PHASES:
                break
            end = following.entered_at if following else as_of
            spent[current.phase] += max(end - current.entered_at, dt.timedelta(0))
        return {p: spent[p] for p in PHASE_ORDER if p in spent}

    def time_in_current_phase(self, as_of: dt.datetime | None = None) -> dt.timedelta:
        as_of = as_of or timezone.now()
        return max(as_of - self.phase_entered_at, dt.timedelta(0))

    # --- evaluations and flags ----------------------------------------------------------

    def evaluations_due(self, as_of: dt.date | None = None) -> list[rules.EvaluationDue]:
        """The evaluation schedule by the programme's cadence, from the referral date."""
        as_of = as_of or today()
        prefetched = getattr(self, "evaluation_meetings", None)  # see with_overview()
        if prefetched is not None:
            held = [meeting.held_on for meeting in prefetched]
        else:
            held = list(
                self.meetings.held()
                .filter(kind=MeetingKind.EVALUATION)
                .values_list("held_on", flat=True)
            )
        end = rules.amsterdam_day(self.closed_at) if self.closed_at else None
        return rules.evaluation_schedule(
            self.referred_on, held, self.programme.evaluation_interval_months, as_of, end
        )

    def next_evaluation_due(self, as_of: dt.date | None = None) -> dt.date | None:
        """The first due date not yet met (overdue or upcoming); None once closed."""
        for item in self.evaluations_due(as_of):
            if item.status in ("overdue", "upcoming"):
                return item.due_on
        return None

    def is_evaluation_overdue(self, as_of: dt.date | None = None) -> bool:
        return any(item.is_overdue for item in self.evaluations_due(as_of))

    def overdue_consultations(self, as_of: dt.date | None = None) -> models.QuerySet[Any]:
        """Emergency placements whose JIM consultation is past its 7-day due date."""
        as_of = as_of or today()
        return self.placement_decisions.consultation_pending().filter(consultation_due__lt=as_of)

"""Forms of the trajectory pages: they parse input, the models judge it.

Every form here leaves the rules of the approach to the models. :class:`DomainForm` turns
off Django's model validation during ``is_valid()``; the view then saves through the model
(``save()`` runs ``full_clean()``) or calls a domain method, and :func:`attach_errors` puts
the model's messages on the form — on the field when the form has it, above the form
otherwise. So there is one judge (the model), and a refused save re-renders the form with
what the user typed: nothing is lost.

Editable records carry their ``version`` in a hidden field; the view saves with
``save_with_version`` so the second of two concurrent edits is refused (StaleEdit).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yim.accounts.forms import SentOnce
from yim.core.forms import (
    ActionForm,
    DateInput,
    DateTimeInput,
    DomainForm,
    text_area,
)
from yim.programmes.models import ProgrammeModel
from yim.trajectories.models import (
    Attendee,
    Candidate,
    CarePlan,
    ClosureReason,
    ConsentRecord,
    FollowUp,
    FollowUpOutcome,
    Gender,
    Goal,
    JimConsultation,
    JimEndReason,
    JimRelationship,
    LivingSituation,
    Meeting,
    NetworkPerson,
    NetworkTie,
    NoJimOutcome,
    Phase,
    PlacementBasis,
    PlacementDecision,
    PlacementType,
    ReferralSource,
    Reporter,
    Response,
    SafetyPlan,
    SchoolWorkStatus,
    SupportType,
    Trajectory,
)

# --- intake -----------------------------------------------------------------------------


def programme_choices(organisation_id: int | None) -> Any:
    return ProgrammeModel.objects.filter(
        Q(organisation__isnull=True) | Q(organisation_id=organisation_id), is_active=True
    ).order_by("name", "pk")


def requested_placement_field(initial: str = PlacementType.NONE) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Placement requested or indicated"), choices=PlacementType.choices, initial=initial
    )


def placement_basis_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Requested or indicated"),
        choices=[("", "—"), *PlacementBasis.choices],
        required=False,
    )


class ProgrammeChoiceForm(forms.Form):
    """A form with the programme model a new trajectory runs: the organisation's own and the
    shared ones, active only."""

    programme = forms.ModelChoiceField(label=_("Programme model"), queryset=ProgrammeModel.objects)

    def __init__(self, *args: Any, organisation_id: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        programme = self.fields["programme"]
        assert isinstance(programme, forms.ModelChoiceField)
        programme.queryset = programme_choices(organisation_id)


class NewTrajectoryForm(ProgrammeChoiceForm):
    """A new trajectory for a youth already known in yim (after an earlier one closed); the
    referral fields of the intake too."""

    referred_on = forms.DateField(label=_("Referral date"), widget=DateInput())
    referral_source = forms.ChoiceField(label=_("Referred by"), choices=ReferralSource.choices)
    referral_reason = forms.CharField(label=_("Reason for referral"), widget=text_area())
    requested_placement = requested_placement_field()
    placement_basis = placement_basis_field()
    age_exception_reason = forms.CharField(
        label=_("Reason for an age outside 12–23"),
        help_text=_(
            "Only when the youth was younger than 12 or older than 23 on the referral date."
        ),
        widget=text_area(),
        required=False,
    )

    TRAJECTORY_FIELDS = (
        "programme",
        "referred_on",
        "referral_source",
        "referral_reason",
        "requested_placement",
        "placement_basis",
        "age_exception_reason",
    )


class IntakeForm(NewTrajectoryForm):
    """A new youth and the referral that opens their first trajectory, in one step."""

    display_name = forms.CharField(label=_("Name (as shown in yim)"), max_length=120)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput())
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, required=False)
    school_work_status = forms.ChoiceField(
        label=_("School or work"), choices=SchoolWorkStatus.choices, required=False
    )
    living_situation = forms.ChoiceField(
        label=_("Living situation"), choices=LivingSituation.choices, required=False
    )

    YOUTH_FIELDS = (
        "display_name",
        "date_of_birth",
        "gender",
        "school_work_status",
        "living_situation",
    )
    field_order = (*YOUTH_FIELDS, *NewTrajectoryForm.TRAJECTORY_FIELDS)


class NotADuplicateForm(forms.Form):
    """At intake, when a youth with the same name and date of birth exists in the
    organisation: the professional confirms that this is someone else before saving."""

    not_a_duplicate = forms.BooleanField(label=_("This is a different youth"), required=False)


class ReferralForm(DomainForm):
    class Meta:
        model = Trajectory
        fields = [
            "referred_on",
            "referral_source",
            "referral_reason",
            "requested_placement",
            "placement_basis",
            "age_exception_reason",
        ]
        widgets = {
            "referred_on": DateInput(),
            "referral_reason": text_area(),
            "age_exception_reason": text_area(),
        }


class PhaseForm(ActionForm):
    phase = forms.ChoiceField(label=_("Move to phase"), choices=[])
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean_outcome(self) -> str:
        return self.cleaned_data.get("outcome") or FollowUpOutcome.ANSWERED

    def __init__(self, *args: Any, trajectory: Trajectory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = trajectory.version
        phase = self.fields["phase"]
        assert isinstance(phase, forms.ChoiceField)
        phase.choices = [(p.value, p.label) for p in trajectory.choosable_phases()]


# --- network ----------------------------------------------------------------------------


class NetworkPersonForm(DomainForm):
    support_types = forms.MultipleChoiceField(
        label=_("Support"),
        choices=SupportType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    trust = forms.TypedChoiceField(
        label=_("Trust (1–5)"),
        choices=[("", "—"), *[(str(i), str(i)) for i in range(1, 6)]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    conflict = forms.TypedChoiceField(
        label=_("Conflict (1–5)"),
        choices=[("", "—"), *[(str(i), str(i)) for i in range(1, 6)]],
        coerce=int,
        empty_value=None,
        required=False,
    )

    class Meta:
        model = NetworkPerson
        fields = [
            "display_name",
            "relation",
            "has_parental_authority",
            "age_band",
            "lives_with_youth",
            "contact_frequency",
            "trust",
            "conflict",
            "support_types",
            "note",
        ]
        widgets = {"note": text_area(2)}


class NetworkTieForm(DomainForm):
    class Meta:
        model = NetworkTie
        fields = ["person_a", "person_b", "conflict", "note"]
        labels = {"person_a": _("Person"), "person_b": _("Connected with")}

    def __init__(self, *args: Any, youth_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = NetworkPerson.objects.filter(youth_id=youth_id).order_by("display_name", "pk")
        for name in ("person_a", "person_b"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = people


# --- nomination and consent ---------------------------------------------------------------


class RoundForm(forms.Form):
    started_on = forms.DateField(label=_("Round started on"), widget=DateInput())


class CandidateForm(forms.Form):
    person = forms.ModelChoiceField(
        label=_("Person from the network"), queryset=NetworkPerson.objects
    )
    named_on = forms.DateField(label=_("Named by the youth on"), widget=DateInput())
    asked_on = forms.DateField(label=_("Asked by the youth on"), widget=DateInput(), required=False)

    def __init__(self, *args: Any, youth_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person = self.fields["person"]
        assert isinstance(person, forms.ModelChoiceField)
        person.queryset = NetworkPerson.objects.filter(youth_id=youth_id).order_by(
            "display_name", "pk"
        )


class ResponseForm(ActionForm):
    response = forms.ChoiceField(
        label=_("Response"),
        choices=[(v, label) for v, label in Response.choices if v != Response.PENDING],
    )
    asked_on = forms.DateField(label=_("Asked by the youth on"), widget=DateInput())
    response_on = forms.DateField(label=_("Response date"), widget=DateInput())
    decline_reason = forms.CharField(
        label=_("Reason for declining"), widget=text_area(2), required=False
    )


class CorrectionReason(forms.Form):
    """The optional reason of a correction (kept with the earlier version)."""

    reason = forms.CharField(
        label=_("Reason for the correction"), required=False, widget=text_area(2)
    )


class ResponseCorrectionForm(ResponseForm, CorrectionReason):
    """A recorded answer corrected (the earlier version is kept)."""

    field_order = ["response", "asked_on", "response_on", "decline_reason", "reason"]


class MinorConfirmationForm(ActionForm):
    confirmed_on = forms.DateField(label=_("Confirmed on"), widget=DateInput())
    reason = forms.CharField(label=_("Why a JIM under 18 is suitable"), widget=text_area(2))


class EndJimForm(ActionForm):
    ended_on = forms.DateField(label=_("Stopped as JIM on"), widget=DateInput())
    reason = forms.ChoiceField(label=_("Why the JIM stopped"), choices=JimEndReason.choices)


class NoJimForm(DomainForm):
    class Meta:
        model = NoJimOutcome
        fields = ["recorded_on", "reason", "explanation", "alternatives_tried"]
        widgets = {
            "recorded_on": DateInput(),
            "explanation": text_area(2),
            "alternatives_tried": text_area(2),
        }


class ConsentForm(DomainForm, SentOnce):
    class Meta:
        model = ConsentRecord
        fields = [
            "party",
            "holder",
            "parent_name",
            "decision",
            "not_asked_reason",
            "given_at",
            "note",
        ]
        widgets = {"given_at": DateTimeInput(), "note": text_area(2)}
        help_texts = {
            "holder": _(
                "For a parent: which holder of parental authority on the network map decided."
            ),
            "parent_name": _("Only when no holder of parental authority is on the network map."),
            "not_asked_reason": _("Only with 'Not asked'."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        holder = cast(forms.ModelChoiceField, self.fields["holder"])
        trajectory = getattr(self.instance, "trajectory", None)
        holder.queryset = (
            NetworkPerson.objects.filter(youth_id=trajectory.youth_id, has_parental_authority=True)
            if trajectory is not None
            else NetworkPerson.objects.none()
        )


# --- meetings and plans --------------------------------------------------------------------


class MeetingForm(DomainForm):
    class Meta:
        model = Meeting
        fields = ["kind", "held_on", "youth_view", "jim_input", "decisions", "notes"]
        widgets = {
            "held_on": DateInput(),
            "youth_view": text_area(),
            "jim_input": text_area(),
            "decisions": text_area(),
            "notes": text_area(2),
        }
        help_texts = {
            "youth_view": _("In the youth's own words, recorded apart from the decisions."),
            "jim_input": _("What the JIM brought in, recorded apart from the decisions."),
        }


class PlannedMeetingForm(DomainForm):
    """A meeting on the agenda: its kind, the day it is planned for, a note."""

    class Meta:
        model = Meeting
        fields = ["kind", "planned_for", "notes"]
        widgets = {"planned_for": DateInput(), "notes": text_area(2)}


class MeetingHeldForm(DomainForm):
    """A planned meeting recorded as held."""

    class Meta:
        model = Meeting
        fields = ["held_on", "youth_view", "jim_input", "decisions", "notes"]
        widgets = MeetingForm.Meta.widgets
        help_texts = MeetingForm.Meta.help_texts


class MeetingCorrectionForm(MeetingForm, CorrectionReason):
    pass


class PlannedMeetingCorrectionForm(PlannedMeetingForm, CorrectionReason):
    pass


class AttendeeForm(DomainForm):
    class Meta:
        model = Attendee
        fields = ["role", "name", "present"]


class CarePlanForm(DomainForm):
    class Meta:
        model = CarePlan
        fields = ["made_on", "summary"]
        widgets = {"made_on": DateInput(), "summary": text_area()}


class GoalForm(DomainForm):
    class Meta:
        model = Goal
        fields = ["description", "status", "status_note"]
        widgets = {"description": text_area(2), "status_note": text_area(2)}


class SafetyPlanForm(DomainForm):
    class Meta:
        model = SafetyPlan
        fields = ["made_on", "concerns", "measures", "ended_on"]
        widgets = {
            "made_on": DateInput(),
            "ended_on": DateInput(),
            "concerns": text_area(2),
            "measures": text_area(2),
        }


class SafetyPlanCorrectionForm(SafetyPlanForm, CorrectionReason):
    pass


# --- placement ------------------------------------------------------------------------------


class PlacementDecisionForm(DomainForm):
    class Meta:
        model = PlacementDecision
        fields = [
            "placement_type",
            "decided_on",
            "options_considered",
            "rationale",
            "youth_view",
            "is_emergency",
            "no_jim_reason",
        ]
        widgets = {
            "decided_on": DateInput(),
            "options_considered": text_area(2),
            "rationale": text_area(),
            "youth_view": text_area(),
            "no_jim_reason": text_area(2),
        }
        help_texts = {
            "is_emergency": _(
                "An emergency placement may be finalised first; the JIM must then be consulted "
                "within 7 days and a team lead confirms the emergency."
            ),
            "no_jim_reason": _("Only when the youth has no JIM to consult."),
        }


class ConsultationForm(DomainForm):
    class Meta:
        model = JimConsultation
        fields = ["consulted_on", "advice", "weighing"]
        widgets = {
            "consulted_on": DateInput(),
            "advice": text_area(),
            "weighing": text_area(),
        }


class NoJimReasonForm(ActionForm):
    """After an emergency placement without a JIM: why no JIM could be consulted."""

    no_jim_reason = forms.CharField(
        label=_("Why no JIM could be consulted"),
        min_length=10,
        max_length=2000,
        widget=text_area(),
        help_text=_("For example: the youth has no JIM yet and the nomination is still open."),
    )


# --- closure and follow-up -------------------------------------------------------------------


class ClosureForm(ActionForm):
    closed_on = forms.DateField(label=_("Closed on"), widget=DateInput())
    reason = forms.ChoiceField(label=_("Reason"), choices=ClosureReason.choices)
    jim_relationship = forms.ChoiceField(
        label=_("JIM relationship at closure"), choices=JimRelationship.choices
    )
    note = forms.CharField(label=_("Note"), widget=text_area(2), required=False)


YES_NO = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def yes_no_field(label: Any, *, required: bool = False) -> forms.TypedChoiceField:
    """Yes, no, or (when not required) not answered: True, False or None."""
    return forms.TypedChoiceField(
        label=label, choices=YES_NO, coerce=_yes_no, empty_value=None, required=required
    )


class FollowUpForm(ActionForm):
    done_on = forms.DateField(label=_("Done on"), widget=DateInput())
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=FollowUpOutcome.choices,
        initial=FollowUpOutcome.ANSWERED,
        required=False,
        help_text=_("Not reached: nobody could be asked; leave the answers empty."),
    )
    reported_by = forms.ChoiceField(
        label=_("Who reported"), choices=[("", "—"), *Reporter.choices[:-1]], required=False
    )
    jim = forms.ModelChoiceField(
        label=_("The JIM it is about"), queryset=Candidate.objects.none(), required=False
    )
    jim_contact_continues = yes_no_field(_("Contact with the JIM continues"))
    contact_frequency = forms.ChoiceField(
        label=_("How often"),
        choices=[("", "—"), *FollowUp._meta.get_field("contact_frequency").choices],  # type: ignore[misc]
        required=False,
    )
    placement_after_all = yes_no_field(_("Placed out of home after all"))
    placement_type = forms.ChoiceField(
        label=_("Placement"), choices=[("", "—"), *PlacementType.choices], required=False
    )
    note = forms.CharField(label=_("Note"), widget=text_area(2), required=False)

    def clean_outcome(self) -> str:
        return self.cleaned_data.get("outcome") or FollowUpOutcome.ANSWERED

    def __init__(self, *args: Any, trajectory: Trajectory, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        jims = Candidate.objects.filter(trajectory=trajectory, response=Response.ACCEPTED)
        jim = self.fields["jim"]
        assert isinstance(jim, forms.ModelChoiceField)
        jim.queryset = jims.select_related("person").order_by("-response_on", "-pk")
        if not jims.exists():
            # A youth who never had a JIM is not asked about contact with one.
            for name in ("jim", "jim_contact_continues", "contact_frequency"):
                del self.fields[name]


# --- team overview --------------------------------------------------------------------------

OVERVIEW_SORTS = {
    "youth": _("Youth"),
    "phase": _("Phase"),
    "days_in_phase": _("Days in phase"),
    "time_to_mentor": _("Days to JIM"),
    "next_evaluation": _("Next evaluation"),
    "professional": _("Professional"),
}


class OverviewFilterForm(forms.Form):
    phase = forms.ChoiceField(
        label=_("Phase"), choices=[("", _("All phases")), *Phase.choices], required=False
    )
    professional = forms.TypedChoiceField(
        label=_("Professional"), choices=[], coerce=int, empty_value=None, required=False
    )
    overdue = forms.BooleanField(label=_("Only with something overdue"), required=False)
    unconfirmed = forms.BooleanField(
        label=_("Only emergency placements awaiting a team lead's confirmation"), required=False
    )
    closed = forms.BooleanField(label=_("Include closed trajectories"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"), choices=list(OVERVIEW_SORTS.items()), required=False
    )
    descending = forms.BooleanField(label=_("Descending"), required=False)

    def __init__(self, *args: Any, professionals: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["professional"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Everyone")), *professionals]

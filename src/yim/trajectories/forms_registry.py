"""Forms for what the registry records beyond the care process: placement episodes (did a
placement begin, when did it end) and the youth's dated living situation.

As everywhere in the trajectory pages, the forms parse and the models judge (see
:mod:`yim.trajectories.forms`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yim.core.forms import ActionForm, DateInput, DomainForm, text_area
from yim.trajectories.forms import (
    ProgrammeChoiceForm,
    placement_basis_field,
    requested_placement_field,
    yes_no_field,
)
from yim.trajectories.models import (
    OUT_OF_HOME,
    Gender,
    LivingSituation,
    PlacementEpisode,
    PlacementType,
    ReferralSource,
)

OUT_OF_HOME_CHOICES = [("", "—"), *[c for c in PlacementType.choices if c[0] in OUT_OF_HOME]]


class DecisionOutcomeForm(ActionForm):
    """Was a finalised out-of-home decision carried out, and when did the placement begin?"""

    carried_out = yes_no_field(_("The placement was carried out"), required=True)
    started_on = forms.DateField(
        label=_("Began on"),
        widget=DateInput(),
        required=False,
        help_text=_("Only when it was carried out."),
    )
    ended_on = forms.DateField(
        label=_("Ended on"),
        widget=DateInput(),
        required=False,
        help_text=_("Leave empty while it goes on."),
    )
    placement_type = forms.ChoiceField(
        label=_("Placement"),
        choices=OUT_OF_HOME_CHOICES,
        required=False,
        help_text=_("Empty: the placement that was decided."),
    )
    note = forms.CharField(label=_("Note"), widget=text_area(2), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["version"].required = False


class EpisodeForm(DomainForm):
    """A placement recorded afterwards, or the correction (end date …) of an episode."""

    class Meta:
        model = PlacementEpisode
        fields = ["placement_type", "started_on", "ended_on", "note"]
        widgets = {
            "started_on": DateInput(),
            "ended_on": DateInput(),
            "note": text_area(2),
        }
        help_texts = {
            "note": _("For a placement recorded afterwards: where it is known from."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["placement_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = OUT_OF_HOME_CHOICES


class LivingSituationForm(ActionForm):
    """A new living situation from a day on (the youth's ``version`` rides along)."""

    situation = forms.ChoiceField(
        label=_("Living situation"),
        choices=[("", "—"), *[c for c in LivingSituation.choices if c[0]]],
    )
    since = forms.DateField(label=_("Since"), widget=DateInput())
    note = forms.CharField(label=_("Note"), widget=text_area(2), required=False)


# --- comparison (care-as-usual) trajectories ------------------------------------------------


class ComparisonForm(ProgrammeChoiceForm):
    """One comparison trajectory: baseline facts and the placement that was realised."""

    field_order = ("reference", "date_of_birth", "gender", "programme")

    reference = forms.CharField(
        label=_("Reference (as shown in yim)"),
        max_length=120,
        required=False,
        help_text=_("A pseudonymous reference, for example the number in the study's file."),
    )
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput())
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, required=False)
    referred_on = forms.DateField(label=_("Referral date"), widget=DateInput())
    referral_source = forms.ChoiceField(
        label=_("Referred by"), choices=ReferralSource.choices, initial=ReferralSource.OTHER
    )
    requested_placement = requested_placement_field(PlacementType.RESIDENTIAL)
    placement_basis = placement_basis_field()
    realised_placement = forms.ChoiceField(
        label=_("Placement realised"), choices=PlacementType.choices, initial=PlacementType.NONE
    )
    placement_started_on = forms.DateField(
        label=_("Placement began on"), widget=DateInput(), required=False
    )
    placement_ended_on = forms.DateField(
        label=_("Placement ended on"),
        widget=DateInput(),
        required=False,
        help_text=_("Leave empty while it goes on."),
    )


class ComparisonImportForm(ProgrammeChoiceForm):
    field_order = ("file", "programme")

    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_("A header row, then one comparison youth per row. See the guide."),
    )

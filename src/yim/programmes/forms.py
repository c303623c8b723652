"""The programme form: it parses input, the model judges it.

Like the trajectory forms (:class:`~yim.core.forms.DomainForm`), the form does not
validate the programme itself: the view saves through the model (``save()`` runs
``full_clean()``) and puts the model's messages on the fields. The form adds only what the
model cannot know: which instruments exist (the registry of instrument files) and that the
required phases are always part of a programme (their checkboxes are ticked and disabled,
so the browser does not send them).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from yim.core.forms import DomainForm
from yim.monitoring.instruments import registry
from yim.programmes.models import ProgrammeModel
from yim.programmes.phases import PHASE_ORDER, REQUIRED_PHASES, Phase


def instrument_title(code: str, language: str | None = None) -> str:
    """The instrument's title in the page's language (Dutch or English); the code if unknown."""
    instrument = registry().get(code)
    if instrument is None:
        return code
    return instrument.title.get(language or get_language())


def instrument_choices() -> list[tuple[str, str]]:
    """Every instrument in the registry (shipped and the organisation's own files)."""
    language = get_language()
    return [(code, instrument_title(code, language)) for code in registry()]


class RequiredPhaseCheckboxes(forms.CheckboxSelectMultiple):
    """Phase checkboxes in the canonical order; the required phases ticked and disabled."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(*args, **kwargs)
        if option["value"] in REQUIRED_PHASES:
            option["selected"] = True
            option["attrs"]["checked"] = True
            option["attrs"]["disabled"] = True
        return option


class PhaseField(forms.MultipleChoiceField):
    """Accepts any phase names: whether they are phases is for the model to say."""

    def valid_value(self, value: str) -> bool:
        return True


class ProgrammeForm(DomainForm):
    phases = PhaseField(
        label=_("Phases"),
        choices=[(p, Phase(p).label) for p in PHASE_ORDER],
        required=False,
        widget=RequiredPhaseCheckboxes,
        help_text=_("Referral and closure belong to every programme."),
    )
    evaluation_interval_months = forms.IntegerField(
        label=_("Evaluation every (months)"),
        widget=forms.NumberInput(attrs={"min": 1, "max": 12}),
        help_text=_("Between 1 and 12 months."),
    )
    instruments = forms.MultipleChoiceField(
        label=_("Instruments"),
        choices=instrument_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("There is no instrument with the code %(value)s.")},
    )

    class Meta:
        model = ProgrammeModel
        fields = [
            "code",
            "name",
            "prevention_level",
            "description",
            "phases",
            "evaluation_interval_months",
            "instruments",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "code": _(
                "A short name for exports and the API: lower-case letters, digits and hyphens, "
                "unique in your organisation."
            ),
        }

    def __init__(self, *args: Any, running: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if running:
            self.fields["evaluation_interval_months"].help_text = ngettext_lazy(
                "Between 1 and 12 months. A change moves the due dates of the evaluations "
                "of the %(count)d running trajectory that uses this programme.",
                "Between 1 and 12 months. A change moves the due dates of the evaluations "
                "of the %(count)d running trajectories that use this programme.",
                "count",
            ) % {"count": running}

    def clean_phases(self) -> list[str]:
        # The required phases' checkboxes are disabled, so the browser never sends them.
        phases: list[str] = list(self.cleaned_data.get("phases") or [])
        return phases + [p for p in PHASE_ORDER if p in REQUIRED_PHASES and p not in phases]

    def unknown_instruments(self) -> list[str]:
        """Codes the programme names that no instrument file provides (saving drops them)."""
        known = set(registry())
        return [c for c in (self.instance.instruments or []) if c not in known]

"""Forms of monitoring and the portals. Questionnaire pages are built from the instrument."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from yim.accounts.forms import SentOnce
from yim.monitoring.models import SharingScope
from yim.monitoring.rules import EntryMode
from yim.monitoring.scoring import TEXT_ANSWER_MAX, Instrument, Item
from yim.trajectories.models import ConsentDecision

FIELD_PREFIX = "item_"


class QuestionnairePageForm(forms.Form):
    """One page of a questionnaire. Nothing is required here: a page can be saved halfway;
    the required items are checked when the questionnaire is submitted."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        instrument: Instrument,
        items: tuple[Item, ...],
        respondent: str,
        language: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            label = item.text_for(respondent).get(language)
            name = FIELD_PREFIX + item.code
            if item.scale is not None:
                self.fields[name] = forms.TypedChoiceField(
                    label=label,
                    choices=[(p, t.get(language)) for p, t in item.scale.labels],
                    coerce=int,
                    empty_value=None,
                    required=False,
                    widget=forms.RadioSelect,
                    error_messages={
                        "invalid_choice": _("Choose an answer from %(low)s to %(high)s.")
                        % {"low": item.scale.minimum, "high": item.scale.maximum}
                    },
                )
            else:
                self.fields[name] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=TEXT_ANSWER_MAX,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
            self.fields[name].is_required_item = item.required  # type: ignore[attr-defined]

    def answers(self) -> dict[str, int | str | None]:
        values: dict[str, int | str | None] = {}
        for item in self.items:
            value = self.cleaned_data.get(FIELD_PREFIX + item.code)
            values[item.code] = value if value not in ("", None) else None
        return values


class SharingForm(forms.Form):
    """The youth's choices: which parts of the file the JIM may see."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        help_texts = {
            SharingScope.MEETINGS: _("Dates, decisions and what you said in meetings."),
            SharingScope.PLAN: _("Your care plan and its goals."),
            SharingScope.ASSESSMENTS: _("Your questionnaires and how things are going over time."),
            SharingScope.NETWORK: _("The people in your network map."),
        }
        for scope in SharingScope:
            self.fields[scope.value] = forms.BooleanField(
                label=scope.label, required=False, help_text=help_texts[scope]
            )

    def choices(self) -> dict[str, bool]:
        return {scope: bool(self.cleaned_data.get(scope)) for scope in SharingScope.values}


class ParentConsentForm(SentOnce):
    decision = forms.ChoiceField(
        label=_("Your decision"), choices=ConsentDecision.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Anything you want to add (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StartAssessmentForm(forms.Form):
    """Staff: fill in an instrument for a wave the trajectory has reached."""

    def __init__(
        self,
        *args: Any,
        instruments: list[tuple[str, str]],
        waves: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"] = forms.ChoiceField(label=_("Instrument"), choices=instruments)
        self.fields["wave"] = forms.ChoiceField(label=_("Wave"), choices=waves)
        self.fields["on_behalf_of"] = forms.ChoiceField(
            label=_("Answers of"),
            choices=[
                ("", _("Me (the professional)")),
                ("youth", pgettext_lazy("role", "Youth")),
                ("jim", _("JIM")),
                ("parent", _("Parent")),
            ],
            required=False,
            help_text=_("Someone else's answers, given on paper, by telephone or in person."),
        )
        self.fields["mode"] = forms.ChoiceField(
            label=_("How the answers were given"),
            choices=[("", "—"), *[c for c in EntryMode.choices if c[0] != EntryMode.SELF]],
            required=False,
        )
        self.fields["assessed_on"] = forms.DateField(
            label=_("Assessed on"),
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            help_text=_("Empty: the day it is submitted."),
        )

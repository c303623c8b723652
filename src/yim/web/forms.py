from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yim.accounts.models import PORTAL_ROLE_CHOICES
from yim.audit.models import Action


class BreakGlassForm(forms.Form):
    youth_id = forms.IntegerField(label=_("File number"), min_value=1)
    reason = forms.CharField(
        label=_("Reason"),
        min_length=10,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Why you need this file now. The reason is logged and visible to the team lead."
        ),
    )


class InvitationForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Invite as"),
        choices=PORTAL_ROLE_CHOICES,
    )
    display_name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-mail address (optional)"), required=False)


class AuditSearchForm(forms.Form):
    youth_id = forms.IntegerField(label=_("File number"), required=False, min_value=1)
    actor = forms.CharField(label=_("Who"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", "—"), *Action.choices]
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date lies before the start date."))
        return data

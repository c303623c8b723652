"""Forms of the portals that are not the monitoring's own (the JIM's advice)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yim.accounts.forms import SentOnce
from yim.core.models import FREE_TEXT_MAX_CHARS


class AdviceForm(SentOnce):
    advice = forms.CharField(
        label=_("Your advice"),
        help_text=_(
            "What do you think of this placement? What would help, and who could help? The "
            "professional weighs your advice in the decision."
        ),
        max_length=FREE_TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from yim.accounts.forms import SentOnce
from yim.accounts.models import PORTAL_ROLE_CHOICES, Role
from yim.audit.models import Action
from yim.trajectories.models import NetworkPerson, Response, Youth


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


class LoadedChoiceIterator(ModelChoiceIterator):
    """The options of a :class:`LoadedChoiceField`: its ``loaded`` records when a page gave
    them (no query while the widget renders), else Django's own, from the queryset."""

    field: LoadedChoiceField

    def __iter__(self) -> Iterator[Any]:
        loaded = self.field.loaded
        if loaded is None:
            yield from super().__iter__()
            return
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in loaded:
            yield self.choice(obj)

    def __len__(self) -> int:
        loaded = self.field.loaded
        if loaded is None:
            return super().__len__()
        return len(loaded) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self) -> bool:
        loaded = self.field.loaded
        if loaded is None:
            return super().__bool__()
        return self.field.empty_label is not None or bool(loaded)


class LoadedChoiceField(forms.ModelChoiceField):
    """A model choice that can show records a page loaded already instead of asking its
    queryset again while the widget renders.

    ``loaded`` must hold exactly what the queryset would return, in its order; only the
    options shown come from it: a submitted value is still looked up in the queryset, so
    validation is the same with or without it."""

    iterator = LoadedChoiceIterator
    loaded: Sequence[Any] | None = None


class InvitationForm(SentOnce):
    role = forms.ChoiceField(
        label=_("Invite as"),
        choices=PORTAL_ROLE_CHOICES,
    )
    display_name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-mail address (optional)"), required=False)
    person = LoadedChoiceField(
        label=_("Which JIM (for a JIM only)"),
        queryset=NetworkPerson.objects.none(),
        required=False,
        help_text=_(
            "A JIM's portal access follows this person's status: it ends when they stop as JIM "
            "or when consent is refused."
        ),
    )

    holder = LoadedChoiceField(
        label=_("Which parent with parental authority (for a parent only)"),
        queryset=NetworkPerson.objects.none(),
        required=False,
        help_text=_(
            "The parent's decision on consent in the portal counts as this person's consent."
        ),
    )

    def __init__(
        self,
        *args: Any,
        youth: Youth | None = None,
        jims: Sequence[NetworkPerson] | None = None,
        holders: Sequence[NetworkPerson] | None = None,
        **kwargs: Any,
    ) -> None:
        """``jims`` and ``holders``: the youth's active JIMs and holders of parental
        authority as a page loaded them (by name, then id: the querysets' order), so that
        the form shows them without asking again; without them the widgets ask the
        database. Either way a submitted choice is checked against the database."""
        super().__init__(*args, **kwargs)
        self.person_field = cast(LoadedChoiceField, self.fields["person"])
        self.holder_field = cast(LoadedChoiceField, self.fields["holder"])
        self.person_field.loaded = jims
        self.holder_field.loaded = holders
        if youth is not None:
            self.person_field.queryset = NetworkPerson.objects.filter(
                youth=youth,
                candidacies__response=Response.ACCEPTED,
                candidacies__jim_ended_on__isnull=True,
            ).distinct()
            self.holder_field.queryset = NetworkPerson.objects.filter(
                youth=youth, has_parental_authority=True
            )

    @property
    def network_person(self) -> NetworkPerson | None:
        """The person of the network the invited account belongs to (a JIM or a parent)."""
        data = self.cleaned_data
        return data.get("person") or data.get("holder")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role, person = data.get("role"), data.get("person")
        if role == Role.JIM and person is None:
            if self.person_field.queryset is not None and self.person_field.queryset.exists():
                self.add_error("person", _("Choose which JIM you invite."))
            else:
                self.add_error(
                    "role",
                    _("This youth has no JIM yet: invite the JIM once a candidate has accepted."),
                )
        elif role != Role.JIM and person is not None:
            self.add_error("person", _("Only a JIM is invited as a person of the network."))
        holder = data.get("holder")
        if role == Role.PARENT and holder is None and self.holder_field.queryset is not None:
            if self.holder_field.queryset.exists():
                self.add_error(
                    "holder", _("Choose which parent with parental authority you invite.")
                )
        elif role != Role.PARENT and holder is not None:
            self.add_error(
                "holder", _("Only a parent is invited as a holder of parental authority.")
            )
        return data


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

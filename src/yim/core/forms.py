"""The kernel's form helpers: the model is the only judge of a write.

A :class:`DomainForm` parses and copies what was typed onto the instance; the model's own
``full_clean()`` runs once, in ``save()``, and a refusal lands on the form's fields through
:func:`attach_errors`. The record's version rides along in a hidden field, so a save over
someone else's newer change is refused (:class:`yim.core.errors.StaleEdit`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.models import construct_instance

from yim.core.models import FREE_TEXT_MAX_CHARS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def text_area(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def attach_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a model's ValidationError on the form: per field where it has one, else on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, messages in exc.message_dict.items():
        if field != NON_FIELD_ERRORS and field in form.fields:
            form.add_error(field, messages)
        else:
            form.add_error(None, messages)


class VersionField(forms.IntegerField):
    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, **kwargs)


class DomainForm(forms.ModelForm):
    """A ModelForm whose instance is judged by the model on save, not during is_valid().

    ``version`` is the record's version when the form was rendered (optimistic locking).
    """

    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # Free text: the browser stops at the model's limit too (the model still judges).
            if isinstance(field.widget, forms.Textarea) and "maxlength" not in field.widget.attrs:
                field.widget.attrs["maxlength"] = str(FREE_TEXT_MAX_CHARS)
        self.fields["version"].initial = getattr(self.instance, "version", 1)
        if self.instance.pk is None:
            self.fields["version"].required = False

    def _post_clean(self) -> None:
        # Copy the cleaned values onto the instance, nothing more: the model's own
        # full_clean() runs once, in save(), where the view catches it.
        try:
            self.instance = construct_instance(
                self, self.instance, self._meta.fields, self._meta.exclude
            )
        except ValidationError as exc:
            self._update_errors(exc)  # type: ignore[attr-defined]

    def save_versioned(self, **extra: Any) -> Any:
        """Save the instance (new, or an edit that started from the posted version)."""
        instance = self.instance
        for name, value in extra.items():
            setattr(instance, name, value)
        if instance.pk is None:
            instance.save()
        else:
            instance.save_with_version(self.cleaned_data["version"])
        return instance


class ActionForm(forms.Form):
    """A plain form for a domain action on a versioned record (the record's version rides along)."""

    version = VersionField()

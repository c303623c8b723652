"""The standard attributes and their codes as the interface shows them.

Projects store attribute names and values as codes (``age_band``, ``role`` = ``parent``) and
REFI-QDA types (``Text``); the database, the REFI-QDA exchange and every export (CSV, XLSX,
DOCX, ``.qdpx``) keep them unchanged. Pages show them through these functions: translated
labels for the standard attributes (:data:`~.models.STANDARD_VARIABLES`), the participant
roles and the types; a name or value a researcher chose is shown as it is.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import models as m
from .refi.model import VariableType

#: The standard attributes' names (and the ``participant``/``set`` columns of the segments).
VARIABLE_LABELS: dict[str, Any] = {
    "role": _("Role"),
    "age_band": _("Age band"),
    "jim_relation": _("Relation to the JIM"),
    "participant": _("Participant"),
    "set": _("Set"),
}

#: The standard attributes' descriptions as stored (English) and as shown.
VARIABLE_DESCRIPTIONS: dict[str, Any] = {
    "youth, jim, parent or professional": _("youth, JIM, parent or professional"),
    "e.g. 12-15, 16-17, 18-23": _("e.g. 12-15, 16-17, 18-23"),
    "how the JIM knows the youth (aunt, neighbour, coach …)": _(
        "how the JIM knows the youth (aunt, neighbour, coach …)"
    ),
}

#: The REFI-QDA types of an attribute, in words.
TYPE_LABELS: dict[str, Any] = {
    VariableType.TEXT: _("text"),
    VariableType.BOOLEAN: _("yes/no"),
    VariableType.INTEGER: _("whole number"),
    VariableType.FLOAT: _("number"),
    VariableType.DATE: _("date"),
    VariableType.DATETIME: _("date and time"),
}

_ROLES = dict(m.ParticipantRole.choices)


def variable_label(name: str) -> str:
    """The attribute's name as shown: a standard attribute's label, else the name itself."""
    return str(VARIABLE_LABELS.get(name, name))


def variable_description(description: str) -> str:
    """A standard attribute's description translated; any other as it is."""
    return str(VARIABLE_DESCRIPTIONS.get(description, description))


def type_label(kind: str) -> str:
    return str(TYPE_LABELS.get(kind, kind))


def value_label(variable_name: str, value: str) -> str:
    """An attribute value as shown: a participant role's label (``parent`` → "ouder"), any
    other value as stored."""
    if variable_name == "role":
        return str(_ROLES.get(value.strip().lower(), value))
    return value


class VariableChoiceField(forms.ModelChoiceField):
    """A choice among a project's attributes, shown by their labels."""

    def label_from_instance(self, obj: Any) -> str:
        return variable_label(obj.name)

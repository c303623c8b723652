"""Template filters that show attribute names, values and types by their labels
(:mod:`yim.qualitative.labels`); the stored codes stay as they are."""

from __future__ import annotations

from django import template

from yim.qualitative import labels

register = template.Library()


@register.filter
def variable_label(name: str) -> str:
    return labels.variable_label(str(name))


@register.filter
def variable_description(description: str) -> str:
    return labels.variable_description(str(description))


@register.filter
def type_label(kind: str) -> str:
    return labels.type_label(str(kind))


@register.filter
def value_label(value: str, variable_name: str = "") -> str:
    """``{{ value|value_label:variable.name }}``."""
    return labels.value_label(str(variable_name or ""), str(value))

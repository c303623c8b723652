"""Template filters for the youth's facts: the date of birth always comes with the age."""

from __future__ import annotations

from django import template
from django.utils import formats
from django.utils.translation import ngettext

from yim.trajectories.models import Youth

register = template.Library()


@register.filter
def born(youth: Youth, date_format: str = "DATE_FORMAT") -> str:
    """The date of birth with the age today (Amsterdam): ``12-3-2012 (14 jaar)``.
    ``date_format`` is a Django format name (``SHORT_DATE_FORMAT`` in tables)."""
    age = youth.age
    return ngettext("%(date)s (%(age)s year)", "%(date)s (%(age)s years)", age) % {
        "date": formats.date_format(youth.date_of_birth, date_format),
        "age": age,
    }

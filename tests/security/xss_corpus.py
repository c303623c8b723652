"""Hostile text planted in every free-text field of one youth's file (for the browser test).

Run inside a process whose Django points at the demo database::

    python -c "import django; django.setup(); from tests.security.xss_corpus import plant; plant()"

Every row of the ``trajectories`` and ``monitoring`` apps that belongs to the youth (the youth
itself, its trajectories, and every row pointing at one of them) gets, in each human text
field (text fields, and character fields of 60 characters or more without fixed choices), one
of the payloads below — written with ``update()``, past the forms, as an import or an older
version might have stored it. Pages must show them as text: an element with ``data-xss`` in
the page, ``window.__xss`` set, a dialog, or a CSP violation in the console means a payload
was taken for markup.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models, transaction

PAYLOADS = (
    '"><img data-xss src=x onerror="window.__xss=1">',
    "<script data-xss>window.__xss=2</script>",
    "'><svg data-xss onload='window.__xss=3'>",
    "</textarea></title><b data-xss>vet</b>",
    "javascript:window.__xss=4//",
    "{{ 7|add:42 }} {% now 'Y' %} ${7*7}",
)
#: The youth's display name: shown on every page of the file, so planting is proved there.
NAME = PAYLOADS[0]
#: Field names that are identifiers rather than prose, even when long.
NOT_PROSE = {"instrument", "item", "code", "token", "key", "party", "hash", "email", "url"}


def _prose(field: models.Field) -> bool:  # type: ignore[type-arg]
    if field.choices or field.name in NOT_PROSE or field.primary_key:
        return False
    if isinstance(field, models.TextField):
        return True
    return isinstance(field, models.CharField) and (field.max_length or 0) >= 60


def plant(display_name: str = "Sam B.") -> int:
    """Plant the payloads; returns how many fields of how many rows were written."""
    from yim.trajectories.models import Trajectory, Youth

    youth = Youth.objects.filter(display_name=display_name).order_by("pk").first()
    assert youth is not None, f"no youth called {display_name!r} in the demo"
    trajectory_ids = list(Trajectory.objects.filter(youth=youth).values_list("pk", flat=True))
    owned = _owned_rows(youth.pk, trajectory_ids)
    written = 0
    with transaction.atomic():
        for model, rows in owned.items():
            fields = [f for f in model._meta.concrete_fields if _prose(f)]
            for n, field in enumerate(fields):
                payload = PAYLOADS[n % len(PAYLOADS)]
                if field.max_length and len(payload) > field.max_length:
                    continue
                written += rows.exclude(**{field.name: ""}).update(**{field.name: payload})
        Youth.objects.filter(pk=youth.pk).update(display_name=NAME)
    return written


def _owned_rows(youth_id: int, trajectory_ids: list[int]) -> dict:  # type: ignore[type-arg]
    """Per model, the rows that belong to the youth: the youth, its trajectories, rows that
    point at those, and rows that point at such rows (consents of candidates, answers of
    assessments)."""
    from yim.trajectories.models import Trajectory, Youth

    owned: dict = {  # type: ignore[type-arg]
        Youth: Youth._base_manager.filter(pk=youth_id),
        Trajectory: Trajectory._base_manager.filter(pk__in=trajectory_ids),
    }
    candidates = [
        model
        for label in ("trajectories", "monitoring")
        for model in apps.get_app_config(label).get_models()
    ]
    for _level in range(2):
        for model in candidates:
            if model in owned:
                continue
            for field in model._meta.concrete_fields:
                parent = getattr(field, "related_model", None)
                if isinstance(field, models.ForeignKey) and parent in owned:
                    parents = owned[parent].values("pk")
                    owned[model] = model._base_manager.filter(**{f"{field.name}__in": parents})
                    break
    return owned

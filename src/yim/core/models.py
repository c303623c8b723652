"""The kernel's model machinery: validation on save, the error collection, free-text limits
and optimistic locking (one stale-edit error for the whole project).

Every model built on these validates itself in ``save()`` (``full_clean``), so forms, the API,
the demo loader and direct calls all meet the same rules. ``QuerySet.update()`` and
``bulk_create`` bypass ``save()``; domain code does not use them for user edits.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy as _

from yim.core.errors import StaleEdit


class Errors(dict[str, list[Any]]):
    """Collects field errors so one save reports every problem at once."""

    def add(self, field: str, message: Any) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


#: The longest free text a record takes (about ten typed pages). Longer text — a pasted
#: document, a 4 MB body sent to the API — is refused on its field, on pages and in the API.
FREE_TEXT_MAX_CHARS = 20_000


def prefetched(instance: models.Model, relation: str) -> list[Any] | None:
    """The records of ``relation`` a page prefetched onto ``instance``
    (``prefetch_related``), or None when it did not: a model's derived values read them
    instead of asking the database again, with the same rule for both paths."""
    cache = getattr(instance, "_prefetched_objects_cache", {})
    return list(cache[relation]) if relation in cache else None


def refresh_planner_statistics() -> None:
    """After a bulk write (the demo registry, a restore) PostgreSQL's planner still has the
    statistics autovacuum took of the half-filled tables, and picks plans for a few hundred
    rows where there are tens of thousands: measured on the 50,000-youth demo registry, the
    evidence summary took 2.4 s with them and 1.4 s after ``ANALYZE``. SQLite keeps no such
    statistics unless asked; nothing to do there."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def by_account(verbose_name: Any = None, **options: Any) -> Any:
    """The account that did something to a record (recorded, decided, confirmed it).

    Optional (``null``/``blank``), protected (an account that acted is deactivated, never
    deleted) and without a reverse accessor on the user; ``options`` override, e.g.
    ``editable=False`` for a field only a domain method sets. The field is the same as the
    one written out, so using it needs no migration.
    """
    options = {"on_delete": models.PROTECT, "null": True, "blank": True, **options}
    if verbose_name is not None:
        options["verbose_name"] = verbose_name
    return models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", **options)


class ValidatedModel(models.Model):
    """Validates in ``save()``; ``validate=False`` is for callers that just validated."""

    class Meta:
        abstract = True

    def save(self, *args: Any, validate: bool = True, **kwargs: Any) -> None:
        if validate:
            self.full_clean()
        super().save(*args, **kwargs)

    def clean_fields(self, exclude: Any = None) -> None:
        """Django's field checks, a length limit on every free-text field, and no NUL
        character in any text (PostgreSQL cannot store one; Django's forms refuse it, the API
        reaches the model directly)."""
        errors: dict[str, list[Any]] = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as invalid:
            errors = invalid.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField):
                continue
            if exclude and field.name in exclude:
                continue
            value = getattr(self, field.attname)
            if isinstance(value, str) and "\x00" in value:
                errors.setdefault(field.name, []).append(
                    ValidationError(
                        _("Null characters are not allowed."), code="null_characters_not_allowed"
                    )
                )
            if not isinstance(field, models.TextField):
                continue
            if isinstance(value, str) and len(value) > FREE_TEXT_MAX_CHARS:
                errors.setdefault(field.name, []).append(
                    ValidationError(
                        _("This text is too long: at most %(max)s characters (it has %(n)s)."),
                        code="max_length",
                        params={"max": FREE_TEXT_MAX_CHARS, "n": len(value)},
                    )
                )
        if errors:
            raise ValidationError(errors)


class VersionedModel(ValidatedModel):
    """An editable record with optimistic locking.

    ``version`` starts at 1 and goes up by one on every save. A save of an instance whose
    ``version`` is no longer the one in the database raises :class:`StaleEdit` and writes
    nothing: the second of two people editing the same record at once is refused, never
    silently overwrites the first. Web forms carry the version they were rendered with
    and call :meth:`save_with_version`.
    """

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, validate: bool = True, **kwargs: Any) -> None:
        if validate:
            self.full_clean()
        if self._state.adding:
            super().save(*args, validate=False, **kwargs)
            return
        expected = self.version
        with transaction.atomic():
            claimed = (
                type(self)
                ._base_manager.filter(pk=self.pk, version=expected)
                .update(version=expected + 1)
            )
            if claimed != 1:
                raise StaleEdit()
            self.version = expected + 1
            try:
                super().save(*args, validate=False, **kwargs)
            except BaseException:
                self.version = expected
                raise

    def save_with_version(self, expected_version: int, **kwargs: Any) -> None:
        """Save an edit that started from ``expected_version`` (e.g. a form's hidden field)."""
        self.version = int(expected_version)
        self.save(**kwargs)

    def locked_for_removal(self, expected_version: int | None = None) -> Any:
        """The record's row, locked until the end of the transaction, for a domain removal.

        Call it inside ``transaction.atomic()``. Refuses with :class:`StaleEdit` when the
        record changed (or went) since ``expected_version`` — the version the confirmation
        page was rendered with — so nobody removes a record they have not seen as it is.
        The lock also makes rows that point at this one (inserted at the same moment) wait.
        """
        fresh = type(self)._base_manager.select_for_update().filter(pk=self.pk).first()
        if fresh is None or (expected_version is not None and fresh.version != expected_version):
            raise StaleEdit()
        return fresh

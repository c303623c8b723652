"""The kinds of background work, registered by the apps that do the work.

A kind is plain data: how to run (``run(params, progress) -> result``), how to fingerprint
the data it reads (``state(params) -> str``), which errors are the user's to read, and how
to show the result (a template and, optionally, extra context). The jobs app imports no
other app; an app registers its kinds in ``AppConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from yim.core.errors import DomainError

#: Reports progress from inside a run: a fraction from 0 to 1 and what is being done.
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class JobKind:
    name: str
    label: Any  # a lazy translation
    run: Callable[[dict[str, Any], Progress], dict[str, Any]]
    state: Callable[[dict[str, Any]], str]
    #: Shows the result on the job page (``result`` and ``context`` in its context).
    result_template: str = "jobs/_result.html"
    #: Errors whose message is meant for the user (a domain rule, too few youth, …);
    #: anything else is logged and the page says the run failed unexpectedly.
    user_errors: tuple[type[BaseException], ...] = field(default=(DomainError, ValidationError))
    #: Extra context for the result template, computed when the page is shown.
    context: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    #: Whether a person may still see a job of this kind (checked on every view, on top
    #: of ownership): access that ended since the run also ends access to its result.
    may_view: Callable[[Any, dict[str, Any]], bool] | None = None
    #: Removes what a result keeps outside the database (an export's archive) when the job
    #: is pruned.
    discard: Callable[[dict[str, Any]], None] | None = None
    #: Whether the same question can be asked again (no: the input was an upload that is
    #: not kept after the run).
    repeatable: bool = True


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Register a kind (idempotent for the same object, so ``ready`` may run twice)."""
    existing = _KINDS.get(kind.name)
    if existing is not None and existing is not kind and existing.run is not kind.run:
        raise ValueError(f"job kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"no job kind {name!r} is registered") from None


def names() -> list[str]:
    return sorted(_KINDS)

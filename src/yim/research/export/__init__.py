"""The pseudonymised research export (docs/evidence.md, "Research export").

:func:`build_export` reads the registry as of a day into tables (:mod:`.tables`), whose
variables the codebook documents (:mod:`.codebook`); :func:`write_export` writes them as CSV
or Parquet with the codebook (:mod:`.writer`); :func:`record_export` puts the export in the
audit log. Identifiers are keyed pseudonyms (:mod:`.keys`).

The names below are loaded on first use, so that the command line can build its help (which
imports :mod:`.cli` and :mod:`.free_text`) before Django is set up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from yim.research.export.free_text import FREE_TEXT

if TYPE_CHECKING:
    from yim.research.export.errors import ExportError
    from yim.research.export.keys import export_key, pseudonym
    from yim.research.export.tables import ExportTables, Table, build_export
    from yim.research.export.writer import FORMATS, export_zip, write_export

_LAZY = {
    "ExportError": "errors",
    "export_key": "keys",
    "pseudonym": "keys",
    "ExportTables": "tables",
    "Table": "tables",
    "build_export": "tables",
    "FORMATS": "writer",
    "export_zip": "writer",
    "write_export": "writer",
}

__all__ = [
    "FORMATS",
    "FREE_TEXT",
    "ExportError",
    "ExportTables",
    "Table",
    "build_export",
    "export_key",
    "export_zip",
    "pseudonym",
    "record_export",
    "write_export",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)


def record_export(
    tables: ExportTables, fmt: str, *, actor: Any = None, request: Any = None, actor_name: str = ""
) -> None:
    """One audit event for the export, with its scope (as of, organisation or team, free-text
    columns, number of youth and trajectories)."""
    from yim.audit.log import record
    from yim.audit.models import Action

    record(
        actor,
        Action.EXPORT,
        request=request,
        organisation_id=tables.organisation_id,
        actor_name=actor_name or None,
        detail=f"{tables.scope_text()}; {fmt}",
    )

"""The files finished research jobs keep in the data directory (an export's archive, a report):
where one lies, and removing it when its job is pruned (``yim jobs prune``)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.http import Http404


@dataclass(frozen=True)
class KeptFiles:
    """The files one kind of job keeps: in the folder ``folder()`` returns, each under a name
    starting with ``prefix`` that the job's result gives as ``file``."""

    folder: Callable[[], Path]
    prefix: str

    def path(self, result: dict[str, Any]) -> Path:
        """Where the file a job's ``result`` names lies; Http404 for any name this kind did not
        make (another prefix, or a path separator)."""
        name = str(result.get("file", ""))
        if not name.startswith(self.prefix) or "/" in name or "\\" in name:
            raise Http404
        return self.folder() / name

    def discard(self, result: dict[str, Any]) -> None:
        """Remove a pruned job's file (the job kind's ``discard``); a name this kind did not
        make is not ours, and nothing is removed."""
        with suppress(Http404):
            self.path(result).unlink(missing_ok=True)

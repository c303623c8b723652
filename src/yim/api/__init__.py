"""The REST API (django-ninja): one NinjaAPI, one router per app, guarded by :mod:`yim.policy`.

* :mod:`yim.api.root` — the NinjaAPI object: token authentication, error handlers, routers.
* :mod:`yim.api.convention` — what every router shares: the caller, scoped lookups, the version
  check, refusals as JSON and the audited write (see ``docs/api.md``, "Conventions").
* :mod:`yim.api.pagination` — ``?limit=&offset=`` pagination of every list.

``from yim.api import api`` gives the NinjaAPI. It is loaded on first use, so that the app
routers can import :mod:`yim.api.convention` without importing the API object that imports them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yim.api.root import api

__all__ = ["api"]


def __getattr__(name: str) -> Any:
    if name == "api":
        from yim.api.root import api

        return api
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

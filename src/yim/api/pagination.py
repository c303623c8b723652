"""Pagination of every API list: ``?limit=&offset=``, answered as ``{"items": [...], "count": N}``.

:class:`Pagination` for ``@paginate``; :class:`PageIn` for a list that pages by hand (a tree
paged by its top-level nodes, a page whose items are built from the chosen rows only).
"""

from __future__ import annotations

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

#: The largest offset accepted: far beyond any list yim holds, and well inside the integer
#: range of every database engine (SQLite refuses an OFFSET beyond 2**63 - 1 with an error
#: instead of an empty page, which made a fuzzed ``?offset=`` a server error).
MAX_OFFSET = 1_000_000_000


class Pagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(
            settings.NINJA_PAGINATION_PER_PAGE,
            ge=1,
            le=settings.NINJA_PAGINATION_MAX_LIMIT,
            description="How many items to return.",
        )
        offset: int = Field(
            0, ge=0, le=MAX_OFFSET, description="How many items to skip from the start."
        )


#: ``?limit=&offset=`` for a list that pages by hand, with the same bounds.
PageIn = Pagination.Input

"""Pagination of every API list: ``?limit=&offset=``, answered as ``{"items": [...], "count": N}``.

:class:`Pagination` for ``@paginate``; :class:`PageIn` for a list that pages by hand (a tree
paged by its top-level nodes, a page whose items are built from the chosen rows only);
:class:`ListedYouthPagination` for a list of youth: it audits the page it answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from yim.audit.log import record
from yim.audit.models import Action

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


class ListedYouthPagination(Pagination):
    """The pagination of an API list or search whose items show youth.

    It writes the list's one audit row itself, after the page is chosen, with the youth on
    the page as ``listed`` (the same :func:`yim.audit.log.record` as the pages' lists), so that
    each youth the answer showed finds it in "who viewed my file" — and a youth on another
    page does not. Use ``@paginate(ListedYouthPagination, detail="api …")``; ``youth_of``
    gives an item's youth id (default: the item is a youth).
    """

    def __init__(
        self,
        *,
        detail: str,
        youth_of: Callable[[Any], int] = lambda item: int(item.pk),
        **kwargs: Any,
    ) -> None:
        self.detail = detail
        self.youth_of = youth_of
        super().__init__(**kwargs)

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        result = super().paginate_queryset(queryset, pagination, request, **params)
        items = list(result[self.items_attribute])
        result[self.items_attribute] = items
        offset = pagination.offset
        record(
            request.auth,  # type: ignore[attr-defined]
            Action.LIST,
            request=request,
            detail=f"{self.detail} (offset {offset})" if offset else self.detail,
            listed=[self.youth_of(item) for item in items],
        )
        return result

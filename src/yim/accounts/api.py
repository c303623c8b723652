"""REST endpoint for the signed-in account (any valid token; see :mod:`yim.api.convention`)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from yim.api.convention import ANY_USER, caller

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    role: str
    organisation_id: int | None
    team_id: int | None
    language: str


@router.get("/me", response=MeOut, summary="The signed-in user", openapi_extra=ANY_USER)
def me(request: HttpRequest) -> MeOut:
    return MeOut.model_validate(caller(request, staff_only=False))

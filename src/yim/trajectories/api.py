from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.trajectories.models import Youth

router = Router(tags=["youth"])


class YouthOut(Schema):
    id: int
    display_name: str
    date_of_birth: dt.date
    team_id: int
    professional_id: int
    is_synthetic: bool


def _caller(request: HttpRequest):
    user = request.auth  # type: ignore[attr-defined]
    if not policy.can_use_api(user):
        raise HttpError(403, _("API access is for staff accounts."))
    return user


@router.get("/youth", response=list[YouthOut], summary="Youth in the caller's scope")
@paginate(LimitOffsetPagination)
def list_youth(request: HttpRequest):
    user = _caller(request)
    record(user, Action.LIST, request=request, detail="api youth list")
    return policy.youth_queryset(user).order_by("display_name", "pk")


@router.get("/youth/{youth_id}", response=YouthOut, summary="One youth")
def get_youth(request: HttpRequest, youth_id: int) -> Youth:
    user = _caller(request)
    youth = policy.get_youth_or_404(user, youth_id)
    record(user, Action.VIEW, request=request, youth=youth, obj=youth, detail="api")
    return youth

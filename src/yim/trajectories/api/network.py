"""REST endpoints for the youth's network: the people around the youth and their ties."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from yim import policy
from yim.api.convention import (
    Invalid,
    audited_write,
    caller,
    states_rules,
    youth_in_scope,
    youth_viewed,
)
from yim.audit.models import Action
from yim.trajectories.models import NetworkPerson, NetworkTie

router = Router(tags=["network"])


class PersonOut(Schema):
    id: int
    display_name: str
    relation: str
    is_parental: bool
    age_band: str
    lives_with_youth: bool
    contact_frequency: str
    trust: int | None
    conflict: int | None
    support_types: list[str]
    version: int


class TieOut(Schema):
    person_a_id: int
    person_b_id: int
    conflict: bool


class NetworkOut(Schema):
    people: list[PersonOut]
    ties: list[TieOut]


@states_rules(NetworkPerson)
class PersonIn(Schema):
    display_name: str
    relation: str
    age_band: str
    has_parental_authority: bool = False
    lives_with_youth: bool = False
    contact_frequency: str = "monthly"
    trust: int | None = None
    conflict: int | None = None
    support_types: list[str] = []
    note: str = ""


def _person_out(p: NetworkPerson) -> dict[str, Any]:
    return {
        **{f: getattr(p, f) for f in PersonOut.model_fields if f != "is_parental"},
        "is_parental": p.is_parental,
    }


@router.get(
    "/youth/{youth_id}/network",
    response=NetworkOut,
    summary="The youth's network: people and ties",
)
def get_network(request: HttpRequest, youth_id: int) -> dict[str, Any]:
    youth = youth_viewed(request, youth_id, "api network", may=policy.can_view_trajectories)
    return {
        "people": [_person_out(p) for p in NetworkPerson.objects.filter(youth=youth)],
        "ties": list(
            NetworkTie.objects.filter(youth=youth).values("person_a_id", "person_b_id", "conflict")
        ),
    }


@router.post(
    "/youth/{youth_id}/network",
    response={201: PersonOut, 422: Invalid},
    summary="Add a person to the youth's network",
)
def add_person(request: HttpRequest, youth_id: int, payload: PersonIn) -> Any:
    youth = youth_in_scope(caller(request), youth_id, may=policy.can_edit_trajectory)
    return audited_write(
        request,
        Action.CREATE,
        lambda: NetworkPerson.objects.create(youth=youth, **payload.dict()),
        youth=youth,
        detail="api network",
        answer=_person_out,
    )

"""REST endpoint for comparison (care-as-usual) trajectories: enter one, with the same rules
as the staff form (:func:`yim.trajectories.comparison.create_comparison`). 422 per field
(``placement_type``, ``started_on`` … name the realised placement's fields); 404 for a
programme model the caller's organisation cannot use; audited."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from yim import policy
from yim.api.convention import Invalid, audited_write, caller
from yim.audit.log import record
from yim.audit.models import Action
from yim.trajectories import comparison_file
from yim.trajectories.comparison import ComparisonCase, create_comparison, import_rows
from yim.trajectories.forms import programme_choices

router = Router(tags=["comparison group"])


class ComparisonIn(Schema):
    programme_id: int
    referred_on: dt.date
    date_of_birth: dt.date
    gender: str = ""
    requested_placement: str = Field("none", examples=["residential"])
    placement_basis: str = ""
    referral_source: str = "other"
    realised_placement: str = Field("none", examples=["residential"])
    placement_started_on: dt.date | None = None
    placement_ended_on: dt.date | None = None
    reference: str = Field("", max_length=120, examples=["Dossier 2024-017"])


class ImportIn(Schema):
    """A comparison-group file (CSV or XLSX, see the guide) as base64."""

    programme_id: int
    filename: str = Field(max_length=200, examples=["vergelijkingsgroep.csv"])
    content_base64: str = Field(
        max_length=7_000_000, description="The file's bytes, base64-encoded (at most 5 MB)."
    )


class ImportProblem(Schema):
    row: int = Field(description="The file's row (1 is the header; 0: the file as a whole).")
    column: str
    message: str


class ImportRefused(Schema):
    detail: str
    code: str = Field(examples=["invalid_file"])
    problems: list[ImportProblem]


class Imported(Schema):
    imported: int
    trajectory_ids: list[int]


class ComparisonOut(Schema):
    trajectory_id: int
    youth_id: int
    cohort: str


@router.post(
    "/comparison-trajectories",
    response={201: ComparisonOut, 422: Invalid},
    summary="Enter a comparison (care-as-usual) trajectory with its realised placement",
)
def add_comparison(request: HttpRequest, payload: ComparisonIn) -> Any:
    user = _entering(request)
    data = payload.dict()
    programme = _programme(user, data.pop("programme_id"))
    return audited_write(
        request,
        Action.CREATE,
        lambda: create_comparison(
            ComparisonCase(**data), team=user.team, professional=user, programme=programme, by=user
        ),
        youth=lambda trajectory: trajectory.youth,  # created by the write
        detail="api comparison trajectory",
        answer=lambda t: {"trajectory_id": t.pk, "youth_id": t.youth_id, "cohort": t.cohort},
    )


def _entering(request: HttpRequest) -> Any:
    user = caller(request)
    if not policy.can_start_intake(user) or user.team is None:
        raise Http404
    return user


def _programme(user: Any, programme_id: int) -> Any:
    programme = programme_choices(user.organisation_id).filter(pk=programme_id).first()
    if programme is None:
        raise Http404
    return programme


@router.post(
    "/comparison-trajectories/import",
    response={201: Imported, 422: ImportRefused},
    summary="Import comparison trajectories from a CSV or XLSX file: every row, or nothing",
)
def import_comparison(request: HttpRequest, payload: ImportIn) -> Any:
    user = _entering(request)
    programme = _programme(user, payload.programme_id)
    try:
        content = base64.b64decode(payload.content_base64, validate=True)
    except (binascii.Error, ValueError):
        content = None
    if content is None:
        message = _("The file's content is not valid base64.")
        problems = [comparison_file.Problem(0, "", message)]
    else:
        cases, problems = comparison_file.read(content, payload.filename)
    if content is not None and not problems:
        result = import_rows(cases, team=user.team, professional=user, programme=programme, by=user)
        problems = result.problems
    if problems:
        record(user, Action.CREATE, request=request,
               detail=f"api comparison import refused: {len(problems)} problems")  # fmt: skip
        return Status(
            422,
            {
                "detail": _("Nothing was imported: correct every problem and send the file again."),
                "code": "invalid_file",
                "problems": [vars(p) for p in problems],
            },
        )
    for trajectory in result.created:
        record(user, Action.CREATE, request=request, youth=trajectory.youth, obj=trajectory,
               detail="api comparison trajectory (import)")  # fmt: skip
    return Status(
        201, {"imported": len(result.created), "trajectory_ids": [t.pk for t in result.created]}
    )

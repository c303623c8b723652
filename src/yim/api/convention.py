"""The API convention: what every router shares (described once in ``docs/api.md``, "Conventions").

* :func:`caller` — the token's user; 403 unless it is a staff account (``policy.can_use_api``).
* Scoped lookups, 404 outside the caller's scope exactly like something that does not exist:
  :func:`in_scope` (any queryset), :func:`youth_in_scope`, :func:`trajectory_in_scope` and
  :func:`trajectory_record_in_scope` (a record of a trajectory: a candidate, a decision …).
  ``edit=True`` also needs the youth's own team (``policy.can_edit_trajectory``).
  :func:`youth_viewed` and :func:`trajectory_listed` also audit the read.
* :func:`expect_version` — the client sends the ``version`` it read; an older one is stale.
* :func:`refused` — a model's refusal as the API answers it: 409 ``stale`` when someone else
  saved the record after the client read it (optimistic locking), else 422 ``invalid`` with
  the model's translated messages per field; :func:`field_error` builds one for a single field.
* :func:`audited_write` — validate → save → audit in one transaction; the answer, or the refusal.
  Its two common forms: :func:`created_in_trajectory` (a record added to a trajectory the
  caller may write) and :func:`audited_edit` (a trajectory's record edited from the
  ``version`` the client read).
* :class:`Problem`, :class:`Invalid` and :data:`REFUSALS` — the error answers, for the schema.
* :func:`request_errors` — a request ninja could not read (a missing field, a text too long, a
  word outside an enum) in the same 422 shape as a model's refusal: one dialect.
* :func:`document_answers` — the error answers every operation can give, written into the
  OpenAPI schema once for all routers (401, 403, 404, 409, 413, 422; see ``docs/api.md``).
* :func:`states_rules` — an input schema states its model's static rules (the choices, the
  longest text) in the OpenAPI schema; the model still judges the write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Field, Schema, Status
from ninja.errors import HttpError

from yim import policy
from yim.audit.log import record
from yim.audit.models import Action
from yim.core.errors import StaleEdit

if TYPE_CHECKING:
    from yim.core.models import VersionedModel
    from yim.trajectories.models import Trajectory, Youth

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")


# --- the error answers ---------------------------------------------------------------------------


class Problem(Schema):
    """An error answer: a translated message and a stable machine code."""

    detail: str = Field(examples=["Someone else changed this record after you read it."])
    code: str = Field(examples=["stale"])


class Invalid(Schema):
    """A refused write: the model's messages per field (``__all__`` for the whole record)."""

    detail: str = Field(examples=["The request is not valid."])
    code: str = Field(examples=["invalid"])
    errors: dict[str, list[str]] = Field(
        examples=[{"person": ["A parent, step-parent or legal guardian can never be the JIM."]}]
    )


#: The answers an edit of an existing record may give besides its success.
REFUSALS: dict[int, Any] = {409: Problem, 422: Invalid}

VERSION_FIELD = Field(
    ...,
    ge=1,
    description="The record's `version` as you read it. If someone else saved the record "
    "since, the write is refused with 409 `stale` and nothing is saved.",
    examples=[3],
)


# --- who asks, and what they may reach -----------------------------------------------------------


def caller(request: HttpRequest, *, staff_only: bool = True) -> Any:
    """The token's user; 403 unless it is a staff account (``staff_only=False``: any user)."""
    user = request.auth  # type: ignore[attr-defined]
    if staff_only and not policy.can_use_api(user):
        raise HttpError(403, _("API access is for staff accounts."))
    return user


def in_scope(scope: models.QuerySet[M], pk: Any) -> M:
    """The record ``pk`` of the caller's ``scope`` (a policy queryset); else 404."""
    found = scope.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def youth_in_scope(
    user: Any, youth_id: int, *, may: Callable[[Any, Youth], bool] | None = None
) -> Youth:
    """The youth if the caller may see it (and ``may(user, youth)`` holds); else 404."""
    youth = policy.get_youth_or_404(user, youth_id)
    if may is not None and not may(user, youth):
        raise Http404
    return youth


def trajectory_in_scope(user: Any, trajectory_id: int, *, edit: bool = False) -> Trajectory:
    """The trajectory if the caller may see it (and, with ``edit``, write it); else 404."""
    scope = policy.staff_trajectory_queryset(user).select_related("youth", "programme")
    trajectory = in_scope(scope, trajectory_id)
    if edit and not policy.can_edit_trajectory(user, trajectory.youth):
        raise Http404
    return trajectory


def youth_viewed(
    request: HttpRequest,
    youth_id: int,
    detail: str,
    *,
    may: Callable[[Any, Youth], bool] | None = None,
) -> Youth:
    """The caller's youth (404 outside scope, or unless ``may(user, youth)`` holds) whose file
    an endpoint shows; the read is audited on the youth's file as a view of the youth."""
    user = caller(request)
    youth = youth_in_scope(user, youth_id, may=may)
    record(user, Action.VIEW, request=request, youth=youth, obj=youth, detail=detail)
    return youth


def trajectory_listed(request: HttpRequest, trajectory_id: int, detail: str) -> Trajectory:
    """The caller's trajectory (404 outside scope) whose records an endpoint lists; the read
    is audited on the youth's file as a list of that trajectory."""
    user = caller(request)
    trajectory = trajectory_in_scope(user, trajectory_id)
    record(user, Action.LIST, request=request, youth=trajectory.youth, obj=trajectory,
           detail=detail)  # fmt: skip
    return trajectory


def trajectory_record_in_scope(
    user: Any, records: models.QuerySet[M], pk: int, *, edit: bool = True
) -> M:
    """A record of a trajectory (it has ``.trajectory``) through the caller's trajectory
    scope, by default editable by the caller; else 404."""
    scope = records.select_related("trajectory__youth").filter(
        trajectory__in=policy.staff_trajectory_queryset(user)
    )
    found = in_scope(scope, pk)
    if edit and not policy.can_edit_trajectory(user, cast(Any, found).trajectory.youth):
        raise Http404
    return found


# --- versions and refusals ---------------------------------------------------------------------


def expect_version(versioned: VersionedModel, version: int) -> None:
    """Refuse an edit that started from an older version; the save checks again (races)."""
    if versioned.version != version:
        raise StaleEdit()
    versioned.version = version


def refused(exc: ValidationError) -> Status[dict[str, Any]]:
    """409 ``stale`` for a stale edit, else 422 ``invalid`` with the messages per field."""
    if isinstance(exc, StaleEdit):
        return Status(
            409,
            {
                "detail": _(
                    "Someone else changed this record after you read it; nothing was saved. "
                    "Read it again (its current version) and repeat your change."
                ),
                "code": "stale",
            },
        )
    errors: dict[str, list[str]] = {}
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            errors.setdefault("__all__" if name == NON_FIELD_ERRORS else name, []).extend(messages)
    else:
        errors["__all__"] = list(exc.messages)
    return Status(
        422, {"detail": _("The request is not valid."), "code": "invalid", "errors": errors}
    )


def field_error(name: str, message: str) -> Status[dict[str, Any]]:
    """A 422 for one field, in the same shape as a model's refusal."""
    return refused(ValidationError({name: [message]}))


# --- the audited write ---------------------------------------------------------------------------


def audited_write(
    request: HttpRequest,
    action: Any,
    change: Callable[[], T],
    *,
    youth: Youth | Callable[[T], Youth] | None,
    detail: str,
    obj: Any = None,
    version: tuple[VersionedModel, int] | None = None,
    answer: Callable[[T], Any] | None = None,
    status: int | None = None,
) -> Status[Any]:
    """Validate → save → audit in one transaction; the answer, or the refusal.

    ``change`` writes through the models (which judge the write) and returns the record it
    wrote. With ``version`` (the record, the version the client read) a stale edit is refused
    before anything is written. The audit event (``action`` on ``obj``, default the returned
    record; ``youth`` may be a function of the returned record when the write creates the
    youth) is written in the same transaction, so a refused write leaves neither the change
    nor an event. Success answers ``status`` (default 201 for a creation, else 200) with
    ``answer(record)`` (default: the record); a refusal answers :func:`refused`.
    """
    try:
        with transaction.atomic():
            if version is not None:
                expect_version(*version)
            written = change()
            record(
                request.auth,  # type: ignore[attr-defined]
                action,
                request=request,
                youth=youth(written) if callable(youth) else youth,
                obj=written if obj is None else obj,
                detail=detail,
            )
    except ValidationError as exc:
        return refused(exc)
    if status is None:
        status = 201 if action == Action.CREATE else 200
    return Status(status, written if answer is None else answer(written))


def created_in_trajectory(
    request: HttpRequest,
    trajectory_id: int,
    create: Callable[[Any, Trajectory], T],
    *,
    detail: str,
    answer: Callable[[T], Any] | None = None,
) -> Status[Any]:
    """A record added to one of the caller's trajectories, which only the youth's own team
    may write (else 404): ``create(user, trajectory)`` writes it through the models, audited
    as a creation on the youth's file (:func:`audited_write`: 201 with the record or
    ``answer(record)``, or the refusal)."""
    user = caller(request)
    trajectory = trajectory_in_scope(user, trajectory_id, edit=True)
    return audited_write(
        request,
        Action.CREATE,
        lambda: create(user, trajectory),
        youth=trajectory.youth,
        detail=detail,
        answer=answer,
    )


def audited_edit(
    request: HttpRequest,
    edited: VersionedModel,
    change: Callable[[], T],
    *,
    version: int,
    detail: str,
    answer: Callable[[T], Any] | None = None,
) -> Status[Any]:
    """An edit of a trajectory's record (found with :func:`trajectory_record_in_scope`) from
    the ``version`` the client read: 409 ``stale`` when that is older, else ``change`` writes
    through the model, audited as an update of ``edited`` on the youth's file
    (:func:`audited_write`: 200 with the written record or ``answer(record)``, or the
    refusal)."""
    return audited_write(
        request,
        Action.UPDATE,
        change,
        version=(edited, version),
        youth=cast(Any, edited).trajectory.youth,
        obj=edited,
        detail=detail,
        answer=answer,
    )


# --- one 422 dialect: requests ninja could not read ----------------------------------------------


def _message(error: dict[str, Any]) -> str:
    """A pydantic error as the translated message a form would give."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_long":
        limit = int(ctx.get("max_length", 0))
        return ngettext(
            "Ensure this value has at most %(limit)d character.",
            "Ensure this value has at most %(limit)d characters.",
            limit,
        ) % {"limit": limit}
    if kind == "string_too_short":
        limit = int(ctx.get("min_length", 0))
        return ngettext(
            "Ensure this value has at least %(limit)d character.",
            "Ensure this value has at least %(limit)d characters.",
            limit,
        ) % {"limit": limit}
    if kind == "too_long":
        return _("Ensure this list has at most %(limit)s items.") % {"limit": ctx.get("max_length")}
    if kind == "too_short":
        return _("Ensure this list has at least %(limit)s items.") % {
            "limit": ctx.get("min_length")
        }
    if kind in ("enum", "literal_error"):
        return _("Select a valid choice. That choice is not one of the available choices.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("Ensure this value is greater than or equal to %(limit_value)s.") % {
            "limit_value": ctx.get("ge", ctx.get("gt"))
        }
    if kind in ("less_than_equal", "less_than"):
        return _("Ensure this value is less than or equal to %(limit_value)s.") % {
            "limit_value": ctx.get("le", ctx.get("lt"))
        }
    if kind.startswith("date") and not kind.startswith("datetime"):
        return _("Enter a valid date.")
    if kind.startswith("datetime") or kind.startswith("timezone"):
        return _("Enter a valid date/time.")
    if kind.startswith("bool"):
        return _("Enter true or false.")
    if kind in ("string_type", "string_unicode", "string_sub_type"):
        return _("Enter a text.")
    return _("Enter a valid value.")


def request_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Ninja's request-validation errors (pydantic's ``loc``/``type`` list) as the messages
    per field of :class:`Invalid`: ``display_name``, ``limit``, ``answers.0.value`` — the body
    parameter's own name left out, ``__all__`` for the body as a whole."""
    result: dict[str, list[str]] = {}
    for error in errors:
        source, *where = error.get("loc") or ("",)
        if source == "body" and where:
            where = where[1:]  # the view's body parameter (``payload``): not a field of the API
        name = ".".join(str(part) for part in where) or NON_FIELD_ERRORS
        result.setdefault(name, []).append(_message(error))
    return result


def invalid(errors: dict[str, list[str]]) -> dict[str, Any]:
    """The body of a 422 ``invalid``."""
    return {"detail": _("The request is not valid."), "code": "invalid", "errors": errors}


# --- the error answers in the schema, once for every router ------------------------------------

_REF = "#/components/schemas/{model}"

#: What each error answer means, as the schema says it (``docs/api.md`` has the same table).
ANSWERS: dict[int, tuple[type[Schema], str]] = {
    401: (Problem, "`not_authenticated`: no valid API token."),
    403: (Problem, "`forbidden`: the token's account may not use this endpoint."),
    404: (Problem, "`not_found`: it does not exist, or it is outside your scope."),
    409: (Problem, "`stale`: someone else saved the record after you read it; nothing saved."),
    413: (Problem, "`too_large`: the request body is larger than 5 MB; nothing was read."),
    422: (Invalid, "`invalid`: the request was refused; the messages per field in `errors`."),
}

#: An operation's ``openapi_extra`` marker: it answers any valid token (no 403).
ANY_USER = {"x-yim-any-user": True}


#: Input schemas by component name, and the model whose static rules each one states.
_RULES: dict[str, type[models.Model]] = {}

S = TypeVar("S", bound=type[Schema])


def states_rules(model: type[models.Model]) -> Callable[[S], S]:
    """Class decorator for an input schema: its fields named like ``model``'s state that
    field's choices (``enum``) and longest text (``maxLength``; free text
    ``FREE_TEXT_MAX_CHARS``) in the OpenAPI schema. Validation stays with the model, so a value
    outside the rules answers 422 with the model's own message, as on the pages."""

    def register(schema: S) -> S:
        _RULES[schema.__name__] = model
        return schema

    return register


def _field_rules(field: models.Field[Any, Any]) -> dict[str, Any]:
    from yim.core.models import FREE_TEXT_MAX_CHARS

    rules: dict[str, Any] = {}
    if field.choices and not field.is_relation:
        rules["enum"] = [value for value, _label in field.flatchoices]
    if isinstance(field, models.TextField):
        rules["maxLength"] = FREE_TEXT_MAX_CHARS
    elif isinstance(field, models.CharField) and field.max_length:
        rules["maxLength"] = field.max_length
    return rules


def _state_rules(component: dict[str, Any], model: type[models.Model]) -> None:
    by_name = {f.name: f for f in model._meta.concrete_fields}
    for name, prop in component.get("properties", {}).items():
        field = by_name.get(name)
        if field is None:
            continue
        rules = _field_rules(field)
        # the string branch of ``str | None``, or the items of ``list[str]``
        targets = [t for t in prop.get("anyOf", [prop]) if t.get("type") == "string"]
        if prop.get("type") == "array" and prop.get("items", {}).get("type") == "string":
            targets = [prop["items"]]
        for target in targets:
            for key, value in rules.items():
                if key == "enum":
                    default = prop.get("default")
                    allowed = [*value, *([default] if isinstance(default, str) else [])]
                    target["enum"] = list(dict.fromkeys(allowed))
                elif key not in target:
                    target[key] = value


def document_answers(schema: dict[str, Any]) -> dict[str, Any]:
    """Write the error answers every operation really gives into the OpenAPI ``schema``.

    The rules are the convention's, so no router repeats them: 401 on every operation behind
    the token; 403 unless the operation answers any user (:data:`ANY_USER`); 404 where a path
    or the body names a record (``…_id``), which may be outside the caller's scope; 409 on a
    write that carries a ``version``; 413 on every request with a body; 422 wherever there is
    anything to validate (a parameter or a body). An operation that declared its own 422 (a
    file import's problems per row) answers either shape.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, Invalid):
        components.setdefault(model.__name__, model.model_json_schema(ref_template=_REF))
    for name, rules_model in _RULES.items():
        if name in components:
            _state_rules(components[name], rules_model)

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = components.get(node["$ref"].rsplit("/", 1)[-1], {})
        return node

    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            body = (
                operation.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema")
            )
            fields = set(resolve(body).get("properties", {})) if body else set()
            parameters = operation.get("parameters", [])
            statuses = set()
            if operation.get("security"):
                statuses.add(401)
                if not operation.pop("x-yim-any-user", False):
                    statuses.add(403)
            if any(p.get("in") == "path" for p in parameters) or any(
                f.endswith("_id") for f in fields
            ):
                statuses.add(404)
            if "version" in fields:
                statuses.add(409)
            if "requestBody" in operation:
                statuses.add(413)
            if parameters or "requestBody" in operation:
                statuses.add(422)
            _declare(operation["responses"], statuses)
    return schema


def _declare(responses: dict[Any, Any], statuses: set[int]) -> None:
    for status in sorted(statuses):
        model, description = ANSWERS[status]
        ref = {"$ref": _REF.format(model=model.__name__)}
        declared = responses.get(status, responses.get(str(status)))
        if declared is None:
            responses[status] = {
                "description": description,
                "content": {"application/json": {"schema": ref}},
            }
            continue
        content = declared.setdefault("content", {}).setdefault("application/json", {})
        current = content.get("schema")
        if current is None:
            content["schema"] = ref
        elif current != ref and ref not in current.get("anyOf", []):
            content["schema"] = {"anyOf": [*current.get("anyOf", [current]), ref]}

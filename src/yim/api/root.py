"""The NinjaAPI object: token authentication, the error handlers and the routers of the apps.

Authentication is ``Authorization: Bearer yim_…`` with a personal API token (hashed at rest,
revocable). Session cookies are not accepted, so the API needs no CSRF token and cannot be
driven by a page on another site. Every error is JSON ``{"detail", "code"}``; the convention
the routers follow is in :mod:`yim.api.convention` (and ``docs/api.md``, "Conventions").
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from yim import __version__
from yim.accounts.models import ApiToken
from yim.api.convention import document_answers, invalid, request_errors
from yim.api.links import link_created_records

logger = logging.getLogger("yim.api")


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = ApiToken.authenticate(token)
        if user is None:
            return None
        request.user = user
        return user


class YimAPI(NinjaAPI):
    """The NinjaAPI whose schema states every answer the convention gives (401, 403, 404,
    409, 413, 422), written once by :func:`yim.api.convention.document_answers`, and that
    links each create to the operations on what it created
    (:func:`yim.api.links.link_created_records`).

    The schema is built once per process (per path prefix and language): it follows from
    the code alone, and building it takes about 150 ms of CPU — on a public URL, where
    anyone could ask for it again and again. Callers read it; they must not change it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._schemas: dict[tuple[str, str, str], Any] = {}

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        key = (str(path_prefix), repr(sorted((path_params or {}).items())), get_language())
        if key not in self._schemas:
            schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
            self._schemas[key] = link_created_records(document_answers(schema))
        return self._schemas[key]


api = YimAPI(
    title="yim API",
    version=__version__,
    description="REST API of yim. Authenticate with a personal API token: "
    "`Authorization: Bearer yim_…`. Create one under 'My account'.",
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url=None,  # the interactive docs load assets from a CDN; the schema is at openapi.json
)


def error(request: HttpRequest, status: int, code: str, detail: str) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = error(
        request,
        401,
        "not_authenticated",
        _("A valid API token is required (Authorization: Bearer …)."),
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error(request, 404, "not_found", _("Not found."))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """A request ninja could not read: 422 ``invalid`` with the messages per field, in the
    same shape as a model's refusal (one dialect, not pydantic's list)."""
    response = api.create_response(request, invalid(request_errors(exc.errors)), status=422)
    response[REFUSED_AT] = "request"
    return response


#: A 422 for the request itself (read before any record is looked up) says so in this header,
#: so a client — and the cross-scope probes — can tell it from a record's refusal: the body is
#: the same (messages per field), but only a record in scope can refuse its own fields.
REFUSED_AT = "Yim-Refused-At"

#: The machine code of an :class:`HttpError` by its status.
HTTP_ERROR_CODES = {403: "forbidden", 404: "not_found"}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:  # ninja could not parse the body (not JSON): refused like the rest
        errors: dict[str, list[str]] = {
            NON_FIELD_ERRORS: [_("The request body is not valid JSON.")]
        }
        response = api.create_response(request, invalid(errors), status=422)
        response[REFUSED_AT] = "request"
        return response
    code = HTTP_ERROR_CODES.get(exc.status_code, "error")
    return error(request, exc.status_code, code, str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE: refused before it is read, as JSON."""
    limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    return error(
        request,
        413,
        "too_large",
        _("The request body is larger than %(limit)d MB.") % {"limit": limit_mb},
    )


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """An unexpected failure: JSON like every other answer, the traceback in the server log."""
    logger.error("API error: %s %s", request.method, request.path, exc_info=exc)
    return error(
        request,
        500,
        "server_error",
        _("An unexpected error occurred. Try again later; if it keeps happening, tell your admin."),
    )


def _register_routers() -> None:
    from yim.accounts.api import router as accounts_router
    from yim.monitoring.api import router as monitoring_router
    from yim.qualitative.api import router as qualitative_router
    from yim.trajectories.api import router as trajectories_router

    api.add_router("/", accounts_router)
    api.add_router("/", trajectories_router)
    api.add_router("/", monitoring_router)
    api.add_router("/", qualitative_router)


_register_routers()

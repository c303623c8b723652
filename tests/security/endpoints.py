"""Every endpoint of the project, as the probes see it: the URL map and the API's operations.

The lists are read from the running project (``django.urls.get_resolver()`` walked through its
includes, and the django-ninja OpenAPI schema), so a new page or operation is probed from the
day it exists, without anyone adding it here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from yim.api import api

API_PREFIX = "api/v1/"
_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class WebEndpoint:
    route: str  # e.g. "trajectories/youth/<int:youth_id>/network/<int:pk>/"
    name: str

    @property
    def params(self) -> list[tuple[str, str]]:
        """(name, converter) of every path parameter."""
        return [(m["name"], m["converter"] or "str") for m in _PARAM.finditer(self.route)]

    def url(self, values: dict[str, str]) -> str:
        return "/" + _PARAM.sub(lambda m: values[m["name"]], self.route)

    def __str__(self) -> str:
        return "/" + self.route


@dataclass(frozen=True)
class ApiOperation:
    method: str
    path: str  # e.g. "/api/v1/youth/{youth_id}"
    path_params: tuple[str, ...]
    query_params: tuple[tuple[str, str], ...]  # (name, type)
    body: tuple[tuple[str, Any], ...] | None  # (property, schema) of the JSON body

    def url(self, values: dict[str, str]) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: values[m[1]], self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _walk(patterns: list[Any], prefix: str = "") -> list[WebEndpoint]:
    found: list[WebEndpoint] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append(WebEndpoint(prefix + str(pattern.pattern), pattern.name or ""))
    return found


def web_endpoints() -> list[WebEndpoint]:
    """Every URL pattern; the API's operations are left to :func:`api_operations` (the
    schema and the API root stay here)."""
    operations = {op.path.removeprefix("/") for op in api_operations()}
    out = []
    for endpoint in _walk(get_resolver().url_patterns):
        api_form = re.sub(r"<(\w+)>", r"{\1}", endpoint.route)
        if endpoint.route.startswith(API_PREFIX) and api_form in operations:
            continue
        out.append(endpoint)
    return out


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref:
        return dict(schema["components"]["schemas"][ref.split("/")[-1]])
    return node


def api_operations() -> list[ApiOperation]:
    schema = api.get_openapi_schema()
    out = []
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            params = op.get("parameters", [])
            body = None
            if "requestBody" in op:
                node = op["requestBody"]["content"]["application/json"]["schema"]
                resolved = _resolve(schema, node)
                body = tuple(
                    (name, _resolve(schema, prop))
                    for name, prop in resolved.get("properties", {}).items()
                )
            out.append(
                ApiOperation(
                    method=method.upper(),
                    path=path,
                    path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                    query_params=tuple(
                        (p["name"], p.get("schema", {}).get("type", "string"))
                        for p in params
                        if p["in"] == "query"
                    ),
                    body=body,
                )
            )
    return out

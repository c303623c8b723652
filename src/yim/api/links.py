"""OpenAPI links from each create operation to the operations on what it created.

The links are derived from the API's path convention, once for every router, so no router
declares them: a record is reached at ``/<collection>/{<name>_id}`` (and its actions below
that, ``/<collection>/{<name>_id}/<action>``), and a create answers 201 with the record.

* **The created record** — a create's answer carries the record's ``id``. The record's
  collection is the create path's last segment (``POST /trajectories/{trajectory_id}/meetings``
  creates in ``meetings``), or the collection whose own operations answer the same schema
  (``POST /placement-decisions/{decision_id}/outcome`` answers an ``EpisodeOut``, which
  ``PATCH /placement-episodes/{episode_id}`` answers too). Every operation on that record is
  linked, its path parameter taken from ``$response.body#/id`` — except when the create acts
  on a record of that same collection (``POST /placement-decisions/{decision_id}/consultations``
  answers the decision whose id the client already has in its path).
* **The records it names** — a create whose answer has no ``id`` but names the records it
  made by required ``<name>_id`` fields (a comparison trajectory: ``youth_id``,
  ``trajectory_id``) links to the reads, edits and actions of those records (not to the
  creates below them, which stay where a client — or the state machine — starts).

A linked operation whose body carries a ``version`` gets the version of the answer, so that
an edit right after the create starts from the version the client has just read.

Schemathesis builds its stateful tests (``schema.as_state_machine()``) from these links:
create → read / update / act on the created record (``tests/api/test_stateful.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_PARAMETER = re.compile(r"^\{(\w+)\}$")
_METHODS = ("get", "put", "post", "patch", "delete")


@dataclass(frozen=True)
class _Operation:
    method: str
    path: str
    definition: dict[str, Any]

    @property
    def segments(self) -> list[str]:
        return [s for s in self.path.split("/") if s]

    @property
    def record(self) -> tuple[str, str] | None:
        """``(collection, parameter)`` of an operation on one record: one path parameter, right
        after its collection's segment (``/meetings/{meeting_id}``, ``…/{meeting_id}/held``)."""
        found = [(i, m.group(1)) for i, s in enumerate(self.segments) if (m := _PARAMETER.match(s))]
        if len(found) != 1 or found[0][0] == 0:
            return None
        index, name = found[0]
        return self.segments[index - 1], name

    @property
    def on_the_record_itself(self) -> bool:
        """The record's own operation (``/c/{id}``) or an action on it that answers it."""
        record = self.record
        if record is None:
            return False
        own = self.segments[-1] == "{" + record[1] + "}"
        return own or (self.method != "get" and not self.creates)

    @property
    def creates(self) -> bool:
        return self.method == "post" and _response(self.definition, 201) is not None

    @property
    def operation_id(self) -> str | None:
        return self.definition.get("operationId")


def _response(operation: dict[str, Any], status: int) -> dict[str, Any] | None:
    responses = operation.get("responses", {})
    found = responses.get(status, responses.get(str(status)))
    return found if isinstance(found, dict) else None


def _answer_ref(operation: dict[str, Any], status: int) -> str | None:
    """The component name of the JSON answer with ``status``, if it is one component."""
    response = _response(operation, status) or {}
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] or None


def _success_ref(operation: dict[str, Any]) -> str | None:
    return _answer_ref(operation, 200) or _answer_ref(operation, 201)


def _body_fields(operation: dict[str, Any], components: dict[str, Any]) -> set[str]:
    schema = (
        operation.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema", {})
    )
    while "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return set(schema.get("properties", {}))


def _required_ids(component: dict[str, Any]) -> list[str]:
    """The answer's ``<name>_id`` fields that always hold an integer (never null)."""
    required = set(component.get("required", []))
    return [
        name
        for name, prop in component.get("properties", {}).items()
        if name.endswith("_id") and name in required and prop.get("type") == "integer"
    ]


def link_created_records(schema: dict[str, Any]) -> dict[str, Any]:
    """Write the links of every create operation into the OpenAPI ``schema`` (see above)."""
    components = schema.get("components", {}).get("schemas", {})
    operations = [
        _Operation(method, path, definition)
        for path, item in schema.get("paths", {}).items()
        for method, definition in item.items()
        if method in _METHODS and isinstance(definition, dict)
    ]
    on_records = [op for op in operations if op.record is not None and op.operation_id]
    # which collection's records each component is, by the operations on the record itself
    collection_of: dict[str, set[str]] = {}
    for op in on_records:
        ref = _success_ref(op.definition)
        if ref is not None and op.on_the_record_itself:
            collection_of.setdefault(ref, set()).add(op.record[0])  # type: ignore[index]

    for create in (op for op in operations if op.creates):
        ref = _answer_ref(create.definition, 201)
        component = components.get(ref or "", {})
        properties = component.get("properties", {})
        links: dict[str, Any] = {}
        if "id" in properties:
            collections = {create.segments[-1], *collection_of.get(ref or "", set())}
            collections.discard(create.record[0] if create.record else "")
            for target in on_records:
                if target.record[0] in collections:  # type: ignore[index]
                    links[target.operation_id] = _link(  # type: ignore[index]
                        target, "id", properties, components
                    )
        else:
            for field in _required_ids(component):
                for target in on_records:
                    if target.record[1] == field and not target.creates:  # type: ignore[index]
                        links[target.operation_id] = _link(  # type: ignore[index]
                            target, field, properties, components
                        )
        if links:
            _response(create.definition, 201)["links"] = links  # type: ignore[index]
    return schema


def _link(
    target: _Operation, field: str, answer: dict[str, Any], components: dict[str, Any]
) -> dict[str, Any]:
    parameter = target.record[1]  # type: ignore[index]
    link: dict[str, Any] = {
        "operationId": target.operation_id,
        "parameters": {parameter: f"$response.body#/{field}"},
        "description": f"`{parameter}` is the `{field}` of the answer.",
    }
    if (
        field == "id"
        and "version" in answer
        and "version" in _body_fields(target.definition, components)
    ):
        link["requestBody"] = {"version": "$response.body#/version"}
    return link

"""Make a real tool's REFI-QDA XML fit the schema, and report every change.

:func:`prepare` accepts the namespaces other tools write (``urn:QDA-XML:project:1:0``,
``:0:4`` …), leaves out elements and attributes the schema does not know, puts children back
in the schema's order, and then validates, repairing what it can (a missing ``isCodable`` is
read as true, an invalid optional attribute is left out) and dropping the smallest unit that
holds what it cannot (a coding, a selection, a source …). Only when the core of the file (its
code tree) does not fit is the file refused. :func:`dedupe_guids` renames second uses of a
GUID.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import cache
from importlib import resources

from lxml import etree

from .errors import ProjectIntegrityError, SchemaValidationError
from .export import CODEBOOK_NS, PROJECT_NS, codebook_schema, project_schema
from .model import guid_key
from .report import (
    ADJUSTED,
    IGNORED,
    IssueLog,
    codings_in,
    gettext_noop,
    label,
    local,
    names,
    where,
)

__all__ = ["dedupe_guids", "prepare"]


@dataclass(frozen=True)
class _SchemaTables:
    attributes: dict[str, frozenset[str]]
    required: dict[str, frozenset[str]]
    order: dict[str, tuple[str, ...]]


XS = "{http://www.w3.org/2001/XMLSchema}"


@cache
def _tables(filename: str) -> _SchemaTables:
    """Per element name: its attributes, its required attributes, the order of its children."""
    xsd = etree.fromstring(resources.files(__package__).joinpath(filename).read_bytes())
    types = {t.get("name"): t for t in xsd.iter(f"{XS}complexType") if t.get("name")}
    element_types: dict[str, set[str]] = {}
    for element in xsd.iter(f"{XS}element"):
        name, kind = element.get("name"), element.get("type")
        if name:
            inline = element.find(f"{XS}complexType")
            if kind:
                element_types.setdefault(name, set()).add(kind.split(":")[-1])
            elif inline is not None:
                types[f"#{name}"] = inline
                element_types.setdefault(name, set()).add(f"#{name}")
            else:
                element_types.setdefault(name, set())
    attributes: dict[str, frozenset[str]] = {}
    required: dict[str, frozenset[str]] = {}
    order: dict[str, tuple[str, ...]] = {}
    for name, kinds in element_types.items():
        allowed: set[str] = set()
        needed: set[str] = set()
        orders = set()
        for kind in kinds:
            complex_type = types.get(kind)
            if complex_type is None:
                continue
            for attribute in complex_type.iter(f"{XS}attribute"):
                allowed.add(attribute.get("name"))
                if attribute.get("use") == "required":
                    needed.add(attribute.get("name"))
            sequence = complex_type.find(f"{XS}sequence")
            if sequence is not None:
                orders.add(tuple(e.get("name") for e in sequence.iter(f"{XS}element")))
        attributes[name] = frozenset(allowed)
        required[name] = frozenset(needed)
        if len(orders) == 1:
            order[name] = orders.pop()
    return _SchemaTables(attributes, required, order)


#: Elements that can be left out on their own when they are broken (references to them are
#: then removed, and the codings inside them counted).
_DROPPABLE = frozenset(
    {
        "User",
        "Variable",
        "Case",
        "Note",
        "Set",
        "Link",
        "Graph",
        "Vertex",
        "Edge",
        "TextSource",
        "PictureSource",
        "PDFSource",
        "AudioSource",
        "VideoSource",
        "PlainTextSelection",
        "PictureSelection",
        "PDFSelection",
        "AudioSelection",
        "VideoSelection",
        "Transcript",
        "TranscriptSelection",
        "SyncPoint",
        "Representation",
        "TextDescription",
        "Coding",
        "NoteRef",
        "SourceRef",
        "SelectionRef",
        "CodeRef",
        "MemberCode",
        "MemberSource",
        "MemberNote",
        "VariableValue",
        "Description",
    }
)
_CONTAINERS = frozenset(
    {
        "Users",
        "CodeBook",
        "Codes",
        "Variables",
        "Cases",
        "Sources",
        "Notes",
        "Links",
        "Sets",
        "Graphs",
    }
)
_NAMESPACE = re.compile(r"^urn:QDA-XML:(?P<kind>project|codebook):(?P<version>\d+[.:]\d+)$")


def attached(node: etree._Element, root: etree._Element) -> bool:
    """Whether ``node`` is still in ``root``'s tree (not left out with an ancestor)."""
    while (parent := node.getparent()) is not None:
        node = parent
    return node is root


def prepare(root: etree._Element, kind: str, what: str, log: IssueLog) -> None:
    """Normalise the namespace, leave out what the schema does not know, restore the schema's
    order of children and repair or drop what still does not validate."""
    canonical, schema, tables = (
        (PROJECT_NS, project_schema(), _tables("Project.xsd"))
        if kind == "project"
        else (CODEBOOK_NS, codebook_schema(), _tables("Codebook.xsd"))
    )
    expected_root = "Project" if kind == "project" else "CodeBook"
    namespace = etree.QName(root).namespace
    match = _NAMESPACE.match(namespace or "")
    if local(root) != expected_root or not (
        namespace == canonical or (match and match.group("kind") == kind) or namespace is None
    ):
        raise ProjectIntegrityError(
            f"{what}: root element is {root.tag!r}, expected {expected_root} in {canonical}"
        )
    if namespace != canonical:
        log.add(
            gettext_noop("%(file)s, root element", file=what),
            gettext_noop(
                "the namespace is %(found)s instead of %(standard)s",
                found=repr(namespace or ""),
                standard=repr(canonical),
            ),
            gettext_noop("the file was read as %(standard)s", standard=canonical),
            ADJUSTED,
        )
    _normalise_namespace(root, namespace, canonical, tables, log)
    _restore_order(root, tables, log)
    _repair_until_valid(root, schema, tables, what, log)


def _normalise_namespace(
    root: etree._Element,
    namespace: str | None,
    canonical: str,
    tables: _SchemaTables,
    log: IssueLog,
) -> None:
    unknown_elements: dict[str, list[etree._Element]] = {}
    unknown_attributes: dict[tuple[str, str], list[etree._Element]] = {}
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        if qname.namespace == namespace and qname.localname in tables.attributes:
            element.tag = f"{{{canonical}}}{qname.localname}"
        else:
            name = qname.localname if qname.namespace == namespace else element.tag
            unknown_elements.setdefault(name, []).append(element)
            continue
        allowed = tables.attributes[qname.localname]
        for attribute in list(element.attrib):
            if attribute not in allowed and not attribute.startswith(
                "{http://www.w3.org/2001/XMLSchema-instance}"
            ):
                unknown_attributes.setdefault((qname.localname, attribute), []).append(element)
    for name, elements in unknown_elements.items():
        codings = 0
        for element in elements:
            parent = element.getparent()
            if parent is not None and attached(element, root):
                codings += codings_in(element)
                parent.remove(element)
        log.add(
            gettext_noop(
                "element %(name)s (%(count)s×, first at line %(line)s)",
                name=repr(name),
                count=len(elements),
                line=elements[0].sourceline,
            ),
            gettext_noop("the REFI-QDA schema does not know this element"),
            gettext_noop("it was left out"),
            IGNORED,
            codings,
        )
    for (element_name, attribute), elements in unknown_attributes.items():
        for element in elements:
            element.attrib.pop(attribute, None)
        log.add(
            gettext_noop(
                "attribute %(name)s of %(element)s (%(count)s×, first at line %(line)s)",
                name=repr(attribute),
                element=element_name,
                count=len(elements),
                line=elements[0].sourceline,
            ),
            gettext_noop("the REFI-QDA schema does not know this attribute"),
            gettext_noop("it was left out"),
            IGNORED,
        )
    etree.cleanup_namespaces(root)


def _restore_order(root: etree._Element, tables: _SchemaTables, log: IssueLog) -> None:
    moved = []
    for element in root.iter():
        order = tables.order.get(local(element))
        if not order or len(element) < 2:
            continue
        rank = {name: i for i, name in enumerate(order)}
        children = list(element)
        keys = []
        last = 0
        for child in children:  # comments stay after the element they follow
            last = rank.get(local(child), last) if isinstance(child.tag, str) else last
            keys.append(last)
        if keys != sorted(keys):
            ordered = [c for _k, c in sorted(zip(keys, children, strict=True), key=lambda p: p[0])]
            element[:] = ordered
            moved.append(label(element))
    if moved:
        log.add(
            names(moved),
            gettext_noop("child elements are not in the order of the REFI-QDA schema"),
            gettext_noop("they were put in the schema's order; nothing was lost"),
            ADJUSTED,
        )


_ATTRIBUTE_IN_ERROR = re.compile(r"attribute '([^']+)'")


def _repair_until_valid(
    root: etree._Element,
    schema: etree.XMLSchema,
    tables: _SchemaTables,
    what: str,
    log: IssueLog,
) -> None:
    tree = root.getroottree()
    for _round in range(100):
        if schema.validate(root):
            return
        changed = False
        for error in list(schema.error_log):
            nodes = tree.xpath(error.path) if error.path else []
            node = nodes[0] if nodes and isinstance(nodes[0], etree._Element) else None
            if node is None or not attached(node, root):
                continue
            changed |= _repair(node, error.message, tables, log)
        if not changed:
            break
    details = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5])
    raise SchemaValidationError(
        f"{what} does not validate against the schema and cannot be repaired: {details}"
    )


def _repair(node: etree._Element, message: str, tables: _SchemaTables, log: IssueLog) -> bool:
    name = local(node)
    attribute = _ATTRIBUTE_IN_ERROR.search(message)
    if "'isCodable' is required but missing" in message:
        node.set("isCodable", "true")
        log.add(
            where(node),
            gettext_noop("the attribute isCodable is missing"),
            gettext_noop("it was read as true"),
            ADJUSTED,
        )
        return True
    if attribute and attribute.group(1) not in tables.required.get(name, frozenset()):
        value = node.attrib.pop(attribute.group(1), None)
        if value is None:
            return False
        log.add(
            where(node),
            gettext_noop(
                "%(attribute)s=%(value)s is not valid",
                attribute=attribute.group(1),
                value=repr(value),
            ),
            gettext_noop("the attribute was left out"),
            ADJUSTED,
        )
        return True
    if name in _CONTAINERS and not len(node) and "Missing child" in message:
        parent = node.getparent()
        if parent is not None:
            parent.remove(node)
            return True
    unit = node
    while unit is not None and local(unit) not in _DROPPABLE:
        unit = unit.getparent()
    if unit is None or unit.getparent() is None:
        return False
    if local(unit) == "CodeRef" and unit.getparent() is not None:
        unit = unit.getparent()  # a coding without its code reference is nothing
    log.drop(
        unit,
        gettext_noop("it does not fit the REFI-QDA schema (%(error)s)", error=_short(message)),
    )
    parent = unit.getparent()
    assert parent is not None
    parent.remove(unit)
    return True


def _short(message: str) -> str:
    message = re.sub(r"\{urn:QDA-XML:[a-z]+:1\.0\}", "", message).strip()
    return message.split(" Expected is")[0].rstrip(".")


def dedupe_guids(root: etree._Element, kind: str, log: IssueLog) -> None:
    """Give every element after the first that uses a GUID a fresh one (references go to the
    first); a user listed twice is left out."""
    seen: dict[str, etree._Element] = {}
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or not attached(element, root):
            continue
        guid = element.get("guid")
        if not guid or (kind == "codebook" and local(element) == "MemberCode"):
            continue
        key = guid_key(guid)
        first = seen.get(key)
        if first is None:
            seen[key] = element
            continue
        problem = gettext_noop(
            "GUID %(guid)s is already used by %(first)s", guid=guid, first=where(first)
        )
        if local(element) == "User":
            log.add(where(element), problem, gettext_noop("the second user was left out"), ADJUSTED)
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
            continue
        fresh = str(uuid.uuid4())
        element.set("guid", fresh)
        log.add(
            where(element),
            problem,
            gettext_noop(
                "it was given the new GUID %(fresh)s; references to %(guid)s point to the first",
                fresh=fresh,
                guid=guid,
            ),
            ADJUSTED,
        )

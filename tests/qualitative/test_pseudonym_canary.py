"""Canary test (issue 14, item 2): after "apply to all", no real name leaves yim.

A project comes in from another tool (.qdpx) with distinctive real names planted in every
field that can hold one: participants (REFI cases: names, descriptions, text attributes),
transcripts (text, titles, descriptions), coded segments, memos, sets (triads), codes,
attribute definitions and the project itself. The data manager saves a pseudonym table and
applies it. Then every exported byte is searched for the real names: the .qdpx (every file
in the archive), the .qdc, the coded segments as CSV, XLSX and DOCX (every file inside), every
answer of the REST API, and the pages a coder of the project reads. A control run before the
table is applied finds the canaries in the same bytes, so the search itself is proven to work.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime

import pytest

from tests.conftest import signed_in
from tests.qualitative.test_api import api_client
from yim.qualitative import models as m
from yim.qualitative.refi import model as refi
from yim.qualitative.refi.export import export_qdpx

pytestmark = pytest.mark.django_db

#: Real names nobody else uses, so any hit is a leak (searched case-insensitively).
CANARIES = ("Zebulonia", "Quarterfield", "Xanthippe", "Ottokar", "Vondelmeer")
TABLE = {
    "Zebulonia Quarterfield": "Lotte Jansen",
    "Zebulonia": "Lotte",
    "Quarterfield": "Jansen",
    "Xanthippe": "Noor",
    "Ottokar Vondelmeer": "Kees de Wit",
    "Ottokar": "Kees",
    "Vondelmeer": "de Wit",
}
PSEUDONYMS = ("Lotte", "Noor", "Kees")

G = "00000000-0000-4000-9000-{:012d}".format
WHEN = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
YOUTH_TEXT = (
    "Interviewer: Hoe gaat het met je, Zebulonia?\n"
    "Zebulonia: Goed. Xanthippe hielp mij écht 😟, vooral met school.\n"
    "Interviewer: En thuis bij Ottokar Vondelmeer?\n"
    "Zebulonia: ZEBULONIA QUARTERFIELD woont nu bij haar tante Xanthippe.\n"
)
JIM_TEXT = "Interviewer: Hoe ken je Zebulonia?\nXanthippe: Ik ben haar tante. 👍🏽\n"
CODER, ROLE, RELATION = G(1), G(2), G(3)
SUPPORT, FAMILY = G(10), G(11)
YOUTH_DOC, JIM_DOC = G(20), G(21)
YOUTH_CASE, JIM_CASE, PARENT_CASE = G(30), G(31), G(32)
MEMO, TRIAD = G(40), G(50)


def selection(guid: int, text: str, fragment: str, code: str, **extra) -> refi.PlainTextSelection:
    start = text.index(fragment)
    return refi.PlainTextSelection(
        G(guid),
        start,
        start + len(fragment),
        codings=(refi.Coding(G(guid + 100), code, CODER, WHEN),),
        creating_user=CODER,
        creation_datetime=WHEN,
        **extra,
    )


def imported_project() -> refi.Project:
    """A project as another tool exports it, with the real names everywhere."""
    return refi.Project(
        name="Triades van Zebulonia",
        description="Interviews met Zebulonia Quarterfield, Xanthippe en Ottokar Vondelmeer.",
        users=(refi.User(CODER, "Onderzoeker A"),),
        codes=(
            refi.Code(
                SUPPORT,
                "Steun van Xanthippe",
                color="#4e79a7",
                description="Alles wat Xanthippe voor Zebulonia doet.",
                children=(refi.Code(FAMILY, "Ottokar thuis", color="#f28e2b"),),
            ),
        ),
        variables=(
            refi.Variable(ROLE, "role", refi.VariableType.TEXT),
            refi.Variable(RELATION, "jim_relation", refi.VariableType.TEXT, "b.v. tante Xanthippe"),
        ),
        cases=(
            refi.Case(
                YOUTH_CASE,
                "Zebulonia Quarterfield",
                description="Jongere; Zebulonia woont bij Xanthippe.",
                variable_values=(refi.VariableValue(ROLE, "youth"),),
                source_refs=(YOUTH_DOC,),
            ),
            refi.Case(
                JIM_CASE,
                "Xanthippe_tante",
                description="De JIM van Zebulonia",
                variable_values=(
                    refi.VariableValue(ROLE, "jim"),
                    refi.VariableValue(RELATION, "tante van Zebulonia"),
                ),
                source_refs=(JIM_DOC,),
            ),
            refi.Case(PARENT_CASE, "Ottokar2", description="Vader (Ottokar Vondelmeer)"),
        ),
        sources=(
            refi.TextSource(
                YOUTH_DOC,
                "interview_Zebulonia_2026",
                YOUTH_TEXT,
                description="Gesprek met Zebulonia Quarterfield",
                selections=(
                    selection(
                        60,
                        YOUTH_TEXT,
                        "Xanthippe hielp mij écht",
                        SUPPORT,
                        name="Xanthippe helpt",
                        description="Zebulonia over Xanthippe",
                    ),
                    selection(61, YOUTH_TEXT, "En thuis bij Ottokar Vondelmeer?", FAMILY),
                    selection(62, YOUTH_TEXT, "ZEBULONIA QUARTERFIELD woont", FAMILY),
                ),
                creating_user=CODER,
                creation_datetime=WHEN,
            ),
            refi.TextSource(
                JIM_DOC,
                "Xanthippe (JIM)",
                JIM_TEXT,
                selections=(selection(63, JIM_TEXT, "Ik ben haar tante", SUPPORT),),
            ),
        ),
        notes=(
            refi.Note(
                MEMO,
                "Indruk Ottokar",
                "Ottokar Vondelmeer was kort aanwezig; Zebulonia leek opgelucht.",
                description="over Vondelmeer",
                creating_user=CODER,
            ),
        ),
        sets=(
            refi.Set(
                TRIAD,
                "Triade Zebulonia",
                description="Zebulonia, Xanthippe, Ottokar",
                member_sources=(YOUTH_DOC, JIM_DOC),
            ),
        ),
    )


def leaks(blobs: dict[str, bytes]) -> dict[str, list[str]]:
    """Canaries found in each blob (zip archives are searched file by file)."""
    found: dict[str, list[str]] = {}
    for where, data in blobs.items():
        texts = {where: data}
        if data[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                texts = {f"{where}!{name}": archive.read(name) for name in archive.namelist()}
        for name, raw in texts.items():
            text = raw.decode("utf-8", errors="replace").casefold()
            hits = [c for c in CANARIES if c.casefold() in text]
            if hits:
                found[name] = hits
    return found


def everything_that_leaves(world, project: m.Project, coder_user) -> dict[str, bytes]:
    """Every export and every API answer about the project, and a coder's pages."""
    manager = signed_in(world.researcher)
    base = f"/qualitative/{project.pk}/"
    blobs: dict[str, bytes] = {}
    for path in ("export.qdpx", "export.qdc"):
        response = manager.get(base + path)
        assert response.status_code == 200, path
        blobs[path] = response.content
    for kind in ("csv", "xlsx", "docx"):
        response = manager.get(base + f"segments/?format={kind}")
        assert response.status_code == 200, kind
        blobs[f"segments.{kind}"] = response.content
    api = api_client(world.researcher)
    document = project.documents.order_by("pk").first()
    assert document is not None
    for path in (
        "",
        f"/{project.pk}",
        f"/{project.pk}/codebook",
        f"/{project.pk}/documents?text=1",
        f"/{project.pk}/segments",
        f"/{project.pk}/agreement",
    ):
        response = api.get("/api/v1/qualitative/projects" + path)
        assert response.status_code == 200, path
        blobs[f"api{path}"] = response.content
    coder = signed_in(coder_user)
    for path in ("", "participants/", "codebook/", "memos/", "segments/", "frequencies/"):
        response = coder.get(base + path)
        assert response.status_code == 200, path
        blobs[f"page {path or 'project'}"] = response.content
    response = coder.get(base + f"documents/{document.pk}/?coders=all")
    blobs["page document"] = response.content
    return blobs


def test_no_real_name_leaves_after_apply_to_all(world, second_researcher, tmp_path):
    manager = signed_in(world.researcher)
    upload = io.BytesIO(export_qdpx(imported_project()))
    upload.name = "triades.qdpx"
    response = manager.post("/qualitative/import/", {"file": upload, "name": ""})
    assert response.status_code == 302, response.content[:2000]
    project = m.Project.objects.get(data_manager=world.researcher)
    m.Membership.objects.create(project=project, user=second_researcher)
    assert project.participants.count() == 3 and project.documents.count() == 2

    # Control: the real names are there and the search finds them in every kind of output.
    before = leaks(everything_that_leaves(world, project, second_researcher))
    for where in ("export.qdpx!project.qde", "segments.csv", "api/{}/documents?text=1"):
        assert where.format(project.pk) in before, sorted(before)
    assert any(key.startswith("segments.xlsx!") for key in before)

    table = "\n".join(f"{real} = {pseudonym}" for real, pseudonym in TABLE.items())
    response = manager.post(f"/qualitative/{project.pk}/pseudonyms/", {"table": table})
    assert response.status_code == 302
    response = manager.post(f"/qualitative/{project.pk}/pseudonyms/apply/")
    assert response.status_code == 302

    blobs = everything_that_leaves(world, project, second_researcher)
    assert leaks(blobs) == {}
    # The pseudonyms took the real names' places (the data are still there).
    export = blobs["export.qdpx"]
    with zipfile.ZipFile(io.BytesIO(export)) as archive:
        qde = archive.read("project.qde").decode()
    for pseudonym in PSEUDONYMS:
        assert pseudonym in qde
    assert 'name="Lotte Jansen"' in qde and 'name="Noor_tante"' in qde
    assert re.search(r'name="Kees2"', qde)
    names = set(project.participants.values_list("name", flat=True))
    assert names == {"Lotte Jansen", "Noor_tante", "Kees2"}
    # Codings still cover the same (now pseudonymised) passages.
    texts = sorted(
        s.text for s in m.Segment.objects.filter(document__project=project).select_related()
    )
    assert "LOTTE JANSEN woont" in texts and "Noor hielp mij écht" in texts

"""The Django models and their REFI mapping: round trips, all-or-nothing import, policy scope."""

from dataclasses import replace

import pytest

from tests.qualitative.refi_fixtures import (
    EMOTIONAL,
    PRACTICAL,
    TRIAD_SET,
    TRUST,
    YOUTH_TEXT,
    jim_project,
)
from yim import policy
from yim.qualitative import models as m
from yim.qualitative.convert import (
    ConversionError,
    import_refi_codebook,
    import_refi_project,
    project_to_refi,
)
from yim.qualitative.refi.export import export_qdc, export_qdpx, validate_qde
from yim.qualitative.refi.importer import import_qdc, import_qdpx
from yim.qualitative.refi.model import Code, Codebook

pytestmark = pytest.mark.django_db


def new_project(name: str, owner=None) -> m.Project:
    project = m.Project.objects.create(name=name)
    if owner is not None:
        m.Membership.objects.create(project=project, user=owner, role=m.MemberRole.OWNER)
    return project


def counts(project: m.Project) -> dict[str, int]:
    return {
        "codes": project.codes.count(),
        "documents": project.documents.count(),
        "segments": m.Segment.objects.filter(document__project=project).count(),
        "codings": m.Coding.objects.filter(document__project=project).count(),
        "memos": project.memos.count(),
        "links": m.MemoLink.objects.filter(memo__project=project).count(),
        "participants": project.participants.count(),
        "attributes": m.AttributeValue.objects.filter(variable__project=project).count(),
        "variables": project.variables.count(),
        "sets": project.sets.count(),
        "coders": project.coders.count(),
    }


def test_a_refi_project_survives_database_export_import_export_unchanged():
    original = jim_project()
    first = new_project("A")
    import_refi_project(original, first)
    exported = project_to_refi(first)
    # Everything the fixture holds is in the database: same objects, same references.
    assert replace(exported, name=original.name) == replace(
        _sorted_like(original, exported),
        creating_user=None,
        creation_datetime=None,
        modifying_user=None,
        modified_datetime=None,
    )
    archive = export_qdpx(exported)
    second = new_project("B")
    import_refi_project(import_qdpx(archive).project, second)
    again = project_to_refi(second)
    assert replace(again, name="A") == exported
    assert export_qdpx(replace(again, name="A")) == archive


def _sorted_like(original, exported):
    """The fixture with its collections in the database's deterministic order."""
    order = {o.guid: i for i, o in enumerate(exported.sources)}
    sources = tuple(sorted(original.sources, key=lambda s: order[s.guid]))
    names = {v.guid: v.name for v in original.variables}

    def by_name(values):
        return tuple(sorted(values, key=lambda v: names[v.variable_guid]))

    return replace(
        original,
        origin="yim",
        cases=tuple(replace(c, variable_values=by_name(c.variable_values)) for c in original.cases),
        sources=tuple(
            replace(
                s,
                variable_values=by_name(s.variable_values),
                codings=tuple(sorted(s.codings, key=lambda c: c.guid)),
                selections=tuple(
                    replace(sel, codings=tuple(sorted(sel.codings, key=lambda c: c.guid)))
                    for sel in sorted(s.selections, key=lambda x: (x.start, x.end, x.guid))
                ),
            )
            for s in sources
        ),
        users=tuple(sorted(original.users, key=lambda u: (u.name or "", u.guid))),
        codes=exported.codes,  # order of siblings: by name (checked by equality of the sets)
        variables=tuple(sorted(original.variables, key=lambda v: (v.name, v.guid))),
        notes=tuple(sorted(original.notes, key=lambda n: (n.name or "", n.guid))),
        sets=tuple(sorted(original.sets, key=lambda s: (s.name, s.guid))),
    )


def test_the_code_tree_and_case_attributes_come_back_from_the_database():
    project = new_project("A")
    import_refi_project(jim_project(), project)
    exported = project_to_refi(project)
    assert {c.guid for c, _p in exported.iter_codes()} == {
        c.guid for c, _p in jim_project().iter_codes()
    }
    (case,) = exported.cases
    (original,) = jim_project().cases
    assert set(case.variable_values) == set(original.variable_values)
    assert replace(case, variable_values=()) == replace(original, variable_values=())
    participant = project.participants.get()
    assert participant.code_set is not None and participant.code_set.guid == TRIAD_SET


def test_every_export_from_the_database_validates_against_the_official_xsd():
    project = new_project("A")
    import_refi_project(jim_project(), project)
    from yim.qualitative.refi.export import export_qde

    validate_qde(export_qde(project_to_refi(project)))
    export_qdc(project_to_refi(project))  # validates against Codebook.xsd or raises


def test_importing_into_a_project_that_holds_the_same_guids_changes_nothing():
    project = new_project("A")
    import_refi_project(jim_project(), project)
    before = counts(project)
    with pytest.raises(ConversionError, match="already in this project"):
        import_refi_project(jim_project(), project)
    assert counts(project) == before


def test_a_failure_halfway_through_the_import_rolls_everything_back():
    project = new_project("A")
    m.Variable.objects.create(project=project, name="role", type="Integer")
    before = counts(project)
    with pytest.raises(ConversionError, match="variable 'role' is Text"):
        import_refi_project(jim_project(), project)
    assert counts(project) == before


def test_a_codebook_import_adds_new_codes_and_keeps_existing_ones_untouched():
    project = new_project("A")
    import_refi_project(jim_project(), project)
    m.Code.objects.filter(project=project, guid=TRUST).update(name="Vertrouwen (eigen)")
    book = Codebook(
        (Code(TRUST, "Vertrouwen"), Code("11111111-2222-4333-8444-555555555555", "Nieuw"))
    )
    added, skipped = import_refi_codebook(import_qdc(export_qdc(book)).codebook, project)
    assert (added, skipped) == (1, ["Vertrouwen (eigen)"])
    assert project.codes.get(guid=TRUST).name == "Vertrouwen (eigen)"


def test_the_same_qdpx_can_be_imported_into_two_projects():
    archive = export_qdpx(jim_project())
    for name in ("A", "B"):
        import_refi_project(import_qdpx(archive).project, new_project(name))
    assert m.Code.objects.filter(guid=EMOTIONAL).count() == 2


def test_speaker_turns_are_detected_for_imported_documents():
    project = new_project("A")
    import_refi_project(jim_project(), project)
    document = project.documents.get(text=YOUTH_TEXT)
    assert [t.speaker for t in document.turns.all()] == ["Moeder", "Jongere"]


def test_a_stale_code_version_changes_nothing():
    project = new_project("A")
    code = m.Code.objects.create(project=project, name="Steun")
    other_view = m.Code.objects.get(pk=code.pk)
    assert code.bump(1, name="Steun van de JIM")
    assert not other_view.bump(1, name="Overschreven")
    assert m.Code.objects.get(pk=code.pk).name == "Steun van de JIM"
    assert m.Code.objects.get(pk=code.pk).version == 2


def test_only_member_researchers_see_a_project_and_the_owner_role_is_known(world):
    project = new_project("A", owner=world.researcher)
    coder = _second_researcher(world)
    m.Membership.objects.create(project=project, user=coder, role=m.MemberRole.CODER)
    assert list(policy.qualitative_projects(world.researcher)) == [project]
    owner_view = policy.get_project_or_404(world.researcher, project.pk)
    coder_view = policy.get_project_or_404(coder, project.pk)
    assert policy.can_manage_qualitative_project(world.researcher, owner_view)
    assert not policy.can_manage_qualitative_project(coder, coder_view)
    for persona in ("professional", "team_lead", "admin", "youth_user", "jim", "parent"):
        assert not policy.qualitative_projects(world.persona(persona)).exists()
    outsider = _second_researcher(world, "outsider")
    from django.http import Http404

    with pytest.raises(Http404):
        policy.get_project_or_404(outsider, project.pk)


def test_a_researcher_who_is_made_member_but_changes_role_loses_access(world):
    project = new_project("A", owner=world.researcher)
    world.researcher.role = "professional"
    world.researcher.save()
    assert not policy.qualitative_projects(world.researcher).exists()
    assert project.memberships.count() == 1


def _second_researcher(world, name="coder2"):
    from tests.conftest import make_user

    return make_user(name, "researcher", world.org)


def test_merging_keeps_every_segment_and_does_not_duplicate_codings():
    project = new_project("A")
    import_refi_project(jim_project(), project)
    emotional = project.codes.get(guid=EMOTIONAL)
    practical = project.codes.get(guid=PRACTICAL)
    segments_before = set(
        m.Segment.objects.filter(codings__code__in=[emotional, practical]).values_list(
            "pk", flat=True
        )
    )
    practical.merge_into(practical.version, emotional, emotional.version)
    assert not m.Code.objects.filter(pk=practical.pk).exists()
    after = set(m.Segment.objects.filter(codings__code=emotional).values_list("pk", flat=True))
    assert after == segments_before

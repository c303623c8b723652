"""Analysis pages: the numbers they show equal the pure functions on the same data."""

import pytest

from tests.conftest import signed_in
from yim.qualitative import models as m
from yim.qualitative.agreement import agreement_report

pytestmark = pytest.mark.django_db


def segment(document, coder, fragment, *code_list, occurrence=0):
    start = -1
    for _ in range(occurrence + 1):
        start = document.text.index(fragment, start + 1)
    seg = m.Segment.objects.create(
        document=document, coder=coder, start=start, end=start + len(fragment)
    )
    for code in code_list:
        m.Coding.objects.create(document=document, segment=seg, code=code, coder=coder)
    return seg


@pytest.fixture
def two_coders(world, second_researcher, project, document, codes):
    m.Membership.objects.create(project=project, user=second_researcher)
    anna = project.coder_for(world.researcher)
    bram = project.coder_for(second_researcher)
    # Turn 1 (question): nobody codes it — an uncoded unit that still counts.
    segment(document, anna, "de JIM hielp", codes["emotional"])
    segment(document, bram, "maar de JIM", codes["emotional"], codes["practical"])
    segment(document, anna, "Thuis is het rustiger", codes["home"])
    segment(document, bram, "En thuis?", codes["home"])
    return anna, bram


def test_the_agreement_page_shows_exactly_what_agreement_report_computes(
    client_for,
    project,
    document,
    two_coders,
):
    anna, bram = two_coders
    response = client_for("researcher").get(f"/qualitative/{project.pk}/agreement/")
    report = response.context["report"]
    turns = list(document.turns.all())
    assert len(turns) == 4
    # Expected, built by hand from the transcript: which codes each coder put in each turn.
    units = [f"{document.pk}:{t.index}" for t in turns]
    expected = agreement_report(
        {
            str(anna.pk): {
                units[0]: frozenset(),
                units[1]: frozenset({"Steun/Emotionele steun"}),
                units[2]: frozenset(),
                units[3]: frozenset({"Thuis"}),
            },
            str(bram.pk): {
                units[0]: frozenset(),
                units[1]: frozenset({"Steun/Emotionele steun", "Steun/Praktische steun"}),
                units[2]: frozenset({"Thuis"}),
                units[3]: frozenset(),
            },
        },
        units=units,
    )
    assert report == expected
    assert report.n_units == 4
    assert [c.code for c in report.per_code] == [
        "Steun/Emotionele steun",
        "Steun/Praktische steun",
        "Thuis",
    ]
    emotional = report.per_code[0]
    assert emotional.percent_agreement == 1.0
    assert report.per_code[2].percent_agreement == 0.5
    html = response.content.decode()
    assert f"{report.overall_percent_agreement:.3f}" in html


def test_a_coder_who_never_opened_a_transcript_counts_as_missing_not_as_disagreeing(
    client_for,
    project,
    document,
    two_coders,
):
    anna, _bram = two_coders
    other = m.Document.objects.create(
        project=project, name="tweede", text="Jongere: ja.\nJIM: nee.\n"
    )
    other.rebuild_turns()
    segment(other, anna, "ja", m.Code.objects.get(name="Thuis"))
    response = client_for("researcher").get(f"/qualitative/{project.pk}/agreement/")
    report = response.context["report"]
    assert report.n_units == 6
    thuis = report.per_code[2]
    # Bram's two turns in "tweede" are missing: % agreement and κ use only complete units.
    assert thuis.percent_agreement == 0.5
    assert thuis.krippendorff_alpha is not None


def test_agreement_over_a_chosen_document_and_coders(client_for, project, document, two_coders):
    anna, _bram = two_coders
    response = client_for("researcher").get(
        f"/qualitative/{project.pk}/agreement/?document={document.pk}&coder={anna.pk}"
    )
    assert response.context["report"] is None  # one coder: nothing to compare
    assert (
        b"at least two coders"
        in client_for("researcher")
        .get(f"/qualitative/{project.pk}/agreement/?coder={anna.pk}", HTTP_ACCEPT_LANGUAGE="en")
        .content
    )


def test_coders_side_by_side_show_each_coders_codes_per_turn(
    client_for,
    project,
    document,
    two_coders,
):
    response = client_for("researcher").get(
        f"/qualitative/{project.pk}/documents/{document.pk}/coders/"
    )
    rows = response.context["rows"]
    assert [r["cells"] for r in rows] == [
        [[], []],
        [["Steun/Emotionele steun"], ["Steun/Emotionele steun", "Steun/Praktische steun"]],
        [[], ["Thuis"]],
        [["Thuis"], []],
    ]
    assert [r["differs"] for r in rows] == [False, True, True, True]


def test_frequencies_by_role_and_by_triad(client_for, project, document, codes, two_coders):
    triad = m.CodeSet.objects.create(project=project, name="Triade A")
    youth = m.Participant.objects.create(project=project, name="Jongere A1", code_set=triad)
    youth.documents.add(document)
    role = project.variables.get(name="role")
    m.AttributeValue.objects.create(variable=role, participant=youth, value="youth")
    response = client_for("researcher").get(f"/qualitative/{project.pk}/frequencies/")
    by_role = response.context["by_variable"]
    assert by_role.columns == ("youth",)
    assert dict(by_role.rows) == {
        "Steun/Emotionele steun": (2,),
        "Steun/Praktische steun": (1,),
        "Thuis": (2,),
    }
    by_set = response.context["by_set"]
    assert by_set.columns == ("Triade A",)
    assert dict(by_set.rows)["Thuis"] == (2,)


def test_the_cooccurrence_matrix_counts_overlapping_codings(
    client_for,
    project,
    document,
    codes,
    two_coders,
):
    anna, _bram = two_coders
    response = client_for("researcher").get(f"/qualitative/{project.pk}/cooccurrence/")
    table = response.context["table"]
    matrix = dict(table.rows)
    index = {name: i for i, name in enumerate(table.columns)}
    emotional, practical = "Steun/Emotionele steun", "Steun/Praktische steun"
    # Bram's segment has both codes (1 pair); Anna's "de JIM hielp" overlaps it (1 more pair).
    assert matrix[emotional][index[practical]] == 2
    assert matrix[practical][index[emotional]] == 2
    assert matrix[emotional][index[emotional]] == 2  # the diagonal: number of codings
    assert matrix["Thuis"][index[emotional]] == 0
    only_anna = (
        client_for("researcher")
        .get(f"/qualitative/{project.pk}/cooccurrence/?coder={anna.pk}")
        .context["table"]
    )
    assert practical not in only_anna.columns


def test_analysis_pages_of_another_project_are_not_found(
    second_researcher,
    project,
    document,
    two_coders,
):
    other = m.Project.objects.create(name="ander")
    m.Membership.objects.create(project=other, user=second_researcher, role="owner")
    client = signed_in(second_researcher)
    assert client.get(f"/qualitative/{other.pk}/documents/{document.pk}/coders/").status_code == 404

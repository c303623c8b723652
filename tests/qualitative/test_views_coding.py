"""Coding through the web: UTF-16 offsets from the browser become code points; codebook ops."""

import json

import pytest

from tests.conftest import signed_in
from tests.qualitative.web_fixtures import TRANSCRIPT, utf16
from yim.qualitative import models as m

pytestmark = pytest.mark.django_db


def code(client, project, document, start, end, code_ids):
    return client.post(
        f"/qualitative/{project.pk}/documents/{document.pk}/codings/",
        json.dumps({"start": start, "end": end, "codes": code_ids}),
        content_type="application/json",
    )


@pytest.mark.parametrize(
    "fragment", ["de JIM hielp", "één keer lastig 😟", "écht waar. 👍🏽", "😟", "👍🏽"]
)
def test_a_browser_selection_after_emoji_and_accents_lands_on_the_right_code_points(
    client_for,
    project,
    document,
    codes,
    fragment,
):
    start, end = utf16(TRANSCRIPT, fragment)
    response = code(client_for("researcher"), project, document, start, end, [codes["home"].pk])
    assert response.status_code == 201, response.content
    segment = m.Segment.objects.get(pk=response.json()["segment"])
    assert TRANSCRIPT[segment.start : segment.end] == fragment
    assert segment.start == TRANSCRIPT.index(fragment)
    assert response.json()["text"] == fragment


def test_the_worked_example_of_the_notes_starts_at_code_point_45_and_utf16_unit_46(
    client_for,
    project,
    codes,
):
    text = 'Moeder: "Ik vond het één keer lastig 😟, maar de JIM hielp."'
    document = m.Document.objects.create(project=project, name="voorbeeld", text=text)
    response = code(client_for("researcher"), project, document, 46, 58, [codes["home"].pk])
    assert response.status_code == 201
    assert (response.json()["start"], response.json()["end"]) == (45, 57)
    assert response.json()["text"] == "de JIM hielp"


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [
        (None, 4, 400),
        (10, 4, 400),  # reversed
        (0, 10_000, 400),  # beyond the end
        (5, 5, 400),  # empty
        ("3", 8, 400),
        (True, 8, 400),
    ],
)
def test_bad_selections_are_refused_with_a_message_and_nothing_is_saved(
    client_for,
    project,
    document,
    codes,
    start,
    end,
    status,
):
    response = code(client_for("researcher"), project, document, start, end, [codes["home"].pk])
    assert response.status_code == status
    assert response.json()["error"]
    assert not m.Segment.objects.exists()


def test_a_selection_that_splits_an_emoji_in_half_is_refused(
    client_for,
    project,
    document,
    codes,
):
    start, _end = utf16(TRANSCRIPT, "😟")
    response = code(
        client_for("researcher"), project, document, start + 1, start + 4, [codes["home"].pk]
    )
    assert response.status_code == 400
    assert "inside the character" in response.json()["error"]


def test_codes_of_another_project_and_categories_cannot_be_applied(
    client_for,
    project,
    document,
    codes,
):
    foreign = m.Code.objects.create(project=m.Project.objects.create(name="x"), name="vreemd")
    client = client_for("researcher")
    assert code(client, project, document, 0, 5, [foreign.pk]).status_code == 400
    assert code(client, project, document, 0, 5, [codes["theme"].pk]).status_code == 400
    assert code(client, project, document, 0, 5, []).status_code == 400
    assert not m.Coding.objects.exists()


def test_the_coding_endpoint_wants_json(client_for, project, document, codes):
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/documents/{document.pk}/codings/",
        {"start": 0, "end": 5, "codes": codes["home"].pk},
    )
    assert response.status_code == 415


def test_the_coding_endpoint_needs_the_csrf_token(world, project, document, codes):
    client = signed_in(world.researcher)
    client.handler.enforce_csrf_checks = True
    response = code(client, project, document, 0, 5, [codes["home"].pk])
    assert response.status_code == 403
    assert not m.Coding.objects.exists()


def test_several_codes_at_once_and_the_same_passage_again_make_one_segment(
    client_for,
    project,
    document,
    codes,
):
    client = client_for("researcher")
    start, end = utf16(TRANSCRIPT, "de JIM hielp")
    code(client, project, document, start, end, [codes["emotional"].pk, codes["practical"].pk])
    code(client, project, document, start, end, [codes["emotional"].pk])
    segment = m.Segment.objects.get()
    assert sorted(c.code.name for c in segment.codings.all()) == [
        "Emotionele steun",
        "Praktische steun",
    ]


def test_two_coders_code_the_same_passage_independently(
    client_for,
    second_researcher,
    project,
    document,
    codes,
):
    m.Membership.objects.create(project=project, user=second_researcher)
    start, end = utf16(TRANSCRIPT, "de JIM hielp")
    code(client_for("researcher"), project, document, start, end, [codes["emotional"].pk])
    code(signed_in(second_researcher), project, document, start, end, [codes["practical"].pk])
    assert m.Segment.objects.count() == 2
    assert {s.coder.user for s in m.Segment.objects.all()} == {
        project.memberships.get(role="owner").user,
        second_researcher,
    }
    # Each coder sees their own codings unless they ask for everyone's.
    own = signed_in(second_researcher).get(f"/qualitative/{project.pk}/documents/{document.pk}/")
    assert "Praktische steun" in _margin(own) and "Emotionele steun" not in _margin(own)
    everyone = signed_in(second_researcher).get(
        f"/qualitative/{project.pk}/documents/{document.pk}/?coders=all"
    )
    assert "Emotionele steun" in _margin(everyone)


def _margin(response) -> str:
    html = response.content.decode()
    return "".join(part.split("</aside>")[0] for part in html.split('class="coding-margin"')[1:])


def test_a_coder_cannot_remove_or_adjust_someone_elses_coding(
    client_for,
    second_researcher,
    project,
    document,
    codes,
):
    m.Membership.objects.create(project=project, user=second_researcher)
    start, end = utf16(TRANSCRIPT, "de JIM hielp")
    code(client_for("researcher"), project, document, start, end, [codes["emotional"].pk])
    coding = m.Coding.objects.get()
    other = signed_in(second_researcher)
    assert other.post(f"/qualitative/{project.pk}/codings/{coding.pk}/remove/").status_code == 404
    response = other.post(
        f"/qualitative/{project.pk}/segments/{coding.segment_id}/adjust/",
        json.dumps({"start": 0, "end": 3}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert m.Segment.objects.get().start == TRANSCRIPT.index("de JIM hielp")


def test_a_coder_adjusts_and_removes_their_own_coding(
    client_for,
    project,
    document,
    codes,
):
    client = client_for("researcher")
    start, end = utf16(TRANSCRIPT, "de JIM hielp")
    code(client, project, document, start, end, [codes["emotional"].pk])
    segment = m.Segment.objects.get()
    new_start, new_end = utf16(TRANSCRIPT, "lastig 😟, maar de JIM hielp")
    response = client.post(
        f"/qualitative/{project.pk}/segments/{segment.pk}/adjust/",
        json.dumps({"start": new_start, "end": new_end}),
        content_type="application/json",
    )
    assert response.status_code == 200
    segment.refresh_from_db()
    assert segment.text == "lastig 😟, maar de JIM hielp"
    coding = segment.codings.get()
    response = client.post(f"/qualitative/{project.pk}/codings/{coding.pk}/remove/")
    assert response.status_code == 302
    assert not m.Segment.objects.exists()  # its last coding gone, the segment goes too


def test_the_document_page_shows_every_character_once_so_browser_offsets_add_up(
    client_for,
    project,
    document,
    codes,
):
    client = client_for("researcher")
    for fragment in ("de JIM hielp", "één keer lastig 😟, maar", "écht waar. 👍🏽"):
        start, end = utf16(TRANSCRIPT, fragment)
        code(client, project, document, start, end, [codes["home"].pk])
    response = client.get(f"/qualitative/{project.pk}/documents/{document.pk}/")
    blocks = response.context["blocks"]
    assert "".join(p.text for b in blocks for p in b.pieces) == TRANSCRIPT
    for block in blocks:
        before = TRANSCRIPT[: block.start]
        assert block.utf16_start == len(before.encode("utf-16-le")) // 2
    highlighted = "".join(p.text for b in blocks for p in b.pieces if p.segment_ids)
    assert "de JIM hielp" in highlighted and "Interviewer" not in highlighted


def test_carriage_returns_reach_the_browser_as_character_references(
    client_for,
    project,
    codes,
):
    document = m.Document.objects.create(
        project=project, name="crlf", text="Vader: ja\r\nJIM: nee\r\n"
    )
    document.rebuild_turns()
    response = client_for("researcher").get(f"/qualitative/{project.pk}/documents/{document.pk}/")
    html = response.content.decode()
    assert "ja&#13;\nJIM" in html or "ja&#13;\n" in html


def test_the_document_page_query_count_does_not_grow_with_segments(
    client_for,
    project,
    document,
    codes,
    django_assert_max_num_queries,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("researcher")
    url = f"/qualitative/{project.pk}/documents/{document.pk}/"

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(path).status_code == 200
        return len(context)

    code(client, project, document, *utf16(TRANSCRIPT, "Hoe"), [codes["home"].pk])
    few = queries(url), queries(url + "?coders=all")
    for fragment in ("JIM", "één", "lastig", "thuis", "rustiger", "écht", "👍🏽"):
        start, end = utf16(TRANSCRIPT, fragment)
        code(client, project, document, start, end, [codes["home"].pk, codes["emotional"].pk])
    assert (queries(url), queries(url + "?coders=all")) == few
    with django_assert_max_num_queries(20):
        client.get(url)


# ---------------------------------------------------------------------------------------------
# Codebook


def test_creating_codes_in_a_tree(client_for, project, codes):
    client = client_for("researcher")
    response = client.post(
        f"/qualitative/{project.pk}/codebook/",
        {"name": "Conflict", "parent": codes["theme"].pk, "color": "#00aa00", "description": ""},
    )
    assert response.status_code == 302
    created = project.codes.get(name="Conflict")
    assert created.parent == codes["theme"] and created.color == "#00aa00"


def test_a_duplicate_name_at_the_same_place_or_a_bad_colour_is_an_error_on_the_field(
    client_for,
    project,
    codes,
):
    client = client_for("researcher")
    response = client.post(
        f"/qualitative/{project.pk}/codebook/",
        {"name": "Thuis", "color": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    response = client.post(
        f"/qualitative/{project.pk}/codebook/", {"name": "Nieuw", "color": "red"}
    )
    assert "color" in response.context["form"].errors
    assert project.codes.count() == 4


def test_two_coders_renaming_the_same_code_the_second_gets_a_clear_message(
    client_for,
    second_researcher,
    project,
    codes,
):
    m.Membership.objects.create(project=project, user=second_researcher)
    home = codes["home"]
    url = f"/qualitative/{project.pk}/codes/{home.pk}/edit/"
    first = client_for("researcher").post(
        url, {f"edit{home.pk}-version": 1, f"edit{home.pk}-name": "Thuissituatie"}
    )
    assert first.status_code == 302
    second = signed_in(second_researcher).post(
        url,
        {f"edit{home.pk}-version": 1, f"edit{home.pk}-name": "Gezin"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    home.refresh_from_db()
    assert home.name == "Thuissituatie" and home.version == 2
    assert any("changed by someone else" in str(msg) for msg in second.context["messages"])


def test_two_coders_adding_different_codes_at_the_same_time_both_keep_them(
    client_for,
    second_researcher,
    project,
):
    m.Membership.objects.create(project=project, user=second_researcher)
    client_for("researcher").post(f"/qualitative/{project.pk}/codebook/", {"name": "A"})
    signed_in(second_researcher).post(f"/qualitative/{project.pk}/codebook/", {"name": "B"})
    assert set(project.codes.values_list("name", flat=True)) == {"A", "B"}


def test_moving_a_code_under_its_own_child_is_refused(client_for, project, codes):
    theme = codes["theme"]
    response = client_for("researcher").post(
        f"/qualitative/{project.pk}/codes/{theme.pk}/move/",
        {"version": 1, "target": codes["emotional"].pk},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    theme.refresh_from_db()
    assert theme.parent is None
    assert any("cannot be moved under itself" in str(x) for x in response.context["messages"])


def test_moving_with_a_stale_version_is_refused(client_for, project, codes):
    home = codes["home"]
    home.edit(1, name="Thuis (nieuw)")
    client_for("researcher").post(
        f"/qualitative/{project.pk}/codes/{home.pk}/move/",
        {"version": 1, "target": codes["theme"].pk},
    )
    home.refresh_from_db()
    assert home.parent is None


def test_merging_through_the_page_keeps_every_coded_segment(
    client_for,
    project,
    document,
    codes,
):
    client = client_for("researcher")
    both = utf16(TRANSCRIPT, "de JIM hielp")
    only_practical = utf16(TRANSCRIPT, "rustiger")
    code(client, project, document, *both, [codes["emotional"].pk, codes["practical"].pk])
    code(client, project, document, *only_practical, [codes["practical"].pk])
    memo = m.Memo.objects.create(project=project, text="over praktische steun")
    m.MemoLink.objects.create(memo=memo, code=codes["practical"])
    practical = codes["practical"]
    response = client.post(
        f"/qualitative/{project.pk}/codes/{practical.pk}/merge/",
        {"version": 1, "target": codes["emotional"].pk},
    )
    assert response.status_code == 302
    emotional = m.Code.objects.get(pk=codes["emotional"].pk)
    texts = sorted(c.segment.text for c in emotional.codings.all())
    assert texts == ["de JIM hielp", "rustiger"]  # no duplicate coding on the shared segment
    assert m.Segment.objects.count() == 2
    assert m.MemoLink.objects.get(memo=memo).code == emotional
    assert emotional.version == 2


def test_a_stale_merge_changes_nothing(client_for, project, document, codes):
    client = client_for("researcher")
    code(client, project, document, *utf16(TRANSCRIPT, "rustiger"), [codes["practical"].pk])
    practical = codes["practical"]
    practical.edit(1, name="Praktisch")
    client.post(
        f"/qualitative/{project.pk}/codes/{practical.pk}/merge/",
        {"version": 1, "target": codes["emotional"].pk},
    )
    assert m.Code.objects.filter(pk=practical.pk).exists()
    assert m.Coding.objects.get().code_id == practical.pk


def test_the_codebook_page_query_count_does_not_grow_with_codes(
    client_for,
    project,
    django_assert_max_num_queries,
):
    for i in range(30):
        m.Code.objects.create(project=project, name=f"code {i}")
    client = client_for("researcher")
    with django_assert_max_num_queries(15):
        assert client.get(f"/qualitative/{project.pk}/codebook/").status_code == 200


def test_memos_on_project_document_code_and_segment(
    client_for,
    project,
    document,
    codes,
):
    client = client_for("researcher")
    response = code(client, project, document, *utf16(TRANSCRIPT, "JIM"), [codes["home"].pk])
    segment_id = response.json()["segment"]
    for kind, target in [
        ("project", ""),
        ("document", document.pk),
        ("code", codes["home"].pk),
        ("segment", segment_id),
    ]:
        response = client.post(
            f"/qualitative/{project.pk}/memos/",
            {"text": f"memo over {kind}", "target_kind": kind, "target_id": target},
        )
        assert response.status_code == 302, kind
    links = {link.memo.text: link.target for link in m.MemoLink.objects.select_related("memo")}
    assert links["memo over project"] is None
    assert links["memo over document"] == document
    assert links["memo over segment"].pk == segment_id
    foreign = m.Document.objects.create(
        project=m.Project.objects.create(name="x"), name="x", text="x"
    )
    response = client.post(
        f"/qualitative/{project.pk}/memos/",
        {"text": "inbraak", "target_kind": "document", "target_id": foreign.pk},
    )
    assert response.status_code == 404

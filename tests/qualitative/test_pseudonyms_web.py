"""Applying the saved pseudonym table to transcripts already in the project (owner only)."""

import pytest
from django.contrib.messages import get_messages

from tests.conftest import signed_in
from yim.audit.models import AuditEvent
from yim.qualitative import models as m
from yim.qualitative.pseudonyms import PseudonymTable

pytestmark = pytest.mark.django_db

TABLE = {"Anna de Vries": "Lotte", "Anna": "Sara", "Bram": "Daan"}

FIRST = (
    "Interviewer: Hoe gaat het met Anna?\n"
    "Anna de Vries: Goed 😟, Bram hielp mij écht.\n"
    "Interviewer: En thuis?\n"
    "Anna de Vries: Thuis is het rustiger. 👍🏽\n"
)
SECOND = "Interviewer: Kent Bram je al lang?\nJongere: ANNA en bram zijn vrienden.\n"


def url(project) -> str:
    return f"/qualitative/{project.pk}/pseudonyms/apply/"


def apply(client, project):
    return client.post(url(project), HTTP_ACCEPT_LANGUAGE="en")


def texts_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def make_table(project, pairs=TABLE) -> None:
    for real, pseudonym in pairs.items():
        m.PseudonymEntry.objects.create(project=project, real_name=real, pseudonym=pseudonym)


def make_document(project, name, text):
    document = m.Document.objects.create(project=project, name=name, text=text)
    document.rebuild_turns()
    return document


def code(document, fragment, code_obj, *, offset=0):
    start = document.text.index(fragment) + offset
    segment = m.Segment.objects.create(document=document, start=start, end=start + len(fragment))
    m.Coding.objects.create(document=document, segment=segment, code=code_obj)
    return segment


def snapshot(project):
    """Everything the rewrite may touch, to compare before and after."""
    documents = m.Document.objects.filter(project=project).order_by("pk")
    return (
        [(d.pk, d.text) for d in documents],
        list(
            m.Segment.objects.filter(document__project=project)
            .order_by("pk")
            .values_list("pk", "start", "end")
        ),
        list(
            m.Turn.objects.filter(document__project=project)
            .order_by("pk")
            .values_list("pk", "speaker", "start", "end")
        ),
        list(m.Memo.objects.filter(project=project).order_by("pk").values_list("pk", "text")),
    )


def applied_events():
    return AuditEvent.objects.filter(detail__startswith="pseudonyms applied")


@pytest.fixture
def coded(project, codes):
    """Two transcripts with names, coded segments after, around and inside a name, a memo."""
    make_table(project)
    first = make_document(project, "Interview jongere A1", FIRST)
    second = make_document(project, "Interview JIM A1", SECOND)
    segments = {
        "after": code(first, "hielp mij écht", codes["home"]),
        "around": code(first, "Bram hielp", codes["emotional"]),
        "later": code(first, "Thuis is het rustiger. 👍🏽", codes["home"]),
        # starts inside "Anna de Vries": snaps outward to the whole pseudonym
        "inside": code(first, "de Vries: Goed", codes["practical"]),
        "second": code(second, "en bram zijn vrienden", codes["home"]),
    }
    quotes = {key: segment.text for key, segment in segments.items()}
    memo = m.Memo.objects.create(project=project, name="Twijfel", text="Anna twijfelt over Bram.")
    m.MemoLink.objects.create(memo=memo, document=first)
    return first, second, segments, quotes, memo


def test_applying_the_table_replaces_the_names_in_every_transcript_and_memo(
    client_for, project, coded
):
    first, second, _segments, _quotes, memo = coded
    response = apply(client_for("researcher"), project)
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    memo.refresh_from_db()
    assert first.text == (
        "Interviewer: Hoe gaat het met Sara?\n"
        "Lotte: Goed 😟, Daan hielp mij écht.\n"
        "Interviewer: En thuis?\n"
        "Lotte: Thuis is het rustiger. 👍🏽\n"
    )
    assert (
        second.text == "Interviewer: Kent Daan je al lang?\nJongere: SARA en daan zijn vrienden.\n"
    )
    assert memo.text == "Sara twijfelt over Daan."
    table = PseudonymTable(TABLE)
    for text in (first.text, second.text, memo.text):
        assert table.leftovers(text) == []
    assert any("9 names replaced in 2 transcripts and 1 memos" in t for t in texts_of(response))


def test_coded_segments_still_cover_the_same_words_after_the_names_are_replaced(
    client_for, project, coded
):
    _first, _second, segments, quotes, _memo = coded
    apply(client_for("researcher"), project)
    after = {key: m.Segment.objects.get(pk=s.pk).text for key, s in segments.items()}
    assert after["after"] == quotes["after"] == "hielp mij écht"
    assert after["later"] == quotes["later"] == "Thuis is het rustiger. 👍🏽"
    assert after["around"] == "Daan hielp"
    assert after["inside"] == "Lotte: Goed"
    assert after["second"] == "en daan zijn vrienden"
    # every coding still points at its segment
    assert m.Coding.objects.filter(segment__in=[s.pk for s in segments.values()]).count() == 5


def test_speaker_turns_are_detected_again_on_the_new_text(client_for, project, coded):
    first, *_rest = coded
    assert list(first.turns.values_list("speaker", flat=True)) == [
        "Interviewer",
        "Anna de Vries",
        "Interviewer",
        "Anna de Vries",
    ]
    apply(client_for("researcher"), project)
    first.refresh_from_db()
    turns = list(first.turns.order_by("index"))
    assert [t.speaker for t in turns] == ["Interviewer", "Lotte", "Interviewer", "Lotte"]
    assert first.text[turns[3].text_start : turns[3].end] == "Thuis is het rustiger. 👍🏽"


def test_the_rewrite_is_audited_per_transcript_and_for_the_project(client_for, project, coded):
    first, second, *_rest = coded
    apply(client_for("researcher"), project)
    events = applied_events()
    assert {(e.object_type, e.object_id) for e in events} == {
        ("document", str(first.pk)),
        ("document", str(second.pk)),
        ("project", str(project.pk)),
    }
    assert all(e.action == "update" for e in events)


def test_nothing_is_written_when_no_name_of_the_table_occurs(client_for, project, coded):
    client = client_for("researcher")
    apply(client, project)
    before = snapshot(project)
    n_events = applied_events().count()
    response = apply(client, project)  # second time: the names are gone
    assert response.status_code == 302
    assert snapshot(project) == before
    assert applied_events().count() == n_events
    assert any("nothing was changed" in t for t in texts_of(response))


def test_a_coder_who_is_not_the_owner_cannot_apply_the_table(
    client_for, project, coded, second_researcher
):
    m.Membership.objects.create(project=project, user=second_researcher)
    before = snapshot(project)
    assert apply(signed_in(second_researcher), project).status_code == 404
    assert snapshot(project) == before
    assert not applied_events().exists()


def test_the_table_is_applied_only_by_post(client_for, project, coded):
    before = snapshot(project)
    assert client_for("researcher").get(url(project)).status_code == 405
    assert snapshot(project) == before


def test_a_table_the_core_rejects_changes_nothing(client_for, project, coded):
    m.PseudonymEntry.objects.create(project=project, real_name="ANNA", pseudonym="Noor")
    before = snapshot(project)
    response = apply(client_for("researcher"), project)
    assert response.status_code == 302
    assert snapshot(project) == before
    assert not applied_events().exists()
    assert any("listed twice" in t for t in texts_of(response))


def test_a_failure_midway_leaves_every_transcript_unchanged(client_for, project, coded):
    # A third transcript (written after the others) whose stored segment runs past its text:
    # the first two have been rewritten when the core refuses to map that segment.
    broken = m.Document.objects.create(project=project, name="kapot", text="Bram zegt ja.")
    m.Segment.objects.create(document=broken, start=0, end=400)
    before = snapshot(project)
    response = apply(client_for("researcher"), project)
    assert response.status_code == 302
    assert snapshot(project) == before
    assert not applied_events().exists()
    assert any("Nothing was changed" in t and "outside the text" in t for t in texts_of(response))


def test_a_table_whose_pseudonym_is_another_real_name_is_refused(client_for, project, coded):
    m.PseudonymEntry.objects.filter(project=project, real_name="Bram").update(pseudonym="Anna")
    before = snapshot(project)
    response = apply(client_for("researcher"), project)
    assert snapshot(project) == before
    assert any("would replace it again" in t for t in texts_of(response))


def test_an_empty_table_is_refused_with_a_message(client_for, project, coded):
    project.pseudonyms.all().delete()
    before = snapshot(project)
    response = apply(client_for("researcher"), project)
    assert snapshot(project) == before
    assert any("table is empty" in t for t in texts_of(response))


def test_the_pseudonym_page_offers_the_apply_button_to_the_owner(client_for, project):
    response = client_for("researcher").get(
        f"/qualitative/{project.pk}/pseudonyms/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert url(project).encode() in response.content
    assert b"Apply to all transcripts" in response.content

import pytest
from django.db import DatabaseError, connection, transaction

from yim.audit.log import record
from yim.audit.models import GENESIS_HASH, Anchor, AuditEvent, check_anchors, verify_chain
from yim.cli import main

pytestmark = pytest.mark.django_db


def _events(world, n: int = 3) -> list[AuditEvent]:
    return [
        record(
            world.professional,
            "view",
            youth=world.youth_file,
            obj=world.youth_file,
            detail=f"event {i}",
        )
        for i in range(n)
    ]


def test_each_event_records_who_what_when_which_youth_capacity_and_where(world, client_for):
    client_for("professional").get(f"/youth/{world.youth_file.pk}/", REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(action="view")
    assert event.actor == world.professional
    assert event.actor_name == "prof"
    assert event.capacity == "professional"
    assert event.youth_id == world.youth_file.pk
    assert (event.object_type, event.object_id) == ("youth", str(world.youth_file.pk))
    assert event.ip == "10.1.2.3"
    assert event.organisation_id == world.org.pk
    assert event.at is not None


def test_events_form_a_hash_chain_from_the_genesis(world):
    first, second, third = _events(world)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.row_hash
    assert third.prev_hash == second.row_hash
    assert verify_chain() == (3, [])


def test_the_database_refuses_updates_of_the_log(world):
    _events(world, 1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET detail = 'changed'")
    assert AuditEvent.objects.get().detail == "event 0"


def test_the_database_refuses_deletes_from_the_log(world):
    _events(world, 1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 1


def test_the_application_refuses_to_change_or_delete_an_event(world):
    event = _events(world, 1)[0]
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def _behind_the_applications_back(sql: str) -> None:
    """Switch the triggers off the way an attacker with database rights would, and run sql."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")
        cursor.execute(sql)


def test_audit_verify_names_a_row_that_was_altered_behind_the_applications_back(world, capsys):
    events = _events(world, 4)
    assert main(["audit", "verify"]) == 0
    assert "intact: 4 rows verified" in capsys.readouterr().out
    _behind_the_applications_back(
        f"UPDATE audit_auditevent SET actor_name = 'someone else' WHERE id = {events[1].pk}"
    )
    assert main(["audit", "verify"]) == 1
    captured = capsys.readouterr()
    assert f"audit event {events[1].pk}: content was altered" in captured.out
    assert "NOT intact" in captured.err


def test_audit_verify_names_the_gap_where_a_row_was_removed(world, capsys):
    events = _events(world, 4)
    _behind_the_applications_back(f"DELETE FROM audit_auditevent WHERE id = {events[2].pk}")
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"rows {events[2].pk}..{events[2].pk} are missing" in out
    assert f"audit event {events[3].pk}: does not link to the previous row's hash" in out


def test_audit_verify_detects_a_rewritten_row_with_a_recomputed_own_hash(world, capsys):
    events = _events(world, 3)
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.detail = "forged"
    new_hash = forged.compute_hash()
    _behind_the_applications_back(
        f"UPDATE audit_auditevent SET detail = 'forged', row_hash = '{new_hash}' "
        f"WHERE id = {events[1].pk}"
    )
    assert main(["audit", "verify"]) == 1
    assert f"audit event {events[2].pk}: does not link" in capsys.readouterr().out


def test_team_lead_searches_the_log_of_their_team_only(world, client_for):
    record(world.professional, "view", youth=world.youth_file)
    record(world.other_team_professional, "view", youth=world.other_youth_file)
    response = client_for("team_lead").get("/audit/", {"actor": "prof"})
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert {e.youth_id for e in rows} == {world.youth_file.pk}


def test_the_log_names_records_in_the_pages_language_not_by_code(world, client_for):
    record(world.professional, "view", youth=world.youth_file, obj=world.youth_file)
    html = client_for("team_lead").get("/audit/").content.decode()
    assert f"Jongere {world.youth_file.pk}" in html
    assert f"youth {world.youth_file.pk}" not in html


def test_admin_sees_the_whole_organisation_but_not_other_organisations(world, client_for):
    record(world.other_team_professional, "view", youth=world.other_youth_file)
    record(world.foreign_professional, "view", youth=world.foreign_youth_file)
    response = client_for("admin").get("/audit/")
    youth_ids = {e.youth_id for e in response.context["page"].object_list}
    assert world.other_youth_file.pk in youth_ids
    assert world.foreign_youth_file.pk not in youth_ids


def test_audit_search_rejects_an_end_date_before_the_start_date(world, client_for):
    response = client_for("admin").get(
        "/audit/", {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["date_to"]


@pytest.mark.parametrize("persona", ["professional", "researcher", "youth_user", "jim", "parent"])
def test_audit_search_is_not_found_for_those_who_may_not_search(world, client_for, persona):
    assert client_for(persona).get("/audit/").status_code == 404


def test_an_anchor_detects_removal_of_the_newest_rows_which_the_chain_alone_cannot(
    world, capsys, tmp_path
):
    events = _events(world, 4)
    anchors = tmp_path / "anchors.jsonl"
    assert main(["audit", "anchor", "--append", str(anchors)]) == 0
    assert f"Anchored event {events[3].pk}" in capsys.readouterr().out
    assert main(["audit", "verify", "--anchors", str(anchors)]) == 0
    assert "All 1 anchor(s)" in capsys.readouterr().out

    _behind_the_applications_back(f"DELETE FROM audit_auditevent WHERE id >= {events[2].pk}")
    assert main(["audit", "verify"]) == 0  # the shortened chain is still a valid chain
    capsys.readouterr()
    assert main(["audit", "verify", "--anchors", str(anchors)]) == 1
    captured = capsys.readouterr()
    assert f"audit event {events[3].pk}: was anchored at " in captured.out
    assert "newest rows were removed" in captured.out
    assert "NOT intact" in captured.err


def test_an_anchor_detects_a_rewritten_newest_row(world, capsys):
    events = _events(world, 2)
    assert main(["audit", "anchor"]) == 0
    line = capsys.readouterr().out.strip()
    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.detail = "forged"
    _behind_the_applications_back(
        f"UPDATE audit_auditevent SET detail = 'forged', row_hash = '{forged.compute_hash()}' "
        f"WHERE id = {events[1].pk}"
    )
    assert main(["audit", "verify"]) == 0  # rewritten consistently: the chain cannot tell
    capsys.readouterr()
    problems = check_anchors([Anchor.from_line(line, "stdout")])
    assert [(p.event_id, p.problem) for p in problems] == [
        (events[1].pk, "has another hash than when it was anchored")
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json\n", "anchors.jsonl, line 1: not an audit anchor"),
        ('# kept by ops\n{"event": 0, "hash": "' + "a" * 64 + '"}\n', "line 2: 'event' must be"),
        ('{"event": 3, "hash": "abc"}\n', "line 1: 'hash' must be a SHA-256"),
    ],
)
def test_a_malformed_anchor_file_is_refused_with_the_line(
    world, capsys, tmp_path, content, message
):
    _events(world, 1)
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(content)
    assert main(["audit", "verify", "--anchors", str(anchors)]) == 1
    assert message in capsys.readouterr().err


def test_anchoring_an_empty_log_says_there_is_nothing_to_anchor(db, capsys):
    assert main(["audit", "anchor"]) == 1
    assert "empty" in capsys.readouterr().err


def test_the_audit_search_names_the_capacity_in_words(world, client_for):
    record(world.professional, "view", youth=world.youth_file)
    record(
        world.other_team_professional,
        "view",
        youth=world.youth_file,
        capacity="break_glass",
        break_glass_reason="Crisis op vrijdagavond, dienstdoende collega",
    )
    html = client_for("admin").get("/audit/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<td>Professional</td>" in html
    assert "emergency access<br><em>Crisis op vrijdagavond" in html
    assert "break_glass" not in html

"""Concurrency: 50 writers on one version of a record, and double submits of a form.

The writers are real threads, each with a database connection of its own, sending the API
call a client makes after reading a candidate JIM (``POST /api/v1/candidates/{id}/response``
with the ``version`` it read). Exactly one may win; the other 49 get the stale-edit refusal
(409 ``stale``) and nothing of theirs is saved. The same runs on PostgreSQL
(``YIM_DATABASE_URL``) and on SQLite. SQLite's test database lives in memory, which threads
cannot share safely, so on SQLite the test copies it to a file (SQLite's backup API) and every
thread — the test's own included — works on that file, in WAL mode with immediate write
transactions exactly as the application runs.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from tests.conftest import signed_in
from tests.monitoring.conftest import build_file
from yim.accounts.models import ApiToken, Invitation
from yim.programmes.models import ProgrammeModel
from yim.trajectories.models import Candidate, ConsentRecord, Phase, Response, Trajectory
from yim.trajectories.rules import AMSTERDAM

WRITERS = 50
#: The trigger of audit migration 0002 that refuses TRUNCATE on PostgreSQL.


class FileDatabase:
    """On SQLite: a file copy of the in-memory test database that any thread can open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.settings = copy.deepcopy(connection.settings_dict)
        self.settings["NAME"] = str(path)

    @classmethod
    def copy_of_test_database(cls, path: Path) -> FileDatabase:
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return cls(path)

    @contextmanager
    def used_by_this_thread(self) -> Iterator[None]:
        """Point this thread's ``default`` connection at the file, and back afterwards."""
        wrapper = type(connections["default"])(copy.deepcopy(self.settings), alias="default")
        previous = connections["default"]
        connections["default"] = wrapper
        try:
            yield
        finally:
            wrapper.close()
            connections["default"] = previous


@pytest.fixture
def shared_database(
    flushable: None, tmp_path: Path, is_postgres: bool
) -> Iterator[FileDatabase | None]:
    """Whatever every thread must use to see the same database (None: the default one)."""
    if is_postgres:
        yield None
        return
    database = FileDatabase.copy_of_test_database(tmp_path / "concurrency.sqlite3")
    with database.used_by_this_thread():
        yield database


@contextmanager
def thread_connection(database: FileDatabase | None) -> Iterator[None]:
    try:
        if database is None:
            yield
        else:
            with database.used_by_this_thread():
                yield
    finally:
        connections.close_all()


def run_at_once(count: int, database: FileDatabase | None, work: Any) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together; their results, in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        with thread_connection(database):
            try:
                barrier.wait(timeout=60)
                results[i] = work(i)
            except Exception as exc:  # reported by the assertions of the test
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer never finished"
    return results


def named_candidate(world: Any) -> Candidate:
    """A candidate JIM, named but not yet answered, in an open nomination round."""
    start = timezone.localdate() - dt.timedelta(days=40)
    trajectory = Trajectory.start(
        youth=world.youth_file,
        programme=ProgrammeModel.standard("indicated"),
        professional=world.professional,
        referred_on=start,
        referral_source="neighbourhood_team",
        referral_reason="Threatened placement.",
        at=dt.datetime.combine(start, dt.time(9), tzinfo=AMSTERDAM),
        by=world.professional,
    )
    for phase, days in [(Phase.NETWORK_EXPLORATION, 35), (Phase.CANDIDATES, 30)]:
        moment = timezone.now() - dt.timedelta(days=days)
        trajectory.advance_to(phase, at=moment)
    person = world.youth_file.network.create(
        display_name="Buurvrouw Ans", relation="neighbour", age_band="40_64"
    )
    named = timezone.localdate() - dt.timedelta(days=20)
    return trajectory.start_round(on=named).add_candidate(person, named_on=named)


def test_of_fifty_writers_on_one_version_exactly_one_wins_and_nothing_is_overwritten(
    world, shared_database
):
    candidate = named_candidate(world)
    version = candidate.version
    _token, raw = ApiToken.issue(world.professional, "concurrency")
    today = timezone.localdate().isoformat()

    def write(i: int) -> tuple[int, dict[str, Any]]:
        response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
            f"/api/v1/candidates/{candidate.pk}/response",
            {
                "version": version,
                "response": "declined",
                "response_on": today,
                "asked_on": today,
                "decline_reason": f"Writer {i} heard no, for reason {i}.",
            },
            content_type="application/json",
        )
        return response.status_code, response.json()

    results = run_at_once(WRITERS, shared_database, write)

    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]
    statuses = Counter(status for status, _body in results)
    assert statuses == {200: 1, 409: WRITERS - 1}, statuses
    assert all(body["code"] == "stale" for status, body in results if status == 409)
    winner = next(i for i, (status, _body) in enumerate(results) if status == 200)
    candidate.refresh_from_db()
    assert candidate.version == version + 1
    assert candidate.response == Response.DECLINED
    assert candidate.decline_reason == f"Writer {winner} heard no, for reason {winner}."


def hidden_fields(html: str, page: str, action: str) -> dict[str, str]:
    """The hidden inputs (a form token, if any) of the form on ``page`` that posts to
    ``action`` (a form without an action posts to its own page)."""
    for form in re.findall(r"<form[^>]*>.*?</form>", html, re.S):
        target = re.match(r'<form[^>]*\baction="([^"]*)"', form)
        if (target.group(1) if target else page) != action:
            continue
        fields = {}
        for tag in re.findall(r"<input[^>]*>", form):
            name = re.search(r'name="([^"]+)"', tag)
            if 'type="hidden"' in tag and name:
                value = re.search(r'value="([^"]*)"', tag)
                fields[name.group(1)] = value.group(1) if value else ""
        return fields
    raise AssertionError(f"no form on {page} posts to {action}")


@pytest.mark.django_db
def test_a_double_submit_of_the_consent_form_records_the_consent_once(world):
    file = build_file(world.youth_file, world.professional)
    client = signed_in(world.professional)
    url = f"/trajectories/candidates/{file.jim.pk}/consent/"
    form = {
        **hidden_fields(client.get(url).content.decode(), url, url),
        "party": "youth",
        "parent_name": "",
        "decision": "refused",
        "given_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "note": "Said no twice over the phone",
    }
    before = ConsentRecord.objects.filter(candidate=file.jim).count()
    first = client.post(url, form)
    second = client.post(url, form)
    assert first.status_code == 302
    assert second.status_code in (200, 302, 409)
    assert ConsentRecord.objects.filter(candidate=file.jim).count() == before + 1


@pytest.mark.django_db
def test_a_double_submit_of_the_invitation_form_creates_one_invitation(world):
    client = signed_in(world.professional)
    page = f"/youth/{world.youth_file.pk}/"
    url = f"/youth/{world.youth_file.pk}/invite/"
    form = {
        **hidden_fields(client.get(page).content.decode(), page, url),
        "role": "parent",
        "display_name": "Petra B.",
    }
    first = client.post(url, form)
    second = client.post(url, form)
    assert first.status_code == 200
    assert second.status_code in (200, 302, 409)
    assert Invitation.objects.filter(youth=world.youth_file).count() == 1

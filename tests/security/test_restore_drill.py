"""The backup and restore drill, as a test: back up under write load, restore into a fresh
database, compare row counts, verify the audit chain end to end.

Everything runs through the real ``yim`` command in subprocesses with databases of their own
(``yim_cmd``), on the engine of the test run: SQLite (the online backup API) or PostgreSQL
(``pg_dump``/``pg_restore``). While ``yim backup`` runs, a writer process keeps adding a youth
and its audit event in one transaction each. The restored database must then:

* hold exactly the rows of every table that the writer does not touch;
* hold, of the writer's rows, a count between the one before and the one after the backup,
  and as many youth as audit events for them (a consistent snapshot, never half a
  transaction);
* on SQLite, hold exactly the row counts of the backup file itself;
* pass ``yim audit verify`` (the whole hash chain).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import YimRunner, _postgres_admin_connection

COUNT_TABLES = """
import json, django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    counts = {}
    for table in sorted(connection.introspection.table_names(cursor)):
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = cursor.fetchone()[0]
    cursor.execute(
        "SELECT count(*) FROM audit_auditevent WHERE detail = 'restore drill'"
    )
    counts["drill events"] = cursor.fetchone()[0]
    cursor.execute(
        "SELECT count(*) FROM trajectories_youth WHERE display_name LIKE %s", ["Drill %"]
    )
    counts["drill youth"] = cursor.fetchone()[0]
print(json.dumps(counts))
"""

WRITER = """
import datetime as dt, pathlib, sys, django
django.setup()
from django.db import transaction
from yim.accounts.models import User
from yim.audit.log import record
from yim.audit.models import Action
from yim.trajectories.models import Youth

stop, started = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
professional = User.objects.filter(role="professional", team__isnull=False).order_by("pk")[0]
n = 0
while not stop.exists():
    with transaction.atomic():
        youth = Youth.objects.create(
            organisation_id=professional.organisation_id,
            team_id=professional.team_id,
            professional=professional,
            display_name=f"Drill {n}",
            date_of_birth=dt.date(2010, 1, 1),
        )
        record(professional, Action.CREATE, youth=youth, obj=youth, detail="restore drill")
    n += 1
    if n == 25:
        started.touch()
print(n)
"""

#: The tables the writer adds rows to; every other table must come back exactly.
WRITTEN = {"trajectories_youth", "audit_auditevent", "drill events", "drill youth"}


def counts(runner: YimRunner) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", COUNT_TABLES],
        env=runner.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return json.loads(out)


@pytest.fixture
def fresh_yim_cmd(yim_cmd: YimRunner, tmp_path: Path, is_postgres: bool):  # type: ignore[no-untyped-def]
    """A second `yim` with an empty database of its own: where the backup is restored."""
    env = {**yim_cmd.env, "YIM_DATA_DIR": str(tmp_path / "fresh")}
    (tmp_path / "fresh").mkdir()
    created = None
    if is_postgres:
        db = settings.DATABASES["default"]
        created = f"yim_fresh_{uuid.uuid4().hex[:10]}"
        with _postgres_admin_connection() as conn:
            conn.execute(f'CREATE DATABASE "{created}"')
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        env["YIM_DATABASE_URL"] = f"postgresql://{auth}@{db['HOST']}:{db['PORT']}/{created}"
    yield YimRunner(env=env, data_dir=tmp_path / "fresh")
    if created:
        with _postgres_admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')


def test_a_backup_taken_under_write_load_restores_consistently_with_an_intact_audit_chain(
    yim_cmd: YimRunner, fresh_yim_cmd: YimRunner, tmp_path: Path, is_postgres: bool
) -> None:
    yim_cmd("demo", "--no-serve", "--youth", "12", timeout=600)
    stop, started = tmp_path / "stop", tmp_path / "started"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(stop), str(started)],
        env=yim_cmd.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not started.exists():
            assert writer.poll() is None, writer.communicate()
            assert time.monotonic() < deadline, "the writer never got going"
            time.sleep(0.05)
        before = counts(yim_cmd)
        backup = tmp_path / "backups" / "drill.backup"
        yim_cmd("backup", str(backup), timeout=300)
        after = counts(yim_cmd)
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    written = int(out.strip())
    assert after["drill events"] > before["drill events"], "no writes during the backup"

    fresh_yim_cmd("restore", str(backup), timeout=300)
    restored = counts(fresh_yim_cmd)

    assert restored.keys() == before.keys()
    unchanged = {t: n for t, n in before.items() if t not in WRITTEN}
    assert {t: restored[t] for t in unchanged} == unchanged
    for table in WRITTEN:
        assert before[table] <= restored[table] <= after[table], table
    assert restored["drill youth"] == restored["drill events"], "the snapshot split a transaction"
    assert restored["drill events"] <= written
    if not is_postgres:  # the backup file is a database itself: its counts, exactly
        con = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            in_file = {
                table: con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                for table in restored
                if table not in ("drill events", "drill youth")
            }
        finally:
            con.close()
        assert in_file == {table: restored[table] for table in in_file}
    verify = fresh_yim_cmd("audit", "verify", timeout=300)
    assert "The audit log is intact" in verify.stdout
    assert f"{restored['audit_auditevent']} rows verified" in verify.stdout

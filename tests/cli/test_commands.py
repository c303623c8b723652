import sqlite3
from pathlib import Path

import pytest

from yim.cli import build_parser

ADMIN_PASSWORD = "een-heel-sterk-beheerderswachtwoord"


def test_db_upgrade_applies_migrations_then_reports_up_to_date(yim_cmd):
    first = yim_cmd("db", "upgrade")
    assert "Applied" in first.stdout
    second = yim_cmd("db", "upgrade")
    assert "up to date" in second.stdout


def test_sqlite_database_runs_in_wal_mode(yim_cmd, is_postgres):
    if is_postgres:
        pytest.skip("WAL is an SQLite setting; this run uses PostgreSQL")
    yim_cmd("db", "upgrade")
    yim_cmd(
        "createadmin",
        "--username",
        "beheer",
        "--organisation",
        "Org",
        YIM_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    con = sqlite3.connect(yim_cmd.data_dir / "yim.sqlite3")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_createadmin_refuses_a_weak_password_and_a_duplicate_name(yim_cmd):
    yim_cmd("db", "upgrade")
    weak = yim_cmd(
        "createadmin",
        "--username",
        "beheer",
        "--organisation",
        "Org",
        YIM_ADMIN_PASSWORD="kort",
        check=False,
    )
    assert weak.returncode == 1
    assert "password refused" in weak.stderr
    yim_cmd(
        "createadmin",
        "--username",
        "beheer",
        "--organisation",
        "Org",
        YIM_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    again = yim_cmd(
        "createadmin",
        "--username",
        "beheer",
        "--organisation",
        "Org",
        YIM_ADMIN_PASSWORD=ADMIN_PASSWORD,
        check=False,
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr


def _admins(yim_cmd) -> str:
    code = (
        "import django; django.setup();"
        "from yim.accounts.models import User;"
        "print(sorted(User.objects.values_list('username', flat=True)))"
    )
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-c", code], env=yim_cmd.env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_backup_and_restore_bring_back_the_saved_state(yim_cmd, tmp_path, is_postgres):
    yim_cmd("db", "upgrade")
    yim_cmd(
        "createadmin",
        "--username",
        "eerste",
        "--organisation",
        "Org",
        YIM_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    backup = tmp_path / "backups" / "yim.backup"
    out = yim_cmd("backup", str(backup))
    assert backup.exists() and backup.stat().st_size > 0
    assert "Backup written" in out.stdout
    yim_cmd(
        "createadmin",
        "--username",
        "tweede",
        "--organisation",
        "Org",
        YIM_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    assert _admins(yim_cmd) == "['eerste', 'tweede']"
    restored = yim_cmd("restore", str(backup))
    assert _admins(yim_cmd) == "['eerste']"
    if not is_postgres:
        assert "previous database was kept" in restored.stdout
    assert "intact" in yim_cmd("audit", "verify").stdout


def test_restore_refuses_something_that_is_not_a_backup_and_keeps_the_data(yim_cmd, tmp_path):
    yim_cmd("db", "upgrade")
    yim_cmd(
        "createadmin",
        "--username",
        "eerste",
        "--organisation",
        "Org",
        YIM_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database" * 100)
    result = yim_cmd("restore", str(junk), check=False)
    assert result.returncode == 1
    assert "yim:" in result.stderr
    assert "Traceback" not in result.stderr
    assert _admins(yim_cmd) == "['eerste']"


def test_restore_of_a_missing_file_says_so(yim_cmd, tmp_path):
    yim_cmd("db", "upgrade")
    result = yim_cmd("restore", str(tmp_path / "nope.backup"), check=False)
    assert result.returncode == 1
    assert "does not exist" in result.stderr


def test_check_fails_on_an_insecure_setup(yim_cmd):
    yim_cmd("db", "upgrade")
    result = yim_cmd("check", check=False, YIM_BASE_URL="http://localhost:8000")
    assert result.returncode == 1
    assert "[FAIL] HTTPS" in result.stdout
    assert "[ok] secret key" in result.stdout
    assert "[ok] migrations" in result.stdout


def test_check_passes_a_production_setup(yim_cmd):
    yim_cmd("db", "upgrade")
    result = yim_cmd(
        "check", YIM_BASE_URL="https://jim.example.org", YIM_ALLOWED_HOSTS="jim.example.org"
    )
    assert "checks passed" in result.stdout
    assert "FAIL" not in result.stdout


def test_check_reports_pending_migrations(yim_cmd):
    result = yim_cmd("check", check=False, YIM_BASE_URL="https://jim.example.org")
    assert result.returncode == 1
    assert "[FAIL] migrations" in result.stdout
    assert "yim db upgrade" in result.stdout


def test_check_names_a_broken_instrument_file_and_serve_refuses_to_start(yim_cmd, tmp_path):
    yim_cmd("db", "upgrade")
    instruments = tmp_path / "instruments"
    instruments.mkdir()
    (instruments / "eigen_lijst.yaml").write_text("code: eigen_lijst\nversion: one\n")
    env = {"YIM_INSTRUMENTS_DIR": str(instruments), "YIM_BASE_URL": "https://jim.example.org"}
    result = yim_cmd("check", check=False, **env)
    assert result.returncode == 1
    assert "[FAIL] instrument files: eigen_lijst.yaml" in result.stdout
    served = yim_cmd("serve", "--port", "1", check=False, **env)
    assert served.returncode == 1
    assert "cannot start: eigen_lijst.yaml" in served.stderr
    assert "serving" not in served.stdout


def _prepare_schema(yim_cmd):
    import subprocess
    import sys

    code = "from yim.cli import prepare_schema, setup_django; setup_django(); prepare_schema()"
    return subprocess.run(
        [sys.executable, "-c", code], env=yim_cmd.env, capture_output=True, text=True
    )


def test_serving_sqlite_backs_the_file_up_and_migrates(yim_cmd, is_postgres):
    if is_postgres:
        pytest.skip("the SQLite upgrade policy; the PostgreSQL one is tested below")
    yim_cmd("manage", "migrate", "audit", "0001")
    result = _prepare_schema(yim_cmd)
    assert result.returncode == 0, result.stderr
    assert "Backed up the database" in result.stdout
    backups = list((yim_cmd.data_dir / "backups").glob("before-upgrade-*.sqlite3"))
    assert len(backups) == 1
    assert "up to date" in yim_cmd("db", "upgrade").stdout


def test_serving_postgresql_refuses_a_schema_that_is_behind(yim_cmd, is_postgres):
    if not is_postgres:
        pytest.skip("the PostgreSQL upgrade policy; the SQLite one is tested above")
    result = _prepare_schema(yim_cmd)
    assert result.returncode == 3
    assert "Run 'yim db upgrade' first" in result.stderr
    yim_cmd("db", "upgrade")
    assert _prepare_schema(yim_cmd).returncode == 0


def test_demo_loads_the_synthetic_registry_once(yim_cmd):
    first = yim_cmd("demo", "--no-serve")
    assert "Loaded the synthetic demo registry (500 youth)" in first.stdout
    for login in [
        "prof.noord",
        "lead.noord",
        "admin.jeugdzorg",
        "onderzoeker",
        "jongere.sam",
        "jim.tante",
        "ouder.sam",
    ]:
        assert login in first.stdout
    margins = _demo_margins(yim_cmd)
    assert margins["found_share"] == pytest.approx(0.83, abs=0.04)
    assert margins["mean_days"] == pytest.approx(33, abs=4)
    assert margins["ambulatory_share"] == pytest.approx(0.90, abs=0.04)
    assert margins["comparison"] >= 80
    second = yim_cmd("demo", "--no-serve")
    assert "already loaded" in second.stdout


def _demo_margins(yim_cmd) -> dict:
    """The demo's published margins, computed in the demo's own database."""
    import json
    import subprocess
    import sys

    code = (
        "import json, django; django.setup();"
        "from tests.demo.margins import margins;"
        "print(json.dumps(margins()))"
    )
    env = {**yim_cmd.env, "PYTHONPATH": str(Path(__file__).parents[2])}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_every_documented_command_exists_and_every_command_is_documented():
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for name in commands:
        assert f"yim {name}" in doc, f"'yim {name}' is not documented in docs/cli.md"


def test_a_server_worker_sets_its_startup_objects_apart_from_the_garbage_collector(yim_cmd):
    """yim.wsgi, as gunicorn loads it in each worker: the modules, views and settings loaded
    at startup are frozen (gc.freeze), so a page's full collections do not walk them again."""
    import subprocess
    import sys

    code = (
        "import gc, sys; before = gc.get_freeze_count(); import yim.wsgi;"
        "print(before, gc.get_freeze_count(), 'yim.web.views' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=yim_cmd.env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    before, after, views_loaded = result.stdout.split()
    assert before == "0" and int(after) > 10_000
    assert views_loaded == "True"  # the URL configuration and its views were loaded first

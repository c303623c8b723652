import os
import subprocess
import sys
from pathlib import Path

import pytest

from yim.config import ConfigError, env_bool, env_int, env_list, parse_database_url


def test_env_bool_names_the_variable_and_the_expected_form(monkeypatch):
    monkeypatch.setenv("YIM_DEBUG", "perhaps")
    with pytest.raises(ConfigError, match=r"YIM_DEBUG='perhaps' is not a boolean; use one of"):
        env_bool("YIM_DEBUG")


def test_env_int_rejects_text_and_values_below_the_minimum(monkeypatch):
    monkeypatch.setenv("YIM_SESSION_IDLE_MINUTES", "ten")
    with pytest.raises(ConfigError, match="YIM_SESSION_IDLE_MINUTES='ten' is not a whole number"):
        env_int("YIM_SESSION_IDLE_MINUTES", 30)
    monkeypatch.setenv("YIM_SESSION_IDLE_MINUTES", "0")
    with pytest.raises(ConfigError, match="must be at least 1"):
        env_int("YIM_SESSION_IDLE_MINUTES", 30, minimum=1)


def test_env_list_refuses_an_empty_list(monkeypatch):
    monkeypatch.setenv("YIM_ALLOWED_HOSTS", " , ")
    with pytest.raises(ConfigError, match="YIM_ALLOWED_HOSTS is set but empty"):
        env_list("YIM_ALLOWED_HOSTS", [])


def test_database_url_parses_sqlite_and_postgresql():
    sqlite = parse_database_url("YIM_DATABASE_URL", "sqlite:///var/lib/yim/db.sqlite3", Path("/x"))
    assert (sqlite.engine, sqlite.name) == ("sqlite", "/var/lib/yim/db.sqlite3")
    pg = parse_database_url(
        "YIM_DATABASE_URL", "postgresql://u:p%40ss@db.local:5433/yim", Path("/x")
    )
    assert (pg.engine, pg.name, pg.user, pg.password, pg.host, pg.port) == (
        "postgresql",
        "yim",
        "u",
        "p@ss",
        "db.local",
        "5433",
    )
    default = parse_database_url("YIM_DATABASE_URL", None, Path("/data/yim.sqlite3"))
    assert default.name == "/data/yim.sqlite3"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://localhost/yim", "unsupported scheme 'mysql'"),
        ("postgresql://localhost/", "names no database"),
        ("postgresql://localhost:99999/yim", "invalid port"),
        ("sqlite://", "names no database file"),
    ],
)
def test_database_url_errors_say_what_is_expected(url, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_database_url("YIM_DATABASE_URL", url, Path("/x"))
    assert "YIM_DATABASE_URL" in str(info.value)
    assert "expected sqlite:///" in str(info.value)


def _start_settings(
    env_overrides: dict[str, str | None], tmp_path: Path
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIM_")}
    env["YIM_DATA_DIR"] = str(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "yim.settings"
    for key, value in env_overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    code = "import django; django.setup(); print('started')"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _start_settings({"YIM_SECRET_KEY": None}, tmp_path)
    assert result.returncode != 0
    assert "YIM_SECRET_KEY is not set" in result.stderr


def test_production_refuses_a_short_secret_key(tmp_path):
    result = _start_settings({"YIM_SECRET_KEY": "short"}, tmp_path)
    assert result.returncode != 0
    assert "YIM_SECRET_KEY is too short" in result.stderr


def test_invalid_boolean_stops_the_start_naming_the_variable(tmp_path):
    result = _start_settings({"YIM_SECRET_KEY": "k" * 50, "YIM_DEBUG": "maybe"}, tmp_path)
    assert result.returncode != 0
    assert "YIM_DEBUG='maybe' is not a boolean" in result.stderr


def test_a_valid_production_environment_starts(tmp_path):
    result = _start_settings(
        {"YIM_SECRET_KEY": "k" * 50, "YIM_ALLOWED_HOSTS": "yim.example.org"}, tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_immediate_writes():
    from django.conf import settings

    options = settings.DATABASES["default"].get("OPTIONS", {})
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        assert "journal_mode=WAL" in options["init_command"]
        assert "foreign_keys=ON" in options["init_command"]
        assert options["transaction_mode"] == "IMMEDIATE"
        assert options["timeout"] >= 5
    else:
        assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_postgresql_connections_run_without_jit_compilation(db):
    """yim's queries are short; compiling them cost more than it saved (30 ms of a 76 ms
    work-list query at 50,000 youth, benchmarks/web/README.md)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's JIT; SQLite compiles nothing")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_production_hashes_passwords_with_argon2():
    import yim.settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")

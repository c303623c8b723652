"""Operations behind the ``yim`` command: schema state, backup and restore, deployment checks.

Kept apart from the argument parsing in :mod:`yim.cli` so tests call them directly.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor


class OperationError(Exception):
    """An operation that cannot be carried out; the message says why and what to do."""


def pending_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def sqlite_path() -> Path:
    return Path(str(settings.DATABASES["default"]["NAME"]))


def is_sqlite() -> bool:
    return str(settings.DATABASES["default"]["ENGINE"]).endswith("sqlite3")


def _pg_env() -> tuple[list[str], dict[str, str]]:
    import os

    db = {key: str(value) for key, value in settings.DATABASES["default"].items()}
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def backup(target: Path) -> Path:
    """Write a consistent copy of the database to ``target`` while the system keeps running."""
    target = target.expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    if is_sqlite():
        source = sqlite_path()
        if not source.exists():
            raise OperationError(f"There is no database file at {source} to back up.")
        tmp = target.with_name(target.name + ".partial")
        _sqlite_copy(str(source), tmp)
        tmp.replace(target)
        return target
    _run_pg_tool("pg_dump", ["--format=custom", "--no-owner", "--file", str(target)], [])
    return target


def _sqlite_copy(source: str, target: Path) -> None:
    """Copy with SQLite's online backup API: consistent under concurrent writes.

    ``source`` may be a ``file:`` URI (read-only opening).
    """
    src = sqlite3.connect(source, uri=source.startswith("file:"))
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def _run_pg_tool(tool: str, options: list[str], operands: list[str]) -> None:
    """Run a PostgreSQL client tool against the configured database."""
    if shutil.which(tool) is None:
        raise OperationError(f"{tool} is not installed; install the PostgreSQL client tools.")
    args, env = _pg_env()
    result = subprocess.run(
        [tool, *options, *args, *operands], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise OperationError(f"{tool} failed: {result.stderr.strip()}")


def _check_sqlite_backup(path: Path) -> None:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            con.execute("SELECT count(*) FROM django_migrations").fetchone()
            ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise OperationError(f"{path} is not a yim SQLite backup ({exc}).") from None
    if ok != "ok":
        raise OperationError(f"{path} is damaged: integrity check says {ok!r}.")


def restore(source: Path) -> Path | None:
    """Replace the database with a backup. On SQLite the current file is kept aside first.

    Returns the path of the copy of the previous database (SQLite), so nothing is lost.
    """
    source = source.expanduser().resolve()
    if not source.exists():
        raise OperationError(f"The backup {source} does not exist.")
    if is_sqlite():
        _check_sqlite_backup(source)
        target = sqlite_path()
        connections.close_all()
        kept: Path | None = None
        if target.exists():
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            kept = target.with_name(f"{target.name}.before-restore-{stamp}")
            backup(kept)
        _sqlite_copy(f"file:{source}?mode=ro", target)
        return kept
    connections.close_all()
    _run_pg_tool(
        "pg_restore",
        ["--clean", "--if-exists", "--no-owner", "--single-transaction"],
        [str(source)],
    )
    from yim.core.models import refresh_planner_statistics

    refresh_planner_statistics()  # pg_restore leaves the restored tables without statistics
    return None


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    message: str


def deployment_checks() -> list[CheckResult]:
    """What ``yim check`` reports: the settings a production deployment must have."""
    import os

    results = [
        CheckResult(
            "secret key",
            bool(os.environ.get("YIM_SECRET_KEY")),
            "YIM_SECRET_KEY is set"
            if os.environ.get("YIM_SECRET_KEY")
            else "YIM_SECRET_KEY is not set (a development key is in use)",
        ),
        CheckResult(
            "debug off",
            not settings.DEBUG,
            "YIM_DEBUG is off" if not settings.DEBUG else "YIM_DEBUG is on",
        ),
        CheckResult(
            "demo off",
            not settings.DEMO_MODE,
            "demo mode is off" if not settings.DEMO_MODE else "YIM_DEMO is on",
        ),
        CheckResult(
            "HTTPS",
            settings.BASE_URL.startswith("https://") and settings.HTTPS,
            f"YIM_BASE_URL is {settings.BASE_URL}",
        ),
        CheckResult(
            "secure cookies",
            settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE,
            "session and CSRF cookies are "
            + ("Secure" if settings.SESSION_COOKIE_SECURE else "not Secure"),
        ),
        CheckResult(
            "HSTS",
            getattr(settings, "SECURE_HSTS_SECONDS", 0) >= 31536000,
            f"HSTS max-age {getattr(settings, 'SECURE_HSTS_SECONDS', 0)} s",
        ),
        CheckResult(
            "allowed hosts",
            bool(settings.ALLOWED_HOSTS) and "*" not in settings.ALLOWED_HOSTS,
            f"YIM_ALLOWED_HOSTS = {','.join(settings.ALLOWED_HOSTS) or '(empty)'}",
        ),
        CheckResult(
            "two-factor",
            bool(settings.REQUIRE_2FA),
            "two-factor sign-in is required for staff"
            if settings.REQUIRE_2FA
            else "two-factor sign-in is NOT required (YIM_REQUIRE_2FA=0)",
        ),
    ]
    results.append(instrument_check())
    try:
        pending = pending_migrations()
        results.append(
            CheckResult(
                "migrations",
                not pending,
                "all migrations applied"
                if not pending
                else f"{len(pending)} pending: run 'yim db upgrade'",
            )
        )
    except Exception as exc:  # the database may be unreachable: report, do not crash
        results.append(CheckResult("database", False, f"cannot reach the database: {exc}"))
    return results


def instrument_check() -> CheckResult:
    """Load every instrument file afresh and match the programmes' instrument lists against them.

    A broken organisation file would otherwise surface only when someone opens a questionnaire;
    ``yim serve`` runs this before it starts and ``yim check`` reports it.
    """
    from yim.monitoring.instruments import SHIPPED_DIR, InstrumentError, load_directories

    directory = Path(settings.INSTRUMENTS_DIR)
    try:
        known = load_directories([SHIPPED_DIR, directory])
    except InstrumentError as exc:
        return CheckResult("instrument files", False, str(exc))
    try:
        from yim.programmes.models import ProgrammeModel

        unknown = sorted(
            f"{name}: {code}"
            for name, codes in ProgrammeModel.objects.values_list("name", "instruments")
            for code in codes or []
            if code not in known
        )
    except Exception as exc:  # no schema yet: the migrations check reports that
        return CheckResult("instrument files", True, f"{len(known)} valid (programmes: {exc})")
    if unknown:
        return CheckResult(
            "instrument files",
            False,
            "programmes name instruments that do not exist: " + "; ".join(unknown),
        )
    return CheckResult("instrument files", True, f"{len(known)} valid (shipped and {directory})")

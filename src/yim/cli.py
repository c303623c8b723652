"""The ``yim`` command.

yim serve [--host --port --workers]   run the web application (gunicorn)
yim worker [--batch]                  run background work (analyses, exports, reports)
yim jobs prune [--days N]             delete finished background jobs and their files
yim demo [--youth N --host --port]    synthetic registry + server, for trying yim out
yim db upgrade                        apply database migrations (backs SQLite up first)
yim createadmin                       create an organisation admin
yim confirm-access USER --reason ...  confirm a new team lead's access to youth files
yim retention due / destroy           files whose retention period has ended
yim reminders                         e-mail staff how many tasks are due (run daily)
yim backup PATH / yim restore PATH    online backup and restore
yim check                             deployment self-check
yim audit verify [--anchors FILE]     verify the audit log's hash chain (and kept anchors)
yim audit anchor [--append FILE]      the newest row's id and hash, to keep outside the database
yim meta fit DATA ...                 meta-analysis report (HTML or JSON)
yim evidence summary [--as-of DATE]   outcome figures of the registry (JSON or text)
yim evidence export --out DIR         pseudonymised research export with a codebook
yim manage ...                        any Django management command
"""

from __future__ import annotations

import argparse
import getpass
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from yim.commandline import fail, say, setup_django


def _migrate(verbosity: int = 1) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def _backup_before_migrate() -> Path | None:
    """On SQLite, copy the database aside before migrating it (the embedded upgrade policy)."""
    from yim import ops

    if not ops.is_sqlite() or not ops.sqlite_path().exists():
        return None
    if not ops.pending_migrations():
        return None
    from django.conf import settings

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = Path(settings.DATA_DIR) / "backups" / f"before-upgrade-{stamp}.sqlite3"
    return ops.backup(target)


def prepare_schema() -> None:
    """Schema policy: SQLite is backed up and migrated; PostgreSQL must be upgraded explicitly."""
    from yim import ops

    if ops.is_sqlite():
        ops.sqlite_path().parent.mkdir(parents=True, exist_ok=True)
        kept = _backup_before_migrate()
        if kept:
            say(f"Backed up the database to {kept} before migrating.")
        _migrate(verbosity=0)
        return
    pending = ops.pending_migrations()
    if pending:
        raise SystemExit(
            fail(
                f"the PostgreSQL schema is behind ({len(pending)} migrations pending, first "
                f"{pending[0]}). Run 'yim db upgrade' first; the server does not migrate "
                "PostgreSQL by itself.",
                3,
            )
        )


def _serve(host: str, port: int, workers: int) -> int:
    from django.conf import settings

    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "yim.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--logger-class",
        "yim.serverlog.AccessLogger",  # single-use tokens in link paths are masked
        "--forwarded-allow-ips",
        os.environ.get("YIM_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    ]
    if settings.DEBUG:
        args.append("--reload")
    sys.stdout.flush()
    os.execv(sys.executable, args)  # noqa: S606 - replaces this process; gunicorn handles signals
    return 0  # pragma: no cover


def _instruments_or_fail() -> int:
    """Refuse to serve with a broken instrument file: say which file, item and problem."""
    from yim import ops

    result = ops.instrument_check()
    if not result.ok:
        return fail(f"cannot start: {result.message}")
    return 0


def cmd_serve(ns: argparse.Namespace) -> int:
    setup_django()
    prepare_schema()
    if _instruments_or_fail():
        return 1
    say(f"yim serving on http://{ns.host}:{ns.port}/ with {ns.workers} worker(s).")
    return _serve(ns.host, ns.port, ns.workers)


def cmd_demo(ns: argparse.Namespace) -> int:
    os.environ["YIM_DEMO"] = "1"
    setup_django()
    from django.conf import settings

    from yim import ops
    from yim.demo import registry

    if ops.is_sqlite():
        prepare_schema()
    else:
        # The demo is for trying yim out: it brings its PostgreSQL schema up to date itself.
        _migrate(verbosity=0)
    password = os.environ.get("YIM_DEMO_PASSWORD", registry.DEMO_PASSWORD)
    created = registry.load(youth_count=ns.youth, password=password)
    if created:
        say(f"Loaded the synthetic demo registry ({created} youth).")
    else:
        say("The synthetic demo registry is already loaded.")
    say(f"Data directory: {settings.DATA_DIR}")
    say("")
    say(f"Open http://{ns.host}:{ns.port}/ and sign in with password '{password}' as:")
    for login in registry.DEMO_LOGINS:
        say(f"  {login.username:<18} {login.description}")
    say("Two-factor sign-in is switched off in the demo; production requires it.")
    if ns.no_serve:
        return 0
    if _instruments_or_fail():
        return 1
    if not ns.no_worker:
        say("Background work runs in a worker beside the server (yim worker).")
        _start_worker_beside()
    return _serve(ns.host, ns.port, ns.workers)


def cmd_worker(ns: argparse.Namespace) -> int:
    setup_django()
    prepare_schema()
    from django.core.management import call_command

    args = ["--interval", str(ns.interval), "--no-startup-delay", "--no-reload"]
    if ns.batch:
        args.append("--batch")
    if not ns.batch:
        say(f"yim worker: waiting for background work (every {ns.interval:g} s; Ctrl+C stops).")
    call_command("db_worker", *args, verbosity=ns.verbosity)
    return 0


def cmd_jobs_prune(ns: argparse.Namespace) -> int:
    setup_django()
    from datetime import timedelta

    from yim.jobs.runner import prune

    removed = prune(timedelta(days=ns.days))
    say(f"Removed {removed} background job(s) finished more than {ns.days} days ago.")
    return 0


def _start_worker_beside() -> subprocess.Popen[bytes]:
    """A background worker for the demo server, in the same process group: Ctrl+C stops both."""
    return subprocess.Popen([sys.executable, "-m", "yim.cli", "worker"], env=os.environ.copy())


def cmd_db_upgrade(ns: argparse.Namespace) -> int:
    setup_django()
    from yim import ops

    pending = ops.pending_migrations()
    if not pending:
        say("The database schema is up to date.")
        return 0
    kept = _backup_before_migrate()
    if kept:
        say(f"Backed up the database to {kept}.")
    _migrate()
    say(f"Applied {len(pending)} migration(s).")
    return 0


def cmd_createadmin(ns: argparse.Namespace) -> int:
    setup_django()
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from yim.accounts.models import Organisation, Role, User

    if User.objects.filter(username__iexact=ns.username).exists():
        return fail(f"a user named {ns.username!r} already exists.")
    password = os.environ.get("YIM_ADMIN_PASSWORD") or ""
    if not password:
        if not sys.stdin.isatty():
            return fail("set YIM_ADMIN_PASSWORD or run this command in a terminal.")
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            return fail("the two passwords are not the same.")
    candidate = User(username=ns.username, email=ns.email or "")
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        return fail("password refused: " + " ".join(exc.messages))
    with transaction.atomic():
        org, _created = Organisation.objects.get_or_create(name=ns.organisation)
        user = User.objects.create_user(
            username=ns.username,
            email=ns.email or "",
            password=password,
            role=Role.ORG_ADMIN,
            organisation=org,
        )
    say(f"Created organisation admin {user.username!r} for {org.name!r}.")
    return 0


def cmd_retention_due(ns: argparse.Namespace) -> int:
    """Files whose retention period has ended: listed for the organisation's decision."""
    setup_django()
    from yim.accounts.models import Organisation
    from yim.trajectories.models.retention import due_for_destruction, retention_years

    org = Organisation.objects.filter(name=ns.organisation).first()
    if org is None:
        return fail(f"no organisation named {ns.organisation!r}.")
    due = list(due_for_destruction(org.pk).values_list("pk", "last_closed"))
    say(f"{len(due)} file(s) of {org.name!r} kept {retention_years()} years after care ended:")
    for file_number, last_closed in due:
        say(f"  file {file_number}: care ended {last_closed.isoformat()}")
    return 0


def cmd_retention_destroy(ns: argparse.Namespace) -> int:
    """Destroy one file whose retention period has ended (a tombstone and an audit entry)."""
    setup_django()
    from django.core.exceptions import ValidationError

    from yim.accounts.models import User
    from yim.trajectories.models import Youth
    from yim.trajectories.models.retention import ErasureBasis, erase_youth

    youth = Youth.objects.filter(pk=ns.file).first()
    if youth is None:
        return fail(f"no file {ns.file}.")
    by = User.objects.filter(username=ns.by, organisation_id=youth.organisation_id).first()
    if by is None:
        return fail(f"no account {ns.by!r} in the file's organisation (--by).")
    try:
        erase_youth(youth, by=by, basis=ErasureBasis.RETENTION_EXPIRED)
    except ValidationError as refused:
        return fail(" ".join(refused.messages))
    say(f"File {ns.file} destroyed; a tombstone and an audit entry remain.")
    return 0


def cmd_reminders(ns: argparse.Namespace) -> int:
    """Mail every professional and team lead whose work list has tasks due within a week or
    overdue: how many, and a link to the Start page (never youth data). Run it daily."""
    setup_django()
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from yim.accounts.mail import send_link_mail
    from yim.accounts.models import Role, User
    from yim.web.worklist import work_list

    week = dt.timedelta(days=7)
    staff = User.objects.filter(
        is_active=True, role__in=[Role.PROFESSIONAL, Role.TEAM_LEAD], case_access_pending=False
    ).exclude(email="")
    sent = failed = 0
    horizon = timezone.localdate() + week
    for user in staff.order_by("pk"):
        work = work_list(user)
        if work is None:
            continue
        count = sum(1 for i in work.items if i.overdue or (i.due_on and i.due_on <= horizon))
        if not count:
            continue
        result = send_link_mail(
            to=user.email,
            kind="reminder",
            link=settings.BASE_URL + "/home/",
            language=user.language,
            name=user.get_full_name() or user.username,
            count=count,
        )
        sent += result.ok
        failed += not result.ok
        if not result.ok:
            sys.stderr.write(f"reminder to {user.username} failed: {result.error}\n")
    say(f"Reminders sent: {sent}; failed: {failed}.")
    return 1 if failed else 0


def cmd_confirm_access(ns: argparse.Namespace) -> int:
    """The operator confirms a professional's or team lead's access to youth files, for an
    organisation's first team lead (no team lead exists yet who could confirm it)."""
    setup_django()
    from yim.accounts.models import User
    from yim.audit.log import record
    from yim.audit.models import Action

    user = User.objects.filter(username__iexact=ns.username).first()
    if user is None:
        return fail(f"no user named {ns.username!r}.")
    if not user.case_access_pending:
        say(f"{user.username!r} needs no confirmation.")
        return 0
    if not ns.reason.strip():
        return fail("give the reason with --reason (it is written to the audit log).")
    user.confirm_case_access(by=None)
    record(
        None,
        Action.USER_UPDATE,
        obj=user,
        organisation_id=user.organisation_id,
        actor_name="yim confirm-access",
        detail=f"access to youth files confirmed by the operator: {ns.reason.strip()[:300]}",
    )
    say(f"Confirmed: {user.username!r} can now open the youth files of their team.")
    return 0


def cmd_backup(ns: argparse.Namespace) -> int:
    setup_django()
    from yim import ops

    try:
        path = ops.backup(Path(ns.path))
    except ops.OperationError as exc:
        return fail(str(exc))
    say(f"Backup written to {path}")
    return 0


def cmd_restore(ns: argparse.Namespace) -> int:
    setup_django()
    from yim import ops

    try:
        kept = ops.restore(Path(ns.path))
    except ops.OperationError as exc:
        return fail(str(exc))
    if kept:
        say(f"The previous database was kept at {kept}.")
    say(f"Restored {ns.path}.")
    pending = ops.pending_migrations()
    if pending:
        say(f"The restored database is {len(pending)} migration(s) behind: run 'yim db upgrade'.")
    return 0


def cmd_check(ns: argparse.Namespace) -> int:
    setup_django()
    from yim import ops

    results = ops.deployment_checks()
    for result in results:
        say(f"[{'ok' if result.ok else 'FAIL'}] {result.name}: {result.message}")
    failed = [r for r in results if not r.ok]
    say(f"{len(results) - len(failed)} of {len(results)} checks passed.")
    return 1 if failed else 0


def cmd_manage(ns: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["yim manage", *ns.args])
    return 0


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if value < 1:
        raise argparse.ArgumentTypeError("keep at least 1 day")
    return value


def _youth_count(text: str) -> int:
    """``--youth N``: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("the demo needs at least 1 youth")
    return value


def _add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """``--host``, ``--port`` and ``--workers`` of the web server (``serve``, ``demo``)."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yim", description="yim — Youth Initiated Mentoring (JIM-aanpak) platform."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="run the web application")
    _add_server_arguments(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "demo",
        help="load the synthetic demo registry and run the server",
        description=(
            "Load the synthetic demo registry once (deterministic, seed 2026; events generated "
            "from processes, see docs/demo.md) and run the server."
        ),
    )
    _add_server_arguments(p)
    p.add_argument("--no-serve", action="store_true", help="load the data and stop")
    p.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start a background worker beside the server",
    )
    p.add_argument(
        "--youth",
        type=_youth_count,
        default=500,
        metavar="N",
        help="number of synthetic youth to generate (default 500; e.g. 50000 for benchmarks)",
    )
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("jobs", help="background work kept in the database")
    jsub = p.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    j = jsub.add_parser(
        "prune",
        help="delete finished background jobs and their files (e.g. export archives)",
        description=(
            "Delete background jobs that finished more than DAYS days ago, with the files their "
            "results keep (research-export archives). Waiting and running jobs stay. Run it "
            "daily from cron, like yim reminders."
        ),
    )
    j.add_argument(
        "--days", type=_days, default=90, metavar="DAYS", help="keep this many days (default 90)"
    )
    j.set_defaults(func=cmd_jobs_prune)

    p = sub.add_parser(
        "worker",
        help="run background work (analyses, exports, reports)",
        description=(
            "Take background jobs from the database and run them, one at a time, until stopped. "
            "Run as many workers, on as many machines, as the database serves."
        ),
    )
    p.add_argument("--batch", action="store_true", help="run the jobs waiting now, then stop")
    p.add_argument(
        "--interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="how often to look for new work when idle (default 1)",
    )
    p.add_argument("--verbosity", type=int, default=1, choices=(0, 1, 2, 3), help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("db", help="database schema")
    dbsub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = dbsub.add_parser("upgrade", help="apply pending migrations (SQLite is backed up first)")
    up.set_defaults(func=cmd_db_upgrade)

    p = sub.add_parser("createadmin", help="create an organisation admin")
    p.add_argument("--username", required=True)
    p.add_argument("--organisation", required=True, help="organisation name (created if new)")
    p.add_argument("--email", default="")
    p.set_defaults(func=cmd_createadmin)

    p = sub.add_parser(
        "reminders",
        help="e-mail staff how many tasks are due within a week (a link, no youth data)",
    )
    p.set_defaults(func=cmd_reminders)

    p = sub.add_parser("retention", help="files whose retention period has ended")
    rsub = p.add_subparsers(dest="retention_command", required=True)
    r = rsub.add_parser(
        "due", help="list the files kept YIM_RETENTION_YEARS years after care ended"
    )
    r.add_argument("--organisation", required=True, help="organisation name")
    r.set_defaults(func=cmd_retention_due)
    r = rsub.add_parser(
        "destroy", help="destroy one file whose retention period has ended (audited)"
    )
    r.add_argument("file", type=int, help="the file number")
    r.add_argument("--by", required=True, help="user name of the admin who decided")
    r.set_defaults(func=cmd_retention_destroy)

    p = sub.add_parser(
        "confirm-access",
        help="confirm a professional's or team lead's access to youth files (audited)",
        description=(
            "An account an organisation admin made or changed opens youth files only once a "
            "team lead confirms it. For an organisation's first team lead, the operator "
            "confirms it here."
        ),
    )
    p.add_argument("username")
    p.add_argument("--reason", required=True, help="why (written to the audit log)")
    p.set_defaults(func=cmd_confirm_access)

    p = sub.add_parser("backup", help="write an online backup of the database to PATH")
    p.add_argument("path")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="replace the database with the backup at PATH")
    p.add_argument("path")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("check", help="deployment self-check (exit 1 when a check fails)")
    p.set_defaults(func=cmd_check)

    from yim.audit.cli import add_audit_parser

    add_audit_parser(sub)

    from yim.research.meta_cli import add_meta_parser

    add_meta_parser(sub)

    from yim.research.evidence_cli import add_evidence_parser

    add_evidence_parser(sub)

    p = sub.add_parser("manage", help="run a Django management command")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    ns = parser.parse_args(argv)
    return int(ns.func(ns) or 0)


if __name__ == "__main__":
    raise SystemExit(main())

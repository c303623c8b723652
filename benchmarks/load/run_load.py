"""Load test: locust against several ``yim serve`` processes on PostgreSQL, and the audit log.

Usage (from the repository root; locust is not a project dependency)::

    python3 -m venv /tmp/locust-venv && /tmp/locust-venv/bin/pip install locust
    .venv/bin/python benchmarks/load/run_load.py --throwaway-postgres \\
        --locust /tmp/locust-venv/bin/locust --youth 2000 --users 50 --seconds 90
    # or a PostgreSQL database of your own (never a test_* one):
    YIM_DATABASE_URL=postgresql://user@127.0.0.1/yim_load .venv/bin/python \\
        benchmarks/load/run_load.py --locust /tmp/locust-venv/bin/locust --youth 50000

1. With ``--throwaway-postgres``, starts a private PostgreSQL cluster on 127.0.0.1 the way
   the tests do (``scripts/throwaway-postgres.sh``) with a database ``yim_load`` of its own,
   and removes it afterwards; otherwise ``YIM_DATABASE_URL`` must name a PostgreSQL
   database (not ``test_*``).
2. Builds the synthetic demo registry there (``yim demo --youth N --no-serve``; once per
   database) with the demo settings and two-factor sign-in off (``YIM_REQUIRE_2FA=0``).
3. Runs the real server, ``yim serve --workers W`` (gunicorn, W sync worker processes), on
   loopback, and locust headless against it (``locustfile.py``: ``--users`` simulated users,
   professional / team lead / portal youth 5 : 2 : 3, each signing in once and reading pages
   with a think time of 2–6 s) for ``--seconds`` seconds.
4. Reports per page: requests, failures, p50 / p95 / p99 and requests per second (locust's
   figures), and checks the audit log: the ``view`` rows written during the run, sorted by
   page, must equal the successful requests of each page that reads a youth's file
   (``audited.AUDITED_VIEWS``) — exactly one row per read, none lost, none doubled —
   and ``yim audit verify`` must find the hash chain intact after the concurrent writers.

Not a test: nothing here asserts a time. Exit status 1 when there were failed requests or
the audit rows do not match.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
YIM = str(Path(sys.executable).with_name("yim"))
sys.path.insert(0, str(HERE))
from audited import AUDITED_VIEWS  # noqa: E402


def environment(data_dir: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        YIM_DATA_DIR=str(data_dir),
        YIM_DATABASE_URL=database_url,
        YIM_DEMO="1",
        YIM_REQUIRE_2FA="0",
        YIM_DEBUG="0",
        YIM_SSL_REDIRECT="0",
        YIM_ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    return env


def throwaway_postgres() -> tuple[subprocess.Popen, str]:
    """A private cluster held by a shell: closing its stdin stops the cluster and removes it."""
    script = (
        "source scripts/throwaway-postgres.sh >&2 || exit 1; "
        "trap stop_throwaway_postgres EXIT; "
        'run_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres yim_load || exit 1; '
        'echo "${YIM_TEST_POSTGRES_URL%/yim}/yim_load"; cat >/dev/null'
    )
    holder = subprocess.Popen(
        ["bash", "-c", script], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    url = holder.stdout.readline().strip()
    if not url.startswith("postgresql://"):
        raise SystemExit("the throwaway PostgreSQL cluster did not start")
    return holder, url


def django_json(code: str, env: dict[str, str]) -> dict:
    """Run ``code`` (which prints one JSON line last) with Django set up on ``env``."""
    prelude = "import json\nfrom yim.cli import setup_django\nsetup_django()\n"
    out = subprocess.run(
        [sys.executable, "-c", prelude + code], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def audit_mark(env: dict[str, str]) -> dict:
    return django_json(
        "from django.db.models import Max\nfrom yim.audit.models import AuditEvent\n"
        "from yim.trajectories.models import Youth\n"
        "print(json.dumps(dict(last=AuditEvent.objects.aggregate(m=Max('id'))['m'] or 0,"
        " youth=Youth.objects.count())))",
        env,
    )


def audit_views_since(last: int, env: dict[str, str]) -> dict:
    """The ``view`` rows written after row ``last``, sorted into the locustfile's kinds."""
    code = f"""
from collections import Counter
from yim.audit.models import AuditEvent
kinds = Counter()
rows = AuditEvent.objects.filter(id__gt={last}, action="view")
for detail, object_type in rows.values_list("detail", "object_type"):
    if detail == "trajectory page":
        kinds["trajectory page"] += 1
    elif detail == "portal home":
        kinds["portal home"] += 1
    elif detail.startswith("portal "):
        kinds["portal file"] += 1
    elif detail == "" and object_type == "youth":
        kinds["youth page"] += 1
    else:
        kinds["other: " + detail] += 1
print(json.dumps(dict(kinds=kinds, all=AuditEvent.objects.filter(id__gt={last}).count())))
"""
    return django_json(code, env)


def wait_for(url: str, server: subprocess.Popen, log: Path) -> None:
    for _ in range(300):
        if server.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url + "/accounts/login/", timeout=5) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"the server did not start; see {log}")


def percentile(times: dict[str, int], count: int, share: float) -> float:
    """Locust's response-time histogram (milliseconds, rounded as locust rounds) → percentile."""
    need = max(1, math.ceil(share * count))
    seen = 0
    for ms in sorted(times, key=float):
        seen += times[ms]
        if seen >= need:
            return float(ms)
    return 0.0


def read_stats(prefix: Path) -> dict[str, dict]:
    """Per request name from locust's final statistics (``--json-file``), and all together."""
    entries = json.loads(Path(f"{prefix}.json").read_text())
    pages: dict[str, dict] = {}
    everything: dict[str, int] = {}
    elapsed = max(e["last_request_timestamp"] for e in entries) - min(
        e["start_time"] for e in entries
    )
    for e in entries:
        for ms, n in e["response_times"].items():
            everything[ms] = everything.get(ms, 0) + n
    for name, e in [(e["name"], e) for e in entries] + [
        (
            "Aggregated",
            {
                "num_requests": sum(e["num_requests"] for e in entries),
                "num_failures": sum(e["num_failures"] for e in entries),
                "max_response_time": max(e["max_response_time"] for e in entries),
                "response_times": everything,
            },
        )
    ]:
        n = e["num_requests"]
        pages[name] = {
            "requests": n,
            "failures": e["num_failures"],
            "p50_ms": percentile(e["response_times"], n, 0.50),
            "p95_ms": percentile(e["response_times"], n, 0.95),
            "p99_ms": percentile(e["response_times"], n, 0.99),
            "max_ms": float(e["max_response_time"]),
            "rps": n / elapsed if elapsed else 0.0,
        }
    return pages


def read_failures(prefix: Path) -> list[dict]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--youth", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=1, help="users started per second")
    parser.add_argument("--seconds", type=int, default=90, help="duration of the locust run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--data-dir", type=Path, help="default /tmp/yim-load-N")
    parser.add_argument("--locust", default=shutil.which("locust") or "locust")
    parser.add_argument("--throwaway-postgres", action="store_true")
    parser.add_argument("--json", type=Path, help="write the figures here")
    ns = parser.parse_args()

    holder = None
    if ns.throwaway_postgres:
        holder, database_url = throwaway_postgres()
    else:
        database_url = os.environ.get("YIM_DATABASE_URL", "")
    name = database_url.rsplit("/", 1)[-1].split("?")[0]
    if not database_url.startswith("postgres") or name.startswith("test_"):
        raise SystemExit("give --throwaway-postgres or YIM_DATABASE_URL=postgresql://… (no test_*)")
    data_dir = ns.data_dir or Path(f"/tmp/yim-load-{ns.youth}")
    data_dir.mkdir(parents=True, exist_ok=True)
    env = environment(data_dir, database_url)
    host = f"http://127.0.0.1:{ns.port}"
    prefix = data_dir / "locust"
    server = None
    try:
        print(f"building the demo registry of {ns.youth} youth on PostgreSQL ({name}) …")
        started = time.perf_counter()
        subprocess.run([YIM, "demo", "--youth", str(ns.youth), "--no-serve"], env=env, check=True)
        print(f"built/checked in {time.perf_counter() - started:.0f} s")
        log = data_dir / "server.log"
        server = subprocess.Popen(
            [YIM, "serve", "--port", str(ns.port), "--workers", str(ns.workers)],
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_for(host, server, log)
        mark = audit_mark(env)
        locust_env = {k: v for k, v in env.items() if not k.startswith("YIM_DATABASE")}
        subprocess.run(
            [
                ns.locust,
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "--users",
                str(ns.users),
                "--spawn-rate",
                str(ns.spawn_rate),
                "--run-time",
                f"{ns.seconds}s",
                "--stop-timeout",
                "30",
                "--host",
                host,
                "--csv",
                str(prefix),
                "--json-file",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env=locust_env,
            check=False,  # locust exits 1 when a request failed; the report says which
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
    try:
        audit = audit_views_since(mark["last"], env)
        verify = subprocess.run(
            [YIM, "audit", "verify"], env=env, capture_output=True, text=True, check=False
        )
    finally:
        if holder is not None:
            assert holder.stdin is not None
            holder.stdin.close()
            holder.wait(timeout=60)

    pages = read_stats(prefix)
    failures = read_failures(prefix)
    total = pages.pop("Aggregated")
    wait = f"{os.environ.get('LOAD_WAIT_MIN', '2')}–{os.environ.get('LOAD_WAIT_MAX', '6')} s"
    print(
        f"\n{mark['youth']} youth, PostgreSQL, {ns.workers} gunicorn workers, {ns.users} users "
        f"(think time {wait}), {ns.seconds} s"
    )
    print("| page | requests | failures | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | req/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for page, r in sorted(pages.items()):
        print(
            f"| {page} | {r['requests']} | {r['failures']} | {r['p50_ms']:.0f} | "
            f"{r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['max_ms']:.0f} | {r['rps']:.1f} |"
        )
    print(
        f"| **all** | {total['requests']} | {total['failures']} | {total['p50_ms']:.0f} | "
        f"{total['p95_ms']:.0f} | {total['p99_ms']:.0f} | {total['max_ms']:.0f} | "
        f"{total['rps']:.1f} |"
    )
    for failure in failures:
        print(f"failure: {failure}")

    expected: dict[str, int] = {}
    for request_name, kind in AUDITED_VIEWS.items():
        r = pages.get(request_name, {"requests": 0, "failures": 0})
        expected[kind] = expected.get(kind, 0) + r["requests"] - r["failures"]
    found = audit["kinds"]
    print("\n| read of a youth's file | successful requests | audit rows (view) |")
    print("|---|---:|---:|")
    for kind in sorted(set(expected) | set(found)):
        print(f"| {kind} | {expected.get(kind, 0)} | {found.get(kind, 0)} |")
    audit_ok = all(expected.get(k, 0) == found.get(k, 0) for k in set(expected) | set(found))
    print(
        f"audit rows written during the run (all actions): {audit['all']}; view rows "
        f"{'match' if audit_ok else 'DO NOT match'} the reads one to one"
    )
    print(verify.stdout.strip() or verify.stderr.strip())
    if ns.json:
        ns.json.write_text(
            json.dumps(
                {
                    "youth": mark["youth"],
                    "workers": ns.workers,
                    "users": ns.users,
                    "seconds": ns.seconds,
                    "pages": pages,
                    "all": total,
                    "failures": failures,
                    "audit": {"expected": expected, "found": found, "all": audit["all"]},
                    "audit_verify": verify.returncode == 0,
                },
                indent=2,
            )
        )
    ok = total["failures"] == 0 and audit_ok and verify.returncode == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

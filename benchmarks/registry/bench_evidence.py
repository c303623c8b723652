"""Benchmark: the evidence figures of a large registry, against the raw SQL aggregate.

Usage (from the repository root):

    .venv/bin/python benchmarks/registry/bench_evidence.py --youth 20000
    .venv/bin/python benchmarks/registry/bench_evidence.py --youth 100000 --keep /tmp/reg100k
    .venv/bin/python benchmarks/registry/bench_evidence.py --keep /tmp/reg100k      # reuse it
    .venv/bin/python benchmarks/registry/bench_evidence.py --youth 20000 \\
        --database-url postgresql://user@localhost/yim_bench                    # PostgreSQL

The registry is the synthetic demo registry (``yim.demo.registry.load``: events generated
from mechanisms, with monitoring waves and assessments), written once into a fresh database
— a temporary SQLite file, the ``--keep`` directory (reused when it already holds one), or
the PostgreSQL database named by ``--database-url`` (its tables are created if missing; an
already loaded registry is reused). Generating 100,000 youth takes most of an hour; keep it.

Measured, taking turns for ``--repeats`` rounds after one warm-up round, for the whole
organisation with the most trajectories:

* **raw aggregate** (the baseline): the one SQL query the time-to-JIM figures rest on, written
  by hand — per JIM-cohort trajectory its referral day, first acceptance, first "no JIM found"
  and closure day — with every row fetched;
* **summary**: ``summarise(scope)``, every figure of docs/evidence.md (what the page shows);
* **page**: ``GET /evidence/`` through the whole stack (middleware, session, policy, template,
  chart) with ``YIM_EVIDENCE_INLINE_LIMIT`` raised so the page calculates while it waits.

Reported: the median and best wall time, the median CPU time of this process
(``time.process_time``; on PostgreSQL the database's own work is not in it), the number of SQL
queries, the ratios of the summary and page medians to the baseline's (wall and CPU: on a busy
machine wall time includes waiting for a CPU), and the load average. ``--breakdown`` also
times each definition of the summary on its own (median CPU); ``--floor`` times the
summary's SQL statements alone on a plain cursor (the database's share). The goal of the
evidence issue is the page within 3× the raw aggregate and under 1 s on PostgreSQL. Not a
test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def configure(data_dir: Path, database_url: str | None) -> None:
    os.environ.update(
        YIM_DATA_DIR=str(data_dir),
        YIM_DATABASE_URL=database_url or f"sqlite:///{data_dir / 'registry.sqlite3'}",
        YIM_SECRET_KEY="benchmark-only-secret-" + "r" * 40,
        YIM_ALLOWED_HOSTS="testserver",
        YIM_SSL_REDIRECT="0",
        YIM_BASE_URL="http://127.0.0.1:8000",
        YIM_EVIDENCE_INLINE_LIMIT="100000000",
        DJANGO_SETTINGS_MODULE="yim.settings",
    )
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import yim.wsgi  # noqa: F401 - as a server worker starts (its objects set apart from the GC)


def load(youth: int) -> tuple[int, float]:
    from yim.demo import registry

    started = time.perf_counter()
    created = registry.load(youth_count=youth)
    return created, time.perf_counter() - started


def raw_aggregate(organisation_id: int, as_of: Any) -> int:
    from django.db import connection

    from yim.accounts.models import Team
    from yim.trajectories.models import Candidate, Closure, NoJimOutcome, Trajectory

    t, c = Trajectory._meta.db_table, Candidate._meta.db_table
    n, cl, team = NoJimOutcome._meta.db_table, Closure._meta.db_table, Team._meta.db_table
    sql = f"""
        SELECT t.id, t.referred_on,
               (SELECT MIN(c.response_on) FROM {c} c
                 WHERE c.trajectory_id = t.id AND c.response = 'accepted'
                   AND c.response_on <= %s),
               (SELECT MIN(n.recorded_on) FROM {n} n
                 WHERE n.trajectory_id = t.id AND n.recorded_on <= %s),
               cl.closed_on
          FROM {t} t
          JOIN {team} tm ON tm.id = t.team_id
          LEFT JOIN {cl} cl ON cl.trajectory_id = t.id
         WHERE t.cohort = 'jim' AND t.referred_on <= %s AND tm.organisation_id = %s
    """  # table names come from the models, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_of, as_of, as_of, organisation_id])
        return len(cursor.fetchall())


def breakdown(scope: Any, repeats: int) -> dict[str, float]:
    """The median CPU time of each definition the summary reads, on its own."""
    from yim.research.evidence import definitions as d
    from yim.research.evidence import summary

    found, closures = d.searches_and_closures(scope)
    follow_ups = d.due_follow_ups(scope)
    not_recorded = d.gate_and_not_recorded(scope)[1]
    parts = {  # what summarise() reads and computes, each part on its own
        "searches_and_closures": lambda: d.searches_and_closures(scope),
        "positioned_on": lambda: d.positioned_on(scope),
        "due_follow_ups": lambda: d.due_follow_ups(scope),
        "ambulatory": lambda: d.ambulatory(scope, found, follow_ups, not_recorded),
        "continuation": lambda: d.continuation(scope, follow_ups, closures),
        "gate_and_not_recorded": lambda: d.gate_and_not_recorded(scope),
        "feedback": lambda: d.feedback(scope),
        "estimators": lambda: (
            summary.time_to_jim_curves(scope, found=found),
            summary._time_to_jim(found, summary.DEFAULT_THRESHOLD),
        ),
    }
    result = {}
    for name, work in parts.items():
        work()
        times = []
        for _ in range(repeats):
            cpu = time.process_time()
            work()
            times.append(time.process_time() - cpu)
        result[name] = statistics.median(times)
    return result


def floor(scope: Any, repeats: int) -> dict[str, Any]:
    """The database's own share of the summary: each SQL statement ``summarise(scope)`` runs,
    executed again on a plain cursor with every row fetched (no ORM, no Python on the rows),
    median CPU per statement over ``repeats``. On SQLite (the database works in this process)
    their sum is the least any code could spend on these reads with this schema.

    The statements are re-run from the query log, where the parameters are already written
    in: fine for a measurement, never for application code.
    """
    from django.conf import settings
    from django.db import connection, reset_queries

    from yim.research.evidence.summary import summarise

    debug = settings.DEBUG
    settings.DEBUG = True
    reset_queries()
    summarise(scope)
    # Only the reads: on PostgreSQL the summary's snapshot adds BEGIN, SET TRANSACTION and
    # COMMIT to the log (definitions.base.one_snapshot), which return no rows.
    statements = [
        q["sql"] for q in connection.queries if q["sql"].lstrip().upper().startswith("SELECT")
    ]
    settings.DEBUG = debug
    result = []
    for sql in statements:
        times, walls, rows = [], [], 0
        for _ in range(repeats + 1):
            wall, cpu = time.perf_counter(), time.process_time()
            with connection.cursor() as cursor:
                cursor.execute(sql)
                rows = len(cursor.fetchall())
            times.append(time.process_time() - cpu)
            walls.append(time.perf_counter() - wall)
        result.append(
            {
                "sql": sql[:90],
                "rows": rows,
                "cpu_s": statistics.median(times[1:]),
                "wall_s": statistics.median(walls[1:]),
            }
        )
    return {
        "statements": result,
        "cpu_s": sum(r["cpu_s"] for r in result),
        "wall_s": sum(r["wall_s"] for r in result),
    }


def measure(label: str, work: Any, rounds: list[dict[str, Any]]) -> None:
    from django.db import connection, reset_queries

    reset_queries()
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    rounds.append(
        {
            "what": label,
            "wall": time.perf_counter() - wall,
            "cpu": time.process_time() - cpu,
            "queries": len(connection.queries),
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--youth", type=int, default=20000, help="youth to generate (default 20000)"
    )
    parser.add_argument("--keep", type=Path, help="directory for the SQLite registry (reused)")
    parser.add_argument("--database-url", help="a PostgreSQL database instead of SQLite")
    parser.add_argument("--repeats", type=int, default=5, help="measured rounds (default 5)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--breakdown", action="store_true", help="also time each definition (median CPU)"
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also time the summary's SQL statements alone on a plain cursor (median CPU)",
    )
    ns = parser.parse_args(argv)

    data_dir = ns.keep or Path(tempfile.mkdtemp(prefix="yim-bench-registry-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    configure(data_dir, ns.database_url)

    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from yim.accounts.models import Role, User
    from yim.accounts.twofactor import SESSION_VERIFIED_KEY
    from yim.demo.common import DEMO_TODAY
    from yim.monitoring.models import Assessment
    from yim.research.evidence.definitions import Scope
    from yim.research.evidence.summary import summarise
    from yim.trajectories.models import Trajectory

    created, seconds = load(ns.youth)
    if created:
        print(f"generated {created} youth in {seconds:.0f} s")
    busiest = (
        Trajectory.objects.values("team__organisation_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    assert busiest is not None, "the registry is empty"
    organisation_id = busiest["team__organisation_id"]
    researcher = User.objects.filter(role=Role.RESEARCHER, organisation_id=organisation_id).first()
    assert researcher is not None, "the demo has no researcher in that organisation"
    client = Client()
    client.force_login(researcher)
    session = client.session
    session[SESSION_VERIFIED_KEY] = True
    session.save()
    scope = Scope(as_of=DEMO_TODAY, organisation_id=organisation_id)

    settings.DEBUG = True  # record queries (connection.queries)
    works = {
        "raw aggregate": lambda: raw_aggregate(organisation_id, DEMO_TODAY),
        "summary": lambda: summarise(scope),
        "page": lambda: client.get("/evidence/", {"as_of": DEMO_TODAY.isoformat()}),
    }
    rounds: list[dict[str, Any]] = []
    for _ in range(ns.repeats + 1):
        for label, work in works.items():
            measure(label, work, rounds)
    rounds = rounds[len(works) :]  # the warm-up round is not counted
    figures: dict[str, Any] = {
        "engine": connection.vendor,
        "youth": Trajectory.objects.values("youth").distinct().count(),
        "trajectories_in_scope": summarise(scope)["n_trajectories"],
        "trajectories": Trajectory.objects.count(),
        "assessments": Assessment.objects.count(),
        "repeats": ns.repeats,
        "results": {},
    }
    for label in works:
        mine = [r for r in rounds if r["what"] == label]
        figures["results"][label] = {
            "median_s": statistics.median(r["wall"] for r in mine),
            "best_s": min(r["wall"] for r in mine),
            "cpu_median_s": statistics.median(r["cpu"] for r in mine),
            "queries": mine[-1]["queries"],
        }
    base = figures["results"]["raw aggregate"]["median_s"]
    base_cpu = figures["results"]["raw aggregate"]["cpu_median_s"]
    for label in ("summary", "page"):
        r = figures["results"][label]
        r["ratio_to_raw"] = r["median_s"] / base
        # On a busy machine wall time includes waiting for a CPU; CPU time does not (on
        # SQLite it includes the database's work, on PostgreSQL only this process's).
        r["cpu_ratio_to_raw"] = r["cpu_median_s"] / base_cpu if base_cpu else None
    figures["load_average"] = os.getloadavg()

    print(
        f"{figures['engine']}: {figures['trajectories']} trajectories, "
        f"{figures['assessments']} assessments; scope: {figures['trajectories_in_scope']} "
        f"JIM-cohort trajectories of one organisation; {ns.repeats} rounds; load average "
        f"{figures['load_average'][0]:.1f}"
    )
    print(
        f"{'':16}{'median':>10}{'best':>10}{'cpu':>10}{'queries':>9}{'× raw':>8}{'cpu × raw':>11}"
    )
    for label, r in figures["results"].items():
        ratio = f"{r['ratio_to_raw']:.1f}" if "ratio_to_raw" in r else "1.0"
        cpu_ratio = r.get("cpu_ratio_to_raw")
        cpu_text = f"{cpu_ratio:.1f}" if cpu_ratio is not None else "1.0"
        print(
            f"{label:16}{r['median_s']:>9.3f}s{r['best_s']:>9.3f}s{r['cpu_median_s']:>9.3f}s"
            f"{r['queries']:>9}{ratio:>8}{cpu_text:>11}"
        )
    if ns.breakdown:
        figures["breakdown_cpu_s"] = breakdown(scope, ns.repeats)
        print("median CPU per definition (the summary's parts):")
        for name, seconds in figures["breakdown_cpu_s"].items():
            print(f"  {name:22}{seconds:>9.3f}s")
    if ns.floor:
        figures["floor"] = floor(scope, ns.repeats)
        low = figures["floor"]
        print("the summary's SQL alone, plain cursor, every row fetched (median wall, CPU):")
        for r in low["statements"]:
            print(
                f"  {r['wall_s']:>7.3f}s {r['cpu_s']:>7.3f}s {r['rows']:>7} rows  {r['sql'][:50]}"
            )
        print(
            f"  {low['wall_s']:>7.3f}s {low['cpu_s']:>7.3f}s in all: "
            f"{low['wall_s'] / base:.1f}× raw (wall)"
            + (f", {low['cpu_s'] / base_cpu:.1f}× raw (CPU)" if base_cpu else "")
        )
    if ns.json:
        ns.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

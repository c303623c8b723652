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
times each definition of the summary on its own (median CPU). The goal of the
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

    found = d.searches(scope)
    parts = {
        "searches": lambda: d.searches(scope),
        "positioned_on": lambda: d.positioned_on(scope),
        "due_follow_ups": lambda: d.due_follow_ups(scope),
        "ambulatory": lambda: d.ambulatory(scope, found, []),
        "continuation": lambda: d.continuation(scope, []),
        "gate": lambda: d.gate(scope),
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
    if ns.json:
        ns.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

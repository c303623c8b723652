"""Where a case page spends its time, in-process: queries, SQL time, template time, the rest.

Usage (from the repository root, after ``bench_pages.py`` built the registry):

    .venv/bin/python benchmarks/web/profile_pages.py --youth 10000
    .venv/bin/python benchmarks/web/profile_pages.py --youth 10000 --cprofile trajectory

Signs in the demo team lead (Django's test client, no server) and requests each page of
``bench_pages.py`` ``--repeat`` times: per page the median CPU time of this process (SQLite
runs in it; CPU time holds up on a busy machine where wall time does not), the median wall
time (on PostgreSQL the database's work is only in this one), the number of
queries, the time spent in the database driver (SQL), in rendering templates (queries a
template runs count in both), and the rest (Python: the view, building and compiling ORM
queries, model objects, middleware). ``--richest`` (or ``--trajectory ID``) profiles a fuller
file than the median one: the team's trajectory whose youth has the most meetings, candidates
and placement decisions. ``--cprofile PAGE`` prints the functions of one page
that take the most time (``PROFILE_SORT=tottime``, ``PROFILE_LINES=100`` in the environment
change the order and the length). Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pages import USER, environment, pick_case


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--youth", type=int, default=10000)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--cprofile", help="a page name: print its hottest functions")
    parser.add_argument(
        "--trajectory",
        type=int,
        help="profile this trajectory (of the team lead's team) and its youth instead of the "
        "registry's median open trajectory",
    )
    parser.add_argument(
        "--richest",
        action="store_true",
        help="profile the team's trajectory whose youth has the most records instead",
    )
    ns = parser.parse_args()
    data_dir = ns.data_dir or Path(f"/tmp/yim-bench-web-{ns.youth}")
    env = environment(data_dir)
    case = pick_case(env)
    os.environ.update(env)

    from yim.cli import setup_django

    setup_django()
    if ns.trajectory or ns.richest:
        case = chosen_case(ns.trajectory)
    from django.db import connection
    from django.template.backends.django import Template
    from django.test import Client

    from yim.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=USER))
    pages = {
        "plain": "/me/",
        "youth": f"/youth/{case['youth']}/",
        "trajectory": f"/trajectories/{case['trajectory']}/",
        "overview": "/trajectories/overview/",
        "overview_overdue": "/trajectories/overview/?overdue=on&sort=youth",
        "home": "/home/",
    }
    spent = {"sql": 0.0, "template": 0.0, "queries": 0}

    def timed_sql(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.process_time()
        try:
            return execute(sql, params, many, context)
        finally:
            spent["sql"] += time.process_time() - started
            spent["queries"] += 1

    render = Template.render
    depth = [0]

    def timed_render(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        depth[0] += 1
        started = time.process_time()
        try:
            return render(self, *args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                spent["template"] += time.process_time() - started

    Template.render = timed_render  # type: ignore[method-assign]
    print(f"{ns.youth} youth; {case}")
    print("| page | CPU (ms) | wall (ms) | queries | SQL (ms) | template (ms) | rest (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with connection.execute_wrapper(timed_sql):
        for name, path in pages.items():
            assert client.get(path).status_code == 200, path
            rows = []
            for _ in range(ns.repeat):
                spent.update(sql=0.0, template=0.0, queries=0)
                started, clock = time.process_time(), time.perf_counter()
                response = client.get(path)
                cpu, wall = time.process_time() - started, time.perf_counter() - clock
                assert response.status_code == 200, path
                rows.append((cpu, wall, spent["sql"], spent["template"], spent["queries"]))
            cpu, wall, sql, template, queries = (
                statistics.median(c) for c in zip(*rows, strict=True)
            )
            rest = cpu - sql - template
            print(
                f"| {name} | {cpu * 1000:.1f} | {wall * 1000:.1f} | {queries:.0f} "
                f"| {sql * 1000:.1f} | {template * 1000:.1f} | {rest * 1000:.1f} |"
            )
            if ns.cprofile == name:
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(ns.repeat):
                    client.get(path)
                profile.disable()
                stats = pstats.Stats(profile)
                stats.sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
                stats.print_stats(int(os.environ.get("PROFILE_LINES", "45")))
    return 0


def chosen_case(trajectory_id: int | None) -> dict[str, int]:
    """The trajectory ``trajectory_id`` and its youth, or (None) the team lead's team's
    trajectory whose youth has the most timeline records (meetings, candidates, decisions)."""
    from django.db.models import Count

    from yim.accounts.models import User
    from yim.trajectories.models import Trajectory

    trajectories = Trajectory.objects.filter(team_id=User.objects.get(username=USER).team_id)
    if trajectory_id is None:
        trajectory_id = (
            trajectories.annotate(
                records=Count("youth__trajectories__meetings", distinct=True)
                + Count("youth__trajectories__candidates", distinct=True)
                + Count("youth__trajectories__placement_decisions", distinct=True)
            )
            .order_by("-records", "pk")
            .values_list("pk", flat=True)
            .first()
        )
    trajectory = trajectories.get(pk=trajectory_id)
    return {"trajectory": trajectory.pk, "youth": trajectory.youth_id}


if __name__ == "__main__":
    raise SystemExit(main())

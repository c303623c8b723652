"""Benchmark: the Start page's work list (``yim.web.worklist.work_list``) in-process.

Usage (from the repository root), on a registry that ``bench_pages.py`` built:

    .venv/bin/python benchmarks/web/bench_worklist.py --data-dir /tmp/yim-bench-web-10000
    .venv/bin/python benchmarks/web/bench_worklist.py --data-dir … --compare old_worklist.py

For the demo team lead ``lead.noord`` and the professional of that team with the most open
trajectories: the work list's CPU time (median of ``--repeats`` calls after a warm-up,
``time.process_time``) and its number of queries. With ``--compare FILE`` (another version
of ``yim/web/worklist.py``, e.g. ``git show HEAD:src/yim/web/worklist.py > old.py``) the same
for that version, whether both give the same work list, and the ratio. It only reads. Not a
test: nothing here asserts a time; the query counts are asserted in
``tests/web/test_work_list_scale.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"worklist_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def measure(work_list: Any, user: Any, repeats: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    work_list(user)  # warm-up
    times = []
    for _ in range(repeats):
        started = time.process_time()
        work_list(user)
        times.append(time.process_time() - started)
    with CaptureQueriesContext(connection) as captured:
        result = work_list(user)
    return {
        "cpu_ms": round(statistics.median(times) * 1000, 1),
        "queries": len(captured),
        "items": len(result.items) + result.more,
        "result": result,
    }


def pages(lead: Any, versions: dict[str, Any], repeats: int) -> dict[str, Any]:
    """CPU per request, in-process through Django's test client, of the team lead's start
    page ``/home/`` (with each version of the work list) and of the plain ``/me/``, and the
    plain page's CPU over the start page's (the throughput ratio of a CPU-bound server)."""
    from django.test import Client

    from yim.web import views

    client = Client()
    client.force_login(lead)

    def cpu(path: str) -> float:
        assert client.get(path).status_code == 200  # warm-up
        times = []
        for _ in range(repeats):
            started = time.process_time()
            client.get(path)
            times.append(time.process_time() - started)
        return statistics.median(times) * 1000

    found: dict[str, Any] = {"plain_me_cpu_ms": round(cpu("/me/"), 1)}
    original = views.work_list
    try:
        for name, work_list in versions.items():
            views.work_list = work_list
            home = cpu("/home/")
            found[f"home_{name}_cpu_ms"] = round(home, 1)
            found[f"home_{name}_cpu_ratio"] = f"{found['plain_me_cpu_ms'] / home:.0%}"
    finally:
        views.work_list = original
    return found


def same(one: Any, other: Any) -> bool:
    """The same items, remainder and figures (the two versions' classes differ)."""
    return (
        [dataclasses.astuple(i) for i in one.items],
        one.more,
        one.figures,
    ) == ([dataclasses.astuple(i) for i in other.items], other.more, other.figures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--compare", type=Path, help="another version of worklist.py")
    parser.add_argument(
        "--pages",
        action="store_true",
        help="also the team lead's /home/ against /me/ in-process (signs in: writes a session)",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.update(  # the settings of bench_pages.py
        YIM_DATA_DIR=str(args.data_dir),
        YIM_DEMO="1",
        YIM_DEBUG="0",
        YIM_REQUIRE_2FA="0",
        YIM_SSL_REDIRECT="0",
        YIM_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
    )
    sys.path.insert(0, str(ROOT / "src"))
    from yim.cli import setup_django

    setup_django()
    from django.db.models import Count
    from django.utils import translation

    from yim.accounts.models import User
    from yim.trajectories.models import Trajectory
    from yim.web import worklist

    lead = User.objects.get(username="lead.noord")
    busiest = (
        Trajectory.objects.filter(youth__team_id=lead.team_id, closed_at__isnull=True)
        .values("professional_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    professional = User.objects.get(pk=busiest["professional_id"]) if busiest else None
    versions = {"current": worklist.work_list}
    if args.compare:
        versions["compared"] = load(args.compare).work_list
    report: dict[str, Any] = {}
    with translation.override("nl"):
        for who, user in (("team_lead", lead), ("professional", professional)):
            if user is None:
                continue
            open_ = Trajectory.objects.filter(
                closed_at__isnull=True,
                cohort="jim",
                **(
                    {"youth__team_id": lead.team_id}
                    if who == "team_lead"
                    else {"youth__team_id": lead.team_id, "professional": user}
                ),
            ).count()
            found = {name: measure(fn, user, args.repeats) for name, fn in versions.items()}
            line: dict[str, Any] = {"open_trajectories": open_}
            for name, figures in found.items():
                line[name] = {k: v for k, v in figures.items() if k != "result"}
            if "compared" in found:
                line["same_work_list"] = same(
                    found["current"]["result"], found["compared"]["result"]
                )
                line["cpu_ratio_compared_over_current"] = round(
                    found["compared"]["cpu_ms"] / max(found["current"]["cpu_ms"], 0.1), 1
                )
            report[who] = line
            print(who, json.dumps(line))
    if args.pages:
        report["pages"] = pages(lead, versions, args.repeats)
        print("pages", json.dumps(report["pages"]))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

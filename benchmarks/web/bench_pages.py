"""Benchmark: the team overview and the case pages against a plain signed-in page.

Usage (from the repository root):

    .venv/bin/python benchmarks/web/bench_pages.py --youth 2000
    .venv/bin/python benchmarks/web/bench_pages.py --youth 10000 --rounds 5 --json out.json
    YIM_DATABASE_URL=postgres://…/yim_bench_web .venv/bin/python benchmarks/web/bench_pages.py

1. Builds (once per data directory) the synthetic demo registry with ``yim demo --youth N
   --no-serve``: six teams, so a team holds about N / 6 youth. The data directory defaults
   to ``/tmp/yim-bench-web-N`` (never the user's); ``YIM_DATABASE_URL`` in the environment
   points it at a PostgreSQL database of your own instead (never a ``test_*`` one).
2. Runs the real server, ``yim serve`` (gunicorn, ``--workers`` sync workers), with the demo
   settings and two-factor sign-in off (``YIM_REQUIRE_2FA=0``).
3. Signs in through the login form as the demo team lead ``lead.noord`` (one session cookie
   for all clients) and measures, page after page:

   * ``plain``: the account page ``/me/``, the baseline — a signed-in page through the same
     stack (session, middleware, audit-free template) with no caseload on it;
   * ``overview``: the team overview ``/trajectories/overview/`` (default sort: next
     evaluation; every open trajectory of the team is ordered, one page of 25 is shown);
   * ``overview_overdue``: the same, "overdue only", sorted by youth;
   * ``youth``: the youth page ``/youth/<id>/`` of an open trajectory of the team;
   * ``trajectory``: that trajectory's page ``/trajectories/<id>/``;
   * ``home``: the team lead's start page ``/home/`` with its work list (for comparison: it
     is no plain page — the work list reads the whole team's open trajectories).

   For each page: the latency of one user alone (median of ``--single`` requests after a
   warm-up), then ``--clients`` concurrent clients (threads, a new ``http.client`` connection
   per request) for ``--seconds`` seconds, the pages taking turns for ``--rounds`` rounds (so
   a busy moment of the machine slows them alike): throughput (requests per second), median
   and 95th percentile latency, and the server's CPU time per request (from ``/proc``: the
   gunicorn master and workers only, so other work on a shared machine does not count). Each
   page's throughput is given as a ratio to the plain page's in the same run, and so is its
   CPU per request (the plain page's CPU per request over the page's: the throughput ratio a
   CPU-bound server reaches on an otherwise idle machine). The clients share the machine with
   the server; every page pays that alike.

Not a test: nothing here asserts a time. The query counts are asserted in
``tests/trajectories/test_overview_scale.py`` and ``tests/trajectories/test_case_page_queries.py``.
Where a page spends its time in-process (queries, SQL, templates, the rest):
``profile_pages.py``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
YIM = str(Path(sys.executable).with_name("yim"))
USER = "lead.noord"
PASSWORD = os.environ.get("YIM_DEMO_PASSWORD", "demo-wachtwoord-2026")


def environment(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        YIM_DATA_DIR=str(data_dir),
        YIM_DEMO="1",
        YIM_REQUIRE_2FA="0",
        YIM_DEBUG="0",
        YIM_SSL_REDIRECT="0",
        YIM_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
    )
    return env


def build(youth: int, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([YIM, "demo", "--youth", str(youth), "--no-serve"], env=env, check=True)
    return time.perf_counter() - started


def pick_case(env: dict[str, str]) -> dict[str, int]:
    """An open trajectory of the team lead's team (the median by id) and the team's size."""
    code = f"""
import json
from yim.cli import setup_django
setup_django()
from yim.accounts.models import User
from yim.trajectories.models import Trajectory, Youth
lead = User.objects.get(username={USER!r})
open_ = Trajectory.objects.filter(youth__team_id=lead.team_id, closed_at__isnull=True)
ids = list(open_.order_by("pk").values_list("pk", "youth_id"))
pk, youth = ids[len(ids) // 2]
print(json.dumps(dict(trajectory=pk, youth=youth, team_open=len(ids),
    team_youth=Youth.objects.filter(team_id=lead.team_id).count(),
    all_youth=Youth.objects.count())))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def request(port: int, path: str, cookie: str = "", method: str = "GET", body: str = "") -> tuple:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Cookie": cookie} if cookie else {}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Origin"] = f"http://127.0.0.1:{port}"
    conn.request(method, path, body=body or None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    cookies = response.headers.get_all("Set-Cookie") or []
    conn.close()
    return response.status, data, cookies


def sign_in(port: int) -> str:
    status, page, cookies = request(port, "/accounts/login/")
    csrf_cookie = next(c.split(";")[0] for c in cookies if c.startswith("csrftoken="))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    body = urllib.parse.urlencode(
        {"username": USER, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1).decode()}
    )
    status, _, cookies = request(port, "/accounts/login/", csrf_cookie, "POST", body)
    session = [c.split(";")[0] for c in cookies if c.startswith("sessionid=")]
    assert status == 302 and session, f"sign-in failed ({status})"
    return "; ".join([csrf_cookie, *session])


def start_server(port: int, workers: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [YIM, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(300):
        try:
            if request(port, "/accounts/login/")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"the server did not start; see {log}")


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) of the server: the gunicorn master and its workers.
    Other work on the machine does not count here, unlike in the wall times."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def single(port: int, path: str, cookie: str, n: int) -> float:
    request(port, path, cookie)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        status, _, _ = request(port, path, cookie)
        times.append(time.perf_counter() - started)
        assert status == 200, (path, status)
    return statistics.median(times) * 1000


def concurrent(port: int, path: str, cookie: str, clients: int, seconds: float, pid: int) -> dict:
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client() -> None:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            status, _, _ = request(port, path, cookie)
            took = time.perf_counter() - started
            with lock:
                (latencies if status == 200 else errors).append(took if status == 200 else status)

    cpu = server_cpu(pid)
    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "elapsed": time.perf_counter() - began,
        "cpu": server_cpu(pid) - cpu,
        "latencies": latencies,
        "errors": len(errors),
    }


def summary(windows: list[dict]) -> dict:
    latencies = sorted(x for w in windows for x in w["latencies"])
    requests = len(latencies)
    return {
        "requests": requests,
        "errors": sum(w["errors"] for w in windows),
        "throughput": requests / sum(w["elapsed"] for w in windows),
        "median_ms": statistics.median(latencies) * 1000 if latencies else None,
        "p95_ms": latencies[int(0.95 * (requests - 1))] * 1000 if latencies else None,
        "cpu_ms": sum(w["cpu"] for w in windows) / requests * 1000 if requests else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--youth", type=int, default=2000)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5.0, help="per page and round")
    parser.add_argument("--rounds", type=int, default=3, help="the pages take turns")
    parser.add_argument("--single", type=int, default=20, help="requests of the lone user")
    parser.add_argument("--json", type=Path, help="write the figures here")
    ns = parser.parse_args()
    data_dir = ns.data_dir or Path(f"/tmp/yim-bench-web-{ns.youth}")
    data_dir.mkdir(parents=True, exist_ok=True)
    env = environment(data_dir)
    database = "postgresql" if env.get("YIM_DATABASE_URL", "").startswith("postgres") else "sqlite"
    print(f"building the demo registry of {ns.youth} youth in {data_dir} ({database}) …")
    built = build(ns.youth, env)
    case = pick_case(env)
    print(f"built/checked in {built:.0f} s; {case}")
    pages = {
        "plain": "/me/",
        "overview": "/trajectories/overview/",
        "overview_overdue": "/trajectories/overview/?overdue=on&sort=youth",
        "youth": f"/youth/{case['youth']}/",
        "trajectory": f"/trajectories/{case['trajectory']}/",
        "home": "/home/",
    }
    server = start_server(ns.port, ns.workers, env, data_dir / "bench-server.log")
    try:
        cookie = sign_in(ns.port)
        alone = {name: single(ns.port, path, cookie, ns.single) for name, path in pages.items()}
        windows: dict[str, list[dict]] = {name: [] for name in pages}
        for round_ in range(ns.rounds):
            for name, path in pages.items():
                windows[name].append(
                    concurrent(ns.port, path, cookie, ns.clients, ns.seconds, server.pid)
                )
            print(f"round {round_ + 1} of {ns.rounds} done", flush=True)
        results = {
            name: {"path": path, "single_ms": alone[name], **summary(windows[name])}
            for name, path in pages.items()
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    base = results["plain"]["throughput"]
    base_cpu = results["plain"]["cpu_ms"]
    print(
        f"\n{ns.youth} youth, {case['team_youth']} in the team ({case['team_open']} open "
        f"trajectories), {database}, {ns.workers} workers, {ns.clients} clients"
    )
    print(
        "| page | alone (ms) | req/s | median (ms) | p95 (ms) | server CPU/request (ms) "
        "| throughput vs plain | plain's CPU/request vs page's |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        r["ratio"] = r["throughput"] / base
        r["cpu_ratio"] = base_cpu / r["cpu_ms"]
        print(
            f"| {name} | {r['single_ms']:.0f} | {r['throughput']:.1f} | {r['median_ms']:.0f} "
            f"| {r['p95_ms']:.0f} | {r['cpu_ms']:.1f} | {r['ratio']:.0%} | {r['cpu_ratio']:.0%} |"
        )
    if ns.json:
        ns.json.write_text(
            json.dumps(
                {"youth": ns.youth, "database": database, "case": case, "pages": results},
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

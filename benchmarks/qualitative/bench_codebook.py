"""Benchmark: the codebook and coding pages with large codebooks, against a plain page.

Usage (from the repository root):

    .venv/bin/python benchmarks/qualitative/bench_codebook.py          # 10, 307 and 1,000 codes
    .venv/bin/python benchmarks/qualitative/bench_codebook.py --sizes 1000 3000 --json out.json
    .venv/bin/python benchmarks/qualitative/bench_codebook.py --src /tmp/old/src   # another tree

For each size, a fresh SQLite database (in a temporary data directory, never the user's) gets
one researcher and one interview project with that many codes in a MAXQDA-like tree (a fifth
of them top-level themes, the others sub-codes one to three levels below, every code
coloured, every third with a description) and one transcript of a one-hour interview: 8,000
words in 200 speaker turns, 120 coded segments with one to three codes each, and a memo. The
pages are requested in-process through Django's test client, signed in with a full session,
so each answer goes through the whole stack as a browser's GET would (middleware, session and
two-factor checks, the audit log, templates):

* the codebook page ``/qualitative/<id>/codebook/``;
* the codebook page with one code's change panel open (``?code=<id>``): its move/merge list
  holds every other code once;
* the transcript coding page ``/qualitative/<id>/documents/<id>/``;
* the baseline: the project's memo page ``/qualitative/<id>/memos/`` (one memo), a plain page
  of the same app through the same stack.

The pages take turns (``--repeats`` rounds after one warm-up round), so a busy moment of the
machine slows all of them alike. Reported per page: the median and best server time, the
median CPU time of the process (``time.process_time``: what the request cost, without the
waiting a busy machine adds to the wall time), the ratio of the median to the baseline's
median in the same run, the response size, the number of SQL queries and of ``<option>``
elements. Not a test: nothing here asserts a time. The size and query-count goals are
asserted in ``tests/qualitative/test_large_codebook.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def configure(data_dir: Path, src: Path) -> None:
    os.environ.update(
        YIM_DATA_DIR=str(data_dir),
        YIM_DATABASE_URL=f"sqlite:///{data_dir / 'bench.sqlite3'}",
        YIM_SECRET_KEY="benchmark-only-secret-" + "b" * 40,
        YIM_ALLOWED_HOSTS="testserver",
        YIM_SSL_REDIRECT="0",
        YIM_BASE_URL="http://127.0.0.1:8000",
        DJANGO_SETTINGS_MODULE="yim.settings",
    )
    sys.path.insert(0, str(src))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


SENTENCE = (
    "ik vond het één keer lastig maar de JIM hielp toen mijn moeder weer ziek werd en school "
    "belde over het verzuim thuis is het nu rustiger écht waar we praten vaker en mijn tante "
    "komt elke week langs om samen te koken of naar de voetbal te gaan"
)
WORDS = tuple(SENTENCE.split())


#: A one-hour interview: 8,000 words in 200 speaker turns, 120 coded segments (1-3 codes each).
TURNS, WORDS_PER_TURN, SEGMENTS = 200, 40, 120


def build(n_codes: int, seed: int = 7):
    """One researcher and one project with ``n_codes`` codes; returns (user, project, doc)."""
    from yim.accounts.models import Organisation, Role, User
    from yim.qualitative import models as m

    rng = random.Random(seed)
    org = Organisation.objects.create(name=f"Benchmark {n_codes}")
    user = User.objects.create_user(
        username=f"onderzoeker{n_codes}", password=None, role=Role.RESEARCHER, organisation=org
    )
    project = m.Project.objects.create(name=f"Codeboek {n_codes}", data_manager=user)
    m.Membership.objects.create(project=project, user=user, role=m.MemberRole.OWNER)
    project.add_standard_variables()

    palette = ["#e06666", "#f6b26b", "#ffd966", "#93c47d", "#76a5af", "#6fa8dc", "#8e7cc3"]
    themes = max(1, n_codes // 5)
    codes: list[m.Code] = []
    can_have_children: list[m.Code] = []  # codes at depth 0-2 (so at most four levels)
    depth: dict[int, int] = {}
    for i in range(n_codes):
        parent = None
        if i >= themes:
            parent = can_have_children[rng.randrange(0, len(can_have_children))]
        name = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {i:04d}"
        codes.append(
            m.Code.objects.create(
                project=project,
                parent=parent,
                name=name,
                color=palette[i % len(palette)],
                description=f"Passages over {rng.choice(WORDS)} en {rng.choice(WORDS)}."
                if i % 3 == 0
                else "",
                is_codable=i >= themes or i % 4 != 0,
            )
        )
        depth[codes[-1].pk] = 0 if parent is None else depth[parent.pk] + 1
        if depth[codes[-1].pk] < 3:
            can_have_children.append(codes[-1])

    turns = []
    for t in range(TURNS):
        speaker = "Interviewer" if t % 2 == 0 else "Jongere"
        words = " ".join(rng.choice(WORDS) for _ in range(WORDS_PER_TURN))
        turns.append(f"{speaker}: {words}.")
    text = "\n".join(turns) + "\n"
    document = m.Document.objects.create(project=project, name="Interview A1", text=text)
    document.rebuild_turns()
    coder = project.coder_for(user)
    codable = [c for c in codes if c.is_codable]
    for s in range(SEGMENTS):
        start = rng.randrange(0, len(text) - 200)
        segment = m.Segment.objects.create(
            document=document, coder=coder, start=start, end=start + rng.randrange(20, 200)
        )
        for code in rng.sample(codable, k=min(len(codable), 1 + s % 3)):
            m.Coding.objects.create(document=document, segment=segment, code=code, coder=coder)
    memo = m.Memo.objects.create(project=project, text="Eerste indrukken.", coder=coder)
    m.MemoLink.objects.create(memo=memo)
    return user, project, document


def client_for(user):
    from django.test import Client

    from yim.accounts.twofactor import SESSION_VERIFIED_KEY

    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_VERIFIED_KEY] = True
    session.save()
    return client


def measure(client, pages: dict[str, str], repeats: int) -> dict[str, dict[str, float | int]]:
    """Median server time of each page; the pages take turns, so a slow moment of the
    machine hits all of them alike and the ratios stay fair."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times: dict[str, list[float]] = {name: [] for name in pages}
    cpu: dict[str, list[float]] = {name: [] for name in pages}
    for url in pages.values():  # warm-up (template loading, caches)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    for _ in range(repeats):
        for name, url in pages.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    figures = {}
    for name, url in pages.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        figures[name] = {
            "median_s": statistics.median(times[name]),
            "best_s": min(times[name]),
            "cpu_s": statistics.median(cpu[name]),
            "bytes": len(response.content),
            "queries": len(queries),
            "options": response.content.count(b"<option"),
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 307, 1000])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--src", type=Path, default=ROOT / "src", help="the yim source tree to measure"
    )
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory(prefix="yim-bench-") as tmp:
        configure(Path(tmp), args.src.resolve())
        for n in args.sizes:
            user, project, document = build(n)
            chosen = project.codes.order_by("pk")[n // 2]  # its change panel is open
            client = client_for(user)
            base = f"/qualitative/{project.pk}/"
            pages = {
                "baseline (memos)": base + "memos/",
                "codebook": base + "codebook/",
                "codebook, 1 chosen": base + f"codebook/?code={chosen.pk}",
                "coding page": base + f"documents/{document.pk}/",
            }
            figures = measure(client, pages, args.repeats)
            baseline = figures["baseline (memos)"]["median_s"]
            for name, fig in figures.items():
                fig["ratio"] = fig["median_s"] / baseline
                results.append({"codes": n, "page": name, **fig})

    print(
        f"{'codes':>6}  {'page':<19} {'median':>9} {'best':>9} {'CPU':>9} {'× baseline':>10} "
        f"{'size':>10} {'queries':>7} {'<option>':>8}"
    )
    for r in results:
        print(
            f"{r['codes']:>6,}  {r['page']:<19} {r['median_s'] * 1000:>7.1f} ms "
            f"{r['best_s'] * 1000:>6.1f} ms {r['cpu_s'] * 1000:>6.1f} ms "
            f"{r['ratio']:>9.1f}× {r['bytes'] / 1024:>7.1f} KB {r['queries']:>7} "
            f"{r['options']:>8,}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

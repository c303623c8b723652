"""Locust profile: demo users signing in and reading their pages (issue 10, proof item 6).

Run it through ``run_load.py`` (which builds the registry, starts ``yim serve`` and checks the
audit log afterwards), or by hand against a running demo server with two-factor sign-in off::

    pip install locust        # not a project dependency; a separate venv is fine
    locust -f benchmarks/load/locustfile.py --headless -u 50 -r 1 -t 120s \\
        --host http://127.0.0.1:8765

Three kinds of users, each signing in once through the login form (one session per simulated
user) and then reading pages with a think time of ``LOAD_WAIT_MIN``…``LOAD_WAIT_MAX`` seconds
(default 2…6) between clicks:

* the professional ``prof.noord``: start page, caseload (a random page of it), the youth page
  of a youth found on the caseload, the trajectory page linked from that youth page;
* the team lead ``lead.noord``: start page (with the team's work list), team overview (a
  random sort), the trajectory page of a trajectory on the overview, and the youth page
  that trajectory page links to;
* the youth ``jongere.sam`` in the portal: the portal home and the parts of the file that
  the portal home links to.

Every request is named after its page, so locust's statistics give p50/p95 per page. The
pages that read a youth's file and must each write exactly one audit row of action ``view``
are named in ``audited.AUDITED_VIEWS`` (``run_load.py`` compares them with the audit log).
A response that lands on the sign-in page, or has any status but 200, counts as a failure.
"""

from __future__ import annotations

import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = os.environ.get("YIM_DEMO_PASSWORD", "demo-wachtwoord-2026")
WAIT = between(
    float(os.environ.get("LOAD_WAIT_MIN", "2")), float(os.environ.get("LOAD_WAIT_MAX", "6"))
)


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
YOUTH_LINK = re.compile(r'href="/youth/(\d+)/"')
TRAJECTORY_LINK = re.compile(r'href="/trajectories/(\d+)/"')
PORTAL_FILE_LINK = re.compile(r'href="(/portal/\d+/file/[a-z]+/)"')
OVERVIEW_SORTS = ("", "?sort=youth", "?sort=phase", "?overdue=on&sort=youth")


class DemoUser(HttpUser):
    abstract = True
    username = ""
    wait_time = WAIT

    def on_start(self) -> None:
        self.youth_ids: list[int] = []
        self.trajectory_ids: list[int] = []
        self.sign_in()

    def sign_in(self) -> None:
        page = self.client.get("/accounts/login/", name="sign-in form")
        token = CSRF_FIELD.search(page.text)
        if token is None:
            raise RuntimeError("no CSRF token on the sign-in page")
        with self.client.post(
            "/accounts/login/",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={"Referer": f"{self.host}/accounts/login/", "Origin": self.host},
            name="sign in",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "sessionid" not in self.client.cookies:
                response.failure(f"sign-in refused ({response.status_code})")
            else:
                response.success()

    def read(self, path: str, name: str) -> str:
        """GET a page; only a 200 that is not the sign-in page counts as a success."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return ""
            if "/accounts/login/" in response.url:
                response.failure("sent to the sign-in page")
                return ""
            response.success()
            return response.text

    def youth_page(self) -> None:
        if self.youth_ids:
            html = self.read(f"/youth/{random.choice(self.youth_ids)}/", "youth page")
            found = [int(x) for x in TRAJECTORY_LINK.findall(html)]
            if found:
                self.trajectory_ids = found

    def trajectory_page(self) -> str:
        if not self.trajectory_ids:
            return ""
        return self.read(f"/trajectories/{random.choice(self.trajectory_ids)}/", "trajectory page")


class Professional(DemoUser):
    weight = 5
    username = "prof.noord"

    def on_start(self) -> None:
        super().on_start()
        self.caseload()

    @task(1)
    def home(self) -> None:
        self.read("/home/", "home (professional)")

    @task(2)
    def caseload(self) -> None:
        html = self.read(f"/youth/?page={random.randint(1, 3)}", "caseload")
        found = [int(x) for x in YOUTH_LINK.findall(html)]
        if found:
            self.youth_ids = found

    @task(4)
    def open_youth(self) -> None:
        self.youth_page()

    @task(3)
    def open_trajectory(self) -> None:
        self.trajectory_page()


class TeamLead(DemoUser):
    weight = 2
    username = "lead.noord"

    def on_start(self) -> None:
        super().on_start()
        self.overview()

    @task(1)
    def home(self) -> None:
        self.read("/home/", "home (team lead)")

    @task(2)
    def overview(self) -> None:
        html = self.read(f"/trajectories/overview/{random.choice(OVERVIEW_SORTS)}", "team overview")
        found = [int(x) for x in TRAJECTORY_LINK.findall(html)]
        if found:
            self.trajectory_ids = found

    @task(3)
    def open_trajectory(self) -> None:
        # The overview links trajectories; a trajectory page links its youth (breadcrumb).
        found = [int(x) for x in YOUTH_LINK.findall(self.trajectory_page())]
        if found:
            self.youth_ids = found

    @task(3)
    def open_youth(self) -> None:
        self.youth_page()


class PortalYouth(DemoUser):
    weight = 3
    username = "jongere.sam"

    def on_start(self) -> None:
        super().on_start()
        self.home_path = ""
        self.file_paths: list[str] = []
        # The portal's index sends a user with one linked youth to that youth's portal home.
        with self.client.get("/portal/", name="portal index", catch_response=True) as response:
            if response.status_code == 200 and re.search(r"/portal/\d+/$", response.url):
                self.home_path = response.url[len(self.host) :]
                self.file_paths = PORTAL_FILE_LINK.findall(response.text)
                response.success()
            else:
                response.failure(f"no portal home ({response.status_code} {response.url})")

    @task(2)
    def portal_home(self) -> None:
        if self.home_path:
            html = self.read(self.home_path, "portal home")
            self.file_paths = PORTAL_FILE_LINK.findall(html) or self.file_paths

    @task(3)
    def portal_file(self) -> None:
        if self.file_paths:
            self.read(random.choice(self.file_paths), "portal file")

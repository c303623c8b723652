"""The pages of the load test that read a youth's file (shared by ``locustfile.py`` and
``run_load.py``; no locust import, so ``run_load.py`` runs in the project's venv)."""

#: Request names whose every successful request writes exactly one ``view`` audit row, and
#: the kind of row (``run_load.py`` sorts the rows into these kinds by their ``detail``). The
#: portal index sends Sam to the portal home, so it is one more read of the portal home.
AUDITED_VIEWS = {
    "youth page": "youth page",
    "trajectory page": "trajectory page",
    "portal index": "portal home",
    "portal home": "portal home",
    "portal file": "portal file",
}

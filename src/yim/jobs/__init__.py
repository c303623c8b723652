"""Background work: analyses, exports and reports that take longer than a page may wait.

A :class:`~yim.jobs.models.Job` is one run of a registered :class:`~yim.jobs.kinds.JobKind`
(``evidence.summary``, ``evidence.risk``, …) for one person, with the parameters it ran on,
its progress, its result and the *registry state* it was computed on. The work itself runs
on Django's task framework (the ``django-tasks`` backport with its database backend), so a
job waits in the database until a worker (``yim worker``) picks it up — on this machine or
any other that reaches the database, SQLite and PostgreSQL alike.

This app knows nothing of what a job computes: the apps register their kinds at start-up
(``AppConfig.ready``), and a kind says how to run, how to fingerprint the data it reads and
how to show its result. docs/operations.md says how to run workers.
"""

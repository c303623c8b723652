"""The JIM cohort by team and referral day, with the ids: on PostgreSQL only.

Every read of the evidence figures joins the cohort of its scope
(``research.evidence.definitions.base.cohort``: JIM-cohort trajectories of a team or an
organisation referred by a day). PostgreSQL reads that from this small index instead of the
whole table (at 50,000 youth: 12 ms → 5 ms per read, the evidence page 0.30 s → 0.23 s).
SQLite would pick it to walk the trajectories as well, in team order instead of id order,
and made the evidence page slower (0.51 s → 0.60 s of CPU; benchmarks/registry/README.md),
so there it is not made.

It is not in ``Trajectory.Meta.indexes``: the model state stays the same on both databases,
and SQLite's table rebuilds (which recreate the indexes of the state) never add it.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS jim_cohort_by_team ON trajectories_trajectory "
    "(team_id, referred_on) INCLUDE (id) WHERE cohort = 'jim'"
)
DROP = "DROP INDEX IF EXISTS jim_cohort_by_team"


def _on_postgresql(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("trajectories", "0017_open_jim_trajectory_by_youth"),
    ]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]

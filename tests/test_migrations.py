import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_committed_migrations_agree():
    """A model change without its migration fails here, not on an organisation's server."""
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


@pytest.mark.django_db
def test_the_jim_cohort_index_exists_on_postgresql_only(is_postgres):
    """Migration trajectories.0018 makes it on PostgreSQL, where the evidence figures' reads
    use it; on SQLite it made them slower, so there it is absent (not in the model state)."""
    from django.db import connection

    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, "trajectories_trajectory")
    assert ("jim_cohort_by_team" in indexes) is is_postgres
    if is_postgres:
        # the key columns, then the included id
        assert indexes["jim_cohort_by_team"]["columns"] == ["team_id", "referred_on", "id"]

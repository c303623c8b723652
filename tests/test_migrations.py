import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_committed_migrations_agree():
    """A model change without its migration fails here, not on an organisation's server."""
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)

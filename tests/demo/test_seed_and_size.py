"""The demo is deterministic for a seed, and `yim demo --youth N` builds N youth."""

from __future__ import annotations

import pytest
from django.db import transaction

from yim.demo import registry
from yim.monitoring import models as mm
from yim.trajectories import models as tm


def fingerprint() -> tuple[list, ...]:
    """What the registry holds, without database ids."""
    return (
        list(
            tm.Youth.objects.order_by("pk").values_list(
                "display_name", "date_of_birth", "living_situation", "team__name"
            )
        ),
        list(
            tm.Trajectory.objects.order_by("pk").values_list(
                "referred_on", "started_at", "phase", "cohort", "closed_at"
            )
        ),
        list(
            tm.Candidate.objects.order_by("pk").values_list("named_on", "response", "response_on")
        ),
        list(
            tm.PlacementDecision.objects.order_by("pk").values_list("decided_on", "placement_type")
        ),
        list(mm.Answer.objects.order_by("pk").values_list("item", "value", "text")),
    )


def load_and_forget(youth_count: int, seed: int = 2026) -> tuple[list, ...]:
    with transaction.atomic():
        assert registry.load(seed=seed, youth_count=youth_count) == youth_count
        seen = fingerprint()
        transaction.set_rollback(True)
    return seen


def test_the_same_seed_gives_the_same_registry(db):
    first = load_and_forget(30)
    assert first == load_and_forget(30)
    assert first != load_and_forget(30, seed=7)
    assert len(first[-1]) > 100  # answers were generated


def test_a_smaller_registry_is_the_beginning_of_a_larger_one(db):
    small, large = load_and_forget(12), load_and_forget(30)
    for part_small, part_large in zip(small, large, strict=True):
        assert part_large[: len(part_small)] == part_small


def test_the_loaded_registry_leaves_postgresql_with_fresh_planner_statistics(db):
    """The planner's row estimates are those of the loaded tables, not of the empty ones
    (``core.models.refresh_planner_statistics``); SQLite keeps no statistics to refresh."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner statistics; SQLite keeps none unless asked")

    def estimated(table: str) -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            return cursor.fetchone()[0]

    with transaction.atomic():
        # A size no other test loads: ANALYZE writes its estimates in place, so an earlier
        # test's rolled-back load may have left its own.
        registry.load(youth_count=17)
        assert estimated("trajectories_trajectory") == tm.Trajectory.objects.count()
        assert estimated("monitoring_answer") == mm.Answer.objects.count() > 0
        transaction.set_rollback(True)


def test_the_demo_refuses_a_registry_without_youth(db):
    with pytest.raises(ValueError, match="at least one youth"):
        registry.load(youth_count=0)
    assert not registry.is_loaded()


def test_yim_demo_builds_the_number_of_youth_asked_for(yim_cmd):
    result = yim_cmd("demo", "--no-serve", "--youth", "40")
    assert "Loaded the synthetic demo registry (40 youth)." in result.stdout
    refused = yim_cmd("demo", "--no-serve", "--youth", "0", check=False)
    assert refused.returncode == 2
    assert "--youth: the demo needs at least 1 youth" in refused.stderr
    again = yim_cmd("demo", "--no-serve", "--youth", "many", check=False)
    assert again.returncode == 2 and "'many' is not a whole number" in again.stderr

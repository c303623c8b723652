"""Small shared pieces of the demo generator: batched inserts, dates, weighted choices."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, models

from yim.trajectories.rules import AMSTERDAM

#: The demo registry's own "today": every event lies on or before it.
DEMO_TODAY = date(2026, 11, 1)
#: Trajectories start within this many days before the demo's today.
SPAN_DAYS = 3 * 365


def weighted(rng: random.Random, options: list[tuple[str, int]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def moment(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A time of day on ``day`` in Amsterdam (aware)."""
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM)


def plus(day: date, days: float) -> date:
    return day + timedelta(days=int(days))


def youth_rng(seed: int, index: int, stream: str) -> random.Random:
    """A random source per youth and per stream: a youth's story does not depend on how many
    youth come before it, in which chunk it is built, or on the other streams."""
    return random.Random(f"{seed}:{index}:{stream}")


@dataclass
class Batches:
    """Objects to insert, per model, flushed in dependency order with ``bulk_create``.

    ``bulk_create`` sets primary keys on SQLite and PostgreSQL, so objects flushed earlier
    can be referred to by those flushed later.
    """

    rows: dict[type, list[Any]] = field(default_factory=dict)
    #: Plain rows per model, for the largest tables: (column, value) pairs, in which a model
    #: instance stands for its primary key (known once that instance is flushed).
    plain: dict[type, list[tuple[tuple[str, Any], ...]]] = field(default_factory=dict)

    def add(self, obj: Any) -> Any:
        self.rows.setdefault(type(obj), []).append(obj)
        return obj

    def add_plain(self, model: type[Any], **values: Any) -> None:
        self.plain.setdefault(model, []).append(tuple(values.items()))

    def flush_plain(self, model: type[Any]) -> None:
        """Insert plain rows with one prepared statement (no model instances: the answers of
        a large registry number millions)."""
        rows = self.plain.pop(model, [])
        if not rows:
            return
        columns = [name for name, _value in rows[0]]
        quote = connection.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model
            quote(model._meta.db_table),
            ", ".join(quote(c) for c in columns),
            ", ".join(["%s"] * len(columns)),
        )
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 5000):
                cursor.executemany(
                    sql,
                    [
                        tuple(v.pk if isinstance(v, models.Model) else v for _c, v in row)
                        for row in rows[start : start + 5000]
                    ],
                )

    def flush(self, *models: type[Any]) -> None:
        for model in models:
            objs = self.rows.pop(model, [])
            if objs:
                model.objects.bulk_create(objs, batch_size=1000)

    def pending(self) -> list[type]:
        return [model for model, objs in [*self.rows.items(), *self.plain.items()] if objs]

"""One youth's story in the demo: what the casework generated, for the monitoring to measure."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from yim.demo.mechanisms import RiskPath, TeamEffect


@dataclass
class Measurement:
    """The professional's risk-instrument answers on a day (scored later, as submitted)."""

    day: date
    answers: dict[str, int]
    score: float


@dataclass
class Story:
    index: int
    rng: random.Random
    youth: Any
    team: TeamEffect
    referred_on: date
    start: date
    comparison: bool
    programme: Any
    risk: RiskPath
    trajectory: Any = None
    parents: list[Any] = field(default_factory=list)
    others: list[Any] = field(default_factory=list)
    #: Phase moves in time order: (phase, day).
    transitions: list[tuple[str, date]] = field(default_factory=list)
    #: The youth's JIM (a candidate who accepted and did not stop; consent may be pending),
    #: and the day consent became complete (from then on the JIM is active in care).
    jim: Any = None
    jim_from: date | None = None
    #: Whether anyone accepted (also a JIM whose consent was then refused), and who, in order.
    accepted_any: bool = False
    jims: list[Any] = field(default_factory=list)
    #: The youth's living situations, each from a day on: (situation, since).
    living: list[tuple[str, date]] = field(default_factory=list)
    #: The last day of the search's events (a placement cuts the search short).
    search_until: date | None = None
    meetings: list[tuple[Any, list[Any]]] = field(default_factory=list)
    intake: Measurement | None = None
    evaluations: list[tuple[Any, Measurement]] = field(default_factory=list)
    closure_measurement: Measurement | None = None
    placed_on: date | None = None
    closure: Any = None
    follow_ups: list[Any] = field(default_factory=list)
    #: Months after closure until the JIM relationship ends (0: ended or never a JIM).
    relationship_months: float = 0.0

    def jim_active_on(self, day: date) -> bool:
        return self.jim_from is not None and self.jim_from <= day

    def months_with_jim(self, day: date) -> float:
        if self.jim_from is None or day < self.jim_from:
            return 0.0
        return (day - self.jim_from).days / 30.44

    def months_in_care(self, day: date) -> float:
        return max(0, (day - self.start).days) / 30.44

    def latest_score(self, day: date) -> float:
        """The latest measured risk score on or before ``day`` (intake when none later)."""
        assert self.intake is not None
        score = self.intake.score
        for _meeting, m in self.evaluations:
            if m.day <= day:
                score = m.score
        return score

"""The processes the demo registry is generated from: pure functions of a random source.

Nothing here writes a margin. The published figures of the file study (83% find a JIM, on
average after 33 days; 90% of the JIM group stays ambulatory) are *targets* that
``tests/demo`` checks on the default seed; what produces them are the processes below:

* **search** — every candidate the youth asks faces two competing daily hazards, accepting
  and declining. The accepting hazard rises with the youth's trust in the person and with
  the team's skill; whoever stays silent for :data:`NO_ANSWER_AFTER_DAYS` counts as "no
  answer". Some searches end before anyone is asked (nobody named, the youth does not want
  a JIM, the network is unsafe); a search whose round runs dry may start a second round.
* **consent** — a youth (12+) or a parent (for youth under 16) may refuse the JIM who
  accepted; the search then starts again or ends in "no JIM found".
* **risk** — a latent risk level on the risk instrument's 0–3 scale falls month by month,
  faster while a JIM is active and in a better team; the professional's answers at each
  wave measure it with noise.
* **placement** — a monthly hazard from a logistic model of the latest *measured* risk
  score, whether a JIM is active, and the team.
* **after closure** — the JIM relationship ends with a monthly hazard that depends on its
  state at closure; placements after closure follow the placement model at a lower base.

No Django and no database here, so the processes can be read and tested on their own.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

# --- teams: real heterogeneity --------------------------------------------------------------


@dataclass(frozen=True)
class TeamEffect:
    """How a team shifts the processes (0 = an average team).

    ``search``: on the log hazard of a candidate accepting and on the log odds of a search
    ending before anyone is asked; ``risk``: on the monthly fall of the risk level;
    ``placement``: on the log odds of the monthly placement hazard.
    """

    search: float = 0.0
    risk: float = 0.0
    placement: float = 0.0


#: One team clearly better (Noord-2), one clearly worse (Zuid-3), the rest around average.
TEAM_EFFECTS: dict[str, TeamEffect] = {
    "Noord-1": TeamEffect(search=0.1, risk=0.0, placement=0.0),
    "Noord-2": TeamEffect(search=0.9, risk=0.02, placement=-0.4),
    "Noord-3": TeamEffect(search=0.0, risk=0.0, placement=0.1),
    "Zuid-1": TeamEffect(search=0.15, risk=0.01, placement=0.0),
    "Zuid-2": TeamEffect(search=-0.1, risk=0.0, placement=0.1),
    "Zuid-3": TeamEffect(search=-0.9, risk=-0.02, placement=0.4),
}


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# --- search ---------------------------------------------------------------------------------

#: Daily hazard of accepting for a candidate of average trust (3 of 5) in an average team.
ACCEPT_HAZARD = 0.06
#: Each point of trust above 3 multiplies the accepting hazard by exp(TRUST_EFFECT).
TRUST_EFFECT = 0.35
#: Daily hazard of declining, whatever the trust.
DECLINE_HAZARD = 0.03
#: Silence this long is recorded as "no answer".
NO_ANSWER_AFTER_DAYS = 28
#: Log odds that a search ends before anyone is asked (nobody named, youth declines, unsafe).
EARLY_END_LOGODDS = -2.6
#: Each person fewer than four in the network raises those log odds by this much.
SMALL_NETWORK_EFFECT = 0.35
#: Chance that a round that ran dry is followed by a second round (when people are left).
NEW_ROUND_CHANCE = 0.6


@dataclass(frozen=True)
class CandidateAnswer:
    """How a candidate answered: ``accepted``, ``declined`` or ``no_answer``, after ``days``."""

    response: str
    days: int


def answer_of_candidate(rng: random.Random, trust: int, team: TeamEffect) -> CandidateAnswer:
    """Competing daily hazards of accepting and declining, from the day the youth asked."""
    accept = ACCEPT_HAZARD * math.exp(TRUST_EFFECT * (trust - 3) + team.search)
    decline = DECLINE_HAZARD
    total = min(accept + decline, 0.95)
    # Geometric waiting time with daily hazard ``total`` (at least one day).
    days = 1 + int(math.log(1.0 - rng.random()) / math.log(1.0 - total))
    if days > NO_ANSWER_AFTER_DAYS:
        return CandidateAnswer("no_answer", NO_ANSWER_AFTER_DAYS)
    response = "accepted" if rng.random() < accept / (accept + decline) else "declined"
    return CandidateAnswer(response, days)


def search_ends_early(rng: random.Random, network_size: int, team: TeamEffect) -> bool:
    """Whether the search ends before anyone is asked."""
    logodds = EARLY_END_LOGODDS + SMALL_NETWORK_EFFECT * max(0, 4 - network_size) - team.search
    return rng.random() < logistic(logodds)


# --- consent --------------------------------------------------------------------------------

YOUTH_REFUSES = 0.02
PARENT_REFUSES = 0.10
PARENT_RELUCTANT = 0.15


# --- risk -----------------------------------------------------------------------------------

#: Monthly fall of the latent risk level (risk-instrument points) without and with a JIM.
RISK_FALL_WITHOUT_JIM = 0.025
RISK_FALL_WITH_JIM = 0.07
#: Item-level measurement noise (standard deviation, instrument points).
MEASUREMENT_NOISE = 0.55


@dataclass(frozen=True)
class RiskPath:
    """A youth's latent risk: ``level`` at the start, per-item ``offsets``, the team's fall."""

    level: float
    offsets: tuple[float, ...]
    team_fall: float

    def at(self, months: float, months_with_jim: float) -> float:
        """The latent level after ``months`` of care, ``months_with_jim`` of them with a JIM."""
        fall = (RISK_FALL_WITHOUT_JIM + self.team_fall) * (months - months_with_jim)
        fall += (RISK_FALL_WITH_JIM + self.team_fall) * months_with_jim
        return max(0.0, self.level - fall)


def risk_path(rng: random.Random, items: int, team: TeamEffect, shift: float = 0.0) -> RiskPath:
    level = min(2.8, max(0.4, rng.gauss(1.65 + shift, 0.4)))
    offsets = tuple(rng.gauss(0.0, 0.45) for _ in range(items))
    return RiskPath(level=level, offsets=offsets, team_fall=team.risk)


def measure_risk(rng: random.Random, level: float, offset: float) -> int:
    """One item of the risk instrument (0–3) as the professional rates it."""
    return min(3, max(0, round(level + offset + rng.gauss(0.0, MEASUREMENT_NOISE))))


# --- placement ------------------------------------------------------------------------------

#: Log odds of a placement in a month, at a measured risk score of 1.5, without a JIM.
PLACEMENT_BASE = -4.3
#: Per point of the measured risk score (mean of the risk subscales, 0–3) above 1.5.
PLACEMENT_RISK = 1.5
#: While a JIM is active (accepted, consent complete).
PLACEMENT_JIM = -1.2
#: After closure, placements are rarer (no acute crisis in care).
PLACEMENT_AFTER_CLOSURE = -1.0


def placement_hazard(
    risk_score: float, jim_active: bool, team: TeamEffect, *, after_closure: bool = False
) -> float:
    """The chance of an out-of-home placement decision in the coming month."""
    logodds = PLACEMENT_BASE + PLACEMENT_RISK * (risk_score - 1.5) + team.placement
    if jim_active:
        logodds += PLACEMENT_JIM
    if after_closure:
        logodds += PLACEMENT_AFTER_CLOSURE
    return logistic(logodds)


# --- after closure --------------------------------------------------------------------------

#: Monthly hazard that a JIM relationship ends after closure, by its state at closure.
RELATIONSHIP_END_HAZARD = {"continuing": 0.012, "strained": 0.06}


def months_relationship_lasts(rng: random.Random, state: str) -> float:
    """Months after closure until the JIM relationship ends (inf: beyond any follow-up)."""
    hazard = RELATIONSHIP_END_HAZARD.get(state)
    if hazard is None:
        return 0.0
    return rng.expovariate(hazard)


def answer_on_scale(rng: random.Random, low: int, high: int, favour: float) -> int:
    """An answer on a low–high scale, centred on the share ``favour`` (0–1) of the way up."""
    centre = low + favour * (high - low)
    return min(high, max(low, round(rng.gauss(centre, 0.8))))

"""The JIM trajectory domain: youth, trajectories, network, nomination, consent, meetings,
plans, the placement gate, closure and follow-up.

Every rule lives in these models (fat models): forms, the API, commands and direct calls all
go through ``save()`` / ``full_clean()`` and the domain methods, so they meet the same rules.

The modules import each other one way (the ``trajectory-models-one-way`` contract in
``.importlinter`` holds it), each only from the rows below its own::

    advice | retention                                         (the JIM's advice; erasure)
    closure | episodes | living | meetings | nomination | placement
    consent                                                    (consent to a JIM)
    network | trajectory | youth | facts    (facts: days the evidence reads, kept on write)
    queries | revisions         (the trajectory queryset; earlier versions of corrected records)
    base                        (today, event-date checks, TrajectoryPart)
    choices                     (the choices several modules name)

A module that needs a model of a higher row (the trajectory opening a nomination round or
recording its closure) reaches it through a reverse relation (``self.nomination_rounds``)
or ``apps.get_model``; type hints import it under ``TYPE_CHECKING`` only.
"""

from yim.programmes.phases import Phase
from yim.trajectories.models.advice import JimAdvice, decisions_open_for_advice
from yim.trajectories.models.choices import (
    OUT_OF_HOME,
    Cohort,
    ContactFrequency,
    MeetingKind,
    MeetingStatus,
    PlacementBasis,
    PlacementType,
    ReferralSource,
)
from yim.trajectories.models.closure import (
    Closure,
    ClosureReason,
    FollowUp,
    FollowUpOutcome,
    JimRelationship,
    Reporter,
)
from yim.trajectories.models.consent import (
    ConsentDecision,
    ConsentParty,
    ConsentRecord,
    ConsentStatus,
    HolderConsent,
    NotAskedReason,
)
from yim.trajectories.models.episodes import EpisodeSource, PlacementEpisode
from yim.trajectories.models.facts import TrajectoryFacts
from yim.trajectories.models.living import LivingSituationRecord
from yim.trajectories.models.meetings import (
    Attendee,
    AttendeeRole,
    CarePlan,
    Goal,
    GoalStatus,
    Meeting,
    SafetyPlan,
)
from yim.trajectories.models.network import (
    PARENTAL_RELATIONS,
    AgeBand,
    NetworkPerson,
    NetworkTie,
    Relation,
    SupportType,
)
from yim.trajectories.models.nomination import (
    Candidate,
    JimEndReason,
    NoJimOutcome,
    NoJimReason,
    NominationRound,
    Response,
    RoundOutcome,
)
from yim.trajectories.models.placement import (
    DecisionStatus,
    JimConsultation,
    PlacementDecision,
)
from yim.trajectories.models.retention import ErasureRequest, Tombstone
from yim.trajectories.models.revisions import RecordKind, Revision
from yim.trajectories.models.trajectory import Trajectory
from yim.trajectories.models.transitions import PhaseTransition
from yim.trajectories.models.youth import Gender, LivingSituation, SchoolWorkStatus, Youth

__all__ = [
    "OUT_OF_HOME",
    "PARENTAL_RELATIONS",
    "AgeBand",
    "Attendee",
    "AttendeeRole",
    "Candidate",
    "CarePlan",
    "Closure",
    "ClosureReason",
    "Cohort",
    "ConsentDecision",
    "ConsentParty",
    "ConsentRecord",
    "ConsentStatus",
    "ContactFrequency",
    "DecisionStatus",
    "EpisodeSource",
    "ErasureRequest",
    "FollowUp",
    "FollowUpOutcome",
    "Gender",
    "Goal",
    "GoalStatus",
    "HolderConsent",
    "JimAdvice",
    "JimConsultation",
    "JimEndReason",
    "JimRelationship",
    "LivingSituation",
    "LivingSituationRecord",
    "Meeting",
    "MeetingKind",
    "MeetingStatus",
    "NetworkPerson",
    "NetworkTie",
    "NoJimOutcome",
    "NoJimReason",
    "NominationRound",
    "NotAskedReason",
    "Phase",
    "PhaseTransition",
    "PlacementBasis",
    "PlacementDecision",
    "PlacementEpisode",
    "PlacementType",
    "RecordKind",
    "ReferralSource",
    "Relation",
    "Reporter",
    "Response",
    "Revision",
    "RoundOutcome",
    "SafetyPlan",
    "SchoolWorkStatus",
    "SupportType",
    "Tombstone",
    "Trajectory",
    "TrajectoryFacts",
    "Youth",
    "decisions_open_for_advice",
]

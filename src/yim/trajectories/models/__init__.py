"""The JIM trajectory domain: youth, trajectories, network, nomination, consent, meetings,
plans, the placement gate, closure and follow-up.

Every rule lives in these models (fat models): forms, the API, commands and direct calls all
go through ``save()`` / ``full_clean()`` and the domain methods, so they meet the same rules.
"""

from yim.programmes.phases import Phase
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
from yim.trajectories.models.living import LivingSituationRecord
from yim.trajectories.models.meetings import (
    Attendee,
    AttendeeRole,
    CarePlan,
    Goal,
    GoalStatus,
    Meeting,
    MeetingKind,
    SafetyPlan,
)
from yim.trajectories.models.network import (
    PARENTAL_RELATIONS,
    AgeBand,
    ContactFrequency,
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
from yim.trajectories.models.trajectory import (
    OUT_OF_HOME,
    Cohort,
    PhaseTransition,
    PlacementBasis,
    PlacementType,
    ReferralSource,
    Trajectory,
)
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
    "JimConsultation",
    "JimEndReason",
    "JimRelationship",
    "LivingSituation",
    "LivingSituationRecord",
    "Meeting",
    "MeetingKind",
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
    "ReferralSource",
    "Relation",
    "Reporter",
    "Response",
    "RoundOutcome",
    "SafetyPlan",
    "SchoolWorkStatus",
    "SupportType",
    "Tombstone",
    "Trajectory",
    "Youth",
]

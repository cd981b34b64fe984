"""The closed vocabularies of the domain, each in one place: what the database columns,
the API and the forms carry. Roles live in engine/policy.py, workflow states in
workflows/*.yaml.

The tuples below (``ORG_KINDS`` ...) and the input schemas' ``Literal`` types
(engine/schemas.py) derive from these enums. They hold the plain string values: psycopg
writes an ``Enum`` member by its *name*, and the API's OpenAPI lists the values inline.
"""
from __future__ import annotations

from enum import StrEnum


class OrgKind(StrEnum):
    SCHOOL = "school"
    KINDERGARTEN = "kindergarten"
    COLLEGE = "college"
    OTHER = "other"


class MunicipalityKind(StrEnum):
    CITY = "city"
    DISTRICT = "district"


class Waste(StrEnum):
    """The eight wastes of lean."""
    TRANSPORT = "transport"
    INVENTORY = "inventory"
    MOTION = "motion"
    WAITING = "waiting"
    OVERPRODUCTION = "overproduction"
    OVERPROCESSING = "overprocessing"
    DEFECTS = "defects"
    TALENT = "talent"


class ArtefactKind(StrEnum):
    CURRENT_STATE_MAP = "current_state_map"
    TARGET_STATE_MAP = "target_state_map"
    STANDARD = "standard"
    REPORT = "report"
    OTHER = "other"


class RiskStatus(StrEnum):
    OPEN = "open"
    MITIGATING = "mitigating"
    RESOLVED = "resolved"
    ACCEPTED = "accepted"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class Direction(StrEnum):
    """Which way a metric should move."""
    DECREASE = "decrease"
    INCREASE = "increase"


class RequestStatus(StrEnum):
    """A transition request's decision."""
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PracticeStatus(StrEnum):
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


def values(vocabulary: type[StrEnum]) -> tuple[str, ...]:
    """The vocabulary's values as plain strings, in their declared order."""
    return tuple(member.value for member in vocabulary)


ORG_KINDS = values(OrgKind)
WASTES = values(Waste)
ARTEFACT_KINDS = values(ArtefactKind)
RISK_STATUSES = values(RiskStatus)
UNRESOLVED_RISK = (RiskStatus.OPEN.value, RiskStatus.MITIGATING.value)
ACTION_STATUSES = values(ActionStatus)
DIRECTIONS = values(Direction)
REQUEST_STATUSES = values(RequestStatus)

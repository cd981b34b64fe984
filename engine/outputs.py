"""What the JSON API answers: one pydantic model per response body of API.md.

The inputs are validated by engine/schemas.py (and engine/practices/schemas.py); these are
their counterpart for outputs. Each model forbids extra keys, so a route cannot send a field
its model does not declare, and the OpenAPI description (webui/api/openapi.py) publishes
each model's own JSON Schema: the answers cannot drift from the description.

The models are kept apart from the input schemas because they do the opposite job: inputs
trim, bound and refuse what a caller types; outputs serialise what the database holds
(timestamps as ISO 8601 UTC with ``Z``, dates as ISO dates, every key present, ``null`` for
an absent value). The field order is the order of the JSON keys.

Build one from an ORM row with ``Model.of(row)`` (``model_validate(row,
from_attributes=True)``) or from the engine's read models with ``Model.model_validate``;
``dump()`` gives the JSON-ready dict (numbers stay Python numbers, so Flask writes them as
before).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema

from engine import clock, vocab
from engine.schemas import ActionStatus, ArtefactKind, Direction, MunicipalityKind, OrgKind, RiskStatus, Waste

# ISO 8601 UTC with a Z suffix (clock.iso), whatever the driver hands back (naive or aware)
Timestamp = Annotated[datetime, PlainSerializer(clock.iso, return_type=str),
                      WithJsonSchema({"type": "string", "format": "date-time"})]
IsoDate = Annotated[date, PlainSerializer(date.isoformat, return_type=str),
                    WithJsonSchema({"type": "string", "format": "date"})]
if TYPE_CHECKING:  # the values are vocab's, read at run time; mypy sees plain strings
    RequestStatus = str
    PracticeStatus = str
    NotificationKind = str
else:
    RequestStatus = Literal[vocab.REQUEST_STATUSES]
    PracticeStatus = Literal[vocab.values(vocab.PracticeStatus)]
    NotificationKind = Literal[vocab.NOTIFICATION_KINDS]
ErrorCode = Literal["bad_request", "unauthenticated", "forbidden", "not_found", "method_not_allowed",
                    "conflict", "validation_failed", "gate_failed", "not_publishable", "internal_error"]

M = TypeVar("M", bound="Out")


class Out(BaseModel):
    """Base of every answer: unknown keys are refused, ORM rows are read by attribute."""
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    @classmethod
    def of(cls: type[M], row: Any) -> M:
        return cls.model_validate(row, from_attributes=True)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# --- errors -------------------------------------------------------------------------------------

class ErrorDetail(Out):
    code: ErrorCode
    message: str
    details: dict[str, Any]


class Error(Out):
    error: ErrorDetail


# --- people and places ------------------------------------------------------------------------

class Role(Out):
    role: str
    org_id: int | None
    region_id: int | None


class Me(Out):
    id: int
    email: str
    name: str
    roles: list[Role]


class User(Out):
    id: int
    email: str
    name: str
    is_active: bool
    roles: list[Role]


class Region(Out):
    id: int
    name: str


class Municipality(Out):
    id: int
    region_id: int
    name: str
    kind: MunicipalityKind


class Organization(Out):
    id: int
    municipality_id: int
    region_id: int
    name: str
    kind: OrgKind


# --- workflows ------------------------------------------------------------------------------------

class WorkflowState(Out):
    id: str
    title: str
    sla_days: int | None
    wip_limit: int | None
    final: bool


class WorkflowTransition(Out):
    trigger: str
    source: list[str]
    dest: str
    title: str | None
    requires: list[str]
    approval: str | list[str] | None  # a list for a sequence of steps (approval: [head, curator])
    roles: list[str]
    comment_required: bool


class Workflow(Out):
    id: str
    version: int
    title: str
    initial: str
    idle_days: int | None
    states: list[WorkflowState]
    transitions: list[WorkflowTransition]


# --- projects ---------------------------------------------------------------------------------------

class Request(Out):
    id: int
    project_id: int
    trigger: str
    dest: str
    status: RequestStatus
    requested_by: int
    requested_at: Timestamp
    comment: str | None
    decided_by: int | None
    decided_at: Timestamp | None
    decision_comment: str | None
    steps: list[str]  # who approves, in order (one role for a single-step approval)
    step: int  # the index in ``steps`` of the step waiting now (0-based)


class Notification(Out):
    """A notification of the bell (API.md people-loop): ``text`` in the caller's language."""
    id: int
    at: Timestamp
    kind: NotificationKind
    project_id: int | None
    text: str
    read: bool


class NotificationList(Out):
    items: list[Notification]
    total: int
    unread: int


class NotificationsRead(Out):
    marked: int
    unread: int


class Unmet(Out):
    check: str
    message: str


class AvailableTransition(Out):
    trigger: str
    dest: str
    title: str
    approval: str | list[str] | None  # a list for a sequence of steps
    comment_required: bool
    back: bool
    unmet: list[Unmet]


class StallReason(Out):
    kind: Literal["sla", "idle"]
    days: int
    limit: int


class Project(Out):
    id: int
    org_id: int
    workflow: str
    workflow_version: int
    title: str
    problem: str
    goal: str
    state: str
    version: int
    state_entered_at: Timestamp
    days_in_state: int
    stalled: bool
    stall_reasons: list[StallReason]
    open_risks: int
    pending_request: Request | None
    available_transitions: list[AvailableTransition]
    last_activity_at: Timestamp
    # the card (DOMAIN.md)
    reg_number: str
    sponsor: str
    leader_id: int | None
    process_owner: str
    process_start: str
    process_end: str
    planned_hours_saved: float | None
    actual_hours_saved: float | None
    planned_roubles: float | None
    actual_roubles: float | None
    milestones: dict[str, IsoDate]
    region_id: int
    created_at: Timestamp
    # «Где ещё это применимо и при каких условиях?», answered when closing ("" until then)
    scaling_proposal: str


class ProjectEnvelope(Out):
    project: Project


class RequestEnvelope(Out):
    request: Request


# --- evidence ------------------------------------------------------------------------------------------

class Metric(Out):
    id: int
    project_id: int
    name: str
    unit: str
    direction: Direction
    baseline: float | None
    target: float | None


class Measurement(Out):
    id: int
    metric_id: int
    value: float
    measured_on: IsoDate
    recorded_at: Timestamp
    recorded_by: int | None


class Problem(Out):
    id: int
    project_id: int
    description: str
    waste: Waste
    created_at: Timestamp


class Action(Out):
    id: int
    project_id: int
    title: str
    due_on: IsoDate | None
    owner_id: int | None
    status: ActionStatus
    created_at: Timestamp


class Artefact(Out):
    id: int
    project_id: int
    kind: ArtefactKind
    title: str
    url: str | None
    text: str | None
    created_at: Timestamp
    created_by: int | None


class Risk(Out):
    id: int
    project_id: int
    title: str
    probability: int
    impact: int
    score: int
    mitigation: str | None
    owner_id: int | None
    due_on: IsoDate | None
    status: RiskStatus
    created_at: Timestamp
    updated_at: Timestamp


class Comment(Out):
    id: int
    author_id: int
    at: Timestamp
    text: str


class Event(Out):
    id: int
    at: Timestamp
    actor_id: int | None
    kind: str
    from_state: str | None
    to_state: str | None
    payload: dict[str, Any]


# --- the control tower ---------------------------------------------------------------------------------

class StalledProject(Out):
    project_id: int
    title: str
    org_id: int
    state: str
    days_in_state: int
    sla_days: int | None
    reasons: list[StallReason]


class UnresolvedRisk(Out):
    risk_id: int
    project_id: int
    title: str
    score: int
    status: RiskStatus
    age_days: int


class PendingApproval(Out):
    request_id: int
    project_id: int
    trigger: str
    org_id: int
    waiting_days: int


class MunicipalityFigures(Out):
    municipality_id: int
    name: str
    by_state: dict[str, int]
    stalled: int


class Tower(Out):
    region_id: int
    by_state: dict[str, int]
    stalled: list[StalledProject]
    unresolved_risks: list[UnresolvedRisk]
    pending_approvals: list[PendingApproval]
    by_municipality: list[MunicipalityFigures]


# --- practices ---------------------------------------------------------------------------------------------

class Effect(Out):
    metric: str
    unit: str
    direction: Direction
    baseline: float | None
    result: float | None
    change_pct: float | None


class Replica(Out):
    project_id: int
    org_id: int
    org_name: str
    org_kind: OrgKind
    region_id: int
    state: str
    effect: list[Effect]


class PracticeSource(Out):
    """Where an external practice comes from (imported from another installation)."""
    key: str | None
    region: str
    region_code: str
    org_name: str
    org_kind: str
    municipality_name: str
    url: str | None


class PracticeItem(Out):
    """A practice in the catalogue (without its replicas). An external practice (imported
    from another installation) has no project and no organisation here: ``project_id`` and
    ``org_id`` are null, ``org_name`` and ``municipality_name`` are its source's, and
    ``source`` says where it comes from."""
    id: int
    project_id: int | None
    region_id: int
    org_id: int | None
    org_name: str | None
    org_kind: OrgKind | None
    municipality_id: int | None
    municipality_name: str | None
    title: str
    category: str
    problem: str
    summary: str
    solution: str
    standard: str
    process_start: str
    process_end: str
    scaling_proposal: str  # where else it applies and on what conditions ("" when not given)
    effect: list[Effect]
    effect_size: float | None
    status: PracticeStatus
    published_by: int | None
    published_at: Timestamp
    updated_at: Timestamp
    version: int
    replica_count: int
    external: bool
    source: PracticeSource | None


class Practice(PracticeItem):
    """One practice, with the projects started from it."""
    replicas: list[Replica]


# --- lists: {items, total} -------------------------------------------------------------------------------

class RegionList(Out):
    items: list[Region]
    total: int


class OrganizationList(Out):
    items: list[Organization]
    total: int


class WorkflowList(Out):
    items: list[Workflow]
    total: int


class ProjectList(Out):
    items: list[Project]
    total: int


class RequestList(Out):
    items: list[Request]
    total: int


class EventList(Out):
    items: list[Event]
    total: int


class PracticeList(Out):
    items: list[PracticeItem]
    total: int

"""SQLModel tables. Plain data; behaviour lives in engine.services.

Schema changes go through Alembic migrations (migrations/), never create_all.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol, cast

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, MetaData, Table, inspect, text
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import AutoString

# the vocabularies' values, for the modules that import them from here
from engine.vocab import ARTEFACT_KINDS, ORG_KINDS, RISK_STATUSES, UNRESOLVED_RISK, WASTES  # noqa: F401

# Stable constraint names on both backends (must be set before any table is defined).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

CRITICAL_SCORE = 15


class _Row(Protocol):
    id: int | None


def pk(row: _Row) -> int:
    """The id of a row that has been flushed or loaded. SQLModel types every ``id`` as
    ``int | None`` (None until the INSERT); this is the one place that narrows it."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet (not flushed)")
    return row.id


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a model (``Model.__table__``, which SQLModel does not declare)."""
    return cast(Table, inspect(model).local_table)


class Region(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    code: str = Field(default="", max_length=20)


class Municipality(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", index=True)
    name: str = Field(max_length=200)
    kind: str = Field(default="district", max_length=20)  # city | district


class Organization(SQLModel, table=True):
    # a unique index, not a constraint: SQLite adds it without rebuilding a table others point to
    __table_args__ = (Index("uq_organization_inn", "inn", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    region_id: int = Field(foreign_key="region.id", index=True)
    name: str = Field(max_length=300)
    kind: str = Field(max_length=20)
    # ИНН: the natural key for organisations imported from a file (optional; unique when set)
    inn: str | None = Field(default=None, max_length=12)


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(default="", max_length=300)
    locale: str = Field(default="ru", max_length=5)
    is_active: bool = Field(default=True)
    created_at: datetime
    # Raised by logout, a password change or reset, deactivation and a role removed: a
    # browser session carries the epoch it was signed in at and ends when they differ.
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class RoleGrant(SQLModel, table=True):
    __tablename__ = "role_grant"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    role: str = Field(max_length=20)
    org_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    region_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    # a municipal curator: a curator grant of the region narrowed to one municipality
    municipality_id: int | None = Field(default=None, foreign_key="municipality.id", index=True)


class LoginAttempt(SQLModel, table=True):
    """A failed sign-in, kept in the database so that every web worker throttles alike."""
    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_email_at", "email", "at"),
                      Index("ix_login_attempt_ip_at", "ip", "at"))
    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    email: str = Field(max_length=254)
    ip: str = Field(max_length=64)


class RegCounter(SQLModel, table=True):
    """The last registration number given in a region (one row each, bumped with
    UPDATE … RETURNING so that concurrent creations never take the same number)."""
    __tablename__ = "reg_counter"
    region_id: int = Field(foreign_key="region.id", primary_key=True)
    last_number: int = Field(default=0)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


def _scaling_proposal_column() -> Column:
    """An optional text added after rows existed (migration 0014): '' in the database too,
    so rows written without it (older code, raw inserts) read as "not given"."""
    return Column(AutoString(length=2000), nullable=False, server_default="")


class Project(SQLModel, table=True):
    __table_args__ = (
        Index("ix_project_region_state", "region_id", "state"),
        Index("ix_project_org_state", "org_id", "state"),
        Index("uq_project_region_reg_number", "region_id", "reg_number", unique=True),
        # the stall rule compares these two with per-state thresholds
        Index("ix_project_state_entered", "state", "state_entered_at"),
        Index("ix_project_last_activity", "last_activity_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id")
    region_id: int = Field(foreign_key="region.id")
    workflow_id: str = Field(max_length=50)
    workflow_version: int
    reg_number: str = Field(max_length=40)
    title: str = Field(max_length=300)
    problem: str = Field(default="")
    goal: str = Field(default="")
    sponsor: str = Field(default="", max_length=200)
    leader_id: int | None = Field(default=None, foreign_key="user.id")
    process_owner: str = Field(default="", max_length=200)
    process_start: str = Field(default="", max_length=500)
    process_end: str = Field(default="", max_length=500)
    planned_hours_saved: float | None = None
    actual_hours_saved: float | None = None
    planned_roubles: float | None = None
    actual_roubles: float | None = None
    milestones: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # «Где ещё это применимо и при каких условиях?»: answered when the project is closed
    scaling_proposal: str = Field(default="", sa_column=_scaling_proposal_column())
    state: str = Field(max_length=50)
    state_entered_at: datetime
    last_activity_at: datetime
    version: int = Field(default=1)
    created_at: datetime
    created_by: int | None = Field(default=None, foreign_key="user.id")
    # Set by the scheduler when a stall episode is recorded; cleared by any move.
    stalled_since: datetime | None = None
    # A replica started from a practice of the portfolio.
    # (use_alter: project and practice refer to each other; the constraint is added after both)
    practice_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("practice.id", use_alter=True, name="fk_project_practice_id_practice"),
        nullable=True, index=True))


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    role_text: str = Field(default="", max_length=200)


class Metric(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    name: str = Field(max_length=200)
    unit: str = Field(default="", max_length=50)
    direction: str = Field(max_length=10)
    baseline: float | None = None
    target: float | None = None
    created_at: datetime
    # the latest measurement (by date, then record order), written with each measurement:
    # the tower's share of closed projects reaching their targets reads it directly
    latest_value: float | None = None
    latest_on: date | None = None


class Measurement(SQLModel, table=True):
    # a metric's latest value (by date, then record order) read from the index alone
    __table_args__ = (Index("ix_measurement_latest", "metric_id", "measured_on", "id", "value"),)
    id: int | None = Field(default=None, primary_key=True)
    metric_id: int = Field(foreign_key="metric.id", index=True)
    value: float
    measured_on: date
    recorded_at: datetime
    recorded_by: int | None = Field(default=None, foreign_key="user.id")


class Problem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    description: str
    waste: str = Field(max_length=20)
    created_at: datetime


class Action(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    title: str = Field(max_length=300)
    due_on: date | None = None
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    status: str = Field(default="open", max_length=10)
    created_at: datetime


class Artefact(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    kind: str = Field(max_length=30)
    title: str = Field(max_length=300)
    url: str | None = Field(default=None, max_length=1000)
    text: str | None = None
    created_at: datetime
    created_by: int | None = Field(default=None, foreign_key="user.id")


class Risk(SQLModel, table=True):
    __table_args__ = (Index("ix_risk_status_score", "status", "score"),
                      # a region's unresolved risks by their projects (monitoring._of_active_projects)
                      Index("ix_risk_project_status", "project_id", "status", "score", "created_at"))
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    # the project's region, copied when the risk is logged (a project never changes region):
    # the tower walks a region's unresolved risks, worst first, by the partial index
    # ix_risk_region_unresolved (region_id, score DESC, created_at, id) of migration 0021
    region_id: int | None = Field(default=None)
    title: str = Field(max_length=300)
    probability: int
    impact: int
    score: int
    mitigation: str | None = None
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    due_on: date | None = None
    status: str = Field(default="open", max_length=12)
    created_at: datetime
    updated_at: datetime
    # Set by the scheduler when the owner was reminded of the passed due date (once).
    reminded_at: datetime | None = None


class TransitionRequest(SQLModel, table=True):
    __tablename__ = "transition_request"
    __table_args__ = (
        # Only one pending request per project, enforced by the database.
        Index("uq_transition_request_pending", "project_id", unique=True,
              sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
        Index("ix_transition_request_status", "status", "requested_at"),
        # the requests waiting for a role (the menu's badge: a curator's are few among a
        # national database's 100,000 waiting for heads)
        Index("ix_transition_request_pending_approval", "approval", "project_id",
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
        # a region's waiting requests (the tower): by its own index, not every region's
        Index("ix_transition_request_region_pending", "region_id", "requested_at",
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    # the project's region, copied when the request is made (a project never changes region),
    # so that a region's waiting requests are read by their index in a national database
    # (without it the tower joined every region's 100,000 waiting requests to its projects)
    region_id: int | None = Field(default=None)
    trigger: str = Field(max_length=50)
    dest: str = Field(max_length=50)
    approval: str = Field(default="head", max_length=20)  # the role of the step waiting now
    status: str = Field(default="pending", max_length=10)
    # A sequence of approvals (workflow ``approval: [head, curator]``): its roles, comma
    # separated, and the index of the step waiting now; null: the single step ``approval``.
    approval_steps: str | None = Field(default=None, max_length=200)
    step: int = Field(default=0)
    requested_by: int = Field(foreign_key="user.id")
    requested_at: datetime
    comment: str | None = None
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    decision_comment: str | None = None
    # a closing move's scaling proposal, kept until the move is approved (then the project's)
    scaling_proposal: str | None = Field(default=None, max_length=2000)
    # Set by the scheduler when the deciding head has been reminded (once per request).
    reminded_at: datetime | None = None

    @property
    def steps(self) -> list[str]:
        """Who approves, in order (one role for a single-step approval)."""
        return self.approval_steps.split(",") if self.approval_steps else [self.approval]


class Comment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    author_id: int = Field(foreign_key="user.id")
    at: datetime
    text: str


class Event(SQLModel, table=True):
    """Append-only audit log. Services add rows; nothing updates or deletes them."""
    __table_args__ = (Index("ix_event_project_at", "project_id", "at"),
                      Index("ix_event_kind_at", "kind", "at"),
                      Index("ix_event_kind_id", "kind", "id"),  # the latest move: one index probe
                      Index("ix_event_actor_at", "actor_id", "at"))  # a person's recent changes (replica.py)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int | None = Field(default=None, foreign_key="project.id")
    at: datetime
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    kind: str = Field(max_length=40)
    from_state: str | None = Field(default=None, max_length=50)
    to_state: str | None = Field(default=None, max_length=50)
    # state_changed only: fractional days the project spent in from_state (the tower's
    # time in stage reads it instead of pairing every move with the one before)
    stay_days: float | None = None
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Notification(SQLModel, table=True):
    """An in-app notification (the bell); e-mailed too when SMTP is configured."""
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    at: datetime
    kind: str = Field(max_length=40)  # engine.vocab.NotificationKind
    project_id: int | None = Field(default=None, foreign_key="project.id")
    text_ru: str
    text_en: str
    read_at: datetime | None = None
    emailed_at: datetime | None = None


class EmailMute(SQLModel, table=True):
    """A kind of notification a person wants in the app only, never by e-mail (set on the
    account page; the scheduler's e-mail job skips it)."""
    __tablename__ = "email_mute"
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    kind: str = Field(max_length=40, primary_key=True)


class DailySnapshot(SQLModel, table=True):
    """Projects per organisation and state at the end of a UTC day (cumulative flow)."""
    __tablename__ = "daily_snapshot"
    __table_args__ = (Index("uq_daily_snapshot_day_org_state", "day", "org_id", "state", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    day: date
    org_id: int = Field(foreign_key="organization.id")
    region_id: int = Field(foreign_key="region.id", index=True)
    state: str = Field(max_length=50)
    count: int


class RegionSnapshot(SQLModel, table=True):
    """The daily snapshots summed per region, day and state: the region's cumulative flow
    reads a few hundred rows instead of one per organisation. Written with them."""
    __tablename__ = "region_snapshot"
    __table_args__ = (Index("uq_region_snapshot_region_day_state", "region_id", "day", "state", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id")
    day: date
    state: str = Field(max_length=50)
    count: int


class Practice(SQLModel, table=True):
    """A proven solution in the portfolio «Бережливая школа», published from a closed project,
    or an external one imported from another installation (engine/practices/exchange.py):
    no project and no organisation here, its source kept in the ``source_*`` fields."""
    __table_args__ = (Index("ix_practice_region_status", "region_id", "status"),
                      Index("uq_practice_region_source_key", "region_id", "source_key", unique=True))
    id: int | None = Field(default=None, primary_key=True)
    project_id: int | None = Field(default=None, foreign_key="project.id", unique=True)
    region_id: int = Field(foreign_key="region.id")
    org_id: int | None = Field(default=None, foreign_key="organization.id")
    title: str = Field(max_length=300)
    category: str = Field(max_length=50)
    problem: str = Field(default="")
    summary: str = Field(default="")
    solution: str = Field(default="")
    standard: str = Field(default="")
    process_start: str = Field(default="", max_length=500)
    process_end: str = Field(default="", max_length=500)
    # where else it applies and on what conditions (the project's scaling proposal, copied)
    scaling_proposal: str = Field(default="", sa_column=_scaling_proposal_column())
    effect: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="published", max_length=12)  # published | withdrawn
    published_by: int | None = Field(default=None, foreign_key="user.id")
    published_at: datetime
    updated_at: datetime
    version: int = Field(default=1)
    # Snowball-stemmed words of title, problem, summary and solution (SQLite FTS5 indexes it).
    search_stems: str = Field(default="")
    # an external practice (imported): where it comes from; keyed by (region_id, source_key)
    external: bool = Field(default=False)
    source_key: str | None = Field(default=None, max_length=100)
    source_region: str = Field(default="", max_length=200)
    source_region_code: str = Field(default="", max_length=20)
    source_org: str = Field(default="", max_length=300)
    source_org_kind: str = Field(default="", max_length=20)
    source_municipality: str = Field(default="", max_length=200)
    source_url: str = Field(default="", max_length=500)


class SchedulerJob(SQLModel, table=True):
    """The scheduler's record of each job (one row a job, rewritten by every run): the
    heartbeat /healthz reads and the figures /metrics shows (engine/health.py)."""
    __tablename__ = "scheduler_job"
    name: str = Field(primary_key=True, max_length=40)
    last_started_at: datetime
    last_finished_at: datetime
    last_duration_ms: float = Field(default=0)
    last_ok: bool = Field(default=True)
    last_error: str | None = Field(default=None, max_length=500)
    runs: int = Field(default=0)
    failures: int = Field(default=0)
# --- the programme above the projects (PROGRAMME.md, issue #13) ----------------------------

class Programme(SQLModel, table=True):
    """A regional innovation programme (программа РИП): stages, participants, rounds."""
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", index=True)
    title: str = Field(max_length=500)
    starts_on: date
    ends_on: date
    goal: str = Field(default="")
    tasks: str = Field(default="")
    hypothesis: str = Field(default="")
    status: str = Field(default="draft", max_length=12)  # draft | active | finished
    questionnaire_id: str = Field(default="readiness", max_length=50)
    created_at: datetime
    created_by: int | None = Field(default=None, foreign_key="user.id")
    version: int = Field(default=1)
    # the workflow its participants' new projects follow unless they name one (null: the default)
    workflow: str | None = Field(default=None, max_length=50)


class ProgrammeStage(SQLModel, table=True):
    __tablename__ = "programme_stage"
    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    position: int
    title: str = Field(max_length=300)
    starts_on: date
    ends_on: date
    content: str = Field(default="")


class StageTask(SQLModel, table=True):
    """A stage's task (мероприятие этапа); ``rule`` completes it from data when set."""
    __tablename__ = "stage_task"
    id: int | None = Field(default=None, primary_key=True)
    stage_id: int = Field(foreign_key="programme_stage.id", index=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    title: str = Field(max_length=300)
    due_on: date | None = None
    responsible: str = Field(default="", max_length=200)
    status: str = Field(default="open", max_length=12)  # open | done
    rule: str | None = Field(default=None, max_length=60)
    done_at: datetime | None = None


class Participant(SQLModel, table=True):
    """An organisation taking part in a programme."""
    __table_args__ = (Index("uq_participant_programme_org", "programme_id", "org_id", unique=True),
                      Index("ix_participant_org", "org_id"))
    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id")
    org_id: int = Field(foreign_key="organization.id")
    joined_on: date
    wave: int = Field(default=1)
    status: str = Field(default="active", max_length=12)  # active | withdrawn
    withdrawn_on: date | None = None
    reason: str | None = None
    created_at: datetime


class InitiativeMember(SQLModel, table=True):
    """A person of a participant's initiative group: a user, or a named person."""
    __tablename__ = "initiative_member"
    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    name: str = Field(default="", max_length=200)
    position: str = Field(default="", max_length=200)
    training_status: str | None = Field(default=None, max_length=20)  # for the training issue
    created_at: datetime


class ReadinessRound(SQLModel, table=True):
    __tablename__ = "readiness_round"
    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    kind: str = Field(max_length=10)  # initial | final | other
    title: str = Field(max_length=300)
    opens_on: date
    closes_on: date
    questionnaire_id: str = Field(max_length=50)
    questionnaire_version: int
    closed_at: datetime | None = None  # closed early by a curator
    # set by the scheduler when coordinators and heads were reminded of the closing date (once)
    reminded_at: datetime | None = None


class ReadinessAnswer(SQLModel, table=True):
    """One organisation's answer to a round: a draft until submitted, then locked."""
    __tablename__ = "readiness_answer"
    __table_args__ = (Index("uq_readiness_answer_round_org", "round_id", "org_id", unique=True),
                      Index("ix_readiness_answer_org", "org_id", "status"))
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="readiness_round.id")
    org_id: int = Field(foreign_key="organization.id")
    scores: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    needs: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    difficulties: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    resources: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    deficits: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # each section's mean of ``scores``, computed when saved (Questionnaire.section_means): the tower's figures
    section_means: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="draft", max_length=12)  # draft | submitted
    submitted_at: datetime | None = None
    submitted_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    version: int = Field(default=1)


class WorkPlan(SQLModel, table=True):
    """A participant's innovation work plan (план инновационной работы) and its decision."""
    __tablename__ = "work_plan"
    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", unique=True)
    status: str = Field(default="draft", max_length=12)  # draft | submitted | approved | returned
    submitted_by: int | None = Field(default=None, foreign_key="user.id")
    submitted_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    comment: str | None = None
    version: int = Field(default=1)


class PlanItem(SQLModel, table=True):
    __tablename__ = "plan_item"
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="work_plan.id", index=True)
    title: str = Field(max_length=300)
    due_on: date | None = None
    who: str = Field(default="", max_length=200)
    status: str = Field(default="open", max_length=12)  # open | done | dropped
    evidence_url: str | None = Field(default=None, max_length=1000)
    created_at: datetime


# --- training: courses, their streams, enrolments (PROGRAMME.md "Training", issue #14) ---------

class Course(SQLModel, table=True):
    """A course of a region (ПК, expert training, a seminar); curators manage it."""
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", index=True)
    title: str = Field(max_length=500)
    hours: int = Field(default=0)
    kind: str = Field(max_length=20)  # engine.vocab.CourseKind
    created_at: datetime
    created_by: int | None = Field(default=None, foreign_key="user.id")
    version: int = Field(default=1)


class CourseStream(SQLModel, table=True):
    """One run of a course (поток): dates and place."""
    __tablename__ = "course_stream"
    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", index=True)
    starts_on: date
    ends_on: date
    place: str = Field(default="", max_length=300)
    created_at: datetime


class Enrolment(SQLModel, table=True):
    """A person in a stream: a user, or a person of an initiative group (one per stream);
    enrolled → completed (date, certificate number) or dropped. ``org_id`` is the
    organisation the person was enrolled from (the reports and the funnel count by it)."""
    __table_args__ = (Index("uq_enrolment_stream_user", "stream_id", "user_id", unique=True),
                      Index("uq_enrolment_stream_member", "stream_id", "member_id", unique=True),
                      Index("ix_enrolment_user", "user_id"),
                      Index("ix_enrolment_member", "member_id"),
                      Index("ix_enrolment_org_status", "org_id", "status"))
    id: int | None = Field(default=None, primary_key=True)
    stream_id: int = Field(foreign_key="course_stream.id")
    user_id: int | None = Field(default=None, foreign_key="user.id")
    member_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("initiative_member.id", ondelete="SET NULL",
                            name="fk_enrolment_member_id_initiative_member"), nullable=True))
    org_id: int | None = Field(default=None, foreign_key="organization.id")
    name: str = Field(max_length=200)
    status: str = Field(default="enrolled", max_length=12)  # engine.vocab.EnrolmentStatus
    completed_on: date | None = None
    certificate_no: str | None = Field(default=None, max_length=100)
    created_at: datetime
    updated_at: datetime
    version: int = Field(default=1)


# --- defence sessions (защита проектов, #14 item 5; engine/defence/) ---------------------------

class DefenceSession(SQLModel, table=True):
    """A defence session of a region: a commission of curators decides, project by project,
    the requests waiting at their (the curator's) approval step."""
    __tablename__ = "defence_session"
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", index=True)
    title: str = Field(max_length=300)
    held_on: date
    place: str = Field(default="", max_length=300)
    status: str = Field(default="planned", max_length=10)  # planned | held | closed
    created_at: datetime
    created_by: int | None = Field(default=None, foreign_key="user.id")
    version: int = Field(default=1)


class DefenceCommission(SQLModel, table=True):
    """A member of a session's commission (a curator)."""
    __tablename__ = "defence_commission"
    __table_args__ = (Index("uq_defence_commission_session_user", "session_id", "user_id", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="defence_session.id")
    user_id: int = Field(foreign_key="user.id")


class DefenceItem(SQLModel, table=True):
    """A project defended at a session: its request, and the commission's decision
    (accepted | to_revise; null until decided)."""
    __tablename__ = "defence_item"
    __table_args__ = (Index("uq_defence_item_session_project", "session_id", "project_id", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="defence_session.id")
    project_id: int = Field(foreign_key="project.id", index=True)
    request_id: int = Field(foreign_key="transition_request.id")
    decision: str | None = Field(default=None, max_length=10)
    remarks: str | None = None
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None


# --- events and dissemination (PROGRAMME.md "Events", issue #14 item 3) --------------------------

class ProgrammeEvent(SQLModel, table=True):
    """A webinar, foresight session, conference, innovation fair or course day of a region
    (optionally of one of its programmes): who took part and which practices were shown.
    (Not the audit ``Event``: that one records changes.)"""
    __tablename__ = "programme_event"
    __table_args__ = (Index("ix_programme_event_region_held", "region_id", "held_on"),)
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id")
    programme_id: int | None = Field(default=None, foreign_key="programme.id", index=True)
    title: str = Field(max_length=300)
    kind: str = Field(max_length=20)  # engine.vocab.EventType
    held_on: date
    place: str = Field(default="", max_length=300)
    link: str | None = Field(default=None, max_length=1000)
    attendance: int | None = None
    description: str = Field(default="")
    created_at: datetime
    created_by: int | None = Field(default=None, foreign_key="user.id")
    version: int = Field(default=1)


class EventOrg(SQLModel, table=True):
    """An organisation taking part in an event."""
    __tablename__ = "event_org"
    event_id: int = Field(foreign_key="programme_event.id", primary_key=True)
    org_id: int = Field(foreign_key="organization.id", primary_key=True, index=True)


class EventPractice(SQLModel, table=True):
    """A practice presented at an event (the practice page's «Где представлена»)."""
    __tablename__ = "event_practice"
    event_id: int = Field(foreign_key="programme_event.id", primary_key=True)
    practice_id: int = Field(foreign_key="practice.id", primary_key=True, index=True)


# --- scaling campaigns (тиражирование, PROGRAMME.md "Portfolio edition and scaling") --------

class ScalingCampaign(SQLModel, table=True):
    """A curator's offer of a practice to chosen organisations, with a deadline
    (engine/campaigns/)."""
    __tablename__ = "scaling_campaign"
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", index=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    title: str = Field(max_length=300)
    message: str = Field(default="")
    deadline: date
    status: str = Field(default="open", max_length=12)  # open | closed
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime
    closed_at: datetime | None = None
    version: int = Field(default=1)


class CampaignOffer(SQLModel, table=True):
    """One organisation's offer in a campaign: its head accepts (a replica project starts)
    or declines with a reason; the scheduler reminds once before the deadline."""
    __tablename__ = "campaign_offer"
    __table_args__ = (Index("uq_campaign_offer_campaign_org", "campaign_id", "org_id", unique=True),
                      Index("ix_campaign_offer_org_status", "org_id", "status"))
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="scaling_campaign.id")
    org_id: int = Field(foreign_key="organization.id")
    status: str = Field(default="offered", max_length=12)  # offered | accepted | declined
    reason: str | None = None
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    project_id: int | None = Field(default=None, foreign_key="project.id")
    reminded_at: datetime | None = None
    version: int = Field(default=1)


# --- evaluation editions (оценочные срезы, PROGRAMME.md "Evaluation", engine/evaluation/) -----

class EvaluationEdition(SQLModel, table=True):
    """A region's evaluation as of a date («Промежуточный анализ на 31.12.2020», «Итоговая
    оценка»): a draft shows its figures computed live as of ``as_of``; signing stores them
    in ``figures`` and freezes the edition (never recomputed afterwards)."""
    __tablename__ = "evaluation_edition"
    id: int | None = Field(default=None, primary_key=True)
    region_id: int = Field(foreign_key="region.id", index=True)
    title: str = Field(max_length=300)
    kind: str = Field(max_length=10)  # interim | final
    as_of: date
    status: str = Field(default="draft", max_length=10)  # draft | signed
    figures: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    signed_by: int | None = Field(default=None, foreign_key="user.id")
    signed_at: datetime | None = None
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime
    version: int = Field(default=1)

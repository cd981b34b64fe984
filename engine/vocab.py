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
    WITHDRAWN = "withdrawn"  # by the requester, or by a head who may decide it


class PracticeStatus(StrEnum):
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class CampaignStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class EditionKind(StrEnum):
    """An evaluation edition: an interim analysis or the final evaluation."""
    INTERIM = "interim"
    FINAL = "final"


class EditionStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"


class OfferStatus(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ProgrammeStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    FINISHED = "finished"


class DefenceStatus(StrEnum):
    """A defence session: planned, held (a decision recorded), closed (read only)."""
    PLANNED = "planned"
    HELD = "held"
    CLOSED = "closed"


class DefenceDecision(StrEnum):
    """The commission's decision on a project: its step approved, or the request
    returned to the team with the remarks."""
    ACCEPTED = "accepted"
    TO_REVISE = "to_revise"


class ParticipantStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class CourseKind(StrEnum):
    """A training course's kind (PROGRAMME.md "Training")."""
    QUALIFICATION = "qualification"  # курс повышения квалификации (ПК)
    EXPERT = "expert"  # подготовка экспертов
    SEMINAR = "seminar"  # семинар


class EnrolmentStatus(StrEnum):
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    DROPPED = "dropped"


class TaskStatus(StrEnum):
    """A programme stage's task (мероприятие этапа)."""
    OPEN = "open"
    DONE = "done"


class RoundKind(StrEnum):
    """A readiness round: the initial one (stage 1), the final one, others a curator adds."""
    INITIAL = "initial"
    FINAL = "final"
    OTHER = "other"


class AnswerStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class PlanStatus(StrEnum):
    """An innovation work plan's decision (the same pattern as a transition request)."""
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class PlanItemStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class EventType(StrEnum):
    """What kind of event a dissemination event is (PROGRAMME.md "Events")."""
    WEBINAR = "webinar"
    FORESIGHT = "foresight"  # форсайт-сессия
    CONFERENCE = "conference"  # конференция / панельная дискуссия
    FAIR = "fair"  # ярмарка инноваций
    COURSE_DAY = "course_day"


def values(vocabulary: type[StrEnum]) -> tuple[str, ...]:
    """The vocabulary's values as plain strings, in their declared order."""
    return tuple(member.value for member in vocabulary)


ORG_KINDS = values(OrgKind)
MUNICIPALITY_KINDS = values(MunicipalityKind)
WASTES = values(Waste)
ARTEFACT_KINDS = values(ArtefactKind)
RISK_STATUSES = values(RiskStatus)
UNRESOLVED_RISK = (RiskStatus.OPEN.value, RiskStatus.MITIGATING.value)
ACTION_STATUSES = values(ActionStatus)
DIRECTIONS = values(Direction)
REQUEST_STATUSES = values(RequestStatus)
EVENT_TYPES = values(EventType)


class EventKind(StrEnum):
    """What an audit event records (``event.kind``; API.md's history). Project events are
    shown in the card's history (webui/web/labels.py names each); the others (accounts,
    organisations, the system) are the audit log's."""
    # a project and its card
    CREATED = "created"
    UPDATED = "updated"
    TEAM_CHANGED = "team_changed"
    TRANSITION_REQUESTED = "transition_requested"
    TRANSITION_APPROVED = "transition_approved"
    APPROVAL_STEP_PASSED = "approval_step_passed"  # a step of a sequence approved, the next one waits
    TRANSITION_REJECTED = "transition_rejected"
    TRANSITION_WITHDRAWN = "transition_withdrawn"
    STATE_CHANGED = "state_changed"
    STALLED = "stalled"  # by the system (the scheduler's stall scan)
    PROBLEM_ADDED = "problem_added"
    METRIC_ADDED = "metric_added"
    METRIC_UPDATED = "metric_updated"
    MEASUREMENT_RECORDED = "measurement_recorded"
    ACTION_ADDED = "action_added"
    ACTION_UPDATED = "action_updated"
    RISK_LOGGED = "risk_logged"
    RISK_UPDATED = "risk_updated"
    ARTEFACT_ADDED = "artefact_added"
    COMMENTED = "commented"
    PRACTICE_PUBLISHED = "practice_published"
    PRACTICE_UPDATED = "practice_updated"
    PRACTICE_WITHDRAWN = "practice_withdrawn"
    PRACTICE_IMPORTED = "practice_imported"  # an external practice added or updated from a file
    REPLICATED = "replicated"
    # accounts, organisations and the region (no project)
    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    USER_ACTIVATED = "user_activated"
    USER_DEACTIVATED = "user_deactivated"
    ROLE_GRANTED = "role_granted"
    ROLE_REVOKED = "role_revoked"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    PASSWORD_REHASHED = "password_rehashed"  # a stored hash upgraded at sign-in
    LOCALE_CHANGED = "locale_changed"
    SIGNED_OUT = "signed_out"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    NOTIFICATIONS_READ = "notifications_read"
    REGION_CREATED = "region_created"
    MUNICIPALITY_CREATED = "municipality_created"
    MUNICIPALITY_UPDATED = "municipality_updated"
    ORGANIZATION_CREATED = "organization_created"
    ORGANIZATION_UPDATED = "organization_updated"
    # the programme above the projects (no project)
    PROGRAMME_CREATED = "programme_created"
    PROGRAMME_UPDATED = "programme_updated"
    STAGE_ADDED = "stage_added"
    STAGE_UPDATED = "stage_updated"
    STAGE_TASK_ADDED = "stage_task_added"
    STAGE_TASK_UPDATED = "stage_task_updated"
    PARTICIPANT_ADDED = "participant_added"
    PARTICIPANT_WITHDRAWN = "participant_withdrawn"
    INITIATIVE_MEMBER_ADDED = "initiative_member_added"
    INITIATIVE_MEMBER_REMOVED = "initiative_member_removed"
    ROUND_OPENED = "round_opened"
    ROUND_CLOSED = "round_closed"
    READINESS_SAVED = "readiness_saved"
    READINESS_SUBMITTED = "readiness_submitted"
    READINESS_REOPENED = "readiness_reopened"
    ROUND_REMINDED = "round_reminded"  # by the system (the scheduler)
    PLAN_ITEM_ADDED = "plan_item_added"
    PLAN_ITEM_UPDATED = "plan_item_updated"
    PLAN_SUBMITTED = "plan_submitted"
    PLAN_APPROVED = "plan_approved"
    PLAN_RETURNED = "plan_returned"
    # training (courses, streams, enrolments)
    COURSE_CREATED = "course_created"
    STREAM_ADDED = "stream_added"
    ENROLLED = "enrolled"
    ENROLMENT_COMPLETED = "enrolment_completed"
    ENROLMENT_DROPPED = "enrolment_dropped"
    # defence sessions (engine/defence/; no project: the decisions' request events carry it)
    DEFENCE_SCHEDULED = "defence_scheduled"
    DEFENCE_PROJECT_ADDED = "defence_project_added"
    DEFENCE_DECIDED = "defence_decided"
    DEFENCE_CLOSED = "defence_closed"
    # events and dissemination (PROGRAMME.md "Events")
    EVENT_CREATED = "event_created"
    EVENT_UPDATED = "event_updated"
    # scaling campaigns (engine/campaigns/)
    CAMPAIGN_CREATED = "campaign_created"
    CAMPAIGN_CLOSED = "campaign_closed"
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_DECLINED = "offer_declined"
    OFFER_REMINDED = "offer_reminded"  # by the system (the scheduler)
    # evaluation editions (engine/evaluation/)
    EDITION_CREATED = "edition_created"
    EDITION_UPDATED = "edition_updated"
    EDITION_SIGNED = "edition_signed"
    EDITION_DELETED = "edition_deleted"


PROJECT_EVENTS = frozenset({
    EventKind.CREATED, EventKind.UPDATED, EventKind.TEAM_CHANGED, EventKind.TRANSITION_REQUESTED,
    EventKind.TRANSITION_APPROVED, EventKind.APPROVAL_STEP_PASSED, EventKind.TRANSITION_REJECTED,
    EventKind.TRANSITION_WITHDRAWN, EventKind.STATE_CHANGED, EventKind.STALLED,
    EventKind.PROBLEM_ADDED, EventKind.METRIC_ADDED, EventKind.METRIC_UPDATED, EventKind.MEASUREMENT_RECORDED,
    EventKind.ACTION_ADDED, EventKind.ACTION_UPDATED, EventKind.RISK_LOGGED, EventKind.RISK_UPDATED,
    EventKind.ARTEFACT_ADDED, EventKind.COMMENTED, EventKind.PRACTICE_PUBLISHED, EventKind.PRACTICE_UPDATED,
    EventKind.PRACTICE_WITHDRAWN, EventKind.REPLICATED, EventKind.OFFER_ACCEPTED,
})


class NotificationKind(StrEnum):
    """What a notification (the bell, an e-mail) tells (``notification.kind``; API.md's
    people-loop). Most are written by the services in the transaction of the decision;
    STALLED, APPROVAL_REMINDER, RISK_OVERDUE, CAMPAIGN_REMINDER and ROUND_REMINDER by the
    scheduler's jobs."""
    TRANSITION_REQUESTED = "transition_requested"  # to those who may decide it
    TRANSITION_APPROVED = "transition_approved"  # to the requester and the leader
    TRANSITION_REJECTED = "transition_rejected"  # the same; the text carries the reason
    REQUEST_WITHDRAWN = "request_withdrawn"  # the same
    COMMENTED = "commented"  # to the team (leader and members)
    MENTIONED = "mentioned"  # to the person named «@Имя» in a comment
    TEAM_ADDED = "team_added"  # to the person put on the team
    OWNER_ASSIGNED = "owner_assigned"  # to the person made leader, or owner of an action or a risk
    MOVED_BACK = "moved_back"  # to the team, when the project goes back a stage
    STALLED = "stalled"  # the stall scan: to the leader and the heads
    APPROVAL_REMINDER = "approval_reminder"  # a request waits too long: to who may decide
    RISK_OVERDUE = "risk_overdue"  # a risk past its due date: to its owner
    CAMPAIGN_OFFERED = "campaign_offered"  # a practice offered to the organisation: to its heads
    CAMPAIGN_REMINDER = "campaign_reminder"  # the offer's deadline is near (the scheduler): to its heads
    CAMPAIGN_ANSWERED = "campaign_answered"  # an organisation accepted or declined: to the campaign's curator
    ROUND_REMINDER = "round_reminder"  # a readiness round closes soon (the scheduler): to who has not submitted


# The kind's name on the account page (the e-mail mute settings) and in the e-mail subject.
NOTIFICATION_TITLES: dict[NotificationKind, tuple[str, str]] = {
    NotificationKind.TRANSITION_REQUESTED: ("Новый запрос на согласование", "A new request to decide"),
    NotificationKind.TRANSITION_APPROVED: ("Запрос согласован", "A request was approved"),
    NotificationKind.TRANSITION_REJECTED: ("Запрос отклонён", "A request was rejected"),
    NotificationKind.REQUEST_WITHDRAWN: ("Запрос отозван", "A request was withdrawn"),
    NotificationKind.COMMENTED: ("Комментарий к проекту", "A comment on a project"),
    NotificationKind.MENTIONED: ("Вас упомянули в комментарии", "You were mentioned in a comment"),
    NotificationKind.TEAM_ADDED: ("Вас включили в команду проекта", "You were added to a project team"),
    NotificationKind.OWNER_ASSIGNED: ("Вас назначили ответственным", "You were made responsible"),
    NotificationKind.MOVED_BACK: ("Проект возвращён на этап", "A project was moved back"),
    NotificationKind.STALLED: ("Проект остановился", "A project has stalled"),
    NotificationKind.APPROVAL_REMINDER: ("Запрос ждёт вашего согласования",
                                         "A request is waiting for your approval"),
    NotificationKind.RISK_OVERDUE: ("Срок по риску прошёл", "A risk is past its due date"),
    NotificationKind.CAMPAIGN_OFFERED: ("Организации предложена практика",
                                        "A practice is offered to your organisation"),
    NotificationKind.CAMPAIGN_REMINDER: ("Срок ответа на предложение практики истекает",
                                         "The answer to a practice offer is due soon"),
    NotificationKind.CAMPAIGN_ANSWERED: ("Организация ответила на предложение практики",
                                         "An organisation answered a practice offer"),
    NotificationKind.ROUND_REMINDER: ("Анкета готовности скоро закроется",
                                      "A readiness questionnaire closes soon"),
}
NOTIFICATION_KINDS = values(NotificationKind)

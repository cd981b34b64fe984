"""Use cases on a project's evidence: metrics, measurements, problems, actions,
artefacts, risks and team. Each writes its event in the same transaction."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import select
from sqlmodel import col

import engine.services.notifications as notes
from engine import clock
from engine.db import UnitOfWork
from engine.errors import ValidationFailed
from engine.models import (
    Action,
    Artefact,
    Measurement,
    Metric,
    Problem,
    Project,
    Risk,
    RoleGrant,
    TeamMember,
    pk,
)
from engine.policy import Actor, require
from engine.schemas import (
    ActionIn,
    ActionPatch,
    ArtefactIn,
    MeasurementIn,
    MetricIn,
    MetricPatch,
    ProblemIn,
    RiskIn,
    RiskPatch,
    TeamMemberIn,
    parse,
)
from engine.services.common import get_or_404, record, who_sees, works_in
from engine.services.projects import get_project, require_open
from engine.text import Text
from engine.vocab import EventKind, NotificationKind


def _tell_owner(uow: UnitOfWork, actor: Actor, project: Project, owner_id: int | None,
                what_ru: str, what_en: str) -> None:
    """The person made owner of an action or a risk hears of it (not when they did it)."""
    if owner_id is not None:
        notes.notify_people(uow.session, actor, project, NotificationKind.OWNER_ASSIGNED, [owner_id], Text(
            f"«{project.title}»: вас назначили ответственным за {what_ru}",
            f"“{project.title}”: you were made responsible for {what_en}"))


def _editable_project(uow: UnitOfWork, actor: Actor, project_id: int) -> Project:
    project = get_project(uow, actor, project_id)
    require(actor, "project.log", project.org_id, project.region_id)
    return project


def _owned(uow: UnitOfWork, actor: Actor, model: type, obj_id: int, what: str) -> tuple[Any, Project]:
    obj: Any = get_or_404(uow.session, model, obj_id, what)
    project_id = obj.project_id if hasattr(obj, "project_id") else None
    if project_id is None:  # a measurement hangs off a metric
        project_id = cast(Metric, uow.session.get(Metric, obj.metric_id)).project_id  # a foreign key
    return obj, _editable_project(uow, actor, project_id)


# One message whether the id is unknown or names someone outside the project's scope:
# a different answer would tell who exists.
NOT_ELIGIBLE_OWNER = Text("Ответственный должен работать в организации проекта или входить в его команду",
                          "The owner must work in the project's organisation or be on its team")
NOT_ELIGIBLE_TEAM = Text("В команду можно добавить сотрудника организации проекта или куратора её региона",
                         "Only people of the project's organisation or curators of its region may join the team")


def _check_owner(uow: UnitOfWork, project: Any, user_id: int | None) -> None:
    """An action's or risk's owner works in the project's organisation, or is on its team
    and may see the project (a curator of the region): anyone else would be reminded about
    a project they may not see."""
    if user_id is None:
        return
    if user_id not in who_sees(uow.session, {user_id}, project.org_id, project.region_id, admins=False):
        raise ValidationFailed({"owner_id": NOT_ELIGIBLE_OWNER})
    in_org = uow.session.execute(select(col(RoleGrant.id)).where(
        col(RoleGrant.user_id) == user_id, works_in(project.org_id))).first()
    on_team = uow.session.execute(select(col(TeamMember.id)).where(
        col(TeamMember.project_id) == project.id, col(TeamMember.user_id) == user_id)).first()
    if in_org is None and on_team is None:
        raise ValidationFailed({"owner_id": NOT_ELIGIBLE_OWNER})


def _changed(obj: Any, body: Any) -> dict[str, Any]:
    """Apply the fields the caller sent; returns {field: {from, to}} for the event."""
    diff: dict[str, Any] = {}
    for name in body.model_fields_set:
        new, old = getattr(body, name), getattr(obj, name)
        if new != old:
            diff[name] = {"from": _plain(old), "to": _plain(new)}
            setattr(obj, name, new)
    return diff


def _plain(v: Any) -> Any:
    return v if isinstance(v, (str, int, float, bool, type(None))) else str(v)


# --- metrics and measurements -------------------------------------------------------

def add_metric(uow: UnitOfWork, actor: Actor, project_id: int, data: dict[str, Any]) -> Metric:
    project = _editable_project(uow, actor, project_id)
    body: MetricIn = parse(MetricIn, data)
    require_open(uow, project)
    m = Metric(project_id=pk(project), created_at=clock.now(), **body.model_dump())
    uow.session.add(m)
    uow.session.flush()
    record(uow.session, actor, EventKind.METRIC_ADDED, project, {"metric_id": m.id, **body.model_dump()})
    uow.commit()
    return m


def update_metric(uow: UnitOfWork, actor: Actor, metric_id: int, data: dict[str, Any]) -> Metric:
    metric, project = _owned(uow, actor, Metric, metric_id, "metric")
    body: MetricPatch = parse(MetricPatch, data)
    for name in ("name", "direction"):
        if name in body.model_fields_set and getattr(body, name) is None:
            raise ValidationFailed({name: Text("Обязательное поле", "This field is required")})
    if "unit" in body.model_fields_set and body.unit is None:
        body.unit = ""  # null clears the unit
    require_open(uow, project)
    diff = _changed(metric, body)
    record(uow.session, actor, EventKind.METRIC_UPDATED, project, {"metric_id": metric.id, "fields": diff})
    uow.commit()
    return metric


def record_measurement(uow: UnitOfWork, actor: Actor, metric_id: int,
                       data: dict[str, Any]) -> Measurement:
    metric, project = _owned(uow, actor, Metric, metric_id, "metric")
    body: MeasurementIn = parse(MeasurementIn, data)
    if body.measured_on > clock.today():
        raise ValidationFailed({"measured_on": Text("Дата замера не может быть в будущем",
                                                    "A measurement cannot be dated in the future")})
    require_open(uow, project)
    meas = Measurement(metric_id=metric.id, value=body.value, measured_on=body.measured_on,
                       recorded_at=clock.now(), recorded_by=actor.user_id)
    uow.session.add(meas)
    if metric.latest_on is None or body.measured_on >= metric.latest_on:  # a later record wins a tie
        metric.latest_value, metric.latest_on = body.value, body.measured_on
    uow.session.flush()
    record(uow.session, actor, EventKind.MEASUREMENT_RECORDED, project,
           {"metric_id": metric.id, "measurement_id": meas.id, "value": body.value,
            "measured_on": body.measured_on.isoformat()})
    uow.commit()
    return meas


# --- problems, actions, artefacts -----------------------------------------------------

def add_problem(uow: UnitOfWork, actor: Actor, project_id: int, data: dict[str, Any]) -> Problem:
    project = _editable_project(uow, actor, project_id)
    body: ProblemIn = parse(ProblemIn, data)
    require_open(uow, project)
    p = Problem(project_id=pk(project), created_at=clock.now(), **body.model_dump())
    uow.session.add(p)
    uow.session.flush()
    record(uow.session, actor, EventKind.PROBLEM_ADDED, project, {"problem_id": p.id, "waste": p.waste})
    uow.commit()
    return p


def add_action(uow: UnitOfWork, actor: Actor, project_id: int, data: dict[str, Any]) -> Action:
    project = _editable_project(uow, actor, project_id)
    body: ActionIn = parse(ActionIn, data)
    _check_owner(uow, project, body.owner_id)
    require_open(uow, project)
    a = Action(project_id=pk(project), created_at=clock.now(), **body.model_dump())
    uow.session.add(a)
    uow.session.flush()
    record(uow.session, actor, EventKind.ACTION_ADDED, project,
           {"action_id": a.id, "title": a.title, "due_on": a.due_on.isoformat() if a.due_on else None})
    _tell_owner(uow, actor, project, a.owner_id, f"мероприятие «{a.title}»", f"the action “{a.title}”")
    uow.commit()
    return a


def update_action(uow: UnitOfWork, actor: Actor, action_id: int, data: dict[str, Any]) -> Action:
    action, project = _owned(uow, actor, Action, action_id, "action")
    body: ActionPatch = parse(ActionPatch, data)
    if "status" in body.model_fields_set and body.status is None:
        raise ValidationFailed({"status": Text("Обязательное поле", "This field is required")})
    if "title" in body.model_fields_set and body.title is None:
        raise ValidationFailed({"title": Text("Обязательное поле", "This field is required")})
    _check_owner(uow, project, body.owner_id)
    require_open(uow, project)
    diff = _changed(action, body)
    record(uow.session, actor, EventKind.ACTION_UPDATED, project, {"action_id": action.id, "fields": diff})
    if "owner_id" in diff:
        _tell_owner(uow, actor, project, action.owner_id, f"мероприятие «{action.title}»",
                    f"the action “{action.title}”")
    uow.commit()
    return action


def add_artefact(uow: UnitOfWork, actor: Actor, project_id: int, data: dict[str, Any]) -> Artefact:
    project = _editable_project(uow, actor, project_id)
    body: ArtefactIn = parse(ArtefactIn, data)
    require_open(uow, project)
    art = Artefact(project_id=pk(project), created_at=clock.now(), created_by=actor.user_id,
                   **body.model_dump())
    uow.session.add(art)
    uow.session.flush()
    record(uow.session, actor, EventKind.ARTEFACT_ADDED, project,
           {"artefact_id": art.id, "kind": art.kind, "title": art.title})
    uow.commit()
    return art


# --- risks ------------------------------------------------------------------------------

def log_risk(uow: UnitOfWork, actor: Actor, project_id: int, data: dict[str, Any]) -> Risk:
    project = _editable_project(uow, actor, project_id)
    body: RiskIn = parse(RiskIn, data)
    _check_owner(uow, project, body.owner_id)
    require_open(uow, project)
    now = clock.now()
    risk = Risk(project_id=pk(project), region_id=project.region_id, score=body.probability * body.impact,
                status="open", created_at=now, updated_at=now, **body.model_dump())
    uow.session.add(risk)
    uow.session.flush()
    record(uow.session, actor, EventKind.RISK_LOGGED, project,
           {"risk_id": risk.id, "title": risk.title, "score": risk.score})
    _tell_owner(uow, actor, project, risk.owner_id, f"риск «{risk.title}»", f"the risk “{risk.title}”")
    uow.commit()
    return risk


def update_risk(uow: UnitOfWork, actor: Actor, risk_id: int, data: dict[str, Any]) -> Risk:
    """Any status may follow any other; every change is an event."""
    risk, project = _owned(uow, actor, Risk, risk_id, "risk")
    body: RiskPatch = parse(RiskPatch, data)
    for name in ("status", "title", "probability", "impact"):
        if name in body.model_fields_set and getattr(body, name) is None:
            raise ValidationFailed({name: Text("Обязательное поле", "This field is required")})
    _check_owner(uow, project, body.owner_id)
    require_open(uow, project)
    diff = _changed(risk, body)
    if "due_on" in diff:
        risk.reminded_at = None  # a new due date earns a new reminder when it passes
    risk.score = risk.probability * risk.impact
    risk.updated_at = clock.now()
    record(uow.session, actor, EventKind.RISK_UPDATED, project,
           {"risk_id": risk.id, "fields": diff, "score": risk.score, "status": risk.status})
    if "owner_id" in diff:
        _tell_owner(uow, actor, project, risk.owner_id, f"риск «{risk.title}»", f"the risk “{risk.title}”")
    uow.commit()
    return risk


# --- team ---------------------------------------------------------------------------------

def add_team_member(uow: UnitOfWork, actor: Actor, project_id: int, data: dict[str, Any]) -> TeamMember:
    project = _editable_project(uow, actor, project_id)
    body: TeamMemberIn = parse(TeamMemberIn, data)
    if body.user_id not in who_sees(uow.session, {body.user_id}, project.org_id, project.region_id,
                                    admins=False):
        raise ValidationFailed({"user_id": NOT_ELIGIBLE_TEAM})
    require_open(uow, project)
    tm = TeamMember(project_id=pk(project), user_id=body.user_id, role_text=body.role_text)
    uow.session.add(tm)
    uow.session.flush()
    record(uow.session, actor, EventKind.TEAM_CHANGED, project,
           {"team_member_id": tm.id, "user_id": body.user_id, "role_text": body.role_text})
    notes.notify_people(uow.session, actor, project, NotificationKind.TEAM_ADDED, [body.user_id], Text(
        f"Вас включили в команду проекта «{project.title}»"
        + (f" ({body.role_text})" if body.role_text else ""),
        f"You were added to the team of the project “{project.title}”"
        + (f" ({body.role_text})" if body.role_text else "")))
    uow.commit()
    return tm

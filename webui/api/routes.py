"""The resources of API.md, each a thin adapter: parse, resolve the actor, call the
service, map the result."""
from __future__ import annotations

from typing import Any

from flask import g, request
from sqlalchemy import select

from engine import outputs as O
from engine import practices as practice_svc
from engine import schemas as S
from engine import services as svc
from engine.db import UnitOfWork
from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.models import Project, User
from engine.policy import can_in_region
from engine.practices import schemas as PS
from engine.programme import outputs as PO
from engine.programme import schemas as PGS
from engine.replica import heavy_read
from engine.reporting import monitoring
from engine.search import MAX_QUERY
from engine.services import notifications as notification_svc
from engine.services import queries as Q
from engine.text import Text
from engine.vocab import ORG_KINDS, REQUEST_STATUSES, RequestStatus
from webui.api.blueprint import INT_MAX, body_json, locale, route
from webui.extensions import store
from webui.query import int_arg, search_arg

P = {"in": "path", "required": True, "schema": {"type": "integer"}}
PAGE = {"limit": {"schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
        "offset": {"schema": {"type": "integer", "minimum": 0, "maximum": INT_MAX, "default": 0}}}


def _uow() -> UnitOfWork:
    return store().uow()


def _read_uow() -> UnitOfWork:
    """A heavy read (the towers): on the read replica when one is configured, unless the
    caller has just changed something (engine/replica.py)."""
    return heavy_read(store(), g.actor.user_id)


def _bool_arg(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise ValidationFailed({name: Text("Нужно true или false", "Must be true or false")})


def _page() -> tuple[int, int]:
    return int_arg("limit", 50, 1, 500, strict=True), int_arg("offset", 0, 0, strict=True)  # type: ignore[return-value]


# --- me, regions, municipalities, organisations ----------------------------------------

@route("/me", summary="The signed-in user and their roles", response=O.Me, errors=(401,))
def me() -> O.Me:
    with _uow() as uow:
        user = uow.session.get(User, g.actor.user_id)
        return O.Me(id=user.id, email=user.email, name=user.name,
                    roles=[O.Role.of(gr) for gr in g.actor.grants])


@route("/regions", summary="Regions the user may see", response=O.RegionList, errors=(401,))
def list_regions() -> O.RegionList:
    with _uow() as uow:
        items = [O.Region.of(r) for r in Q.regions_for(uow, g.actor)]
        return O.RegionList(items=items, total=len(items))


@route("/regions", "POST", summary="Create a region (admin)", ok=201, body=S.RegionIn,
       response=O.Region, errors=(400, 401, 403, 422))
def create_region() -> O.Region:
    with _uow() as uow:
        return O.Region.of(svc.create_region(uow, g.actor, body_json()))


@route("/municipalities", "POST", summary="Create a municipality (admin)", ok=201,
       body=S.MunicipalityIn, response=O.Municipality, errors=(400, 401, 403, 422))
def create_municipality() -> O.Municipality:
    with _uow() as uow:
        return O.Municipality.of(svc.create_municipality(uow, g.actor, body_json()))


@route("/organizations", "POST", summary="Create an organisation (admin)", ok=201,
       body=S.OrganizationIn, response=O.Organization, errors=(400, 401, 403, 422))
def create_organization() -> O.Organization:
    with _uow() as uow:
        return O.Organization.of(svc.create_organization(uow, g.actor, body_json()))


@route("/organizations", summary="Organisations the user may see", response=O.OrganizationList,
       errors=(401, 422), query={"region_id": {"schema": {"type": "integer"}}, **PAGE})
def list_organizations() -> O.OrganizationList:
    region_id = int_arg("region_id", strict=True)
    limit, offset = _page()
    with _uow() as uow:
        rows, total = Q.organizations_for(uow, g.actor, region_id, limit, offset)
        return O.OrganizationList(items=[O.Organization.of(o) for o in rows], total=total)


# --- workflows ------------------------------------------------------------------------------

def _workflow(wf: Any) -> O.Workflow:
    loc = locale()
    return O.Workflow(
        id=wf.id, version=wf.version, title=wf.title.get(loc), initial=wf.initial, idle_days=wf.idle_days,
        states=[O.WorkflowState(id=s.id, title=s.title.get(loc), sla_days=s.sla_days, wip_limit=s.wip_limit,
                                final=s.final) for s in wf.states],
        transitions=[O.WorkflowTransition(trigger=t.trigger, source=list(t.sources), dest=t.dest,
                                          title=t.title.get(loc) if t.title else None,
                                          requires=list(t.requires), approval=t.approval_shown,
                                          roles=list(t.roles), comment_required=t.comment_required)
                     for t in wf.transitions])


@route("/workflows", summary="Workflows (latest version of each)", response=O.WorkflowList, errors=(401,))
def list_workflows() -> O.WorkflowList:
    items = [_workflow(w) for w in store().workflows.latest_all()]
    return O.WorkflowList(items=items, total=len(items))


@route("/workflows/{workflow_id}", summary="One workflow", response=O.Workflow, errors=(401, 404))
def get_workflow(workflow_id: str) -> O.Workflow:
    wf = store().workflows.latest(workflow_id)
    if wf is None:
        raise NotFound("workflow")
    return _workflow(wf)


# --- projects ---------------------------------------------------------------------------------

def _project(uow: UnitOfWork, project: Project) -> O.Project:
    return Q.project_out(uow, g.actor, project, locale())


@route("/projects", summary="Projects in the user's scope", response=O.ProjectList, errors=(401, 422),
       query={"org_id": {"schema": {"type": "integer"}}, "region_id": {"schema": {"type": "integer"}},
              "state": {"schema": {"type": "string"}}, "stalled": {"schema": {"type": "boolean"}},
              "q": {"schema": {"type": "string", "maxLength": MAX_QUERY}}, **PAGE})
def list_projects() -> O.ProjectList:
    limit, offset = _page()
    filters = {"org_id": int_arg("org_id", strict=True), "region_id": int_arg("region_id", strict=True),
               "state": request.args.get("state") or None, "stalled": _bool_arg("stalled"),
               "q": search_arg()}
    with _uow() as uow:
        rows, total = Q.list_projects(uow, g.actor, limit=limit, offset=offset, **filters)
        return O.ProjectList(items=[_project(uow, p) for p in rows], total=total)


@route("/projects", "POST", summary="Create a project", ok=201, body=S.ProjectCreate,
       response=O.Project, errors=(400, 401, 403, 404, 422))
def create_project() -> O.Project:
    with _uow() as uow:
        return _project(uow, svc.create_project(uow, g.actor, body_json()))


@route("/projects/{project_id}", summary="One project", response=O.Project, errors=(401, 404))
def get_project(project_id: int) -> O.Project:
    with _uow() as uow:
        return _project(uow, svc.get_project(uow, g.actor, project_id))


@route("/projects/{project_id}", "PATCH", summary="Edit card fields (optimistic version)",
       body=S.ProjectPatch, response=O.Project, errors=(400, 401, 403, 404, 409, 422))
def patch_project(project_id: int) -> O.Project:
    with _uow() as uow:
        return _project(uow, svc.update_project(uow, g.actor, project_id, body_json()))


@route("/projects/{project_id}/transitions", "POST",
       summary="Fire a transition: 200 moved, 202 waiting for approval", body=S.TransitionIn,
       response={200: O.ProjectEnvelope, 202: O.RequestEnvelope}, errors=(400, 401, 403, 404, 409, 422))
def post_transition(project_id: int) -> O.ProjectEnvelope | tuple[O.RequestEnvelope, int]:
    with _uow() as uow:
        result = svc.request_transition(uow, g.actor, project_id, body_json())
        if result.request is not None:
            return O.RequestEnvelope(request=Q.request_out(result.request)), 202
        return O.ProjectEnvelope(project=_project(uow, result.project))


@route("/projects/{project_id}/events", summary="The project's event log, oldest first",
       response=O.EventList, errors=(401, 404))
def list_events(project_id: int) -> O.EventList:
    with _uow() as uow:
        items = Q.events_out(uow, g.actor, project_id)
        return O.EventList(items=items, total=len(items))


@route("/projects/{project_id}/comments", "POST", summary="Comment on a project", ok=201,
       body=S.CommentIn, response=O.Comment, errors=(400, 401, 403, 404, 422))
def post_comment(project_id: int) -> O.Comment:
    with _uow() as uow:
        return O.Comment.of(svc.add_comment(uow, g.actor, project_id, body_json()))


# --- evidence -------------------------------------------------------------------------------------

@route("/projects/{project_id}/metrics", "POST", summary="Add a metric", ok=201, body=S.MetricIn,
       response=O.Metric, errors=(400, 401, 403, 404, 422))
def post_metric(project_id: int) -> O.Metric:
    with _uow() as uow:
        return O.Metric.of(svc.add_metric(uow, g.actor, project_id, body_json()))


@route("/metrics/{metric_id}", "PATCH", summary="Edit a metric", body=S.MetricPatch,
       response=O.Metric, errors=(400, 401, 403, 404, 422))
def patch_metric(metric_id: int) -> O.Metric:
    with _uow() as uow:
        return O.Metric.of(svc.update_metric(uow, g.actor, metric_id, body_json()))


@route("/metrics/{metric_id}/measurements", "POST", summary="Record a measurement", ok=201,
       body=S.MeasurementIn, response=O.Measurement, errors=(400, 401, 403, 404, 422))
def post_measurement(metric_id: int) -> O.Measurement:
    with _uow() as uow:
        return O.Measurement.of(svc.record_measurement(uow, g.actor, metric_id, body_json()))


@route("/projects/{project_id}/problems", "POST", summary="Register a problem (one of the 8 wastes)",
       ok=201, body=S.ProblemIn, response=O.Problem, errors=(400, 401, 403, 404, 422))
def post_problem(project_id: int) -> O.Problem:
    with _uow() as uow:
        return O.Problem.of(svc.add_problem(uow, g.actor, project_id, body_json()))


@route("/projects/{project_id}/actions", "POST", summary="Add an action to the plan", ok=201,
       body=S.ActionIn, response=O.Action, errors=(400, 401, 403, 404, 422))
def post_action(project_id: int) -> O.Action:
    with _uow() as uow:
        return O.Action.of(svc.add_action(uow, g.actor, project_id, body_json()))


@route("/actions/{action_id}", "PATCH", summary="Update an action", body=S.ActionPatch,
       response=O.Action, errors=(400, 401, 403, 404, 422))
def patch_action(action_id: int) -> O.Action:
    with _uow() as uow:
        return O.Action.of(svc.update_action(uow, g.actor, action_id, body_json()))


@route("/projects/{project_id}/artefacts", "POST", summary="Attach an artefact", ok=201,
       body=S.ArtefactIn, response=O.Artefact, errors=(400, 401, 403, 404, 422))
def post_artefact(project_id: int) -> O.Artefact:
    with _uow() as uow:
        return O.Artefact.of(svc.add_artefact(uow, g.actor, project_id, body_json()))


@route("/projects/{project_id}/risks", "POST", summary="Log a risk", ok=201, body=S.RiskIn,
       response=O.Risk, errors=(400, 401, 403, 404, 422))
def post_risk(project_id: int) -> O.Risk:
    with _uow() as uow:
        return O.Risk.of(svc.log_risk(uow, g.actor, project_id, body_json()))


@route("/risks/{risk_id}", "PATCH", summary="Update a risk (status, score ...)", body=S.RiskPatch,
       response=O.Risk, errors=(400, 401, 403, 404, 422))
def patch_risk(risk_id: int) -> O.Risk:
    with _uow() as uow:
        return O.Risk.of(svc.update_risk(uow, g.actor, risk_id, body_json()))


# --- approvals ---------------------------------------------------------------------------------------

APPROVAL_FILTERS = (*REQUEST_STATUSES, "all")

@route("/approvals", summary="Transition requests the user may decide or see, oldest first",
       response=O.RequestList, errors=(401, 422),
       query={"status": {"schema": {"type": "string", "enum": list(APPROVAL_FILTERS)}}, **PAGE})
def list_approvals() -> O.RequestList:
    status = request.args.get("status", RequestStatus.PENDING.value)
    if status not in APPROVAL_FILTERS:
        allowed = ", ".join(APPROVAL_FILTERS)
        raise ValidationFailed({"status": Text(f"Допустимо: {allowed}", f"Allowed: {allowed}")})
    limit, offset = _page()
    with _uow() as uow:
        rows, total = Q.list_requests(uow, g.actor, None if status == "all" else status,
                                      limit=limit, offset=offset)
        return O.RequestList(items=[Q.request_out(r) for r in rows], total=total)


@route("/approvals/{request_id}/approve", "POST", summary="Approve (checks are evaluated again)",
       body=S.ApproveIn, response=O.ProjectEnvelope, errors=(400, 401, 403, 404, 409, 422))
def approve(request_id: int) -> O.ProjectEnvelope:
    with _uow() as uow:
        project = svc.approve_request(uow, g.actor, request_id, body_json())
        return O.ProjectEnvelope(project=_project(uow, project))


@route("/approvals/{request_id}/reject", "POST", summary="Reject with a comment", body=S.RejectIn,
       response=O.RequestEnvelope, errors=(400, 401, 403, 404, 409, 422))
def reject(request_id: int) -> O.RequestEnvelope:
    with _uow() as uow:
        return O.RequestEnvelope(request=Q.request_out(svc.reject_request(uow, g.actor, request_id, body_json())))


@route("/approvals/{request_id}/withdraw", "POST",
       summary="Withdraw a pending request (the requester, or whoever may decide it)", body=S.WithdrawIn,
       response=O.RequestEnvelope, errors=(400, 401, 403, 404, 409, 422))
def withdraw(request_id: int) -> O.RequestEnvelope:
    with _uow() as uow:
        return O.RequestEnvelope(request=Q.request_out(svc.withdraw_request(uow, g.actor, request_id, body_json())))


# --- notifications (the bell) ----------------------------------------------------------------

@route("/notifications", summary="The caller's own notifications, newest first",
       response=O.NotificationList, errors=(401, 422), query=PAGE)
def list_notifications() -> O.NotificationList:
    limit, offset = _page()
    with _uow() as uow:
        items = notification_svc.list_for(uow, g.actor, limit, offset)
        return O.NotificationList(
            items=[O.Notification.model_validate(notification_svc.notification_dict(n, locale())) for n in items],
            total=notification_svc.count_for(uow, g.actor),
            unread=notification_svc.unread_count(uow.session, g.actor.user_id))


@route("/notifications/read", "POST", summary="Mark one's notifications read: those in ids, or all",
       body=S.NotificationsReadIn, response=O.NotificationsRead, errors=(400, 401, 422))
def read_notifications() -> O.NotificationsRead:
    with _uow() as uow:
        marked = notification_svc.mark_read_body(uow, g.actor, body_json())
    with _uow() as uow:
        return O.NotificationsRead(marked=marked, unread=notification_svc.unread_count(uow.session, g.actor.user_id))


# --- the control tower ------------------------------------------------------------------------------

@route("/regions/{region_id}/tower", summary="Control tower figures of a region; `limit` cuts each list "
       "(stalled, unresolved risks, pending approvals) to its worst N (default: the full lists)", response=O.Tower,
       errors=(401, 403, 404, 422),
       query={"limit": {"schema": {"type": "integer", "minimum": 1, "maximum": 10_000}}})
def region_tower(region_id: int) -> O.Tower:
    limit = int_arg("limit", lo=1, hi=10_000, strict=True)
    with _read_uow() as uow:
        Q.require_region_visible(uow, g.actor, region_id)
        if not can_in_region(g.actor, "region.watch", region_id):
            raise Forbidden()
        return O.Tower.model_validate(monitoring.tower(uow.session, uow.workflows, region_id, limit=limit,
                                                       pending_limit=limit))


# --- practices: the portfolio «Бережливая школа» (engine/practices.py) ----------------------------

def _float_arg(name: str) -> float | None:
    """A number in the query (a comma as the decimal mark too); 422 naming it otherwise."""
    raw = request.args.get(name)
    if raw is None:  # absent; present but empty is not a number (422)
        return None
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationFailed({name: Text("Нужно число", "Must be a number")})
    return value


def _practice(uow: UnitOfWork, practice_id: int) -> O.Practice:
    return O.Practice.model_validate(practice_svc.practice_detail(uow, g.actor, practice_id))


@route("/projects/{project_id}/publish", "POST", summary="Publish a closed project as a practice (curator)",
       ok=201, body=PS.PracticePublish, response=O.Practice, errors=(400, 401, 403, 404, 409, 422))
def publish_practice(project_id: int) -> O.Practice:
    with _uow() as uow:
        practice = practice_svc.publish(uow, g.actor, project_id, body_json())
        return _practice(uow, practice.id)  # type: ignore[arg-type]


@route("/practices", summary="The catalogue of published practices (Russian full-text search)",
       response=O.PracticeList, errors=(401, 422),
       query={"q": {"schema": {"type": "string", "maxLength": MAX_QUERY}},
              "category": {"schema": {"type": "string", "enum": practice_svc.category_ids()}},
              "kind": {"schema": {"type": "string", "enum": list(ORG_KINDS)}},
              "municipality_id": {"schema": {"type": "integer"}},
              "min_effect": {"schema": {"type": "number"}}, **PAGE})
def list_practices() -> O.PracticeList:
    limit, offset = _page()
    # present but empty category/kind is not one of the allowed values: 422 naming it
    filters = {"q": search_arg(), "category": request.args.get("category"),
               "kind": request.args.get("kind"), "municipality_id": int_arg("municipality_id", strict=True),
               "min_effect": _float_arg("min_effect")}
    with _uow() as uow:
        items, total = practice_svc.search(uow, g.actor, limit=limit, offset=offset, **filters)
        return O.PracticeList(items=[O.PracticeItem.model_validate(p) for p in items], total=total)


@route("/practices/{practice_id}", summary="One practice with its measured effect and its replicas",
       response=O.Practice, errors=(401, 404))
def get_practice(practice_id: int) -> O.Practice:
    with _uow() as uow:
        return _practice(uow, practice_id)


@route("/practices/{practice_id}", "PATCH", summary="Update a practice (curator); the effect is recomputed",
       body=PS.PracticePatch, response=O.Practice, errors=(400, 401, 403, 404, 409, 422))
def patch_practice(practice_id: int) -> O.Practice:
    with _uow() as uow:
        practice_svc.update_practice(uow, g.actor, practice_id, body_json())
        return _practice(uow, practice_id)


@route("/practices/{practice_id}/withdraw", "POST", summary="Withdraw a practice from the catalogue (curator)",
       body=PS.PracticeWithdraw, response=O.Practice, errors=(400, 401, 403, 404, 409, 422))
def withdraw_practice(practice_id: int) -> O.Practice:
    with _uow() as uow:
        practice_svc.withdraw_practice(uow, g.actor, practice_id, body_json())
        return _practice(uow, practice_id)


@route("/practices/{practice_id}/replicate", "POST",
       summary="Start a project in one's organisation from a practice, linked to it", ok=201,
       body=PS.ReplicateIn, response=O.Project, errors=(400, 401, 403, 404, 409, 422))
def replicate_practice(practice_id: int) -> O.Project:
    with _uow() as uow:
        return _project(uow, practice_svc.replicate(uow, g.actor, practice_id, body_json()))


# --- users (admin): deactivate, activate, remove a role (beyond API.md) -------------------------

def _user(uow: UnitOfWork, user: User) -> O.User:
    from sqlalchemy import select

    from engine.models import RoleGrant
    grants = uow.session.execute(select(RoleGrant).where(RoleGrant.user_id == user.id)  # type: ignore[arg-type]
                                 .order_by(RoleGrant.id)).scalars().all()
    return O.User(id=user.id, email=user.email, name=user.name, is_active=user.is_active,
                  roles=[O.Role.of(gr) for gr in grants])


@route("/users/{user_id}/deactivate", "POST",
       summary="Deactivate a user (admin): their sessions end, their tokens answer 401 until activated again",
       response=O.User, errors=(401, 403, 404, 422))
def deactivate_user(user_id: int) -> O.User:
    from engine.services import admin as admin_svc
    with _uow() as uow:
        return _user(uow, admin_svc.deactivate_user(uow, g.actor, user_id))


@route("/users/{user_id}/activate", "POST", summary="Activate a deactivated user again (admin)",
       response=O.User, errors=(401, 403, 404))
def activate_user(user_id: int) -> O.User:
    from engine.services import admin as admin_svc
    with _uow() as uow:
        return _user(uow, admin_svc.activate_user(uow, g.actor, user_id))


@route("/users/{user_id}/roles/revoke", "POST",
       summary="Remove one of a user's roles (admin); the user's browser sessions end",
       body=S.RoleRevoke, response=O.User, errors=(400, 401, 403, 404, 422))
def revoke_role(user_id: int) -> O.User:
    from engine.services import admin as admin_svc
    with _uow() as uow:
        admin_svc.revoke_role(uow, g.actor, user_id, body_json())
        return _user(uow, uow.session.get(User, user_id))  # type: ignore[arg-type]


# --- the programme above the projects (API.md "Programme additions", engine/programme/) --------------

def _programme(uow: UnitOfWork, prog: Any) -> PO.ProgrammeOut:
    from engine.programme import service as prog_svc
    stages = prog_svc.stages_of(uow, prog.id)
    warnings = [w.get(locale()) for w in prog_svc.stage_warnings(stages, prog)]
    return PO.programme_out(prog, stages, prog_svc.rounds_of(uow, prog.id), warnings)


def _participants(uow: UnitOfWork, programme_id: int, participants: list[Any]) -> list[PO.ParticipantOut]:
    from engine.models import Participant
    from engine.programme.funnel import funnel_rows
    rows = {r.participant_id: r for r in funnel_rows(uow.session, uow.workflows, programme_id,
                                                     org_ids={p.org_id for p in participants})}
    by_id = {p.id: p for p in participants}
    return [PO.participant_out(by_id[pid] if pid in by_id else uow.session.get(Participant, pid), rows[pid])
            for pid in rows if pid in by_id]


def _prog() -> Any:
    from engine.programme import service
    return service


@route("/programmes", "POST", summary="Create a programme with its stages (curator of the region, admin); "
       "opens its initial readiness round", ok=201, body=PGS.ProgrammeIn, response=PO.ProgrammeOut,
       errors=(400, 401, 403, 404, 422))
def create_programme() -> Any:
    with _uow() as uow:
        return _programme(uow, _prog().create_programme(uow, g.actor, body_json())), 201


@route("/programmes", summary="Programmes the user may see", response=PO.ProgrammeList, errors=(401, 422),
       query={"region_id": {"schema": {"type": "integer"}}})
def list_programmes() -> Any:
    region_id = int_arg("region_id", strict=True)
    with _uow() as uow:
        items = [_programme(uow, p) for p in _prog().list_programmes(uow, g.actor, region_id)]
        return PO.ProgrammeList(items=items, total=len(items))


@route("/programmes/{programme_id}", summary="One programme with its stages, rounds and warnings",
       response=PO.ProgrammeOut, errors=(401, 404))
def get_programme(programme_id: int) -> Any:
    with _uow() as uow:
        return _programme(uow, _prog().get_programme(uow, g.actor, programme_id))


@route("/programmes/{programme_id}", "PATCH", summary="Edit a programme (optimistic version)",
       body=PGS.ProgrammePatch, response=PO.ProgrammeOut, errors=(400, 401, 403, 404, 409, 422))
def patch_programme(programme_id: int) -> Any:
    with _uow() as uow:
        return _programme(uow, _prog().update_programme(uow, g.actor, programme_id, body_json()))


@route("/programmes/{programme_id}/stages", "POST", summary="Add a stage; overlaps and gaps become warnings",
       ok=201, body=PGS.StageIn, response=PO.ProgrammeOut, errors=(400, 401, 403, 404, 422))
def post_stage(programme_id: int) -> Any:
    with _uow() as uow:
        _prog().add_stage(uow, g.actor, programme_id, body_json())
        return _programme(uow, _prog().get_programme(uow, g.actor, programme_id)), 201


@route("/stages/{stage_id}", "PATCH", summary="Edit a stage's title, dates or content",
       body=PGS.StagePatch, response=PO.ProgrammeOut, errors=(400, 401, 403, 404, 422))
def patch_stage(stage_id: int) -> Any:
    with _uow() as uow:
        stage = _prog().update_stage(uow, g.actor, stage_id, body_json())
        return _programme(uow, _prog().get_programme(uow, g.actor, stage.programme_id))


@route("/stages/{stage_id}/tasks", "POST", summary="Add a stage task (optionally completed by a rule)",
       ok=201, body=PGS.StageTaskIn, response=PO.TaskOut, errors=(400, 401, 403, 404, 422))
def post_stage_task(stage_id: int) -> Any:
    with _uow() as uow:
        task = _prog().add_task(uow, g.actor, stage_id, body_json())
        return PO.task_out(task, task.status), 201


@route("/stage-tasks/{task_id}", "PATCH", summary="Edit a stage task (its status unless a rule computes it)",
       body=PGS.StageTaskPatch, response=PO.TaskOut, errors=(400, 401, 403, 404, 422))
def patch_stage_task(task_id: int) -> Any:
    with _uow() as uow:
        task = _prog().update_task(uow, g.actor, task_id, body_json())
        return PO.task_out(task, task.status)


@route("/programmes/{programme_id}/participants", "POST",
       summary="An organisation joins the programme (curator); 409 when it already takes part", ok=201,
       body=PGS.ParticipantIn, response=PO.ParticipantOut, errors=(400, 401, 403, 404, 409, 422))
def post_participant(programme_id: int) -> Any:
    with _uow() as uow:
        part = _prog().add_participant(uow, g.actor, programme_id, body_json())
        return _participants(uow, programme_id, [part])[0], 201


@route("/programmes/{programme_id}/participants/bulk", "POST",
       summary="The organisations of a municipality and/or kind join (those not taking part yet)", ok=201,
       body=PGS.ParticipantsBulkIn, response=PO.ParticipantList, errors=(400, 401, 403, 404, 422))
def post_participants_bulk(programme_id: int) -> Any:
    with _uow() as uow:
        parts = _prog().add_participants_bulk(uow, g.actor, programme_id, body_json())
        items = _participants(uow, programme_id, parts)
        return PO.ParticipantList(items=items, total=len(items)), 201


@route("/programmes/{programme_id}/participants", summary="The programme's participants with their funnel",
       response=PO.ParticipantList, errors=(401, 404))
def list_participants(programme_id: int) -> Any:
    from engine.models import Participant
    from engine.programme.funnel import funnel_rows
    with _uow() as uow:
        prog, org_ids = _prog().list_participants(uow, g.actor, programme_id)
        rows = funnel_rows(uow.session, uow.workflows, prog.id, org_ids=org_ids)
        parts = {p.id: p for p in uow.session.execute(
            select(Participant).where(Participant.programme_id == prog.id)).scalars()}
        items = [PO.participant_out(parts[r.participant_id], r) for r in rows]
        return PO.ParticipantList(items=items, total=len(items))


@route("/participants/{participant_id}", summary="One participant: funnel, initiative group, plan, "
       "readiness per round and its change, projects", response=PO.ParticipantPage, errors=(401, 403, 404))
def get_participant(participant_id: int) -> Any:
    from engine.programme.tower import participant_page
    with _uow() as uow:
        return PO.ParticipantPage.model_validate(participant_page(uow, g.actor, participant_id, locale()))


@route("/participants/{participant_id}/withdraw", "POST", summary="Withdraw a participant with a reason (curator)",
       body=PGS.ParticipantWithdrawIn, response=PO.ParticipantOut, errors=(400, 401, 403, 404, 409, 422))
def withdraw_participant(participant_id: int) -> Any:
    with _uow() as uow:
        part = _prog().withdraw_participant(uow, g.actor, participant_id, body_json())
        return _participants(uow, part.programme_id, [part])[0]


@route("/participants/{participant_id}/members", "POST", summary="Add a person to the initiative group",
       ok=201, body=PGS.MemberIn, response=PO.MemberOut, errors=(400, 401, 403, 404, 409, 422))
def post_member(participant_id: int) -> Any:
    with _uow() as uow:
        return PO.member_out(_prog().add_member(uow, g.actor, participant_id, body_json())), 201


@route("/initiative-members/{member_id}", "DELETE", summary="Remove a person from the initiative group",
       response=PO.MemberRemoved, errors=(401, 403, 404, 409))
def delete_member(member_id: int) -> Any:
    with _uow() as uow:
        _prog().remove_member(uow, g.actor, member_id)
        return PO.MemberRemoved(id=member_id, removed=True)


def _plan(uow: UnitOfWork, plan: Any) -> PO.PlanOut:
        return PO.plan_out(plan, _prog().plan_items(uow, plan))


@route("/participants/{participant_id}/plan/items", "POST", summary="Add an item to the work plan",
       ok=201, body=PGS.PlanItemIn, response=PO.PlanItemOut, errors=(400, 401, 403, 404, 409, 422))
def post_plan_item(participant_id: int) -> Any:
    with _uow() as uow:
        return PO.plan_item_out(_prog().add_plan_item(uow, g.actor, participant_id, body_json())), 201


@route("/plan-items/{item_id}", "PATCH", summary="Edit a work plan item (status and evidence at any time)",
       body=PGS.PlanItemPatch, response=PO.PlanItemOut, errors=(400, 401, 403, 404, 409, 422))
def patch_plan_item(item_id: int) -> Any:
    with _uow() as uow:
        return PO.plan_item_out(_prog().update_plan_item(uow, g.actor, item_id, body_json()))


@route("/participants/{participant_id}/plan/submit", "POST", summary="Submit the work plan (head, coordinator)",
       body=PGS.PlanSubmitIn, response=PO.PlanOut, errors=(400, 401, 403, 404, 409, 422))
def submit_plan(participant_id: int) -> Any:
    with _uow() as uow:
        return _plan(uow, _prog().submit_plan(uow, g.actor, participant_id, body_json()))


@route("/participants/{participant_id}/plan/approve", "POST", summary="Approve the work plan (curator)",
       body=PGS.PlanApproveIn, response=PO.PlanOut, errors=(400, 401, 403, 404, 409, 422))
def approve_plan(participant_id: int) -> Any:
    with _uow() as uow:
        return _plan(uow, _prog().approve_plan(uow, g.actor, participant_id, body_json()))


@route("/participants/{participant_id}/plan/return", "POST",
       summary="Return the work plan with a comment (curator)",
       body=PGS.PlanReturnIn, response=PO.PlanOut, errors=(400, 401, 403, 404, 409, 422))
def return_plan(participant_id: int) -> Any:
    with _uow() as uow:
        return _plan(uow, _prog().return_plan(uow, g.actor, participant_id, body_json()))


def _round(uow: UnitOfWork, rnd: Any) -> PO.RoundOut:
        return PO.round_out(rnd, _prog().round_questionnaire(rnd), locale())


@route("/programmes/{programme_id}/rounds", "POST", summary="Open a readiness round (curator)", ok=201,
       body=PGS.RoundIn, response=PO.RoundOut, errors=(400, 401, 403, 404, 409, 422))
def post_round(programme_id: int) -> Any:
    with _uow() as uow:
        return _round(uow, _prog().open_round(uow, g.actor, programme_id, body_json())), 201


@route("/rounds/{round_id}", summary="A readiness round with its questionnaire", response=PO.RoundOut,
       errors=(401, 404))
def get_round(round_id: int) -> Any:
    with _uow() as uow:
        rnd, _p = _prog().get_round(uow, g.actor, round_id)
        return _round(uow, rnd)


@route("/rounds/{round_id}/close", "POST", summary="Close a readiness round early (curator)",
       response=PO.RoundOut, errors=(401, 403, 404, 409))
def close_round(round_id: int) -> Any:
    with _uow() as uow:
        return _round(uow, _prog().close_round(uow, g.actor, round_id))


@route("/rounds/{round_id}/answers", "POST",
       summary="Save an organisation's answer (head, coordinator); submit locks it (a later write: 409)",
       body=PGS.AnswerIn, response=PO.AnswerOut, errors=(400, 401, 403, 404, 409, 422))
def post_answer(round_id: int) -> Any:
    with _uow() as uow:
        answer = _prog().save_answer(uow, g.actor, round_id, body_json())
        rnd, _p = _prog().get_round(uow, g.actor, round_id)
        return PO.answer_out(answer, _prog().round_questionnaire(rnd))


@route("/rounds/{round_id}/reopen", "POST", summary="Reopen a submitted answer (curator)",
       body=PGS.ReopenIn, response=PO.AnswerOut, errors=(400, 401, 403, 404, 409, 422))
def reopen_answer(round_id: int) -> Any:
    with _uow() as uow:
        answer = _prog().reopen_answer(uow, g.actor, round_id, body_json())
        rnd, _p = _prog().get_round(uow, g.actor, round_id)
        return PO.answer_out(answer, _prog().round_questionnaire(rnd))


@route("/programmes/{programme_id}/tower",
       summary="The programme tower (curators of the region or of a municipality: theirs only)",
       response=PO.ProgrammeTower, errors=(401, 403, 404))
def programme_tower(programme_id: int) -> Any:
    from engine.programme.tower import programme_tower as build
    with _read_uow() as uow:
        return build(uow, g.actor, programme_id, locale())

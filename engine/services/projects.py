"""Use cases of a project: create, edit, move through the workflow, approve, comment."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

import engine.services.notifications as notes
from engine import clock
from engine.checks import evaluate
from engine.db import UnitOfWork
from engine.errors import Conflict, Forbidden, GateFailed, ValidationFailed
from engine.models import Comment, Organization, Project, RegCounter, Region, RoleGrant, TransitionRequest, pk
from engine.policy import ACTIONS, Actor, can_somewhere, may_decide, may_withdraw, require, require_visible
from engine.schemas import (
    CARD_FIELDS,
    ApproveIn,
    CommentIn,
    ProjectCreate,
    ProjectPatch,
    RejectIn,
    TransitionIn,
    WithdrawIn,
    parse,
)
from engine.services.common import cas_update, get_or_404, record, works_in
from engine.text import Text
from engine.vocab import EventKind, NotificationKind, RequestStatus
from engine.workflow import MachineError, Transition, Workflow

REQUIRED = Text("Обязательное поле", "This field is required")


def workflow_of(uow: UnitOfWork, project: Project) -> Workflow:
    wf = uow.workflows.get(project.workflow_id, project.workflow_version)
    if wf is None:  # a project on a workflow version no file defines any more
        raise Conflict(Text(f"Маршрут {project.workflow_id} v{project.workflow_version} не загружен",
                            f"Workflow {project.workflow_id} v{project.workflow_version} is not loaded"))
    return wf


def require_open(uow: UnitOfWork, project: Project) -> None:
    """A project in a final state of its workflow (closed, cancelled ...) is read-only:
    its card and evidence are kept as they were; only comments may still be added.
    Conflict (409) otherwise; call it after the input's own checks (API.md's order)."""
    wf = workflow_of(uow, project)
    if wf.is_final(project.state):
        title = wf.state(project.state).title
        raise Conflict(Text(f"Проект завершён (этап «{title.ru}»): изменения невозможны, "
                            "можно только оставить комментарий",
                            f"The project is finished ({title.en}): it can no longer be changed, "
                            "only commented on"),
                       {"state": project.state})


def get_project(uow: UnitOfWork, actor: Actor, project_id: int) -> Project:
    """The project if the actor may see it; NotFound otherwise."""
    project = get_or_404(uow.session, Project, project_id, "project")
    require_visible(actor, project.org_id, project.region_id)
    return project


NO_SUCH_ORG = Text("Нет такой организации", "No such organisation")


def visible_org(uow: UnitOfWork, actor: Actor, org_id: Any) -> Organization | None:
    """The organisation an ``org_id`` in a body names, if the actor may see it; None for an
    unknown id and for one outside the actor's scope alike (both answer 422 «Нет такой
    организации»: a 404 for one of them would tell that it exists)."""
    if not isinstance(org_id, int) or isinstance(org_id, bool) or not 0 < org_id <= 2**31 - 1:
        return None
    org = uow.session.get(Organization, org_id)
    if org is None or not actor.roles_for(pk(org), org.region_id):
        return None
    return org


def _check_user_in_org(uow: UnitOfWork, user_id: int | None, field: str, org_id: int) -> None:
    """The leader is a member or head of the project's organisation (DOMAIN.md): anyone
    else would be notified about a project they may not see."""
    if user_id is None:
        return
    # one answer for an unknown id and a person of another organisation (no existence leak)
    in_org = uow.session.execute(select(col(RoleGrant.id)).where(
        col(RoleGrant.user_id) == user_id, works_in(org_id))).first()
    if in_org is None:
        raise ValidationFailed({field: Text("Пользователь не работает в этой организации",
                                            "This user is not in the project's organisation")})


def _bump_counter(uow: UnitOfWork, region_id: int) -> int:
    """The region's next number: its ``reg_counter`` row bumped with UPDATE … RETURNING.
    The row stays locked until the transaction ends, so concurrent creations in a region
    take their numbers one after another and never the same one (both databases)."""
    bump = (update(RegCounter).where(col(RegCounter.region_id) == region_id)
            .values(last_number=col(RegCounter.last_number) + 1).returning(col(RegCounter.last_number))
            .execution_options(synchronize_session=False))
    number = uow.session.execute(bump).scalar()
    if number is None:  # a region made before its row (or by old code): add it, then bump
        dialect = uow.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        uow.session.execute(insert(RegCounter).values(region_id=region_id, last_number=0)
                            .on_conflict_do_nothing(index_elements=["region_id"]))
        number = uow.session.execute(bump).scalar_one()
    return int(number)


def _next_reg_number(uow: UnitOfWork, region: Region) -> str:
    """«<region code>-<year>-<NNNN>», NNNN from the region's counter; a number some
    project holds already (given by hand or by the old rule) is skipped."""
    prefix = region.code or str(region.id)
    while True:
        reg_number = f"{prefix}-{clock.now().year}-{_bump_counter(uow, pk(region)):04d}"
        taken = uow.session.execute(select(col(Project.id)).where(
            col(Project.region_id) == region.id, col(Project.reg_number) == reg_number)).first()
        if taken is None:
            return reg_number


def create_project(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> Project:
    """Create a project in the workflow's initial state; writes a ``created`` event."""
    org = visible_org(uow, actor, data.get("org_id") if isinstance(data, dict) else None)
    if org is not None:
        require(actor, "project.create", pk(org), org.region_id, "organization")
    elif not can_somewhere(actor, "project.create"):
        raise Forbidden()  # curators and admins start no projects, whatever the body says
    body: ProjectCreate = parse(ProjectCreate, data)
    if org is None:
        raise ValidationFailed({"org_id": NO_SUCH_ORG})
    from engine.programme.service import programme_workflow  # the programme sits above the projects
    chosen = body.workflow or programme_workflow(uow, pk(org))
    wf = uow.workflows.latest(chosen) if chosen else uow.workflows.default()
    if wf is None:
        raise ValidationFailed({"workflow": Text("Нет такого маршрута", "No such workflow")})
    _check_user_in_org(uow, body.leader_id, "leader_id", pk(org))
    _check_milestones(wf, body.milestones)
    region = cast(Region, uow.session.get(Region, org.region_id))  # the organisation's (a foreign key)
    now = clock.now()
    card = body.model_dump(include=set(CARD_FIELDS), exclude_none=True)
    if "milestones" in card:
        card["milestones"] = {k: v.isoformat() for k, v in card["milestones"].items()}
    project = Project(
        org_id=pk(org), region_id=org.region_id, workflow_id=wf.id, workflow_version=wf.version,
        reg_number=_next_reg_number(uow, region),
        state=wf.initial, state_entered_at=now, last_activity_at=now, version=1,
        created_at=now, created_by=actor.user_id, **card,
    )
    uow.session.add(project)
    try:
        uow.session.flush()
    except IntegrityError:
        raise Conflict(Text("Не удалось присвоить номер проекта; повторите",
                            "Could not number the project; try again")) from None
    record(uow.session, actor, EventKind.CREATED, project,
           {"title": project.title, "reg_number": project.reg_number})
    _tell_leader(uow, actor, project, project.leader_id)
    uow.commit()
    return project


def _tell_leader(uow: UnitOfWork, actor: Actor, project: Project, leader_id: int | None) -> None:
    """The person made the project's leader hears of it (not when they did it themself)."""
    if leader_id is not None:
        notes.notify_people(uow.session, actor, project, NotificationKind.OWNER_ASSIGNED, [leader_id], Text(
            f"Вас назначили руководителем проекта «{project.title}»",
            f"You were made the leader of the project “{project.title}”"))


def _check_milestones(wf: Workflow, milestones: dict | None) -> None:
    for state_id in milestones or {}:
        if not wf.has_state(state_id):
            raise ValidationFailed({f"milestones.{state_id}": Text("Нет такого этапа", "No such stage")})


def update_project(uow: UnitOfWork, actor: Actor, project_id: int, data: dict[str, Any]) -> Project:
    """Edit card fields; refused with StaleVersion when ``version`` is not current."""
    project = get_project(uow, actor, project_id)
    require(actor, "project.edit", project.org_id, project.region_id)
    body: ProjectPatch = parse(ProjectPatch, data)
    changes = {k: v for k, v in body.model_dump(include=set(CARD_FIELDS)).items()
               if k in body.model_fields_set}
    for name in ("title", "problem", "goal"):
        if name in changes and changes[name] is None:
            raise ValidationFailed({name: REQUIRED})
    for name in ("sponsor", "process_owner", "process_start", "process_end"):
        if name in changes and changes[name] is None:
            changes[name] = ""  # null clears an optional text field
    _check_user_in_org(uow, changes.get("leader_id"), "leader_id", project.org_id)
    if "milestones" in changes:
        _check_milestones(workflow_of(uow, project), changes["milestones"])
        changes["milestones"] = {k: v.isoformat() for k, v in (changes["milestones"] or {}).items()}
    require_open(uow, project)
    before = {k: getattr(project, k) for k in changes}
    cas_update(uow.session, Project, project, body.version, **changes)
    diff = {k: {"from": _plain(before[k]), "to": _plain(v)} for k, v in changes.items()
            if before[k] != v}
    record(uow.session, actor, EventKind.UPDATED, project, {"fields": diff})
    if "leader_id" in diff:
        _tell_leader(uow, actor, project, changes["leader_id"])
    uow.commit()
    return project


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, dict, list, type(None))) else str(value)


@dataclass
class TransitionResult:
    project: Project
    request: TransitionRequest | None  # pending request, when approval is needed

    @property
    def moved(self) -> bool:
        return self.request is None


def pending_request_of(uow: UnitOfWork, project_id: int) -> TransitionRequest | None:
    return uow.session.execute(select(TransitionRequest).where(
        col(TransitionRequest.project_id) == project_id, col(TransitionRequest.status) == "pending")
    ).scalars().first()


def request_transition(uow: UnitOfWork, actor: Actor, project_id: int,
                       data: dict[str, Any]) -> TransitionResult:
    """Fire a workflow trigger: moves at once, or opens a request for approval.

    Errors in API order: NotFound, Forbidden, ValidationFailed, Conflict (unknown or
    unavailable trigger, stale version, a request already pending), GateFailed.
    """
    project = get_project(uow, actor, project_id)
    roles = actor.roles_for(project.org_id, project.region_id)
    if not roles & ACTIONS["project.move"]:
        raise Forbidden()
    body: TransitionIn = parse(TransitionIn, data)
    wf = workflow_of(uow, project)
    try:
        t = wf.legal_move(body.trigger, project.state)
    except MachineError:
        if wf.knows_trigger(body.trigger):
            raise Conflict(Text(f"Переход «{body.trigger}» недоступен из этапа «{wf.state(project.state).title.ru}»",
                                f"Transition '{body.trigger}' is not available from '{project.state}'"),
                           {"trigger": body.trigger, "state": project.state}) from None
        raise Conflict(Text(f"Неизвестный переход «{body.trigger}»", f"Unknown transition '{body.trigger}'"),
                       {"trigger": body.trigger}) from None
    if not roles & set(t.roles):
        raise Forbidden(Text("Этот переход могут выполнить: " + ", ".join(t.roles),
                             "This transition may be fired by: " + ", ".join(t.roles)))
    comment = (body.comment or "").strip() or None
    if t.comment_required and not comment:
        raise ValidationFailed({"comment": Text("Укажите комментарий (причину)",
                                                "A comment (the reason) is required")})
    proposal = _scaling_proposal(wf, t.dest, body.scaling_proposal)
    if body.version != project.version:
        from engine.errors import StaleVersion
        raise StaleVersion(project.version)
    if pending_request_of(uow, pk(project)) is not None:
        raise _pending_conflict()
    unmet = evaluate(uow.session, project, t.requires, wf)
    if unmet:
        raise GateFailed(unmet)

    now = clock.now()
    # the leading approval steps the actor holds pass at once (a head moving their own
    # school's card needs no second click); the request waits at the first step they do not
    held = next((i for i, role in enumerate(t.steps) if role not in roles), len(t.steps))
    immediate = held == len(t.steps)
    step = min(held, max(len(t.steps) - 1, 0))
    req = TransitionRequest(project_id=pk(project), region_id=project.region_id, trigger=t.trigger, dest=t.dest,
                            approval=t.steps[step] if t.steps else "",
                            approval_steps=",".join(t.steps) if t.sequence else None, step=step,
                            requested_by=cast(int, actor.user_id),  # a person
                            requested_at=now, comment=comment, scaling_proposal=proposal,
                            status="approved" if immediate else "pending",
                            decided_by=actor.user_id if immediate else None,
                            decided_at=now if immediate else None)
    uow.session.add(req)
    try:
        uow.session.flush()
    except IntegrityError:  # another request became pending meanwhile
        raise _pending_conflict() from None
    record(uow.session, actor, EventKind.TRANSITION_REQUESTED, project,
           {"request_id": req.id, "trigger": t.trigger, "dest": t.dest, "comment": comment,
            "immediate": immediate, **({"scaling_proposal": proposal} if proposal else {})})
    if not immediate:
        for i in range(held):
            record(uow.session, actor, EventKind.APPROVAL_STEP_PASSED, project,
                   {"request_id": req.id, "trigger": t.trigger, "dest": t.dest, "step": i,
                    "role": t.steps[i], "comment": None})
    if immediate:
        _move(uow, actor, project, t, body.version, req)
        uow.commit()
        return TransitionResult(project, None)
    _tell_deciders(uow, actor, project, wf, req)
    uow.commit()
    return TransitionResult(project, req)


NOT_CLOSING = Text("Предложение по тиражированию указывается только при завершении проекта",
                   "A scaling proposal is given only when the project is closed")


def _scaling_proposal(wf: Workflow, dest: str, given: str | None) -> str | None:
    """The answer to «Где ещё это применимо и при каких условиях?» (stripped; None when
    blank); only a move into the workflow's ``done`` state takes one (ValidationFailed)."""
    text = (given or "").strip() or None
    if text is not None and dest != wf.done:
        raise ValidationFailed({"scaling_proposal": NOT_CLOSING})
    return text


def _dest_title(wf: Workflow, dest: str) -> Text:
    return wf.state(dest).title if wf.has_state(dest) else Text(dest, dest)


def last_rejection(uow: UnitOfWork, project_id: int, before_id: int | None = None) -> TransitionRequest | None:
    """The project's latest rejected request (before request ``before_id`` when given): a
    resubmitted request shows it to the head, a rejected card shows its reason."""
    stmt = select(TransitionRequest).where(col(TransitionRequest.project_id) == project_id,
                                           col(TransitionRequest.status) == RequestStatus.REJECTED.value)
    if before_id is not None:
        stmt = stmt.where(col(TransitionRequest.id) < before_id)
    return uow.session.execute(stmt.order_by(col(TransitionRequest.id).desc()).limit(1)).scalars().first()


def _tell_deciders(uow: UnitOfWork, actor: Actor, project: Project, wf: Workflow,
                   req: TransitionRequest) -> None:
    """A new request: those who may decide it hear of it (with the earlier rejection, if
    the same move was refused before)."""
    dest = _dest_title(wf, req.dest)
    who = notes.name_of(uow.session, actor.user_id)
    ru = f"«{project.title}»: {who} просит перевести проект на этап «{dest.ru}»"
    en = f"“{project.title}”: {who} asks to move the project to “{dest.en}”"
    if req.comment:
        ru, en = ru + f": {notes.excerpt(req.comment)}", en + f": {notes.excerpt(req.comment)}"
    earlier = last_rejection(uow, project.id, req.id)  # type: ignore[arg-type]
    if earlier is not None and earlier.trigger == req.trigger:
        reason = notes.excerpt(earlier.decision_comment or "")
        ru += f". Ранее этот переход отклоняли: {reason}"
        en += f". This move was rejected before: {reason}"
    notes.notify_people(uow.session, actor, project, NotificationKind.TRANSITION_REQUESTED,
                        notes.deciders_of(uow.session, project, req.approval), Text(ru, en))


def _pending_conflict() -> Conflict:
    return Conflict(Text("По проекту уже есть запрос, ожидающий согласования",
                         "A request for this project is already waiting for approval"))


def _move(uow: UnitOfWork, actor: Actor, project: Project, t: Transition,
          expected_version: int, req: TransitionRequest) -> None:
    source, entered, dest = project.state, project.state_entered_at, t.dest  # t: wf.legal_move
    now = clock.now()
    wf = workflow_of(uow, project)
    # the closing move brings the scaling proposal onto the project (same transaction, same event)
    proposal = {"scaling_proposal": req.scaling_proposal} if dest == wf.done and req.scaling_proposal else {}
    cas_update(uow.session, Project, project, expected_version, state=dest,
               state_entered_at=now, stalled_since=None, **proposal)
    ev = record(uow.session, actor, EventKind.STATE_CHANGED, project,
                {"request_id": req.id, "trigger": t.trigger, **proposal}, from_state=source, to_state=dest)
    ev.stay_days = (now - clock.as_utc(entered)).total_seconds() / 86400
    if wf.is_back_move(t, source):  # the team hears that its project went back a stage
        title, why = _dest_title(wf, dest), req.decision_comment or req.comment
        ru = f"Проект «{project.title}» возвращён на этап «{title.ru}»"
        en = f"The project “{project.title}” was moved back to “{title.en}”"
        if why:
            ru, en = ru + f": {notes.excerpt(why)}", en + f": {notes.excerpt(why)}"
        told = {req.requested_by, project.leader_id} if req.decided_by != req.requested_by else set()
        notes.notify_people(uow.session, actor, project, NotificationKind.MOVED_BACK,
                            notes.team_of(uow.session, project) - told, Text(ru, en))


def _load_request(uow: UnitOfWork, actor: Actor, request_id: int) -> tuple[TransitionRequest, Project]:
    req = get_or_404(uow.session, TransitionRequest, request_id, "request")
    project = get_project(uow, actor, req.project_id)
    return req, project


def approve_request(uow: UnitOfWork, actor: Actor, request_id: int,
                    data: dict[str, Any] | None = None) -> Project:
    """Approve the step a pending request waits at; the gate's checks are evaluated again
    first. The last step (the only one of a single-step approval) moves the project
    (event ``transition_approved``); an earlier step of a sequence passes the request on
    to the next role (event ``approval_step_passed`` with ``{step, role}``, the next
    deciders notified) and the project stays where it is."""
    req, project = _load_request(uow, actor, request_id)
    if not may_decide(actor, req.approval, project.org_id, project.region_id):
        raise Forbidden(Text("Согласовать может только роль: " + (req.approval or "—"),
                             "Only this role may approve: " + (req.approval or "—")))
    body: ApproveIn = parse(ApproveIn, data or {})
    wf = workflow_of(uow, project)
    proposal = _scaling_proposal(wf, req.dest, body.scaling_proposal)
    if req.status != "pending":
        raise Conflict(Text("Запрос уже рассмотрен", "The request has already been decided"))
    try:
        t = wf.legal_move(req.trigger, project.state)
    except MachineError:
        raise Conflict(Text("Проект уже на другом этапе; запрос устарел",
                            "The project has moved meanwhile; the request is out of date")) from None
    unmet = evaluate(uow.session, project, t.requires, wf)
    if unmet:
        raise GateFailed(unmet)
    if req.step < len(req.steps) - 1:  # a step of a sequence, not its last: the next one waits
        _pass_step(uow, actor, project, wf, req, (body.comment or "").strip() or None)
        uow.commit()
        return project
    _decide(uow, actor, req, "approved", (body.comment or "").strip() or None)
    if proposal is not None and proposal != req.scaling_proposal:  # the approver's wording wins
        req.scaling_proposal = proposal
    record(uow.session, actor, EventKind.TRANSITION_APPROVED, project,
           {"request_id": req.id, "trigger": req.trigger, "dest": req.dest,
            "comment": req.decision_comment})
    _tell_requester(uow, actor, project, wf, req, NotificationKind.TRANSITION_APPROVED)
    _move(uow, actor, project, t, project.version, req)
    uow.commit()
    return project


DECIDED = {
    NotificationKind.TRANSITION_APPROVED: ("переход на этап «{dest}» согласован", "the move to “{dest}” was approved",
                                           "Комментарий", "Comment"),
    NotificationKind.TRANSITION_REJECTED: ("запрос на переход на этап «{dest}» отклонён",
                                           "the request to move to “{dest}” was rejected", "Причина", "Reason"),
    NotificationKind.REQUEST_WITHDRAWN: ("запрос на переход на этап «{dest}» отозван",
                                         "the request to move to “{dest}” was withdrawn", "Причина", "Reason"),
}


def _tell_requester(uow: UnitOfWork, actor: Actor, project: Project, wf: Workflow,
                    req: TransitionRequest, kind: NotificationKind) -> None:
    """A decision on a request (approved, rejected with its reason, withdrawn): the person
    who asked and the project's leader hear of it."""
    ru, en, why_ru, why_en = DECIDED[kind]
    dest = _dest_title(wf, req.dest)
    who = notes.name_of(uow.session, actor.user_id)
    text_ru = f"«{project.title}»: {ru.format(dest=dest.ru)} ({who})"
    text_en = f"“{project.title}”: {en.format(dest=dest.en)} ({who})"
    if req.decision_comment:
        reason = notes.excerpt(req.decision_comment)
        text_ru, text_en = text_ru + f". {why_ru}: {reason}", text_en + f". {why_en}: {reason}"
    notes.notify_people(uow.session, actor, project, kind, [req.requested_by, project.leader_id],
                        Text(text_ru, text_en))


def reject_request(uow: UnitOfWork, actor: Actor, request_id: int,
                   data: dict[str, Any]) -> TransitionRequest:
    """Reject a pending request; a comment is required."""
    req, project = _load_request(uow, actor, request_id)
    if not may_decide(actor, req.approval, project.org_id, project.region_id):
        raise Forbidden()
    body: RejectIn = parse(RejectIn, data)
    if req.status != "pending":
        raise Conflict(Text("Запрос уже рассмотрен", "The request has already been decided"))
    _decide(uow, actor, req, "rejected", body.comment)
    record(uow.session, actor, EventKind.TRANSITION_REJECTED, project,
           {"request_id": req.id, "trigger": req.trigger, "dest": req.dest, "comment": body.comment})
    _tell_requester(uow, actor, project, workflow_of(uow, project), req, NotificationKind.TRANSITION_REJECTED)
    uow.commit()
    return req


def withdraw_request(uow: UnitOfWork, actor: Actor, request_id: int,
                     data: dict[str, Any] | None = None) -> TransitionRequest:
    """Withdraw a pending request: by the person who asked, or by whoever may decide it
    (``policy.may_withdraw``); the comment (why) is optional. Status ``withdrawn``, event
    ``transition_withdrawn``; the requester and the leader hear of it. A request decided
    or withdrawn already answers Conflict."""
    req, project = _load_request(uow, actor, request_id)
    if not may_withdraw(actor, req.requested_by, req.approval, project.org_id, project.region_id):
        raise Forbidden(Text("Отозвать запрос может тот, кто его подал, или тот, кто его согласует",
                             "Only the person who asked or the person who decides may withdraw a request"))
    body: WithdrawIn = parse(WithdrawIn, data or {})
    if req.status != RequestStatus.PENDING.value:
        raise Conflict(Text("Запрос уже рассмотрен или отозван", "The request has already been decided or withdrawn"))
    _decide(uow, actor, req, RequestStatus.WITHDRAWN.value, (body.comment or "").strip() or None)
    record(uow.session, actor, EventKind.TRANSITION_WITHDRAWN, project,
           {"request_id": req.id, "trigger": req.trigger, "dest": req.dest, "comment": req.decision_comment})
    _tell_requester(uow, actor, project, workflow_of(uow, project), req, NotificationKind.REQUEST_WITHDRAWN)
    uow.commit()
    return req


def _pass_step(uow: UnitOfWork, actor: Actor, project: Project, wf: Workflow,
               req: TransitionRequest, comment: str | None) -> None:
    """One step of a sequence approved: compare-and-swap on the request's status and
    step (two deciders of one step: one wins, the other gets Conflict), then the event
    and the next step's deciders hear of it."""
    passed, role = req.step, req.approval
    nxt = req.steps[passed + 1]
    result = uow.session.exec(
        update(TransitionRequest)
        .where(col(TransitionRequest.id) == req.id, col(TransitionRequest.status) == "pending",
               col(TransitionRequest.step) == passed)
        .values(step=passed + 1, approval=nxt)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(Text("Запрос уже рассмотрен", "The request has already been decided"))
    req.step, req.approval = passed + 1, nxt
    record(uow.session, actor, EventKind.APPROVAL_STEP_PASSED, project,
           {"request_id": req.id, "trigger": req.trigger, "dest": req.dest, "step": passed,
            "role": role, "comment": comment})
    dest = _dest_title(wf, req.dest)
    who = notes.name_of(uow.session, actor.user_id)
    ru = (f"«{project.title}»: {who} согласовал(а) переход на этап «{dest.ru}»; "
          f"запрос ждёт вашего решения (шаг {passed + 2} из {len(req.steps)})")
    en = (f"“{project.title}”: {who} approved the move to “{dest.en}”; "
          f"the request waits for your decision (step {passed + 2} of {len(req.steps)})")
    notes.notify_people(uow.session, actor, project, NotificationKind.TRANSITION_REQUESTED,
                        notes.deciders_of(uow.session, project, nxt), Text(ru, en))


def _decide(uow: UnitOfWork, actor: Actor, req: TransitionRequest, status: str,
            comment: str | None) -> None:
    now = clock.now()
    result = uow.session.exec(
        update(TransitionRequest)
        .where(col(TransitionRequest.id) == req.id, col(TransitionRequest.status) == "pending",
               col(TransitionRequest.step) == req.step)
        .values(status=status, decided_by=actor.user_id, decided_at=now, decision_comment=comment)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(Text("Запрос уже рассмотрен", "The request has already been decided"))
    req.status, req.decided_by, req.decided_at, req.decision_comment = status, actor.user_id, now, comment


def add_comment(uow: UnitOfWork, actor: Actor, project_id: int, data: dict[str, Any]) -> Comment:
    """A comment by anyone who can see the project (admins read only)."""
    project = get_project(uow, actor, project_id)
    require(actor, "project.comment", project.org_id, project.region_id)
    body: CommentIn = parse(CommentIn, data)
    c = Comment(project_id=pk(project), author_id=cast(int, actor.user_id),  # a person
                at=clock.now(), text=body.text)
    uow.session.add(c)
    uow.session.flush()
    record(uow.session, actor, EventKind.COMMENTED, project, {"comment_id": c.id, "text": body.text})
    who, said = notes.name_of(uow.session, actor.user_id), notes.excerpt(body.text)
    mentioned = notes.notify_people(uow.session, actor, project, NotificationKind.MENTIONED,
                                    notes.mentioned_in(uow.session, project, body.text), Text(
                                        f"«{project.title}»: {who} упоминает вас в комментарии: {said}",
                                        f"“{project.title}”: {who} mentioned you in a comment: {said}"))
    notes.notify_people(uow.session, actor, project, NotificationKind.COMMENTED,
                        notes.team_of(uow.session, project) - mentioned, Text(
                            f"«{project.title}»: комментарий от {who}: {said}",
                            f"“{project.title}”: a comment by {who}: {said}"))
    uow.commit()
    return c

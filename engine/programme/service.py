"""The programme's mutations and its plain reads (PROGRAMME.md, API.md "Programme
additions"). Each mutation checks role and scope (engine/policy.py), validates, writes
the change and its audit event in one transaction; services raise and never roll back."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from engine import clock
from engine.db import UnitOfWork
from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.models import (
    InitiativeMember,
    Organization,
    Participant,
    PlanItem,
    Programme,
    ProgrammeStage,
    ReadinessAnswer,
    ReadinessRound,
    Region,
    RoleGrant,
    StageTask,
    User,
    WorkPlan,
    pk,
)
from engine.policy import ACTIONS, COORDINATOR, REGION_ROLES, Actor, can_in_region, require_visible
from engine.programme import questionnaire as questionnaires
from engine.programme import schemas as PS
from engine.programme.funnel import RULES
from engine.schemas import parse
from engine.services.common import cas_update, get_or_404, is_id, record
from engine.services.notifications import notify
from engine.text import Text
from engine.vocab import (
    AnswerStatus,
    EventKind,
    ParticipantStatus,
    PlanStatus,
    ProgrammeStatus,
    RoundKind,
)

INITIAL_ROUND_DAYS = 90  # without stages, the initial round stays open this long


# --- scope ------------------------------------------------------------------------------------



def get_programme(uow: UnitOfWork, actor: Actor, programme_id: Any) -> Programme:
    """The programme, if the actor's scope touches its region (its curators, municipal
    curators, the people of its organisations, admins); NotFound otherwise."""
    prog = uow.session.get(Programme, programme_id) if is_id(programme_id) else None
    if prog is None or not (actor.is_admin or prog.region_id in actor.region_ids()):
        raise NotFound("programme")
    return prog


def require_manage(uow: UnitOfWork, actor: Actor, programme_id: Any) -> Programme:
    prog = get_programme(uow, actor, programme_id)
    if not can_in_region(actor, "programme.manage", prog.region_id):
        raise Forbidden()
    return prog


def _org_roles(uow: UnitOfWork, actor: Actor, org_id: Any) -> tuple[Organization, frozenset[str]]:
    org = get_or_404(uow.session, Organization, org_id, "organization")
    return org, require_visible(actor, pk(org), org.region_id, "organization")


def _need(roles: frozenset[str], *actions: str) -> None:
    if not any(roles & ACTIONS[a] for a in actions):
        raise Forbidden()


def get_participant(uow: UnitOfWork, actor: Actor, participant_id: Any,
                    *actions: str) -> tuple[Participant, Organization, Programme]:
    """A participant in the actor's scope (NotFound outside); Forbidden unless the actor
    may do one of ``actions`` there (``participation.view`` when none is named)."""
    part = get_or_404(uow.session, Participant, participant_id, "participant")
    org, roles = _org_roles(uow, actor, part.org_id)
    _need(roles, *(actions or ("participation.view",)))
    return part, org, cast(Programme, uow.session.get(Programme, part.programme_id))  # a foreign key


def _bad(field: str, ru: str, en: str) -> ValidationFailed:
    return ValidationFailed({field: Text(ru, en)})


def _dates(starts_on: date, ends_on: date, prefix: str = "") -> None:
    if ends_on < starts_on:
        raise _bad(f"{prefix}ends_on", "Дата окончания раньше даты начала", "Ends before it starts")


# --- programmes and stages ----------------------------------------------------------------------

def stage_warnings(stages: list[ProgrammeStage], prog: Programme | None = None) -> list[Text]:
    """Overlaps and gaps between consecutive stages (accepted, named), and stages outside
    the programme's dates."""
    out: list[Text] = []
    ordered = sorted(stages, key=lambda s: (s.position, s.id or 0))
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.starts_on <= a.ends_on:
            out.append(Text(f"Этапы «{a.title}» и «{b.title}» пересекаются: "
                            f"{b.starts_on:%d.%m.%Y} – {a.ends_on:%d.%m.%Y}",
                            f"Stages “{a.title}” and “{b.title}” overlap: {b.starts_on} – {a.ends_on}"))
        elif b.starts_on > a.ends_on + timedelta(days=1):
            first, last = a.ends_on + timedelta(days=1), b.starts_on - timedelta(days=1)
            out.append(Text(f"Между этапами «{a.title}» и «{b.title}» разрыв: "
                            f"{first:%d.%m.%Y} – {last:%d.%m.%Y}",
                            f"Gap between stages “{a.title}” and “{b.title}”: {first} – {last}"))
    if prog is not None:
        for s in ordered:
            if s.starts_on < prog.starts_on or s.ends_on > prog.ends_on:
                out.append(Text(f"Этап «{s.title}» выходит за сроки программы",
                                f"Stage “{s.title}” lies outside the programme's dates"))
    return out


def stages_of(uow: UnitOfWork, programme_id: int) -> list[ProgrammeStage]:
    return list(uow.session.execute(select(ProgrammeStage).where(col(ProgrammeStage.programme_id) == programme_id)
                                    .order_by(col(ProgrammeStage.position), col(ProgrammeStage.id))).scalars())


def rounds_of(uow: UnitOfWork, programme_id: int) -> list[ReadinessRound]:
    return list(uow.session.execute(select(ReadinessRound).where(col(ReadinessRound.programme_id) == programme_id)
                                    .order_by(col(ReadinessRound.opens_on), col(ReadinessRound.id))).scalars())


def _questionnaire() -> questionnaires.Questionnaire:
    q = questionnaires.get("readiness")
    if q is None:  # pragma: no cover - the repository ships it; `questionnaires check` guards it
        raise NotFound("questionnaire")
    return q


def create_programme(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> Programme:
    """A programme with its stages; opens its ``initial`` readiness round (the region's
    questionnaire) from its start to the end of its first stage."""
    region_id = data.get("region_id") if isinstance(data, dict) else None
    if is_id(region_id):
        if uow.session.get(Region, region_id) is None or not (
                actor.is_admin or region_id in actor.region_ids()):
            raise NotFound("region")
        if not can_in_region(actor, "programme.manage", region_id):
            raise Forbidden()
    elif not actor.is_admin and not actor.curator_region_ids():
        raise Forbidden()
    body: PS.ProgrammeIn = parse(PS.ProgrammeIn, data)
    if uow.session.get(Region, body.region_id) is None:
        raise _bad("region_id", "Нет такого региона", "No such region")
    _dates(body.starts_on, body.ends_on)
    _known_workflow(uow, body.workflow)
    for i, st in enumerate(body.stages):
        _dates(st.starts_on, st.ends_on, f"stages.{i}.")
    q = _questionnaire()
    prog = Programme(region_id=body.region_id, title=body.title, starts_on=body.starts_on,
                     ends_on=body.ends_on, goal=body.goal or "", tasks=body.tasks or "",
                     hypothesis=body.hypothesis or "", questionnaire_id=q.id, workflow=body.workflow,
                     created_at=clock.now(), created_by=actor.user_id)
    uow.session.add(prog)
    uow.session.flush()
    for i, st in enumerate(body.stages, 1):
        uow.session.add(ProgrammeStage(programme_id=pk(prog), position=i, title=st.title,
                                       starts_on=st.starts_on, ends_on=st.ends_on, content=st.content))
    first_end = body.stages[0].ends_on if body.stages else body.starts_on + timedelta(days=INITIAL_ROUND_DAYS)
    uow.session.add(ReadinessRound(programme_id=pk(prog), kind=RoundKind.INITIAL.value,
                                   title="Входной анализ готовности", opens_on=body.starts_on,
                                   closes_on=max(first_end, body.starts_on), questionnaire_id=q.id,
                                   questionnaire_version=q.version))
    uow.session.flush()
    record(uow.session, actor, EventKind.PROGRAMME_CREATED, None,
           {"programme_id": prog.id, "region_id": prog.region_id, "title": prog.title,
            "stages": len(body.stages)})
    uow.commit()
    return prog


def _known_workflow(uow: UnitOfWork, workflow_id: str | None) -> None:
    if workflow_id is not None and uow.workflows.latest(workflow_id) is None:
        raise _bad("workflow", "Нет такого маршрута", "No such workflow")


def programme_workflow(uow: UnitOfWork, org_id: int) -> str | None:
    """The workflow a new project of ``org_id`` follows when it names none: that of the
    latest programme, not finished, in which the organisation takes part and which names
    one (null: the installation's default)."""
    return uow.session.execute(
        select(col(Programme.workflow)).join(Participant, col(Participant.programme_id) == col(Programme.id))
        .where(col(Participant.org_id) == org_id, col(Participant.status) == ParticipantStatus.ACTIVE.value,
               col(Programme.workflow).is_not(None),
               col(Programme.status) != ProgrammeStatus.FINISHED.value)
        .order_by(col(Programme.id).desc()).limit(1)).scalar()


def update_programme(uow: UnitOfWork, actor: Actor, programme_id: int, data: dict[str, Any]) -> Programme:
    prog = require_manage(uow, actor, programme_id)
    body: PS.ProgrammePatch = parse(PS.ProgrammePatch, data)
    changes = {k: getattr(body, k) for k in body.model_fields_set - {"version"}}
    _dates(changes.get("starts_on", prog.starts_on), changes.get("ends_on", prog.ends_on))
    _known_workflow(uow, changes.get("workflow"))
    if "status" in changes:
        order = ("draft", "active", "finished")
        if order.index(changes["status"]) < order.index(prog.status):
            raise _bad("status", "Статус программы идёт только вперёд: черновик → действует → завершена",
                       "A programme's status only moves forward: draft → active → finished")
    old = {k: getattr(prog, k) for k in changes}
    cas_update(uow.session, Programme, prog, body.version, **changes)
    record(uow.session, actor, EventKind.PROGRAMME_UPDATED, None,
           {"programme_id": prog.id, "changes": {k: [_j(old[k]), _j(v)] for k, v in changes.items()}})
    uow.commit()
    return prog


def _j(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def add_stage(uow: UnitOfWork, actor: Actor, programme_id: int, data: dict[str, Any]) -> ProgrammeStage:
    prog = require_manage(uow, actor, programme_id)
    body: PS.StageIn = parse(PS.StageIn, data)
    _dates(body.starts_on, body.ends_on)
    position = len(stages_of(uow, pk(prog))) + 1
    stage = ProgrammeStage(programme_id=pk(prog), position=position, title=body.title,
                           starts_on=body.starts_on, ends_on=body.ends_on, content=body.content)
    uow.session.add(stage)
    uow.session.flush()
    record(uow.session, actor, EventKind.STAGE_ADDED, None, {"programme_id": prog.id, "stage_id": stage.id})
    uow.commit()
    return stage


def update_stage(uow: UnitOfWork, actor: Actor, stage_id: int, data: dict[str, Any]) -> ProgrammeStage:
    stage = get_or_404(uow.session, ProgrammeStage, stage_id, "stage")
    require_manage(uow, actor, stage.programme_id)
    body: PS.StagePatch = parse(PS.StagePatch, data)
    changes = {k: getattr(body, k) for k in body.model_fields_set}
    _dates(changes.get("starts_on", stage.starts_on), changes.get("ends_on", stage.ends_on))
    for k, v in changes.items():
        setattr(stage, k, v)
    uow.session.flush()
    record(uow.session, actor, EventKind.STAGE_UPDATED, None,
           {"programme_id": stage.programme_id, "stage_id": stage.id,
            "changes": {k: _j(v) for k, v in changes.items()}})
    uow.commit()
    return stage


def add_task(uow: UnitOfWork, actor: Actor, stage_id: int, data: dict[str, Any]) -> StageTask:
    stage = get_or_404(uow.session, ProgrammeStage, stage_id, "stage")
    require_manage(uow, actor, stage.programme_id)
    body: PS.StageTaskIn = parse(PS.StageTaskIn, data)
    if body.rule is not None and body.rule not in RULES:
        raise _bad("rule", "Неизвестное правило; допустимо: " + ", ".join(sorted(RULES)),
                   "Unknown rule; allowed: " + ", ".join(sorted(RULES)))
    task = StageTask(stage_id=pk(stage), programme_id=stage.programme_id, title=body.title,
                     due_on=body.due_on, responsible=body.responsible, rule=body.rule)
    uow.session.add(task)
    uow.session.flush()
    record(uow.session, actor, EventKind.STAGE_TASK_ADDED, None,
           {"programme_id": stage.programme_id, "task_id": task.id, "rule": task.rule})
    uow.commit()
    return task


def update_task(uow: UnitOfWork, actor: Actor, task_id: int, data: dict[str, Any]) -> StageTask:
    task = get_or_404(uow.session, StageTask, task_id, "task")
    require_manage(uow, actor, task.programme_id)
    body: PS.StageTaskPatch = parse(PS.StageTaskPatch, data)
    changes = {k: getattr(body, k) for k in body.model_fields_set}
    if "status" in changes and task.rule is not None:
        raise _bad("status", "Статус этой задачи вычисляется по данным (правило «" + task.rule + "»)",
                   "This task's status is computed from data (rule “" + task.rule + "”)")
    for k, v in changes.items():
        setattr(task, k, v)
    if "status" in changes:
        task.done_at = clock.now() if changes["status"] == "done" else None
    uow.session.flush()
    record(uow.session, actor, EventKind.STAGE_TASK_UPDATED, None,
           {"programme_id": task.programme_id, "task_id": task.id, "changes": {k: _j(v) for k, v in changes.items()}})
    uow.commit()
    return task


def list_programmes(uow: UnitOfWork, actor: Actor, region_id: int | None = None) -> list[Programme]:
    stmt = select(Programme).order_by(col(Programme.starts_on).desc(), col(Programme.id))
    if not actor.is_admin:
        stmt = stmt.where(col(Programme.region_id).in_(actor.region_ids() or {-1}))
    if region_id is not None:
        stmt = stmt.where(col(Programme.region_id) == region_id)
    return list(uow.session.execute(stmt).scalars())


# --- participants and their initiative groups -----------------------------------------------------

def add_participant(uow: UnitOfWork, actor: Actor, programme_id: int, data: dict[str, Any]) -> Participant:
    """An organisation of the programme's region joins it; 409 when it already takes part."""
    prog = get_programme(uow, actor, programme_id)
    org_id = data.get("org_id") if isinstance(data, dict) else None
    if is_id(org_id):
        org, roles = _org_roles(uow, actor, org_id)
        if org.region_id != prog.region_id:
            raise NotFound("organization")
        _need(roles, "participation.manage")
    elif not actor.region_roles(prog.region_id) and not actor.curated_municipality_ids():
        raise Forbidden()
    body: PS.ParticipantIn = parse(PS.ParticipantIn, data)
    part = _join(uow, actor, prog, body.org_id, body.joined_on, body.wave or 1)
    uow.commit()
    return part


def _join(uow: UnitOfWork, actor: Actor, prog: Programme, org_id: int, joined_on: date, wave: int) -> Participant:
    s = uow.session
    if s.execute(select(col(Participant.id)).where(col(Participant.programme_id) == prog.id,
                                                   col(Participant.org_id) == org_id)).first():
        raise Conflict(Text("Организация уже участвует в программе", "The organisation already takes part"))
    part = Participant(programme_id=pk(prog), org_id=org_id, joined_on=joined_on, wave=wave,
                       created_at=clock.now())
    s.add(part)
    try:  # no savepoint: on SQLite (pysqlite) releasing one commits; the caller discards the transaction
        s.flush()
    except IntegrityError:  # joined at the same moment by someone else
        raise Conflict(Text("Организация уже участвует в программе",
                            "The organisation already takes part")) from None
    s.add(WorkPlan(participant_id=pk(part)))
    record(s, actor, EventKind.PARTICIPANT_ADDED, None,
           {"programme_id": prog.id, "participant_id": part.id, "org_id": org_id, "wave": wave})
    return part


def add_participants_bulk(uow: UnitOfWork, actor: Actor, programme_id: int,
                          data: dict[str, Any]) -> list[Participant]:
    """The organisations of a municipality and/or kind that do not take part yet (within
    the actor's scope: a municipal curator adds from their municipality only)."""
    prog = get_programme(uow, actor, programme_id)
    if not (actor.region_roles(prog.region_id) & ACTIONS["participation.manage"]
            or actor.curated_municipality_ids()):
        raise Forbidden()
    body: PS.ParticipantsBulkIn = parse(PS.ParticipantsBulkIn, data)
    if body.municipality_id is None and body.kind is None:
        raise _bad("municipality_id", "Укажите муниципалитет или вид организаций",
                   "Name a municipality or a kind of organisation")
    stmt = select(Organization).where(col(Organization.region_id) == prog.region_id,
                                      col(Organization.id).not_in(select(col(Participant.org_id)).where(
                                          col(Participant.programme_id) == prog.id)))
    if body.municipality_id is not None:
        stmt = stmt.where(col(Organization.municipality_id) == body.municipality_id)
    if body.kind is not None:
        stmt = stmt.where(col(Organization.kind) == body.kind)
    out = []
    for org in uow.session.execute(stmt.order_by(col(Organization.id))).scalars():
        if actor.roles_for(pk(org), org.region_id) & ACTIONS["participation.manage"]:
            out.append(_join(uow, actor, prog, pk(org), body.joined_on, body.wave or 1))
    uow.commit()
    return out


def withdraw_participant(uow: UnitOfWork, actor: Actor, participant_id: int, data: dict[str, Any]) -> Participant:
    part, _org, _prog = get_participant(uow, actor, participant_id, "participation.manage")
    body: PS.ParticipantWithdrawIn = parse(PS.ParticipantWithdrawIn, data)
    if part.status == ParticipantStatus.WITHDRAWN.value:
        raise Conflict(Text("Участник уже выбыл", "The participant has already withdrawn"))
    part.status = ParticipantStatus.WITHDRAWN.value
    part.withdrawn_on = body.withdrawn_on or clock.today()
    part.reason = body.reason
    uow.session.flush()
    record(uow.session, actor, EventKind.PARTICIPANT_WITHDRAWN, None,
           {"programme_id": part.programme_id, "participant_id": part.id, "org_id": part.org_id,
            "reason": body.reason})
    uow.commit()
    return part


def list_participants(uow: UnitOfWork, actor: Actor, programme_id: int) -> tuple[Programme, set[int] | None]:
    """The programme and the organisations whose participation the actor sees (None: all)."""
    prog = get_programme(uow, actor, programme_id)
    if actor.is_admin or prog.region_id in actor.curator_region_ids():
        return prog, None
    return prog, actor.org_ids() | actor.municipal_org_ids()


def _editable(uow: UnitOfWork, actor: Actor, participant_id: int) -> tuple[Participant, Organization]:
    part, org, _prog = get_participant(uow, actor, participant_id, "participation.edit", "participation.manage")
    if part.status != ParticipantStatus.ACTIVE.value:
        raise Conflict(Text("Участник выбыл из программы", "The participant has withdrawn"))
    return part, org


def add_member(uow: UnitOfWork, actor: Actor, participant_id: int, data: dict[str, Any]) -> InitiativeMember:
    part, org = _editable(uow, actor, participant_id)
    body: PS.MemberIn = parse(PS.MemberIn, data)
    name = (body.name or "").strip()
    if body.user_id is not None:
        user = uow.session.get(User, body.user_id) if is_id(body.user_id) else None
        if user is None or not uow.session.execute(select(col(RoleGrant.id)).where(
                col(RoleGrant.user_id) == user.id, col(RoleGrant.org_id) == org.id)).first():
            raise _bad("user_id", "Нет такого сотрудника организации", "No such person in the organisation")
        name = name or user.name
    elif not name:
        raise _bad("name", "Укажите пользователя или имя участника группы", "Name a user or a person")
    if uow.session.execute(select(col(InitiativeMember.id)).where(
            col(InitiativeMember.participant_id) == part.id,
            or_(and_(col(InitiativeMember.user_id).is_not(None), col(InitiativeMember.user_id) == body.user_id),
                and_(col(InitiativeMember.user_id).is_(None), true() if body.user_id is None else false(),
                     col(InitiativeMember.name) == name)))).first():
        raise Conflict(Text("Этот человек уже в инициативной группе", "This person is already in the group"))
    member = InitiativeMember(participant_id=pk(part), user_id=body.user_id, name=name,
                              position=body.position, created_at=clock.now())
    uow.session.add(member)
    uow.session.flush()
    record(uow.session, actor, EventKind.INITIATIVE_MEMBER_ADDED, None,
           {"programme_id": part.programme_id, "participant_id": part.id, "member_id": member.id,
            "user_id": body.user_id, "name": name})
    uow.commit()
    return member


def remove_member(uow: UnitOfWork, actor: Actor, member_id: int) -> None:
    member = get_or_404(uow.session, InitiativeMember, member_id, "member")
    part, _org = _editable(uow, actor, member.participant_id)
    uow.session.delete(member)
    record(uow.session, actor, EventKind.INITIATIVE_MEMBER_REMOVED, None,
           {"programme_id": part.programme_id, "participant_id": part.id, "member_id": member_id,
            "name": member.name})
    uow.commit()


# --- readiness rounds and answers ---------------------------------------------------------------------

def get_round(uow: UnitOfWork, actor: Actor, round_id: Any) -> tuple[ReadinessRound, Programme]:
    rnd = get_or_404(uow.session, ReadinessRound, round_id, "round")
    return rnd, get_programme(uow, actor, rnd.programme_id)


def round_questionnaire(rnd: ReadinessRound) -> questionnaires.Questionnaire:
    q = questionnaires.get(rnd.questionnaire_id, rnd.questionnaire_version) or _questionnaire()
    return q


def round_is_open(rnd: ReadinessRound, today: date | None = None) -> bool:
    today = today or clock.today()
    return rnd.closed_at is None and rnd.opens_on <= today <= rnd.closes_on


def open_round(uow: UnitOfWork, actor: Actor, programme_id: int, data: dict[str, Any]) -> ReadinessRound:
    prog = require_manage(uow, actor, programme_id)
    body: PS.RoundIn = parse(PS.RoundIn, data)
    _dates(body.opens_on, body.closes_on, "")
    if body.kind == RoundKind.INITIAL.value and any(r.kind == RoundKind.INITIAL.value
                                                     for r in rounds_of(uow, pk(prog))):
        raise Conflict(Text("Входной анализ у программы уже есть", "The programme has its initial round"))
    q = _questionnaire()
    rnd = ReadinessRound(programme_id=pk(prog), kind=body.kind, title=body.title, opens_on=body.opens_on,
                         closes_on=body.closes_on, questionnaire_id=q.id, questionnaire_version=q.version)
    uow.session.add(rnd)
    uow.session.flush()
    record(uow.session, actor, EventKind.ROUND_OPENED, None,
           {"programme_id": prog.id, "round_id": rnd.id, "kind": rnd.kind})
    uow.commit()
    return rnd


def close_round(uow: UnitOfWork, actor: Actor, round_id: int) -> ReadinessRound:
    rnd, prog = get_round(uow, actor, round_id)
    if not can_in_region(actor, "programme.manage", prog.region_id):
        raise Forbidden()
    if rnd.closed_at is not None:
        raise Conflict(Text("Опрос уже закрыт", "The round is already closed"))
    rnd.closed_at = clock.now()
    uow.session.flush()
    record(uow.session, actor, EventKind.ROUND_CLOSED, None, {"programme_id": prog.id, "round_id": rnd.id})
    uow.commit()
    return rnd


def _texts(field: str, values: list[Any]) -> list[str]:
    out = []
    for i, v in enumerate(values):
        if not isinstance(v, str) or not v.strip() or len(v) > 500:
            raise _bad(f"{field}.{i}", "Нужен текст от 1 до 500 символов", "Text of 1 to 500 characters expected")
        out.append(v.strip())
    return out


def save_answer(uow: UnitOfWork, actor: Actor, round_id: int, data: dict[str, Any]) -> ReadinessAnswer:
    """An organisation's answer (head or coordinator): a draft, or submitted with
    ``submit``; a submitted answer is locked (409) until a curator reopens it."""
    rnd, prog = get_round(uow, actor, round_id)

    def scope(org_id: Any) -> tuple[Organization, Participant]:
        org, roles = _org_roles(uow, actor, org_id)
        part = uow.session.execute(select(Participant).where(
            col(Participant.programme_id) == prog.id, col(Participant.org_id) == org.id)).scalars().first()
        if part is None:
            raise NotFound("participant")
        _need(roles, "participation.edit")
        return org, part

    org_id = data.get("org_id") if isinstance(data, dict) else None
    if is_id(org_id):  # 404 and 403 come before the body's 422
        org, part = scope(org_id)
    elif not actor.held_roles() & ACTIONS["participation.edit"]:
        raise Forbidden()
    raw_scores = data.get("scores") if isinstance(data, dict) else None
    body: PS.AnswerIn = parse(PS.AnswerIn, {**data, "scores": {}} if isinstance(raw_scores, dict) else data)
    if not is_id(org_id):
        org, part = scope(body.org_id)
    q = round_questionnaire(rnd)
    scores = _scores(q, raw_scores or {}, body.submit)
    texts = {f: _texts(f, getattr(body, f)) for f in ("needs", "difficulties", "resources", "deficits")}
    if part.status != ParticipantStatus.ACTIVE.value:
        raise Conflict(Text("Участник выбыл из программы", "The participant has withdrawn"))
    if not round_is_open(rnd):
        raise Conflict(Text("Опрос закрыт: ответы не принимаются", "The round is closed"))
    now = clock.now()
    s = uow.session
    answer = s.execute(select(ReadinessAnswer).where(col(ReadinessAnswer.round_id) == rnd.id,
                                                     col(ReadinessAnswer.org_id) == org.id)).scalars().first()
    status = AnswerStatus.SUBMITTED.value if body.submit else AnswerStatus.DRAFT.value
    values: dict[str, Any] = {"scores": scores, "section_means": q.section_means(scores), **texts,
                              "status": status, "updated_at": now, "updated_by": actor.user_id}
    if body.submit:
        values.update(submitted_at=now, submitted_by=actor.user_id)
    if answer is None:
        answer = ReadinessAnswer(round_id=pk(rnd), org_id=pk(org), **values)
        s.add(answer)
        try:  # no savepoint (see _join): the Conflict discards the transaction
            s.flush()
        except IntegrityError:
            raise Conflict(Text("Ответ уже сохранён другим пользователем; обновите страницу",
                                "Someone else saved the answer first; reload")) from None
    else:
        if answer.status == AnswerStatus.SUBMITTED.value:
            raise Conflict(Text("Ответ уже отправлен и закрыт для изменений; куратор может вернуть его",
                                "The answer is submitted and locked; a curator may reopen it"))
        cas_update(s, ReadinessAnswer, answer, body.version if body.version is not None else answer.version,
                   **values)
    record(s, actor, EventKind.READINESS_SUBMITTED if body.submit else EventKind.READINESS_SAVED, None,
           {"programme_id": prog.id, "round_id": rnd.id, "org_id": org.id, "answer_id": answer.id})
    uow.commit()
    return answer


def _scores(q: questionnaires.Questionnaire, raw: Any, submit: bool) -> dict[str, int]:
    """Each score an integer 1..5 of a known item (422 naming the item); all of them to submit."""
    if not isinstance(raw, dict):
        raise _bad("scores", "Ожидается объект {вопрос: оценка}", "An object {item: score} is expected")
    known = q.item_section
    errors: dict[str, Text] = {}
    out: dict[str, int] = {}
    for item, value in raw.items():
        if item not in known:
            errors[f"scores.{item}"] = Text("Нет такого вопроса в анкете", "No such item in the questionnaire")
        elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            errors[f"scores.{item}"] = Text("Оценка — целое число от 1 до 5", "A score is a whole number from 1 to 5")
        else:
            out[item] = value
    if submit and not errors:
        for item in known:
            if item not in out:
                errors[f"scores.{item}"] = Text("Чтобы отправить анкету, оцените каждый пункт",
                                                "Score every item to submit")
    if errors:
        raise ValidationFailed(errors)
    return out


def reopen_answer(uow: UnitOfWork, actor: Actor, round_id: int, data: dict[str, Any]) -> ReadinessAnswer:
    """A curator unlocks a submitted answer (a draft again); its submitter is notified."""
    rnd, prog = get_round(uow, actor, round_id)
    org_id = data.get("org_id") if isinstance(data, dict) else None
    if is_id(org_id):
        _org, roles = _org_roles(uow, actor, org_id)
        _need(roles, "participation.manage")
    body: PS.ReopenIn = parse(PS.ReopenIn, data)
    answer = uow.session.execute(select(ReadinessAnswer).where(col(ReadinessAnswer.round_id) == rnd.id,
                                                               col(ReadinessAnswer.org_id) == body.org_id)
                                 ).scalars().first()
    if answer is None:
        raise NotFound("answer")
    if answer.status != AnswerStatus.SUBMITTED.value:
        raise Conflict(Text("Ответ не отправлен: открывать нечего", "The answer is not submitted"))
    submitter = answer.submitted_by
    cas_update(uow.session, ReadinessAnswer, answer, answer.version, status=AnswerStatus.DRAFT.value,
               submitted_at=None, submitted_by=None, updated_at=clock.now(), updated_by=actor.user_id)
    record(uow.session, actor, EventKind.READINESS_REOPENED, None,
           {"programme_id": prog.id, "round_id": rnd.id, "org_id": body.org_id, "comment": body.comment})
    if submitter is not None and submitter != actor.user_id:
        notify(uow.session, submitter, "readiness_reopened", None, Text(
            f"Куратор вернул анкету «{rnd.title}» для исправления" + (f": {body.comment}" if body.comment else ""),
            f"A curator reopened the questionnaire “{rnd.title}”" + (f": {body.comment}" if body.comment else "")))
    uow.commit()
    return answer


def answers_of(uow: UnitOfWork, round_ids: list[int], org_ids: set[int] | None = None) -> list[ReadinessAnswer]:
    stmt = select(ReadinessAnswer).where(col(ReadinessAnswer.round_id).in_(round_ids or [-1]))
    if org_ids is not None:
        stmt = stmt.where(col(ReadinessAnswer.org_id).in_(org_ids or {-1}))
    return list(uow.session.execute(stmt).scalars())


# --- the innovation work plan ---------------------------------------------------------------------------

def plan_of(uow: UnitOfWork, part: Participant) -> WorkPlan:
    plan = uow.session.execute(select(WorkPlan).where(col(WorkPlan.participant_id) == part.id)).scalars().first()
    if plan is None:  # a participant added before plans existed
        plan = WorkPlan(participant_id=pk(part))
        uow.session.add(plan)
        uow.session.flush()
    return plan


def _plan_open(plan: WorkPlan) -> None:
    if plan.status in (PlanStatus.SUBMITTED.value, PlanStatus.APPROVED.value):
        raise Conflict(Text("План отправлен или утверждён: его пункты не меняются",
                            "The plan is submitted or approved: its items are fixed"))


def add_plan_item(uow: UnitOfWork, actor: Actor, participant_id: int, data: dict[str, Any]) -> PlanItem:
    part, _org = _editable(uow, actor, participant_id)
    body: PS.PlanItemIn = parse(PS.PlanItemIn, data)
    plan = plan_of(uow, part)
    _plan_open(plan)
    item = PlanItem(plan_id=pk(plan), title=body.title, due_on=body.due_on, who=body.who,
                    evidence_url=body.evidence_url, created_at=clock.now())
    uow.session.add(item)
    uow.session.flush()
    record(uow.session, actor, EventKind.PLAN_ITEM_ADDED, None,
           {"programme_id": part.programme_id, "participant_id": part.id, "item_id": item.id})
    uow.commit()
    return item


def update_plan_item(uow: UnitOfWork, actor: Actor, item_id: int, data: dict[str, Any]) -> PlanItem:
    """Status and evidence change at any time (the plan is carried out); what, when and
    who only while the plan is a draft or returned."""
    item = get_or_404(uow.session, PlanItem, item_id, "plan item")
    plan = cast(WorkPlan, uow.session.get(WorkPlan, item.plan_id))  # a foreign key
    part, _org = _editable(uow, actor, plan.participant_id)
    body: PS.PlanItemPatch = parse(PS.PlanItemPatch, data)
    changes = {k: getattr(body, k) for k in body.model_fields_set}
    if set(changes) - {"status", "evidence_url"}:
        _plan_open(plan)
    for k, v in changes.items():
        setattr(item, k, v)
    uow.session.flush()
    record(uow.session, actor, EventKind.PLAN_ITEM_UPDATED, None,
           {"programme_id": part.programme_id, "participant_id": part.id, "item_id": item.id,
            "changes": {k: _j(v) for k, v in changes.items()}})
    uow.commit()
    return item


def _deciders(uow: UnitOfWork, org: Organization) -> set[int]:
    """Those who may approve the plan: curators of the region or of its municipality."""
    return set(uow.session.execute(select(col(RoleGrant.user_id)).where(
        col(RoleGrant.role).in_([r for r in REGION_ROLES if r in ACTIONS["plan.decide"]]),
        col(RoleGrant.region_id) == org.region_id,
        or_(col(RoleGrant.municipality_id).is_(None), col(RoleGrant.municipality_id) == org.municipality_id))
    ).scalars())


def _keepers(uow: UnitOfWork, org: Organization) -> set[int]:
    """The organisation's head(s) and coordinator(s)."""
    return set(uow.session.execute(select(col(RoleGrant.user_id)).where(
        col(RoleGrant.org_id) == org.id, col(RoleGrant.role).in_(["head", COORDINATOR]))).scalars())


def submit_plan(uow: UnitOfWork, actor: Actor, participant_id: int, data: dict[str, Any]) -> WorkPlan:
    part, org, _prog = get_participant(uow, actor, participant_id, "participation.edit")
    body: PS.PlanSubmitIn = parse(PS.PlanSubmitIn, data)
    plan = plan_of(uow, part)
    items = uow.session.execute(select(col(PlanItem.id)).where(col(PlanItem.plan_id) == plan.id)).first()
    if not items:
        raise _bad("items", "В плане нет ни одного пункта", "The plan has no items")
    if plan.status not in (PlanStatus.DRAFT.value, PlanStatus.RETURNED.value):
        raise Conflict(Text("План уже отправлен или утверждён", "The plan is already submitted or approved"))
    cas_update(uow.session, WorkPlan, plan, plan.version, status=PlanStatus.SUBMITTED.value,
               submitted_by=actor.user_id, submitted_at=clock.now(), comment=body.comment,
               decided_by=None, decided_at=None)
    record(uow.session, actor, EventKind.PLAN_SUBMITTED, None,
           {"programme_id": part.programme_id, "participant_id": part.id, "org_id": org.id,
            "comment": body.comment})
    for uid in sorted(_deciders(uow, org) - {actor.user_id}):
        notify(uow.session, uid, "plan_submitted", None, Text(
            f"{org.name}: план инновационной работы ждёт утверждения",
            f"{org.name}: the innovation work plan awaits approval"))
    uow.commit()
    return plan


def _decide(uow: UnitOfWork, actor: Actor, participant_id: int, approve: bool, data: dict[str, Any]) -> WorkPlan:
    part, org, _prog = get_participant(uow, actor, participant_id, "plan.decide")
    body = parse(PS.PlanApproveIn if approve else PS.PlanReturnIn, data)
    plan = plan_of(uow, part)
    if plan.status != PlanStatus.SUBMITTED.value:
        raise Conflict(Text("План не ждёт решения", "The plan is not waiting for a decision"))
    status = PlanStatus.APPROVED.value if approve else PlanStatus.RETURNED.value
    submitter = plan.submitted_by
    cas_update(uow.session, WorkPlan, plan, plan.version, status=status, decided_by=actor.user_id,
               decided_at=clock.now(), comment=body.comment)
    record(uow.session, actor, EventKind.PLAN_APPROVED if approve else EventKind.PLAN_RETURNED, None,
           {"programme_id": part.programme_id, "participant_id": part.id, "org_id": org.id,
            "comment": body.comment})
    text = (Text(f"{org.name}: план инновационной работы утверждён",
                 f"{org.name}: the innovation work plan is approved") if approve else
            Text(f"{org.name}: план инновационной работы возвращён на доработку: {body.comment}",
                 f"{org.name}: the innovation work plan was returned: {body.comment}"))
    for uid in sorted(({submitter} if submitter else set()) | _keepers(uow, org)):
        if uid != actor.user_id:
            notify(uow.session, uid, "plan_approved" if approve else "plan_returned", None, text)
    uow.commit()
    return plan


def approve_plan(uow: UnitOfWork, actor: Actor, participant_id: int, data: dict[str, Any]) -> WorkPlan:
    return _decide(uow, actor, participant_id, True, data)


def return_plan(uow: UnitOfWork, actor: Actor, participant_id: int, data: dict[str, Any]) -> WorkPlan:
    return _decide(uow, actor, participant_id, False, data)


def plan_items(uow: UnitOfWork, plan: WorkPlan) -> list[PlanItem]:
    return list(uow.session.execute(select(PlanItem).where(col(PlanItem.plan_id) == plan.id)
                                    .order_by(col(PlanItem.due_on), col(PlanItem.id))).scalars())


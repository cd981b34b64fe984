"""The programme's page read models: everything one management screen shows (the
programmes list with its create form, the programme page with its rounds, the edit page
with stages and tasks, the participants page, a participant's page), read in the engine
so that a page view reads like an API route: parse, call one function here, render.

Each answers who may do what there (engine/policy.py), so a page shows a form only to
those who may use it; the services check again when the form is sent."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from engine.db import UnitOfWork
from engine.models import (
    Municipality,
    Organization,
    Participant,
    Programme,
    ProgrammeStage,
    Project,
    Region,
    RoleGrant,
    User,
)
from engine.policy import Actor, can, can_in_municipality, can_in_region
from engine.programme import outputs as O
from engine.programme import service as svc
from engine.programme.funnel import RULES, FunnelRow, funnel_rows
from engine.programme.tower import participant_page, programme_tower, stage_tasks
from engine.text import Text
from engine.vocab import ORG_KINDS, ParticipantStatus, PlanStatus

# --- the programmes list ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProgrammesPage:
    programmes: list[Programme]
    regions: list[Region]  # where the actor may create a programme (none: no form)
    towers: set[int]  # the programmes whose page (tower) the actor may open
    # programme id -> the actor's own organisations taking part: (participant id, name)
    mine: dict[int, list[tuple[int, str]]]


def programmes_page(uow: UnitOfWork, actor: Actor) -> ProgrammesPage:
    stmt = select(Region).order_by(Region.name)
    if not actor.is_admin:
        stmt = stmt.where(col(Region.id).in_(actor.curator_region_ids() or {-1}))
    regions = [r for r in uow.session.execute(stmt).scalars()
               if r.id is not None and can_in_region(actor, "programme.manage", r.id)]
    programmes = svc.list_programmes(uow, actor)
    muns = actor.curated_municipality_ids()
    towers = {p.id for p in programmes if p.id is not None and (
        can_in_region(actor, "programme.view", p.region_id)
        or any(can_in_municipality(actor, "programme.view", m, p.region_id) for m in muns))}
    mine: dict[int, list[tuple[int, str]]] = {}
    for pid, prog_id, name in uow.session.execute(
            select(col(Participant.id), col(Participant.programme_id), col(Organization.name))
            .join(Organization, col(Organization.id) == col(Participant.org_id))
            .where(col(Participant.org_id).in_(actor.org_ids() or {-1})).order_by(col(Organization.name))).all():
        mine.setdefault(prog_id, []).append((pid, name))
    return ProgrammesPage(programmes, regions, towers, mine)


# --- the programme page (its tower) and its edit page ------------------------------------------------

@dataclass(frozen=True)
class ProgrammePage:
    programme: Programme
    tower: O.ProgrammeTower
    rounds: list[O.RoundBrief]
    warnings: list[Text]
    may_manage: bool  # edit it, its stages and tasks; open and close rounds


def programme_page(uow: UnitOfWork, actor: Actor, programme_id: int, locale: str = "ru") -> ProgrammePage:
    tower = programme_tower(uow, actor, programme_id, locale)  # NotFound / Forbidden as the tower
    prog = svc.get_programme(uow, actor, programme_id)
    may_manage = can_in_region(actor, "programme.manage", prog.region_id)
    return ProgrammePage(prog, tower, [O.round_brief(r) for r in svc.rounds_of(uow, programme_id)],
                         svc.stage_warnings(svc.stages_of(uow, programme_id), prog) if may_manage else [],
                         may_manage)


@dataclass(frozen=True)
class StageRow:
    stage: ProgrammeStage
    tasks: list[O.TaskOut]


@dataclass(frozen=True)
class ProgrammeEditPage:
    programme: Programme
    stages: list[StageRow]
    warnings: list[Text]
    rules: list[tuple[str, Text]]  # the rules a task may be completed by


def programme_edit_page(uow: UnitOfWork, actor: Actor, programme_id: int) -> ProgrammeEditPage:
    """The programme with its stages and their tasks (each task's status as the tower
    computes it), for those who manage it (NotFound outside the region, Forbidden else)."""
    prog = svc.require_manage(uow, actor, programme_id)
    stages = svc.stages_of(uow, programme_id)
    by_stage: dict[int | None, list[O.TaskOut]] = {}
    for task, status in stage_tasks(uow, programme_id, funnel_rows(uow.session, uow.workflows, programme_id)):
        by_stage.setdefault(task.stage_id, []).append(O.task_out(task, status))
    return ProgrammeEditPage(prog, [StageRow(s, by_stage.get(s.id, [])) for s in stages],
                             svc.stage_warnings(stages, prog),
                             [(name, r.title) for name, r in sorted(RULES.items())])


# --- the participants page ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ParticipantRow:
    participant: Participant
    funnel: FunnelRow
    municipality: str
    may_withdraw: bool


@dataclass(frozen=True)
class ParticipantsPage:
    programme: Programme
    rows: list[ParticipantRow]
    candidates: list[Organization]  # the organisations the actor may add (not taking part yet)
    municipalities: list[Municipality]  # those the actor may add organisations from, in bulk
    kinds: tuple[str, ...]
    may_add: bool


def participants_page(uow: UnitOfWork, actor: Actor, programme_id: int) -> ParticipantsPage:
    """The participants the actor sees (a municipal curator: their municipality's) with
    their funnel steps, and what the actor may add."""
    prog, org_ids = svc.list_participants(uow, actor, programme_id)
    s = uow.session
    funnel = funnel_rows(s, uow.workflows, programme_id, org_ids=org_ids)
    parts = {p.id: p for p in s.execute(select(Participant).where(col(Participant.programme_id) == prog.id)).scalars()}
    muns = list(s.execute(select(Municipality).where(col(Municipality.region_id) == prog.region_id)
                          .order_by(Municipality.name)).scalars())
    names = {m.id: m.name for m in muns}
    rows = [ParticipantRow(parts[r.participant_id], r, names.get(r.municipality_id, ""),
                           r.status == ParticipantStatus.ACTIVE.value
                           and can(actor, "participation.manage", r.org_id, prog.region_id))
            for r in funnel]
    taking_part = {p.org_id for p in parts.values()}
    candidates = [o for o in s.execute(select(Organization).where(col(Organization.region_id) == prog.region_id)
                                       .order_by(Organization.name)).scalars()
                  if o.id not in taking_part and can(actor, "participation.manage", o.id, prog.region_id)]
    bulk_muns = [m for m in muns if can_in_municipality(actor, "participation.manage", m.id, prog.region_id)]
    return ParticipantsPage(prog, rows, candidates, bulk_muns, ORG_KINDS,
                            bool(candidates) or bool(bulk_muns))


# --- a participant's page -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectRow:
    id: int
    title: str
    stage: Text | str  # the title of its workflow state (the state id if its workflow is gone)


@dataclass
class ParticipantView:
    body: dict[str, Any]  # engine.programme.tower.participant_page (the API's answer)
    municipality: str
    sections: dict[str, Text]  # section id -> title, of the rounds' questionnaires
    org_users: list[tuple[int, str]]  # the organisation's people not yet in the group
    projects: list[ProjectRow]
    open_rounds: list[O.RoundBrief]
    may_edit: bool  # the initiative group and the plan's items
    may_submit: bool  # send the plan for approval
    may_decide: bool  # approve or return it
    may_manage: bool  # withdraw the participant
    items_open: bool  # the plan's items may be changed in full (a draft or returned)


def participant_view(uow: UnitOfWork, actor: Actor, participant_id: int, locale: str = "ru") -> ParticipantView:
    body = participant_page(uow, actor, participant_id, locale)  # NotFound / Forbidden
    s = uow.session
    org_id: int = body["org"]["id"]
    org = s.get(Organization, org_id)
    assert org is not None
    part = s.get(Participant, participant_id)
    assert part is not None
    active = part.status == ParticipantStatus.ACTIVE.value
    mun = s.get(Municipality, org.municipality_id)
    sections: dict[str, Text] = {}
    rounds = svc.rounds_of(uow, part.programme_id)
    for r in rounds:
        for sec in svc.round_questionnaire(r).sections:
            sections.setdefault(sec.id, sec.title)
    in_group = {m["user_id"] for m in body["members"] if m["user_id"] is not None}
    users = s.execute(select(col(User.id), col(User.name))
                      .join(RoleGrant, col(RoleGrant.user_id) == col(User.id))
                      .where(col(RoleGrant.org_id) == org.id, col(User.is_active).is_(True))
                      .distinct().order_by(col(User.name))).all()
    projects = []
    for pid, title, state, wf_id, wf_version in s.execute(
            select(col(Project.id), col(Project.title), col(Project.state), col(Project.workflow_id),
                   col(Project.workflow_version)).where(col(Project.org_id) == org.id).order_by(col(Project.id))).all():
        wf = uow.workflows.get(wf_id, wf_version)
        projects.append(ProjectRow(pid, title, wf.state(state).title if wf and wf.has_state(state) else state))
    def may(action: str) -> bool:
        return active and can(actor, action, org_id, org.region_id)

    return ParticipantView(
        body=body, municipality=mun.name if mun else "", sections=sections,
        org_users=[(i, n) for i, n in users if i not in in_group], projects=projects,
        open_rounds=[O.round_brief(r) for r in rounds if svc.round_is_open(r)] if active else [],
        may_edit=may("participation.edit") or may("participation.manage"), may_submit=may("participation.edit"),
        may_decide=may("plan.decide"), may_manage=may("participation.manage"),
        items_open=body["plan"]["status"] in (PlanStatus.DRAFT.value, PlanStatus.RETURNED.value))


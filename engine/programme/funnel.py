"""The onboarding funnel (PROGRAMME.md), computed from data for all participants at once:
one SELECT with correlated EXISTS per step (no per-organisation queries), and the stage
tasks' rules that read it (``@rule(name, ru=...)``, registered like the workflow checks)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, false, func, or_, select
from sqlmodel import Session, col

from engine.models import (
    InitiativeMember,
    Organization,
    Participant,
    Practice,
    Project,
    ReadinessAnswer,
    ReadinessRound,
    RoleGrant,
    WorkPlan,
)
from engine.policy import COORDINATOR
from engine.reporting.monitoring import done_filter
from engine.text import Text
from engine.training.figures import trained_orgs_subquery
from engine.vocab import AnswerStatus, ParticipantStatus, PlanStatus, PracticeStatus, RoundKind
from engine.workflow import WorkflowRegistry

STEPS: tuple[str, ...] = ("coordinator", "group", "readiness", "plan", "trained", "project_started",
                          "project_implemented", "project_closed", "practice_published")
STEP_TITLES: dict[str, Text] = {
    "coordinator": Text("Назначен координатор", "Coordinator named"),
    "group": Text("Сформирована инициативная группа (3+)", "Initiative group formed (3+)"),
    "readiness": Text("Проведён анализ готовности", "Readiness assessed"),
    "plan": Text("Утверждён план инновационной работы", "Work plan approved"),
    "trained": Text("Команда обучена", "Team trained"),
    "project_started": Text("Начат первый проект", "First project started"),
    "project_implemented": Text("Проект прошёл этап внедрения", "A project past implementation"),
    "project_closed": Text("Проект завершён", "A project closed"),
    "practice_published": Text("Практика опубликована", "A practice published"),
}
GROUP_MIN = 3  # an initiative group is formed with three people


def past_implement_filter(workflows: WorkflowRegistry) -> Any:
    """SQL condition on Project: beyond its workflow's ``measure_from`` state (the change is
    in place) and not in a final state other than ``done``, or in ``done`` itself. Reads the
    workflows' state order, never a state name."""
    clauses = []
    for wf in workflows.all():
        if wf.measure_from is None:
            beyond = [wf.done]
        else:
            start = wf.state_index(wf.measure_from)
            beyond = [s.id for i, s in enumerate(wf.states)
                      if (i > start and not s.final) or s.id == wf.done]
        clauses.append(and_(col(Project.workflow_id) == wf.id, col(Project.workflow_version) == wf.version,
                            col(Project.state).in_(beyond)))
    return or_(*clauses) if clauses else false()


@dataclass
class FunnelRow:
    participant_id: int
    org_id: int
    org_name: str
    municipality_id: int
    status: str
    steps: dict[str, bool]

    @property
    def missing(self) -> list[str]:
        return [s for s in STEPS if not self.steps[s]]


def funnel_rows(session: Session, workflows: WorkflowRegistry, programme_id: int, *,
                org_ids: set[int] | None = None, participant_id: int | None = None,
                active_only: bool = False) -> list[FunnelRow]:
    """Every participant of the programme (or those of ``org_ids``, or one) with its funnel
    steps, in ONE query: each step an aggregate over the whole programme joined to the
    participants (no per-organisation query, no correlated scan per participant)."""
    P = Participant
    members = select(col(P.org_id)).where(col(P.programme_id) == programme_id).scalar_subquery()
    coordinators = (select(col(RoleGrant.org_id).label("org_id"))
                    .where(col(RoleGrant.role) == COORDINATOR, col(RoleGrant.org_id).in_(members))
                    .group_by(col(RoleGrant.org_id)).subquery())
    groups = (select(col(InitiativeMember.participant_id).label("pid"), func.count().label("n"))
              .join(P, col(P.id) == col(InitiativeMember.participant_id)).where(col(P.programme_id) == programme_id)
              .group_by(col(InitiativeMember.participant_id)).subquery())
    assessed = (select(col(ReadinessAnswer.org_id).label("org_id"))
                .join(ReadinessRound, col(ReadinessRound.id) == col(ReadinessAnswer.round_id))
                .where(col(ReadinessRound.programme_id) == programme_id,
                       col(ReadinessRound.kind) == RoundKind.INITIAL.value,
                       col(ReadinessAnswer.status) == AnswerStatus.SUBMITTED.value)
                .group_by(col(ReadinessAnswer.org_id)).subquery())
    projects = (select(col(Project.org_id).label("org_id"),
                       func.max(case((past_implement_filter(workflows), 1), else_=0)).label("implemented"),
                       func.max(case((done_filter(workflows), 1), else_=0)).label("closed"))
                .where(col(Project.org_id).in_(members)).group_by(col(Project.org_id)).subquery())
    practices = (select(col(Practice.org_id).label("org_id"))
                 .where(col(Practice.status) == PracticeStatus.PUBLISHED.value, col(Practice.org_id).in_(members))
                 .group_by(col(Practice.org_id)).subquery())
    trained = trained_orgs_subquery()
    stmt = (select(col(P.id), col(P.org_id), col(Organization.name), col(Organization.municipality_id),
                   col(P.status), coordinators.c.org_id, groups.c.n, assessed.c.org_id, col(WorkPlan.status),
                   trained.c.org_id, projects.c.org_id, projects.c.implemented, projects.c.closed,
                   practices.c.org_id)
            .join(Organization, col(Organization.id) == col(P.org_id))
            .outerjoin(coordinators, coordinators.c.org_id == col(P.org_id))
            .outerjoin(groups, groups.c.pid == col(P.id))
            .outerjoin(assessed, assessed.c.org_id == col(P.org_id))
            .outerjoin(WorkPlan, col(WorkPlan.participant_id) == col(P.id))
            .outerjoin(trained, trained.c.org_id == col(P.org_id))
            .outerjoin(projects, projects.c.org_id == col(P.org_id))
            .outerjoin(practices, practices.c.org_id == col(P.org_id))
            .where(col(P.programme_id) == programme_id).order_by(col(Organization.name), col(P.id)))
    if org_ids is not None:
        stmt = stmt.where(col(P.org_id).in_(org_ids or {-1}))
    if participant_id is not None:
        stmt = stmt.where(col(P.id) == participant_id)
    if active_only:
        stmt = stmt.where(col(P.status) == ParticipantStatus.ACTIVE.value)
    out = []
    for row in session.execute(stmt).all():
        (pid, oid, name, mid, status, coord, group_n, assessed_org, plan, trained_org, started, impl, closed,
         published) = row
        out.append(FunnelRow(pid, oid, name, mid, status, {
            "coordinator": coord is not None, "group": (group_n or 0) >= GROUP_MIN,
            "readiness": assessed_org is not None, "plan": plan == PlanStatus.APPROVED.value,
            "trained": trained_org is not None,
            "project_started": started is not None, "project_implemented": bool(impl),
            "project_closed": bool(closed), "practice_published": published is not None}))
    return out


def totals(rows: list[FunnelRow]) -> dict[str, int]:
    return {s: sum(1 for r in rows if r.steps[s]) for s in STEPS}


# --- stage tasks completed from data ---------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    name: str
    title: Text
    fn: Callable[[list[FunnelRow]], bool]


RULES: dict[str, Rule] = {}


def rule(name: str, ru: str, en: str) -> Callable:
    """Register a stage-task rule: ``fn(active participants' funnel rows) -> done?``."""
    def register(fn: Callable[[list[FunnelRow]], bool]) -> Callable:
        RULES[name] = Rule(name, Text(ru, en), fn)
        return fn
    return register


def _every(step: str) -> Callable[[list[FunnelRow]], bool]:
    return lambda rows: bool(rows) and all(r.steps[step] for r in rows)


rule("every_participant_has_coordinator", "У каждого участника назначен координатор",
     "Every participant has a coordinator")(_every("coordinator"))
rule("every_participant_has_group", "У каждого участника сформирована инициативная группа",
     "Every participant has an initiative group")(_every("group"))
rule("every_participant_assessed", "Каждый участник прошёл анализ готовности",
     "Every participant assessed its readiness")(_every("readiness"))
rule("every_plan_approved", "План инновационной работы утверждён у каждого участника",
     "Every participant's work plan is approved")(_every("plan"))
rule("every_participant_started_project", "Каждый участник начал проект",
     "Every participant started a project")(_every("project_started"))


@rule("participants_chosen", "Участники программы определены", "The participants are chosen")
def _participants_chosen(rows: list[FunnelRow]) -> bool:
    return bool(rows)

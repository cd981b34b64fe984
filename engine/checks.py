"""Named gate checks. A workflow's ``requires`` names them; an unknown name is a load error.

Adding a check: one function here with ``@check(name, ru=..., en=..., section=...)``;
``section`` is the part of the project page where the user meets it (its anchor there:
artefacts, problems, metrics, actions or risks).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import exists, func, select
from sqlmodel import Session, col

from engine.errors import Unmet
from engine.models import (
    CRITICAL_SCORE,
    UNRESOLVED_RISK,
    Action,
    Artefact,
    Event,
    Measurement,
    Metric,
    Problem,
    Project,
    Risk,
    TeamMember,
    pk,
)
from engine.reporting.metrics import all_reached
from engine.text import Text
from engine.vocab import EventKind


class Stages(Protocol):
    """What a check may ask of the project's workflow (engine.workflow.Workflow has it;
    the workflow module imports this one, so not the other way round)."""
    measure_from: str | None


@dataclass(frozen=True)
class CheckContext:
    session: Session
    project: Project
    workflow: Stages  # the project's own workflow version


@dataclass(frozen=True)
class Check:
    name: str
    holds: Callable[[CheckContext], bool]
    text: Text
    section: str  # the project page's section (anchor) where the user meets it
    # the page (endpoint) where it is met, when that is not the project page: its link
    # takes the project's ``org_id`` (team_trained: the organisation's training)
    page: str | None = None


CHECKS: dict[str, Check] = {}


def check(name: str, *, ru: str, en: str, section: str, page: str | None = None):
    def register(fn: Callable[[CheckContext], bool]) -> Callable[[CheckContext], bool]:
        CHECKS[name] = Check(name, fn, Text(ru, en), section, page)
        return fn
    return register


def section_of(name: str) -> str:
    """The project page's anchor for a check; "gate" (the transition panel) for a name
    that is not a check."""
    found = CHECKS.get(name)
    return found.section if found else "gate"


def evaluate(session: Session, project: Project, names: tuple[str, ...] | list[str],
             workflow: Stages) -> list[Unmet]:
    """The unmet checks among ``names``, in order, each with what to do; ``workflow`` is
    the project's own (its ``measure_from`` state dates result_measured)."""
    ctx = CheckContext(session, project, workflow)
    return [Unmet(n, CHECKS[n].text) for n in names if not CHECKS[n].holds(ctx)]


def _any(ctx: CheckContext, stmt) -> bool:
    return bool(ctx.session.execute(select(exists(stmt))).one()[0])


def _artefact(kind: str) -> Callable[[CheckContext], bool]:
    def holds(ctx: CheckContext) -> bool:
        return _any(ctx, select(col(Artefact.id)).where(col(Artefact.project_id) == ctx.project.id,
                                                        col(Artefact.kind) == kind))
    return holds


def _metrics(ctx: CheckContext) -> list[Metric]:
    return list(ctx.session.execute(select(Metric).where(col(Metric.project_id) == ctx.project.id)
                                    ).scalars())


check("current_state_mapped", ru="Добавьте карту текущего состояния",
      en="Add a current-state map", section="artefacts")(_artefact("current_state_map"))
check("target_state_mapped", ru="Добавьте карту целевого состояния",
      en="Add a target-state map", section="artefacts")(_artefact("target_state_map"))
check("standard_documented", ru="Добавьте стандарт (алгоритм, СОП)",
      en="Add the standard (algorithm, SOP)", section="artefacts")(_artefact("standard"))
check("report_attached", ru="Приложите итоговый отчёт по проекту",
      en="Attach the closing report", section="artefacts")(_artefact("report"))


@check("problems_listed", ru="Внесите хотя бы одну проблему в реестр проблем",
       en="Register at least one problem", section="problems")
def problems_listed(ctx: CheckContext) -> bool:
    return _any(ctx, select(col(Problem.id)).where(col(Problem.project_id) == ctx.project.id))


@check("baselines_recorded", ru="Добавьте показатели и укажите текущее (базовое) значение каждого",
       en="Add metrics and record a baseline for each", section="metrics")
def baselines_recorded(ctx: CheckContext) -> bool:
    metrics = _metrics(ctx)
    return bool(metrics) and all(m.baseline is not None for m in metrics)


@check("targets_set", ru="Укажите целевое значение каждого показателя",
       en="Set a target for every metric", section="metrics")
def targets_set(ctx: CheckContext) -> bool:
    metrics = _metrics(ctx)
    return bool(metrics) and all(m.target is not None for m in metrics)


@check("action_plan_ready", ru="Составьте план мероприятий: хотя бы одно мероприятие, у каждого срок",
       en="Make an action plan: at least one action, each with a due date", section="actions")
def action_plan_ready(ctx: CheckContext) -> bool:
    pid = ctx.project.id
    has_any = _any(ctx, select(col(Action.id)).where(col(Action.project_id) == pid))
    undated = _any(ctx, select(col(Action.id)).where(col(Action.project_id) == pid,
                                                     col(Action.due_on).is_(None)))
    return has_any and not undated


@check("actions_closed", ru="Завершите или отмените все мероприятия плана",
       en="Mark every action done or dropped", section="actions")
def actions_closed(ctx: CheckContext) -> bool:
    return not _any(ctx, select(col(Action.id)).where(col(Action.project_id) == ctx.project.id,
                                                      col(Action.status) == "open"))


def measuring_since(ctx: CheckContext) -> date | None:
    """The UTC day the project last entered its workflow's ``measure_from`` state (in the
    ПСР workflow: implement), from the event log; None before it did."""
    state = ctx.workflow.measure_from
    if state is None:
        return None
    at = ctx.session.execute(select(func.max(col(Event.at))).where(
        col(Event.project_id) == ctx.project.id, col(Event.kind) == EventKind.STATE_CHANGED,
        col(Event.to_state) == state)).one()[0]
    if at is None and ctx.project.state == state:
        at = ctx.project.state_entered_at
    if at is None:
        return None
    from engine.clock import as_utc
    return as_utc(at).date()


@check("result_measured", ru="Измерьте каждый показатель после внедрения изменений",
       en="Measure every metric after the change", section="metrics")
def result_measured(ctx: CheckContext) -> bool:
    metrics = _metrics(ctx)
    since = measuring_since(ctx)
    if not metrics or since is None:
        return False
    measured = set(ctx.session.execute(select(col(Measurement.metric_id)).where(
        col(Measurement.metric_id).in_([m.id for m in metrics]),
        col(Measurement.measured_on) >= since)).scalars())
    return all(m.id in measured for m in metrics)


@check("no_critical_risks", ru="Снизьте или закройте критические риски (оценка 15 и выше)",
       en="Mitigate or close the critical risks (score 15 or more)", section="risks")
def no_critical_risks(ctx: CheckContext) -> bool:
    return not _any(ctx, select(col(Risk.id)).where(col(Risk.project_id) == ctx.project.id,
                                                    col(Risk.status).in_(UNRESOLVED_RISK),
                                                    col(Risk.score) >= CRITICAL_SCORE))


@check("targets_reached", ru="Добейтесь целевых значений: последний замер каждого показателя должен достигать цели",
       en="Reach the targets: the latest measurement of every metric must meet its target", section="metrics")
def targets_reached(ctx: CheckContext) -> bool:
    return all_reached(ctx.session, pk(ctx.project))


@check("team_trained", ru="Пройдите обучение: руководитель проекта или участник команды должен окончить курс",
       en="Get trained: the project's leader or a team member must complete a course", section="team",
       page="training.index")
def team_trained(ctx: CheckContext) -> bool:
    from engine.training.figures import any_completed  # training reads the models only
    people = set(ctx.session.execute(select(col(TeamMember.user_id)).where(
        col(TeamMember.project_id) == ctx.project.id)).scalars())
    if ctx.project.leader_id is not None:
        people.add(ctx.project.leader_id)
    return any_completed(ctx.session, people)

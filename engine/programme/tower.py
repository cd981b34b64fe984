"""The programme tower's read model (API.md "Programme additions", issue #13 item 8): the
funnel overall and by municipality, the organisations behind what the stages expect,
overdue stage tasks and plan items, the readiness heat map (municipality × section), the
most frequent needs and deficits, and the timeline. Set-based: a fixed number of queries
whatever the number of participants (no per-organisation query)."""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, cast

from sqlalchemy import and_, func, select
from sqlmodel import col

from engine import clock
from engine.db import UnitOfWork
from engine.errors import Forbidden
from engine.events.outputs import EventCounts
from engine.events.service import programme_figures
from engine.models import (
    Municipality,
    Participant,
    PlanItem,
    Programme,
    ReadinessAnswer,
    ReadinessRound,
    StageTask,
    WorkPlan,
    pk,
)
from engine.policy import Actor, can_in_municipality, can_in_region
from engine.programme import outputs as O
from engine.programme import service as svc
from engine.programme.funnel import RULES, STEPS, FunnelRow, funnel_rows, totals
from engine.training.figures import completions, training_figures
from engine.vocab import AnswerStatus, ParticipantStatus, PlanItemStatus

LIST_LIMIT = 50
# what each stage (by its position) expects of every participant by its end; later stages
# expect what the earlier ones did too
STAGE_EXPECTS: tuple[tuple[str, ...], ...] = (
    ("coordinator", "group", "readiness", "plan"),
    ("project_started", "project_implemented"),
    ("project_closed", "practice_published"),
)


def tower_scope(uow: UnitOfWork, actor: Actor, programme_id: int) -> tuple[Programme, set[int] | None]:
    """The programme and the organisations the actor watches in it (None: the whole
    region); NotFound outside the region, Forbidden for those who watch nothing there."""
    prog = svc.get_programme(uow, actor, programme_id)
    if can_in_region(actor, "programme.view", prog.region_id):
        return prog, None
    muns = {m for m in actor.curated_municipality_ids()
            if can_in_municipality(actor, "programme.view", m, prog.region_id)}
    if not muns:
        raise Forbidden()
    return prog, actor.municipal_org_ids()


def stage_tasks(uow: UnitOfWork, programme_id: int, rows: list[FunnelRow]) -> list[tuple[StageTask, str]]:
    """Each task with its status: a rule's from data (active participants), else as set."""
    active = [r for r in rows if r.status == ParticipantStatus.ACTIVE.value]
    tasks = uow.session.execute(select(StageTask).where(col(StageTask.programme_id) == programme_id)
                                .order_by(col(StageTask.due_on), col(StageTask.id))).scalars().all()
    out = []
    for t in tasks:
        if t.rule is not None and t.rule in RULES:
            status = "done" if RULES[t.rule].fn(active) else "open"
        else:
            status = t.status
        out.append((t, status))
    return out


def programme_tower(uow: UnitOfWork, actor: Actor, programme_id: int, locale: str = "ru") -> O.ProgrammeTower:
    prog, org_scope = tower_scope(uow, actor, programme_id)
    s = uow.session
    today = clock.today()
    all_rows = funnel_rows(s, uow.workflows, pk(prog), org_ids=org_scope)
    rows = [r for r in all_rows if r.status == ParticipantStatus.ACTIVE.value]
    names: dict[int, str] = {i: n for i, n in s.execute(select(col(Municipality.id), col(Municipality.name))
                                                       .where(col(Municipality.region_id) == prog.region_id))}

    by_mun: dict[int, list[FunnelRow]] = defaultdict(list)
    for r in rows:
        by_mun[r.municipality_id].append(r)
    by_municipality = sorted(
        (O.MunicipalityFunnel(municipality_id=m, name=names.get(m, ""), participants=len(rs),
                              funnel=O.StepCounts(**totals(rs))) for m, rs in by_mun.items()),
        key=lambda x: x.name)

    # what the stages expect: those ended, and the current one (by its end)
    stages = svc.stages_of(uow, pk(prog))
    expectations: list[O.StageExpectation] = []
    due: list[str] = []
    for idx, st in enumerate(stages):
        if st.starts_on > today:
            break
        for step in STAGE_EXPECTS[idx] if idx < len(STAGE_EXPECTS) else ():
            behind = [r.org_id for r in rows if not r.steps[step]]
            due.append(step)
            expectations.append(O.StageExpectation.model_construct(stage_id=pk(st), title=st.title,
                                                   ends_on=st.ends_on.isoformat(), ended=st.ends_on < today,
                                                   step=step, missing=len(behind), org_ids=behind))
    # (the long lists are built with model_construct: the engine's own values, not input)
    due_set = set(due)
    due_steps = [x for x in STEPS if x in due_set]  # in the funnel's order
    behind_rows = [(r, missing) for r in rows if (missing := [x for x in due_steps if not r.steps[x]])]
    behind_rows.sort(key=lambda rm: (-len(rm[1]), rm[0].org_name))
    attention = [O.Attention.model_construct(org_id=r.org_id, name=r.org_name, municipality_id=r.municipality_id,
                                             missing=missing) for r, missing in behind_rows]

    # readiness: the latest round with submitted answers; heat map municipality × section
    rounds = svc.rounds_of(uow, pk(prog))
    latest_id = s.execute(
        select(col(ReadinessRound.id)).join(ReadinessAnswer, col(ReadinessAnswer.round_id) == col(ReadinessRound.id))
        .where(col(ReadinessRound.programme_id) == prog.id,
               col(ReadinessAnswer.status) == AnswerStatus.SUBMITTED.value)
        .order_by(col(ReadinessRound.opens_on).desc(), col(ReadinessRound.id).desc()).limit(1)).scalar()
    latest = next((r for r in rounds if r.id == latest_id), None)
    q = svc.round_questionnaire(latest) if latest else svc._questionnaire()
    # only the columns the figures need, of the active participants in scope (no IN list of them)
    answers_q = (select(col(ReadinessAnswer.org_id), col(ReadinessAnswer.section_means), col(ReadinessAnswer.needs),
                        col(ReadinessAnswer.deficits))
                 .join(Participant, and_(col(Participant.org_id) == col(ReadinessAnswer.org_id),
                                         col(Participant.programme_id) == prog.id))
                 .where(col(ReadinessAnswer.round_id) == (latest_id or -1),
                        col(ReadinessAnswer.status) == AnswerStatus.SUBMITTED.value,
                        col(Participant.status) == ParticipantStatus.ACTIVE.value))
    if org_scope is not None:
        answers_q = answers_q.where(col(Participant.org_id).in_(org_scope or {-1}))
    shown = s.execute(answers_q).all()
    mun_of = {r.org_id: r.municipality_id for r in rows}
    section_vals: dict[str, list[float]] = defaultdict(list)
    heat: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    needs: Counter[str] = Counter()
    deficits: Counter[str] = Counter()
    for a in shown:
        # each section's mean of the answer, stored when it was saved (Questionnaire.section_means)
        row_heat = heat[mun_of[a.org_id]]
        for sec, val in a.section_means.items():
            if val is not None:
                section_vals[sec].append(val)
                row_heat[sec].append(val)
        needs.update({n.strip().lower(): 1 for n in a.needs})
        deficits.update({d.strip().lower(): 1 for d in a.deficits})
    display: dict[str, str] = {}
    for a in shown:  # the first spelling seen of each need, for display
        for n in [*a.needs, *a.deficits]:
            display.setdefault(n.strip().lower(), n.strip())

    def avg(vals: list[float]) -> float | None:
        return round(sum(vals) / len(vals), 2) if vals else None

    readiness = [O.SectionAverage(section=sec.id, title=sec.title.get(locale), average=avg(section_vals[sec.id]))
                 for sec in q.sections]
    heat_map = [O.HeatRow(municipality_id=m, name=names.get(m, ""),
                          sections={sec.id: avg(heat[m][sec.id]) for sec in q.sections})
                for m in sorted(by_mun, key=lambda m: names.get(m, ""))]

    tasks = [O.task_out(t, status) for t, status in stage_tasks(uow, pk(prog), all_rows)]
    overdue_q = (select(col(PlanItem.id), col(PlanItem.title), col(PlanItem.due_on), col(Participant.id),
                        col(Participant.org_id))
                 .join(WorkPlan, col(WorkPlan.id) == col(PlanItem.plan_id))
                 .join(Participant, col(Participant.id) == col(WorkPlan.participant_id))
                 .where(col(Participant.programme_id) == prog.id,
                        col(Participant.status) == ParticipantStatus.ACTIVE.value,
                        col(PlanItem.status) == PlanItemStatus.OPEN.value, col(PlanItem.due_on) < today))
    if org_scope is not None:
        overdue_q = overdue_q.where(col(Participant.org_id).in_(org_scope or {-1}))
    overdue_total = s.execute(select(func.count()).select_from(overdue_q.subquery())).scalar_one()
    overdue_items = [O.OverduePlanItem(item_id=i, participant_id=p, org_id=o, title=t, due_on=d.isoformat(),
                                       days_overdue=(today - d).days)
                     for i, t, d, p, o in s.execute(overdue_q.order_by(col(PlanItem.due_on), col(PlanItem.id))
                                                    .limit(LIST_LIMIT)).all()]
    training = O.training_out(training_figures(s, prog.region_id, {r.org_id for r in rows}))
    ev = programme_figures(s, prog, today)
    return O.ProgrammeTower.model_construct(
        programme_id=pk(prog), participants=len(rows), funnel=O.StepCounts(**totals(rows)), training=training,
        by_municipality=by_municipality, attention=attention,
        readiness=readiness,
        top_needs=[O.Count(need=display[n], count=c) for n, c in needs.most_common(10)],
        round_id=latest.id if latest else None, expectations=expectations, heat_map=heat_map,
        top_deficits=[O.DeficitCount(deficit=display[n], count=c) for n, c in deficits.most_common(10)],
        overdue_tasks=[t for t in tasks if t.overdue], overdue_plan_items=overdue_items,
        overdue_plan_items_total=overdue_total, tasks=tasks,
        timeline=O.Timeline(starts_on=prog.starts_on.isoformat(), ends_on=prog.ends_on.isoformat(),
                            today=today.isoformat(),
                            stages=[O.TimelineStage(id=st.id, title=st.title, starts_on=st.starts_on.isoformat(),
                                                    ends_on=st.ends_on.isoformat(),
                                                    current=st.starts_on <= today <= st.ends_on)
                                    for st in stages]),
        events=EventCounts(by_kind=ev.by_kind, total=ev.total, upcoming=ev.upcoming),
        replications_after_events=ev.replications_after_events)


def readiness_change(uow: UnitOfWork, round_ids: list[int], org_id: int) -> dict[str, Any]:
    """One organisation's section scores per round and the change between the first and
    the last submitted round (the participant page)."""
    answers = {a.round_id: a for a in svc.answers_of(uow, round_ids, {org_id})
               if a.status == AnswerStatus.SUBMITTED.value}
    per_round: list[dict[str, Any]] = []
    for rid in round_ids:
        if rid in answers:
            q = svc.round_questionnaire(cast(ReadinessRound, uow.session.get(ReadinessRound, rid)))  # an answer's round
            per_round.append({"round_id": rid, "sections": O.section_scores(q, answers[rid].scores)})
    change: dict[str, float | None] = {}
    if len(per_round) >= 2:
        first, last = per_round[0]["sections"], per_round[-1]["sections"]
        change = {k: (round(last[k] - first[k], 1) if last.get(k) is not None and first.get(k) is not None else None)
                  for k in last}
    return {"rounds": per_round, "change": change}


def participant_page(uow: UnitOfWork, actor: Actor, participant_id: int, locale: str = "ru") -> dict[str, Any]:
    """One participant: its funnel, initiative group, work plan, readiness per round with
    the change between rounds, and its projects (the participant page and the API)."""
    from engine.models import InitiativeMember, Project  # noqa: PLC0415

    part, org, prog = svc.get_participant(uow, actor, participant_id)
    s = uow.session
    row = funnel_rows(s, uow.workflows, pk(prog), participant_id=part.id)[0]
    members = s.execute(select(InitiativeMember).where(col(InitiativeMember.participant_id) == part.id)
                        .order_by(col(InitiativeMember.id))).scalars().all()
    trained = completions(s, member_ids={pk(m) for m in members})[1]
    plan = svc.plan_of(uow, part)
    rounds = svc.rounds_of(uow, pk(prog))
    answers = {a.round_id: a for a in svc.answers_of(uow, [pk(r) for r in rounds], {pk(org)})}
    projects = s.execute(select(col(Project.id), col(Project.title), col(Project.state))
                         .where(col(Project.org_id) == org.id).order_by(col(Project.id))).all()
    return {
        "participant": O.participant_out(part, row).dump(),
        "programme": {"id": prog.id, "title": prog.title},
        "org": {"id": org.id, "name": org.name, "municipality_id": org.municipality_id, "kind": org.kind},
        "members": [O.member_out(m, trained.get(pk(m))).dump() for m in members], "group_size": len(members),
        "plan": O.plan_out(plan, svc.plan_items(uow, plan)).dump(),
        "rounds": [{**O.round_brief(r).dump(),
                    "answer": O.answer_out(answers[pk(r)], svc.round_questionnaire(r)).dump()
                    if r.id in answers else None} for r in rounds],
        "readiness_change": readiness_change(uow, [pk(r) for r in rounds], pk(org)),
        "projects": [{"id": i, "title": t, "state": st} for i, t, st in projects],
    }

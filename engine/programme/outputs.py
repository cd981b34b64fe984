"""The programme's API answers as pydantic models (API.md "Programme additions"); routes declare
them (`response=PO.ProgrammeOut`) and the OpenAPI description is generated from them."""
from __future__ import annotations

from typing import Any

from engine import clock
from engine.events.outputs import EventCounts
from engine.models import (
    InitiativeMember,
    Participant,
    PlanItem,
    Programme,
    ProgrammeStage,
    ReadinessAnswer,
    ReadinessRound,
    StageTask,
    WorkPlan,
)
from engine.outputs import Out  # one base for every API answer: extra keys refused
from engine.programme.funnel import STEPS, FunnelRow
from engine.programme.questionnaire import Questionnaire


class StageOut(Out):
    id: int
    title: str
    starts_on: str
    ends_on: str
    position: int
    content: str


class RoundBrief(Out):
    id: int
    title: str
    kind: str
    opens_on: str
    closes_on: str
    closed: bool
    open: bool


class ProgrammeOut(Out):
    id: int
    region_id: int
    title: str
    starts_on: str
    ends_on: str
    status: str
    goal: str
    tasks: str
    hypothesis: str
    version: int
    workflow: str | None  # the workflow its participants' new projects follow (null: the default)
    stages: list[StageOut]
    rounds: list[RoundBrief]
    warnings: list[str]


class ProgrammeList(Out):
    items: list[ProgrammeOut]
    total: int


class Funnel(Out):
    coordinator: bool
    group: bool
    readiness: bool
    plan: bool
    trained: bool
    project_started: bool
    project_implemented: bool
    project_closed: bool
    practice_published: bool


class ParticipantOut(Out):
    id: int
    programme_id: int
    org_id: int
    org_name: str
    municipality_id: int
    joined_on: str
    wave: int
    status: str
    withdrawn_on: str | None
    reason: str | None
    funnel: Funnel


class ParticipantList(Out):
    items: list[ParticipantOut]
    total: int


class ItemOut(Out):
    id: str
    text: str
    descriptors: dict[str, str]


class SectionOut(Out):
    id: str
    title: str
    items: list[ItemOut]


class QuestionOut(Out):
    id: str
    text: str
    options: list[str] | None


class QuestionnaireOut(Out):
    id: str
    version: int
    title: str
    sections: list[SectionOut]
    questions: list[QuestionOut]


class RoundOut(Out):
    id: int
    programme_id: int
    title: str
    kind: str
    opens_on: str
    closes_on: str
    closed: bool
    open: bool
    questionnaire: QuestionnaireOut


class AnswerOut(Out):
    id: int
    round_id: int
    org_id: int
    scores: dict[str, int]
    needs: list[str]
    difficulties: list[str]
    resources: list[str]
    deficits: list[str]
    status: str
    submitted_at: str | None
    submitted_by: int | None
    version: int
    section_scores: dict[str, float | None]


class TrainedOut(Out):
    """The latest course a person completed (engine/training)."""
    course: str
    completed_on: str | None
    certificate_no: str | None


class MemberOut(Out):
    id: int
    participant_id: int
    user_id: int | None
    name: str
    position: str
    training_status: str | None
    trained: TrainedOut | None  # the latest course completed (engine/training)


class PlanItemOut(Out):
    id: int
    title: str
    due_on: str | None
    who: str
    status: str
    evidence_url: str | None
    overdue: bool


class PlanOut(Out):
    participant_id: int
    status: str
    comment: str | None
    submitted_by: int | None
    submitted_at: str | None
    decided_by: int | None
    decided_at: str | None
    version: int
    items: list[PlanItemOut]


class TaskOut(Out):
    id: int
    stage_id: int
    title: str
    due_on: str | None
    responsible: str
    status: str
    rule: str | None
    overdue: bool


def _d(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def stage_out(s: ProgrammeStage) -> StageOut:
    return StageOut(id=s.id, title=s.title, starts_on=s.starts_on.isoformat(), ends_on=s.ends_on.isoformat(),
                    position=s.position, content=s.content)


def round_brief(r: ReadinessRound) -> RoundBrief:
    from engine.programme.service import round_is_open
    return RoundBrief(id=r.id, title=r.title, kind=r.kind, opens_on=r.opens_on.isoformat(),
                      closes_on=r.closes_on.isoformat(), closed=r.closed_at is not None, open=round_is_open(r))


def programme_out(p: Programme, stages: list[ProgrammeStage], rounds: list[ReadinessRound],
                  warnings: list[str]) -> ProgrammeOut:
    return ProgrammeOut(id=p.id, region_id=p.region_id, title=p.title, starts_on=p.starts_on.isoformat(),
                        ends_on=p.ends_on.isoformat(), status=p.status, goal=p.goal, tasks=p.tasks,
                        hypothesis=p.hypothesis, version=p.version, workflow=p.workflow,
                        stages=[stage_out(s) for s in stages], rounds=[round_brief(r) for r in rounds],
                        warnings=warnings)


def participant_out(p: Participant, row: FunnelRow) -> ParticipantOut:
    return ParticipantOut(id=p.id, programme_id=p.programme_id, org_id=p.org_id, org_name=row.org_name,
                          municipality_id=row.municipality_id, joined_on=p.joined_on.isoformat(),
                          wave=p.wave, status=p.status, withdrawn_on=_d(p.withdrawn_on), reason=p.reason,
                          funnel=Funnel(**{s: row.steps[s] for s in STEPS}))


def questionnaire_out(q: Questionnaire, locale: str) -> QuestionnaireOut:
    return QuestionnaireOut.model_validate(q.as_dict(locale))


def round_out(r: ReadinessRound, q: Questionnaire, locale: str) -> RoundOut:
    brief = round_brief(r)
    return RoundOut(**brief.model_dump(), programme_id=r.programme_id, questionnaire=questionnaire_out(q, locale))


def section_scores(q: Questionnaire, scores: dict[str, Any]) -> dict[str, float | None]:
    """Each section's mean score (one decimal), None when none of its items is scored."""
    return q.section_means(scores)


def answer_out(a: ReadinessAnswer, q: Questionnaire) -> AnswerOut:
    return AnswerOut(id=a.id, round_id=a.round_id, org_id=a.org_id, scores=a.scores, needs=a.needs,
                     difficulties=a.difficulties, resources=a.resources, deficits=a.deficits,
                     status=a.status, submitted_at=clock.iso(a.submitted_at) if a.submitted_at else None,
                     submitted_by=a.submitted_by, version=a.version, section_scores=section_scores(q, a.scores))


def member_out(m: InitiativeMember, trained: Any = None) -> MemberOut:
    """``trained``: the person's latest completion (engine.training.figures.Completion), if any."""
    return MemberOut(id=m.id, participant_id=m.participant_id, user_id=m.user_id, name=m.name,
                     position=m.position, training_status=m.training_status,
                     trained=TrainedOut(course=trained.course, completed_on=_d(trained.completed_on),
                                        certificate_no=trained.certificate_no) if trained else None)


def plan_item_out(i: PlanItem) -> PlanItemOut:
    overdue = i.status == "open" and i.due_on is not None and i.due_on < clock.today()
    return PlanItemOut(id=i.id, title=i.title, due_on=_d(i.due_on), who=i.who, status=i.status,
                       evidence_url=i.evidence_url, overdue=overdue)


def plan_out(plan: WorkPlan, items: list[PlanItem]) -> PlanOut:
    return PlanOut(participant_id=plan.participant_id, status=plan.status, comment=plan.comment,
                   submitted_by=plan.submitted_by,
                   submitted_at=clock.iso(plan.submitted_at) if plan.submitted_at else None,
                   decided_by=plan.decided_by, decided_at=clock.iso(plan.decided_at) if plan.decided_at else None,
                   version=plan.version, items=[plan_item_out(i) for i in items])


def task_out(t: StageTask, status: str) -> TaskOut:
    overdue = status != "done" and t.due_on is not None and t.due_on < clock.today()
    return TaskOut(id=t.id, stage_id=t.stage_id, title=t.title, due_on=_d(t.due_on),
                   responsible=t.responsible, status=status, rule=t.rule, overdue=overdue)


# --- the programme tower (API.md shape, plus the page's extras) ---------------------------------------

class StepCounts(Out):
    coordinator: int
    group: int
    readiness: int
    plan: int
    trained: int
    project_started: int
    project_implemented: int
    project_closed: int
    practice_published: int


class MunicipalityFunnel(Out):
    municipality_id: int
    name: str
    participants: int
    funnel: StepCounts


class Attention(Out):
    org_id: int
    name: str
    municipality_id: int
    missing: list[str]


class StageExpectation(Out):
    stage_id: int
    title: str
    ends_on: str
    ended: bool
    step: str
    missing: int
    org_ids: list[int]


class SectionAverage(Out):
    section: str
    title: str
    average: float | None


class HeatRow(Out):
    municipality_id: int
    name: str
    sections: dict[str, float | None]


class Count(Out):
    need: str
    count: int


class DeficitCount(Out):
    deficit: str
    count: int


class OverduePlanItem(Out):
    item_id: int
    participant_id: int
    org_id: int
    title: str
    due_on: str
    days_overdue: int


class TimelineStage(Out):
    id: int
    title: str
    starts_on: str
    ends_on: str
    current: bool


class Timeline(Out):
    starts_on: str
    ends_on: str
    today: str
    stages: list[TimelineStage]


class TrainedCount(Out):
    label: str  # a stream («course, dates»), a kind of organisation, a municipality
    people: int


class TrainingFigures(Out):
    """People of the participants who completed a course (engine/training/figures.py)."""
    total: int
    by_stream: list[TrainedCount]
    by_kind: list[TrainedCount]  # label: the kind's id (school, kindergarten, college, other)
    by_municipality: list[TrainedCount]


class ProgrammeTower(Out):
    programme_id: int
    participants: int
    funnel: StepCounts
    by_municipality: list[MunicipalityFunnel]
    attention: list[Attention]
    readiness: list[SectionAverage]
    top_needs: list[Count]
    # beyond API.md: the page's extras (issue #13 item 8)
    round_id: int | None
    expectations: list[StageExpectation]
    heat_map: list[HeatRow]
    top_deficits: list[DeficitCount]
    overdue_tasks: list[TaskOut]
    overdue_plan_items: list[OverduePlanItem]
    overdue_plan_items_total: int
    tasks: list[TaskOut]
    timeline: Timeline
    training: TrainingFigures | None  # people trained (issue #14 item 6)
    # events and dissemination (issue #14 item 3, engine/events/): events held by kind, and the
    # replica projects started within 180 days after an event that presented their practice
    events: EventCounts
    replications_after_events: int


class ProgrammeBrief(Out):
    id: int
    title: str


class OrgBrief(Out):
    id: int
    name: str
    municipality_id: int
    kind: str


class RoundWithAnswer(RoundBrief):
    answer: AnswerOut | None


class RoundSections(Out):
    round_id: int
    sections: dict[str, float | None]


class ReadinessChange(Out):
    rounds: list[RoundSections]
    change: dict[str, float | None]


class ProjectBrief(Out):
    id: int
    title: str
    state: str


class ParticipantPage(Out):
    """GET /participants/<id>: the participant page's data."""
    participant: ParticipantOut
    programme: ProgrammeBrief
    org: OrgBrief
    members: list[MemberOut]
    group_size: int
    plan: PlanOut
    rounds: list[RoundWithAnswer]
    readiness_change: ReadinessChange
    projects: list[ProjectBrief]


class MemberRemoved(Out):
    id: int
    removed: bool



def training_out(f: Any) -> TrainingFigures:
    """``f``: engine.training.figures.TrainingFigures."""
    return TrainingFigures(
        total=f.total, by_stream=[TrainedCount(label=f"{t}, {d}", people=n) for t, d, n in f.by_stream],
        by_kind=[TrainedCount(label=k, people=n) for k, n in f.by_kind.items()],
        by_municipality=[TrainedCount(label=m, people=n) for m, n in f.by_municipality])

"""A region's evaluation figures as of a date: what the database knew at the end of that day.

"As of D" is the end of the UTC day D (the engine's day, engine.clock; the reports count
days the same way): a fact counts when the row or the audit event that records it is
timestamped before D + 1 at 00:00 UTC. Later changes never move a figure of an earlier
day, so a draft edition computed again shows what it showed before (except where noted).

How each indicator is read (every figure a number; ``None`` where nothing is known):

- ``participants``: organisations taking part in one of the region's programmes: joined on
  or before D, the row created by D, and no ``participant_withdrawn`` event by D.
- ``coordinators``: people holding the coordinator role for an organisation of the region:
  the ``user_created`` (with the role) / ``role_granted`` / ``role_revoked`` audit events
  replayed up to D. A grant with no such event (written by a raw import, or before the log
  recorded grants) counts from the start: it has no date; so does one whose first event
  is its removal, until then.
- ``trained``: people (a user, or an initiative-group person without a user) who completed
  a course of the region on or before D (``completed_on``) and whose completion was
  recorded by D (the ``enrolment_completed`` event; an enrolment completed without one, by
  an import, counts by its ``completed_on`` alone).
- ``projects_launched``: projects of the region created by D. A project's stage on D is
  the ``to_state`` of its last ``state_changed`` event by D, else its workflow's initial
  state; ``projects_in_progress`` (a non-final stage), ``projects_closed`` (the workflow's
  done state), ``projects_cancelled`` (any other final state), and ``stage.<state>`` each.
- ``reached_share``: of the projects closed on D, the percentage whose every metric
  (created by D) had its target reached by the latest measurement recorded by D (by
  ``measured_on``, then record order; ``measured_on`` after D does not count). A metric's
  target on D is its value then: the current target, taken back through the
  ``metric_updated`` events after D. No closed project: ``None``.
- ``hours_saved``, ``roubles_saved``: the actual economic effect on the cards of the
  projects closed on D, as it stood on D (the current value taken back through the
  ``updated`` events after D, whose payload keeps each field's "from").
- ``practices_published``: practices of the region (not imported ones) published by D
  and not withdrawn by D (the ``practice_withdrawn`` event); ``practices_replicated``:
  those of them with a replica project created by D; ``replicas``: those replicas.
- ``events_held``: the region's events (webinars, foresight sessions, conferences, the
  fair, course days) held on or before D and recorded by D.
- ``readiness.<section>``: each participant's latest readiness answer submitted by D (the
  latest round by its opening date), averaged per section over the organisations. The log
  does not keep an answer's scores: an answer reopened and submitted again after D shows
  its new scores (or, reopened and not yet submitted, drops out); this is the one figure a
  later change may move.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from engine.models import (
    Course,
    CourseStream,
    Enrolment,
    Event,
    Measurement,
    Metric,
    Organization,
    Participant,
    Practice,
    Programme,
    ProgrammeEvent,
    Project,
    ReadinessAnswer,
    ReadinessRound,
    RoleGrant,
)
from engine.numbers import finite
from engine.policy import COORDINATOR
from engine.programme import questionnaire as questionnaires
from engine.reporting.metrics import meets_target
from engine.text import Text
from engine.vocab import AnswerStatus, EnrolmentStatus, EventKind
from engine.workflow import WorkflowRegistry

# The indicators in the order an edition shows them: key -> (title, unit)
INDICATORS: dict[str, tuple[Text, str]] = {
    "participants": (Text("Организации-участники", "Participating organisations"), ""),
    "coordinators": (Text("Школьные координаторы", "School coordinators"), ""),
    "trained": (Text("Обучено человек", "People trained"), ""),
    "projects_launched": (Text("Запущено проектов", "Projects launched"), ""),
    "projects_in_progress": (Text("Проектов в работе", "Projects in progress"), ""),
    "projects_closed": (Text("Завершено проектов", "Projects completed"), ""),
    "projects_cancelled": (Text("Отменено проектов", "Projects cancelled"), ""),
    "reached_share": (Text("Доля завершённых проектов, достигших целей", "Share of completed projects reaching "
                           "their targets"), "%"),
    "hours_saved": (Text("Экономический эффект, часов в год", "Economic effect, hours a year"), "ч"),
    "roubles_saved": (Text("Экономический эффект, рублей", "Economic effect, roubles"), "₽"),
    "practices_published": (Text("Опубликовано практик", "Practices published"), ""),
    "practices_replicated": (Text("Практик тиражировано", "Practices replicated"), ""),
    "replicas": (Text("Проектов-тиражей", "Replica projects"), ""),
    "events_held": (Text("Проведено мероприятий", "Events held"), ""),
}
GROUPS = ("main", "stage", "readiness")


def end_of(day: date) -> datetime:
    """The first moment after the UTC day ``day``: "as of D" means strictly before it."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def _region_programmes(session: Session, region_id: int) -> list[int]:
    return list(session.execute(select(col(Programme.id)).where(col(Programme.region_id) == region_id)).scalars())


def _payload_ids(session: Session, kind: EventKind, key: str, before: datetime) -> set[int]:
    """The ``payload[key]`` ids of the events of ``kind`` recorded before ``before``."""
    out: set[int] = set()
    for payload in session.execute(select(col(Event.payload)).where(col(Event.kind) == kind,
                                                                    col(Event.at) < before)).scalars():
        value = (payload or {}).get(key)
        if isinstance(value, int):
            out.add(value)
    return out


def participants_on(session: Session, region_id: int, day: date) -> int:
    end = end_of(day)
    progs = _region_programmes(session, region_id)
    if not progs:
        return 0
    withdrawn = _payload_ids(session, EventKind.PARTICIPANT_WITHDRAWN, "participant_id", end)
    rows = session.execute(select(col(Participant.id), col(Participant.org_id)).where(
        col(Participant.programme_id).in_(progs), col(Participant.joined_on) <= day,
        col(Participant.created_at) < end)).all()
    return len({org for pid, org in rows if pid not in withdrawn})


def coordinators_on(session: Session, region_id: int, day: date) -> int:
    end = end_of(day)
    orgs = set(session.execute(select(col(Organization.id)).where(col(Organization.region_id) == region_id))
               .scalars())
    held: dict[tuple[Any, Any], bool] = {}
    granting = (EventKind.USER_CREATED, EventKind.ROLE_GRANTED)  # a user created with the role is granted it
    for kind, at, payload in session.execute(
            select(col(Event.kind), col(Event.at), col(Event.payload))
            .where(col(Event.kind).in_([*granting, EventKind.ROLE_REVOKED]))
            .order_by(col(Event.at), col(Event.id))):
        p = payload or {}
        if p.get("role") != COORDINATOR or p.get("org_id") not in orgs:
            continue
        key = (p.get("user_id"), p.get("org_id"))
        if key not in held:  # a first event that revokes: the grant was there from the start
            held[key] = kind not in granting
        if at < end:
            held[key] = kind in granting
    for uid, org in session.execute(select(col(RoleGrant.user_id), col(RoleGrant.org_id)).where(
            col(RoleGrant.role) == COORDINATOR, col(RoleGrant.org_id).in_(orgs or {-1}))).all():
        held.setdefault((uid, org), True)  # no event at all: no date known, counted from the start
    return len({uid for (uid, _), on in held.items() if on})


def trained_on(session: Session, region_id: int, day: date) -> int:
    end = end_of(day)
    logged: dict[int, datetime] = {}
    for at, payload in session.execute(select(col(Event.at), col(Event.payload))
                                       .where(col(Event.kind) == EventKind.ENROLMENT_COMPLETED)):
        eid = (payload or {}).get("enrolment_id")
        if isinstance(eid, int):
            logged[eid] = min(at, logged.get(eid, at))
    people: set[tuple[str, int]] = set()
    for eid, uid, mid in session.execute(
            select(col(Enrolment.id), col(Enrolment.user_id), col(Enrolment.member_id))
            .join(CourseStream, col(CourseStream.id) == col(Enrolment.stream_id))
            .join(Course, col(Course.id) == col(CourseStream.course_id))
            .where(col(Course.region_id) == region_id, col(Enrolment.status) == EnrolmentStatus.COMPLETED.value,
                   col(Enrolment.completed_on) <= day)).all():
        if eid in logged and logged[eid] >= end:
            continue
        if uid is not None:
            people.add(("user", uid))
        elif mid is not None:
            people.add(("member", mid))
        else:
            people.add(("enrolment", eid))
    return len(people)


def _value_then(current: Any, later_changes: list[dict[str, Any]], field: str) -> Any:
    """A field's value on D: the "from" of its first change after D, else its value now."""
    for change in later_changes:
        fields = change.get("fields") or {}
        if field in fields and isinstance(fields[field], dict):
            return fields[field].get("from")
    return current


def stages_on(session: Session, workflows: WorkflowRegistry, region_id: int, day: date) -> dict[int, str]:
    """project id -> its stage at the end of ``day`` (projects created by then)."""
    end = end_of(day)
    projects = session.execute(select(col(Project.id), col(Project.workflow_id), col(Project.workflow_version))
                               .where(col(Project.region_id) == region_id, col(Project.created_at) < end)).all()
    stage: dict[int, str] = {}
    for pid, wid, ver in projects:
        wf = workflows.get(wid, ver) or workflows.latest(wid)
        stage[pid] = wf.initial if wf else "diagnose"
    if not stage:
        return stage
    for pid, to_state in session.execute(
            select(col(Event.project_id), col(Event.to_state))
            .join(Project, col(Project.id) == col(Event.project_id))
            .where(col(Project.region_id) == region_id, col(Event.kind) == EventKind.STATE_CHANGED,
                   col(Event.at) < end)
            .order_by(col(Event.at), col(Event.id))).all():
        if pid in stage and to_state:
            stage[pid] = to_state
    return stage


def _reached(session: Session, project_ids: list[int], day: date) -> set[int]:
    """The projects (of ``project_ids``) whose every metric created by D had reached its
    target on D (see the module's docstring)."""
    end = end_of(day)
    if not project_ids:
        return set()
    metrics = session.execute(select(Metric).where(col(Metric.project_id).in_(project_ids),
                                                   col(Metric.created_at) < end)).scalars().all()
    by_project: dict[int, list[Metric]] = defaultdict(list)
    for m in metrics:
        by_project[m.project_id].append(m)
    later: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for payload in session.execute(select(col(Event.payload)).where(
            col(Event.kind) == EventKind.METRIC_UPDATED, col(Event.project_id).in_(project_ids),
            col(Event.at) >= end).order_by(col(Event.at), col(Event.id))).scalars():
        mid = (payload or {}).get("metric_id")
        if isinstance(mid, int):
            later[mid].append(payload)
    latest: dict[int, float] = {}
    metric_ids = [m.id for m in metrics]
    for mid, value in session.execute(
            select(col(Measurement.metric_id), col(Measurement.value))
            .where(col(Measurement.metric_id).in_(metric_ids or [-1]), col(Measurement.measured_on) <= day,
                   col(Measurement.recorded_at) < end)
            .order_by(col(Measurement.measured_on), col(Measurement.id))).all():
        latest[mid] = value  # the last one wins
    out = set()
    for pid, ms in by_project.items():
        ok = True
        for m in ms:
            target = _value_then(m.target, later[m.id or -1], "target")
            direction = _value_then(m.direction, later[m.id or -1], "direction")
            value = latest.get(m.id or -1)
            if target is None or value is None or not meets_target(str(direction), value, float(target)):
                ok = False
                break
        if ok:
            out.add(pid)
    return out


def _effect(session: Session, project_ids: list[int], day: date) -> tuple[float, float]:
    """The actual hours and roubles on the cards of ``project_ids`` as they stood on D."""
    end = end_of(day)
    if not project_ids:
        return 0.0, 0.0
    later: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for pid, payload in session.execute(select(col(Event.project_id), col(Event.payload)).where(
            col(Event.kind) == EventKind.UPDATED, col(Event.project_id).in_(project_ids), col(Event.at) >= end)
            .order_by(col(Event.at), col(Event.id))).all():
        later[pid].append(payload or {})
    hours = roubles = 0.0
    for pid, h, r in session.execute(select(col(Project.id), col(Project.actual_hours_saved),
                                            col(Project.actual_roubles)).where(col(Project.id).in_(project_ids))):
        h_then = _value_then(h, later[pid], "actual_hours_saved")
        r_then = _value_then(r, later[pid], "actual_roubles")
        hours += float(h_then) if isinstance(h_then, (int, float)) else 0.0
        roubles += float(r_then) if isinstance(r_then, (int, float)) else 0.0
    return finite(hours) or 0.0, finite(roubles) or 0.0


def practices_on(session: Session, region_id: int, day: date) -> tuple[int, int, int]:
    """(published, replicated, replicas) on D."""
    end = end_of(day)
    withdrawn = _payload_ids(session, EventKind.PRACTICE_WITHDRAWN, "practice_id", end)
    published = {pid for pid in session.execute(select(col(Practice.id)).where(
        col(Practice.region_id) == region_id, col(Practice.external).is_(False),
        col(Practice.published_at) < end)).scalars() if pid not in withdrawn}
    replicas = session.execute(select(col(Project.id), col(Project.practice_id)).where(
        col(Project.practice_id).in_(published or {-1}), col(Project.created_at) < end)).all()
    return len(published), len({p for _, p in replicas}), len(replicas)


def events_on(session: Session, region_id: int, day: date) -> int:
    return len(session.execute(select(col(ProgrammeEvent.id)).where(
        col(ProgrammeEvent.region_id) == region_id, col(ProgrammeEvent.held_on) <= day,
        col(ProgrammeEvent.created_at) < end_of(day))).all())


def readiness_on(session: Session, region_id: int, day: date) -> list[dict[str, Any]]:
    """Per section of the readiness questionnaire: {key, title_ru, title_en, value}."""
    end = end_of(day)
    progs = _region_programmes(session, region_id)
    latest: dict[int, tuple[tuple[date, int], dict[str, Any]]] = {}
    if progs:
        for org, opens_on, rid, means in session.execute(
                select(col(ReadinessAnswer.org_id), col(ReadinessRound.opens_on), col(ReadinessRound.id),
                       col(ReadinessAnswer.section_means))
                .join(ReadinessRound, col(ReadinessRound.id) == col(ReadinessAnswer.round_id))
                .where(col(ReadinessRound.programme_id).in_(progs),
                       col(ReadinessAnswer.status) == AnswerStatus.SUBMITTED.value,
                       col(ReadinessAnswer.submitted_at).is_not(None),
                       col(ReadinessAnswer.submitted_at) < end)).all():
            key = (opens_on, rid)
            if org not in latest or key > latest[org][0]:
                latest[org] = (key, means or {})
    q = questionnaires.get("readiness")
    sections = q.sections if q else ()
    out = []
    for sec in sections:
        vals = [float(m[sec.id]) for _, m in latest.values() if m.get(sec.id) is not None]
        out.append({"key": f"readiness.{sec.id}", "group": "readiness", "title_ru": sec.title.ru,
                    "title_en": sec.title.en, "unit": "", "value": round(sum(vals) / len(vals), 2) if vals else None})
    return out


def compute_figures(session: Session, workflows: WorkflowRegistry, region_id: int, as_of: date) -> dict[str, Any]:
    """The region's figures at the end of ``as_of`` (see the module's docstring):
    ``{"as_of": ISO date, "rows": [{key, group, title_ru, title_en, unit, value}]}``, rows in
    the order shown: the main indicators, projects by stage, readiness by section."""
    stage = stages_on(session, workflows, region_id, as_of)
    done = workflows.done_states()
    finals = {s.id for w in workflows.all() for s in w.states if s.final}
    closed = [pid for pid, st in stage.items() if st in done]
    reached = _reached(session, closed, as_of)
    hours, roubles = _effect(session, closed, as_of)
    published, replicated, replicas = practices_on(session, region_id, as_of)
    values: dict[str, float | int | None] = {
        "participants": participants_on(session, region_id, as_of),
        "coordinators": coordinators_on(session, region_id, as_of),
        "trained": trained_on(session, region_id, as_of),
        "projects_launched": len(stage),
        "projects_in_progress": sum(1 for st in stage.values() if st not in finals),
        "projects_closed": len(closed),
        "projects_cancelled": sum(1 for st in stage.values() if st in finals and st not in done),
        "reached_share": round(100.0 * len(reached) / len(closed), 1) if closed else None,
        "hours_saved": round(hours, 2), "roubles_saved": round(roubles, 2),
        "practices_published": published, "practices_replicated": replicated, "replicas": replicas,
        "events_held": events_on(session, region_id, as_of),
    }
    rows: list[dict[str, Any]] = [{"key": k, "group": "main", "title_ru": t.ru, "title_en": t.en, "unit": unit,
                                   "value": values[k]} for k, (t, unit) in INDICATORS.items()]
    wf = workflows.default()
    for st in wf.states:
        rows.append({"key": f"stage.{st.id}", "group": "stage", "title_ru": st.title.ru, "title_en": st.title.en,
                     "unit": "", "value": sum(1 for s in stage.values() if s == st.id)})
    rows.extend(readiness_on(session, region_id, as_of))
    return {"as_of": as_of.isoformat(), "rows": rows}

"""Checks shared by the demo's tests (the service-built demo and the bulk one)."""
from __future__ import annotations

from sqlalchemy import select

from engine.db import Store
from engine.models import Event, Project


def replay_problems(store: Store, region_id: int) -> list[str]:
    """Every way the event log of the region's projects disagrees with the projects."""
    wf_of = store.workflows.get
    problems = []
    with store.uow() as uow:
        s = uow.session
        projects = s.execute(select(Project).where(Project.region_id == region_id)).scalars().all()
        events: dict[int, list[Event]] = {}
        for ev in s.execute(select(Event).join(Project, Project.id == Event.project_id)
                            .where(Project.region_id == region_id).order_by(Event.at, Event.id)).scalars():
            events.setdefault(ev.project_id, []).append(ev)  # type: ignore[arg-type]
    for p in projects:
        log = events.get(p.id, [])  # type: ignore[arg-type]
        if not log or log[0].kind != "created":
            problems.append(f"{p.reg_number}: the log does not start with 'created'")
        state = wf_of(p.workflow_id, p.workflow_version).initial  # type: ignore[union-attr]
        for before, ev in zip([None, *log], log, strict=False):
            if ev.kind != "state_changed":
                continue
            if ev.from_state != state:
                problems.append(f"{p.reg_number}: {ev.from_state} -> {ev.to_state} after {state}")
            if before is None or before.kind not in ("transition_requested", "transition_approved") \
                    or before.payload.get("request_id") != ev.payload.get("request_id"):
                problems.append(f"{p.reg_number}: a state change without its request or decision before it")
            state = ev.to_state  # type: ignore[assignment]
        if state != p.state:
            problems.append(f"{p.reg_number}: the log replays to {state}, the project is in {p.state}")
    return problems

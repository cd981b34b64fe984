"""Demo portfolio: a handful of the demo's closed projects published as practices by the
curator, and replicas of them in other organisations at several stages, all through the
engine services (so every step has its event)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.db import Store
from engine.demo.content import content
from engine.models import Metric, Organization, Practice, Project, RoleGrant, pk
from engine.practices import publish, replicate
from engine.services import (
    add_artefact,
    add_problem,
    approve_request,
    record_measurement,
    request_transition,
    update_metric,
)
from engine.services.common import load_actor

PRACTICES = 5


def _category(title: str) -> str:
    low = title.lower()
    return next((cat for word, cat in content().story.category_words.items() if word in low), "other")


def _grant(session: Any, role: str, org_id: int) -> int | None:
    return session.execute(select(col(RoleGrant.user_id))
                           .where(col(RoleGrant.role) == role, col(RoleGrant.org_id) == org_id)
                           .order_by(col(RoleGrant.user_id))).scalars().first()


def load_practices(store: Store, region_id: int, echo: Callable[[str], Any]) -> int:
    """Publish up to PRACTICES closed projects and replicate each into two organisations of
    another kind of place: one replica just started, one measured and moved to «target»."""
    with store.uow() as uow:
        s = uow.session
        if s.execute(select(col(Practice.id)).where(col(Practice.region_id) == region_id)).first():
            return 0
        curator_id = s.execute(select(col(RoleGrant.user_id)).where(
            col(RoleGrant.role) == "curator", col(RoleGrant.region_id) == region_id)).scalars().first()
        closed = s.execute(select(Project).where(col(Project.region_id) == region_id, col(Project.state) == "closed")
                           .order_by(col(Project.id))).scalars().all()
        # one practice per category first, so the catalogue shows its range
        firsts: dict[str, Project] = {}
        for p in closed:
            firsts.setdefault(_category(p.title), p)
        closed = list(firsts.values()) + [p for p in closed if p not in firsts.values()]
        orgs = s.execute(select(Organization).where(col(Organization.region_id) == region_id)
                         .order_by(col(Organization.id))).scalars().all()
    if curator_id is None or not closed:
        return 0
    now = clock.now()
    published = 0
    previous = clock.set_clock(lambda: moment[0])
    moment = [now - timedelta(days=40)]
    try:
        with store.uow() as uow:
            curator = load_actor(uow.session, curator_id)
        seen_titles: set[str] = set()
        for project in closed:
            if published >= PRACTICES or project.title in seen_titles:
                continue
            seen_titles.add(project.title)
            try:
                with store.uow() as uow:
                    practice = publish(uow, curator, project.id, {
                        "category": _category(project.title),
                        "summary": f"{project.problem} Решение: стандартизированный процесс, "
                                   f"закреплённый в стандарте организации.",
                        "scaling_proposal": project.scaling_proposal or content().story.scaling_proposal})
            except Exception:  # noqa: BLE001 - a project that cannot be published is skipped
                continue
            published += 1
            targets = [o for o in orgs if o.id != project.org_id][published * 7 % max(1, len(orgs) - 2):][:2]
            for n, org in enumerate(targets):
                moment[0] = now - timedelta(days=35 - n * 10)
                _replica(store, pk(practice), pk(org), advance=(n == 0), moment=moment)
    finally:
        clock.set_clock(previous)
    echo(f"  практики «Бережливой школы»: {published} опубликовано, тиражирование в других организациях")
    return published


def _replica(store: Store, practice_id: int, org_id: int, advance: bool, moment: list[Any]) -> None:
    with store.uow() as uow:
        member_id, head_id = _grant(uow.session, "member", org_id), _grant(uow.session, "head", org_id)
        if member_id is None or head_id is None:
            return
        member, head = load_actor(uow.session, member_id), load_actor(uow.session, head_id)
    with store.uow() as uow:
        project = replicate(uow, member, practice_id, {"org_id": org_id})
    with store.uow() as uow:
        metrics = uow.session.execute(select(Metric).where(col(Metric.project_id) == project.id)).scalars().all()
    start = moment[0]
    for i, m in enumerate(metrics):
        baseline = (m.target or 1) * (1.8 if m.direction == "decrease" else 0.6)
        moment[0] = start + timedelta(days=2, hours=i)
        with store.uow() as uow:
            update_metric(uow, member, m.id, {"baseline": round(baseline, 1)})
    if not advance:
        return
    moment[0] = start + timedelta(days=5)
    with store.uow() as uow:
        add_artefact(uow, member, pk(project), {"kind": "current_state_map",
                                                "title": "Карта текущего состояния процесса"})
    with store.uow() as uow:
        add_problem(uow, member, pk(project), {"description": "Процесс повторяет проблемы, описанные в практике",
                                               "waste": "waiting"})
    moment[0] = start + timedelta(days=12)
    with store.uow() as uow:
        result = request_transition(uow, member, pk(project), {"trigger": "to_target", "version": project.version})
    moment[0] = start + timedelta(days=13)
    if result.request is not None:
        with store.uow() as uow:
            approve_request(uow, head, pk(result.request), {"comment": "Согласовано: тиражируем практику"})
    for i, m in enumerate(metrics):
        moment[0] = start + timedelta(days=20, hours=i)
        value = (m.target or 1) * (1.3 if m.direction == "decrease" else 0.8)
        with store.uow() as uow:
            record_measurement(uow, member, m.id, {"value": round(value, 1),
                                                   "measured_on": moment[0].date().isoformat()})

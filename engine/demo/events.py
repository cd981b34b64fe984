"""Demo events (PROGRAMME.md "Events"): a webinar, a foresight session, a panel at an
education fair and the innovation fair, with dates relative to today, the organisations
taking part and some of the published demo practices presented; through the events'
service, so each has its audit event."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.db import Store
from engine.events.service import create_event
from engine.models import Organization, Practice, Programme, ProgrammeEvent, RoleGrant
from engine.services.common import load_actor

# (days ago, kind, title, place, link, attendance, how many organisations, which practices)
EVENTS: tuple[tuple[int, str, str, str, str | None, int, int, slice], ...] = (
    (300, "webinar", "Вебинар «Бережливые технологии в школе: с чего начать»", "",
     "https://oiro.orel.ru/webinars/lean-start", 86, 12, slice(0, 1)),
    (210, "foresight", "Форсайт-сессия «Бережливая школа — 2030»", "Орёл, ОИРО, актовый зал", None, 45, 8,
     slice(0, 0)),
    (120, "conference", "Панельная дискуссия «Бережливое управление образованием» на областной ярмарке "
     "образования", "Орёл, КЦ «Металлург»", None, 140, 6, slice(1, 3)),
    (30, "fair", "Ярмарка инноваций «Бережливая школа»", "Орёл, ОИРО", "https://oiro.orel.ru/fair", 210, 15,
     slice(0, 4)),
)


def region_curator_id(session: Any, region_id: int) -> int | None:
    """The region's (first) curator of the whole region, who runs its programme's events and campaigns."""
    return session.execute(select(col(RoleGrant.user_id)).where(
        col(RoleGrant.role) == "curator", col(RoleGrant.region_id) == region_id,
        col(RoleGrant.municipality_id).is_(None)).order_by(col(RoleGrant.id))).scalar()


def load_events(store: Store, region_id: int, echo: Callable[[str], Any]) -> int:
    """The region's demo events (none when it has some already); returns how many were made."""
    today = clock.today()
    with store.uow() as uow:
        s = uow.session
        if s.execute(select(col(ProgrammeEvent.id)).where(col(ProgrammeEvent.region_id) == region_id)).first():
            return 0
        curator_id = region_curator_id(s, region_id)
        if curator_id is None:
            return 0
        curator = load_actor(s, curator_id)
        org_ids = list(s.execute(select(col(Organization.id)).where(col(Organization.region_id) == region_id)
                                 .order_by(col(Organization.id))).scalars())
        practice_ids = list(s.execute(select(col(Practice.id)).where(
            col(Practice.region_id) == region_id, col(Practice.status) == "published")
            .order_by(col(Practice.id))).scalars())
        programme_id = s.execute(select(col(Programme.id)).where(col(Programme.region_id) == region_id)
                                 .order_by(col(Programme.id))).scalar()
    made = 0
    for n, (ago, kind, title, place, link, attendance, orgs, shown) in enumerate(EVENTS):
        with store.uow() as uow:
            create_event(uow, curator, {
                "region_id": region_id, "programme_id": programme_id, "title": title, "kind": kind,
                "held_on": (today - timedelta(days=ago)).isoformat(), "place": place, "link": link,
                "attendance": attendance, "org_ids": org_ids[n * 3:n * 3 + orgs],
                "practice_ids": practice_ids[shown]})
        made += 1
    echo(f"  мероприятия: {made}")
    return made

"""The events' mutations and reads (PROGRAMME.md "Events", issue #14 item 3).

Everyone signed in whose scope touches the region sees its events; the region's curators
and the admins record and edit them (engine/policy.py ``event.view``, ``region.events``).
Each mutation checks scope and role, validates, writes the event, its organisations and
practices and its audit event in one transaction; edits compare-and-swap on ``version``.
Services raise and never roll back (the unit of work discards the transaction)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, delete, or_, select
from sqlmodel import Session, col

from engine import clock
from engine.db import UnitOfWork
from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.events import schemas as ES
from engine.models import (
    EventOrg,
    EventPractice,
    Organization,
    Practice,
    Programme,
    ProgrammeEvent,
    Project,
    Region,
    pk,
)
from engine.policy import ACTIONS, Actor, can_in_region
from engine.schemas import parse
from engine.services.common import cas_update, get_or_404, is_id, record
from engine.text import Text
from engine.vocab import EVENT_TYPES, EventKind, PracticeStatus

# a replica counts for the events where its practice was presented if it started this many
# days after the event at most (the day of the event is day 0)
REPLICATION_WINDOW_DAYS = 180
FIELDS = ("programme_id", "title", "kind", "held_on", "place", "link", "attendance", "description")


def _bad(field: str, ru: str, en: str) -> ValidationFailed:
    return ValidationFailed({field: Text(ru, en)})


def _sees_region(actor: Actor, region_id: int) -> bool:
    """Whether the region's events are within the actor's scope and role (policy
    ``event.view``: everyone of the region, the admins)."""
    return ((actor.is_admin or region_id in actor.region_ids())
            and bool(actor.held_roles() & ACTIONS["event.view"]))


# --- reads ----------------------------------------------------------------------------------------

def get_event(uow: UnitOfWork, actor: Actor, event_id: Any) -> ProgrammeEvent:
    """The event, if the actor's scope touches its region; NotFound otherwise."""
    ev = get_or_404(uow.session, ProgrammeEvent, event_id, "event")
    if not _sees_region(actor, ev.region_id):
        raise NotFound("event")
    return ev


def may_manage(actor: Actor, region_id: int) -> bool:
    return can_in_region(actor, "region.events", region_id)


def list_events(uow: UnitOfWork, actor: Actor, region_id: int | None = None, kind: str | None = None,
                programme_id: int | None = None) -> list[ProgrammeEvent]:
    """The events the actor may see, latest first; filtered by region, kind, programme."""
    stmt = select(ProgrammeEvent).order_by(col(ProgrammeEvent.held_on).desc(), col(ProgrammeEvent.id).desc())
    if not actor.is_admin:
        stmt = stmt.where(col(ProgrammeEvent.region_id).in_(actor.region_ids() or {-1}))
    if region_id is not None:
        stmt = stmt.where(col(ProgrammeEvent.region_id) == region_id)
    if kind is not None:
        stmt = stmt.where(col(ProgrammeEvent.kind) == kind)
    if programme_id is not None:
        stmt = stmt.where(col(ProgrammeEvent.programme_id) == programme_id)
    return list(uow.session.execute(stmt).scalars())


def links_of(session: Session, event_ids: list[int]) -> tuple[dict[int, list[Organization]],
                                                              dict[int, list[Practice]]]:
    """Each event's organisations (by name) and practices (by title), in two queries."""
    orgs: dict[int, list[Organization]] = {i: [] for i in event_ids}
    practices: dict[int, list[Practice]] = {i: [] for i in event_ids}
    if event_ids:
        for eid, org in session.execute(
                select(col(EventOrg.event_id), Organization)
                .join(Organization, col(Organization.id) == col(EventOrg.org_id))
                .where(col(EventOrg.event_id).in_(event_ids)).order_by(col(Organization.name), col(Organization.id))):
            orgs[eid].append(org)
        for eid, pr in session.execute(
                select(col(EventPractice.event_id), Practice)
                .join(Practice, col(Practice.id) == col(EventPractice.practice_id))
                .where(col(EventPractice.event_id).in_(event_ids)).order_by(col(Practice.title), col(Practice.id))):
            practices[eid].append(pr)
    return orgs, practices


def events_of_practice(uow: UnitOfWork, actor: Actor, practice_id: int) -> list[ProgrammeEvent]:
    """Where a practice was presented (its page's «Где представлена»): the events the actor
    may see, latest first."""
    stmt = (select(ProgrammeEvent).join(EventPractice, col(EventPractice.event_id) == col(ProgrammeEvent.id))
            .where(col(EventPractice.practice_id) == practice_id)
            .order_by(col(ProgrammeEvent.held_on).desc(), col(ProgrammeEvent.id).desc()))
    if not actor.is_admin:
        stmt = stmt.where(col(ProgrammeEvent.region_id).in_(actor.region_ids() or {-1}))
    return list(uow.session.execute(stmt).scalars())


def choices(uow: UnitOfWork, region_id: int) -> dict[str, list[Any]]:
    """What the edit form offers: the region's organisations, the published practices
    (the region's and the external ones it imported) and its programmes."""
    s = uow.session
    return {
        "orgs": list(s.execute(select(Organization).where(col(Organization.region_id) == region_id)
                               .order_by(col(Organization.name), col(Organization.id))).scalars()),
        "practices": list(s.execute(select(Practice).where(col(Practice.region_id) == region_id,
                                                            col(Practice.status) == PracticeStatus.PUBLISHED.value)
                                    .order_by(col(Practice.title), col(Practice.id))).scalars()),
        "programmes": list(s.execute(select(Programme).where(col(Programme.region_id) == region_id)
                                     .order_by(col(Programme.starts_on).desc(), col(Programme.id))).scalars()),
    }


# --- mutations ------------------------------------------------------------------------------------

def _check_link(link: str | None) -> str | None:
    if link is None or link == "":
        return None
    parts = urlsplit(link)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in link:
        raise _bad("link", "Нужна ссылка, начинающаяся с http:// или https://",
                   "Expected a link starting with http:// or https://")
    return link


def _check_programme(s: Session, region_id: int, programme_id: int | None) -> None:
    if programme_id is None:
        return
    prog = s.get(Programme, programme_id) if is_id(programme_id) else None
    if prog is None or prog.region_id != region_id:
        raise _bad("programme_id", "Нет такой программы в регионе мероприятия",
                   "No such programme in the event's region")


def _check_orgs(s: Session, region_id: int, org_ids: list[int]) -> list[int]:
    wanted = sorted(set(org_ids))
    found = set(s.execute(select(col(Organization.id)).where(
        col(Organization.id).in_([i for i in wanted if is_id(i)] or [-1]),
        col(Organization.region_id) == region_id)).scalars())
    missing = [i for i in wanted if i not in found]
    if missing:
        raise _bad("org_ids", f"Нет таких организаций в регионе: {', '.join(map(str, missing))}",
                   f"No such organisations in the region: {', '.join(map(str, missing))}")
    return wanted


def _check_practices(s: Session, region_id: int, practice_ids: list[int], kept: set[int]) -> list[int]:
    """Published practices of the region (those already on the event may stay after
    being withdrawn: the event did present them)."""
    wanted = sorted(set(practice_ids))
    found = set(s.execute(select(col(Practice.id)).where(
        col(Practice.id).in_([i for i in wanted if is_id(i)] or [-1]), col(Practice.region_id) == region_id,
        or_(col(Practice.status) == PracticeStatus.PUBLISHED.value, col(Practice.id).in_(kept or {-1})))).scalars())
    missing = [i for i in wanted if i not in found]
    if missing:
        raise _bad("practice_ids", f"Нет таких опубликованных практик в регионе: {', '.join(map(str, missing))}",
                   f"No such published practices in the region: {', '.join(map(str, missing))}")
    return wanted


def _set_links(s: Session, event_id: int, org_ids: list[int] | None, practice_ids: list[int] | None) -> None:
    if org_ids is not None:
        s.execute(delete(EventOrg).where(col(EventOrg.event_id) == event_id))
        s.add_all(EventOrg(event_id=event_id, org_id=i) for i in org_ids)
    if practice_ids is not None:
        s.execute(delete(EventPractice).where(col(EventPractice.event_id) == event_id))
        s.add_all(EventPractice(event_id=event_id, practice_id=i) for i in practice_ids)


def create_event(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> ProgrammeEvent:
    """Record an event of a region (curators of the region, admins): its organisations
    taking part and the published practices presented."""
    s = uow.session
    region_id = data.get("region_id") if isinstance(data, dict) else None
    if is_id(region_id):
        if s.get(Region, region_id) is None or not _sees_region(actor, region_id):
            raise NotFound("region")
        if not may_manage(actor, region_id):
            raise Forbidden()
    elif not actor.is_admin and not actor.curator_region_ids():
        raise Forbidden()
    body: ES.EventIn = parse(ES.EventIn, data)
    if s.get(Region, body.region_id) is None:
        raise _bad("region_id", "Нет такого региона", "No such region")
    link = _check_link(body.link)
    _check_programme(s, body.region_id, body.programme_id)
    org_ids = _check_orgs(s, body.region_id, body.org_ids)
    practice_ids = _check_practices(s, body.region_id, body.practice_ids, set())
    ev = ProgrammeEvent(region_id=body.region_id, programme_id=body.programme_id, title=body.title, kind=body.kind,
                        held_on=body.held_on, place=body.place, link=link, attendance=body.attendance,
                        description=body.description, created_at=clock.now(), created_by=actor.user_id)
    s.add(ev)
    s.flush()
    _set_links(s, pk(ev), org_ids, practice_ids)
    record(s, actor, EventKind.EVENT_CREATED, None,
           {"event_id": ev.id, "region_id": ev.region_id, "programme_id": ev.programme_id, "title": ev.title,
            "kind": ev.kind, "held_on": ev.held_on.isoformat(), "org_ids": org_ids, "practice_ids": practice_ids})
    uow.commit()
    return ev


def _j(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def update_event(uow: UnitOfWork, actor: Actor, event_id: Any, data: dict[str, Any]) -> ProgrammeEvent:
    """Edit an event (optimistic ``version``); ``org_ids``/``practice_ids`` when given
    replace the event's organisations/practices."""
    s = uow.session
    ev = get_event(uow, actor, event_id)
    if not may_manage(actor, ev.region_id):
        raise Forbidden()
    body: ES.EventPatch = parse(ES.EventPatch, data)
    given = body.model_fields_set
    changes = {k: getattr(body, k) for k in given & set(FIELDS)}
    if "link" in changes:
        changes["link"] = _check_link(changes["link"])
    if "programme_id" in changes:
        _check_programme(s, ev.region_id, changes["programme_id"])
    org_ids = _check_orgs(s, ev.region_id, body.org_ids) if "org_ids" in given else None
    old_orgs, old_practices = links_of(s, [pk(ev)])
    before_practices = {p.id for p in old_practices[pk(ev)] if p.id is not None}
    practice_ids = (_check_practices(s, ev.region_id, body.practice_ids, before_practices)
                    if "practice_ids" in given else None)
    old = {k: getattr(ev, k) for k in changes}
    cas_update(s, ProgrammeEvent, ev, body.version, **changes)
    _set_links(s, pk(ev), org_ids, practice_ids)
    diff: dict[str, Any] = {k: [_j(old[k]), _j(v)] for k, v in changes.items() if old[k] != v}
    if org_ids is not None:
        diff["org_ids"] = [sorted(o.id for o in old_orgs[pk(ev)]), org_ids]
    if practice_ids is not None:
        diff["practice_ids"] = [sorted(before_practices), practice_ids]
    record(s, actor, EventKind.EVENT_UPDATED, None, {"event_id": ev.id, "region_id": ev.region_id, "changes": diff})
    uow.commit()
    return ev


# --- the programme tower's figures ------------------------------------------------------------------

@dataclass(frozen=True)
class ProgrammeEventFigures:
    by_kind: dict[str, int]  # every kind, 0 when none
    total: int
    upcoming: int
    replications_after_events: int


def programme_events(prog: Programme) -> Any:
    """SQL condition: the events a programme counts: those recorded for it, and the region's
    events recorded for no programme that were held within its dates."""
    return or_(col(ProgrammeEvent.programme_id) == prog.id,
               and_(col(ProgrammeEvent.programme_id).is_(None), col(ProgrammeEvent.region_id) == prog.region_id,
                    col(ProgrammeEvent.held_on) >= prog.starts_on, col(ProgrammeEvent.held_on) <= prog.ends_on))


def programme_figures(session: Session, prog: Programme, today: date | None = None) -> ProgrammeEventFigures:
    """Events held by kind (up to today), those still ahead, and the replica projects that
    started within REPLICATION_WINDOW_DAYS after an event where their practice was
    presented (each replica counted once, however many events showed its practice)."""
    today = today or clock.today()
    counts: Counter[str] = Counter()
    upcoming = 0
    for kind, held_on in session.execute(select(col(ProgrammeEvent.kind), col(ProgrammeEvent.held_on))
                                         .where(programme_events(prog))):
        if held_on <= today:
            counts[kind] += 1
        else:
            upcoming += 1
    rows = session.execute(
        select(col(Project.id), col(Project.created_at), col(ProgrammeEvent.held_on))
        .join(EventPractice, col(EventPractice.practice_id) == col(Project.practice_id))
        .join(ProgrammeEvent, col(ProgrammeEvent.id) == col(EventPractice.event_id))
        .where(programme_events(prog), col(ProgrammeEvent.held_on) <= today)).all()
    window = timedelta(days=REPLICATION_WINDOW_DAYS)
    replicas = {pid for pid, created_at, held_on in rows if held_on <= created_at.date() <= held_on + window}
    return ProgrammeEventFigures(by_kind={k: counts.get(k, 0) for k in EVENT_TYPES}, total=sum(counts.values()),
                                 upcoming=upcoming, replications_after_events=len(replicas))

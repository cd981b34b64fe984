"""The events' API answers as pydantic models; routes declare them (`response=EO.ProgrammeEventOut`)
and the OpenAPI description is generated from them."""
from __future__ import annotations

from engine.models import Organization, Practice, ProgrammeEvent
from engine.outputs import Out  # one base for every API answer: extra keys refused


class EventOrgOut(Out):
    id: int
    name: str
    kind: str
    municipality_id: int


class EventPracticeOut(Out):
    id: int
    title: str
    category: str
    status: str


class ProgrammeEventOut(Out):
    id: int
    region_id: int
    programme_id: int | None
    title: str
    kind: str
    held_on: str
    place: str
    link: str | None
    attendance: int | None
    description: str
    version: int
    organisations: list[EventOrgOut]
    practices: list[EventPracticeOut]


class ProgrammeEventList(Out):
    items: list[ProgrammeEventOut]
    total: int


class EventCounts(Out):
    """The programme tower's events (held up to today): by kind, in all, and those planned."""
    by_kind: dict[str, int]
    total: int
    upcoming: int


def event_out(ev: ProgrammeEvent, orgs: list[Organization], practices: list[Practice]) -> ProgrammeEventOut:
    return ProgrammeEventOut(
        id=ev.id, region_id=ev.region_id, programme_id=ev.programme_id, title=ev.title, kind=ev.kind,
        held_on=ev.held_on.isoformat(), place=ev.place, link=ev.link, attendance=ev.attendance,
        description=ev.description, version=ev.version,
        organisations=[EventOrgOut(id=o.id, name=o.name, kind=o.kind, municipality_id=o.municipality_id)
                       for o in orgs],
        practices=[EventPracticeOut(id=p.id, title=p.title, category=p.category, status=p.status)
                   for p in practices])

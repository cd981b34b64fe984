"""Events and dissemination (PROGRAMME.md "Events", issue #14 item 3) in the engine: recording
and editing an event with its organisations and practices presented, bad input naming the
field with nothing written, scope (another region's event is not found, a member may not
record one), the practice's «Где представлена», and the programme tower's figures: events
by kind and the replicas started within 180 days after an event that presented their
practice (on the controlled clock)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine import clock
from engine import practices as PR
from engine.errors import Forbidden, NotFound, StaleVersion, ValidationFailed
from engine.events import service as E
from engine.models import Event, EventOrg, EventPractice
from engine.programme import service as P
from engine.programme.tower import programme_tower
from tests.engine.test_practices import closed_project, publish

WEBINAR = "Вебинар «Бережливая столовая: предзаказ обедов»"


def event_data(world: Any, **extra: Any) -> dict[str, Any]:
    return {"region_id": world.region.id, "title": WEBINAR, "kind": "webinar",
            "held_on": clock.today().isoformat(), "link": "https://orel-edu.ru/webinar/12",
            "attendance": 64, "org_ids": [world.school.id, world.other_school.id], **extra}


def audit(make: Any, kind: str) -> list[Event]:
    return make.call(lambda uow: list(uow.session.execute(select(Event).where(Event.kind == kind)).scalars()))


@pytest.fixture
def practice(flow, make, project, curator_orel) -> Any:
    """The school's closed project about school meals, published by the Oryol curator."""
    closed_project(flow, project)
    return publish(make, curator_orel, project.id)


@pytest.fixture
def webinar(make, world, curator_orel) -> Any:
    return make.call(E.create_event, curator_orel.actor, event_data(world))


# --- recording and editing ---------------------------------------------------------------------

def test_a_curator_records_an_event_with_organisations_practices_and_its_audit_event(
        make, world, curator_orel, practice):
    ev = make.call(E.create_event, curator_orel.actor, event_data(world, practice_ids=[practice.id],
                                                                   place="Орёл, ОИРО, ауд. 12"))
    assert (ev.title, ev.kind, ev.held_on, ev.attendance, ev.version) == (WEBINAR, "webinar", clock.today(), 64, 1)
    orgs, practices = make.call(lambda uow: E.links_of(uow.session, [ev.id]))
    assert sorted(o.id for o in orgs[ev.id]) == sorted([world.school.id, world.other_school.id])
    assert [p.id for p in practices[ev.id]] == [practice.id]
    [created] = audit(make, "event_created")
    assert created.actor_id == curator_orel.id and created.payload["event_id"] == ev.id
    assert created.payload["practice_ids"] == [practice.id] and created.project_id is None


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"link": "ftp://orel-edu.ru/x"}, "link", "http://"),
    ({"link": "javascript:alert(1)"}, "link", "https://"),
    ({"attendance": -1}, "attendance", ""),
    ({"kind": "party"}, "kind", ""),
    ({"title": ""}, "title", ""),
    ({"held_on": "30.11.2026"}, "held_on", ""),
])
def test_bad_input_names_the_field_and_writes_nothing(make, world, curator_orel, refused, change, field, words):
    err = refused(lambda: make.call(E.create_event, curator_orel.actor, event_data(world, **change)),
                  ValidationFailed)
    assert field in err.fields and words in err.fields[field].ru


def test_organisations_and_practices_must_be_the_regions(make, world, curator_orel, refused):
    err = refused(lambda: make.call(E.create_event, curator_orel.actor,
                                    event_data(world, org_ids=[world.other_region_school.id])), ValidationFailed)
    assert "Нет таких организаций" in err.fields["org_ids"].ru
    err = refused(lambda: make.call(E.create_event, curator_orel.actor, event_data(world, practice_ids=[999])),
                  ValidationFailed)
    assert "опубликованных практик" in err.fields["practice_ids"].ru
    kursk = make.call(P.create_programme, make.person("curator", region=world.other_region).actor, {
        "region_id": world.other_region.id, "title": "РИП Курск", "starts_on": "2026-01-01", "ends_on": "2027-12-31"})
    err = refused(lambda: make.call(E.create_event, curator_orel.actor, event_data(world, programme_id=kursk.id)),
                  ValidationFailed)
    assert "programme_id" in err.fields


def test_editing_compares_versions_and_replaces_the_lists(make, world, curator_orel, webinar, practice, refused):
    ev = make.call(E.update_event, curator_orel.actor, webinar.id,
                   {"version": 1, "attendance": 70, "org_ids": [world.school.id], "practice_ids": [practice.id]})
    assert (ev.version, ev.attendance) == (2, 70)
    orgs, practices = make.call(lambda uow: E.links_of(uow.session, [ev.id]))
    assert [o.id for o in orgs[ev.id]] == [world.school.id] and [p.id for p in practices[ev.id]] == [practice.id]
    [updated] = audit(make, "event_updated")
    assert updated.payload["changes"]["attendance"] == [64, 70]
    assert updated.payload["changes"]["practice_ids"] == [[], [practice.id]]
    refused(lambda: make.call(E.update_event, curator_orel.actor, webinar.id, {"version": 1, "title": "Другое"}),
            StaleVersion)
    err = refused(lambda: make.call(E.update_event, curator_orel.actor, webinar.id, {"version": 2, "link": "x"}),
                  ValidationFailed)
    assert "link" in err.fields
    links = make.call(lambda uow: (len(uow.session.execute(select(EventOrg)).all()),
                                   len(uow.session.execute(select(EventPractice)).all())))
    assert links == (1, 1)


# --- scope -----------------------------------------------------------------------------------------

def test_a_member_sees_the_regions_events_but_may_not_record_or_edit_one(
        make, world, member_of_school, webinar, refused):
    assert make.call(E.get_event, member_of_school.actor, webinar.id).id == webinar.id
    assert [e.id for e in make.call(E.list_events, member_of_school.actor)] == [webinar.id]
    refused(lambda: make.call(E.create_event, member_of_school.actor, event_data(world)), Forbidden)
    refused(lambda: make.call(E.update_event, member_of_school.actor, webinar.id, {"version": 1, "title": "X"}),
            Forbidden)


def test_another_regions_event_is_not_found(make, world, curator_kursk, webinar, refused):
    with pytest.raises(NotFound):
        make.call(E.get_event, curator_kursk.actor, webinar.id)
    assert make.call(E.list_events, curator_kursk.actor) == []
    refused(lambda: make.call(E.update_event, curator_kursk.actor, webinar.id, {"version": 1, "title": "X"}),
            NotFound)
    refused(lambda: make.call(E.create_event, curator_kursk.actor, event_data(world)), NotFound)


def test_a_municipal_curator_sees_events_but_does_not_record_them(make, world, curator_of_municipality,
                                                                  webinar, refused):
    assert make.call(E.get_event, curator_of_municipality.actor, webinar.id).id == webinar.id
    refused(lambda: make.call(E.create_event, curator_of_municipality.actor, event_data(world)), Forbidden)


def test_the_practice_lists_where_it_was_presented(make, world, curator_orel, curator_kursk, practice):
    ev = make.call(E.create_event, curator_orel.actor, event_data(world, practice_ids=[practice.id]))
    assert [e.id for e in make.call(E.events_of_practice, curator_orel.actor, practice.id)] == [ev.id]
    assert make.call(E.events_of_practice, curator_kursk.actor, practice.id) == []


# --- the programme tower ------------------------------------------------------------------------------

def test_the_tower_counts_events_by_kind_and_replications_within_180_days(
        make, world, curator_orel, practice, frozen_clock):
    prog = make.call(P.create_programme, curator_orel.actor, {
        "region_id": world.region.id, "title": "РИП", "starts_on": "2026-01-01", "ends_on": "2027-12-31"})
    held = clock.today()
    make.call(E.create_event, curator_orel.actor, event_data(world, practice_ids=[practice.id]))
    # the same practice shown again ten days later: its replicas still count once
    make.call(E.create_event, curator_orel.actor, event_data(
        world, kind="fair", title="Ярмарка инноваций", held_on=(held + timedelta(days=10)).isoformat(),
        practice_ids=[practice.id], programme_id=prog.id))
    make.call(E.create_event, curator_orel.actor, event_data(world, kind="foresight", title="Форсайт-сессия"))
    # another region's event, and one far ahead, are not this programme's held events
    make.call(E.create_event, make.person("curator", region=world.other_region).actor, {
        "region_id": world.other_region.id, "title": "Вебинар Курска", "kind": "webinar",
        "held_on": held.isoformat()})
    make.call(E.create_event, curator_orel.actor, event_data(world, title="Конференция 2027", kind="conference",
                                                             held_on="2027-06-01"))

    def replica() -> Any:
        school = make.org(world.municipality)
        member = make.person("member", org=school)
        return make.call(PR.replicate, member.actor, practice.id, {"org_id": school.id})

    def tower() -> Any:
        return make.call(programme_tower, curator_orel.actor, prog.id)

    start = frozen_clock.current
    frozen_clock.set(start + timedelta(days=30))
    replica()  # day 30 after the first event (day 20 after the fair)
    frozen_clock.set(start + timedelta(days=190))
    replica()  # day 180 after the fair: counted
    t = tower()
    assert t.events.by_kind == {"webinar": 1, "foresight": 1, "conference": 0, "fair": 1, "course_day": 0}
    assert (t.events.total, t.events.upcoming) == (3, 1)
    assert t.replications_after_events == 2
    frozen_clock.set(start + timedelta(days=191))
    replica()  # day 181 after the fair, 191 after the webinar: not counted
    assert tower().replications_after_events == 2
    assert tower().dump()["events"]["by_kind"]["fair"] == 1

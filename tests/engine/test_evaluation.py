"""Evaluation editions (#15 item 1, engine/evaluation/): a region's figures as of a date,
read from the rows' timestamps and the audit log, equal the figures counted by hand from a
history built day by day on a controlled clock; they do not move when later things happen;
signing stores them and freezes the edition. On a real database (both backends), through
the services."""
from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from engine import evaluation as EV
from engine.errors import Conflict, Forbidden, NotFound, StaleVersion, ValidationFailed
from engine.events import service as E
from engine.models import EvaluationEdition, Event
from engine.practices import service as PR
from engine.programme import service as P
from engine.programme.questionnaire import get as questionnaire
from engine.services import admin as admin_svc
from engine.services import projects as project_svc
from engine.services import update_metric
from engine.training import service as T

SATISFIED = "Доля родителей, довольных организацией питания"
# the initial readiness round runs through stage 1 (open on the clock's days)
STAGES = [{"title": "Подготовительный", "starts_on": "2026-01-01", "ends_on": "2026-12-31"},
          {"title": "Апробация и внедрение", "starts_on": "2027-01-01", "ends_on": "2027-08-31"},
          {"title": "Диссеминация", "starts_on": "2027-09-01", "ends_on": "2027-12-31"}]
D1, D2, D3 = date(2026, 9, 1), date(2026, 9, 2), date(2026, 9, 3)


def values(figures: dict[str, Any]) -> dict[str, Any]:
    return {r["key"]: r["value"] for r in figures["rows"]}


def figures_as_of(make: Any, region_id: int, day: date) -> dict[str, Any]:
    return values(make.call(lambda uow: EV.compute_figures(uow.session, uow.workflows, region_id, day)))


def next_day(frozen_clock: Any) -> None:
    frozen_clock.advance(days=1)


def close_with_effect(flow: Any, make: Any, project: Any, hours: float, roubles: float) -> Any:
    """The school's project through every gate: lead time 67 -> 29 min, satisfied parents
    80 -> 98.6 % (target 95), the card's actual effect written before closing."""
    flow.satisfy(project.id, "diagnose")
    flow.add_metric(project.id, name=SATISFIED, direction="increase", baseline=80.0)
    flow.advance(project.id, "sustain")
    share = next(m for m in flow.metrics(project.id) if m.name == SATISFIED)
    flow.log(update_metric, share.id, {"target": 95.0})
    flow.measure(share.id, 98.6)
    make.call(project_svc.update_project, flow.member.actor, project.id,
              {"actual_hours_saved": hours, "actual_roubles": roubles, "version": flow.reload(project.id).version})
    flow.advance(project.id, "closed")
    return flow.reload(project.id)


@pytest.fixture
def history(make, world, flow, project, frozen_clock, curator_orel, member_of_school, member_of_other_school,
            head_of_school, admin) -> dict[str, Any]:
    """Three days of the Oryol region (the clock starts on 2026-09-01 09:00 UTC).

    Day 1: a programme; the school joins; its coordinator is named; the school's project
    (``project``) starts; a course stream, the school's member enrolled.
    Day 2: the project is closed through every gate (120 h, 50 000 ₽ on its card); the
    other school's project starts (stays in diagnosis); the member completes the course; a
    webinar is held.
    Day 3: the practice is published; the school submits its readiness answer; the other
    school joins.
    """
    prog = make.call(P.create_programme, curator_orel.actor, {
        "region_id": world.region.id, "title": "Бережливая школа", "starts_on": "2026-01-01",
        "ends_on": "2027-12-31", "stages": STAGES})
    school_part = make.call(P.add_participant, curator_orel.actor, prog.id,
                            {"org_id": world.school.id, "joined_on": "2026-09-01"})
    coordinator = make.person("coordinator", org=world.school)
    course = make.call(T.create_course, curator_orel.actor, {"region_id": world.region.id, "hours": 72,
                                                             "kind": "qualification", "title": "ПК «Бережливая школа»"})
    stream = make.call(T.add_stream, curator_orel.actor, course.id,
                       {"starts_on": "2026-08-25", "ends_on": "2026-09-02", "place": "Орёл, ОИРО"})
    enrolment = make.call(T.enrol, curator_orel.actor, stream.id, {"user_id": member_of_school.id})

    next_day(frozen_clock)  # day 2
    close_with_effect(flow, make, project, 120.0, 50_000.0)
    other = make.project(world.other_school, member_of_other_school.actor, "Оптимизация приёма документов")
    make.call(T.complete, curator_orel.actor, enrolment.id, {"completed_on": "2026-09-02", "certificate_no": "57-1"})
    make.call(E.create_event, curator_orel.actor, {
        "region_id": world.region.id, "title": "Вебинар «Бережливая столовая»", "kind": "webinar",
        "held_on": "2026-09-02", "attendance": 40, "org_ids": [world.school.id]})

    next_day(frozen_clock)  # day 3
    practice = make.call(PR.publish, curator_orel.actor, project.id,
                         {"category": "meals", "summary": "Питание школьников без очередей"})
    rnd = make.call(lambda uow: P.rounds_of(uow, prog.id))[0]
    scores = dict.fromkeys(questionnaire("readiness").item_section, 4)
    make.call(P.save_answer, head_of_school.actor, rnd.id,
              {"org_id": world.school.id, "scores": scores, "submit": True})
    make.call(P.add_participant, curator_orel.actor, prog.id,
              {"org_id": world.other_school.id, "joined_on": "2026-09-03"})
    return {"programme": prog, "participant": school_part, "coordinator": coordinator, "stream": stream, "other": other,
            "practice": practice, "round": rnd}


# what was true at the end of day 2, counted by hand from the history above
ON_DAY_2 = {"participants": 1, "coordinators": 1, "trained": 1, "projects_launched": 2,
            "projects_in_progress": 1, "projects_closed": 1, "projects_cancelled": 0, "reached_share": 100.0,
            "hours_saved": 120.0, "roubles_saved": 50_000.0, "practices_published": 0, "practices_replicated": 0,
            "replicas": 0, "events_held": 1, "stage.diagnose": 1, "stage.target": 0, "stage.implement": 0,
            "stage.standardise": 0, "stage.sustain": 0, "stage.closed": 1, "stage.cancelled": 0}


def later_things_happen(make, world, history, frozen_clock, flow_for, member_of_other_school,
                        head_of_other_school, curator_orel, admin) -> None:
    """Day 4 and after: what must not move the figures of day 2 — a replica of the practice,
    the other school's project moved on, the school withdrawn, its coordinator removed, a
    completion and an event dated back to day 2 but recorded now."""
    next_day(frozen_clock)  # day 4
    make.call(PR.replicate, member_of_other_school.actor, history["practice"].id,
              {"org_id": world.other_school.id, "confirm": True})
    other_flow = flow_for(member_of_other_school, head_of_other_school)
    other_flow.satisfy(history["other"].id, "diagnose")
    other_flow.advance(history["other"].id, "target")
    make.call(P.withdraw_participant, curator_orel.actor, history["participant"].id, {"reason": "Реорганизация"})
    make.call(admin_svc.revoke_role, admin.actor, history["coordinator"].id, {"role": "coordinator"})
    late = make.call(T.enrol, curator_orel.actor, history["stream"].id, {"user_id": member_of_other_school.id})
    make.call(T.complete, curator_orel.actor, late.id, {"completed_on": "2026-09-02", "certificate_no": "57-2"})
    make.call(E.create_event, curator_orel.actor, {
        "region_id": world.region.id, "title": "Форсайт-сессия", "kind": "foresight",
        "held_on": "2026-09-01", "org_ids": [world.other_school.id]})


def test_an_edition_as_of_a_day_equals_the_hand_counted_figures_of_that_day(make, world, history):
    got = figures_as_of(make, world.region.id, D2)
    assert {k: got[k] for k in ON_DAY_2} == ON_DAY_2
    assert all(got[f"readiness.{s.id}"] is None for s in questionnaire("readiness").sections)  # submitted on day 3

    day3 = figures_as_of(make, world.region.id, D3)
    assert (day3["participants"], day3["practices_published"], day3["projects_closed"]) == (2, 1, 1)
    assert all(day3[f"readiness.{s.id}"] == 4.0 for s in questionnaire("readiness").sections)

    day1 = figures_as_of(make, world.region.id, D1)
    assert (day1["projects_launched"], day1["projects_closed"], day1["stage.diagnose"], day1["trained"],
            day1["events_held"], day1["hours_saved"], day1["reached_share"]) == (1, 0, 1, 0, 0, 0.0, None)
    # the other region knows nothing of it
    assert figures_as_of(make, world.other_region.id, D3)["projects_launched"] == 0


def test_later_events_change_neither_a_draft_of_that_day_nor_a_signed_edition(
        make, store, world, history, frozen_clock, flow_for, member_of_other_school, head_of_other_school,
        curator_orel, admin):
    draft = make.call(EV.create_edition, curator_orel.actor, world.region.id,
                      {"title": "Промежуточный анализ на 02.09.2026", "kind": "interim", "as_of": "2026-09-02"})
    signed = make.call(EV.create_edition, curator_orel.actor, world.region.id,
                       {"title": "Итоговая оценка", "kind": "final", "as_of": "2026-09-02"})
    make.call(EV.sign_edition, curator_orel.actor, signed.id, {"version": 1})
    at_signing = make.call(lambda uow: uow.session.get(EvaluationEdition, signed.id).figures)
    assert {k: values(at_signing)[k] for k in ON_DAY_2} == ON_DAY_2

    later_things_happen(make, world, history, frozen_clock, flow_for, member_of_other_school,
                        head_of_other_school, curator_orel, admin)

    # the later things are real: today's figures moved
    today = figures_as_of(make, world.region.id, date(2026, 9, 4))
    assert (today["replicas"], today["practices_replicated"], today["participants"], today["coordinators"],
            today["trained"], today["events_held"], today["stage.target"]) == (1, 1, 1, 0, 2, 2, 1)
    # ... and day 2 did not
    live = make.call(EV.edition_detail, curator_orel.actor, draft.id)
    assert live["live"] and {r["key"]: r["value"] for r in live["rows"] if r["key"] in ON_DAY_2} == ON_DAY_2
    stored = make.call(EV.edition_detail, curator_orel.actor, signed.id)
    assert not stored["live"] and stored["rows"] == at_signing["rows"]
    assert make.call(lambda uow: uow.session.get(EvaluationEdition, signed.id).figures) == at_signing


def test_a_signed_edition_is_never_recomputed(make, world, history, curator_orel):
    """The readiness answer is the one fact the log keeps no copy of: reopened after the
    day, it drops out of a draft of that day. A signed edition still shows what it stored."""
    sections = [f"readiness.{s.id}" for s in questionnaire("readiness").sections]
    draft = make.call(EV.create_edition, curator_orel.actor, world.region.id,
                      {"title": "Черновик", "as_of": "2026-09-03"})
    signed = make.call(EV.create_edition, curator_orel.actor, world.region.id,
                       {"title": "Промежуточный анализ на 03.09.2026", "as_of": "2026-09-03"})
    make.call(EV.sign_edition, curator_orel.actor, signed.id, {})
    make.call(P.reopen_answer, curator_orel.actor, history["round"].id, {"org_id": world.school.id})

    def shown(edition_id: int) -> dict[str, Any]:
        return {r["key"]: r["value"] for r in make.call(EV.edition_detail, curator_orel.actor, edition_id)["rows"]}
    assert all(shown(draft.id)[k] is None for k in sections)
    assert all(shown(signed.id)[k] == 4.0 for k in sections)


def test_signing_freezes_the_edition(make, world, history, curator_orel, refused):
    ed = make.call(EV.create_edition, curator_orel.actor, world.region.id,
                   {"title": "Промежуточный анализ", "as_of": "2026-09-02"})
    edited = make.call(EV.update_edition, curator_orel.actor, ed.id, {"title": "Промежуточный анализ на 02.09.2026",
                                                                       "version": 1})
    assert (edited.title, edited.version) == ("Промежуточный анализ на 02.09.2026", 2)
    with pytest.raises(StaleVersion):
        make.call(EV.sign_edition, curator_orel.actor, ed.id, {"version": 1})
    signed = make.call(EV.sign_edition, curator_orel.actor, ed.id, {"version": 2})
    assert (signed.status, signed.signed_by, signed.version) == ("signed", curator_orel.id, 3)

    refused(lambda: make.call(EV.update_edition, curator_orel.actor, ed.id, {"as_of": "2026-09-01"}), Conflict)
    refused(lambda: make.call(EV.sign_edition, curator_orel.actor, ed.id, {}), Conflict)
    refused(lambda: make.call(EV.delete_edition, curator_orel.actor, ed.id), Conflict)
    kinds = make.call(lambda uow: [e.kind for e in uow.session.execute(
        select(Event).where(Event.kind.like("edition_%")).order_by(Event.id)).scalars()])
    assert kinds == ["edition_created", "edition_updated", "edition_signed"]


def test_two_curators_signing_at_once_sign_it_once(make, world, curator_orel):
    other = make.person("curator", region=world.region, email="deputy@orel-edu.ru")
    ed = make.call(EV.create_edition, curator_orel.actor, world.region.id, {"title": "Итоговая оценка",
                                                                            "kind": "final", "as_of": "2026-09-01"})
    start = threading.Barrier(2)
    results: list[Any] = []

    def sign(who: Any) -> None:
        start.wait()
        try:
            make.call(EV.sign_edition, who.actor, ed.id, {"version": 1})
            results.append(who.id)
        except Conflict as exc:  # signed already, or StaleVersion: the swap lost
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=sign, args=(c,)) for c in (curator_orel, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    winners = [r for r in results if isinstance(r, int)]
    assert len(results) == 2 and len(winners) == 1, results
    row = make.call(lambda uow: uow.session.get(EvaluationEdition, ed.id))
    assert (row.status, row.signed_by, row.version) == ("signed", winners[0], 2)
    assert make.call(lambda uow: len(list(uow.session.execute(
        select(Event).where(Event.kind == "edition_signed")).scalars()))) == 1


def test_a_draft_is_deleted_and_its_deletion_logged(make, world, curator_orel):
    ed = make.call(EV.create_edition, curator_orel.actor, world.region.id, {"title": "Черновик", "as_of": "2026-09-01"})
    make.call(EV.delete_edition, curator_orel.actor, ed.id)
    assert make.call(lambda uow: uow.session.get(EvaluationEdition, ed.id)) is None
    with pytest.raises(NotFound):
        make.call(EV.edition_detail, curator_orel.actor, ed.id)


def test_bad_input_names_the_field_and_writes_nothing(make, world, curator_orel, refused):
    err = refused(lambda: make.call(EV.create_edition, curator_orel.actor, world.region.id,
                                    {"title": "Срез", "as_of": "2026-09-02"}), ValidationFailed)
    assert set(err.fields) == {"as_of"} and "позже сегодняшнего" in err.fields["as_of"].ru  # the clock: 09-01
    err = refused(lambda: make.call(EV.create_edition, curator_orel.actor, world.region.id,
                                    {"title": "", "as_of": "31.12.2020"}), ValidationFailed)
    assert set(err.fields) == {"title", "as_of"}
    err = refused(lambda: make.call(EV.create_edition, curator_orel.actor, world.region.id,
                                    {"title": "Срез", "kind": "weekly", "as_of": "2026-08-31"}), ValidationFailed)
    assert set(err.fields) == {"kind"}


def test_only_the_regions_curators_prepare_and_see_editions(make, world, curator_orel, head_of_school,
                                                             curator_kursk, curator_of_municipality, admin, refused):
    body = {"title": "Срез", "as_of": "2026-08-31"}
    refused(lambda: make.call(EV.create_edition, head_of_school.actor, world.region.id, body), Forbidden)
    refused(lambda: make.call(EV.create_edition, curator_of_municipality.actor, world.region.id, body), Forbidden)
    refused(lambda: make.call(EV.create_edition, curator_kursk.actor, world.region.id, body), NotFound)
    ed = make.call(EV.create_edition, curator_orel.actor, world.region.id, body)
    with pytest.raises(Forbidden):
        make.call(EV.edition_detail, head_of_school.actor, ed.id)
    with pytest.raises(NotFound):
        make.call(EV.edition_detail, curator_kursk.actor, ed.id)
    assert [e["id"] for e in make.call(EV.list_editions, admin.actor, world.region.id)] == [ed.id]
    with pytest.raises(Forbidden):  # an admin watches, the region's curator signs
        make.call(EV.sign_edition, admin.actor, ed.id, {})


def test_two_editions_compared_indicator_by_indicator(make, world, history, curator_orel):
    a = make.call(EV.create_edition, curator_orel.actor, world.region.id, {"title": "На 01.09", "as_of": "2026-09-01"})
    b = make.call(EV.create_edition, curator_orel.actor, world.region.id, {"title": "На 03.09", "as_of": "2026-09-03"})
    make.call(EV.sign_edition, curator_orel.actor, a.id, {})
    cmp = make.call(EV.compare_editions, curator_orel.actor, a.id, b.id)
    rows = {r["key"]: r for r in cmp["rows"]}
    assert (rows["projects_launched"]["a"], rows["projects_launched"]["b"], rows["projects_launched"]["change"],
            rows["projects_launched"]["change_pct"]) == (1, 2, 1.0, 100.0)
    assert (rows["participants"]["a"], rows["participants"]["b"], rows["participants"]["change_pct"]) == (1, 2, 100.0)
    assert (rows["projects_closed"]["a"], rows["projects_closed"]["change"], rows["projects_closed"]["change_pct"]) \
        == (0, 1.0, None)  # from zero: no percentage
    assert (rows["reached_share"]["a"], rows["reached_share"]["change"]) == (None, None)
    assert (cmp["a"]["status"], cmp["b"]["status"]) == ("signed", "draft")

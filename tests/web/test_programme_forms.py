"""The programme's management pages (issue #13 items 1, 2, 4, 6 in the web UI): each form
calls its engine service and writes (the state and its audit event) for the right role,
is refused for the wrong one (403/404) with nothing written, and shows a bad field's
message in Russian next to the field, on the page it belongs to; success redirects back
to the page with a message (post-redirect-get)."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine.models import (
    Event,
    InitiativeMember,
    Participant,
    PlanItem,
    Programme,
    ProgrammeStage,
    ReadinessRound,
    StageTask,
    WorkPlan,
)
from engine.programme import questionnaire as questionnaires
from engine.programme import service as P
from tests.web.conftest import db_snapshot, dom, field_error, form_for, invalid_fields

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 9, 1)  # the frozen clock's day (tests/conftest.py frozen_clock)
CYRILLIC = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def ru(text: str) -> bool:
    return bool(set(text.lower()) & CYRILLIC)


def events(store: Any, kind: str) -> list[dict[str, Any]]:
    with store.uow() as uow:
        return [e.payload for e in uow.session.execute(select(Event).where(Event.kind == kind)
                                                       .order_by(Event.id)).scalars()]


def row(store: Any, model: Any, ident: int) -> Any:
    with store.uow() as uow:
        obj = uow.session.get(model, ident)
        if obj is not None:
            uow.session.expunge(obj)
        return obj


def rows(store: Any, model: Any, **where: Any) -> list[Any]:
    with store.uow() as uow:
        stmt = select(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        out = list(uow.session.execute(stmt).scalars())
        for o in out:
            uow.session.expunge(o)
        return out


def assert_prg(r: Any, path: str) -> None:
    """Success: a redirect back to the page (its anchor aside)."""
    assert r.status_code == 302, (r.status_code, r.get_data(as_text=True)[:500])
    assert r.headers["Location"].split("#")[0] == path, r.headers["Location"]


def error_in(r: Any, name: str, action: str) -> Any:
    """The message next to field ``name`` of the form posting to ``action``, on the page
    answered (422) with nothing else marked invalid."""
    assert r.status_code == 422, r.status_code
    page = dom(r)
    assert invalid_fields(page) == {name}, invalid_fields(page)
    return field_error(page, name, form_for(page, action))


def flashed(b: Any, path: str) -> str:
    page = dom(b.get(path))
    box = page.find(cls="flashes")
    assert box is not None, "no message after the redirect"
    return box.text


@pytest.fixture
def programme(make: Any, world: Any, curator_orel: Any, frozen_clock: Any) -> dict[str, Any]:
    """A programme of the Oryol region with two stages; the school (Orel city) and a school
    of another municipality take part."""
    prog = make.call(P.create_programme, curator_orel.actor, {
        "region_id": world.region.id, "title": "Бережливая школа 2026", "starts_on": day(-60), "ends_on": day(700),
        "stages": [{"title": "Подготовительный", "starts_on": day(-60), "ends_on": day(60)},
                   {"title": "Апробация", "starts_on": day(61), "ends_on": day(700)}]})
    elsewhere = make.org(make.municipality(world.region, "Мценский район"), "МБОУ Мценская СОШ")
    parts = {o.id: make.call(P.add_participant, curator_orel.actor, prog.id, {"org_id": o.id, "joined_on": day(-30)})
             for o in (world.school, elsewhere)}
    with make.store.uow() as uow:
        stages = P.stages_of(uow, prog.id)
        (initial,) = P.rounds_of(uow, prog.id)
    return {"prog": prog, "elsewhere": elsewhere, "parts": parts, "stages": stages, "round": initial,
            "school_part": parts[world.school.id]}


# --- the programmes list: «Создать программу» --------------------------------------------------------------

def create_form(world: Any, **over: str) -> dict[str, str]:
    data = {"region_id": str(world.region.id), "title": "Бережливый детский сад", "starts_on": day(0),
            "ends_on": day(365), "goal": "Внедрить бережливые технологии",
            "stages.0.title": "Подготовительный", "stages.0.starts_on": day(0), "stages.0.ends_on": day(120),
            "stages.1.title": "", "stages.1.starts_on": "", "stages.1.ends_on": "",
            "stages.2.title": "Внедрение", "stages.2.starts_on": day(100), "stages.2.ends_on": day(365)}
    data.update(over)
    return data


def test_a_curator_creates_a_programme_with_its_stages(web, world, store, curator_orel, frozen_clock):
    b = web(curator_orel)
    page = dom(b.get("/programmes"))
    form = form_for(page, "/programmes")
    assert form.find("input", name="stages.0.title") is not None
    r = b.post("/programmes", create_form(world))
    (prog,) = rows(store, Programme)
    assert_prg(r, f"/programmes/{prog.id}")
    assert (prog.title, prog.region_id, prog.goal, prog.status) == ("Бережливый детский сад", world.region.id,
                                                                   "Внедрить бережливые технологии", "draft")
    stages = rows(store, ProgrammeStage, programme_id=prog.id)
    assert [(s.position, s.title, s.ends_on.isoformat()) for s in sorted(stages, key=lambda s: s.position)] == [
        (1, "Подготовительный", day(120)), (2, "Внедрение", day(365))]  # the empty row is left out
    assert events(store, "programme_created") == [{"programme_id": prog.id, "region_id": world.region.id,
                                                   "title": "Бережливый детский сад", "stages": 2}]
    tower = dom(b.get(f"/programmes/{prog.id}"))
    assert ru(tower.one(cls="flashes").text)
    # the overlap of the two stages is named on the programme page, in Russian, with dd.mm.yyyy dates
    warnings = tower.one(**{"data-warnings": True}).text
    assert "пересекаются" in warnings and (TODAY + timedelta(days=100)).strftime("%d.%m.%Y") in warnings


def test_a_stage_ending_before_it_starts_is_named_next_to_its_field(web, world, store, curator_orel,
                                                                      frozen_clock):
    b = web(curator_orel)
    before = db_snapshot(store)
    r = b.post("/programmes", create_form(world, **{"stages.2.ends_on": day(50)}))
    assert r.status_code == 422
    page = dom(r)
    err = field_error(page, "stages.2.ends_on", form_for(page, "/programmes"))
    assert ru(err.text) and "раньше" in err.text
    assert invalid_fields(page) == {"stages.2.ends_on"}
    assert form_for(page, "/programmes").find("input", name="title")["value"] == "Бережливый детский сад"
    assert db_snapshot(store) == before


def test_a_programme_without_a_title_or_with_a_bad_date_writes_nothing(web, world, store, curator_orel,
                                                                        frozen_clock):
    b = web(curator_orel)
    before = db_snapshot(store)
    page = dom(b.post("/programmes", create_form(world, title="", starts_on="31.02.2026")))
    assert ru(field_error(page, "title").text) and ru(field_error(page, "starts_on").text)
    assert db_snapshot(store) == before


def test_who_sees_and_may_use_the_create_form(web, world, store, head_of_school, coordinator_of_school,
                                              curator_of_municipality, curator_kursk, admin, frozen_clock):
    for person in (head_of_school, coordinator_of_school, curator_of_municipality):
        b = web(person)
        page = b.get("/programmes")
        assert page.status_code == 200
        assert not [f for f in dom(page).find_all("form") if f.get("action") == "/programmes"]
        before = db_snapshot(store)
        assert b.post("/programmes", create_form(world)).status_code == 403
        assert db_snapshot(store) == before
    # a curator of another region: that region is no business of theirs
    assert web(curator_kursk).post("/programmes", create_form(world)).status_code == 404
    assert rows(store, Programme) == []
    # an administrator chooses the region
    b = web(admin)
    form = form_for(dom(b.get("/programmes")), "/programmes")
    assert {o.get("value") for o in form.one("select", name="region_id").find_all("option")} >= {
        str(world.region.id), str(world.other_region.id)}
    assert b.post("/programmes", create_form(world, region_id=str(world.other_region.id))).status_code == 302
    assert [p.region_id for p in rows(store, Programme)] == [world.other_region.id]


# --- the edit page: the programme, its stages and tasks ----------------------------------------------------

def test_a_curator_edits_the_programme_with_its_version(web, store, programme, curator_orel):
    prog = programme["prog"]
    b = web(curator_orel)
    page = dom(b.get(f"/programmes/{prog.id}/edit"))
    form = form_for(page, f"/programmes/{prog.id}/edit")
    assert form.find("input", name="version")["value"] == "1"
    statuses = [o["value"] for o in form.one("select", name="status").find_all("option")]
    assert statuses == ["draft", "active", "finished"]
    assert all(ru(o.text) for o in form.one("select", name="status").find_all("option"))
    data = {"title": "Бережливая школа", "starts_on": day(-60), "ends_on": day(700), "goal": "Цель",
            "tasks": "", "hypothesis": "", "status": "active", "version": "1"}
    r = b.post(f"/programmes/{prog.id}/edit", data)
    assert_prg(r, f"/programmes/{prog.id}/edit")
    saved = row(store, Programme, prog.id)
    assert (saved.title, saved.status, saved.version, saved.goal) == ("Бережливая школа", "active", 2, "Цель")
    (ev,) = events(store, "programme_updated")
    assert ev["changes"]["status"] == ["draft", "active"]
    # the same form sent again with the old version: someone changed it meanwhile
    before = db_snapshot(store)
    again = b.post(f"/programmes/{prog.id}/edit", {**data, "title": "Другое", "version": "1"})
    assert again.status_code == 409
    assert ru(dom(again).one(cls="error", role="alert").text)
    assert db_snapshot(store) == before
    # status only moves forward: the select no longer offers a draft
    page = dom(b.get(f"/programmes/{prog.id}/edit"))
    assert [o["value"] for o in form_for(page, f"/programmes/{prog.id}/edit").one(
        "select", name="status").find_all("option")] == ["active", "finished"]
    back = dom(b.post(f"/programmes/{prog.id}/edit", {**data, "status": "draft", "version": "2"}))
    assert ru(field_error(back, "status").text)


def test_the_programme_edit_refuses_bad_dates_in_place(web, store, programme, curator_orel):
    prog = programme["prog"]
    before = db_snapshot(store)
    r = web(curator_orel).post(f"/programmes/{prog.id}/edit", {
        "title": "Бережливая школа", "starts_on": day(10), "ends_on": day(0), "status": "draft", "version": "1"})
    assert r.status_code == 422
    assert ru(field_error(dom(r), "ends_on").text)
    assert db_snapshot(store) == before


def test_stages_added_and_edited_and_their_warnings(web, store, programme, curator_orel):
    prog = programme["prog"]
    first, second = programme["stages"]
    b = web(curator_orel)
    r = b.post(f"/programmes/{prog.id}/stages", {"title": "Диссеминация", "starts_on": day(720),
                                                 "ends_on": day(800), "content": "Ярмарка"})
    assert_prg(r, f"/programmes/{prog.id}/edit")
    added = [s for s in rows(store, ProgrammeStage, programme_id=prog.id) if s.title == "Диссеминация"]
    assert [(s.position, s.content) for s in added] == [(3, "Ярмарка")]
    assert events(store, "stage_added")[-1] == {"programme_id": prog.id, "stage_id": added[0].id}
    page = dom(b.get(f"/programmes/{prog.id}/edit"))
    warnings = page.one(**{"data-warnings": True}).text
    assert "разрыв" in warnings and "выходит за сроки программы" in warnings
    # edit the first stage: its end moves; a stage ending before it starts is refused in place
    r = b.post(f"/programmes/{prog.id}/stages/{first.id}/edit", {
        "title": "Подготовительный", "starts_on": day(-60), "ends_on": day(30), "content": ""})
    assert_prg(r, f"/programmes/{prog.id}/edit")
    assert row(store, ProgrammeStage, first.id).ends_on.isoformat() == day(30)
    assert events(store, "stage_updated")[-1]["stage_id"] == first.id
    before = db_snapshot(store)
    bad = b.post(f"/programmes/{prog.id}/stages/{second.id}/edit", {
        "title": "Апробация", "starts_on": day(100), "ends_on": day(99), "content": ""})
    assert bad.status_code == 422
    page = dom(bad)
    err = field_error(page, "ends_on", form_for(page, f"/programmes/{prog.id}/stages/{second.id}/edit"))
    assert ru(err.text)
    assert db_snapshot(store) == before


def test_stage_tasks_added_and_edited(web, store, programme, curator_orel):
    prog = programme["prog"]
    first = programme["stages"][0]
    b = web(curator_orel)
    path = f"/programmes/{prog.id}/stages/{first.id}/tasks"
    assert_prg(b.post(path, {"title": "Назначить координаторов", "due_on": day(-5), "responsible": "Куратор",
                             "rule": "every_participant_has_coordinator"}), f"/programmes/{prog.id}/edit")
    assert_prg(b.post(path, {"title": "Провести установочный семинар", "due_on": day(10), "responsible": "",
                             "rule": ""}), f"/programmes/{prog.id}/edit")
    ruled, manual = sorted(rows(store, StageTask, programme_id=prog.id), key=lambda t: t.id)
    assert (ruled.rule, manual.rule, manual.due_on.isoformat()) == ("every_participant_has_coordinator", None, day(10))
    assert [e["task_id"] for e in events(store, "stage_task_added")] == [ruled.id, manual.id]
    page = dom(b.get(f"/programmes/{prog.id}/edit"))
    ruled_li = page.one("li", **{"data-task-id": ruled.id})
    assert ruled_li.has("data-overdue")  # due five days ago, nobody has a coordinator
    assert ruled_li.find("select", name="status") is None  # a rule's status is computed, not set
    # mark the manual one done
    r = b.post(f"/programmes/{prog.id}/tasks/{manual.id}/edit", {
        "title": "Провести установочный семинар", "due_on": day(10), "responsible": "Методист", "status": "done"})
    assert_prg(r, f"/programmes/{prog.id}/edit")
    done = row(store, StageTask, manual.id)
    assert (done.status, done.responsible, done.done_at is not None) == ("done", "Методист", True)
    assert events(store, "stage_task_updated")[-1]["changes"]["status"] == "done"
    # a task without a title
    before = db_snapshot(store)
    bad = b.post(path, {"title": "", "due_on": day(1), "responsible": ""})
    assert bad.status_code == 422
    assert ru(error_in(bad, "title", path).text)
    assert db_snapshot(store) == before


def test_the_edit_forms_are_the_region_curators(web, store, programme, head_of_school, curator_of_municipality,
                                                curator_kursk):
    prog = programme["prog"]
    first = programme["stages"][0]
    posts = [(f"/programmes/{prog.id}/edit", {"title": "Чужая", "status": "active", "version": "1"}),
             (f"/programmes/{prog.id}/stages", {"title": "Лишний", "starts_on": day(0), "ends_on": day(5)}),
             (f"/programmes/{prog.id}/stages/{first.id}/edit", {"title": "Чужой"}),
             (f"/programmes/{prog.id}/stages/{first.id}/tasks", {"title": "Чужая задача"}),
             (f"/programmes/{prog.id}/rounds", {"kind": "other", "title": "Чужой опрос", "opens_on": day(0),
                                                "closes_on": day(10)}),
             (f"/programmes/{prog.id}/rounds/{programme['round'].id}/close", {})]
    before = db_snapshot(store)
    for person, status in ((head_of_school, 403), (curator_of_municipality, 403), (curator_kursk, 404)):
        b = web(person)
        assert b.get(f"/programmes/{prog.id}/edit").status_code == status
        for path, data in posts:
            assert b.post(path, data).status_code == status, (person.email, path)
    assert db_snapshot(store) == before
    # a municipal curator sees the programme page, but neither the edit link nor the round forms
    page = dom(web(curator_of_municipality).get(f"/programmes/{prog.id}"))
    assert page.find("a", **{"data-link": "edit"}) is None
    assert not [f for f in page.find_all("form") if "/rounds" in (f.get("action") or "")]


# --- rounds on the programme page ---------------------------------------------------------------------------

def test_a_curator_opens_and_closes_a_round(web, store, programme, curator_orel):
    prog = programme["prog"]
    b = web(curator_orel)
    page = dom(b.get(f"/programmes/{prog.id}"))
    form = form_for(page, f"/programmes/{prog.id}/rounds")
    kinds = [o["value"] for o in form.one("select", name="kind").find_all("option")]
    assert kinds == ["final", "other"]  # the programme has its initial round
    r = b.post(f"/programmes/{prog.id}/rounds", {"kind": "other", "title": "Промежуточный анализ",
                                                 "opens_on": day(0), "closes_on": day(30)})
    assert_prg(r, f"/programmes/{prog.id}")
    new = [x for x in rows(store, ReadinessRound, programme_id=prog.id) if x.kind == "other"]
    assert [(x.title, x.closes_on.isoformat()) for x in new] == [("Промежуточный анализ", day(30))]
    assert events(store, "round_opened")[-1] == {"programme_id": prog.id, "round_id": new[0].id, "kind": "other"}
    page = dom(b.get(f"/programmes/{prog.id}"))
    tr_ = page.one("tr", **{"data-round-id": new[0].id})
    assert (TODAY + timedelta(days=30)).strftime("%d.%m.%Y") in tr_.text and "other" not in tr_.text
    # close it early
    r = b.post(f"/programmes/{prog.id}/rounds/{new[0].id}/close", {})
    assert_prg(r, f"/programmes/{prog.id}")
    assert row(store, ReadinessRound, new[0].id).closed_at is not None
    assert events(store, "round_closed")[-1] == {"programme_id": prog.id, "round_id": new[0].id}
    page = dom(b.get(f"/programmes/{prog.id}"))
    assert not page.one("tr", **{"data-round-id": new[0].id}).find_all("form")


def test_a_round_closing_before_it_opens_is_named_next_to_the_closing_date(web, store, programme, curator_orel):
    prog = programme["prog"]
    before = db_snapshot(store)
    r = web(curator_orel).post(f"/programmes/{prog.id}/rounds", {"kind": "final", "title": "Итоговый",
                                                                  "opens_on": day(30), "closes_on": day(0)})
    assert r.status_code == 422
    page = dom(r)
    assert ru(field_error(page, "closes_on", form_for(page, f"/programmes/{prog.id}/rounds")).text)
    assert db_snapshot(store) == before
    r = web(curator_orel).post(f"/programmes/{prog.id}/rounds", {"kind": "final", "title": "",
                                                                  "opens_on": day(0), "closes_on": day(9)})
    assert ru(field_error(dom(r), "title").text)
    assert db_snapshot(store) == before


# --- participants ------------------------------------------------------------------------------------------------

def test_a_curator_adds_one_organisation(web, world, store, programme, curator_orel):
    prog = programme["prog"]
    b = web(curator_orel)
    page = dom(b.get(f"/programmes/{prog.id}/participants"))
    form = form_for(page, f"/programmes/{prog.id}/participants")
    offered = {o.get("value") for o in form.one("select", name="org_id").find_all("option")} - {""}
    assert offered == {str(world.other_school.id)}  # the region's organisations not in yet
    r = b.post(f"/programmes/{prog.id}/participants", {"org_id": str(world.other_school.id),
                                                      "joined_on": day(0), "wave": "2"})
    assert_prg(r, f"/programmes/{prog.id}/participants")
    (part,) = rows(store, Participant, org_id=world.other_school.id)
    assert (part.programme_id, part.wave, part.joined_on.isoformat()) == (prog.id, 2, day(0))
    assert events(store, "participant_added")[-1] == {"programme_id": prog.id, "participant_id": part.id,
                                                      "org_id": world.other_school.id, "wave": 2}
    assert ru(flashed(b, f"/programmes/{prog.id}/participants"))
    page = dom(b.get(f"/programmes/{prog.id}/participants"))
    tr_ = page.one("tr", **{"data-participant-id": part.id})
    assert tr_.one("td", **{"data-step": "coordinator"}).text.startswith("—")
    assert TODAY.strftime("%d.%m.%Y") in tr_.text


def test_adding_an_organisation_refuses_bad_input_in_place(web, world, store, programme, curator_orel):
    prog = programme["prog"]
    b = web(curator_orel)
    before = db_snapshot(store)
    r = b.post(f"/programmes/{prog.id}/participants", {"org_id": str(world.other_school.id), "joined_on": "",
                                                      "wave": "0"})
    assert r.status_code == 422
    page = dom(r)
    assert ru(field_error(page, "joined_on").text) and ru(field_error(page, "wave").text)
    # one already taking part: a conflict, said above the form
    r = b.post(f"/programmes/{prog.id}/participants", {"org_id": str(world.school.id), "joined_on": day(0)})
    assert r.status_code == 409
    assert ru(form_for(dom(r), f"/programmes/{prog.id}/participants").one(cls="error").text)
    assert db_snapshot(store) == before


def test_a_curator_adds_organisations_in_bulk(web, make, world, store, programme, curator_orel):
    prog = programme["prog"]
    kindergarten = make.org(world.municipality, "МБДОУ Детский сад №1", kind="kindergarten")
    b = web(curator_orel)
    before = db_snapshot(store)
    r = b.post(f"/programmes/{prog.id}/participants/bulk", {"municipality_id": "", "kind": "", "joined_on": day(0)})
    assert r.status_code == 422
    assert ru(field_error(dom(r), "municipality_id").text)
    assert db_snapshot(store) == before
    r = b.post(f"/programmes/{prog.id}/participants/bulk", {"municipality_id": str(world.municipality.id),
                                                           "kind": "", "joined_on": day(0), "wave": "2"})
    assert_prg(r, f"/programmes/{prog.id}/participants")
    joined = {p.org_id for p in rows(store, Participant, programme_id=prog.id)}
    assert joined >= {world.other_school.id, kindergarten.id}
    assert len(events(store, "participant_added")) == 4  # two in the fixture, two now
    assert "2" in flashed(b, f"/programmes/{prog.id}/participants")


def test_a_municipal_curator_manages_their_municipality_only(web, make, world, store, programme,
                                                             curator_of_municipality):
    prog = programme["prog"]
    elsewhere_school = make.org(make.municipality(world.region, "Ливенский район"), "МБОУ Ливенская СОШ")
    b = web(curator_of_municipality)
    page = dom(b.get(f"/programmes/{prog.id}/participants"))
    shown = {n["data-org-id"] for n in page.find_all("tr", **{"data-org-id": True})}
    assert shown == {str(world.school.id)}
    assert "Мценск" not in page.text and "Ливен" not in page.text
    options = {o.get("value") for o in form_for(page, f"/programmes/{prog.id}/participants").one(
        "select", name="org_id").find_all("option")} - {""}
    assert options == {str(world.other_school.id)}
    muns = {o.get("value") for o in form_for(page, f"/programmes/{prog.id}/participants/bulk").one(
        "select", name="municipality_id").find_all("option")} - {""}
    assert muns == {str(world.municipality.id)}
    before = db_snapshot(store)
    assert b.post(f"/programmes/{prog.id}/participants", {"org_id": str(elsewhere_school.id),
                                                         "joined_on": day(0)}).status_code == 404
    other_part = programme["parts"][programme["elsewhere"].id]
    assert b.post(f"/programmes/{prog.id}/participants/{other_part.id}/withdraw",
                  {"reason": "Не наш"}).status_code == 404
    assert db_snapshot(store) == before
    # in bulk by kind: their municipality's schools only
    r = b.post(f"/programmes/{prog.id}/participants/bulk", {"kind": "school", "joined_on": day(0)})
    assert_prg(r, f"/programmes/{prog.id}/participants")
    assert {p.org_id for p in rows(store, Participant, programme_id=prog.id)} == {
        world.school.id, programme["elsewhere"].id, world.other_school.id}


def test_a_curator_withdraws_a_participant_with_a_reason(web, store, programme, curator_orel, head_of_school):
    prog = programme["prog"]
    part = programme["school_part"]
    path = f"/programmes/{prog.id}/participants/{part.id}/withdraw"
    before = db_snapshot(store)
    assert web(head_of_school).post(path, {"reason": "Сами"}).status_code == 403
    b = web(curator_orel)
    r = b.post(path, {"reason": ""})
    assert r.status_code == 422
    page = dom(r)
    assert ru(field_error(page, "reason", form_for(page, path)).text)
    assert db_snapshot(store) == before
    assert_prg(b.post(path, {"reason": "Смена руководства", "withdrawn_on": day(-1)}),
               f"/programmes/{prog.id}/participants")
    gone = row(store, Participant, part.id)
    assert (gone.status, gone.reason, gone.withdrawn_on.isoformat()) == ("withdrawn", "Смена руководства", day(-1))
    assert events(store, "participant_withdrawn")[-1]["reason"] == "Смена руководства"
    tr_ = dom(b.get(f"/programmes/{prog.id}/participants")).one("tr", **{"data-participant-id": part.id})
    assert "Смена руководства" in tr_.text and not tr_.find_all("form")
    assert "withdrawn" not in tr_.one("td", **{"data-status": "withdrawn"}).text


# --- the participant page: the initiative group -------------------------------------------------------------

def test_the_head_adds_and_removes_initiative_group_members(web, store, world, programme, head_of_school,
                                                            member_of_school):
    part = programme["school_part"]
    path = f"/participants/{part.id}"
    b = web(head_of_school)
    page = dom(b.get(path))
    form = form_for(page, f"{path}/members")
    users = {o.get("value") for o in form.one("select", name="user_id").find_all("option")} - {""}
    assert users == {str(head_of_school.id), str(member_of_school.id)}
    assert_prg(b.post(f"{path}/members", {"user_id": str(member_of_school.id), "name": "", "position": "учитель"}),
               path)
    assert_prg(b.post(f"{path}/members", {"user_id": "", "name": "Сидорова Елена", "position": "завуч"}), path)
    members = sorted(rows(store, InitiativeMember, participant_id=part.id), key=lambda m: m.id)
    assert [(m.user_id, m.name, m.position) for m in members] == [
        (member_of_school.id, "Иванова Анна", "учитель"), (None, "Сидорова Елена", "завуч")]
    assert [e["member_id"] for e in events(store, "initiative_member_added")] == [m.id for m in members]
    page = dom(b.get(path))
    group = page.one(**{"data-group": True})
    assert group.one(**{"data-group-size": True}).text == "2 человека"
    assert [n.text for n in group.find_all("td", **{"data-training": True})] == ["—", "—"]
    # neither a user nor a name
    before = db_snapshot(store)
    bad = b.post(f"{path}/members", {"user_id": "", "name": "", "position": "учитель"})
    assert bad.status_code == 422
    assert ru(error_in(bad, "name", f"{path}/members").text)
    assert db_snapshot(store) == before
    # remove one
    assert_prg(b.post(f"{path}/members/{members[1].id}/remove", {}), path)
    assert [m.id for m in rows(store, InitiativeMember, participant_id=part.id)] == [members[0].id]
    assert events(store, "initiative_member_removed")[-1]["name"] == "Сидорова Елена"


def test_the_group_forms_are_refused_to_those_who_may_not(web, store, world, programme, member_of_school,
                                                          head_of_other_school, curator_of_municipality):
    part = programme["school_part"]
    other = programme["parts"][programme["elsewhere"].id]
    before = db_snapshot(store)
    assert web(member_of_school).get(f"/participants/{part.id}").status_code == 403
    assert web(member_of_school).post(f"/participants/{part.id}/members", {"name": "Кто-то"}).status_code == 403
    assert web(head_of_other_school).post(f"/participants/{part.id}/members", {"name": "Кто-то"}).status_code == 404
    assert web(curator_of_municipality).post(f"/participants/{other.id}/members",
                                             {"name": "Кто-то"}).status_code == 404
    assert db_snapshot(store) == before


# --- the participant page: the work plan ----------------------------------------------------------------------

def plan_of(store: Any, part: Any) -> Any:
    (plan,) = rows(store, WorkPlan, participant_id=part.id)
    return plan


def test_the_work_plan_from_items_to_approval(web, store, world, programme, coordinator_of_school, curator_orel,
                                              member_of_school):
    part = programme["school_part"]
    path = f"/participants/{part.id}"
    coord = web(coordinator_of_school)
    # a plan item without a title: named in place, nothing written
    before = db_snapshot(store)
    bad = coord.post(f"{path}/plan/items", {"title": "", "due_on": day(10), "who": ""})
    assert bad.status_code == 422
    assert ru(error_in(bad, "title", f"{path}/plan/items").text)
    assert db_snapshot(store) == before
    # two items, one overdue
    assert_prg(coord.post(f"{path}/plan/items", {"title": "Провести самоанализ", "due_on": day(-3),
                                                  "who": "Кузнецова М.", "evidence_url": ""}), path)
    assert_prg(coord.post(f"{path}/plan/items", {"title": "Обучить группу", "due_on": day(40), "who": "",
                                                  "evidence_url": "https://example.org/plan"}), path)
    first, second = sorted(rows(store, PlanItem), key=lambda i: i.id)
    assert (first.title, first.due_on.isoformat(), first.who) == ("Провести самоанализ", day(-3), "Кузнецова М.")
    assert [e["item_id"] for e in events(store, "plan_item_added")] == [first.id, second.id]
    page = dom(coord.get(path))
    overdue = page.one("tr", **{"data-item-id": first.id})
    assert overdue.has("data-overdue") and ru(overdue.one(cls="badge").text)
    assert (TODAY - timedelta(days=3)).strftime("%d.%m.%Y") in overdue.text
    assert not page.one("tr", **{"data-item-id": second.id}).has("data-overdue")
    # edit an item while the plan is a draft
    assert_prg(coord.post(f"{path}/plan/items/{first.id}/edit", {
        "title": "Провести самоанализ готовности", "due_on": day(5), "who": "Кузнецова М.", "status": "open",
        "evidence_url": ""}), path)
    assert row(store, PlanItem, first.id).title == "Провести самоанализ готовности"
    assert events(store, "plan_item_updated")[-1]["item_id"] == first.id
    # a team member may neither see the page nor send the plan
    assert web(member_of_school).post(f"{path}/plan/submit", {}).status_code == 403
    # the coordinator sends it; the curator (not the coordinator) decides
    page = dom(coord.get(path))
    assert form_for(page, f"{path}/plan/submit") is not None
    assert not [f for f in page.find_all("form") if (f.get("action") or "").endswith("/plan/approve")]
    assert_prg(coord.post(f"{path}/plan/submit", {"comment": ""}), path)
    assert plan_of(store, part).status == "submitted"
    assert events(store, "plan_submitted")[-1]["participant_id"] == part.id
    assert coord.post(f"{path}/plan/approve", {}).status_code == 403
    page = dom(coord.get(path))
    assert page.one(**{"data-plan": True})["data-plan-status"] == "submitted"
    assert "submitted" not in page.one(**{"data-plan": True}).one("h2").text
    assert not [f for f in page.find_all("form") if (f.get("action") or "").endswith("/plan/items")]
    assert not [f for f in page.find_all("form") if (f.get("action") or "").split("/")[-1] in ("approve", "return")]
    # the curator returns it: the comment is required
    cur = web(curator_orel)
    decide = dom(cur.get(path))
    assert form_for(decide, f"{path}/plan/approve") is not None and form_for(decide, f"{path}/plan/return") is not None
    assert not [f for f in decide.find_all("form") if (f.get("action") or "").endswith("/plan/submit")]
    before = db_snapshot(store)
    bad = cur.post(f"{path}/plan/return", {"comment": ""})
    assert bad.status_code == 422
    assert ru(error_in(bad, "comment", f"{path}/plan/return").text)
    assert db_snapshot(store) == before
    assert_prg(cur.post(f"{path}/plan/return", {"comment": "Добавьте сроки обучения"}), path)
    plan = plan_of(store, part)
    assert (plan.status, plan.comment) == ("returned", "Добавьте сроки обучения")
    assert events(store, "plan_returned")[-1]["comment"] == "Добавьте сроки обучения"
    assert "Добавьте сроки обучения" in dom(coord.get(path)).one(**{"data-plan-comment": True}).text
    # sent again and approved
    assert_prg(coord.post(f"{path}/plan/submit", {"comment": "Исправили"}), path)
    assert_prg(cur.post(f"{path}/plan/approve", {"comment": ""}), path)
    assert plan_of(store, part).status == "approved"
    assert events(store, "plan_approved")[-1]["participant_id"] == part.id
    # an approved plan: status and evidence still change, its items' titles no more
    page = dom(coord.get(path))
    item_form = form_for(page, f"{path}/plan/items/{first.id}/edit")
    assert item_form.find("input", name="title") is None and item_form.find("select", name="status") is not None
    assert_prg(coord.post(f"{path}/plan/items/{first.id}/edit", {"status": "done",
                                                                  "evidence_url": "https://example.org/done"}), path)
    done = row(store, PlanItem, first.id)
    assert (done.status, done.evidence_url) == ("done", "https://example.org/done")
    before = db_snapshot(store)
    r = coord.post(f"{path}/plan/items/{first.id}/edit", {"title": "Другое", "status": "done"})
    assert r.status_code == 409
    assert db_snapshot(store) == before


def test_the_participant_page_reads_like_a_page_a_head_scans(web, make, store, world, programme, head_of_school,
                                                             coordinator_of_school, curator_orel, member_of_school):
    part = programme["school_part"]
    rnd = programme["round"]
    q = questionnaires.get("readiness")
    first, second = q.sections[0], q.sections[1]
    scores = {i.id: 3 for s in q.sections for i in s.items}
    scores.update({i.id: 2 for i in first.items})
    make.call(P.save_answer, coordinator_of_school.actor, rnd.id, {"org_id": world.school.id, "scores": scores,
                                                                   "submit": True})
    later = make.call(P.open_round, curator_orel.actor, programme["prog"].id, {
        "kind": "other", "title": "Промежуточный анализ", "opens_on": day(0), "closes_on": day(20)})
    better = {**scores, **{i.id: 4 for i in first.items}, **{i.id: 2 for i in second.items}}
    better[second.items[0].id] = 3  # a mean with a fraction: 2⅓ → 2,3
    make.call(P.save_answer, coordinator_of_school.actor, later.id, {"org_id": world.school.id, "scores": better,
                                                                     "submit": True})
    project = make.project(world.school, member_of_school.actor, title="Оптимизация выдачи учебников")
    page = dom(web(head_of_school).get(f"/participants/{part.id}"))
    assert page.one("h1").text == world.school.name
    assert "г. Орёл" in page.text
    funnel = page.one(**{"data-funnel": True})
    assert funnel.one("li", **{"data-step": "coordinator"})["data-done"] == "yes"
    assert funnel.one("li", **{"data-step": "plan"})["data-done"] == "no"
    readiness = page.one(**{"data-readiness": True})
    row_ = readiness.one("tr", **{"data-section": first.id})
    assert row_.one("th").text == first.title.ru  # the section's title, not its id
    cells = [td.text for td in row_.find_all("td")]
    assert cells == ["2", "4", "+2"]
    mean = round((3 + 2 * (len(second.items) - 1)) / len(second.items), 1)
    assert 2 < mean < 3
    second_row = readiness.one("tr", **{"data-section": second.id})
    assert [td.text for td in second_row.find_all("td")] == [
        "3", f"{mean}".replace(".", ","), "−" + f"{round(3 - mean, 1)}".replace(".", ",")]  # decimal comma, a sign
    assert first.id not in readiness.text.replace(f'data-section="{first.id}"', "")
    # the open round's questionnaire, at the other helper's page (a literal path)
    links = readiness.find_all("a", **{"data-fill-round": True})
    assert [a["href"] for a in links] == [f"/rounds/{r}/answer?org_id={world.school.id}" for r in (rnd.id, later.id)]
    projects = page.one(**{"data-projects": True})
    assert projects.one("li", **{"data-project-id": project.id}).one(cls="stage").text == "Диагностика"
    # a curator reads the answers there (and may reopen them)
    read = dom(web(curator_orel).get(f"/participants/{part.id}")).find_all("a", **{"data-open-round": True})
    assert [a["href"] for a in read] == [f"/rounds/{r}/answer?org_id={world.school.id}" for r in (rnd.id, later.id)]
    # the plan's status as a Russian label
    assert ru(page.one(**{"data-plan": True}).one("h2").text)
    assert "draft" not in page.one(**{"data-plan": True}).one("h2").text


def test_a_curator_sees_no_fill_in_link_and_a_municipal_curator_not_another_municipality(
        web, world, programme, curator_orel, curator_of_municipality):
    part = programme["school_part"]
    page = dom(web(curator_orel).get(f"/participants/{part.id}"))
    assert page.find("a", **{"data-fill-round": True}) is None  # only the head or coordinator fills it in
    assert page.find("a", **{"data-open-round": True}) is None  # no answer yet to read
    other = programme["parts"][programme["elsewhere"].id]
    assert web(curator_of_municipality).get(f"/participants/{other.id}").status_code == 404
    assert web(curator_of_municipality).get(f"/participants/{part.id}").status_code == 200


def test_every_participant_form_is_refused_to_the_wrong_people(web, make, store, world, programme, curator_orel,
                                                               coordinator_of_school, head_of_school,
                                                               member_of_school, head_of_other_school, curator_kursk):
    part = programme["school_part"]
    path = f"/participants/{part.id}"
    member = make.call(P.add_member, coordinator_of_school.actor, part.id, {"name": "Сидорова Елена"})
    item = make.call(P.add_plan_item, coordinator_of_school.actor, part.id, {"title": "Провести самоанализ"})
    posts = [(f"{path}/members", {"name": "Кто-то"}), (f"{path}/members/{member.id}/remove", {}),
             (f"{path}/plan/items", {"title": "Чужой пункт"}),
             (f"{path}/plan/items/{item.id}/edit", {"status": "done"}), (f"{path}/plan/submit", {}),
             (f"{path}/plan/approve", {}), (f"{path}/plan/return", {"comment": "Нет"})]
    before = db_snapshot(store)
    for person, status in ((member_of_school, 403), (head_of_other_school, 404), (curator_kursk, 404)):
        b = web(person)
        for url, data in posts:
            assert b.post(url, data).status_code == status, (person.email, url)
    # the head may not decide the plan, the curator may not send it
    assert web(head_of_school).post(f"{path}/plan/approve", {}).status_code == 403
    assert web(head_of_school).post(f"{path}/plan/return", {"comment": "Сами"}).status_code == 403
    assert web(curator_orel).post(f"{path}/plan/submit", {}).status_code == 403
    # the school's people may not add or withdraw participants (another school is outside their scope)
    prog = programme["prog"]
    for url, data, status in (
            (f"/programmes/{prog.id}/participants", {"org_id": str(world.other_school.id), "joined_on": day(0)}, 404),
            (f"/programmes/{prog.id}/participants/bulk", {"kind": "school", "joined_on": day(0)}, 403),
            (f"/programmes/{prog.id}/participants/{part.id}/withdraw", {"reason": "Сами"}, 403)):
        assert web(head_of_school).post(url, data).status_code == status, url
    assert db_snapshot(store) == before
    # and the head sees none of the curator's forms on the participants page
    page = dom(web(head_of_school).get(f"/programmes/{prog.id}/participants"))
    assert [n["data-org-id"] for n in page.find_all("tr", **{"data-org-id": True})] == [str(world.school.id)]
    assert page.find_all("form", **{"data-form": True}) == []


def test_an_empty_plan_is_not_sent_and_the_page_says_why(web, store, programme, coordinator_of_school):
    part = programme["school_part"]
    path = f"/participants/{part.id}"
    before = db_snapshot(store)
    r = web(coordinator_of_school).post(f"{path}/plan/submit", {"comment": ""})
    assert r.status_code == 422
    message = form_for(dom(r), f"{path}/plan/submit").one(cls="error")
    assert ru(message.text) and "пункт" in message.text
    assert db_snapshot(store) == before


def test_a_new_stage_or_a_task_edit_with_bad_input_writes_nothing(web, store, programme, curator_orel,
                                                                  head_of_school):
    prog = programme["prog"]
    first = programme["stages"][0]
    task = P.add_task
    with store.uow() as uow:
        t = task(uow, curator_orel.actor, first.id, {"title": "Назначить координаторов"})
    b = web(curator_orel)
    before = db_snapshot(store)
    r = b.post(f"/programmes/{prog.id}/stages", {"title": "Лишний", "starts_on": day(10), "ends_on": day(1)})
    assert ru(error_in(r, "ends_on", f"/programmes/{prog.id}/stages").text)
    r = b.post(f"/programmes/{prog.id}/tasks/{t.id}/edit", {"title": "", "due_on": "", "responsible": "",
                                                            "status": "open"})
    assert ru(error_in(r, "title", f"/programmes/{prog.id}/tasks/{t.id}/edit").text)
    r = b.post(f"/programmes/{prog.id}/tasks/{t.id}/edit", {"title": "Назначить", "status": "closed"})
    assert ru(error_in(r, "status", f"/programmes/{prog.id}/tasks/{t.id}/edit").text)
    assert web(head_of_school).post(f"/programmes/{prog.id}/tasks/{t.id}/edit",
                                    {"title": "Чужая", "status": "done"}).status_code == 403
    assert db_snapshot(store) == before


ODD_VALUES = ("", " ", "\x00", "abc", "-1", "0", "99999999999999999999", "2026-02-30", "1" * 6000, "<b>x</b>")


def test_odd_input_in_any_programme_form_is_never_a_500(web, make, store, world, programme, curator_orel,
                                                        coordinator_of_school):
    prog = programme["prog"]
    part = programme["school_part"]
    first = programme["stages"][0]
    t = make.call(P.add_task, curator_orel.actor, first.id, {"title": "Назначить координаторов"})
    member = make.call(P.add_member, coordinator_of_school.actor, part.id, {"name": "Сидорова Елена"})
    item = make.call(P.add_plan_item, coordinator_of_school.actor, part.id, {"title": "Провести самоанализ"})
    forms = [
        ("/programmes", ("region_id", "title", "starts_on", "ends_on", "goal", "stages.0.title", "stages.0.starts_on",
                         "stages.0.ends_on")),
        (f"/programmes/{prog.id}/edit", ("title", "starts_on", "ends_on", "status", "version")),
        (f"/programmes/{prog.id}/stages", ("title", "starts_on", "ends_on", "content")),
        (f"/programmes/{prog.id}/stages/{first.id}/edit", ("title", "starts_on", "ends_on")),
        (f"/programmes/{prog.id}/stages/{first.id}/tasks", ("title", "due_on", "responsible", "rule")),
        (f"/programmes/{prog.id}/tasks/{t.id}/edit", ("title", "due_on", "status")),
        (f"/programmes/{prog.id}/rounds", ("kind", "title", "opens_on", "closes_on")),
        (f"/programmes/{prog.id}/participants", ("org_id", "joined_on", "wave")),
        (f"/programmes/{prog.id}/participants/bulk", ("municipality_id", "kind", "joined_on", "wave")),
        (f"/programmes/{prog.id}/participants/{part.id}/withdraw", ("reason", "withdrawn_on")),
        (f"/participants/{part.id}/members", ("user_id", "name", "position")),
        (f"/participants/{part.id}/plan/items", ("title", "due_on", "who", "evidence_url")),
        (f"/participants/{part.id}/plan/items/{item.id}/edit", ("title", "due_on", "status", "evidence_url")),
        (f"/participants/{part.id}/plan/return", ("comment",)),
    ]
    b = web(curator_orel)
    for path, names in forms:
        for odd in ODD_VALUES:
            r = b.post(path, dict.fromkeys(names, odd))
            assert r.status_code < 500, (path, odd[:20], r.status_code)
    assert b.post(f"/participants/{part.id}/members/{member.id}/remove", {}).status_code == 302
    assert b.post(f"/participants/{part.id}/members/{member.id}/remove", {}).status_code == 404
    assert b.post(f"/programmes/{prog.id}/rounds/2147483648/close", {}).status_code == 404


def test_the_list_leads_a_head_to_their_participation_and_a_curator_to_the_tower(web, world, programme,
                                                                                 head_of_school, curator_orel):
    prog = programme["prog"]
    part = programme["school_part"]
    page = dom(web(head_of_school).get("/programmes"))
    tr_ = page.one("tr", **{"data-programme-id": prog.id})
    assert [a["href"] for a in tr_.find_all("a")] == [f"/participants/{part.id}"]  # no tower link: 403 there
    assert ru(tr_.text) and "draft" not in tr_.text
    page = dom(web(curator_orel).get("/programmes"))
    tr_ = page.one("tr", **{"data-programme-id": prog.id})
    assert [a["href"] for a in tr_.find_all("a")] == [f"/programmes/{prog.id}"]


def test_a_decision_on_a_plan_decided_meanwhile_is_said_on_the_page(web, make, store, programme, curator_orel,
                                                                    coordinator_of_school):
    """Two curators open the submitted plan; the first approves it; the second's «Вернуть»
    answers 409 with the engine's message where the form was, nothing written."""
    part = programme["school_part"]
    path = f"/participants/{part.id}"
    make.call(P.add_plan_item, coordinator_of_school.actor, part.id, {"title": "Провести самоанализ"})
    make.call(P.submit_plan, coordinator_of_school.actor, part.id, {})
    make.call(P.approve_plan, curator_orel.actor, part.id, {})
    before = db_snapshot(store)
    r = web(curator_orel).post(f"{path}/plan/return", {"comment": "Доработать"})
    assert r.status_code == 409
    assert ru(form_for(dom(r), f"{path}/plan/return").one(cls="error").text)
    assert db_snapshot(store) == before


def test_the_pages_in_english_and_a_form_without_its_csrf_token(web, store, programme, curator_orel):
    prog = programme["prog"]
    part = programme["school_part"]
    b = web(curator_orel)
    b.post("/locale", {"locale": "en", "next": "/programmes"})
    for path in ("/programmes", f"/programmes/{prog.id}", f"/programmes/{prog.id}/edit",
                 f"/programmes/{prog.id}/participants", f"/participants/{part.id}"):
        r = b.get(path)
        assert r.status_code == 200 and dom(r).one("html")["lang"] == "en", path
    assert "Create a programme" in b.get("/programmes").get_data(as_text=True)
    before = db_snapshot(store)
    assert b.post(f"/programmes/{prog.id}/stages", {"title": "Этап", "starts_on": day(0), "ends_on": day(9)},
                  csrf=False).status_code == 400
    assert db_snapshot(store) == before

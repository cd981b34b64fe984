"""The readiness questionnaire page (issue #13 item 5): /rounds/<id>/answer?org_id=N. The
head or coordinator of the organisation saves a draft and submits (then locked: a second
submit is a 409 page, never a 500); a score out of range or a missing one is named in
place and nothing is written; a curator of the region (or of its municipality) reads it
and returns it for revision; everyone else gets 404."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine import clock
from engine.models import Notification, ReadinessAnswer
from engine.programme import service as P
from engine.programme.questionnaire import get
from tests.web.conftest import db_snapshot, dom

Q = get("readiness")
ITEMS = [i for s in Q.sections for i in s.items]


def day(offset: int) -> str:
    return (clock.today() + timedelta(days=offset)).isoformat()


def all_scores(value: int = 3) -> dict[str, str]:
    return {f"score-{i.id}": str(value) for i in ITEMS}


@pytest.fixture
def setup(make: Any, world: Any, curator_orel: Any, frozen_clock: Any) -> dict[str, Any]:
    """A programme (its initial round open from 60 days ago to 60 days ahead) with the
    school, the other school of the city and a school of another municipality."""
    prog = make.call(P.create_programme, curator_orel.actor, {
        "region_id": world.region.id, "title": "Бережливая школа", "starts_on": day(-60), "ends_on": day(700),
        "stages": [{"title": "Подготовительный", "starts_on": day(-60), "ends_on": day(60)}]})
    mtsensk = make.municipality(world.region, "Мценский район")
    elsewhere = make.org(mtsensk, "МБОУ Мценская СОШ")
    parts = {org.id: make.call(P.add_participant, curator_orel.actor, prog.id,
                               {"org_id": org.id, "joined_on": day(-30)})
             for org in (world.school, world.other_school, elsewhere)}
    rnd = make.call(lambda u: P.rounds_of(u, prog.id))[0]
    return {"prog": prog, "round": rnd, "elsewhere": elsewhere, "mtsensk": mtsensk, "parts": parts,
            "url": f"/rounds/{rnd.id}/answer?org_id={world.school.id}"}


def answer_row(store: Any, round_id: int, org_id: int) -> ReadinessAnswer | None:
    with store.uow() as uow:
        a = uow.session.execute(select(ReadinessAnswer).where(ReadinessAnswer.round_id == round_id,
                                                              ReadinessAnswer.org_id == org_id)).scalars().first()
        if a is not None:
            uow.session.expunge(a)
        return a


def test_the_page_shows_every_item_with_five_described_scores(web, world, setup, coordinator_of_school):
    page = dom(web(coordinator_of_school).get(setup["url"]))
    form = page.one("form", **{"data-answer-form": True})
    assert form["action"] == setup["url"]
    for item in ITEMS:
        group = form.one("fieldset", **{"data-item": item.id})
        assert group.find("legend").text == item.text
        radios = group.find_all("input", type="radio", name=f"score-{item.id}")
        assert [r["value"] for r in radios] == ["1", "2", "3", "4", "5"]
        assert not any(r.has("checked") for r in radios)
        for radio in radios:  # a teacher sees what each score means
            assert radio.parent.text == f"{radio['value']} — {item.descriptors[int(radio['value'])]}"
    deficits = form.one("fieldset", **{"data-question": "deficits"})
    assert [c["value"] for c in deficits.find_all("input", type="checkbox")] == \
        list(next(q for q in Q.questions if q.id == "deficits").options)
    difficulties = form.one("fieldset", **{"data-question": "difficulties"})
    assert difficulties.find_all("input", type="checkbox") == []
    assert difficulties.one("textarea")["name"] == "q-difficulties-text"
    assert [b["value"] for b in form.find_all("button", name="action")] == ["draft", "submit"]
    assert form.one("button", value="submit").get("data-confirm")
    assert page.one(**{"data-answer-status": "none"})


def test_a_draft_is_saved_and_shown_again(web, store, world, setup, coordinator_of_school):
    b = web(coordinator_of_school)
    first, second = ITEMS[0].id, ITEMS[1].id
    r = b.post(setup["url"], {"action": "draft", f"score-{first}": "4", f"score-{second}": "2",
                              "q-deficits": ["Финансирование", "Время на проектную работу"],
                              "q-deficits-text": "Нет проектора\n\n  Мало кабинетов  ",
                              "q-difficulties-text": "Нехватка времени"})
    assert r.status_code == 302 and r.headers["Location"] == setup["url"]
    saved = answer_row(store, setup["round"].id, world.school.id)
    assert saved is not None and saved.status == "draft"
    assert saved.scores == {first: 4, second: 2}
    assert saved.deficits == ["Финансирование", "Время на проектную работу", "Нет проектора", "Мало кабинетов"]
    assert saved.difficulties == ["Нехватка времени"] and saved.needs == []
    page = dom(b.get(setup["url"]))
    assert page.one(**{"data-answer-status": "draft"})
    form = page.one("form", **{"data-answer-form": True})
    assert [r["value"] for r in form.find_all("input", name=f"score-{first}") if r.has("checked")] == ["4"]
    assert [r["value"] for r in form.find_all("input", name=f"score-{second}") if r.has("checked")] == ["2"]
    assert {c["value"] for c in form.find_all("input", name="q-deficits") if c.has("checked")} == \
        {"Финансирование", "Время на проектную работу"}
    other = form.one("textarea", name="q-deficits-text")
    assert other.text == "Нет проектора Мало кабинетов"  # the values not among the options, a line each
    assert form.one("input", name="version")["value"] == str(saved.version)


def test_submit_locks_and_a_second_submit_is_a_conflict_page(web, store, world, setup, coordinator_of_school):
    b = web(coordinator_of_school)
    r = b.post(setup["url"], {"action": "submit", **all_scores(4), "q-needs": ["Вебинары"]})
    assert r.status_code == 302
    saved = answer_row(store, setup["round"].id, world.school.id)
    assert saved is not None and saved.status == "submitted" and saved.needs == ["Вебинары"]
    page = dom(b.get(setup["url"]))
    assert page.find("form", **{"data-answer-form": True}) is None  # read-only
    status = page.one(**{"data-answer-status": "submitted"}).text  # «Отправлено 01.09.2026, Кузнецова Мария»
    assert status.endswith(" 01.09.2026, Кузнецова Мария")
    view = page.one(**{"data-answer-view": True})
    assert len(view.find_all("td", **{"data-score": "4"})) == len(ITEMS)
    assert page.find("form", **{"data-reopen-form": True}) is None  # a coordinator does not reopen
    before = db_snapshot(store)
    again = b.post(setup["url"], {"action": "submit", **all_scores(1)})
    assert again.status_code == 409
    alert = dom(again).one(**{"data-errors": True})
    assert "куратор может вернуть" in alert.text
    assert db_snapshot(store) == before
    assert answer_row(store, setup["round"].id, world.school.id).scores == saved.scores


def test_a_score_of_7_names_the_item_and_writes_nothing(web, store, world, setup, coordinator_of_school):
    b = web(coordinator_of_school)
    before = db_snapshot(store)
    bad = ITEMS[2]
    r = b.post(setup["url"], {"action": "submit", **all_scores(3), f"score-{bad.id}": "7",
                              "q-difficulties-text": "Нехватка времени"})
    assert r.status_code == 422
    assert db_snapshot(store) == before
    page = dom(r)
    group = page.one("fieldset", **{"data-item": bad.id})
    assert group["aria-invalid"] == "true"
    err = page.by_id(group["aria-describedby"])
    assert err is not None and err.text == "Оценка — целое число от 1 до 5"
    summary = page.one(**{"data-errors": True}).one("li", **{"data-error-for": f"item-{bad.id}"})
    assert bad.text in summary.text
    assert {n["data-item"] for n in page.find_all("fieldset", **{"aria-invalid": "true"})} == {bad.id}
    # what was typed is shown again, on the page's own address
    form = page.one("form", **{"data-answer-form": True})
    assert form["action"] == setup["url"]
    assert [x["value"] for x in form.find_all("input", name=f"score-{ITEMS[0].id}") if x.has("checked")] == ["3"]
    assert form.one("textarea", name="q-difficulties-text").text == "Нехватка времени"


def test_submitting_with_unscored_items_names_each_of_them(web, store, world, setup, head_of_school):
    b = web(head_of_school)  # the head writes too
    before = db_snapshot(store)
    partial = {f"score-{i.id}": "5" for i in ITEMS[:-2]}
    r = b.post(setup["url"], {"action": "submit", **partial})
    assert r.status_code == 422
    assert db_snapshot(store) == before
    page = dom(r)
    assert {n["data-item"] for n in page.find_all("fieldset", **{"aria-invalid": "true"})} == \
        {i.id for i in ITEMS[-2:]}
    # the same scores as a draft are fine
    assert b.post(setup["url"], {"action": "draft", **partial}).status_code == 302
    assert answer_row(store, setup["round"].id, world.school.id).status == "draft"


@pytest.mark.parametrize("form", [
    {"action": "draft", "score-lead_vision": "abc"},
    {"action": "draft", "score-lead_vision": "99999999999999999999999"},
    {"action": "draft", "score-no_such_item": "3"},
    {"action": "draft", "version": "x"},
    {"action": "draft", "q-needs-text": "я" * 501},
    {"action": "submit", "score-lead_vision": "\x00"},
])
def test_bad_input_is_a_message_never_a_500(web, store, world, setup, coordinator_of_school, form):
    before = db_snapshot(store)
    r = web(coordinator_of_school).post(setup["url"], form)
    assert r.status_code == 422, r.status_code
    assert dom(r).one(**{"data-errors": True}).text
    assert db_snapshot(store) == before


def test_an_unknown_action_and_a_stale_draft(web, store, world, setup, coordinator_of_school):
    b = web(coordinator_of_school)
    assert b.post(setup["url"], {"action": "explode"}).status_code == 400
    assert b.post(setup["url"], {"action": "draft", "score-lead_vision": "2"}).status_code == 302
    version = answer_row(store, setup["round"].id, world.school.id).version
    again = b.post(setup["url"], {"action": "draft", "score-lead_vision": "3", "version": str(version)})
    assert again.status_code == 302
    before = db_snapshot(store)
    stale = b.post(setup["url"], {"action": "draft", "score-lead_vision": "5", "version": str(version)})
    assert stale.status_code == 409
    page = dom(stale)
    assert page.one(**{"data-errors": True}).text
    assert page.one("input", name="version")["value"] == str(version)  # stays stale until reloaded
    assert db_snapshot(store) == before


def test_who_may_open_the_page(web, make, world, setup, coordinator_of_school, member_of_school,
                               curator_of_municipality, curator_kursk, head_of_other_school):
    url = setup["url"]
    other_coordinator = make.person("coordinator", org=world.other_school, email="coord@school3.ru")
    mtsensk_curator = make.person("curator", municipality=setup["mtsensk"], email="curator@mtsensk.ru")
    for person in (other_coordinator, head_of_other_school, member_of_school, curator_kursk, mtsensk_curator):
        b = web(person)
        assert b.get(url).status_code == 404, person.email
        assert b.post(url, {"action": "draft", **all_scores()}).status_code == 404, person.email
    rid = setup["round"].id
    b = web(coordinator_of_school)
    assert b.get(f"/rounds/{rid}/answer").status_code == 404  # no organisation named
    assert b.get(f"/rounds/{rid}/answer?org_id=abc").status_code == 404
    assert b.get(f"/rounds/{rid}/answer?org_id=99999999999").status_code == 404
    assert b.get(f"/rounds/{rid + 1000}/answer?org_id={world.school.id}").status_code == 404
    assert b.get(f"/rounds/{rid}/answer?org_id={world.other_school.id}").status_code == 404
    assert web().get(url).status_code == 302  # to the login page
    # the city's municipal curator reads it, and may not write
    page = dom(web(curator_of_municipality).get(url))
    assert page.find("form", **{"data-answer-form": True}) is None
    assert page.one(**{"data-answer-view": True})
    r = web(curator_of_municipality).post(url, {"action": "draft", **all_scores()})
    assert r.status_code == 403


def test_a_curator_returns_a_submitted_answer_for_revision(web, store, world, setup, coordinator_of_school,
                                                           curator_orel):
    coord = web(coordinator_of_school)
    assert coord.post(setup["url"], {"action": "submit", **all_scores(2)}).status_code == 302
    cur = web(curator_orel)
    page = dom(cur.get(setup["url"]))
    assert page.one(**{"data-answer-status": "submitted"})
    assert page.find("form", **{"data-answer-form": True}) is None
    reopen = page.one("form", **{"data-reopen-form": True})
    assert reopen["action"] == setup["url"]
    with store.uow() as uow:
        notes = uow.session.execute(select(Notification).where(
            Notification.user_id == coordinator_of_school.id)).scalars().all()
        before_notes = len(notes)
    r = cur.post(setup["url"], {"action": "reopen", "comment": "Уточните оценки по ресурсам"})
    assert r.status_code == 302
    assert answer_row(store, setup["round"].id, world.school.id).status == "draft"
    with store.uow() as uow:
        notes = uow.session.execute(select(Notification).where(
            Notification.user_id == coordinator_of_school.id)).scalars().all()
        assert len(notes) == before_notes + 1
    assert dom(cur.get(setup["url"])).find("form", **{"data-reopen-form": True}) is None
    # a second reopen: the answer is a draft, a conflict page
    assert cur.post(setup["url"], {"action": "reopen"}).status_code == 409
    # the coordinator may change it again, the previous scores prefilled
    form = dom(coord.get(setup["url"])).one("form", **{"data-answer-form": True})
    assert [x["value"] for x in form.find_all("input", name=f"score-{ITEMS[0].id}") if x.has("checked")] == ["2"]
    assert coord.post(setup["url"], {"action": "submit", **all_scores(5)}).status_code == 302
    assert answer_row(store, setup["round"].id, world.school.id).scores[ITEMS[0].id] == 5


def test_a_closed_round_is_read_only(web, make, store, world, setup, coordinator_of_school, curator_orel):
    b = web(coordinator_of_school)
    assert b.post(setup["url"], {"action": "draft", "score-lead_vision": "3"}).status_code == 302
    make.call(P.close_round, curator_orel.actor, setup["round"].id)
    page = dom(b.get(setup["url"]))
    assert page.one(**{"data-note": "closed"})
    assert page.find("form", **{"data-answer-form": True}) is None
    assert page.one("tr", **{"data-item": "lead_vision"}).one("td", **{"data-score": "3"})
    before = db_snapshot(store)
    r = b.post(setup["url"], {"action": "submit", **all_scores()})
    assert r.status_code == 409
    assert "Опрос закрыт" in dom(r).one(**{"data-errors": True}).text
    assert db_snapshot(store) == before


def test_a_withdrawn_participants_answer_is_read_only(web, make, store, world, setup, coordinator_of_school,
                                                      curator_orel):
    make.call(P.withdraw_participant, curator_orel.actor, setup["parts"][world.school.id].id,
              {"reason": "Смена руководства"})
    b = web(coordinator_of_school)
    page = dom(b.get(setup["url"]))
    assert page.one(**{"data-note": "withdrawn"})
    assert page.find("form", **{"data-answer-form": True}) is None
    assert dom(b.get("/board")).find(**{"data-readiness-due": True}) is None
    before = db_snapshot(store)
    r = b.post(setup["url"], {"action": "draft", "score-lead_vision": "3"})
    assert r.status_code == 409
    assert "выбыл" in dom(r).one(**{"data-errors": True}).text
    assert db_snapshot(store) == before


def test_the_board_reminds_a_coordinator_of_the_open_round(web, store, world, setup, coordinator_of_school,
                                                          member_of_school, curator_orel):
    b = web(coordinator_of_school)
    rid = setup["round"].id
    link = dom(b.get("/board")).one(**{"data-readiness-due": str(rid)}).one("a")
    assert link["href"] == setup["url"]
    assert link.text.endswith(" 31.10.2026")  # «Анкета готовности: заполнить до …», the round's end
    assert dom(web(member_of_school).get("/board")).find(**{"data-readiness-due": True}) is None
    assert b.post(setup["url"], {"action": "draft", "score-lead_vision": "3"}).status_code == 302
    assert dom(b.get("/board")).find(**{"data-readiness-due": str(rid)}) is not None  # a draft is not enough
    assert b.post(setup["url"], {"action": "submit", **all_scores()}).status_code == 302
    assert dom(b.get("/board")).find(**{"data-readiness-due": True}) is None

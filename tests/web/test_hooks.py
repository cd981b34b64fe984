"""The page hooks of API.md that scripted browsers and assistive technology rely on, and
the page language (<html lang>)."""
from __future__ import annotations

from typing import Any

import pytest

from engine import services as svc
from tests.web.conftest import add_diagnosis, dom, fire, html_lang

ACTIVE_STATES = ["diagnose", "target", "implement", "standardise", "sustain"]


def _assert_board_hooks(r: Any, expected_cards: set[int]) -> None:
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    page = dom(r)
    containers = page.find_all(data_state=True)
    assert [c["data-state"] for c in containers] == ACTIVE_STATES
    # data-state appears nowhere else (not on cards, finals, filters or scripts)
    assert body.count("data-state") == len(ACTIVE_STATES)
    for c in containers:
        assert c.tag == "ol"
        for card in c.find_all("li", cls="card"):
            assert card.has("data-project-id") and card.has("data-version")
    cards = page.find_all(data_project_id=True)
    assert {int(c["data-project-id"]) for c in cards} == expected_cards
    for card in cards:
        assert card.closest("ol") in containers


def test_board_columns_and_cards(web, make, store, world, member_of_school, head_of_school, curator_orel, admin):
    a = make.project(world.school, member_of_school.actor, title="Питание")
    b_ = make.project(world.school, member_of_school.actor, title="Гардероб")
    add_diagnosis(make, b_.id, member_of_school)
    fire(make, store, b_.id, head_of_school, "to_target")
    c = make.project(world.school, member_of_school.actor, title="Отменённый")
    fire(make, store, c.id, head_of_school, "cancel", "Не актуально")  # final: not on the board
    expected = {a.id, b_.id}
    for who in (member_of_school, head_of_school, curator_orel, admin):
        w = web(who)
        path = f"/board?region_id={world.region.id}" if who is admin else "/board"  # admins: any region
        _assert_board_hooks(w.get(path), expected)
        _assert_board_hooks(w.get(path, htmx=True), expected)
    page = dom(web(member_of_school).get("/board"))
    assert page.one(data_project_id=b_.id).closest("ol")["data-state"] == "target"


def test_board_hooks_with_filters_and_no_cards(web, world, curator_orel, make, member_of_school):
    make.project(world.school, member_of_school.actor)
    w = web(curator_orel)
    _assert_board_hooks(w.get("/board?q=nothing-like-this&stalled=1"), set())
    _assert_board_hooks(w.get("/board?q=nothing-like-this", htmx=True), set())


def test_project_page_shows_the_whole_title_as_text(web, make, world, member_of_school):
    title = ("Оптимизация процесса подготовки и проведения контрольных работ в 5–11 классах "
             "с учётом требований ФГОС, расписания, замен и очередей к копировальному аппарату ") * 3
    title = title.strip()[:300]
    p = make.project(world.school, member_of_school.actor, title=title)
    page = dom(web(member_of_school).get(f"/projects/{p.id}"))
    h1 = page.one("h1", cls="project-title")
    assert h1.text == " ".join(title.split())
    assert [c for c in h1.children if not isinstance(c, str)] == []  # plain text, no markup


def test_approvals_items_carry_request_ids_and_action_buttons(web, make, store, world, member_of_school,
                                                             head_of_school):
    ids = []
    for title in ("Питание", "Гардероб"):
        p = make.project(world.school, member_of_school.actor, title=title)
        add_diagnosis(make, p.id, member_of_school)
        ids.append(fire(make, store, p.id, member_of_school, "to_target").request.id)
    page = dom(web(head_of_school).get("/approvals"))
    items = page.find_all(data_request_id=True)
    assert [int(i["data-request-id"]) for i in items] == ids  # oldest first
    for item in items:
        rid = item["data-request-id"]
        approve = item.one("button", data_action="approve")
        reject = item.one("button", data_action="reject")
        assert approve.closest("form")["action"] == f"/approvals/{rid}/approve"
        assert reject.closest("form")["action"] == f"/approvals/{rid}/reject"
        for button in (approve, reject):
            assert button.get("type", "submit") == "submit"
            assert button.closest("form").get("method") == "post"


def test_login_inputs(web):
    page = dom(web().get("/login"))
    form = page.one("main").one("form")
    assert form.one("input", name="email").get("type") == "email"
    assert form.one("input", name="password").get("type") == "password"
    assert form.one("input", name="csrf_token")["value"] == page.one("meta", name="csrf-token")["content"]


# --- the language --------------------------------------------------------------------------------

@pytest.mark.parametrize("accept", ["en", "en-US,en;q=0.9", "de-DE,de;q=0.8,en;q=0.5", ""])
def test_russian_by_default_whatever_the_browser_asks(web, member_of_school, accept):
    w = web()
    assert html_lang(w.get("/login", headers={"Accept-Language": accept})) == "ru"
    w.sign_in(member_of_school)
    for path in ("/board", "/approvals", "/password"):
        assert html_lang(w.get(path, headers={"Accept-Language": accept})) == "ru"


def test_switching_to_english_is_remembered_for_the_user(web, store, member_of_school, furnished):
    w = web(member_of_school)
    pid = furnished["project"]
    r = w.post("/locale", {"locale": "en", "next": f"/projects/{pid}"})
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/projects/{pid}")
    for path in ("/board", f"/projects/{pid}", "/approvals"):
        r = w.get(path)
        assert html_lang(r) == "en", path
    # the switch offers Russian now
    assert dom(w.get("/board")).find("button", name="locale", value="ru") is not None

    # signed out, the session forgets; a new sign-in (another browser) remembers the user's choice
    w.post("/logout")
    fresh = web()
    assert html_lang(fresh.get("/login")) == "ru"
    fresh.login(member_of_school)
    assert html_lang(fresh.get("/board", headers={"Accept-Language": "ru"})) == "en"

    # and back to Russian
    fresh.post("/locale", {"locale": "ru", "next": "/board"})
    assert html_lang(fresh.get("/board")) == "ru"
    assert html_lang(web(member_of_school).get("/board")) == "ru"


def test_anonymous_switch_and_unknown_locales(web):
    w = web()
    w.get("/login")
    w.post("/locale", {"locale": "en", "next": "/login"})
    assert html_lang(w.get("/login")) == "en"
    w.post("/locale", {"locale": "de", "next": "/login"})
    assert html_lang(w.get("/login")) == "ru"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "", "/\t/evil.example",
                                    "/\\evil.example"])
def test_locale_switch_never_redirects_off_site(web, member_of_school, target):
    w = web(member_of_school)
    r = w.post("/locale", {"locale": "en", "next": target})
    assert r.status_code == 302
    assert r.headers["Location"] == "/board"


def test_locale_form_returns_to_the_current_page(web, member_of_school, furnished):
    w = web(member_of_school)
    pid = furnished["project"]
    page = dom(w.get(f"/projects/{pid}?x=1"))
    form = page.one("form", action="/locale")
    assert form.one("input", name="next")["value"] == f"/projects/{pid}?x=1"


def test_project_page_gate_checklist(web, make, world, member_of_school):
    p = make.project(world.school, member_of_school.actor)
    make.call(svc.add_problem, member_of_school.actor, p.id,
              {"description": "Очередь", "waste": "waiting"})
    page = dom(web(member_of_school).get(f"/projects/{p.id}"))
    items = {li["data-check"]: li for li in page.by_id("gate").find_all("li", data_check=True)}
    assert list(items) == ["current_state_mapped", "problems_listed", "baselines_recorded"]
    assert "met" in items["problems_listed"].classes and items["problems_listed"].find("a") is None
    assert items["current_state_mapped"].one("a")["href"] == "#artefacts"
    assert items["baselines_recorded"].one("a")["href"] == "#metrics"


def test_finished_project_page_and_list(web, make, store, world, member_of_school, head_of_school):
    p = make.project(world.school, member_of_school.actor, title="Отменённый проект")
    fire(make, store, p.id, head_of_school, "cancel", "Не актуально")
    w = web(member_of_school)
    page = dom(w.get(f"/projects/{p.id}"))
    assert page.one("h1", cls="project-title").text == "Отменённый проект"
    assert page.find("form", action=f"/projects/{p.id}/move") is None
    assert page.by_id("gate") is None
    listing = dom(w.get("/projects?state=cancelled"))
    assert listing.find("a", href=f"/projects/{p.id}").text == "Отменённый проект"
    board = dom(w.get("/board"))
    assert board.find(data_project_id=p.id) is None
    assert board.find("a", href=f"/projects?state=cancelled&org_id={world.school.id}") is not None

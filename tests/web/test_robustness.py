"""Odd input never answers 500: ids and numbers beyond the database's integers, digits
that are not ASCII, infinities, and query parameters that collide with url_for's own."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.web.conftest import all_project_posts, db_snapshot, dom, field_error, form_for, project_row

HUGE = "99999999999999999999"
ODD_NUMBERS = [HUGE, "-" + HUGE, "²", "--5", "inf", "nan", "1e400"]


def test_huge_ids_in_paths_are_404(web, member_of_school, furnished):
    w = web(member_of_school)
    assert w.get(f"/projects/{HUGE}").status_code == 404
    for path in (f"/projects/{HUGE}/edit", f"/projects/{HUGE}/comments", f"/projects/{HUGE}/move",
                 f"/metrics/{HUGE}/edit", f"/metrics/{HUGE}/measurements", f"/actions/{HUGE}/status",
                 f"/risks/{HUGE}/status", f"/approvals/{HUGE}/approve", f"/approvals/{HUGE}/reject"):
        assert w.post(path, {"text": "x", "comment": "x"}).status_code == 404, path


@pytest.mark.parametrize("query", ["?_method=POST", "?project_id=5", "?_scheme=x", "?_external=1&_anchor=x",
                                   "?org_id=²", "?org_id=" + HUGE, "?municipality_id=" + HUGE,
                                   "?region_id=" + HUGE, "?page=" + HUGE, "?state=nowhere&q=%00",
                                   "?state=%00&q=a%00b"])
def test_odd_queries_on_the_board_and_lists(web, member_of_school, curator_orel, furnished, query):
    for who in (member_of_school, curator_orel):
        w = web(who)
        for path in ("/board", "/projects"):
            assert w.get(path + query).status_code == 200, (who.email, path)
        assert w.get("/board" + query, htmx=True).status_code == 200


def test_odd_queries_do_not_reach_the_pager_or_the_move_forms(web, make, world, member_of_school):
    for i in range(51):  # two pages
        make.project(world.school, member_of_school.actor, title=f"Проект {i}")
    w = web(member_of_school)
    r = w.get("/projects?_method=POST&page=1&state=diagnose")
    assert r.status_code == 200
    pager = dom(r).one("nav", cls="pager")
    href = pager.one("a")["href"]
    assert "page=2" in href and "state=diagnose" in href and "_method" not in href
    board = dom(w.get("/board?project_id=1&_method=POST&q=Проект"))
    for form in board.find_all("form", action=True):
        assert "_method" not in form["action"] and "project_id=" not in form["action"]


def test_odd_numbers_in_every_form_are_never_a_500(web, store, furnished, member_of_school):
    w = web(member_of_school)
    for name, path, data in all_project_posts(furnished, project_row(store, furnished["project"]).version):
        for key in data:
            for odd in ODD_NUMBERS:
                r = w.post(path, dict(data, **{key: odd}))
                assert r.status_code < 500, (name, key, odd)


@pytest.mark.parametrize("odd", ["inf", "-Infinity", "nan", "1e400"])
def test_infinities_are_not_numbers(web, store, furnished, member_of_school, odd):
    w = web(member_of_school)
    pid = furnished["project"]
    before = db_snapshot(store)
    action = f"/projects/{pid}/metrics"
    r = w.post(action, {"name": "ВПП", "unit": "мин", "direction": "decrease", "baseline": odd})
    assert r.status_code == 422
    page = dom(r)
    field_error(page, "baseline", form_for(page, action))
    action = f"/metrics/{furnished['metric']}/measurements"
    r = w.post(action, {"project_id": str(pid), "value": odd, "measured_on": "2026-08-20"})
    assert r.status_code == 422
    page = dom(r)
    field_error(page, "value", form_for(page, action))
    assert db_snapshot(store) == before


@pytest.mark.parametrize("path_of, data, bad", [
    (lambda ids: f"/projects/{ids['project']}/risks", {"title": "Р", "probability": HUGE, "impact": "2"},
     "probability"),
    (lambda ids: f"/projects/{ids['project']}/team", {"user_id": HUGE, "role_text": ""}, "user_id"),
    (lambda ids: f"/projects/{ids['project']}/actions", {"title": "М", "owner_id": HUGE}, "owner_id"),
    (lambda ids: f"/projects/{ids['project']}/risks", {"title": "Р", "probability": "²", "impact": "2"},
     "probability"),
])
def test_huge_numbers_are_field_errors(web, store, furnished, member_of_school, path_of, data, bad):
    w = web(member_of_school)
    action = path_of(furnished)
    before = db_snapshot(store)
    r = w.post(action, data)
    assert r.status_code == 422
    page = dom(r)
    field_error(page, bad, form_for(page, action))
    assert db_snapshot(store) == before


@pytest.mark.parametrize("version", [HUGE, str(2**31 - 1)])
def test_a_huge_version_is_stale(web, store, furnished, member_of_school, version):
    w = web(member_of_school)
    pid = furnished["project"]
    before = db_snapshot(store)
    r = w.post(f"/projects/{pid}/edit", {"title": "Т", "problem": "П", "goal": "Ц", "version": version})
    assert r.status_code == 409
    r = w.post(f"/projects/{pid}/move", {"trigger": "cancel", "comment": "x", "version": version}, htmx=True)
    assert r.status_code == 409
    assert db_snapshot(store) == before


def test_nul_characters_are_dropped_from_text(web, store, furnished, member_of_school, head_of_school):
    """PostgreSQL text cannot hold NUL: typed (or forged) ones are dropped, never a 500."""
    w = web(member_of_school)
    pid = furnished["project"]
    r = w.post(f"/projects/{pid}/comments", {"text": "до\x00после"})
    assert r.status_code == 302
    assert "допосле" in dom(w.get(f"/projects/{pid}")).by_id("history").text
    r = w.post(f"/projects/{pid}/edit", {"title": "На\x00звание", "problem": "П", "goal": "Ц",
                                         "version": str(project_row(store, pid).version)})
    assert r.status_code == 302
    assert project_row(store, pid).title == "Название"
    r = w.post(f"/projects/{pid}/move", {"trigger": "cancel", "comment": "при\x00чина",
                                         "version": str(project_row(store, pid).version)})
    assert r.status_code == 302
    h = web(head_of_school)
    req_id = dom(h.get("/approvals")).one(data_request_id=True)["data-request-id"]
    assert h.post(f"/approvals/{req_id}/reject", {"comment": "\x00"}).status_code == 422
    assert h.post(f"/approvals/{req_id}/reject", {"comment": "не\x00т"}).status_code == 302
    anon = web()
    anon.get("/login")
    assert anon.post("/login", {"email": "teacher@lyceum1.ru\x00", "password": "x"}).status_code == 401


def test_chart_of_equal_huge_values(web, make, store, furnished, member_of_school):
    # beyond the input bounds (engine/numbers.py) now: stored before them, written with SQL
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE metric SET baseline = 1e20, target = 1e20 WHERE id = :id"),
                     {"id": furnished["metric"]})
    r = web(member_of_school).get(f"/projects/{furnished['project']}")
    assert r.status_code == 200
    assert dom(r).find("svg", cls="mchart") is not None


@pytest.mark.parametrize("query", ["?region_id=²", "?region_id=" + HUGE, "?municipality_id=²",
                                   "?org_id=" + HUGE, "?_method=POST"])
def test_odd_queries_on_the_tower_and_the_export(web, curator_orel, member_of_school, furnished, query):
    w = web(curator_orel)
    assert w.get("/tower" + query).status_code in (200, 404)
    assert web(member_of_school).get("/projects.csv" + query).status_code == 200


@pytest.mark.parametrize("odd", ["²", HUGE, "abc"])
def test_odd_notification_ids_mark_nothing(web, store, member_of_school, odd):
    from engine.services.notifications import notify, unread_count
    from engine.text import Text
    with store.uow() as uow:
        notify(uow.session, member_of_school.id, "stalled", None, Text("Проект остановился", "Project stalled"))
        uow.commit()
    w = web(member_of_school)
    r = w.post("/notifications/read", {"id": odd})
    assert r.status_code == 302
    with store.uow() as uow:
        assert unread_count(uow.session, member_of_school.id) == 1

"""CSRF: every POST of a browser session carries the session's token (form field
``csrf_token`` or header ``X-CSRFToken``); without it, or with a wrong one, the answer is
400 and nothing is written."""
from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import (
    add_diagnosis,
    all_project_posts,
    csrf_of,
    db_snapshot,
    dom,
    fire,
    project_row,
)

BAD_TOKENS = [False, "", "not-the-token"]


def _refused(b: Any, path: str, data: dict[str, Any], csrf: Any, htmx: bool = False) -> None:
    r = b.post(path, data, csrf=csrf, htmx=htmx)
    assert r.status_code == 400, (path, csrf, r.status_code)
    assert r.mimetype == "text/html"


@pytest.mark.parametrize("csrf", BAD_TOKENS)
def test_project_forms_without_the_token_are_refused(web, store, furnished, member_of_school, csrf):
    b = web(member_of_school)
    before = db_snapshot(store)
    for _name, path, data in all_project_posts(furnished, project_row(store, furnished["project"]).version):
        _refused(b, path, data, csrf)
        _refused(b, path, data, csrf, htmx=True)
    _refused(b, "/projects/new", {"org_id": "1", "title": "Т", "problem": "П", "goal": "Ц"}, csrf)
    assert db_snapshot(store) == before


def test_a_token_of_another_session_is_refused(web, store, furnished, member_of_school, head_of_school):
    mine = web(member_of_school)
    other = web(head_of_school)
    assert mine.csrf != other.csrf
    before = db_snapshot(store)
    for _name, path, data in all_project_posts(furnished, project_row(store, furnished["project"]).version):
        _refused(mine, path, data, other.csrf)
    assert db_snapshot(store) == before


def test_the_token_changes_at_sign_in(web, member_of_school):
    b = web()
    anonymous = csrf_of(b.get("/login"))
    b.login(member_of_school)
    assert b.csrf and b.csrf != anonymous
    # the anonymous token no longer works
    r = b.post(f"/projects/{999}/comments", {"text": "x"}, csrf=anonymous)
    assert r.status_code == 400


def test_the_header_token_is_accepted(web, store, furnished, member_of_school):
    """htmx sends the token in X-CSRFToken (hx-headers on <body>)."""
    b = web(member_of_school)
    pid = furnished["project"]
    page = dom(b.get(f"/projects/{pid}"))
    assert b.csrf in page.find("body")["hx-headers"]
    before = db_snapshot(store)["counts"]["comment"]
    r = b.post(f"/projects/{pid}/comments", {"text": "Через htmx"}, csrf=False,
               headers={"X-CSRFToken": b.csrf})
    assert r.status_code == 302
    assert db_snapshot(store)["counts"]["comment"] == before + 1
    r = b.post(f"/projects/{pid}/comments", {"text": "Неверный"}, csrf=False,
               headers={"X-CSRFToken": "wrong"})
    assert r.status_code == 400


@pytest.mark.parametrize("csrf", BAD_TOKENS)
def test_approval_decisions_without_the_token_are_refused(web, make, store, project, member_of_school,
                                                          head_of_school, csrf):
    add_diagnosis(make, project.id, member_of_school)
    req = fire(make, store, project.id, member_of_school, "to_target").request
    b = web(head_of_school)
    before = db_snapshot(store)
    _refused(b, f"/approvals/{req.id}/approve", {"comment": "Да"}, csrf)
    _refused(b, f"/approvals/{req.id}/reject", {"comment": "Нет"}, csrf)
    assert db_snapshot(store) == before
    assert project_row(store, project.id).state == "diagnose"


@pytest.mark.parametrize("csrf", BAD_TOKENS)
def test_admin_forms_without_the_token_are_refused(web, store, world, admin, csrf):
    b = web(admin)
    before = db_snapshot(store)
    _refused(b, "/admin/users", {"email": "x@school.ru", "name": "X", "password": "Secret-123456",
                                 "role": "member", "org_id": str(world.school.id)}, csrf)
    _refused(b, "/admin/grants", {"user_id": str(admin.id), "role": "curator",
                                  "region_id": str(world.region.id)}, csrf)
    _refused(b, f"/admin/users/{admin.id}/password", {"password": "Another-123456"}, csrf)
    _refused(b, "/admin/organizations", {"municipality_id": str(world.municipality.id), "name": "Новая",
                                         "kind": "school"}, csrf)
    assert db_snapshot(store) == before


@pytest.mark.parametrize("csrf", BAD_TOKENS)
def test_account_forms_without_the_token_are_refused(web, store, member_of_school, csrf):
    b = web(member_of_school)
    before = db_snapshot(store)
    _refused(b, "/password", {"current": "Parol-2026!", "new": "Novyi-parol-1", "repeat": "Novyi-parol-1"}, csrf)
    _refused(b, "/locale", {"locale": "en"}, csrf)
    _refused(b, "/logout", {}, csrf)
    assert db_snapshot(store) == before
    # still signed in, still Russian
    r = b.get("/board")
    assert r.status_code == 200
    assert dom(r).find("html")["lang"] == "ru"


@pytest.mark.parametrize("csrf", BAD_TOKENS)
def test_login_without_the_token_is_refused(web, member_of_school, csrf):
    b = web()
    b.get("/login")
    r = b.post("/login", {"email": member_of_school.email, "password": "Parol-2026!"}, csrf=csrf)
    assert r.status_code == 400
    assert b.get("/board").status_code == 302  # not signed in

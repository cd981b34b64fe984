"""Who may open which page and use which form (API.md "Roles and scope"): in scope 200,
anonymous -> /login, outside scope 404 (nothing revealed, nothing written), in scope
without the role 403, administration only for admins."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.models import Comment
from tests.web.conftest import (
    all_project_posts,
    assert_redirects_to_login,
    db_snapshot,
    dom,
    project_forms,
    project_row,
)


def pages_of(ids: dict[str, Any]) -> list[str]:
    pid = ids["project"]
    return ["/board", f"/projects/{pid}", "/projects", "/projects?state=closed", "/projects/new",
            "/approvals", "/password"]


# --- anonymous -----------------------------------------------------------------------------

def test_anonymous_is_sent_to_login_from_every_page(web, furnished):
    b = web()
    for path in pages_of(furnished) + ["/", "/admin/", "/board?region_id=1"]:
        r = b.get(path)
        assert_redirects_to_login(r)
    r = b.get("/board", htmx=True)
    assert_redirects_to_login(r)


def test_anonymous_redirect_remembers_the_page_and_login_returns_there(web, furnished, member_of_school):
    b = web()
    r = b.get(f"/projects/{furnished['project']}")
    assert "next=" in r.headers["Location"]
    login_page = b.get(r.headers["Location"])
    assert login_page.status_code == 200
    r = b.post(r.headers["Location"], {"email": member_of_school.email, "password": "Parol-2026!"})
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/projects/{furnished['project']}")


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "javascript:alert(1)",
                                    "/\t/evil.example", "/\n/evil.example", "/\\evil.example",
                                    "\\\\evil.example"])
def test_login_never_redirects_off_site(web, member_of_school, target):
    b = web()
    b.get("/login")
    r = b.post("/login", {"email": member_of_school.email, "password": "Parol-2026!"},
               query_string={"next": target})
    assert r.status_code == 302
    assert r.headers["Location"] == "/board"


def test_anonymous_posts_with_a_valid_token_are_sent_to_login_and_write_nothing(web, store, furnished):
    b = web()
    b.get("/login")  # an anonymous session with its token
    before = db_snapshot(store)
    for name, path, data in all_project_posts(furnished, 1):
        r = b.post(path, data)
        assert_redirects_to_login(r), name
    for path in ("/approvals/1/approve", "/approvals/1/reject", "/admin/users", "/admin/organizations",
                 "/admin/grants", "/admin/users/1/password", "/projects/new", "/password"):
        r = b.post(path, {"comment": "x", "password": "Secret-123456"})
        assert_redirects_to_login(r), path
    assert db_snapshot(store) == before


# --- the right people get the pages ---------------------------------------------------------

@pytest.mark.parametrize("who", ["member_of_school", "head_of_school"])
def test_school_people_open_every_page(request, web, furnished, who):
    b = web(request.getfixturevalue(who))
    for path in pages_of(furnished):
        r = b.get(path)
        assert r.status_code == 200, (path, r.status_code)
        assert r.mimetype == "text/html"
    assert b.get("/").status_code == 302


def test_board_partial_answers_the_board_only(web, member_of_school, furnished):
    b = web(member_of_school)
    r = b.get("/board", htmx=True)
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "<html" not in body and "<head" not in body
    page = dom(r)
    top = [n for n in page.children if not isinstance(n, str)]
    assert len(top) == 1 and top[0].get("id") == "board"
    assert page.find(data_project_id=furnished["project"]) is not None
    assert "HX-Request" in r.headers.get("Vary", "")


def test_curator_of_the_region_views_everything(web, curator_orel, furnished):
    b = web(curator_orel)
    pid = furnished["project"]
    for path in ("/board", f"/projects/{pid}", "/projects", "/approvals", "/password"):
        r = b.get(path)
        assert r.status_code == 200, (path, r.status_code)
    board = dom(b.get("/board"))
    assert board.find(data_project_id=pid) is not None
    assert dom(b.get("/board", htmx=True)).find(data_project_id=pid) is not None
    page = dom(b.get(f"/projects/{pid}"))
    # a curator sees the card but no editing form; the comment form is there
    # (the card page's forms post to the card's URL and name their own address in data-endpoint)
    actions = {(f.get("data-endpoint") or f.get("action") or "") for f in page.find_all("form")}
    assert f"/projects/{pid}/comments" in actions
    for _name, path, _data in project_forms(furnished, 1):
        assert path not in actions, path


def test_admin_views_any_project_and_the_admin_page(web, admin, furnished):
    b = web(admin)
    assert b.get("/admin/").status_code == 200
    assert b.get(f"/projects/{furnished['project']}").status_code == 200
    assert b.get("/board").status_code == 200


# --- outside the scope: 404, nothing written --------------------------------------------------

@pytest.mark.parametrize("who", ["member_of_other_school", "head_of_other_school", "curator_kursk"])
def test_outside_scope_the_project_does_not_exist(request, web, store, furnished, who):
    b = web(request.getfixturevalue(who))
    pid = furnished["project"]
    assert b.get(f"/projects/{pid}").status_code == 404
    assert b.get("/projects/999999").status_code == 404
    # nor does it show on their board or in their lists
    for path in ("/board", "/projects", "/approvals"):
        assert dom(b.get(path)).find(data_project_id=pid) is None
        assert f"/projects/{pid}\"" not in b.get(path).get_data(as_text=True)

    before = db_snapshot(store)
    for name, path, data in all_project_posts(furnished, project_row(store, pid).version):
        r = b.post(path, data)
        assert r.status_code == 404, (name, r.status_code)
        r = b.post(path, data, htmx=True)
        assert r.status_code == 404, (name, "htmx", r.status_code)
        # the same project's objects posted together with a project of one's own
        if "project_id" in data:
            assert b.post(path, dict(data, project_id="0")).status_code == 404, name
    assert db_snapshot(store) == before


def test_outside_scope_objects_stay_hidden_even_with_an_own_project_id(web, make, world, store, furnished,
                                                                        member_of_other_school):
    """The metric/action/risk forms carry project_id: naming one's own project must not
    turn another school's object into a form error on one's own page."""
    own = make.project(world.other_school, member_of_other_school.actor, title="Свой проект")
    b = web(member_of_other_school)
    before = db_snapshot(store)
    for name, path, data in project_forms(furnished, 1):
        if "project_id" not in data:
            continue
        r = b.post(path, dict(data, project_id=str(own.id)))
        assert r.status_code == 404, (name, r.status_code)
    assert db_snapshot(store) == before


def test_other_region_curator_cannot_comment_or_move(web, store, furnished, curator_kursk):
    b = web(curator_kursk)
    pid = furnished["project"]
    before = db_snapshot(store)
    assert b.post(f"/projects/{pid}/comments", {"text": "Чужой комментарий"}).status_code == 404
    assert b.post(f"/projects/{pid}/move", {"trigger": "to_target", "version": "1"}).status_code == 404
    assert b.post(f"/projects/{pid}/move", {"dest": "target", "version": "1"}, htmx=True).status_code == 404
    assert db_snapshot(store) == before


# --- in scope, without the role: 403 ----------------------------------------------------------

def test_curator_gets_403_on_every_editing_form(web, store, furnished, curator_orel):
    b = web(curator_orel)
    pid = furnished["project"]
    before = db_snapshot(store)
    for name, path, data in project_forms(furnished, project_row(store, pid).version):
        r = b.post(path, data)
        assert r.status_code == 403, (name, r.status_code)
    assert db_snapshot(store) == before


def test_curator_comments(web, store, furnished, curator_orel):
    b = web(curator_orel)
    pid = furnished["project"]
    r = b.post(f"/projects/{pid}/comments", {"text": "Куратор: добавьте карту"})
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/projects/{pid}#history")
    with store.uow() as uow:
        texts = [c.text for c in uow.session.execute(select(Comment).where(Comment.project_id == pid)).scalars()]
    assert texts == ["Куратор: добавьте карту"]
    page = dom(b.get(f"/projects/{pid}"))
    assert "Куратор: добавьте карту" in page.by_id("history").text


def test_curator_forward_move_is_refused_and_writes_nothing(web, store, furnished, curator_orel):
    b = web(curator_orel)
    pid = furnished["project"]
    before = db_snapshot(store)
    r = b.post(f"/projects/{pid}/move", {"trigger": "to_target", "version": "1"}, htmx=True)
    assert r.status_code in (403, 422)
    assert dom(r).find(id="board") is not None
    r = b.post(f"/projects/{pid}/move", {"trigger": "to_target", "version": "1"})
    assert r.status_code == 302
    assert db_snapshot(store) == before


def test_admin_may_not_edit_a_schools_project(web, store, furnished, admin):
    b = web(admin)
    before = db_snapshot(store)
    name, path, data = project_forms(furnished, 1)[0]
    assert b.post(path, data).status_code == 403
    assert db_snapshot(store) == before


# --- the owners use every form ------------------------------------------------------------------

@pytest.mark.parametrize("who", ["member_of_school", "head_of_school"])
def test_school_people_use_every_form(request, web, store, furnished, who):
    b = web(request.getfixturevalue(who))
    pid = furnished["project"]
    for name, path, data in all_project_posts(furnished, 0):
        if name == "edit":
            data = dict(data, version=str(project_row(store, pid).version))
        if name == "move":
            continue  # moves have their own tests
        before = db_snapshot(store)["counts"]["event"]
        r = b.post(path, data)
        assert r.status_code == 302, (name, r.status_code, r.get_data(as_text=True)[:2000])
        assert r.headers["Location"].split("#")[0].endswith(f"/projects/{pid}"), name
        assert db_snapshot(store)["counts"]["event"] == before + 1, name
    assert project_row(store, pid).title == "Новое название"


# --- administration ------------------------------------------------------------------------------

ADMIN_POSTS = [
    ("/admin/users", {"email": "new@lyceum1.ru", "name": "Новый", "password": "Secret-123456", "role": "admin"}),
    ("/admin/grants", {"user_id": "1", "role": "admin"}),
    ("/admin/users/1/password", {"password": "Another-123456"}),
    ("/admin/organizations", {"municipality_id": "1", "name": "МБДОУ №7", "kind": "kindergarten"}),
]


@pytest.mark.parametrize("who", ["member_of_school", "head_of_school", "curator_orel"])
def test_admin_pages_are_403_for_everyone_else(request, web, store, world, admin, who):
    b = web(request.getfixturevalue(who))
    assert b.get("/admin/").status_code == 403
    before = db_snapshot(store)
    for path, data in ADMIN_POSTS:
        r = b.post(path, data)
        assert r.status_code == 403, (path, r.status_code)
    assert db_snapshot(store) == before
    # and the navigation does not offer it
    assert dom(b.get("/board")).find("a", href="/admin/") is None


def test_nav_offers_admin_to_admins(web, admin):
    assert dom(web(admin).get("/admin/")).find("a", href="/admin/") is not None


def test_unknown_pages_are_404_pages_not_tracebacks(web, member_of_school):
    b = web(member_of_school)
    r = b.get("/no-such-page")
    assert r.status_code == 404
    assert r.mimetype == "text/html"
    assert dom(r).find("html") is not None
    assert b.get("/projects/abc").status_code == 404
    assert b.client.delete("/board").status_code in (400, 405)

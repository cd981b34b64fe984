"""The board's HTML kept with the cached board (webui/web/board.py _board_html): a refresh
of an unchanged board is the same page, but never another session's — a withdraw form
carries the session's own CSRF token — and a change shows at once."""
from __future__ import annotations

from typing import Any

from engine import services as svc
from tests.web.conftest import add_diagnosis, dom, fire


def _withdraw_token(page: Any, request_id: int) -> str:
    card = page.one(data_request_id=request_id) if page.find(data_request_id=request_id) else None
    form = (card or page).find("form", action=f"/approvals/{request_id}/withdraw")
    assert form is not None, "no withdraw form on the board"
    return str(form.find("input", name="csrf_token")["value"])


def test_two_sessions_of_one_member_each_get_their_own_token(web, make, store, world, member_of_school):
    p = make.project(world.school, member_of_school.actor)
    add_diagnosis(make, p.id, member_of_school)
    req = fire(make, store, p.id, member_of_school, "to_target", "Карта готова").request
    first, second = web(member_of_school), web(member_of_school)
    for b in (first, second, first, second):  # the second view of each comes from the cache
        page = dom(b.get("/board"))
        assert _withdraw_token(page, req.id) == b.csrf
    assert first.csrf != second.csrf
    htmx = second.get("/board", htmx=True)
    assert _withdraw_token(dom(htmx), req.id) == second.csrf


def test_a_change_shows_on_the_next_refresh(web, make, world, member_of_school):
    p = make.project(world.school, member_of_school.actor, title="Оптимизация питания")
    b = web(member_of_school)
    assert dom(b.get("/board", htmx=True)).one(data_project_id=p.id) is not None
    make.call(svc.update_project, member_of_school.actor, p.id, {"title": "Питание без очередей", "version": 1})
    card = dom(b.get("/board", htmx=True)).one(data_project_id=p.id)
    assert "Питание без очередей" in card.text

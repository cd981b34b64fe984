"""The approvals inbox: the head sees what waits with its evidence, approves (the project
moves) or rejects with a reason; the navigation shows how many wait."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine import services as svc
from engine.models import TransitionRequest
from tests.web.conftest import add_diagnosis, db_snapshot, dom, fire, project_row


def _request(make: Any, store: Any, world: Any, member: Any, title: str = "Оптимизация питания",
             comment: str | None = "Карта и замеры готовы") -> tuple[Any, Any]:
    p = make.project(world.school, member.actor, title=title)
    add_diagnosis(make, p.id, member)
    req = fire(make, store, p.id, member, "to_target", comment).request
    assert req is not None
    return p, req


def _request_row(store: Any, request_id: int) -> TransitionRequest:
    with store.uow() as uow:
        req = uow.session.execute(select(TransitionRequest).where(TransitionRequest.id == request_id)).scalar_one()
        uow.session.expunge(req)
        return req


def _badge(page: Any) -> str | None:
    nav = page.one("header").find("nav")
    badge = nav.find("span", cls="count") if nav else None
    return badge.text if badge else None


def test_head_sees_the_request_with_its_evidence(web, make, store, world, member_of_school, head_of_school):
    p, req = _request(make, store, world, member_of_school)
    page = dom(web(head_of_school).get("/approvals"))
    item = page.one(data_request_id=req.id)
    assert item.one("a", href=f"/projects/{p.id}").text == p.title
    assert "Карта и замеры готовы" in item.text  # the requester's comment
    assert "Иванова Анна" in item.text  # who asks
    assert "Сократить время ожидания" in item.text  # the goal
    checks = item.one("ul", cls="checklist").find_all("li")
    assert len(checks) == 3 and all("met" in li.classes for li in checks)


def test_evidence_is_evaluated_again(web, make, store, world, member_of_school, head_of_school):
    """A metric without a baseline added after the request: the inbox shows the unmet check
    and approving is refused with the reason; nothing moves."""
    p, req = _request(make, store, world, member_of_school)
    make.call(svc.add_metric, member_of_school.actor, p.id, {"name": "Доля довольных", "unit": "%",
                                                             "direction": "increase"})
    w = web(head_of_school)
    item = dom(w.get("/approvals")).one(data_request_id=req.id)
    classes = [li.classes for li in item.one("ul", cls="checklist").find_all("li")]
    assert sum("unmet" in c for c in classes) == 1
    before = db_snapshot(store)
    r = w.post(f"/approvals/{req.id}/approve", {})
    assert r.status_code == 422
    item = dom(r).one(data_request_id=req.id)
    assert item.find(cls="error", role="alert") is not None
    assert db_snapshot(store) == before
    assert project_row(store, p.id).state == "diagnose"


def test_approve_moves_the_project(web, make, store, world, member_of_school, head_of_school):
    p, req = _request(make, store, world, member_of_school)
    w = web(head_of_school)
    r = w.post(f"/approvals/{req.id}/approve", {"comment": "Согласовано"})
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/approvals")
    assert project_row(store, p.id).state == "target"
    row = _request_row(store, req.id)
    assert (row.status, row.decided_by, row.decision_comment) == ("approved", head_of_school.id, "Согласовано")
    page = dom(w.get("/approvals"))
    assert page.find(data_request_id=req.id) is None
    assert page.find("p", cls="flash") is not None
    # deciding again: 409, nothing written
    before = db_snapshot(store)
    assert w.post(f"/approvals/{req.id}/approve", {}).status_code == 409
    assert w.post(f"/approvals/{req.id}/reject", {"comment": "Поздно"}).status_code == 409
    assert db_snapshot(store) == before


def test_reject_needs_a_reason_and_keeps_the_project(web, make, store, world, member_of_school, head_of_school):
    p, req = _request(make, store, world, member_of_school)
    w = web(head_of_school)
    assert w.post(f"/approvals/{req.id}/reject", {"comment": ""}).status_code == 422
    assert _request_row(store, req.id).status == "pending"
    r = w.post(f"/approvals/{req.id}/reject", {"comment": "Нет замеров ВПП"})
    assert r.status_code == 302
    row = _request_row(store, req.id)
    assert (row.status, row.decision_comment) == ("rejected", "Нет замеров ВПП")
    assert project_row(store, p.id).state == "diagnose"
    # the team sees the reason in the project's history
    history = dom(web(member_of_school).get(f"/projects/{p.id}")).by_id("history")
    assert "Нет замеров ВПП" in history.text


def test_nav_count_badge(web, make, store, world, member_of_school, head_of_school, curator_orel):
    assert _badge(dom(web(head_of_school).get("/board"))) is None
    _p1, r1 = _request(make, store, world, member_of_school, "Питание")
    _p2, r2 = _request(make, store, world, member_of_school, "Гардероб")
    w = web(head_of_school)
    for path in ("/board", "/approvals", "/password"):
        assert _badge(dom(w.get(path))) == "2", path
    # only those who may decide are counted
    assert _badge(dom(web(member_of_school).get("/board"))) is None
    assert _badge(dom(web(curator_orel).get("/board"))) is None
    w.post(f"/approvals/{r1.id}/approve", {})
    assert _badge(dom(w.get("/approvals"))) == "1"
    w.post(f"/approvals/{r2.id}/reject", {"comment": "Рано"})
    assert _badge(dom(w.get("/approvals"))) is None


def test_member_and_curator_see_nothing_to_decide_and_get_403(web, make, store, world, member_of_school,
                                                              curator_orel):
    _p, req = _request(make, store, world, member_of_school)
    for who in (member_of_school, curator_orel):
        w = web(who)
        page = dom(w.get("/approvals"))
        assert page.find(data_request_id=True) is None
        before = db_snapshot(store)
        assert w.post(f"/approvals/{req.id}/approve", {}).status_code == 403
        assert w.post(f"/approvals/{req.id}/reject", {"comment": "Нет"}).status_code == 403
        assert db_snapshot(store) == before


@pytest.mark.parametrize("who", ["head_of_other_school", "curator_kursk"])
def test_others_get_404(request, web, make, store, world, member_of_school, who):
    _p, req = _request(make, store, world, member_of_school)
    w = web(request.getfixturevalue(who))
    assert dom(w.get("/approvals")).find(data_request_id=True) is None
    before = db_snapshot(store)
    assert w.post(f"/approvals/{req.id}/approve", {}).status_code == 404
    assert w.post(f"/approvals/{req.id}/reject", {"comment": "Нет"}).status_code == 404
    assert w.post("/approvals/999999/approve", {}).status_code == 404
    assert db_snapshot(store) == before


def test_a_head_moving_their_own_card_needs_no_second_click(web, make, store, world, member_of_school,
                                                             head_of_school):
    p = make.project(world.school, member_of_school.actor)
    add_diagnosis(make, p.id, member_of_school)
    w = web(head_of_school)
    w.post(f"/projects/{p.id}/move", {"trigger": "to_target", "version": str(project_row(store, p.id).version)})
    assert project_row(store, p.id).state == "target"
    assert dom(w.get("/approvals")).find(data_request_id=True) is None

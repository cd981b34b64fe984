"""Requests as the requester's own things (#12 item 2): «Мои запросы» with status and the
decision's comment; withdrawing from there, from the card and from the board; a pending
card offers «Отозвать запрос» instead of moves; the head decides on the card page; a
rejected card says «отклонено» with the reason on the board and the card; a resubmitted
request shows the earlier rejection to the head; the account page mutes e-mail per kind."""
from __future__ import annotations

from typing import Any

from engine import services as svc
from engine.services.notifications import email_mutes
from tests.web.conftest import add_diagnosis, db_snapshot, dom, field_error, fire, project_row


def _asked(make: Any, store: Any, world: Any, member: Any, title: str = "Оптимизация питания") -> tuple[Any, Any]:
    p = make.project(world.school, member.actor, title=title)
    add_diagnosis(make, p.id, member)
    req = fire(make, store, p.id, member, "to_target", "Карта готова").request
    assert req is not None
    return p, req


def test_my_requests_lists_status_and_the_decision(web, make, store, world, member_of_school, head_of_school):
    p1, r1 = _asked(make, store, world, member_of_school)
    p2, r2 = _asked(make, store, world, member_of_school, title="Оптимизация архива")
    make.call(svc.reject_request, head_of_school.actor, r2.id, {"comment": "Нет карты целевого состояния"})
    page = dom(web(member_of_school).get("/my-requests"))
    assert page.one("h1").text == "Мои запросы"
    waiting, rejected = page.one(data_request_id=r1.id), page.one(data_request_id=r2.id)
    assert waiting["data-status"] == "pending" and "на согласовании" in waiting.text
    assert waiting.one("a", href=f"/projects/{p1.id}").text == p1.title
    assert waiting.find("button", data_action="withdraw") is not None
    assert rejected["data-status"] == "rejected" and "отклонено" in rejected.text
    assert "Нет карты целевого состояния" in rejected.text and "Петров Сергей" in rejected.text
    assert rejected.find("button", data_action="withdraw") is None
    # the head's own moves happen at once and ask nobody: an empty page that says why
    p3 = make.project(world.school, head_of_school.actor, title="Оптимизация приёма")
    add_diagnosis(make, p3.id, head_of_school)
    assert fire(make, store, p3.id, head_of_school, "to_target").moved
    empty = dom(web(head_of_school).get("/my-requests"))
    assert empty.find(data_request_id=True) is None and "Вы ещё не запрашивали" in empty.text
    nav = dom(web(member_of_school).get("/board")).one("header").find("nav")
    assert nav.find("a", href="/my-requests") is not None


def test_withdraw_from_my_requests(web, make, store, world, member_of_school):
    p, req = _asked(make, store, world, member_of_school)
    w = web(member_of_school)
    r = w.post(f"/approvals/{req.id}/withdraw", {"back": "mine"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/my-requests")
    item = dom(w.get("/my-requests")).one(data_request_id=req.id)
    assert item["data-status"] == "withdrawn" and "отозван" in item.text


def test_nobody_else_withdraws_on_the_web(web, make, store, world, member_of_school, member_of_other_school):
    colleague = make.person("member", org=world.school)
    p, req = _asked(make, store, world, member_of_school)
    before = db_snapshot(store)
    assert web(colleague).post(f"/approvals/{req.id}/withdraw", {}).status_code == 403
    assert web(member_of_other_school).post(f"/approvals/{req.id}/withdraw", {}).status_code == 404
    assert db_snapshot(store) == before
    card = dom(web(colleague).get(f"/projects/{p.id}"))
    assert card.find("button", data_action="withdraw") is None  # offered only to who may


def test_a_pending_card_offers_withdraw_instead_of_moves(web, make, store, world, member_of_school):
    p, req = _asked(make, store, world, member_of_school)
    w = web(member_of_school)
    card = dom(w.get(f"/projects/{p.id}"))
    panel = card.one(id="request")
    assert "Иванова Анна просит перевести проект на этап «Целевое состояние»" in " ".join(panel.text.split())
    assert panel.find("button", data_action="withdraw") is not None
    assert panel.find("button", data_action="approve") is None  # a member does not decide
    assert card.find("form", cls="move-form") is None
    board_card = dom(w.get("/board")).one("li", data_project_id=p.id)
    assert board_card.find("button", data_action="withdraw") is not None
    assert board_card.find("details", cls="menu") is None
    r = w.post(f"/approvals/{req.id}/withdraw", {"back": "project"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/projects/{p.id}#move")
    card = dom(w.get(f"/projects/{p.id}"))
    assert card.find(id="request") is None and card.find("form", cls="move-form") is not None


def test_the_head_approves_on_the_card_page(web, make, store, world, member_of_school, head_of_school):
    p, req = _asked(make, store, world, member_of_school)
    w = web(head_of_school)
    panel = dom(w.get(f"/projects/{p.id}")).one(id="request")
    assert panel.find("button", data_action="approve") is not None
    assert panel.find("button", data_action="withdraw") is not None  # who decides may withdraw too
    r = w.post(f"/approvals/{req.id}/approve", {"back": "project", "comment": "Хорошо"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/projects/{p.id}#move")
    assert project_row(store, p.id).state == "target"


def test_a_rejection_without_reason_on_the_card_page_says_so_there(web, make, store, world, member_of_school,
                                                                    head_of_school):
    p, req = _asked(make, store, world, member_of_school)
    before = db_snapshot(store)
    r = web(head_of_school).post(f"/approvals/{req.id}/reject", {"back": "project", "comment": " "})
    assert r.status_code == 422
    page = dom(r)
    assert page.one("h1", cls="project-title").text == p.title
    field_error(page, "comment")  # next to the reason's textarea, on the card page
    assert db_snapshot(store) == before


def test_a_rejected_card_shows_the_reason_on_the_card_and_the_board(web, make, store, world, member_of_school,
                                                                     head_of_school):
    p, req = _asked(make, store, world, member_of_school)
    r = web(head_of_school).post(f"/approvals/{req.id}/reject", {"back": "project",
                                                                 "comment": "Нет замеров до изменений"})
    assert r.status_code == 302
    w = web(member_of_school)
    note = dom(w.get(f"/projects/{p.id}")).one(data_rejection=True)
    assert "отклонено" in note.text and "Нет замеров до изменений" in note.text and "Петров Сергей" in note.text
    card = dom(w.get("/board")).one("li", data_project_id=p.id)
    assert card.find("span", cls="rejected").text == "отклонено"
    assert "Нет замеров до изменений" in card.one(data_rejection=True).text
    # asked again: the head sees the earlier rejection in the inbox and on the card
    fire(make, store, p.id, member_of_school, "to_target", "Добавили замеры")
    head = web(head_of_school)
    for page in (dom(head.get("/approvals")), dom(head.get(f"/projects/{p.id}"))):
        earlier = page.one(cls="earlier-rejection")
        assert "Нет замеров до изменений" in earlier.text and "отклонён" in earlier.text
    # the card is no longer «отклонено» while the new request waits
    assert dom(w.get("/board")).one("li", data_project_id=p.id).find("span", cls="rejected") is None


def test_the_account_page_mutes_email_per_kind(web, store, member_of_school):
    w = web(member_of_school)
    page = dom(w.get("/password"))
    boxes = [n for n in page.one(id="email").iter() if n.get("name") == "email"]
    assert len(boxes) >= 12 and all(b.has("checked") for b in boxes)
    keep = [b["value"] for b in boxes if b["value"] not in ("commented", "mentioned")]
    r = w.post("/notifications/settings", {"email": keep})
    assert r.status_code == 302 and r.headers["Location"].endswith("/password#email")
    with store.uow() as uow:
        assert email_mutes(uow, member_of_school.actor) == {"commented", "mentioned"}
    page = dom(w.get("/password"))
    unticked = {b["value"] for b in page.one(id="email").iter() if b.get("name") == "email" and not b.has("checked")}
    assert unticked == {"commented", "mentioned"}


def test_deciding_on_the_card_a_request_withdrawn_meanwhile_says_so_on_the_card(
        web, make, store, world, member_of_school, head_of_school):
    p, req = _asked(make, store, world, member_of_school)
    head = web(head_of_school)
    head.get(f"/projects/{p.id}")  # the head opens the card ...
    make.call(svc.withdraw_request, member_of_school.actor, req.id, {})  # ... the member withdraws
    before = db_snapshot(store)
    r = head.post(f"/approvals/{req.id}/approve", {"back": "project"})
    assert r.status_code == 409
    page = dom(r)
    assert page.one("h1", cls="project-title").text == p.title
    assert "Запрос уже рассмотрен" in page.one(id="project-message").text
    assert db_snapshot(store) == before
    assert project_row(store, p.id).state == "diagnose"

"""The bell: a count in the header, the list, marking read (only one's own)."""
from __future__ import annotations

from engine.services.notifications import notify, unread_count
from engine.text import Text
from tests.web.conftest import dom


def _notify(store, person, text="Проект «Питание» остановился", project_id=None):
    with store.uow() as uow:
        note = notify(uow.session, person.id, "stalled", project_id, Text(text, "Project stalled"))
        uow.commit()
        return note.id


def test_bell_counts_unread_and_the_list_marks_them_read(web, store, head_of_school, member_of_school):
    first = _notify(store, head_of_school)
    _notify(store, head_of_school, "Запрос ждёт согласования 3 дня")
    other = _notify(store, member_of_school, "Чужое уведомление")
    b = web(head_of_school)
    page = dom(b.get("/board"))
    bell = page.one("a", cls="bell")
    assert bell.one("span", cls="count").text == "2"

    listing = dom(b.get("/notifications"))
    items = listing.find_all("li", cls="note")
    assert len(items) == 2 and all("unread" in i.classes for i in items)
    assert "Чужое уведомление" not in listing.text

    r = b.post("/notifications/read", {"id": str(first)})
    assert r.status_code == 302
    with store.uow() as uow:
        assert unread_count(uow.session, head_of_school.id) == 1
    # someone else's id is not touched
    b.post("/notifications/read", {"id": str(other)})
    with store.uow() as uow:
        assert unread_count(uow.session, member_of_school.id) == 1
    b.post("/notifications/read", {})
    with store.uow() as uow:
        assert unread_count(uow.session, head_of_school.id) == 0
    assert dom(b.get("/board")).one("a", cls="bell").find("span", cls="count") is None


def test_notifications_need_login_and_csrf(web, client, store, head_of_school):
    _notify(store, head_of_school)
    assert client.get("/notifications").status_code == 302
    b = web(head_of_school)
    assert b.post("/notifications/read", {}, csrf=False).status_code == 400
    with store.uow() as uow:
        assert unread_count(uow.session, head_of_school.id) == 1

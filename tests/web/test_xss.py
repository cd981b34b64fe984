"""Whatever people type is shown as text: markup and <script> in project fields, names,
comments and artefacts never become elements, and a javascript: URL never becomes a link."""
from __future__ import annotations

from typing import Any

from sqlalchemy import text

from engine import services as svc
from tests.web.conftest import MEASURED_ON, dom, fire

SCRIPT = "<script>alert(1)</script>"
PAYLOAD = SCRIPT + '<img src=x onerror=alert(2)><b onclick="alert(3)">жирный</b>'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
JS_URLS = ["javascript:alert(4)", "  JavaScript:alert(5)", "java\tscript:alert(6)", "data:text/html,<script>"]


def _assert_inert(r: Any, where: str, expect_escaped: bool = True) -> None:
    assert r.status_code in (200, 401, 409, 422), (where, r.status_code)
    body = r.get_data(as_text=True)
    assert SCRIPT not in body, where
    assert "<img src=x" not in body and "<b onclick" not in body, where
    if expect_escaped:
        assert ESCAPED in body, where
    page = dom(r)
    for node in page.iter():
        if node.tag == "script":
            assert node.get("src", "").startswith("/static/"), (where, node)
        assert node.tag not in ("img", "b", "iframe", "object", "embed"), (where, node)
        for name in node.attrs:
            assert not name.startswith("on"), (where, node)
        for name in ("href", "src", "action", "formaction", "hx-get", "hx-post"):
            value = "".join(node.get(name, "").split()).lower()
            if node.tag == "link" and node.get("rel") == "icon" and value == "data:,":
                continue  # the empty favicon of base.html
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (where, node)


def _world_full_of_markup(make: Any, store: Any, world: Any, head: Any) -> tuple[Any, Any, Any]:
    author = make.person("member", org=world.school, email="author@lyceum1.ru", name="Учитель " + PAYLOAD)
    who = author.actor
    p = make.project(world.school, who, title="Проект " + PAYLOAD, problem="Проблема " + PAYLOAD,
                     goal="Цель " + PAYLOAD, sponsor="Заказчик " + PAYLOAD,
                     process_start="Начало " + PAYLOAD, process_end="Конец " + PAYLOAD)
    make.call(svc.update_project, who, p.id, {"leader_id": author.id, "version": 1})
    metric = make.call(svc.add_metric, who, p.id, {"name": "ВПП " + PAYLOAD, "unit": "мин" + SCRIPT[:8],
                                                   "direction": "decrease", "baseline": 50.0, "target": 30.0})
    make.call(svc.record_measurement, who, metric.id, {"value": 45.0, "measured_on": MEASURED_ON})
    make.call(svc.add_problem, who, p.id, {"description": "Проблема " + PAYLOAD, "waste": "motion"})
    make.call(svc.add_action, who, p.id, {"title": "Мероприятие " + PAYLOAD, "due_on": "2026-10-01"})
    make.call(svc.log_risk, who, p.id, {"title": "Риск " + PAYLOAD, "probability": 3, "impact": 3,
                                        "mitigation": "Меры " + PAYLOAD})
    make.call(svc.add_team_member, who, p.id, {"user_id": author.id, "role_text": "Роль " + PAYLOAD})
    make.call(svc.add_comment, who, p.id, {"text": "Комментарий " + PAYLOAD})
    for url in JS_URLS:
        art = make.call(svc.add_artefact, who, p.id, {"kind": "current_state_map", "title": "Карта " + PAYLOAD,
                                                      "url": url.replace("\t", ""), "text": "Текст " + PAYLOAD})
        if "\t" in url:  # refused at input now (a control character); stored before that, still inert
            with store.engine.begin() as conn:
                conn.execute(text("UPDATE artefact SET url = :url WHERE id = :id"), {"url": url, "id": art.id})
    make.call(svc.add_artefact, who, p.id, {"kind": "other", "title": "Ссылка",
                                            "url": 'https://example.org/"><script>alert(7)</script>'})
    req = fire(make, store, p.id, author, "to_target", "Прошу согласовать " + PAYLOAD).request
    assert req is not None
    return author, p, req


def test_markup_is_text_everywhere(web, make, store, world, head_of_school, curator_orel, admin, frozen_clock):
    author, p, req = _world_full_of_markup(make, store, world, head_of_school)
    pages = {
        "board (author)": (author, "/board", False),
        "board partial": (author, "/board", True),
        "project (author)": (author, f"/projects/{p.id}", False),
        "project (head)": (head_of_school, f"/projects/{p.id}", False),
        "project (curator, read-only card)": (curator_orel, f"/projects/{p.id}", False),
        "board (curator)": (curator_orel, "/board", False),
        "approvals (head)": (head_of_school, "/approvals", False),
        "projects list": (author, "/projects", False),
        "projects search": (author, "/projects?q=" + "Проект", False),
        "admin users": (admin, "/admin/", False),
    }
    for where, (who, path, htmx) in pages.items():
        r = web(who).get(path, htmx=htmx)
        assert r.status_code == 200, where
        _assert_inert(r, where)

    # the project page shows each of them as text
    page = dom(web(curator_orel).get(f"/projects/{p.id}"))
    text = page.text
    for prefix in ("Проект ", "Проблема ", "Цель ", "ВПП ", "Риск ", "Меры ", "Комментарий ", "Карта ",
                   "Текст ", "Мероприятие ", "Роль ", "Заказчик ", "Начало ", "Учитель "):
        assert prefix + SCRIPT in text, prefix
    assert page.one("h1", cls="project-title").text == "Проект " + " ".join(PAYLOAD.split())
    # javascript: artefacts are titles only; the https one is a link whose href stays one attribute
    links = [a for a in page.by_id("artefacts").find_all("a")]
    assert [a["href"] for a in links] == ['https://example.org/"><script>alert(7)</script>']


def test_markup_in_messages_and_forms_is_text(web, make, store, world, head_of_school, frozen_clock):
    author, p, req = _world_full_of_markup(make, store, world, head_of_school)
    w = web(author)
    # the gate / waiting messages quote the title
    r = w.post(f"/projects/{p.id}/move", {"trigger": "cancel", "version": "999", "comment": "x"}, htmx=True)
    _assert_inert(r, "stale message")
    r = w.post(f"/projects/{p.id}/move", {"dest": "implement", "version": "2"}, htmx=True)
    _assert_inert(r, "cannot-move message")
    # flashed messages of the plain form
    w.post(f"/projects/{p.id}/move", {"trigger": "to_target", "version": "999"})
    _assert_inert(w.get("/board"), "flash")
    # a refused form shows back what was typed, escaped
    r = w.post(f"/projects/{p.id}/risks", {"title": PAYLOAD, "probability": "9", "impact": "1",
                                           "mitigation": PAYLOAD})
    assert r.status_code == 422
    _assert_inert(r, "risk form re-rendered")
    r = w.post("/projects/new", {"org_id": str(world.school.id), "title": "", "problem": PAYLOAD,
                                 "goal": PAYLOAD})
    assert r.status_code == 422
    _assert_inert(r, "new project re-rendered")
    # the head decides; the rejection reason is shown as text to the team
    h = web(head_of_school)
    r = h.post(f"/approvals/{req.id}/reject", {"comment": "  "})
    _assert_inert(r, "reject re-rendered")
    r = h.post(f"/approvals/{req.id}/reject", {"comment": "Отклонено " + PAYLOAD})
    assert r.status_code == 302
    _assert_inert(w.get(f"/projects/{p.id}"), "project with a rejection")


def test_login_echo_is_text(web):
    w = web()
    w.get("/login")
    r = w.post("/login", {"email": '"><script>alert(1)</script>', "password": "x"})
    assert r.status_code == 401
    _assert_inert(r, "login", expect_escaped=False)
    assert dom(r).one("input", name="email")["value"] == '"><script>alert(1)</script>'

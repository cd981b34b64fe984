"""Fixtures for the server-side web UI tests: an app on the test's migrated database, a
signed-in browser per person (cookies, the session's CSRF token), a tiny HTML tree to
look for hooks and field errors, and a snapshot of the database to prove that a refused
request wrote nothing.

    def test_something(web, member_of_school, project):
        b = web(member_of_school)
        r = b.get(f"/projects/{project.id}")
        page = dom(r)
        assert page.find("h1", cls="project-title").text == project.title

UI strings are translated (Russian by default): assert on structure, hooks, status codes,
field names and on data the test created, never on English wording.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from engine import services as svc
from engine.models import Project, User, metadata
from tests.conftest import PASSWORD

# --- a client of the app (``app`` is tests/conftest.py's, shared with the API tests) --------

@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- a tiny HTML tree (stdlib only) --------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None = None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    # attributes
    def get(self, name: str, default: Any = None) -> Any:
        return self.attrs.get(name, default)

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    def has(self, name: str) -> bool:
        return name in self.attrs

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    # text
    @property
    def text(self) -> str:
        """All text inside, whitespace collapsed."""
        return re.sub(r"\s+", " ", "".join(self._texts())).strip()

    def _texts(self) -> Iterator[str]:
        for c in self.children:
            if isinstance(c, str):
                yield c
            else:
                yield from c._texts()

    # search
    def iter(self) -> Iterator[Node]:
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: Any) -> list[Node]:
        """Descendants by tag, class and attributes (``data_state=True``: present,
        ``name="title"``: equal; underscores stand for dashes)."""
        want = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        out = []
        for n in self.iter():
            if tag is not None and n.tag != tag:
                continue
            if cls is not None and cls not in n.classes:
                continue
            if all((v is True and k in n.attrs) or (v is not True and n.attrs.get(k) == str(v))
                   for k, v in want.items()):
                out.append(n)
        return out

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: Any) -> Node | None:
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: Any) -> Node:
        found = self.find_all(tag, cls, **attrs)
        assert len(found) == 1, f"expected one <{tag} {cls or ''} {attrs}>, found {len(found)}"
        return found[0]

    def by_id(self, ident: str) -> Node | None:
        return self.find(id=ident)

    def closest(self, tag: str | None = None, cls: str | None = None) -> Node | None:
        n = self.parent
        while n is not None:
            if (tag is None or n.tag == tag) and (cls is None or cls in n.classes):
                return n
            n = n.parent
        return None

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, self.stack[-1])
        self.stack[-1].children.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def dom(source: TestResponse | str) -> Node:
    """The parsed page (or partial) of a response or an HTML string."""
    text = source if isinstance(source, str) else source.get_data(as_text=True)
    b = _TreeBuilder()
    b.feed(text)
    b.close()
    return b.root


def html_lang(r: TestResponse) -> str | None:
    html = dom(r).find("html")
    return html.get("lang") if html else None


# --- CSRF and signing in ------------------------------------------------------------------

def csrf_of(source: TestResponse | str) -> str:
    """The CSRF token a page carries (<meta name="csrf-token">)."""
    meta = dom(source).find("meta", name="csrf-token")
    assert meta is not None and meta.get("content"), "the page has no csrf-token meta"
    return meta["content"]


def current_csrf(client: FlaskClient) -> str:
    """The session's CSRF token now (it changes when one signs in): read from a page."""
    r = client.get("/login")
    return csrf_of(r)


def login(client: FlaskClient, person: Any, password: str = PASSWORD) -> str:
    """Sign in through the login form like a browser (for the tests of signing in itself;
    the others use ``Browser.sign_in``); returns the new session's CSRF token."""
    token = csrf_of(client.get("/login"))
    r = client.post("/login", data={"email": person.email, "password": password, "csrf_token": token})
    assert r.status_code == 302, (r.status_code, r.get_data(as_text=True)[:300])
    page = client.get("/board")
    assert page.status_code == 200, page.status_code
    return csrf_of(page)


class Browser:
    """A test client that remembers the page's CSRF token and sends it with forms."""

    def __init__(self, app: Flask):
        self.app = app
        self.client = app.test_client()
        self.csrf: str | None = None

    def _remember(self, r: TestResponse) -> TestResponse:
        if r.mimetype == "text/html":
            meta = dom(r).find("meta", name="csrf-token")
            if meta is not None and meta.get("content"):
                self.csrf = meta["content"]
        return r

    def sign_in(self, person: Any) -> Browser:
        """Signed in as ``person`` by writing the session the login form would start
        (webui/web/auth.py ``start_session``: user, session epoch, locale, a fresh CSRF
        token), without a request or a password hash."""
        with self.app.extensions["leanschool"].uow() as uow:
            user = uow.session.get(User, person.id)
            assert user is not None and user.is_active, f"no active user {person.id}"
            epoch, locale = user.session_epoch, user.locale
        with self.client.session_transaction() as session:
            session.clear()
            session.update(user_id=person.id, epoch=epoch, locale=locale or "ru",
                           csrf_token=secrets.token_urlsafe(32))
            session.permanent = True
            self.csrf = session["csrf_token"]
        return self

    def login(self, person: Any, password: str = PASSWORD) -> Browser:
        """Signed in through the login form (for the tests of signing in itself)."""
        self.csrf = login(self.client, person, password)
        return self

    def get(self, path: str, htmx: bool = False, **kw: Any) -> TestResponse:
        headers = dict(kw.pop("headers", None) or {})
        if htmx:
            headers["HX-Request"] = "true"
        return self._remember(self.client.get(path, headers=headers, **kw))

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool | str = True,
             htmx: bool = False, headers: dict[str, str] | None = None, **kw: Any) -> TestResponse:
        """POST a form; ``csrf=False`` leaves the token out, a string sends that token."""
        data = dict(data or {})
        if csrf is True:
            if self.csrf is None:
                self.get("/login")
            data["csrf_token"] = self.csrf
        elif isinstance(csrf, str):
            data["csrf_token"] = csrf
        hdrs = dict(headers or {})
        if htmx:
            hdrs["HX-Request"] = "true"
        return self._remember(self.client.post(path, data=data, headers=hdrs, **kw))


@pytest.fixture
def web(app: Flask) -> Callable[..., Browser]:
    """``web(person)``: a fresh browser signed in as that person; ``web()``: anonymous.
    (Not called ``browser``: pytest-playwright owns that fixture name.)"""
    def open_(person: Any = None) -> Browser:
        b = Browser(app)
        if person is not None:
            b.sign_in(person)
        return b
    return open_


# --- asserting on pages -------------------------------------------------------------------

def assert_redirects_to_login(r: TestResponse) -> None:
    assert r.status_code == 302, r.status_code
    assert r.headers["Location"].split("?")[0].endswith("/login"), r.headers["Location"]


def field_error(page: Node, name: str, form: Node | None = None) -> Node:
    """The field-error next to the input (or select/textarea) called ``name``, asserting
    the input is marked aria-invalid and points at the message. Returns the message."""
    scope = form or page
    inputs = [n for n in scope.iter() if n.tag in ("input", "select", "textarea")
              and n.get("name") == name and n.get("aria-invalid") == "true"]
    assert len(inputs) == 1, f"expected one aria-invalid field {name!r}, found {len(inputs)}"
    field = inputs[0]
    err_id = field.get("aria-describedby")
    assert err_id, f"{name}: aria-describedby missing"
    err = page.by_id(err_id)
    assert err is not None and "field-error" in err.classes, f"{name}: no .field-error #{err_id}"
    assert err.text, f"{name}: empty message"
    assert err.parent is field.parent, f"{name}: the message is not next to its field"
    return err


def invalid_fields(page: Node) -> set[str]:
    return {n.get("name") for n in page.iter() if n.get("aria-invalid") == "true"}


def form_for(page: Node, action: str) -> Node:
    """The form posting to ``action`` (a path), or the card page's form that does the same
    at the card's own URL (it names that path in data-endpoint)."""
    forms = [f for f in page.find_all("form") if (f.get("action") or "").split("?")[0] == action
             or f.get("data-endpoint") == action]
    assert len(forms) == 1, f"expected one form to {action}, found {len(forms)}"
    return forms[0]


def value_of(form: Node, name: str) -> str:
    node = next(n for n in form.iter() if n.get("name") == name and n.tag in ("input", "textarea", "select"))
    if node.tag == "textarea":
        return "".join(c for c in node.children if isinstance(c, str))
    if node.tag == "select":
        chosen = [o for o in node.find_all("option") if o.has("selected")]
        return chosen[0].get("value", "") if chosen else ""
    return node.get("value", "")


# --- the database, to prove nothing was written --------------------------------------------

def db_snapshot(store: Any) -> dict[str, Any]:
    """Row counts of every table, and each project's (state, version)."""
    with store.uow() as uow:
        s = uow.session
        counts = {t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in metadata.sorted_tables}
        projects = {p.id: (p.state, p.version, p.title) for p in s.execute(select(Project)).scalars()}
    return {"counts": counts, "projects": projects}


def event_count(store: Any) -> int:
    return db_snapshot(store)["counts"]["event"]


def project_row(store: Any, project_id: int) -> Project:
    with store.uow() as uow:
        p = uow.session.get(Project, project_id)
        assert p is not None
        uow.session.expunge(p)
        return p


# --- ready-made projects and evidence (through the engine's services) ----------------------

@pytest.fixture
def project(make: Any, world: Any, member_of_school: Any) -> Any:
    """A fresh project of the school (diagnose), created by its member."""
    return make.project(world.school, member_of_school.actor)


def add_diagnosis(make: Any, project_id: int, who: Any, *, baseline: float = 67.0) -> Any:
    """Current-state map, one problem and a metric with a baseline: `to_target` holds.
    Returns the metric."""
    make.call(svc.add_artefact, who.actor, project_id,
              {"kind": "current_state_map", "title": "Карта текущего состояния",
               "url": "https://example.org/kts"})
    make.call(svc.add_problem, who.actor, project_id,
              {"description": "Учитель тратит время на поиск бланков", "waste": "motion"})
    return make.call(svc.add_metric, who.actor, project_id,
                     {"name": "ВПП подготовки контрольной работы", "unit": "мин",
                      "direction": "decrease", "baseline": baseline})


def fire(make: Any, store: Any, project_id: int, who: Any, trigger: str, comment: str | None = None) -> Any:
    """Fire a trigger through the engine (current version)."""
    version = project_row(store, project_id).version
    body: dict[str, Any] = {"trigger": trigger, "version": version}
    if comment is not None:
        body["comment"] = comment
    return make.call(svc.request_transition, who.actor, project_id, body)


def to_target(make: Any, store: Any, project_id: int, member: Any, head: Any) -> Any:
    """Diagnosis evidence, then the head moves the project to `target` at once."""
    metric = add_diagnosis(make, project_id, member)
    fire(make, store, project_id, head, "to_target")
    assert project_row(store, project_id).state == "target"
    return metric


# --- every POST form of a project ----------------------------------------------------------

MEASURED_ON = "2026-08-20"  # before the frozen clock's today (2026-09-01)


@pytest.fixture
def furnished(make: Any, store: Any, world: Any, member_of_school: Any, frozen_clock: Any) -> dict[str, Any]:
    """A school project with one of everything: metric, action, risk. Returns the ids."""
    p = make.project(world.school, member_of_school.actor, title="Оптимизация выдачи учебников")
    who = member_of_school.actor
    metric = make.call(svc.add_metric, who, p.id, {"name": "ВПП выдачи", "unit": "мин",
                                                  "direction": "decrease", "baseline": 40.0})
    action = make.call(svc.add_action, who, p.id, {"title": "Разметить стеллажи", "due_on": "2026-10-01"})
    risk = make.call(svc.log_risk, who, p.id, {"title": "Нет времени у учителей", "probability": 2, "impact": 3})
    return {"project": p.id, "metric": metric.id, "action": action.id, "risk": risk.id,
            "member": member_of_school.id}


def project_forms(ids: dict[str, Any], version: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, path, valid data) of every form on the project page that changes the project's
    evidence or card. Comments and moves are listed apart (curators may use them)."""
    pid, mid, aid, rid = ids["project"], ids["metric"], ids["action"], ids["risk"]
    return [
        ("edit", f"/projects/{pid}/edit", {"title": "Новое название", "problem": "Проблема", "goal": "Цель",
                                           "version": str(version)}),
        ("metric", f"/projects/{pid}/metrics", {"name": "Доля довольных родителей", "unit": "%",
                                                "direction": "increase", "baseline": "60"}),
        ("metric-edit", f"/metrics/{mid}/edit", {"project_id": str(pid), "baseline": "41", "target": "20"}),
        ("measurement", f"/metrics/{mid}/measurements", {"project_id": str(pid), "value": "30",
                                                         "measured_on": MEASURED_ON}),
        ("problem", f"/projects/{pid}/problems", {"description": "Очередь у библиотеки", "waste": "waiting"}),
        ("action", f"/projects/{pid}/actions", {"title": "Составить график выдачи", "due_on": "2026-10-15"}),
        ("action-status", f"/actions/{aid}/status", {"project_id": str(pid), "status": "done"}),
        ("artefact", f"/projects/{pid}/artefacts", {"kind": "current_state_map", "title": "Карта",
                                                    "url": "https://example.org/map"}),
        ("risk", f"/projects/{pid}/risks", {"title": "Болезнь библиотекаря", "probability": "2", "impact": "2"}),
        ("risk-status", f"/risks/{rid}/status", {"project_id": str(pid), "status": "mitigating"}),
        ("team", f"/projects/{pid}/team", {"user_id": str(ids["member"]), "role_text": "аналитик"}),
    ]


def all_project_posts(ids: dict[str, Any], version: int) -> list[tuple[str, str, dict[str, Any]]]:
    """Every POST a project page offers: the editing forms, comments and a move."""
    pid = ids["project"]
    return project_forms(ids, version) + [
        ("comment", f"/projects/{pid}/comments", {"text": "Хорошая работа"}),
        ("move", f"/projects/{pid}/move", {"trigger": "cancel", "version": str(version),
                                           "comment": "Проект не нужен"}),
    ]

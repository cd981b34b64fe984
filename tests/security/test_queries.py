"""Query strings cannot break a page or an answer (issue #10, item 8):

* ``q`` longer than 500 characters: 422 naming ``q`` on every API list that searches, a
  clear message (never a 500) on every page that searches, 50,000 characters included
  (SQLite refused such LIKE patterns: "LIKE or GLOB pattern too complex");
* ``%``, ``_`` and ``\\`` in ``q`` are matched literally, not as LIKE wildcards;
* a control character (NUL ...) in any query parameter of any GET route: the API answers
  422 naming the parameter, a page reads it as absent; never a 500.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy import select

from engine import practices as P
from engine.errors import ValidationFailed
from engine.models import Project
from engine.search import MAX_QUERY, contains, like_escape, search_text
from engine.services import queries as Q
from tests.api import conftest as api_fixtures
from tests.api.conftest import Api, error_of, fields_of, kursk_project, member_of_kursk  # noqa: F401
from tests.web import conftest as web_fixtures
from tests.web.conftest import Browser, dom, furnished  # noqa: F401

LONG = "я" * 50_000
TITLES = ["Экономия 100% времени", "Экономия 1000 минут", "План_А столовой", "ПланБА столовой",
          "Путь C:\\школа", "Путь C:школа"]

api, web = api_fixtures.api, web_fixtures.web  # the API's and the pages' clients, shared


@pytest.fixture
def titled(make: Any, world: Any, member_of_school: Any) -> dict[str, int]:
    return {t: make.project(world.school, member_of_school.actor, title=t).id for t in TITLES}


# --- the engine's helper -----------------------------------------------------------------------

def test_search_text_bounds_and_cleans() -> None:
    assert search_text(None) is None
    assert search_text("  \x00\x01 ") is None
    assert search_text(" пи\x00та\x1fние ") == "питание"
    assert search_text("я" * MAX_QUERY) == "я" * MAX_QUERY
    with pytest.raises(ValidationFailed) as exc:
        search_text("я" * (MAX_QUERY + 1))
    assert set(exc.value.fields) == {"q"}
    assert like_escape("100%_\\") == "100\\%\\_\\\\"


@pytest.mark.parametrize(("q", "expected"), [
    ("100%", ["Экономия 100% времени"]),
    ("%", ["Экономия 100% времени"]),
    ("_", ["План_А столовой"]),
    ("план_а", ["План_А столовой"]),
    ("C:\\", ["Путь C:\\школа"]),
    ("\\", ["Путь C:\\школа"]),
    ("экономия 100", ["Экономия 100% времени", "Экономия 1000 минут"]),
])
def test_wildcards_are_literal_in_the_engine(store: Any, titled: dict[str, int], member_of_school: Any,
                                             q: str, expected: list[str]) -> None:
    with store.uow() as uow:
        rows, total = Q.list_projects(uow, member_of_school.actor, q=q)
        assert sorted(p.title for p in rows) == sorted(expected), q
        assert total == len(expected)
        # the same condition on its own, as every other search would use it
        found = uow.session.execute(select(Project.title).where(contains((Project.title,), q))).scalars()
        assert sorted(found) == sorted(expected), q


# --- the API ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/projects", "/practices"])
def test_q_beyond_500_characters_is_422_naming_q(api: Api, member_of_school: Any, path: str) -> None:
    assert api.get(path, member_of_school, query={"q": "я" * MAX_QUERY}).status_code == 200
    for q in ("я" * (MAX_QUERY + 1), LONG):
        fields = fields_of(api.get(path, member_of_school, query={"q": q}))
        assert set(fields) == {"q"} and "500" in fields["q"], fields


def test_wildcards_are_literal_in_the_api(api: Api, titled: dict[str, int], member_of_school: Any) -> None:
    def titles(q: str) -> list[str]:
        body = api.ok("GET", "/projects", member_of_school, query={"q": q})
        return sorted(p["title"] for p in body["items"])
    assert titles("100%") == ["Экономия 100% времени"]
    assert titles("_") == ["План_А столовой"]
    assert titles("%_%") == []
    assert len(titles("экономия")) == 2


def test_odd_q_cannot_break_the_practice_search(api: Api, member_of_school: Any) -> None:
    for q in ("%", "_", "\\", "'", '"', "*", "NEAR(", "a & b | !c", ":*", "я" * 499 + "%", "слово " * 83,
              "а" * MAX_QUERY, "питание\u00a0архив", "ё" * 300):
        r = api.get("/practices", member_of_school, query={"q": q})
        assert r.status_code == 200, (q[:20], r.get_json())
    with api.make.store.uow() as uow:  # the engine itself (full-text paths of both databases)
        for q in ("\x00питание", "пи\x01та\x1fние", "\x00" * MAX_QUERY):
            assert P.search(uow, member_of_school.actor, q=q) == ([], 0)


# --- the pages ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/board", "/projects", "/practices"])
def test_a_50000_character_q_is_a_clear_message_on_every_page(web: Any, member_of_school: Any, curator_orel: Any,
                                                              path: str) -> None:
    for who in (member_of_school, curator_orel):
        b = web(who)
        r = b.get(path + "?q=" + quote(LONG))
        assert r.status_code == 422, (path, r.status_code)
        page = dom(r)
        if path == "/practices":  # the catalogue names the field on its own form
            assert any(n.get("name") == "q" and n.get("aria-invalid") == "true" for n in page.iter())
        else:
            message = page.one("li", data_field="q")
            assert "500" in message.text
        assert b.get(path + "?q=" + quote("я" * MAX_QUERY)).status_code == 200
    assert web(curator_orel).get("/board?q=" + quote(LONG), htmx=True).status_code == 422


def test_wildcards_are_literal_on_the_board_and_the_list(web: Any, titled: dict[str, int],
                                                         member_of_school: Any) -> None:
    b = web(member_of_school)
    for path in ("/board", "/projects"):
        text = dom(b.get(path + "?q=" + quote("100%"))).text
        assert "Экономия 100% времени" in text and "Экономия 1000 минут" not in text, path
        text = dom(b.get(path + "?q=_")).text
        assert "План_А столовой" in text and "ПланБА столовой" not in text, path


# --- control characters in any query parameter ---------------------------------------------------------

PARAMS = ("q", "state", "category", "kind", "region_id", "org_id", "municipality_id", "min_effect", "limit",
          "offset", "page", "stalled", "critical", "waiting", "status", "next", "project_id", "year", "format")
ODD = ("\x00", "a\x00b", "\x01", "\x1f", "1\x00")


def _get_routes(app: Flask, prefix_api: bool) -> list[str]:
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.arguments or rule.endpoint == "static":
            continue
        if rule.rule.startswith("/api/") == prefix_api:
            out.append(rule.rule)
    return sorted(out)


def _with_ids(paths: list[str], ids: dict[str, Any]) -> list[str]:
    return paths + [p.format(**ids) for p in (
        "/projects/{project}", "/projects/{project}/passport", "/projects/{project}/report")]


def _health_answer(path: str, r: Any) -> bool:
    """/healthz answers 503 with its JSON report when something is down (here: no scheduler
    has run on the test database); that is its answer, not an error."""
    return path == "/healthz" and r.status_code == 503 and r.get_json()["status"] == "fail"


@pytest.mark.slow  # every page route, three people, every parameter: the suite's longest test
def test_control_characters_in_any_page_query_are_never_a_500(app: Flask, web: Any, furnished: dict[str, Any],  # noqa: F811
                                                              member_of_school: Any, curator_orel: Any,
                                                              admin: Any) -> None:
    paths = _with_ids(_get_routes(app, prefix_api=False), furnished)
    assert {"/board", "/projects", "/projects.csv", "/tower", "/tower.xlsx", "/practices"} <= set(paths)
    for who in (member_of_school, curator_orel, admin):
        b = web(who)
        for path in paths:
            if who is not admin:  # one parameter at a time (the admin sees what the curator sees)
                for name in PARAMS:
                    r = b.get(path + "?" + name + "=%00")
                    assert r.status_code < 500 or _health_answer(path, r), (who.email, path, name, r.status_code)
            for odd in ODD:  # every parameter at once, in its name and its value
                r = b.get(path + "?" + "&".join(f"{quote(n + odd)}={quote(odd)}&{n}={quote(odd)}" for n in PARAMS))
                assert r.status_code < 500 or _health_answer(path, r), (who.email, path, repr(odd), r.status_code)


def test_a_control_character_reads_as_absent_on_pages(web: Any, titled: dict[str, int],
                                                      member_of_school: Any) -> None:
    b = web(member_of_school)
    r = b.get("/projects?state=%00")
    assert r.status_code == 200
    assert all(t in dom(r).text for t in TITLES)  # an empty state filters nothing
    assert "Экономия 100% времени" in dom(b.get("/projects?q=" + quote("100\x00%"))).text
    csv = b.get("/projects.csv?state=%00&q=%01")
    assert csv.status_code == 200 and "Экономия 100% времени" in csv.get_data(as_text=True)


def test_control_characters_in_an_api_query_are_422_naming_the_parameter(
        app: Flask, api: Api, member_of_school: Any, curator_orel: Any, admin: Any) -> None:
    paths = _get_routes(app, prefix_api=True)
    assert {"/api/v1/projects", "/api/v1/practices", "/api/v1/approvals", "/api/v1/organizations"} <= set(paths)
    for who in (member_of_school, curator_orel, admin):
        for path in paths:
            for name in PARAMS:
                for odd in ODD:
                    r = api.get(path + "?" + name + "=" + quote(odd), who)
                    assert set(fields_of(r)) == {name}, (path, name, repr(odd))
            r = api.get(path + "?" + quote("li\x00mit") + "=5", who)
            assert set(fields_of(r)) == {"limit"}, path
    # without a token: 401 first (API.md's order)
    error_of(api.get("/projects?state=%00"), 401, "unauthenticated")


def test_routes_with_ids_keep_404_first(api: Api, member_of_school: Any, curator_orel: Any,
                                        kursk_project: Any, world: Any) -> None:  # noqa: F811
    """An id outside the scope answers 404 whatever the query holds (API.md's order);
    a parameter the route does not read is ignored, one it reads is 422."""
    for path in (f"/projects/{kursk_project.id}", f"/projects/{kursk_project.id}/events", "/practices/999"):
        error_of(api.get(path + "?x=%00", member_of_school), 404, "not_found")
    error_of(api.get(f"/projects/{kursk_project.id}?state=%00", member_of_school), 404, "not_found")
    tower = f"/regions/{world.region.id}/tower"
    assert api.get(tower + "?x=%00", curator_orel).status_code == 200

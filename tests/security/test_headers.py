"""Issue #10, item 8: security headers on every answer (a Content-Security-Policy that
allows no inline script, style or eval, so the templates must carry none), no caching of
pages with personal data, and the session cookie's Secure flag from the environment."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.web.conftest import Browser, csrf_of, dom
from webui import create_app
from webui.security import CSP

TEMPLATES = Path(__file__).resolve().parents[2] / "webui" / "templates"



def directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_secure_headers(r, cached: bool = False) -> None:
    csp = directives(r.headers["Content-Security-Policy"])
    for name in ("default-src", "script-src", "style-src"):
        assert csp[name] == ["'self'"], (name, csp[name])
    assert "'unsafe-inline'" not in r.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in r.headers["Content-Security-Policy"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'self'"]
    assert r.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    if not cached:
        assert r.headers["Cache-Control"] == "no-store"


def assert_no_inline_code(r) -> None:
    """What the CSP would block: inline <script>, on* handlers, style attributes, <style>."""
    for node in dom(r).iter():
        if node.tag == "script":
            assert node.get("src"), "an inline <script>"
        assert node.tag != "style", "an inline <style>"
        for name in node.attrs:
            assert not name.startswith("on"), f"<{node.tag} {name}=...>"
            assert name not in ("style", "hx-on") and not name.startswith("hx-on:"), f"<{node.tag} {name}=...>"
        trigger = node.get("hx-trigger") or ""
        assert "[" not in trigger, f"an hx-trigger filter is evaluated code: {trigger}"


def test_the_policy_allows_nothing_inline():
    csp = directives(CSP)
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]


def test_anonymous_pages_carry_the_headers(app):
    client = app.test_client()
    for path in ("/login", "/no-such-page"):
        r = client.get(path)
        assert_secure_headers(r)
    assert_no_inline_code(client.get("/login"))


def test_signed_in_pages_carry_the_headers_and_no_inline_code(app, make, world, member_of_school, admin,
                                                              curator_orel):
    project = make.project(world.school, member_of_school.actor)
    member = Browser(app).sign_in(member_of_school)
    for path in ("/board", f"/projects/{project.id}", "/password", "/notifications", "/practices",
                 "/approvals", "/projects/new", f"/projects/{project.id}/passport"):
        r = member.get(path)
        assert r.status_code == 200, path
        assert_secure_headers(r)
        assert_no_inline_code(r)
    r = member.get("/board", htmx=True)  # the board's own refresh (htmx fragment)
    assert_secure_headers(r)
    assert_no_inline_code(r)
    for who, paths in ((admin, ("/admin/",)), (curator_orel, ("/board", "/tower"))):
        b = Browser(app).sign_in(who)
        for path in paths:
            r = b.get(path)
            assert r.status_code == 200, path
            assert_secure_headers(r)
            assert_no_inline_code(r)


def test_exports_and_the_api_are_not_cached(app, make, world, member_of_school):
    make.project(world.school, member_of_school.actor)
    token = make.token(member_of_school)
    client = app.test_client()
    r = client.get("/api/v1/projects", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert_secure_headers(r)
    assert_secure_headers(client.get("/api/v1/projects"))  # 401
    member = Browser(app).sign_in(member_of_school)
    r = member.get("/projects.csv")
    assert r.status_code == 200
    assert_secure_headers(r)


def test_static_files_may_be_cached(app):
    r = app.test_client().get("/static/app.css")
    assert r.status_code == 200
    assert_secure_headers(r, cached=True)
    assert r.headers.get("Cache-Control") != "no-store"


def test_templates_carry_no_inline_code():
    """Every template, including the ones a page test above does not reach."""
    bad = re.compile(r"<script(?![^>]*\bsrc=)|<style|\son[a-z]+=|\sstyle=|hx-on|hx-trigger=\"[^\"]*\[|js:",
                     re.IGNORECASE)
    found = [(p.name, m.group(0)) for p in TEMPLATES.rglob("*.html") for m in bad.finditer(p.read_text())]
    assert found == []


def test_htmx_may_not_evaluate_code():
    base = (TEMPLATES / "base.html").read_text()
    assert '"allowEval":false' in base and '"includeIndicatorStyles":false' in base


# --- the session cookie --------------------------------------------------------------------------

def _cookie_after_sign_in(app, person) -> str:
    client = app.test_client()
    token = csrf_of(client.get("/login"))
    r = client.post("/login", data={"email": person.email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    return next(v for v in r.headers.getlist("Set-Cookie") if v.startswith("session="))


@pytest.mark.parametrize("value, secure", [("true", True), ("1", True), ("false", False), ("", False), (None, False)])
def test_session_cookie_secure_comes_from_the_environment(db_url, monkeypatch, member_of_school, value, secure):
    if value is None:
        monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    else:
        monkeypatch.setenv("SESSION_COOKIE_SECURE", value)
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test", "AUTO_MIGRATE": False})
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is secure
        cookie = _cookie_after_sign_in(app, member_of_school)
        assert ("; Secure" in cookie) is secure
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        app.extensions["leanschool"].dispose()


def test_a_config_key_wins_over_the_environment(db_url, monkeypatch):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test", "AUTO_MIGRATE": False,
                      "SESSION_COOKIE_SECURE": False})
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is False
    finally:
        app.extensions["leanschool"].dispose()

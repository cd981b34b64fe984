"""Signing in and out, the slow-down after repeated failures, the session cookie, and
changing one's password."""
from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD
from tests.web.conftest import (
    assert_redirects_to_login,
    csrf_of,
    db_snapshot,
    dom,
    field_error,
    invalid_fields,
    login,
)

NEW_PASSWORD = "Novyi-parol-2026"


def _try(w: Any, email: str, password: str) -> Any:
    if w.csrf is None:
        w.get("/login")
    return w.post("/login", {"email": email, "password": password})


def _error(r: Any) -> str:
    err = dom(r).one("main").find(cls="error", role="alert")
    assert err is not None and err.text
    return err.text


def test_sign_in_and_out(web, member_of_school):
    w = web()
    r = _try(w, member_of_school.email, PASSWORD)
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/board")
    r = w.get("/board")
    assert r.status_code == 200
    assert "Иванова Анна" in dom(r).one("header").text
    r = w.post("/logout")
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/login")
    assert_redirects_to_login(w.get("/board"))
    assert w.client.get("/logout").status_code == 405


def test_email_is_case_insensitive(web, member_of_school):
    w = web()
    assert _try(w, "  Teacher@Lyceum1.RU ", PASSWORD).status_code == 302


def test_wrong_password_is_401_with_a_message(web, store, member_of_school):
    w = web()
    before = db_snapshot(store)
    r = _try(w, member_of_school.email, "wrong-password")
    assert r.status_code == 401
    assert _error(r)
    page = dom(r)
    assert page.one("input", name="email")["value"] == member_of_school.email
    assert page.one("input", name="password").get("value", "") == ""  # never echoed
    r = _try(w, "nobody@nowhere.ru", PASSWORD)
    assert r.status_code == 401
    after = db_snapshot(store)  # nothing written but the two failures the throttle counts
    assert after["counts"].pop("login_attempt") == before["counts"].pop("login_attempt") + 2
    assert after == before
    assert_redirects_to_login(w.get("/board"))


def test_inactive_user_cannot_sign_in_and_is_signed_out(web, store, member_of_school):
    from engine.models import User
    w = web(member_of_school)
    with store.uow() as uow:
        uow.session.get(User, member_of_school.id).is_active = False
        uow.commit()
    assert_redirects_to_login(w.get("/board"))
    assert _try(web(), member_of_school.email, PASSWORD).status_code == 401


def test_repeated_failures_are_slowed_down(web, frozen_clock, member_of_school, head_of_school):
    w = web()
    messages = []
    for _ in range(5):
        r = _try(w, member_of_school.email, "wrong-password")
        assert r.status_code == 401
        messages.append(_error(r))
    assert len(set(messages)) == 1  # five plain "wrong password" answers
    # the sixth is refused even with the right password, with a wait message (seconds)
    r = _try(w, member_of_school.email, PASSWORD)
    assert r.status_code in (401, 429)
    wait = _error(r)
    assert wait != messages[0]
    assert any(ch.isdigit() for ch in wait)
    assert_redirects_to_login(w.get("/board"))
    # from another browser too (same address, same account)
    assert _try(web(), member_of_school.email, PASSWORD).status_code in (401, 429)
    # another account from the same address is not held up
    assert _try(web(), head_of_school.email, PASSWORD).status_code == 302

    # once the wait is over, the right password works again (and the count starts afresh)
    frozen_clock.advance(minutes=10)
    r = _try(w, member_of_school.email, PASSWORD)
    assert r.status_code == 302
    assert _try(web(), member_of_school.email, "wrong-password").status_code == 401
    assert _error(_try(web(), member_of_school.email, "wrong-password")) == messages[0]


def test_the_wait_grows_with_more_failures(web, store, frozen_clock, member_of_school):
    from engine.services import throttle
    w = web()
    for _ in range(5):
        _try(w, member_of_school.email, "wrong-password")
    waits = []
    for _ in range(3):
        with store.uow() as uow:
            waits.append(throttle.wait_seconds(uow, member_of_school.email, "127.0.0.1"))
        frozen_clock.advance(seconds=waits[-1] + 1)  # wait it out, then fail again
        assert _try(w, member_of_school.email, "wrong-password").status_code == 401
    assert waits[0] > 0 and waits[0] < waits[1] < waits[2] <= throttle.MAX_DELAY


def test_session_cookie_is_httponly_and_samesite_lax(web, member_of_school):
    w = web()
    w.get("/login")
    r = _try(w, member_of_school.email, PASSWORD)
    cookies = r.headers.getlist("Set-Cookie")
    session = [c for c in cookies if c.startswith("session=")]
    assert session, cookies
    attrs = {a.strip().split("=")[0].lower(): a.strip() for a in session[0].split(";")[1:]}
    assert "httponly" in attrs
    assert attrs.get("samesite", "").lower() == "samesite=lax"


def test_sign_in_starts_a_new_session(web, member_of_school):
    """Session fixation: the anonymous session's token does not survive signing in."""
    w = web()
    anonymous = csrf_of(w.get("/login"))
    _try(w, member_of_school.email, PASSWORD)
    assert csrf_of(w.get("/board")) != anonymous


# --- password change --------------------------------------------------------------------------

def test_password_page(web, member_of_school):
    page = dom(web(member_of_school).get("/password"))
    form = next(f for f in page.one("main").find_all("form", method="post") if not f.get("action"))
    for name in ("current", "new", "repeat"):
        assert form.one("input", name=name)["type"] == "password"


def test_wrong_current_password_is_a_field_error(web, store, member_of_school):
    w = web(member_of_school)
    before = db_snapshot(store)
    r = w.post("/password", {"current": "not-my-password", "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert r.status_code == 422
    page = dom(r)
    field_error(page, "current")
    assert invalid_fields(page) == {"current"}
    # passwords are never echoed back
    for name in ("current", "new", "repeat"):
        assert page.one("input", name=name).get("value", "") == ""
    assert db_snapshot(store) == before


def test_short_or_mismatched_new_password(web, store, member_of_school):
    w = web(member_of_school)
    before = db_snapshot(store)
    r = w.post("/password", {"current": PASSWORD, "new": "short", "repeat": "short"})
    assert r.status_code == 422
    field_error(dom(r), "new")
    r = w.post("/password", {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD + "x"})
    assert r.status_code == 422
    field_error(dom(r), "repeat")
    assert db_snapshot(store) == before


def test_password_change_works(web, member_of_school, client):
    w = web(member_of_school)
    r = w.post("/password", {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert r.status_code == 302
    assert w.get("/board").status_code == 200  # still signed in
    w.post("/logout")
    assert _try(web(), member_of_school.email, PASSWORD).status_code == 401
    login(client, member_of_school, NEW_PASSWORD)
    assert client.get("/board").status_code == 200


def test_password_page_needs_sign_in(web):
    w = web()
    assert_redirects_to_login(w.get("/password"))

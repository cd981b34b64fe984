"""Sessions that end (issue 10, item 5): a browser session carries the user's session epoch;
signing out, a password change or reset, a deactivation and a role removed raise it, so a
session cookie copied before any of them is refused after it (as a page and on the API),
whichever browser holds it. A deactivated user's API tokens answer 401 until the user is
activated again (deactivation keeps the tokens; `token revoke` ends them for good).

Two test clients stand for the user's browser and a thief's: the thief gets a copy of the
session cookie before the event."""
from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.models import Event, User
from engine.policy import SYSTEM
from engine.services import admin as admin_svc
from engine.services.accounts import actor_for_session
from tests.api.conftest import API, Api, error_of
from tests.conftest import PASSWORD
from tests.web import conftest as web_fixtures
from tests.web.conftest import Browser, assert_redirects_to_login, db_snapshot

web = web_fixtures.web  # the web tests' signed-in browsers (the app is tests/conftest.py's)

NEW_PASSWORD = "Svezhii-parol-77"


def thief_of(app: Flask, victim: Browser) -> Browser:
    """A second browser holding a copy of the victim's session cookie."""
    cookie = victim.client.get_cookie("session")
    assert cookie is not None, "the victim is not signed in"
    thief = Browser(app)
    thief.client.set_cookie("session", cookie.value)
    return thief


def signed_in(b: Browser) -> bool:
    """Whether the browser's session counts: the board page, and the API through the cookie."""
    page = b.client.get("/board")
    me = b.client.get(f"{API}/me")
    assert (page.status_code == 200) == (me.status_code == 200), (page.status_code, me.status_code)
    if page.status_code != 200:
        assert_redirects_to_login(page)
        error_of(me, 401, "unauthenticated")
    return page.status_code == 200


def events(store: Any, kind: str) -> list[Event]:
    with store.uow() as uow:
        rows = list(uow.session.execute(select(Event).where(Event.kind == kind).order_by(Event.id)).scalars())
        for r in rows:
            uow.session.expunge(r)
        return rows


def epoch_of(store: Any, user_id: int) -> int:
    with store.uow() as uow:
        return uow.session.get(User, user_id).session_epoch


# --- every event that ends the sessions --------------------------------------------------------

def test_a_copied_cookie_works_until_the_event(app, web, member_of_school):
    w = web(member_of_school)
    thief = thief_of(app, w)
    assert signed_in(thief)  # the copy is as good as the original: that is the threat
    assert signed_in(w)


def test_sign_out_ends_a_copied_cookie(app, web, store, member_of_school):
    w = web(member_of_school)
    thief = thief_of(app, w)
    before = epoch_of(store, member_of_school.id)
    assert w.post("/logout").status_code == 302
    assert not signed_in(thief)
    assert not signed_in(w)
    assert epoch_of(store, member_of_school.id) == before + 1
    [ev] = events(store, "signed_out")
    assert ev.actor_id == member_of_school.id and ev.payload == {"user_id": member_of_school.id}


def test_sign_out_ends_the_other_devices_too(app, web, member_of_school):
    phone, desktop = web(member_of_school), web(member_of_school)
    assert signed_in(phone) and signed_in(desktop)
    desktop.post("/logout")
    assert not signed_in(phone)
    assert signed_in(web(member_of_school))  # signing in again works


def test_sign_out_of_an_ended_session_writes_nothing(app, web, store, member_of_school):
    w = web(member_of_school)
    thief = thief_of(app, w)
    w.post("/logout")
    assert thief.post("/logout", csrf=False).status_code in (302, 400)  # no session: nothing to end
    assert len(events(store, "signed_out")) == 1


def test_password_change_ends_a_copied_cookie_but_not_this_browser(app, web, store, member_of_school):
    w = web(member_of_school)
    thief = thief_of(app, w)
    r = w.post("/password", {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert r.status_code == 302
    assert signed_in(w)  # the person who changed it stays signed in, with a new cookie
    assert w.client.get_cookie("session").value != thief.client.get_cookie("session").value
    assert not signed_in(thief)
    [ev] = events(store, "password_changed")
    assert ev.payload == {"user_id": member_of_school.id}


def test_a_refused_password_change_ends_nothing(app, web, store, member_of_school):
    w = web(member_of_school)
    thief = thief_of(app, w)
    r = w.post("/password", {"current": "wrong-one", "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert r.status_code == 422
    assert signed_in(thief) and epoch_of(store, member_of_school.id) == 0


def test_admin_reset_ends_a_copied_cookie(app, web, store, admin, member_of_school):
    victim = web(member_of_school)
    thief = thief_of(app, victim)
    assert web(admin).post(f"/admin/users/{member_of_school.id}/password",
                           {"password": NEW_PASSWORD}).status_code == 302
    assert not signed_in(thief)
    assert not signed_in(victim)


def test_an_admin_resetting_their_own_password_stays_signed_in(app, web, admin):
    w = web(admin)
    thief = thief_of(app, w)
    assert w.post(f"/admin/users/{admin.id}/password", {"password": NEW_PASSWORD}).status_code == 302
    assert signed_in(w)
    assert not signed_in(thief)


def test_deactivation_ends_a_copied_cookie_and_reactivation_does_not_revive_it(app, web, store, admin,
                                                                                 member_of_school):
    victim = web(member_of_school)
    thief = thief_of(app, victim)
    a = web(admin)
    assert a.post(f"/admin/users/{member_of_school.id}/deactivate").status_code == 302
    assert not signed_in(thief) and not signed_in(victim)
    assert a.post(f"/admin/users/{member_of_school.id}/activate").status_code == 302
    assert not signed_in(thief)  # the epoch was raised: the old cookie stays dead
    assert signed_in(web(member_of_school))  # the person signs in again


def test_role_removal_ends_a_copied_cookie(app, web, store, admin, world, member_of_school):
    make_grant = admin_svc.grant_role
    with store.uow() as uow:  # a second role, so that the person still has one afterwards
        make_grant(uow, SYSTEM, member_of_school.id, "member", org_id=world.other_school.id)
    victim = web(member_of_school)
    thief = thief_of(app, victim)
    r = web(admin).post(f"/admin/users/{member_of_school.id}/roles/revoke",
                        {"role": "member", "org_id": str(world.other_school.id)})
    assert r.status_code == 302
    assert not signed_in(thief) and not signed_in(victim)
    fresh = web(member_of_school)
    assert fresh.client.get(f"{API}/me").get_json()["roles"] == [
        {"role": "member", "org_id": world.school.id, "region_id": None}]


def test_sessions_of_other_users_are_untouched(app, web, member_of_school, head_of_school):
    head = web(head_of_school)
    web(member_of_school).post("/logout")
    assert signed_in(head)


# --- the session itself ----------------------------------------------------------------------------

def _forged(app: Flask, **values: Any) -> Browser:
    b = Browser(app)
    with b.client.session_transaction() as s:
        s.update(values)
    return b


def test_a_session_with_another_epoch_is_refused(app, store, member_of_school):
    # what a cookie signed in before a raise looks like (the secret key signs the epoch:
    # nobody can raise their own)
    assert signed_in(_forged(app, user_id=member_of_school.id, epoch=0))
    assert not signed_in(_forged(app, user_id=member_of_school.id, epoch=1))
    assert not signed_in(_forged(app, user_id=member_of_school.id, epoch="0"))
    assert not signed_in(_forged(app, user_id=str(member_of_school.id), epoch=0))
    assert not signed_in(_forged(app, user_id=2**40, epoch=0))


def test_a_session_from_before_epochs_counts_until_the_first_raise(app, web, store, member_of_school):
    legacy = _forged(app, user_id=member_of_school.id)  # signed in before this release: no epoch
    assert signed_in(legacy)
    web(member_of_school).post("/logout")
    assert not signed_in(legacy)


def test_an_ended_session_writes_nothing_even_with_its_csrf_token(app, web, store, world, member_of_school):
    w = web(member_of_school)
    thief = thief_of(app, w)
    assert thief.get("/projects/new").status_code == 200  # the thief has the session's CSRF token too
    form = {"org_id": str(world.school.id), "title": "Чужой проект", "problem": "П", "goal": "Ц"}
    w.post("/logout")
    before = db_snapshot(store)
    r = thief.post("/projects/new", form)
    assert r.status_code in (302, 400), r.status_code
    if r.status_code == 302:
        assert_redirects_to_login(r)
    r = thief.client.post(f"{API}/projects", json={"org_id": world.school.id, "title": "T", "problem": "P",
                                                   "goal": "G"}, headers={"X-CSRFToken": thief.csrf or ""})
    error_of(r, 401, "unauthenticated")
    assert db_snapshot(store) == before


def test_actor_for_session_refuses_inactive_users(store, member_of_school):
    with store.uow() as uow:
        assert actor_for_session(uow, member_of_school.id, 0) is not None
        admin_svc.deactivate_user(uow, SYSTEM, member_of_school.id)
    with store.uow() as uow:
        assert actor_for_session(uow, member_of_school.id, 0) is None
        assert actor_for_session(uow, member_of_school.id, 1) is None  # raised, and inactive
        admin_svc.activate_user(uow, SYSTEM, member_of_school.id)
    with store.uow() as uow:
        assert actor_for_session(uow, member_of_school.id, 1) is not None
        assert actor_for_session(uow, None, 0) is None
        assert actor_for_session(uow, True, 0) is None


# --- API tokens of a deactivated user -------------------------------------------------------------

def test_a_deactivated_users_token_is_401_and_works_again_after_activation(app, make, store, admin,
                                                                            member_of_school):
    api = Api(app, make)
    assert api.get("/me", as_=member_of_school).status_code == 200
    make.call(admin_svc.deactivate_user, admin.actor, member_of_school.id)
    error_of(api.get("/me", as_=member_of_school), 401, "unauthenticated")
    error_of(api.get("/projects", as_=member_of_school), 401, "unauthenticated")
    make.call(admin_svc.activate_user, admin.actor, member_of_school.id)
    assert api.get("/me", as_=member_of_school).status_code == 200  # the same token


def test_a_token_keeps_working_across_sign_out_and_password_change(app, web, make, member_of_school):
    # tokens are for scripts and end with `token revoke`; browser events do not touch them
    api = Api(app, make)
    assert api.get("/me", as_=member_of_school).status_code == 200
    w = web(member_of_school)
    w.post("/password", {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    w.post("/logout")
    assert api.get("/me", as_=member_of_school).status_code == 200

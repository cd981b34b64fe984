"""The admin's tools for ending someone's access (issue 10, item 5): deactivate and activate
a user, remove one of their roles, through the engine services (admin only, an audit event
in the same transaction, nothing written when refused), the CLI, the admin page and the API."""
from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.models import Event, RoleGrant, User
from engine.policy import SYSTEM
from engine.services import admin as admin_svc
from tests.api.conftest import Api, error_of, fields_of
from tests.conftest import PASSWORD
from tests.web import conftest as web_fixtures
from tests.web.conftest import db_snapshot, dom, form_for
from webui import cli

web = web_fixtures.web  # the web tests' signed-in browsers (the app is tests/conftest.py's)


def user_row(store: Any, user_id: int) -> User:
    with store.uow() as uow:
        user = uow.session.get(User, user_id)
        uow.session.expunge(user)
        return user


def grants_of(store: Any, user_id: int) -> list[tuple[str, int | None, int | None]]:
    with store.uow() as uow:
        rows = uow.session.execute(select(RoleGrant).where(RoleGrant.user_id == user_id)
                                   .order_by(RoleGrant.id)).scalars()
        return [(g.role, g.org_id, g.region_id) for g in rows]


def last_event(store: Any) -> Event:
    with store.uow() as uow:
        ev = uow.session.execute(select(Event).order_by(Event.id.desc()).limit(1)).scalar_one()
        uow.session.expunge(ev)
        return ev


def event_total(store: Any) -> int:
    with store.uow() as uow:
        return uow.session.execute(select(func.count()).select_from(Event)).scalar_one()


# --- the engine services ---------------------------------------------------------------------------

def test_deactivate_and_activate_write_their_events(make, store, admin, member_of_school):
    user = make.call(admin_svc.deactivate_user, admin.actor, member_of_school.id)
    assert user.is_active is False
    row = user_row(store, member_of_school.id)
    assert row.is_active is False and row.session_epoch == 1
    ev = last_event(store)
    assert (ev.kind, ev.actor_id, ev.payload) == ("user_deactivated", admin.id,
                                                  {"user_id": member_of_school.id, "email": member_of_school.email})
    n = event_total(store)
    make.call(admin_svc.deactivate_user, admin.actor, member_of_school.id)  # again: nothing to do
    assert event_total(store) == n and user_row(store, member_of_school.id).session_epoch == 1
    make.call(admin_svc.activate_user, admin.actor, member_of_school.id)
    assert user_row(store, member_of_school.id).is_active is True
    ev = last_event(store)
    assert (ev.kind, ev.actor_id) == ("user_activated", admin.id)
    make.call(admin_svc.activate_user, admin.actor, member_of_school.id)
    assert event_total(store) == n + 1


@pytest.mark.parametrize("service, args", [
    (admin_svc.deactivate_user, ()), (admin_svc.activate_user, ()),
    (admin_svc.revoke_role, ({"role": "member"},))])
def test_only_an_admin_may_and_unknown_users_are_404(make, store, world, member_of_school, head_of_school,
                                                    curator_orel, admin, service, args):
    before = db_snapshot(store)
    for who in (member_of_school, head_of_school, curator_orel):
        with pytest.raises(Forbidden):
            make.call(service, who.actor, member_of_school.id, *args)
    with pytest.raises(Forbidden):  # 403 comes before 404: a non-admin learns nothing about ids
        make.call(service, head_of_school.actor, 999999, *args)
    for missing in (999999, 2**40, -1, None, "1"):
        with pytest.raises(NotFound):
            make.call(service, admin.actor, missing, *args)
    assert db_snapshot(store) == before


def test_an_admin_cannot_deactivate_themselves(make, store, admin):
    before = db_snapshot(store)
    with pytest.raises(ValidationFailed) as exc:
        make.call(admin_svc.deactivate_user, admin.actor, admin.id)
    assert set(exc.value.field_messages("ru")) == {"user_id"}
    assert "собственную" in exc.value.field_messages("ru")["user_id"]
    assert db_snapshot(store) == before


def test_revoke_role_removes_the_grant_and_writes_its_event(make, store, world, admin, member_of_school):
    make.call(admin_svc.grant_role, SYSTEM, member_of_school.id, "head", world.school.id)
    make.call(admin_svc.revoke_role, admin.actor, member_of_school.id, {"role": "head"})
    assert grants_of(store, member_of_school.id) == [("member", world.school.id, None)]
    assert user_row(store, member_of_school.id).session_epoch == 1
    ev = last_event(store)
    assert (ev.kind, ev.actor_id, ev.payload) == ("role_revoked", admin.id, {
        "user_id": member_of_school.id, "role": "head", "org_id": world.school.id, "region_id": None})


def test_revoke_role_of_one_place_among_several(make, store, world, admin, member_of_school, curator_orel):
    make.call(admin_svc.grant_role, SYSTEM, member_of_school.id, "member", world.other_school.id)
    make.call(admin_svc.grant_role, SYSTEM, curator_orel.id, "curator", None, world.other_region.id)
    before = db_snapshot(store)
    with pytest.raises(ValidationFailed) as exc:  # which of the two?
        make.call(admin_svc.revoke_role, admin.actor, member_of_school.id, {"role": "member"})
    assert set(exc.value.field_messages("ru")) == {"org_id"}
    with pytest.raises(ValidationFailed) as exc:
        make.call(admin_svc.revoke_role, admin.actor, curator_orel.id, {"role": "curator"})
    assert set(exc.value.field_messages("ru")) == {"region_id"}
    assert db_snapshot(store) == before
    make.call(admin_svc.revoke_role, admin.actor, member_of_school.id,
              {"role": "member", "org_id": world.other_school.id})
    make.call(admin_svc.revoke_role, admin.actor, curator_orel.id, {"role": "curator", "region_id": world.region.id})
    assert grants_of(store, member_of_school.id) == [("member", world.school.id, None)]
    assert grants_of(store, curator_orel.id) == [("curator", None, world.other_region.id)]


@pytest.mark.parametrize("body, field", [
    ({"role": "head"}, "role"),  # not held
    ({"role": "member", "org_id": 999999}, "role"),  # not held there
    ({"role": "member", "region_id": 1}, "role"),  # a member's role has no region
    ({"role": "king"}, "role"),
    ({}, "role"),
    ({"role": "member", "municipality_id": 1}, "municipality_id"),  # no municipal grants yet
    ({"role": "member", "org_id": "x"}, "org_id"),
    ({"role": "member", "extra": 1}, "extra"),
])
def test_bad_revocations_name_the_field_and_write_nothing(make, store, world, admin, member_of_school, body, field):
    before = db_snapshot(store)
    with pytest.raises(ValidationFailed) as exc:
        make.call(admin_svc.revoke_role, admin.actor, member_of_school.id, body)
    assert field in exc.value.field_messages("ru")
    assert db_snapshot(store) == before
    assert user_row(store, member_of_school.id).session_epoch == 0


def test_an_admin_cannot_remove_their_own_last_admin_role(make, store, admin):
    other = make.person("admin", email="second@leanschool.ru")
    before = db_snapshot(store)
    with pytest.raises(ValidationFailed) as exc:
        make.call(admin_svc.revoke_role, admin.actor, admin.id, {"role": "admin"})
    assert "последнюю" in exc.value.field_messages("ru")["role"]
    assert db_snapshot(store) == before
    # another admin may remove it (and the system too)
    make.call(admin_svc.revoke_role, other.actor, admin.id, {"role": "admin"})
    assert grants_of(store, admin.id) == []


# --- the CLI -------------------------------------------------------------------------------------------

@pytest.fixture
def leanschool(db_url: str) -> Any:
    def run(*args: str) -> Any:
        return CliRunner().invoke(cli.main, list(args), env={"DATABASE_URL": db_url, "LEANSCHOOL_LOCALE": "ru"},
                                  catch_exceptions=False)
    return run


def test_cli_deactivate_and_activate(leanschool, store, member_of_school):
    r = leanschool("user", "deactivate", member_of_school.email.upper())
    assert r.exit_code == 0, r.output
    assert member_of_school.email in r.stdout and r.stderr == ""
    row = user_row(store, member_of_school.id)
    assert row.is_active is False and row.session_epoch == 1
    ev = last_event(store)
    assert ev.kind == "user_deactivated" and ev.actor_id is None  # the system
    r = leanschool("user", "activate", member_of_school.email)
    assert r.exit_code == 0, r.output
    assert user_row(store, member_of_school.id).is_active is True


def test_cli_revoke_role(leanschool, make, store, world, member_of_school):
    make.call(admin_svc.grant_role, SYSTEM, member_of_school.id, "member", world.other_school.id)
    r = leanschool("user", "revoke-role", member_of_school.email, "member", "--org", str(world.other_school.id))
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().endswith(f"member (org {world.other_school.id})")
    assert grants_of(store, member_of_school.id) == [("member", world.school.id, None)]
    assert last_event(store).kind == "role_revoked"


@pytest.mark.parametrize("args, words", [
    (("user", "deactivate", "nobody@nowhere.ru"), "nobody@nowhere.ru"),
    (("user", "activate", "nobody@nowhere.ru"), "nobody@nowhere.ru"),
    (("user", "revoke-role", "nobody@nowhere.ru", "member"), "nobody@nowhere.ru"),
    (("user", "revoke-role", "teacher@lyceum1.ru", "head"), "role"),
    (("user", "revoke-role", "teacher@lyceum1.ru", "king"), "role"),
    (("user", "revoke-role", "teacher@lyceum1.ru", "member", "--org", "999999"), "role"),
    (("user", "revoke-role", "teacher@lyceum1.ru", "member", "--municipality", "1"), "municipality_id"),
])
def test_cli_errors_are_one_line_on_stderr(leanschool, store, member_of_school, args, words):
    before = db_snapshot(store)
    r = leanschool(*args)
    assert r.exit_code == 1, r.output
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("leanschool: ") and words in lines[0], r.stderr
    assert "Traceback" not in r.output
    assert db_snapshot(store) == before


# --- the admin page ---------------------------------------------------------------------------------

def _row(page: Any, user_id: int) -> Any:
    return page.one("tr", data_user=user_id)


def test_admin_page_offers_deactivate_and_remove_role(web, store, world, admin, member_of_school):
    w = web(admin)
    page = dom(w.get("/admin/"))
    row = _row(page, member_of_school.id)
    assert row["data-active"] == "true"
    form_for(row, f"/admin/users/{member_of_school.id}/deactivate")
    revoke = form_for(row, f"/admin/users/{member_of_school.id}/roles/revoke")
    assert {n["name"]: n["value"] for n in revoke.find_all("input") if n["name"] != "csrf_token"} == {
        "role": "member", "org_id": str(world.school.id)}
    assert revoke.find("input", name="csrf_token") is not None
    assert world.school.name in row.text
    # an admin is not offered to deactivate themselves
    assert not _row(page, admin.id).find_all("form", action=f"/admin/users/{admin.id}/deactivate")

    r = w.post(f"/admin/users/{member_of_school.id}/deactivate")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"#user-{member_of_school.id}")
    row = _row(dom(w.get("/admin/")), member_of_school.id)
    assert row["data-active"] == "false" and "inactive" in row.classes
    form_for(row, f"/admin/users/{member_of_school.id}/activate")
    assert web().post("/login", {"email": member_of_school.email, "password": PASSWORD}).status_code == 401

    assert w.post(f"/admin/users/{member_of_school.id}/activate").status_code == 302
    assert w.post(f"/admin/users/{member_of_school.id}/roles/revoke",
                  {"role": "member", "org_id": str(world.school.id)}).status_code == 302
    assert grants_of(store, member_of_school.id) == []
    assert not _row(dom(w.get("/admin/")), member_of_school.id).find_all("li", data_grant=True)


def test_admin_page_refusals_are_shown_in_the_users_row(web, store, world, admin, member_of_school):
    w = web(admin)
    before = db_snapshot(store)
    r = w.post(f"/admin/users/{member_of_school.id}/roles/revoke", {"role": "head"})
    assert r.status_code == 422
    cell = dom(r).by_id(f"user-{member_of_school.id}")
    assert cell is not None and cell.find("p", cls="error", role="alert").text
    r = w.post(f"/admin/users/{admin.id}/deactivate")
    assert r.status_code == 422
    assert dom(r).by_id(f"user-{admin.id}").find("p", cls="error").text
    r = w.post(f"/admin/users/{admin.id}/roles/revoke", {"role": "admin"})
    assert r.status_code == 422
    assert w.post("/admin/users/999999/deactivate").status_code == 404
    assert w.post("/admin/users/999999/roles/revoke", {"role": "member"}).status_code == 404
    assert db_snapshot(store) == before


def test_admin_page_actions_need_an_admin_and_csrf(web, store, member_of_school, head_of_school, admin):
    before = db_snapshot(store)
    for path, data in ((f"/admin/users/{member_of_school.id}/deactivate", {}),
                       (f"/admin/users/{member_of_school.id}/activate", {}),
                       (f"/admin/users/{member_of_school.id}/roles/revoke", {"role": "member"})):
        assert web(head_of_school).post(path, data).status_code == 403
        r = web().post(path, data)
        assert r.status_code in (302, 400)  # anonymous: to the sign-in page (or refused by CSRF)
        assert web(admin).post(path, data, csrf=False).status_code == 400
    assert db_snapshot(store) == before


# --- the API ---------------------------------------------------------------------------------------------

@pytest.fixture
def api(app, make) -> Api:
    return Api(app, make)


def test_api_deactivate_activate_and_revoke(api, store, world, admin, member_of_school):
    r = api.post(f"/users/{member_of_school.id}/deactivate", admin)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"id": member_of_school.id, "email": member_of_school.email, "name": "Иванова Анна",
                            "is_active": False,
                            "roles": [{"role": "member", "org_id": world.school.id, "region_id": None}]}
    error_of(api.get("/me", as_=member_of_school), 401, "unauthenticated")
    r = api.post(f"/users/{member_of_school.id}/activate", admin)
    assert r.status_code == 200 and r.get_json()["is_active"] is True
    assert api.get("/me", as_=member_of_school).status_code == 200
    r = api.post(f"/users/{member_of_school.id}/roles/revoke", admin, json={"role": "member",
                                                                            "org_id": world.school.id})
    assert r.status_code == 200 and r.get_json()["roles"] == []
    assert api.get("/me", as_=member_of_school).get_json()["roles"] == []


def test_api_refusals(api, store, admin, member_of_school, head_of_school, curator_orel):
    for who in (admin, member_of_school, head_of_school, curator_orel):
        api.token(who)
    before = db_snapshot(store)
    paths = [(f"/users/{member_of_school.id}/deactivate", None), (f"/users/{member_of_school.id}/activate", None),
             (f"/users/{member_of_school.id}/roles/revoke", {"role": "member"})]
    for path, body in paths:
        kw = {"json": body} if body is not None else {}
        for who in (member_of_school, head_of_school, curator_orel):
            error_of(api.post(path, who, **kw), 403, "forbidden")
        error_of(api.post(path, None, **kw), 401, "unauthenticated")
        missing = path.replace(str(member_of_school.id), "999999")
        assert error_of(api.post(missing, admin, **kw), 404, "not_found") == {}  # names no object (#10)
        error_of(api.post(path.replace(str(member_of_school.id), str(2**40)), admin, **kw), 404, "not_found")
    assert set(fields_of(api.post(f"/users/{admin.id}/deactivate", admin))) == {"user_id"}
    assert set(fields_of(api.post(f"/users/{member_of_school.id}/roles/revoke", admin,
                                  json={"role": "head"}))) == {"role"}
    assert set(fields_of(api.post(f"/users/{admin.id}/roles/revoke", admin, json={"role": "admin"}))) == {"role"}
    assert set(fields_of(api.post(f"/users/{member_of_school.id}/roles/revoke", admin,
                                  json={"role": "member", "municipality_id": 1}))) == {"municipality_id"}
    error_of(api.post(f"/users/{member_of_school.id}/roles/revoke", admin, data=b"[1]",
                      headers={"Content-Type": "application/json"}), 400, "bad_request")
    msg = api.post(f"/users/{admin.id}/deactivate", admin).get_json()["error"]["details"]["fields"]["user_id"]
    assert "собственную" in msg  # Russian by default
    assert db_snapshot(store) == before


def test_api_routes_are_in_the_openapi_description(api, member_of_school):
    spec = api.get("/openapi.json").get_json()
    for path in ("/users/{user_id}/deactivate", "/users/{user_id}/activate", "/users/{user_id}/roles/revoke"):
        op = spec["paths"][path]["post"]
        assert {"200", "401", "403", "404"} <= set(op["responses"])
    body = spec["components"]["schemas"]["RoleRevoke"]
    assert body["required"] == ["role"] and body["additionalProperties"] is False

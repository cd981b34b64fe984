"""Administration pages: users with a role, role grants, password resets, organisations;
bad input names the field and writes nothing."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.models import Organization, RoleGrant, User
from tests.web.conftest import db_snapshot, dom, field_error, form_for, invalid_fields, login, value_of

NEW_PASSWORD = "Svezhii-parol-77"


def _user(store: Any, email: str) -> tuple[User | None, list[RoleGrant]]:
    with store.uow() as uow:
        user = uow.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        grants = list(uow.session.execute(select(RoleGrant).where(RoleGrant.user_id == user.id)).scalars()) \
            if user else []
        for obj in [user, *grants]:
            if obj is not None:
                uow.session.expunge(obj)
        return user, grants


def _bad(w: Any, store: Any, path: str, data: dict[str, Any], form_action: str | None = None) -> Any:
    before = db_snapshot(store)
    r = w.post(path, data)
    assert r.status_code == 422, (path, r.status_code)
    assert db_snapshot(store) == before
    page = dom(r)
    return page, form_for(page, form_action or path)


def test_admin_page_lists_users_and_offers_the_forms(web, world, admin, member_of_school):
    page = dom(web(admin).get("/admin/"))
    for action in ("/admin/users", "/admin/grants", "/admin/organizations",
                   f"/admin/users/{member_of_school.id}/password"):
        form_for(page, action)
    assert member_of_school.email in page.text
    role_options = {o["value"] for o in form_for(page, "/admin/users").one("select", name="role").find_all("option")}
    assert role_options == {"member", "head", "coordinator", "curator", "admin"}


@pytest.mark.parametrize("role, scope", [("member", "org"), ("head", "org"), ("curator", "region"), ("admin", None)])
def test_create_a_user_with_a_role(web, store, world, admin, client, role, scope):
    w = web(admin)
    data = {"email": f"New.{role}@Lyceum1.ru", "name": f"Новый {role}", "password": NEW_PASSWORD, "role": role,
            "org_id": str(world.school.id) if scope == "org" else "",
            "region_id": str(world.region.id) if scope == "region" else ""}
    r = w.post("/admin/users", data)
    assert r.status_code == 302
    assert r.headers["Location"].endswith("/admin/#user")
    user, grants = _user(store, f"new.{role}@lyceum1.ru")
    assert user is not None and user.name == f"Новый {role}"
    assert [(g.role, g.org_id, g.region_id) for g in grants] == [
        (role, world.school.id if scope == "org" else None, world.region.id if scope == "region" else None)]
    # the new person signs in
    login(client, type("P", (), {"email": user.email})(), NEW_PASSWORD)
    assert client.get("/board").status_code == 200
    assert client.get("/admin/").status_code == (200 if role == "admin" else 403)


def test_bad_new_user_names_the_field(web, store, world, admin, member_of_school):
    w = web(admin)
    base = {"email": "ok@lyceum1.ru", "name": "Сидоров Пётр", "password": NEW_PASSWORD, "role": "member",
            "org_id": str(world.school.id), "region_id": ""}
    cases = [
        ({"email": "not-an-email"}, "email"),
        ({"email": member_of_school.email}, "email"),  # taken
        ({"name": ""}, "name"),
        ({"password": "short"}, "password"),
        ({"role": "king"}, "role"),
        ({"org_id": ""}, "org_id"),  # a member needs an organisation
        ({"org_id": "999999"}, "org_id"),
        ({"role": "curator", "org_id": ""}, "region_id"),  # a curator needs a region
    ]
    for change, bad in cases:
        data = dict(base, **change)
        page, form = _bad(w, store, "/admin/users", data)
        field_error(page, bad, form)
        assert bad in invalid_fields(page), (change, invalid_fields(page))
        for name in ("email", "name"):
            assert value_of(form, name) == data[name], (change, name)
        assert value_of(form, "password") == ""  # never echoed


def test_grant_a_role(web, store, world, admin, member_of_school):
    w = web(admin)
    r = w.post("/admin/grants", {"user_id": str(member_of_school.id), "role": "curator",
                                 "region_id": str(world.region.id)})
    assert r.status_code == 302
    _user_row, grants = _user(store, member_of_school.email)
    assert {(g.role, g.region_id) for g in grants} >= {("curator", world.region.id)}
    page, form = _bad(w, store, "/admin/grants", {"user_id": str(member_of_school.id), "role": "curator",
                                                  "region_id": ""})
    field_error(page, "region_id", form)


def test_reset_a_password(web, store, admin, member_of_school, client):
    w = web(admin)
    r = w.post(f"/admin/users/{member_of_school.id}/password", {"password": NEW_PASSWORD})
    assert r.status_code == 302
    login(client, member_of_school, NEW_PASSWORD)
    other = web()
    other.get("/login")
    assert other.post("/login", {"email": member_of_school.email, "password": "Parol-2026!"}).status_code == 401


def test_reset_with_a_short_password_names_the_field(web, store, admin, member_of_school):
    w = web(admin)
    action = f"/admin/users/{member_of_school.id}/password"
    page, form = _bad(w, store, action, {"password": "short"})
    field_error(page, "password", form)
    assert w.post("/admin/users/999999/password", {"password": NEW_PASSWORD}).status_code in (404, 422)


def test_create_an_organisation(web, store, world, admin):
    w = web(admin)
    r = w.post("/admin/organizations", {"municipality_id": str(world.municipality.id),
                                        "name": "МБДОУ «Детский сад №7»", "kind": "kindergarten"})
    assert r.status_code == 302
    with store.uow() as uow:
        org = uow.session.execute(select(Organization).where(
            Organization.name == "МБДОУ «Детский сад №7»")).scalar_one()
        assert (org.municipality_id, org.region_id, org.kind) == (world.municipality.id, world.region.id,
                                                                  "kindergarten")
    # it is offered in the user form now
    page = dom(w.get("/admin/"))
    names = [o.text for o in form_for(page, "/admin/users").one("select", name="org_id").find_all("option")]
    assert "МБДОУ «Детский сад №7»" in names


@pytest.mark.parametrize("change, bad", [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"kind": "university"}, "kind"),
    ({"municipality_id": ""}, "municipality_id"),
    ({"municipality_id": "999999"}, "municipality_id"),
])
def test_bad_organisation_names_the_field(web, store, world, admin, change, bad):
    w = web(admin)
    data = dict({"municipality_id": str(world.municipality.id), "name": "МБОУ СОШ №12", "kind": "school"}, **change)
    page, form = _bad(w, store, "/admin/organizations", data)
    field_error(page, bad, form)
    if bad != "name":
        assert value_of(form, "name") == data["name"]

"""Administration that manages (#12 item 9): users searchable and paged with their
organisation and roles, each with a page to edit; organisations and municipalities listed
and edited; the audit log viewer, filterable. Only admins; bad input names the field and
writes nothing; every change writes its audit event."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine import clock
from engine.models import Event, Municipality, Organization, User
from engine.policy import SYSTEM
from engine.services import admin as admin_svc
from engine.services import admin_views as views
from tests.web.conftest import db_snapshot, dom, field_error, form_for

PAGES = ["/admin/", "/admin/organizations", "/admin/municipalities", "/admin/audit"]


def _rows(page: Any, attr: str) -> list[str]:
    return [n[attr] for n in page.find_all("tr") if n.has(attr)]


def _events(store: Any, kind: str) -> list[Event]:
    with store.uow() as uow:
        return list(uow.session.execute(select(Event).where(Event.kind == kind).order_by(Event.id)).scalars())


@pytest.mark.parametrize("path", PAGES)
def test_only_an_admin_opens_the_administration(web, admin, curator_orel, head_of_school, path):
    assert web(admin).get(path).status_code == 200
    assert web(curator_orel).get(path).status_code == 403
    assert web(head_of_school).get(path).status_code == 403


def test_user_and_organisation_pages_are_for_admins_only(web, world, admin, curator_orel, member_of_school):
    for path in (f"/admin/users/{member_of_school.id}", f"/admin/organizations/{world.school.id}"):
        assert web(admin).get(path).status_code == 200
        assert web(curator_orel).get(path).status_code == 403
    assert web(admin).get("/admin/users/999999").status_code == 404
    assert web(admin).get("/admin/organizations/999999").status_code == 404


def test_users_are_searched_by_name_or_email_and_show_their_organisation(
        web, world, admin, member_of_school, head_of_school, member_of_other_school):
    page = dom(web(admin).get("/admin/?q=иванова"))
    assert _rows(page, "data-user") == [str(member_of_school.id)]
    row = page.find("tr", **{"data-user": str(member_of_school.id)})
    assert world.school.name in row.text
    page = dom(web(admin).get("/admin/?q=SCHOOL3.RU"))
    assert _rows(page, "data-user") == [str(member_of_other_school.id)]
    page = dom(web(admin).get("/admin/?q=никого-такого-нет"))
    assert _rows(page, "data-user") == []
    assert "Никого не нашли" in page.text


def test_users_are_filtered_by_role_organisation_region_and_access(
        web, make, world, admin, member_of_school, head_of_school, member_of_other_school, curator_orel):
    w = web(admin)
    assert _rows(dom(w.get("/admin/?role=head")), "data-user") == [str(head_of_school.id)]
    by_org = set(_rows(dom(w.get(f"/admin/?org_id={world.school.id}")), "data-user"))
    assert by_org == {str(member_of_school.id), str(head_of_school.id)}
    kursk = make.person("member", org=world.other_region_school, email="teacher@kursk5.ru")
    assert _rows(dom(w.get(f"/admin/?region_id={world.other_region.id}")), "data-user") == [str(kursk.id)]
    in_orel = set(_rows(dom(w.get(f"/admin/?region_id={world.region.id}")), "data-user"))
    assert {str(member_of_school.id), str(member_of_other_school.id), str(curator_orel.id)} <= in_orel
    assert str(kursk.id) not in in_orel
    make.call(admin_svc.deactivate_user, SYSTEM, member_of_school.id)
    assert _rows(dom(w.get("/admin/?active=0")), "data-user") == [str(member_of_school.id)]
    assert str(member_of_school.id) not in _rows(dom(w.get("/admin/?active=1")), "data-user")


def test_users_are_paged(web, make, world, admin, store):
    for i in range(views.PAGE_SIZE + 5):
        make.person("member", org=world.school, email=f"teacher{i:03d}@paged.ru", name=f"Учитель {i:03d}")
    w = web(admin)
    first = dom(w.get("/admin/?q=paged.ru"))
    second = dom(w.get("/admin/?q=paged.ru&page=2"))
    assert len(_rows(first, "data-user")) == views.PAGE_SIZE
    assert len(_rows(second, "data-user")) == 5
    assert not set(_rows(first, "data-user")) & set(_rows(second, "data-user"))
    following = first.find("a", rel="next")["href"]
    assert following.endswith("page=2") and "q=paged.ru" in following
    assert "(55)" in first.text
    # a page beyond the last shows the last; rubbish shows the first
    assert _rows(dom(w.get("/admin/?q=paged.ru&page=99")), "data-user") == _rows(second, "data-user")
    assert _rows(dom(w.get("/admin/?q=paged.ru&page=abc")), "data-user") == _rows(first, "data-user")


def test_a_users_page_edits_the_name_and_records_it(web, store, admin, member_of_school):
    w = web(admin)
    path = f"/admin/users/{member_of_school.id}"
    r = w.post(path, {"name": "Иванова Анна Петровна", "next": path})
    assert r.status_code == 302 and r.headers["Location"].endswith(path + "#edit")
    with store.uow() as uow:
        assert uow.session.get(User, member_of_school.id).name == "Иванова Анна Петровна"
    assert _events(store, "user_updated")[-1].payload["changes"] == {"name": ["Иванова Анна", "Иванова Анна Петровна"]}
    before = db_snapshot(store)
    r = w.post(path, {"name": "", "next": path})
    assert r.status_code == 422 and db_snapshot(store) == before
    page = dom(r)
    field_error(page, "name", form_for(page, path))


def test_a_grant_from_a_users_page_returns_to_it(web, store, world, admin, member_of_school):
    w = web(admin)
    path = f"/admin/users/{member_of_school.id}"
    r = w.post("/admin/grants", {"user_id": str(member_of_school.id), "role": "head",
                                 "org_id": str(world.school.id), "next": path})
    assert r.status_code == 302 and r.headers["Location"].endswith(path + "#grant")
    assert "руководитель" in dom(w.get(path)).one("section", id="roles").text
    # only our own pages: an outside address falls back to the users' list
    r = w.post("/admin/grants", {"user_id": str(member_of_school.id), "role": "member",
                                 "org_id": str(world.other_school.id), "next": "//evil.example/admin/"})
    assert r.headers["Location"].endswith("/admin/#grant")


def test_organisations_are_listed_searched_and_edited(web, store, make, world, admin, member_of_school):
    w = web(admin)
    page = dom(w.get("/admin/organizations?q=лицей"))
    assert _rows(page, "data-org") == [str(world.school.id)]
    row = page.find("tr", **{"data-org": str(world.school.id)})
    assert world.municipality.name in row.text and "Орловская область" in row.text
    other_mun = make.municipality(world.region, "Болховский район")
    path = f"/admin/organizations/{world.school.id}"
    r = w.post(path, {"name": "МБОУ «Лицей №1»", "kind": "school", "municipality_id": str(other_mun.id),
                      "inn": "", "next": path})
    assert r.status_code == 302
    with store.uow() as uow:
        org = uow.session.get(Organization, world.school.id)
        assert (org.name, org.municipality_id) == ("МБОУ «Лицей №1»", other_mun.id)
    assert _events(store, "organization_updated")[-1].payload["changes"]["name"][1] == "МБОУ «Лицей №1»"
    before = db_snapshot(store)
    r = w.post(path, {"name": "МБОУ «Лицей №1»", "kind": "school", "municipality_id": str(other_mun.id),
                      "inn": "1234567890", "next": path})
    assert r.status_code == 422 and db_snapshot(store) == before
    page = dom(r)
    field_error(page, "inn", form_for(page, path))


def test_municipalities_are_listed_created_and_renamed(web, store, world, admin, make):
    w = web(admin)
    page = dom(w.get("/admin/municipalities"))
    assert str(world.municipality.id) in _rows(page, "data-municipality")
    r = w.post("/admin/municipalities", {"region_id": str(world.region.id), "name": "Мценский район",
                                         "kind": "district", "next": "/admin/municipalities"})
    assert r.status_code == 302
    with store.uow() as uow:
        mun = uow.session.execute(select(Municipality).where(Municipality.name == "Мценский район")).scalar_one()
    action = f"/admin/municipalities/{mun.id}"
    assert w.post(action, {"name": "Мценский муниципальный округ", "kind": "district",
                           "next": "/admin/municipalities"}).status_code == 302
    assert _events(store, "municipality_updated")[-1].payload == {
        "municipality_id": mun.id, "changes": {"name": ["Мценский район", "Мценский муниципальный округ"]}}
    before = db_snapshot(store)
    r = w.post(action, {"name": world.municipality.name.upper(), "kind": "district"})  # the name is taken
    assert r.status_code == 422 and db_snapshot(store) == before
    page = dom(r)
    field_error(page, "name", form_for(page, action))
    r = w.post(action, {"name": "Мценск", "kind": "village"})
    assert r.status_code == 422 and db_snapshot(store) == before


def test_the_audit_log_is_filtered_by_kind_person_project_and_days(
        web, store, make, world, admin, member_of_school, frozen_clock):
    project = make.project(world.school, member_of_school.actor)
    frozen_clock.advance(days=3)
    make.call(admin_svc.update_user, admin.actor, member_of_school.id, {"name": "Иванова А. П."})
    w = web(admin)
    page = dom(w.get("/admin/audit?kind=user_updated"))
    assert {n["data-kind"] for n in page.find_all("tr") if n.has("data-kind")} == {"user_updated"}
    page = dom(w.get(f"/admin/audit?actor={member_of_school.email}"))
    kinds = [n["data-kind"] for n in page.find_all("tr") if n.has("data-kind")]
    assert kinds == ["created"] and project.title in page.text
    assert [n["data-kind"] for n in dom(w.get(f"/admin/audit?project_id={project.id}")).find_all("tr")
            if n.has("data-kind")] == ["created"]
    today = clock.today().isoformat()
    recent = [n["data-kind"] for n in dom(w.get(f"/admin/audit?since={today}&until={today}")).find_all("tr")
              if n.has("data-kind")]
    assert recent == ["user_updated"]
    # rubbish filters are ignored, never a 500
    assert w.get("/admin/audit?kind=%00&since=вчера&project_id=-1&page=x").status_code == 200


def test_the_audit_log_names_every_event_kind_in_russian(web, admin):
    from engine.vocab import EventKind
    from webui.web.labels import AUDIT, EVENT
    page = dom(web(admin).get("/admin/audit"))
    options = {o["value"]: o.text for o in page.one("select", name="kind").find_all("option") if o["value"]}
    assert set(options) == {k.value for k in EventKind}
    assert set(EVENT) | set(AUDIT) == set(options)
    assert options["user_created"] == "создание пользователя" and options["commented"] == "комментарий"

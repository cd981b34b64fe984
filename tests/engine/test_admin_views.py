"""The administration's read models and the municipality edit (engine/services/admin_views.py,
admin.update_municipality): admins only; every list is a page with its total."""
from __future__ import annotations

import pytest

from engine.errors import Forbidden, ValidationFailed
from engine.services import admin as admin_svc
from engine.services import admin_views as views


def test_every_admin_read_model_refuses_anyone_but_an_admin(make, world, curator_orel, head_of_school):
    for person in (curator_orel, head_of_school):
        for call in (lambda u, a: views.users(u, a, views.UserFilters()),
                     lambda u, a: views.organizations(u, a, views.OrgFilters()),
                     lambda u, a: views.municipalities(u, a),
                     lambda u, a: views.audit_log(u, a, views.AuditFilters()),
                     lambda u, a: views.user_detail(u, a, head_of_school.id)):
            with pytest.raises(Forbidden):
                make.call(call, person.actor)


def test_users_page_counts_and_grants(make, world, admin, member_of_school, head_of_school):
    page = make.call(lambda u, a: views.users(u, a, views.UserFilters(org_id=world.school.id)), admin.actor)
    assert page.total == 2 and page.pages == 1
    assert {(r.user.id, tuple(g["org_name"] for g in r.grants)) for r in page.items} == {
        (member_of_school.id, (world.school.name,)), (head_of_school.id, (world.school.name,))}


def test_organisations_count_people_and_projects(make, world, admin, member_of_school, head_of_school):
    make.project(world.school, member_of_school.actor)
    page = make.call(lambda u, a: views.organizations(u, a, views.OrgFilters(q="лицей")), admin.actor)
    assert [(x["org"].id, x["people"], x["projects"]) for x in page.items] == [(world.school.id, 2, 1)]


def test_a_municipality_is_renamed_with_its_event_and_bad_input_names_the_field(make, store, world, admin):
    mun = make.call(admin_svc.update_municipality, admin.actor, world.municipality.id,
                    {"name": "город Орёл", "kind": "city"})
    assert (mun.name, mun.kind) == ("город Орёл", "city")
    rows = make.call(lambda u, a: views.audit_log(u, a, views.AuditFilters(kind="municipality_updated")),
                     admin.actor)
    assert rows.total == 1 and rows.items[0]["event"].payload["changes"]["name"] == ["г. Орёл", "город Орёл"]
    for data, field in (({"kind": "village"}, "kind"), ({"name": ""}, "name")):
        with pytest.raises(ValidationFailed) as info:
            make.call(admin_svc.update_municipality, admin.actor, world.municipality.id, data)
        assert field in info.value.fields
    with pytest.raises(Forbidden):
        make.call(admin_svc.update_municipality, _another_curator(make, world).actor, world.municipality.id,
                  {"name": "x"})


def _another_curator(make, world):
    return make.person("curator", region=world.region, email="curator2@orel.ru")

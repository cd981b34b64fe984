"""GET /me, /regions, /organizations, /workflows and the admin's POST /regions,
/municipalities, /organizations."""
from __future__ import annotations

import pytest

from tests.api.conftest import error_of, fields_of

# --- /me ---------------------------------------------------------------------------------------


def test_me(api, world, member_of_school, curator_orel, admin):
    me = api.ok("GET", "/me", member_of_school)
    assert me == {"id": member_of_school.id, "email": "teacher@lyceum1.ru", "name": "Иванова Анна",
                  "roles": [{"role": "member", "org_id": world.school.id, "region_id": None}]}
    assert api.ok("GET", "/me", curator_orel)["roles"] == [
        {"role": "curator", "org_id": None, "region_id": world.region.id}]
    assert api.ok("GET", "/me", admin)["roles"] == [{"role": "admin", "org_id": None, "region_id": None}]


# --- /regions ------------------------------------------------------------------------------------

def test_regions_by_role(api, world, member_of_school, curator_kursk, admin, member_of_kursk):
    orel, kursk = {"id": world.region.id, "name": "Орловская область"}, \
        {"id": world.other_region.id, "name": "Курская область"}
    assert api.ok("GET", "/regions", admin) == {"items": [orel, kursk], "total": 2}
    assert api.ok("GET", "/regions", member_of_school) == {"items": [orel], "total": 1}
    assert api.ok("GET", "/regions", curator_kursk) == {"items": [kursk], "total": 1}
    assert api.ok("GET", "/regions", member_of_kursk) == {"items": [kursk], "total": 1}


def test_create_region(api, admin):
    body = api.ok("POST", "/regions", admin, {"name": "  Тульская область "})
    assert set(body) >= {"id", "name"} and body["name"] == "Тульская область"
    assert body in api.ok("GET", "/regions", admin)["items"]


@pytest.mark.parametrize("payload,field", [({}, "name"), ({"name": ""}, "name"), ({"name": "   "}, "name"),
                                           ({"name": 5}, "name"), ({"name": "я" * 201}, "name"),
                                           ({"name": "X", "extra": 1}, "extra")])
def test_create_region_validation(api, admin, payload, field):
    assert field in fields_of(api.post("/regions", admin, json=payload))


def test_create_region_duplicate_name(api, world, admin):
    assert fields_of(api.post("/regions", admin, json={"name": "Орловская область"})) == {
        "name": "Регион с таким названием уже есть"}


def test_create_region_forbidden_for_everyone_but_admin(api, member_of_school, head_of_school, curator_orel):
    for who in (member_of_school, head_of_school, curator_orel):
        error_of(api.post("/regions", who, json={"name": "Новый"}), 403, "forbidden")
        # 403 before 422 and before 400
        error_of(api.post("/regions", who, json={}), 403, "forbidden")
    assert api.ok("GET", "/regions", curator_orel)["total"] == 1


# --- /municipalities -----------------------------------------------------------------------------

def test_create_municipality(api, world, admin):
    body = api.ok("POST", "/municipalities", admin, {"region_id": world.region.id, "name": "Ливны", "kind": "city"})
    assert body["region_id"] == world.region.id and body["name"] == "Ливны" and isinstance(body["id"], int)


@pytest.mark.parametrize("payload,field", [
    ({"name": "Ливны"}, "region_id"), ({"region_id": "x", "name": "Ливны"}, "region_id"),
    ({"region_id": 999999, "name": "Ливны"}, "region_id"), ({"region_id": None, "name": "Ливны"}, "region_id"),
    ({"region_id": "REGION", "name": ""}, "name"), ({"region_id": "REGION", "name": "Л", "kind": "village"}, "kind")])
def test_create_municipality_validation(api, world, admin, payload, field):
    payload = {k: (world.region.id if v == "REGION" else v) for k, v in payload.items()}
    assert field in fields_of(api.post("/municipalities", admin, json=payload))


def test_create_municipality_forbidden(api, world, curator_orel, head_of_school):
    for who in (curator_orel, head_of_school):
        error_of(api.post("/municipalities", who, json={"region_id": world.region.id, "name": "Л"}), 403, "forbidden")


# --- /organizations -------------------------------------------------------------------------------

def test_create_organization(api, world, admin):
    body = api.ok("POST", "/organizations", admin, {"municipality_id": world.municipality.id,
                                                    "name": "МБДОУ Детский сад №7", "kind": "kindergarten"})
    assert body == {"id": body["id"], "municipality_id": world.municipality.id, "region_id": world.region.id,
                    "name": "МБДОУ Детский сад №7", "kind": "kindergarten"}


@pytest.mark.parametrize("payload,field", [
    ({"name": "Школа", "kind": "school"}, "municipality_id"),
    ({"municipality_id": 999999, "name": "Школа", "kind": "school"}, "municipality_id"),
    ({"municipality_id": "MUN", "name": "Школа", "kind": "university"}, "kind"),
    ({"municipality_id": "MUN", "name": "Школа"}, "kind"),
    ({"municipality_id": "MUN", "kind": "school"}, "name")])
def test_create_organization_validation(api, world, admin, payload, field):
    payload = {k: (world.municipality.id if v == "MUN" else v) for k, v in payload.items()}
    assert field in fields_of(api.post("/organizations", admin, json=payload))


def test_create_organization_forbidden(api, world, curator_orel, member_of_school):
    body = {"municipality_id": world.municipality.id, "name": "Школа", "kind": "school"}
    for who in (curator_orel, member_of_school):
        error_of(api.post("/organizations", who, json=body), 403, "forbidden")


def test_list_organizations_by_scope(api, world, member_of_school, curator_orel, curator_kursk, admin):
    ids = lambda who, **q: [o["id"] for o in api.ok("GET", "/organizations", who, query=q)["items"]]  # noqa: E731
    assert ids(admin) == [world.school.id, world.other_school.id, world.other_region_school.id]
    assert ids(member_of_school) == [world.school.id]
    assert ids(curator_orel) == [world.school.id, world.other_school.id]
    assert ids(curator_kursk) == [world.other_region_school.id]
    assert ids(admin, region_id=world.other_region.id) == [world.other_region_school.id]
    assert ids(curator_orel, region_id=world.other_region.id) == []  # another region: nothing, not an error
    org = api.ok("GET", "/organizations", member_of_school)["items"][0]
    assert org == {"id": world.school.id, "municipality_id": world.municipality.id, "region_id": world.region.id,
                   "name": "МБОУ «Лицей №1 им. М.В. Ломоносова»", "kind": "school"}


def test_list_organizations_pagination(api, make, world, admin):
    for i in range(5):
        make.org(world.municipality, f"Школа {i}")
    page = api.ok("GET", "/organizations", admin, query={"limit": 2, "offset": 3})
    assert page["total"] == 8 and len(page["items"]) == 2
    all_ids = [o["id"] for o in api.ok("GET", "/organizations", admin)["items"]]
    assert [o["id"] for o in page["items"]] == all_ids[3:5]
    assert api.ok("GET", "/organizations", admin, query={"offset": 100})["items"] == []


@pytest.mark.parametrize("query,field", [({"limit": 501}, "limit"), ({"limit": 0}, "limit"), ({"limit": "x"}, "limit"),
                                         ({"offset": -1}, "offset"), ({"region_id": "orel"}, "region_id"),
                                         ({"region_id": 2**40}, "region_id")])
def test_list_organizations_bad_query(api, admin, query, field):
    assert field in fields_of(api.get("/organizations", admin, query=query))


# --- /workflows --------------------------------------------------------------------------------------

def test_workflows(api, member_of_school):
    listing = api.ok("GET", "/workflows", member_of_school)
    assert listing["total"] == len(listing["items"]) >= 1
    psr = next(w for w in listing["items"] if w["id"] == "psr")
    assert psr == api.ok("GET", "/workflows/psr", member_of_school)
    assert psr["initial"] == "diagnose" and psr["title"] == "ПСР-проект"
    assert [s["id"] for s in psr["states"]] == ["diagnose", "target", "implement", "standardise", "sustain",
                                                "closed", "cancelled"]
    for s in psr["states"]:
        assert set(s) == {"id", "title", "sla_days", "wip_limit", "final"}
    to_target = next(t for t in psr["transitions"] if t["trigger"] == "to_target")
    assert to_target == {"trigger": "to_target", "source": ["diagnose"], "dest": "target",
                         "title": "Диагностика завершена",
                         "requires": ["current_state_mapped", "problems_listed", "baselines_recorded"],
                         "approval": "head", "roles": ["member", "head"], "comment_required": False}
    back = next(t for t in psr["transitions"] if t["trigger"] == "back_to_diagnose")
    assert back["approval"] is None and back["roles"] == ["head", "curator"] and back["comment_required"]


def test_unknown_workflow_is_404(api, member_of_school):
    error_of(api.get("/workflows/nope", as_=member_of_school), 404, "not_found")

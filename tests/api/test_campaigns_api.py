"""Scaling campaigns over /api/v1 (additive to API.md): POST/GET /campaigns, GET
/campaigns/<id> (funnel, offers, replicas' effect), POST /campaigns/<id>/close, GET
/campaign-offers (a head's), POST /campaign-offers/<id>/accept {leader_id} and /decline {reason}."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine import clock
from tests.api.conftest import error_of, fields_of
from tests.api.test_practices_api import Closer
from tests.web.conftest import db_snapshot

PUBLISH = {"category": "meals", "summary": "Питание без очередей: предзаказ обедов накануне"}


@pytest.fixture
def practice(api, make, world, member_of_school, head_of_school, curator_orel) -> dict[str, Any]:
    p = make.project(world.school, member_of_school.actor, title="Оптимизация процесса питания")
    Closer(make, member_of_school, head_of_school).close(p.id)
    return api.ok("POST", f"/projects/{p.id}/publish", curator_orel, PUBLISH)


@pytest.fixture
def campaign(api, practice, world, curator_orel, head_of_other_school, member_of_other_school) -> dict[str, Any]:
    return api.ok("POST", "/campaigns", curator_orel, {
        "practice_id": practice["id"], "title": "Питание без очередей", "message": "Предлагаем\nвнедрить",
        "deadline": (clock.today() + timedelta(days=14)).isoformat(), "org_ids": [world.other_school.id]})


def test_the_curator_offers_and_the_head_accepts_with_a_leader(api, campaign, practice, world, curator_orel,
                                                              head_of_other_school, member_of_other_school):
    assert campaign["funnel"] == {"offered": 1, "accepted": 0, "declined": 0, "started": 0, "closed": 0}
    assert campaign["message"] == "Предлагаем\nвнедрить" and campaign["status"] == "open"
    (offer,) = campaign["offers"]
    assert (offer["org_id"], offer["status"]) == (world.other_school.id, "offered")

    mine = api.ok("GET", "/campaign-offers", head_of_other_school)
    assert mine["total"] == 1 and mine["items"][0]["practice_id"] == practice["id"]
    assert member_of_other_school.id in {p["id"] for p in mine["items"][0]["leaders"]}

    r = api.post(f"/campaign-offers/{offer['id']}/accept", member_of_other_school,
                 json={"leader_id": member_of_other_school.id})
    error_of(r, 403, "forbidden")
    answered = api.ok("POST", f"/campaign-offers/{offer['id']}/accept", head_of_other_school,
                      {"leader_id": member_of_other_school.id}, status=200)
    assert answered["status"] == "accepted" and answered["project_id"]
    replica = api.ok("GET", f"/projects/{answered['project_id']}", member_of_other_school)
    assert replica["leader_id"] == member_of_other_school.id

    body = api.ok("GET", f"/campaigns/{campaign['id']}", curator_orel)
    assert body["funnel"] == {"offered": 1, "accepted": 1, "declined": 0, "started": 1, "closed": 0}
    assert body["offers"][0]["project_state"] == "diagnose"
    assert api.ok("GET", "/campaigns", curator_orel)["total"] == 1
    error_of(api.get(f"/campaigns/{campaign['id']}", head_of_other_school), 404, "not_found")


def test_declining_without_a_reason_names_the_field_and_writes_nothing(api, store, campaign,
                                                                      head_of_other_school):
    offer_id = campaign["offers"][0]["id"]
    api.ok("GET", "/campaign-offers", head_of_other_school)  # the head's token exists before the snapshot
    before = db_snapshot(store)
    fields = fields_of(api.post(f"/campaign-offers/{offer_id}/decline", head_of_other_school, json={}))
    assert "reason" in fields
    assert db_snapshot(store) == before
    body = api.ok("POST", f"/campaign-offers/{offer_id}/decline", head_of_other_school,
                  {"reason": "Нет столовой"}, status=200)
    assert (body["status"], body["reason"]) == ("declined", "Нет столовой")
    error_of(api.post(f"/campaign-offers/{offer_id}/decline", head_of_other_school, json={"reason": "Ещё раз"}),
             409, "conflict")


def test_a_member_creates_no_campaign_and_the_curator_closes_one(api, practice, campaign, member_of_school,
                                                                 curator_orel):
    error_of(api.post("/campaigns", member_of_school, json={}), 403, "forbidden")
    fields = fields_of(api.post("/campaigns", curator_orel, json={"practice_id": practice["id"], "title": "К"}))
    assert "deadline" in fields
    closed = api.ok("POST", f"/campaigns/{campaign['id']}/close", curator_orel, {}, status=200)
    assert (closed["status"], closed["version"]) == ("closed", 2)


BROKEN = {"data": b"{broken", "headers": {"Content-Type": "application/json"}}


def test_a_broken_body_is_404_out_of_scope_then_403_then_400(api, campaign, member_of_school, curator_orel,
                                                             head_of_school, member_of_other_school,
                                                             head_of_other_school):
    offer_id = campaign["offers"][0]["id"]
    for verb in ("accept", "decline"):
        path = f"/campaign-offers/{offer_id}/{verb}"
        error_of(api.request("POST", path, head_of_school, **BROKEN), 404, "not_found")  # another school's offer
        error_of(api.request("POST", path, member_of_other_school, **BROKEN), 403, "forbidden")
        error_of(api.request("POST", path, head_of_other_school, **BROKEN), 400, "bad_request")
    error_of(api.request("POST", "/campaigns", member_of_school, **BROKEN), 403, "forbidden")
    error_of(api.request("POST", "/campaigns", curator_orel, **BROKEN), 400, "bad_request")
    close = f"/campaigns/{campaign['id']}/close"
    error_of(api.request("POST", close, head_of_school, **BROKEN), 404, "not_found")
    error_of(api.request("POST", close, curator_orel, **BROKEN), 400, "bad_request")

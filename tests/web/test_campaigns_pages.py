"""The scaling campaigns' pages: «Новая кампания» from a practice's page, the campaign's
page (funnel, offers, replicas), the curators' list, and a head's «Предложения практик»
with the accept (choose the leader) and decline (a reason) forms; all without JavaScript."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine import clock
from engine import practices as P
from tests.web.conftest import db_snapshot, dom, field_error, form_for
from tests.web.test_practices_pages import PUBLISH, close_project


@pytest.fixture
def practice(make, world, member_of_school, head_of_school, curator_orel) -> Any:
    p = make.project(world.school, member_of_school.actor, title="Оптимизация процесса питания")
    close_project(make, p.id, member_of_school, head_of_school)
    return make.call(P.publish, curator_orel.actor, p.id, PUBLISH)


def funnel(page: Any) -> dict[str, int]:
    return {n["data-funnel"]: int(n.text) for n in page.find("table", cls="funnel").find_all("td")}


def test_a_curator_offers_a_practice_and_the_heads_answer(web, store, practice, world, curator_orel,
                                                         head_of_other_school, member_of_other_school,
                                                         head_of_school):
    curator = web(curator_orel)
    page = dom(curator.get(f"/practices/{practice.id}"))
    link = page.one("a", **{"data-action": "new-campaign"})
    form_page = curator.get(link["href"])
    assert form_page.status_code == 200
    form = form_for(dom(form_page), "/campaigns/new")
    offered = {n["value"] for n in form.find_all("input") if n.get("name") == "org_ids"}
    assert str(world.other_school.id) in offered

    deadline = (clock.today() + timedelta(days=10)).isoformat()
    bad = curator.post("/campaigns/new", {"practice_id": practice.id, "title": "Питание", "deadline": deadline})
    assert bad.status_code == 422  # no organisation chosen: the list is named
    assert dom(bad).find("p", cls="field-error", id="campaign-org_ids-err") is not None
    r = curator.post("/campaigns/new", {"practice_id": practice.id, "title": "Питание без очередей",
                                        "message": "Предлагаем внедрить", "deadline": deadline,
                                        "org_ids": [world.other_school.id]})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    campaign_url = r.headers["Location"]
    page = dom(curator.get(campaign_url))
    assert funnel(page) == {"offered": 1, "accepted": 0, "declined": 0, "started": 0, "closed": 0}

    # the head of the other school: the nav leads to the offers; declining needs a reason
    head = web(head_of_other_school)
    offers = dom(head.get("/campaigns/offers"))
    (section,) = offers.find_all("section", **{"data-offer-status": "offered"})
    offer_id = section["data-offer-id"]
    before = db_snapshot(store)
    r = head.post(f"/campaigns/offers/{offer_id}/decline", {"reason": ""})
    assert r.status_code == 422
    assert field_error(dom(r), "reason")
    assert db_snapshot(store) == before
    # a member may not answer; another school's head does not see the offer
    assert web(member_of_other_school).post(f"/campaigns/offers/{offer_id}/accept",
                                            {"leader_id": member_of_other_school.id}).status_code == 403
    assert web(head_of_school).post(f"/campaigns/offers/{offer_id}/accept",
                                    {"leader_id": member_of_other_school.id}).status_code == 404

    accept = form_for(offers, f"/campaigns/offers/{offer_id}/accept")
    leaders = {n["value"] for n in accept.find_all("option") if n.get("value")}
    assert str(member_of_other_school.id) in leaders
    r = head.post(f"/campaigns/offers/{offer_id}/accept", {"leader_id": member_of_other_school.id})
    assert r.status_code == 302 and "/projects/" in r.headers["Location"]

    page = dom(curator.get(campaign_url))
    assert funnel(page) == {"offered": 1, "accepted": 1, "declined": 0, "started": 1, "closed": 0}
    row = page.one("tr", **{"data-offer-status": "accepted"})
    assert row.find("a", data_replica_project_id=True) is not None
    listing = dom(curator.get("/campaigns"))
    assert listing.find("tr", **{"data-status": "open"}) is not None
    # a head is sent from /campaigns to the offers; the campaign's page is not theirs
    assert head.get("/campaigns").status_code == 302
    assert head.get(campaign_url).status_code == 404

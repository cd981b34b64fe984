"""Defence sessions' pages (#14 item 5): «Запланировать защиту» on /defence, the session
page (add projects, decide each: accepted / to revise with remarks, progress), and the
printable protocol listing every project with who decided what."""
from __future__ import annotations

from typing import Any

import pytest

from engine.defence import service as defence
from tests.defence_world import waiting_for_curator
from tests.web.conftest import db_snapshot, dom, project_row


@pytest.fixture
def fifteen(make: Any, world: Any, member_of_school: Any, head_of_school: Any) -> list[Any]:
    return [waiting_for_curator(make, world.school, member_of_school, head_of_school, f"Проект защиты №{n:02}")
            for n in range(1, 16)]


def test_a_curator_schedules_runs_and_prints_a_session_of_fifteen(web, store, world, curator_orel, fifteen):
    b = web(curator_orel)
    page = dom(b.get("/defence"))
    assert page.one("form", data_form="schedule") is not None
    r = b.post("/defence", {"region_id": world.region.id, "title": "Защита целевых состояний",
                            "held_on": "2026-12-10", "place": "ИРО, ауд. 204", "commission": [curator_orel.id]})
    assert r.status_code == 302, r.get_data(as_text=True)
    url = r.headers["Location"]
    sid = int(url.rstrip("/").split("/")[-1])
    for p in fifteen:
        assert b.post(f"/defence/{sid}/projects", {"project_id": p.id}).status_code == 302
    page = dom(b.get(url))
    items = page.find_all("tr", data_defence_item=True)
    assert len(items) == 15
    assert page.one(data_progress=True)["data-total"] == "15"
    revise = {fifteen[1].id, fifteen[7].id}
    by_project = {p.id: p for p in fifteen}
    titles = {p.title: p.id for p in by_project.values()}
    for row in items:
        item_id = row["data-defence-item"]
        pid = titles[row.find("a").text]
        data = ({"decision": "to_revise", "remarks": f"Доработать карту ({pid})"} if pid in revise
                else {"decision": "accepted"})
        assert b.post(f"/defence/{sid}/items/{item_id}/decision", data).status_code == 302
    page = dom(b.get(url))
    progress = page.one(data_progress=True)
    assert (progress["data-decided"], progress["data-total"]) == ("15", "15")
    assert {project_row(store, p.id).state for p in fifteen if p.id not in revise} == {"implement"}
    assert {project_row(store, pid).state for pid in revise} == {"target"}

    protocol = dom(b.get(f"/defence/{sid}/protocol"))
    rows = protocol.find_all("tr", data_defence_item=True)
    assert len(rows) == 15
    assert sorted(r["data-decision"] for r in rows) == ["accepted"] * 13 + ["to_revise"] * 2
    text = protocol.text
    assert "Смирнова Ольга" in text and "ИРО, ауд. 204" in text
    assert all(f"Доработать карту ({pid})" in text for pid in revise)
    assert not protocol.find_all("form", data_form=True)  # the protocol records, it takes no decisions


def test_to_revise_without_remarks_shows_the_field_error_and_writes_nothing(web, store, make, world, curator_orel,
                                                                          member_of_school, head_of_school):
    p = waiting_for_curator(make, world.school, member_of_school, head_of_school, "Проект")
    sess = make.call(defence.schedule_session, curator_orel.actor, {
        "region_id": world.region.id, "title": "Защита", "held_on": "2026-12-10"})
    make.call(defence.add_project, curator_orel.actor, sess.id, {"project_id": p.id})
    b = web(curator_orel)
    item_id = dom(b.get(f"/defence/{sess.id}")).one("tr", data_defence_item=True)["data-defence-item"]
    before = db_snapshot(store)
    r = b.post(f"/defence/{sess.id}/items/{item_id}/decision", {"decision": "to_revise", "remarks": ""})
    assert r.status_code == 422
    assert dom(r).find("textarea", aria_invalid="true", name="remarks") is not None
    assert db_snapshot(store) == before


def test_schools_people_get_403_and_another_region_404(web, make, world, curator_orel, curator_kursk,
                                                      head_of_school):
    sess = make.call(defence.schedule_session, curator_orel.actor, {
        "region_id": world.region.id, "title": "Защита", "held_on": "2026-12-10"})
    assert web(head_of_school).get(f"/defence/{sess.id}").status_code == 403
    assert web(head_of_school).get("/defence").status_code == 403
    assert web(curator_kursk).get(f"/defence/{sess.id}").status_code == 404
    assert web(curator_kursk).get(f"/defence/{sess.id}/protocol").status_code == 404
    assert web(head_of_school).post("/defence", {"region_id": world.region.id, "title": "X",
                                                 "held_on": "2026-12-10"}).status_code == 403


def test_the_card_shows_which_approval_step_a_request_waits_at(web, make, world, member_of_school, head_of_school):
    p = waiting_for_curator(make, world.school, member_of_school, head_of_school, "Проект с защитой")
    page = dom(web(member_of_school).get(f"/projects/{p.id}"))
    assert page.one(data_approval_step=True)["data-approval-step"] == "1"

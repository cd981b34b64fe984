"""Training's JSON API (new routes): courses, streams, enrolments, completion; scope and errors."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.models import Enrolment


def enrolments(store: Any) -> int:
    with store.uow() as uow:
        return len(list(uow.session.execute(select(Enrolment)).scalars()))


def test_a_curator_creates_a_course_a_stream_enrols_and_completes(api, store, world, curator_orel,
                                                                  member_of_school, head_of_school):
    r = api.post("/courses", json={"region_id": world.region.id, "title": "Подготовка экспертов",
                                             "hours": 36, "kind": "expert"}, as_=curator_orel)
    assert r.status_code == 201, r.get_json()
    course = r.get_json()
    assert course["streams"] == [] and course["kind"] == "expert"
    r = api.post(f"/courses/{course['id']}/streams",
                    json={"starts_on": "2026-11-23", "ends_on": "2026-11-25", "place": "Орёл"}, as_=curator_orel)
    assert r.status_code == 201
    stream = r.get_json()
    r = api.post(f"/streams/{stream['id']}/enrolments", json={"user_id": member_of_school.id}, as_=curator_orel)
    assert r.status_code == 201
    enrolment = r.get_json()
    assert enrolment["status"] == "enrolled" and enrolment["org_id"] == world.school.id
    again = api.post(f"/streams/{stream['id']}/enrolments", json={"user_id": member_of_school.id},
                        as_=curator_orel)
    assert again.status_code == 409
    bad = api.post(f"/enrolments/{enrolment['id']}/complete", json={"completed_on": "25.11"}, as_=curator_orel)
    assert bad.status_code == 422 and "completed_on" in bad.get_json()["error"]["details"]["fields"]
    r = api.post(f"/enrolments/{enrolment['id']}/complete",
                 json={"completed_on": "2026-11-25", "certificate_no": "572400012345", "version": 1},
                 as_=curator_orel)
    assert r.status_code == 200 and r.get_json()["status"] == "completed"
    stale = api.post(f"/enrolments/{enrolment['id']}/complete",
                        json={"completed_on": "2026-11-25", "version": 1}, as_=curator_orel)
    assert stale.status_code == 409
    listed = api.get("/courses", as_=curator_orel).get_json()
    assert listed["items"][0]["streams"][0]["completed"] == 1
    assert api.get(f"/streams/{stream['id']}/enrolments", as_=head_of_school).get_json()["total"] == 1
    before = enrolments(store)
    refused = api.post(f"/streams/{stream['id']}/enrolments", json={"user_id": head_of_school.id},
                          as_=head_of_school)
    assert refused.status_code == 403 and enrolments(store) == before


def test_outside_the_region_a_course_is_not_found(api, world, curator_orel, curator_kursk):
    r = api.post("/courses", json={"region_id": world.region.id, "title": "Семинар", "hours": 8,
                                             "kind": "seminar"}, as_=curator_orel)
    course_id = r.get_json()["id"]
    assert api.get(f"/courses/{course_id}/streams", as_=curator_kursk).status_code == 404
    assert api.get("/courses", as_=curator_kursk).get_json()["total"] == 0
    assert api.post("/courses", json={"region_id": world.region.id, "title": "X", "hours": 1,
                                                "kind": "seminar"}, as_=curator_kursk).status_code == 404


def test_scope_and_permission_come_before_a_broken_body(api, world, curator_orel, curator_kursk, member_of_school):
    """As for every other route (tests/api/test_auth_and_errors.py): out of scope 404, then
    not allowed 403, and only then 400 for a body that is not a JSON object."""
    course = api.post("/courses", json={"region_id": world.region.id, "title": "Семинар", "hours": 8,
                                        "kind": "seminar"}, as_=curator_orel).get_json()
    broken = {"data": b"{broken", "headers": {"Content-Type": "application/json"}}
    assert api.post(f"/courses/{course['id']}/streams", as_=curator_kursk, **broken).status_code == 404
    assert api.post("/courses", as_=member_of_school, **broken).status_code == 403
    assert api.post(f"/courses/{course['id']}/streams", as_=member_of_school, **broken).status_code in (403, 404)
    assert api.post(f"/courses/{course['id']}/streams", as_=curator_orel, **broken).status_code == 400

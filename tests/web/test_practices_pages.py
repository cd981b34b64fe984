"""The portfolio pages: /practices (search and filters), /practices/<id> (evidence and the
replicas' comparison), the publish form of a closed project, edit and withdraw for the
curator, and the replicate form for members and heads."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine import clock
from engine import practices as P
from engine import services as svc
from engine.models import Metric
from tests.portfolio_helpers import LEAD_TIME, to_sustain
from tests.web.conftest import (
    assert_redirects_to_login,
    db_snapshot,
    dom,
    field_error,
    form_for,
    invalid_fields,
    value_of,
)

PUBLISH = {"category": "meals", "summary": "Питание без очередей: предзаказ обедов накануне"}


def close_project(make: Any, pid: int, member: Any, head: Any, result: float = 29.0) -> None:
    """Every psr gate with real evidence; the head moves at once. Lead time 67 -> ``result``."""
    to_sustain(make, pid, member, head, result)
    version = make.call(svc.get_project, head.actor, pid).version
    assert make.call(svc.request_transition, head.actor, pid, {"trigger": "close", "version": version}).moved


@pytest.fixture
def closed(make, world, member_of_school, head_of_school):
    p = make.project(world.school, member_of_school.actor, title="Оптимизация процесса питания")
    close_project(make, p.id, member_of_school, head_of_school)
    return p


@pytest.fixture
def practice(make, closed, curator_orel):
    return make.call(P.publish, curator_orel.actor, closed.id, PUBLISH)


# --- the catalogue -------------------------------------------------------------------------------

def test_the_catalogue_is_for_signed_in_users_and_linked_from_the_menu(web, practice, make, world):
    assert_redirects_to_login(web().get("/practices"))
    kursk = make.person("member", org=world.other_region_school)
    r = web(kursk).get("/practices")
    assert r.status_code == 200
    page = dom(r)
    assert page.find("a", href="/practices") is not None  # the «Практики» menu item
    item = page.one("li", data_practice_id=str(practice.id))
    assert item.find("a", href=f"/practices/{practice.id}").text == practice.title
    assert "-56,7" in item.text or "−56,7" in item.text


def test_the_search_box_finds_other_forms_of_the_words(web, practice, member_of_other_school):
    b = web(member_of_other_school)
    for q in ("питания", "питанием", "обеды"):
        page = dom(b.get("/practices", query_string={"q": q}))
        assert [n["data-practice-id"] for n in page.find_all("li", data_practice_id=True)] == [str(practice.id)], q
        assert value_of(page.by_id("practice-search"), "q") == q


def test_filters_narrow_the_catalogue(web, practice, member_of_school, world):
    b = web(member_of_school)

    def ids(**query: Any) -> list[str]:
        r = b.get("/practices", query_string=query)
        assert r.status_code == 200
        return [n["data-practice-id"] for n in dom(r).find_all("li", data_practice_id=True)]

    assert ids(category="meals") == [str(practice.id)] and ids(category="paperwork") == []
    assert ids(kind="school") == [str(practice.id)] and ids(kind="college") == []
    assert ids(municipality_id=world.municipality.id) == [str(practice.id)]
    assert ids(min_effect="56,7") == [str(practice.id)] and ids(min_effect="57") == []
    assert ids(q="библиотека") == []


def test_a_bad_filter_is_marked_next_to_its_field(web, member_of_school):
    r = web(member_of_school).get("/practices", query_string={"kind": "university"})
    assert r.status_code == 422
    assert field_error(dom(r), "kind").text


def test_search_syntax_characters_never_break_the_page(web, practice, member_of_school):
    b = web(member_of_school)
    for q in ('"', "NEAR(питание", "*", "-", "((", "питание\"*)", "OR AND NOT", "'; --"):
        assert b.get("/practices", query_string={"q": q}).status_code == 200, q


# --- a practice's page ---------------------------------------------------------------------------

def test_the_practice_page_shows_its_evidence(web, practice, closed, member_of_school, member_of_other_school):
    page = dom(web(member_of_school).get(f"/practices/{practice.id}"))
    assert page.one("h1", cls="practice-title").text == practice.title
    row = page.by_id("effect").one("tr", data_metric=LEAD_TIME)
    assert row.one("td", data_change=True)["data-change"] == "-56.7"
    assert "Заявка классного руководителя до 15:00" in page.by_id("standard").text
    assert page.find("a", data_source_project=str(closed.id)) is not None  # the member sees the project
    # another school sees the practice, not a link into a project it may not open
    other = dom(web(member_of_other_school).get(f"/practices/{practice.id}"))
    assert other.find("a", data_source_project=True) is None
    assert other.by_id("replicate") is not None and other.by_id("curate") is None


def test_unknown_practice_is_404(web, member_of_school):
    assert web(member_of_school).get("/practices/999999").status_code == 404


# --- publishing ----------------------------------------------------------------------------------

def test_the_curator_publishes_from_the_project_page(web, store, closed, curator_orel):
    b = web(curator_orel)
    link = dom(b.get(f"/projects/{closed.id}")).one("a", data_action="publish")
    assert link["href"] == f"/projects/{closed.id}/publish"
    page = dom(b.get(link["href"]))
    form = page.by_id("practice-form")
    assert value_of(form, "title") == closed.title and "Предзаказ обедов" in value_of(form, "solution")
    assert page.find(data_refusal=True) is None
    r = b.post(f"/projects/{closed.id}/publish", {**PUBLISH, "title": closed.title, "problem": "Очередь",
                                                  "solution": "Предзаказ", "standard": "Стандарт"})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    pid = int(r.headers["Location"].rsplit("/", 1)[1])
    assert dom(b.get(r.headers["Location"])).one("h1", cls="practice-title").text == closed.title
    assert dom(b.get(f"/projects/{closed.id}")).find("p", data_practice_id=str(pid)) is not None
    # published already: the form leads to the practice
    assert b.get(f"/projects/{closed.id}/publish").headers["Location"].endswith(f"/practices/{pid}")


def test_the_publish_form_names_bad_fields_and_writes_nothing(web, store, closed, curator_orel):
    b = web(curator_orel)
    b.get(f"/projects/{closed.id}/publish")
    before = db_snapshot(store)
    r = b.post(f"/projects/{closed.id}/publish", {"category": "sport", "summary": "  "})
    assert r.status_code == 422
    page = dom(r)
    assert invalid_fields(page) == {"category", "summary"}
    field_error(page, "summary")
    assert db_snapshot(store) == before


def test_publishing_a_project_that_is_not_closed_is_refused(web, store, make, world, member_of_school,
                                                            curator_orel):
    p = make.project(world.school, member_of_school.actor, title="Незавершённый проект")
    b = web(curator_orel)
    page = dom(b.get(f"/projects/{p.id}/publish"))
    assert page.find(data_refusal=True) is not None  # said before the form is sent
    assert dom(b.get(f"/projects/{p.id}")).find("a", data_action="publish") is None
    before = db_snapshot(store)
    r = b.post(f"/projects/{p.id}/publish", PUBLISH)
    assert r.status_code == 422 and dom(r).find("p", cls="error") is not None
    assert db_snapshot(store) == before


def test_only_the_regions_curator_opens_the_publish_form(web, closed, member_of_school, head_of_school,
                                                         curator_kursk):
    for who in (member_of_school, head_of_school):
        b = web(who)
        assert b.get(f"/projects/{closed.id}/publish").status_code == 403
        assert dom(b.get(f"/projects/{closed.id}")).find("a", data_action="publish") is None
    assert web(curator_kursk).get(f"/projects/{closed.id}/publish").status_code == 404


def test_the_catalogue_lists_closed_projects_ready_to_publish_for_curators(web, closed, curator_orel,
                                                                           member_of_school):
    page = dom(web(curator_orel).get("/practices"))
    assert page.by_id("ready").one("a", data_action="publish")["href"] == f"/projects/{closed.id}/publish"
    assert dom(web(member_of_school).get("/practices")).by_id("ready") is None


# --- edit and withdraw -----------------------------------------------------------------------------

def test_the_curator_edits_and_withdraws(web, store, practice, curator_orel, member_of_school,
                                         member_of_other_school):
    b = web(curator_orel)
    page = dom(b.get(f"/practices/{practice.id}/edit"))
    assert value_of(page.by_id("practice-form"), "version") == "1"
    form = {"version": "1", "category": "paperwork", "summary": "Электронные заявки", "title": practice.title,
            "problem": "", "solution": "", "standard": ""}
    assert b.post(f"/practices/{practice.id}/edit", form).status_code == 302
    assert b.post(f"/practices/{practice.id}/edit", {**form, "summary": "Снова"}).status_code == 409  # stale
    assert b.post(f"/practices/{practice.id}/edit", {**form, "version": "2", "summary": ""}).status_code == 422
    assert web(member_of_school).get(f"/practices/{practice.id}/edit").status_code == 403

    r = b.post(f"/practices/{practice.id}/withdraw", {"reason": "Устарело"})
    assert r.status_code == 302
    page = dom(b.get(f"/practices/{practice.id}"))
    assert page.one(data_withdrawn=True) and page.find("a", data_action="publish") is not None
    assert dom(web(member_of_school).get("/practices")).find("li", data_practice_id=True) is None
    assert web(member_of_other_school).get(f"/practices/{practice.id}").status_code == 404
    assert web(member_of_school).post(f"/practices/{practice.id}/withdraw", {}).status_code == 403


# --- replicate ----------------------------------------------------------------------------------

def test_a_member_of_another_school_replicates_and_the_comparison_shows_it(
        web, make, store, practice, world, member_of_other_school):
    b = web(member_of_other_school)
    page = dom(b.get(f"/practices/{practice.id}"))
    form = form_for(page, f"/practices/{practice.id}/replicate")
    assert [o["value"] for o in form.find_all("option")] == [str(world.other_school.id)]
    r = b.post(f"/practices/{practice.id}/replicate", {"org_id": str(world.other_school.id)})
    assert r.status_code == 302
    replica_id = int(r.headers["Location"].rsplit("/", 1)[1])
    project_page = dom(b.get(r.headers["Location"]))
    assert project_page.one("h1", cls="project-title").text == practice.title
    assert project_page.one(data_replica_of=str(practice.id))

    row = dom(b.get(f"/practices/{practice.id}")).by_id("replicas").one("tr", data_replica_project_id=str(replica_id))
    assert row.one("td", data_stage="diagnose")
    assert row.find(data_change=True) is not None and row.find(data_change=True)["data-change"] == ""
    # once the replica has a baseline and a measurement, its effect stands beside the original's
    with store.uow() as uow:
        metric_id = uow.session.execute(select(Metric.id).where(Metric.project_id == replica_id)).scalar_one()
    make.call(svc.update_metric, member_of_other_school.actor, metric_id, {"baseline": 50})
    make.call(svc.record_measurement, member_of_other_school.actor, metric_id,
              {"value": 30, "measured_on": clock.today().isoformat()})
    table = dom(b.get(f"/practices/{practice.id}")).by_id("replicas")
    assert table.one("tr", data_original=True).find(data_change=True)["data-change"] == "-56.7"
    assert table.one("tr", data_replica_project_id=str(replica_id)).find(data_change=True)["data-change"] == "-40.0"


def test_a_second_replica_in_one_organisation_is_asked_to_be_confirmed(web, store, practice, world,
                                                                      member_of_other_school):
    b = web(member_of_other_school)
    b.get(f"/practices/{practice.id}")
    path = f"/practices/{practice.id}/replicate"
    assert b.post(path, {"org_id": str(world.other_school.id)}).status_code == 302
    before = db_snapshot(store)
    r = b.post(path, {"org_id": str(world.other_school.id)})
    assert r.status_code == 409 and db_snapshot(store) == before
    page = dom(r)
    form = form_for(page, path)
    assert form.one("input", name="confirm")["type"] == "checkbox"
    assert "уже тиражировала" in form.text
    assert b.post(path, {"org_id": str(world.other_school.id), "confirm": "1"}).status_code == 302


def test_replicate_refuses_someone_elses_organisation_and_writes_nothing(web, store, practice, world,
                                                                         member_of_other_school, curator_orel):
    b = web(member_of_other_school)
    b.get(f"/practices/{practice.id}")
    before = db_snapshot(store)
    # another school's organisation answers as an unknown one would (#10: existence not revealed)
    r = b.post(f"/practices/{practice.id}/replicate", {"org_id": str(world.school.id)})
    assert r.status_code == 422 and "org_id" in invalid_fields(dom(r))
    r = b.post(f"/practices/{practice.id}/replicate", {"org_id": ""})
    assert r.status_code == 422 and "org_id" in invalid_fields(dom(r))
    assert b.post(f"/practices/{practice.id}/replicate", {"org_id": str(world.other_school.id)},
                  csrf=False).status_code == 400
    assert db_snapshot(store) == before
    # a curator has no organisation to replicate into: no form
    assert dom(web(curator_orel).get(f"/practices/{practice.id}")).by_id("replicate") is None

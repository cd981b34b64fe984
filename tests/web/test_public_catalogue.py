"""The public catalogue (#15 item 3): /catalogue and /catalogue/<id> for visitors without an
account, only when the installation switches it on (404 otherwise); only public fields,
never a person's name or a comment; search with Russian morphology as for signed-in users."""
from __future__ import annotations

import pytest

from engine import practices as P
from engine import services as svc
from engine.config import settings
from engine.practices.public import public_practice
from tests.portfolio_helpers import PROPOSAL, close, published_practice, to_sustain
from tests.web.conftest import dom

# distinctive names: none of them may appear on a public page
LEADER = "Евлампия Феоктистовна Присыпкина"
TEAMMATE = "Аристарх Ипполитович Чебурыкин"
HEAD = "Зиновий Порфирьевич Окунев"
PUBLISHER = "Олимпиада Серафимовна Кукушкина"
COMMENTER = "Варфоломей Гордеевич Тютюнников"
COMMENT = "Внутреннее замечание: проверить заявки за ноябрь"
NAMES = (LEADER, TEAMMATE, HEAD, PUBLISHER, COMMENTER)


@pytest.fixture
def practice(make, world):
    leader = make.person("member", org=world.school, name=LEADER, email="prisypkina@school.ru")
    teammate = make.person("member", org=world.school, name=TEAMMATE)
    head = make.person("head", org=world.school, name=HEAD)
    publisher = make.person("curator", region=world.region, name=PUBLISHER, email="kukushkina@obr57.ru")
    commenter = make.person("curator", region=world.region, name=COMMENTER)
    project = make.project(world.school, leader.actor, title="Оптимизация процесса питания", leader_id=leader.id)
    make.call(svc.add_team_member, leader.actor, project.id, {"user_id": teammate.id, "role_text": "Аналитик"})
    make.call(svc.add_comment, commenter.actor, project.id, {"text": COMMENT})
    to_sustain(make, project.id, leader, head)
    close(make, project.id, head, PROPOSAL)
    make.call(svc.add_comment, commenter.actor, project.id, {"text": COMMENT + " (после завершения)"})
    return make.call(P.publish, publisher.actor, project.id,
                     {"category": "meals", "summary": "Питание без очередей: предзаказ обедов накануне"})


@pytest.fixture
def switched_on(app):
    app.config["PUBLIC_CATALOGUE"] = True
    return app


def test_off_by_default_every_public_page_is_404_and_the_login_page_has_no_link(app, web, practice):
    assert app.config["PUBLIC_CATALOGUE"] is False
    visitor = web()
    assert visitor.get("/catalogue").status_code == 404
    assert visitor.get(f"/catalogue/{practice.id}").status_code == 404
    assert dom(visitor.get("/login")).find("a", data_public_catalogue="") is None


def test_the_setting_comes_from_the_environment_and_is_off_unless_on(monkeypatch):
    assert settings().PUBLIC_CATALOGUE is False
    monkeypatch.setenv("PUBLIC_CATALOGUE", "yes")
    assert settings().PUBLIC_CATALOGUE is True
    monkeypatch.setenv("PUBLIC_CATALOGUE", "maybe")
    assert settings().PUBLIC_CATALOGUE is False
    assert settings(PUBLIC_CATALOGUE=True).PUBLIC_CATALOGUE is True


def test_switched_on_a_visitor_reads_it_from_the_login_page(switched_on, web, practice, world):
    visitor = web()
    link = dom(visitor.get("/login")).one("a", data_public_catalogue="")
    assert link["href"] == "/catalogue"
    r = visitor.get("/catalogue")
    assert r.status_code == 200
    item = dom(r).one("li", data_practice_id=str(practice.id))
    assert item.find("a", href=f"/catalogue/{practice.id}").text == practice.title
    assert world.school.name in item.text and "г. Орёл" in item.text
    r = visitor.get(f"/catalogue/{practice.id}")
    assert r.status_code == 200
    page = dom(r)
    assert page.one("h1", cls="practice-title").text == practice.title
    assert page.one("p", data_scaling_proposal="").text == PROPOSAL
    assert page.find("tr", data_metric="ВПП выдачи обедов") is not None
    assert "Заявка классного руководителя до 15:00" in page.text  # the standard


def test_no_person_and_no_comment_appears_anywhere(switched_on, web, practice):
    visitor = web()
    for path in ("/catalogue", f"/catalogue/{practice.id}", "/catalogue?q=питание"):
        html = visitor.get(path).get_data(as_text=True)
        for secret in (*NAMES, COMMENT, "prisypkina@school.ru", "kukushkina@obr57.ru"):
            assert secret not in html, (path, secret)
        assert "/projects/" not in html  # no way into the internal pages


def test_the_public_fields_are_a_whitelist(make, practice):
    with make.store.uow() as uow:
        item = public_practice(uow, practice.id)
    assert set(item) == {"id", "title", "category", "org_kind", "org_name", "municipality_name", "problem",
                         "solution", "standard", "scaling_proposal", "effect", "effect_size", "replica_count"}


def test_search_with_morphology_works_anonymously(switched_on, web, practice, make, world, member_of_school,
                                                 head_of_school, curator_orel):
    other = published_practice(make, world.school, member_of_school, head_of_school, curator_orel,
                               title="Ремонт спортивного зала", category="facilities",
                               summary="График ремонта без срыва уроков", problem="Уроки срываются")
    visitor = web()
    found = dom(visitor.get("/catalogue", query_string={"q": "питанием"}))  # «питания» in the title
    assert found.find("li", data_practice_id=str(practice.id)) is not None
    assert found.find("li", data_practice_id=str(other.id)) is None
    found = dom(visitor.get("/catalogue", query_string={"q": "ремонтом"}))
    assert [li["data-practice-id"] for li in found.find_all("li") if li.has("data-practice-id")] == [str(other.id)]
    by_category = dom(visitor.get("/catalogue", query_string={"category": "facilities"}))
    assert by_category.find("li", data_practice_id=str(practice.id)) is None


def test_a_bad_filter_names_the_field_and_a_withdrawn_practice_is_404(switched_on, web, practice, make,
                                                                      curator_orel):
    visitor = web()
    r = visitor.get("/catalogue", query_string={"kind": "university"})
    assert r.status_code == 422
    assert dom(r).find("select", name="kind", aria_invalid="true") is not None
    make.call(P.withdraw_practice, curator_orel.actor, practice.id, {})
    assert visitor.get(f"/catalogue/{practice.id}").status_code == 404
    assert dom(visitor.get("/catalogue")).find("li", data_practice_id=str(practice.id)) is None
    assert visitor.get("/catalogue/999999").status_code == 404


def test_the_public_pages_carry_the_security_headers(switched_on, web, practice):
    r = web().get(f"/catalogue/{practice.id}")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    html = r.get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html

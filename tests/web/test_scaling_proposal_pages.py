"""The scaling proposal on the pages (#15 item 6): the card's «Завершить проект» form asks
«Где ещё это применимо и при каких условиях?», the closed card shows the answer, the head
approving a member's closing request may reword it, and the practice page shows it."""
from __future__ import annotations

import re

import pytest

from engine import practices as P
from engine import services as svc
from tests.portfolio_helpers import PROPOSAL, to_sustain
from tests.web.conftest import db_snapshot, dom


@pytest.fixture
def sustained(make, world, member_of_school, head_of_school):
    project = make.project(world.school, member_of_school.actor, title="Обеды без очередей")
    to_sustain(make, project.id, member_of_school, head_of_school)
    return make.call(svc.get_project, head_of_school.actor, project.id)


def _close_form(page):
    forms = [f for f in page.find_all("form") if any(n.get("name") == "trigger" and n.get("value") == "close"
                                                     for n in f.iter())]
    assert len(forms) == 1
    return forms[0]


def test_the_closing_form_asks_and_the_closed_card_shows_the_answer(web, sustained, head_of_school, make,
                                                                   curator_orel, member_of_other_school):
    b = web(head_of_school)
    form = _close_form(dom(b.get(f"/projects/{sustained.id}")))
    assert any(n.tag == "textarea" and n.get("name") == "scaling_proposal" for n in form.iter())
    r = b.post(f"/projects/{sustained.id}/move", {"trigger": "close", "version": sustained.version,
                                                  "back": "project", "scaling_proposal": PROPOSAL})
    assert r.status_code == 302
    card = dom(b.get(f"/projects/{sustained.id}"))
    assert card.one("dd", data_scaling_proposal="").text == PROPOSAL
    practice = make.call(P.publish, curator_orel.actor, sustained.id, {"category": "meals", "summary": "Обеды"})
    page = dom(web(member_of_other_school).get(f"/practices/{practice.id}"))
    assert page.one("p", data_scaling_proposal="").text == PROPOSAL


def test_the_head_approving_a_members_close_sees_and_may_reword_it(web, sustained, member_of_school,
                                                                  head_of_school, make):
    r = web(member_of_school).post(f"/projects/{sustained.id}/move", {
        "trigger": "close", "version": sustained.version, "back": "project", "scaling_proposal": PROPOSAL})
    assert r.status_code == 302
    b = web(head_of_school)
    page = dom(b.get(f"/projects/{sustained.id}"))
    request_id = page.one("div", data_request_id=page.find("div", id="request")["data-request-id"])["data-request-id"]
    textarea = next(n for n in page.iter() if n.tag == "textarea" and n.get("name") == "scaling_proposal")
    assert "".join(c for c in textarea.children if isinstance(c, str)) == PROPOSAL
    b.post(f"/approvals/{request_id}/approve", {"back": "project", "scaling_proposal": "Во всех школах области"})
    card = dom(b.get(f"/projects/{sustained.id}"))
    assert card.one("dd", data_scaling_proposal="").text == "Во всех школах области"


def test_a_too_long_answer_is_refused_with_its_name_and_nothing_is_written(web, sustained, head_of_school,
                                                                           store):
    b = web(head_of_school)
    b.get(f"/projects/{sustained.id}")
    before = db_snapshot(store)
    r = b.post(f"/projects/{sustained.id}/move", {"trigger": "close", "version": sustained.version,
                                                  "back": "project", "scaling_proposal": "я" * 2001})
    assert r.status_code == 302  # back to the card, which says why
    assert db_snapshot(store) == before
    page = dom(b.get(f"/projects/{sustained.id}"))
    assert re.search(r"2\s000", page.text)  # the length rule, «не более 2 000 символов»


def test_the_boards_move_menu_asks_too_and_passes_it_on(web, sustained, head_of_school, make):
    b = web(head_of_school)
    menu = dom(b.get(f"/projects/{sustained.id}/moves"))
    close = next(f for f in menu.find_all("form") if any(n.get("value") == "close" for n in f.iter()))
    assert any(n.tag == "textarea" and n.get("name") == "scaling_proposal" for n in close.iter())
    back = next(f for f in menu.find_all("form") if any(n.get("value") == "back_to_standardise" for n in f.iter()))
    assert not any(n.get("name") == "scaling_proposal" for n in back.iter())
    b.post(f"/projects/{sustained.id}/move", {"trigger": "close", "version": sustained.version,
                                              "scaling_proposal": PROPOSAL})
    assert make.call(svc.get_project, head_of_school.actor, sustained.id).scaling_proposal == PROPOSAL

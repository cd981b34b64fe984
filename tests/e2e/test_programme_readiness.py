"""Issue #13's browser tests: a coordinator fills in and submits the readiness
questionnaire (from the board's reminder, confirming the submit); the region's curator
sees the programme tower's funnel count «readiness» go up by one and the heat map cell
of the school's municipality change; a municipal curator's pages show no other
municipality."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from engine import clock
from engine.programme import service as P
from engine.programme.questionnaire import get
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in, log_out

pytestmark = pytest.mark.e2e

Q = get("readiness")
LEADERSHIP = next(s for s in Q.sections if s.id == "leadership")


def day(offset: int) -> str:
    return (clock.today() + timedelta(days=offset)).isoformat()


@pytest.fixture
def programme(make: Any, world: Any, curator_orel: Any, head_of_other_school: Any, frozen_clock: Any) -> Any:
    """The school and the other school of Oryol city, and a school of Mtsensk district, take
    part; the other school has already submitted the initial round with every score 2."""
    prog = make.call(P.create_programme, curator_orel.actor, {
        "region_id": world.region.id, "title": "Бережливая школа", "starts_on": day(-60), "ends_on": day(700),
        "stages": [{"title": "Подготовительный", "starts_on": day(-60), "ends_on": day(60)}]})
    mtsensk = make.org(make.municipality(world.region, "Мценский район"), "МБОУ Мценская СОШ")
    for org in (world.school, world.other_school, mtsensk):
        make.call(P.add_participant, curator_orel.actor, prog.id, {"org_id": org.id, "joined_on": day(-30)})
    rnd = make.call(lambda u: P.rounds_of(u, prog.id))[0]
    make.call(P.save_answer, head_of_other_school.actor, rnd.id, {
        "org_id": world.other_school.id, "scores": dict.fromkeys(Q.item_section, 2), "submit": True})
    far_member = make.person("member", org=mtsensk)
    make.project(mtsensk, far_member.actor, title="Питание в Мценске")
    return prog, rnd


def tower_figures(page: Page, municipality: str) -> tuple[int, str]:
    """The tower's overall «readiness» count and the municipality's leadership cell."""
    count = page.locator('[data-funnel] tr[data-municipality="all"] td[data-step="readiness"]')
    cell = (page.locator("[data-heat-map] tr").filter(has=page.locator("th", has_text=municipality))
            .locator('td[data-section="leadership"]'))
    expect(count).to_have_count(1)
    expect(cell).to_have_count(1)
    return int(count.inner_text().strip()), cell.inner_text().strip()


def test_a_coordinator_submits_and_the_curator_sees_the_funnel_and_heat_map_move(
        page: Page, live_server, world, programme, coordinator_of_school, curator_orel):
    prog, rnd = programme
    log_in(page, live_server, curator_orel.email, PASSWORD)
    page.goto(f"{live_server.url}/programmes/{prog.id}")
    before_count, before_cell = tower_figures(page, "г. Орёл")
    assert (before_count, before_cell) == (1, "2,0")  # the other school only (a decimal comma)
    log_out(page)

    log_in(page, live_server, coordinator_of_school.email, PASSWORD)
    page.locator(f'[data-readiness-due="{rnd.id}"] a').click()
    page.wait_for_url(f"**/rounds/{rnd.id}/answer?org_id={world.school.id}")
    expect(page.locator("[data-answer-status]")).to_have_attribute("data-answer-status", "none")
    for item in LEADERSHIP.items:  # by the descriptor a teacher reads: 4 for each of leadership's
        page.get_by_label(f"4 — {item.descriptors[4]}", exact=True).check()
    for item in (i for s in Q.sections if s.id != "leadership" for i in s.items):
        page.check(f'input[name="score-{item.id}"][value="3"]')
    page.get_by_label("Финансирование", exact=True).check()
    page.fill('textarea[name="q-difficulties-text"]', "Нехватка времени\nНет наставника")
    submit = page.locator('form[data-answer-form] button[value="submit"]')
    # «Отправить» asks first: declined, nothing is sent
    asked: list[str] = []

    def answer_dialog(accept: bool) -> Any:
        def handler(dialog: Any) -> None:
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()
        return handler

    page.once("dialog", answer_dialog(False))
    submit.click()
    assert len(asked) == 1 and asked[0]
    expect(page.locator("[data-answer-status]")).to_have_attribute("data-answer-status", "none")
    assert page.locator('input[name="score-lead_vision"][value="4"]').is_checked()  # still the filled form
    page.once("dialog", answer_dialog(True))
    submit.click()
    status = page.locator('[data-answer-status="submitted"]')
    expect(status).to_contain_text("01.09.2026, Кузнецова Мария")
    expect(page.locator("form[data-answer-form]")).to_have_count(0)
    expect(page.locator('tr[data-item="lead_vision"] td[data-score="4"]')).to_have_count(1)
    page.goto(f"{live_server.url}/board")
    expect(page.locator("[data-readiness-due]")).to_have_count(0)
    log_out(page)

    log_in(page, live_server, curator_orel.email, PASSWORD)
    page.locator("nav a[href='/programmes']").click()
    page.locator(f"a[href='/programmes/{prog.id}']").click()
    after_count, after_cell = tower_figures(page, "г. Орёл")
    assert after_count == before_count + 1
    assert after_cell != before_cell
    assert after_cell == "3,0"  # the city's two schools: (2.0 + 4.0) / 2
    # the curator reads the answer and may return it
    page.goto(f"{live_server.url}/rounds/{rnd.id}/answer?org_id={world.school.id}")
    expect(page.locator("form[data-reopen-form]")).to_have_count(1)


def test_a_municipal_curators_pages_show_no_other_municipality(page: Page, live_server, world, programme,
                                                               curator_of_municipality):
    prog, _rnd = programme
    log_in(page, live_server, curator_of_municipality.email, PASSWORD)
    page.goto(f"{live_server.url}/programmes/{prog.id}")
    expect(page.locator("h1")).to_have_text("Бережливая школа")
    expect(page.locator("[data-funnel]")).to_contain_text("г. Орёл")
    assert "Мценск" not in page.content()
    page.goto(f"{live_server.url}/projects")
    assert "Мценск" not in page.content()
    response = page.goto(f"{live_server.url}/tower")
    assert response is not None
    if response.status == 200:
        assert "Мценск" not in page.content()
    else:
        assert response.status in (403, 404)
    page.goto(f"{live_server.url}/board")
    assert "Мценск" not in page.content()

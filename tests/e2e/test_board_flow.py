"""A project through a gate in the browser: refused, fixed, requested, approved."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from engine import services as svc
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in, log_out

pytestmark = pytest.mark.e2e


@pytest.fixture
def diagnosing_project(make, world, member_of_school):
    return make.project(world.school, member_of_school.actor, title="Оптимизация процесса выдачи справок")


def drag_card(page: Page, project_id: int, state: str) -> None:
    card = page.locator(f'[data-project-id="{project_id}"]')
    column = page.locator(f'ol[data-state="{state}"]')
    with page.expect_response("**/move*"):
        card.drag_to(column)


def test_member_moves_through_gate_and_head_approves(page: Page, live_server, diagnosing_project,
                                                    member_of_school, head_of_school):
    pid = diagnosing_project.id
    log_in(page, live_server, member_of_school.email, PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator(f'ol[data-state="diagnose"] [data-project-id="{pid}"]')).to_be_visible()

    # 1. the gate is unmet: the board says what is missing, each with a link
    drag_card(page, pid, "target")
    unmet = page.locator("#board-message [data-check]")
    expect(unmet).to_have_count(3)
    expect(page.locator('#board-message [data-check="current_state_mapped"] a')).to_have_attribute(
        "href", re.compile(rf"/projects/{pid}#artefacts"))
    expect(page.locator(f'ol[data-state="diagnose"] [data-project-id="{pid}"]')).to_be_visible()

    # 2. fix the evidence on the project page, following the link
    page.locator('#board-message [data-check="current_state_mapped"] a').click()
    page.select_option("#artefact-kind", "current_state_map")
    page.fill("#artefact-title", "Карта текущего состояния выдачи справок")
    page.locator("#artefacts form button").click()
    page.locator("#problems > details > summary").click()  # the card page's sections open in place
    page.fill("#problem-description", "Родители ждут справку по три дня")
    page.select_option("#problem-waste", "waiting")
    page.locator("#problems form button").click()
    page.locator("#metrics > details > summary").click()
    page.fill("#metric-name", "ВПП выдачи справки")
    page.fill("#metric-unit", "ч")
    page.fill("#metric-baseline", "72")
    page.locator("#metrics form.inline-form:has(#metric-name) button").click()
    expect(page.locator('#gate [data-check].unmet')).to_have_count(0)

    # 3. drag again: a request waits for the head
    page.goto(live_server.url + "/board")
    drag_card(page, pid, "target")
    expect(page.locator("#board-message [data-message=waiting]")).to_be_visible()
    expect(page.locator(f'[data-project-id="{pid}"] .badge.wait')).to_be_visible()
    log_out(page)

    # 4. the head approves from the inbox; the card is in the next column
    log_in(page, live_server, head_of_school.email, PASSWORD)
    expect(page.locator("nav .count")).to_have_text("1")
    page.goto(live_server.url + "/approvals")
    item = page.locator("[data-request-id]")
    expect(item).to_have_count(1)
    item.locator('[data-action="approve"]').click()
    page.goto(live_server.url + "/board")
    expect(page.locator(f'ol[data-state="target"] [data-project-id="{pid}"]')).to_be_visible()


def test_stale_version_shows_the_conflict_message(page: Page, live_server, make, diagnosing_project,
                                                  member_of_school, head_of_school):
    pid = diagnosing_project.id
    log_in(page, live_server, head_of_school.email, PASSWORD)
    expect(page.locator(f'[data-project-id="{pid}"]')).to_be_visible()
    # a colleague edits the card after the board was loaded
    make.call(svc.update_project, member_of_school.actor, pid, {"version": 1, "goal": "Новая цель"})
    # the head cancels from the card's menu (no drag needed): the stale version is refused
    card = page.locator(f'[data-project-id="{pid}"]')
    card.locator("summary").click()
    form = card.locator('form:has(input[name="trigger"][value="cancel"])')
    form.locator("textarea").fill("Проект объединён с другим")
    with page.expect_response("**/move*") as resp:
        form.locator("button").click()
    assert resp.value.status == 409
    expect(page.locator("#board-message [data-message=stale]")).to_be_visible()
    # the board was refreshed with the new version: the same move now works
    card = page.locator(f'[data-project-id="{pid}"]')
    expect(card).to_have_attribute("data-version", "2")


def test_switch_to_english_is_remembered(page: Page, live_server, member_of_school, diagnosing_project):
    log_in(page, live_server, member_of_school.email, PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.locator('button[data-locale="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    log_out(page)
    log_in(page, live_server, member_of_school.email, PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "en")

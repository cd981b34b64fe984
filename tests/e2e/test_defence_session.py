"""Issue #14 item 5's browser test: a curator schedules a defence session, adds the
projects waiting at their step, runs the session from its page (one accepted, one to
revise with remarks), watches the progress reach «решено 2 из 2» and opens the protocol."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.defence_world import waiting_for_curator
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def test_a_curator_runs_a_defence_session_from_the_session_page(
        page: Page, live_server, make, world, member_of_school, head_of_school, curator_orel):
    ready = waiting_for_curator(make, world.school, member_of_school, head_of_school, "Столовая без очередей")
    weak = waiting_for_curator(make, world.school, member_of_school, head_of_school, "Электронный журнал")
    log_in(page, live_server, curator_orel.email, PASSWORD)
    page.locator("nav a[href='/defence']").click()
    schedule = page.locator("form[data-form='schedule']")
    schedule.locator("input[name='title']").fill("Защита целевых состояний")
    schedule.locator("input[name='held_on']").fill("2026-12-10")
    schedule.locator("input[name='place']").fill("ИРО, ауд. 204")
    schedule.locator("button.primary").click()
    page.wait_for_url("**/defence/*")

    for project in (ready, weak):
        page.select_option("form[data-form='add'] select[name='project_id']", str(project.id))
        page.locator("form[data-form='add'] button").click()
        expect(page.locator("tr[data-defence-item]", has_text=project.title)).to_have_count(1)
    progress = page.locator("[data-progress]")
    expect(progress).to_have_attribute("data-decided", "0")
    expect(progress).to_have_attribute("data-total", "2")

    row = page.locator("tr[data-defence-item]", has_text=ready.title)
    row.locator("input[value='accepted']").check()
    row.locator("button[data-action='decide']").click()
    expect(progress).to_have_attribute("data-decided", "1")
    expect(page.locator("tr[data-defence-item]", has_text=ready.title)).to_have_attribute("data-decision", "accepted")

    row = page.locator("tr[data-defence-item]", has_text=weak.title)
    row.locator("input[value='to_revise']").check()
    row.locator("button[data-action='decide']").click()  # no remarks: refused, named at the field
    expect(page.locator("textarea[name='remarks'][aria-invalid='true']")).to_have_count(1)
    expect(progress).to_have_attribute("data-decided", "1")
    row = page.locator("tr[data-defence-item]", has_text=weak.title)
    row.locator("input[value='to_revise']").check()
    row.locator("textarea[name='remarks']").fill("Нет плана мероприятий по второй причине")
    row.locator("button[data-action='decide']").click()
    expect(progress).to_have_attribute("data-decided", "2")
    expect(page.locator("tr[data-defence-item]", has_text=weak.title)).to_contain_text(
        "Нет плана мероприятий по второй причине")

    page.locator("a[data-protocol]").click()
    page.wait_for_url("**/protocol")
    rows = page.locator(".defence-protocol tr[data-defence-item]")
    expect(rows).to_have_count(2)
    expect(page.locator("[data-commission]")).to_contain_text("Смирнова Ольга")
    expect(page.locator(".defence-protocol")).to_contain_text("ИРО, ауд. 204")
    page.goto(f"{live_server.url}/projects/{ready.id}")
    expect(page.locator("body")).to_contain_text("Внедрение улучшений")

"""The people loop in the browser (#12 items 1, 2): the member asks, the head rejects from
the inbox, the member sees «отклонено» with the reason on the board and in the bell, asks
again, and the head sees the earlier rejection and approves on the card page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from engine import services as svc
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in, log_out

pytestmark = pytest.mark.e2e

REASON = "Нет замеров до изменений: добавьте хронометраж"


@pytest.fixture
def ready_project(make, world, member_of_school):
    """A project of the school with the diagnosis done: its move to the target state waits for the head."""
    p = make.project(world.school, member_of_school.actor, title="Оптимизация выдачи справок")
    make.call(svc.add_artefact, member_of_school.actor, p.id, {"kind": "current_state_map", "title": "Карта"})
    make.call(svc.add_problem, member_of_school.actor, p.id, {"description": "Ждут три дня", "waste": "waiting"})
    make.call(svc.add_metric, member_of_school.actor, p.id, {"name": "ВПП справки", "unit": "ч",
                                                             "direction": "decrease", "baseline": 72})
    return p


def ask(page: Page, server, pid: int) -> None:
    page.goto(f"{server.url}/projects/{pid}")
    page.locator("form.move-form:has(button.primary) button.primary").click()
    expect(page.locator("#request")).to_contain_text("просит перевести проект на этап «Целевое состояние»")


def test_the_head_rejects_the_member_sees_why_and_the_head_approves_on_the_card(
        page: Page, live_server, ready_project, member_of_school, head_of_school):
    pid = ready_project.id
    log_in(page, live_server, member_of_school.email, PASSWORD)
    ask(page, live_server, pid)
    expect(page.locator("#request button[data-action=withdraw]")).to_be_visible()  # instead of moves
    expect(page.locator("form.move-form")).to_have_count(0)
    log_out(page)

    # the head hears of it in the bell and rejects from the inbox
    log_in(page, live_server, head_of_school.email, PASSWORD)
    expect(page.locator("a.bell .count")).to_have_text("1")
    page.goto(live_server.url + "/notifications")
    expect(page.locator("ol.notes li").first).to_contain_text("Иванова Анна просит перевести проект")
    page.goto(live_server.url + "/approvals")
    item = page.locator(f"li.request:has(a[href='/projects/{pid}'])")
    item.locator("textarea[name=comment]").fill(REASON)
    item.locator("button[data-action=reject]").click()
    expect(page.locator("p.flash").first).to_be_visible()
    log_out(page)

    # the member sees «отклонено» with the reason on the board and in the bell
    log_in(page, live_server, member_of_school.email, PASSWORD)
    card = page.locator(f'li.card[data-project-id="{pid}"]')
    expect(card.locator("span.rejected")).to_have_text("отклонено")
    expect(card.locator("[data-rejection]")).to_contain_text(REASON)
    expect(page.locator("a.bell .count")).to_have_text("1")
    page.locator("a.bell").click()
    note = page.locator("ol.notes li.unread").first
    expect(note).to_contain_text("отклонён")
    expect(note).to_contain_text(REASON)
    page.goto(live_server.url + "/my-requests")
    expect(page.locator("li.request[data-status=rejected]")).to_contain_text(REASON)
    ask(page, live_server, pid)  # asked again
    log_out(page)

    # the head sees the earlier rejection on the card page and approves there
    log_in(page, live_server, head_of_school.email, PASSWORD)
    page.goto(f"{live_server.url}/projects/{pid}")
    expect(page.locator("#request .earlier-rejection")).to_contain_text(REASON)
    page.locator("#request input[name=comment]").fill("Теперь хорошо")
    page.locator("#request button[data-action=approve]").click()
    expect(page).to_have_url(re.compile(rf"/projects/{pid}#move$"))
    expect(page.locator(".project-head .stage")).to_have_text("Целевое состояние")
    expect(page.locator("#request")).to_have_count(0)
    log_out(page)

    # and the member hears of the approval
    log_in(page, live_server, member_of_school.email, PASSWORD)
    page.goto(live_server.url + "/notifications")
    expect(page.locator("ol.notes li").first).to_contain_text("согласован")

"""The curator's morning: open the tower, follow a stalled project to its card."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


def test_curator_follows_a_stalled_project_to_its_card(page: Page, live_server, make, world, member_of_school,
                                                       curator_orel, frozen_clock):
    stalled = make.project(world.school, member_of_school.actor, title="Оптимизация процесса питания")
    frozen_clock.advance(days=60)  # over the 45-day SLA of diagnose, and idle too
    make.project(world.school, member_of_school.actor, title="Оптимизация приёма в 1 класс")

    log_in(page, live_server, curator_orel.email, PASSWORD)
    page.locator("nav a[href='/tower']").click()
    expect(page.locator("h1")).to_contain_text("Орловская область")
    row = page.locator(f'[data-stalled-project="{stalled.id}"]')
    expect(row).to_have_count(1)
    expect(page.locator("[data-stalled-project]")).to_have_count(1)
    row.locator(f'a[href="/projects/{stalled.id}"]').click()
    expect(page.locator("h1.project-title")).to_have_text("Оптимизация процесса питания")
    expect(page.locator(".project-head .badge.danger")).to_be_visible()

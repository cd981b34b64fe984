"""The portfolio edition in the browser (#15 item 2): the contents jump to a practice, the
Print button prints, and printed the page shows no navigation, only the document."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in
from tests.portfolio_helpers import published_practice

pytestmark = pytest.mark.e2e


@pytest.fixture
def practice(make, world, member_of_school, head_of_school, curator_orel):
    return published_practice(make, world.school, member_of_school, head_of_school, curator_orel,
                              title="Обеды без очередей")


def test_the_edition_prints_without_the_navigation(page: Page, live_server, practice, curator_orel):
    log_in(page, live_server, curator_orel.email, PASSWORD)
    page.goto(f"{live_server.url}/practices")
    page.locator("a[data-edition]").click()
    page.wait_for_url("**/portfolio/edition")
    page.locator(f'a[data-contents-practice="{practice.id}"]').click()
    expect(page.locator(f"#practice-{practice.id} h4")).to_be_in_viewport()
    expect(page.locator("header.top nav")).to_be_visible()

    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.locator("button[data-print]").click()
    assert page.evaluate("window.__printed") == 1

    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator(".print-bar")).to_be_hidden()
    expect(page.locator(f"#practice-{practice.id}")).to_be_visible()
    expect(page.locator("#contents")).to_be_visible()

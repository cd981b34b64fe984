"""What moved out of the templates for the Content-Security-Policy (issue #10) still
works in a real browser: the organisation pick submits itself, and the board's 20-second
refresh is held back while someone drags a card, has a card's menu open or types.
(The ``page`` fixture of conftest.py fails any test during which the browser blocked
something under the policy.)"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from engine import services as svc
from engine.policy import SYSTEM
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

# Fire the event htmx fires before each request of the board (its polling included) and
# report whether our handler held it back.
HELD_BACK = """() => {
  const board = document.querySelector('#board');
  const evt = new CustomEvent('htmx:confirm', {bubbles: true, cancelable: true,
                                               detail: {elt: board, issueRequest: () => {}}});
  board.dispatchEvent(evt);
  return evt.defaultPrevented;
}"""


def test_the_board_refresh_waits_while_someone_is_busy(page: Page, live_server, make, world, member_of_school):
    make.project(world.school, member_of_school.actor, title="Оптимизация расписания")
    log_in(page, live_server, member_of_school.email, PASSWORD)
    expect(page.locator("#board[data-refresh-when-idle]")).to_have_count(1)
    assert page.evaluate(HELD_BACK) is False
    page.evaluate("() => document.body.classList.add('dragging')")
    assert page.evaluate(HELD_BACK) is True
    page.evaluate("() => document.body.classList.remove('dragging')")
    page.evaluate("() => document.querySelector('#board details').setAttribute('open', '')")
    assert page.evaluate(HELD_BACK) is True
    page.evaluate("() => document.querySelector('#board details').removeAttribute('open')")
    assert page.evaluate(HELD_BACK) is False


def test_the_organisation_pick_submits_itself(page: Page, live_server, make, world, member_of_school):
    with make.store.uow() as uow:
        svc.grant_role(uow, SYSTEM, member_of_school.id, "member", org_id=world.other_school.id)
    log_in(page, live_server, member_of_school.email, PASSWORD)
    page.select_option("#org-pick", str(world.other_school.id))
    page.wait_for_url(f"**/board?org_id={world.other_school.id}")
    expect(page.locator("h1")).to_have_text(world.other_school.name)

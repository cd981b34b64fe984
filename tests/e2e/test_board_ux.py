"""The board in a real browser (#12 items 3 and 8): a card dragged by its title, drop slots
only where the card may go, a keyboard move that keeps the focus on the card, and the
phone's board (390×844): a collapsed header, one column at a time with stage tabs, nothing
wider than the screen."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from engine.models import TransitionRequest
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in
from tests.web.conftest import add_diagnosis, to_target

pytestmark = pytest.mark.e2e

FOCUSED_CARD = "() => { const c = document.activeElement && document.activeElement.closest('[data-project-id]');" \
               " return c ? c.getAttribute('data-project-id') : null; }"
OVERFLOW = "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
# htmx wires up a swapped-in menu's forms when it settles: a key pressed before that submits
# the plain form (the page without JavaScript: it works, but reloads the board)
SETTLED = "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"


@pytest.fixture
def ready_project(make, world, member_of_school):
    """A school project whose diagnosis is complete: its move to «Целевое состояние» asks the head."""
    p = make.project(world.school, member_of_school.actor, title="Оптимизация выдачи справок")
    add_diagnosis(make, p.id, member_of_school)
    return p


def _requests(store, project_id: int) -> list[TransitionRequest]:
    with store.uow() as uow:
        return list(uow.session.execute(select(TransitionRequest).where(
            TransitionRequest.project_id == project_id)).scalars())


def test_a_member_drags_a_card_by_its_title(page: Page, live_server, store, ready_project, member_of_school):
    pid = ready_project.id
    log_in(page, live_server, member_of_school.email, PASSWORD)
    title = page.locator(f'[data-project-id="{pid}"] a.card-title')
    expect(title).to_be_visible()
    with page.expect_response("**/move*") as resp:
        title.drag_to(page.locator('ol[data-state="target"]'))
    assert resp.value.status == 200
    expect(page.locator("#board-message [data-message=waiting]")).to_be_visible()
    expect(page.locator(f'[data-project-id="{pid}"] .badge.wait')).to_be_visible()
    [req] = _requests(store, pid)
    assert req.status == "pending" and req.trigger == "to_target"
    # a click on the title still opens the card
    page.locator(f'[data-project-id="{pid}"] a.card-title').click()
    page.wait_for_url(f"**/projects/{pid}")


def test_drop_slots_only_in_the_columns_the_card_may_go_to(page: Page, live_server, store, ready_project,
                                                          member_of_school):
    pid = ready_project.id
    log_in(page, live_server, member_of_school.email, PASSWORD)
    card = page.locator(f'[data-project-id="{pid}"]')
    expect(card).to_have_attribute("data-dests", "target")
    # a drop two columns on is refused by the board itself: no request is sent
    moves: list[str] = []
    page.on("request", lambda r: moves.append(r.url) if "/move" in r.url else None)
    card.locator("a.card-title").drag_to(page.locator('ol[data-state="implement"]'))
    page.wait_for_timeout(300)
    assert moves == []
    expect(page.locator(f'ol[data-state="diagnose"] [data-project-id="{pid}"]')).to_be_visible()
    assert _requests(store, pid) == []


def test_a_keyboard_move_keeps_the_focus_on_the_card(page: Page, live_server, store, ready_project,
                                                    member_of_school):
    pid = ready_project.id
    log_in(page, live_server, member_of_school.email, PASSWORD)
    summary = page.locator(f'[data-project-id="{pid}"] details.menu summary')
    summary.focus()
    page.keyboard.press("Enter")  # opens the menu; its moves are read now
    target = page.locator(f'[data-project-id="{pid}"] button[data-dest="target"]')
    expect(target).to_be_visible()
    page.wait_for_function(SETTLED, polling=50)
    target.focus()
    with page.expect_response("**/move*"):
        page.keyboard.press("Enter")
    expect(page.locator("#board-message [data-message=waiting]")).to_be_visible()
    page.wait_for_function(f"() => document.activeElement && document.activeElement.closest"
                           f"('[data-project-id=\"{pid}\"]') !== null", polling=100)
    assert page.evaluate(FOCUSED_CARD) == str(pid)
    assert len(_requests(store, pid)) == 1


def test_a_keyboard_move_to_another_column_follows_the_card(page: Page, live_server, ready_project,
                                                           head_of_school):
    """The head's move happens at once: the card is in the next column and keeps the focus."""
    pid = ready_project.id
    log_in(page, live_server, head_of_school.email, PASSWORD)
    page.locator(f'[data-project-id="{pid}"] details.menu summary').click()
    button = page.locator(f'[data-project-id="{pid}"] button[data-dest="target"]')
    expect(button).to_be_visible()
    page.wait_for_function(SETTLED, polling=50)
    button.focus()
    with page.expect_response("**/move*"):
        page.keyboard.press("Enter")
    expect(page.locator(f'ol[data-state="target"] [data-project-id="{pid}"]')).to_be_visible()
    page.wait_for_function(f"() => document.activeElement && document.activeElement.closest"
                           f"('[data-project-id=\"{pid}\"]') !== null", polling=100)


@pytest.fixture
def phone(page: Page) -> Page:
    page.set_viewport_size({"width": 390, "height": 844})
    return page


def test_the_phone_board_fits_the_screen_and_tabs_switch_columns(phone: Page, live_server, make, world,
                                                                 member_of_school, head_of_school):
    page = phone
    long = make.project(world.school, member_of_school.actor,
                        title="Оптимизацияпроцессаподготовкиотчётностиклассногоруководителяпослеканикул "
                              "и ещё очень длинное название проекта")
    other = make.project(world.school, member_of_school.actor, title="Выдача учебников")
    to_target(make, make.store, other.id, member_of_school, head_of_school)
    log_in(page, live_server, member_of_school.email, PASSWORD)
    width, inner = page.evaluate(OVERFLOW)
    assert width <= inner, (width, inner)
    # the header is collapsed behind its menu button
    toggle = page.locator("header [data-menu-toggle]")
    expect(toggle).to_be_visible()
    expect(page.locator("#main-nav")).to_be_hidden()
    header_height = page.locator("header.top").bounding_box()["height"]
    assert header_height < 844 / 8, header_height
    toggle.click()
    expect(page.locator("#main-nav")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(page.locator("#main-nav")).to_be_hidden()
    # one column at a time: «Диагностика» first
    expect(page.locator(f'[data-project-id="{long.id}"]')).to_be_visible()
    expect(page.locator(f'[data-project-id="{other.id}"]')).to_be_hidden()
    page.locator('[data-stage-tab="target"]').click()
    expect(page.locator(f'[data-project-id="{other.id}"]')).to_be_visible()
    expect(page.locator(f'[data-project-id="{long.id}"]')).to_be_hidden()
    expect(page.locator('[data-stage-tab="target"]')).to_have_attribute("aria-current", "true")
    assert "stage=target" in page.url  # the tab's URL, shareable
    width, inner = page.evaluate(OVERFLOW)
    assert width <= inner, (width, inner)
    # the refresh keeps the chosen column
    with page.expect_response("**/board*"):
        page.evaluate("() => htmx.ajax('GET', '/board', {target: '#board', swap: 'outerHTML'})")
    expect(page.locator(f'[data-project-id="{other.id}"]')).to_be_visible()
    expect(page.locator(f'[data-project-id="{long.id}"]')).to_be_hidden()


def test_the_phone_region_board_and_tower_do_not_overflow(phone: Page, live_server, make, world, curator_orel,
                                                          member_of_school):
    page = phone
    make.project(world.school, member_of_school.actor, title="Питание без очередей")
    log_in(page, live_server, curator_orel.email, PASSWORD)
    for path in ("/board", "/board?lanes=org", "/tower", "/projects"):
        page.goto(live_server.url + path)
        width, inner = page.evaluate(OVERFLOW)
        assert width <= inner, (path, width, inner)

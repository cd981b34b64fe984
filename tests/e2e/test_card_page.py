"""The card page in a browser (#12 item 4): a card of the demo's size is short when its
sections are folded; a section opens in place, an invalid form comes back with the error
next to the field and the focus on it, and the address stays the card's."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from engine import clock
from engine import services as svc
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_like_card(make: Any, world: Any, member_of_school: Any, head_of_school: Any) -> Any:
    """A card as full as the demo's: metrics with measurements (charts), problems, actions,
    risks, materials, a team member and comments."""
    who = member_of_school.actor
    p = make.project(world.school, who, title="Оптимизация подготовки контрольной работы",
                     problem="Учитель тратит на подготовку контрольной работы больше часа",
                     goal="Готовить контрольную работу за 30 минут")
    today = clock.today()
    for name, unit, base, target in (("ВПП подготовки", "мин", 67.0, 29.0), ("Доля довольных", "%", 28.7, 80.0),
                                     ("Число переделок", "", 4.0, 1.0)):
        m = make.call(svc.add_metric, who, p.id, {"name": name, "unit": unit, "direction": "decrease",
                                                  "baseline": base, "target": target})
        make.call(svc.record_measurement, who, m.id, {"value": base * 0.8, "measured_on": today.isoformat()})
    for text, waste in (("Поиск бланков", "motion"), ("Ожидание принтера", "waiting"),
                        ("Лишние согласования", "overprocessing")):
        make.call(svc.add_problem, who, p.id, {"description": text, "waste": waste})
    for title in ("Шаблон контрольной", "Общий принтер в учительской", "Регламент согласования"):
        make.call(svc.add_action, who, p.id, {"title": title, "due_on": "2026-12-20"})
    make.call(svc.log_risk, who, p.id, {"title": "Сопротивление педагогов", "probability": 4, "impact": 4})
    make.call(svc.log_risk, who, p.id, {"title": "Нет бумаги", "probability": 2, "impact": 2})
    make.call(svc.add_artefact, who, p.id, {"kind": "current_state_map", "title": "Карта текущего состояния",
                                            "url": "https://example.org/kts"})
    make.call(svc.add_team_member, who, p.id, {"user_id": head_of_school.id, "role_text": "заказчик"})
    for text in ("Начали замеры", "Карта готова", "Обсудили на педсовете"):
        make.call(svc.add_comment, who, p.id, {"text": text})
    return p


def test_the_folded_card_is_short_and_an_invalid_form_keeps_the_focus_at_the_card(
        page: Page, live_server, demo_like_card, member_of_school):
    pid = demo_like_card.id
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server, member_of_school.email, PASSWORD)
    card_url = f"{live_server.url}/projects/{pid}"
    page.goto(card_url)

    # everything folded: well under the old ~3,900 px wall of forms
    expect(page.locator("#metrics > details")).not_to_have_attribute("open", re.compile(".*"))
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2000, height
    expect(page.locator("#metric-name")).to_be_hidden()

    # a section opens in place
    page.locator("#metrics > details > summary").click()
    expect(page.locator("#metric-name")).to_be_visible()
    expect(page.locator("#metrics .metric svg.mchart")).to_have_count(3)

    # an invalid submit: the error next to the field, the focus on it, the URL the card's
    page.fill("#metric-name", "Время ожидания ответа")
    page.fill("#metric-baseline", "сорок")
    page.locator("#metrics form.inline-form:has(#metric-name) button").click()
    page.wait_for_load_state()
    expect(page).to_have_url(card_url)
    expect(page.locator("#metric-baseline-err")).to_be_visible()
    expect(page.locator("#metric-baseline")).to_be_focused()
    expect(page.locator("#metric-baseline")).to_have_value("сорок")
    expect(page.locator("#metric-name")).to_have_value("Время ожидания ответа")

    # fixed: back at the card, the section open with its message in view
    page.fill("#metric-baseline", "12,5")
    page.locator("#metrics form.inline-form:has(#metric-name) button").click()
    expect(page).to_have_url(f"{card_url}#metrics")
    saved = page.locator('#metrics p.saved[data-saved="metrics"]')
    expect(saved).to_be_visible()
    expect(saved).to_be_in_viewport()
    expect(page.locator("#metrics")).to_have_attribute("data-count", "4")


def test_a_gate_link_opens_its_section(page: Page, live_server, make, world, member_of_school):
    p = make.project(world.school, member_of_school.actor, title="Оптимизация выдачи справок")
    log_in(page, live_server, member_of_school.email, PASSWORD)
    page.goto(f"{live_server.url}/projects/{p.id}")
    page.locator('#gate [data-check="problems_listed"] a').click()
    expect(page.locator("#problem-description")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/projects/{p.id}#problems$"))

"""The project passport in the browser: opened from the project page, with its metric
chart and stages table; printed without the navigation; the Print button prints."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from engine import clock
from engine import services as svc
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def diagnosed_project(make, world, member_of_school, head_of_school):
    """A project with a measured metric, moved to target by its head."""
    who = member_of_school.actor
    p = make.project(world.school, who, title="Оптимизация подготовки контрольной работы",
                     milestones={"diagnose": clock.today().isoformat()})
    make.call(svc.add_artefact, who, p.id, {"kind": "current_state_map", "title": "Карта текущего состояния"})
    make.call(svc.add_problem, who, p.id, {"description": "Поиск бланков", "waste": "motion"})
    metric = make.call(svc.add_metric, who, p.id, {"name": "ВПП подготовки", "unit": "мин",
                                                   "direction": "decrease", "baseline": 67.0, "target": 29.0})
    make.call(svc.record_measurement, who, metric.id, {"value": 40.0, "measured_on": clock.today().isoformat()})
    make.call(svc.request_transition, head_of_school.actor, p.id, {"trigger": "to_target", "version": 1})
    make.call(svc.log_risk, who, p.id, {"title": "Сопротивление педагогов", "probability": 4, "impact": 4})
    return p


def test_passport_opens_from_the_project_page_and_prints(page: Page, live_server, diagnosed_project,
                                                        member_of_school):
    pid = diagnosed_project.id
    log_in(page, live_server, member_of_school.email, PASSWORD)
    page.goto(f"{live_server.url}/projects/{pid}?open=metrics")
    # the project page draws the same metric chart as the passport, within its panel
    on_page = page.locator("#metrics .metric svg.mchart")
    expect(on_page).to_have_count(1)
    expect(on_page).to_be_visible()
    expect(on_page.locator("line.baseline")).to_have_count(1)
    assert on_page.bounding_box()["width"] <= page.locator("#metrics").bounding_box()["width"]
    page.locator('a[data-report="passport"]').click()
    page.wait_for_url(f"**/projects/{pid}/passport")

    expect(page.locator("h1.doc-title")).to_have_text("Оптимизация подготовки контрольной работы")
    chart = page.locator("figure.metric-chart svg.mchart")
    expect(chart).to_be_visible()
    expect(chart.locator("line.target")).to_have_count(1)
    expect(page.locator("#stages tbody tr")).to_have_count(5)
    expect(page.locator('#stages tr[data-stage="diagnose"]')).to_have_attribute("data-status", "done")
    expect(page.locator('#stages tr[data-stage="diagnose"] td.deviation')).to_have_text("0")
    expect(page.locator("header.top")).to_be_visible()

    # the Print button calls window.print (through app.js, no inline script)
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.locator("button[data-print]").click()
    assert page.evaluate("window.__printed") == 1

    # printed: no navigation, no buttons; the chart and the tables stay, within the page width
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator(".print-bar")).to_be_hidden()
    expect(chart).to_be_visible()
    expect(page.locator("#stages")).to_be_visible()
    doc_width = page.locator("article.passport").bounding_box()["width"]
    assert chart.bounding_box()["width"] <= doc_width + 1
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") in ("rgb(255, 255, 255)",)

"""The portfolio in a real browser: the curator publishes a closed project as a practice,
a teacher of another school finds it by a word form and replicates it, and the practice
page shows the replica beside the original."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from engine import clock
from engine import services as svc
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in, log_out

pytestmark = pytest.mark.e2e


def close_project(make, pid: int, member, head) -> None:
    """Every psr gate with real evidence (lead time 67 -> 29 min); the head moves at once."""
    def log(fn, *args):
        return make.call(fn, member.actor, *args)

    def fire(trigger: str) -> None:
        version = make.call(svc.get_project, head.actor, pid).version
        assert make.call(svc.request_transition, head.actor, pid, {"trigger": trigger, "version": version}).moved

    today = clock.today().isoformat()
    log(svc.add_artefact, pid, {"kind": "current_state_map", "title": "Карта текущего состояния"})
    log(svc.add_problem, pid, {"description": "Очередь в столовой", "waste": "waiting"})
    metric = log(svc.add_metric, pid, {"name": "ВПП выдачи обедов", "unit": "мин", "direction": "decrease",
                                       "baseline": 67.0, "target": 29.0})
    fire("to_target")
    log(svc.add_artefact, pid, {"kind": "target_state_map", "title": "Карта целевого состояния"})
    action = log(svc.add_action, pid, {"title": "Предзаказ обедов накануне", "due_on": today})
    fire("to_implement")
    log(svc.update_action, action.id, {"status": "done"})
    log(svc.record_measurement, metric.id, {"value": 29.0, "measured_on": today})
    fire("to_standardise")
    log(svc.add_artefact, pid, {"kind": "standard", "title": "Стандарт выдачи обедов",
                                "text": "Классный руководитель подаёт заявку до 15:00"})
    fire("to_sustain")
    log(svc.add_artefact, pid, {"kind": "report", "title": "Итоговый отчёт"})
    fire("close")


@pytest.fixture
def closed_project(make, world, member_of_school, head_of_school):
    p = make.project(world.school, member_of_school.actor, title="Оптимизация процесса питания школьников")
    close_project(make, p.id, member_of_school, head_of_school)
    return p


def test_publish_a_practice_and_replicate_it_from_another_school(
        page: Page, live_server, closed_project, curator_orel, member_of_other_school, world):
    pid = closed_project.id
    # 1. the curator opens the closed project and publishes it
    log_in(page, live_server, curator_orel.email, PASSWORD)
    page.goto(f"{live_server.url}/projects/{pid}")
    page.locator('a[data-action="publish"]').click()
    page.wait_for_url(f"**/projects/{pid}/publish")
    expect(page.locator("[data-refusal]")).to_have_count(0)
    page.select_option("#pr-category", "meals")
    page.fill("#pr-summary", "Питание без очередей: заявка на обеды накануне, выдача по графику")
    page.locator('button[data-action="publish"]').click()
    page.wait_for_url(re.compile(r".*/practices/\d+$"))
    practice_url = page.url
    expect(page.locator("h1.practice-title")).to_have_text(closed_project.title)
    expect(page.locator('#effect tr[data-metric="ВПП выдачи обедов"] td[data-change]')).to_have_attribute(
        "data-change", "-56.7")
    log_out(page)

    # 2. a teacher of another school finds it by another form of the word and replicates it
    log_in(page, live_server, member_of_other_school.email, PASSWORD)
    page.locator('nav a[href="/practices"]').click()
    page.fill("#pf-q", "питанием")
    page.locator("#practice-search button.primary").click()
    result = page.locator("li[data-practice-id]")
    expect(result).to_have_count(1)
    result.locator("h2 a").click()
    page.wait_for_url(practice_url)
    expect(page.locator("#replicate-org_id")).to_have_value(str(world.other_school.id))
    page.locator('button[data-action="replicate"]').click()
    page.wait_for_url(re.compile(r".*/projects/\d+$"))
    replica_id = int(page.url.rsplit("/", 1)[1])
    assert replica_id != pid
    expect(page.locator("h1.project-title")).to_have_text(closed_project.title)
    expect(page.locator("[data-replica-of]")).to_be_visible()

    # 3. the practice page lists the replica with its stage, beside the original
    page.locator("[data-replica-of] a").click()
    row = page.locator(f'#replicas tr[data-replica-project-id="{replica_id}"]')
    expect(row).to_be_visible()
    expect(row.locator("td[data-stage]")).to_have_attribute("data-stage", "diagnose")
    expect(page.locator("#replicas tr[data-original] [data-change]")).to_have_attribute("data-change", "-56.7")

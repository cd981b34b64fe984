"""Russian that reads as written by a person (#12 item 5): no «цель — мин» or «— → — (цель
— дн.)» on a card whose metric has no figures yet, no «SLA» in a tooltip."""
from __future__ import annotations

from engine.services.items import add_metric
from tests.web.conftest import dom


def test_a_card_without_figures_says_not_measured_and_shows_no_dangling_unit(web, make, world, member_of_school):
    project = make.project(world.school, member_of_school.actor)
    make.call(add_metric, member_of_school.actor, project.id, {"name": "Время ожидания", "unit": "мин",
                                                               "direction": "decrease"})
    card = dom(web(member_of_school).get("/board")).find("li", **{"data-project-id": str(project.id)})
    kpi = " ".join(card.find("div", cls="kpi").text.split())
    assert "ещё не измерено" in kpi
    assert "цель" not in kpi and "—" not in kpi and "мин" not in kpi.replace("Время ожидания", "")
    age = card.find("span", cls="age")
    assert "SLA" not in age["title"] and "при нормативе 45" in age["title"]


def test_a_card_with_a_target_names_its_unit_once_after_each_figure(web, make, world, member_of_school):
    project = make.project(world.school, member_of_school.actor)
    make.call(add_metric, member_of_school.actor, project.id, {"name": "Время ожидания", "unit": "мин",
                                                               "direction": "decrease", "baseline": 12,
                                                               "target": 5})
    card = dom(web(member_of_school).get("/board")).find("li", **{"data-project-id": str(project.id)})
    kpi = " ".join(card.find("div", cls="kpi").text.split())
    assert kpi.endswith("12 → — (цель 5 мин)")

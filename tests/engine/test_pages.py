"""Page read models (engine/services/pages.py): what the approvals inbox and the
project page show, read in the engine."""
from __future__ import annotations

from engine.services.pages import approval_inbox, project_page


def test_the_inbox_lists_what_the_head_may_decide_with_its_evidence(
        flow, project, member_of_school, head_of_school, head_of_other_school, store):
    flow.satisfy(project.id, "diagnose")
    request = flow.fire(member_of_school.actor, project.id, "to_target").request

    with store.uow() as u:
        items, total = approval_inbox(u, head_of_school.actor)
        assert total == 1 and [it.request["id"] for it in items] == [request.id]
        item = items[0]
        assert (item.project.id, item.requester, item.source.ru, item.dest.ru) == (
            project.id, "Иванова Анна", "Диагностика", "Целевое состояние")
        assert [(c.check, c.met) for c in item.checks] == [
            ("current_state_mapped", True), ("problems_listed", True), ("baselines_recorded", True)]
        assert approval_inbox(u, member_of_school.actor) == ([], 0)  # may not decide
        assert approval_inbox(u, head_of_other_school.actor) == ([], 0)  # may not see


def test_the_project_page_shows_the_next_gate_met_or_not(flow, project, member_of_school, store):
    with store.uow() as u:
        page = project_page(u, member_of_school.actor, project.id)
    assert (page.project.id, page.finished, page.gate.trigger) == (project.id, False, "to_target")
    assert [c.met for c in page.gate.checks] == [False, False, False]
    assert page.practice_links == {"replica_of": None, "published": None, "publishable": False}

    flow.satisfy(project.id, "diagnose")
    with store.uow() as u:
        page = project_page(u, member_of_school.actor, project.id)
    assert [c.met for c in page.gate.checks] == [True, True, True]


def test_the_projects_csv_rows_are_the_projects_the_person_sees(
        project, member_of_school, member_of_other_school, store):
    from engine.services.tower import CSV_HEADER, projects_csv_rows

    with store.uow() as u:
        rows = projects_csv_rows(u, member_of_school.actor)
        assert projects_csv_rows(u, member_of_other_school.actor) == []
    assert len(rows) == 1 and len(rows[0]) == len(CSV_HEADER)
    assert (rows[0][1], rows[0][3], rows[0][5], rows[0][6], rows[0][7]) == (
        project.title, "Диагностика", "нет", 0, "нет")

"""The programme above the projects (PROGRAMME.md, issue #13) in the engine: stages and
their warnings, participants, the computed funnel, readiness answers locked on submit and
reopened by a curator, work plan decisions with events and notifications, stage-task
rules, and the municipal curator's scope on the existing project reads."""
from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.errors import Conflict, Forbidden, NotFound, ValidationFailed
from engine.models import Event, Notification
from engine.practices import category_ids, publish
from engine.programme import service as P
from engine.programme.funnel import STEPS, funnel_rows
from engine.programme.questionnaire import QuestionnaireError, get, load_dir, validate_spec
from engine.programme.tower import participant_page, programme_tower
from engine.services import queries as Q

# the frozen clock is 2026-09-01 (tests/conftest.py): stage 1 runs now, the initial round is open
STAGES = [{"title": "Подготовительный", "starts_on": "2026-01-01", "ends_on": "2026-08-31"},
          {"title": "Апробация и внедрение", "starts_on": "2026-09-01", "ends_on": "2027-08-31"},
          {"title": "Диссеминация", "starts_on": "2027-09-01", "ends_on": "2027-12-31"}]
TITLE = ("Интегрирование технологий бережливого производства в процессы образовательных "
         "организаций Орловской области")


def all_scores(value: int = 3) -> dict[str, int]:
    return dict.fromkeys(get("readiness").item_section, value)


@pytest.fixture
def programme(make: Any, world: Any, curator_orel: Any) -> Any:
    stages = [{**STAGES[0], "ends_on": "2026-12-31"}, {**STAGES[1], "starts_on": "2027-01-01"}, STAGES[2]]
    return make.call(P.create_programme, curator_orel.actor, {
        "region_id": world.region.id, "title": TITLE, "starts_on": "2026-01-01", "ends_on": "2027-12-31",
        "stages": stages})


@pytest.fixture
def joined(make: Any, world: Any, programme: Any, curator_orel: Any) -> Any:
    return make.call(P.add_participant, curator_orel.actor, programme.id,
                     {"org_id": world.school.id, "joined_on": "2026-02-01", "wave": 1})


def initial_round(make: Any, programme: Any) -> Any:
    return make.call(lambda uow: P.rounds_of(uow, programme.id))[0]


def events(make: Any, kind: str) -> list[Event]:
    return make.call(lambda uow: list(uow.session.execute(select(Event).where(Event.kind == kind)).scalars()))


def notes(make: Any, user_id: int) -> list[Notification]:
    return make.call(lambda uow: list(uow.session.execute(
        select(Notification).where(Notification.user_id == user_id)).scalars()))


# --- programmes and stages ------------------------------------------------------------------

def test_creating_a_programme_opens_the_initial_round_and_writes_its_event(make, programme):
    rnd = initial_round(make, programme)
    assert (rnd.kind, rnd.opens_on, rnd.closes_on) == ("initial", date(2026, 1, 1), date(2026, 12, 31))
    assert rnd.questionnaire_id == "readiness" and programme.status == "draft"
    assert [e.payload["programme_id"] for e in events(make, "programme_created")] == [programme.id]


def test_stages_overlapping_or_leaving_a_gap_are_accepted_and_named(make, world, curator_orel):
    prog = make.call(P.create_programme, curator_orel.actor, {
        "region_id": world.region.id, "title": "РИП", "starts_on": "2020-01-01", "ends_on": "2022-12-31",
        "stages": [{"title": "Подготовительный", "starts_on": "2020-01-01", "ends_on": "2020-08-31"},
                   {"title": "Апробация", "starts_on": "2020-08-01", "ends_on": "2021-05-31"},
                   {"title": "Диссеминация", "starts_on": "2022-01-01", "ends_on": "2022-05-31"}]})
    warnings = make.call(lambda uow: [w.ru for w in P.stage_warnings(P.stages_of(uow, prog.id), prog)])
    assert len(warnings) == 2
    assert "«Подготовительный» и «Апробация» пересекаются: 01.08.2020 – 31.08.2020" in warnings[0]
    assert "«Апробация» и «Диссеминация» разрыв: 01.06.2021 – 31.12.2021" in warnings[1]


def test_contiguous_stages_have_no_warnings(make, programme):
    assert make.call(lambda uow: P.stage_warnings(P.stages_of(uow, programme.id), programme)) == []


def test_a_stage_that_ends_before_it_starts_is_refused_naming_it(make, world, curator_orel, row_counts):
    before = row_counts()
    with pytest.raises(ValidationFailed) as exc:
        make.call(P.create_programme, curator_orel.actor, {
            "region_id": world.region.id, "title": "РИП", "starts_on": "2020-01-01", "ends_on": "2022-12-31",
            "stages": [{"title": "Этап", "starts_on": "2020-05-01", "ends_on": "2020-01-31"}]})
    assert "stages.0.ends_on" in exc.value.fields
    assert row_counts() == before


def test_only_the_regions_curators_and_admins_create_programmes(make, world, head_of_school, curator_kursk,
                                                                curator_of_municipality):
    body = {"region_id": world.region.id, "title": "РИП", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}
    with pytest.raises(Forbidden):
        make.call(P.create_programme, head_of_school.actor, body)
    with pytest.raises(Forbidden):  # a municipal curator does not run the region's programme
        make.call(P.create_programme, curator_of_municipality.actor, body)
    with pytest.raises(NotFound):
        make.call(P.create_programme, curator_kursk.actor, body)


def test_status_moves_forward_only(make, programme, curator_orel):
    prog = make.call(P.update_programme, curator_orel.actor, programme.id, {"status": "active", "version": 1})
    assert (prog.status, prog.version) == ("active", 2)
    with pytest.raises(ValidationFailed):
        make.call(P.update_programme, curator_orel.actor, programme.id, {"status": "draft", "version": 2})
    with pytest.raises(Conflict):  # a stale version
        make.call(P.update_programme, curator_orel.actor, programme.id, {"title": "Другое", "version": 1})


# --- participants ------------------------------------------------------------------------------

def test_an_organisation_takes_part_once(make, world, programme, joined, curator_orel):
    with pytest.raises(Conflict):
        make.call(P.add_participant, curator_orel.actor, programme.id,
                  {"org_id": world.school.id, "joined_on": "2026-03-01"})


def test_participants_by_municipality_and_withdrawal(make, world, programme, joined, curator_orel):
    added = make.call(P.add_participants_bulk, curator_orel.actor, programme.id,
                      {"joined_on": "2026-03-01", "wave": 2, "municipality_id": world.municipality.id})
    assert [p.org_id for p in added] == [world.other_school.id]  # the school takes part already
    part = make.call(P.withdraw_participant, curator_orel.actor, added[0].id, {"reason": "Реорганизация"})
    assert (part.status, part.reason, part.withdrawn_on) == ("withdrawn", "Реорганизация", date(2026, 9, 1))


# --- the funnel, from hand-built data --------------------------------------------------------------

def test_the_funnel_is_computed_from_data(make, world, programme, joined, curator_orel, head_of_school,
                                          member_of_school, flow):
    def funnel() -> dict[str, bool]:
        return make.call(lambda uow: funnel_rows(uow.session, uow.workflows, programme.id))[0].steps

    assert not any(funnel().values())
    make.person("coordinator", org=world.school)
    assert funnel()["coordinator"] and not funnel()["group"]
    for name in ("Иванова А. А.", "Петрова Б. Б."):
        make.call(P.add_member, head_of_school.actor, joined.id, {"name": name, "position": "учитель"})
    assert not funnel()["group"]  # two people are not a group yet
    make.call(P.add_member, head_of_school.actor, joined.id, {"user_id": member_of_school.id})
    assert funnel()["group"]
    make.call(P.save_answer, head_of_school.actor, initial_round(make, programme).id,
              {"org_id": world.school.id, "scores": all_scores(), "needs": ["Курсы"]})
    assert not funnel()["readiness"]  # a draft is not an assessment
    make.call(P.save_answer, head_of_school.actor, initial_round(make, programme).id,
              {"org_id": world.school.id, "scores": all_scores(), "submit": True})
    assert funnel()["readiness"]
    make.call(P.add_plan_item, head_of_school.actor, joined.id, {"title": "Обучить группу", "due_on": "2026-10-01"})
    make.call(P.submit_plan, head_of_school.actor, joined.id, {})
    assert not funnel()["plan"]
    make.call(P.approve_plan, curator_orel.actor, joined.id, {})
    assert funnel()["plan"] and not funnel()["trained"]
    project = make.project(world.school, member_of_school.actor)
    assert funnel()["project_started"] and not funnel()["project_implemented"]
    flow.advance(project.id, "implement")
    assert not funnel()["project_implemented"]  # in implement, not past it
    flow.advance(project.id, "standardise")
    assert funnel()["project_implemented"] and not funnel()["project_closed"]
    flow.advance(project.id, "closed")
    assert funnel()["project_closed"] and not funnel()["practice_published"]
    make.call(publish, curator_orel.actor, project.id,
              {"category": category_ids()[0], "summary": "Время подготовки сократилось"})
    assert funnel() == {**dict.fromkeys(STEPS, True), "trained": False}


def test_a_cancelled_project_is_started_but_not_past_implement(make, world, programme, joined, flow,
                                                               member_of_school):
    project = make.project(world.school, member_of_school.actor)
    flow.advance(project.id, "cancelled")
    row = make.call(lambda uow: funnel_rows(uow.session, uow.workflows, programme.id))[0]
    assert row.steps["project_started"] and not row.steps["project_implemented"]
    assert not row.steps["project_closed"]


# --- readiness answers ---------------------------------------------------------------------------------

def test_a_submitted_answer_is_locked_and_a_curator_reopens_it(make, world, programme, joined,
                                                               coordinator_of_school, curator_orel):
    rnd = initial_round(make, programme)
    answer = make.call(P.save_answer, coordinator_of_school.actor, rnd.id,
                       {"org_id": world.school.id, "scores": all_scores(4), "needs": ["Вебинары"],
                        "deficits": ["Время"], "submit": True})
    assert (answer.status, answer.submitted_by) == ("submitted", coordinator_of_school.id)
    with pytest.raises(Conflict):
        make.call(P.save_answer, coordinator_of_school.actor, rnd.id,
                  {"org_id": world.school.id, "scores": all_scores(5)})
    with pytest.raises(Forbidden):  # a coordinator never reopens
        make.call(P.reopen_answer, coordinator_of_school.actor, rnd.id, {"org_id": world.school.id})
    make.call(P.reopen_answer, curator_orel.actor, rnd.id, {"org_id": world.school.id, "comment": "Уточните"})
    assert [n.kind for n in notes(make, coordinator_of_school.id)] == ["readiness_reopened"]
    again = make.call(P.save_answer, coordinator_of_school.actor, rnd.id,
                      {"org_id": world.school.id, "scores": all_scores(5)})
    assert (again.status, again.scores["lead_vision"]) == ("draft", 5)
    # the sections' means are stored with the answer (the tower reads them) and follow the scores
    sections = [sec.id for sec in get("readiness").sections]
    assert answer.section_means == dict.fromkeys(sections, 4.0)
    assert again.section_means == dict.fromkeys(sections, 5.0)
    mixed = {**all_scores(5), next(iter(get("readiness").sections[0].items)).id: 2}
    third = make.call(P.save_answer, coordinator_of_school.actor, rnd.id,
                      {"org_id": world.school.id, "scores": mixed, "version": again.version})
    assert third.section_means[sections[0]] < 5.0 and third.section_means[sections[1]] == 5.0
    assert [e.kind for e in events(make, "readiness_submitted") + events(make, "readiness_reopened")] == [
        "readiness_submitted", "readiness_reopened"]


def test_a_score_of_7_is_refused_naming_the_item(make, world, programme, joined, head_of_school, row_counts):
    rnd = initial_round(make, programme)
    before = row_counts()
    with pytest.raises(ValidationFailed) as exc:
        make.call(P.save_answer, head_of_school.actor, rnd.id,
                  {"org_id": world.school.id, "scores": {"lead_vision": 7, "no_such_item": 3}})
    assert set(exc.value.fields) == {"scores.lead_vision", "scores.no_such_item"}
    assert "от 1 до 5" in exc.value.fields["scores.lead_vision"].ru
    assert row_counts() == before


def test_submitting_needs_every_item(make, world, programme, joined, head_of_school):
    with pytest.raises(ValidationFailed) as exc:
        make.call(P.save_answer, head_of_school.actor, initial_round(make, programme).id,
                  {"org_id": world.school.id, "scores": {"lead_vision": 3}, "submit": True})
    assert "scores.disc_5s" in exc.value.fields and "scores.lead_vision" not in exc.value.fields


def test_who_answers(make, world, programme, joined, member_of_school, head_of_other_school, curator_orel):
    rnd = initial_round(make, programme)
    body = {"org_id": world.school.id, "scores": {"lead_vision": 3}}
    with pytest.raises(Forbidden):  # a member of the school does not keep the participation
        make.call(P.save_answer, member_of_school.actor, rnd.id, body)
    with pytest.raises(NotFound):  # another organisation's head
        make.call(P.save_answer, head_of_other_school.actor, rnd.id, body)
    with pytest.raises(Forbidden):  # curators read, the organisation answers
        make.call(P.save_answer, curator_orel.actor, rnd.id, body)


def test_a_closed_round_takes_no_answers(make, world, programme, joined, head_of_school, curator_orel):
    rnd = initial_round(make, programme)
    make.call(P.close_round, curator_orel.actor, rnd.id)
    with pytest.raises(Conflict):
        make.call(P.save_answer, head_of_school.actor, rnd.id, {"org_id": world.school.id, "scores": {}})


# --- the work plan: the same decision pattern as transition requests ------------------------------------

def test_plan_approval_and_return_write_events_and_notifications(make, world, programme, joined,
                                                                 coordinator_of_school, head_of_school,
                                                                 curator_orel, curator_of_municipality):
    make.call(P.add_plan_item, coordinator_of_school.actor, joined.id,
              {"title": "Картирование процесса питания", "due_on": "2026-10-15", "who": "Кузнецова М."})
    make.call(P.submit_plan, coordinator_of_school.actor, joined.id, {})
    # those who may decide are told: the region's curator and the city's curator
    assert [n.kind for n in notes(make, curator_orel.id)] == ["plan_submitted"]
    assert [n.kind for n in notes(make, curator_of_municipality.id)] == ["plan_submitted"]
    with pytest.raises(Forbidden):  # the head does not decide the plan
        make.call(P.approve_plan, head_of_school.actor, joined.id, {})
    with pytest.raises(ValidationFailed) as exc:
        make.call(P.return_plan, curator_orel.actor, joined.id, {"comment": ""})
    assert "comment" in exc.value.fields
    plan = make.call(P.return_plan, curator_orel.actor, joined.id, {"comment": "Добавьте сроки обучения"})
    assert (plan.status, plan.comment, plan.decided_by) == ("returned", "Добавьте сроки обучения", curator_orel.id)
    returned = [n for n in notes(make, coordinator_of_school.id) if n.kind == "plan_returned"]
    assert len(returned) == 1 and "Добавьте сроки обучения" in returned[0].text_ru
    assert [n.kind for n in notes(make, head_of_school.id)] == ["plan_returned"]
    make.call(P.add_plan_item, coordinator_of_school.actor, joined.id, {"title": "Обучение", "due_on": "2026-11-01"})
    make.call(P.submit_plan, coordinator_of_school.actor, joined.id, {})
    with pytest.raises(Conflict):  # items are fixed while it waits
        make.call(P.add_plan_item, coordinator_of_school.actor, joined.id, {"title": "Ещё"})
    plan = make.call(P.approve_plan, curator_of_municipality.actor, joined.id, {"comment": "Согласовано"})
    assert plan.status == "approved"
    with pytest.raises(Conflict):  # decided already
        make.call(P.approve_plan, curator_orel.actor, joined.id, {})
    assert [n.kind for n in notes(make, coordinator_of_school.id)] == ["plan_returned", "plan_approved"]
    kinds = [e.kind for e in events(make, "plan_submitted") + events(make, "plan_returned")
             + events(make, "plan_approved")]
    assert kinds == ["plan_submitted", "plan_submitted", "plan_returned", "plan_approved"]


def test_an_empty_plan_cannot_be_submitted(make, programme, joined, head_of_school):
    with pytest.raises(ValidationFailed):
        make.call(P.submit_plan, head_of_school.actor, joined.id, {})


# --- stage tasks completed by a rule ----------------------------------------------------------------------

def test_stage_tasks_completed_by_a_rule(make, world, programme, joined, curator_orel, frozen_clock):
    stage = make.call(lambda uow: P.stages_of(uow, programme.id))[0]
    ruled = make.call(P.add_task, curator_orel.actor, stage.id,
                      {"title": "Назначены школьные координаторы", "due_on": "2026-09-01",
                       "rule": "every_participant_has_coordinator"})
    plain = make.call(P.add_task, curator_orel.actor, stage.id,
                      {"title": "Первый поток курсов", "due_on": "2026-12-01", "responsible": "ОИРО"})
    with pytest.raises(ValidationFailed):
        make.call(P.add_task, curator_orel.actor, stage.id, {"title": "X", "rule": "no_such_rule"})
    with pytest.raises(ValidationFailed):  # a rule's task is not ticked by hand
        make.call(P.update_task, curator_orel.actor, ruled.id, {"status": "done"})

    def tasks() -> dict[int, Any]:
        tower = make.call(programme_tower, curator_orel.actor, programme.id)
        return {t.id: t for t in tower.tasks}

    assert tasks()[ruled.id].status == "open" and not tasks()[ruled.id].overdue  # due today (01.09)
    frozen_clock.advance(days=1)
    assert tasks()[ruled.id].overdue
    make.person("coordinator", org=world.school)
    assert tasks()[ruled.id].status == "done" and not tasks()[ruled.id].overdue
    make.call(P.update_task, curator_orel.actor, plain.id, {"status": "done"})
    assert tasks()[plain.id].status == "done"


# --- the programme tower ----------------------------------------------------------------------------------

def test_the_tower_counts_the_funnel_lists_attention_and_readiness(make, world, programme, joined,
                                                                   curator_orel, head_of_school,
                                                                   head_of_other_school, frozen_clock):
    other = make.call(P.add_participant, curator_orel.actor, programme.id,
                      {"org_id": world.other_school.id, "joined_on": "2026-02-01"})
    rnd = initial_round(make, programme)
    make.call(P.save_answer, head_of_school.actor, rnd.id,
              {"org_id": world.school.id, "scores": all_scores(2), "needs": ["Курсы", "Вебинары"],
               "deficits": ["Время"], "submit": True})
    make.call(P.save_answer, head_of_other_school.actor, rnd.id,
              {"org_id": world.other_school.id, "scores": all_scores(4), "needs": ["курсы "], "submit": True})
    make.person("coordinator", org=world.school)
    tower = make.call(programme_tower, curator_orel.actor, programme.id)
    assert tower.participants == 2
    assert (tower.funnel.coordinator, tower.funnel.readiness, tower.funnel.plan) == (1, 2, 0)
    assert [(m.name, m.participants, m.funnel.readiness) for m in tower.by_municipality] == [("г. Орёл", 2, 2)]
    assert {s.section: s.average for s in tower.readiness} == dict.fromkeys(
        ["leadership", "engagement", "competence", "resources", "discipline"], 3.0)
    assert tower.heat_map[0].sections["leadership"] == 3.0
    assert [(n.need, n.count) for n in tower.top_needs] == [("Курсы", 2), ("Вебинары", 1)]
    assert [(d.deficit, d.count) for d in tower.top_deficits] == [("Время", 1)]
    # stage 1 (until 31.12.2026) is current: its expectations name who is behind
    missing = {a.org_id: a.missing for a in tower.attention}
    assert missing == {world.school.id: ["group", "plan"],
                       world.other_school.id: ["coordinator", "group", "plan"]}
    assert {(e.step, e.missing) for e in tower.expectations} == {
        ("coordinator", 1), ("group", 2), ("readiness", 0), ("plan", 2)}
    assert [s.current for s in tower.timeline.stages] == [True, False, False]
    # an overdue plan item of an active participant
    make.call(P.add_plan_item, head_of_other_school.actor, other.id, {"title": "Обучение", "due_on": "2026-08-01"})
    tower = make.call(programme_tower, curator_orel.actor, programme.id)
    assert [(i.title, i.days_overdue) for i in tower.overdue_plan_items] == [("Обучение", 31)]


def test_the_participant_page_shows_the_change_between_rounds(make, world, programme, joined, curator_orel,
                                                              head_of_school):
    make.call(P.save_answer, head_of_school.actor, initial_round(make, programme).id,
              {"org_id": world.school.id, "scores": all_scores(2), "submit": True})
    final = make.call(P.open_round, curator_orel.actor, programme.id,
                      {"kind": "final", "title": "Итоговый анализ", "opens_on": "2026-09-01",
                       "closes_on": "2026-09-30"})
    make.call(P.save_answer, head_of_school.actor, final.id,
              {"org_id": world.school.id, "scores": all_scores(4), "submit": True})
    page = make.call(participant_page, head_of_school.actor, joined.id)
    assert page["readiness_change"]["change"]["leadership"] == 2.0
    assert [r["answer"]["status"] for r in page["rounds"]] == ["submitted", "submitted"]


# --- the municipal curator's scope, on the existing reads too ----------------------------------------------

def test_a_municipal_curator_sees_their_municipality_only(make, world, curator_orel, member_of_school,
                                                          curator_of_municipality):
    elsewhere = make.org(make.municipality(world.region, "Мценский район"), "МБОУ Мценская СОШ")
    far_member = make.person("member", org=elsewhere)
    mine = make.project(world.school, member_of_school.actor)
    theirs = make.project(elsewhere, far_member.actor)
    actor = curator_of_municipality.actor
    with make.store.uow() as uow:
        rows, total = Q.list_projects(uow, actor)
        assert [p.id for p in rows] == [mine.id] and total == 1
        from engine.services import get_project
        assert get_project(uow, actor, mine.id).id == mine.id
        with pytest.raises(NotFound):
            get_project(uow, actor, theirs.id)
        orgs, _ = Q.organizations_for(uow, actor)
        assert elsewhere.id not in {o.id for o in orgs} and world.school.id in {o.id for o in orgs}
    # the region's curator still sees both
    with make.store.uow() as uow:
        assert Q.list_projects(uow, curator_orel.actor)[1] == 2


def test_a_municipal_curators_programme_tower_is_their_municipality(make, world, programme, joined,
                                                                     curator_orel, curator_of_municipality):
    elsewhere = make.org(make.municipality(world.region, "Мценский район"), "МБОУ Мценская СОШ")
    make.call(P.add_participant, curator_orel.actor, programme.id,
              {"org_id": elsewhere.id, "joined_on": "2026-02-01"})
    assert make.call(programme_tower, curator_orel.actor, programme.id).participants == 2
    tower = make.call(programme_tower, curator_of_municipality.actor, programme.id)
    assert tower.participants == 1 and [m.name for m in tower.by_municipality] == ["г. Орёл"]
    with pytest.raises(NotFound):  # nor may they add an organisation of another municipality
        make.call(P.add_participant, curator_of_municipality.actor, programme.id,
                  {"org_id": make.org(make.municipality(world.region, "Ливны")).id, "joined_on": "2026-02-01"})


# --- the questionnaire file -----------------------------------------------------------------------------------

def test_the_regions_questionnaire_loads():
    q = get("readiness")
    assert [s.id for s in q.sections] == ["leadership", "engagement", "competence", "resources", "discipline"]
    assert all(3 <= len(s.items) <= 5 for s in q.sections)
    assert all(sorted(i.descriptors) == [1, 2, 3, 4, 5] for s in q.sections for i in s.items)
    assert [x.id for x in q.questions] == ["difficulties", "resources", "deficits", "needs"]


def test_a_broken_questionnaire_names_file_and_field(tmp_path):
    raw = {"id": "readiness", "version": 1, "title": {"ru": "Анкета"},
           "sections": [{"id": "leadership", "title": {"ru": "Лидерство"},
                         "items": [{"id": "a", "text": "Вопрос", "descriptors": {1: "x", 2: "y"}},
                                   {"id": "a", "text": "Вопрос", "descriptors": dict.fromkeys(range(1, 6), "z")}]}],
           "questions": [{"id": "wishes", "text": {"ru": "?"}}]}
    with pytest.raises(QuestionnaireError) as exc:
        validate_spec(raw, "bad.yaml")
    lines = str(exc.value).splitlines()
    assert "bad.yaml: sections[0].items[0].descriptors: needs a descriptor for each score" in lines[0]
    assert any(line.startswith("bad.yaml: sections[0].items[1].id: duplicate item id") for line in lines)
    assert any(line.startswith("bad.yaml: questions[0].id: must be one of") for line in lines)
    (tmp_path / "q.yaml").write_text("id: [", encoding="utf-8")
    with pytest.raises(QuestionnaireError) as exc:
        load_dir(tmp_path)
    assert str(exc.value).startswith("q.yaml: line")


def test_plan_items_become_overdue(make, programme, joined, head_of_school, frozen_clock):
    item = make.call(P.add_plan_item, head_of_school.actor, joined.id,
                     {"title": "Стенд", "due_on": (date(2026, 9, 1) + timedelta(days=1)).isoformat()})
    from engine.programme.outputs import plan_item_out
    assert not plan_item_out(item).overdue
    frozen_clock.advance(days=2)
    assert plan_item_out(item).overdue
    make.call(P.update_plan_item, head_of_school.actor, item.id, {"status": "done", "evidence_url": "https://x.ru/s"})


# --- the scheduler: a round closing in 7 days ---------------------------------------------------------------

def test_a_round_closing_in_7_days_reminds_coordinators_and_heads_once(
        store, make, world, programme, joined, curator_orel, head_of_school, coordinator_of_school,
        head_of_other_school, frozen_clock):
    from datetime import datetime

    from engine.jobs import scheduler
    make.call(P.add_participant, curator_orel.actor, programme.id,
              {"org_id": world.other_school.id, "joined_on": "2026-02-01"})
    make.call(P.save_answer, head_of_other_school.actor, initial_round(make, programme).id,
              {"org_id": world.other_school.id, "scores": all_scores(), "submit": True})
    frozen_clock.set(datetime(2026, 12, 23, 9, 0, tzinfo=UTC))  # the round closes on 31.12: 8 days
    assert scheduler.JOBS["round_reminders"](store) == {"rounds": 0, "notified": 0}
    frozen_clock.advance(days=1)
    assert scheduler.JOBS["round_reminders"](store) == {"rounds": 1, "notified": 2}
    assert [n.kind for n in notes(make, head_of_school.id)] == ["round_reminder"]
    # a kind of the bell's vocabulary: its API answer (O.Notification) takes it, with its e-mail subject
    from engine import outputs as O
    from engine.io.mail import SUBJECTS
    from engine.services.notifications import notification_dict
    assert O.Notification.model_validate(notification_dict(notes(make, head_of_school.id)[0])).kind == "round_reminder"
    assert SUBJECTS["round_reminder"].ru == "Анкета готовности скоро закроется"
    assert "закрывается 31.12.2026 (через 7 дней)" in notes(make, coordinator_of_school.id)[0].text_ru
    assert notes(make, head_of_other_school.id) == []  # submitted already
    frozen_clock.advance(days=1)
    assert scheduler.JOBS["round_reminders"](store) == {"rounds": 0, "notified": 0}  # once
    assert [e.actor_id for e in events(make, "round_reminded")] == [None]


# --- the CLI: the new roles, and the questionnaire check -------------------------------------------------------

@pytest.fixture
def leanschool(db_url: str) -> Any:
    from click.testing import CliRunner

    from webui import cli

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli.main, list(args), env={"DATABASE_URL": db_url, "LEANSCHOOL_LOCALE": "ru"},
                                  catch_exceptions=False)
    return run


def test_cli_creates_a_coordinator_and_a_municipal_curator(leanschool, make, world):
    from engine.models import RoleGrant
    r = leanschool("user", "create", "coord@lyceum1.ru", "--name", "Кузнецова М.", "--password", "Координатор-2026",
                   "--role", "coordinator", "--org", str(world.school.id))
    assert r.exit_code == 0, r.output
    r = leanschool("user", "create", "mun@orel-city.ru", "--name", "Орлова Н.", "--password", "Куратор-города-2026",
                   "--role", "curator", "--municipality", str(world.municipality.id))
    assert r.exit_code == 0, r.output
    grants = make.call(lambda uow: [(g.role, g.org_id, g.region_id, g.municipality_id) for g in uow.session.execute(
        select(RoleGrant).order_by(RoleGrant.id)).scalars()])
    assert grants[-2:] == [("coordinator", world.school.id, None, None),
                           ("curator", None, world.region.id, world.municipality.id)]
    r = leanschool("user", "create", "bad@orel-city.ru", "--name", "Н.", "--password", "Куратор-города-2026",
                   "--role", "member", "--municipality", str(world.municipality.id))
    assert r.exit_code == 1 and r.stderr.startswith("leanschool: municipality_id:") and "Traceback" not in r.output


def test_cli_questionnaires_check(leanschool, tmp_path):
    r = leanschool("questionnaires", "check")
    assert r.exit_code == 0 and "readiness.yaml: readiness v1: OK (5 sections, 16 items, 4 questions)" in r.stdout
    (tmp_path / "bad.yaml").write_text('id: x\nversion: 1\ntitle: {ru: "A"}\nsections: []\n', encoding="utf-8")
    r = leanschool("questionnaires", "check", str(tmp_path))
    assert r.exit_code == 1 and r.stderr.strip() == "bad.yaml: sections: at least one section is required"


def test_a_stale_programme_edit_says_the_data_changed_not_the_card(make, programme, curator_orel):
    from engine.errors import StaleVersion
    make.call(P.update_programme, curator_orel.actor, programme.id, {"goal": "Новая цель", "version": 1})
    with pytest.raises(StaleVersion) as stale:
        make.call(P.update_programme, curator_orel.actor, programme.id, {"goal": "Другая", "version": 1})
    assert stale.value.text.ru == "Эти данные уже изменил другой пользователь; обновите страницу"
    assert stale.value.details == {"current_version": 2}

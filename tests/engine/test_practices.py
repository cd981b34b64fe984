"""The portfolio «Бережливая школа» (DOMAIN.md "Practices", engine/practices.py): publishing
a closed project that reached its targets, the measured effect, Russian full-text search
on both backends, updating and withdrawing, and replication into other organisations."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine import practices as P
from engine.errors import Conflict, Forbidden, NotFound, NotPublishable, StaleVersion, ValidationFailed
from engine.models import Artefact, Metric, Practice
from engine.services import record_measurement, update_metric
from engine.services.projects import NO_SUCH_ORG

SUMMARY = "Питание школьников без очередей: предзаказ обедов через электронный журнал"
PUBLISH = {"category": "meals", "summary": SUMMARY,
           "solution": "Предварительная заявка на питание накануне, выдача по классам по графику"}
SATISFIED = "Доля родителей, довольных организацией питания"


# --- helpers -------------------------------------------------------------------------------------

def closed_project(flow: Any, project: Any, *, satisfied: float = 98.6) -> Any:
    """The school's project closed through every gate: lead time 67 -> 29 min (target 29),
    and satisfied parents 80 -> ``satisfied`` % (target 95)."""
    flow.satisfy(project.id, "diagnose")
    flow.add_metric(project.id, name=SATISFIED, direction="increase", baseline=80.0)
    flow.advance(project.id, "sustain")
    share = next(m for m in flow.metrics(project.id) if m.name == SATISFIED)
    flow.log(update_metric, share.id, {"target": 95.0})
    flow.measure(share.id, satisfied)
    flow.advance(project.id, "closed")
    return flow.reload(project.id)


def publish(make: Any, who: Any, project_id: int, **data: Any) -> Practice:
    return make.call(P.publish, who.actor, project_id, {**PUBLISH, **data})


def search(make: Any, who: Any, **kw: Any) -> tuple[list[dict[str, Any]], int]:
    with make.store.uow() as uow:
        return P.search(uow, who.actor, **kw)


def titles(make: Any, who: Any, **kw: Any) -> list[str]:
    return [item["title"] for item in search(make, who, **kw)[0]]


@pytest.fixture
def practice(flow, make, project, curator_orel) -> Practice:
    """The school's closed project about school meals, published by the Oryol curator."""
    closed_project(flow, project)
    return publish(make, curator_orel, project.id)


# --- categories and the effect -------------------------------------------------------------------

def test_categories_are_a_list_in_data():
    assert P.category_ids() == ["meals", "admission", "paperwork", "teaching", "safety", "facilities", "other"]
    assert P.category_title("meals").ru == "Питание"
    assert P.category_title("admission").ru == "Приём детей"
    assert P.category_title("paperwork").ru == "Документооборот"
    assert P.category_title("teaching").ru == "Учебный процесс"
    assert P.category_title("safety").ru == "Безопасность"
    assert P.category_title("facilities").ru == "Хозяйственная деятельность"


@pytest.mark.parametrize(("baseline", "result", "expected"), [
    (67.0, 29.0, -56.7),    # (29 - 67) / 67 = -0.567164...
    (50.0, 30.0, -40.0),    # kindergarten adaptation, days
    (80.0, 98.6, 23.3),     # 23.25 rounds half up (float arithmetic would say 23.249999...)
    (8.0, 8.1, 1.3),        # 1.25 -> 1.3
    (16.0, 16.0, 0.0),
    (-4.0, -2.0, -50.0),    # signed against the baseline
    (None, 29.0, None), (0.0, 29.0, None), (67.0, None, None),
])
def test_change_pct_is_signed_with_one_decimal(baseline, result, expected):
    assert P.change_pct(baseline, result) == expected


def test_effect_is_computed_from_the_projects_metrics(flow, make, project, curator_orel):
    closed = closed_project(flow, project)
    with make.store.uow() as uow:
        effect = P.compute_effect(uow.session, closed)
    assert effect == [
        {"metric": "Время подготовки контрольной работы", "unit": "мин", "direction": "decrease",
         "baseline": 67.0, "result": 29.0, "change_pct": -56.7},
        {"metric": SATISFIED, "unit": "мин", "direction": "increase",
         "baseline": 80.0, "result": 98.6, "change_pct": 23.3},
    ]
    assert P.best_improvement(effect) == 56.7  # a 56.7 % shorter lead time


def test_effect_without_a_measurement_or_baseline_has_no_change(flow, make, project):
    metric = flow.add_metric(project.id, baseline=None)
    with make.store.uow() as uow:
        assert P.compute_effect(uow.session, flow.reload(project.id))[0] | {"metric": None} == {
            "metric": None, "unit": "мин", "direction": "decrease", "baseline": None, "result": None,
            "change_pct": None}
    flow.measure(metric.id, 31.0)
    with make.store.uow() as uow:
        row = P.compute_effect(uow.session, flow.reload(project.id))[0]
    assert (row["result"], row["change_pct"]) == (31.0, None)


# --- publishing ----------------------------------------------------------------------------------

def test_the_curator_publishes_a_closed_project(flow, make, project, curator_orel, world):
    closed = closed_project(flow, project)
    practice = publish(make, curator_orel, project.id)
    assert (practice.status, practice.version, practice.category) == ("published", 1, "meals")
    assert (practice.project_id, practice.org_id, practice.region_id) == (project.id, world.school.id, world.region.id)
    assert practice.title == closed.title and practice.problem == closed.problem
    assert practice.summary == SUMMARY and practice.published_by == curator_orel.id
    assert [(e["baseline"], e["result"], e["change_pct"]) for e in practice.effect] == [(67.0, 29.0, -56.7),
                                                                                        (80.0, 98.6, 23.3)]
    # the standard defaults to the project's standard artefact
    assert "Стандарт подготовки контрольной работы" in practice.standard
    assert "питан" in practice.search_stems.split()
    event = flow.events(project.id)[-1]
    assert (event.kind, event.actor_id) == ("practice_published", curator_orel.id)
    assert event.payload["practice_id"] == practice.id and event.payload["category"] == "meals"


def test_publishing_defaults_the_solution_to_the_done_actions(flow, make, project, curator_orel):
    closed_project(flow, project)
    practice = make.call(P.publish, curator_orel.actor, project.id, {"category": "teaching", "summary": "Кратко"})
    assert practice.solution == "— Шаблон контрольной работы"


@pytest.mark.parametrize("state", ["diagnose", "implement", "sustain", "cancelled"])
def test_publish_is_refused_for_a_project_that_is_not_closed(flow, make, project, curator_orel, refused, state):
    flow.advance(project.id, state)
    error = refused(lambda: publish(make, curator_orel, project.id), NotPublishable)
    assert error.code == "not_publishable"
    assert error.details == {"reason": "not_closed", "state": state}
    assert error.message("ru") and error.message("en")


def test_publish_is_refused_when_the_targets_were_not_reached(flow, make, project, curator_orel, refused):
    closed_project(flow, project)
    # a measurement stored after closing shows the lead time back at 50 minutes (target 29)
    lead_time = flow.metrics(project.id)[0]
    flow.stored_measure(lead_time.id, 50.0)
    error = refused(lambda: publish(make, curator_orel, project.id), NotPublishable)
    assert error.details == {"reason": "targets_missed", "metrics": [lead_time.name]}


def test_only_the_regions_curator_publishes(flow, make, project, refused, curator_orel, curator_kursk,
                                            member_of_school, head_of_school, member_of_other_school, admin):
    closed_project(flow, project)
    refused(lambda: publish(make, curator_kursk, project.id), NotFound)           # another region
    refused(lambda: publish(make, member_of_other_school, project.id), NotFound)  # another school
    for who in (member_of_school, head_of_school, admin):                         # in scope, not curators
        refused(lambda who=who: publish(make, who, project.id), Forbidden)
    refused(lambda: publish(make, curator_orel, 999999), NotFound)
    publish(make, curator_orel, project.id)
    error = refused(lambda: publish(make, curator_orel, project.id), Conflict)  # only once
    assert "practice_id" in error.details


BAD_INPUT = [
    ({"category": "sports", "summary": "Кратко"}, {"category"}),
    ({"category": "meals", "summary": "   "}, {"summary"}),
    ({"category": "meals", "summary": ""}, {"summary"}),
    ({}, {"category", "summary"}),
    ({"category": "meals", "summary": "Кратко", "colour": "red"}, {"colour"}),
    ({"category": 5, "summary": "Кратко"}, {"category"}),
]


def test_bad_input_names_the_field(flow, make, project, curator_orel, refused):
    closed_project(flow, project)
    for data, fields in BAD_INPUT:
        error = refused(lambda data=data: make.call(P.publish, curator_orel.actor, project.id, data),
                        ValidationFailed)
        assert set(error.fields) == fields, data
        assert all(error.field_messages("ru").values()) and all(error.field_messages("en").values())
    error = refused(lambda: make.call(P.publish, curator_orel.actor, project.id, BAD_INPUT[0][0]), ValidationFailed)
    assert "meals" in error.field_messages("ru")["category"]  # says what is allowed


# --- updating and withdrawing --------------------------------------------------------------------

def test_the_curator_updates_a_practice_and_the_event_keeps_the_old_values(flow, make, practice, curator_orel):
    updated = make.call(P.update_practice, curator_orel.actor, practice.id,
                        {"version": 1, "category": "paperwork", "summary": "Электронные заявки вместо бумажных"})
    assert (updated.category, updated.version) == ("paperwork", 2)
    assert updated.summary == "Электронные заявки вместо бумажных"
    event = flow.events(practice.project_id)[-1]
    assert event.kind == "practice_updated"
    assert event.payload["fields"]["category"] == {"from": "meals", "to": "paperwork"}
    assert event.payload["fields"]["summary"] == {"from": SUMMARY, "to": "Электронные заявки вместо бумажных"}
    assert titles(make, curator_orel, q="бумажными заявками") == [practice.title]
    with pytest.raises(StaleVersion):
        make.call(P.update_practice, curator_orel.actor, practice.id, {"version": 1, "summary": "Иначе"})


def test_updating_recomputes_the_effect(flow, make, practice, curator_orel):
    lead_time = flow.metrics(practice.project_id)[0]
    flow.stored_measure(lead_time.id, 26.8)
    # a PATCH must name a field (issue #10); the same summary still recomputes the effect
    updated = make.call(P.update_practice, curator_orel.actor, practice.id, {"summary": practice.summary})
    assert updated.effect[0]["result"] == 26.8 and updated.effect[0]["change_pct"] == -60.0
    assert flow.events(practice.project_id)[-1].payload["fields"]["effect"]["from"][0]["result"] == 29.0


def test_only_the_regions_curator_updates_or_withdraws(make, practice, refused, curator_kursk, head_of_school,
                                                       member_of_other_school, admin):
    for who in (curator_kursk, head_of_school, member_of_other_school, admin):
        refused(lambda who=who: make.call(P.update_practice, who.actor, practice.id, {"summary": "Иначе"}),
                Forbidden)
        refused(lambda who=who: make.call(P.withdraw_practice, who.actor, practice.id, {}), Forbidden)
    error = refused(lambda: make.call(P.update_practice, curator_kursk.actor, 999999, {}), NotFound)
    assert error.details == {}


def test_update_refuses_bad_input_naming_the_field(make, practice, curator_orel, refused):
    for data, field in [({"category": "sports"}, "category"), ({"summary": ""}, "summary"),
                        ({"summary": None}, "summary"), ({"title": None}, "title")]:
        error = refused(lambda data=data: make.call(P.update_practice, curator_orel.actor, practice.id, data),
                        ValidationFailed)
        assert set(error.fields) == {field}


def test_a_withdrawn_practice_is_kept_but_hidden_from_the_catalogue(
        flow, make, practice, curator_orel, member_of_school, member_of_other_school, member_of_kursk, refused):
    assert titles(make, member_of_kursk, q="питание") == [practice.title]
    withdrawn = make.call(P.withdraw_practice, curator_orel.actor, practice.id, {"reason": "Устарел стандарт"})
    assert (withdrawn.status, withdrawn.version) == ("withdrawn", 2)
    event = flow.events(practice.project_id)[-1]
    assert (event.kind, event.payload["reason"], event.payload["from_status"]) == \
        ("practice_withdrawn", "Устарел стандарт", "published")
    for who in (member_of_kursk, curator_orel, member_of_school):
        assert search(make, who, q="питание") == ([], 0)
        assert search(make, who) == ([], 0)
    # its page: for those who see its project, not for everyone any more
    assert make.call(P.practice_detail, member_of_school.actor, practice.id)["status"] == "withdrawn"
    assert make.call(P.practice_detail, curator_orel.actor, practice.id)["status"] == "withdrawn"
    refused(lambda: make.call(P.practice_detail, member_of_other_school.actor, practice.id), NotFound)
    refused(lambda: make.call(P.withdraw_practice, curator_orel.actor, practice.id, {}), Conflict)
    # published again: back in the catalogue, the history in the events
    again = publish(make, curator_orel, practice.project_id, summary="Обновлённое описание питания")
    assert (again.id, again.status, again.version) == (practice.id, "published", 3)
    assert flow.events(practice.project_id)[-1].payload["republished"] is True
    assert titles(make, member_of_kursk, q="питанием") == [practice.title]


# --- search ----------------------------------------------------------------------------------------

@pytest.fixture
def catalogue(flow, flow_for, make, world, curator_orel, member_of_school, head_of_school,
              member_of_other_school, head_of_other_school):
    """Three practices: school meals (school), an archive (other school) and a
    kindergarten's admission in another municipality."""
    meals = make.project(world.school, member_of_school.actor, title="Оптимизация процесса питания")
    closed_project(flow, meals)
    p_meals = publish(make, curator_orel, meals.id)

    archive = make.project(world.other_school, member_of_other_school.actor, title="Оптимизация архива",
                           problem="Поиск документов в архиве занимает до часа")
    other = flow_for(member_of_other_school, head_of_other_school)
    other.advance(archive.id, "closed")
    p_archive = publish(make, curator_orel, archive.id, category="paperwork",
                        summary="Адресное хранение документов", solution="Реестр папок и цветная маркировка")

    district = make.municipality(world.region, "Ливенский район")
    garden = make.org(district, "МБДОУ «Детский сад №7»", kind="kindergarten")
    teacher, head = make.person("member", org=garden), make.person("head", org=garden)
    admission = make.project(garden, teacher.actor, title="Приём детей в детский сад",
                             problem="Родители подают заявление три раза")
    flow_for(teacher, head).advance(admission.id, "closed")
    p_admission = publish(make, curator_orel, admission.id, category="admission",
                          summary="Адаптация ребёнка за 30 дней вместо 50",
                          solution="Единое окно приёма документов")
    return {"meals": p_meals, "archive": p_archive, "admission": p_admission, "district": district}


WORD_FORMS = ["питания", "питанием", "питании", "ПИТАНИЕ", "Питание школьников", "обедами", "предзаказа обеда",
              "очередей"]


def test_search_finds_other_forms_of_the_words(make, catalogue, member_of_kursk):
    for q in WORD_FORMS:
        assert titles(make, member_of_kursk, q=q) == ["Оптимизация процесса питания"], q


def test_search_covers_title_problem_summary_and_solution(make, catalogue, member_of_school):
    assert titles(make, member_of_school, q="архивом") == ["Оптимизация архива"]               # title
    assert titles(make, member_of_school, q="поиска документов") == ["Оптимизация архива"]     # problem
    assert titles(make, member_of_school, q="адаптации ребёнка") == ["Приём детей в детский сад"]  # summary
    assert titles(make, member_of_school, q="маркировкой") == ["Оптимизация архива"]          # solution
    assert titles(make, member_of_school, q="библиотека") == []
    assert titles(make, member_of_school, q="питание архив") == []  # every word must match


SYNTAX_AS_WORDS = ['"питания', "питания*", "-питания", "((питания", "питания)", "OR питания", "питания AND",
                   "NOT питания", "^питание", "питание\\", "питание:*", "'питание'", "питание%", "{питание}",
                   "питание -- ;"]
NEVER_BREAKS = ['"', '""', "'", "*", "-", "NEAR", "NEAR(питания архив)", "питание NEAR архив", "(", ")", "AND",
                "NOT", "title:питание", "%", "_", "\x00", "ё", "и", "и в на", "!!!", "питание & архив | !школа",
                "<->", '"питания" NEAR(', "питание'; DROP TABLE practice;--", "a" * 500, "питание " * 62, "🙂"]


def test_search_input_with_syntax_characters_is_taken_as_words(make, catalogue, member_of_school):
    for q in SYNTAX_AS_WORDS:
        assert titles(make, member_of_school, q=q) == ["Оптимизация процесса питания"], q


def test_search_input_never_breaks_the_query(make, catalogue, member_of_school):
    for q in NEVER_BREAKS:
        items, total = search(make, member_of_school, q=q)
        assert total == len(items) <= 3, q


def test_a_query_longer_than_500_characters_is_refused_naming_q(make, catalogue, member_of_school):
    with pytest.raises(ValidationFailed) as info:
        search(make, member_of_school, q="питание " * 63)
    assert set(info.value.fields) == {"q"}


def test_a_query_of_stop_words_or_punctuation_only_lists_everything(make, catalogue, member_of_school):
    for q in ("и в на", "!!!", "", "   ", "the and"):
        assert search(make, member_of_school, q=q)[1] == 3, q


def test_search_filters_by_category_kind_municipality_and_effect(make, catalogue, member_of_kursk, world):
    who = member_of_kursk
    assert titles(make, who) == ["Приём детей в детский сад", "Оптимизация архива", "Оптимизация процесса питания"]
    assert titles(make, who, category="paperwork") == ["Оптимизация архива"]
    assert titles(make, who, kind="kindergarten") == ["Приём детей в детский сад"]
    assert titles(make, who, kind="school", q="питанием") == ["Оптимизация процесса питания"]
    assert titles(make, who, municipality_id=catalogue["district"].id) == ["Приём детей в детский сад"]
    assert titles(make, who, municipality_id=world.municipality.id, category="admission") == []
    # effect sizes: every flow closes 67 -> 29 min (56.7 % shorter)
    assert len(titles(make, who, min_effect=56.7)) == 3
    assert titles(make, who, min_effect=56.8) == []
    items, total = search(make, who, limit=2, offset=1)
    assert total == 3 and [i["title"] for i in items] == ["Оптимизация архива", "Оптимизация процесса питания"]
    items, total = search(make, who, min_effect=10, limit=1, offset=2)
    assert total == 3 and [i["title"] for i in items] == ["Оптимизация процесса питания"]
    with pytest.raises(ValidationFailed) as info:
        search(make, who, category="sports", kind="university")
    assert set(info.value.fields) == {"category", "kind"}


def test_search_items_say_where_the_practice_comes_from(make, catalogue, member_of_kursk, world):
    item = next(i for i in search(make, member_of_kursk)[0] if i["category"] == "meals")
    assert item["org_name"] == world.school.name and item["org_kind"] == "school"
    assert item["municipality_id"] == world.municipality.id and item["effect_size"] == 56.7
    assert item["replica_count"] == 0 and item["status"] == "published"


# --- replication ------------------------------------------------------------------------------------

def test_replicate_starts_a_linked_project_in_the_callers_organisation(
        flow, make, practice, member_of_other_school, world):
    replica = make.call(P.replicate, member_of_other_school.actor, practice.id, {"org_id": world.other_school.id})
    assert (replica.org_id, replica.region_id, replica.practice_id) == (world.other_school.id, world.region.id,
                                                                         practice.id)
    assert (replica.state, replica.version, replica.created_by) == ("diagnose", 1, member_of_other_school.id)
    assert replica.title == practice.title and replica.problem == practice.problem
    assert (replica.process_start, replica.process_end) == (practice.process_start, practice.process_end)
    metrics = flow.metrics(replica.id)
    assert [(m.name, m.unit, m.direction, m.baseline, m.target) for m in metrics] == [
        ("Время подготовки контрольной работы", "мин", "decrease", None, 29.0),
        (SATISFIED, "мин", "increase", None, 95.0)]
    with make.store.uow() as uow:
        arts = uow.session.execute(select(Artefact).where(Artefact.project_id == replica.id)).scalars().all()
    assert [(a.kind, a.text) for a in arts] == [("other", practice.standard)]
    assert practice.title in arts[0].title
    assert flow.kinds(replica.id) == ["created", "metric_added", "metric_added", "artefact_added", "replicated"]
    assert flow.events(replica.id)[-1].payload == {"practice_id": practice.id, "source_project_id": practice.project_id,
                                                   "practice_version": 1}


def test_a_school_of_another_region_replicates_too(make, practice, member_of_kursk, world):
    replica = make.call(P.replicate, member_of_kursk.actor, practice.id, {"org_id": world.other_region_school.id})
    assert (replica.org_id, replica.region_id, replica.practice_id) == (
        world.other_region_school.id, world.other_region.id, practice.id)


def test_replicate_only_into_the_callers_own_organisation(make, practice, refused, world, member_of_school,
                                                          member_of_other_school, curator_orel, admin):
    # someone else's organisation: as an unknown one, 422 on org_id (in scope as curator/admin: forbidden)
    for who, org in ((member_of_other_school, world.school), (member_of_school, world.other_region_school)):
        error = refused(lambda who=who, org=org: make.call(P.replicate, who.actor, practice.id, {"org_id": org.id}),
                        ValidationFailed)
        assert error.fields == {"org_id": NO_SUCH_ORG}
    refused(lambda: make.call(P.replicate, curator_orel.actor, practice.id, {"org_id": world.other_school.id}),
            Forbidden)
    refused(lambda: make.call(P.replicate, admin.actor, practice.id, {"org_id": world.other_school.id}), Forbidden)
    refused(lambda: make.call(P.replicate, member_of_school.actor, 999999, {"org_id": world.school.id}), NotFound)
    for data, field in [({}, "org_id"), ({"org_id": 999999}, "org_id"), ({"org_id": "x"}, "org_id"),
                        ({"org_id": world.school.id, "title": "x"}, "title")]:
        error = refused(lambda data=data: make.call(P.replicate, member_of_school.actor, practice.id, data),
                        ValidationFailed)
        assert set(error.fields) == {field}


def test_a_withdrawn_practice_cannot_be_replicated(make, practice, curator_orel, member_of_school, world, refused):
    make.call(P.withdraw_practice, curator_orel.actor, practice.id, {})
    refused(lambda: make.call(P.replicate, member_of_school.actor, practice.id, {"org_id": world.school.id}),
            Conflict)


def test_replicas_keep_seeing_a_withdrawn_practice(make, practice, curator_orel, member_of_kursk, world):
    make.call(P.replicate, member_of_kursk.actor, practice.id, {"org_id": world.other_region_school.id})
    make.call(P.withdraw_practice, curator_orel.actor, practice.id, {})
    assert make.call(P.practice_detail, member_of_kursk.actor, practice.id)["status"] == "withdrawn"


def test_the_detail_compares_each_replica_with_the_original(flow, flow_for, make, practice, world,
                                                            member_of_other_school, head_of_other_school,
                                                            member_of_kursk):
    replica = make.call(P.replicate, member_of_other_school.actor, practice.id, {"org_id": world.other_school.id})
    make.call(P.replicate, member_of_kursk.actor, practice.id, {"org_id": world.other_region_school.id})
    detail = make.call(P.practice_detail, member_of_kursk.actor, practice.id)
    assert detail["effect"] == practice.effect and detail["replica_count"] == 2
    first = detail["replicas"][0]
    assert (first["project_id"], first["org_id"], first["org_name"], first["state"]) == (
        replica.id, world.other_school.id, world.other_school.name, "diagnose")
    assert [(e["baseline"], e["result"], e["change_pct"]) for e in first["effect"]] == [(None, None, None)] * 2

    # the replica measures: baseline 60 min, then 33 min after the change
    other = flow_for(member_of_other_school, head_of_other_school)
    lead_time, share = other.metrics(replica.id)
    other.log(update_metric, lead_time.id, {"baseline": 60.0})
    other.log(update_metric, share.id, {"baseline": 70.0})
    other.log(record_measurement, lead_time.id, {"value": 33.0, "measured_on": "2026-08-31"})
    other.advance(replica.id, "target")
    first = make.call(P.practice_detail, member_of_kursk.actor, practice.id)["replicas"][0]
    assert first["state"] == "target"
    assert first["effect"][0] == {"metric": "Время подготовки контрольной работы", "unit": "мин",
                                  "direction": "decrease", "baseline": 60.0, "result": 33.0, "change_pct": -45.0}


def test_replications_per_practice_for_the_tower(flow, make, practice, world, member_of_other_school,
                                                 member_of_school, member_of_kursk):
    with make.store.uow() as uow:
        assert P.replications_per_practice(uow.session, world.region.id) == {practice.id: 0}
    make.call(P.replicate, member_of_other_school.actor, practice.id, {"org_id": world.other_school.id})
    make.call(P.replicate, member_of_kursk.actor, practice.id, {"org_id": world.other_region_school.id})
    make.call(P.replicate, member_of_school.actor, practice.id, {"org_id": world.school.id})
    with make.store.uow() as uow:
        assert P.replications_per_practice(uow.session, world.region.id) == {practice.id: 3}
        assert P.replications_per_practice(uow.session, world.other_region.id) == {}
        baselines = uow.session.execute(select(Metric.baseline).where(Metric.baseline.is_not(None))).all()
        assert len(baselines) == 2  # the original's only


def test_publishable_projects_lists_closed_unpublished_ones_for_curators(flow, make, project, curator_orel,
                                                                        curator_kursk, member_of_school):
    closed_project(flow, project)
    rows = make.call(P.publishable_projects, curator_orel.actor)
    assert [(r["project_id"], r["targets_reached"]) for r in rows] == [(project.id, True)]
    assert make.call(P.publishable_projects, curator_kursk.actor) == []
    assert make.call(P.publishable_projects, member_of_school.actor) == []
    publish(make, curator_orel, project.id)
    assert make.call(P.publishable_projects, curator_orel.actor) == []


@pytest.fixture
def member_of_kursk(make, world):
    return make.person("member", org=world.other_region_school, email="teacher@kursk5.ru")

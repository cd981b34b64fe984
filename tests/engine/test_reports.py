"""Reports (engine/reporting/reports.py): a project's stages planned against actual, its KPI before
and after and its effect; a region's summary by kind of organisation and municipality.

Histories are made through the engine's services on the frozen clock (2026-09-01 09:00
UTC at the start); every expected figure is worked out by hand in the test.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engine.practices import publish, replicate, withdraw_practice
from engine.reporting import analytics, reports
from engine.services import add_metric, record_measurement, update_project

FORWARD = {"diagnose": "to_target", "target": "to_implement", "implement": "to_standardise",
           "standardise": "to_sustain", "sustain": "close"}


def on(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def move(flow, project_id: int, trigger: str, comment: str | None = None) -> None:
    """The head moves the card at once (the gate satisfied first for a forward move)."""
    state = flow.reload(project_id).state
    if trigger == FORWARD.get(state) and flow.unmet(project_id, trigger):
        flow.satisfy(project_id, state)
    assert flow.fire(flow.head.actor, project_id, trigger, comment=comment).moved


@pytest.fixture
def read(store):
    """``read(fn, project_id, *args)``: call a report function on the loaded project."""
    def call(fn, project_id, *args):
        from engine.models import Project
        with store.uow() as uow:
            project = uow.session.get(Project, project_id)
            if fn is reports.stage_dates:
                wf = uow.workflows.get(project.workflow_id, project.workflow_version)
                return fn(uow.session, wf, project, *args)
            if fn is reports.project_report:
                return fn(uow.session, uow.workflows, project)
            if fn is reports.effect:
                return fn(project)
            return fn(uow.session, project, *args)
    return call


def by_state(rows):
    return {r["state"]: r for r in rows}


# --- stages: planned against actual ----------------------------------------------------------

def test_stage_dates_follow_the_milestones_and_the_event_log(make, world, member_of_school, flow, read,
                                                           frozen_clock):
    p = make.project(world.school, member_of_school.actor, milestones={
        "diagnose": "2026-09-30", "target": "2026-10-20", "implement": "2026-12-01",
        "standardise": "2026-12-20"})                        # no milestone for sustain
    frozen_clock.set(on(date(2026, 10, 5)))
    move(flow, p.id, "to_target")                             # diagnose done 5 days late
    frozen_clock.set(on(date(2026, 10, 15)))
    move(flow, p.id, "to_implement")                          # target done 5 days early ...
    frozen_clock.set(on(date(2026, 10, 25)))
    move(flow, p.id, "back_to_target", comment="Цели занижены")  # ... but sent back
    frozen_clock.set(on(date(2026, 10, 28)))
    move(flow, p.id, "to_implement")                          # target done again: 8 days late
    frozen_clock.set(on(date(2026, 11, 20)))
    move(flow, p.id, "to_standardise")                        # implement done 11 days early
    today = date(2026, 12, 25)
    frozen_clock.set(on(today))

    rows = read(reports.stage_dates, p.id, today)
    assert [r["state"] for r in rows] == ["diagnose", "target", "implement", "standardise", "sustain"]
    s = by_state(rows)
    assert s["diagnose"] == {"state": "diagnose", "planned_on": date(2026, 9, 30), "planned_source": "plan",
                             "started_on": date(2026, 9, 1), "finished_on": date(2026, 10, 5),
                             "status": "done", "deviation_days": 5, "overdue_days": None}
    assert (s["target"]["started_on"], s["target"]["finished_on"]) == (date(2026, 10, 5), date(2026, 10, 28))
    assert s["target"]["deviation_days"] == 8
    assert (s["implement"]["started_on"], s["implement"]["finished_on"]) == (date(2026, 10, 15), date(2026, 11, 20))
    assert s["implement"]["deviation_days"] == -11 and s["implement"]["status"] == "done"
    # the current stage: planned 20 December, today 25 December
    assert s["standardise"]["status"] == "current" and s["standardise"]["finished_on"] is None
    assert s["standardise"]["deviation_days"] is None and s["standardise"]["overdue_days"] == 5
    # not entered yet and no milestone: no planned date at all
    assert s["sustain"] == {"state": "sustain", "planned_on": None, "planned_source": None, "started_on": None,
                            "finished_on": None, "status": "not_started", "deviation_days": None,
                            "overdue_days": None}


def test_a_stage_without_a_milestone_is_planned_by_its_norm(make, world, member_of_school, flow, read,
                                                          frozen_clock):
    p = make.project(world.school, member_of_school.actor)  # no milestones at all
    frozen_clock.set(on(date(2026, 9, 11)))
    move(flow, p.id, "to_target")
    rows = by_state(read(reports.stage_dates, p.id, date(2026, 9, 20)))
    # diagnose: entered 1 September, SLA 45 days -> 16 October; done 11 September, 35 days early
    assert rows["diagnose"]["planned_on"] == date(2026, 10, 16) and rows["diagnose"]["planned_source"] == "norm"
    assert rows["diagnose"]["deviation_days"] == -35
    # target: entered 11 September, SLA 30 -> 11 October; in progress, not overdue
    assert rows["target"]["planned_on"] == date(2026, 10, 11) and rows["target"]["status"] == "current"
    assert rows["target"]["overdue_days"] is None
    assert rows["implement"]["planned_on"] is None


def test_stages_of_a_cancelled_or_sent_back_project(make, world, member_of_school, flow, read, frozen_clock):
    p = make.project(world.school, member_of_school.actor, milestones={"target": "2026-09-10"})
    frozen_clock.set(on(date(2026, 9, 3)))
    move(flow, p.id, "to_target")
    frozen_clock.set(on(date(2026, 9, 5)))
    move(flow, p.id, "back_to_diagnose", comment="Нет замеров")
    rows = by_state(read(reports.stage_dates, p.id, date(2026, 9, 20)))
    # diagnose was left once, then entered again: it is current again, not done
    assert rows["diagnose"]["status"] == "current" and rows["diagnose"]["finished_on"] is None
    assert rows["target"]["status"] == "returned" and rows["target"]["started_on"] == date(2026, 9, 3)
    assert rows["target"]["overdue_days"] is None  # not the current stage

    frozen_clock.set(on(date(2026, 9, 7)))
    move(flow, p.id, "cancel", comment="Проект больше не нужен")
    rows = by_state(read(reports.stage_dates, p.id, date(2026, 9, 20)))
    assert rows["diagnose"]["status"] == "stopped" and rows["diagnose"]["finished_on"] is None
    assert rows["target"]["status"] == "stopped"
    assert rows["implement"]["status"] == "not_started"


# --- KPI before and after, effect ------------------------------------------------------------

def test_kpi_before_and_after_and_the_effect(make, world, member_of_school, flow, read):
    who = member_of_school.actor
    p = make.project(world.school, who, planned_hours_saved=120.0, planned_roubles=50400.0)
    time_ = make.call(add_metric, who, p.id, {"name": "Время подготовки контрольной работы", "unit": "мин",
                                              "direction": "decrease", "baseline": 67.0, "target": 29.0})
    share = make.call(add_metric, who, p.id, {"name": "Доля довольных родителей", "unit": "%",
                                              "direction": "increase", "baseline": 80.0, "target": 95.0})
    make.call(add_metric, who, p.id, {"name": "Количество бланков", "unit": "шт",
                                      "direction": "decrease", "baseline": 12.0})
    # recorded out of order: the latest is the latest by date (29 on 25 August)
    make.call(record_measurement, who, time_.id, {"value": 29.0, "measured_on": "2026-08-25"})
    make.call(record_measurement, who, time_.id, {"value": 40.0, "measured_on": "2026-08-20"})
    make.call(record_measurement, who, share.id, {"value": 90.0, "measured_on": "2026-08-21"})
    make.call(update_project, who, p.id, {"actual_hours_saved": 150.0, "version": flow.reload(p.id).version})

    rows = read(reports.kpi, p.id)
    assert [r["name"] for r in rows] == ["Время подготовки контрольной работы", "Доля довольных родителей",
                                         "Количество бланков"]
    t, s, n = rows
    # (29 - 67) / 67 = -56.716...% -> -56.7; planned the same
    assert (t["baseline"], t["target"], t["result"], t["measured_on"]) == (67.0, 29.0, 29.0, date(2026, 8, 25))
    assert (t["change_pct"], t["planned_change_pct"], t["improvement"], t["target_reached"]) == \
        (-56.7, -56.7, 56.7, True)
    # (90 - 80) / 80 = +12.5%; planned (95 - 80) / 80 = +18.75% -> 18.8; 90 < 95: missed
    assert (s["result"], s["change_pct"], s["planned_change_pct"], s["improvement"], s["target_reached"]) == \
        (90.0, 12.5, 18.8, 12.5, False)
    # neither a result nor a target
    assert (n["result"], n["change_pct"], n["target_reached"], n["measured_on"]) == (None, None, None, None)

    assert read(reports.effect, p.id) == {
        "planned_hours_saved": 120.0, "actual_hours_saved": 150.0, "hours_difference": 30.0,
        "planned_roubles": 50400.0, "actual_roubles": None, "roubles_difference": None}
    report = read(reports.project_report, p.id)
    assert report["kpi"] == rows and report["targets_reached"] is False
    assert [r["state"] for r in report["stages"]][0] == "diagnose"


# --- the regional summary ----------------------------------------------------------------------

@pytest.fixture
def small_region(make, world, flow, flow_for, member_of_school, head_of_school, member_of_other_school,
                 head_of_other_school, curator_orel, store):
    """Orel: г. Орёл (the lyceum, school no. 3), Ливенский район (a kindergarten, a
    college), г. Мценск (nothing); a replica in Kursk. The projects of Orel:

    lyceum        P1 closed, targets reached, 100 h, 42,000 rub.; published, replicated 3 times
    school no. 3  P2 closed, then measured worse than the target: not reached; 50 h
                  P6 in progress: a replica of P1
    kindergarten  P7 closed, reached; published, then withdrawn
                  P3 in progress: a replica of P1
    college       P4 cancelled; P5 in progress (implement)
    """
    livny = make.municipality(world.region, "Ливенский район")
    make.municipality(world.region, "г. Мценск")
    kg = make.org(livny, "МБДОУ «Детский сад №1»", kind="kindergarten")
    college = make.org(livny, "БПОУ «Ливенский колледж»", kind="college")
    kg_flow = flow_for(make.person("member", org=kg), make.person("head", org=kg))
    col_flow = flow_for(make.person("member", org=college), make.person("head", org=college))
    school3 = flow_for(member_of_other_school, head_of_other_school)
    kursk_member = make.person("member", org=world.other_region_school)

    def card(f, pid, **fields):
        make.call(update_project, f.member.actor, pid, {**fields, "version": f.reload(pid).version})

    p1 = make.project(world.school, member_of_school.actor, title="Оптимизация подготовки контрольной")
    flow.advance(p1.id, "sustain")
    card(flow, p1.id, actual_hours_saved=100.0, actual_roubles=42000.0)  # before closing: read-only after
    flow.advance(p1.id, "closed")
    p2 = make.project(world.other_school, member_of_other_school.actor, title="Оптимизация выдачи справок")
    school3.advance(p2.id, "sustain")
    card(school3, p2.id, actual_hours_saved=50.0)
    school3.advance(p2.id, "closed")
    # after closing (the same day, later): worse than 29, stored as the services would have
    school3.stored_measure(school3.metrics(p2.id)[0].id, 45.0)
    p7 = make.project(kg, kg_flow.member.actor, title="Оптимизация адаптации ребёнка")
    kg_flow.advance(p7.id, "closed")
    p4 = make.project(college, col_flow.member.actor, title="Оптимизация архивации курсовых")
    col_flow.advance(p4.id, "cancelled")
    p5 = make.project(college, col_flow.member.actor, title="Оптимизация обмена информацией")
    col_flow.advance(p5.id, "implement")

    with store.uow() as uow:
        practice = publish(uow, curator_orel.actor, p1.id, {"category": "meals", "summary": "Шаблоны"})
    with store.uow() as uow:
        other = publish(uow, curator_orel.actor, p7.id, {"category": "admission", "summary": "Адаптация"})
    with store.uow() as uow:
        withdraw_practice(uow, curator_orel.actor, other.id, {"reason": "Устарела"})
    with store.uow() as uow:
        p3 = replicate(uow, kg_flow.member.actor, practice.id, {"org_id": kg.id})
    with store.uow() as uow:
        p6 = replicate(uow, member_of_other_school.actor, practice.id, {"org_id": world.other_school.id})
    with store.uow() as uow:  # a replica in another region: a replica, not an Orel project
        replicate(uow, kursk_member.actor, practice.id, {"org_id": world.other_region_school.id})
    return {"p": [p1, p2, p3, p4, p5, p6, p7], "practice": practice, "withdrawn": other, "livny": livny}


def test_regional_summary_counts_by_kind_and_municipality(small_region, store, world):
    with store.uow() as uow:
        summary = reports.regional_summary(uow.session, uow.workflows, world.region.id)
        headline = analytics.headline(uow.session, uow.workflows, world.region.id)

    def figures(entry):
        return {k: entry[k] for k in ("launched", "in_progress", "closed", "cancelled", "reached",
                                      "reached_share", "hours_saved", "roubles_saved")}

    assert list(summary["by_kind"]) == ["school", "kindergarten", "college", "other"]
    assert figures(summary["by_kind"]["school"]) == {  # P1, P2, P6
        "launched": 3, "in_progress": 1, "closed": 2, "cancelled": 0, "reached": 1, "reached_share": 0.5,
        "hours_saved": 150.0, "roubles_saved": 42000.0}
    assert figures(summary["by_kind"]["kindergarten"]) == {  # P3, P7
        "launched": 2, "in_progress": 1, "closed": 1, "cancelled": 0, "reached": 1, "reached_share": 1.0,
        "hours_saved": 0.0, "roubles_saved": 0.0}
    assert figures(summary["by_kind"]["college"]) == {  # P4 cancelled, P5 in implement
        "launched": 2, "in_progress": 1, "closed": 0, "cancelled": 1, "reached": 0, "reached_share": None,
        "hours_saved": 0.0, "roubles_saved": 0.0}
    assert figures(summary["by_kind"]["other"])["launched"] == 0

    muns = {m["name"]: figures(m) for m in summary["by_municipality"]}
    assert list(muns) == ["г. Мценск", "г. Орёл", "Ливенский район"]  # by name, case-insensitive
    assert muns["г. Орёл"] == figures(summary["by_kind"]["school"])
    assert muns["Ливенский район"] == {
        "launched": 4, "in_progress": 2, "closed": 1, "cancelled": 1, "reached": 1, "reached_share": 1.0,
        "hours_saved": 0.0, "roubles_saved": 0.0}
    assert muns["г. Мценск"]["launched"] == 0 and muns["г. Мценск"]["reached_share"] is None

    total = summary["total"]
    assert figures(total) == {"launched": 7, "in_progress": 3, "closed": 3, "cancelled": 1, "reached": 2,
                              "reached_share": 2 / 3, "hours_saved": 150.0, "roubles_saved": 42000.0}
    # the same figures as the tower's headline
    assert (total["closed"], total["reached_share"], total["hours_saved"], total["roubles_saved"]) == (
        headline["closed"], headline["closed_reaching_targets_share"], headline["hours_saved"],
        headline["roubles_saved"])


def test_regional_summary_counts_practices_and_replicas(small_region, store, world):
    with store.uow() as uow:
        practices = reports.regional_summary(uow.session, uow.workflows, world.region.id)["practices"]
    assert (practices["published"], practices["withdrawn"], practices["replicated"], practices["replicas"]) == \
        (1, 1, 1, 3)
    first, second = practices["items"]
    assert (first["id"], first["replicas"], first["status"], first["municipality_name"]) == \
        (small_region["practice"].id, 3, "published", "г. Орёл")
    assert (second["id"], second["replicas"], second["status"]) == (small_region["withdrawn"].id, 0, "withdrawn")
    assert first["published_at"] == date(2026, 9, 1)


def test_regional_summary_of_another_region_and_of_an_empty_one(small_region, store, world, make):
    empty = make.region("Тульская область")
    with store.uow() as uow:
        kursk = reports.regional_summary(uow.session, uow.workflows, world.other_region.id)
        nothing = reports.regional_summary(uow.session, uow.workflows, empty.id)
    # Kursk: the one replica, in progress; no practice of its own
    assert (kursk["total"]["launched"], kursk["total"]["in_progress"], kursk["practices"]["replicas"]) == (1, 1, 0)
    assert nothing["total"]["launched"] == 0 and nothing["total"]["reached_share"] is None
    assert nothing["by_municipality"] == [] and nothing["practices"]["items"] == []

"""What curators watch (engine/reporting/monitoring.py), on the frozen clock: days in state, the
stall rule (SLA and idle) with its reasons, counts by state, unresolved risks, approvals
waiting, figures per municipality; and the SQL form of the stall rule agrees with the
Python one. psr.yaml: diagnose sla 45 days, target 30, implement 60; idle after 14."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.models import Project
from engine.policy import SYSTEM
from engine.reporting import monitoring
from engine.services import add_comment, log_risk, reject_request, update_risk
from engine.services.common import record
from engine.services.queries import list_projects, project_dict

DIAGNOSE_SLA, IDLE = 45, 14


@pytest.fixture
def comment(make, member_of_school):
    """``comment(project_id)``: a person's activity on the project."""
    return lambda project_id: make.call(add_comment, member_of_school.actor, project_id, {"text": "Работаем"})


@pytest.fixture
def system_event(store):
    """``system_event(project_id)``: an event written by the system (actor None), e.g. the scheduler's."""
    def write(project_id: int) -> None:
        with store.uow() as uow:
            record(uow.session, SYSTEM, "stalled", uow.session.get(Project, project_id), {"reasons": []})
            uow.commit()
    return write


@pytest.fixture
def card(store, member_of_school):
    """``card(project_id)``: the project as the API shows it, computed now."""
    def read(project_id: int) -> dict:
        with store.uow() as uow:
            return project_dict(uow, member_of_school.actor, uow.session.get(Project, project_id))
    return read


@pytest.fixture
def figures(store):
    """``figures(fn, **kw)``: call a monitoring function with a session (and the workflows when it takes them)."""
    def call(fn, *args, **kwargs):
        with store.uow() as uow:
            if fn in (monitoring.counts_by_state, monitoring.pending_approvals):
                return fn(uow.session, *args, **kwargs)
            return fn(uow.session, store.workflows, *args, **kwargs)
    return call


# --- days in state and the stall rule ------------------------------------------------------------

def test_days_in_state_are_whole_days_and_restart_with_a_move(flow, card, project, frozen_clock):
    assert card(project.id)["days_in_state"] == 0
    frozen_clock.advance(days=10, hours=23)
    assert card(project.id)["days_in_state"] == 10
    flow.advance(project.id, "target")
    assert card(project.id)["days_in_state"] == 0
    frozen_clock.advance(days=3)
    assert card(project.id)["days_in_state"] == 3


def test_a_fresh_project_is_not_stalled(card, project, frozen_clock):
    frozen_clock.advance(days=IDLE)
    assert (card(project.id)["stalled"], card(project.id)["stall_reasons"]) == (False, [])


def test_a_project_over_its_states_sla_is_stalled_with_the_numbers(card, comment, project, frozen_clock):
    for _ in range(4):  # active every 10 days, so never idle
        frozen_clock.advance(days=10)
        comment(project.id)
    frozen_clock.advance(days=5)
    assert card(project.id)["stalled"] is False, "exactly at the SLA is not over it"
    frozen_clock.advance(days=1)
    shown = card(project.id)
    assert shown["stalled"] is True
    assert shown["stall_reasons"] == [{"kind": "sla", "days": 46, "limit": DIAGNOSE_SLA}]


def test_a_project_without_activity_is_stalled_as_idle(card, project, frozen_clock):
    frozen_clock.advance(days=IDLE)
    assert card(project.id)["stalled"] is False
    frozen_clock.advance(days=1)
    assert card(project.id)["stall_reasons"] == [{"kind": "idle", "days": 15, "limit": IDLE}]


def test_a_project_can_be_stalled_for_both_reasons(card, project, frozen_clock):
    frozen_clock.advance(days=50)
    assert card(project.id)["stall_reasons"] == [{"kind": "sla", "days": 50, "limit": DIAGNOSE_SLA},
                                                 {"kind": "idle", "days": 50, "limit": IDLE}]


def test_a_persons_event_is_activity(card, comment, project, frozen_clock):
    frozen_clock.advance(days=10)
    comment(project.id)
    frozen_clock.advance(days=5)
    assert card(project.id)["stalled"] is False


def test_system_events_are_not_activity(store, card, system_event, project, frozen_clock):
    frozen_clock.advance(days=10)
    system_event(project.id)
    frozen_clock.advance(days=5)
    assert card(project.id)["stall_reasons"] == [{"kind": "idle", "days": 15, "limit": IDLE}]
    with store.uow() as uow:
        stalled_ids = uow.session.execute(select(Project.id).where(
            monitoring.stalled_filter(store.workflows))).scalars().all()
    assert stalled_ids == [project.id]


def test_final_states_never_stall(flow, card, project, frozen_clock):
    flow.advance(project.id, "cancelled")
    frozen_clock.advance(days=400)
    assert card(project.id)["stalled"] is False


def test_stalled_projects_are_listed_worst_first(make, world, member_of_school, figures, comment, frozen_clock):
    slightly = make.project(world.school, member_of_school.actor, title="Чуть простаивает")
    badly = make.project(world.school, member_of_school.actor, title="Давно простаивает")
    frozen_clock.advance(days=10)
    comment(slightly.id)
    fresh = make.project(world.school, member_of_school.actor, title="Свежий")
    frozen_clock.advance(days=15)  # badly: idle 25 days; slightly: idle 15; fresh: idle 15 as well
    comment(fresh.id)
    listed = figures(monitoring.stalled_projects, region_id=world.region.id)
    assert [p["project_id"] for p in listed] == [badly.id, slightly.id]
    assert listed[0] == {"project_id": badly.id, "title": "Давно простаивает", "org_id": world.school.id,
                         "state": "diagnose", "days_in_state": 25, "sla_days": DIAGNOSE_SLA,
                         "reasons": [{"kind": "idle", "days": 25, "limit": IDLE}]}


# --- counts, risks, approvals, municipalities --------------------------------------------------------

def test_counts_by_state(flow, flow_for, make, world, member_of_school, figures, frozen_clock,
                         member_of_other_school, head_of_other_school):
    for _ in range(2):
        make.project(world.school, member_of_school.actor)
    flow.advance(make.project(world.school, member_of_school.actor).id, "target")
    flow.advance(make.project(world.school, member_of_school.actor).id, "cancelled")
    neighbour = flow_for(member_of_other_school, head_of_other_school)
    neighbour.advance(make.project(world.other_school, member_of_other_school.actor).id, "implement")
    far = make.person("member", org=world.other_region_school)
    make.project(world.other_region_school, far.actor)

    assert figures(monitoring.counts_by_state, region_id=world.region.id) == \
        {"diagnose": 2, "target": 1, "cancelled": 1, "implement": 1}
    assert figures(monitoring.counts_by_state, org_id=world.school.id) == \
        {"diagnose": 2, "target": 1, "cancelled": 1}
    assert figures(monitoring.counts_by_state, region_id=world.other_region.id) == {"diagnose": 1}


def test_unresolved_risks_worst_first_then_oldest(flow, make, world, member_of_school, figures, frozen_clock):
    active = make.project(world.school, member_of_school.actor)
    far = make.person("member", org=world.other_region_school)
    elsewhere = make.project(world.other_region_school, far.actor)  # another region's risk: never counted here
    far_risk = make.call(log_risk, far.actor, elsewhere.id, {"title": "Чужой регион", "probability": 5, "impact": 5})
    finished = make.project(world.school, member_of_school.actor, title="Отменённый")

    def risk(project, title, probability, impact, status="open"):
        logged = flow.log(log_risk, project.id, {"title": title, "probability": probability, "impact": impact})
        if status != "open":
            flow.log(update_risk, logged.id, {"status": status})
        return logged

    old_20 = risk(active, "Старый критический", 4, 5)
    frozen_clock.advance(days=2)
    medium = risk(active, "Средний", 3, 4, "mitigating")
    risk(active, "Решённый", 5, 5, "resolved")
    risk(active, "Принятый", 5, 5, "accepted")
    risk(finished, "У отменённого проекта", 5, 5)
    frozen_clock.advance(days=3)
    new_20 = risk(active, "Новый критический", 5, 4)
    low = risk(active, "Низкий", 2, 3)
    flow.advance(finished.id, "cancelled")
    frozen_clock.advance(days=1)

    listed = figures(monitoring.unresolved_risks, region_id=world.region.id)
    assert [(r["risk_id"], r["score"], r["age_days"]) for r in listed] == [
        (old_20.id, 20, 6), (new_20.id, 20, 1), (medium.id, 12, 4), (low.id, 6, 1)]
    assert listed[2]["status"] == "mitigating" and listed[0]["title"] == "Старый критический"
    # the tower's cut list counts every row it was cut from, as count_unresolved_risks does
    counts: dict[str, int] = {}
    assert figures(monitoring.unresolved_risks, region_id=world.region.id, limit=1, counts=counts) == listed[:1]
    assert counts == {"n": 4, "critical": 2}
    assert (counts["n"], counts["critical"]) == figures(monitoring.count_unresolved_risks, world.region.id)
    far_counts: dict[str, int] = {}
    assert [r["risk_id"] for r in figures(monitoring.unresolved_risks, region_id=world.other_region.id, limit=5,
                                          counts=far_counts)] == [far_risk.id]
    assert far_counts == {"n": 1, "critical": 1}
    # the risk keeps its project's region: the tower's index (ix_risk_region_unresolved) reads by it
    assert (far_risk.region_id, low.region_id) == (world.other_region.id, world.region.id)
    none: dict[str, int] = {}
    assert figures(monitoring.unresolved_risks, region_id=-1, limit=5, counts=none) == []
    assert none == {"n": 0, "critical": 0}


def test_pending_approvals_with_their_waiting_days(flow, make, world, member_of_school, head_of_school, figures,
                                                   frozen_clock):
    first, second, decided = (make.project(world.school, member_of_school.actor) for _ in range(3))
    for p in (first, second, decided):
        flow.satisfy(p.id, "diagnose")
    oldest = flow.fire(member_of_school.actor, first.id, "to_target").request
    frozen_clock.advance(days=2, hours=5)
    newer = flow.fire(member_of_school.actor, second.id, "to_target").request
    rejected = flow.fire(member_of_school.actor, decided.id, "to_target").request
    make.call(reject_request, head_of_school.actor, rejected.id, {"comment": "Нет карты"})
    frozen_clock.advance(days=3)

    listed = figures(monitoring.pending_approvals, region_id=world.region.id)
    assert [(a["request_id"], a["project_id"], a["trigger"], a["waiting_days"]) for a in listed] == [
        (oldest.id, first.id, "to_target", 5), (newer.id, second.id, "to_target", 3)]
    assert figures(monitoring.pending_approvals, region_id=world.other_region.id) == []
    assert monitoring.APPROVAL_WAIT_ALERT_DAYS == 3
    # each request keeps its project's region (the region's index of waiting requests reads it)
    from engine.models import Project, TransitionRequest
    with make.store.uow() as uow:
        regions = uow.session.execute(select(TransitionRequest.region_id, Project.region_id)
                                      .join(Project, Project.id == TransitionRequest.project_id)).all()
    assert len(regions) == 3 and all(mine == theirs == world.region.id for mine, theirs in regions)


def test_by_municipality(make, world, member_of_school, flow, figures, comment, frozen_clock):
    livny = make.municipality(world.region, "г. Ливны")
    mtsensk = make.municipality(world.region, "г. Мценск")  # no organisations yet
    kursk_far = make.person("member", org=world.other_region_school)
    livny_school = make.org(livny, "МБОУ СОШ №4 г. Ливны")
    livny_member = make.person("member", org=livny_school)

    orel_quiet = make.project(world.school, member_of_school.actor)
    livny_a = make.project(livny_school, livny_member.actor)
    livny_b = make.project(livny_school, livny_member.actor)
    make.project(world.other_region_school, kursk_far.actor)
    flow.advance(orel_quiet.id, "target")
    frozen_clock.advance(days=20)  # all idle, except the Orel one commented on
    comment(orel_quiet.id)

    rows = figures(monitoring.by_municipality, world.region.id)
    assert rows == [  # most stalled first, then by name
        {"municipality_id": livny.id, "name": "г. Ливны", "by_state": {"diagnose": 2}, "stalled": 2},
        {"municipality_id": mtsensk.id, "name": "г. Мценск", "by_state": {}, "stalled": 0},
        {"municipality_id": world.municipality.id, "name": "г. Орёл", "by_state": {"target": 1}, "stalled": 0},
    ]
    assert {livny_a.id, livny_b.id} == {p["project_id"] for p in
                                        figures(monitoring.stalled_projects, region_id=world.region.id)}


def test_the_tower_has_every_figure_of_the_region(figures, world, project, frozen_clock):
    frozen_clock.advance(days=20)
    tower = figures(monitoring.tower, world.region.id)
    assert set(tower) == {"region_id", "by_state", "stalled", "unresolved_risks", "pending_approvals",
                          "by_municipality"}
    assert tower["by_state"] == {"diagnose": 1}
    assert [s["project_id"] for s in tower["stalled"]] == [project.id]


# --- the SQL rule and the Python rule agree ----------------------------------------------------------------

@pytest.fixture
def assorted_projects(make, world, member_of_school, flow, comment, system_event, frozen_clock):
    """Projects born on different days, some active, some moved, some finished."""
    def new(title):
        return make.project(world.school, member_of_school.actor, title=title).id

    ids = {"oldest": new("Самый старый")}
    frozen_clock.advance(days=3, hours=7)
    ids["moved"] = new("Перешёл на целевое")
    flow.advance(ids["moved"], "target")
    ids["closed"] = new("Завершённый")
    flow.advance(ids["closed"], "closed")
    frozen_clock.advance(days=9, minutes=13)
    ids["chatty"] = new("С обсуждением")
    ids["system_only"] = new("Только система")
    ids["cancelled"] = new("Отменённый")
    flow.advance(ids["cancelled"], "cancelled")
    for day in range(1, 60):
        frozen_clock.advance(days=1)
        if day % 10 == 0:
            comment(ids["chatty"])
            system_event(ids["system_only"])
    return ids


@pytest.mark.parametrize("days_later", [0, 2, 5, 11, 17, 25, 31, 47, 90])
def test_stalled_filter_in_sql_agrees_with_stall_reasons_in_python(store, assorted_projects, frozen_clock,
                                                                   days_later):
    now = frozen_clock.current + timedelta(days=days_later)
    with store.uow() as uow:
        projects = uow.session.execute(select(Project)).scalars().all()
        in_sql = set(uow.session.execute(select(Project.id).where(
            monitoring.active_filter(store.workflows), monitoring.stalled_filter(store.workflows, now))).scalars())
    in_python = {p.id for p in projects
                 if monitoring.stall_reasons(store.workflows.get(p.workflow_id, p.workflow_version), p.state,
                                             p.state_entered_at, p.last_activity_at, now)}
    assert in_sql == in_python
    assert assorted_projects["closed"] not in in_sql and assorted_projects["cancelled"] not in in_sql
    if days_later >= 31:
        assert assorted_projects["system_only"] in in_sql


@pytest.mark.parametrize(("kind", "limit"), [("idle", IDLE), ("sla", DIAGNOSE_SLA)])
def test_the_sql_and_python_rules_agree_at_the_exact_limits(store, comment, project, frozen_clock, kind, limit):
    entered = frozen_clock.current
    if kind == "sla":  # active every 10 days, so only the SLA can be at its limit
        for _ in range(limit // 10):
            frozen_clock.advance(days=10)
            comment(project.id)
    for offset, stalled in [(timedelta(days=limit), False), (timedelta(days=limit, microseconds=1), True),
                            (timedelta(days=limit, seconds=1), True)]:
        now = entered + offset
        with store.uow() as uow:
            p = uow.session.get(Project, project.id)
            in_sql = uow.session.execute(select(Project.id).where(
                monitoring.stalled_filter(store.workflows, now))).scalars().all() == [project.id]
            reasons = monitoring.stall_reasons(store.workflows.get("psr", 1), p.state, p.state_entered_at,
                                               p.last_activity_at, now)
        assert in_sql == bool(reasons), f"SQL and Python disagree {offset} after creation"
        assert (in_sql, [r.kind for r in reasons]) == (stalled, [kind] if stalled else []), offset


def test_list_projects_filters_stalled_with_the_same_rule(store, member_of_school, assorted_projects, frozen_clock):
    with store.uow() as uow:
        stalled, total = list_projects(uow, member_of_school.actor, stalled=True)
        active, _ = list_projects(uow, member_of_school.actor, stalled=False)
        shown = {p.id: project_dict(uow, member_of_school.actor, p, with_transitions=False)["stalled"]
                 for p in stalled + active}
    assert total == len(stalled) > 0
    assert {p.id for p in stalled} == {pid for pid, is_stalled in shown.items() if is_stalled}
    assert len(stalled) + len(active) == len(assorted_projects)


@pytest.mark.parametrize("days_later", [17, 31, 47, 90, 200])
def test_the_worst_first_order_made_in_sql_is_the_order_of_the_reasons(store, assorted_projects, make, world,
                                                                         member_of_school, frozen_clock,
                                                                         days_later):
    """Ordered (and cut by ``limit``) in SQL: longest past any limit first, by whole days as
    the reasons count them, then by id; the first N with a limit are the first N of all."""
    for i in range(4):  # a few more, born at odd moments
        frozen_clock.advance(days=i * 3, hours=5 + i)
        make.project(world.school, member_of_school.actor, title=f"Ещё проект {i}")
    frozen_clock.advance(days=days_later)
    with store.uow() as uow:
        listed = monitoring.stalled_projects(uow.session, store.workflows, region_id=world.region.id)
        first_two = monitoring.stalled_projects(uow.session, store.workflows, region_id=world.region.id, limit=2)
        rows = {p.id: p for p in uow.session.execute(select(Project)).scalars()}
    now = frozen_clock.current
    for item in listed:  # the days and reasons counted in SQL are the Python rule's
        p = rows[item["project_id"]]
        wf = store.workflows.get(p.workflow_id, p.workflow_version)
        assert item["reasons"] == [r.as_dict() for r in monitoring.stall_reasons(
            wf, p.state, p.state_entered_at, p.last_activity_at, now)]
        assert item["days_in_state"] == monitoring.whole_days(now, p.state_entered_at)
    worst = [max(r["days"] - r["limit"] for r in p["reasons"]) for p in listed]
    keys = [(-w, p["project_id"]) for w, p in zip(worst, listed, strict=True)]
    assert len(listed) >= 3
    assert keys == sorted(keys)
    assert first_two == listed[:2]

"""Flow analytics (engine/reporting/analytics.py): daily snapshots and their rebuild after downtime,
the cumulative flow diagram, lead time and time in stage, throughput, the headline.

Histories are made through the engine's own services on the frozen clock, so the event
log is the real one; every expected figure is worked out by hand in the test.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from engine.models import DailySnapshot
from engine.reporting import analytics
from engine.services import log_risk, record_measurement, update_project, update_risk

STAGES = ["diagnose", "target", "implement", "standardise", "sustain"]
FORWARD = {"diagnose": "to_target", "target": "to_implement", "implement": "to_standardise",
           "standardise": "to_sustain", "sustain": "close"}


def at(day: date, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def days_from(first: date, n: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(n)]


@pytest.fixture
def run(store):
    """``run(analytics.fn, *args)``: call with a session and the workflows when the function
    takes them; commits (record_snapshots leaves that to its caller)."""
    def call(fn, *args, **kwargs):
        with store.uow() as uow:
            if fn in (analytics.record_snapshots, analytics.rebuild_missing_snapshots,
                      analytics.stage_times, analytics.headline, analytics.throughput):
                result = fn(uow.session, uow.workflows, *args, **kwargs)
            else:
                result = fn(uow.session, *args, **kwargs)
            uow.commit()
            return result
    return call


@pytest.fixture
def snapshot_rows(store):
    """``snapshot_rows(day=None)`` -> sorted (day, org_id, region_id, state, count) rows."""
    def rows(day: date | None = None) -> list[tuple]:
        stmt = select(DailySnapshot.day, DailySnapshot.org_id, DailySnapshot.region_id,
                      DailySnapshot.state, DailySnapshot.count)
        if day is not None:
            stmt = stmt.where(DailySnapshot.day == day)
        with store.uow() as uow:
            return sorted(tuple(r) for r in uow.session.execute(stmt).all())
    return rows


@pytest.fixture
def other_flow(flow_for, member_of_other_school, head_of_other_school):
    """Drives the projects of the other school of the same municipality."""
    return flow_for(member_of_other_school, head_of_other_school)


def move(flow, project_id: int, trigger: str, comment: str | None = None) -> None:
    """The head moves the card at once (gates satisfied first for forward moves)."""
    state = flow.reload(project_id).state
    if trigger == FORWARD.get(state) and flow.unmet(project_id, trigger):
        flow.satisfy(project_id, state)
    assert flow.fire(flow.head.actor, project_id, trigger, comment=comment).moved


# --- daily snapshots ----------------------------------------------------------------------------

SEP = [date(2026, 9, d) for d in range(1, 31)]  # SEP[0] is 1 September 2026


def test_snapshots_count_projects_per_org_and_state_at_the_end_of_each_day(
        run, snapshot_rows, flow, other_flow, world, frozen_clock):
    school, other, region = world.school.id, world.other_school.id, world.region.id
    frozen_clock.set(at(SEP[0], 9))
    p1 = flow.make.project(world.school, flow.member.actor).id
    frozen_clock.set(at(SEP[0], 10))
    p2 = flow.make.project(world.school, flow.member.actor).id
    frozen_clock.set(at(SEP[1], 12))
    move(flow, p1, "to_target")
    p3 = other_flow.make.project(world.other_school, other_flow.member.actor).id
    frozen_clock.set(at(SEP[1], 23, 59, 59))  # the last second of 2 September still counts on the 2nd
    other_flow.satisfy(p3, "diagnose")
    frozen_clock.set(at(SEP[2], 10))
    move(flow, p1, "to_implement")
    move(flow, p2, "to_target")
    frozen_clock.set(at(SEP[2], 15))  # p2 leaves target the day it entered: never counted there
    move(flow, p2, "cancel", comment="Проект объединён с другим")
    frozen_clock.set(at(SEP[3], 0))  # midnight belongs to the new day
    move(other_flow, p3, "to_target")
    frozen_clock.set(at(SEP[4], 11))
    move(flow, p1, "back_to_target", comment="Пересмотреть план мероприятий")
    frozen_clock.set(at(SEP[6], 8))

    # recorded later, from the log: each day as it stood at its end
    written = [run(analytics.record_snapshots, day) for day in SEP[:6]]
    assert written == [1, 3, 3, 3, 3, 3]
    recorded_day_by_day = snapshot_rows()

    # the rebuild computes the first day from the log, every next one from the day before
    with flow.store.uow() as uow:
        uow.session.execute(delete(DailySnapshot))
        uow.commit()
    assert run(analytics.rebuild_missing_snapshots, SEP[5]) == SEP[:6]
    assert snapshot_rows() == recorded_day_by_day == [
        (SEP[0], school, region, "diagnose", 2),
        (SEP[1], school, region, "diagnose", 1),
        (SEP[1], school, region, "target", 1),
        (SEP[1], other, region, "diagnose", 1),
        (SEP[2], school, region, "cancelled", 1),
        (SEP[2], school, region, "implement", 1),
        (SEP[2], other, region, "diagnose", 1),
        (SEP[3], school, region, "cancelled", 1),
        (SEP[3], school, region, "implement", 1),
        (SEP[3], other, region, "target", 1),
        (SEP[4], school, region, "cancelled", 1),
        (SEP[4], school, region, "target", 1),
        (SEP[4], other, region, "target", 1),
        (SEP[5], school, region, "cancelled", 1),
        (SEP[5], school, region, "target", 1),
        (SEP[5], other, region, "target", 1),
    ]


def test_a_day_before_any_project_has_no_snapshot_rows(run, snapshot_rows, flow, world, frozen_clock):
    frozen_clock.set(at(SEP[1], 9))
    flow.make.project(world.school, flow.member.actor)
    assert run(analytics.record_snapshots, SEP[0]) == 0
    assert run(analytics.record_snapshots, SEP[1]) == 1
    assert snapshot_rows() == [(SEP[1], world.school.id, world.region.id, "diagnose", 1)]


def test_todays_snapshot_is_rewritten_during_the_day_and_recording_twice_changes_nothing(
        run, snapshot_rows, flow, world, frozen_clock):
    school, region = world.school.id, world.region.id
    frozen_clock.set(at(SEP[0], 9))
    p1 = flow.make.project(world.school, flow.member.actor).id
    flow.make.project(world.school, flow.member.actor)
    frozen_clock.set(at(SEP[0], 12))
    assert run(analytics.record_snapshots, SEP[0]) == 1
    assert snapshot_rows() == [(SEP[0], school, region, "diagnose", 2)]

    frozen_clock.set(at(SEP[0], 16))
    move(flow, p1, "to_target")
    assert run(analytics.record_snapshots, SEP[0]) == 2
    assert run(analytics.record_snapshots, SEP[0]) == 2
    assert snapshot_rows() == [(SEP[0], school, region, "diagnose", 1),
                               (SEP[0], school, region, "target", 1)]


# --- rebuilding after downtime, and the cumulative flow ---------------------------------------------

def test_days_missed_while_the_scheduler_was_down_are_rebuilt_and_the_flow_has_no_holes(
        run, snapshot_rows, flow, other_flow, world, frozen_clock):
    frozen_clock.set(at(SEP[0], 9))
    p1 = flow.make.project(world.school, flow.member.actor).id
    p2 = flow.make.project(world.school, flow.member.actor).id
    frozen_clock.set(at(SEP[1], 10))
    move(flow, p1, "to_target")
    frozen_clock.set(at(SEP[2], 12))
    assert run(analytics.rebuild_missing_snapshots, SEP[2]) == SEP[0:3]

    # later on 3 September (after that snapshot was taken), then 5 days with no scheduler
    frozen_clock.set(at(SEP[2], 18))
    move(flow, p2, "to_target")
    frozen_clock.set(at(SEP[5], 9))
    other_flow.make.project(world.other_school, other_flow.member.actor)
    frozen_clock.set(at(SEP[6], 14))
    move(flow, p1, "to_implement")
    frozen_clock.set(at(SEP[8], 10))

    # 4..8 September were missing; 3 September is written again (it was taken mid-day)
    assert run(analytics.rebuild_missing_snapshots, SEP[8]) == SEP[2:9]

    cfd = run(analytics.cumulative_flow, world.region.id, SEP[0], SEP[8], workflows=flow.store.workflows)
    assert cfd["days"] == [f"2026-09-0{d}" for d in range(1, 10)]
    assert cfd["states"] == ["diagnose", "target", "implement", "standardise", "sustain", "closed", "cancelled"]
    assert cfd["series"] == {
        "diagnose":    [2, 1, 0, 0, 0, 1, 1, 1, 1],  # noqa: E241
        "target":      [0, 1, 2, 2, 2, 2, 1, 1, 1],  # noqa: E241
        "implement":   [0, 0, 0, 0, 0, 0, 1, 1, 1],  # noqa: E241
        "standardise": [0] * 9, "sustain": [0] * 9, "closed": [0] * 9, "cancelled": [0] * 9,
    }
    recorded_days = {row[0] for row in snapshot_rows()}
    assert recorded_days == set(SEP[0:9]), "a day without a snapshot is a hole in the diagram"

    other = run(analytics.cumulative_flow, world.region.id, SEP[4], SEP[8], org_id=world.other_school.id)
    assert other == {"days": ["2026-09-05", "2026-09-06", "2026-09-07", "2026-09-08", "2026-09-09"],
                     "states": ["diagnose"], "series": {"diagnose": [0, 1, 1, 1, 1]}}
    by_municipality = run(analytics.cumulative_flow, world.region.id, SEP[0], SEP[8],
                          municipality_id=world.municipality.id, workflows=flow.store.workflows)
    assert by_municipality == cfd
    elsewhere = run(analytics.cumulative_flow, world.other_region.id, SEP[0], SEP[8])
    assert elsewhere == {"days": cfd["days"], "states": [], "series": {}}

    # a second run writes only the latest day again, with the same rows
    before = snapshot_rows()
    assert run(analytics.rebuild_missing_snapshots, SEP[8]) == [SEP[8]]
    assert snapshot_rows() == before


def test_rebuilding_with_no_projects_writes_nothing(run, snapshot_rows):
    assert run(analytics.rebuild_missing_snapshots, SEP[9]) == []
    assert snapshot_rows() == []


def test_days_before_the_first_project_read_as_zero_in_the_flow(run, flow, world, frozen_clock):
    frozen_clock.set(at(SEP[2], 9))
    flow.make.project(world.school, flow.member.actor)
    assert run(analytics.rebuild_missing_snapshots, SEP[3]) == [SEP[2], SEP[3]]
    cfd = run(analytics.cumulative_flow, world.region.id, SEP[0], SEP[3])
    assert cfd["series"] == {"diagnose": [0, 0, 1, 1]}


# --- lead time and time in stage --------------------------------------------------------------------

def live(flow, frozen_clock, org, steps: list[tuple[float, str]]) -> int:
    """A new project of ``org`` that, step by step, waits ``days`` then fires ``trigger``."""
    pid = flow.make.project(org, flow.member.actor).id
    for days, trigger in steps:
        frozen_clock.advance(days=days)
        move(flow, pid, trigger, comment="Причина" if trigger.startswith(("back", "cancel")) else None)
    return pid


def test_lead_time_and_time_in_each_stage_are_medians_and_85th_percentiles_of_completed_stays(
        run, flow, make, world, frozen_clock):
    frozen_clock.set(at(date(2026, 9, 1), 9))
    # days in diagnose, target, implement, standardise, sustain, then closed
    live(flow, frozen_clock, world.school, [(10, "to_target"), (20, "to_implement"), (30, "to_standardise"),
                              (5, "to_sustain"), (10, "close")])                    # lead 75
    frozen_clock.advance(days=1)
    live(flow, frozen_clock, world.school, [(20, "to_target"), (10, "to_implement"), (40, "to_standardise"),
                              (10, "to_sustain"), (20, "close")])                   # lead 100
    frozen_clock.advance(days=1)
    p3_created = frozen_clock.current
    live(flow, frozen_clock, world.school, [(30, "to_target"), (30, "to_implement"), (20, "to_standardise"),
                              (15, "to_sustain"), (30, "close")])                   # lead 125
    frozen_clock.advance(days=1)
    # sent back once; still in implement (an open stay: not counted)
    live(flow, frozen_clock, world.school, [(15, "to_target"), (8, "back_to_diagnose"), (6, "to_target"),
                              (25, "to_implement")])
    frozen_clock.advance(days=1)
    live(flow, frozen_clock, world.school, [(4, "cancel")])
    # another region's project must not count
    kursk_member = make.person("member", org=world.other_region_school)
    kursk_head = make.person("head", org=world.other_region_school)
    kursk = make.project(world.other_region_school, kursk_member.actor).id
    frozen_clock.advance(days=2)
    kursk_flow = type(flow)(make, kursk_member, kursk_head)
    move(kursk_flow, kursk, "to_target")
    frozen_clock.advance(days=3)

    times = run(analytics.stage_times, world.region.id)
    # lead: 75, 100, 125 -> median 100; p85: h = 2 * 0.85 = 1.7 -> 100 + 0.7 * 25 = 117.5
    assert times["lead_time"] == {"median": 100.0, "p85": 117.5, "n": 3}
    assert times["by_stage"] == {
        # 10, 20, 30, 15, 6, 4 -> sorted 4 6 10 15 20 30: median (10 + 15) / 2 = 12.5;
        # p85: h = 5 * 0.85 = 4.25 -> 20 + 0.25 * (30 - 20) = 22.5
        "diagnose": {"median": 12.5, "p85": 22.5, "n": 6},
        # 20, 10, 30, 8, 25 -> sorted 8 10 20 25 30: median 20; h = 3.4 -> 25 + 0.4 * 5 = 27
        "target": {"median": 20.0, "p85": 27.0, "n": 5},
        # 30, 40, 20 -> median 30; h = 1.7 -> 30 + 0.7 * 10 = 37
        "implement": {"median": 30.0, "p85": 37.0, "n": 3},
        # 5, 10, 15 -> median 10; 10 + 0.7 * 5 = 13.5
        "standardise": {"median": 10.0, "p85": 13.5, "n": 3},
        # 10, 20, 30 -> median 20; 20 + 0.7 * 10 = 27
        "sustain": {"median": 20.0, "p85": 27.0, "n": 3},
    }

    # since the day the third project was created: its closing, and the stays that ended since
    since = run(analytics.stage_times, world.region.id, since=p3_created.date())
    assert since["lead_time"] == {"median": 125.0, "p85": 125.0, "n": 1}
    assert since["by_stage"]["implement"] == {"median": 20.0, "p85": 20.0, "n": 1}
    # diagnose: 30 (third), 15 and 6 (fourth), 4 (fifth) -> sorted 4 6 15 30: median (6 + 15) / 2
    assert since["by_stage"]["diagnose"]["median"] == 10.5
    assert since["by_stage"]["diagnose"]["n"] == 4


def test_stage_times_of_a_region_without_history_are_empty(run, world):
    times = run(analytics.stage_times, world.region.id)
    assert times["lead_time"] == {"median": None, "p85": None, "n": 0}
    assert times["by_stage"]["diagnose"] == {"median": None, "p85": None, "n": 0}


def test_stays_shorter_than_a_day_are_measured_in_fractions_of_a_day(run, flow, world, frozen_clock):
    frozen_clock.set(at(date(2026, 9, 1), 9))
    live(flow, frozen_clock, world.school, [(0.25, "to_target"), (1.5, "to_implement")])
    live(flow, frozen_clock, world.school, [(2.75, "to_target")])
    times = run(analytics.stage_times, world.region.id)
    # diagnose 0.25 and 2.75: median 1.5; p85: h = 0.85 -> 0.25 + 0.85 * 2.5 = 2.375 -> 2.4
    assert times["by_stage"]["diagnose"] == {"median": 1.5, "p85": 2.4, "n": 2}
    assert times["by_stage"]["target"] == {"median": 1.5, "p85": 1.5, "n": 1}


@pytest.mark.parametrize(("values", "p", "expected"), [
    ([7.0], 0.85, 7.0),
    ([1.0, 2.0], 0.5, 1.5),
    ([3.0, 1.0, 2.0, 4.0], 0.5, 2.5),
    ([10.0, 20.0, 30.0, 40.0, 50.0], 0.85, 44.0),  # h = 3.4 -> 40 + 0.4 * 10
    ([10.0, 20.0, 30.0, 40.0, 50.0], 1.0, 50.0),
    ([10.0, 20.0, 30.0, 40.0, 50.0], 0.0, 10.0),
    ([], 0.5, None),
])
def test_percentile_interpolates_linearly_between_closest_ranks(values, p, expected):
    result = analytics.percentile(values, p)
    assert result == pytest.approx(expected) if expected is not None else result is None


# --- throughput -------------------------------------------------------------------------------------

def test_throughput_counts_closed_and_started_projects_per_month_with_empty_months(
        run, flow, make, world, frozen_clock):
    frozen_clock.set(at(date(2026, 9, 1), 9))
    a = flow.make.project(world.school, flow.member.actor).id
    b = flow.make.project(world.school, flow.member.actor).id
    frozen_clock.set(at(date(2026, 9, 10), 9))
    flow.advance(a, "closed")                                  # September: 2 started, 1 closed
    frozen_clock.set(at(date(2026, 11, 30), 23, 59, 59))      # October: nothing at all
    flow.advance(b, "closed")                                  # November: 1 closed (last second)
    frozen_clock.set(at(date(2026, 12, 1), 0))
    flow.make.project(world.school, flow.member.actor)        # December: 2 started
    frozen_clock.set(at(date(2026, 12, 3), 9))
    c = flow.make.project(world.school, flow.member.actor).id
    flow.advance(c, "cancelled")                               # a cancellation is not a closing
    kursk_member = make.person("member", org=world.other_region_school)
    make.project(world.other_region_school, kursk_member.actor)  # another region
    frozen_clock.set(at(date(2027, 1, 2), 9))

    assert run(analytics.throughput, world.region.id, months=5) == [
        {"month": "2026-09", "closed": 1, "started": 2},
        {"month": "2026-10", "closed": 0, "started": 0},
        {"month": "2026-11", "closed": 1, "started": 0},
        {"month": "2026-12", "closed": 0, "started": 2},
        {"month": "2027-01", "closed": 0, "started": 0},
    ]
    assert run(analytics.throughput, world.region.id, months=2) == [
        {"month": "2026-12", "closed": 0, "started": 2},
        {"month": "2027-01", "closed": 0, "started": 0},
    ]
    assert len(run(analytics.throughput, world.region.id)) == 12


# --- the headline -------------------------------------------------------------------------------------

def test_headline_figures_of_a_small_region(
        run, flow, other_flow, make, world, frozen_clock, member_of_school, head_of_school,
        member_of_other_school):
    school, other = world.school, world.other_school
    risk = {"title": "Срыв сроков поставки бланков"}

    def log(flow_, pid, probability, impact, status=None):
        r = flow_.log(log_risk, pid, {**risk, "probability": probability, "impact": impact})
        if status:
            flow_.log(update_risk, r.id, {"status": status})

    frozen_clock.set(at(date(2026, 9, 1), 9))
    other_flow.make.project(other, member_of_other_school.actor)   # untouched from now on: stalled

    frozen_clock.set(at(date(2026, 12, 1), 9))
    reached = flow.make.project(school, member_of_school.actor).id
    missed = flow.make.project(school, member_of_school.actor).id
    flow.advance(reached, "sustain")
    flow.advance(missed, "sustain")
    frozen_clock.set(at(date(2026, 12, 20), 9))
    flow.make.call(update_project, head_of_school.actor, reached,  # before closing: read-only after
                   {"version": flow.reload(reached).version, "actual_hours_saved": 120, "actual_roubles": 15000})
    # two measurements of one day: the one recorded last is the latest (as engine.reporting.metrics keeps it)
    for value in (31, 28):
        flow.make.call(record_measurement, member_of_school.actor, flow.metrics(reached)[0].id,
                       {"value": value, "measured_on": "2026-12-20"})
    flow.advance(reached, "closed")                                  # closed last year

    frozen_clock.set(at(date(2027, 1, 2), 9))
    implementing = flow.make.project(school, member_of_school.actor).id
    flow.advance(implementing, "implement")
    log(flow, implementing, 4, 4)                     # 16, open: critical
    log(flow, implementing, 5, 3, "mitigating")       # 15, mitigating: critical
    log(flow, implementing, 5, 5, "resolved")         # resolved: not counted
    log(flow, implementing, 3, 4)                     # 12: high, not critical
    kursk_member = make.person("member", org=world.other_region_school)
    kursk = make.project(world.other_region_school, kursk_member.actor).id
    make.call(log_risk, kursk_member.actor, kursk, {**risk, "probability": 5, "impact": 5})  # another region

    frozen_clock.set(at(date(2027, 1, 3), 9))
    waiting_long = other_flow.make.project(other, member_of_other_school.actor).id
    other_flow.satisfy(waiting_long, "diagnose")
    frozen_clock.set(at(date(2027, 1, 4), 9))
    cancelled = flow.make.project(school, member_of_school.actor).id
    log(flow, cancelled, 5, 5)                        # critical, but the project is cancelled
    flow.advance(cancelled, "cancelled")

    frozen_clock.set(at(date(2027, 1, 5), 9))
    flow.make.call(update_project, head_of_school.actor, missed,   # before closing: read-only after
                   {"version": flow.reload(missed).version, "actual_hours_saved": 40.5})
    flow.advance(missed, "closed")                                   # closed this year
    assert not other_flow.fire(member_of_other_school.actor, waiting_long, "to_target").moved  # 5.1 days by now

    frozen_clock.set(at(date(2027, 1, 6), 9))
    waiting_short = flow.make.project(school, member_of_school.actor).id
    flow.satisfy(waiting_short, "diagnose")
    frozen_clock.set(at(date(2027, 1, 6), 23))
    assert not flow.fire(member_of_school.actor, waiting_short, "to_target").moved  # 3.5 days by now

    frozen_clock.set(at(date(2027, 1, 8), 9))
    # after closing, the result slipped back above the target (29 minutes, decrease)
    # (stored as the services would have: they no longer change a closed project)
    flow.stored_measure(flow.metrics(missed)[0].id, 35, date(2027, 1, 8))

    frozen_clock.set(at(date(2027, 1, 10), 12))
    assert run(analytics.headline, world.region.id) == {
        "region_id": world.region.id,
        "active_by_stage": {"diagnose": 3, "implement": 1},   # stalled, waiting_long, waiting_short; implementing
        "active": 4,
        "stalled": 1,                # created 1 September, never touched: over SLA 45 and idle 14
        "critical_risks": 2,         # 16 open and 15 mitigating, of the implementing project
        "approvals_waiting_over_3_days": 1,  # 5 days; the other 3.5 days (3 whole days)
        "closed_this_year": 1,
        "closed": 2,
        "closed_reaching_targets_share": 0.5,
        "hours_saved": 160.5,
        "roubles_saved": 15000.0,
    }
    # the tower page passes what it has read already: the same figures
    from engine.reporting import monitoring
    with flow.make.store.uow() as uow:
        counts = monitoring.counts_by_state(uow.session, region_id=world.region.id)
        stalled = sum(m["stalled"] for m in monitoring.by_municipality(uow.session, uow.workflows, world.region.id))
        _listed, critical = monitoring.count_unresolved_risks(uow.session, uow.workflows, world.region.id)
        given = analytics.headline(uow.session, uow.workflows, world.region.id, counts=counts, stalled=stalled,
                                   critical_risks=critical)
        # ... or its one-read roll-up (the tower's): the same figures, and the same counts and
        # per-municipality rows as the separate queries
        pending = monitoring.pending_approvals(uow.session, region_id=world.region.id)
        rollup = monitoring.region_rollup(uow.session, uow.workflows, world.region.id,
                                          analytics.year_start_of(frozen_clock.current))
        rolled = analytics.headline(uow.session, uow.workflows, world.region.id, critical_risks=critical,
                                    rollup=rollup, waiting_over=sum(1 for p in pending if p["waiting_days"] > 3))
        assert rollup["by_state"] == counts
        assert rollup["by_municipality"] == monitoring.by_municipality(uow.session, uow.workflows, world.region.id)
    assert given == run(analytics.headline, world.region.id) == rolled


def test_headline_of_a_region_with_nothing_closed_has_no_share(run, world, project):
    figures = run(analytics.headline, world.region.id)
    assert figures["closed_reaching_targets_share"] is None
    assert (figures["closed"], figures["closed_this_year"]) == (0, 0)
    assert (figures["hours_saved"], figures["roubles_saved"]) == (0.0, 0.0)
    assert figures["active_by_stage"] == {"diagnose": 1}


def test_the_towers_kept_stage_times_are_computed_again_after_any_move(store, run, flow, world, frozen_clock):
    """stage_times_cached gives what stage_times gives, keeps it while nothing moves, and
    computes afresh after a move (the key holds the latest move's id)."""
    from engine.reporting.cache import FigureCache

    cache = FigureCache()

    def kept() -> dict:
        with store.uow() as uow:
            return analytics.stage_times_cached(uow.session, uow.workflows, world.region.id, None, cache)

    frozen_clock.set(at(date(2026, 9, 1), 9))
    live(flow, frozen_clock, world.school, [(10, "to_target")])
    first = kept()
    assert first == run(analytics.stage_times, world.region.id)
    assert first["by_stage"]["diagnose"] == {"median": 10.0, "p85": 10.0, "n": 1}
    first["by_stage"]["diagnose"]["n"] = 99  # a caller changing its copy changes nothing kept
    assert kept()["by_stage"]["diagnose"]["n"] == 1 and (cache.hits, cache.misses) == (1, 1)
    live(flow, frozen_clock, world.school, [(20, "to_target")])
    after = kept()
    assert after == run(analytics.stage_times, world.region.id)
    assert after["by_stage"]["diagnose"] == {"median": 15.0, "p85": 18.5, "n": 2}
    assert cache.misses == 2


def test_the_latest_measurement_is_the_latest_by_date_not_by_entry(run, flow, world, member_of_school, frozen_clock):
    """A closed project's share reaching targets reads its metrics' latest values: a value
    entered late but dated earlier does not replace a later-dated one; one dated later does.
    (Measured while the project is open: a closed project is read-only.)"""
    from tests.engine.conftest import TARGET

    frozen_clock.set(at(date(2026, 9, 1), 9))
    pid = flow.make.project(world.school, member_of_school.actor).id
    flow.advance(pid, "sustain")
    metric = flow.metrics(pid)[0]
    assert metric.direction == "decrease"

    day = frozen_clock.current.date()  # the gates' measurements were dated today at the latest

    def measure(value: float, on: date) -> float | None:
        flow.make.call(record_measurement, member_of_school.actor, metric.id,
                       {"value": value, "measured_on": on.isoformat()})
        return flow.metrics(pid)[0].latest_value

    assert measure(TARGET - 1, day) == TARGET - 1                     # the same day, recorded later
    assert measure(TARGET + 10, day - timedelta(days=30)) == TARGET - 1  # entered now, dated earlier
    assert measure(TARGET + 10, day) == TARGET + 10                   # the same day, recorded later
    frozen_clock.advance(days=1)
    assert measure(TARGET, day + timedelta(days=1)) == TARGET         # a later day
    assert (flow.metrics(pid)[0].latest_value, flow.metrics(pid)[0].latest_on) == (TARGET, day + timedelta(days=1))
    flow.advance(pid, "closed")
    assert run(analytics.headline, world.region.id)["closed_reaching_targets_share"] == 1.0
    # values stored after closing: a later-dated one that misses the target is what the share reads
    flow.stored_measure(metric.id, TARGET + 10, day + timedelta(days=2))
    assert run(analytics.headline, world.region.id)["closed_reaching_targets_share"] == 0.0
    flow.stored_measure(metric.id, TARGET - 5, day)                   # dated earlier: not the latest
    assert run(analytics.headline, world.region.id)["closed_reaching_targets_share"] == 0.0


def test_the_towers_kept_throughput_counts_new_projects_and_closings(store, run, flow, world, member_of_school,
                                                                      frozen_clock):
    from engine.reporting.cache import FigureCache

    cache = FigureCache()

    def kept() -> list:
        with store.uow() as uow:
            return analytics.throughput_cached(uow.session, uow.workflows, world.region.id, 3, cache)

    frozen_clock.set(at(date(2026, 9, 10), 9))
    pid = flow.make.project(world.school, member_of_school.actor).id
    assert kept() == run(analytics.throughput, world.region.id, 3)
    assert kept()[-1] == {"month": "2026-09", "closed": 0, "started": 1} and cache.misses == 1
    flow.make.project(world.school, member_of_school.actor)          # a new project: not a move
    assert kept()[-1] == {"month": "2026-09", "closed": 0, "started": 2}
    flow.advance(pid, "closed")
    assert kept() == run(analytics.throughput, world.region.id, 3)
    assert sum(m["closed"] for m in kept()) == 1

"""The demo loader (engine/demo/): the Oryol region is consistent with the workflow
(its event log replays to every project's state), has something in every corner the
UI shows (each stage, stalled projects, waiting approvals, closed projects with their
targets reached), is loaded once, and the scale mode generates N projects.

The Oryol demo is loaded once for this module (it takes about half a minute) into a
database of its own, at the same moment as the engine tests' frozen clock.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import clock, demo
from engine.checks import evaluate
from engine.db import Store
from engine.models import (
    UNRESOLVED_RISK,
    Event,
    Metric,
    Municipality,
    Organization,
    Project,
    Region,
    Risk,
    RoleGrant,
    TransitionRequest,
    User,
    metadata,
)
from engine.reporting.monitoring import pending_approvals, stalled_projects
from engine.services import admin as admin_svc
from engine.services import approve_request, load_actor, request_transition, update_metric
from engine.workflow import WorkflowRegistry
from tests.conftest import own_database
from tests.demo_helpers import replay_problems as _replay_problems

pytestmark = pytest.mark.slow  # the whole Oryol demo is loaded once for the module

MOMENT = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)  # tests/conftest.py's frozen clock
BACKEND = os.environ.get("LEANSCHOOL_TEST_DB", "sqlite").lower()
PG_BASE = os.environ.get("LEANSCHOOL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
STATES = ["diagnose", "target", "implement", "standardise", "sustain", "closed", "cancelled"]


@pytest.fixture(scope="module")
def oryol(workflows: WorkflowRegistry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The default demo, loaded once into its own database: {store, accounts, output}."""
    with own_database("ls_demo", tmp_path_factory) as url:
        store = Store(url, workflows)
        output: list[str] = []
        clock.set_clock(lambda: MOMENT)
        try:
            accounts = demo.load(store, echo=output.append)  # with the suite's cheap hasher (conftest.py)
        finally:
            clock.set_clock(None)
        yield {"store": store, "accounts": accounts, "output": output}
        store.dispose()


@pytest.fixture
def demo_store(oryol: dict[str, Any], frozen_clock: Any) -> Store:
    frozen_clock.set(MOMENT)
    return oryol["store"]


def _region_id(store: Store, name: str = "Орловская область") -> int:
    with store.uow() as uow:
        return uow.session.execute(select(Region.id).where(Region.name == name)).scalar_one()


def _row_counts(store: Store) -> dict[str, int]:
    with store.uow() as uow:
        return {t.name: uow.session.execute(select(func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables}


# --- the Oryol demo -----------------------------------------------------------------------

def test_the_event_log_of_every_demo_project_replays_to_its_state(demo_store: Store) -> None:
    assert _replay_problems(demo_store, _region_id(demo_store)) == []


def test_the_demo_region_has_every_stage_stalled_projects_waiting_approvals_and_closed_ones(
        demo_store: Store, oryol: dict[str, Any]) -> None:
    region_id = _region_id(demo_store)
    with demo_store.uow() as uow:
        s = uow.session
        municipalities = s.execute(select(func.count()).select_from(Municipality)
                                   .where(Municipality.region_id == region_id)).scalar_one()
        kinds = dict(s.execute(select(Organization.kind, func.count()).where(Organization.region_id == region_id)
                               .group_by(Organization.kind)).all())
        by_state = dict(s.execute(select(Project.state, func.count()).where(Project.region_id == region_id)
                                  .group_by(Project.state)).all())
        stalled = stalled_projects(s, demo_store.workflows, region_id=region_id)
        pending = pending_approvals(s, region_id=region_id)
        rejected = s.execute(select(func.count()).select_from(TransitionRequest)
                             .where(TransitionRequest.status == "rejected")).scalar_one()
        critical = s.execute(select(func.count()).select_from(Risk).join(Project, Project.id == Risk.project_id)
                             .where(Risk.status.in_(UNRESOLVED_RISK), Risk.score >= 15,  # type: ignore[attr-defined]
                                    Project.state.in_(["diagnose", "target", "implement"]))).scalar_one()  # type: ignore[attr-defined]
        closed = s.execute(select(Project).where(Project.region_id == region_id, Project.state == "closed")).scalars()
        closed_missing = [p.reg_number for p in closed
                          if evaluate(s, p, ["targets_reached", "report_attached"], demo_store.workflows.default())]
        oldest = s.execute(select(func.min(Event.at))).scalar_one()

    assert municipalities == 27
    assert set(kinds) == {"school", "kindergarten", "college", "other"} and 55 <= sum(kinds.values()) <= 65
    assert set(by_state) == set(STATES), by_state
    # about 150 planned, and the replicas the demo campaign started (4)
    assert 140 <= sum(by_state.values()) <= 170 and by_state["cancelled"] >= 2 and by_state["closed"] >= 5
    reasons = {r["kind"] for p in stalled for r in p["reasons"]}
    assert len(stalled) >= 10 and reasons == {"sla", "idle"}
    assert len(pending) >= 5 and any(p["waiting_days"] > 3 for p in pending)
    assert rejected >= 3 and critical >= 3
    assert closed_missing == []
    assert (MOMENT - clock.as_utc(oldest)).days > 200  # about eight months of history
    assert any("Готово" in line for line in oryol["output"])


def first_of_each_role(accounts: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """The first account of each role: the demo school's head and member, the region's curator."""
    out: dict[str, dict[str, str]] = {}
    for acc in accounts:
        out.setdefault(acc["role"], acc)
    return out


def test_the_demo_accounts_sign_in_and_the_demo_school_shows_every_kind_of_work(demo_store: Store,
                                                                                 oryol: dict[str, Any]) -> None:
    accounts = first_of_each_role(oryol["accounts"])
    assert set(accounts) == {"admin", "curator", "head", "member", "coordinator"}
    with demo_store.uow() as uow:
        for acc in oryol["accounts"]:
            assert admin_svc.authenticate(uow, acc["email"], acc["password"]) is not None, acc["email"]
        head = uow.session.execute(select(User).where(User.email == accounts["head"]["email"])).scalar_one()
        school = load_actor(uow.session, head.id).org_ids().pop()  # type: ignore[arg-type]
        projects = uow.session.execute(select(Project).where(Project.org_id == school)).scalars().all()
        waiting = uow.session.execute(select(TransitionRequest)
                                      .join(Project, Project.id == TransitionRequest.project_id)
                                      .where(Project.org_id == school, TransitionRequest.status == "pending")
                                      ).scalars().all()
        almost = [p for p in projects if p.state == "diagnose"
                  and [u.check for u in evaluate(uow.session, p, ["current_state_mapped", "problems_listed",
                                                                  "baselines_recorded"], uow.workflows.default())]
                  == ["baselines_recorded"]]
    assert len({p.state for p in projects}) >= 4
    assert len(waiting) == 1 and (MOMENT - clock.as_utc(waiting[0].requested_at)).days > 3
    assert len(almost) == 1


def test_the_accounts_say_where_each_works_and_include_another_school_and_a_municipal_curator(
        demo_store: Store, oryol: dict[str, Any]) -> None:
    """What `leanschool demo` prints: each account's organisation (or region, or municipality),
    a head of another school, a school coordinator and a curator of one municipality."""
    by_email = {a["email"]: a for a in oryol["accounts"]}
    with demo_store.uow() as uow:
        for email, acc in by_email.items():
            user = uow.session.execute(select(User).where(User.email == email)).scalar_one()
            actor = load_actor(uow.session, user.id)  # type: ignore[arg-type]
            orgs = [uow.session.get(Organization, o) for o in actor.org_ids()]
            if acc["role"] in ("head", "member", "coordinator"):
                assert acc["place"] in {o.name for o in orgs if o}, acc
        heads = [a for a in oryol["accounts"] if a["role"] == "head"]
        assert len(heads) == 2 and heads[0]["place"] != heads[1]["place"]
        municipal = [a for a in oryol["accounts"] if a["role"] == "curator" and a["email"].startswith("curator.mo")]
        assert len(municipal) == 1
        user = uow.session.execute(select(User).where(User.email == municipal[0]["email"])).scalar_one()
        actor = load_actor(uow.session, user.id)  # type: ignore[arg-type]
        (mun_id,) = actor.curated_municipality_ids()
        assert uow.session.get(Municipality, mun_id).name == municipal[0]["place"]  # type: ignore[union-attr]


def test_leanschool_demo_prints_one_line_an_account_with_its_roles_and_place(oryol: dict[str, Any],
                                                                             capsys: Any) -> None:
    from webui.cli import print_accounts
    print_accounts(oryol["accounts"])
    out = capsys.readouterr().out
    member = first_of_each_role(oryol["accounts"])["member"]
    (line,) = [x for x in out.splitlines() if member["email"] in x]
    assert member["place"] in line and "участник" in line
    assert len([x for x in out.splitlines() if "@" in x]) == len({a["email"] for a in oryol["accounts"]})
    assert "пароль у всех: demo2026" in out


def test_a_second_load_without_reset_adds_nothing(demo_store: Store, oryol: dict[str, Any]) -> None:
    before = _row_counts(demo_store)
    output: list[str] = []
    accounts = demo.load(demo_store, echo=output.append)
    assert _row_counts(demo_store) == before
    assert accounts == oryol["accounts"]
    assert any("уже загружено" in line for line in output)


def test_a_new_member_completes_the_almost_ready_diagnosis_and_the_head_moves_it(demo_store: Store,
                                                                                oryol: dict[str, Any]) -> None:
    """The walk-through the demo is made for (changes the module's database: keep it last)."""
    accounts = {role: a["email"] for role, a in first_of_each_role(oryol["accounts"]).items()}
    with demo_store.uow() as uow:
        member, head = (load_actor(uow.session, uow.session.execute(select(User.id).where(User.email == email))
                                   .scalar_one()) for email in (accounts["member"], accounts["head"]))
        project = uow.session.execute(select(Project).where(Project.org_id.in_(member.org_ids()),  # type: ignore[attr-defined]
                                                            Project.state == "diagnose")).scalars().one()
        missing = uow.session.execute(select(Metric).where(Metric.project_id == project.id,
                                                           Metric.baseline.is_(None))).scalars().one()  # type: ignore[union-attr]
    with demo_store.uow() as uow:
        update_metric(uow, member, missing.id, {"baseline": 7})  # type: ignore[arg-type]
    with demo_store.uow() as uow:
        result = request_transition(uow, member, project.id, {"trigger": "to_target",  # type: ignore[arg-type]
                                                              "version": project.version})
    assert result.request is not None
    with demo_store.uow() as uow:
        moved = approve_request(uow, head, result.request.id)  # type: ignore[arg-type]
    assert moved.state == "target"


# --- scale mode ------------------------------------------------------------------------------

def test_scale_mode_generates_n_projects_consistently_and_deterministically(store: Store, frozen_clock: Any) -> None:
    output: list[str] = []
    accounts = demo.load(store, scale=40, echo=output.append)
    assert clock.now() == frozen_clock.current  # the caller's clock is put back
    region_id = _region_id(store, "Демо-регион (40 проектов)")

    def snapshot() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        with store.uow() as uow:
            s = uow.session
            projects = [tuple(r) for r in s.execute(select(Project.reg_number, Project.title, Project.state,
                                                           Project.state_entered_at).order_by(Project.reg_number))]
            events = [tuple(r) for r in s.execute(select(Event.kind, Event.at, Event.from_state, Event.to_state)
                                                  .order_by(Event.at, Event.id))]
        return projects, events

    first = snapshot()
    with store.uow() as uow:
        s = uow.session
        orgs = s.execute(select(func.count()).select_from(Organization)
                         .where(Organization.region_id == region_id)).scalar_one()
        states = {state for state, in s.execute(select(Project.state).where(Project.region_id == region_id))}
        risks = s.execute(select(func.count()).select_from(Risk)).scalar_one()
    assert len(first[0]) == 40 and orgs == 16 and len(states) >= 4
    assert 60 <= risks <= 140  # about three per project
    assert _replay_problems(store, region_id) == []
    assert {a["role"] for a in accounts} == {"admin", "curator", "head", "member"}

    demo.load(store, reset=True, scale=40, echo=output.append)
    assert snapshot() == first


def test_every_demo_user_has_a_hash_of_their_own(demo_store: Store, oryol: dict[str, Any]) -> None:
    """Issue #10: the demo users all have the printed password, but each its own salt
    (before, one hash was shared by all). The demo hashes cheaply (the password is public;
    see engine.demo.DEMO_SCRYPT_N); the cost travels with each hash."""
    with demo_store.uow() as uow:
        hashes = list(uow.session.execute(select(User.password_hash)).scalars())
    assert len(hashes) > 100
    salts = {h.split("$")[4] for h in hashes}
    assert len(salts) == len(hashes) == len(set(hashes))
    assert all(int(h.split("$")[1]) <= demo.DEMO_SCRYPT_N for h in hashes)


def test_the_demo_runs_the_oryol_programme_like_a_region_in_its_second_year(demo_store: Store) -> None:
    """#13 item 9: ~40 participants in two waves, coordinators, groups, two readiness rounds
    with a spread, plans in every state; the funnel narrows step by step."""
    from engine.models import Participant, ReadinessAnswer, ReadinessRound, WorkPlan
    from engine.policy import SYSTEM
    from engine.programme import service as prog_svc
    from engine.programme.tower import programme_tower
    with demo_store.uow() as uow:
        s = uow.session
        (prog,) = prog_svc.list_programmes(uow, SYSTEM)
        assert prog.title.startswith("Интегрирование технологий бережливого производства")
        assert [st.title for st in prog_svc.stages_of(uow, prog.id)] == [
            "Подготовительный (организационный)", "Апробация и внедрение", "Диссеминация"]
        waves = dict(s.execute(select(Participant.wave, func.count()).group_by(Participant.wave)).all())
        assert set(waves) == {1, 2} and 35 <= sum(waves.values()) <= 45 and waves[2] >= 10
        rounds = s.execute(select(ReadinessRound.kind).order_by(ReadinessRound.id)).scalars().all()
        assert rounds == ["initial", "other"]  # the initial analysis and an interim one
        assert prog.status == "active"  # it runs (its second year)
        scores = [v for a in s.execute(select(ReadinessAnswer)).scalars() for v in a.scores.values()]
        assert len(set(scores)) >= 4  # a spread, not one value
        plans = set(s.execute(select(WorkPlan.status)).scalars())
        assert {"draft", "submitted", "approved", "returned"} <= plans
        funnel = programme_tower(uow, SYSTEM, prog.id).funnel.model_dump()
    steps = ["coordinator", "group", "readiness", "plan"]
    assert all(funnel[a] >= funnel[b] for a, b in zip(steps, steps[1:], strict=False)), funnel
    assert funnel["coordinator"] < 40 and funnel["plan"] > 0 and funnel["project_closed"] > 0


def test_the_demo_trains_people_in_the_seeds_course_so_the_funnel_and_the_check_see_it(demo_store: Store) -> None:
    """#14: the seed's 72-hour course with two streams; the past one has completions with
    certificate numbers, so the funnel's «команда обучена» counts organisations."""
    from engine.models import Course, CourseStream, Enrolment
    from engine.policy import SYSTEM
    from engine.programme import service as prog_svc
    from engine.programme.tower import programme_tower
    from engine.training.figures import any_completed
    with demo_store.uow() as uow:
        s = uow.session
        (course,) = s.execute(select(Course)).scalars().all()
        assert course.hours == 72 and "бережливого производства" in course.title
        streams = s.execute(select(CourseStream).order_by(CourseStream.starts_on)).scalars().all()
        assert len(streams) == 2 and streams[0].ends_on < clock.today()
        done = s.execute(select(Enrolment).where(Enrolment.status == "completed")).scalars().all()
        assert len(done) >= 10 and all(e.certificate_no and e.completed_on == streams[0].ends_on
                                       or e.completed_on == streams[1].ends_on for e in done)
        (prog,) = prog_svc.list_programmes(uow, SYSTEM)
        tower = programme_tower(uow, SYSTEM, prog.id)
        assert 0 < tower.funnel.trained < tower.funnel.coordinator
        assert tower.training is not None and tower.training.total == len({e.user_id or -e.member_id for e in done})
        assert any_completed(s, {e.user_id for e in done if e.user_id})


def test_the_demo_runs_a_scaling_campaign_with_every_step_of_the_funnel_and_an_offer_for_the_demo_head(
        demo_store: Store, oryol: dict[str, Any]) -> None:
    """#15: a campaign of a published practice, offered to eight schools: four replica projects
    started, two declined with reasons, two waiting, one of them the demo school's (its head,
    a demo account, has an offer to answer)."""
    from engine import campaigns as camp
    from engine.demo.content import content
    head_email = next(a["email"] for a in oryol["accounts"] if a["role"] == "head")
    with demo_store.uow() as uow:
        s = uow.session
        curator_id = s.execute(select(RoleGrant.user_id).where(RoleGrant.role == "curator",
                                                               RoleGrant.municipality_id.is_(None))).scalars().first()
        listed, total = camp.list_campaigns(uow, load_actor(s, curator_id))
        assert total == 1
        assert listed[0]["funnel"] == {"offered": 8, "accepted": 4, "declined": 2, "started": 4, "closed": 0}
        detail = camp.campaign_detail(uow, load_actor(s, curator_id), listed[0]["id"])
        assert all(o["reason"] for o in detail["offers"] if o["status"] == "declined")
        head = s.execute(select(User).where(User.email == head_email)).scalar_one()
        mine = camp.my_offers(uow, load_actor(s, head.id))
        assert [o["org_name"] for o in mine if o["open"]] == [content().region.demo_school]
        assert mine[0]["leaders"]  # people of the school to lead the replica

"""Scope, tried as a hostile school member would (issue #10, items 4, 7 and 8's 404s):

- a team and the owners of actions and risks come only from the project's scope, and an
  unknown id answers exactly as someone outside it (no enumeration of who exists);
- no page names someone outside the project's scope, even when old data holds them;
- the scheduler notifies only people who may open the project;
- a missing object and one outside the caller's scope answer byte-identical 404s, and an
  ``org_id`` of another school answers as an unknown one;
- registration numbers come from the region's counter: concurrent creations all succeed.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from engine import clock
from engine import services as svc
from engine.db import Store, make_engine, migrate
from engine.errors import ValidationFailed
from engine.jobs import scheduler
from engine.models import Event, Notification, Practice, Project, RegCounter, Risk, TeamMember
from engine.policy import SYSTEM
from engine.services import queries as Q
from tests.api.conftest import Api, error_of, fields_of
from tests.engine.test_migrations import empty_database, fresh_postgres, fresh_sqlite  # noqa: F401
from tests.web.conftest import Browser, dom

ON_POSTGRES = os.environ.get("LEANSCHOOL_TEST_DB", "sqlite").lower().startswith("postgres")
OUTSIDER = "Чужой Куратор Курской области"
UNKNOWN = 999_999


# --- the app, clients and people ------------------------------------------------------------


@pytest.fixture
def api(app: Any, make: Any) -> Api:
    return Api(app, make)


@pytest.fixture
def outsider(make: Any, world: Any) -> Any:
    """A curator of another region: may never see the Oryol school's projects."""
    return make.person("curator", region=world.other_region, email="outsider@kursk-edu.ru", name=OUTSIDER)


@pytest.fixture
def project(make: Any, world: Any, member_of_school: Any) -> Any:
    return make.project(world.school, member_of_school.actor)


@pytest.fixture
def kursk_project(make: Any, world: Any) -> Any:
    member = make.person("member", org=world.other_region_school, email="teacher@kursk5.ru")
    return make.project(world.other_region_school, member.actor, title="Проект Курска")


def events(store: Store) -> int:
    with store.uow() as uow:
        return uow.session.execute(select(func.count()).select_from(Event)).scalar_one()


def sql(store: Store, statement: str, **params: Any) -> None:
    """Old data, written behind the services' back (as a database from before the checks)."""
    with store.engine.begin() as conn:
        conn.execute(text(statement), params)


def same(a: Any, b: Any) -> None:
    """Two answers that must not be told apart: status, body and content type."""
    assert (a.status_code, a.mimetype, a.get_data()) == (b.status_code, b.mimetype, b.get_data())


# --- team -------------------------------------------------------------------------------------------

def test_the_team_takes_the_organisations_people_and_the_regions_curators(
        make, store, project, member_of_school, head_of_school, curator_orel):
    for person in (head_of_school, curator_orel):
        make.call(svc.add_team_member, member_of_school.actor, project.id, {"user_id": person.id})
    with store.uow() as uow:
        team = Q.project_detail(uow, member_of_school.actor, project.id)["team"]
    assert [m["user_id"] for m in team] == [head_of_school.id, curator_orel.id]


def test_the_team_refuses_anyone_else_with_the_message_an_unknown_id_gets(
        make, store, project, member_of_school, member_of_other_school, outsider, admin):
    def refusal(user_id: int) -> dict[str, str]:
        before = events(store)
        with pytest.raises(ValidationFailed) as info:
            make.call(svc.add_team_member, member_of_school.actor, project.id, {"user_id": user_id})
        assert events(store) == before, "a refused team change wrote something"
        return info.value.field_messages("ru")

    unknown = refusal(UNKNOWN)
    assert set(unknown) == {"user_id"}
    for person in (member_of_other_school, outsider, admin):
        assert refusal(person.id) == unknown
    with store.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(TeamMember)).scalar_one() == 0


def test_the_team_form_answers_422_alike_and_never_names_the_outsider(app, make, project, member_of_school,
                                                                       outsider):
    b = Browser(app).sign_in(member_of_school)
    path = f"/projects/{project.id}/team"
    page = b.get(f"/projects/{project.id}")
    assert OUTSIDER not in page.get_data(as_text=True)  # not offered either
    pages = []
    for user_id in (outsider.id, UNKNOWN):
        r = b.post(path, {"user_id": str(user_id), "role_text": "аналитик"})
        assert r.status_code == 422
        body = r.get_data(as_text=True)
        assert OUTSIDER not in body
        errors = [n.text for n in dom(r).find_all(cls="field-error")]
        assert errors, "no field error shown"
        pages.append(errors)
    assert pages[0] == pages[1]


def test_the_curators_of_the_region_are_offered_for_the_team(app, project, member_of_school, curator_orel):
    b = Browser(app).sign_in(member_of_school)
    page = dom(b.get(f"/projects/{project.id}"))
    form = next(f for f in page.find_all("form")  # the card's forms name their old address (data-endpoint)
                if (f.get("data-endpoint") or f.get("action", "")).endswith(f"/projects/{project.id}/team"))
    offered = {o.get("value") for o in form.find_all("option")}
    assert str(curator_orel.id) in offered


# --- owners and the leader: one message for unknown and out-of-scope ids --------------------------

@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/projects/{pid}/actions", {"title": "Шаблоны", "due_on": "2026-10-01"}),
    ("POST", "/projects/{pid}/risks", {"title": "Нет принтера", "probability": 2, "impact": 3}),
    ("PATCH", "/risks/{risk}", {}),
    ("PATCH", "/actions/{action}", {}),
])
def test_an_owner_outside_the_scope_answers_as_an_unknown_one(api, store, project, member_of_school,
                                                               member_of_other_school, outsider, admin,
                                                               method, path, body):
    ids = {"pid": project.id,
           "risk": api.ok("POST", f"/projects/{project.id}/risks", member_of_school,
                          {"title": "Сбой", "probability": 1, "impact": 1})["id"],
           "action": api.ok("POST", f"/projects/{project.id}/actions", member_of_school,
                            {"title": "План", "due_on": "2026-10-01"})["id"]}
    url = path.format(**ids)
    before = events(store)
    unknown = api.request(method, url, member_of_school, json={**body, "owner_id": UNKNOWN})
    assert set(fields_of(unknown)) == {"owner_id"}
    for person in (member_of_other_school, outsider, admin):
        same(api.request(method, url, member_of_school, json={**body, "owner_id": person.id}), unknown)
    assert events(store) == before


def test_a_leader_outside_the_organisation_answers_as_an_unknown_one(api, project, member_of_school,
                                                                      member_of_other_school, outsider):
    url = f"/projects/{project.id}"
    unknown = api.patch(url, member_of_school, json={"version": 1, "leader_id": UNKNOWN})
    assert set(fields_of(unknown)) == {"leader_id"}
    for person in (member_of_other_school, outsider):
        same(api.patch(url, member_of_school, json={"version": 1, "leader_id": person.id}), unknown)


# --- old data: nobody outside the scope is named ------------------------------------------------------

@pytest.fixture
def stale_outsider(store, project, outsider, member_of_school, make):
    """Old data: the outsider on the team, as leader, and as owner of a risk and an action."""
    risk = make.call(svc.log_risk, member_of_school.actor, project.id,
                     {"title": "Нет принтера", "probability": 2, "impact": 3, "owner_id": member_of_school.id})
    action = make.call(svc.add_action, member_of_school.actor, project.id,
                       {"title": "Шаблоны", "due_on": "2026-10-01", "owner_id": member_of_school.id})
    sql(store, "INSERT INTO team_member (project_id, user_id, role_text) VALUES (:p, :u, 'аналитик')",
        p=project.id, u=outsider.id)
    sql(store, "UPDATE project SET leader_id = :u WHERE id = :p", u=outsider.id, p=project.id)
    sql(store, "UPDATE risk SET owner_id = :u WHERE id = :r", u=outsider.id, r=risk.id)
    sql(store, "UPDATE action SET owner_id = :u WHERE id = :a", u=outsider.id, a=action.id)
    return outsider


def test_no_page_names_someone_outside_the_project(app, store, project, member_of_school, world, curator_orel,
                                                   stale_outsider):
    with store.uow() as uow:
        assert Q.project_detail(uow, member_of_school.actor, project.id)["team"] == []
    for who in (member_of_school, curator_orel):
        b = Browser(app).sign_in(who)
        pages = [f"/projects/{project.id}", f"/projects/{project.id}/passport",
                 f"/projects/{project.id}/report", "/board"]
        if who is curator_orel:
            pages += [f"/tower?region_id={world.region.id}"]
        for path in pages:
            r = b.get(path)
            assert r.status_code == 200, (path, r.status_code)
            assert OUTSIDER not in r.get_data(as_text=True), path
        if who is curator_orel:
            import io

            from openpyxl import load_workbook
            r = b.get(f"/tower.xlsx?region_id={world.region.id}")
            assert r.status_code == 200
            book = load_workbook(io.BytesIO(r.get_data()))
            cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
            assert OUTSIDER not in cells


# --- notifications only to people who may see the project ----------------------------------------------

def test_the_scheduler_notifies_only_people_who_see_the_project(frozen_clock, make, store, world, member_of_school,
                                                                head_of_school, outsider):
    """Old data (written with SQL) makes another region's curator the leader of a project
    and the owner of an overdue risk: the stall scan and the reminders, run for real on the
    controlled clock, tell the school's people and never the outsider."""
    project = make.project(world.school, member_of_school.actor)
    due = clock.today() + timedelta(days=1)
    theirs = make.call(svc.log_risk, member_of_school.actor, project.id,
                       {"title": "Нет принтера", "probability": 2, "impact": 3, "owner_id": member_of_school.id,
                        "due_on": due.isoformat()})
    ours = make.call(svc.log_risk, member_of_school.actor, project.id,
                     {"title": "Сбой сети", "probability": 2, "impact": 3, "owner_id": member_of_school.id,
                      "due_on": due.isoformat()})
    sql(store, "UPDATE project SET leader_id = :u WHERE id = :p", u=outsider.id, p=project.id)
    sql(store, "UPDATE risk SET owner_id = :u WHERE id = :r", u=outsider.id, r=theirs.id)
    sql(store, "INSERT INTO team_member (project_id, user_id, role_text) VALUES (:p, :u, '')",
        p=project.id, u=outsider.id)

    frozen_clock.advance(days=20)  # idle 14 days: stalled; both risks overdue
    assert scheduler.stall_scan(store)["stalled"] == 1
    assert scheduler.reminders(store)["risks"] == 2

    with store.uow() as uow:
        got = {(n.user_id, n.kind) for n in uow.session.execute(select(Notification)).scalars()}
        reminded = uow.session.execute(select(Risk.id).where(Risk.reminded_at.is_not(None))).scalars().all()
    assert not {u for u, _ in got} & {outsider.id}, "the outsider was told about a project they cannot open"
    assert (head_of_school.id, "stalled") in got  # the rule still works for those who see it
    assert (member_of_school.id, "risk_overdue") in got
    assert sorted(reminded) == sorted([theirs.id, ours.id])  # claimed once, so never retried for the outsider


# --- 404 bodies: missing and out of scope are the same ------------------------------------------------

@pytest.fixture
def kursk_objects(make, store, world, kursk_project) -> dict[str, int]:
    """One of every object in another region (made by its own people)."""
    member = make.person("member", org=world.other_region_school)
    pid = kursk_project.id
    metric = make.call(svc.add_metric, member.actor, pid, {"name": "Время", "unit": "мин", "direction": "decrease",
                                                          "baseline": 10})
    risk = make.call(svc.log_risk, member.actor, pid, {"title": "Риск", "probability": 1, "impact": 1})
    action = make.call(svc.add_action, member.actor, pid, {"title": "Шаг", "due_on": "2026-10-01"})
    with store.uow() as uow:  # a withdrawn practice of that region: visible to its own people only
        now = clock.now()
        practice = Practice(project_id=pid, region_id=world.other_region.id, org_id=world.other_region_school.id,
                            title="Практика Курска", category="meals", status="withdrawn", published_at=now,
                            updated_at=now)
        uow.session.add(practice)
        uow.commit()
    return {"project": pid, "metric": metric.id, "risk": risk.id, "action": action.id,
            "practice": practice.id, "region": world.other_region.id}  # type: ignore[dict-item]


NOT_FOUND_CASES = [
    ("GET", "/projects/{project}", None),
    ("PATCH", "/projects/{project}", {"version": 1, "title": "Взлом"}),
    ("GET", "/projects/{project}/events", None),
    ("POST", "/projects/{project}/comments", {"text": "Привет"}),
    ("POST", "/projects/{project}/risks", {"title": "Риск", "probability": 1, "impact": 1}),
    ("PATCH", "/metrics/{metric}", {"target": 5}),
    ("POST", "/metrics/{metric}/measurements", {"value": 1, "measured_on": "2026-01-01"}),
    ("PATCH", "/risks/{risk}", {"status": "resolved"}),
    ("PATCH", "/actions/{action}", {"status": "done"}),
    ("GET", "/practices/{practice}", None),
    ("GET", "/regions/{region}/tower", None),
]


@pytest.mark.parametrize(("method", "path", "body"), NOT_FOUND_CASES,
                         ids=[f"{m} {p}" for m, p, _ in NOT_FOUND_CASES])
def test_a_missing_object_and_one_out_of_scope_answer_the_same_404(api, kursk_objects, member_of_school,
                                                                  curator_orel, method, path, body):
    kw = {"json": body} if body is not None else {}
    for who in (member_of_school, curator_orel):
        out_of_scope = api.request(method, path.format(**kursk_objects), who, **kw)
        missing = api.request(method, path.format(**{k: UNKNOWN for k in kursk_objects}), who, **kw)
        assert error_of(missing, 404, "not_found") == {}
        same(out_of_scope, missing)


def test_listing_another_regions_organisations_tells_nothing(api, kursk_objects, member_of_school, curator_orel):
    for who in (member_of_school, curator_orel):
        out_of_scope = api.get(f"/organizations?region_id={kursk_objects['region']}", who)
        assert out_of_scope.get_json() == {"items": [], "total": 0}
        same(out_of_scope, api.get(f"/organizations?region_id={UNKNOWN}", who))


def test_the_web_pages_answer_the_same_404(app, kursk_objects, member_of_school):
    b = Browser(app).sign_in(member_of_school)
    for path in ("/projects/{project}", "/projects/{project}/passport", "/practices/{practice}"):
        pages = []
        for url in (path.format(**kursk_objects), path.format(**{k: UNKNOWN for k in kursk_objects})):
            r = b.get(url)
            assert r.status_code == 404, url
            # the page echoes its own address (the language switch returns there): nothing else differs
            pages.append(r.get_data(as_text=True).replace(url, "URL"))
        assert pages[0] == pages[1], path


@pytest.mark.parametrize("path", ["/projects", "/practices/{practice}/replicate"])
def test_an_org_id_of_another_school_answers_as_an_unknown_one(api, make, world, member_of_school,
                                                              curator_orel, path):
    if "practice" in path:
        with make.store.uow() as uow:
            project = make.project(world.school, member_of_school.actor)
            now = clock.now()
            practice = Practice(project_id=project.id, region_id=world.region.id, org_id=world.school.id,
                                title="Практика", category="meals", published_at=now, updated_at=now)
            uow.session.add(practice)
            uow.commit()
        path = path.format(practice=practice.id)
    body = {"title": "Оптимизация", "problem": "Очереди", "goal": "Быстрее"} if path == "/projects" else {}
    unknown = api.post(path, member_of_school, json={**body, "org_id": UNKNOWN})
    assert set(fields_of(unknown)) == {"org_id"}
    for org in (world.other_school, world.other_region_school):
        same(api.post(path, member_of_school, json={**body, "org_id": org.id}), unknown)


# --- registration numbers ---------------------------------------------------------------------------------

def test_numbers_follow_the_regions_counter_and_skip_one_already_taken(make, store, world, member_of_school):
    first = make.project(world.school, member_of_school.actor)
    year = clock.now().year
    assert first.reg_number == f"57-{year}-0001"
    with store.uow() as uow:  # the counter fell behind (a number given by hand, a restore ...)
        uow.session.execute(update(RegCounter).where(RegCounter.region_id == world.region.id)
                            .values(last_number=0))
        uow.commit()
    assert make.project(world.school, member_of_school.actor).reg_number == f"57-{year}-0002"


def test_a_region_without_its_counter_row_still_numbers(make, store, world, member_of_school):
    sql(store, "DELETE FROM reg_counter WHERE region_id = :r", r=world.region.id)
    assert make.project(world.school, member_of_school.actor).reg_number.endswith("-0001")
    with store.uow() as uow:
        assert uow.session.get(RegCounter, world.region.id).last_number == 1


def test_a_new_region_gets_its_counter(make, store):
    region = make.region("Тульская область", code="71")
    with store.uow() as uow:
        assert uow.session.get(RegCounter, region.id).last_number == 0


def test_migration_0006_continues_the_numbers_of_existing_projects(empty_database):  # noqa: F811
    """A database at 0005 with projects: the counter starts at their count, so the next
    project takes the next number."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from engine.db import REPO_ROOT
    from engine.models import Municipality, Region
    from engine.workflow import load_dir

    migrate(empty_database, "0005")
    eng = make_engine(empty_database)
    created = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        with eng.begin() as conn:
            conn.execute(insert(Region.__table__), [{"id": 1, "name": "Орловская область", "code": "57"},
                                                    {"id": 2, "name": "Курская область", "code": "46"}])
            conn.execute(insert(Municipality.__table__), [{"id": 1, "region_id": 1, "name": "Орёл"}])
            conn.execute(text("INSERT INTO organization (id, municipality_id, region_id, name, kind) "
                              "VALUES (1, 1, 1, 'Школа', 'school')"))
            conn.execute(insert(Project.__table__), [  # type: ignore[arg-type]
                {"id": p, "org_id": 1, "region_id": 1, "workflow_id": "psr", "workflow_version": 1,
                 "reg_number": f"57-2026-{p:04d}", "title": f"Проект {p}", "state": "diagnose", "milestones": {},
                 "state_entered_at": created, "last_activity_at": created, "created_at": created, "version": 1}
                for p in (1, 2, 3)])
            if eng.dialect.name == "postgresql":
                conn.execute(text("SELECT setval('project_id_seq', 3)"))
        migrate(empty_database)
        with eng.connect() as conn:
            counters = dict(conn.execute(text("SELECT region_id, last_number FROM reg_counter")).all())
    finally:
        eng.dispose()
    assert counters == {1: 3, 2: 0}
    store = Store(empty_database, load_dir(REPO_ROOT / "workflows"))
    try:
        with store.uow() as uow:
            user = svc.create_user(uow, SYSTEM, {"email": "m@school.ru", "name": "Учитель", "password": "Parol-2026!",
                                                 "role": "member", "org_id": 1})
            actor = svc.load_actor(uow.session, user.id)  # type: ignore[arg-type]
        with store.uow() as uow:
            p = svc.create_project(uow, actor, {"org_id": 1, "title": "Новый", "problem": "П", "goal": "Ц"})
        assert p.reg_number == f"57-{clock.now().year}-0004"
    finally:
        store.dispose()


# --- concurrent creations (PostgreSQL: SQLite takes one writer at a time) ---------------------------------

postgres_only = pytest.mark.postgres_only
needs_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="concurrent writers need PostgreSQL "
                                    "(LEANSCHOOL_TEST_DB=postgresql); SQLite takes one writer at a time")
N = 40


def at_once(n: int, call: Callable[[int], Any]) -> list[tuple[Any, BaseException | None]]:
    """``call(i)`` in n threads released together by a barrier; [(result, error)]."""
    barrier = threading.Barrier(n, timeout=60)
    out: list[tuple[Any, BaseException | None]] = [(None, None)] * n

    def worker(i: int) -> None:
        try:
            barrier.wait()
            out[i] = (call(i), None)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            out[i] = (None, exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return out


@postgres_only
@needs_postgres
def test_forty_concurrent_creations_in_a_region_all_succeed(store, world, member_of_school):

    def create(i: int) -> str:
        with store.uow() as uow:
            return svc.create_project(uow, member_of_school.actor, {
                "org_id": world.school.id, "title": f"Проект {i}", "problem": "Очереди", "goal": "Быстрее"}).reg_number

    outcomes = at_once(N, create)
    assert [e for _, e in outcomes if e is not None] == []
    numbers = [r for r, _ in outcomes]
    assert len(set(numbers)) == N
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, N + 1))


@postgres_only
@needs_postgres
def test_forty_concurrent_creations_over_http_answer_201(app, api, world, member_of_school):
    headers = api.headers(member_of_school)

    def create(i: int) -> Any:
        client = app.test_client(use_cookies=False)
        r = client.post("/api/v1/projects", headers=headers, json={
            "org_id": world.school.id, "title": f"Проект {i}", "problem": "Очереди", "goal": "Быстрее"})
        return r.status_code, (r.get_json() or {}).get("reg_number")

    outcomes = at_once(N, create)
    assert [e for _, e in outcomes if e is not None] == []
    assert [s for (s, _), _ in outcomes] == [201] * N
    assert len({n for (_, n), _ in outcomes}) == N


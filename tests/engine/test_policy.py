"""Who may do what (API.md "Roles and scope", engine/policy.py), as a matrix:
every role x (own organisation, another organisation of the region, another region)
x every action. Outside the scope -> NotFound; in scope but not allowed -> Forbidden;
otherwise the action succeeds. A refused action writes nothing."""
from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args

import pytest
import yaml

from engine import policy
from engine.db import REPO_ROOT, Store
from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.io.onboarding.common import ROLE_RU
from engine.policy import (
    ACTIONS,
    SYSTEM,
    Actor,
    Grant,
    can,
    can_in_municipality,
    can_in_region,
    can_somewhere,
    granting,
    may_decide,
)
from engine.schemas import Role
from engine.services import (
    add_action,
    add_artefact,
    add_comment,
    add_metric,
    add_problem,
    approve_request,
    create_project,
    get_project,
    log_risk,
    record_measurement,
    reject_request,
    request_transition,
    update_project,
    withdraw_request,
)
from engine.workflow import load_dir

# --- the documented table ----------------------------------------------------------------

OWN_ORG, SAME_REGION, OTHER_REGION = "own org", "other org in the region", "other region"
SCOPES = [OWN_ORG, SAME_REGION, OTHER_REGION]
ROLES = ["member", "head", "coordinator", "curator", "admin"]

EVIDENCE = ["log risk", "log metric", "log problem", "log action", "log artefact", "log measurement"]
ALL_ACTIONS = ["view project", "create project", "edit project", *EVIDENCE, "comment",
               "request forward transition", "approve", "reject", "withdraw", "back-move", "cancel"]

# where each role sees a project of that organisation (the person's home is the school)
SEES = {
    "member": {OWN_ORG},
    "head": {OWN_ORG},
    "coordinator": {OWN_ORG},
    "curator": {OWN_ORG, SAME_REGION},
    "admin": {OWN_ORG, SAME_REGION, OTHER_REGION},
}
# what each role may do where it sees the project
MAY = {
    "member": {"view project", "create project", "edit project", *EVIDENCE, "comment",
               "request forward transition", "cancel", "withdraw"},  # withdraw: their own request
    "head": set(ALL_ACTIONS),
    # a school coordinator does what a member does, never approves
    "coordinator": {"view project", "create project", "edit project", *EVIDENCE, "comment",
                    "request forward transition", "cancel"},  # withdraw: not another's request
    "curator": {"view project", "comment", "back-move"},  # approve only where approval: curator
    "admin": {"view project"},                              # sees everything, edits nothing
}


def expected(role: str, scope: str, action: str) -> str:
    if scope not in SEES[role] and action == "create project":
        # the organisation is named in the body: one outside scope answers as an unknown one
        # (422 on org_id, never a 404 that would tell it exists); curators start no projects
        return "forbidden" if role == "curator" else "invalid"
    if scope not in SEES[role]:
        return "not found"
    return "ok" if action in MAY[role] else "forbidden"


MATRIX = [(role, scope, action, expected(role, scope, action))
          for role, scope, action in itertools.product(ROLES, SCOPES, ALL_ACTIONS)]


def test_the_matrix_is_complete():
    assert len(MATRIX) == 5 * 3 * 16
    assert {e for *_, e in MATRIX} == {"ok", "forbidden", "not found", "invalid"}


# --- a scene: an organisation of the scope, its people and a project prepared for the action --

@dataclass
class Scene:
    org: Any
    flow: Any  # a Flow driven by that organisation's own member and head
    project: Any = None
    metric: Any = None
    request: Any = None


@pytest.fixture
def scene_for(request, make, world, flow, flow_for):
    """``scene_for(scope, action)``: the organisation of that scope with a project ready."""
    def build(scope: str, action: str) -> Scene:
        if scope == OWN_ORG:
            org, org_flow = world.school, flow
        elif scope == SAME_REGION:
            org = world.other_school
            org_flow = flow_for(request.getfixturevalue("member_of_other_school"),
                                request.getfixturevalue("head_of_other_school"))
        else:
            org = world.other_region_school
            org_flow = flow_for(make.person("member", org=org), make.person("head", org=org))
        scene = Scene(org, org_flow)
        if action == "create project":
            return scene
        scene.project = make.project(org, org_flow.member.actor)
        pid = scene.project.id
        if action == "log measurement":
            scene.metric = org_flow.add_metric(pid)
        elif action in ("request forward transition", "approve", "reject", "withdraw"):
            org_flow.satisfy(pid, "diagnose")
            if action != "request forward transition":
                scene.request = org_flow.fire(org_flow.member.actor, pid, "to_target").request
        elif action == "back-move":
            org_flow.advance(pid, "target")
        return scene
    return build


def act(make: Any, actor: Actor, scene: Scene, action: str) -> Any:
    """Do ``action`` as ``actor`` through the engine's service."""
    pid = scene.project.id if scene.project else None
    calls: dict[str, Callable[[], Any]] = {
        "view project": lambda: make.call(get_project, actor, pid),
        "create project": lambda: make.call(create_project, actor, {
            "org_id": scene.org.id, "title": "Оптимизация приёма детей", "problem": "Очереди",
            "goal": "Без очередей"}),
        "edit project": lambda: make.call(update_project, actor, pid, {
            "version": scene.project.version, "goal": "Сократить время до 30 минут"}),
        "log risk": lambda: make.call(log_risk, actor, pid, {"title": "Сбой сети", "probability": 2,
                                                             "impact": 3}),
        "log metric": lambda: make.call(add_metric, actor, pid, {"name": "ВПП", "unit": "мин",
                                                                 "direction": "decrease"}),
        "log problem": lambda: make.call(add_problem, actor, pid, {"description": "Ожидание",
                                                                   "waste": "waiting"}),
        "log action": lambda: make.call(add_action, actor, pid, {"title": "Шаблон", "due_on": "2026-10-01"}),
        "log artefact": lambda: make.call(add_artefact, actor, pid, {"kind": "other", "title": "Фото"}),
        "log measurement": lambda: make.call(record_measurement, actor, scene.metric.id, {
            "value": 40, "measured_on": "2026-09-01"}),
        "comment": lambda: make.call(add_comment, actor, pid, {"text": "Хорошая работа"}),
        "request forward transition": lambda: scene.flow.fire(actor, pid, "to_target"),
        "approve": lambda: make.call(approve_request, actor, scene.request.id, {}),
        "reject": lambda: make.call(reject_request, actor, scene.request.id, {"comment": "Доработать карту"}),
        "withdraw": lambda: make.call(withdraw_request, actor, scene.request.id, {}),
        "back-move": lambda: scene.flow.fire(actor, pid, "back_to_diagnose", comment="Нет замеров"),
        "cancel": lambda: scene.flow.fire(actor, pid, "cancel", comment="Проект не нужен"),
    }
    return calls[action]()


PEOPLE = {"member": "member_of_school", "head": "head_of_school", "coordinator": "coordinator_of_school",
          "curator": "curator_orel", "admin": "admin"}


@pytest.mark.parametrize(("role", "scope", "action", "outcome"), MATRIX,
                         ids=[f"{r}-{s.replace(' ', '_')}-{a.replace(' ', '_')}-{e.replace(' ', '_')}"
                              for r, s, a, e in MATRIX])
def test_policy_matrix(request, make, scene_for, row_counts, role, scope, action, outcome):
    person = request.getfixturevalue(PEOPLE[role])
    scene = scene_for(scope, action)
    before = row_counts()
    if outcome == "ok":
        act(make, person.actor, scene, action)
        after = row_counts()
        if action == "view project":
            assert after == before, "viewing wrote something"
        else:
            assert after["event"] > before["event"], "the change left no event"
        return
    if outcome == "invalid":
        with pytest.raises(ValidationFailed) as invalid:
            act(make, person.actor, scene, action)
        assert set(invalid.value.fields) == {"org_id"}
        assert row_counts() == before, "a refused action wrote something"
        return
    error = NotFound if outcome == "not found" else Forbidden
    with pytest.raises((NotFound, Forbidden)) as info:
        act(make, person.actor, scene, action)
    assert type(info.value) is error, f"expected {error.__name__}, got {type(info.value).__name__}"
    assert row_counts() == before, "a refused action wrote something"


# --- approval by a curator, where a workflow asks for it ---------------------------------------

@pytest.fixture
def curator_approves_store(db_url, tmp_path):
    """The psr workflow with ``to_target`` approved by the curator instead of the head."""
    spec = yaml.safe_load((REPO_ROOT / "workflows" / "psr.yaml").read_text(encoding="utf-8"))
    spec = copy.deepcopy(spec)
    spec["transitions"][0]["approval"] = "curator"
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "psr.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    store = Store(db_url, load_dir(folder))
    yield store
    store.dispose()


def test_a_curator_approves_where_the_workflow_asks_for_a_curator(
        curator_approves_store, flow, project, member_of_school, head_of_school, curator_orel, curator_kursk):
    def call(fn: Callable[..., Any], *args: Any) -> Any:
        with curator_approves_store.uow() as uow:
            return fn(uow, *args)

    flow.satisfy(project.id, "diagnose")
    pending = call(request_transition, member_of_school.actor, project.id, {"trigger": "to_target", "version": 1})
    assert pending.request.approval == "curator"
    with pytest.raises(Forbidden):
        call(approve_request, head_of_school.actor, pending.request.id, {})
    with pytest.raises(NotFound):
        call(approve_request, curator_kursk.actor, pending.request.id, {})
    assert call(approve_request, curator_orel.actor, pending.request.id, {}).state == "target"


def test_where_a_curator_approves_the_heads_own_move_waits_too(
        curator_approves_store, flow, project, head_of_school):
    flow.satisfy(project.id, "diagnose")
    with curator_approves_store.uow() as uow:
        result = request_transition(uow, head_of_school.actor, project.id, {"trigger": "to_target", "version": 1})
    assert not result.moved and result.request.status == "pending"


# --- the table itself, and the scope rules behind it ---------------------------------------------

def test_the_action_table_is_the_documented_one():
    assert {name: set(roles) for name, roles in ACTIONS.items()} == {
        "project.view": {"member", "head", "coordinator", "curator", "admin"},
        "project.create": {"member", "head"},
        "project.edit": {"member", "head"},
        "project.log": {"member", "head"},
        "project.comment": {"member", "head", "curator"},
        "project.move": {"member", "head", "curator"},
        "project.staff": {"member", "head"},
        "project.stall_notice": {"head"},
        "request.withdraw": {"member", "head", "curator"},
        "region.watch": {"curator", "admin"},
        "practice.publish": {"curator"},
        "practice.exchange": {"curator", "admin"},
        "admin.manage": {"admin"},
        "programme.view": {"curator", "admin"},
        "programme.manage": {"curator", "admin"},
        "participation.view": {"head", "coordinator", "curator", "admin"},
        "participation.edit": {"head", "coordinator"},
        "participation.manage": {"curator", "admin"},
        "plan.decide": {"curator"},
        "training.manage": {"curator", "admin"},
        "training.view": {"head", "coordinator", "curator", "admin"},
        "defence.view": {"curator", "admin"},
        "defence.schedule": {"curator"},
        "defence.decide": {"curator"},
        "event.view": {"member", "head", "coordinator", "curator", "admin"},
        "region.events": {"curator", "admin"},
        "campaign.manage": {"curator"},
        "campaign.view": {"curator", "admin"},
        "offer.decide": {"head"},
        "region.evaluation_view": {"curator", "admin"},
        "region.evaluation_manage": {"curator"},
    }


# --- every action of the table, by role and scope (what the pages and jobs ask) ---------------

# action -> role -> where it may do it; a role the action does not name may do it nowhere
WHERE = {
    "project.view": SEES,
    "project.create": {"member": {OWN_ORG}, "head": {OWN_ORG}},
    "project.edit": {"member": {OWN_ORG}, "head": {OWN_ORG}},
    "project.log": {"member": {OWN_ORG}, "head": {OWN_ORG}},
    "project.comment": {"member": {OWN_ORG}, "head": {OWN_ORG}, "curator": {OWN_ORG, SAME_REGION}},
    "project.move": {"member": {OWN_ORG}, "head": {OWN_ORG}, "curator": {OWN_ORG, SAME_REGION}},
    "project.staff": {"member": {OWN_ORG}, "head": {OWN_ORG}},
    "project.stall_notice": {"head": {OWN_ORG}},
    "request.withdraw": {"member": {OWN_ORG}, "head": {OWN_ORG}, "curator": {OWN_ORG, SAME_REGION}},
    "region.watch": {"curator": {OWN_ORG, SAME_REGION}, "admin": set(SCOPES)},
    "practice.publish": {"curator": {OWN_ORG, SAME_REGION}},
    "practice.exchange": {"curator": {OWN_ORG, SAME_REGION}, "admin": set(SCOPES)},
    "admin.manage": {"admin": set(SCOPES)},
    "programme.view": {"curator": {OWN_ORG, SAME_REGION}, "admin": set(SCOPES)},
    "programme.manage": {"curator": {OWN_ORG, SAME_REGION}, "admin": set(SCOPES)},
    "participation.view": {"head": {OWN_ORG}, "coordinator": {OWN_ORG}, "curator": {OWN_ORG, SAME_REGION},
                           "admin": set(SCOPES), "municipal curator": {OWN_ORG}},
    "participation.edit": {"head": {OWN_ORG}, "coordinator": {OWN_ORG}},
    "participation.manage": {"curator": {OWN_ORG, SAME_REGION}, "admin": set(SCOPES),
                             "municipal curator": {OWN_ORG}},
    "plan.decide": {"curator": {OWN_ORG, SAME_REGION}, "municipal curator": {OWN_ORG}},
    "training.manage": {"curator": {OWN_ORG, SAME_REGION}, "admin": set(SCOPES)},
    "training.view": {"head": {OWN_ORG}, "coordinator": {OWN_ORG}, "curator": {OWN_ORG, SAME_REGION},
                      "admin": set(SCOPES)},
    # defence sessions: the services ask can_in_region (a municipal curator only as a
    # commission member, policy.may_decide_defence); per organisation, as any curator action
    "defence.view": {"curator": {OWN_ORG, SAME_REGION}, "admin": set(SCOPES)},
    "defence.schedule": {"curator": {OWN_ORG, SAME_REGION}},
    "defence.decide": {"curator": {OWN_ORG, SAME_REGION}},
    "event.view": {"member": {OWN_ORG}, "head": {OWN_ORG}, "curator": {OWN_ORG, SAME_REGION},
                   "admin": set(SCOPES)},
    "region.events": {"curator": {OWN_ORG, SAME_REGION}, "admin": set(SCOPES)},
    # scaling campaigns: the services ask can_in_region (a municipal curator runs none)
    "campaign.manage": {"curator": {OWN_ORG, SAME_REGION}},
    "campaign.view": {"curator": {OWN_ORG, SAME_REGION}, "admin": set(SCOPES)},
    "offer.decide": {"head": {OWN_ORG}},
    # evaluation editions: a region's as a whole (a municipal curator prepares none)
    "region.evaluation_view": {"curator": {OWN_ORG, SAME_REGION}, "admin": set(SCOPES)},
    "region.evaluation_manage": {"curator": {OWN_ORG, SAME_REGION}},
}
# a municipal curator: the curator role of region 10 narrowed to municipality 100, whose one
# organisation is org 1 (org 2 is elsewhere in the region): what a curator may, there only,
# and nothing about the region as a whole
for _action, _where in WHERE.items():
    if "member" in _where:  # a coordinator may do all a member may
        _where.setdefault("coordinator", _where["member"])
    if "curator" in _where and not _action.startswith(("region.", "programme.")):
        _where.setdefault("municipal curator", _where["curator"] - {SAME_REGION})
PLACE = {OWN_ORG: (1, 10), SAME_REGION: (2, 10), OTHER_REGION: (3, 20)}  # scope -> (org, region)
HOME = {"member": Grant("member", org_id=1), "head": Grant("head", org_id=1),
        "coordinator": Grant("coordinator", org_id=1),
        "curator": Grant("curator", region_id=10), "admin": Grant("admin"),
        "municipal curator": Grant("curator", region_id=10, municipality_id=100)}
MATRIX_ROLES = [*ROLES, "municipal curator"]
EVERY = list(itertools.product(sorted(ACTIONS), MATRIX_ROLES, SCOPES))


def test_every_action_has_its_row():
    assert set(WHERE) == set(ACTIONS)


@pytest.mark.parametrize(("action", "role", "scope"), EVERY,
                         ids=[f"{a}-{r}-{s.replace(' ', '_')}" for a, r, s in EVERY])
def test_every_action_by_role_and_scope(action, role, scope):
    actor = Actor(user_id=7, grants=(HOME[role],), org_regions={1: 10}, municipal_orgs={100: frozenset({1})})
    org, region = PLACE[scope]
    allowed = scope in WHERE[action].get(role, set())
    if action.startswith(("region.", "programme.")):  # about a whole region: its curators and the admins
        assert can_in_region(actor, action, region) is allowed
        if role == "municipal curator":  # ... and for their municipality as a whole, its curators
            assert can_in_municipality(actor, action, 100, region) is (region == 10)
            return
    else:
        assert can(actor, action, org, region) is allowed
    assert can_somewhere(actor, action) is bool(WHERE[action].get(role))


@pytest.mark.parametrize(("grant", "approval", "scope", "decides"), [
    (HOME["head"], "head", OWN_ORG, True), (HOME["head"], "head", SAME_REGION, False),
    (HOME["member"], "head", OWN_ORG, False), (HOME["head"], "member", OWN_ORG, True),
    (HOME["curator"], "curator", SAME_REGION, True), (HOME["curator"], "curator", OTHER_REGION, False),
    (HOME["curator"], "head", OWN_ORG, False), (HOME["admin"], "head", OWN_ORG, False),
    (HOME["head"], None, OWN_ORG, False),
])
def test_who_decides_a_request(grant, approval, scope, decides):
    actor = Actor(user_id=7, grants=(grant,))
    assert may_decide(actor, approval, *PLACE[scope]) is decides


@pytest.mark.parametrize(("grant", "own", "scope", "withdraws"), [
    (HOME["member"], True, OWN_ORG, True), (HOME["member"], False, OWN_ORG, False),
    (HOME["member"], True, SAME_REGION, False),  # no longer of that organisation
    (HOME["head"], False, OWN_ORG, True), (HOME["head"], False, SAME_REGION, False),
    (HOME["curator"], True, SAME_REGION, True), (HOME["curator"], False, SAME_REGION, False),
    (HOME["admin"], False, OWN_ORG, False), (HOME["admin"], True, OWN_ORG, False),
])
def test_who_withdraws_a_request(grant, own, scope, withdraws):
    """The person who asked (while they may still act there), or whoever may decide it."""
    actor = Actor(user_id=7, grants=(grant,))
    assert policy.may_withdraw(actor, 7 if own else 8, "head", *PLACE[scope]) is withdraws


def test_the_roles_come_from_one_place():
    assert ROLES == list(policy.ROLES) == list(policy.ORG_ROLES + policy.REGION_ROLES + policy.GLOBAL_ROLES)
    assert get_args(Role) == policy.ROLES  # the schemas' Literal spells the same roles
    assert tuple(ROLE_RU) == policy.ROLES  # the import files' Russian names
    assert granting("project.view", policy.ORG_ROLES) == ("member", "head", "coordinator")
    assert granting("project.stall_notice", policy.ORG_ROLES) == ("head",)


def test_curator_region_ids():
    actor = Actor(user_id=7, grants=(Grant("curator", region_id=10), Grant("curator", region_id=20),
                                     Grant("head", org_id=1), Grant("admin")))
    assert actor.curator_region_ids() == {10, 20}
    assert Actor(user_id=8, grants=(HOME["head"],)).curator_region_ids() == set()


SCHOOL, OTHER_SCHOOL, FAR_SCHOOL = 1, 2, 3
OREL, KURSK = 10, 20
PLACES = {SCHOOL: OREL, OTHER_SCHOOL: OREL, FAR_SCHOOL: KURSK}


@pytest.mark.parametrize(("grant", "org", "roles"), [
    (Grant("member", org_id=SCHOOL), SCHOOL, {"member"}),
    (Grant("member", org_id=SCHOOL), OTHER_SCHOOL, set()),
    (Grant("head", org_id=SCHOOL), SCHOOL, {"head", "member"}),
    (Grant("head", org_id=SCHOOL), FAR_SCHOOL, set()),
    (Grant("curator", region_id=OREL), SCHOOL, {"curator"}),
    (Grant("curator", region_id=OREL), OTHER_SCHOOL, {"curator"}),
    (Grant("curator", region_id=OREL), FAR_SCHOOL, set()),
    (Grant("admin"), FAR_SCHOOL, {"admin"}),
])
def test_roles_for_follow_the_scope(grant, org, roles):
    actor = Actor(user_id=7, grants=(grant,), org_regions={SCHOOL: OREL})
    assert actor.roles_for(org, PLACES[org]) == roles


def test_can_reads_the_table():
    head = Actor(user_id=1, grants=(Grant("head", org_id=SCHOOL),))
    curator = Actor(user_id=2, grants=(Grant("curator", region_id=OREL),))
    assert can(head, "project.edit", SCHOOL, OREL) and not can(head, "project.edit", OTHER_SCHOOL, OREL)
    assert can(curator, "project.comment", SCHOOL, OREL) and not can(curator, "project.edit", SCHOOL, OREL)
    assert can(curator, "practice.publish", OTHER_SCHOOL, OREL) and not can(head, "practice.publish", SCHOOL, OREL)
    assert SYSTEM.is_system and SYSTEM.is_admin


def test_who_may_decide_at_a_defence_session():
    from engine.policy import may_decide_defence
    curator = Actor(user_id=7, grants=(Grant("curator", region_id=10),))
    municipal = Actor(user_id=8, grants=(Grant("curator", region_id=10, municipality_id=100),))
    head = Actor(user_id=9, grants=(Grant("head", org_id=1),), org_regions={1: 10})
    assert may_decide_defence(curator, 10, set()) and not may_decide_defence(curator, 20, set())
    assert not may_decide_defence(municipal, 10, set()) and may_decide_defence(municipal, 10, {8})
    assert not may_decide_defence(head, 10, {9})  # a commission sits curators only

"""The demo region: Oryol oblast with about 150 ПСР-проекты (default), or a generated
region of N projects (``scale=N``), built only through the engine's services, so every
row has its audit event and the event log replays to the current state.

How it works: first every project's *story* is shaped (which stages, how long in each,
stalled or waiting for approval ...) and *planned* into steps (service calls at given
moments, with the evidence each gate needs placed before the request); then the steps
run while the engine clock (``engine.clock.set_clock``) is moved to each step's moment:
the default region in time order, in transactions of 50 calls; scale mode project after
project, one transaction each (the session then answers most reads itself). Time
runs in working hours (09:00-18:00 Moscow) and ends at the start of today (UTC, of the
engine clock), so two runs on the same day give the same data.
"""
from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import event, func, select

from engine import clock, passwords
from engine.db import OneTransaction, Store, UnitOfWork
from engine.demo.content import MetricT, ProcessT, RiskT, content
from engine.models import (
    UNRESOLVED_RISK,
    Event,
    Municipality,
    Organization,
    Project,
    Region,
    Risk,
    RoleGrant,
    User,
    metadata,
)
from engine.monitoring import counts_by_state, pending_approvals, stalled_projects
from engine.policy import SYSTEM, Actor, Grant
from engine.services import (
    add_action,
    add_artefact,
    add_comment,
    add_metric,
    add_problem,
    add_team_member,
    approve_request,
    create_municipality,
    create_organization,
    create_project,
    create_region,
    create_user,
    log_risk,
    record_measurement,
    reject_request,
    request_transition,
    update_action,
    update_metric,
    update_project,
    update_risk,
)
from engine.workflow import Workflow

C = content()  # the Russian content (engine/demo/data/*.yaml), validated once
SEED = 57
SETUP_DAYS = 250      # the region, organisations and people appear this many days ago
MAX_AGE_DAYS = 236    # the oldest project starts about eight months ago
EPS = 0.003           # the least gap between two steps of one project (days)
FORWARD = ["diagnose", "target", "implement", "standardise", "sustain"]
HISTORY_DAYS = {"diagnose": (18, 40), "target": (10, 25), "implement": (28, 55),
                "standardise": (10, 24), "sustain": (30, 70)}

# (final state, kind of story, how many): the default region's 145 generated projects
# (its demo school adds 5). Kinds: normal; sla / idle = stalled; pending[_old] = a
# request waits for the head (old: over 3 days); rejected = the last request was
# rejected; back = sent back a stage once; pending_cancel = cancellation asked.
MIX: list[tuple[str, str, int]] = [
    ("diagnose", "normal", 23), ("diagnose", "sla", 4), ("diagnose", "idle", 3),
    ("diagnose", "pending", 2), ("diagnose", "pending_old", 1), ("diagnose", "rejected", 1),
    ("diagnose", "pending_cancel", 1),
    ("target", "normal", 15), ("target", "sla", 3), ("target", "idle", 3), ("target", "pending", 2),
    ("target", "pending_old", 1), ("target", "rejected", 1),
    ("implement", "normal", 18), ("implement", "sla", 4), ("implement", "idle", 3),
    ("implement", "pending", 2), ("implement", "pending_old", 1), ("implement", "rejected", 1),
    ("implement", "back", 2),
    ("standardise", "normal", 10), ("standardise", "sla", 2), ("standardise", "idle", 2),
    ("standardise", "pending", 1), ("standardise", "pending_old", 1), ("standardise", "back", 1),
    ("sustain", "normal", 12), ("sustain", "idle", 3), ("sustain", "pending", 2), ("sustain", "pending_old", 1),
    ("closed", "normal", 14), ("cancelled", "normal", 5),
]


@dataclass(frozen=True)
class Profile:
    """How much evidence a project gets: rich for the default demo, light for scale mode."""
    rich: bool  # diagnostic measurements, baselines set later, more comments and team
    metrics: tuple[int, int]
    problems: tuple[int, int]
    actions: tuple[int, int]
    risks: tuple[int, int]
    comment_p: float
    reject_p: float  # a forward request rejected once before approval
    by_head_p: float  # the head moves the card personally


RICH = Profile(True, (1, 3), (2, 5), (3, 6), (0, 2), 0.35, 0.04, 0.15)
LIGHT = Profile(False, (1, 1), (1, 1), (1, 1), (3, 3), 0.05, 0.03, 0.7)


# --- time -----------------------------------------------------------------------------------

class Timeline:
    """Day offsets (negative floats: days before the start of ``end``) -> UTC moments in
    working hours (06:00-15:00 UTC). Saturday and Sunday fold into Friday evening, so
    the order of moments is kept."""

    def __init__(self, end: date):
        self.end = end

    def at(self, d: float) -> datetime:
        whole = math.floor(d)
        day = self.end + timedelta(days=whole)
        start, span = 6.0, 9.0
        if day.weekday() == 5:
            day, start, span = day - timedelta(days=1), 15.0, 1.5
        elif day.weekday() == 6:
            day, start, span = day - timedelta(days=2), 16.5, 1.5
        return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=start + (d - whole) * span)

    def day(self, d: float) -> date:
        return self.at(d).date()


@dataclass(order=True)
class Step:
    at: datetime
    seq: int
    label: str = field(compare=False)
    fn: Callable[[UnitOfWork], Any] = field(compare=False, repr=False)
    project: int = field(default=0, compare=False)  # 0: the region's setup


class Plan:
    """All steps of the load."""

    def __init__(self, timeline: Timeline):
        self.tl = timeline
        self.steps: list[Step] = []
        self.projects = 0

    def new_project(self) -> int:
        self.projects += 1
        return self.projects

    def add(self, d: float, label: str, fn: Callable[[UnitOfWork], Any], project: int = 0) -> None:
        self.steps.append(Step(self.tl.at(d), len(self.steps), label, fn, project))

    def in_time_order(self) -> list[Step]:
        return sorted(self.steps)

    def by_project(self) -> list[Step]:
        """Project after project (in the order they were created), each in time order:
        a batch then touches few projects, so the session's identity map serves most reads."""
        first: dict[int, Step] = {}
        for st in self.steps:
            if st.project not in first or st < first[st.project]:
                first[st.project] = st
        return sorted(self.steps, key=lambda st: (first[st.project], st))


class DemoError(RuntimeError):
    """A planned step was refused by the engine (a bug in the demo plan)."""


def _keep_rows(session: Any) -> None:
    """Keep every row the session loads or inserts referenced while the session lives, so
    that its identity map (weak by default) answers the services' repeated
    ``session.get`` without a query."""
    kept: list[Any] = []  # held by the listeners, which the session holds
    for name in ("loaded_as_persistent", "pending_to_persistent"):
        event.listen(session, name, lambda _session, obj: kept.append(obj))


def _batches(steps: list[Step], size: int, by_project: bool) -> Iterator[list[Step]]:
    """Consecutive steps, cut every ``size`` steps (and, by project, where a project ends)."""
    batch: list[Step] = []
    for st in steps:
        if batch and (len(batch) >= size or (by_project and st.project and st.project != batch[-1].project)):
            yield batch
            batch = []
        batch.append(st)
    if batch:
        yield batch


def _run(store: Store, steps: list[Step], moment: list[datetime], batch: int, by_project: bool,
         on_step: Callable[[Step], None]) -> None:
    def call(st: Step, uow: UnitOfWork) -> None:
        moment[0] = st.at
        try:
            st.fn(uow)
        except Exception as exc:
            raise DemoError(f"demo step «{st.label}» at {clock.iso(st.at)} failed: "
                            f"{type(exc).__name__}: {exc}") from exc
        on_step(st)

    for chunk in _batches(steps, batch, by_project):
        # many service calls, ONE transaction: a service's commit() only flushes (every
        # call still writes its events); the batch commits once
        with store.uow() as uow:
            if by_project:
                _keep_rows(uow.session)
            one = OneTransaction(uow)
            for st in chunk:
                call(st, one)
            uow.commit()


# --- the world: region, municipalities, organisations, people ---------------------------------

@dataclass(eq=False)
class Person:
    name: str
    email: str
    role: str  # admin | curator | head | member
    job: str = ""
    id: int | None = None
    actor: Actor | None = None


@dataclass(eq=False)
class Mun:
    name: str
    kind: str
    id: int | None = None


@dataclass(eq=False)
class Org:
    name: str
    kind: str
    mun: Mun
    id: int | None = None
    head: Person | None = None
    members: list[Person] = field(default_factory=list)


@dataclass(eq=False)
class World:
    region_name: str
    region_code: str
    muns: list[Mun]
    orgs: list[Org]
    curator: Person
    admin: Person | None  # None when the admin account exists already
    accounts: list[dict[str, str]]
    region_id: int | None = None


class Names:
    """Russian full names, never the same twice in one load."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def person(self, female_p: float = 0.85) -> str:
        rng = self.rng
        for _ in range(20):  # a huge scale region runs out of names: then they repeat
            female = rng.random() < female_p
            surname = rng.choice(C.names.surnames_f)
            if not female:
                surname = surname[:-1]
            first = rng.choice(C.names.first_f if female else C.names.first_m)
            patronymic = rng.choice(C.names.patronymics)[1 if female else 0]
            name = f"{surname} {first} {patronymic}"
            if name not in self.used:
                break
        self.used.add(name)
        return name


_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o",
                      "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e",
                      "yu", "ya"], strict=True))


def translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower() if ch.isalpha())


def _email(name: str, tag: str) -> str:
    surname, first, patronymic = name.split()
    return f"{translit(surname)}.{translit(first)[0]}{translit(patronymic)[0]}.{tag}@demo.leanschool.ru"


def _staff(rng: random.Random, names: Names, org: Org, tag: str, n_members: int) -> None:
    head_name = names.person(0.75)
    org.head = Person(head_name, _email(head_name, tag), "head", C.names.head_title[org.kind])
    jobs = rng.sample(C.names.member_roles[org.kind], n_members)
    for job in jobs:
        name = names.person()
        org.members.append(Person(name, _email(name, tag), "member", job))


def oryol_world(rng: random.Random) -> World:
    names = Names(rng)
    for fixed in (C.region.curator_name, C.region.demo_head_name, C.region.demo_member_name):
        names.used.add(fixed)
    muns = {name: Mun(name, kind) for kind, name in C.region.municipalities}
    orgs = []
    for k, (mun, kind, name) in enumerate(C.region.organizations):
        org = Org(name, kind, muns[mun])
        if name == C.region.demo_school:
            org.head = Person(C.region.demo_head_name, C.region.head_email, "head", "директор")
            org.members.append(Person(C.region.demo_member_name, C.region.member_email, "member", "учитель математики"))
            _extra = Org(name, kind, org.mun)
            _staff(rng, names, _extra, f"o{k:02d}", 2)
            org.members += _extra.members
        else:
            _staff(rng, names, org, f"o{k:02d}", rng.choice([1, 2, 2, 3]))
        orgs.append(org)
    accounts = [{"email": C.region.admin_email, "password": C.region.password, "role": "admin"},
                {"email": C.region.curator_email, "password": C.region.password, "role": "curator"},
                {"email": C.region.head_email, "password": C.region.password, "role": "head"},
                {"email": C.region.member_email, "password": C.region.password, "role": "member"}]
    return World(C.region.region_name, C.region.region_code, list(muns.values()), orgs,
                 Person(C.region.curator_name, C.region.curator_email, "curator", "куратор региональной площадки"),
                 Person(C.region.admin_name, C.region.admin_email, "admin"), accounts)


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    return few if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else many


def _count(n: int, one: str, few: str, many: str) -> str:
    return f"{n} {_plural(n, one, few, many)}"


def scale_region_name(n: int) -> str:
    return f"Демо-регион ({_count(n, 'проект', 'проекта', 'проектов')})"


def scale_world(rng: random.Random, n: int, admin_exists: bool) -> World:
    names = Names(rng)
    n_orgs = max(5, round(n / 2.5))
    n_muns = max(3, n_orgs // 20)
    roots = [f"{p}{r.lower() if p and not p.endswith('-') else r}"
             for p in C.names.municipality_prefixes for r in C.names.municipality_roots]
    muns = [Mun(f"{roots[k % len(roots)]} район" + (f" №{k // len(roots) + 1}" if k >= len(roots) else ""),
                "district") for k in range(n_muns)]
    orgs = []
    for k in range(n_orgs):
        mun = muns[k % n_muns]
        kind = rng.choices(["school", "kindergarten", "college", "other"], weights=[55, 27, 8, 10])[0]
        num = k // n_muns + 1
        name = {"school": f"МБОУ «Средняя общеобразовательная школа №{num}»",
                "kindergarten": f"МБДОУ «Детский сад №{num} «{rng.choice(C.names.kindergarten_names)}»»",
                "college": f"БПОУ «{rng.choice(C.names.college_names).capitalize()} №{num}»",
                "other": f"МБУ ДО «{rng.choice(C.names.other_org_names)} №{num}»"}[kind]
        org = Org(f"{name} ({mun.name})", kind, mun)
        head_name, member_name = names.person(0.75), names.person()
        suffix = "" if k == 0 else str(k + 1)
        org.head = Person(head_name, f"head{suffix}.s{n}@demo.leanschool.ru", "head", C.names.head_title[kind])
        org.members.append(Person(member_name, f"member{suffix}.s{n}@demo.leanschool.ru", "member",
                                  rng.choice(C.names.member_roles[kind])))
        orgs.append(org)
    curator = Person(names.person(), f"curator.s{n}@demo.leanschool.ru", "curator", "куратор")
    admin = None if admin_exists else Person(C.region.admin_name, C.region.admin_email, "admin")
    accounts = [{"email": C.region.admin_email, "password": C.region.password, "role": "admin"},
                {"email": curator.email, "password": C.region.password, "role": "curator"},
                {"email": orgs[0].head.email, "password": C.region.password, "role": "head"},  # type: ignore[union-attr]
                {"email": orgs[0].members[0].email, "password": C.region.password, "role": "member"}]
    return World(scale_region_name(n), "99", muns, orgs, curator, admin, accounts)


def plan_world(plan: Plan, world: World) -> None:
    """Region, municipalities, organisations and people, created by the system as an
    administrator does (the CLI acts as SYSTEM too)."""
    d = -SETUP_DAYS

    def region(uow: UnitOfWork) -> None:
        world.region_id = create_region(uow, SYSTEM, {"name": world.region_name, "code": world.region_code}).id

    def municipality(uow: UnitOfWork, mun: Mun) -> None:
        mun.id = create_municipality(uow, SYSTEM, {"region_id": world.region_id, "name": mun.name,
                                                   "kind": mun.kind}).id

    def organization(uow: UnitOfWork, org: Org) -> None:
        org.id = create_organization(uow, SYSTEM, {"municipality_id": org.mun.id, "name": org.name,
                                                   "kind": org.kind}).id

    def user(uow: UnitOfWork, person: Person, org: Org | None) -> None:
        u = create_user(uow, SYSTEM, {
            "email": person.email, "name": person.name, "password": C.region.password, "role": person.role,
            "org_id": org.id if org else None,
            "region_id": world.region_id if person.role == "curator" else None})
        person.id = u.id
        # what services.load_actor reads back for this one grant, without the query
        person.actor = Actor(u.id, (Grant(person.role, org.id if org else None,
                                          world.region_id if person.role == "curator" else None),),
                             {org.id: world.region_id} if org else {})  # type: ignore[dict-item]

    plan.add(d, "регион", region)
    for mun in world.muns:
        plan.add(d, f"муниципалитет {mun.name}", partial(municipality, mun=mun))
    if world.admin:
        plan.add(d, "администратор", partial(user, person=world.admin, org=None))
    plan.add(d, "куратор", partial(user, person=world.curator, org=None))
    for org in world.orgs:
        plan.add(d, f"организация {org.name}", partial(organization, org=org))
        for person in [org.head, *org.members]:
            plan.add(d + 0.01, f"пользователь {person.email}", partial(user, person=person, org=org))  # type: ignore[arg-type]


# --- stories: what happens to a project, and when --------------------------------------------

@dataclass
class Story:
    visits: list[tuple[str, float, float]]  # (state, entered, left); the last one lasts till now
    triggers: list[str]  # the trigger leaving each visit but the last
    pending: str | None = None  # a trigger waiting for the head's decision now
    pending_age: float = 0.0
    reject_age: float | None = None  # the last request was rejected this many days ago
    idle_gap: float | None = None  # nobody did anything for this many days
    rejections: set[int] = field(default_factory=set)  # visits left after one rejection
    by_head: set[int] = field(default_factory=set)  # visits left by the head's own move
    critical_open: bool = False
    miss_target: bool = False
    almost_gate: bool = False  # the gate lacks one baseline, for a new user to complete

    @property
    def final(self) -> str:
        return self.visits[-1][0]


def _trigger(wf: Workflow, source: str, dest: str) -> str:
    return next(t.trigger for t in wf.transitions_from(source) if t.dest == dest)


def shape_story(rng: random.Random, wf: Workflow, profile: Profile, final: str, kind: str,
                pending_age: float | None = None) -> Story:
    """The stages a project went through and how long it stayed in each."""
    u = rng.uniform
    if final == "closed":
        path = [*FORWARD, "closed"]
    elif final == "cancelled":
        stop = rng.choices(range(4), weights=[4, 3, 3, 1])[0]
        path = [*FORWARD[:stop + 1], "cancelled"]
    else:
        path = FORWARD[:FORWARD.index(final) + 1]
        if kind == "back":  # sent back a stage once on the way
            i = len(path) - 1
            path = [*path[:i + 1], path[i - 1], path[i]]
    durations = []
    for i, state in enumerate(path[:-1]):
        if path[i + 1] in FORWARD and FORWARD.index(path[i + 1]) < FORWARD.index(state):
            durations.append(u(8, 20))  # left backwards
        elif state in path[:i]:
            durations.append(u(5, 12))  # a second visit
        else:
            durations.append(u(*HISTORY_DAYS[state]))
    story = Story([], [])
    sla = wf.state(final).sla_days or 90
    if final in ("closed", "cancelled"):
        elapsed = u(3, 60) if final == "closed" else u(5, 80)
    elif kind == "sla":
        elapsed = sla + u(4, 35)
    elif kind == "idle":
        story.idle_gap = u(17, 32)
        elapsed = story.idle_gap + u(2, 15)
    elif kind.startswith("pending"):
        following = [*FORWARD, "closed"][FORWARD.index(final) + 1]
        story.pending = "cancel" if kind == "pending_cancel" else _trigger(wf, final, following)
        story.pending_age = pending_age or (u(4, 9) if kind == "pending_old" else u(0.3, 2.5))
        elapsed = max(story.pending_age + 6, min(story.pending_age + u(8, 25), sla - 3))
    elif kind == "rejected":
        story.reject_age = u(2, 8)
        elapsed = min(story.reject_age + u(10, 25), sla - 2)
    elif kind == "almost":
        story.almost_gate = True
        elapsed = u(14, 24)
    else:
        elapsed = u(5, 75) if final == "sustain" else u(2, min(sla - 5, 40))
    room = MAX_AGE_DAYS - elapsed
    if sum(durations) > room:
        durations = [max(6.0, x * room / sum(durations)) for x in durations]
    d = -(elapsed + sum(durations))
    for i, state in enumerate(path):
        left = d + durations[i] if i < len(durations) else 0.0
        story.visits.append((state, d, left))
        if i < len(durations):
            story.triggers.append(_trigger(wf, state, path[i + 1]))
            forward = path[i + 1] not in path[:i + 1] and path[i + 1] != "cancelled"
            if forward and durations[i] >= 10 and rng.random() < profile.reject_p:
                story.rejections.add(i)
            elif forward and rng.random() < profile.by_head_p:
                story.by_head.add(i)
        d = left
    return story


# --- planning one project --------------------------------------------------------------------

@dataclass
class MetricPlan:
    t: MetricT
    baseline: float
    target: float
    latest: float | None = None

    def value(self, f: float) -> float:
        """The value after a share ``f`` of the way from baseline to target."""
        v = self.baseline + (self.target - self.baseline) * f
        if self.t.unit == "%":
            v = min(v, 100.0)
        v = round(max(v, 0.0), self.t.decimals)
        if f >= 1:  # meets the target however it rounds
            v = min(v, self.target) if self.t.direction == "decrease" else max(v, self.target)
        return float(v)


def metric_values(rng: random.Random, m: MetricT, exact: bool) -> tuple[float, float]:
    """Baseline and target of one project's metric: the published values, or near them."""
    if exact:
        return float(m.baseline), float(m.target)
    if m.unit == "%":
        b = min(max(m.baseline + rng.uniform(-8, 8), 1.0), 97.0)
        t = min(max(m.target + rng.uniform(-4, 4), 0.0), 100.0)
    else:
        k = rng.uniform(0.85, 1.2)
        b, t = m.baseline * k, m.target * k * rng.uniform(0.93, 1.07)
    b, t = round(b, m.decimals), round(t, m.decimals)
    unit = 10 ** -m.decimals
    if m.direction == "decrease" and t >= b:
        t = max(0.0, b - unit)
    if m.direction == "increase" and t <= b:
        t = b + unit
    return float(b), float(t)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _fmt(value: float) -> str:
    return (f"{value:,.0f}" if value == int(value) else f"{value:,.1f}").replace(",", " ").replace(".", ",")


@dataclass
class RiskPlan:
    t: RiskT
    status: str = "open"
    keep_open: bool = False

    @property
    def critical(self) -> bool:
        return self.t.probability * self.t.impact >= 15


@dataclass
class Run:
    """Ids the engine gives while the plan runs."""
    id: int | None = None
    version: int = 1
    metric_ids: list[int] = field(default_factory=list)
    action_ids: list[int] = field(default_factory=list)
    risk_ids: list[int] = field(default_factory=list)
    request_id: int | None = None


Item = tuple[float, Callable[[float], None]]  # (share of the visit, op placed at a moment)


class ProjectPlanner:
    """Turns a story into steps: the evidence of each stage, placed before the request
    that needs it, then the request and the head's decision. Keeps a mirror of what the
    project has (metrics, actions, risks ...) to know what each gate still lacks."""

    def __init__(self, plan: Plan, rng: random.Random, wf: Workflow, profile: Profile, story: Story,
                 proc: ProcessT, org: Org, curator: Person, *, leader: Person | None = None,
                 exact: bool = False, final_values: tuple[float, ...] | None = None):
        self.plan, self.rng, self.wf, self.p = plan, rng, wf, profile
        self.number = plan.new_project()
        self.story, self.proc, self.org, self.curator = story, proc, org, curator
        self.head: Person = org.head  # type: ignore[assignment]
        self.leader = leader or rng.choice(org.members)
        others = [m for m in org.members if m is not self.leader]
        self.team = [self.leader] + (rng.sample(others, rng.randint(0, len(others))) if profile.rich else [])
        n = len(proc.metrics) if exact else min(len(proc.metrics), rng.randint(*profile.metrics))
        self.metrics = [MetricPlan(m, *metric_values(rng, m, exact)) for m in proc.metrics[:n]]
        self.final_values = final_values
        self.problems = rng.sample(proc.problems, len(proc.problems))
        self.spare_actions = rng.sample(proc.actions, len(proc.actions))
        self.actions: list[list[str]] = []  # [title, status]
        self.risks: list[RiskPlan] = []
        self.run = Run()
        self.last = -math.inf

    # -- placing steps --

    def slot(self, d: float) -> float:
        return max(d, self.last + EPS)

    def add(self, d: float, label: str, fn: Callable[[UnitOfWork], Any]) -> float:
        d = self.slot(d)
        self.last = d
        self.plan.add(d, f"проект {self.number} ({self.proc.key})/{label}", fn, self.number)
        return d

    def doer(self) -> Person:
        return self.leader if self.rng.random() < 0.7 else self.rng.choice(self.team)

    # -- the ops: one service call each, and the mirror --

    def op_create(self, d: float) -> None:
        proc, org, leader, rng = self.proc, self.org, self.leader, self.rng
        hours = float(round(proc.hours * rng.uniform(0.8, 1.2)))
        data: dict[str, Any] = {
            "title": proc.title, "problem": proc.problem, "goal": proc.goal,
            "sponsor": f"{self.head.name}, {self.head.job}", "process_owner": _capital(proc.owner),
            "process_start": _capital(proc.start), "process_end": _capital(proc.end), "planned_hours_saved": hours,
            "milestones": {s: self.plan.tl.day(d + off)
                           for s, off in zip(FORWARD, (30, 55, 115, 140, 220), strict=True)},
        }
        if self.p.rich and rng.random() < 0.4:
            data["planned_roubles"] = float(round(hours * 420, -2))

        def fn(uow: UnitOfWork) -> None:
            p = create_project(uow, leader.actor, {**data, "org_id": org.id, "leader_id": leader.id})  # type: ignore[arg-type]
            self.run.id, self.run.version = p.id, p.version
        self.add(d, "создан", fn)

    def op_team(self, d: float, person: Person, role: str) -> None:
        self.add(d, "команда", lambda uow: add_team_member(uow, self.leader.actor, self.run.id,  # type: ignore[arg-type]
                                                           {"user_id": person.id, "role_text": role}))

    def op_metric(self, d: float, i: int) -> None:
        m, who = self.metrics[i], self.doer()
        body: dict[str, Any] = {"name": m.t.name, "unit": m.t.unit, "direction": m.t.direction}
        if not self.p.rich:  # scale mode: measured and targeted at once, fewer calls
            body.update(baseline=m.baseline, target=m.target)

        def fn(uow: UnitOfWork) -> None:
            self.run.metric_ids.append(add_metric(uow, who.actor, self.run.id, body).id)  # type: ignore[arg-type]
        self.add(d, "показатель", fn)

    def op_baseline(self, d: float, i: int) -> None:
        value, who = self.metrics[i].baseline, self.doer()
        self.add(d, "базовое значение", lambda uow: update_metric(uow, who.actor, self.run.metric_ids[i],  # type: ignore[arg-type]
                                                                 {"baseline": value}))

    def op_target(self, d: float, i: int, revise: bool = False) -> None:
        m, who = self.metrics[i], self.doer()
        if revise:  # more ambitious: 15 % further from the baseline
            step = 10 ** -m.t.decimals
            m.target = float(round(m.target + (m.target - m.baseline) * 0.15, m.t.decimals))
            m.target = max(min(m.target, 100.0 if m.t.unit == "%" else math.inf), step if m.baseline > step else 0.0)
        value = m.target
        self.add(d, "целевое значение", lambda uow: update_metric(uow, who.actor, self.run.metric_ids[i],  # type: ignore[arg-type]
                                                                 {"target": value}))

    def op_measure(self, d: float, i: int, f: float | None = None, value: float | None = None) -> None:
        m, who = self.metrics[i], self.doer()
        if value is None:
            value = m.value(f) if f is not None else float(round(
                min(m.baseline * self.rng.uniform(0.95, 1.05), 100.0 if m.t.unit == "%" else math.inf), m.t.decimals))
        m.latest = value
        d = self.slot(d)
        day = self.plan.tl.day(d)
        self.add(d, "замер", lambda uow: record_measurement(uow, who.actor, self.run.metric_ids[i],  # type: ignore[arg-type]
                                                           {"value": value, "measured_on": day}))

    def op_problem(self, d: float) -> None:
        waste, text = self.problems.pop(0) if self.problems else self.rng.choice(self.proc.problems)
        who = self.doer()
        self.add(d, "проблема", lambda uow: add_problem(uow, who.actor, self.run.id,  # type: ignore[arg-type]
                                                        {"description": text, "waste": waste}))

    def _process_phrase(self) -> str:
        title = self.proc.title
        return title.removeprefix("Оптимизация ") if title.startswith("Оптимизация процесса ") else f"«{title}»"

    def op_artefact(self, d: float, kind: str, revision: bool = False) -> None:
        proc, who = self.proc, self.doer()
        phrase = self._process_phrase()
        if kind == "current_state_map":
            title = f"Карта текущего состояния {phrase}"
            text = "Хронометраж: " + "; ".join(f"{m.t.name} — {_fmt(m.baseline)} {m.t.unit}" for m in self.metrics)
        elif kind == "target_state_map":
            title = f"Карта целевого состояния {phrase}"
            text = "Целевые значения: " + "; ".join(f"{m.t.name} — {_fmt(m.target)} {m.t.unit}" for m in self.metrics)
        elif kind == "standard":
            title = proc.standard
            done = [t for t, s in self.actions if s == "done"] or list(proc.actions[:3])
            text = "\n".join(f"{n}. {t}." for n, t in enumerate(done, 1))
        else:  # report
            title = "Итоговый отчёт по проекту"
            text = "Результаты: " + "; ".join(
                f"{m.t.name}: {_fmt(m.baseline)} → {_fmt(m.latest if m.latest is not None else m.baseline)} {m.t.unit}"
                for m in self.metrics) + "."
        if revision:
            title = C.story.revision_titles.get(kind, title) if kind != "standard" else f"{title} (ред. 2)"
        self.add(d, kind, lambda uow: add_artefact(uow, who.actor, self.run.id,  # type: ignore[arg-type]
                                                   {"kind": kind, "title": title, "text": text}))

    def op_action(self, d: float, due_d: float) -> None:
        title = self.spare_actions.pop(0) if self.spare_actions else "Провести инструктаж сотрудников по новому порядку"
        due, owner, who = self.plan.tl.day(due_d), self.rng.choice(self.team), self.doer()
        self.actions.append([title, "open"])

        def fn(uow: UnitOfWork) -> None:
            a = add_action(uow, who.actor, self.run.id, {"title": title, "due_on": due,  # type: ignore[arg-type]
                                                         "owner_id": owner.id})
            self.run.action_ids.append(a.id)  # type: ignore[arg-type]
        self.add(d, "мероприятие", fn)

    def op_action_status(self, d: float, j: int, status: str) -> None:
        self.actions[j][1] = status
        who = self.doer()
        self.add(d, "статус мероприятия", lambda uow: update_action(uow, who.actor, self.run.action_ids[j],  # type: ignore[arg-type]
                                                                     {"status": status}))

    def op_risk(self, d: float, risk: RiskT, keep_open: bool = False) -> None:
        self.risks.append(RiskPlan(risk, keep_open=keep_open))
        d = self.slot(d)
        owner, who, due = self.rng.choice(self.team), self.doer(), self.plan.tl.day(d + self.rng.uniform(20, 60))
        body = {"title": risk.title, "probability": risk.probability, "impact": risk.impact,
                "mitigation": risk.mitigation, "due_on": due}

        def fn(uow: UnitOfWork) -> None:
            self.run.risk_ids.append(log_risk(uow, who.actor, self.run.id, {**body, "owner_id": owner.id}).id)  # type: ignore[arg-type]
        self.add(d, "риск", fn)

    def op_risk_status(self, d: float, k: int, status: str) -> None:
        self.risks[k].status = status
        who = self.doer()
        self.add(d, "статус риска", lambda uow: update_risk(uow, who.actor, self.run.risk_ids[k], {"status": status}))  # type: ignore[arg-type]

    def op_comment(self, d: float, person: Person, text: str) -> None:
        self.add(d, "комментарий", lambda uow: add_comment(uow, person.actor, self.run.id, {"text": text}))  # type: ignore[arg-type]

    def op_hours(self, d: float) -> None:
        hours = float(round(self.proc.hours * self.rng.uniform(0.8, 1.15)))

        def fn(uow: UnitOfWork) -> None:
            p = update_project(uow, self.leader.actor, self.run.id,  # type: ignore[arg-type]
                               {"actual_hours_saved": hours, "version": self.run.version})
            self.run.version = p.version
        self.add(d, "эффект", fn)

    def op_request(self, d: float, person: Person, trigger: str, comment: str | None) -> None:
        def fn(uow: UnitOfWork) -> None:
            res = request_transition(uow, person.actor, self.run.id,  # type: ignore[arg-type]
                                     {"trigger": trigger, "version": self.run.version, "comment": comment})
            self.run.version = res.project.version
            self.run.request_id = res.request.id if res.request else None
        self.add(d, f"запрос {trigger}", fn)

    def op_approve(self, d: float, comment: str | None) -> None:
        def fn(uow: UnitOfWork) -> None:
            p = approve_request(uow, self.head.actor, self.run.request_id, {"comment": comment} if comment else {})  # type: ignore[arg-type]
            self.run.version = p.version
        self.add(d, "согласовано", fn)

    def op_reject(self, d: float, comment: str) -> None:
        self.add(d, "отклонено", lambda uow: reject_request(uow, self.head.actor, self.run.request_id,  # type: ignore[arg-type]
                                                            {"comment": comment}))

    # -- the story, visit by visit --

    def plan_story(self) -> None:
        s = self.story
        for i, (state, entered, left) in enumerate(s.visits):
            if self.wf.is_final(state):
                if state == "closed" and self.rng.random() < 0.6:
                    self.op_comment(entered + self.rng.uniform(0.3, min(8.0, -entered - 0.2)), self.curator,
                                    C.story.closed_comment)
                continue
            if i == 0:
                self.op_create(entered)
            if i < len(s.triggers):
                self._past_visit(i, state, entered, left, s.triggers[i])
            else:
                self._current_visit(i, state, entered)
        self._keep_recent()

    def _place(self, items: list[Item], start: float, end: float, horizon: float | None = None) -> None:
        """Spread the items over [start, horizon]; those falling after ``end`` never happen."""
        horizon = end if horizon is None else horizon
        for share, op in sorted(items, key=lambda item: item[0]):
            d = start + share * (horizon - start)
            if d < end:
                op(d)

    def _past_visit(self, i: int, state: str, entered: float, left: float, trigger: str) -> None:
        rng, u = self.rng, self.rng.uniform
        t = self.wf.find(trigger, state)
        assert t is not None
        if self.wf.is_back_move(t, state):
            self._place(self._work(state, i, entered, left), entered, left - 0.3)
            who = self.curator if rng.random() < 0.6 else self.head
            self.op_request(left, who, trigger, C.story.back_comments[trigger])
            return
        if trigger == "cancel":  # the plan was cut short
            asked = left - u(0.5, 3)
            horizon = left + u(10, 40)
            self._place(self._work(state, i, entered, horizon), entered, asked - 0.1, horizon)
            reason = rng.choice(C.story.cancel_reasons)
            if rng.random() < 0.3:
                self.op_request(left, self.head, trigger, reason)
            else:
                self.op_request(asked, self.leader, trigger, reason)
                self.op_approve(left, None)
            return
        if i in self.story.by_head:
            self._place(self._work(state, i, entered, left), entered, left - 0.2)
            self.op_request(left, self.head, trigger, rng.choice([None, C.story.request_comments[trigger]]))
            return
        request = left - u(0.1, 1.0)
        first = request
        if i in self.story.rejections:
            first = max(entered + 0.55 * (left - entered), left - u(4, 8))
        self._place(self._work(state, i, entered, left), entered, first - 0.1)
        if i in self.story.rejections:
            self.op_request(first, self.leader, trigger, C.story.request_comments[trigger])
            rejected = first + u(0.3, 1.5)
            self.op_reject(rejected, rng.choice(C.story.reject_comments[trigger]))
            self._revise(rejected + u(0.3, 1.0), trigger)
        self.op_request(request, self.leader, trigger, C.story.request_comments[trigger])
        self.op_approve(left, rng.choice(C.story.approve_comments))

    def _current_visit(self, i: int, state: str, entered: float) -> None:
        s, rng, u = self.story, self.rng, self.rng.uniform
        forward = next((t.trigger for t in self.wf.transitions_from(state)
                        if not self.wf.is_back_move(t, state) and t.trigger != "cancel"), None)
        asked = None  # when the stage's work is done: a request waits, was rejected, or
        if s.pending and s.pending != "cancel":  # only one baseline is missing (almost_gate)
            asked = -s.pending_age
        elif s.reject_age is not None:
            asked = -s.reject_age - u(0.3, 1.5)
        elif s.almost_gate:
            asked = -0.4
        if asked is not None:
            self._place(self._work(state, i, entered, asked + u(20, 40)), entered, asked - 0.1)
            if s.pending:
                self.op_request(asked, self.leader, s.pending, C.story.request_comments[s.pending])
            elif s.reject_age is not None and forward:
                self.op_request(asked, self.leader, forward, C.story.request_comments[forward])
                self.op_reject(-s.reject_age, rng.choice(C.story.reject_comments[forward]))
            return
        length = -entered + u(5, 30)
        horizon = entered + length
        cutoff = -s.idle_gap if s.idle_gap else (-s.pending_age if s.pending else -0.05)
        items = self._work(state, i, entered, horizon)
        if s.critical_open:
            share = u(0.15, 0.7) * (cutoff - entered) / length
            items.append((share, partial(self.op_risk, risk=rng.choice(C.processes.critical_risks), keep_open=True)))
        self._place(items, entered, cutoff - 0.05, horizon)
        if s.pending == "cancel":
            self.op_request(-s.pending_age, self.leader, "cancel", rng.choice(C.story.cancel_reasons))

    def _keep_recent(self) -> None:
        """An active project that is not meant to look idle had someone do something lately."""
        s, rng = self.story, self.rng
        if self.wf.is_final(s.final) or s.idle_gap or self.last >= -9:
            return
        d = rng.uniform(max(self.last, -9.0) + 0.1, -0.2)
        who, texts = rng.choices([(self.leader, C.story.member_comments), (self.curator, C.story.curator_comments),
                                  (self.head, C.story.head_comments)], weights=[5, 3, 2])[0]
        self.op_comment(d, who, rng.choice(texts))

    def _revise(self, d: float, trigger: str) -> None:
        """What the team does after a rejection."""
        if trigger == "to_target":
            self.op_artefact(d, "current_state_map", revision=True)
        elif trigger == "to_implement":
            self.op_artefact(d, "target_state_map", revision=True)
        elif trigger == "to_sustain":
            self.op_artefact(d, "standard", revision=True)
        else:  # one more measurement that holds the result
            for k in range(len(self.metrics)):
                self.op_measure(d, k, f=self.rng.uniform(1.0, 1.08))

    # -- the work of each stage: (share of the visit, op) --

    def _work(self, state: str, i: int, start: float, horizon: float) -> list[Item]:
        revisit = any(v[0] == state for v in self.story.visits[:i])
        items: list[Item] = getattr(self, f"_work_{state}")(revisit, start, horizon)
        rng, u, p = self.rng, self.rng.uniform, self.p
        if rng.random() < p.comment_p:
            items.append((u(0.2, 0.9), partial(self.op_comment, person=self.curator,
                                               text=rng.choice(C.story.curator_comments))))
        if p.rich and rng.random() < p.comment_p / 2:
            items.append((u(0.2, 0.9), partial(self.op_comment, person=self.head,
                                               text=rng.choice(C.story.head_comments))))
        if p.rich and rng.random() < p.comment_p:
            items.append((u(0.2, 0.9), partial(self.op_comment, person=self.doer(),
                                               text=rng.choice(C.story.member_comments))))
        return items

    def _work_diagnose(self, revisit: bool, start: float, horizon: float) -> list[Item]:
        u = self.rng.uniform
        if revisit:
            return [(u(0.2, 0.5), self.op_problem),
                    (u(0.5, 0.8), partial(self.op_artefact, kind="current_state_map", revision=True))]
        items: list[Item] = [(0.01 + 0.005 * k, partial(self.op_team, person=person,
                                                        role="руководитель проекта" if k == 0
                                                        else self.rng.choice(C.names.team_roles)))
                             for k, person in enumerate(self.team if self.p.rich else [])]
        for k in range(len(self.metrics)):
            items.append((0.05 + 0.01 * k, partial(self.op_metric, i=k)))
            if self.p.rich:
                items.append((u(0.25, 0.45), partial(self.op_measure, i=k)))
                if not (self.story.almost_gate and k == len(self.metrics) - 1):
                    items.append((u(0.5, 0.65), partial(self.op_baseline, i=k)))
        n_problems = min(len(self.proc.problems), self.rng.randint(*self.p.problems))
        items += [(u(0.15, 0.8), self.op_problem) for _ in range(n_problems)]
        items.append((u(0.6, 0.85), partial(self.op_artefact, kind="current_state_map")))
        pool = list(self.proc.risks) + C.processes.generic_risks
        n_risks = self.rng.randint(*self.p.risks)
        items += [(u(0.1, 0.95), partial(self.op_risk, risk=r)) for r in self.rng.sample(pool, n_risks)]
        return items

    def _work_target(self, revisit: bool, start: float, horizon: float) -> list[Item]:
        u = self.rng.uniform
        if revisit:
            return [*((u(0.2, 0.5), partial(self.op_target, i=k, revise=True)) for k in range(len(self.metrics))),
                    (u(0.4, 0.7), partial(self.op_action, due_d=horizon + u(7, 30)))]
        items: list[Item] = [(u(0.1, 0.4), partial(self.op_target, i=k))
                             for k in range(len(self.metrics) if self.p.rich else 0)]
        items.append((u(0.3, 0.6), partial(self.op_artefact, kind="target_state_map")))
        n_actions = min(len(self.proc.actions), self.rng.randint(*self.p.actions))
        items += [(u(0.4, 0.85), partial(self.op_action, due_d=horizon + u(7, 45))) for _ in range(n_actions)]
        if self.p.rich and self.rng.random() < 0.3:
            items.append((u(0.1, 0.9), partial(self.op_risk, risk=self.rng.choice(C.processes.generic_risks))))
        return items

    def _work_implement(self, revisit: bool, start: float, horizon: float) -> list[Item]:
        rng, u = self.rng, self.rng.uniform
        items: list[Item] = [(u(0.15, 0.85), partial(self.op_action_status, j=j,
                                                     status="dropped" if rng.random() < 0.08 else "done"))
                             for j, (_, status) in enumerate(self.actions) if status == "open"]
        for k in range(len(self.metrics)):
            if self.p.rich:
                items.append((u(0.3, 0.5), partial(self.op_measure, i=k, f=u(0.4, 0.7))))
            items.append((u(0.7, 0.88), partial(self.op_measure, i=k, f=u(0.85, 1.05))))
        for k, risk in enumerate(self.risks):
            if risk.critical and risk.status in UNRESOLVED_RISK and not risk.keep_open:
                items.append((u(0.45, 0.85), partial(self.op_risk_status, k=k,
                                                     status=rng.choice(["resolved", "resolved", "accepted"]))))
            elif risk.status == "open" and rng.random() < (0.4 if self.p.rich else 0.1):
                items.append((u(0.1, 0.4), partial(self.op_risk_status, k=k, status="mitigating")))
        if self.p.rich and rng.random() < 0.3:
            items.append((u(0.1, 0.6), partial(self.op_risk, risk=rng.choice(C.processes.generic_risks))))
        return items

    def _work_standardise(self, revisit: bool, start: float, horizon: float) -> list[Item]:
        items: list[Item] = [(self.rng.uniform(0.3, 0.7), partial(self.op_artefact, kind="standard", revision=revisit))]
        if self.p.rich and not revisit and self.rng.random() < 0.5:
            items.append((self.rng.uniform(0.6, 0.9), self.op_hours))
        return items

    def _work_sustain(self, revisit: bool, start: float, horizon: float) -> list[Item]:
        rng, u = self.rng, self.rng.uniform
        rounds = max(1, min(3, int((horizon - start) / 25))) if self.p.rich else 1
        items: list[Item] = []
        for j in range(rounds):
            share = 0.8 * (j + u(0.3, 0.9)) / rounds
            last = j == rounds - 1
            for k in range(len(self.metrics)):
                if last and self.final_values:
                    op = partial(self.op_measure, i=k, value=float(self.final_values[k]))
                else:
                    op = partial(self.op_measure, i=k, f=u(0.7, 0.92) if last and self.story.miss_target
                                 else u(1.0, 1.1))
                items.append((share + 0.001 * k, op))
        items += [(u(0.3, 0.8), partial(self.op_risk_status, k=k, status="resolved"))
                  for k, risk in enumerate(self.risks)  # scale mode resolves half (fewer calls)
                  if risk.status in UNRESOLVED_RISK and not risk.keep_open and (self.p.rich or rng.random() < 0.5)]
        items.append((u(0.82, 0.92), partial(self.op_artefact, kind="report")))
        if self.p.rich and rng.random() < 0.6:
            items.append((u(0.93, 0.97), self.op_hours))
        return items


# --- the projects of a region ---------------------------------------------------------------

def _processes_for(org: Org) -> list[ProcessT]:
    return [p for p in C.processes.processes
            if org.kind in p.kinds and (p.key != "school_bus" or org.mun.kind == "district")]


def _flag_stories(rng: random.Random, stories: list[tuple[Story, str]], critical_share: float,
                  miss_share: float) -> None:
    for story, kind in stories:
        if story.final in ("diagnose", "target", "implement") and kind in ("normal", "sla", "idle"):
            story.critical_open = rng.random() < critical_share
        if story.final == "sustain" and kind == "normal":
            story.miss_target = rng.random() < miss_share


def plan_oryol(plan: Plan, rng: random.Random, wf: Workflow, world: World) -> int:
    """The demo school's five projects, the featured ones and 145 - 5 more over the region."""
    school = world.orgs[0]
    member, others = school.members[0], school.members[1:]
    by_key = {p.key: p for p in C.processes.processes}
    planners: list[ProjectPlanner] = []

    def add(story: Story, proc: ProcessT, org: Org, **kw: Any) -> None:
        planners.append(ProjectPlanner(plan, rng, wf, RICH, story, proc, org, world.curator, **kw))

    # The demo school: a closed project, one in sustain, one in target, one in implement
    # whose request waits for the head (head@), one in diagnose that lacks only a baseline.
    school_plan = [("test_papers", "closed", "normal", member, (29, 98.6)),
                   ("edo", "sustain", "normal", others[0], None),
                   ("meal_payment", "target", "normal", others[1], None),
                   ("hot_meals", "implement", "pending_old", member, None),
                   ("navigation", "diagnose", "almost", member, None)]
    for key, final, kind, leader, values in school_plan:
        story = shape_story(rng, wf, RICH, final, kind, pending_age=4.3 if kind == "pending_old" else None)
        story.rejections.clear()
        add(story, by_key[key], school, leader=leader, exact=True, final_values=values)

    mix = [(final, kind) for final, kind, n in MIX for _ in range(n)]
    orgs_by_name = {o.name: o for o in world.orgs}
    used: dict[str, set[str]] = {o.name: set() for o in world.orgs}
    for f in C.story.featured:
        org_name, key, final, values = f.organization, f.process, f.state, f.last_values
        mix.remove((final, "normal"))
        story = shape_story(rng, wf, RICH, final, "normal")
        if values:
            story.rejections.clear()
        add(story, by_key[key], orgs_by_name[org_name], exact=True, final_values=values)
        used[org_name].add(key)
    rng.shuffle(mix)
    # every other organisation gets a project, the rest go more often to the cities
    rest = world.orgs[1:]
    weights = [2.0 if o.mun.name == "г. Орёл" else 1.5 if o.mun.kind == "city" else 1.0 for o in rest]
    slots = list(rest)
    while len(slots) < len(mix):
        org = rng.choices(rest, weights)[0]
        if slots.count(org) < 5:
            slots.append(org)
    stories = []
    for (final, kind), org in zip(mix, slots, strict=True):
        fresh = [p for p in _processes_for(org) if p.key not in used[org.name]] or _processes_for(org)
        proc = rng.choice(fresh)
        used[org.name].add(proc.key)
        story = shape_story(rng, wf, RICH, final, kind)
        stories.append((story, kind))
        add(story, proc, org)
    _flag_stories(rng, stories, critical_share=0.12, miss_share=0.25)
    for planner in planners:
        planner.plan_story()
    return len(planners)


def plan_scale(plan: Plan, rng: random.Random, wf: Workflow, world: World, n: int) -> int:
    """N projects over the generated organisations, in the proportions of the default mix."""
    kinds = [(final, kind) for final, kind, _ in MIX]
    weights = [w for _, _, w in MIX]
    processes = {o.kind: _processes_for(o) for o in world.orgs}
    for j in range(n):
        final, kind = rng.choices(kinds, weights)[0]
        org = world.orgs[j] if j < len(world.orgs) else rng.choice(world.orgs)
        story = shape_story(rng, wf, LIGHT, final, kind)
        _flag_stories(rng, [(story, kind)], critical_share=0.1, miss_share=0.25)
        ProjectPlanner(plan, rng, wf, LIGHT, story, rng.choice(processes[org.kind]), org,
                       world.curator).plan_story()
    return n


# --- loading -----------------------------------------------------------------------------------

def empty_database(store: Store) -> None:
    """Delete every row of every table (children first), in one transaction. References
    that close a cycle (declared ``use_alter``, e.g. a replica project -> its practice)
    are cleared first, since no order of deletes satisfies them."""
    with store.engine.begin() as conn:
        for table in metadata.sorted_tables:
            for fk in table.foreign_key_constraints:
                if fk.use_alter:
                    conn.execute(table.update().values({c.name: None for c in fk.columns}))
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


# The demo password is printed on screen and in the README: a slow hash would protect
# nothing, and 185 users (thousands in scale mode) at the production cost (~0.3-0.6 s each)
# would make the load minutes longer. Each user still gets a hash of their own (own salt);
# the cost travels with the hash, and a password a demo user sets later gets the full cost.
DEMO_SCRYPT_N = 2**12


def _demo_password_hashing() -> Any:
    """A cheap hasher during the load (never dearer than the installed one)."""
    return passwords.hashing_at_most(DEMO_SCRYPT_N)


def _exists(store: Store, model: Any, column: Any, value: str) -> bool:
    with store.uow() as uow:
        return uow.session.execute(select(model.id).where(column == value)).first() is not None


def load(store: Store, reset: bool = False, scale: int | None = None,
         echo: Callable[[str], Any] = print) -> list[dict[str, str]]:
    """Load the demo region (Oryol oblast) or, with ``scale=N``, a generated region of N
    projects; returns the demo accounts ``[{"email", "password", "role"}]``.

    Loads nothing when that region is already there (unless ``reset``, which empties
    every table first). Deterministic: the same data on every run of the same day.
    """
    started = time.monotonic()
    wf = store.workflows.latest("psr")
    if wf is None:
        raise DemoError("the psr workflow is not loaded")
    if reset:
        empty_database(store)
        echo("База данных очищена.")
    rng = random.Random(SEED if scale is None else SEED * 1_000_003 + scale)
    admin_exists = _exists(store, User, User.email, C.region.admin_email)
    world = oryol_world(rng) if scale is None else scale_world(rng, scale, admin_exists)
    if admin_exists:
        world.admin = None
    if (_exists(store, Region, Region.name, world.region_name)
            and _exists(store, User, User.email, world.curator.email)):
        echo(f"Демо «{world.region_name}» уже загружено; ничего не добавлено (--reset загрузит заново).")
        return world.accounts

    plan = Plan(Timeline(clock.today()))  # the test's frozen clock, or the real one
    plan_world(plan, world)
    n = plan_oryol(plan, rng, wf, world) if scale is None else plan_scale(plan, rng, wf, world, scale)
    echo(f"Загрузка «{world.region_name}»: {_count(len(world.orgs), 'организация', 'организации', 'организаций')}, "
         f"{_count(n, 'проект', 'проекта', 'проектов')}, "
         f"{_count(len(plan.steps), 'вызов', 'вызова', 'вызовов')} сервисов…")
    every = 25 if scale is None else max(25, n // 10)
    created = [0]

    def progress(step: Step) -> None:
        if step.label.endswith("/создан"):
            created[0] += 1
            if created[0] % every == 0 or created[0] == n:
                echo(f"  проекты: {created[0]}/{n} ({time.monotonic() - started:.0f} с)")

    moment = [plan.steps[0].at]
    # restored afterwards: a test may have frozen the clock
    previous = clock.set_clock(lambda: moment[0])
    try:
        with _demo_password_hashing():
            if scale is None:
                _run(store, plan.in_time_order(), moment, 50, False, progress)
            else:
                _run(store, plan.by_project(), moment, 500, True, progress)
    finally:
        clock.set_clock(previous)
    if scale is None:
        from engine.demo.portfolio import load_practices
        load_practices(store, world.region_id, echo)  # type: ignore[arg-type]
    _record_snapshots(store, echo)
    summary(store, world.region_id, echo, time.monotonic() - started)  # type: ignore[arg-type]
    return world.accounts


def _record_snapshots(store: Store, echo: Callable[[str], Any]) -> None:
    """The daily snapshots of the loaded history, so the tower's cumulative flow diagram
    has data at once (afterwards the scheduler records one a day)."""
    from engine.analytics import rebuild_missing_snapshots
    with store.uow() as uow:
        days = rebuild_missing_snapshots(uow.session, store.workflows, clock.today())
    echo(f"  снимки для диаграммы потока: {len(days)} дн.")


def summary(store: Store, region_id: int, echo: Callable[[str], Any], seconds: float | None = None) -> dict[str, Any]:
    """What the region holds now (printed at the end of a load)."""
    with store.uow() as uow:
        s = uow.session

        def count(stmt: Any) -> int:
            return int(s.execute(stmt).scalar_one())

        org_ids = select(Organization.id).where(Organization.region_id == region_id)
        project_ids = select(Project.id).where(Project.region_id == region_id)
        risks = select(func.count()).select_from(Risk).where(Risk.project_id.in_(project_ids))  # type: ignore[attr-defined]
        out = {
            "municipalities": count(select(func.count()).select_from(Municipality)
                                    .where(Municipality.region_id == region_id)),
            "organizations": count(select(func.count()).select_from(Organization)
                                   .where(Organization.region_id == region_id)),
            "users": count(select(func.count(func.distinct(RoleGrant.user_id))).where(
                RoleGrant.org_id.in_(org_ids) | (RoleGrant.region_id == region_id))),  # type: ignore[union-attr]
            "by_state": counts_by_state(s, region_id=region_id),
            "risks": count(risks),
            "unresolved_risks": count(risks.where(Risk.status.in_(UNRESOLVED_RISK))),  # type: ignore[attr-defined]
            "critical_risks": count(risks.where(Risk.status.in_(UNRESOLVED_RISK), Risk.score >= 15)),  # type: ignore[attr-defined]
            "stalled": len(stalled_projects(s, store.workflows, region_id=region_id)),
            "pending": pending_approvals(s, region_id=region_id),
            "events": count(select(func.count()).select_from(Event)),
        }
    wf = store.workflows.latest("psr")
    states = ", ".join(f"{wf.state(k).title.ru if wf and wf.has_state(k) else k} {v}"  # type: ignore[union-attr]
                       for k, v in sorted(out["by_state"].items(),
                                          key=lambda kv: wf.state_index(kv[0]) if wf else 0))
    pending = out["pending"]
    took = f" за {seconds:.0f} с" if seconds is not None else ""
    echo(f"Готово{took}: {_count(out['municipalities'], 'муниципалитет', 'муниципалитета', 'муниципалитетов')}, "
         f"{_count(out['organizations'], 'организация', 'организации', 'организаций')}, "
         f"{_count(out['users'], 'пользователь', 'пользователя', 'пользователей')}.")
    echo(f"Проекты ({sum(out['by_state'].values())}): {states}.")
    echo(f"Зависших: {out['stalled']}; запросов на согласовании: {len(pending)} "
         f"(ждут дольше 3 дней: {sum(1 for p in pending if p['waiting_days'] > 3)}); "
         f"рисков: {out['risks']} (нерешённых {out['unresolved_risks']}, критических {out['critical_risks']}); "
         f"всего событий в журнале: {out['events']}.")
    return out

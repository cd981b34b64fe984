"""The world of a demo region: the region, municipalities, organisations and people (the
Oryol region from engine/demo/data/region.yaml, or a generated one in scale mode), and
the steps that create them."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import partial
from typing import cast

from engine.db import UnitOfWork
from engine.demo.content import OrgKind, content
from engine.demo.timeline import SETUP_DAYS, Plan
from engine.models import pk
from engine.policy import SYSTEM, Actor, Grant
from engine.services import (
    create_municipality,
    create_organization,
    create_region,
    create_user,
)
from engine.text import counted

C = content()  # the Russian content (engine/demo/data/*.yaml), read and validated once

# --- the world: region, municipalities, organisations, people ---------------------------------

@dataclass(eq=False)
class Person:
    name: str
    email: str
    role: str  # admin | curator | head | member
    job: str = ""
    id: int | None = None
    # set when the account is created, which comes before every step of the person
    actor: Actor = cast(Actor, None)


@dataclass(eq=False)
class Mun:
    name: str
    kind: str
    id: int | None = None


@dataclass(eq=False)
class Org:
    name: str
    kind: OrgKind
    mun: Mun
    id: int | None = None
    head: Person = cast(Person, None)  # set as soon as the organisation is built
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
    region_id: int = cast(int, None)  # set by the first step, which creates the region


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


def municipalities() -> list[tuple[str, str]]:
    """The demo region's (Oryol oblast's) municipalities: (kind, name), kind city | district."""
    return list(C.region.municipalities)


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
    demo = next(o for o in orgs if o.name == C.region.demo_school)
    other = next(o for o in orgs if o.name != C.region.demo_school and o.kind == "school" and o.head)
    accounts = [_account(C.region.admin_email, "admin", "вся система"),
                _account(C.region.curator_email, "curator", C.region.region_name),
                _account(C.region.head_email, "head", demo.name),
                _account(C.region.member_email, "member", demo.name),
                # another school's head: what one school does not see of another
                _account(other.head.email, "head", other.name)]
    return World(C.region.region_name, C.region.region_code, list(muns.values()), orgs,
                 Person(C.region.curator_name, C.region.curator_email, "curator", "куратор региональной площадки"),
                 Person(C.region.admin_name, C.region.admin_email, "admin"), accounts)


def _account(email: str, role: str, place: str) -> dict[str, str]:
    """A demo account as `leanschool demo` prints it: who to sign in as, and where they work."""
    return {"email": email, "password": C.region.password, "role": role, "place": place}




def scale_region_name(n: int, region: int | None = None) -> str:
    """«Демо-регион (N проектов)», or with ``region`` k (one of several) «Демо-регион №k (N проектов)»."""
    number = f" №{region}" if region is not None else ""
    return f"Демо-регион{number} ({counted(n, 'проект', 'проекта', 'проектов')})"


KINDS: list[OrgKind] = ["school", "kindergarten", "college", "other"]


def scale_world(rng: random.Random, n: int, admin_exists: bool, region: int | None = None) -> World:
    """A generated region of n projects; ``region`` k: the k-th of several (its own name,
    code and e-mails)."""
    names = Names(rng)
    tag = f"s{n}" if region is None else f"s{n}r{region}"
    n_orgs = max(5, round(n / 2.5))
    n_muns = max(3, n_orgs // 20)
    roots = [f"{p}{r.lower() if p and not p.endswith('-') else r}"
             for p in C.names.municipality_prefixes for r in C.names.municipality_roots]
    muns = [Mun(f"{roots[k % len(roots)]} район" + (f" №{k // len(roots) + 1}" if k >= len(roots) else ""),
                "district") for k in range(n_muns)]
    orgs = []
    for k in range(n_orgs):
        mun = muns[k % n_muns]
        kind: OrgKind = rng.choices(KINDS, weights=[55, 27, 8, 10])[0]
        num = k // n_muns + 1
        name = {"school": f"МБОУ «Средняя общеобразовательная школа №{num}»",
                "kindergarten": f"МБДОУ «Детский сад №{num} «{rng.choice(C.names.kindergarten_names)}»»",
                "college": f"БПОУ «{rng.choice(C.names.college_names).capitalize()} №{num}»",
                "other": f"МБУ ДО «{rng.choice(C.names.other_org_names)} №{num}»"}[kind]
        org = Org(f"{name} ({mun.name})", kind, mun)
        head_name, member_name = names.person(0.75), names.person()
        suffix = "" if k == 0 else str(k + 1)
        org.head = Person(head_name, f"head{suffix}.{tag}@demo.leanschool.ru", "head", C.names.head_title[kind])
        org.members.append(Person(member_name, f"member{suffix}.{tag}@demo.leanschool.ru", "member",
                                  rng.choice(C.names.member_roles[kind])))
        orgs.append(org)
    curator = Person(names.person(), f"curator.{tag}@demo.leanschool.ru", "curator", "куратор")
    admin = None if admin_exists else Person(C.region.admin_name, C.region.admin_email, "admin")
    accounts = [_account(C.region.admin_email, "admin", "вся система"),
                _account(curator.email, "curator", scale_region_name(n, region)),
                _account(orgs[0].head.email, "head", orgs[0].name),
                _account(orgs[0].members[0].email, "member", orgs[0].name)]
    return World(scale_region_name(n, region), "99" if region is None else f"{region:02d}", muns, orgs, curator,
                 admin, accounts)


def plan_world(plan: Plan, world: World) -> None:
    """Region, municipalities, organisations and people, created by the system as an
    administrator does (the CLI acts as SYSTEM too)."""
    d = -SETUP_DAYS

    def region(uow: UnitOfWork) -> None:
        world.region_id = pk(create_region(uow, SYSTEM, {"name": world.region_name, "code": world.region_code}))

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
                             {pk(org): world.region_id} if org else {})

    plan.add(d, "регион", region)
    for mun in world.muns:
        plan.add(d, f"муниципалитет {mun.name}", partial(municipality, mun=mun))
    if world.admin:
        plan.add(d, "администратор", partial(user, person=world.admin, org=None))
    plan.add(d, "куратор", partial(user, person=world.curator, org=None))
    for org in world.orgs:
        plan.add(d, f"организация {org.name}", partial(organization, org=org))
        for person in [org.head, *org.members]:
            plan.add(d + 0.01, f"пользователь {person.email}", partial(user, person=person, org=org))

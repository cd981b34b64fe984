"""Planning the import of users and their roles (columns: USER_COLUMNS).

A member or head belongs to an organisation, given by its ИНН or by its name (with the
municipality when the name alone is ambiguous); a curator to a region (the «Регион»
column, else the import's region); an admin to nothing. A new user gets a random
password (``Plan.passwords`` after applying; only its hash is stored); an existing user
keeps theirs, gets a changed name, and gets the row's role when they lack it.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from engine import passwords
from engine.db import UnitOfWork
from engine.io.onboarding.common import (
    EMAIL,
    MAX,
    ROLE_RU,
    ROLES,
    USER_COLUMNS,
    Municipalities,
    Outcome,
    Plan,
    Row,
    find_region,
    ignored_columns,
    no_region,
    norm,
    resolve_columns,
    unknown_municipality,
)
from engine.io.tabular import Table
from engine.models import Organization, Region, RoleGrant, User, pk
from engine.policy import GLOBAL_ROLES, ORG_ROLES, REGION_ROLES, SYSTEM
from engine.schemas import inn_is_valid
from engine.services.admin import create_user, grant_role, update_user, user_by_email
from engine.text import Text

PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no l/1, O/0
PASSWORD_LENGTH = 12


def new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


class _World:
    """What the rows are matched against, read once."""

    def __init__(self, uow: UnitOfWork):
        s = uow.session
        self.regions = list(s.execute(select(Region).order_by(col(Region.id))).scalars())
        self.orgs = list(s.execute(select(Organization)).scalars())
        self.org_by_inn = {o.inn: o for o in self.orgs if o.inn}
        self.users = {u.email: u for u in s.execute(select(User)).scalars()}
        self.grants = {(g.user_id, g.role, g.org_id, g.region_id, g.municipality_id)
                       for g in s.execute(select(RoleGrant)).scalars()}
        self.muns = Municipalities(uow)

    def region(self, name: str) -> Region | None:
        return next((r for r in self.regions if norm(r.name) == norm(name) or str(r.id) == name), None)


def plan_users(uow: UnitOfWork, table: Table, region_ref: str | None = None) -> Plan:
    """What importing ``table`` as users would do; writes nothing."""
    index, written = resolve_columns(table, USER_COLUMNS)
    default_region = find_region(uow, region_ref)
    plan = Plan("users", default_region)
    plan.ignored_columns = ignored_columns(table, index)
    world = _World(uow)
    seen_email: dict[str, tuple[int, str]] = {}
    seen_grant: dict[tuple[str, str, int | None, int | None, int | None], int] = {}
    for number, cells in table.rows:
        row = Row(plan, number, cells, index, written)
        email = row.required("email", MAX["email"]).lower()
        if email and len(email) <= MAX["email"] and not EMAIL.match(email):
            row.error("email", Text(f"неверный адрес электронной почты «{email}»",
                                    f"not a valid e-mail address «{email}»"))
        name = row.required("name", MAX["user_name"])
        role = _role(row)
        region = default_region
        if row["region"]:
            region = world.region(row["region"])
            if region is None:
                row.error("region", Text(f"нет региона «{row['region']}»", f"no region «{row['region']}»"))
        org_id = region_id = municipality_id = None
        scope = ""
        if role in ORG_ROLES:
            org = _organisation(row, plan, world, region)
            if org is not None:
                org_id, scope = org.id, org.name
        elif role in REGION_ROLES:
            # a municipality makes a municipal curator (their municipality only)
            _nothing_of(row, ("inn", "organisation"), Text("куратору", "a curator"))
            if region is None and not row["region"]:
                no_region(row, "region")
            elif region is not None:
                region_id, scope = region.id, region.name
                if row["municipality"]:
                    mun = world.muns.find(region, row["municipality"])
                    if mun is None:
                        unknown_municipality(row, plan, world.muns, region, row["municipality"])
                    else:
                        municipality_id, scope = mun.id, mun.name
        elif role in GLOBAL_ROLES:
            _nothing_of(row, ("inn", "organisation", "municipality", "region"), Text("администратору", "an admin"))
        if not row.ok:
            continue
        assert role is not None
        if email in seen_email and seen_email[email][1] != name:
            row.error("name", Text(f"ФИО отличается от строки {seen_email[email][0]} с тем же e-mail",
                                   f"the name differs from row {seen_email[email][0]} with the same e-mail"))
        key = (email, role, org_id, region_id, municipality_id)
        if key in seen_grant:
            row.error("email", Text(f"строка повторяет строку {seen_grant[key]} (тот же пользователь и роль)",
                                    f"the row repeats row {seen_grant[key]} (the same user and role)"))
        if not row.ok:
            continue
        first = email not in seen_email
        seen_email.setdefault(email, (number, name))
        seen_grant[key] = number
        label = f"{email}: {ROLE_RU[role]}" + (f" — {scope}" if scope else "")
        plan.outcomes.append(_outcome(plan, world, number, label, first, email, name, role, org_id, region_id,
                                      municipality_id))
    return plan


def _outcome(plan: Plan, world: _World, number: int, label: str, first: bool, email: str, name: str,
             role: str, org_id: int | None, region_id: int | None, municipality_id: int | None = None) -> Outcome:
    user = world.users.get(email)
    if user is None:
        if first:
            data = {"email": email, "name": name, "role": role, "org_id": org_id, "region_id": region_id,
                    "municipality_id": municipality_id}
            return Outcome(number, "create", label, Text(f"новый пользователь «{name}»", f"new user «{name}»"),
                           _create_user(plan, data))
        return Outcome(number, "create", label, Text("ещё одна роль нового пользователя", "another role of a new user"),
                       _grant(email, role, org_id, region_id, municipality_id))
    steps: list[Callable[[UnitOfWork], Any]] = []
    ru: list[str] = []
    en: list[str] = []
    if first and user.name != name:
        steps.append(lambda uow: update_user(uow, SYSTEM, user.id, {"name": name}))
        ru.append(f"ФИО: {user.name} → {name}")
        en.append(f"name: {user.name} → {name}")
    if (user.id, role, org_id, region_id, municipality_id) not in world.grants:
        steps.append(_grant(email, role, org_id, region_id, municipality_id))
        ru.append(f"добавлена роль «{ROLE_RU[role]}»")
        en.append(f"role «{role}» granted")
    if not steps:
        return Outcome(number, "unchanged", label)

    def update(uow: UnitOfWork) -> None:
        for step in steps:
            step(uow)
    return Outcome(number, "update", label, Text("; ".join(ru), "; ".join(en)), update)


def _role(row: Row) -> str | None:
    raw = row.required("role")
    role = ROLES.get(norm(raw)) if raw else None
    if raw and role is None:
        row.error("role", Text(f"неизвестная роль «{raw}»; допустимо: участник, руководитель, координатор, "
                               "куратор, администратор (member, head, coordinator, curator, admin)",
                               f"unknown role «{raw}»; expected one of: member, head, coordinator, curator, admin "
                               "(участник, руководитель, координатор, куратор, администратор)"))
    return role


def _nothing_of(row: Row, keys: tuple[str, ...], whom: Text) -> None:
    for key in keys:
        if row[key]:
            row.error(key, Text(f"{whom.ru} это поле не указывается", f"{whom.en} takes no such field"))


def _organisation(row: Row, plan: Plan, world: _World, region: Region | None) -> Organization | None:
    inn, name = row["inn"], row["organisation"]
    if inn:
        if not inn_is_valid(inn):
            row.error("inn", Text(f"неверный ИНН «{inn}»", f"not a valid INN «{inn}»"))
            return None
        org = world.org_by_inn.get(inn)
        if org is None:
            row.error("inn", Text(f"нет организации с ИНН {inn}; сначала импортируйте организации",
                                  f"no organisation with INN {inn}; import the organisations first"))
        elif name and norm(name) != norm(org.name):
            row.error("organisation", Text(f"ИНН {inn} принадлежит «{org.name}», а не «{name}»",
                                           f"INN {inn} belongs to «{org.name}», not «{name}»"))
        elif row["region"] and region is not None and org.region_id != region.id:
            row.error("region", Text(f"организация с ИНН {inn} не из региона «{region.name}»",
                                     f"the organisation with INN {inn} is not in the region «{region.name}»"))
        return org
    if not name:
        row.error("organisation", Text("для участника и руководителя нужна организация: ИНН или наименование",
                                       "a member or head needs an organisation: its INN or its name"))
        return None
    if region is None:
        no_region(row, "organisation")
        return None
    found = [o for o in world.orgs if o.region_id == region.id and norm(o.name) == norm(name)]
    where = region.name
    if row["municipality"]:
        mun = world.muns.find(region, row["municipality"])
        if mun is None:
            unknown_municipality(row, plan, world.muns, region, row["municipality"])
            return None
        found = [o for o in found if o.municipality_id == mun.id]
        where = mun.name
    if not found:
        row.error("organisation", Text(f"нет организации «{name}» ({where}); сначала импортируйте организации",
                                       f"no organisation «{name}» ({where}); import the organisations first"))
        return None
    if len(found) > 1:
        row.error("organisation", Text(f"организаций «{name}» несколько; укажите муниципалитет или ИНН",
                                       f"several organisations are called «{name}»; give the municipality or INN"))
        return None
    return found[0]


def _create_user(plan: Plan, data: dict[str, Any]) -> Callable[[UnitOfWork], None]:
    def create(uow: UnitOfWork) -> None:
        password = new_password()
        with passwords.hashing_at_most(passwords.GENERATED_N):  # a generated password: see GENERATED_N
            create_user(uow, SYSTEM, {**data, "password": password})
        plan.passwords.append((data["email"], password))
    return create


def _grant(email: str, role: str, org_id: int | None, region_id: int | None,
           municipality_id: int | None = None) -> Callable[[UnitOfWork], None]:
    def grant(uow: UnitOfWork) -> None:
        grant_role(uow, SYSTEM, pk(user_by_email(uow, email)), role, org_id, region_id, municipality_id)
    return grant

"""Planning the import of organisations (columns: ORG_COLUMNS)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import select

from engine.db import OneTransaction, UnitOfWork
from engine.io.onboarding.common import (
    KIND_RU,
    KINDS,
    MAX,
    ORG_COLUMNS,
    Municipalities,
    Outcome,
    Plan,
    Row,
    find_region,
    ignored_columns,
    norm,
    resolve_columns,
    unknown_municipality,
)
from engine.io.tabular import BadFile, Table
from engine.models import Municipality, Organization, Region, pk
from engine.policy import SYSTEM
from engine.schemas import inn_is_valid
from engine.services.admin import create_municipality, create_organization, create_region, update_organization
from engine.text import Text


def plan_organizations(uow: UnitOfWork, table: Table, region_ref: str | None = None,
                       create_missing: bool = False) -> Plan:
    """What importing ``table`` as organisations would do; writes nothing, except with
    ``create_missing``: then a region ``region_ref`` that does not exist yet and the
    municipalities the file names that the region lacks are created first, through the
    admin services, in ``uow``'s transaction (kept only when the caller commits)."""
    index, written = resolve_columns(table, ORG_COLUMNS)
    created_region = False
    if create_missing and region_ref and _region_is_new(uow, region_ref):
        create_region(OneTransaction(uow), SYSTEM, {"name": region_ref.strip()})
        created_region = True
    region = find_region(uow, region_ref)
    plan = Plan("orgs", region, created_region=created_region)
    plan.ignored_columns = ignored_columns(table, index)
    if region is None:
        raise BadFile(Text("укажите регион: --region НАЗВАНИЕ (в базе нет регионов или их несколько)",
                           "give the region: --region NAME (the database has none or several)"))
    muns = Municipalities(uow)
    orgs = list(uow.session.execute(select(Organization)).scalars())
    by_inn = {o.inn: o for o in orgs if o.inn}
    by_key = {(o.municipality_id, norm(o.name)): o for o in orgs}
    seen_inn: dict[str, int] = {}
    seen_key: dict[tuple[int | None, str], int] = {}
    for number, cells in table.rows:
        row = Row(plan, number, cells, index, written)
        inn, name = row["inn"], row.required("name", MAX["org_name"])
        if inn and not inn_is_valid(inn):
            row.error("inn", Text(f"неверный ИНН «{inn}»: нужно 10 цифр с верной контрольной цифрой",
                                  f"not a valid INN «{inn}»: 10 digits with a correct check digit"))
        kind = _kind(row)
        mun = None
        if row.required("municipality"):
            mun = muns.find(region, row["municipality"])
            if mun is None and create_missing and len(row["municipality"]) <= MAX["municipality"]:
                mun = _create_municipality(uow, muns, region, row["municipality"])
                plan.created_municipalities.append(mun.name)
            if mun is None:
                unknown_municipality(row, plan, muns, region, row["municipality"])
        if not row.ok or mun is None:
            continue
        key = (mun.id, norm(name))
        if inn and inn in seen_inn:
            row.error("inn", Text(f"ИНН {inn} уже был в строке {seen_inn[inn]}",
                                  f"INN {inn} is in row {seen_inn[inn]} already"))
        elif key in seen_key:
            row.error("name", Text(f"строка повторяет строку {seen_key[key]} (та же организация, тот же муниципалитет)",
                                   f"the row repeats row {seen_key[key]} (the same organisation and municipality)"))
        if not row.ok:
            continue
        seen_key[key] = number
        if inn:
            seen_inn[inn] = number
        org = by_inn.get(inn) if inn else None
        if org is not None and org.region_id != region.id:
            row.error("inn", Text(f"ИНН {inn} уже у организации «{org.name}» другого региона",
                                  f"INN {inn} belongs to «{org.name}» of another region"))
            continue
        if org is None:
            org = by_key.get(key)
            if org is not None and inn and org.inn and org.inn != inn:
                row.error("inn", Text(f"«{org.name}» ({mun.name}) уже есть с другим ИНН: {org.inn}",
                                      f"«{org.name}» ({mun.name}) exists with another INN: {org.inn}"))
                continue
        label = f"{name} ({mun.name})"
        data: dict[str, Any] = {"name": name, "kind": kind, "municipality_id": mun.id}
        if inn:
            data["inn"] = inn
        if org is None:
            plan.outcomes.append(Outcome(number, "create", label, None, _create_org(data)))
            continue
        changes = {k: v for k, v in data.items() if getattr(org, k) != v}
        if not changes:
            plan.outcomes.append(Outcome(number, "unchanged", label))
            continue
        shown = {"name": (org.name, name), "kind": (KIND_RU[org.kind], KIND_RU[cast(str, kind)]),  # row.ok: kind read
                 "municipality_id": (_mun_name(uow, org.municipality_id), mun.name), "inn": (org.inn or "—", inn)}
        ru = {"name": "наименование", "kind": "тип", "municipality_id": "муниципалитет", "inn": "ИНН"}
        en = {"name": "name", "kind": "kind", "municipality_id": "municipality", "inn": "INN"}
        details = Text("; ".join(f"{ru[k]}: {shown[k][0]} → {shown[k][1]}" for k in changes),
                       "; ".join(f"{en[k]}: {shown[k][0]} → {shown[k][1]}" for k in changes))
        plan.outcomes.append(Outcome(number, "update", label, details, _update_org(org.id, changes)))
    return plan


def _kind(row: Row) -> str | None:
    raw = row.required("kind")
    if not raw:
        return None
    kind = KINDS.get(norm(raw))
    if kind is None:
        row.error("kind", Text(f"неизвестный тип «{raw}»; допустимо: школа, детский сад, колледж, другое "
                               "(school, kindergarten, college, other)",
                               f"unknown kind «{raw}»; expected one of: school, kindergarten, college, other "
                               "(школа, детский сад, колледж, другое)"))
    return kind


def _region_is_new(uow: UnitOfWork, ref: str) -> bool:
    return not any(str(r.id) == ref.strip() or norm(r.name) == norm(ref)
                   for r in uow.session.execute(select(Region)).scalars())


def _create_municipality(uow: UnitOfWork, muns: Municipalities, region: Region, name: str) -> Municipality:
    """A municipality the file names and the region lacks: «г. …» is a city, else a district."""
    name = " ".join(name.split())
    kind = "city" if name.lower().startswith(("г.", "город ")) else "district"
    mun = create_municipality(OneTransaction(uow), SYSTEM, {"region_id": region.id, "name": name, "kind": kind})
    muns.by_region.setdefault(pk(region), []).append(mun)
    return mun


def _mun_name(uow: UnitOfWork, mun_id: int) -> str:
    mun = uow.session.get(Municipality, mun_id)
    return mun.name if mun else "?"


def _create_org(data: dict[str, Any]) -> Callable[[UnitOfWork], None]:
    def create(uow: UnitOfWork) -> None:
        create_organization(uow, SYSTEM, data)
    return create


def _update_org(org_id: int, changes: dict[str, Any]) -> Callable[[UnitOfWork], None]:
    def update(uow: UnitOfWork) -> None:
        update_organization(uow, SYSTEM, org_id, changes)
    return update

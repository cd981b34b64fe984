"""Planning the import of a programme's participants (columns: PARTICIPANT_COLUMNS).

Each row names an organisation of the programme's region that exists already (imported
with ``import orgs``): by its ИНН, else by (municipality, name). Its wave and the date it
joined are optional (wave 1, today). An organisation that takes part already is
``unchanged`` (a different wave in the file is reported, not applied: the programme's
record stands); a withdrawn one is reported as such and not re-added.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.db import UnitOfWork
from engine.io.onboarding.common import (
    MAX,
    PARTICIPANT_COLUMNS,
    Municipalities,
    Outcome,
    Plan,
    Row,
    ignored_columns,
    norm,
    resolve_columns,
    unknown_municipality,
)
from engine.io.tabular import BadFile, Table
from engine.models import Organization, Participant, Programme, Region, pk
from engine.policy import SYSTEM
from engine.programme.service import add_participant
from engine.text import Text
from engine.vocab import ParticipantStatus

_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")  # as a Russian Excel shows it: 01.09.2021


def plan_participants(uow: UnitOfWork, table: Table, programme_ref: str) -> Plan:
    """What importing ``table`` as participants of the programme ``programme_ref`` (its id)
    would do; writes nothing."""
    prog = _programme(uow, programme_ref)
    region = uow.session.get(Region, prog.region_id)
    index, written = resolve_columns(table, PARTICIPANT_COLUMNS)
    if "inn" not in index and "name" not in index:
        raise BadFile(Text("нужен столбец «ИНН» или «Наименование» (с «Муниципалитет»), чтобы найти организацию",
                           "an «ИНН» (inn) or «Наименование» (name) column is needed to find the organisation"))
    plan = Plan("participants", region)
    plan.ignored_columns = ignored_columns(table, index)
    muns = Municipalities(uow)
    orgs = list(uow.session.execute(select(Organization).where(col(Organization.region_id) == prog.region_id))
                .scalars())
    by_inn = {o.inn: o for o in orgs if o.inn}
    by_key = {(o.municipality_id, norm(o.name)): o for o in orgs}
    taking_part = {p.org_id: p for p in uow.session.execute(
        select(Participant).where(col(Participant.programme_id) == prog.id)).scalars()}
    seen: dict[int, int] = {}
    for number, cells in table.rows:
        row = Row(plan, number, cells, index, written)
        org = _find_org(row, plan, muns, region, by_inn, by_key)  # type: ignore[arg-type]  # a programme's region exists
        wave = _wave(row)
        joined_on = _date(row)
        if not row.ok or org is None:
            continue
        oid = pk(org)
        if oid in seen:
            row.error("name", Text(f"организация уже была в строке {seen[oid]}",
                                   f"the organisation is in row {seen[oid]} already"))
            continue
        seen[oid] = number
        part = taking_part.get(oid)
        if part is not None:
            if part.status == ParticipantStatus.WITHDRAWN.value:
                details = Text("выбыла из программы; чтобы вернуть, обратитесь к куратору программы",
                               "withdrew from the programme; ask the programme's curator to bring it back")
            elif wave is not None and wave != part.wave:
                details = Text(f"уже участвует (волна {part.wave}); волна {wave} из файла не применена",
                               f"takes part already (wave {part.wave}); the file's wave {wave} is not applied")
            else:
                details = None
            plan.outcomes.append(Outcome(number, "unchanged", org.name, details))
            continue
        plan.outcomes.append(Outcome(number, "create", org.name,
                                     Text(f"волна {wave or 1}", f"wave {wave or 1}"),
                                     _join(pk(prog), oid, joined_on or clock.today(), wave or 1)))
    return plan


def _programme(uow: UnitOfWork, ref: str) -> Programme:
    prog = uow.session.get(Programme, int(ref)) if ref.strip().isdigit() and len(ref) < 10 else None
    if prog is None:
        known = ", ".join(f"{p.id} «{p.title}»" for p in uow.session.execute(
            select(Programme).order_by(col(Programme.id))).scalars()) or "—"
        raise BadFile(Text(f"нет программы {ref}; есть: {known}", f"no programme {ref}; there are: {known}"))
    return prog


def _find_org(row: Row, plan: Plan, muns: Municipalities, region: Region,
              by_inn: dict[str, Organization], by_key: dict[tuple[int, str], Organization]) -> Organization | None:
    inn, name = row["inn"], row["name"]
    if inn:
        org = by_inn.get(inn)
        if org is None:
            row.error("inn", Text(f"в регионе «{region.name}» нет организации с ИНН {inn} "
                                  "(сначала импортируйте организации: import orgs)",
                                  f"no organisation with INN {inn} in the region «{region.name}» "
                                  "(import the organisations first: import orgs)"))
        return org
    if not name:
        row.error("name", Text("укажите ИНН или наименование организации", "give the INN or the organisation's name"))
        return None
    if len(name) > MAX["org_name"]:
        row.required("name", MAX["org_name"])
        return None
    if not row.required("municipality"):
        return None
    mun = muns.find(region, row["municipality"])
    if mun is None:
        unknown_municipality(row, plan, muns, region, row["municipality"])
        return None
    org = by_key.get((pk(mun), norm(name)))
    if org is None:
        row.error("name", Text(f"нет организации «{name}» в муниципалитете «{mun.name}»",
                               f"no organisation «{name}» in the municipality «{mun.name}»"))
    return org


def _wave(row: Row) -> int | None:
    raw = row["wave"]
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        row.error("wave", Text(f"волна — целое число от 1 до 100, а здесь «{raw}»",
                               f"the wave is a whole number from 1 to 100, here «{raw}»"))
        return None
    return int(raw)


def _date(row: Row) -> date | None:
    raw = row["joined_on"].strip()
    if not raw:
        return None
    m = _DATE.match(raw)
    try:
        if m:
            return date(int(m[3]), int(m[2]), int(m[1]))
        return date.fromisoformat(raw[:10])  # an Excel date cell comes as ISO (engine.io.tabular)
    except ValueError:
        row.error("joined_on", Text(f"не дата: «{raw}»; нужно ДД.ММ.ГГГГ, например 01.09.2021",
                                    f"not a date: «{raw}»; expected DD.MM.YYYY, e.g. 01.09.2021"))
        return None


def _join(programme_id: int, org_id: int, joined_on: date, wave: int) -> Callable[[UnitOfWork], None]:
    def join(uow: UnitOfWork) -> None:
        add_participant(uow, SYSTEM, programme_id,
                        {"org_id": org_id, "joined_on": joined_on.isoformat(), "wave": wave})
    return join

"""What both imports share: columns, name matching, the plan, and applying it."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal, cast

from sqlalchemy import select
from sqlmodel import col

from engine import policy
from engine.db import OneTransaction, UnitOfWork
from engine.errors import DomainError, ValidationFailed
from engine.io.tabular import BadFile, Table
from engine.models import Municipality, Region, pk
from engine.text import Text

Action = Literal["create", "update", "unchanged"]


# --- columns --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    key: str
    title: str  # as in the example files and the README
    aliases: tuple[str, ...]
    required: bool = False


_MUNICIPALITY = ("municipality", "муниципалитет", "муниципальное образование", "мо", "район")
ORG_COLUMNS = (
    Column("inn", "ИНН", ("inn", "инн")),
    Column("name", "Наименование", ("name", "наименование", "название", "организация",
                                    "organisation", "organization"), True),
    Column("kind", "Тип", ("kind", "type", "тип", "вид", "тип организации"), True),
    Column("municipality", "Муниципалитет", _MUNICIPALITY, True),
)
USER_COLUMNS = (
    Column("email", "E-mail", ("email", "e-mail", "почта", "эл. почта", "электронная почта", "адрес эл. почты"),
           True),
    Column("name", "ФИО", ("name", "full name", "фио", "имя"), True),
    Column("role", "Роль", ("role", "роль"), True),
    Column("inn", "ИНН", ("inn", "инн", "инн организации")),
    Column("organisation", "Организация", ("organisation", "organization", "организация")),
    Column("municipality", "Муниципалитет", _MUNICIPALITY),
    Column("region", "Регион", ("region", "регион")),
)

PARTICIPANT_COLUMNS = (
    Column("inn", "ИНН", ("inn", "инн", "инн организации")),
    Column("name", "Наименование", ("name", "наименование", "название", "организация",
                                    "organisation", "organization")),
    Column("municipality", "Муниципалитет", _MUNICIPALITY),
    Column("wave", "Волна", ("wave", "волна")),
    Column("joined_on", "Дата вступления", ("joined on", "joined_on", "дата вступления", "дата включения",
                                            "вступила", "с")),
)

KINDS = {"school": "school", "kindergarten": "kindergarten", "college": "college", "other": "other",
         "школа": "school", "детский сад": "kindergarten", "доу": "kindergarten", "колледж": "college",
         "спо": "college", "техникум": "college", "другое": "other", "другая": "other", "дод": "other"}
KIND_RU = {"school": "школа", "kindergarten": "детский сад", "college": "колледж", "other": "другое"}
ROLE_RU = {"member": "участник", "head": "руководитель", "coordinator": "координатор", "curator": "куратор",
           "admin": "администратор"}
ROLES = {**{r: r for r in policy.ROLES}, **{ru: r for r, ru in ROLE_RU.items()}}  # a file's word -> role
EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
MAX = {"org_name": 300, "user_name": 200, "email": 254, "municipality": 200}  # engine.models
REQUIRED = Text("обязательное поле не заполнено", "a required field is empty")


def norm(value: str) -> str:
    """The matching key of a name: case, spaces, quotes and ё/е do not count."""
    value = re.sub(r"[«»\"“”„'’`]", " ", value.casefold().replace("ё", "е"))
    return " ".join(value.split())


def loose(value: str) -> str:
    """``norm`` without the words that say what kind of municipality it is."""
    words = [w for w in norm(value).replace(".", ". ").split()
             if w not in ("г.", "г", "город", "район", "муниципальный", "округ", "городской")]
    return " ".join(words)


def resolve_columns(table: Table, columns: Iterable[Column]) -> tuple[dict[str, int], dict[str, str]]:
    """{key: index} and {key: the header as written}; BadFile naming missing or repeated columns."""
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    by_alias = {norm(a): c for c in columns for a in c.aliases}
    for i, header in enumerate(table.headers):
        col = by_alias.get(norm(header).rstrip(" *:"))
        if col is None:
            continue
        if col.key in index:
            raise BadFile(Text(f"столбцы «{written[col.key]}» и «{header}» означают одно и то же ({col.key})",
                               f"columns «{written[col.key]}» and «{header}» mean the same ({col.key})"))
        index[col.key], written[col.key] = i, header
    for c in columns:
        written.setdefault(c.key, c.title)  # how messages name a column the file lacks
    missing = [c for c in columns if c.required and c.key not in index]
    if missing:
        names = ", ".join(f"«{c.title}» ({c.key})" for c in missing)
        found = ", ".join(f"«{h}»" for h in table.headers if h)
        raise BadFile(Text(f"нет обязательного столбца: {names}; в файле есть: {found}",
                           f"a required column is missing: {names}; the file has: {found}"))
    return index, written


# --- the plan ---------------------------------------------------------------------------------

@dataclass
class RowError:
    row: int
    column: str
    text: Text


@dataclass
class Outcome:
    row: int
    action: Action
    label: str
    details: Text | None = None
    apply: Callable[[UnitOfWork], None] | None = None  # None when unchanged


@dataclass
class Plan:
    kind: Literal["orgs", "users", "participants", "enrolments"]
    region: Region | None
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unknown_municipalities: list[str] = field(default_factory=list)
    known_municipalities: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)  # headers no column means (a typo?)
    created_region: bool = False  # --create-missing: the region was created (in the import's transaction)
    created_municipalities: list[str] = field(default_factory=list)  # --create-missing
    passwords: list[tuple[str, str]] = field(default_factory=list)  # filled by apply_plan

    @property
    def bad_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})

    @property
    def steps(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.apply is not None]

    def count(self, action: Action) -> int:
        return sum(1 for o in self.outcomes if o.action == action)


class Row:
    """One row's cells by column key, and its errors."""

    def __init__(self, plan: Plan, number: int, cells: list[str], index: dict[str, int], written: dict[str, str]):
        self.plan, self.number, self.written = plan, number, written
        self.values = {key: cells[i] if i < len(cells) else "" for key, i in index.items()}
        self.ok = True

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "")

    def error(self, key: str, text: Text) -> None:
        self.plan.errors.append(RowError(self.number, self.written.get(key, key), text))
        self.ok = False

    def required(self, key: str, max_length: int | None = None) -> str:
        value = self[key]
        if not value:
            self.error(key, REQUIRED)
        elif max_length and len(value) > max_length:
            self.error(key, Text(f"слишком длинное значение: допустимо символов не более {max_length}, "
                                 f"а здесь {len(value)}",
                                 f"too long: at most {max_length} characters, here {len(value)}"))
        return value


def ignored_columns(table: Table, index: dict[str, int]) -> list[str]:
    used = set(index.values())
    return [h for i, h in enumerate(table.headers) if h and i not in used]


def find_region(uow: UnitOfWork, ref: str | None) -> Region | None:
    """The region named (or numbered) ``ref``; without it, the only region there is."""
    regions = list(uow.session.execute(select(Region).order_by(col(Region.id))).scalars())
    if ref:
        for r in regions:
            if str(r.id) == ref.strip() or norm(r.name) == norm(ref):
                return r
        raise BadFile(Text(f"нет региона «{ref}»; есть: " + ", ".join(r.name for r in regions),
                           f"no region «{ref}»; there are: " + ", ".join(r.name for r in regions)))
    return regions[0] if len(regions) == 1 else None


class Municipalities:
    def __init__(self, uow: UnitOfWork):
        self.by_region: dict[int, list[Municipality]] = {}
        for m in uow.session.execute(select(Municipality).order_by(Municipality.name)).scalars():
            self.by_region.setdefault(m.region_id, []).append(m)

    def find(self, region: Region, name: str) -> Municipality | None:
        muns = self.by_region.get(pk(region), [])
        exact = [m for m in muns if norm(m.name) == norm(name)]
        near = exact or [m for m in muns if loose(m.name) == loose(name)]
        return near[0] if len(near) == 1 else None

    def names(self, region: Region) -> list[str]:
        return [m.name for m in self.by_region.get(pk(region), [])]


def unknown_municipality(row: Row, plan: Plan, muns: Municipalities, region: Region, name: str) -> None:
    row.error("municipality", Text(f"нет муниципалитета «{name}» в регионе «{region.name}»",
                                   f"no municipality «{name}» in the region «{region.name}»"))
    if name not in plan.unknown_municipalities:
        plan.unknown_municipalities.append(name)
    plan.known_municipalities = muns.names(region)


def no_region(row: Row, key: str) -> None:
    row.error(key, Text("не понятно, какой регион: в базе несколько регионов; укажите --region или столбец «Регион»",
                        "which region? The database has several; give --region or a «Регион» column"))




# --- applying ---------------------------------------------------------------------------------

class RowFailed(DomainError):
    """A service refused a planned step: the import stops and writes nothing."""
    code = "row_failed"

    def __init__(self, row: int, exc: DomainError):
        if isinstance(exc, ValidationFailed):
            ru = "; ".join(f"{k}: {v.ru}" for k, v in exc.fields.items())
            en = "; ".join(f"{k}: {v.en}" for k, v in exc.fields.items())
        else:
            ru, en = exc.text.ru, exc.text.en
        self.row = row
        super().__init__(Text(f"строка {row}: {ru}; ничего не записано", f"row {row}: {en}; nothing was written"))


def apply_plan(uow: UnitOfWork, plan: Plan, on_step: Callable[[], None] | None = None) -> None:
    """Run the plan's steps through the services in ``uow``'s one transaction (the caller
    commits). RowFailed when a service refuses a step (nothing is written then)."""
    batch = OneTransaction(uow)
    for outcome in plan.steps:
        try:
            cast(Callable[[UnitOfWork], None], outcome.apply)(batch)  # Plan.steps: only outcomes to apply
        except DomainError as exc:
            raise RowFailed(outcome.row, exc) from None
        if on_step:
            on_step()

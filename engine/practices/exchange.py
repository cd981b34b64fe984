"""Practice exchange between installations (#15 item 4; API.md "Practice exchange (CLI)").

    export_document(uow, actor, region_ref=None, installation=None) -> dict   the JSON to write
    plan_import(uow, actor, document, region_ref=None)  -> ImportPlan          validates, writes nothing
    apply_import(uow, actor, plan)                       -> None               writes, one transaction

The file format is schemas/practices-exchange-v1.json (JSON Schema, draft 2020-12):
``{"format": "leanschool-practices", "version": 1, "exported_at", "source": {...},
"practices": [...]}``. A practice travels with its content, its organisation's name, kind
and municipality, and a stable ``key``; never a person's name, an e-mail or a comment.

An imported practice is *external*: it belongs to the importing region, has no project
and no organisation here, and keeps its source (``source_*`` columns). It is keyed by
(region, ``source_key``): importing the same file again changes nothing, a changed
practice is updated (its version goes up), and every creation or update writes a
``practice_imported`` event in the same transaction.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.db import UnitOfWork
from engine.errors import DomainError, Forbidden
from engine.models import Municipality, Organization, Practice, Region
from engine.policy import Actor, can_in_region
from engine.practices.categories import category_id_of, category_ids
from engine.practices.stemming import search_stems_of
from engine.services.common import record
from engine.text import Text
from engine.vocab import EventKind

FORMAT = "leanschool-practices"
VERSION = 1
SCHEMA_FILE = Path(__file__).resolve().parent.parent.parent / "schemas" / "practices-exchange-v1.json"

# the content an import compares and copies (the source fields are compared too)
CONTENT_FIELDS = ("title", "category", "problem", "summary", "solution", "standard",
                  "process_start", "process_end", "effect", "scaling_proposal")
SOURCE_FIELDS = ("source_region", "source_region_code", "source_org", "source_org_kind",
                 "source_municipality", "source_url")


class ExchangeError(DomainError):
    """The file cannot be read or the region cannot be chosen (one message, nothing written)."""
    code = "bad_request"


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return dict(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def _region(uow: UnitOfWork, ref: str | None, required: bool) -> Region | None:
    regions = list(uow.session.execute(select(Region).order_by(col(Region.id))).scalars())
    if ref:
        wanted = " ".join(ref.lower().replace("ё", "е").split())
        for r in regions:
            if str(r.id) == ref.strip() or " ".join(r.name.lower().replace("ё", "е").split()) == wanted:
                return r
        names = ", ".join(r.name for r in regions) or "—"
        raise ExchangeError(Text(f"нет региона «{ref}»; есть: {names}", f"no region «{ref}»; there are: {names}"))
    if len(regions) == 1:
        return regions[0]
    if required:
        names = ", ".join(r.name for r in regions) or "—"
        raise ExchangeError(Text(f"укажите регион (--region); есть: {names}",
                                 f"name the region (--region); there are: {names}"))
    return None


# --- export ----------------------------------------------------------------------------------------

def source_key(region: Region, practice: Practice) -> str:
    """Stable across exports: an external practice keeps the key it came with."""
    if practice.external and practice.source_key:
        return practice.source_key
    return f"{region.code or 'r' + str(region.id)}-{practice.id}"


def export_document(uow: UnitOfWork, actor: Actor, region_ref: str | None = None,
                    installation: str | None = None) -> dict[str, Any]:
    """The published practices of the region (of every region when none is named), own ones
    only (external practices stay with their source), as the v1 document."""
    s = uow.session
    region = _region(uow, region_ref, required=False)
    regions = [region] if region is not None else list(s.execute(select(Region).order_by(col(Region.id))).scalars())
    for r in regions:
        if not can_in_region(actor, "practice.exchange", r.id):  # type: ignore[arg-type]
            raise Forbidden(Text("Выгружать практики может куратор региона",
                                 "Only the region's curator may export practices"))
    by_id = {r.id: r for r in regions}
    rows = s.execute(select(Practice, Organization, Municipality)
                     .join(Organization, col(Organization.id) == col(Practice.org_id))
                     .join(Municipality, col(Municipality.id) == col(Organization.municipality_id))
                     .where(col(Practice.status) == "published", col(Practice.external).is_(False),
                            col(Practice.region_id).in_(list(by_id)))
                     .order_by(col(Practice.id))).all()
    practices = []
    for p, org, mun in rows:
        reg = by_id[p.region_id]
        practices.append({
            "key": source_key(reg, p), "title": p.title, "category": p.category, "problem": p.problem,
            "summary": p.summary, "solution": p.solution, "standard": p.standard,
            "process_start": p.process_start, "process_end": p.process_end,
            "effect": [{k: e.get(k) for k in ("metric", "unit", "direction", "baseline", "result", "change_pct")
                        if k in e} for e in (p.effect or [])],
            "published_at": clock.iso(p.published_at),
            "region": {"name": reg.name, "code": reg.code},
            "organization": {"name": org.name, "kind": org.kind, "municipality": mun.name},
            # optional in v1 (added later): written only when there is one, so an older
            # installation still reads the file of a practice without it
            **({"scaling_proposal": p.scaling_proposal} if p.scaling_proposal else {}),
        })
    source: dict[str, Any] = {"region": {"name": region.name, "code": region.code} if region is not None else None}
    if installation:
        source = {"installation": installation, **source}
    return {"format": FORMAT, "version": VERSION, "exported_at": clock.iso(clock.now()), "source": source,
            "practices": practices}


# --- import: plan ----------------------------------------------------------------------------------

@dataclass
class Problem:
    """One error: the practice (its number from 1 and title; 0 for the file) and the field."""
    index: int
    title: str
    field: str
    text: Text

    def line(self, locale: str | None = "ru") -> str:
        if self.index == 0:
            where = Text(f"файл, поле «{self.field}»", f"file, field «{self.field}»") if self.field else \
                Text("файл", "file")
        else:
            named = f" «{self.title}»" if self.title else ""
            where = Text(f"практика {self.index}{named}, поле «{self.field}»",
                         f"practice {self.index}{named}, field «{self.field}»")
        return f"{where.get(locale)}: {self.text.get(locale)}"


@dataclass
class Step:
    action: str  # create | update | unchanged
    index: int
    key: str
    title: str
    values: dict[str, Any]
    practice_id: int | None = None
    changed: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    region: Region | None
    steps: list[Step] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for s in self.steps if s.action == action)


def read_document(raw: bytes | str) -> Any:
    """The file's JSON; ExchangeError (in Russian, with the line) when it is not JSON."""
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise ExchangeError(Text("файл не в кодировке UTF-8", "the file is not UTF-8")) from None
    except json.JSONDecodeError as exc:
        raise ExchangeError(Text(f"файл не является JSON: строка {exc.lineno}, позиция {exc.colno}",
                                 f"the file is not JSON: line {exc.lineno}, column {exc.colno}")) from None


def _schema_text(error: Any) -> tuple[str, Text]:
    """A JSON Schema error as (field, Russian text)."""
    v, val = error.validator, error.validator_value
    name = str(error.path[-1]) if error.path and not isinstance(error.path[-1], int) else ""
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return missing, Text("обязательное поле", "required field")
    if v == "additionalProperties":
        extra = error.message.split("'")[1] if "'" in error.message else ""
        return extra, Text("неизвестное поле", "unknown field")
    if v == "const":
        return name, Text(f"должно быть {json.dumps(val, ensure_ascii=False)}",
                          f"must be {json.dumps(val, ensure_ascii=False)}")
    if v == "enum":
        allowed = ", ".join(str(x) for x in val)
        return name, Text(f"допустимо: {allowed}", f"allowed: {allowed}")
    if v == "type":
        kinds = {"string": "строка", "number": "число", "integer": "целое число", "object": "объект",
                 "array": "список", "null": "null", "boolean": "да/нет"}
        wanted = " или ".join(kinds.get(str(t), str(t)) for t in (val if isinstance(val, list) else [val]))
        return name, Text(f"неверный тип: нужно {wanted}", f"wrong type: expected {val}")
    if v == "pattern":
        return name, Text("нужна ссылка, начинающаяся с http:// или https://", "expected an http:// or https:// link")
    if v == "minLength":
        return name, Text("не может быть пустым", "must not be empty")
    if v == "maxLength":
        return name, Text(f"не длиннее {val} символов", f"at most {val} characters")
    return name, Text("неверное значение", "invalid value")


def _when(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def plan_import(uow: UnitOfWork, actor: Actor, document: Any, region_ref: str | None = None) -> ImportPlan:
    """Check the whole document (the JSON Schema, then the categories, dates and keys) and
    compare each practice with what the region holds. Writes nothing."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    region = _region(uow, region_ref, required=True)
    assert region is not None
    if not can_in_region(actor, "practice.exchange", region.id):  # type: ignore[arg-type]
        raise Forbidden(Text("Загружать практики может куратор региона",
                             "Only the region's curator may import practices"))
    plan = ImportPlan(region)
    if not isinstance(document, dict):
        plan.errors.append(Problem(0, "", "", Text("нужен объект JSON с полями format, version, practices",
                                                   "expected a JSON object with format, version, practices")))
        return plan
    if document.get("format") != FORMAT or document.get("version") != VERSION:
        got = f"{document.get('format')!s} {document.get('version')!s}"
        plan.errors.append(Problem(0, "", "version", Text(
            f"формат «{got}» не поддерживается; нужен «{FORMAT}» версии {VERSION}",
            f"format «{got}» is not supported; expected «{FORMAT}» version {VERSION}")))
        return plan
    listed = document.get("practices")
    items: list[Any] = listed if isinstance(listed, list) else []

    def title_of(i: int) -> str:
        item = items[i] if 0 <= i < len(items) else None
        return str(item.get("title") or "")[:80] if isinstance(item, dict) else ""

    for error in sorted(Draft202012Validator(schema()).iter_errors(document), key=lambda e: list(map(str, e.path))):
        path = list(error.path)
        field_name, text = _schema_text(error)
        if len(path) >= 2 and path[0] == "practices" and isinstance(path[1], int):
            inner = [str(p) for p in path[2:] if not isinstance(p, int)]
            name = ".".join(inner[:-1] + [field_name]) if field_name else ".".join(inner)
            if field_name and inner and inner[-1] != field_name:
                name = ".".join(inner + [field_name])
            plan.errors.append(Problem(path[1] + 1, title_of(path[1]), name or "—", text))
        else:
            plan.errors.append(Problem(0, "", ".".join(str(p) for p in path[:-1] + [field_name] if p != "")
                                       if field_name else ".".join(map(str, path)), text))
    if plan.errors:
        return plan
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        n, title = i + 1, title_of(i)
        category = category_id_of(item["category"])
        if category is None:
            plan.errors.append(Problem(n, title, "category", Text(
                f"нет такой категории «{item['category']}»; допустимо: " + ", ".join(category_ids()),
                f"no such category «{item['category']}»; allowed: " + ", ".join(category_ids()))))
        published = _when(item["published_at"])
        if published is None:
            plan.errors.append(Problem(n, title, "published_at", Text(
                "дата и время в формате ISO 8601, например 2026-05-20T09:00:00Z",
                "a date and time as ISO 8601, e.g. 2026-05-20T09:00:00Z")))
        key = item["key"].strip()
        if key in seen:
            plan.errors.append(Problem(n, title, "key", Text(f"ключ «{key}» уже есть у практики {seen[key]}",
                                                             f"key «{key}» is used by practice {seen[key]} too")))
        seen.setdefault(key, n)
        if plan.errors and plan.errors[-1].index == n:
            continue
        org = item["organization"]
        values = {
            "title": item["title"].strip(), "category": category, "problem": item.get("problem", ""),
            "summary": item["summary"], "solution": item.get("solution", ""), "standard": item.get("standard", ""),
            "process_start": item.get("process_start", ""), "process_end": item.get("process_end", ""),
            "effect": [dict(e) for e in item.get("effect", [])],
            "scaling_proposal": item.get("scaling_proposal", "").strip(),
            "source_region": item["region"]["name"], "source_region_code": item["region"].get("code", ""),
            "source_org": org["name"], "source_org_kind": org["kind"],
            "source_municipality": org.get("municipality", ""), "source_url": item.get("url", ""),
        }
        existing = uow.session.execute(select(Practice).where(
            col(Practice.region_id) == region.id, col(Practice.source_key) == key)).scalars().first()
        if existing is None:
            plan.steps.append(Step("create", n, key, values["title"], {**values, "published_at": published}))
            continue
        changed = [k for k, v in values.items() if getattr(existing, k) != v]
        plan.steps.append(Step("update" if changed else "unchanged", n, key, values["title"], values,
                               existing.id, changed))
    if plan.errors:
        plan.steps = []
    return plan


# --- import: apply --------------------------------------------------------------------------------

def apply_import(uow: UnitOfWork, actor: Actor, plan: ImportPlan) -> None:
    """Write the plan's creations and updates with their events, in one transaction for the
    whole file (the caller's unit of work; committed here). Refuses a plan with errors."""
    if plan.errors or plan.region is None:
        raise ExchangeError(Text("в файле есть ошибки; ничего не записано", "the file has errors; nothing written"))
    s = uow.session
    now = clock.now()
    for step in plan.steps:
        if step.action == "unchanged":
            continue
        v = step.values
        stems = search_stems_of(v["title"], v["problem"], v["summary"], v["solution"])
        if step.action == "create":
            practice = Practice(region_id=plan.region.id, project_id=None, org_id=None, external=True,  # type: ignore[arg-type]
                                source_key=step.key, status="published", published_by=None,
                                updated_at=now, search_stems=stems, **v)
            s.add(practice)
            s.flush()
            payload: dict[str, Any] = {"practice_id": practice.id, "source_key": step.key, "action": "create",
                                       "source_region": v["source_region"], "source_org": v["source_org"]}
        else:
            practice = s.get(Practice, step.practice_id)  # type: ignore[assignment]
            fields = {k: {"from": getattr(practice, k), "to": v[k]} for k in step.changed}
            for k in step.changed:
                setattr(practice, k, v[k])
            practice.search_stems = stems
            practice.updated_at = now
            practice.version += 1
            s.flush()
            payload = {"practice_id": practice.id, "source_key": step.key, "action": "update", "fields": fields,
                       "version": practice.version}
        record(s, actor, EventKind.PRACTICE_IMPORTED, None, payload)
    uow.commit()
